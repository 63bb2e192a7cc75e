"""A draw's verification in words, the same on the auditors' page and at the console
(`evalapp verify-draw`): one line per check, saying plainly whether it matches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from analysis.commitment import LEGACY, DrawCheck
from evalapp.roster.models import SampleDraw
from evalapp.sampling.operations import verify_draw

CHECK_LABELS = {
    "scheme": _l("Kind of draw: a draw prepared with a commitment stays one (only a draw "
                 "recorded before commitments existed reads as legacy)"),
    "history": _l("Earlier draws: every earlier draw of the campaign is on the record, each "
                  "redraw with its reason"),
    "roster": _l("Roster fingerprint: the roster as stored now is the one the draw used"),
    "commitment": _l("Commitment: SHA-256 of the revealed secret, the roster fingerprint and "
                     "the parameters is the commitment recorded when the draw was prepared "
                     "(whether it was published beforehand is said separately)"),
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


@dataclass(frozen=True)
class Publication:
    """Whether the commitment is shown to have been published before the draw: acknowledged
    as received by a second account (`by`, `at`) at least `margin` minutes (the setting
    DRAW_NOTICE_MARGIN_MINUTES) before it was drawn; `minutes` is how long before, None when
    not acknowledged or not yet drawn. Times come from the server, so the organiser cannot
    give them alone."""

    by: str | None
    at: datetime | None
    minutes: int | None
    margin: int

    @property
    def beforehand(self) -> bool:
        return self.minutes is not None and self.minutes >= self.margin

    def statement(self) -> str:
        if self.at is None:
            return _("Not shown to have been published beforehand: no second account (an "
                     "auditor, a leader or a scrutineer) acknowledged the commitment before "
                     "the draw.")
        when = format_datetime(self.at, "short")
        if self.minutes is None:
            return _("Commitment acknowledged by %(name)s at %(when)s; not drawn yet.",
                     name=self.by or "—", when=when)
        if self.beforehand:
            return _("Published beforehand: acknowledged by %(name)s at %(when)s, %(minutes)d "
                     "minutes before the draw.", name=self.by or "—", when=when,
                     minutes=self.minutes)
        return _("Not shown to have been published beforehand: acknowledged by %(name)s at "
                 "%(when)s, only %(minutes)d minutes before the draw (at least %(margin)d "
                 "are required).", name=self.by or "—", when=when, minutes=self.minutes,
                 margin=self.margin)


def publication(draw: SampleDraw) -> Publication:
    """The draw's Publication (a prepared draw's too: then `minutes` is None)."""
    acknowledged = draw.acknowledged_at
    minutes = None
    if acknowledged is not None and draw.drawn_at is not None:
        minutes = int((draw.drawn_at - acknowledged).total_seconds() // 60)
    by = draw.acknowledged_by.display_name if draw.acknowledged_by else None
    return Publication(by, acknowledged, minutes,
                       int(current_app.config["DRAW_NOTICE_MARGIN_MINUTES"]))


def verification(draw: SampleDraw) -> Verification:
    """Every check of `verify_draw`, in words. Raises what verify_draw raises."""
    return in_words(verify_draw(draw), legacy=draw.scheme == LEGACY)


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
