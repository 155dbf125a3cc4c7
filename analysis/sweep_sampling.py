"""Drawing hardware samples from swept fields: full grid, random, or Latin hypercube.

The shmoo plot of a design space: every swept field is an `Axis` (a list of
values, or a continuous range, linear or logarithmic), and fields linked
together form one dimension whose axes move by the same index. A grid takes
the cartesian product of the dimensions. Random and Latin-hypercube sampling
draw one number in [0, 1) per dimension and sample, and map it onto each
axis: a list is cut into equal strata (one per value), a range is read
continuously. A Latin hypercube of n samples puts exactly one sample in each
of the n equal strata of every dimension (McKay, Beckman and Conover,
Technometrics 21(2), 1979), from `scipy.stats.qmc.LatinHypercube`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.stats import qmc

__all__ = ["Axis", "Dimension", "Method", "grid", "unit_samples", "draw"]

Method = Literal["grid", "random", "lhs"]


@dataclass(frozen=True)
class Axis:
    """One swept field: a list of values, or a range from ``low`` to ``high``.

    Examples
    --------
    >>> Axis("dram.bandwidth_gb_per_s", low=8, high=64, log=True, steps=4).grid_values()
    [8.0, 16.0, 32.0, 64.0]
    >>> Axis("engines[0].rows", values=(16, 32, 64)).at(0.5)
    32
    """

    path: str
    """Dotted path of the field."""
    values: tuple[Any, ...] | None = None
    """The values to choose from; None for a range."""
    low: float = 0.0
    """Smallest value of a range."""
    high: float = 0.0
    """Largest value of a range."""
    log: bool = False
    """Space a range evenly in log scale."""
    steps: int | None = None
    """Values a grid takes from a range (both bounds included)."""
    integer: bool = False
    """The field holds an integer: range values are rounded to the nearest one."""

    def __len__(self) -> int:
        if self.values is not None:
            return len(self.values)
        return self.steps or 0

    def _number(self, value: float) -> int | float:
        if self.integer:  # the nearest integer inside the range (a range of 8.5 to 64 starts at 9)
            return min(max(int(round(value)), math.ceil(self.low)), math.floor(self.high))
        return float(f"{value:.12g}")  # 16.000000000000004 from exp/log is 16.0

    def grid_values(self) -> list[Any]:
        """The values a grid takes: the list, or ``steps`` points spaced over the range."""
        if self.values is not None:
            return list(self.values)
        space = np.geomspace if self.log else np.linspace
        return [self._number(float(x)) for x in space(self.low, self.high, self.steps)]

    def at(self, unit: float) -> Any:
        """The value at ``unit`` in [0, 1): stratum ``floor(unit * n)`` of a list, or a point of the range."""
        if self.values is not None:
            return self.values[min(int(unit * len(self.values)), len(self.values) - 1)]
        if self.log:
            return self._number(math.exp(math.log(self.low) + unit * (math.log(self.high) - math.log(self.low))))
        if self.integer:  # every integer of the range equally likely (rounding would halve the two ends)
            low, high = math.ceil(self.low), math.floor(self.high)
            return low + min(int(unit * (high - low + 1)), high - low)
        return self._number(self.low + unit * (self.high - self.low))


Dimension = tuple[Axis, ...]
"""Axes that move together (a linked group), or a single axis."""


def grid(dimensions: Sequence[Dimension]) -> list[dict[str, Any]]:
    """Every combination of the dimensions' indices, the last dimension varying fastest.

    Examples
    --------
    >>> rows, cols = Axis("rows", values=(16, 32)), Axis("cols", values=(8, 16))
    >>> grid([(rows, cols), (Axis("glb", values=(1, 2)),)])
    [{'rows': 16, 'cols': 8, 'glb': 1}, {'rows': 16, 'cols': 8, 'glb': 2}, \
{'rows': 32, 'cols': 16, 'glb': 1}, {'rows': 32, 'cols': 16, 'glb': 2}]
    """
    columns = [[axis.grid_values() for axis in dimension] for dimension in dimensions]
    samples = []
    for indices in itertools.product(*(range(len(dimension[0])) for dimension in dimensions)):
        sample = {}
        for dimension, values, index in zip(dimensions, columns, indices, strict=True):
            sample.update({axis.path: column[index] for axis, column in zip(dimension, values, strict=True)})
        samples.append(sample)
    return samples


def unit_samples(method: Literal["random", "lhs"], samples: int, dimensions: int, seed: int) -> np.ndarray:
    """``samples`` x ``dimensions`` numbers in [0, 1): independent uniform, or a Latin hypercube.

    Examples
    --------
    >>> u = unit_samples("lhs", 5, 2, seed=0)
    >>> sorted(np.floor(u[:, 0] * 5).astype(int).tolist())
    [0, 1, 2, 3, 4]
    """
    if method == "lhs":
        return qmc.LatinHypercube(d=dimensions, seed=seed).random(samples)
    return np.random.default_rng(seed).random((samples, dimensions))


def draw(dimensions: Sequence[Dimension], method: Method, samples: int | None, seed: int) -> list[dict[str, Any]]:
    """Hardware samples (dotted path -> value) by ``method``; the same seed gives the same samples.

    Without dimensions there is one sample: the base hardware itself.
    """
    if method == "grid" or not dimensions:
        return grid(dimensions)
    units = unit_samples(method, samples or 1, len(dimensions), seed)
    return [{axis.path: axis.at(float(u)) for dimension, u in zip(dimensions, row, strict=True) for axis in dimension}
            for row in units]
