"""One front over hardware and precision together, and what co-design buys over single-sided searches.

The design review of a co-design: every (accelerator, per-layer plan) pair
within the budgets, the non-dominated ones over the chosen objectives
(`analysis.pareto.pareto_ranks`), each naming its accelerator parameters and
its per-layer formats, and beside each the two answers a one-sided tool would
give:

- **uniform on this accelerator** (what a hardware-only sweep at the best
  fixed precision reports for this chip): of the uniform plans (every weight
  layer at one candidate, pinned layers kept) on the same accelerator that
  meet every budget, the best by the primary objective;
- **accelerator for that uniform precision** (a hardware sweep at fixed
  precision): that same uniform precision on the best accelerator of the
  space whose area is no larger than this point's.

``gain`` is the baseline's primary objective over the point's: 1.3 means the
co-designed point is 1.3x faster (or 1.3x less energy). Figures are the cost
table's totals (additive over layers), the same for every plan compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import Field

from analysis.codesign_eval import PlanRow
from analysis.codesign_spec import OBJECTIVE_METRICS, SearchSection, sqnr_db
from analysis.fronts import SweepRow
from analysis.pareto import knee_index
from vocabulary.model import FrozenModel

__all__ = ["Baseline", "DesignPoint", "CodesignFront", "codesign_front"]

_AREA_RTOL = 1e-9


class Baseline(FrozenModel):
    """A single-sided answer to compare a front point with."""

    precision: str
    """The uniform candidate."""
    key: str
    """The accelerator's point key."""
    hardware: dict[str, Any]
    """Its swept values (dotted path -> value)."""
    figures: dict[str, float]
    """``latency_ms``, ``energy_uj``, ``size_bytes``, ``bops``, ``sensitivity``, ``area_mm2``."""
    gain: float
    """The baseline's primary objective over the front point's (> 1: co-design is better)."""


class DesignPoint(FrozenModel):
    """An accelerator and its per-layer plan, with both baselines."""

    key: str
    """The accelerator's point key (``points.key`` in the store)."""
    hardware: dict[str, Any]
    """Swept values of the accelerator (dotted path -> value)."""
    plan: str
    """``best`` (the accelerator's fastest plan within the budgets) or ``front`` (another plan of its front)."""
    assignment: dict[str, str]
    """Weight layer -> format, in execution order."""
    formats: dict[str, int]
    """How many weight layers take each format."""
    figures: dict[str, float]
    """``latency_ms``, ``energy_uj``, ``size_bytes``, ``bops``, ``sensitivity``, ``area_mm2`` (cost-table totals)."""
    sqnr_db: float | None
    """Output SQNR the summed proxy stands for (None for HAWQ traces, which are not a noise power)."""
    uniform_on_hardware: Baseline | None
    """Best uniform plan on this accelerator within the budgets (None: no uniform plan meets them)."""
    hardware_for_uniform: Baseline | None
    """That uniform precision on the best accelerator of no larger area."""


class CodesignFront(FrozenModel):
    """The front of one network over hardware and precision."""

    workload: str
    objectives: list[str]
    """Objective names, as the search section lists them."""
    primary: str
    """The figure each accelerator's plans trade against accuracy (``latency_ms`` or ``energy_uj``)."""
    accelerators: int
    """Accelerators with at least one plan within the budgets."""
    considered: int
    """(Accelerator, plan) pairs within the budgets that the front was taken over."""
    points: list[DesignPoint] = Field(default_factory=list)
    """Non-dominated pairs, by ascending primary objective."""
    knee: int | None = None
    """Index into ``points`` of the balanced point (`analysis.pareto.knee_index`)."""


def _figures(plan: PlanRow, area_mm2: float) -> dict[str, float]:
    return {"latency_ms": plan.latency_ms, "energy_uj": plan.energy_uj, "size_bytes": plan.size_bytes,
            "bops": plan.bops, "sensitivity": plan.sensitivity, "area_mm2": area_mm2}


class _Space:
    """The stored accelerators of one network with their plans, for front and baselines."""

    def __init__(self, rows: Sequence[SweepRow], plans: Mapping[str, list[PlanRow]], primary: str) -> None:
        self.rows = {row.key: row for row in rows if row.status == "ok"}
        self.plans = {key: plans.get(key, []) for key in self.rows}
        self.primary = primary
        self.area = {key: row.metrics["area_mm2"] for key, row in self.rows.items()}
        self.uniform = {key: {p.label: p for p in self.plans[key] if p.kind == "uniform" and p.meets}
                        for key in self.rows}
        self._best_up_to: dict[str, tuple[np.ndarray, list[tuple[str, PlanRow]]]] = {}

    def baseline(self, key: str, plan: PlanRow, value: float) -> Baseline:
        return Baseline(precision=plan.label, key=key, hardware=self.rows[key].values,
                        figures=_figures(plan, self.area[key]), gain=getattr(plan, self.primary) / value)

    def best_up_to(self, precision: str, area_mm2: float) -> tuple[str, PlanRow]:
        """The accelerator of area <= ``area_mm2`` running ``precision`` best (one sorted pass per precision)."""
        if precision not in self._best_up_to:
            runs = sorted((self.area[k], getattr(u[precision], self.primary), k) for k, u in self.uniform.items()
                          if precision in u)
            best, prefix = None, []
            for _, value, k in runs:  # the best so far, by increasing area (ties: the smaller area first)
                if best is None or value < getattr(self.uniform[best][precision], self.primary):
                    best = k
                prefix.append((best, self.uniform[best][precision]))
            self._best_up_to[precision] = (np.array([a for a, _, _ in runs]), prefix)
        areas, prefix = self._best_up_to[precision]
        return prefix[int(np.searchsorted(areas, area_mm2 * (1 + _AREA_RTOL), side="right")) - 1]

    def baselines(self, key: str, value: float) -> tuple[Baseline | None, Baseline | None]:
        here = self.uniform[key]
        if not here:
            return None, None
        best = min(here.values(), key=lambda p: getattr(p, self.primary))
        other_key, other = self.best_up_to(best.label, self.area[key])
        return self.baseline(key, best, value), self.baseline(other_key, other, value)


def _front_mask(values: np.ndarray) -> np.ndarray:
    """Mask of the non-dominated rows (all objectives minimized).

    `analysis.pareto.pareto_ranks` ranks every point; a co-design has 10^4 to
    10^5 pairs and needs the front only: rows in lexicographic order, each
    compared with the front found so far (no later row can dominate an earlier one).
    """
    order = np.lexsort(values.T[::-1])
    front, size = np.empty_like(values), 0
    keep = np.zeros(len(values), bool)
    for index in order:
        row, found = values[index], front[:size]
        if size and np.any(np.all(found <= row, axis=1) & np.any(found < row, axis=1)):
            continue
        keep[index] = True
        front[size] = row
        size += 1
    return keep


def codesign_front(workload: str, rows: Sequence[SweepRow], plans: Mapping[str, list[PlanRow]],
                   search_section: SearchSection, layers: Sequence[str], *, noise_proxy: bool = True) -> CodesignFront:
    """The non-dominated (accelerator, plan) pairs of one network over the search section's objectives.

    Parameters
    ----------
    workload : str
        The network the rows belong to.
    rows : sequence of SweepRow
        Its stored accelerators (`analysis.runner.read_rows`); failed ones are skipped.
    plans : mapping of str to list of PlanRow
        Plans by point key (`analysis.codesign_store.CodesignStore.plans`).
    search_section : SearchSection
        Objectives and primary objective.
    layers : sequence of str
        The network's weight layers, in the order plans list their formats.
    noise_proxy : bool
        The proxy is a relative noise power, so its sum has an SQNR (False for HAWQ traces).
    """
    space = _Space(rows, plans, search_section.primary)
    pairs = [(key, plan) for key in space.rows for plan in space.plans[key] if plan.kind == "searched" and plan.meets]
    metrics = [OBJECTIVE_METRICS[o] for o in search_section.objectives]
    values = np.array([[space.area[key] if m == "area_mm2" else getattr(plan, m) for m in metrics]
                       for key, plan in pairs], dtype=float).reshape(len(pairs), len(metrics))
    on_front = [pairs[i] for i in np.flatnonzero(_front_mask(values))]
    on_front.sort(key=lambda kp: (getattr(kp[1], space.primary), kp[1].sensitivity, space.area[kp[0]], kp[0]))
    points = []
    for key, plan in on_front:
        value = getattr(plan, space.primary)
        uniform, hardware = space.baselines(key, value)
        points.append(DesignPoint(
            key=key, hardware=space.rows[key].values, plan=plan.label,
            assignment=dict(zip(layers, plan.quants, strict=True)),
            formats={q: plan.quants.count(q) for q in search_section.candidates if q in plan.quants},
            figures=_figures(plan, space.area[key]), sqnr_db=sqnr_db(plan.sensitivity) if noise_proxy else None,
            uniform_on_hardware=uniform, hardware_for_uniform=hardware))
    knee = None
    if points:
        knee = knee_index([[p.figures[m] for m in metrics] for p in points])
    return CodesignFront(workload=workload, objectives=list(search_section.objectives),
                         primary=search_section.primary, accelerators=len({k for k, _ in pairs}),
                         considered=len(pairs), points=points, knee=knee)
