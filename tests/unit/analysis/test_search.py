"""The exact search equals brute force: best plan under budgets and the whole Pareto set, ties and pins kept."""

import doctest
import importlib.util
import itertools
import pickle
from pathlib import Path

import numpy as np
import pytest

import analysis.candidates
import analysis.pareto
import analysis.search
from analysis.budgets import Budget
from analysis.errors import SearchError
from analysis.pareto import front_indices, min_sum_front
from analysis.search import LayerOptions, Option, SearchResult, pareto_front, parse_budget, search

ROOT = Path(__file__).parents[3]
METRICS = ("latency_ms", "energy_uj", "bops")


def random_layers(seed, n_layers=5, n_options=3, integer=True):
    """A random problem: metrics of very different magnitudes, one tie group of two or three, one pin.

    ``integer``: small integers times powers of two, so sums are exact and plans tie often.
    """
    rng = np.random.default_rng(seed)
    scale = {"latency_ms": 2.0**-10, "energy_uj": 8.0, "bops": 2.0**30, "sensitivity": 2.0**-20}

    def value(key):
        raw = rng.integers(0, 12) if integer else rng.uniform(0, 12)
        return float(raw) * scale[key]

    quants = [f"w{b}a8" for b in (8, 6, 4, 3, 2)[:n_options]]
    tied = set(rng.choice(n_layers, size=int(rng.integers(0, 4)), replace=False).tolist())
    pinned = int(rng.integers(n_layers)) if rng.random() < 0.7 else None
    layers = []
    for i in range(n_layers):
        options = [Option(quant=q, costs={m: value(m) for m in METRICS}, sensitivity=value("sensitivity"))
                   for q in quants]
        layers.append(LayerOptions(layer=f"l{i}", options=options, tie="t" if i in tied else None,
                                   pinned=quants[int(rng.integers(n_options))] if i == pinned else None))
    return layers


def plans(layers):
    """Every plan that honours ties and pins, as (assignment, totals summed in layer order)."""
    choices = [[o for o in layer.options if layer.pinned in (None, o.quant)] for layer in layers]
    for combo in itertools.product(*choices):
        tied = {o.quant for layer, o in zip(layers, combo, strict=True) if layer.tie}
        if len(tied) > 1:
            continue
        totals = {m: sum(o.costs[m] for o in combo) for m in METRICS}
        totals["sensitivity"] = sum(o.sensitivity for o in combo)
        yield {layer.layer: o.quant for layer, o in zip(layers, combo, strict=True)}, totals


def random_budgets(layers, seed):
    """One to three budgets between the cheapest and the dearest totals (sometimes below the cheapest)."""
    rng = np.random.default_rng(seed + 1000)
    every = [totals for _, totals in plans(layers)]
    budgets = []
    for metric in rng.choice(METRICS, size=int(rng.integers(1, 4)), replace=False):
        low, high = min(t[metric] for t in every), max(t[metric] for t in every)
        limit = low + rng.choice([-0.1, 0.0, 0.3, 0.5, 0.8, 1.0]) * (high - low)
        budgets.append(Budget(metric=str(metric), limit=limit, text=f"{metric}<={limit:g}"))
    return budgets


def brute_force_front(layers, metric):
    points = {(t[metric], t["sensitivity"]) for _, t in plans(layers)}
    return sorted(p for p in points if not any(q != p and q[0] <= p[0] and q[1] <= p[1] for q in points))


def honours(layers, assignment):
    tied = {assignment[layer.layer] for layer in layers if layer.tie}
    pins = all(assignment[layer.layer] == layer.pinned for layer in layers if layer.pinned)
    return len(tied) <= 1 and pins and list(assignment) == [layer.layer for layer in layers]


def check_totals(layers, solution):
    options = {layer.layer: {o.quant: o for o in layer.options} for layer in layers}
    chosen = [options[name][quant] for name, quant in solution.assignment.items()]
    for metric in METRICS:
        assert solution.totals[metric] == pytest.approx(sum(o.costs[metric] for o in chosen), rel=1e-12)
    assert solution.totals["sensitivity"] == pytest.approx(sum(o.sensitivity for o in chosen), rel=1e-12)


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("with_front", [False, True], ids=["milp", "milp+front"])
def test_best_equals_brute_force_then_least_first_budget_metric(seed, with_front):
    layers = random_layers(seed)
    budgets = random_budgets(layers, seed)
    result = search(layers, budgets, pareto=with_front)
    keys = ["sensitivity", budgets[0].metric]
    feasible = [tuple(t[k] for k in keys) for _, t in plans(layers)
                if all(t[b.metric] <= b.limit for b in budgets)]
    if not feasible:
        assert result.best is None and result.reason
        return
    assert result.best is not None and not result.reason
    assert tuple(result.best.totals[k] for k in keys) == min(feasible)
    assert honours(layers, result.best.assignment)
    check_totals(layers, result.best)


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("integer", [True, False], ids=["ties", "continuous"])
def test_pareto_set_equals_brute_force(seed, integer):
    layers = random_layers(seed, n_layers=5, n_options=3, integer=integer)
    front = pareto_front(layers, "energy_uj")
    expected = brute_force_front(layers, "energy_uj")
    assert len(front) == len(expected)
    got = [(s.totals["energy_uj"], s.totals["sensitivity"]) for s in front]
    if integer:
        assert got == expected
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    for solution in front:
        assert honours(layers, solution.assignment)
        check_totals(layers, solution)


@pytest.mark.parametrize("seed", range(10))
def test_best_is_on_the_pareto_set_under_one_budget(seed):
    layers = random_layers(seed, n_layers=6, n_options=4, integer=False)
    budget = random_budgets(layers, seed)[0]
    result = search(layers, [budget])
    within = [s for s in result.pareto if s.totals[budget.metric] <= budget.limit]
    if result.best is None:
        assert not within
        return
    assert result.best == within[-1]  # the very plan the Pareto set lists
    metrics = [s.totals[budget.metric] for s in result.pareto]
    assert metrics == sorted(metrics)


def two_layers(**pin):
    def layer(name, sensitivity, tie=None):
        return LayerOptions(layer=name, tie=tie, pinned=pin.get(name), options=[
            Option(quant="w8a8", costs={"latency_ms": 2.0, "bops": 64.0}, sensitivity=0.0),
            Option(quant="w4a8", costs={"latency_ms": 1.0, "bops": 32.0}, sensitivity=sensitivity)])
    return [layer("conv1", 1e-12), layer("conv2", 3e-12)]


def test_tiny_sensitivities_are_still_ordered_exactly():
    # Unscaled, HiGHS (tolerances ~1e-7) returns w2a8 here: it cannot tell 1e-9 from 1.5e-9.
    layers = [LayerOptions(layer="a", options=[
        Option(quant=q, costs={"latency_ms": 1.0}, sensitivity=s)
        for q, s in (("w8a8", 1e-9), ("w4a8", 2e-9), ("w2a8", 1.5e-9))])]
    assert search(layers, []).best.assignment == {"a": "w8a8"}
    result = search(two_layers(), [Budget(metric="latency_ms", limit=3.0, text="latency=3ms")])
    assert result.best.assignment == {"conv1": "w4a8", "conv2": "w8a8"}


def test_a_budget_just_below_the_optimum_is_respected_exactly():
    layers = two_layers()
    limit = 3.0 * (1 - 1e-8)  # within HiGHS's feasibility tolerance, outside ours
    result = search(layers, [Budget(metric="latency_ms", limit=limit, text="latency=tight")])
    assert result.best.totals["latency_ms"] == 2.0


@pytest.mark.parametrize("with_front", [False, True], ids=["milp", "milp+front"])
def test_ties_between_plans_break_on_the_first_budget_metric(with_front):
    layers = [LayerOptions(layer=n, options=[
        Option(quant="w8a8", costs={"latency_ms": 2.0, "energy_uj": 3.0}, sensitivity=0.0),
        Option(quant="w4a16", costs={"latency_ms": 3.0, "energy_uj": 2.0}, sensitivity=0.0)]) for n in "ab"]
    loose = {m: Budget(metric=m, limit=1e9, text=m) for m in ("latency_ms", "energy_uj")}
    by_latency = search(layers, [loose["latency_ms"], loose["energy_uj"]], pareto=with_front).best
    by_energy = search(layers, [loose["energy_uj"], loose["latency_ms"]], pareto=with_front).best
    assert by_latency.assignment == {"a": "w8a8", "b": "w8a8"}
    assert by_energy.assignment == {"a": "w4a16", "b": "w4a16"}


def test_infeasible_budget_is_named():
    layers = two_layers(conv1="w8a8")
    result = search(layers, [Budget(metric="bops", limit=1000, text="bops=1k"),
                             Budget(metric="latency_ms", limit=2.5, text="latency=2.5ms")])
    assert result.best is None
    assert result.reason.startswith("budget latency=2.5ms cannot be met: even the cheapest candidate")
    layer = LayerOptions(layer="fc", options=[
        Option(quant="w8a8", costs={"latency_ms": 1.0, "energy_uj": 2.0}, sensitivity=0.0),
        Option(quant="w4a16", costs={"latency_ms": 2.0, "energy_uj": 1.0}, sensitivity=0.0)])
    both = search([layer], [Budget(metric="latency_ms", limit=1.5, text="latency=1.5ms"),
                            Budget(metric="energy_uj", limit=1.5, text="energy=1.5uJ")])
    assert both.best is None
    assert both.reason == "budgets latency=1.5ms, energy=1.5uJ cannot all be met at once (each one alone can)"


def test_no_budget_gives_least_sensitivity_and_no_front():
    result = search(two_layers(), [])
    assert result.best.assignment == {"conv1": "w8a8", "conv2": "w8a8"} and result.pareto == []


@pytest.mark.parametrize("layers, message", [
    ([], "no layers to choose formats for"),
    (two_layers() + two_layers()[:1], "conv1: layer listed twice"),
    ([LayerOptions(layer="a", tie="r", options=[Option(quant="w8a8", costs={"x": 1.0}, sensitivity=0)]),
      LayerOptions(layer="b", tie="r", options=[Option(quant="w4a8", costs={"x": 1.0}, sensitivity=0)])],
     "b: tied to 'a' (tie 'r') but the two do not share candidate(s) w4a8, w8a8"),
    ([LayerOptions(layer=n, tie="r", pinned=q, options=[
        Option(quant="w8a8", costs={"x": 1.0}, sensitivity=0), Option(quant="w4a8", costs={"x": 1.0}, sensitivity=0)])
      for n, q in (("a", "w8a8"), ("b", "w4a8"))],
     "tie 'r': tied layers are pinned to different formats (w4a8, w8a8)"),
    ([LayerOptions(layer="a", options=[Option(quant="w8a8", costs={"x": 1.0}, sensitivity=0),
                                       Option(quant="w4a8", costs={"y": 1.0}, sensitivity=0)])],
     "a: candidate 'w4a8' has costs ['y'], others have ['x']"),
])
def test_contradictory_candidates_are_one_line_errors(layers, message):
    with pytest.raises(SearchError) as info:
        search(layers, [])
    assert str(info.value) == message


def test_budget_on_a_missing_metric():
    with pytest.raises(SearchError, match="no cost metric 'energy_uj'"):
        search(two_layers(), [Budget(metric="energy_uj", limit=1.0, text="energy=1uJ")])


def test_result_round_trips_through_json_and_is_deterministic():
    layers = random_layers(3, n_layers=8, n_options=4, integer=False)
    budgets = random_budgets(layers, 3)
    result = search(layers, budgets)
    assert SearchResult.model_validate_json(result.model_dump_json()) == result
    assert search(layers, budgets) == result
    assert result.solver.startswith("HiGHS MILP")


def test_front_helpers():
    assert front_indices([], []).tolist() == []
    front = min_sum_front([])
    assert front.first.tolist() == [0.0] and front.choices.shape == (1, 0)
    error = SearchError("boom", "conv1")
    assert str(pickle.loads(pickle.dumps(error))) == "conv1: boom"


@pytest.mark.parametrize("module", [analysis.search, analysis.pareto, analysis.candidates])
def test_docstring_examples_run(module):
    # analysis/ is not among pytest's testpaths yet, so its doctests run from here.
    assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0


def test_highs_debug_lines_stay_out_of_stdout(capfd):
    # HiGHS 1.12 prints "HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();"
    # from C++ on this problem (ERGO-Code/HiGHS#2783); stdout carries the CLI's --json.
    spec = importlib.util.spec_from_file_location("bench_search", ROOT / "benchmarks" / "bench_search.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    layers = bench.synthetic_layers(48, 0)
    result = search(layers, [parse_budget("latency=0.75x", layers), parse_budget("size=range:0.5", layers)],
                    pareto=False)
    assert result.best is not None
    assert capfd.readouterr().out == ""
