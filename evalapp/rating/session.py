"""What a rater's browser session holds between entering and the receipt.

The ticket's hash (so the rater need not keep the code in the address bar) and one receipt
code per subject, chosen on entering. Choosing the receipts before submitting is what makes a
double tap harmless: both submits carry the same receipts, so the one that loses the race can
see that its ballots are stored and show the same receipt page. The session is a signed cookie
on the rater's own phone; the server keeps no copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import session

from evalapp.tickets.tokens import new_receipt_code

KEY = "rater"


@dataclass(frozen=True)
class RaterSession:
    token_hash: str
    campaign_id: int
    receipts: dict[int, str]  # subject id: receipt code

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


def load() -> RaterSession | None:
    data = session.get(KEY)
    if not isinstance(data, dict):
        return None
    try:
        return RaterSession(
            str(data["ticket"]),
            int(data["campaign"]),
            {int(subject): str(code) for subject, code in data["receipts"].items()},
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
