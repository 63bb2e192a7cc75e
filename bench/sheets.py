"""Ticket sheets: how long the printable PDF of N tickets takes to build.

    python -m bench.sheets --tickets 1000

Builds the faces of N tickets as an organiser's issuing does (one campaign, a rater group,
two subjects, fresh codes) and times `ticket_sheet_pdf`, the sheet the organiser downloads
and `evalapp demo` writes; prints the seconds, the pages and the size.
"""

from __future__ import annotations

import argparse
import sys
import time

from evalapp.tickets.sheets import TicketFace, ticket_sheet_pdf
from evalapp.tickets.tokens import new_token

ADDRESS = "http://192.168.1.20:5000"


def faces(count: int) -> list[TicketFace]:
    tokens = [new_token() for _ in range(count)]
    return [TicketFace(campaign="2026年度基层党组织书记抓党建工作述职评议考核",
                       group="机关党员", subjects=("南京海关 · 张三", "苏州海关 · 李四"),
                       token=token, url=f"{ADDRESS}/t/{token}", spare=index % 20 == 0)
            for index, token in enumerate(tokens)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    sheet_faces = faces(args.tickets)
    for round_ in range(1, args.rounds + 1):
        started = time.perf_counter()
        pdf = ticket_sheet_pdf(sheet_faces, ADDRESS)
        seconds = time.perf_counter() - started
        print(f"round {round_}: {args.tickets} tickets in {seconds:.2f} s "
              f"({-(-args.tickets // 8)} pages, {len(pdf) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
