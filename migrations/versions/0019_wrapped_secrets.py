"""Secrets no node may keep to itself (issue 26): the private keys of open ballot boxes the
server holds, and prepared draws' secrets, in the database, wrapped under the key-encryption
key that every node has from its configuration, so that any node can close a campaign or make
a draw and no node's loss loses one. The paper keyings' key is no longer stored anywhere: it is
derived from the ticket's code the paper carries.

The key files of campaigns open during the upgrade (instance/ballot-box/*.key) and the secret
files of prepared draws (instance/draw-secrets/*.secret), on the server that made them, are
wrapped into the tables; the downgrade writes them back. The files are destroyed after the
upgrade's commit, not here (a file destroyed here would be lost with its wrapped copy if the
transaction rolled back): the box key files by `evalapp serve` after it migrates, and after
every opening (evalapp.ballotbox.keystore.destroy_legacy_key_files). A draw's secret file is left:
the secret is published with the draw's record once it is made or set aside.
Paper keyings made under the old keying key cannot be read under the new one, so the upgrade
is refused while a paper ballot is being keyed (key its second keying, or close, first).

Revision ID: a7b8c9d0e120
Revises: c3d2a4b5e619
Create Date: 2026-12-07 03:00:00

"""
import os
from pathlib import Path

from alembic import op
from flask import current_app
from nacl.exceptions import CryptoError
from nacl.secret import Aead
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7b8c9d0e120'
down_revision = 'c3d2a4b5e619'
branch_labels = None
depends_on = None

SERVER_HELD = ("SELECT box_public_key FROM campaigns "
               "WHERE status = 'open' AND box_threshold IS NULL")


def _aead():
    return Aead(bytes.fromhex(current_app.config["KEY_ENCRYPTION_KEY"]))


def _associated(public_key):
    return b"evalapp box key\x00" + public_key


def _key_file(public_key, suffix):
    return Path(current_app.instance_path) / "ballot-box" / f"{public_key.hex()}.{suffix}"


def _secret_file(commitment):
    return Path(current_app.instance_path) / "draw-secrets" / f"{commitment}.secret"


def _draw_context(commitment):
    return b"evalapp draw secret\x00" + commitment.encode("ascii")


PENDING_DRAWS = ("SELECT commitment FROM sample_draws WHERE commitment IS NOT NULL "
                 "AND drawn_at IS NULL AND abandoned_at IS NULL")


def _write_private(path, content):
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)


def upgrade():
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM paper_keyings")).scalar():
        raise RuntimeError(
            "有纸质票正在录入，请先完成第二遍录入或结束测评后再升级。 A paper ballot is being "
            "keyed: finish its keyings (or close its campaign) before this upgrade.")
    op.create_table(
        'box_keys',
        sa.Column('public_key', sa.LargeBinary(), nullable=False),
        sa.Column('wrapped', sa.LargeBinary(), nullable=False),
        sa.CheckConstraint('length(public_key) = 32',
                           name=op.f('ck_box_keys_box_key_public_key_length')),
        sa.CheckConstraint('length(wrapped) = 72',
                           name=op.f('ck_box_keys_box_key_wrapped_length')),
        sa.PrimaryKeyConstraint('public_key', name=op.f('pk_box_keys')),
    )
    op.create_table(
        'draw_secrets',
        sa.Column('commitment', sa.String(length=64), nullable=False),
        sa.Column('wrapped', sa.LargeBinary(), nullable=False),
        sa.CheckConstraint('length(wrapped) = 72',
                           name=op.f('ck_draw_secrets_draw_secret_wrapped_length')),
        sa.PrimaryKeyConstraint('commitment', name=op.f('pk_draw_secrets')),
    )
    for (public,) in bind.execute(sa.text(SERVER_HELD)).all():
        public = bytes(public)
        path = _key_file(public, "key")
        if not path.exists():
            raise RuntimeError(
                f"没有开箱密钥文件 {path}：请在开启该测评的服务器上升级。 The key file {path} "
                "of an open campaign is not here: upgrade on the server that opened it.")
        bind.execute(sa.text("INSERT INTO box_keys (public_key, wrapped) VALUES (:p, :w)"),
                     {"p": public, "w": bytes(_aead().encrypt(path.read_bytes(),
                                                              _associated(public)))})
    for (commitment,) in bind.execute(sa.text(PENDING_DRAWS)).all():
        path = _secret_file(commitment)
        try:
            secret = bytes.fromhex(path.read_text("ascii").strip())
        except (OSError, ValueError):
            continue  # lost already: the draw page says so, and it is set aside
        bind.execute(sa.text("INSERT INTO draw_secrets (commitment, wrapped) VALUES (:c, :w)"),
                     {"c": commitment, "w": bytes(_aead().encrypt(
                         secret, _draw_context(commitment)))})



def downgrade():
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM paper_keyings")).scalar():
        raise RuntimeError(
            "有纸质票正在录入，请先完成第二遍录入或结束测评后再降级。 A paper ballot is being "
            "keyed: finish its keyings (or close its campaign) before this downgrade (the "
            "older version cannot read keyings hidden under a key derived from the code).")
    try:
        _write_back(bind)
    except CryptoError:
        raise RuntimeError(
            "本服务器的密钥加密密钥打不开数据库中的密钥，未作任何更改。 This server's "
            "key-encryption key does not open the keys in the database: downgrade on a server "
            "configured with the EVALAPP_KEY_ENCRYPTION_KEY they were wrapped under.") from None
    op.drop_table('draw_secrets')
    op.drop_table('box_keys')


def _write_back(bind):
    """The wrapped keys and secrets as the files the older version reads: every one is
    unwrapped before the first file is written, so a key that does not unwrap writes none."""
    files = []
    for public, wrapped in bind.execute(sa.text("SELECT public_key, wrapped FROM box_keys")).all():
        public = bytes(public)
        files.append((_key_file(public, "key"),
                      _aead().decrypt(bytes(wrapped), _associated(public))))
    for commitment, wrapped in bind.execute(
            sa.text("SELECT commitment, wrapped FROM draw_secrets")).all():
        files.append((_secret_file(commitment), _aead().decrypt(
            bytes(wrapped), _draw_context(commitment)).hex().encode("ascii")))
    for path, content in files:
        _write_private(path, content)
