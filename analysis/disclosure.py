"""Disclosure control for a subject's breakdown by rater group (DOMAIN.md, "Arithmetic counts
as an attacker").

Hiding a small group's row is not enough: the subject's total minus the groups shown gives it
back, and so does any weighted score that weights it on its own. So the small groups are merged
into one cell (其他类别) that every output treats as a single group: its figures are shown as
one row, weighted estimates weight it as one stratum, the anonymised ballots carry one label
for it. Every published figure is then a combination of whole cells, and no combination of
whole cells isolates a group inside one.

Two counts decide, because both are published or recomputable: the ballots that enter the
figures (valid and not dropped as highest or lowest), and the ballots returned (void ones
carry answers too, and the anonymised export lists them). Counting returned ballots alone is
not enough: 2 valid ballots of group A beside 3 void ones of group B make 5 returned, and the
subject's score would be A's mean.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

MINIMUM_CELL = 3  # the smallest minimum reporting size a campaign may set (DOMAIN.md)


@dataclass(frozen=True)
class Disclosure:
    """How one subject's rater groups may be reported.

    `cells` partition the groups that returned a ballot: a group shown on its own is a cell of
    one; `merged` is the cell reported as 其他类别 (empty when every group is shown). `hidden`
    are the groups whose own figures are never shown. `figures` is False when the subject has
    too few ballots entering its figures to show any figure but counts.
    """

    cells: tuple[tuple[Hashable, ...], ...]
    merged: tuple[Hashable, ...]
    hidden: frozenset[Hashable]
    figures: bool

    @property
    def reported(self) -> tuple[tuple[Hashable, ...], ...]:
        """The cells whose figures are published: none without figures; otherwise every cell
        but a hidden group standing alone (which only the unmerged test setting makes)."""
        if not self.figures:
            return ()
        return tuple(cell for cell in self.cells
                     if cell == self.merged or not self.hidden.intersection(cell))

    def cell_of(self, group: Hashable) -> tuple[Hashable, ...] | None:
        """The reported cell that holds `group`'s ballots, or None when they are reported
        nowhere."""
        return next((cell for cell in self.reported if group in cell), None)


def disclosure_cells(
    returned: Mapping[Hashable, int],
    entering: Mapping[Hashable, int],
    minimum: int,
    merge: bool = True,
) -> Disclosure:
    """The reporting cells of one subject.

    `returned` and `entering` give, per rater group (in the order the groups are listed), the
    ballots returned and the ballots entering the figures (valid and not trimmed); `minimum`
    is the campaign's minimum reporting size (at least 3).

    A group with a ballot returned is small when fewer than `minimum` of its ballots enter the
    figures or fewer than `minimum` were returned. Small groups form the merged cell. When the
    merged cell itself has fewer than `minimum` on either count, the smallest group shown
    (fewest entering, then fewest returned, then the first listed) joins it, and again, until
    it reaches the minimum or holds every group (complementary suppression at group level).
    The subject shows figures only when at least `minimum` ballots enter them. A group that
    returned nothing is in no cell: a zero reveals nobody.

    `merge=False` (a test setting, to show that the attack test has teeth) hides the small
    groups without merging them: each stays a cell of its own, as a naive suppression does.

    Raises ValueError for a minimum under 3, mismatched groups, or more ballots entering than
    returned.
    """
    if minimum < MINIMUM_CELL:
        raise ValueError(f"the minimum reporting size is never below {MINIMUM_CELL}")
    if list(returned) != list(entering):
        raise ValueError("returned and entering must list the same groups in the same order")
    if any(not 0 <= entering[g] <= returned[g] for g in returned):
        raise ValueError("ballots entering the figures are between 0 and those returned")
    active = [g for g in returned if returned[g] > 0]
    small = [g for g in active if entering[g] < minimum or returned[g] < minimum]
    if not merge:
        return Disclosure(tuple((g,) for g in active), (), frozenset(small),
                          any(entering[g] for g in active))
    merged = list(small)
    shown = [g for g in active if g not in small]

    def short(cell: list[Hashable]) -> bool:
        return (sum(entering[g] for g in cell) < minimum
                or sum(returned[g] for g in cell) < minimum)

    while merged and short(merged) and shown:
        smallest = min(shown, key=lambda g: (entering[g], returned[g]))
        shown.remove(smallest)
        merged.append(smallest)
    order = {g: position for position, g in enumerate(active)}
    merged.sort(key=order.__getitem__)
    cells = tuple((g,) for g in shown) + ((tuple(merged),) if merged else ())
    return Disclosure(cells, tuple(merged), frozenset(merged),
                      sum(entering[g] for g in active) >= minimum)
