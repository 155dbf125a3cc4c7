"""Budgets: absolute limits converted to the cost column's unit, relative ones against reference plans."""

import doctest
import pickle

import pytest

import analysis.budgets
from analysis.budgets import column_unit, parse_budget, reference_totals
from analysis.errors import AnalysisError, BudgetError
from analysis.search import LayerOptions, Option, search


def layer(name, tie=None, pinned=None, **extra):
    """Two candidates with weight size, BOPs, latency and energy; w8a8 the higher precision."""
    costs = {
        "w8a8": {"latency_ms": 2.0, "energy_uj": 40.0, "size_bytes": 8e6, "bops": 64e9},
        "w4a8": {"latency_ms": 1.25, "energy_uj": 25.0, "size_bytes": 4e6, "bops": 32e9},
    }
    return LayerOptions(layer=name, tie=tie, pinned=pinned, options=[
        Option(quant=q, costs={**c, **extra.get(q, {})}, sensitivity=0.5 if q == "w4a8" else 0.0)
        for q, c in costs.items()])


LAYERS = [layer("conv1"), layer("conv2")]


@pytest.mark.parametrize("text, metric, limit", [
    ("latency=2.5ms", "latency_ms", 2.5),
    ("latency=2500us", "latency_ms", 2.5),
    ("latency=0.0025s", "latency_ms", 2.5),
    ("latency=2.5e6ns", "latency_ms", 2.5),
    ("latency = 2.5 ms", "latency_ms", 2.5),
    ("latency_ms=2.5", "latency_ms", 2.5),
    ("LATENCY=2.5MS", "latency_ms", 2.5),
    ("energy=1mJ", "energy_uj", 1000.0),
    ("energy=50pJ", "energy_uj", 5e-5),
    ("energy=0.5J", "energy_uj", 5e5),
    ("size=1MiB", "size_bytes", 2.0**20),
    ("size=1.5MB", "size_bytes", 1.5e6),
    ("size=2kB", "size_bytes", 2000.0),
    ("size=16bits", "size_bytes", 2.0),
    ("size=3B", "size_bytes", 3.0),
    ("bops=1.5G", "bops", 1.5e9),
    ("bops=2T", "bops", 2e12),
    ("bops=1000", "bops", 1000.0),
])
def test_absolute_budgets_convert_to_the_column_unit(text, metric, limit):
    budget = parse_budget(text, LAYERS)
    assert (budget.metric, budget.text) == (metric, text.strip())
    assert budget.limit == pytest.approx(limit, rel=1e-12)


def test_column_units():
    assert column_unit("energy_pj") == ("energy", 1e-12)
    assert column_unit("size_kib") == ("size", 1024.0)
    assert column_unit("latency_cycles") == ("count", 1.0)
    assert column_unit("macs") == ("count", 1.0)


def test_relative_budgets_take_the_highest_precision_plan():
    # All-highest: 2 x w8a8; all-lowest: 2 x w4a8.
    assert parse_budget("latency=0.75x", LAYERS).limit == 0.75 * 4.0
    assert parse_budget("energy=1x", LAYERS).limit == 80.0
    assert parse_budget("latency=range:0", LAYERS).limit == 2.5
    assert parse_budget("latency=range:1", LAYERS).limit == 4.0
    assert parse_budget("latency=range:0.5", LAYERS).limit == 2.5 + 0.5 * 1.5


def test_highest_precision_is_by_size_then_bops_then_the_metric():
    # w4a8 is slower than w8a8 here (say, dequantization), yet the smaller weights make it the lowest.
    slow = {"w4a8": {"latency_ms": 3.0}}
    assert reference_totals([layer("fc", **slow)], "latency_ms") == (3.0, 2.0)
    # Equal sizes: the larger BOPs decides.
    same_size = {"w4a8": {"size_bytes": 8e6, "bops": 128e9}}
    assert reference_totals([layer("fc", **same_size)], "latency_ms") == (2.0, 1.25)
    # No size or BOPs columns: the metric itself.
    bare = [LayerOptions(layer="fc", options=[Option(quant=q, costs={"latency_ms": v}, sensitivity=0)
                                              for q, v in (("a", 1.0), ("b", 3.0), ("c", 2.0))])]
    assert reference_totals(bare, "latency_ms") == (1.0, 3.0)


def test_references_keep_pins_and_ties_so_one_x_is_always_met():
    layers = [layer("conv1", pinned="w4a8"), layer("conv2", tie="r"),
              layer("down", tie="r", w8a8={"size_bytes": 1.0}, w4a8={"size_bytes": 2.0})]
    # The tie group sums sizes (8e6 + 1 vs 4e6 + 2): w8a8 for both; conv1 stays at its pin.
    assert reference_totals(layers, "latency_ms") == (1.25 + 2.5, 1.25 + 4.0)
    result = search(layers, [parse_budget("latency=1x", layers)])
    assert result.best.totals["latency_ms"] == 5.25
    assert search(layers, [parse_budget("latency=range:0", layers)]).best is not None


@pytest.mark.parametrize("text, message", [
    ("latency=2.5parsecs", "--budget latency=2.5parsecs: unknown unit 'parsecs' for latency (use s, ms, us, ns)"),
    ("latency=2.5", "--budget latency=2.5: missing unit for latency (use s, ms, us, ns)"),
    ("energy=3ms", "--budget energy=3ms: unknown unit 'ms' for energy (use J, mJ, uJ, nJ, pJ)"),
    ("bops=3GB", "--budget bops=3GB: unknown unit 'GB' for bops (use a plain number, k, M, G, T)"),
    ("power=3W", "--budget power=3W: no cost column for 'power' (the costs have latency_ms, energy_uj, "
                 "size_bytes, bops)"),
    ("latency", "--budget latency: expected METRIC=VALUE (use METRIC=VALUE, e.g. latency=2.5ms, "
                "latency=0.75x or latency=range:0.5)"),
    ("latency=", "--budget latency=: expected METRIC=VALUE (use METRIC=VALUE, e.g. latency=2.5ms, "
                 "latency=0.75x or latency=range:0.5)"),
    ("latency=-1ms", "--budget latency=-1ms: '-1ms' is not a number with a unit (use METRIC=VALUE, e.g. "
                     "latency=2.5ms, latency=0.75x or latency=range:0.5)"),
    ("latency=fastx", "--budget latency=fastx: factor 'fast' is not a number (use METRIC=VALUE, e.g. "
                      "latency=2.5ms, latency=0.75x or latency=range:0.5)"),
    ("latency=nanx", "--budget latency=nanx: factor 'nan' is not a number (use METRIC=VALUE, e.g. "
                     "latency=2.5ms, latency=0.75x or latency=range:0.5)"),
    ("latency=range:1.5", "--budget latency=range:1.5: range fraction must be between 0 and 1, got 1.5"),
])
def test_bad_budgets_are_one_line_errors(text, message):
    with pytest.raises(BudgetError) as info:
        parse_budget(text, LAYERS)
    assert str(info.value) == message
    assert isinstance(info.value, AnalysisError) and isinstance(info.value, ValueError)
    assert str(pickle.loads(pickle.dumps(info.value))) == message


def test_an_ambiguous_metric_asks_for_the_column():
    layers = [layer("fc", w8a8={"energy_dram_uj": 1.0}, w4a8={"energy_dram_uj": 0.5})]
    with pytest.raises(BudgetError, match=r"'energy' matches several cost columns \(energy_uj, energy_dram_uj\)"):
        parse_budget("energy=1mJ", layers)
    assert parse_budget("energy_uj=10", layers).limit == 10.0


def test_docstring_examples_run():
    assert doctest.testmod(analysis.budgets).failed == 0
