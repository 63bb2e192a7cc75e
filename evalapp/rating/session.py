"""What a rater's browser session holds between entering and the receipt.

While rating: the ticket's hash (so the rater need not keep the code in the address bar), one
receipt code per subject and a random spend mark, all chosen on entering. Choosing them before
submitting is what makes a double tap harmless: both submits carry the same mark, so the one
that loses the race sees that the ticket was spent with its own mark and shows the same
receipt page. Once the ballot is stored the session forgets the ticket's hash and the mark
and keeps only the receipts, so a phone's cookie read later links no receipt to a ticket. The
session is a signed cookie on the rater's own phone; the server keeps no copy of it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask import session

from evalapp.tickets.tokens import new_receipt_code

KEY = "rater"


@dataclass(frozen=True)
class RaterSession:
    campaign_id: int
    receipts: dict[int, str]  # subject id: receipt code
    token_hash: str | None = None  # None once the ballot is stored
    mark: str | None = None
    # subject id: why its submitted ballot is void (a `verdict.Void`), for the receipt page
    void: dict[int, str] = field(default_factory=dict)
    # The campaign's opening time and the ticket's subjects in their order, as the ticket was
    # found on entering: with them a submit and the receipt find the questionnaire this
    # process keeps without asking the database (the submit checks the ticket, locked).
    # None and () in a session written before they were kept.
    opened_at: datetime | None = None
    subject_ids: tuple[int, ...] = ()

    @property
    def stored(self) -> bool:
        return self.token_hash is None

    def receipt_list(self) -> list[str]:
        return [self.receipts[subject] for subject in sorted(self.receipts)]


def start(token_hash: str, campaign_id: int, subject_ids: tuple[int, ...],
          opened_at: datetime | None) -> RaterSession:
    """Enter with a ticket; entering again with the same ticket keeps receipts and mark."""
    current = load()
    if current and current.token_hash == token_hash:
        return current
    rater = RaterSession(
        campaign_id, {subject: new_receipt_code() for subject in subject_ids},
        token_hash, secrets.token_hex(16), opened_at=opened_at, subject_ids=subject_ids,
    )
    _save(rater)
    return rater


def forget_ticket(rater: RaterSession) -> RaterSession:
    """The ballot is stored: keep the receipts, drop what points at the ticket."""
    stored = RaterSession(rater.campaign_id, rater.receipts, void=rater.void,
                          opened_at=rater.opened_at)
    _save(stored)
    return stored


def _save(rater: RaterSession) -> None:
    data: dict[str, object] = {
        "campaign": rater.campaign_id,
        "receipts": {str(subject): code for subject, code in rater.receipts.items()},
    }
    if rater.token_hash is not None:
        data |= {"ticket": rater.token_hash, "mark": rater.mark}
    if rater.void:
        data["void"] = {str(subject): why for subject, why in rater.void.items()}
    if rater.opened_at is not None:
        data["opened"] = rater.opened_at.isoformat()
    if rater.subject_ids and not rater.stored:
        data["subjects"] = list(rater.subject_ids)
    session[KEY] = data


def record_void(reasons: dict[int, str]) -> None:
    """Keep on the phone which of the ballots just submitted are void, and why, so that the
    receipt tells the rater whether each counts."""
    session[KEY] = {**session[KEY], "void": {str(subject): r for subject, r in reasons.items()}}


def load() -> RaterSession | None:
    data = session.get(KEY)
    if not isinstance(data, dict):
        return None
    try:
        ticket = data.get("ticket")
        return RaterSession(
            int(data["campaign"]),
            {int(subject): str(code) for subject, code in data["receipts"].items()},
            None if ticket is None else str(ticket),
            None if ticket is None else str(data["mark"]),
            {int(subject): str(why) for subject, why in data.get("void", {}).items()},
            datetime.fromisoformat(data["opened"]) if "opened" in data else None,
            tuple(int(subject) for subject in data.get("subjects", ())),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
