"""Pareto fronts and rankings of a finished sweep: which designs are worth a second look.

The design review's first slide: of every simulated point, the ones no other
point beats on the chosen objectives (latency, energy, area …), their ranks,
the balanced knee point, and two rankings a designer asks for next: for each
hardware configuration, which precision policy is best; for each policy,
which hardware configuration is best.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import Field

from analysis.errors import AnalysisError
from analysis.pareto import knee_index, pareto_ranks
from vocabulary.model import FrozenModel

__all__ = ["OBJECTIVES", "SweepRow", "FrontPoint", "Front", "GroupRanking", "parse_objectives", "sweep_front",
           "rankings"]

OBJECTIVES: dict[str, tuple[str, int]] = {
    "latency": ("latency_s", 1), "energy": ("energy_pj", 1), "edp": ("edp_js", 1), "area": ("area_mm2", 1),
    "sram": ("sram_bytes", 1), "size": ("weight_bytes", 1), "dram": ("dram_bytes", 1),
    "leakage": ("leakage_mw", 1), "utilization": ("utilization", -1),
}
"""Objective name -> (metric column, +1 to minimize / -1 to maximize)."""


class SweepRow(FrozenModel):
    """One stored point as the analysis reads it."""

    key: str
    status: str
    workload: str
    policy: str
    values: dict[str, Any] = Field(default_factory=dict)
    """Swept hardware values (dotted path -> value)."""
    metrics: dict[str, float] = Field(default_factory=dict)


class FrontPoint(FrozenModel):
    """A point with its front rank and its objectives."""

    key: str
    rank: int
    """0: on the Pareto front; r: on the front once ranks below r are removed."""
    workload: str
    policy: str
    values: dict[str, Any]
    objectives: dict[str, float]
    """Objective name -> metric value (in the metric's unit: s, pJ, mm², bytes …)."""


class Front(FrozenModel):
    """The non-dominated points of a sweep (and, on request, every ranked point)."""

    objectives: list[str]
    """What was minimized (utilization is maximized)."""
    metrics: list[str]
    """The metric column behind each objective, with its unit."""
    points: list[FrontPoint]
    """Rank 0 first, each rank by its first objective."""
    knee: str | None = None
    """Key of the front's balanced point (`analysis.pareto.knee_index`)."""
    considered: int = 0
    """Points that ran."""
    failed: int = 0
    """Points that could not run (left out)."""


class GroupRanking(FrozenModel):
    """Within one group (a hardware configuration, or a policy), the members best first."""

    group: str
    members: list[tuple[str, float]]
    """(member label, objective value) best first."""


def parse_objectives(text: str | Sequence[str]) -> list[str]:
    """``"latency,energy,area"`` -> the objective names, each checked."""
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text) if n.strip()]
    unknown = [n for n in names if n not in OBJECTIVES]
    if unknown or not names:
        raise AnalysisError(f"unknown objective {unknown[0]!r} (known: {', '.join(OBJECTIVES)})" if unknown
                            else f"give at least one objective (known: {', '.join(OBJECTIVES)})", "--objectives")
    return list(dict.fromkeys(names))


def _matrix(rows: Sequence[SweepRow], objectives: Sequence[str]) -> np.ndarray:
    return np.array([[OBJECTIVES[o][1] * row.metrics.get(OBJECTIVES[o][0], np.nan) for o in objectives]
                     for row in rows], dtype=float).reshape(len(rows), len(objectives))


def sweep_front(rows: Sequence[SweepRow], objectives: Sequence[str], *, all_ranks: bool = False) -> Front:
    """The Pareto front of the points that ran, over ``objectives``; every rank with ``all_ranks``.

    Examples
    --------
    >>> rows = [SweepRow(key=k, status="ok", workload="w", policy="p", metrics={"latency_s": t, "energy_pj": e})
    ...         for k, t, e in (("a", 1, 9), ("b", 2, 2), ("c", 3, 3), ("d", 9, 1))]
    >>> front = sweep_front(rows, ["latency", "energy"])
    >>> [p.key for p in front.points], front.knee
    (['a', 'b', 'd'], 'b')
    """
    ran = [row for row in rows if row.status == "ok"]
    matrix = _matrix(ran, objectives)
    ranks = pareto_ranks(matrix) if len(ran) else np.zeros(0, dtype=np.int64)
    order = sorted((i for i in range(len(ran)) if ranks[i] >= 0 and (all_ranks or ranks[i] == 0)),
                   key=lambda i: (ranks[i], *matrix[i]))
    points = [FrontPoint(key=ran[i].key, rank=int(ranks[i]), workload=ran[i].workload, policy=ran[i].policy,
                         values=ran[i].values,
                         objectives={o: ran[i].metrics[OBJECTIVES[o][0]] for o in objectives}) for i in order]
    front = [i for i in order if ranks[i] == 0]
    knee = ran[front[knee_index(matrix[front])]].key if front else None
    return Front(objectives=list(objectives), metrics=[OBJECTIVES[o][0] for o in objectives], points=points,
                 knee=knee, considered=len(ran), failed=len(rows) - len(ran))


def _hardware_label(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{path}={value}" for path, value in values.items()) or "(base hardware)"


def rankings(rows: Sequence[SweepRow], objective: str, *, by: str) -> list[GroupRanking]:
    """Best first within groups: ``by="hardware"`` ranks policies per hardware configuration (and
    workload); ``by="policy"`` ranks hardware configurations per policy (and workload)."""
    if by not in ("hardware", "policy"):
        raise AnalysisError(f"rank by 'hardware' or 'policy' (got {by!r})")
    metric, sign = OBJECTIVES[parse_objectives([objective])[0]]
    groups: dict[str, list[tuple[str, float]]] = {}
    for row in rows:
        if row.status != "ok" or row.metrics.get(metric) is None:
            continue
        hardware = _hardware_label(row.values)
        group, member = ((f"{row.workload} @ {hardware}", row.policy) if by == "hardware"
                         else (f"{row.workload} @ {row.policy}", hardware))
        groups.setdefault(group, []).append((member, row.metrics[metric]))
    return [GroupRanking(group=g, members=sorted(m, key=lambda item: sign * item[1])) for g, m in groups.items()]
