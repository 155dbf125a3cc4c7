"""Co-design at one accelerator: the exact per-layer precision plans it runs best, and its uniform plans.

The bring-up of one candidate chip: cost every weight layer at every
candidate format on it (`analysis.costs.cost_table`: each distinct layer
shape and format mapped once, cached in the worker between points), then let
the exact search (`analysis.search`, HiGHS plus the exact front of sums)
choose. The search is asked the co-design question the other way round from
``qcosim search``: minimize the primary objective (latency or energy) with the
summed accuracy proxy as a budget, so its result is the fastest plan within
every budget, exactly, and its Pareto set is the whole objective x accuracy
trade-off on this chip. The uniform plans (every weight layer at one
candidate, pins kept) are costed beside them for the single-sided baselines.

A worker runs `codesign_batch` on batches of `CodesignPoint`; each comes back
as a `CodesignResult` whose ``plans`` the co-design store keeps.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import Field

from analysis.budgets import Budget, parse_budget
from analysis.candidates import LayerOptions, Option
from analysis.codesign_spec import SearchSection
from analysis.costs import cost_table, searchable_layers
from analysis.errors import AnalysisError
from analysis.evaluate import POINT_ERRORS
from analysis.points import PointResult, SweepPoint
from analysis.search import search
from analysis.sensitivity import Sensitivity, sensitivity
from hwmodels import area_breakdown_mm2, parse_hardware
from simulator import SimOptions
from vocabulary.model import FrozenModel
from workloads.io import load_workload

__all__ = ["PLAN_FIGURES", "CodesignPoint", "PlanRow", "CodesignResult", "load_sensitivity", "point_plans",
           "evaluate_codesign_point", "codesign_batch"]

PLAN_FIGURES = ("latency_ms", "energy_uj", "size_bytes", "bops", "sensitivity")
"""What every plan records: the cost-table totals (additive over layers) and the summed accuracy proxy."""
ACCURACY = "accuracy"
"""The cost column the summed proxy takes in the swapped table the search is given."""
_RTOL = 1e-9


class CodesignPoint(SweepPoint):
    """One accelerator of a co-design, with the search that gives it per-layer precisions."""

    search: SearchSection
    """Candidates, accuracy source (made absolute), budgets and objectives."""
    sensitivity_digest: str = ""
    """SHA-256 of the sensitivity file's bytes (empty for ``auto``): an edited file makes new keys."""

    @property
    def key(self) -> str:
        """The sweep point's key (workload, hardware, options, version) with the search and its inputs."""
        payload = [super().key, self.search.model_dump(mode="json"), self.sensitivity_digest]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]


class PlanRow(FrozenModel):
    """One whole-network plan on one accelerator, by the cost table's totals."""

    kind: Literal["searched", "uniform"]
    """``searched``: a point of the exact front (or the best plan); ``uniform``: one candidate everywhere."""
    label: str
    """``best`` (the fastest plan within every budget), ``front``, or the uniform candidate."""
    quants: list[str]
    """Format of every weight layer, in execution order (`analysis.costs.searchable_layers`)."""
    latency_ms: float
    energy_uj: float
    size_bytes: float
    bops: float
    sensitivity: float
    """Summed accuracy proxy (lower is better)."""
    meets: bool
    """Within every budget of the search section."""


class CodesignResult(PointResult):
    """A point's result with its plans."""

    plans: list[PlanRow] = Field(default_factory=list)
    """The best plan, the front plans within the budgets, and the uniform plans."""


@functools.lru_cache(maxsize=16)
def _network(workload: str, params_json: str):
    params = json.loads(params_json)
    shapes = params.pop("input_shapes", None)
    return load_workload(workload, params=params or None, input_shapes=shapes)


@functools.lru_cache(maxsize=16)
def _proxy(workload: str, params_json: str, candidates: tuple[str, ...], source: str) -> Sensitivity:
    graph = _network(workload, params_json)
    if source == "auto":
        return sensitivity(graph, list(candidates))
    if Path(source).suffix.lower() == ".csv":
        return sensitivity(graph, list(candidates), traces=source)
    try:
        table = Sensitivity.model_validate_json(Path(source).read_bytes())
    except (OSError, ValueError) as exc:
        raise AnalysisError(f"not a sensitivity table ({' '.join(str(exc).split())[:200]})", source) from None
    for layer in searchable_layers(graph):
        for candidate in candidates:
            table.value(layer, candidate)  # every row the search will ask for, checked once
    return table


def load_sensitivity(point: CodesignPoint) -> Sensitivity:
    """The accuracy proxy of ``point``'s network at its candidates (cached per process).

    Raises
    ------
    AnalysisError
        A file that is no sensitivity table or lacks a (layer, candidate) row, or
        an ``sqnr`` budget on a proxy that is not a relative noise power (HAWQ).
    """
    proxy = _proxy(point.workload, json.dumps(point.params, sort_keys=True), tuple(point.search.candidates),
                   point.search.sensitivity)
    if proxy.proxy == "hawq" and "sqnr" in point.search.budgets.get("accuracy", "").lower():
        raise AnalysisError("HAWQ traces are in the loss's units, not a noise power: write the accuracy budget "
                            "as sensitivity<=X", "search.budgets.accuracy")
    return proxy


def _swapped(table: Sequence[LayerOptions], primary: str) -> list[LayerOptions]:
    """The table with the primary metric as what is minimized and the proxy as a cost column."""
    return [row.model_copy(update={"options": [
        Option.model_construct(quant=o.quant, costs={**o.costs, ACCURACY: o.sensitivity},
                               sensitivity=o.costs[primary]) for o in row.options]}) for row in table]


def _budgets(table: Sequence[LayerOptions], search_section: SearchSection) -> list[Budget]:
    """The accuracy budget first (it is the front's second axis), then the cost budgets."""
    limit = search_section.accuracy_limit
    if math.isinf(limit):  # no accuracy budget: a limit every plan meets
        limit = sum(max(o.sensitivity for o in row.options) for row in table)
    accuracy = Budget(metric=ACCURACY, limit=limit, text=f"accuracy: {search_section.budgets.get('accuracy', 'any')}")
    return [accuracy, *(parse_budget(text, table) for text in search_section.cost_budgets)]


def _meets(totals: dict[str, float], budgets: Sequence[Budget]) -> bool:
    return all(totals[b.metric] <= b.limit + _RTOL * abs(b.limit) for b in budgets)


def _plan(table: Sequence[LayerOptions], kind: str, label: str, assignment: dict[str, str], layers: Sequence[str],
          budgets: Sequence[Budget]) -> PlanRow:
    """A plan (layer -> format, every layer of the table) with its totals summed in layer order.

    Searched and uniform plans are summed the same way, so a searched plan that
    is a uniform one has bit-identical totals (a gain of exactly 1).
    """
    totals = dict.fromkeys(PLAN_FIGURES, 0.0)
    for row in table:
        quant = assignment[row.layer]
        option = row.options[0] if len(row.options) == 1 else next(o for o in row.options if o.quant == quant)
        for name in PLAN_FIGURES[:-1]:
            totals[name] += option.costs[name]
        totals["sensitivity"] += option.sensitivity
    return PlanRow(kind=kind, label=label, quants=[assignment[name] for name in layers],
                   meets=_meets({**totals, ACCURACY: totals["sensitivity"]}, budgets), **totals)


def _uniform(table: Sequence[LayerOptions], candidate: str, layers: Sequence[str],
             budgets: Sequence[Budget]) -> PlanRow | None:
    """Every weight layer at ``candidate`` (pinned layers at their pin); None if a layer cannot run it."""
    chosen = set(layers)
    assignment = {row.layer: row.pinned or (candidate if row.layer in chosen else row.options[0].quant)
                  for row in table}
    if any(assignment[row.layer] not in {o.quant for o in row.options} for row in table):
        return None
    return _plan(table, "uniform", candidate, assignment, layers, budgets)


def point_plans(table: Sequence[LayerOptions], search_section: SearchSection,
                layers: Sequence[str]) -> tuple[list[PlanRow], str]:
    """The plans of one accelerator: best, front within budgets, uniform; and why there is no best ("" if any).

    Parameters
    ----------
    table : sequence of LayerOptions
        The accelerator's cost table (`analysis.costs.cost_table`).
    search_section : SearchSection
        Candidates, budgets and objectives.
    layers : sequence of str
        The weight layers whose formats a plan lists.
    """
    primary = search_section.primary
    swapped = _swapped(table, primary)
    budgets = _budgets(table, search_section)
    result = search(swapped, budgets)
    plans = [] if result.best is None else [_plan(table, "searched", "best", result.best.assignment, layers, budgets)]
    for plan in result.pareto:
        if plan.totals[ACCURACY] > budgets[0].limit * (1 + 1e-6):  # far past the accuracy budget: not kept
            continue
        row = _plan(table, "searched", "front", plan.assignment, layers, budgets)
        if row.meets and (not plans or row.quants != plans[0].quants):
            plans.append(row)
    plans.extend(row for c in search_section.candidates
                 if (row := _uniform(table, c, layers, budgets)) is not None)
    return plans, result.reason


def evaluate_codesign_point(point: CodesignPoint) -> CodesignResult:
    """Cost, search and summarize one accelerator; a point that cannot run comes back failed with its reason."""
    start = time.perf_counter()
    try:
        graph = _network(point.workload, json.dumps(point.params, sort_keys=True))
        proxy = load_sensitivity(point)
        acc = parse_hardware(point.hardware, source=f"point {point.key}")
        table = cost_table(graph, acc, point.search.candidates, proxy, options=SimOptions(**point.options),
                           pin_first_last=point.search.pin_first_last)
        plans, reason = point_plans(table, point.search, searchable_layers(graph))
    except (*POINT_ERRORS, AnalysisError) as exc:
        return CodesignResult(key=point.key, status="failed", error=str(exc), seconds=time.perf_counter() - start)
    seconds = time.perf_counter() - start
    if reason:
        return CodesignResult(key=point.key, status="failed", error=f"no plan meets the budgets: {reason}",
                              plans=plans, seconds=seconds)
    best = plans[0]
    metrics = {"latency_s": best.latency_ms * 1e-3, "energy_pj": best.energy_uj * 1e6,
               "edp_js": best.latency_ms * best.energy_uj * 1e-9, "area_mm2": sum(area_breakdown_mm2(acc).values()),
               "sram_bytes": float(acc.onchip_bytes), "leakage_mw": acc.leakage_mw, "weight_bytes": best.size_bytes}
    return CodesignResult(key=point.key, status="ok", metrics=metrics, plans=plans, seconds=seconds)


def codesign_batch(points: Sequence[CodesignPoint]) -> list[CodesignResult]:
    """Evaluate ``points`` in order (one executor task; the worker's caches stay warm between points)."""
    return [evaluate_codesign_point(point) for point in points]
