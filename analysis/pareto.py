"""Non-dominated fronts, all objectives minimized, over plain arrays.

The trade-off curve a designer reads off a shmoo plot: of all the points, the
ones no other point beats on every axis. `front_indices` filters points on two
objectives; `pareto_ranks` peels any number of objectives into fronts (rank 0
is the Pareto front, rank 1 what is left once it is removed …) and
`knee_index` picks the front's balanced point; `min_sum_front` builds the
exact front of sums when each of several groups contributes one of its
options (a multiple-choice knapsack), by merging one group at a time and
pruning dominated partial sums, which never lose a non-dominated total: a
completion of a dominated partial sum is dominated by the same completion of
the partial sum that dominates it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["SumFront", "front_indices", "pareto_ranks", "knee_index", "min_sum_front"]


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


def _dominance(values: np.ndarray, block: int = 256) -> np.ndarray:
    """``d[i, j]``: row ``i`` dominates row ``j`` (no worse in every objective, better in one)."""
    n = len(values)
    d = np.zeros((n, n), bool)
    for start in range(0, n, block):  # blocks bound the block x n x k comparison in memory
        rows = values[start:start + block, None, :]
        d[start:start + block] = (np.all(rows <= values[None], axis=2) & np.any(rows < values[None], axis=2))
    return d


FULL_RANKS_LIMIT = 20_000
"""Beyond this many points only the front is found (rank 0) and every other point gets rank 1, since full
ranking holds a points x points matrix (400 MB at the limit)."""


def pareto_ranks(values: ArrayLike) -> np.ndarray:
    """Front rank of every point (0: non-dominated, 1: non-dominated once rank 0 is removed …).

    All objectives are minimized (negate one to maximize it); rows with a NaN
    get rank -1. Deb's non-dominated sort: each point's count of dominators,
    peeled front by front (Deb et al., NSGA-II, IEEE TEC 2002).

    Parameters
    ----------
    values : array of shape (points, objectives)

    Examples
    --------
    >>> pareto_ranks([[1, 4], [2, 2], [3, 3], [4, 1], [4, 4]]).tolist()
    [0, 0, 1, 0, 2]
    """
    values = np.asarray(values, float)
    ranks = np.full(len(values), -1, dtype=np.int64)
    valid = np.flatnonzero(~np.isnan(values).any(axis=1))
    if len(valid) > FULL_RANKS_LIMIT:
        ranks[valid] = np.where(_dominated_by_any(values[valid]), 1, 0)
        return ranks
    d = _dominance(values[valid])
    count = d.sum(axis=0)
    current, rank = np.flatnonzero(count == 0), 0
    while len(current):
        ranks[valid[current]] = rank
        count[current] = -1
        count -= d[current].sum(axis=0)
        current, rank = np.flatnonzero(count == 0), rank + 1
    return ranks


def _dominated_by_any(values: np.ndarray, block: int = 256) -> np.ndarray:
    """Mask of rows some other row dominates, without holding the whole dominance matrix."""
    out = np.zeros(len(values), bool)
    for start in range(0, len(values), block):
        rows = values[start:start + block, None, :]
        out[start:start + block] = np.any(
            np.all(values[None] <= rows, axis=2) & np.any(values[None] < rows, axis=2), axis=1)
    return out


def knee_index(values: ArrayLike) -> int:
    """The balanced point of a front: nearest to the ideal corner once every objective is scaled to [0, 1].

    Each objective is normalized over the given points (min -> 0, max -> 1; a
    constant objective contributes nothing) and the point with the smallest
    Euclidean distance to the all-zero corner is the knee (ties: the first).

    Examples
    --------
    >>> knee_index([[1.0, 10.0], [2.0, 2.0], [10.0, 1.0]])
    1
    """
    values = np.asarray(values, float)
    low, span = values.min(axis=0), np.ptp(values, axis=0)
    scaled = np.divide(values - low, span, out=np.zeros_like(values), where=span > 0)
    return int(np.argmin(np.sqrt((scaled ** 2).sum(axis=1))))


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
