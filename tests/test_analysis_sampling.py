"""Proportional allocation (largest remainder), the reproducible stratified draw, and the
committed draw that nobody can steer (commitment, witness value, verification)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from fractions import Fraction

import pytest

from analysis import allocate_proportional, draw_stratified_sample, roster_fingerprint
from analysis.commitment import (
    LEGACY,
    DrawCommitment,
    DrawRecord,
    check_draw,
    draw_parameters,
    normalise_witness,
)


@pytest.mark.parametrize(
    ("population", "kwargs", "expected"),
    [
        ({"A": 50, "B": 30, "C": 20}, {"total": 10}, {"A": 5, "B": 3, "C": 2}),
        # quotas 4.7 / 3.3 / 2.0: the seat left over goes to the largest remainder (A)
        ({"A": 47, "B": 33, "C": 20}, {"total": 10}, {"A": 5, "B": 3, "C": 2}),
        # three equal remainders of 2/3, two seats: the first strata in order win the tie
        ({"A": 1, "B": 1, "C": 1}, {"total": 2}, {"A": 1, "B": 1, "C": 0}),
        ({"C": 1, "B": 1, "A": 1}, {"total": 2}, {"C": 1, "B": 1, "A": 0}),
        # 20% of 25 = 5; quotas 2.4 / 2.6
        ({"A": 12, "B": 13}, {"fraction": 0.2}, {"A": 2, "B": 3}),
        # 50% of 5 = 2.5, rounded half up
        ({"A": 5}, {"fraction": 0.5}, {"A": 3}),
        ({"A": 5, "B": 7}, {"fraction": 1}, {"A": 5, "B": 7}),
        ({"A": 5, "B": 7}, {"total": 0}, {"A": 0, "B": 0}),
        ({"A": 0, "B": 10}, {"total": 4}, {"A": 0, "B": 4}),
        # a minimum of 3: B is raised to 3, C (only 2 people) to all of it, A gives way
        ({"A": 90, "B": 8, "C": 2}, {"total": 10, "minimum": 3}, {"A": 5, "B": 3, "C": 2}),
        # the minimum's cost is shared by the others in proportion: 20 left for 60 + 40
        ({"A": 60, "B": 40, "C": 5}, {"total": 25, "minimum": 5}, {"A": 12, "B": 8, "C": 5}),
        ({"A": 60, "B": 40}, {"fraction": Fraction(1, 10)}, {"A": 6, "B": 4}),
    ],
)
def test_allocation_hand_worked(population, kwargs, expected):
    allocation = allocate_proportional(population, **kwargs)
    assert allocation == expected
    assert list(allocation) == list(population)


def test_allocation_never_exceeds_a_stratum_and_adds_up():
    population = {f"s{index}": size for index, size in enumerate([1, 2, 3, 50, 7, 0, 13])}
    for total in range(0, sum(population.values()) + 1):
        for minimum in (0, 1, 2, 4):
            try:
                allocation = allocate_proportional(population, total=total, minimum=minimum)
            except ValueError:
                assert sum(min(minimum, size) for size in population.values()) > total
                continue
            assert sum(allocation.values()) == total
            for stratum, size in population.items():
                assert min(minimum, size) <= allocation[stratum] <= size


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"total": 3, "fraction": 0.1},
        {"total": 11},
        {"total": -1},
        {"fraction": 0},
        {"fraction": 1.5},
        {"total": 4, "minimum": 3},
        {"total": 2, "minimum": -1},
    ],
)
def test_allocation_rejects_impossible_requests(kwargs):
    with pytest.raises(ValueError):
        allocate_proportional({"A": 5, "B": 5}, **kwargs)


def test_allocation_rejects_bad_sizes():
    with pytest.raises(ValueError):
        allocate_proportional({"A": -1}, total=0)
    with pytest.raises(ValueError):
        allocate_proportional({"A": 2.5}, total=1)


MEMBERS = {
    "机关党员": [f"A{n:03d}" for n in range(40)],
    "基层群众": [f"B{n:03d}" for n in range(25)],
}


def test_draw_is_reproducible_and_fixed_for_all_time():
    """The expected ids are frozen: a change of platform, Python or this code that changed them
    would make recorded draws impossible to reproduce."""
    sample = draw_stratified_sample(MEMBERS, {"机关党员": 4, "基层群众": 3}, "2026-seed")
    assert sample == draw_stratified_sample(MEMBERS, {"机关党员": 4, "基层群众": 3}, "2026-seed")
    assert sample == {
        "机关党员": FROZEN_A,
        "基层群众": FROZEN_B,
    }


FROZEN_A = ["A006", "A034", "A038", "A039"]
FROZEN_B = ["B009", "B013", "B024"]


def test_draw_does_not_depend_on_roster_order():
    shuffled = {stratum: list(reversed(ids)) for stratum, ids in MEMBERS.items()}
    forward = draw_stratified_sample(MEMBERS, {"机关党员": 10, "基层群众": 5}, 7)
    backward = draw_stratified_sample(shuffled, {"机关党员": 10, "基层群众": 5}, 7)
    assert {k: sorted(v) for k, v in forward.items()} == {k: sorted(v) for k, v in
                                                          backward.items()}
    assert roster_fingerprint(MEMBERS) == roster_fingerprint(shuffled)


def test_draw_sizes_and_membership():
    sample = draw_stratified_sample(MEMBERS, {"机关党员": 10, "基层群众": 25}, "s")
    assert len(sample["机关党员"]) == 10 and len(set(sample["机关党员"])) == 10
    assert set(sample["机关党员"]) <= set(MEMBERS["机关党员"])
    assert sample["基层群众"] == MEMBERS["基层群众"]  # all of them, in roster order


def test_different_seeds_draw_different_samples():
    samples = {tuple(draw_stratified_sample(MEMBERS, {"机关党员": 5}, seed)["机关党员"])
               for seed in range(20)}
    assert len(samples) > 15


def test_draw_rejects_bad_input():
    with pytest.raises(ValueError):
        draw_stratified_sample({"a": ["1", "1"]}, {"a": 1}, "s")
    with pytest.raises(ValueError):
        draw_stratified_sample({"a": ["1"]}, {"a": 2}, "s")
    with pytest.raises(ValueError):
        draw_stratified_sample({"a": ["1"]}, {"b": 1}, "s")


def test_fingerprint_changes_with_the_roster():
    changed = {**MEMBERS, "基层群众": MEMBERS["基层群众"][:-1]}
    assert roster_fingerprint(changed) != roster_fingerprint(MEMBERS)


# The committed draw (analysis.commitment): a fixed secret and witness value give this
# commitment, seed and sample on every platform, for all time.
SECRET = bytes(range(32))
PARAMETERS = "campaign=7;draw=1;total=7;minimum=0"
FROZEN_COMMITMENT = "c85dd14c21b431c6e83a63ed211378c8a752c9b712f1167b263042d3b30da404"
FROZEN_SEED = "8ec28245067e2a10758b4c09b61a7e89b49c0bf4a65145599cbc3cc275e05036"
FROZEN_SAMPLE = {"机关党员": ["A002", "A005", "A009", "A028"],
                 "基层群众": ["B009", "B014", "B021"]}


def committed() -> DrawCommitment:
    return DrawCommitment(SECRET, roster_fingerprint(MEMBERS), PARAMETERS)


def test_a_committed_draw_is_fixed_for_all_time():
    assert draw_parameters(7, 1, fraction=None, total=7, minimum=0) == PARAMETERS
    assert committed().digest() == FROZEN_COMMITMENT
    assert committed().seed("3 5 1 6") == FROZEN_SEED
    assert draw_stratified_sample(MEMBERS, {"机关党员": 4, "基层群众": 3},
                                  FROZEN_SEED) == FROZEN_SAMPLE


def test_the_byte_layout_is_the_documented_one():
    """Recomputed here by hand from the module docstring's layout, not through its code."""
    def field(data: bytes) -> bytes:
        return len(data).to_bytes(8, "big") + data

    fingerprint = roster_fingerprint(MEMBERS).encode()
    commitment = hashlib.sha256(field(b"evalapp draw commitment v1") + field(SECRET)
                                + field(fingerprint) + field(PARAMETERS.encode())).hexdigest()
    seed = hashlib.sha256(field(b"evalapp draw seed v1") + field(SECRET)
                          + field(b"3516")).hexdigest()
    assert (commitment, seed) == (FROZEN_COMMITMENT, FROZEN_SEED)


def test_a_changed_witness_value_changes_the_seed_and_the_sample():
    other = committed().seed("3 5 1 5")
    assert other != FROZEN_SEED
    assert draw_stratified_sample(MEMBERS, {"机关党员": 4, "基层群众": 3}, other) != FROZEN_SAMPLE
    assert DrawCommitment(bytes(32), roster_fingerprint(MEMBERS), PARAMETERS).seed(
        "3 5 1 6") != FROZEN_SEED  # and so does another secret
    # the commitment pins the roster and the parameters too
    assert DrawCommitment(SECRET, roster_fingerprint(MEMBERS),
                          PARAMETERS.replace("total=7", "total=8")).digest() != FROZEN_COMMITMENT


@pytest.mark.parametrize(("typed", "normal"), [
    ("3 5 1 6", "3516"),
    ("  ３　５ 1\t6\n", "3516"),  # full-width digits and an ideographic space
    # however the digits read out are written down, one value: whoever types it cannot pick
    # the transcription whose sample suits them
    ("3516", "3516"), ("3-5-1-6", "3516"), ("3、5、1、6", "3516"), ("3；5：1/6", "3516"),
    ("0３516", "03516"),  # a leading zero read out is kept
])
def test_the_witness_value_is_normalised_before_it_is_hashed(typed, normal):
    assert normalise_witness(typed) == normal
    assert committed().seed(typed) == committed().seed(normal)


@pytest.mark.parametrize("typed", ["", "  \u3000 ", "\u200b", "9" * 201, "红 六", "35A72",
                                   "35\u0410", "3+5", "3½", "3\u200b 5 1 6", "3,5,1,6",
                                   "3，5。1；6"])
def test_an_empty_overlong_or_not_numeric_witness_value_is_refused(typed):
    """Digits only: letters (a Cyrillic А looks like a Latin A), symbols and fractions would
    each give another transcription of one value to choose among."""
    with pytest.raises(ValueError):
        normalise_witness(typed)


def record(**changes) -> DrawRecord:
    honest = DrawRecord(
        members=MEMBERS, fraction=None, total=7, minimum=0,
        roster_fingerprint=roster_fingerprint(MEMBERS), seed=FROZEN_SEED,
        allocation={"机关党员": 4, "基层群众": 3},
        drawn=[member for ids in FROZEN_SAMPLE.values() for member in ids],
        parameters=PARAMETERS, commitment=FROZEN_COMMITMENT, secret=SECRET.hex(),
        witness_typed="３ 5 1 6", witness="3516")
    return replace(honest, **changes)


def failing(checks) -> set[str]:
    return {check.name for check in checks if not check.ok}


def test_an_honest_record_passes_every_check():
    checks = check_draw(record())
    assert [check.name for check in checks] == ["scheme", "history", "roster", "commitment",
                                                "witness", "seed", "allocation", "sample"]
    assert failing(checks) == set()


@pytest.mark.parametrize(("changes", "caught_by"), [
    ({"secret": bytes(32).hex()}, {"commitment", "seed"}),
    ({"secret": "not hex"}, {"commitment", "seed"}),
    ({"witness_typed": "3 5 1 5", "witness": "3515"}, {"seed"}),
    ({"witness_typed": "3 5 1 5"}, {"witness"}),
    ({"commitment": "0" * 64}, {"commitment"}),
    ({"parameters": PARAMETERS.replace("total=7", "total=8")}, {"commitment"}),
    ({"members": {**MEMBERS, "基层群众": [*MEMBERS["基层群众"][:-1], "B999"]}}, {"roster"}),
    ({"drawn": ["A002", "A005", "A009", "A029", "B009", "B014", "B021"]}, {"sample"}),
    ({"allocation": {"机关党员": 5, "基层群众": 2}}, {"allocation"}),
    ({"seed": "0" * 64}, {"seed", "sample"}),
])
def test_a_tampered_record_fails_verification(changes, caught_by):
    assert failing(check_draw(record(**changes))) == caught_by


def test_a_tampered_sample_names_who_differs():
    sample = check_draw(record(drawn=["A002", "A005", "A009", "A029", "B009", "B014",
                                      "B021"]))[-1]
    assert sample.differences == ("-A029", "+A028")


def test_a_legacy_record_is_checked_from_its_seed_alone():
    sample = draw_stratified_sample(MEMBERS, {"机关党员": 4, "基层群众": 3}, "2026-seed")
    legacy = DrawRecord(members=MEMBERS, fraction=None, total=7, minimum=0,
                        roster_fingerprint=roster_fingerprint(MEMBERS), seed="2026-seed",
                        allocation={"机关党员": 4, "基层群众": 3},
                        drawn=[member for ids in sample.values() for member in ids],
                        scheme=LEGACY)
    checks = check_draw(legacy)
    assert [check.name for check in checks] == ["scheme", "history", "roster", "allocation",
                                                "sample"]
    assert failing(checks) == set()
    assert failing(check_draw(replace(legacy, seed="2027-seed"))) == {"sample"}
