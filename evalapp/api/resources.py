"""The API's resources under `/api/v1/`, with flask-smorest (chosen over APIFlask, which wants
an app of its own class: smorest adds the document and the schemas to this Flask app as it
is). The OpenAPI 3 document at `/api/v1/openapi.json` is made from the views and schemas
below; it is the only address under the prefix that answers without a token.

Each resource gives what the pages give the same account, no more: the same roles
(`role_required`'s lists), the same units (`campaign_for`: another unit's campaign is not
found), results only of a closed campaign (409 before), as the pages publish them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NoReturn

import sqlalchemy as sa
from flask import Flask, Request, abort, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_smorest import Api, Blueprint
from flask_smorest import abort as smorest_abort
from limits import parse
from marshmallow import Schema
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict, FileStorage, WWWAuthenticate

from evalapp.api.schemas import (
    CampaignSchema,
    DrawStatusSchema,
    ErrorSchema,
    ResultsSchema,
    RosterImportedSchema,
    RosterUploadSchema,
    TicketCountsSchema,
    UnitSchema,
)
from evalapp.api.tokens import bearer, revoke_all
from evalapp.audit.operations import record, record_now
from evalapp.auth.access import READERS
from evalapp.auth.events import rights_withdrawn
from evalapp.auth.models import Role, User
from evalapp.auth.policy import now
from evalapp.campaigns.access import campaign_for, visible_campaigns
from evalapp.campaigns.models import Campaign, CampaignStatus, RaterGroup
from evalapp.errors import API_PATHS
from evalapp.extensions import csrf, db, limiter
from evalapp.results import store
from evalapp.roster.columns import GUESSES, OPTIONAL_COLUMNS, guessed_column, rows_from_header
from evalapp.roster.models import SampleDraw
from evalapp.roster.operations import (
    GROUP_VALUES_MAX,
    ColumnMapping,
    RosterLocked,
    check_roster,
    group_choices,
    import_roster,
    roster_counts,
    roster_lock,
)
from evalapp.tabular import TableError, read_rows, shown_rows
from evalapp.text import squeezed
from evalapp.tickets.counts import response_counts
from evalapp.units.models import OrgUnit
from evalapp.units.operations import subtree_ids

PREFIX = "/api/v1"
DOCUMENT = f"{PREFIX}/openapi.json"
# As the log-in page: only failures count, 30 in 5 minutes from one address; a client with a
# good token never waits for them.
FAILED_TOKENS = parse("30 per 5 minutes")
# What one account may ask in a minute: a client in a loop is slowed, a sync job is not.
REQUESTS = parse("600 per minute")



class _Parser(FlaskParser):
    def load_files(self, req: Request, schema: Schema) -> MultiDictProxy:
        """A multipart body's files and fields together, so that one schema describes the
        one request body (the document has one a request)."""
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class _Blueprint(Blueprint):
    ARGUMENTS_PARSER = _Parser()


bp = _Blueprint("api", __name__, url_prefix=PREFIX,
                description="Units, campaigns, rosters, draws, tickets and results")


def register(app: Flask) -> None:
    """The API and its document on `app`; every address under the prefix but the document
    asks for a token first (`_authenticate`), before it is even routed, so that an unknown
    address answers 401 too and a caller without a token learns nothing of what exists."""
    defaults: Mapping[str, Any] = {
        "API_TITLE": "evalapp", "API_VERSION": "v1", "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": PREFIX, "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "security": [{"bearer": []}],
            "components": {"securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "A token of `evalapp create-token USERNAME` or of the "
                               "account's page 接口令牌 / API tokens"}}},
        },
    }
    for key, value in defaults.items():
        app.config.setdefault(key, value)
    api = _Api(app)
    csrf.exempt(bp)  # a bearer token, not a cookie: no request of another site carries it
    api.register_blueprint(bp)
    app.before_request(_authenticate)
    rights_withdrawn.connect(revoke_all, app)


class _Api(Api):
    ERROR_SCHEMA = ErrorSchema  # the body `evalapp.errors` answers every refusal with

    def _register_error_handlers(self) -> None:
        """None: `evalapp.errors` answers every error, in JSON under the prefix."""


def _authenticate() -> None:
    path = request.path
    if not path.startswith(API_PATHS) or path == DOCUMENT:
        return
    address = get_remote_address()
    if limiter.enabled and not limiter.limiter.test(FAILED_TOKENS, "api-tokens", address):
        abort(429)
    scheme, _space, secret = request.headers.get("Authorization", "").partition(" ")
    token = bearer(secret.strip(), now()) if scheme.lower() == "bearer" else None
    if token is None:
        if limiter.enabled:
            limiter.limiter.hit(FAILED_TOKENS, "api-tokens", address)
        if secret:
            record_now("api.token_refused", user=None, address=address)
        abort(401, www_authenticate=WWWAuthenticate("bearer", {"realm": "evalapp"}))
    if limiter.enabled and not limiter.limiter.hit(REQUESTS, "api-account", str(token.user_id)):
        abort(429)
    g.api_account = token.user


def _account(*roles: Role) -> User:
    """The token's account, when it holds one of `roles` (else 403)."""
    account: User = g.api_account
    if account.role not in roles:
        abort(403)
    return account


REFUSALS = {401: "No token, or one that is revoked, expired or not known",
            403: "The account's role may not do this",
            404: "Not found among the account's units",
            409: "Not in this state", 422: "What was sent cannot be used",
            429: "Too many requests"}


def _refusals(*statuses: int):
    """The refusals an operation may answer with, in its document."""
    def decorate(view):
        for status in reversed(statuses):
            view = bp.alt_response(status, schema=ErrorSchema, description=REFUSALS[status])(
                view)
        return view
    return decorate


def _group_counts(campaign: Campaign) -> list[dict[str, object]]:
    return [{"group_id": group.id, "name_zh": group.name_zh, "people": people}
            for group, people in roster_counts(campaign)]


@bp.get("/units")
@bp.response(200, UnitSchema(many=True))
@_refusals(401, 403, 429)
def units() -> list[dict[str, object]]:
    """The account's unit and every unit below it."""
    account = _account(Role.ORGANISER, Role.LEADER, Role.AUDITOR, Role.CLERK, Role.SCRUTINEER)
    found = db.session.scalars(sa.select(OrgUnit).where(
        OrgUnit.id.in_(subtree_ids(account.unit_id))).order_by(OrgUnit.id))
    return [{"id": unit.id, "parent_id": unit.parent_id, "kind": unit.kind,
             "name_zh": unit.name_zh, "name_en": unit.name_en, "code": unit.code,
             "retired": unit.retired} for unit in found]


@bp.get("/campaigns")
@bp.response(200, CampaignSchema(many=True))
@_refusals(401, 403, 429)
def campaigns() -> list[Campaign]:
    """The campaigns of the account's unit and the units below it, newest first."""
    return visible_campaigns(_account(*READERS, Role.CLERK, Role.SCRUTINEER))


@bp.get("/campaigns/<int:campaign_id>")
@bp.response(200, CampaignSchema)
@_refusals(401, 403, 404, 429)
def campaign(campaign_id: int) -> Campaign:
    """One campaign, with its subjects and rater groups."""
    return campaign_for(_account(*READERS, Role.CLERK, Role.SCRUTINEER), campaign_id)


@bp.post("/campaigns/<int:campaign_id>/roster")
@bp.arguments(RosterUploadSchema, location="files")
@bp.response(200, RosterImportedSchema)
@_refusals(401, 403, 404, 409, 422, 429)
def roster(upload: dict[str, Any], campaign_id: int) -> dict[str, object]:
    """Replace the campaign's roster with a table (CSV, Excel or WPS): all its people, or
    none when any row has a problem (422, every problem listed by row). 409 once a sample is
    drawn or the campaign has opened."""
    account = _account(Role.ORGANISER)
    campaign = campaign_for(account, campaign_id)
    if roster_lock(campaign) is not None:
        abort(409)
    preview = check_roster(*_table(upload.pop("file"), upload, campaign.rater_groups))
    if preview.problems:
        _unprocessable({"rows": [{"row": p.row, "reasons": list(p.reasons)}
                                 for p in preview.problems]})
    try:
        people = import_roster(campaign, preview, account)
    except RosterLocked:
        abort(409)
    db.session.commit()
    return {"people": people, "groups": _group_counts(campaign)}


def _unprocessable(errors: dict[str, object]) -> NoReturn:
    """422 listing what was wrong, as webargs lists a body that does not fit its schema
    (`messages`, which `evalapp.errors` returns as the body's `errors`)."""
    smorest_abort(422, messages=errors)
    raise AssertionError  # abort raises


def _table(upload: FileStorage, columns: dict[str, Any], groups: list[RaterGroup]):
    """(cells, the column mapping, the groups, the row numbers) for `check_roster`, or 422
    saying why the file or a named column cannot be used."""
    try:
        rows = rows_from_header(read_rows(upload.filename or "", upload.read()))
    except TableError as error:
        _unprocessable({"file": [error.message()]})
    used, _hidden = shown_rows(rows, columns["include_hidden"])
    if len(used) < 2:
        _unprocessable({"file": [_("The file has no rows below its header.")]})
    header = list(used[0].cells)
    presets = any(group.office for group in groups)
    found: dict[str, int | None] = {}
    for column in GUESSES:
        if column in ("office", "membership") and not presets:
            continue
        named = columns.get(column)
        if named is None:
            found[column] = guessed_column(header, column)
            continue
        matches = [n for n, cell in enumerate(header) if squeezed(cell) == squeezed(named)]
        if not matches:
            _unprocessable({column: [_("The file has no column headed “%(name)s”.",
                                       name=named)]})
        found[column] = matches[0]
    for column in ("name", "staff_number"):
        if found[column] is None:
            _unprocessable({column: [_("No column of the file holds this; name it.")]})
    cells = [row.cells for row in used]
    values: dict[str, int | None] = {}
    if found["group"] is not None:
        choices = group_choices(cells, found["group"], groups, {})
        if len(choices) > GROUP_VALUES_MAX:
            _unprocessable({"group": [_(
                "This column has %(count)d different values, more than %(most)d: choose "
                "the column that holds each person's category.", count=len(choices),
                most=GROUP_VALUES_MAX)]})
        values = {squeezed(choice.value): choice.group_id for choice in choices}
    mapping = ColumnMapping(found["name"], found["staff_number"],
                            **{c: found.get(c) for c in OPTIONAL_COLUMNS}, group_values=values)
    return cells, mapping, groups, [row.number for row in used]


@bp.get("/campaigns/<int:campaign_id>/draws")
@bp.response(200, DrawStatusSchema)
@_refusals(401, 403, 404, 429)
def draws(campaign_id: int) -> dict[str, object]:
    """The roster's people per rater group and each sample draw: prepared (committed, not
    yet drawn), drawn or abandoned, with its allocation."""
    campaign = campaign_for(_account(Role.ORGANISER, Role.AUDITOR), campaign_id)
    found = db.session.scalars(sa.select(SampleDraw).where(
        SampleDraw.campaign_id == campaign.id).order_by(SampleDraw.sequence))
    return {"roster": _group_counts(campaign), "draws": [{
        "sequence": draw.sequence,
        "state": ("abandoned" if draw.abandoned_at else "drawn" if draw.drawn_at
                  else "prepared"),
        "allocation": draw.allocation, "prepared_at": draw.prepared_at,
        "drawn_at": draw.drawn_at, "acknowledged_at": draw.acknowledged_at}
        for draw in found]}


@bp.get("/campaigns/<int:campaign_id>/tickets")
@bp.response(200, TicketCountsSchema)
@_refusals(401, 403, 404, 429)
def tickets(campaign_id: int) -> dict[str, object]:
    """Tickets issued and returned per rater group and per subject, as the live monitor
    shows them: counts of spent tickets, nothing of any ballot."""
    counts = response_counts(campaign_for(_account(Role.ORGANISER), campaign_id))
    return {
        "issued": counts.total.issued, "returned": counts.total.returned,
        "groups": [{"id": r.label.id, "name": r.label.name_zh, "issued": r.issued,
                    "returned": r.returned} for r in counts.groups],
        "subjects": [{"id": r.label.id, "name": r.label.label_zh(), "issued": r.issued,
                      "returned": r.returned} for r in counts.subjects]}


@bp.get("/campaigns/<int:campaign_id>/results")
@bp.response(200, ResultsSchema)
@_refusals(401, 403, 404, 409, 429)
def results(campaign_id: int) -> dict[str, object]:
    """The results of a closed campaign as the recount record: its settings and every
    figure the results pages publish, groups too small to report merged or withheld alike,
    with the digest of the anonymised ballot export they come from. 409 before close."""
    account = _account(*READERS)
    campaign = campaign_for(account, campaign_id)
    if campaign.status is not CampaignStatus.CLOSED:
        abort(409)
    content = store.kept(campaign, "export.json")
    record("results.export", user=account, campaign=campaign, format="json", via="api")
    db.session.commit()
    return json.loads(content)
