"""The organiser's pages: who may open each one, CSRF, log-in throttling, set-up, opening,
closing, the monitor and the audit log."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import pytest
import sqlalchemy as sa

from evalapp.audit.models import AuditEntry
from evalapp.campaigns.models import Campaign, CampaignStatus, CommonItem
from evalapp.extensions import db
from evalapp.rounds.operations import RoundData, create_round
from tests.support.factories import PASSWORD
from tests.support.groups import Row, group_ids, post_groups
from tests.support.organiser import Setup, close_on_the_web, make_setup
from tests.support.web import csrf_token, login

ROLES = ("anonymous", "organiser", "leader", "auditor", "stranger", "other_auditor",
         "cross_auditor")
ORGANISER_BLUEPRINTS = {"campaigns", "ballotbox", "setup", "roster", "sampling", "tickets", "audit",
                        "results", "rectification", "lookback", "rounds"}
NOT_ORGANISER_ROUTES = {"campaigns.report_file"}  # for raters too; tested with the reports


def matrix(s) -> dict[str, tuple[str, str, dict[str, int]]]:
    """endpoint: (method, path, expected status per role). "stranger" is an organiser of
    another customs: campaigns of other units do not exist for them (404)."""
    c = f"/campaigns/{s.campaign}"
    only_organiser = {"anonymous": 302, "leader": 403, "auditor": 403, "stranger": 404}
    sealed = {**only_organiser, "organiser": 403}
    auditors = {"anonymous": 302, "organiser": 403, "leader": 403, "auditor": 200,
                "stranger": 403}
    readers = {"anonymous": 302, "organiser": 200, "leader": 200, "auditor": 200,
               "stranger": 404}
    r = f"{c}/rectification"
    return {
        "campaigns.index": ("GET", "/campaigns/", {"anonymous": 302, "organiser": 200,
                                                    "leader": 200, "auditor": 200,
                                                    "stranger": 200}),
        "ballotbox.detail": ("GET", c, {"anonymous": 302, "organiser": 200, "leader": 200,
                                         "auditor": 200, "stranger": 404}),
        "ballotbox.open_": ("POST", f"{c}/open", {**only_organiser, "organiser": 303}),
        "ballotbox.close": ("GET", f"{c}/close", {**only_organiser, "organiser": 409}),
        "ballotbox.closing": ("GET", f"{c}/closing", {**only_organiser, "organiser": 303}),
        "ballotbox.monitor": ("GET", f"{c}/monitor", {**only_organiser, "organiser": 200}),
        "setup.new": ("GET", "/campaigns/new", {"anonymous": 302, "organiser": 200,
                                                 "leader": 403, "auditor": 403,
                                                 "stranger": 200}),
        "setup.scoring": ("GET", f"{c}/scoring", {**only_organiser, "organiser": 200}),
        "setup.grading": ("POST", f"{c}/grading", {**only_organiser, "organiser": 422}),
        # a rule for a questionnaire that is no nomination ballot
        "setup.nomination": ("POST", f"{c}/nomination", {**only_organiser, "organiser": 409}),
        "setup.satisfaction": ("POST", f"{c}/questionnaire/satisfaction",
                               {**only_organiser, "organiser": 303}),
        "ballotbox.delete": ("POST", f"{c}/delete", {**only_organiser, "organiser": 200}),  # asks
        "setup.groups": ("GET", f"{c}/groups", {**only_organiser, "organiser": 200}),
        "setup.questionnaire": ("GET", f"{c}/questionnaire",
                                {**only_organiser, "organiser": 200}),
        "setup.edit_item": ("POST", f"{c}/questionnaire/{s.item}",
                            {**only_organiser, "organiser": 422}),
        "setup.move": ("POST", f"{c}/questionnaire/{s.item}/move",
                       {**only_organiser, "organiser": 400}),
        "setup.rename": ("POST", f"{c}/questionnaire/sections/{s.section}",
                         {**only_organiser, "organiser": 422}),
        "setup.add": ("POST", f"{c}/questionnaire/sections/{s.section}/items",
                      {**only_organiser, "organiser": 422}),
        "setup.remove": ("POST", f"{c}/questionnaire/{s.item}/remove",
                         {**only_organiser, "organiser": 200}),  # asks first
        "setup.subject": ("GET", f"{c}/subjects/{s.subject}",
                          {**only_organiser, "organiser": 200}),
        "roster.index": ("GET", f"{c}/roster/", {**only_organiser, "organiser": 200}),
        # the set-up has a draw: its roster can no longer be replaced
        "roster.mapping": ("GET", f"{c}/roster/mapping", {**only_organiser, "organiser": 409}),
        "sampling.index": ("GET", f"{c}/draws/", {**only_organiser, "organiser": 200,
                                                   "auditor": 200}),
        "sampling.detail": ("GET", f"{c}/draws/{s.draw}", readers),
        "sampling.export": ("GET", f"{c}/draws/{s.draw}/people.xlsx",
                            {**only_organiser, "organiser": 200, "auditor": 200}),
        "sampling.issue": ("POST", f"{c}/draws/{s.draw}/issue",
                           {**only_organiser, "organiser": 200}),
        "sampling.notice": ("GET", f"{c}/draws/{s.draw}/notice", readers),
        "sampling.verify": ("GET", f"{c}/draws/{s.draw}/verify", readers),
        # a second account acknowledges a commitment before its draw; this one is drawn
        "sampling.acknowledge": ("POST", f"{c}/draws/{s.draw}/acknowledge",
                                 {"anonymous": 302, "organiser": 403, "leader": 409,
                                  "auditor": 409, "stranger": 404}),
        "sampling.record_file": ("GET", f"{c}/draws/{s.draw}/record.json",
                                 {**only_organiser, "organiser": 200, "auditor": 200}),
        # the set-up's draw is drawn: it can be neither drawn again nor set aside
        "sampling.draw_": ("POST", f"{c}/draws/{s.draw}/draw",
                           {**only_organiser, "organiser": 409}),
        "sampling.abandon": ("POST", f"{c}/draws/{s.draw}/abandon",
                             {**only_organiser, "organiser": 409}),
        "tickets.index": ("GET", f"{c}/tickets/", {**only_organiser, "organiser": 200}),
        "tickets.void": ("POST", f"{c}/tickets/{s.batch}/void",
                         {**only_organiser, "organiser": 200}),  # asks first
        # results are sealed for everyone while the campaign is not closed
        "results.overview": ("GET", f"{c}/results/", sealed),
        "results.subject": ("GET", f"{c}/results/{s.subject}", sealed),
        "results.publicity": ("GET", f"{c}/results/publicity", sealed),
        "results.decision": ("POST", f"{c}/results/decision", sealed),
        "results.subjects_chart": ("GET", f"{c}/results/subjects.png", sealed),
        "results.subject_chart": ("GET", f"{c}/results/{s.subject}/items.svg", sealed),
        "results.export": ("GET", f"{c}/results/export.xlsx", sealed),
        # the rectification ledger: organisers keep it, leaders and auditors read it
        "rectification.index": ("GET", f"{r}/", readers),
        "rectification.progress_image": ("GET", f"{r}/progress.svg", readers),
        "rectification.export": ("GET", f"{r}/ledger.xlsx", readers),
        "rectification.subject": ("GET", f"{r}/{s.subject}", readers),
        "rectification.import_": ("POST", f"{r}/import", {**only_organiser, "organiser": 422}),
        "rectification.add_problem": ("POST", f"{r}/{s.subject}/problems",
                                      {**only_organiser, "organiser": 422}),
        "rectification.from_problem_list": ("POST", f"{r}/{s.subject}/from-problem-list",
                                            {**only_organiser, "organiser": 303}),
        "rectification.from_results": ("POST", f"{r}/{s.subject}/from-results",
                                       {**only_organiser, "organiser": 409}),
        "rectification.new_measure": ("GET", f"{r}/problems/{s.problem}/measures/new",
                                      {**only_organiser, "organiser": 200}),
        "rectification.edit_measure": ("GET", f"{r}/measures/{s.measure}",
                                       {**only_organiser, "organiser": 200}),
        "rectification.delete_measure": ("POST", f"{r}/measures/{s.measure}/delete",
                                         {**only_organiser, "organiser": 200}),  # asks first
        "rectification.delete_problem": ("POST", f"{r}/problems/{s.problem}/delete",
                                         {**only_organiser, "organiser": 200}),
        "lookback.index": ("GET", "/lookback/", {"anonymous": 302, "organiser": 200,
                                                  "leader": 200, "auditor": 200,
                                                  "stranger": 200}),
        "lookback.chart": ("GET", "/lookback/chart.png", {"anonymous": 302, "organiser": 400,
                                                           "leader": 400, "auditor": 400,
                                                           "stranger": 400}),
        "audit.index": ("GET", "/audit/", auditors),
        "audit.export": ("GET", "/audit/audit.csv", auditors),
        "audit.export_xlsx": ("GET", "/audit/audit.xlsx", auditors),
        # only the audit administrator (tests/test_audit_chain.py)
        "audit.purge_old": ("GET", "/audit/purge", {**auditors, "auditor": 403}),
        "setup.nomination_ballot": ("POST", f"{c}/questionnaire/nomination",
                                    {**only_organiser, "organiser": 200}),  # asks first
        # a round made at the customs: the stranger's customs is beside it, not above it
        "rounds.index": ("GET", "/rounds/", {**only_organiser, "organiser": 200,
                                             "stranger": 200}),
        "rounds.new": ("GET", "/rounds/new", {**only_organiser, "organiser": 200,
                                              "stranger": 200}),
        "rounds.detail": ("GET", f"/rounds/{s.round}", {**only_organiser, "organiser": 200}),
        "rounds.edit": ("GET", f"/rounds/{s.round}/edit", {**only_organiser, "organiser": 200}),
        "rounds.instantiate_": ("POST", f"/rounds/{s.round}/instantiate",
                                {**only_organiser, "organiser": 422}),  # no units chosen
    }


def expected_status(role: str, endpoint: str, expected: dict[str, int]) -> int:
    """The matrix's status for `role`. The cross-unit auditor (of 海关总署, above the campaign's
    customs) reads what the customs' own auditor reads. An auditor of another customs passes
    the role checks an auditor passes (results, but for the organisers' decision, are sealed
    after finding the campaign), then
    finds that another unit's campaigns do not exist, as the stranger does."""
    if role == "cross_auditor":
        return expected["auditor"]
    if role == "other_auditor":
        passes = expected["auditor"] != 403 or (endpoint.startswith("results.")
                                                and endpoint != "results.decision")
        return 404 if passes and expected["stranger"] == 404 else expected["auditor"]
    return expected[role]


@dataclass(frozen=True)
class RoundSetup(Setup):
    round: int  # a round made at the customs


@pytest.fixture
def setup(app):
    with app.app_context():
        made = make_setup()
        customs = db.session.get_one(Campaign, made.campaign).unit
        round_ = create_round(customs, RoundData("宁波海关2026年度轮次"))
        db.session.commit()
        return RoundSetup(**asdict(made), round=round_.id)


def test_the_matrix_covers_every_staff_route(app, setup):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint.split(".")[0] in ORGANISER_BLUEPRINTS}
    assert endpoints - NOT_ORGANISER_ROUTES == set(matrix(setup))


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(app, setup, role):
    failures = []
    client = app.test_client()
    if role != "anonymous":
        login(client, role)
    for endpoint, (method, path, expected) in matrix(setup).items():
        if method == "GET":
            status = client.get(path).status_code
        else:
            status = client.post(path, data={"csrf_token": csrf_token(client, "/")}).status_code
        if status != expected_status(role, endpoint, expected):
            failures.append(f"{endpoint} {method} {path}: {status}, expected "
                            f"{expected_status(role, endpoint, expected)}")
    assert failures == []


def test_posts_without_csrf_token_are_refused(app, client, setup):
    login(client, "organiser", PASSWORD)
    for endpoint, (method, path, _expected) in matrix(setup).items():
        if method == "POST":
            response = client.post(path, data={})
            assert response.status_code == 400, endpoint
            assert "请重新加载页面" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Campaign, setup.campaign).status is CampaignStatus.DRAFT


def test_repeated_failed_log_ins_are_slowed_down(client, setup):
    statuses = []
    for _ in range(7):
        token = csrf_token(client, "/auth/login")
        statuses.append(client.post("/auth/login", data={
            "username": "organiser", "password": "guess", "csrf_token": token}).status_code)
    assert statuses == [401] * 4 + [423] + [429] * 2  # the fifth locks the account too
    token = csrf_token(client, "/auth/login")
    blocked = client.post("/auth/login", data={"username": "organiser", "password": PASSWORD,
                                               "csrf_token": token})
    assert blocked.status_code == 429  # even the right password waits now
    assert "尝试次数过多" in blocked.get_data(as_text=True)
    assert "Retry-After" in blocked.headers


def test_correct_log_ins_are_never_throttled(app, setup):
    for _ in range(12):
        client = app.test_client()
        token = csrf_token(client, "/auth/login")
        response = client.post("/auth/login", data={
            "username": "organiser", "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302


def test_the_session_cookie_changes_at_log_in(client, setup):
    client.get("/auth/login")
    before = client.get_cookie("session").value
    token = csrf_token(client, "/auth/login")
    client.post("/auth/login", data={"username": "organiser", "password": PASSWORD,
                                     "csrf_token": token})
    after = client.get_cookie("session").value
    assert before != after
    with client.session_transaction() as session:
        assert "csrf_token" not in session  # nothing of the anonymous session carried over


def test_create_a_campaign_with_the_default_questionnaire(app, client, setup):
    login(client)
    page = client.get("/campaigns/new").get_data(as_text=True)
    unit = re.search(r'<option value="(\d+)">宁波海关</option>', page).group(1)
    response = client.post("/campaigns/new", data={
        "csrf_token": csrf_token(client, "/campaigns/new"), "title": " 新测评 ",
        "unit": unit, "description": ""})
    assert response.status_code == 303
    with app.app_context():
        campaign = db.session.scalar(sa.select(Campaign).where(Campaign.title == "新测评"))
        assert campaign.status is CampaignStatus.DRAFT
        assert [len(section.items) for section in campaign.sections] == [6, 6, 6, 6]
        assert db.session.scalar(sa.select(AuditEntry.action).where(
            AuditEntry.campaign_id == campaign.id)) == "campaign.create"


def test_an_organiser_cannot_create_campaigns_for_units_out_of_reach(client, setup, app):
    login(client, "stranger")
    with app.app_context():
        ningbo = db.session.get(Campaign, setup.campaign).unit_id
    response = client.post("/campaigns/new", data={
        "csrf_token": csrf_token(client, "/campaigns/new"), "title": "越权", "unit": ningbo})
    assert response.status_code == 422


def test_edit_and_reorder_items_while_draft_only(app, client, setup):
    login(client)
    path = f"/campaigns/{setup.campaign}/questionnaire"
    token = csrf_token(client, path)
    assert client.post(f"{path}/{setup.item}", data={
        "csrf_token": token, "text_zh": "改写后的条目", "text_en": "Reworded"}).status_code == 303
    assert client.post(f"{path}/{setup.item}/move", data={
        "csrf_token": token, "direction": "down"}).status_code == 303
    with app.app_context():
        campaign = db.session.get(Campaign, setup.campaign)
        first_section = [item.text_zh for item in campaign.sections[0].items]
        assert first_section[1] == "改写后的条目"
        from evalapp.ballotbox.operations import open_campaign

        open_campaign(campaign)
        db.session.commit()
    assert client.post(f"{path}/{setup.item}", data={
        "csrf_token": token, "text_zh": "再改"}).status_code == 409
    with app.app_context():
        assert db.session.get(CommonItem, setup.item).text_zh == "改写后的条目"


def test_sections_renamed_and_items_added_and_removed_while_draft_only(app, client, setup):
    login(client)
    path = f"/campaigns/{setup.campaign}/questionnaire"
    token = csrf_token(client, path)
    section = f"{path}/sections/{setup.section}"

    def texts() -> list[list[str]]:
        with app.app_context():
            campaign = db.session.get(Campaign, setup.campaign)
            assert all([i.position for i in s.items] == list(range(1, len(s.items) + 1))
                       for s in campaign.sections)
            return [[item.text_zh for item in s.items] for s in campaign.sections]

    default = texts()
    assert [len(items) for items in default] == [6, 6, 6, 6]  # the 24 common items

    renamed = client.post(section, data={"csrf_token": token, "title_zh": " 履职尽责 ",
                                         "title_en": "Duties"})
    assert renamed.status_code == 303
    assert renamed.location.endswith(f"saved=section-{setup.section}#section-{setup.section}")
    page = client.get(renamed.location).get_data(as_text=True)
    assert 'value="履职尽责"' in page and "✓ 已保存" in page
    refused = client.post(section, data={"csrf_token": token, "title_zh": "  "})
    assert refused.status_code == 422
    assert "栏目名称（中文）" in refused.get_data(as_text=True)

    added = client.post(f"{section}/items", data={
        "csrf_token": token, "text_zh": "新增的题目\n换行也是一行", "text_en": ""})
    assert added.status_code == 303 and "saved=item-" in added.location
    assert texts()[0] == [*default[0], "新增的题目 换行也是一行"]
    assert client.post(f"{section}/items", data={
        "csrf_token": token, "text_zh": ""}).status_code == 422

    remove = f"{path}/{setup.item}/remove"
    asked = client.get(remove).get_data(as_text=True)
    assert "从测评表中删除此题目？" in asked and default[0][0] in asked
    assert client.post(remove, data={"csrf_token": token}).status_code == 200  # asks again
    assert texts()[0][0] == default[0][0]
    assert client.post(remove, data={"csrf_token": token, "confirm": "yes"}).status_code == 303
    assert texts()[0] == [*default[0][1:], "新增的题目 换行也是一行"]  # renumbered 1..6

    with app.app_context():  # down to one item: the last one stays
        items = db.session.get(Campaign, setup.campaign).sections[1].items
        last, others = items[-1].id, [item.id for item in items[:-1]]
    for item in others:
        assert client.post(f"{path}/{item}/remove", data={
            "csrf_token": token, "confirm": "yes"}).status_code == 303
    kept = client.post(f"{path}/{last}/remove", data={"csrf_token": token, "confirm": "yes"},
                       follow_redirects=True).get_data(as_text=True)
    assert "每个栏目至少保留一项" in kept and len(texts()[1]) == 1
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.campaign_id == setup.campaign)).all()
        assert {"questionnaire.rename_section", "questionnaire.add",
                "questionnaire.remove"} <= set(actions)
        from evalapp.ballotbox.operations import open_campaign

        campaign = db.session.get(Campaign, setup.campaign)
        first = campaign.sections[0].items[0].id
        open_campaign(campaign)
        db.session.commit()
    before = texts()
    assert client.post(section, data={"csrf_token": token, "title_zh": "再改"}).status_code == 409
    assert client.post(f"{section}/items", data={
        "csrf_token": token, "text_zh": "再加"}).status_code == 409
    assert client.post(f"{path}/{first}/remove", data={
        "csrf_token": token, "confirm": "yes"}).status_code == 409
    assert texts() == before
    with app.app_context():
        assert db.session.get(Campaign, setup.campaign).sections[0].title_zh == "履职尽责"


def test_a_draft_campaign_is_deleted_with_all_it_holds_after_asking(app, client, setup):
    from evalapp.roster.models import RosterEntry
    from evalapp.tickets.models import Ticket

    login(client)
    path = f"/campaigns/{setup.campaign}/delete"
    assert "删除此草稿测评" in client.get(f"/campaigns/{setup.campaign}").get_data(as_text=True)
    asked = client.get(path).get_data(as_text=True)
    assert "删除草稿测评“宁波海关2026年度测评”？" in asked and "40 人" in asked
    token = csrf_token(client, path)
    assert client.post(path, data={"csrf_token": token}).status_code == 200  # asks again
    deleted = client.post(path, data={"csrf_token": token, "confirm": "yes"})
    assert deleted.status_code == 303 and deleted.location.endswith("/campaigns/")
    assert "已删除" in client.get(deleted.location).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Campaign, setup.campaign) is None
        assert not db.session.scalar(sa.select(sa.func.count(RosterEntry.id)))
        assert not db.session.scalar(sa.select(sa.func.count(Ticket.id)))
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "campaign.delete")).one()
        assert entry.detail["title"] == "宁波海关2026年度测评"
        assert entry.campaign_id == setup.campaign  # kept as a value: the entry outlives it
    assert client.get(f"/campaigns/{setup.campaign}").status_code == 404


def test_an_opened_campaign_is_never_deleted(app, client, setup):
    with app.app_context():
        from evalapp.ballotbox.operations import open_campaign

        open_campaign(db.session.get(Campaign, setup.campaign))
        db.session.commit()
    login(client)
    path = f"/campaigns/{setup.campaign}/delete"
    assert "删除此草稿测评" not in client.get(f"/campaigns/{setup.campaign}").get_data(
        as_text=True)
    assert client.post(path, data={"csrf_token": csrf_token(client, f"/campaigns/{setup.campaign}"),
                                   "confirm": "yes"}).status_code == 409
    with app.app_context():
        assert db.session.get(Campaign, setup.campaign) is not None


def test_scoring_settings_are_checked_and_saved(app, client, setup):
    login(client)
    path = f"/campaigns/{setup.campaign}/scoring"
    data = {"csrf_token": csrf_token(client, path), "points_excellent": 100, "points_good": 85,
            "points_fair": 70, "points_poor": 50, "grade_excellent_min": 90,
            "grade_good_min": 80, "grade_fair_min": 60, "min_report_size": 2,
            "void_blank_fraction": "30%", "trim_above": "", "paper_recheck_percent": 10}
    shown = client.get(path).get_data(as_text=True)  # the default share, as a percentage
    assert re.search(r'name="void_blank_fraction"[^>]*value="25"', shown)
    refused = client.post(path, data=data)
    assert refused.status_code == 422 and "至少为 3" in refused.get_data(as_text=True)
    assert re.search(r'name="void_blank_fraction"[^>]*value="30%"', refused.get_data(
        as_text=True))  # kept as typed
    assert "请输入 0 到 99 之间的百分数" in client.post(path, data={
        **data, "void_blank_fraction": "100"}).get_data(as_text=True)
    data.update(min_report_size=6, points_poor=90)
    refused = client.post(path, data=data)
    assert "分值须从“好”到“差”依次降低" in refused.get_data(as_text=True)
    assert "请输入 0 到 100 之间的百分数" in client.post(path, data={
        **data, "paper_recheck_percent": "101"}).get_data(as_text=True)
    data.update(points_poor=50, void_uniform="y", trim_above=20, paper_recheck_percent=25)
    assert client.post(path, data=data).status_code == 303
    with app.app_context():
        campaign = db.session.get(Campaign, setup.campaign)
        assert (campaign.points_good, campaign.min_report_size, campaign.void_uniform,
                campaign.trim_above, campaign.void_blank_fraction,
                campaign.paper_recheck_percent) == (85, 6, True, 20, 0.3, 25)


def test_opening_waits_for_reports_items_and_tickets_then_freezes(app, client, setup):
    login(client)
    token = csrf_token(client, f"/campaigns/{setup.campaign}")
    response = client.post(f"/campaigns/{setup.campaign}/open", data={"csrf_token": token})
    assert response.status_code == 303
    page = client.get(f"/campaigns/{setup.campaign}").get_data(as_text=True)
    assert "尚无述职报告" in page
    with app.app_context():
        campaign = db.session.get(Campaign, setup.campaign)
        assert campaign.status is CampaignStatus.DRAFT
        campaign.subjects[0].report_text = "报告"
        db.session.commit()
    assert client.post(f"/campaigns/{setup.campaign}/open",
                       data={"csrf_token": token}).headers["Location"].endswith("/monitor")
    monitor = client.get(f"/campaigns/{setup.campaign}/monitor").get_data(as_text=True)
    assert 'http-equiv="refresh"' in monitor and "已收回 0 / 3 张测评票" in monitor
    close_on_the_web(client, setup.campaign)
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id))
        assert [a for a in actions if a.startswith("campaign.")] == [
            "campaign.open", "campaign.close"]


def test_the_auditor_reads_and_exports_the_log(app, client, setup):
    login(client)
    client.post(f"/campaigns/{setup.campaign}/tickets/{setup.batch}/void",
                data={"csrf_token": csrf_token(client, "/"), "confirm": "yes"})
    auditor = app.test_client()
    login(auditor, "auditor")
    page = auditor.get("/audit/").get_data(as_text=True)
    assert "作废未使用的测评票" in page and "登录" in page
    export = auditor.get("/audit/audit.csv")
    assert export.mimetype == "text/csv"
    text = export.get_data(as_text=True)
    assert text.startswith("\ufeff序号,时间（Asia/Shanghai）,操作人,用户名,测评活动,操作,详情,")
    assert "作废未使用的测评票" in text and "Organiser" in text


def test_rater_groups_and_policy_weights(app, client, setup):
    login(client)
    names = ["机关党员", "机关群众", "基层党员", "基层群众"]
    ids = group_ids(app, setup.campaign)

    def post(weights, renamed=names):
        return post_groups(client, setup.campaign, [
            Row(name, weight, group) for name, weight, group in zip(
                renamed, weights, ids, strict=True)])

    refused = post(["30", "10", "40", ""])
    assert refused.status_code == 422 and "合计为 100%" in refused.get_data(as_text=True)
    assert post(["30", "10", "40", "30"]).status_code == 422  # 110%
    assert post(["30", "10", "40", "20"], [*names[:3], "机关党员"]).status_code == 422
    assert post(["30", "10", "40", "20"]).status_code == 303
    with app.app_context():
        campaign = db.session.get(Campaign, setup.campaign)
        weights = [group.weight for group in campaign.rater_groups]
        assert weights == pytest.approx([0.3, 0.1, 0.4, 0.2])
    assert post(["", "", "", ""]).status_code == 303  # weights are optional
