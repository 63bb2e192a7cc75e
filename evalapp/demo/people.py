"""Invented Chinese names for demo rosters, drawn reproducibly."""

from __future__ import annotations

import numpy as np

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
    "史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊"
    "帆帅旭宁龙林欣怡雪琳晨阳博文思源子涵梓轩雨婷嘉诚佳颖志国建新海峰春梅晓东"
)


def invented_names(rng: np.random.Generator, count: int) -> list[str]:
    surnames = rng.choice(SURNAMES, size=count)
    lengths = rng.choice([1, 2], size=count, p=[0.35, 0.65])
    given = rng.choice(GIVEN, size=(count, 2))
    return [
        surname + "".join(given[index, : lengths[index]])
        for index, surname in enumerate(surnames)
    ]
