"""Directory log-in (LDAP) against a real OpenLDAP server started for this module: directory
passwords, group-made accounts, and the attacks the log-in must withstand (an empty password,
a name that injects into the filter), each shown to succeed with its defence switched off;
with the directory down or hung, a plain Chinese refusal while local accounts still log in."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
import trustme
from ldap3.core import connection as ldap3_connection
from ldap3.operation.bind import bind_operation
from ldap3.operation.search import parse_filter
from ldap3.protocol.rfc4511 import AuthenticationChoice, Simple

from evalapp.audit.models import AuditEntry
from evalapp.auth import directory, lockout, oidc
from evalapp.auth.credentials import Refusal, authenticate
from evalapp.auth.models import Role, User
from evalapp.config import ENVIRONMENT
from evalapp.extensions import db
from evalapp.paths import PROJECT_DIR
from tests.support import slapd
from tests.support.factories import PASSWORD, make_directory_world, make_user
from tests.support.web import login

pytestmark = pytest.mark.skipif(
    not slapd.available(),
    reason="NO OpenLDAP slapd here: the directory log-in is NOT tested "
           "(apt-get install slapd ldap-utils; scripts/test.py installs them)")

ALICE, BOB, MALLORY = (slapd.PASSWORDS[name] for name in ("alice", "bob", "mallory"))
DOWN = "暂时无法连接统一身份认证服务"
NOWHERE = slapd.Slapd(Path("/nonexistent"), port=1)  # for settings that are never used
WRONG = "用户名或密码错误"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    started = slapd.Slapd(tmp_path_factory.mktemp("slapd")).start()
    yield started
    started.stop()


def directory_config(server: slapd.Slapd) -> dict:
    """StartTLS on (the default), with the test directory's CA as the trusted one."""
    return {
        "LDAP_URL": server.url, "LDAP_CA_FILE": str(server.ca_file),
        "LDAP_BIND_DN": slapd.SERVICE_DN,
        "LDAP_BIND_PASSWORD": slapd.SERVICE_PASSWORD, "LDAP_USER_BASE": slapd.PEOPLE,
        # Only staff may log in: mallory, a contractor, is kept out by the filter.
        "LDAP_USER_FILTER": slapd.STAFF_FILTER, "LDAP_TIMEOUT": "1",
        "LDAP_GROUP_ROLES": f'{{"{slapd.ORGANISERS_GROUP}": ["organiser", "宁波海关"]}}',
    }


def with_accounts(app):
    """A local system administrator ("admin", the emergency account) and bob, a leader whose
    password is the directory's."""
    with app.app_context():
        make_directory_world("bob")
        db.session.commit()
    return app


@pytest.fixture
def app(make_app, server):
    return with_accounts(make_app(**directory_config(server)))


def logged_in_as(client) -> str | None:
    with client.session_transaction() as session:
        user_id = session.get("_user_id", "").partition(".")[0]
    if not user_id:
        return None
    with client.application.app_context():
        return db.session.get(User, int(user_id)).username


def test_a_directory_user_logs_in_with_the_directory_password(client):
    assert login(client, "bob", BOB).status_code == 302
    assert logged_in_as(client) == "bob"
    assert client.get("/campaigns/").status_code == 200


def test_a_member_of_a_mapped_group_gets_an_account_at_first_log_in(app, client):
    assert login(client, "alice", ALICE).status_code == 302
    with app.app_context():
        alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
        assert (alice.role, alice.unit.name_zh, alice.directory) == (
            Role.ORGANISER, "宁波海关", True)
        assert alice.password_hash is None and alice.display_name == "Alice 同志"
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.action == "login.directory_account"))
        assert (entry.user_id, entry.detail) == (
            alice.id, {"directory_group": slapd.ORGANISERS_GROUP})


@pytest.mark.parametrize(("username", "password"), [
    ("bob", ALICE),  # another person's directory password
    ("bob", PASSWORD),  # a local password: bob has none
    ("mallory", MALLORY),  # right password, kept out by the filter
    ("carol", ALICE),  # no such person
    ("张三", "任意一个密码"),  # no such person, in Chinese
    ("bob", "\u200b\u00ad"),  # characters SASLprep (RFC 4013) maps to nothing: empty
])
def test_wrong_passwords_and_people_outside_the_filter_are_refused(client, username, password):
    response = login(client, username, password)
    assert response.status_code == 401
    assert WRONG in response.get_data(as_text=True)
    assert logged_in_as(client) is None


def test_the_directory_never_opens_a_local_account(app, client):
    """Local "admin" is not the directory's: the directory's alice cannot become local
    "Alice" by typing her name in another case."""
    with app.app_context():
        make_user("Alice", db.session.get(User, 1).unit)
        db.session.commit()
    assert login(client, "ALICE", ALICE).status_code == 401
    assert login(client, "Alice", ALICE).status_code == 401
    assert logged_in_as(client) is None


# An empty password. The form refuses it, so the check is called directly: it is what any
# other way in (OpenID Connect aside) would call.

class BindSpy:
    def __init__(self, monkeypatch):
        self.names: list[str] = []
        original = ldap3_connection.bind_operation

        def spied(version, authentication, name, password, **options):
            self.names.append(name)
            return original(version, authentication, name, password, **options)

        monkeypatch.setattr(ldap3_connection, "bind_operation", spied)


def test_an_empty_password_is_refused_before_any_bind(app, monkeypatch):
    spy = BindSpy(monkeypatch)
    with app.test_request_context():
        assert authenticate("bob", "").refusal is Refusal.WRONG
    assert spy.names == []


def empty_simple_bind(version, authentication, name, password, **options):
    """A bind request with the empty password sent as it is, as clients without ldap3's own
    refusal do (python-ldap, or an older ldap3)."""
    request = bind_operation(version, authentication, name, password or "x", **options)
    if not password:
        request["authentication"] = AuthenticationChoice().setComponentByName("simple", Simple(b""))
    return request


def test_attack_an_empty_password_opens_any_account_without_the_check(app, monkeypatch):
    monkeypatch.setattr(directory, "unauthenticated", lambda password: False)
    monkeypatch.setattr(ldap3_connection, "bind_operation", empty_simple_bind)
    with app.test_request_context():
        assert authenticate("bob", "").user.username == "bob"


# Names that inject into the filter. Escaped, each is looked up literally and finds no one.
# Unescaped, `ali*` finds alice: a guesser of her password varies the typed name (ali*,
# a*ice, *lice...) and slips past every limit counted per name.

INJECTIONS = ["*", "*)(uid=*", "ali*", "*lice", "alice)(uid=*"]


@pytest.mark.parametrize("username", INJECTIONS)
def test_names_that_inject_into_the_filter_are_refused(client, username):
    response = login(client, username, ALICE)
    assert response.status_code == 401
    assert logged_in_as(client) is None


@pytest.mark.parametrize("username", ["ali*", "*lice", "alice)(uid=*"])
def test_attack_an_unescaped_name_logs_in_as_someone(client, monkeypatch, username):
    monkeypatch.setattr(directory, "escape_filter_chars", lambda text: text)
    assert login(client, username, ALICE).status_code == 302
    assert logged_in_as(client) == "alice"


# The directory down or hung.

@pytest.fixture
def stopped_server(tmp_path):
    started = slapd.Slapd(tmp_path / "slapd").start()
    yield started
    started.stop()


def assert_plain_refusal(response) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert DOWN in page and "Traceback" not in page and "ldap3" not in page


def test_with_the_directory_stopped_log_in_says_so_and_local_accounts_work(
        make_app, stopped_server):
    stopped_server.stop()
    client = with_accounts(make_app(**directory_config(stopped_server))).test_client()
    assert_plain_refusal(login(client, "bob", BOB))
    assert_plain_refusal(login(client, "somebody", BOB))
    assert login(client, "admin", PASSWORD).status_code == 302
    assert logged_in_as(client) == "admin"


def test_a_hung_directory_is_given_up_after_the_timeout(make_app, stopped_server):
    client = with_accounts(make_app(**directory_config(stopped_server))).test_client()
    stopped_server.pause()  # accepts connections, answers nothing
    try:
        assert_plain_refusal(login(client, "bob", BOB))
    finally:
        stopped_server.resume()


# Someone posing as the directory (here: the directory with a certificate the app does not
# trust) must receive no password.

@pytest.fixture
def untrusting_app(make_app, server, tmp_path):
    """The app trusting another CA than the one that signed the directory's certificate."""
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    return with_accounts(make_app(**{**directory_config(server), "LDAP_CA_FILE": str(other_ca)}))


def test_a_directory_whose_certificate_is_not_trusted_gets_no_password(untrusting_app,
                                                                        monkeypatch):
    spy = BindSpy(monkeypatch)
    client = untrusting_app.test_client()
    assert_plain_refusal(login(client, "bob", BOB))
    assert spy.names == []
    assert login(client, "admin", PASSWORD).status_code == 302


def test_attack_without_the_certificate_check_the_password_goes_to_any_server(
        untrusting_app, monkeypatch):
    monkeypatch.setattr(directory, "CERTIFICATE_CHECK", ssl.CERT_NONE)
    spy = BindSpy(monkeypatch)
    client = untrusting_app.test_client()
    assert login(client, "bob", BOB).status_code == 302
    assert f"uid=bob,{slapd.PEOPLE}" in spy.names


# Accounts made on the command line, and what the database allows.

def test_create_user_directory_makes_an_account_without_a_local_password(make_app, server):
    app = with_accounts(make_app(**directory_config(server)))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "ALICE", "--directory", "--unit", "宁波海关"])
    assert result.exit_code == 0, result.output
    refused = runner.invoke(args=["create-user", "carol", "--directory", "--unit", "宁波海关",
                                  "--password", "a local password"])
    assert refused.exit_code == 1 and "no local password" in refused.output
    client = app.test_client()
    assert login(client, "alice", ALICE).status_code == 302  # the directory's case is its own
    assert logged_in_as(client) == "ALICE"


@pytest.mark.parametrize(("is_directory", "password_hash"), [
    (True, "scrypt:32768:8:1$salt$hash"),  # a directory account with a local password
    (False, None),  # a local account without one
])
def test_the_database_refuses_an_account_with_the_wrong_kind_of_password(
        app, is_directory, password_hash):
    with app.app_context():
        unit = db.session.get(User, 1).unit
        db.session.add(User(username="eve", display_name="Eve", role=Role.LEADER, unit=unit,
                            directory=is_directory, password_hash=password_hash))
        with pytest.raises(sa.exc.IntegrityError, match="password_is_hashed"):
            db.session.commit()
        db.session.rollback()


@pytest.mark.parametrize(("setting", "value"), [
    ("LDAP_URL", "http://directory.example"),
    ("LDAP_USER_FILTER", "(uid=alice)"),
    ("LDAP_GROUP_ROLES", '{"cn=admins,dc=example,dc=org": ["sysadmin", "宁波海关"]}'),
    ("LDAP_GROUP_ROLES", "not json"),
])
def test_settings_that_cannot_work_are_refused_at_start(setting, value):
    config = {**directory_config(NOWHERE), setting: value}
    with pytest.raises(directory.DirectoryMisconfigured):
        directory.settings_from(config)


# docs/directory.md: its settings are ones the app reads and accepts, and its commands run.

DOCS = (PROJECT_DIR / "docs" / "directory.md").read_text(encoding="utf-8")


def docs_commands() -> list[str]:
    """The shell blocks of the docs, continuation lines joined."""
    return [block.replace("\\\n", " ")
            for block in re.findall(r"```sh\n(.*?)```", DOCS, re.DOTALL)]


def docs_exports(block: str) -> dict[str, str]:
    return dict(shlex.split(line)[1].split("=", 1) for line in block.splitlines()
                if line.startswith("export "))


def test_the_docs_name_only_settings_the_app_reads():
    named = set(re.findall(r"EVALAPP_[A-Z_]+", DOCS))
    assert named and named <= set(ENVIRONMENT)


def test_the_docs_settings_are_accepted():
    blocks = [docs_exports(block) for block in docs_commands()]
    groups = next(block for block in blocks if "EVALAPP_LDAP_GROUP_ROLES" in block)
    examples = [block for block in blocks if "EVALAPP_LDAP_URL" in block]
    assert len(examples) == 2  # OpenLDAP and Active Directory
    for exports in examples:
        config = {ENVIRONMENT[name]: value for name, value in {**exports, **groups}.items()}
        settings = directory.settings_from(config)
        assert len(settings.group_roles) == 2
        parse_filter(directory.search_filter(settings, "zhang*san"), None, False, False,
                     None, False)  # raises for a filter the directory would not take
    provider = next(block for block in blocks if "EVALAPP_OIDC_ISSUER" in block)
    assert oidc.settings_from({ENVIRONMENT[name]: value for name, value in provider.items()})


def test_the_docs_commands_run(make_app, server):
    """The create-user command, then zhangsan's log-in with his directory password; and the
    ldapsearch check of the settings, with the test directory's settings."""
    app = with_accounts(make_app(**directory_config(server)))
    create_user = next(block for block in docs_commands() if "create-user" in block)
    result = app.test_cli_runner().invoke(args=shlex.split(create_user)[1:])
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), "zhangsan", slapd.PASSWORDS["zhangsan"]).status_code == 302
    if not shutil.which("ldapsearch"):
        pytest.skip("NO ldapsearch here (Debian's ldap-utils): the docs' check is not run")
    check = next(block for block in docs_commands() if "ldapsearch" in block)
    config = directory_config(server)
    environment = {**os.environ, **{name: str(config[key]) for name, key in ENVIRONMENT.items()
                                    if key in config}}
    searched = subprocess.run(["bash", "-c", check], env=environment, capture_output=True,
                              text=True, timeout=60)
    assert searched.returncode == 0, searched.stderr
    assert "uid: zhangsan" in searched.stdout


@pytest.mark.parametrize(("value", "start_tls"), [(None, True), ("on", True), ("off", False),
                                                   ("0", False), ("false", False)])
def test_start_tls_is_on_unless_switched_off(value, start_tls):
    config = {**directory_config(NOWHERE), "LDAP_START_TLS": value}
    if value is None:
        del config["LDAP_START_TLS"]
    assert directory.settings_from(config).start_tls is start_tls


# How the directory may be sent a name it takes for bob's (its matching folds width, case and
# spaces): each a name of its own to a lock-out that counted names as typed.
BOB_AS_TYPED = ["ｂｏｂ", "BOB", "ⓑob", "bob\u3000", "Ｂob\u2003"]


def guess_five_times_then_log_in_as(client, variant: str) -> int:
    statuses = [login(client, "bob", "wrong" + str(n)).status_code for n in range(5)]
    assert statuses[-1] == 423  # bob is locked
    return login(client, variant, BOB, address="192.0.2.7").status_code  # from elsewhere


@pytest.mark.parametrize("variant", BOB_AS_TYPED)
def test_a_locked_directory_account_stays_locked_whatever_the_spelling(client, variant):
    assert guess_five_times_then_log_in_as(client, variant) == 423
    assert logged_in_as(client) is None


def test_attack_with_names_counted_as_typed_a_spelling_unlocks_the_account(client,
                                                                          monkeypatch):
    monkeypatch.setattr(lockout, "key", lambda username: username.strip().casefold()[:64])
    assert guess_five_times_then_log_in_as(client, "ｂｏｂ") == 302
    assert logged_in_as(client) == "bob"
