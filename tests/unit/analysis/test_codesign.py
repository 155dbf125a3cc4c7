"""Co-design: the front over hardware and precision equals brute force over every accelerator x every plan.

The brute force below prices each accelerator with the same cost table the
co-design uses (`analysis.costs.cost_table`), enumerates every per-layer
assignment that honours the ties, and takes the non-dominated set by
pairwise comparison; nothing here depends on the simulator's exact numbers.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import yaml

from analysis.codesign import codesign_points, codesign_report, run_codesign
from analysis.codesign_eval import codesign_batch, load_sensitivity
from analysis.codesign_spec import SearchSection, accuracy_limit
from analysis.costs import cost_table
from analysis.errors import AnalysisError, SweepError
from analysis.runner import run_sweep
from analysis.sensitivity import Sensitivity, SensitivityRow
from analysis.sweep import load_sweep
from hwmodels import area_breakdown_mm2, parse_hardware
from simulator import SimOptions
from workloads.io import load_workload

CANDIDATES = ["w2a8", "w4a8", "w8a8"]
# Six weight layers; conv3 and the downsample feed one residual add, so they share a format (HAWQ-V3).
NET = """\
schema_version: "1"
name: six
layers:
  - {name: conv1, op: conv, k: 16, c: 3, p: 16, q: 16, r: 3, s: 3, padding: [2, 2]}
  - {name: conv2, op: conv, k: 32, c: 16, p: 16, q: 16, r: 3, s: 3, padding: [2, 2]}
  - {name: conv3, op: conv, k: 32, c: 32, p: 8, q: 8, r: 3, s: 3, stride: [2, 2], padding: [1, 1]}
  - {name: down, op: conv, k: 32, c: 16, p: 8, q: 8, r: 1, s: 1, stride: [2, 2], inputs: [conv1]}
  - {name: add, op: elementwise, k: 32, c: 32, p: 8, q: 8, input_tensors: 2, ops_per_output: 1, inputs: [conv3, down]}
  - {name: conv4, op: conv, k: 64, c: 32, p: 8, q: 8, r: 3, s: 3, padding: [2, 2]}
  - {name: pool, op: pool, k: 64, c: 64, r: 8, s: 8, ops_per_output: 64}
  - {name: fc, op: gemm, c: 64, k: 10, aux_params: 10}
"""
LAYERS = ["conv1", "conv2", "conv3", "down", "conv4", "fc"]
# Per-layer proxies that differ by layer (a real table would come from `qcosim sensitivity --json`).
VALUES = {"w2a8": [0.08, 0.05, 0.03, 0.02, 0.06, 0.09], "w4a8": [0.006, 0.004, 0.002, 0.001, 0.005, 0.007],
          "w8a8": [0.0002, 0.0001, 0.0001, 0.00005, 0.0002, 0.0003]}


def spec_text(budgets: str, objectives: str, pin: bool = False) -> str:
    return f"""\
schema_version: "1"
name: brute
workloads:
  - {{name: six.yaml}}
hardware:
  base: bitfusion
  vary:
    engines[0].rows: [8, 16, 32]
    memory[0].size_bytes: [2KiB, 64KiB]
sampling: {{method: grid}}
search:
  candidates: [w2a8, w4a8, w8a8]
  sensitivity: sens.json
  budgets: {budgets}
  objectives: {objectives}
  pin_first_last: {str(pin).lower()}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "six.yaml").write_text(NET)
    rows = [SensitivityRow(layer=layer, candidate=c, weight_mse=None, weight_sqnr_db=None, relative_error=None,
                           value=VALUES[c][i]) for i, layer in enumerate(LAYERS) for c in CANDIDATES]
    table = Sensitivity(proxy="weights", description="test values", settings={}, rows=rows)
    (tmp_path / "sens.json").write_text(table.to_json())
    return tmp_path


def brute_force(spec_path: Path):
    """Every accelerator x every tie-honouring assignment: (key, area, quants, totals) and the rows' tables."""
    spec = load_sweep(spec_path)
    points, _ = codesign_points(spec, spec_path.parent)
    graph = load_workload(str(spec_path.parent / "six.yaml"))
    sensitivity = load_sensitivity(points[0])
    plans, uniform = [], {}
    for point in points:
        acc = parse_hardware(point.hardware)
        area = sum(area_breakdown_mm2(acc).values())
        table = cost_table(graph, acc, CANDIDATES, sensitivity, options=SimOptions(),
                           pin_first_last=spec.search.pin_first_last)
        rows = {row.layer: row for row in table}
        for quants in itertools.product(CANDIDATES, repeat=len(LAYERS)):
            choice = dict(zip(LAYERS, quants, strict=True))
            if choice["conv3"] != choice["down"] or any(rows[n].pinned not in (None, q) for n, q in choice.items()):
                continue
            totals = dict.fromkeys(("latency_ms", "energy_uj", "size_bytes", "sensitivity"), 0.0)
            for row in table:
                option = next(o for o in row.options if o.quant == choice.get(row.layer, row.options[0].quant))
                for name in ("latency_ms", "energy_uj", "size_bytes"):
                    totals[name] += option.costs[name]
                totals["sensitivity"] += option.sensitivity
            plans.append((point.key, area, quants, totals))
            if len(set(q for n, q in choice.items() if rows[n].pinned is None)) == 1:
                uniform.setdefault(point.key, {})[quants[1]] = totals
    return points, plans, uniform


def dominated(a, b) -> bool:
    """``a`` is dominated by ``b`` (no worse everywhere, better somewhere)."""
    return all(y <= x for x, y in zip(a, b, strict=True)) and any(y < x for x, y in zip(a, b, strict=True))


def rounded(values) -> tuple:
    return tuple(float(f"{v:.9g}") for v in values)


@pytest.mark.parametrize(("objectives", "metric"), [("[latency, area, accuracy]", "latency_ms"),
                                                    ("[energy, area, accuracy]", "energy_uj")])
def test_front_equals_brute_force_over_every_accelerator_and_assignment(folder, objectives, metric):
    spec = folder / "spec.yaml"
    spec.write_text(spec_text("{accuracy: sensitivity<=0.1}", objectives))
    run_codesign(spec, folder / "out", executor="serial")
    front = codesign_report(spec, folder / "out").fronts[0]
    points, plans, _ = brute_force(spec)
    feasible = [(key, (t[metric], area, t["sensitivity"])) for key, area, _, t in plans
                if t["sensitivity"] <= 0.1]
    values = {rounded(v) for _, v in feasible}
    expected = {v for v in values if not any(dominated(v, w) for w in values)}
    got = {rounded((p.figures[metric], p.figures["area_mm2"], p.figures["sensitivity"])) for p in front.points}
    assert got == expected
    assert front.accelerators == len(points) == 6 and len(expected) > 6  # a trade-off on several accelerators
    by_plan = {(key, quants): t for key, _, quants, t in plans}
    for p in front.points:  # every reported figure is its assignment's brute-force total
        totals = by_plan[(p.key, tuple(p.assignment.values()))]
        assert p.figures["latency_ms"] == pytest.approx(totals["latency_ms"], rel=1e-12)
        assert p.figures["sensitivity"] == pytest.approx(totals["sensitivity"], rel=1e-12)
        assert list(p.assignment) == LAYERS and p.assignment["conv3"] == p.assignment["down"]


def test_baselines_and_gains_equal_brute_force(folder):
    spec = folder / "spec.yaml"
    spec.write_text(spec_text("{accuracy: sensitivity<=0.03}", "[latency, area, accuracy]", pin=True))
    run_codesign(spec, folder / "out", executor="serial")
    front = codesign_report(spec, folder / "out").fronts[0]
    points, plans, uniform = brute_force(spec)
    area = {key: a for key, a, _, _ in plans}
    for p in front.points:
        # Uniform plans keep the pins (conv1 and fc at w8a8), as every searched plan does.
        ok = {q: t for q, t in uniform[p.key].items() if t["sensitivity"] <= 0.03}
        precision = min(ok, key=lambda q: ok[q]["latency_ms"])
        assert p.uniform_on_hardware.precision == precision
        assert p.uniform_on_hardware.gain == pytest.approx(ok[precision]["latency_ms"] / p.figures["latency_ms"])
        rivals = [uniform[k][precision]["latency_ms"] for k in area if area[k] <= area[p.key]
                  and uniform[k][precision]["sensitivity"] <= 0.03]
        assert p.hardware_for_uniform.gain == pytest.approx(min(rivals) / p.figures["latency_ms"])
        assert p.figures["sensitivity"] <= 0.03
    fastest = front.points[0]  # within the budgets no plan anywhere is faster, so neither baseline is
    assert fastest.uniform_on_hardware.gain >= 1 and fastest.hardware_for_uniform.gain >= 1
    assert fastest.figures["latency_ms"] == pytest.approx(min(t["latency_ms"] for _, _, _, t in plans
                                                              if t["sensitivity"] <= 0.03), rel=1e-12)


def test_each_accelerators_best_plan_is_exact_under_a_second_budget(folder):
    # A size budget is not an axis of the front: the MILP (least latency within accuracy and size) decides.
    spec = folder / "spec.yaml"
    spec.write_text(spec_text("{accuracy: sensitivity<=0.1, size: 0.6x}", "[latency, area, accuracy]"))
    points, plans, _ = brute_force(spec)
    top = {key: t["size_bytes"] for key, _, quants, t in plans if set(quants) == {"w8a8"}}
    for result in codesign_batch(points):
        best = result.plans[0]
        assert best.label == "best" and best.meets
        ok = [t for key, _, _, t in plans if key == result.key and t["sensitivity"] <= 0.1
              and t["size_bytes"] <= 0.6 * top[key] * (1 + 1e-9)]
        assert best.latency_ms == pytest.approx(min(t["latency_ms"] for t in ok), rel=1e-12)
        assert result.metrics["latency_s"] == pytest.approx(best.latency_ms * 1e-3)


def test_accuracy_budgets():
    assert accuracy_limit("sqnr>=30dB") == pytest.approx(1e-3)
    assert accuracy_limit(" SQNR >= 12.5 dB ") == pytest.approx(10 ** -1.25)
    assert accuracy_limit("sensitivity<=0.02") == 0.02
    with pytest.raises(AnalysisError, match=r"^accuracy: 'sqnr<=30dB' is not sqnr>=<dB>dB or sensitivity<=<number>$"):
        accuracy_limit("sqnr<=30dB")
    section = SearchSection(candidates=CANDIDATES, budgets={"accuracy": "sqnr>=20dB", "latency": "2ms"})
    assert section.primary == "latency_ms" and section.cost_budgets == ["latency=2ms"]
    assert SearchSection(candidates=CANDIDATES, objectives=["area", "energy"]).primary == "energy_uj"


@pytest.mark.parametrize(("search", "message"), [
    ("{candidates: [w4a8, w9z]}", "search.candidates[1]: unknown quantization policy 'w9z'"),
    ("{candidates: [w4a8], budgets: {accuracy: sqnr>30dB}}",
     "search.budgets['accuracy']: 'sqnr>30dB' is not sqnr>=<dB>dB or sensitivity<=<number>"),
    ("{candidates: [w4a8], budgets: {power: 2W}}",
     "search.budgets['power']: no budget 'power' (known: accuracy, latency, energy, size, bops)"),
    ("{candidates: [w4a8], budgets: {latency: 2parsecs}}",
     "search.budgets['latency']: unknown unit 'parsecs' for latency (use s, ms, us, ns)"),
    ("{candidates: [w4a8], objectives: [area, accuracy]}",
     "search.objectives: must include latency or energy"),
])
def test_a_bad_search_section_is_one_line_naming_the_key(folder, search, message):
    spec = folder / "spec.yaml"
    spec.write_text(spec_text("{}", "[latency]").split("search:")[0] + f"search: {search}\n")
    with pytest.raises(SweepError) as info:
        load_sweep(spec)
    assert str(info.value).startswith(f"{spec}: {message}")
    assert "\n" not in str(info.value)


def test_policies_and_a_search_section_exclude_each_other(folder):
    spec = folder / "spec.yaml"
    text = spec_text("{}", "[latency]")
    spec.write_text(text.replace("hardware:", "policies: [w8a8]\nhardware:"))
    with pytest.raises(SweepError, match="policies: a search section chooses the precisions: leave policies out"):
        load_sweep(spec)
    spec.write_text(text.split("search:")[0])
    with pytest.raises(SweepError, match="policies: must list at least one policy"):
        load_sweep(spec)
    spec.write_text(text)
    with pytest.raises(AnalysisError, match="has a search section: run it with qcosim codesign"):
        run_sweep(spec, folder / "out", executor="serial")


def test_keys_follow_the_search_and_its_sensitivity_file(folder):
    spec = folder / "spec.yaml"
    spec.write_text(spec_text("{accuracy: sensitivity<=0.1}", "[latency, area, accuracy]"))
    keys = [p.key for p in codesign_points(load_sweep(spec), folder)[0]]
    assert len(set(keys)) == 6
    spec.write_text(spec_text("{accuracy: sensitivity<=0.2}", "[latency, area, accuracy]"))
    assert not set(keys) & {p.key for p in codesign_points(load_sweep(spec), folder)[0]}
    spec.write_text(spec_text("{accuracy: sensitivity<=0.1}", "[latency, area, accuracy]"))
    data = json.loads((folder / "sens.json").read_text())
    data["rows"][0]["value"] = 0.5
    (folder / "sens.json").write_text(json.dumps(data))
    assert not set(keys) & {p.key for p in codesign_points(load_sweep(spec), folder)[0]}


def test_a_sensitivity_table_without_a_layer_is_one_line(folder):
    data = json.loads((folder / "sens.json").read_text())
    data["rows"] = [row for row in data["rows"] if row["layer"] != "conv4"]
    (folder / "sens.json").write_text(json.dumps(data))
    spec = folder / "spec.yaml"
    spec.write_text(spec_text("{accuracy: sensitivity<=0.1}", "[latency, area, accuracy]"))
    with pytest.raises(AnalysisError, match=r"no sensitivity for layer 'conv4' at candidate 'w2a8' \(weights proxy"):
        run_codesign(spec, folder / "out", executor="serial")
    assert not (folder / "out").exists()


def test_the_example_asks_the_demo_question():
    from qcosim.cli_codesign import DEMO_SPEC

    root = Path(__file__).parents[3]
    example = yaml.safe_load((root / "examples" / "codesign-bitfusion.yaml").read_text())
    assert example == yaml.safe_load(DEMO_SPEC)


def test_front_mask_equals_the_rank_zero_of_pareto_ranks():
    import numpy as np

    from analysis.codesign_front import _front_mask
    from analysis.pareto import pareto_ranks

    rng = np.random.default_rng(0)
    for shape in [(200, 2), (300, 3), (500, 4)]:
        values = rng.integers(0, 12, size=shape).astype(float)  # few levels: many ties and repeats
        assert (_front_mask(values) == (pareto_ranks(values) == 0)).all()
    assert _front_mask(np.empty((0, 3))).tolist() == []
