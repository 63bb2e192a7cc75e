"""The field a clerk scans or types a paper ballot's ticket code into."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length


class PaperCodeForm(FlaskForm):
    code = StringField(
        _l("Ticket code on the paper ballot"),
        validators=[InputRequired(message=_l("Please scan or type the code printed on the "
                                             "paper ballot.")), Length(max=300)],
        render_kw={"autofocus": True, "autocomplete": "off", "spellcheck": "false"},
    )
