"""How the answer scales read, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from evalapp.campaigns.models import Level, Satisfaction

LEVEL_LABELS = {
    Level.EXCELLENT: _l("Excellent"),
    Level.GOOD: _l("Good"),
    Level.FAIR: _l("Fair"),
    Level.POOR: _l("Poor"),
}
SATISFACTION_LABELS = {
    Satisfaction.SATISFIED: _l("Satisfied"),
    Satisfaction.FAIRLY_SATISFIED: _l("Fairly satisfied"),
    Satisfaction.DISSATISFIED: _l("Dissatisfied"),
}


def level_choices() -> list[tuple[str, str]]:
    return [(level.value, str(label)) for level, label in LEVEL_LABELS.items()]


def satisfaction_choices() -> list[tuple[str, str]]:
    return [(choice.value, str(label)) for choice, label in SATISFACTION_LABELS.items()]
