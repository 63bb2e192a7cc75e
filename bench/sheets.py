"""Ticket sheets and paper ballots: how long the printable PDF of N tickets takes to build.

    python -m bench.sheets --tickets 1000
    python -m bench.sheets --tickets 100 --ballots [--paper A5]

Builds the faces of N tickets as an organiser's issuing does (one campaign, a rater group,
two subjects, fresh codes) and times `ticket_sheet_pdf`, the sheet the organiser downloads
and `evalapp demo` writes; with --ballots, `paper_ballots_pdf`, one paper ballot per ticket
(the default questionnaire: 24 common items and 4 individual ones a subject). Prints the
seconds, the pages and the size.
"""

from __future__ import annotations

import argparse
import sys
import time

from flask import Flask

from evalapp.campaigns.default_questionnaire import DEFAULT_SECTIONS
from evalapp.campaigns.models import Campaign, CommonItem, IndividualItem, Section, Subject
from evalapp.extensions import babel
from evalapp.i18n import select_locale
from evalapp.tickets.paper import PAPERS, PaperBallot, paper_ballots_pdf, paper_questionnaire
from evalapp.tickets.sheets import TicketFace, ticket_sheet_pdf
from evalapp.tickets.tokens import new_token
from evalapp.units.models import OrgUnit

ADDRESS = "http://192.168.1.20:5000"
TITLE = "2026年度基层党组织书记抓党建工作述职评议考核"
SUBJECTS = (("南京海关", "张三"), ("苏州海关", "李四"))


def faces(count: int) -> list[TicketFace]:
    tokens = [new_token() for _ in range(count)]
    return [TicketFace(campaign=TITLE, group="机关党员",
                       subjects=tuple(f"{unit} · {person}" for unit, person in SUBJECTS),
                       token=token, url=f"{ADDRESS}/t/{token}", spare=index % 20 == 0)
            for index, token in enumerate(tokens)]


def ballots(sheet_faces: list[TicketFace]) -> list[PaperBallot]:
    """A paper ballot per face, of a campaign held in memory only (no database): the default
    questionnaire and the two subjects, in Chinese as the app prints them."""
    campaign = Campaign(title=TITLE, void_blank_fraction=0.25, void_uniform=False, sections=[
        Section(position=position, title_zh=section.title_zh, items=[
            CommonItem(position=number, text_zh=item.text_zh)
            for number, item in enumerate(section.items, start=1)])
        for position, section in enumerate(DEFAULT_SECTIONS, start=1)])
    subjects = [Subject(position=position, unit=OrgUnit(name_zh=unit, name_en=""),
                        person_name=person, post="党委书记", individual_items=[
                            IndividualItem(position=number,
                                           text_zh=f"推动问题清单第{number}项整改落实")
                            for number in range(1, 5)])
                for position, (unit, person) in enumerate(SUBJECTS, start=1)]
    app = Flask("evalapp")
    babel.init_app(app, locale_selector=select_locale)
    with app.app_context():
        questionnaire = paper_questionnaire(campaign, "机关党员", subjects)
    return [PaperBallot(face, questionnaire) for face in sheet_faces]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ballots", action="store_true",
                        help="time paper ballots (one per ticket) instead of ticket sheets")
    parser.add_argument("--paper", choices=sorted(PAPERS), default="A4")
    args = parser.parse_args(argv)
    sheet_faces = faces(args.tickets)
    paper_ballots = ballots(sheet_faces) if args.ballots else []
    what = "paper ballots" if args.ballots else "tickets"
    for round_ in range(1, args.rounds + 1):
        started = time.perf_counter()
        pdf = (paper_ballots_pdf(paper_ballots, PAPERS[args.paper]) if args.ballots
               else ticket_sheet_pdf(sheet_faces, ADDRESS))
        seconds = time.perf_counter() - started
        pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
        print(f"round {round_}: {args.tickets} {what} in {seconds:.2f} s "
              f"({pages} pages, {len(pdf) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
