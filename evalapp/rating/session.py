"""What a rater's browser session holds between entering and the receipt.

The ticket's hash (so the rater need not keep the code in the address bar) and one receipt
code per subject, chosen on entering. Choosing the receipts before submitting is what makes a
double tap harmless: both submits carry the same receipts, so the one that loses the race can
see that its ballots are stored and show the same receipt page. The session is a signed cookie
on the rater's own phone; the server keeps no copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import session

from evalapp.tickets.tokens import new_receipt_code

KEY = "rater"


@dataclass(frozen=True)
class RaterSession:
    token_hash: str
    campaign_id: int
    receipts: dict[int, str]  # subject id: receipt code
    # subject id: why its submitted ballot is void (a `verdict.Void`), for the receipt page
    void: dict[int, str] = field(default_factory=dict)

    def receipt_list(self) -> list[str]:
        return [self.receipts[subject] for subject in sorted(self.receipts)]


def start(token_hash: str, campaign_id: int, subject_ids: tuple[int, ...]) -> RaterSession:
    """Enter with a ticket; entering again with the same ticket keeps the receipts."""
    current = load()
    if current and current.token_hash == token_hash:
        return current
    rater = RaterSession(
        token_hash, campaign_id, {subject: new_receipt_code() for subject in subject_ids}
    )
    session[KEY] = {
        "ticket": rater.token_hash,
        "campaign": rater.campaign_id,
        "receipts": {str(subject): code for subject, code in rater.receipts.items()},
    }
    return rater


def record_void(reasons: dict[int, str]) -> None:
    """Keep on the phone which of the ballots just submitted are void, and why, so that the
    receipt tells the rater whether each counts."""
    session[KEY] = {**session[KEY], "void": {str(subject): r for subject, r in reasons.items()}}


def load() -> RaterSession | None:
    data = session.get(KEY)
    if not isinstance(data, dict):
        return None
    try:
        return RaterSession(
            str(data["ticket"]),
            int(data["campaign"]),
            {int(subject): str(code) for subject, code in data["receipts"].items()},
            {int(subject): str(why) for subject, why in data.get("void", {}).items()},
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
