"""Route × role for the three separated administrators (三员分立): every URL rule of the app,
with real ids, asked by each administrator, each business role and an anonymous visitor.

Each administrator reaches its own area and nothing of a campaign (its list included), and
no business role reaches an administrator's area. The rules are read from the app, so a page
added later is checked without being listed here."""

from __future__ import annotations

import re

import pytest

from tests.support.admins import ADMINISTRATORS, AdminSetup, make_admin_setup
from tests.support.web import csrf_token, login

pytestmark = pytest.mark.usefixtures("administrators_enrolled")

AREAS = {
    "sysadmin": {"accounts.index", "accounts.new", "accounts.status", "accounts.delete",
                 "accounts.reset", "accounts.upload", "accounts.preview",
                 "units.index", "units.create", "units.edit", "units.move", "units.retire",
                 "units.restore", "units.upload", "units.preview"},
    "secadmin": {"accounts.roles", "accounts.grant", "security.settings"},
    "auditadmin": {"audit.index", "audit.export", "audit.export_xlsx", "audit.purge_old"},
}
# The audit log's reading and exports are the auditors' too.
ADMIN_PAGES = set().union(*AREAS.values()) - {"audit.index", "audit.export", "audit.export_xlsx"}
BUSINESS = ("organiser", "leader", "auditor", "clerk", "scrutineer")
# Log-in's steps answer a logged-in account by what it is; an account's own password and second
# factor are every account's.
LOG_IN_OUT = {"auth.login", "auth.logout", "auth.second_factor", "oidc.login",
              "oidc.callback", "account.password", "account.second_factor"}
# (log-out is not asked: it would end the session the other pages are asked in)
ARGUMENT = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def ids(s: AdminSetup) -> dict[str, str]:
    setup = s.setup
    return {"campaign_id": setup.campaign, "subject_id": setup.subject, "item_id": setup.item,
            "section_id": setup.section, "draw_id": setup.draw, "batch_id": setup.batch,
            "problem_id": setup.problem, "measure_id": setup.measure, "user_id": s.clerk,
            "code": setup.token, "key": "x" * 16, "upload": "0" * 32 + ".json",
            "unit_id": s.customs, "token_id": 1,
            "round_id": s.round}


def routes(app, s: AdminSetup) -> dict[str, tuple[str, str]]:
    """endpoint: (method, path) of every URL rule but the static files, its arguments filled
    with real ids (the first choice of an `any(...)`); GET where the rule answers GET, else
    POST."""
    known = ids(s)

    def value(match: re.Match) -> str:
        if match.group(1) == "any":
            return match.group(2).split(",")[0].strip()
        assert match.group(3) in known, f"no id for <{match.group(3)}>: add one to ids()"
        return str(known[match.group(3)])

    return {rule.endpoint: ("GET" if "GET" in rule.methods else "POST",
                            ARGUMENT.sub(value, rule.rule))
            for rule in app.url_map.iter_rules() if rule.endpoint != "static"}


def ask(client, method: str, path: str):
    if method == "GET":
        return client.get(path)
    return client.post(path, data={"csrf_token": csrf_token(client, "/")})


@pytest.fixture
def world(app) -> AdminSetup:
    with app.app_context():
        return make_admin_setup()


def statuses(app, world, username: str | None) -> dict[str, tuple[int, str]]:
    client = app.test_client()
    if username:
        assert login(client, username).status_code == 302
    return {endpoint: (response.status_code, response.headers.get("Location", ""))
            for endpoint, (method, path) in routes(app, world).items()
            if endpoint != "auth.logout" and (response := ask(client, method, path))}


def test_anonymous_visitors_are_sent_to_log_in_from_every_administrator_page(app, world):
    seen = statuses(app, world, None)
    for endpoint in set().union(*AREAS.values()):
        status, location = seen[endpoint]
        assert (status, location.split("?")[0]) == (302, "/auth/login"), endpoint


@pytest.mark.parametrize("admin", sorted(ADMINISTRATORS))
def test_each_administrator_reaches_its_own_area_and_nothing_of_a_campaign(app, world, admin):
    anonymous = statuses(app, world, None)
    seen = statuses(app, world, admin)
    public = {endpoint for endpoint, (status, location) in anonymous.items()
              if not (status == 302 and location.startswith("/auth/login"))} - LOG_IN_OUT
    failures = []
    for endpoint, (status, location) in seen.items():
        if endpoint in AREAS[admin]:
            # reached: answered, or refused for what the empty post holds (422, 409)
            ok = status in (200, 303, 409, 422) and "/auth/login" not in location
        elif endpoint == "campaigns.index":  # where log-in leads: on to the admin's own area
            ok = status == 303 and location == {"sysadmin": "/accounts/",
                                                "secadmin": "/accounts/roles",
                                                "auditadmin": "/audit/"}[admin]
        elif endpoint in public:  # a rater's pages: what anybody gets, or less
            ok = status in (anonymous[endpoint][0], 403)
        else:
            ok = status == 403 or endpoint in LOG_IN_OUT
        if not ok:
            failures.append(f"{endpoint}: {status} {location}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", BUSINESS)
def test_business_roles_reach_no_administrator_page(app, world, role):
    seen = statuses(app, world, role)
    reached = {endpoint: status for endpoint, (status, _location) in seen.items()
               if endpoint in ADMIN_PAGES and status != 403}
    assert reached == {}
    audit_log = {seen["audit.index"][0], seen["audit.export"][0]}
    assert audit_log == ({200} if role == "auditor" else {403})


def test_the_administrator_sees_no_campaign_in_the_navigation(app, world):
    client = app.test_client()
    login(client, "sysadmin")
    page = client.get("/accounts/").get_data(as_text=True)
    assert "账号管理" in page and 'href="/campaigns/"' not in page
    login(secadmin := app.test_client(), "secadmin")
    assert "角色与权限" in secadmin.get("/accounts/roles").get_data(as_text=True)
    login(auditadmin := app.test_client(), "auditadmin")
    shown = auditadmin.get("/audit/").get_data(as_text=True)
    assert "操作日志" in shown and 'href="/campaigns/"' not in shown
