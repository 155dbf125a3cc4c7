"""YAML/JSON layer lists: the shipped example, wiring, and one-line errors."""

from pathlib import Path

import pytest

from workloads import WorkloadError
from workloads.io import load_workload
from workloads.layerlist import load_layer_list

EXAMPLE = Path(__file__).parents[3] / "examples" / "tiny-cnn.yaml"


def test_example_file_loads_with_hand_counted_macs():
    g = load_layer_list(EXAMPLE)
    macs = {layer.name: layer.macs for layer in g.layers()}
    assert macs["conv1"] == 16 * 3 * 32 * 32 * 9
    assert macs["conv2"] == 32 * 16 * 16 * 16 * 9
    assert macs["dw3"] == 32 * 1 * 16 * 16 * 9
    assert macs["fc"] == 32 * 10
    assert g.predecessors("add") == ["conv2", "dw3"]
    assert g.inputs["conv1"].shape == (1, 3, 32, 32)
    assert g.layer("fc").quant.label() == "w8a8"
    # load_workload fuses relu1 into conv1 as a compiler would.
    fused = load_workload(EXAMPLE)
    assert fused.layer("conv1").fused == ("Relu",) and "relu1" not in fused


def test_json_layer_list(tmp_path):
    path = tmp_path / "mlp.json"
    path.write_text('{"name": "mlp", "layers": [{"name": "fc1", "op": "gemm", "c": 784, "k": 128},'
                    ' {"name": "fc2", "op": "gemm", "c": 128, "k": 10}]}')
    g = load_workload(path)
    assert g.totals()["macs"] == 784 * 128 + 128 * 10
    assert g.tensor("fc1", "fc2").shape == (1, 128, 1, 1)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("layers:\n  - {name: a, op: conv, k: 0}\n", "layers[0].k: must be >= 1 (got 0)"),
        ("layers:\n  - {name: a, op: conv, k: -3}\n", "layers[0].k: must be >= 1 (got -3)"),
        ("layers:\n  - {name: a, op: gemm, kk: 3}\n", "layers[0].kk: unknown field (did you mean 'k'?)"),
        ("layers:\n  - {name: a, op: conf}\n", "layers[0].op: Input should be"),
        ("layers:\n  - {name: a, op: gemm}\n  - {name: b, op: gemm, inputs: [zz]}\n",
         "layers[1].inputs: no layer named 'zz'"),
        ("layers:\n  - {name: a, op: gemm, quant: w9a9}\n",
         "layers.a.quant: policy 'w9a9': integer width must be 1-8 (use i9 for a 9-bit integer)"),
        ("layers: []\n", "layers: List should have at least 1 item"),
        ("name: x\n", "layers: field required"),
    ],
)
def test_layer_list_errors_name_file_and_field(tmp_path, body, message):
    path = tmp_path / "net.yaml"
    path.write_text(body)
    with pytest.raises(WorkloadError) as info:
        load_layer_list(path)
    text = str(info.value)
    assert text.startswith(f"{path}: {message}")
    assert "\n" not in text


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("net.yaml", "name: net\nlayers:\n  - {name: fc, op: gemm, c: 64, k: 10, k: 100}\n",
         "invalid YAML at line 3, column 40: duplicate key 'k'"),
        ("net.json", '{"name": "net", "layers": [{"name": "fc", "op": "gemm", "c": 64, "k": 10}], "name": "x"}',
         "invalid JSON: duplicate key 'name'"),
    ],
)
def test_layer_list_refuses_a_key_given_twice(tmp_path, name, body, message):
    path = tmp_path / name
    path.write_text(body)
    with pytest.raises(WorkloadError) as info:
        load_layer_list(path)
    assert str(info.value) == f"{path}: {message}"


def test_load_workload_dispatch_errors(tmp_path):
    with pytest.raises(WorkloadError) as info:
        load_workload(tmp_path / "missing.yaml")
    assert str(info.value) == f"{tmp_path / 'missing.yaml'}: no such file"
    with pytest.raises(WorkloadError, match=r"model parameters \['batch'\] apply to zoo models only"):
        load_workload(EXAMPLE, params={"batch": 2})
    other = tmp_path / "net.txt"
    other.write_text("x")
    with pytest.raises(WorkloadError, match="unknown file type"):
        load_workload(other)
