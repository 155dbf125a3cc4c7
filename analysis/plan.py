"""A precision plan, searched and then simulated end to end: what the search promised and what the chip does.

The sign-off of a mixed-precision choice: the search adds per-layer costs
(`analysis.costs`), which is only an estimate once layers overlap or keep
activations on chip; so the chosen plan is written as a policy, simulated
whole, and both figures are kept side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from analysis.costs import cost_table, highest_precision, searchable_layers, searched_policy
from analysis.search import LayerOptions, SearchResult, parse_budget, search
from hwmodels import Accelerator
from simulator import SimOptions, simulate
from vocabulary.model import FrozenModel
from workloads.graph import LayerGraph
from workloads.policy import QuantPolicy, apply_quant
from workloads.summary import summarize

__all__ = ["PlanFigures", "SearchReport", "evaluate_plan", "plan_search", "table_search"]


class PlanFigures(FrozenModel):
    """One whole-network plan, simulated end to end."""

    label: str
    """``w8a8`` for a uniform plan, or what a searched plan was searched under."""
    kind: Literal["uniform", "searched"]
    """A uniform policy or a searched mixed-precision one."""
    latency_ms: float
    """End-to-end latency."""
    energy_uj: float
    """End-to-end energy."""
    edp_uj_ms: float
    """Energy-delay product."""
    size_bytes: float
    """Weights at their formats, scales and zero points included, plus bias and normalization terms."""
    bops: float
    """Bit operations: MACs x weight bits x activation bits."""
    sensitivity: float
    """Sum of the sensitivity proxy over the searchable layers (lower is better)."""


class SearchReport(FrozenModel):
    """A search on one network and accelerator: the exact result, the plan as a policy, and its simulation."""

    workload: str
    """Network name."""
    hardware: str
    """Accelerator name."""
    candidates: list[str]
    """Formats each layer could take."""
    proxy: str
    """The sensitivity proxy and what its values mean."""
    result: SearchResult
    """The exact search: the best plan under the budgets (additive per-layer totals) and the Pareto set."""
    layers: list[LayerOptions] = Field(default_factory=list)
    """The cost table searched: every layer's options with their costs and sensitivities."""
    policy: QuantPolicy | None = None
    """The best plan as a policy (None when no plan meets the budgets)."""
    simulated: PlanFigures | None = None
    """The best plan simulated end to end."""


def evaluate_plan(graph: LayerGraph, acc: Accelerator, policy: QuantPolicy, sensitivity, *, label: str,
                  kind: Literal["uniform", "searched"], options: SimOptions = SimOptions()) -> PlanFigures:
    """Simulate ``graph`` under ``policy`` on ``acc`` and total the proxy over its searchable layers.

    Each searchable layer's proxy is looked up under the candidate the policy
    gives it by name (``policy.layers``), else under ``policy.default``.
    """
    quantized = apply_quant(graph, policy)
    totals = simulate(quantized, acc, options.model_copy(update={"keep_layers": False})).totals
    summary = summarize(quantized).totals
    latency_ms, energy_uj = totals.latency_s * 1e3, totals.energy_pj * 1e-6
    return PlanFigures(
        label=label, kind=kind, latency_ms=latency_ms, energy_uj=energy_uj, edp_uj_ms=latency_ms * energy_uj,
        size_bytes=float(summary.weight_bytes), bops=float(summary.bops),
        sensitivity=sum(sensitivity.value(name, str(policy.layers.get(name, policy.default)))
                        for name in searchable_layers(quantized)),
    )


def plan_search(graph: LayerGraph, acc: Accelerator, candidates: Sequence[str], budgets: Sequence[str],
                sensitivity, *, options: SimOptions = SimOptions(), pin_first_last: bool = True) -> SearchReport:
    """Search the best plan under ``budgets`` (texts such as ``latency=0.75x``) and simulate it.

    Raises
    ------
    AnalysisError
        A budget cannot be parsed, or a layer can run none of the candidates.
    """
    table = cost_table(graph, acc, candidates, sensitivity, options=options, pin_first_last=pin_first_last)
    result = search(table, [parse_budget(text, table) for text in budgets])
    report = SearchReport(workload=graph.name, hardware=acc.name, candidates=list(candidates),
                          proxy=sensitivity.description, result=result, layers=table)
    if result.best is None:
        return report
    policy = searched_policy(result.best.assignment, highest_precision(candidates))
    label = "searched" + (f" ({', '.join(budgets)})" if budgets else "")
    simulated = evaluate_plan(graph, acc, policy, sensitivity, label=label, kind="searched", options=options)
    return report.model_copy(update={"policy": policy, "simulated": simulated})


def table_search(layers: Sequence[LayerOptions], budgets: Sequence[str], *, source: str) -> SearchReport:
    """Search a user cost table (table mode: no model, no simulation); ``source`` names the table."""
    result = search(layers, [parse_budget(text, layers) for text in budgets])
    candidates = list(dict.fromkeys(o.quant for row in layers for o in row.options))
    report = SearchReport(workload=source, hardware="(cost table)", candidates=candidates,
                          proxy=f"the sensitivity column of {source}", result=result, layers=list(layers))
    if result.best is None:
        return report
    return report.model_copy(update={"policy": searched_policy(result.best.assignment, highest_precision(candidates))})
