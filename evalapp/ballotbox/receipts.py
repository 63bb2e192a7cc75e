"""Writing an opened box: the ballots, and apart from them the receipts.

A receipt lives in a table of its own (`evalapp.ballots.models.Receipt`) with no column that
names its ballot, and the two tables are written in two independent random orders: the
ballots in the order of fresh random ids, the receipts in the order of their codes (random
too, chosen on the rater's phone). So a receipt's place among the receipts says nothing of
its ballot's place among the ballots, and every row is written by the one transaction of
the opening, so transaction ids say nothing either.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from analysis import void_mask
from evalapp.ballots.models import Receipt, decode_levels

_RECEIPT_COLUMNS = ("campaign_id", "code", "void")


def void_flags(levels: Sequence[str], blank_fraction: float, uniform: bool) -> list[bool]:
    """Whether each ballot (its level codes, `evalapp.ballots.models.encode_levels`) is void
    by the campaign's rules, as `analysis.void_mask` decides for the results and
    `evalapp.rating.verdict` for the rater's own receipt page. One call of `void_mask` per
    length of questionnaire (numpy over all of them: the opening writes 100,000 at once)."""
    void = [False] * len(levels)
    by_length: dict[int, list[int]] = {}
    for index, codes in enumerate(levels):
        by_length.setdefault(len(codes), []).append(index)
    for length, indexes in by_length.items():
        codes = decode_levels([levels[i] for i in indexes], length)
        for index, flag in zip(indexes, void_mask(codes, blank_fraction, uniform), strict=True):
            void[index] = bool(flag)
    return void


def write_receipts(connection: sa.Connection, campaign_id: int, codes: Sequence[str],
                   void: Sequence[bool]) -> None:
    """Write the opened box's receipts, each with whether its ballot is void, in the order of
    the codes (never in the order of the ballots, see the module's docstring)."""
    write_rows(connection, Receipt.__tablename__, _RECEIPT_COLUMNS,
               sorted(zip([campaign_id] * len(codes), codes, void, strict=True)))


def write_rows(connection: sa.Connection, table: str, columns: Sequence[str],
               rows: Sequence[tuple[object, ...]]) -> None:
    """Insert `rows` in the order given: PostgreSQL through COPY (a quarter of the time of
    batched INSERTs), SQLite through the driver's executemany."""
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    driver.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        rows)
