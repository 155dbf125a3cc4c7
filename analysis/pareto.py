"""Non-dominated fronts of two objectives, both minimized, over plain arrays.

The trade-off curve a designer reads off a shmoo plot: of all the points, the
ones no other point beats on both axes. `front_indices` filters points;
`min_sum_front` builds the exact front of sums when each of several groups
contributes one of its options (a multiple-choice knapsack), by merging one
group at a time and pruning dominated partial sums, which never lose a
non-dominated total: a completion of a dominated partial sum is dominated by
the same completion of the partial sum that dominates it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["SumFront", "front_indices", "min_sum_front"]


def front_indices(first: ArrayLike, second: ArrayLike) -> np.ndarray:
    """Indices of the non-dominated points, minimizing both objectives, by ascending ``second``.

    A point is dominated when another is no worse in both objectives and better
    in one. Of points equal in both, the one listed first is kept. Values are
    compared exactly as floats.

    Examples
    --------
    >>> front_indices([3.0, 1.0, 2.0, 1.0, 0.5], [1.0, 2.0, 2.0, 2.0, 4.0]).tolist()
    [0, 1, 4]
    """
    first, second = np.asarray(first, float), np.asarray(second, float)
    order = np.lexsort((np.arange(len(first)), first, second))
    return order[_skyline(first[order])]


def _skyline(first_sorted: np.ndarray) -> np.ndarray:
    """Mask of points (already sorted by second, then first) that improve on every earlier first."""
    keep = np.ones(len(first_sorted), bool)
    if len(first_sorted) > 1:
        keep[1:] = first_sorted[1:] < np.minimum.accumulate(first_sorted)[:-1]
    return keep


class SumFront(NamedTuple):
    """The exact front of sums: one row per non-dominated point, by ascending ``second``."""

    first: np.ndarray
    """Sum of the first objective at each point."""
    second: np.ndarray
    """Sum of the second objective at each point."""
    choices: np.ndarray
    """``choices[p, g]``: the option of group ``g`` that point ``p`` takes (int array, points x groups)."""


def min_sum_front(groups: Sequence[tuple[ArrayLike, ArrayLike]]) -> SumFront:
    """The exact non-dominated set of totals when every group picks one option.

    Parameters
    ----------
    groups : sequence of (first, second)
        Per group, the two objectives of each of its options (equal-length arrays, at least one option).

    Returns
    -------
    SumFront
        One representative choice per distinct non-dominated total, chosen deterministically:
        where a merge makes equal partial sums, the one generated first (earliest parent on
        the previous front, then earliest option) is kept. Totals are summed in group order.

    Examples
    --------
    >>> front = min_sum_front([([0.0, 1.0], [2.0, 1.0]), ([0.0, 2.0, 1.0], [2.0, 0.0, 1.0])])
    >>> front.first.tolist(), front.second.tolist(), front.choices.tolist()
    ([3.0, 2.0, 1.0, 0.0], [1.0, 2.0, 3.0, 4.0], [[1, 1], [1, 2], [1, 0], [0, 0]])
    """
    first, second = np.zeros(1), np.zeros(1)
    steps = []
    for group_first, group_second in groups:
        a, b = np.asarray(group_first, float), np.asarray(group_second, float)
        n_opt = len(a)
        cand_first = (first[:, None] + a[None, :]).ravel()
        cand_second = (second[:, None] + b[None, :]).ravel()
        # Candidates are generated parent-major; lexsort is stable, so equal points keep the earliest parent.
        order = np.lexsort((cand_first, cand_second))
        kept = order[_skyline(cand_first[order])]
        first, second = cand_first[kept], cand_second[kept]
        steps.append((kept // n_opt, kept % n_opt))
    return SumFront(first, second, _backtrack(steps, len(first)))


def _backtrack(steps: list[tuple[np.ndarray, np.ndarray]], n_points: int) -> np.ndarray:
    """Walk each final point back through the merges to the option it took in every group."""
    choices = np.zeros((n_points, len(steps)), dtype=np.int64)
    index = np.arange(n_points)
    for g in range(len(steps) - 1, -1, -1):
        parent, option = steps[g]
        choices[:, g] = option[index]
        index = parent[index]
    return choices
