"""The second factor: time-based one-time codes (TOTP, RFC 6238, by pyotp) and one-time
recovery codes (GB/T 22239-2019 8.1.4.1 d: 两种或两种以上组合的鉴别技术).

- The secret is a credential: it is stored encrypted (PyNaCl's SecretBox, XSalsa20-Poly1305)
  with the app's CREDENTIAL_KEY, which lives in the instance folder or the environment, never
  in the database, so a reader of the database (or of a backup) cannot compute codes.
- A code works once: the account keeps the last time step whose code was accepted, and a code
  is accepted only by an UPDATE that raises it (`WHERE totp_last_step < step`), so a replayed
  code — also by two requests at once — finds no row to update.
- Recovery codes are random (80 bits), shown once, stored as SHA-256 hashes and spent by an
  UPDATE that succeeds only while the code is unused.
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
from datetime import datetime

import numpy as np
import pyotp
import sqlalchemy as sa
import zxingcpp
from flask import current_app
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox
from PIL import Image

from evalapp.auth.events import announce
from evalapp.auth.models import RecoveryCode, User
from evalapp.extensions import db

ISSUER = "evalapp"
RECOVERY_CODES = 10
DRIFT_STEPS = 1  # a code of the step before or after is accepted too (clock drift, typing)
UNSPENT = RecoveryCode.used_at.is_(None)  # what makes a recovery code work only once


class WrongCode(ValueError):
    """The code is not the authenticator's current one, or was used already."""


def new_secret() -> str:
    """A fresh secret, base32 (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_data_uri(text: str) -> str:
    """`text` as a QR code (error level M, 6 pixels a module) in a PNG data: address, for an
    <img> (the pages allow data: images); encoded by zxing-cpp, as the tickets are."""
    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    png = io.BytesIO()
    Image.fromarray(np.asarray(code.to_image(scale=6, add_quiet_zones=True))).save(png, "PNG")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()


def _box() -> SecretBox:
    return SecretBox(bytes.fromhex(current_app.config["CREDENTIAL_KEY"]))


def seal(secret: str) -> bytes:
    return bytes(_box().encrypt(secret.encode("ascii")))


def unseal(sealed: bytes) -> str:
    """Raises nacl's CryptoError under another key than the one that sealed it."""
    return _box().decrypt(sealed).decode("ascii")


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (30-second counter) within DRIFT_STEPS of `now` whose code is `code`.
    A code with characters other than ASCII (digits such as "¹²³" pass str.isdigit) is no
    code: the constant-time comparison would raise on it."""
    if not code.isascii():
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code.strip()):
            return candidate
    return None


def spend_step(user: User, step: int) -> bool:
    """Record `step` as `user`'s last accepted one unless it (or a later one) was already: the
    replay check and the record in one UPDATE, so two requests cannot both pass it."""
    spent = db.session.execute(
        sa.update(User)
        .where(User.id == user.id,
               sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .returning(User.id)).first()
    return spent is not None


def check_code(user: User, code: str, now: datetime) -> None:
    """Accept `user`'s authenticator code once; raises WrongCode for a wrong, stale or replayed
    code, or a secret that the current key cannot open."""
    try:
        secret = unseal(user.totp_secret or b"")
    except CryptoError as error:
        raise WrongCode from error
    step = matching_step(secret, code, now)
    if step is None or not spend_step(user, step):
        raise WrongCode


def check_second_factor(user: User, code: str, now: datetime) -> None:
    """Accept `code` as `user`'s second factor: six digits from the authenticator
    (`check_code`), anything else a recovery code (`use_recovery_code`). Raises WrongCode."""
    if code.strip().isdigit():
        check_code(user, code, now)
    else:
        use_recovery_code(user, code, now)


def enrol(user: User, secret: str, code: str, now: datetime) -> list[str]:
    """Give `user` the second factor `secret`, once `code` shows their authenticator has it;
    returns the new recovery codes (to show once; earlier ones stop working). Raises
    WrongCode. The caller commits (the enrolment is audited with it)."""
    step = matching_step(secret, code, now)
    if step is None:
        raise WrongCode
    user.totp_secret, user.totp_last_step = seal(secret), step
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    announce("security.second_factor", user)
    return codes


def use_recovery_code(user: User, code: str, now: datetime) -> None:
    """Spend one of `user`'s recovery codes; raises WrongCode for an unknown or used one."""
    spent = db.session.execute(
        sa.update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, UNSPENT, RecoveryCode.code_hash == _hash(code))
        .values(used_at=now)
        .returning(RecoveryCode.id)).first()
    if spent is None:
        raise WrongCode
    announce("security.recovery_code", user)


def _recovery_code() -> str:
    """16 base32 characters (80 bits) in groups of four, e.g. "ABCD-EFGH-JKLM-NPQR"."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode()
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _hash(code: str) -> str:
    """Recovery codes are compared without case, spaces or hyphens, as people type them."""
    normal = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normal.encode()).hexdigest()
