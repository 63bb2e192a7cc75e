from __future__ import annotations

import secrets
from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from analysis.scoring import BLANK as BLANK_CODE
from analysis.scoring import DONT_KNOW as DONT_KNOW_CODE
from analysis.scoring import NOT_ASKED as NOT_ASKED_CODE
from evalapp.campaigns.models import Answer, DontKnow, Satisfaction, Scale
from evalapp.database import str_enum
from evalapp.extensions import db

COMMENT_MAX_LENGTH = 2000


def random_ballot_id() -> str:
    return secrets.token_hex(16)


# One character per item, in the questionnaire's order (frozen when the campaign opens): the
# answer's place on the item's scale ("0" 好 or 满意 … "3" 差), "x" 不了解, "-" blank. A
# ballot reads back as one short string, so the results of 100,000 ballots are one query and
# one numpy conversion, not millions of rows.
BLANK = "-"
DONT_KNOW = "x"
MAX_ITEMS = 200
# The codes as `analysis` reads them; any other byte (the padding of a subject with fewer
# items than the widest) is an item not asked.
_DECODE = np.full(256, NOT_ASKED_CODE, dtype=np.int8)
_DECODE[np.frombuffer(b"0123", dtype=np.uint8)] = range(4)
_DECODE[ord(BLANK)] = BLANK_CODE
_DECODE[ord(DONT_KNOW)] = DONT_KNOW_CODE


def encode_levels(answers: Sequence[Answer | None]) -> str:
    """Items' answers as their codes: a level or a satisfaction by its place on its own scale
    (the form offered each item only the answers of its scale), 不了解, or None (blank)."""
    return "".join(
        BLANK if answer is None else DONT_KNOW if answer is DontKnow.DONT_KNOW
        else str(list(type(answer)).index(answer)) for answer in answers)


def decode_answer(scale: Scale, code: str) -> Answer | None:
    """The answer a code stands for on `scale` (None: blank)."""
    if code == BLANK:
        return None
    return DontKnow.DONT_KNOW if code == DONT_KNOW else scale.answers[int(code)]


def decode_levels(levels: Sequence[str], width: int) -> np.ndarray:
    """Ballots' code strings as `analysis` codes, ballots × `width` (int8): shorter strings
    are padded with items not asked, so that subjects with fewer individual items line up."""
    joined = "".join(text.ljust(width, " ")[:width] for text in levels).encode("ascii")
    return _DECODE[np.frombuffer(joined, dtype=np.uint8)].reshape(len(levels), width)


class Ballot(db.Model):
    """One rater's answers about one subject.

    What is absent is the point: no ticket, person, address, device, time or receipt. The id
    is random and SQLite stores the table without rowid, ordered by that id, so not even
    storage order follows the order of submission. Ballots are never updated (a migration
    trigger refuses).
    """

    __tablename__ = "ballots"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["campaign_id", "subject_id"], ["subjects.campaign_id", "subjects.id"]
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "rater_group_id"], ["rater_groups.campaign_id", "rater_groups.id"]
        ),
        sa.CheckConstraint(
            f"comment IS NULL OR length(comment) <= {COMMENT_MAX_LENGTH}", name="comment_length"
        ),
        sa.CheckConstraint(
            f"length(levels) BETWEEN 1 AND {MAX_ITEMS} AND replace(replace(replace(replace("
            "replace(replace(levels, '0', ''), '1', ''), '2', ''), '3', ''), '-', ''), 'x', '')"
            " = ''",
            name="levels_codes",
        ),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=random_ballot_id)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    subject_id: Mapped[int] = mapped_column(index=True)
    rater_group_id: Mapped[int] = mapped_column(index=True)
    levels: Mapped[str] = mapped_column(sa.String(MAX_ITEMS))
    satisfaction: Mapped[Satisfaction | None] = mapped_column(
        str_enum(Satisfaction, "satisfaction")
    )
    comment: Mapped[str | None] = mapped_column(sa.Text)
    # Void because its ticket marked more candidates than a nomination allows: found when the
    # ticket's sealed box was opened, the one moment its ballots are seen together
    # (`analysis.nomination`).
    overvoted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class Receipt(db.Model):
    """A receipt of an opened box: the code a rater was shown, and whether its ballot is void.

    It proves inclusion and nothing more. No column links it to its ballot, and the rows are
    written at the opening in the order of their codes (random), apart from the ballots,
    which go in the order of their own random ids: neither a row's place nor its transaction
    pairs a receipt with a ballot, so knowing a rater's receipt tells nothing of what they
    answered. `void` is the one fact the public list says of each (a 废票 is received, and
    not counted in the results). SQLite keeps a rowid here, so a row's place is the order it
    was written in, which is the codes' order.
    """

    __tablename__ = "receipts"

    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    void: Mapped[bool]
