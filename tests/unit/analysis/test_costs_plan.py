"""Model mode of the precision search: costs from the simulator, ties, the plan as a policy, the ranking."""

import json

import pytest
import yaml

from analysis.costs import cost_table, highest_precision, searchable_layers, tied_layers
from analysis.plan import plan_search
from analysis.rank import rank
from analysis.search import parse_budget, search
from analysis.sensitivity import heuristic_sensitivity
from hwmodels import load_hardware
from qcosim import precision
from qcosim.cli import main
from simulator import simulate
from workloads import Layer, LayerGraph, apply_quant, load_workload
from workloads.policy import load_policy

CANDIDATES = ["w4a4", "w4a8", "w8a8"]


@pytest.fixture(scope="module")
def resnet18():
    return load_workload("resnet18")


@pytest.fixture(scope="module")
def bitfusion():
    return load_hardware("bitfusion")


def test_the_highest_candidate_has_the_most_weight_then_activation_bits():
    assert highest_precision(["w4a8", "w8a4", "w8a8", "w2a8"]) == "w8a8"
    assert highest_precision(["w4a4", "w4a8"]) == "w4a8"


def test_residual_producers_are_tied_as_hawq_v3_does(resnet18):
    # ResNet-18 (He et al. 2016): the first block of stages 2-4 adds its conv2 output to a 1x1 strided
    # downsample of the block input; those two convolutions feed one add and must share a format.
    ties = tied_layers(resnet18, searchable_layers(resnet18))
    groups: dict[str, set[str]] = {}
    for name, group in ties.items():
        groups.setdefault(group, set()).add(name)
    assert sorted(map(sorted, groups.values())) == [
        [f"layer{s}.0.conv2", f"layer{s}.0.downsample.0"] for s in (2, 3, 4)
    ]


def test_costs_of_one_gemm_by_hand(bitfusion):
    # 64 -> 256 features on 16 tokens. w4a8: 64*256 weights at 4 bits (8 KiB) plus one fp32 scale per
    # output channel (256 * 4 B), plus 256 fp32 bias terms (aux_params); BOPs = MACs x 4 x 8.
    fc = Layer(name="fc", op="gemm", p=16, c=64, k=256, aux_params=256)
    graph = LayerGraph([fc], name="fc")
    table = cost_table(graph, bitfusion, ["w4a8", "w8a8"], heuristic_sensitivity(graph, ["w4a8", "w8a8"]),
                       pin_first_last=False)
    (row,) = table
    w4, w8 = (o.costs for o in row.options)
    assert w4["size_bytes"] == 64 * 256 * 4 / 8 + 256 * 4 + 256 * 4
    assert w8["size_bytes"] == 64 * 256 + 256 * 4 + 256 * 4
    assert w4["bops"] == 16 * 64 * 256 * 4 * 8 and w8["bops"] == 16 * 64 * 256 * 8 * 8
    # Bit Fusion (Sharma et al., ISCA 2018) runs 4x8-bit products at twice the 8x8 rate: with 256
    # filters over 32 columns, half the column folds.
    assert w4["latency_ms"] < w8["latency_ms"]


def test_first_and_last_weight_layers_are_pinned_and_other_layers_fixed(resnet18, bitfusion):
    table = cost_table(resnet18, bitfusion, CANDIDATES, heuristic_sensitivity(resnet18, CANDIDATES))
    by_name = {row.layer: row for row in table}
    assert [row.layer for row in table] == [layer.name for layer in resnet18.layers()]
    assert by_name["conv1"].pinned == by_name["fc"].pinned == "w8a8"
    assert [o.quant for o in by_name["maxpool"].options] == ["w8a8"]  # vector work runs at the default
    assert by_name["maxpool"].options[0].sensitivity == 0.0
    assert [o.quant for o in by_name["layer1.0.conv1"].options] == CANDIDATES


def test_search_totals_match_the_end_to_end_simulation_on_one_engine(resnet18, bitfusion):
    # Bit Fusion runs layers back to back on one engine and keeps no activations on chip between
    # them, so per-layer costs add up exactly to the simulated network.
    report = plan_search(resnet18, bitfusion, CANDIDATES, ["latency=0.75x"],
                         heuristic_sensitivity(resnet18, CANDIDATES))
    best = report.result.best
    top = simulate(apply_quant(resnet18, "w8a8"), bitfusion).totals
    assert best.totals["latency_ms"] <= 0.75 * top.latency_s * 1e3 * (1 + 1e-12)
    assert report.simulated.latency_ms == pytest.approx(best.totals["latency_ms"], rel=1e-9)
    assert report.simulated.energy_uj == pytest.approx(best.totals["energy_uj"], rel=1e-9)
    tied = {best.assignment[f"layer{s}.0.conv2"] == best.assignment[f"layer{s}.0.downsample.0"] for s in (2, 3, 4)}
    assert tied == {True}


def test_pareto_set_is_non_dominated_and_holds_the_best(resnet18, bitfusion):
    table = cost_table(resnet18, bitfusion, CANDIDATES, heuristic_sensitivity(resnet18, CANDIDATES))
    result = search(table, [parse_budget("energy=0.8x", table)])
    front = [(p.totals["sensitivity"], p.totals["energy_uj"]) for p in result.pareto]
    assert front == sorted(front, key=lambda point: point[1])
    assert all(s1 > s2 for (s1, _), (s2, _) in zip(front, front[1:], strict=False))  # cheaper costs more accuracy
    best = (result.best.totals["sensitivity"], result.best.totals["energy_uj"])
    assert any(s == pytest.approx(best[0]) and e <= best[1] * (1 + 1e-12) for s, e in front)


def test_policy_file_round_trips_through_simulate(tmp_path, capsys):
    out = tmp_path / "plan.yaml"
    argv = ["search", "resnet18", "--hw", "bitfusion", "--candidates", "w4a4,w8a8", "--budget", "latency=0.8x",
            "--json", "--policy-out", str(out)]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    report = json.loads(capsys.readouterr().out)
    assert yaml.safe_load(out.read_text())["default"] == "w8a8"
    with pytest.raises(SystemExit) as info:
        main(["simulate", "resnet18", "--hw", "bitfusion", "--quant", str(out), "--json"])
    assert info.value.code == 0
    simulated = json.loads(capsys.readouterr().out)["totals"]
    assert simulated["latency_s"] * 1e3 == pytest.approx(report["simulated"]["latency_ms"], rel=1e-12)
    assert load_policy(out).layers == {k: v for k, v in report["result"]["best"]["assignment"].items() if v != "w8a8"}


def test_bad_budget_is_one_line_and_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["search", "resnet18", "--hw", "bitfusion", "--candidates", "w4a4,w8a8", "--budget", "latency=fast"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.startswith("error: ") and err.count("\n") == 1


def test_an_impossible_budget_says_so(resnet18, bitfusion):
    report = plan_search(resnet18, bitfusion, CANDIDATES, ["latency=0.01x"], heuristic_sensitivity(resnet18, CANDIDATES))
    assert report.result.best is None and report.policy is None and report.result.reason


def test_ranking_orders_uniform_and_searched_plans(resnet18, bitfusion):
    sens = heuristic_sensitivity(resnet18, CANDIDATES)
    ranking = rank(resnet18, bitfusion, CANDIDATES, sens, objective="latency", budgets=[["latency=0.8x"]])
    labels = [p.label for p in ranking.plans]
    assert labels[0] == "w4a4" and labels[-1] == "w8a8"  # the narrowest uniform plan is fastest on Bit Fusion
    assert "searched (latency=0.8x)" in labels
    latencies = [p.latency_ms for p in ranking.plans]
    assert latencies == sorted(latencies)
    by_label = {p.label: p for p in ranking.plans}
    assert by_label["w4a4"].sensitivity > by_label["searched (latency=0.8x)"].sensitivity > by_label["w8a8"].sensitivity


def test_table_mode_from_the_front_door(tmp_path):
    path = tmp_path / "costs.csv"
    path.write_text("layer,quant,latency_ms,sensitivity\n"
                    "a,w8a8,2.0,0.0\na,w4a8,1.0,0.5\n"
                    "b,w8a8,2.0,0.0\nb,w4a8,1.5,0.1\n")
    result = precision.search_table(path, ["latency=3.5ms"]).result
    # Hand-solved: a@w4a8 + b@w8a8 = 3.0 ms (sens 0.5); a@w8a8 + b@w4a8 = 3.5 ms (sens 0.1): the latter.
    assert result.best.assignment == {"a": "w8a8", "b": "w4a8"}
    assert result.best.totals["sensitivity"] == pytest.approx(0.1)


def test_ranking_names_a_budget_no_plan_meets(resnet18, bitfusion):
    ranking = rank(resnet18, bitfusion, ["w4a8", "w8a8"], heuristic_sensitivity(resnet18, ["w4a8", "w8a8"]),
                   budgets=[["latency=0.01x"]])
    assert [p.label for p in ranking.plans] == ["w4a8", "w8a8"]
    assert len(ranking.unmet) == 1 and ranking.unmet[0].startswith("latency=0.01x: budget latency=0.01x cannot be met")


def test_activations_need_an_onnx_model(capsys):
    with pytest.raises(SystemExit) as info:
        main(["sensitivity", "resnet18", "--activations"])
    assert info.value.code == 2
    assert capsys.readouterr().err == (
        "error: --activations: real activations need an ONNX model with weights (got 'resnet18')\n")


def test_search_on_real_weights_end_to_end(ppocr_cls_path, capsys):
    # PP-OCR's direction classifier (real weights, from the rapidocr-onnxruntime wheel) on edge-npu,
    # whose 32 x 32 int8 array runs int4 x int4 at twice the int8 rate (preset edge-npu.yaml).
    argv = ["search", str(ppocr_cls_path), "--input-shape", "x=1,3,48,192", "--hw", "edge-npu",
            "--candidates", "w4a4,w8a8", "--budget", "latency=0.99x", "--json"]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["proxy"].startswith("weights")
    best = report["result"]["best"]
    assert best["totals"]["latency_ms"] <= report["result"]["budgets"][0]["limit"]
    assert "w4a4" in best["assignment"].values()
    assert report["simulated"]["latency_ms"] == pytest.approx(best["totals"]["latency_ms"], rel=0.02)
