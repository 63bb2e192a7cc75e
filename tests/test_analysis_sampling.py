"""Proportional allocation (largest remainder) and the reproducible stratified draw."""

from __future__ import annotations

from fractions import Fraction

import pytest

from analysis import allocate_proportional, draw_stratified_sample, roster_fingerprint


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
