"""Exact mixed-precision search: per layer, one format, least accuracy loss within hardware budgets.

The floor-planner of precision: every layer (every tie group) picks one
candidate format, the totals of latency, energy, size or BOPs stay within
their budgets, and the summed sensitivity is as small as it can be. The search
works on plain numbers (`LayerOptions`, from the simulator or a user table)
and calls no simulator.

**Best plan.** A binary integer program solved by HiGHS through
`scipy.optimize.milp`: x[g, o] = 1 when group g takes option o, one option per
group, tied layers merged into one group (so they share a format), pinned
layers left with their pin, one linear row per budget. The objective is
minimized exactly (``mip_rel_gap=0``, objective rescaled so HiGHS's absolute
tolerances are far below any difference that matters), and every returned
plan is re-checked in floating point against the budgets; one that HiGHS
accepted within its own feasibility tolerance but that exceeds a budget is cut
off and the program solved again.

**Ties between plans**: among the plans of least total sensitivity, the one
of least total of the first budget's metric (no budgets: the first cost
metric). When the Pareto set is built, its point of least metric among those
of least sensitivity is that plan whenever it meets the other budgets too, and
is taken as is (so ``best`` is one of ``pareto``); otherwise a second exact
solve minimizes the metric with sensitivity capped at its optimum. Plans equal
on both are told apart by the Pareto set's rule or by HiGHS, the same way for
the same input. Two totals within 1e-9 of the row's scale count as equal; a
budget is met when its total is at most ``limit + 1e-9 x scale`` (scale: the
larger of the limit and the largest total possible), so a ``1.0x`` budget
admits the plan it was taken from despite rounding.

HiGHS 1.12 (in scipy 1.17) prints a leftover debug line from C++ straight to
the process's stdout now and then (ERGO-Code/HiGHS#2783), which would corrupt
``--json`` output; file descriptor 1 points at ``/dev/null`` while it solves.

**Pareto set.** The exact set of non-dominated (sensitivity, first budget's
metric) totals, over all plans that honour ties and pins (budget limits do not
cut it: it is the whole trade-off curve, and ``best`` is the point the limits
select when there is one budget). Built by `analysis.pareto.min_sum_front`,
merging groups one at a time and pruning dominated partial sums; one
representative plan per distinct point.

Totals are summed in group order (tie groups summed over their members in
layer order first), the same order for the best plan, the Pareto set and the
relative budgets, so equal plans give bit-identical totals.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

from analysis.budgets import Budget, parse_budget
from analysis.candidates import LayerOptions, Option, OptionGroup, group_layers, metric_names
from analysis.errors import SearchError
from analysis.pareto import min_sum_front
from vocabulary.model import FrozenModel

__all__ = ["Budget", "LayerOptions", "Option", "SearchResult", "Solution", "parse_budget", "pareto_front",
           "search"]

SOLVER = "HiGHS MILP (scipy.optimize.milp), exact; Pareto set by exact front merging"
_RTOL = 1e-9
_OBJECTIVE_SCALE = 1e3
_MAX_CUTS = 100


class Solution(FrozenModel):
    """One plan: a format per layer and the totals it adds up to."""

    assignment: dict[str, str]
    """Layer -> chosen ``quant``, every layer, in the order the layers were given."""
    totals: dict[str, float]
    """Cost metric -> total over layers (units as in the metric names), plus ``sensitivity``."""


class SearchResult(FrozenModel):
    """The exact search: the best plan within every budget and the whole Pareto set."""

    best: Solution | None
    """Least total sensitivity within every budget; None when no plan meets them (see ``reason``)."""
    reason: str = ""
    """Why no plan meets the budgets (empty when ``best`` is set)."""
    budgets: list[Budget]
    """The budgets searched under, limits in their metric's unit."""
    pareto: list[Solution]
    """Non-dominated plans in (sensitivity, first budget's metric), by ascending metric (empty: no budget)."""
    solver: str
    """How the result was found."""


def _values(group: OptionGroup, key: str) -> np.ndarray:
    """The group's values of ``key`` (a cost metric or ``sensitivity``), one per option."""
    return group.sensitivity if key == "sensitivity" else group.costs[key]


def _column(groups: Sequence[OptionGroup], key: str) -> list[np.ndarray]:
    return [_values(group, key) for group in groups]


def _total(values: Sequence[np.ndarray], choice: Sequence[int]) -> float:
    total = 0.0
    for column, option in zip(values, choice, strict=True):
        total += float(column[option])
    return total


def _slack(values: Sequence[np.ndarray], limit: float) -> float:
    """How far past ``limit`` a total may round and still meet it."""
    return _RTOL * max(abs(limit), sum(float(v.max()) for v in values))


def _program(values: Sequence[np.ndarray], rows, cuts) -> tuple[np.ndarray, list[LinearConstraint]]:
    """Objective and constraints of one solve (objective shifted and scaled; rows scaled to ~1)."""
    sizes = [len(v) for v in values]
    starts = np.cumsum([0, *sizes[:-1]])
    objective = np.concatenate([v - v.min() for v in values])
    spread = sum(float(np.ptp(v)) for v in values)
    objective = objective * (_OBJECTIVE_SCALE / spread) if spread > 0 else objective
    pick_one = csr_array((np.ones(sum(sizes)), (np.repeat(np.arange(len(sizes)), sizes), np.arange(sum(sizes)))))
    constraints = [LinearConstraint(pick_one, 1, 1)]
    for row_values, limit in rows:
        scale = max(abs(limit), sum(float(v.max()) for v in row_values), 1e-300)
        row = np.concatenate(row_values) / scale
        constraints.append(LinearConstraint(row[None, :], -np.inf, (limit + _slack(row_values, limit)) / scale))
    for cut in cuts:
        row = np.zeros(sum(sizes))
        row[starts + np.asarray(cut)] = 1.0
        constraints.append(LinearConstraint(row[None, :], -np.inf, len(sizes) - 1))
    return objective, constraints


@contextmanager
def _native_stdout_silenced() -> Iterator[None]:
    """Point file descriptor 1 at /dev/null (the module docstring says why); a no-op without one."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _solve(values: Sequence[np.ndarray], rows) -> tuple[int, ...] | None:
    """Option per group minimizing the sum of ``values`` within ``rows``; None when infeasible."""
    sizes = [len(v) for v in values]
    cuts: list[tuple[int, ...]] = []
    for _ in range(_MAX_CUTS):
        objective, constraints = _program(values, rows, cuts)
        with _native_stdout_silenced():
            result = milp(objective, integrality=np.ones(len(objective)), bounds=Bounds(0, 1),
                          constraints=constraints, options={"mip_rel_gap": 0.0})
        if result.status == 2:
            return None
        if result.x is None:
            raise RuntimeError(f"HiGHS did not finish: {result.message}")
        choice = tuple(int(np.argmax(block)) for block in np.split(result.x, np.cumsum(sizes)[:-1]))
        if all(_total(r, choice) <= limit + _slack(r, limit) for r, limit in rows):
            return choice
        cuts.append(choice)  # met only within HiGHS's tolerance: exclude this plan exactly
    raise RuntimeError(f"HiGHS kept returning plans past a budget ({_MAX_CUTS} cuts)")


def _meets(solution: Solution, rows) -> bool:
    return all(solution.totals[metric] <= limit + slack for metric, limit, slack in rows)


def _best(groups: Sequence[OptionGroup], names: Sequence[str], budgets: Sequence[Budget],
          front: Sequence[Solution]) -> Solution | None:
    """Least sensitivity within ``budgets``, ties to the least first budget metric; None when infeasible."""
    rows = [(_column(groups, b.metric), b.limit) for b in budgets]
    sensitivity = _column(groups, "sensitivity")
    choice = _solve(sensitivity, rows)
    if choice is None:
        return None
    least = _total(sensitivity, choice)
    cap = least + _slack(sensitivity, least)
    # The front point of least metric within the cap beats every plan within the cap on that metric,
    # so if it meets the budgets it is the answer, exactly, and ``best`` is one of ``pareto``.
    candidate = next((p for p in front if p.totals["sensitivity"] <= cap), None)
    checks = [(b.metric, b.limit, _slack(values, b.limit)) for b, (values, _) in zip(budgets, rows, strict=True)]
    if candidate is not None and _meets(candidate, checks):
        return candidate
    key = budgets[0].metric if budgets else next(iter(groups[0].costs), None)
    if key is not None:
        rows.append((sensitivity, least))
        choice = _solve(_column(groups, key), rows) or choice
    return _solutions(groups, names, np.asarray([choice]))[0]


def _solutions(groups: Sequence[OptionGroup], layers: Sequence[str], choices: np.ndarray) -> list[Solution]:
    """Solutions for plans given as an option index per group (one row per plan)."""
    keys = [*groups[0].costs, "sensitivity"]
    totals = {key: np.zeros(len(choices)) for key in keys}
    quant_of: dict[str, np.ndarray] = {}
    for g, group in enumerate(groups):
        for key in keys:  # summed in group order, as _total does
            totals[key] += _values(group, key)[choices[:, g]]
        picked = np.asarray(group.quants, dtype=object)[choices[:, g]]
        quant_of.update(dict.fromkeys(group.layers, picked))
    plans = zip(*(quant_of[name].tolist() for name in layers), strict=True)
    sums = zip(*(totals[key].tolist() for key in keys), strict=True)
    # Built from checked names and floats: skipping validation saves ~10 us on each of thousands of points.
    return [Solution.model_construct(assignment=dict(zip(layers, plan, strict=True)),
                                     totals=dict(zip(keys, row, strict=True)))
            for plan, row in zip(plans, sums, strict=True)]


def _unmet(groups: Sequence[OptionGroup], budgets: Sequence[Budget]) -> str:
    """Why no plan meets ``budgets``: one that even the cheapest plan misses, or their combination."""
    for budget in budgets:
        values = _column(groups, budget.metric)
        cheapest = _total(values, [int(np.argmin(v)) for v in values])
        if cheapest > budget.limit + _slack(values, budget.limit):
            return (f"budget {budget.text} cannot be met: even the cheapest candidate of every layer "
                    f"(ties and pins kept) totals {budget.metric} = {cheapest:.6g}, over the limit "
                    f"{budget.limit:.6g}")
    texts = ", ".join(budget.text for budget in budgets)
    return f"budgets {texts} cannot all be met at once (each one alone can)"


def pareto_front(layers: Sequence[LayerOptions], metric: str) -> list[Solution]:
    """The exact Pareto set of plans in (total sensitivity, total ``metric``), both minimized.

    Parameters
    ----------
    layers : sequence of LayerOptions
        Candidates per layer, with ties and pins (honoured by every plan).
    metric : str
        A cost metric, a key of `Option.costs`.

    Returns
    -------
    list of Solution
        One plan per distinct non-dominated pair of totals, by ascending ``metric``
        (so by descending sensitivity).

    Raises
    ------
    SearchError
        The candidates contradict each other (see `analysis.candidates.group_layers`), or
        ``metric`` is no cost metric.

    Examples
    --------
    >>> def layer(name):
    ...     return LayerOptions(layer=name, options=[
    ...         Option(quant="w8a8", costs={"latency_ms": 2.0}, sensitivity=0.0),
    ...         Option(quant="w4a8", costs={"latency_ms": 1.0}, sensitivity=0.5)])
    >>> [(s.totals["latency_ms"], s.totals["sensitivity"]) for s in pareto_front([layer("a"), layer("b")],
    ...                                                                        "latency_ms")]
    [(2.0, 1.0), (3.0, 0.5), (4.0, 0.0)]
    """
    groups = group_layers(layers)
    _check_metric(layers, metric)
    return _front(groups, [layer.layer for layer in layers], metric)


def _front(groups: Sequence[OptionGroup], names: Sequence[str], metric: str) -> list[Solution]:
    front = min_sum_front([(group.sensitivity, group.costs[metric]) for group in groups])
    return _solutions(groups, names, front.choices)


def _check_metric(layers: Sequence[LayerOptions], metric: str) -> None:
    metrics = metric_names(layers)
    if metric not in metrics:
        raise SearchError(f"no cost metric {metric!r} (the costs have {', '.join(metrics)})")


def search(layers: Sequence[LayerOptions], budgets: Sequence[Budget], *, pareto: bool = True) -> SearchResult:
    """The plan of least total sensitivity within every budget, and the Pareto set (module docstring).

    Parameters
    ----------
    layers : sequence of LayerOptions
        Candidates per layer with their costs and sensitivities, ties and pins.
    budgets : sequence of Budget
        Limits on cost totals (`parse_budget`); all must hold. Empty: least sensitivity overall.
    pareto : bool
        Also build the Pareto set in (sensitivity, first budget's metric); skipped without budgets.

    Returns
    -------
    SearchResult
        ``best`` is None, with ``reason`` saying which budget cannot be met, when no plan meets them all.

    Raises
    ------
    SearchError
        The candidates contradict each other, or a budget names no cost metric.

    Examples
    --------
    >>> def layer(name, sensitivity):
    ...     return LayerOptions(layer=name, options=[
    ...         Option(quant="w8a8", costs={"latency_ms": 2.0}, sensitivity=0.0),
    ...         Option(quant="w4a8", costs={"latency_ms": 1.0}, sensitivity=sensitivity)])
    >>> layers = [layer("conv1", 0.9), layer("conv2", 0.1)]
    >>> result = search(layers, [parse_budget("latency=3ms", layers)])
    >>> result.best.assignment, result.best.totals
    ({'conv1': 'w8a8', 'conv2': 'w4a8'}, {'latency_ms': 3.0, 'sensitivity': 0.1})
    >>> len(result.pareto)
    3
    >>> search(layers, [parse_budget("latency=1.5ms", layers)]).reason
    'budget latency=1.5ms cannot be met: even the cheapest candidate of every layer (ties and pins kept) totals latency_ms = 2, over the limit 1.5'
    """
    groups = group_layers(layers)
    for budget in budgets:
        _check_metric(layers, budget.metric)
    names = [layer.layer for layer in layers]
    front = _front(groups, names, budgets[0].metric) if pareto and budgets else []
    best = _best(groups, names, budgets, front)
    return SearchResult(best=best, reason="" if best else _unmet(groups, budgets), budgets=list(budgets),
                        pareto=front, solver=SOLVER)
