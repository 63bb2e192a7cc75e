"""The API's request and response bodies (marshmallow), from which the OpenAPI document
describes them."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from evalapp.campaigns.models import CampaignStatus
from evalapp.units.models import UnitKind


class ErrorSchema(Schema):
    """Every refusal: the status, a sentence in the caller's language (Accept-Language), and
    for a 422 what was wrong with which field or row."""

    code = fields.Integer(required=True)
    status = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.Raw())


class UnitSchema(Schema):
    id = fields.Integer(required=True)
    parent_id = fields.Integer(required=True, allow_none=True)
    kind = fields.Enum(UnitKind, by_value=True, required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    code = fields.String(required=True, allow_none=True)
    retired = fields.Boolean(required=True)


class RaterGroupSchema(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)


class SubjectSchema(Schema):
    id = fields.Integer(required=True)
    unit_id = fields.Integer(required=True)
    person_name = fields.String(required=True)
    post = fields.String(required=True)


class CampaignSchema(Schema):
    id = fields.Integer(required=True)
    unit_id = fields.Integer(required=True)
    title = fields.String(required=True)
    status = fields.Enum(CampaignStatus, by_value=True, required=True)
    created_at = fields.DateTime(required=True)
    opened_at = fields.DateTime(required=True, allow_none=True)
    closed_at = fields.DateTime(required=True, allow_none=True)
    subjects = fields.List(fields.Nested(SubjectSchema), required=True)
    rater_groups = fields.List(fields.Nested(RaterGroupSchema), required=True)


COLUMN_HELP = ("the header of the column, as in the file; when left out, the column is found "
               "by the words the roster page knows it by (姓名, 工号, 单位, 类别, 政治面貌…)")


NOT_A_FILE = _l("Not a file: send the table as a file part of the multipart body "
                "(curl -F file=@NAME).")


class FileUpload(Upload):
    """A file part of a multipart body. flask-smorest's `Upload` only describes one in the
    document and takes any value: a text field named like it (``-F file=x`` instead of
    ``-F file=@x``) reached the view as a string, and the import failed with a 500."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, FileStorage):
            raise ValidationError([str(NOT_A_FILE)])
        return value


class RosterUploadSchema(Schema):
    """A multipart body: the table, and the headers of its columns where the words they are
    known by do not find them."""

    file = FileUpload(required=True, metadata={"description": "CSV, Excel (.xlsx, .xls) or WPS"})
    name = fields.String(metadata={"description": COLUMN_HELP})
    staff_number = fields.String(metadata={"description": COLUMN_HELP})
    unit = fields.String(metadata={"description": COLUMN_HELP})
    group = fields.String(metadata={"description": COLUMN_HELP})
    office = fields.String(metadata={"description": COLUMN_HELP})
    membership = fields.String(metadata={"description": COLUMN_HELP})
    include_hidden = fields.Boolean(load_default=False, metadata={
        "description": "import the rows hidden in the workbook too"})


class GroupCountSchema(Schema):
    group_id = fields.Integer(required=True)
    name_zh = fields.String(required=True)
    people = fields.Integer(required=True)


class RosterImportedSchema(Schema):
    people = fields.Integer(required=True)
    groups = fields.List(fields.Nested(GroupCountSchema), required=True)


class DrawSchema(Schema):
    sequence = fields.Integer(required=True)
    state = fields.String(required=True, validate=validate.OneOf(
        ("prepared", "drawn", "abandoned")))
    allocation = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                             metadata={"description": "rater group id → people drawn"})
    prepared_at = fields.DateTime(required=True, allow_none=True)
    drawn_at = fields.DateTime(required=True, allow_none=True)
    acknowledged_at = fields.DateTime(required=True, allow_none=True)


class DrawStatusSchema(Schema):
    roster = fields.List(fields.Nested(GroupCountSchema), required=True)
    draws = fields.List(fields.Nested(DrawSchema), required=True)


class ReturnedSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    issued = fields.Integer(required=True)
    returned = fields.Integer(required=True)


class TicketCountsSchema(Schema):
    issued = fields.Integer(required=True)
    returned = fields.Integer(required=True)
    groups = fields.List(fields.Nested(ReturnedSchema), required=True)
    subjects = fields.List(fields.Nested(ReturnedSchema), required=True)


class ResultsSchema(Schema):
    """The recount record (`evalapp.results.published.record_json`): what the results pages
    publish, suppressed alike, and what `evalapp recount` checks."""

    format = fields.Integer(required=True)
    campaign = fields.Integer(required=True)
    ballot_export_sha256 = fields.String(required=True)
    settings = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    figures = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                          required=True)
