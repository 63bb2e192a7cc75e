"""Ballots and exports for the recount tests."""

from __future__ import annotations

import random

from tests.support.disclosure import Row


def mixed_ballots(count: int, seed: int) -> tuple[Row, ...]:
    """`count` ballots on each of two subjects over three items, varied (never every item
    alike), plus on the first subject one ballot void for blanks and one for uniform answers."""
    rng = random.Random(seed)
    rows: list[Row] = []
    for subject in (0, 1):
        for n in range(count):
            first = rng.randrange(4)
            rows.append((subject, (first, (first + 1 + n % 2) % 4, rng.randrange(4)),
                         rng.choice((0, 0, 1, 2, None)), f"意见{seed}-{n}" if n % 3 else ""))
    return (*rows, (0, (None, None, 1), 0, ""), (0, (2, 2, 2), 1, ""))


def altered(export: bytes) -> tuple[bytes, str]:
    """The export with one answer changed, and the subject of the changed row: the first 好
    of the first valid row that has one, given as 差 instead, the row kept in its place."""
    lines = export.decode("utf-8").split("\r\n")
    for number, line in enumerate(lines[1:], start=1):
        fields = line.split(",")
        if fields[2] == "有效" and "好" in fields[3:-2]:
            fields[fields.index("好", 3)] = "差"
            lines[number] = ",".join(fields)
            return "\r\n".join(lines).encode("utf-8"), fields[0]
    raise AssertionError("no valid row with a 好 to alter")
