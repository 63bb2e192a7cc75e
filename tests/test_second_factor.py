"""The second factor (issue 22, part 4): TOTP enrolment with a QR code, the code as a second
log-in step that grants nothing before it, replays refused, recovery codes once, the three
administrators made to enrol, and a secret that a reader of the database cannot use; each
beside the attack that succeeds with the defence switched off."""

from __future__ import annotations

import base64
import io
import re

import pyotp
import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from evalapp.auth import account, gate, totp
from evalapp.auth.models import ADMINISTRATORS, Role, User
from evalapp.extensions import db
from tests.support.clock import Clock, app_at
from tests.support.factories import World, make_user
from tests.support.web import login, logout, post_form

QR = re.compile(r'src="data:image/png;base64,([^"]+)"')
CODES = re.compile(r"<code>([A-Z2-7]{4}(?:-[A-Z2-7]{4}){3})</code>")


def staff(world: World) -> None:
    make_user("organiser", world.customs)
    for role in ADMINISTRATORS:
        make_user(role.value, world.root, role)


@pytest.fixture
def app(make_app, clock):
    return app_at(make_app, clock, staff)


def enrol(client, clock: Clock) -> tuple[str, list[str]]:
    """Enrol the logged-in account: (its secret, its recovery codes)."""
    page = client.get("/account/second-factor").get_data(as_text=True)
    with client.session_transaction() as session:
        secret = session["enrolling_secret"]
    assert secret in page  # the key in text, for typing into the app
    png = base64.b64decode(QR.search(page).group(1))
    scanned = pyotp.parse_uri(zxingcpp.read_barcode(Image.open(io.BytesIO(png))).text)
    assert scanned.secret == secret and scanned.issuer == "evalapp"
    done = post_form(client, "/account/second-factor",
                     {"code": pyotp.TOTP(secret).at(clock.at)})
    codes = CODES.findall(done.get_data(as_text=True))
    assert len(set(codes)) == 10
    return secret, codes


def enrolled(app, client, clock: Clock, username: str = "organiser") -> tuple[str, list[str]]:
    login(client, username)
    secret, codes = enrol(client, clock)
    logout(client)
    return secret, codes


def second_step(client, code: str):
    return post_form(client, "/auth/code", {"code": code})


def test_log_in_asks_for_the_code_after_the_password(app, client, clock):
    secret, _codes = enrolled(app, client, clock)
    clock.move(seconds=30)
    assert login(client).headers["Location"] == "/auth/code"
    assert client.get("/campaigns/").status_code == 302  # the half-way state grants nothing
    assert second_step(client, "000000" if pyotp.TOTP(secret).at(clock.at) != "000000"
                       else "111111").status_code == 401
    assert second_step(client, pyotp.TOTP(secret).at(clock.at)).status_code == 302
    assert client.get("/campaigns/").status_code == 200


def log_in_with_code(app, clock, code: str) -> int:
    client = app.test_client()
    login(client)
    return second_step(client, code).status_code


def test_a_code_works_once(app, client, clock):
    secret, _codes = enrolled(app, client, clock)
    clock.move(seconds=30)
    code = pyotp.TOTP(secret).at(clock.at)
    assert log_in_with_code(app, clock, code) == 302
    assert log_in_with_code(app, clock, code) == 401  # replayed, within its 30 seconds
    clock.move(seconds=30)
    assert log_in_with_code(app, clock, pyotp.TOTP(secret).at(clock.at)) == 302


def test_with_replay_protection_switched_off_a_replayed_code_logs_in(app, client, clock,
                                                                       monkeypatch):
    secret, _codes = enrolled(app, client, clock)
    monkeypatch.setattr(totp, "spend_step", lambda user, step: True)
    clock.move(seconds=30)
    code = pyotp.TOTP(secret).at(clock.at)
    assert log_in_with_code(app, clock, code) == 302
    assert log_in_with_code(app, clock, code) == 302


def test_a_recovery_code_works_once(app, client, clock):
    _secret, codes = enrolled(app, client, clock)
    assert log_in_with_code(app, clock, codes[3].lower()) == 302
    assert log_in_with_code(app, clock, codes[3]) == 401
    assert log_in_with_code(app, clock, codes[4]) == 302
    with app.app_context():
        actions = db.session.scalars(sa.text("SELECT action FROM audit_entries")).all()
    assert actions.count("security.recovery_code") == 2
    assert actions.count("security.second_factor") == 1


def test_with_spent_codes_not_refused_a_recovery_code_works_again(app, client, clock,
                                                                  monkeypatch):
    monkeypatch.setattr(totp, "UNSPENT", sa.true())
    _secret, codes = enrolled(app, client, clock)
    assert log_in_with_code(app, clock, codes[0]) == 302
    assert log_in_with_code(app, clock, codes[0]) == 302


def test_wrong_codes_count_towards_the_lock_out(app, client, clock):
    enrolled(app, client, clock)
    login(client)
    statuses = [second_step(client, "12345" + str(n)).status_code for n in range(5)]
    assert statuses[-1] == 423


@pytest.mark.parametrize("role", sorted(role.value for role in ADMINISTRATORS))
def test_administrators_must_enrol_before_any_page(app, client, clock, role):
    assert login(client, role).headers["Location"] == "/account/second-factor"
    assert client.get("/campaigns/").headers["Location"] == "/account/second-factor"
    assert client.get("/security/settings").headers["Location"] == "/account/second-factor"
    enrol(client, clock)
    page = client.get("/campaigns/", follow_redirects=True)  # on to its own area
    assert page.status_code == 200 and page.request.path != "/account/second-factor"


def test_with_enrolment_not_required_an_administrator_goes_without(app, client, monkeypatch):
    monkeypatch.setattr(gate, "must_enrol", lambda user: False)
    login(client, Role.SECURITY_ADMIN.value)
    assert client.get("/security/settings").status_code == 200


def database_reader_code(app, clock: Clock) -> str | None:
    """The attack: compute the organiser's current code from what the database holds."""
    with app.app_context():
        stored = db.session.scalar(sa.select(User.totp_secret).where(
            User.username == "organiser"))
    try:
        return pyotp.TOTP(stored.decode("ascii")).at(clock.at)
    except (UnicodeDecodeError, ValueError, TypeError):
        return None


def test_the_database_alone_does_not_give_the_code(app, client, clock):
    secret, _codes = enrolled(app, client, clock)
    clock.move(seconds=30)
    code = database_reader_code(app, clock)
    assert code is None or log_in_with_code(app, clock, code) == 401
    with app.app_context():
        stored = db.session.scalar(sa.select(User.totp_secret).where(
            User.username == "organiser"))
        assert secret.encode() not in stored


def test_with_the_secret_stored_in_clear_the_database_gives_the_code(app, client, clock,
                                                                       monkeypatch):
    monkeypatch.setattr(totp, "seal", lambda secret: secret.encode("ascii"))
    monkeypatch.setattr(totp, "unseal", lambda sealed: sealed.decode("ascii"))
    enrolled(app, client, clock)
    clock.move(seconds=30)
    assert log_in_with_code(app, clock, database_reader_code(app, clock)) == 302


@pytest.mark.parametrize("code", ["¹²³⁴⁵⁶", "١٢٣٤٥٦", "12345é"])
def test_a_code_of_other_digits_is_refused_not_a_crash(app, client, clock, code):
    """The attack: digits that are not ASCII ("¹²³", Arabic-Indic) pass str.isdigit but made
    the constant-time comparison raise (a 500), at the enrolment and at the second step."""
    login(client)
    assert post_form(client, "/account/second-factor", {"code": code}).status_code == 422
    enrol(client, clock)
    logout(client)
    assert log_in_with_code(app, clock, code) == 401


def replace_factor(client, clock: Clock, current: str | None):
    """Post the enrolment page with a new authenticator's code (and `current`, a code of the
    factor in use); the new secret."""
    client.get("/account/second-factor")
    with client.session_transaction() as session:
        secret = session["enrolling_secret"]
    fields = {"code": pyotp.TOTP(secret).at(clock.at)}
    if current is not None:
        fields["current"] = current
    return post_form(client, "/account/second-factor", fields), secret


def test_a_session_alone_does_not_move_the_second_factor_to_another_phone(app, client, clock):
    """The attack: a session left open (or stolen) enrols the attacker's phone in place of
    the owner's, who is then locked out while the attacker logs in at will."""
    secret, codes = enrolled(app, client, clock)
    clock.move(seconds=30)
    login(client)
    assert second_step(client, pyotp.TOTP(secret).at(clock.at)).status_code == 302
    assert 'name="current"' in client.get("/account/second-factor").get_data(as_text=True)
    clock.move(seconds=30)
    response, _theirs = replace_factor(client, clock, current=None)
    assert response.status_code == 422
    response, _theirs = replace_factor(client, clock, current="000000")
    assert response.status_code == 422
    clock.move(seconds=30)
    assert log_in_with_code(app, clock, pyotp.TOTP(secret).at(clock.at)) == 302  # still theirs
    response, mine = replace_factor(client, clock, current=codes[0])  # the owner, knowing it
    assert response.status_code == 200
    clock.move(seconds=30)
    assert log_in_with_code(app, clock, pyotp.TOTP(mine).at(clock.at)) == 302


def test_attack_without_the_current_code_a_session_moves_the_second_factor(app, client, clock,
                                                                           monkeypatch):
    monkeypatch.setattr(account, "current_factor_refused", lambda user, form: None)
    secret, _codes = enrolled(app, client, clock)
    clock.move(seconds=30)
    login(client)
    assert second_step(client, pyotp.TOTP(secret).at(clock.at)).status_code == 302
    response, theirs = replace_factor(client, clock, current="000000")
    assert response.status_code == 200
    clock.move(seconds=30)
    assert log_in_with_code(app, clock, pyotp.TOTP(secret).at(clock.at)) == 401
    assert log_in_with_code(app, clock, pyotp.TOTP(theirs).at(clock.at)) == 302
