"""The roll-up's pages: the rounds a reader may read, a round's roll-up below the reader's
unit, its charts, and its Excel and PDF exports."""

from __future__ import annotations

import base64

from flask import Blueprint, Response, render_template
from flask_login import current_user

from evalapp.audit.operations import record
from evalapp.auth.access import READERS, role_required
from evalapp.extensions import db
from evalapp.rollup.charts import CHARTS, chart_png
from evalapp.rollup.exports import rollup_pdf, rollup_xlsx
from evalapp.rollup.operations import rollup, rollup_for, visible_rounds
from evalapp.rollup.table import COLUMNS, lines

bp = Blueprint("rollup", __name__, url_prefix="/rollups")

EXPORTS = {"xlsx": (rollup_xlsx, "application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet"),
           "pdf": (rollup_pdf, "application/pdf")}


@bp.get("/")
@role_required(*READERS)
def index() -> str:
    return render_template("rollup/index.html", rounds=visible_rounds(current_user))


@bp.get("/<int:round_id>")
@role_required(*READERS)
def detail(round_id: int) -> str:
    """The roll-up with its charts in the page (data: images): an address of their own
    would compute the roll-up again for each, a second of a national round's work each."""
    result = rollup(*rollup_for(current_user, round_id))
    charts = {name: "data:image/png;base64," + base64.b64encode(chart_png(result, name)).decode()
              for name in CHARTS} if result.total.subjects else {}
    return render_template("rollup/detail.html", result=result, columns=COLUMNS,
                           lines=list(lines(result)), charts=charts)


@bp.get("/<int:round_id>/rollup.<any(xlsx, pdf):fmt>")
@role_required(*READERS)
def export(round_id: int, fmt: str) -> Response:
    round_, top = rollup_for(current_user, round_id)
    made, mimetype = EXPORTS[fmt]
    content = made(rollup(round_, top))
    record("round.rollup_export", user=current_user, round=round_.id, unit=top.id, format=fmt)
    db.session.commit()
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="rollup-{round_id}.{fmt}"'
    return response
