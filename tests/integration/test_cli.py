"""The qcosim command end to end: outputs, JSON contract, exit codes and one-line errors."""

import json

import pytest

from qcosim.cli import main


def run(capsys, *argv):
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_workload_json_contract(capsys):
    code, out, err = run(capsys, "workload", "resnet50", "--quant", "w4a8", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert set(data["totals"]) == {"layers", "macs", "params", "weight_bytes", "activation_bytes", "bops"}
    # torchvision ResNet-50 weight card: 4.089 GMACs, 25,557,032 parameters.
    assert data["totals"]["macs"] == 4_089_184_256
    assert data["totals"]["params"] == 25_557_032
    assert data["policy"] == "w4a8"
    first = data["layers"][0]
    assert first["name"] == "conv1" and first["quant"] == "w4a8"
    assert set(first) == {"name", "op", "dims", "quant", "macs", "params", "weight_bytes",
                          "input_bytes", "output_bytes", "bops"}


def test_four_bit_weights_halve_weight_bytes_but_keep_scales(capsys):
    totals = {}
    for policy in ("w8a8", "w4a8"):
        _, out, _ = run(capsys, "workload", "resnet18", "-q", policy, "--json")
        totals[policy] = json.loads(out)["totals"]
    w8, w4 = totals["w8a8"], totals["w4a8"]
    # Only the weight payload halves; per-channel scales and 32-bit bias/BN terms stay.
    # ResNet-18: 11,689,512 params (torchvision weight card) less 9,600 BN gamma/beta (4,800
    # channels) and 1,000 fc biases = 11,678,912 weights; 4 bits fewer each = 5,839,456 bytes.
    assert w8["weight_bytes"] - w4["weight_bytes"] == 11_678_912 // 2
    assert w4["bops"] * 2 == w8["bops"]
    assert w4["activation_bytes"] == w8["activation_bytes"]


def test_workload_table_and_list(capsys):
    code, out, _ = run(capsys, "workload", "examples/tiny-cnn.yaml", "-q", "w8a8")
    assert code == 0
    assert "conv1" in out and "total (6 layers)" in out
    code, out, _ = run(capsys, "workload", "--list")
    assert code == 0
    for name in ("resnet18", "resnet50", "mobilenet_v2", "vgg16", "vit_b16", "bert_base", "llama7b"):
        assert name in out


def test_zoo_parameters_from_the_command_line(capsys):
    _, out, _ = run(capsys, "workload", "bert-base", "-P", "seq_len=64", "--batch", "2", "--json")
    one, _ = json.loads(out)["totals"]["macs"], None
    _, out, _ = run(capsys, "workload", "bert_base", "-P", "seq_len=64", "--json")
    assert one == 2 * json.loads(out)["totals"]["macs"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["workload", "resnet51"], "error: unknown model 'resnet51' (did you mean 'resnet50'?)"),
        (["workload", "resnet50", "-q", "w9a9"],
         "error: policy 'w9a9': integer width must be 1-8 (use i9 for a 9-bit integer)"),
        (["workload", "missing.onnx"], "error: missing.onnx: no such file"),
        (["workload", "resnet50", "-P", "seq_len=3"],
         "error: resnet50: seq_len: unknown parameter (resnet50 takes batch, image_size)"),
        (["workload", "resnet50", "-P", "batch"], "error: --param: expected key=value (got 'batch')"),
        (["workload", "x.onnx", "--input-shape", "x=1,0"],
         "error: --input-shape: expected name=d1,d2,... with dims 1-16777216 (got 'x=1,0')"),
        (["hw", "show", "bogus"], "error: unknown preset 'bogus'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith(message)
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_files_name_the_file(capsys, tmp_path):
    text = tmp_path / "notonnx.onnx"
    text.write_text("hello")
    code, _, err = run(capsys, "workload", str(text))
    assert (code, err) == (2, f"error: {text}: not an ONNX file (protobuf parse failed)\n")
    layers = tmp_path / "net.yaml"
    layers.write_text("layers:\n  - {name: a, op: conv, k: 0}\n")
    code, _, err = run(capsys, "workload", str(layers))
    assert (code, err) == (2, f"error: {layers}: layers[0].k: must be >= 1 (got 0)\n")


def test_unknown_option_is_a_usage_error(capsys):
    code, _, err = run(capsys, "workload", "resnet50", "--bogus")
    assert code == 2
    assert "No such option: --bogus" in err


def test_simulate_json_contract(capsys):
    code, out, err = run(capsys, "simulate", "resnet18", "--hw", "bitfusion", "-q", "w4a8", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    totals = data["totals"]
    assert {"cycles", "latency_s", "energy_pj", "dram_bytes", "macs", "utilization"} <= set(totals)
    assert totals["macs"] == 1_814_073_344  # torchvision ResNet-18 weight card: 1.814 GMACs
    assert totals["latency_s"] == pytest.approx(totals["cycles"] / 500e6)  # Bit Fusion runs at 500 MHz
    assert 0 < totals["utilization"] <= 1
    assert [layer["name"] for layer in data["layers"]][0] == "conv1"
    assert data["layers"][0]["mapping"]["executed_formats"] == ["int4", "int8"]


def test_simulate_table_and_csv(capsys):
    code, out, _ = run(capsys, "simulate", "examples/tiny-cnn.yaml", "--hw", "edge-npu", "-q", "w8a8")
    assert code == 0 and "TOPS/W" in out and "conv1" in out
    code, out, _ = run(capsys, "simulate", "examples/tiny-cnn.yaml", "--hw", "edge-npu", "--csv")
    lines = out.splitlines()
    assert lines[0].startswith("layer,op,quant,engine,macs,start_cycle,cycles")
    assert len(lines) == 1 + 6


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["simulate", "resnet18", "--hw", "tpu-v1", "-q", "fp16"],
         "error: layer 'conv1': engine 'mxu' cannot run weights=fp16, activations=fp16"),
        (["simulate", "resnet18", "--hw", "tpu-v1", "--fidelity", "cycle"],
         "error: --fidelity: must be 'analytical' or 'des' (got 'cycle')"),
        (["simulate", "resnet18", "--hw", "nope.yaml"], "error: nope.yaml"),
    ],
)
def test_simulate_bad_input(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.startswith(message) and err.count("\n") == 1


def test_simulate_des_writes_a_chrome_trace(capsys, tmp_path):
    trace = tmp_path / "out" / "trace.json"
    code, out, _ = run(capsys, "simulate", "examples/tiny-cnn.yaml", "--hw", "edge-npu", "--fidelity", "des",
                       "--trace", str(trace), "--json")
    assert code == 0
    result = json.loads(out)
    assert result["fidelity"] == "des" and result["timeline"]
    events = json.loads(trace.read_text())["traceEvents"]
    tracks = {e["args"]["name"] for e in events if e.get("ph") == "M" and e["name"] == "thread_name"}
    assert {"pe_array", "dram[0]"} <= tracks
    spans = [e for e in events if e.get("ph") == "X"]
    assert {e["name"] for e in spans} >= {"conv1", "fc"}


def test_simulate_objective_and_stream(capsys):
    def totals(*extra):
        code, out, _ = run(capsys, "simulate", "resnet18", "--hw", "edge-npu", "--json", *extra)
        assert code == 0
        return json.loads(out)["totals"]

    fast, frugal = totals(), totals("--objective", "energy")
    assert frugal["energy_pj"] <= fast["energy_pj"] and fast["cycles"] <= frugal["cycles"]
    streamed = totals("--stream", "2")
    assert streamed["macs"] == 2 * fast["macs"]
    code, _, err = run(capsys, "simulate", "resnet18", "--hw", "edge-npu", "--objective", "fast")
    assert (code, err) == (2, "error: --objective: must be one of latency, energy, edp (got 'fast')\n")
