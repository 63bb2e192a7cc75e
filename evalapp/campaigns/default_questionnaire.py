"""The default questionnaire: 24 common items in four sections of six.

Grounded in the four areas the General Administration asked every debriefing report to answer
(seed 001): first-responsibility duties, prominent grassroots problems, grassroots
organisations, clean-governance responsibility. A campaign copies it and may edit its copy
while a draft.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TemplateItem:
    text_zh: str
    text_en: str


@dataclass(frozen=True)
class TemplateSection:
    title_zh: str
    title_en: str
    items: tuple[TemplateItem, ...]


DEFAULT_SECTIONS: tuple[TemplateSection, ...] = (
    TemplateSection(
        "履行第一责任人职责",
        "Fulfilling first-responsibility duties",
        (
            TemplateItem(
                "树牢管党治党主业主责意识，把抓党建作为最大政绩",
                "Sees running the Party as the main duty and "
                "party building as the greatest achievement",
            ),
            TemplateItem(
                "亲自研究部署党建工作，不以听汇报代替亲自抓",
                "Plans party-building work in person instead of only hearing reports",
            ),
            TemplateItem(
                "理顺党建“条、块”双重管理责任，主动担当不推诿",
                "Clarifies duties under the dual vertical "
                "and local leadership and takes them on",
            ),
            TemplateItem(
                "像抓垂直管理和业务工作一样抓党建，投入相称精力",
                "Puts as much effort into party building "
                "as into vertical management and business",
            ),
            TemplateItem(
                "推动党建与海关改革和业务工作深度融合，不搞“两张皮”",
                "Integrates party building with customs reform and daily "
                "work rather than running them as two separate things",
            ),
            TemplateItem(
                "述职报告把自己摆进去，成绩点到为止、问题指向鲜明",
                "The report puts the secretary in the frame: "
                "brief on achievements, clear on problems",
            ),
        ),
    ),
    TemplateSection(
        "解决基层党建突出问题",
        "Solving prominent grassroots party-building problems",
        (
            TemplateItem(
                "深入基层蹲点调研，摸清基层党建真实情况",
                "Spends time at the grassroots and knows the real state of party building there",
            ),
            TemplateItem(
                "问题清单找准找实，回应党员群众关切",
                "The problem list is accurate and specific "
                "and answers members' and staff's concerns",
            ),
            TemplateItem(
                "针对突出问题制定立行立改措施，整改取得实效",
                "Sets immediate measures for prominent "
                "problems and the rectification shows results",
            ),
            TemplateItem(
                "健全并落实基层党建工作考核评价机制",
                "Builds and applies a sound assessment system for grassroots party building",
            ),
            TemplateItem(
                "着力解决基层党建工作不严不实、高举轻放问题",
                "Tackles grassroots party work that is lax, "
                "superficial or all talk and no follow-through",
            ),
            TemplateItem(
                "关注青年干部成才成长，帮助解决实际困难",
                "Attends to young cadres' growth and helps them with practical difficulties",
            ),
        ),
    ),
    TemplateSection(
        "加强基层党组织建设",
        "Strengthening grassroots party organisations",
        (
            TemplateItem(
                "党组织设置合理、按期换届，专职党务干部配齐配强",
                "Organisations are soundly set up and re-elected "
                "on time, with capable full-time staff",
            ),
            TemplateItem(
                "严格落实“三会一课”等组织生活制度",
                "Strictly keeps the “three meetings and one "
                "lecture” and other rules of Party life",
            ),
            TemplateItem(
                "以准军事化纪律部队建设标准从严教育管理党员",
                "Educates and manages members strictly to the "
                "standard of a quasi-military disciplined force",
            ),
            TemplateItem(
                "创新党员学习教育方式，学习入脑入心",
                "Finds new ways for members to study, so that learning really sinks in",
            ),
            TemplateItem(
                "发挥支部战斗堡垒作用和党员先锋模范作用",
                "Branches act as strongholds and members set an example in their work",
            ),
            TemplateItem(
                "党建工作经费、活动阵地等保障落实到位",
                "Party work has the funds, meeting rooms and other support it needs",
            ),
        ),
    ),
    TemplateSection(
        "落实党风廉政建设责任制",
        "Carrying out the responsibility system for clean governance",
        (
            TemplateItem(
                "认真履行党风廉政建设主体责任，定期研究部署",
                "Fulfils the principal responsibility for "
                "clean governance and reviews it regularly",
            ),
            TemplateItem(
                "廉政风险防控覆盖执法一线关键岗位和重点环节",
                "Integrity-risk controls cover key front-line enforcement posts and procedures",
            ),
            TemplateItem(
                "严格落实中央八项规定精神，持续纠治“四风”",
                "Strictly enforces the central eight-point rules "
                "and keeps correcting the “four bad work styles”",
            ),
            TemplateItem(
                "支持纪检监察工作，失责必问，不搞要求多、追责少",
                "Supports discipline inspection and holds "
                "failures to account, not just making demands",
            ),
            TemplateItem(
                "深刻汲取关区案件教训，以案促改、以案促治",
                "Learns from cases in the district and uses "
                "them to drive reform and better governance",
            ),
            TemplateItem(
                "本人廉洁自律，带头遵守各项纪律规定",
                "Is personally clean and self-disciplined and leads in keeping every rule",
            ),
        ),
    ),
)

# The questionnaire of a nomination (民主推荐): one item, marked for each candidate or not.
NOMINATION_SECTION = TemplateSection("民主推荐", "Nomination", (
    TemplateItem("推荐", "Nominate"),))
