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
            TemplateItem("树立管党治党主业主责意识，把抓党建作为最大政绩",
                         "Treats running the Party as the main duty and the greatest achievement"),
            TemplateItem("亲自研究部署党建工作，不以听汇报代替亲自抓",
                         "Plans party-building work in person rather than only hearing reports"),
            TemplateItem("党建责任清晰，层层压实到班子成员和支部",
                         "Makes responsibilities clear and passes them down to every level"),
            TemplateItem("像抓业务工作一样抓党建，投入相称的精力",
                         "Gives party building as much effort as the customs business"),
            TemplateItem("推动党建工作与海关改革和业务深度融合",
                         "Integrates party building with customs reform and daily business"),
            TemplateItem("述职报告问题查摆深刻，把自己摆进去",
                         "The report examines problems candidly, including the secretary's own"),
        ),
    ),
    TemplateSection(
        "解决基层党建突出问题",
        "Solving prominent grassroots party-building problems",
        (
            TemplateItem("深入基层调研，掌握基层党建真实情况",
                         "Investigates at the grassroots and knows the real situation"),
            TemplateItem("问题清单找准找实，回应党员群众关切",
                         "The problem list is accurate and answers members' and staff's concerns"),
            TemplateItem("针对突出问题制定管用措施，整改见到实效",
                         "Takes workable measures on prominent problems, with visible results"),
            TemplateItem("健全并落实基层党建工作考核评价机制",
                         "Has a working assessment system for grassroots party building"),
            TemplateItem("着力解决基层党建工作不严不实问题",
                         "Tackles grassroots party work that is lax or superficial"),
            TemplateItem("关心青年干部成长成才，帮助解决实际困难",
                         "Cares for young cadres' growth and helps with practical difficulties"),
        ),
    ),
    TemplateSection(
        "加强基层党组织建设",
        "Strengthening grassroots party organisations",
        (
            TemplateItem("党组织设置合理，按期换届，党务干部配齐配强",
                         "Organisations are well set up, re-elected on time, well staffed"),
            TemplateItem("严格落实“三会一课”等组织生活制度",
                         "Keeps to regular Party meetings, lectures and organisational life"),
            TemplateItem("以准军事化纪律部队标准从严教育管理党员",
                         "Educates and manages members to disciplined-service standards"),
            TemplateItem("党员学习教育形式多样、入脑入心",
                         "Members' study is varied and takes effect"),
            TemplateItem("支部战斗堡垒作用和党员先锋模范作用发挥明显",
                         "Branches and members clearly set an example at work"),
            TemplateItem("党建工作经费、阵地等保障到位",
                         "Party work has the funds, rooms and support it needs"),
        ),
    ),
    TemplateSection(
        "落实党风廉政建设责任制",
        "Carrying out clean-governance responsibility",
        (
            TemplateItem("认真履行党风廉政建设主体责任",
                         "Fulfils the principal responsibility for clean governance"),
            TemplateItem("廉政风险防控措施覆盖执法一线关键岗位",
                         "Integrity-risk controls cover key front-line enforcement posts"),
            TemplateItem("严格落实中央八项规定精神，纠治“四风”",
                         "Enforces the eight-point rules and corrects the four bad work styles"),
            TemplateItem("支持纪检监察工作，失责必问、问责必严",
                         "Supports discipline inspection; failures are always held to account"),
            TemplateItem("从案件中吸取教训，以案促改、以案促治",
                         "Learns from cases and uses them to reform and govern"),
            TemplateItem("本人廉洁自律，带头遵守各项纪律规定",
                         "Is personally clean and leads in keeping the rules"),
        ),
    ),
)
