"""Numbers must be numbers, flags must be flags, and no field may ask for more work than a chip can mean."""

from __future__ import annotations

import pytest
import yaml

from hwmodels import ConfigError, load_hardware
from hwmodels.validation import HARDWARE_LIMITS
from workloads.errors import QuantSpecError, WorkloadError
from workloads.io import load_workload
from workloads.limits import MAX_DIM, MAX_LAYER_MACS, MAX_TENSOR_ELEMENTS
from workloads.policy import load_policy

HW = {"name": "tiny", "clock_ghz": 1.0, "engines": [{"name": "pe", "rows": 4, "cols": 4}],
      "memory": [{"name": "glb", "size_bytes": 65536, "operands": ["weights", "inputs", "outputs"]}],
      "dram": {"bandwidth_gb_per_s": 16.0}}


def _hw_error(tmp_path, change, suffix=".yaml"):
    path = tmp_path / f"hw{suffix}"
    data = yaml.safe_load(yaml.safe_dump(HW))
    change(data)
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as info:
        load_hardware(path)
    return str(info.value).removeprefix(f"{path}: ")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["engines"][0].update(rows=True), "engines[0].rows: must be an integer (got true)"),
        (lambda d: d.update(clock_ghz="1.0"), "clock_ghz: must be a number (got '1.0'; remove the quotes)"),
        (lambda d: d["memory"][0].update(double_buffered=1), "memory[0].double_buffered: must be true or false (got 1)"),
        (lambda d: d.update(name=True), "name: must be a string (got true; quote it if you mean the text)"),
        (lambda d: d.update(clock_ghz=1e300), "clock_ghz: must be <= 100 (got 1e+300)"),
        (lambda d: d.update(technology_nm=1e30), "technology_nm: must be <= 1000 (got 1e+30)"),
        (lambda d: d["engines"][0].update(rows=2**40), "engines[0].rows: must be <= 65536 (got 1099511627776)"),
        (lambda d: d.update(engines=[dict(HW["engines"][0], name=f"e{i}") for i in range(65)]),
         "engines: must have at most 64 items (got 65)"),
        (lambda d: d["dram"].update(channels=10**6), "dram.channels: must be <= 1024 (got 1000000)"),
        (lambda d: d["dram"].update(energy_pj_per_bit=1e300),
         "dram.energy_pj_per_bit: must be <= 1000000000000000 (got 1e+300)"),
    ],
)
def test_hardware_fields_are_strict_and_bounded(tmp_path, change, message):
    assert _hw_error(tmp_path, change) == message


def test_unlimited_bandwidth_may_be_written_as_a_string_in_json(tmp_path):
    # JSON has no infinity; `dump_hardware` writes "inf" and reads it back (hwmodels.io._json_safe).
    path = tmp_path / "hw.json"
    path.write_text('{"name": "t", "clock_ghz": 1, "engines": [{"name": "pe", "rows": 4, "cols": 4}], '
                    '"memory": [{"name": "m", "size_bytes": 1024, "operands": ["weights", "inputs", "outputs"]}], '
                    '"dram": {"bandwidth_gb_per_s": "inf"}}')
    assert load_hardware(path).dram.bandwidth_gb_per_s == float("inf")


def test_every_hardware_limit_is_a_field_of_the_accelerator():
    from hwmodels import Accelerator

    for path in HARDWARE_LIMITS:
        model, parts = Accelerator, path.replace("[]", "").split(".")
        for part in parts:
            assert part in model.model_fields, path
            annotation = model.model_fields[part].annotation
            model = getattr(annotation, "__args__", (annotation,))[0]


def _layers(tmp_path, layers, name="net.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"layers": layers}))
    with pytest.raises(WorkloadError) as info:
        load_workload(path)
    return str(info.value).removeprefix(f"{path}: ")


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ({"k": True}, "layers[0].k: must be an integer (got true)"),
        ({"k": "16"}, "layers[0].k: must be an integer (got '16'; remove the quotes)"),
        ({"padding": [True, 0]}, "layers[0].padding[0]: must be an integer (got true)"),
        ({"k": 10**12, "c": 10**12}, f"layer 'fc': k must be <= {MAX_DIM} (got 1000000000000)"),
        ({"op": "activation", "ops_per_output": float("inf")},
         "layer 'fc': ops_per_output must be a finite number <= 1e+06 (got inf)"),
        ({"k": 2**22, "c": 2**22}, f"layer 'fc': weight tensor must have <= {MAX_TENSOR_ELEMENTS} elements "
                                   f"(2^40; got {2**44})"),
        ({"k": 2**20, "c": 2**20, "p": 2**11},
         f"layer 'fc': must do <= {MAX_LAYER_MACS} MACs or vector operations (2^50; got {2.0**51:.4g})"),
    ],
)
def test_layer_fields_are_strict_and_bounded(tmp_path, layer, message):
    assert _layers(tmp_path, [{"name": "fc", "op": "gemm", "c": 16, "k": 10, **layer}]) == message


def test_graph_errors_name_the_file_not_the_network(tmp_path):
    layers = [{"name": "a", "op": "gemm", "c": 4, "k": 4, "inputs": ["b"]},
              {"name": "b", "op": "gemm", "c": 4, "k": 4, "inputs": ["a"]}]
    assert _layers(tmp_path, layers) == "graph has a cycle through 'a'"
    assert _layers(tmp_path, [layers[0] | {"name": "x"}, layers[1] | {"name": "x"}]) == "layers[0].inputs: no layer named 'b'"


def test_directories_and_empty_names_say_so(tmp_path):
    folder = tmp_path / "net.yaml"
    folder.mkdir()
    with pytest.raises(WorkloadError, match="net.yaml: is a directory, not a layer-list file$"):
        load_workload(folder)
    with pytest.raises(WorkloadError, match="^no workload given: the model name or file path is empty$"):
        load_workload(" ")
    with pytest.raises(ConfigError, match="^no accelerator given: the preset name or file path is empty$"):
        load_hardware("")
    with pytest.raises(QuantSpecError, match="^no policy given: the shorthand or file path is empty$"):
        load_policy("")


def test_policy_file_errors_name_the_policy_file(tmp_path):
    from workloads.policy import apply_quant

    path = tmp_path / "policy.yaml"
    path.write_text("default: w4a8\noverrides:\n  - {match: 'nope*', quant: w8a8}\n")
    with pytest.raises(QuantSpecError) as info:
        apply_quant(load_workload("resnet18"), load_policy(path))
    assert str(info.value) == f"{path}: overrides[0]: match 'nope*' selects no layer of 'resnet18'"
    path.write_text("default: w4a8\nkeep_first_last: 8\n")
    with pytest.raises(QuantSpecError) as info:
        load_policy(path)
    assert str(info.value) == f"{path}: keep_first_last: Input should be a valid string (got 8)"
    path.write_text("default: w4a8\noverrides:\n  - {match: 'conv*', quant: w8a8\n")
    with pytest.raises(QuantSpecError) as info:
        load_policy(path)
    assert str(info.value) == f"{path}: invalid YAML at line 4, column 1: expected ',' or '}}', but got '<stream end>'"


def test_a_directory_given_as_the_workload_says_so(tmp_path):
    with pytest.raises(WorkloadError) as info:
        load_workload(tmp_path)
    assert str(info.value) == (f"{tmp_path}: a directory, not a workload (expected a zoo name or an .onnx, .yaml, "
                               ".yml or .json file)")
