"""Uniform and searched precision plans side by side, ranked by what the user optimizes.

The shortlist a design review asks for: every uniform policy among the
candidates and the searched mixed plans, each simulated end to end, ordered by
latency, energy, energy-delay product or model size, with the accuracy proxy
beside each so a faster plan that costs accuracy shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from analysis.plan import PlanFigures, evaluate_plan, plan_search
from hwmodels import Accelerator
from simulator import SimOptions
from vocabulary.model import FrozenModel
from workloads.graph import LayerGraph
from workloads.policy import parse_policy

__all__ = ["RankObjective", "OBJECTIVE_FIELDS", "Ranking", "rank", "rank_plans"]

RankObjective = Literal["latency", "energy", "edp", "size"]
OBJECTIVE_FIELDS = {"latency": "latency_ms", "energy": "energy_uj", "edp": "edp_uj_ms", "size": "size_bytes"}


class Ranking(FrozenModel):
    """Plans ordered by an objective, best first, with the accuracy proxy named."""

    workload: str
    """Network name."""
    hardware: str
    """Accelerator name."""
    objective: RankObjective
    """What the order minimizes."""
    proxy: str
    """The sensitivity proxy beside each plan (lower is better)."""
    plans: list[PlanFigures]
    """Best first; ties keep uniform plans first, in candidate order."""
    unmet: list[str] = Field(default_factory=list)
    """Budget sets no plan meets, each with the reason (left out of ``plans``)."""


def rank_plans(plans: Sequence[PlanFigures], objective: RankObjective) -> list[PlanFigures]:
    """``plans`` ordered by ``objective``, best first (stable: ties keep their order).

    Examples
    --------
    >>> a = PlanFigures(label="w8a8", kind="uniform", latency_ms=2, energy_uj=5, edp_uj_ms=10,
    ...                 size_bytes=8, bops=64, sensitivity=0.0)
    >>> b = a.model_copy(update={"label": "w4a8", "latency_ms": 1, "edp_uj_ms": 9, "sensitivity": 0.1})
    >>> [p.label for p in rank_plans([a, b], "latency")], [p.label for p in rank_plans([a, b], "energy")]
    (['w4a8', 'w8a8'], ['w8a8', 'w4a8'])
    """
    return sorted(plans, key=lambda plan: getattr(plan, OBJECTIVE_FIELDS[objective]))


def rank(graph: LayerGraph, acc: Accelerator, candidates: Sequence[str], sensitivity, *,
         objective: RankObjective = "latency", budgets: Sequence[Sequence[str]] = (),
         options: SimOptions = SimOptions(), pin_first_last: bool = True) -> Ranking:
    """Every uniform candidate and one searched plan per budget set, simulated and ranked by ``objective``.

    ``budgets`` holds budget sets (each a list of texts such as ``latency=0.75x``);
    a set no plan meets is left out.
    """
    plans = [evaluate_plan(graph, acc, parse_policy(c), sensitivity, label=c, kind="uniform", options=options)
             for c in candidates]
    unmet = []
    for budget_set in budgets:
        report = plan_search(graph, acc, candidates, budget_set, sensitivity, options=options,
                             pin_first_last=pin_first_last)
        if report.simulated is not None:
            plans.append(report.simulated)
        else:
            unmet.append(f"{', '.join(budget_set)}: {report.result.reason}")
    return Ranking(workload=graph.name, hardware=acc.name, objective=objective, proxy=sensitivity.description,
                   plans=rank_plans(plans, objective), unmet=unmet)
