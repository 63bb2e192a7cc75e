"""The printable file of freshly issued tickets, as the response to the request that issued
them: from the tickets page, or from a sample draw's page."""

from __future__ import annotations

from werkzeug.wrappers import Response

from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.netaddr import base_url_for_request
from evalapp.tickets.models import TicketBatch
from evalapp.tickets.operations import sheet_name
from evalapp.tickets.sheets import faces_for, ticket_png, ticket_sheet_pdf, ticket_svg

RENDERERS = {
    "pdf": ("application/pdf", lambda faces, address: ticket_sheet_pdf(faces, address)),
    "png": ("image/png", lambda faces, address: ticket_png(faces[0])),
    "svg": ("image/svg+xml", lambda faces, address: ticket_svg(faces[0])),
}


def sheet_response(
    campaign: Campaign, issued: list[tuple[TicketBatch, list[str]]], output: str
) -> Response:
    """The printable file of freshly issued tickets; commits the issue only once the file
    exists, so no ticket is stored that nobody can print."""
    address = base_url_for_request()
    faces = faces_for(campaign, issued, address)
    media_type, render = RENDERERS[output]
    body = render(faces, address)
    db.session.commit()
    response = Response(body, mimetype=media_type)
    name = sheet_name(campaign, [batch for batch, _tokens in issued])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{output}"'
    response.headers["Cache-Control"] = "no-store"
    return response
