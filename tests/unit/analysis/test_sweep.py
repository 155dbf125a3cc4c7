"""Sweep specs: grid counts by hand, linked fields, LHS strata, constraints against hwmodels, exact errors."""

from __future__ import annotations

import copy
import itertools
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from analysis.errors import AnalysisError, SweepError
from analysis.evaluate import evaluate_point
from analysis.sweep import SweepSpec, expand, load_sweep, sweep_json_schema
from analysis.sweep_limits import HARDWARE_METRICS, parse_constraint, peak_macs_per_cycle, peak_power_mw
from analysis.sweep_sampling import unit_samples
from hwmodels import area_breakdown_mm2, load_hardware, parse_hardware
from hwmodels.io import PRESET_DIR

ROOT = Path(__file__).parents[3]
EDGE = yaml.safe_load((PRESET_DIR / "edge-npu.yaml").read_text(encoding="utf-8"))


def write(folder: Path, spec: dict, name: str = "sweep.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def spec_dict(**hardware) -> dict:
    return {"name": "t", "workloads": [{"name": "resnet18"}], "policies": ["w8a8"],
            "hardware": {"base": "edge-npu", **hardware}}


def error_of(tmp_path, monkeypatch, spec: dict) -> str:
    """The one-line message loading and expanding ``spec`` as ``sweep.yaml`` gives."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, spec)
    with pytest.raises(SweepError) as info:
        expand(load_sweep("sweep.yaml"))
    assert "\n" not in str(info.value)
    return str(info.value)


def edge_with(**changes) -> dict:
    """The edge-npu preset as data with ``(section, index, field) -> value`` changes, made by hand."""
    data = copy.deepcopy(EDGE)
    for key, value in changes.items():
        section, index, field = key.split("__")
        data[section][int(index)][field] = value
    return data


# -- grid -------------------------------------------------------------------------------------------

def test_grid_is_the_cartesian_product_in_spec_order_for_every_workload_and_policy(tmp_path):
    rows, glb, bandwidth = [16, 32, 64], ["128KiB", "256KiB", "512KiB"], [8, 16]
    spec = {"name": "grid", "workloads": [{"name": "resnet18"}, {"name": "mobilenet_v2", "params": {"batch": 2}}],
            "policies": ["w8a8", "w4a8"],
            "hardware": {"base": "edge-npu", "vary": {"engines[0].rows": rows, "memory[2].size_bytes": glb,
                                                      "dram.bandwidth_gb_per_s": bandwidth}}}
    result = expand(load_sweep(write(tmp_path, spec)))
    assert len(result.points) == 2 * 2 * (3 * 3 * 2) == 72
    assert result.rejected == [] and result.duplicates == 0
    block = [(p.values["engines[0].rows"], p.values["memory[2].size_bytes"], p.values["dram.bandwidth_gb_per_s"])
             for p in result.points[:18]]
    assert block == list(itertools.product(rows, [131072, 262144, 524288], bandwidth))
    order = [(p.workload, p.policy) for p in result.points[::18]]
    assert order == [("resnet18", "w8a8"), ("resnet18", "w4a8"), ("mobilenet_v2", "w8a8"), ("mobilenet_v2", "w4a8")]
    assert result.points[36].params == {"batch": 2} and result.points[0].params == {}
    assert list(result.points[0].values) == ["engines[0].rows", "memory[2].size_bytes", "dram.bandwidth_gb_per_s"]
    point = result.points[17]
    assert point.hardware["engines"][0]["rows"] == 64 and point.hardware["memory"][2]["size_bytes"] == 524288
    assert point.hardware["dram"] == {"bandwidth_gb_per_s": 16, "latency_ns": 100}
    assert len({p.key for p in result.points}) == 72


def test_expansion_is_deterministic_and_leaves_the_base_untouched(tmp_path):
    path = write(tmp_path, spec_dict(vary={"engines[0].rows": [16, 32]}))
    first, second = expand(load_sweep(path)), expand(load_sweep(path))
    assert [p.key for p in first.points] == [p.key for p in second.points]
    assert first.points[0].hardware["engines"][0]["rows"] == 16
    assert first.points[1].hardware["engines"][0]["rows"] == 32
    assert first.points[0].hardware["memory"] == EDGE["memory"]


def test_no_vary_gives_the_base_once(tmp_path):
    result = expand(load_sweep(write(tmp_path, spec_dict())))
    assert len(result.points) == 1 and result.points[0].values == {}
    assert result.points[0].hardware == EDGE


def test_linked_fields_move_together(tmp_path):
    spec = spec_dict(vary={"engines[0].rows": [16, 32, 64], "memory[2].size_bytes": ["256KiB", "512KiB"],
                           "engines[0].cols": [8, 16, 32]},
                     link=[["engines[0].rows", "engines[0].cols"]])
    result = expand(load_sweep(write(tmp_path, spec)))
    assert [(p.values["engines[0].rows"], p.values["engines[0].cols"], p.values["memory[2].size_bytes"])
            for p in result.points] == [(16, 8, 262144), (16, 8, 524288), (32, 16, 262144), (32, 16, 524288),
                                         (64, 32, 262144), (64, 32, 524288)]
    assert all(p.hardware["engines"][0]["cols"] * 2 == p.hardware["engines"][0]["rows"] for p in result.points)


def test_ranges_on_a_grid_integers_stay_integers(tmp_path):
    spec = spec_dict(vary={"dram.bandwidth_gb_per_s": {"range": [8, 64], "log": True, "steps": 4},
                           "engines[0].rows": {"range": [16, 64], "steps": 4},
                           "engines[0].cols": {"range": [16, 64], "log": True, "steps": 3}})
    values = [p.values for p in expand(load_sweep(write(tmp_path, spec))).points]
    assert sorted({v["dram.bandwidth_gb_per_s"] for v in values}) == [8.0, 16.0, 32.0, 64.0]
    assert sorted({v["engines[0].rows"] for v in values}) == [16, 32, 48, 64]
    assert sorted({v["engines[0].cols"] for v in values}) == [16, 32, 64]
    assert all(type(v["engines[0].rows"]) is int and type(v["engines[0].cols"]) is int for v in values)
    assert len(values) == 4 * 4 * 3


def test_sizes_take_units(tmp_path):
    spec = spec_dict(vary={"memory[3].size_bytes": ["512KiB", "1MiB", "600kB", 2_000_000, "0.5MB"]})
    values = [p.values["memory[3].size_bytes"] for p in expand(load_sweep(write(tmp_path, spec))).points]
    assert values == [524288, 1048576, 600000, 2000000, 500000]


def test_fields_the_file_leaves_at_their_defaults_can_be_swept(tmp_path):
    shutil.copy(ROOT / "examples" / "ideal-32x32.yaml", tmp_path / "ideal.yaml")
    spec = {"name": "d", "workloads": [{"name": "resnet18"}], "policies": ["w4a4"],
            "hardware": {"base": "ideal.yaml", "vary": {"engines[0].precision.native_bits": [4, 8],
                                                        "dram.channels": [1, 2]}}}
    points = expand(load_sweep(write(tmp_path, spec))).points
    assert points[1].hardware["engines"][0]["precision"] == {"kind": "fixed", "native_bits": 4}
    assert points[1].hardware["dram"] == {"bandwidth_gb_per_s": float("inf"), "channels": 2}
    assert parse_hardware(points[2].hardware).engine().precision.native_bits == 8
    assert "precision" not in yaml.safe_load((tmp_path / "ideal.yaml").read_text())["engines"][0]


# -- random and Latin hypercube -------------------------------------------------------------------------

@pytest.mark.parametrize("n, d, seed", [(10, 3, 0), (7, 5, 42), (1, 1, 3)])
def test_latin_hypercube_hits_every_stratum_of_every_dimension_once(n, d, seed):
    units = unit_samples("lhs", n, d, seed)
    assert units.shape == (n, d) and ((units >= 0) & (units < 1)).all()
    for column in units.T:
        assert sorted(np.floor(column * n).astype(int).tolist()) == list(range(n))


def test_lhs_points_cover_ranges_and_lists_evenly_and_repeat_for_a_seed(tmp_path):
    spec = spec_dict(vary={"clock_ghz": {"range": [0.5, 1.3]},
                           "dram.bandwidth_gb_per_s": {"range": [4, 64], "log": True},
                           "engines[0].dataflow": ["weight_stationary", "output_stationary", "input_stationary",
                                                   "row_stationary"]})
    spec["sampling"] = {"method": "lhs", "samples": 8, "seed": 7}
    path = write(tmp_path, spec)
    values = [p.values for p in expand(load_sweep(path)).points]
    assert len(values) == 8
    clock = [int((v["clock_ghz"] - 0.5) / 0.8 * 8) for v in values]
    bandwidth = [int(np.log(v["dram.bandwidth_gb_per_s"] / 4) / np.log(16) * 8) for v in values]
    assert sorted(clock) == sorted(bandwidth) == list(range(8))
    flows = [v["engines[0].dataflow"] for v in values]
    assert all(flows.count(flow) == 2 for flow in set(flows)) and len(set(flows)) == 4
    assert [p.values for p in expand(load_sweep(path)).points] == values
    spec["sampling"]["seed"] = 8
    assert [p.values for p in expand(load_sweep(write(tmp_path, spec))).points] != values


def test_random_sampling_is_seeded_rounds_integers_and_drops_repeats(tmp_path):
    spec = spec_dict(vary={"engines[0].rows": {"range": [8, 128], "log": True}, "memory[3].size_bytes": ["1MiB"]})
    spec["sampling"] = {"method": "random", "samples": 20, "seed": 1}
    result = expand(load_sweep(write(tmp_path, spec)))
    rows = [p.values["engines[0].rows"] for p in result.points]
    assert all(type(r) is int and 8 <= r <= 128 for r in rows)
    units = np.random.default_rng(1).random((20, 2))
    expected = list(dict.fromkeys(int(round(8 * 16 ** u)) for u in units[:, 0]))
    assert rows == expected and result.duplicates == 20 - len(expected)

    categorical = spec_dict(vary={"engines[0].rows": [16, 32], "engines[0].cols": [16, 32]})
    categorical["sampling"] = {"method": "random", "samples": 40, "seed": 0}
    result = expand(load_sweep(write(tmp_path, categorical)))
    assert len(result.points) == 4 and result.duplicates == 36


def test_linked_fields_share_one_draw(tmp_path):
    spec = spec_dict(vary={"engines[0].rows": [8, 16, 32, 64], "engines[0].cols": [16, 32, 64, 128],
                           "dram.bandwidth_gb_per_s": {"range": [8, 64]}},
                     link=[["engines[0].rows", "engines[0].cols"]])
    spec["sampling"] = {"method": "lhs", "samples": 4, "seed": 3}
    values = [p.values for p in expand(load_sweep(write(tmp_path, spec))).points]
    assert sorted(v["engines[0].rows"] for v in values) == [8, 16, 32, 64]
    assert all(v["engines[0].cols"] == 2 * v["engines[0].rows"] for v in values)


# -- constraints ----------------------------------------------------------------------------------

def test_area_constraint_against_hwmodels(tmp_path):
    areas = {rows: sum(area_breakdown_mm2(parse_hardware(edge_with(engines__0__rows=rows))).values())
             for rows in (16, 32, 64)}
    assert areas[16] < areas[32] < areas[64]
    limit = round((areas[32] + areas[64]) / 2, 3)
    spec = spec_dict(vary={"engines[0].rows": [16, 32, 64]})
    spec["constraints"] = [f"area_mm2 <= {limit}"]
    result = expand(load_sweep(write(tmp_path, spec)))
    assert [p.values["engines[0].rows"] for p in result.points] == [16, 32]
    assert [r.values for r in result.rejected] == [{"engines[0].rows": 64}]
    assert result.rejected[0].reason == f"area_mm2 is {areas[64]:.6g}, not <= {limit:.6g}"


def test_sram_bytes_count_every_copy_and_take_units(tmp_path):
    # edge-npu: 2 B weight registers in each of rows x 32 PEs, then 32 + 256 + 512 KiB shared levels.
    by_hand = {rows: 2 * rows * 32 + (32 + 256 + 512) * 1024 for rows in (16, 32, 64)}
    assert by_hand == {16: 820224, 32: 821248, 64: 823296}
    for rows, total in by_hand.items():
        assert HARDWARE_METRICS["sram_bytes"][1](parse_hardware(edge_with(engines__0__rows=rows))) == total
    spec = spec_dict(vary={"engines[0].rows": [16, 32, 64]})
    for constraint, kept in [("sram_bytes <= 802KiB", [16, 32]), ("sram_bytes < 821248", [16]),
                             ("sram_bytes >= 821248", [32, 64]), ("sram_bytes > 0.821248MB", [64]),
                             ("sram_bytes == 821248", [32])]:
        spec["constraints"] = [constraint]
        points = expand(load_sweep(write(tmp_path, spec))).points
        assert [p.values["engines[0].rows"] for p in points] == kept, constraint


def test_every_broken_constraint_is_named(tmp_path):
    spec = spec_dict(vary={"engines[0].rows": [64]})
    spec["constraints"] = ["peak_macs_per_cycle <= 1k", "leakage_mw < 0.5mW", "sram_bytes <= 1MiB"]
    (rejection,) = expand(load_sweep(write(tmp_path, spec))).rejected
    leakage = parse_hardware(edge_with(engines__0__rows=64)).leakage_mw
    assert leakage > 0.5
    assert rejection.reason == f"peak_macs_per_cycle is 2048, not <= 1000; leakage_mw is {leakage:.6g}, not < 0.5"


def test_peak_rates_and_power_follow_their_definition():
    tpu, bitfusion = load_hardware("tpu-v1"), load_hardware("bitfusion")
    assert peak_macs_per_cycle(tpu) == 256 * 256  # one int8 MAC per PE per cycle (Jouppi et al., ISCA 2017)
    assert peak_macs_per_cycle(bitfusion) == 16 * 32  # 8x8 fuses all 16 BitBricks (Sharma et al., ISCA 2018)
    assert peak_macs_per_cycle(load_hardware("eyeriss")) == 12 * 14  # int8 padded to the 16-bit PE
    assert peak_macs_per_cycle(load_hardware("bit-serial")) == 256 * 256 / 8  # 8 activation bits, 1 per cycle
    expected = tpu.leakage_mw + 65536 * tpu.mac_pj(8, 8) * 0.7e9 * 1e-9
    assert peak_power_mw(tpu) == pytest.approx(expected, rel=1e-12)
    floating = copy.deepcopy(EDGE)
    floating["engines"][0].update(precision={"kind": "float", "macs_per_pe": {"fp16": 1, "fp8_e4m3": 2}},
                                  supported=None)
    acc = parse_hardware(floating)
    assert peak_macs_per_cycle(acc) == 2 * 1024  # the narrowest float of >= 8 bits: fp8
    assert peak_power_mw(acc) == pytest.approx(
        acc.leakage_mw + 2048 * acc.mac_pj(8, 8, floating=True) * 1e9 * 1e-9, rel=1e-12)


@pytest.mark.parametrize("text, message", [
    ("area <= 3", "unknown metric 'area' (did you mean 'area_mm2'?); known: area_mm2, leakage_mw, "
                  "peak_macs_per_cycle, peak_power_mw, sram_bytes"),
    ("energy_pj <= 3", "unknown metric 'energy_pj'; known: area_mm2, leakage_mw, peak_macs_per_cycle, "
                       "peak_power_mw, sram_bytes"),
    ("area_mm2 3", "expected METRIC OP VALUE such as 'area_mm2 <= 10' (got 'area_mm2 3')"),
    ("area_mm2 <= 3MiB", "unknown unit 'MiB' in '3MiB' (use um2, mm2)"),
    ("peak_power_mw <= lots", "'lots' is not a number (with a unit: uW, mW, W)"),
])
def test_constraint_errors(text, message):
    with pytest.raises(ValueError) as info:
        parse_constraint(text)
    assert str(info.value) == message


def test_constraint_units():
    assert parse_constraint("peak_power_mw <= 1.5W").limit == 1500.0
    assert parse_constraint("area_mm2 < 250000um2").limit == pytest.approx(0.25)
    assert parse_constraint("peak_macs_per_cycle >= 4k").limit == 4000.0
    assert parse_constraint("sram_bytes<=2MiB").limit == 2 * 2**20


# -- files next to the spec --------------------------------------------------------------------------

def tiny_onnx(path: Path) -> Path:
    """x[1, 16] @ W[16, 8]: one fully connected layer of 128 MACs."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.ones((16, 8), np.float32), "w")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], "fc")], "tiny",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])], [weight])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def test_workload_policy_and_hardware_files_are_read_next_to_the_spec(tmp_path, monkeypatch):
    (tmp_path / "nets").mkdir()
    shutil.copy(ROOT / "examples" / "tiny-cnn.yaml", tmp_path / "nets" / "tiny-cnn.yaml")
    tiny_onnx(tmp_path / "nets" / "tiny.onnx")
    shutil.copy(ROOT / "examples" / "ideal-32x32.yaml", tmp_path / "nets" / "ideal.yaml")
    (tmp_path / "nets" / "mixed.yaml").write_text("default: w4a8\nkeep_first_last: w8a8\n", encoding="utf-8")
    spec = {"name": "files", "workloads": [{"name": "../nets/tiny-cnn.yaml"},
                                           {"name": "../nets/tiny.onnx", "input_shapes": {"x": [4, 16]}}],
            "policies": ["../nets/mixed.yaml", "w8a8"],
            "hardware": {"base": "../nets/ideal.yaml", "vary": {"engines[0].rows": [16, 32]}},
            "options": {"objective": "energy"}}
    path = write(tmp_path / "specs", spec)
    monkeypatch.chdir(ROOT)
    points = expand(load_sweep(path)).points
    assert len(points) == 2 * 2 * 2
    assert points[0].workload == str((tmp_path / "nets" / "tiny-cnn.yaml").resolve())
    assert points[4].workload == str((tmp_path / "nets" / "tiny.onnx").resolve())
    assert points[4].params == {"input_shapes": {"x": [4, 16]}} and points[0].params == {}
    assert points[0].policy == str((tmp_path / "nets" / "mixed.yaml").resolve()) and points[2].policy == "w8a8"
    assert points[0].hardware["name"] == "ideal-32x32" and points[0].options == {"objective": "energy"}
    results = [evaluate_point(point) for point in points]
    assert [r.status for r in results] == ["ok"] * 8, [r.error for r in results]
    assert results[4].metrics["macs"] == 4 * 16 * 8


def test_a_spec_built_in_python_reads_files_from_base_dir():
    spec = SweepSpec(name="py", workloads=[{"name": "tiny-cnn.yaml"}], policies=["w8a8"],
                     hardware={"base": "ideal-32x32.yaml"})
    (point,) = expand(spec, base_dir=ROOT / "examples").points
    assert point.workload == str(ROOT / "examples" / "tiny-cnn.yaml")
    with pytest.raises(SweepError, match=r"^workloads\[0\]\.name: file not found \(.*/tiny-cnn\.yaml\)$"):
        expand(spec, base_dir=ROOT)


# -- errors ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    ({"vary": {"engines[0].rowz": [16]}}, "hardware.vary['engines[0].rowz']: no such field (did you mean 'rows'?)"),
    ({"vary": {"memory[9].size_bytes": [1]}},
     "hardware.vary['memory[9].size_bytes']: index 9 is out of range (memory has 4 items)"),
    ({"vary": {"engines[0].rows.bits": [1]}}, "hardware.vary['engines[0].rows.bits']: engines[0].rows has no fields"),
    ({"vary": {"engines[0]..rows": [1]}},
     "hardware.vary['engines[0]..rows']: not a dotted path such as engines[0].rows"),
    ({"vary": {"engines[0].rows": 16}}, "hardware.vary['engines[0].rows']: must be a list of values or a mapping "
                                        "{range: [low, high], log: …, steps: …} (got 16)"),
    ({"vary": {"engines[0].rows": []}}, "hardware.vary['engines[0].rows']: must list at least one value"),
    ({"vary": {"clock_ghz": {"range": [1, 2], "stepz": 3}}},
     "hardware.vary['clock_ghz'].stepz: unknown field (did you mean 'steps'?)"),
    ({"vary": {"clock_ghz": {"range": [1, 2]}}}, "hardware.vary['clock_ghz']: a range needs steps for grid sampling"),
    ({"vary": {"clock_ghz": {"range": [0, 2], "log": True, "steps": 3}}},
     "hardware.vary['clock_ghz']: a log range needs bounds > 0 (got 0)"),
    ({"vary": {"engines[0].dataflow": {"range": [1, 2], "steps": 2}}},
     "hardware.vary['engines[0].dataflow']: a range needs a numeric field (this one holds 'weight_stationary')"),
    ({"vary": {"memory[3].size_bytes": ["64KB!"]}},
     "hardware.vary['memory[3].size_bytes']: unknown unit 'KB!' in '64KB!' (use B, kB, MB, GB, KiB, MiB, GiB)"),
    ({"vary": {"memory[3].size_bytes": ["0.1KiB"]}},
     "hardware.vary['memory[3].size_bytes']: '0.1KiB' is not a whole number of bytes"),
    ({"vary": {"engines[0].rows": [16, 0]}}, "hardware.vary['engines[0].rows'] = 0: must be > 0 (got 0)"),
    ({"vary": {"engines[0].dataflow": ["row_stationery"]}},
     "hardware.vary['engines[0].dataflow'] = 'row_stationery': must be one of 'weight_stationary', "
     "'output_stationary', 'input_stationary' or 'row_stationary' (got 'row_stationery'; "
     "did you mean 'row_stationary'?)"),
    ({"vary": {"engines[0].rows": [16, 32], "engines[0].cols": [16]}, "link": [["engines[0].rows", "engines[0].cols"]]},
     "hardware.link[0]: linked lists must have equal lengths (got [1, 2])"),
    ({"vary": {"engines[0].rows": [16, 32], "clock_ghz": {"range": [1, 2], "steps": 3}},
      "link": [["engines[0].rows", "clock_ghz"]]},
     "hardware.link[0]: linked paths must have equal lengths (lists and steps; got [2, 3])"),
    ({"vary": {"engines[0].rows": [16]}, "link": [["engines[0].rows", "engines[0].colz"]]},
     "hardware.link[0][1]: 'engines[0].colz' is not a key of hardware.vary"),
    ({"base": "edge-nup"}, "hardware.base: unknown preset 'edge-nup' (did you mean 'edge-npu'? "
                           "known: bit-serial, bitfusion, edge-npu, eyeriss, gemmini, h100, nvdla, tpu-v1)"),
    ({"vari": {}}, "hardware.vari: unknown field (did you mean 'vary'?)"),
])
def test_hardware_errors_name_the_file_and_the_key(tmp_path, monkeypatch, change, message):
    assert error_of(tmp_path, monkeypatch, spec_dict(**change)) == f"sweep.yaml: {message}"


def test_the_issue_example_message(tmp_path, monkeypatch):
    spec = spec_dict(vary={"engines[0].rows": [16, 32], "engines[0].rowz": [16, 32, 64]})
    assert error_of(tmp_path, monkeypatch, spec) == \
        "sweep.yaml: hardware.vary['engines[0].rowz']: no such field (did you mean 'rows'?)"


def test_a_combination_the_hardware_refuses_names_the_sample_or_is_rejected(tmp_path, monkeypatch):
    vary = {"memory[1].size_bytes": ["32KiB", "512KiB"], "engines[0].rows": [16]}
    message = error_of(tmp_path, monkeypatch, spec_dict(vary=vary))
    assert message == ("sweep.yaml: hardware sample (memory[1].size_bytes=524288, engines[0].rows=16): "
                       "memory[2].size_bytes: must be >= 524288, the size of inner level 'acc_sram' that also "
                       "holds outputs; levels are listed innermost first (got 262144)")
    result = expand(load_sweep(write(tmp_path, spec_dict(vary=vary, invalid="reject"))))
    assert [p.values["memory[1].size_bytes"] for p in result.points] == [32768]
    assert result.rejected[0].reason.startswith("invalid hardware: memory[2].size_bytes: must be >= 524288")


@pytest.mark.parametrize("change, message", [
    ({"workloads": [{"name": "resnet5"}]}, "workloads[0].name: unknown model 'resnet5' (did you mean 'resnet50'?); "
                                           "known models: bert_base, llama7b, mobilenet_v2, resnet18, resnet50, "
                                           "vgg16, vit_b16"),
    ({"workloads": [{"name": "resnet18", "params": {"batch": 0}}]}, "workloads[0].params: batch: must be >= 1 (got 0)"),
    ({"workloads": [{"name": "resnet18", "input_shapes": {"x": [1]}}]},
     "workloads[0].input_shapes: apply to ONNX files only"),
    ({"workloads": [{"name": "resnet18"}, {"name": "nets/model.pt"}]},
     "workloads[1].name: unknown file type '.pt' (expected .onnx, .yaml, .yml or .json)"),
    ({"workloads": [{"name": "resnet18", "param": {}}]}, "workloads[0].param: unknown field (did you mean 'params'?)"),
    ({"workloads": []}, "workloads: must have at least 1 item (got 0)"),
    ({"policies": ["w8a8", "w9z"]}, "policies[1]: unknown quantization policy 'w9z' (expected e.g. fp32, fp16, w8a8, "
                                    "w4a8, w4a16-g128, w2a2, w8a8-kv4, fp8; see 'qcosim workload --help')"),
    ({"constraints": ["area_mm2 <= 5", "area <= 3"]},
     "constraints[1]: unknown metric 'area' (did you mean 'area_mm2'?); known: area_mm2, leakage_mw, "
     "peak_macs_per_cycle, peak_power_mw, sram_bytes"),
    ({"options": {"fidelity": "DES"}}, "options.fidelity: must be one of 'analytical' or 'des' (got 'DES')"),
    ({"options": {"fidelty": "des"}}, "options.fidelty: unknown field (did you mean 'fidelity'?)"),
    ({"sampling": {"samples": 3}}, "sampling.samples: applies to random and lhs sampling only "
                                   "(a grid takes every combination)"),
    ({"sampling": {"method": "lhs"}}, "sampling.samples: required for lhs sampling"),
    ({"sampling": {"method": "sobol", "samples": 4}}, "sampling.method: must be one of 'grid', 'random' or 'lhs' "
                                                      "(got 'sobol')"),
    ({"schema_version": "2"}, "schema_version: must be one of '1' (got '2')"),
])
def test_spec_errors_name_the_file_and_the_key(tmp_path, monkeypatch, change, message):
    assert error_of(tmp_path, monkeypatch, {**spec_dict(), **change}) == f"sweep.yaml: {message}"


def test_missing_files_are_named(tmp_path, monkeypatch):
    spec = {**spec_dict(), "workloads": [{"name": "nets/none.onnx"}]}
    assert error_of(tmp_path, monkeypatch, spec) == \
        f"sweep.yaml: workloads[0].name: file not found ({tmp_path.resolve() / 'nets' / 'none.onnx'})"
    spec = {**spec_dict(), "policies": ["pol/none.yaml"]}
    assert error_of(tmp_path, monkeypatch, spec) == \
        f"sweep.yaml: policies[0]: {tmp_path.resolve() / 'pol' / 'none.yaml'}: no such file"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dup.yaml").write_text("name: a\nname: b\n", encoding="utf-8")
    with pytest.raises(SweepError, match=r"^dup\.yaml: invalid YAML at line 2, column 1: duplicate key 'name'$"):
        load_sweep("dup.yaml")
    with pytest.raises(SweepError, match=r"^none\.yaml: cannot read file"):
        load_sweep("none.yaml")


def test_sweep_error_is_an_analysis_error_and_pickles():
    error = SweepError("hardware.vary['x']: no such field", "sweep.yaml")
    assert isinstance(error, AnalysisError)
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


# -- schema --------------------------------------------------------------------------------------------

def test_committed_schema_matches_the_generated_one():
    # Regenerate with: qcosim schema sweep > schemas/sweep.json
    committed = json.loads((ROOT / "schemas" / "sweep.json").read_text(encoding="utf-8"))
    assert committed == sweep_json_schema()


def test_schema_documents_fields():
    schema = sweep_json_schema()
    assert schema["additionalProperties"] is False
    assert "dotted path" in schema["$defs"]["HardwareSweep"]["properties"]["vary"]["description"].lower()
    assert set(schema["$defs"]["Sampling"]["properties"]["method"]["enum"]) == {"grid", "random", "lhs"}
