"""Simulated ballots for the demo's closed campaign: plausible, varied, with a few blanks and
void ballots, so that results, breakdowns and reliability have something to show."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evalapp.campaigns.models import Level, Satisfaction

LEVELS = np.array([Level.EXCELLENT, Level.GOOD, Level.FAIR, Level.POOR], dtype=object)
SATISFACTIONS = np.array(
    [Satisfaction.SATISFIED, Satisfaction.FAIRLY_SATISFIED, Satisfaction.DISSATISFIED],
    dtype=object,
)
COMMENTS = (
    "建议进一步压实党建工作责任，减少以听汇报代替亲自抓的情况。",
    "述职报告问题查摆比较深刻，希望整改措施能够落到实处。",
    "希望多关注青年干部的成长，给年轻同志更多锻炼机会。",
    "基层党支部活动形式可以更丰富，避免“两张皮”。",
    "建议党风廉政建设既提要求也抓问责，做到失责必问。",
    "报告中对业务与党建融合的思路很清楚，赞成。",
    "一线科室人手紧张，希望统筹好学习教育和业务工作的时间。",
    "问题清单列得实，期待回头看时能看到变化。",
)


@dataclass(frozen=True)
class SimulatedBallots:
    """n ballots × items levels (None for blank), and per ballot satisfaction and comment."""

    levels: np.ndarray  # object array, shape (n, items)
    satisfaction: np.ndarray  # object array, shape (n,)
    comments: np.ndarray  # object array, shape (n,)


def simulate(
    rng: np.random.Generator,
    count: int,
    *,
    quality: float,
    group_shift: float,
    item_difficulty: np.ndarray,
) -> SimulatedBallots:
    items = item_difficulty.shape[0]
    leniency = rng.normal(0.0, 0.10, size=(count, 1))
    latent = quality + group_shift + leniency + item_difficulty[None, :]
    latent = latent + rng.normal(0.0, 0.18, size=(count, items))
    level_index = np.select(
        [latent > 0.55, latent > 0.25, latent > 0.0], [0, 1, 2], default=3
    )
    levels = LEVELS[level_index]
    levels[rng.random((count, items)) < 0.015] = None
    careless = rng.random(count) < 0.03  # a few raters leave most of the form blank
    levels[careless[:, None] & (rng.random((count, items)) < 0.5)] = None

    answered = np.not_equal(levels, None)
    answered_count = answered.sum(axis=1)
    mean_index = np.divide(
        (level_index * answered).sum(axis=1),
        answered_count,
        out=np.full(count, 1.5),
        where=answered_count > 0,
    )
    mood = mean_index + rng.normal(0.0, 0.35, size=count)
    satisfaction = SATISFACTIONS[np.select([mood < 0.9, mood < 1.9], [0, 1], default=2)]
    satisfaction[rng.random(count) < 0.02] = None
    comments = np.full(count, None, dtype=object)
    with_comment = rng.random(count) < 0.15
    comments[with_comment] = rng.choice(np.array(COMMENTS, dtype=object), size=with_comment.sum())
    return SimulatedBallots(levels=levels, satisfaction=satisfaction, comments=comments)
