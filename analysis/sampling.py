"""Stratified random sampling: proportional allocation and a reproducible draw.

Exact rational arithmetic in the allocation, because a quota that lands on x.5 in floating
point on one machine and x.4999… on another would give two different samples from the same
roster; and a draw defined by SHA-256 ranks rather than by a pseudo-random generator, because
the same roster and seed must give the same sample on every platform and Python version, years
later, when somebody checks.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction


def allocate_proportional(
    population: Mapping[Hashable, int],
    *,
    total: int | None = None,
    fraction: float | Fraction | None = None,
    minimum: int = 0,
) -> dict[Hashable, int]:
    """Split a sample over strata in proportion to their sizes.

    `population` maps stratum to size; give exactly one of `total` (sample size) or `fraction`
    (of the whole population, rounded half up). Each stratum gets at least `minimum` (or all
    of it when smaller) and never more than its size; what the minimums take is taken from
    the other strata in proportion to their sizes. Whole numbers come from largest-remainder
    (Hamilton) rounding, ties going to the stratum that comes first.
    """
    sizes = {stratum: _size(stratum, size) for stratum, size in population.items()}
    if minimum < 0 or int(minimum) != minimum:
        raise ValueError("minimum must be a whole number of zero or more")
    everyone = sum(sizes.values())
    target = _target_total(everyone, total=total, fraction=fraction)
    floors = {stratum: min(minimum, size) for stratum, size in sizes.items()}
    if sum(floors.values()) > target:
        raise ValueError(
            f"the minimum of {minimum} per stratum needs {sum(floors.values())} people, "
            f"more than the sample of {target}"
        )
    if target == 0:
        return dict.fromkeys(sizes, 0)
    quotas = _bounded_quotas(sizes, floors, target)
    return _largest_remainder(quotas, target)


def _size(stratum: Hashable, size: int) -> int:
    if isinstance(size, bool) or int(size) != size or size < 0:
        raise ValueError(f"stratum {stratum!r}: size must be a whole number of zero or more")
    return int(size)


def _target_total(everyone: int, *, total: int | None, fraction: float | Fraction | None) -> int:
    if (total is None) == (fraction is None):
        raise ValueError("give exactly one of total and fraction")
    if fraction is not None:
        exact = Fraction(str(fraction)) if isinstance(fraction, float) else Fraction(fraction)
        if not 0 < exact <= 1:
            raise ValueError("fraction must be above 0 and at most 1")
        return math.floor(exact * everyone + Fraction(1, 2))
    if isinstance(total, bool) or int(total) != total or not 0 <= total <= everyone:
        raise ValueError(f"total must be a whole number from 0 to the population of {everyone}")
    return int(total)


def _bounded_quotas(
    sizes: Mapping[Hashable, int], floors: Mapping[Hashable, int], target: int
) -> dict[Hashable, Fraction]:
    """Exact quotas max(rate × size, floor) that add up to `target`.

    Strata held at their floor are set aside and the rate is solved again for the others,
    until no other stratum falls below its floor. Because the rate never exceeds 1 (the
    target is at most the population), no quota exceeds its stratum's size.
    """
    held: set[Hashable] = set()
    while True:
        free_size = sum(size for stratum, size in sizes.items() if stratum not in held)
        held_total = sum(floors[stratum] for stratum in held)
        rate = Fraction(target - held_total, free_size) if free_size else Fraction(0)
        newly_held = {
            stratum
            for stratum, size in sizes.items()
            if stratum not in held and rate * size < floors[stratum]
        }
        if not newly_held:
            break
        held |= newly_held
    return {
        stratum: Fraction(floors[stratum]) if stratum in held else rate * size
        for stratum, size in sizes.items()
    }


def _largest_remainder(quotas: Mapping[Hashable, Fraction], target: int) -> dict[Hashable, int]:
    seats = {stratum: math.floor(quota) for stratum, quota in quotas.items()}
    left = target - sum(seats.values())
    order = list(quotas)
    by_remainder = sorted(order, key=lambda s: (-(quotas[s] - seats[s]), order.index(s)))
    for stratum in by_remainder[:left]:
        seats[stratum] += 1
    return seats


def draw_stratified_sample(
    members: Mapping[Hashable, Sequence[Hashable]],
    allocation: Mapping[Hashable, int],
    seed: str | int,
) -> dict[Hashable, list[Hashable]]:
    """Draw `allocation[stratum]` members of each stratum without replacement.

    Every member is ranked by SHA-256 of (seed, stratum, member id) and the lowest ranks are
    drawn: the same members and seed give the same sample wherever and whenever it is run,
    whatever order the roster lists them in. Drawn ids are returned in roster order.
    """
    sample: dict[Hashable, list[Hashable]] = {}
    for stratum, ids in members.items():
        wanted = allocation.get(stratum, 0)
        if len(set(map(str, ids))) != len(ids):
            raise ValueError(f"stratum {stratum!r} lists a member id twice")
        if not 0 <= wanted <= len(ids):
            raise ValueError(f"stratum {stratum!r}: cannot draw {wanted} of {len(ids)}")
        ranked = sorted(ids, key=lambda member: _rank(seed, stratum, member))
        drawn = set(map(str, ranked[:wanted]))
        sample[stratum] = [member for member in ids if str(member) in drawn]
    unknown = set(allocation) - set(members)
    if any(allocation[stratum] for stratum in unknown):
        raise ValueError(f"allocation names strata without members: {sorted(map(str, unknown))}")
    return sample


def _rank(seed: str | int, stratum: Hashable, member: Hashable) -> bytes:
    return hashlib.sha256(f"{seed}\x1f{stratum}\x1f{member}".encode()).digest()


def roster_fingerprint(members: Mapping[Hashable, Sequence[Hashable]]) -> str:
    """A SHA-256 over the (stratum, member) pairs, independent of their order: a recorded draw
    can be reproduced only from a roster with the same fingerprint."""
    lines = sorted(f"{stratum}\x1f{member}" for stratum, ids in members.items() for member in ids)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
