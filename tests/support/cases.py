"""The real-world inputs of tests/cases/ (their README says what each stands for)."""

from __future__ import annotations

from pathlib import Path

CASES = Path(__file__).parent.parent / "cases"


def case(name: str) -> bytes:
    return (CASES / name).read_bytes()
