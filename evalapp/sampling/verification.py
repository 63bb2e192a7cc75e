"""A draw's verification in words, the same on the auditors' page and at the console
(`evalapp verify-draw`): one line per check, saying plainly whether it matches."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from analysis.commitment import DrawCheck
from evalapp.roster.models import SampleDraw
from evalapp.sampling.operations import verify_draw

CHECK_LABELS = {
    "roster": _l("Roster fingerprint: the roster as stored now is the one the draw used"),
    "commitment": _l("Commitment: SHA-256 of the revealed secret, the roster fingerprint and "
                     "the parameters is the commitment published before the draw"),
    "witness": _l("Witness value: what was typed, normalised, is the value recorded"),
    "seed": _l("Seed: SHA-256 of the secret and the witness value is the seed recorded"),
    "allocation": _l("Allocation: the number drawn from each group follows from the roster "
                     "and the parameters"),
    "sample": _l("Sample: drawing again from the roster with the seed gives the people "
                 "recorded"),
}
SHOWN_DIFFERENCES = 20  # people named in a mismatched sample; the rest are counted


@dataclass(frozen=True)
class Line:
    ok: bool
    text: str  # the check, in the reader's language
    detail: str  # what differs, empty when it matches


@dataclass(frozen=True)
class Verification:
    """`matches` when every check does; `legacy` for a draw made before commitments, whose
    seed was chosen by the system or the organiser."""

    lines: tuple[Line, ...]
    matches: bool
    legacy: bool

    def verdict(self) -> str:
        if not self.matches:
            return _("The record does NOT match: the draw cannot be reproduced from it (see "
                     "each line marked ✗).")
        if self.legacy:
            return _("Legacy draw: the seed was chosen by the system or the organiser and no "
                     "commitment was published before it. The sample follows from the roster "
                     "and that seed, but nothing shows the seed was not picked to suit.")
        return _("The record matches: the sample follows from the roster, the published "
                 "commitment, the witness value and the revealed secret.")


def verification(draw: SampleDraw) -> Verification:
    """Every check of `verify_draw`, in words. Raises what verify_draw raises."""
    return in_words(verify_draw(draw), legacy=not draw.committed)


def in_words(checks: tuple[DrawCheck, ...], *, legacy: bool) -> Verification:
    """Checks of analysis.check_draw, in words (a record file's too)."""
    return Verification(tuple(Line(check.ok, str(CHECK_LABELS[check.name]), _detail(check))
                              for check in checks),
                        all(check.ok for check in checks), legacy)


def _detail(check: DrawCheck) -> str:
    if check.ok:
        return ""
    if check.name == "sample":
        missing = [member[1:] for member in check.differences if member.startswith("-")]
        extra = [member[1:] for member in check.differences if member.startswith("+")]
        return _("recorded %(recorded)s people, recomputed %(recomputed)s; on the record only: "
                 "%(missing)s; recomputed only: %(extra)s", recorded=check.recorded,
                 recomputed=check.recomputed, missing=_names(missing), extra=_names(extra))
    return _("recorded %(recorded)s, recomputed %(recomputed)s",
             recorded=check.recorded or "—", recomputed=check.recomputed or "—")


def _names(members: list[str]) -> str:
    if not members:
        return "—"
    shown = "、".join(members[:SHOWN_DIFFERENCES])
    if len(members) > SHOWN_DIFFERENCES:
        shown += _(" and %(count)d more", count=len(members) - SHOWN_DIFFERENCES)
    return shown
