"""The printable file of freshly issued tickets, as the response to the request that issued
them: from the tickets page, or from a sample draw's page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from werkzeug.wrappers import Response

from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.netaddr import base_url_for_request
from evalapp.pdf import new_pdf
from evalapp.tickets.models import TicketBatch
from evalapp.tickets.operations import sheet_name
from evalapp.tickets.paper import PAPERS, add_paper_ballots, paper_ballots_for
from evalapp.tickets.sheets import add_ticket_sheets, faces_for, ticket_png, ticket_svg
from forms.tickets import BALLOTS, BOTH, SLIPS, PrintForm

IMAGES = {
    "png": ("image/png", ticket_png),
    "svg": ("image/svg+xml", ticket_svg),
}
# What the file is called, by what it holds.
NAMES = {SLIPS: "tickets", BALLOTS: "ballots", BOTH: "tickets-and-ballots"}


@dataclass(frozen=True)
class Printing:
    """What an issue prints: `prints` is SLIPS, BALLOTS or BOTH (the slips, then the ballots,
    in one PDF); the ballots are on `paper` ("A4" or "A5") and say where to hand them in."""

    prints: str = SLIPS
    paper: str = "A4"
    hand_in: str = ""

    @classmethod
    def chosen(cls, form: PrintForm) -> Printing:
        return cls(form.prints.data or SLIPS, form.paper.data or "A4",
                   (form.hand_in.data or "").strip())

    def audited(self) -> dict[str, object]:
        """The details the audit log keeps of it (no paper size when no ballots)."""
        return {"slips": self.prints != BALLOTS,
                "paper_ballots": self.paper if self.prints != SLIPS else None}


def sheet_response(
    campaign: Campaign, issued: list[tuple[TicketBatch, list[str]]], output: str,
    printing: Printing | None = None,
) -> Response:
    """The printable file of freshly issued tickets; commits the issue only once the file
    exists, so no ticket is stored that nobody can print. `output` is "pdf", or "png" or "svg"
    for one ticket slip; a PDF holds what `printing` says."""
    address = base_url_for_request()
    if output == "pdf":
        media_type = "application/pdf"
        body = printed_pdf(campaign, issued, address, printing or Printing())
    else:
        media_type, render = IMAGES[output]
        body = render(faces_for(campaign, issued, address)[0])
    db.session.commit()
    response = Response(body, mimetype=media_type)
    kind = NAMES[printing.prints if printing else SLIPS]
    name = sheet_name(campaign, [batch for batch, _tokens in issued], kind)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{output}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def printed_pdf(campaign: Campaign, issued: Sequence[tuple[TicketBatch, Sequence[str]]],
                address: str, printing: Printing) -> bytes:
    """One PDF of the issued tickets: the slips (eight to an A4 page), the paper ballots (each
    on its own pages), or the slips then the ballots. One file, so that a clerk prints it in
    one go and the codes, which exist only in this response, are never split over two
    downloads."""
    pdf = new_pdf(campaign.title)
    if printing.prints in (SLIPS, BOTH):
        add_ticket_sheets(pdf, faces_for(campaign, issued, address), address)
    if printing.prints in (BALLOTS, BOTH):
        add_paper_ballots(pdf, paper_ballots_for(campaign, issued, address, printing.hand_in),
                          PAPERS[printing.paper])
    return bytes(pdf.output())
