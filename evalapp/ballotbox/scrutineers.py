"""Scrutineer custody (监票人保管): each share of a box's key reaches one scrutineer only, and
the k shares meet only in the memory of the process that opens the box.

1. **Enrolment.** A scrutineer (an account with Role.SCRUTINEER) sets a custody passphrase
   in their own session. Argon2id (libsodium through PyNaCl) turns it into an X25519 key
   pair; the public half and the salt are stored, the passphrase and the private half never.
2. **Opening the campaign.** The organiser chooses k and n enrolled scrutineers. The secret
   is split (`custody.split_key`) and each share is sealed (libsodium sealed box) to its
   scrutineer's public key in the same request; only the sealed shares are stored. No page
   shows a share, to the organiser or to anyone.
3. **Confirming.** Each scrutineer, in their own session, checks that their passphrase opens
   their share (it is decrypted in the request and dropped): the organiser sees who has
   confirmed, never a share. A key swapped in the database before the opening shows here.
4. **Closing.** The organiser starts a ceremony: the process that will open the box makes a
   fresh key pair and keeps its private half in memory only (`closing.start_ceremony`).
   Each scrutineer, in their own session, releases their share: their passphrase opens it
   in that request, and it is stored again sealed to the ceremony's public key. The waiting
   process opens what has been released and, once k shares fit (`custody.fit_shares`),
   opens the box; shares that do not fit are named.

What a database reader (with the instance folder) learns, even during the ceremony: who
holds a share of which campaign, who has confirmed and who has released, and sealed shares
that open only with a passphrase or with a key that is in no file and no table. Who can
write the database can swap a custody key or a ceremony key and so collect the shares
released to it; they could as well swap the box's own public key: the box assumes a
database that is read, not rewritten (README, "Anonymity").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.pwhash import argon2id
from nacl.utils import random as random_bytes
from werkzeug.security import check_password_hash

from evalapp.audit.operations import record
from evalapp.auth.models import Role, User, password_problems
from evalapp.ballotbox.custody import SECRET_BYTES, KeyShare
from evalapp.ballotbox.models import CustodyKey, CustodyShare
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.database import utcnow
from evalapp.extensions import db
from evalapp.units.operations import subtree_ids

# libsodium's costs for interactive use (2 passes over 64 MiB), stored with each key so that
# they can be raised for new enrolments without locking out the earlier ones.
OPSLIMIT = argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT = argon2id.MEMLIMIT_INTERACTIVE


class PassphraseRefused(ValueError):
    """A custody passphrase not accepted at enrolment; `reasons` in the reader's language."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


class WrongPassphrase(ValueError):
    """The passphrase does not open this scrutineer's share."""


def enrol(user: User, passphrase: str) -> CustodyKey:
    """Set (or replace) `user`'s custody key. PassphraseRefused when the passphrase is weak,
    is their log-in password (a stolen session or password must not open a share), or when
    they hold a share of a campaign not yet closed (it is sealed to the old key)."""
    reasons = password_problems(passphrase, user.username)
    if check_password_hash(user.password_hash, passphrase):
        reasons.append(_("The custody passphrase must not be your log-in password."))
    if held_shares(user, open_only=True):
        reasons.append(_("You hold a share of a campaign not yet closed, sealed to your "
                         "present passphrase: it can be changed once that campaign is "
                         "closed."))
    if reasons:
        raise PassphraseRefused(reasons)
    salt = random_bytes(argon2id.SALTBYTES)
    key = db.session.get(CustodyKey, user.id) or CustodyKey(user_id=user.id)
    key.salt, key.opslimit, key.memlimit, key.enrolled_at = salt, OPSLIMIT, MEMLIMIT, utcnow()
    key.public_key = bytes(_private_key(passphrase, key).public_key)
    db.session.add(key)
    record("custody.enrol", user=user)
    db.session.flush()
    return key


def _private_key(passphrase: str, key: CustodyKey) -> PrivateKey:
    return PrivateKey(argon2id.kdf(PrivateKey.SIZE, passphrase.encode("utf-8"), key.salt,
                                   opslimit=key.opslimit, memlimit=key.memlimit))


@dataclass(frozen=True)
class Candidate:
    """A scrutineer the organiser may choose; only the enrolled can hold a share."""

    user_id: int
    name: str
    unit: str
    enrolled: bool


def candidates(campaign: Campaign) -> list[Candidate]:
    """The active scrutineers of the campaign's unit and the units below it."""
    users = db.session.scalars(
        sa.select(User).where(User.role == Role.SCRUTINEER, User.active,
                              User.unit_id.in_(subtree_ids(campaign.unit_id)))
        .order_by(User.display_name, User.id)).all()
    enrolled = set(db.session.scalars(sa.select(CustodyKey.user_id).where(
        CustodyKey.user_id.in_([user.id for user in users]))))
    return [Candidate(user.id, user.display_name, user.unit.name_zh, user.id in enrolled)
            for user in users]


def entrust(campaign: Campaign, custodians: Sequence[int], shares: Sequence[KeyShare]) -> None:
    """Store each share sealed to its scrutineer's custody key (the campaign's box key is
    set). LookupError when one of them has no custody key."""
    assert campaign.box_public_key is not None and len(custodians) == len(shares)
    keys = {key.user_id: key for key in db.session.scalars(
        sa.select(CustodyKey).where(CustodyKey.user_id.in_(custodians)))}
    for user_id, share in zip(custodians, shares, strict=True):
        if user_id not in keys:
            raise LookupError(f"scrutineer {user_id} has no custody key")
        sealed = SealedBox(PublicKey(keys[user_id].public_key)).encrypt(
            share_payload(campaign.box_public_key, share))
        db.session.add(CustodyShare(campaign_id=campaign.id, user_id=user_id,
                                    number=share.number, sealed=sealed))
    db.session.flush()


def share_payload(box_public_key: bytes, share: KeyShare) -> bytes:
    """What is sealed: the box's public key, the share's number and its value."""
    return box_public_key + bytes([share.number]) + share.value


def _read_payload(box_public_key: bytes, number: int, payload: bytes) -> KeyShare | None:
    """The share in a payload, or None when it names another box or another number."""
    share = KeyShare(payload[32], payload[33:])
    if (payload[:32] != box_public_key or share.number != number
            or len(share.value) != SECRET_BYTES):
        return None
    return share


def is_entrusted(campaign: Campaign) -> bool:
    """Whether the campaign's shares are with scrutineers' custody keys (else, when it has a
    threshold, they were printed on slips, as before issue 23)."""
    return bool(db.session.scalar(sa.select(sa.exists().where(
        CustodyShare.campaign_id == campaign.id))))


def custodians(campaign: Campaign) -> list[CustodyShare]:
    """The campaign's shares in custody, by number, with their scrutineers."""
    return list(db.session.scalars(sa.select(CustodyShare).where(
        CustodyShare.campaign_id == campaign.id).order_by(CustodyShare.number)))


def held_shares(user: User, *, open_only: bool = False) -> list[CustodyShare]:
    """The shares `user` holds, newest campaign first."""
    query = (sa.select(CustodyShare).join(Campaign)
             .where(CustodyShare.user_id == user.id).order_by(Campaign.id.desc()))
    if open_only:
        query = query.where(Campaign.status != CampaignStatus.CLOSED)
    return list(db.session.scalars(query))


def held_share(user: User, campaign_id: int) -> CustodyShare | None:
    return db.session.scalar(sa.select(CustodyShare).where(
        CustodyShare.user_id == user.id, CustodyShare.campaign_id == campaign_id))


def _opened(user: User, share: CustodyShare, passphrase: str) -> bytes:
    key = db.session.get(CustodyKey, user.id)
    if key is None:
        raise WrongPassphrase()
    try:
        return SealedBox(_private_key(passphrase, key)).decrypt(share.sealed)
    except CryptoError:
        raise WrongPassphrase() from None


def confirm(user: User, share: CustodyShare, passphrase: str) -> None:
    """The scrutineer's passphrase opens their share (in this request only, then dropped).
    WrongPassphrase otherwise."""
    _opened(user, share, passphrase)
    share.confirmed_at = share.confirmed_at or utcnow()
    record("custody.confirm", user=user, campaign=share_campaign(share), share=share.number)


def release(user: User, share: CustodyShare, passphrase: str, ceremony: bytes) -> None:
    """Give the share to the closing ceremony whose public key is `ceremony`: opened with the
    passphrase and sealed again to that key, in this request only. WrongPassphrase."""
    payload = _opened(user, share, passphrase)
    share.released = SealedBox(PublicKey(ceremony)).encrypt(payload)
    share.confirmed_at = share.confirmed_at or utcnow()
    record("custody.release", user=user, campaign=share_campaign(share), share=share.number)


def share_campaign(share: CustodyShare) -> Campaign:
    return db.session.get_one(Campaign, share.campaign_id)


def clear_releases(campaign_id: int) -> None:
    """Before a new ceremony: shares released to an earlier one are sealed to a key gone."""
    db.session.execute(sa.update(CustodyShare).where(CustodyShare.campaign_id == campaign_id)
                       .values(released=None))


@dataclass(frozen=True)
class Released:
    offered: list[tuple[int, KeyShare]]  # (share number, share) opened with the ceremony key
    unfit: list[int]  # numbers released that the ceremony key does not open, or forged


def released_shares(campaign_id: int, ceremony: PrivateKey) -> Released:
    """The shares released so far to the ceremony whose private key is given."""
    campaign = db.session.get_one(Campaign, campaign_id)
    assert campaign.box_public_key is not None
    offered, unfit = [], []
    for number, sealed in db.session.execute(
            sa.select(CustodyShare.number, CustodyShare.released).where(
                CustodyShare.campaign_id == campaign_id, CustodyShare.released.is_not(None))):
        try:
            share = _read_payload(campaign.box_public_key, number,
                                  SealedBox(ceremony).decrypt(sealed))
        except CryptoError:
            share = None
        if share is None:
            unfit.append(number)
        else:
            offered.append((number, share))
    return Released(offered, unfit)


def forget_shares(_sender: object, campaign: Campaign) -> None:
    """Once the box is open its key is gone: the sealed shares go too (`box_opened`)."""
    db.session.execute(sa.delete(CustodyShare).where(CustodyShare.campaign_id == campaign.id))
    db.session.commit()
