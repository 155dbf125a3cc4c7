"""Sensitivity: numpy quantizers checked by hand and against published results, proxies on real weights.

Real weights come from the PP-OCR mobile direction classifier inside the
``rapidocr-onnxruntime`` 1.4.4 wheel (fixture ``ppocr_cls`` in conftest.py).
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from analysis.errors import AnalysisError
from analysis.quantizers import (
    EXACT_SQNR_DB,
    error_stats,
    output_axis,
    quantize_matrix,
    quantize_weights,
    round_to_float,
)
from analysis.sensitivity import (
    Sensitivity,
    activation_sensitivity,
    hawq_sensitivity,
    heuristic_sensitivity,
    sensitivity,
    weight_sensitivity,
)
from workloads import load_workload
from workloads.layers import Layer
from workloads.policy import parse_spec
from workloads.quant import FP16, TensorQuant, parse_format

try:
    from . import sensitivity_models as models
except ImportError:  # tests/ laid out without packages: pytest puts this folder on sys.path
    import sensitivity_models as models


def _tq(candidate: str) -> TensorQuant:
    return parse_spec(candidate)[0].weights


def _mse(w, q) -> float:
    return error_stats(w, q)[0]


# -- integer grids, by hand ------------------------------------------------------------------
HAND = np.array([[7.0, 2.5, -1.2, 0.4], [14.0, 3.0, -5.0, 0.9]])


def test_int4_per_channel_symmetric_by_hand():
    # Row 0: scale 7/7 = 1 -> [7, 2 (2.5 ties to even), -1, 0], squared errors 0 + .25 + .04 + .16 = .45.
    # Row 1: scale 14/7 = 2 -> [14, 4 (1.5 -> 2), -4 (-2.5 -> -2), 0], errors 0 + 1 + 1 + .81 = 2.81.
    q = quantize_matrix(HAND, _tq("w4a8"))
    assert q.tolist() == [[7.0, 2.0, -1.0, 0.0], [14.0, 4.0, -4.0, 0.0]]
    assert _mse(HAND, q) == pytest.approx((0.45 + 2.81) / 8)


def test_int4_per_tensor_by_hand_is_worse_than_per_channel():
    # One scale 14/7 = 2 for both rows: row 0 -> [8, 2, -2, 0], errors 1 + .25 + .64 + .16 = 2.05.
    q = quantize_matrix(HAND, _tq("w4a8-pt"))
    assert q[0].tolist() == [8.0, 2.0, -2.0, 0.0]
    assert _mse(HAND, q) == pytest.approx((2.05 + 2.81) / 8)


def test_int8_per_channel_symmetric_by_hand():
    # Scale 127/127 = 1: the same roundings as row 0 above.
    w = np.array([[127.0, 2.5, -1.2, 0.4]])
    assert _mse(w, quantize_matrix(w, _tq("w8a8"))) == pytest.approx(0.45 / 4)


def test_asymmetric_and_unsigned_grids_by_hand():
    # Asymmetric int4 over [-1, 14]: scale 15/15 = 1, zero point 1; 0.4 -> 0, 2.6 -> 3.
    w = np.array([[-1.0, 0.4, 2.6, 14.0]])
    q = quantize_matrix(w, TensorQuant.of("int4", symmetric=False, granularity="channel"))
    assert q.tolist() == [[-1.0, 0.0, 3.0, 14.0]] and _mse(w, q) == pytest.approx(0.32 / 4)
    # Unsigned symmetric uint4 over [0, 15]: scale 1, the negative value clips to 0.
    w = np.array([[-1.0, 0.4, 2.6, 15.0]])
    q = quantize_matrix(w, TensorQuant.of("uint4", granularity="channel"))
    assert q.tolist() == [[0.0, 0.0, 3.0, 15.0]]


def test_groups_along_the_reduction_axis_with_a_partial_last_group():
    # Groups of 2: [7, 1] scale 1, [0.7, 0.1] scale 0.1, and the partial group [3.5] scale 0.5.
    w = np.array([[7.0, 1.0, 0.7, 0.1, 3.5]])
    grouped = quantize_matrix(w, TensorQuant.of("int4", granularity="group", group_size=2))
    assert grouped == pytest.approx(w, abs=1e-7)
    # One scale (7/7 = 1) per channel: [7, 1, 1, 0, 4], errors .09 + .01 + .25.
    assert _mse(w, quantize_matrix(w, _tq("w4a8"))) == pytest.approx(0.35 / 5)


def test_group_scales_are_stored_in_fp16():
    # The policy's -gN scales are fp16: 0.1 is stored as 0.0999755859375, so 0.7 and 0.1 are not exact.
    w = np.array([[7.0, 1.0, 0.7, 0.1]])
    s16 = float(np.float16(0.1))
    q = quantize_matrix(w, _tq("w4a8-g2"))
    assert q[0, 2:].tolist() == [7 * s16, s16]


def test_gemm_and_matmul_output_axis_and_groups_run_along_the_reduction():
    square = np.zeros((4, 4))
    assert output_axis(Layer(name="a", op="gemm", source_op="Gemm", c=4, k=4), square) == 0  # transB=1 (PyTorch)
    assert output_axis(Layer(name="b", op="gemm", source_op="MatMul", c=4, k=4), square) == 1  # X @ W
    assert output_axis(Layer(name="c", op="conv", source_op="ConvTranspose", c=4, k=8), np.zeros((4, 8, 3, 3))) == 1
    w = np.random.default_rng(0).standard_normal((6, 2))  # MatMul weight [C=6, K=2]
    layer = Layer(name="fc", op="gemm", source_op="MatMul", c=6, k=2)
    tq = _tq("w4a8-g3")
    assert quantize_weights(layer, w, tq).tolist() == quantize_matrix(w.T, tq).T.tolist()


# -- published results ---------------------------------------------------------------------
@pytest.mark.parametrize("bits", [6, 8, 10])
def test_full_scale_sine_follows_6_02_b_plus_1_76_db(bits):
    # Bennett (1948), "Spectra of Quantized Signals": SQNR = 6.02 b + 1.76 dB for a full-scale sine.
    # Its uniform-noise model needs the samples to sweep the phase (an irrational frequency here);
    # from 6 bits on it holds to 0.15 dB (the restricted grid's 2^b - 1 levels cost under 0.07 dB).
    x = np.sin(2 * np.pi * (math.sqrt(2) / 100) * np.arange(1_000_000))[None, :]
    sqnr = error_stats(x, quantize_matrix(x, TensorQuant.of(f"int{bits}")))[1]
    assert sqnr == pytest.approx(6.02 * bits + 1.76, abs=0.15)


@pytest.mark.parametrize("bits", [4, 6, 8])
def test_full_scale_uniform_signal_gives_6_02_db_per_bit(bits):
    # Uniform signal on [-A, A]: power A^2/3 against step^2/12, i.e. 20 log10(levels - 1) dB with
    # 2^b - 1 symmetric levels and 2^b asymmetric ones (-> 6.02 b dB, the same standard result).
    x = np.random.default_rng(bits).uniform(-1.0, 1.0, (1, 1_000_000))
    symmetric = error_stats(x, quantize_matrix(x, TensorQuant.of(f"int{bits}")))[1]
    asymmetric = error_stats(x, quantize_matrix(x, TensorQuant.of(f"int{bits}", symmetric=False)))[1]
    assert symmetric == pytest.approx(20 * math.log10(2**bits - 2), abs=0.05)
    assert asymmetric == pytest.approx(20 * math.log10(2**bits - 1), abs=0.05)


@pytest.mark.parametrize(("bits", "max_mse"), [(2, 0.1175), (3, 0.03454), (4, 0.009497)])
def test_codebook_reaches_the_lloyd_max_gaussian_optimum(bits, max_mse):
    # J. Max, "Quantizing for Minimum Distortion" (IRE Trans. Inf. Theory, 1960), Table: minimum
    # mean squared error of 4-, 8- and 16-level quantizers for a unit-variance Gaussian.
    x = np.random.default_rng(0).standard_normal((1, 200_000))
    mse = _mse(x, quantize_matrix(x, TensorQuant.of(f"cb{bits}", granularity="channel")))
    assert mse / x.var() == pytest.approx(max_mse, rel=0.015)


def test_codebook_levels_by_hand():
    # Two levels from a linear init at 0 and 30: midpoint 15 splits {0..12} (mean 6) from {20, 30}
    # (mean 25); the next midpoint 15.5 splits the same way, so Lloyd stops there.
    w = np.array([[0.0, 1, 2, 10, 11, 12, 20, 30]])
    q = quantize_matrix(w, TensorQuant.of("cb1", granularity="channel", scale_format=FP16))
    assert q.tolist() == [[6.0, 6.0, 6.0, 6.0, 6.0, 6.0, 25.0, 25.0]]


def test_binary_is_sign_times_mean_magnitude():
    w = np.array([[1.0, -3.0, 2.0, -2.0]])  # alpha = mean |w| = 2
    q = quantize_matrix(w, _tq("wba8"))
    assert q.tolist() == [[2.0, -2.0, 2.0, -2.0]] and _mse(w, q) == pytest.approx(0.5)


def test_ternary_follows_twn():
    # Li and Liu (2016), Ternary Weight Networks, eq. 9-10: delta = 0.7 mean|w| = 0.7 * 6.4/6 = 0.7467;
    # |w| > delta keeps 2.0, -1.0, -2.5, whose mean magnitude alpha = 5.5/3.
    w = np.array([[2.0, -1.0, 0.2, -0.1, 0.6, -2.5]])
    alpha = 5.5 / 3
    assert quantize_matrix(w, _tq("wta8")) == pytest.approx(np.array([[alpha, -alpha, 0, 0, 0, -alpha]]))


# -- fp8 grids (OCP 8-bit Floating Point Specification v1.0, 2023, Table 1) -----------------------
def _representable(exponent_bits: int, mantissa_bits: int, e4m3: bool) -> np.ndarray:
    """Every finite non-negative value of an fp8 format, from the bit layout."""
    bias = 2 ** (exponent_bits - 1) - 1
    values = [m / 2**mantissa_bits * 2.0 ** (1 - bias) for m in range(2**mantissa_bits)]  # zero, subnormals
    top = 2**exponent_bits - (1 if e4m3 else 2)  # E5M2 keeps its all-ones exponent for inf/NaN
    for e in range(1, top + 1):
        for m in range(2**mantissa_bits):
            if e4m3 and e == top and m == 2**mantissa_bits - 1:
                continue  # S.1111.111 is NaN in E4M3
            values.append((1 + m / 2**mantissa_bits) * 2.0 ** (e - bias))
    return np.array(values)


@pytest.mark.parametrize(("name", "layout", "largest", "smallest"),
                         [("fp8_e4m3", (4, 3, True), 448.0, 2.0**-9), ("fp8_e5m2", (5, 2, False), 57344.0, 2.0**-16)])
def test_fp8_grid_is_the_formats_value_set(name, layout, largest, smallest):
    fmt = parse_format(name)
    grid = _representable(*layout)
    assert grid.max() == largest and grid[1] == smallest
    assert len(grid) == (127 if name == "fp8_e4m3" else 124)
    assert round_to_float(grid, fmt).tolist() == grid.tolist()  # every value is its own nearest
    dense = np.geomspace(smallest / 4, largest * 2, 200_000)
    assert set(np.unique(round_to_float(dense, fmt))) <= set(grid)  # and nothing finer is produced
    assert round_to_float(np.array([largest * 1.1, -1e9]), fmt).tolist() == [largest, -largest]  # saturates


def test_fp8_e4m3_steps_by_hand():
    fmt = parse_format("fp8_e4m3")
    # [0.5, 1): step 2^-1 * 2^-3 = 0.0625; [256, 448]: step 32; 1.0625 ties to the even mantissa 1.0.
    assert round_to_float(np.array([0.53, 0.55, 300.0, 1.0625, 2.0**-10]), fmt).tolist() == [
        0.5, 0.5625, 288.0, 1.0, 0.0]


def test_fp8_weight_scale_maps_max_to_448():
    # Per-tensor scale 1/448 (stored in fp32): 1.0 -> 448; 0.3 -> 134.4, in [128, 256) step 16 -> 128.
    w = np.array([[1.0, 0.3]])
    assert quantize_matrix(w, _tq("fp8")) == pytest.approx(np.array([[1.0, 128 / 448]]), rel=1e-7)


def test_float_weights_round_to_their_grid():
    w = np.random.default_rng(0).standard_normal((4, 16)).astype(np.float32).astype(np.float64)
    assert error_stats(w, quantize_matrix(w, _tq("fp32")))[1:] == (EXACT_SQNR_DB, 0.0)
    fp16 = quantize_matrix(w, _tq("fp16"))
    assert fp16.tolist() == w.astype(np.float16).astype(np.float64).tolist()


def test_mse_clipping_never_loses_to_maxabs_and_wins_on_outliers():
    w = np.random.default_rng(1).standard_normal((8, 256))
    w[:, 0] = 12.0  # one outlier per channel stretches the max-abs scale
    for candidate in ("w4a8", "w2a8", "fp8", "w4a8-g64"):
        tq = _tq(candidate)
        assert _mse(w, quantize_matrix(w, tq, "mse")) <= _mse(w, quantize_matrix(w, tq))
    assert _mse(w, quantize_matrix(w, _tq("w4a8"), "mse")) < 0.7 * _mse(w, quantize_matrix(w, _tq("w4a8")))


# -- the proxies on a one-layer model (checkable by hand) -------------------------------------------
@pytest.fixture(scope="module")
def fc(tmp_path_factory):
    root = tmp_path_factory.mktemp("fc")
    rng = np.random.default_rng(7)
    w = rng.standard_normal((16, 4)).astype(np.float32)
    x = (rng.standard_normal((8, 16)) * 2).astype(np.float32)
    path = models.matmul_model(root / "fc.onnx", w)
    np.savez(root / "inputs.npz", x=x)
    graph = load_workload(path, input_shapes={"x": (8, 16)})
    return {"path": path, "graph": graph, "w": w.astype(np.float64), "x": x.astype(np.float64), "root": root}


def test_weight_proxy_value_is_relative_weight_noise_plus_the_activation_term(fc):
    table = weight_sensitivity(fc["graph"], ["w8a8", "w4a4"])
    q = models.symmetric_int(fc["w"], 4, axis=0)  # per output channel = per column of [C, K]
    row = table.rows[1]
    assert (row.layer, row.candidate, table.proxy) == ("fc", "w4a4", "weights")
    assert row.weight_mse == pytest.approx(np.mean((fc["w"] - q) ** 2), rel=1e-12)
    assert row.weight_sqnr_db == pytest.approx(models.sqnr(fc["w"], q), rel=1e-12)
    assert row.value == pytest.approx(row.relative_error**2 + 2.0**-8, rel=1e-12)
    assert table.value("fc", "w8a8") == pytest.approx(table.rows[0].relative_error ** 2 + 2.0**-16)


def test_activation_proxy_equals_numpy_fake_quantization(fc):
    table = activation_sensitivity(fc["path"], fc["graph"], ["w8a8", "w4a4"], calibration=fc["root"] / "inputs.npz")
    for row, bits in zip(table.rows, (8, 4), strict=True):
        expected = models.symmetric_int(fc["x"], bits, None) @ models.symmetric_int(fc["w"], bits, axis=0)
        reference = fc["x"] @ fc["w"]
        assert row.output_sqnr_db == pytest.approx(models.sqnr(reference, expected), abs=0.01)
        assert row.value == pytest.approx(10 ** (-row.output_sqnr_db / 10), rel=1e-6)
        assert row.top1_agreement == np.mean(reference.argmax(1) == expected.argmax(1))
    assert table.proxy == "activations" and "inputs.npz" in table.description
    assert table.settings["samples"] == 8 and table.settings["seed"] is None


@pytest.mark.parametrize("candidate", ["w4a4-asym", "w8a8-dyn", "w4a4-asym-dyn", "fp8"])
def test_activation_schemes_match_numpy(fc, candidate):
    # Static ranges are per tensor over the calibration rows, dynamic ones per row (sample).
    x, w = fc["x"], fc["w"]
    expected_x = {
        "w4a4-asym": lambda: models.asymmetric_int(x, 4, None),
        "w8a8-dyn": lambda: models.symmetric_int(x, 8, 1),
        "w4a4-asym-dyn": lambda: models.asymmetric_int(x, 4, 1),
        "fp8": lambda: round_to_float(x / np.float32(np.abs(x).max() / 448), parse_format("fp8")) * np.float32(
            np.abs(x).max() / 448),
    }[candidate]()
    expected_w = quantize_weights(fc["graph"].layer("fc"), w, _tq(candidate))
    table = activation_sensitivity(fc["path"], fc["graph"], [candidate], calibration=fc["root"] / "inputs.npz")
    expected = models.sqnr(x @ w, expected_x @ expected_w)
    assert table.rows[0].output_sqnr_db == pytest.approx(expected, abs=0.01)


def test_activation_ranges_come_from_intermediate_tensors(tmp_path):
    # fc2 reads relu(x @ W1): its static int8 range is that tensor's max |.| over the run.
    rng = np.random.default_rng(3)
    w1, w2 = rng.standard_normal((6, 5)), rng.standard_normal((5, 3))
    x = rng.standard_normal((4, 6))
    w1, w2, x = (a.astype(np.float32).astype(np.float64) for a in (w1, w2, x))
    path = models.two_layer_model(tmp_path / "mlp.onnx", w1, w2)
    np.savez(tmp_path / "x.npz", x=x.astype(np.float32))
    graph = load_workload(path, input_shapes={"x": (4, 6)})
    table = activation_sensitivity(path, graph, ["w8a8"], calibration=tmp_path / "x.npz")
    assert table.layers() == ["fc1", "fc2"]
    h = np.maximum(x @ w1, 0.0)
    expected = models.symmetric_int(h, 8, None) @ models.symmetric_int(w2, 8, axis=0)
    assert table.value("fc2", "w8a8") == pytest.approx(10 ** (-models.sqnr(h @ w2, expected) / 10), rel=1e-3)


def test_activation_proxy_without_calibration_says_synthetic(fc):
    table = activation_sensitivity(fc["path"], fc["graph"], ["w8a8"], samples=3, seed=5)
    assert "synthetic" in table.description and "synthetic" in str(table.settings["calibration"])
    assert (table.settings["samples"], table.settings["seed"]) == (3, 5)


@pytest.mark.parametrize(("arrays", "message"), [
    ({"y": np.zeros((2, 16))}, "array 'y' is not a model input (inputs: 'x')"),
    ({}, "no array named 'x' (model inputs: 'x')"),
    ({"x": np.zeros(16)}, "array 'x' has shape (16,); input 'x' needs 2 dimensions and at least one row"),
])
def test_bad_calibration_files_are_named(fc, tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(AnalysisError) as caught:
        activation_sensitivity(fc["path"], fc["graph"], ["w8a8"], calibration=path)
    assert str(caught.value) == f"{path}: {message}"


def test_hawq_reproduces_trace_over_n_times_squared_error(fc, tmp_path):
    traces = tmp_path / "traces.csv"
    traces.write_text("layer,trace,n\nfc,3.5,\n")
    table = hawq_sensitivity(fc["graph"], ["w4a8"], traces)
    delta = fc["w"] - models.symmetric_int(fc["w"], 4, axis=0)
    assert table.value("fc", "w4a8") == pytest.approx(3.5 / 64 * np.sum(delta**2), rel=1e-12)
    traces.write_text("layer,trace,n\nfc,3.5,100\n")  # n from the file when given
    assert hawq_sensitivity(fc["graph"], ["w4a8"], traces).rows[0].value == pytest.approx(
        3.5 / 100 * np.sum(delta**2), rel=1e-12)


@pytest.mark.parametrize(("text", "where", "message"), [
    ("", "", "empty file; expected a header 'layer,trace' (and optionally ',n')"),
    ("layer,tr\nfc,1\n", ":1", "unknown column 'tr' (columns: layer, trace, n)"),
    ("layer\nfc\n", ":1", "missing column 'trace' (header: layer)"),
    ("layer,trace\nfc,abc\n", ":2", "column 'trace': 'abc' is not a number"),
    ("layer,trace\nfc,-1\n", ":2", "column 'trace': must be a finite number >= 0 (got -1)"),
    ("layer,trace,n\nfc,1,1.5\n", ":2", "column 'n': must be a positive integer (got '1.5')"),
    ("layer,trace\nfc,1\nconv9,2\n", ":3", "column 'layer': no layer named 'conv9' with weights in 'fc'"),
    ("layer,trace\nfc,1\nfc,2\n", ":3", "column 'layer': 'fc' already given on line 2"),
    ("layer,trace\n", "", "no trace for layer 'fc' (1 of 1 layers with weights have none; every one needs a row)"),
])
def test_bad_trace_files_name_file_line_and_column(fc, tmp_path, text, where, message):
    path = tmp_path / "traces.csv"
    path.write_text(text)
    with pytest.raises(AnalysisError) as caught:
        hawq_sensitivity(fc["graph"], ["w4a8"], path)
    assert str(caught.value) == f"{path}{where}: {message}"


# -- the table, the dispatcher and the errors --------------------------------------------------------
def test_table_round_trips_through_json_and_names_missing_rows(fc):
    table = weight_sensitivity(fc["graph"], ["w8a8", "w4a8-g8"], clipping="mse")
    assert Sensitivity.model_validate_json(table.to_json()) == table
    assert table.settings["scale_rule"].startswith("mse")
    assert table.value("fc", " W8A8 ") == table.rows[0].value
    with pytest.raises(AnalysisError, match=r"^no sensitivity for layer 'fc' at candidate 'w2a8' "
                                            r"\(weights proxy; candidates: w8a8, w4a8-g8\)$"):
        table.value("fc", "w2a8")
    with pytest.raises(AnalysisError, match=r"^no sensitivity for layer 'conv' at candidate 'w8a8' "
                                            r"\(weights proxy; 1 layers, e.g. fc\)$"):
        table.value("conv", "w8a8")


def test_dispatcher_picks_the_proxy_the_inputs_allow(fc, tmp_path):
    traces = tmp_path / "t.csv"
    traces.write_text("layer,trace\nfc,1\n")
    zoo = load_workload("resnet18")
    assert sensitivity(fc["graph"], ["w8a8"], traces=traces).proxy == "hawq"
    assert sensitivity(fc["graph"], ["w8a8"], model_path=fc["path"], samples=2).proxy == "activations"
    assert sensitivity(fc["graph"], ["w8a8"]).proxy == "weights"
    assert sensitivity(zoo, ["w8a8"]).proxy == "heuristic"
    with pytest.raises(AnalysisError, match="needs the ONNX model file"):
        sensitivity(fc["graph"], ["w8a8"], calibration=fc["root"] / "inputs.npz")


def test_heuristic_is_labelled_and_follows_bit_widths():
    zoo = load_workload("resnet18")
    table = heuristic_sensitivity(zoo, ["w8a8", "w4a8"])
    assert table.proxy == "heuristic" and table.description.startswith("heuristic")
    assert table.layers()[0] == "conv1" and len(table.rows) == 2 * len(table.layers())
    assert table.value("conv1", "w8a8") == 2.0**-16 + 2.0**-16
    assert table.value("conv1", "w4a8") == 2.0**-8 + 2.0**-16
    assert table.rows[0].weight_sqnr_db is None


def test_graph_without_weights_and_bad_candidates_are_plain_errors(fc):
    with pytest.raises(AnalysisError) as caught:
        weight_sensitivity(load_workload("resnet18"), ["w8a8"])
    assert str(caught.value) == (
        "the weights proxy needs weight values, and 'resnet18' has none (zoo models and layer lists carry "
        "shapes only): load an ONNX model with weights, or use the heuristic")
    with pytest.raises(AnalysisError, match=r"^candidates: 'w4a8-fl8' is not a format one layer can take"):
        weight_sensitivity(fc["graph"], ["w4a8-fl8"])
    with pytest.raises(AnalysisError, match=r"^candidates: unknown quantization policy 'w9'"):
        weight_sensitivity(fc["graph"], ["w9"])
    with pytest.raises(AnalysisError, match=r"^clipping must be 'maxabs' or 'mse' \(got 'p99'\)$"):
        weight_sensitivity(fc["graph"], ["w8a8"], clipping="p99")
    with pytest.raises(AnalysisError, match=r"^binary activations are not simulated"):
        activation_sensitivity(fc["path"], fc["graph"], ["wbab"], samples=2)


def test_old_opset_and_missing_model_are_named(fc, tmp_path):
    old = models.matmul_model(tmp_path / "old.onnx", fc["w"], opset=10)
    with pytest.raises(AnalysisError) as caught:
        activation_sensitivity(old, fc["graph"], ["w8a8"])
    assert str(caught.value) == (f"{old}: activation sensitivity needs ONNX opset >= 11 (model has 10); "
                                 "upgrade it with onnx.version_converter")
    with pytest.raises(AnalysisError, match=r"missing\.onnx: no such file$"):
        activation_sensitivity(tmp_path / "missing.onnx", fc["graph"], ["w8a8"])


def test_missing_onnxruntime_gives_the_install_hint(fc, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes "import onnxruntime" fail
    with pytest.raises(AnalysisError, match=r"^activation sensitivity needs onnxruntime: "
                                            r"pip install 'qcosim\[activations\]'$"):
        activation_sensitivity(fc["path"], fc["graph"], ["w8a8"], samples=2)


# -- real weights: the PP-OCR mobile direction classifier -----------------------------------------
def test_real_model_loads_with_54_weight_layers(ppocr_cls):
    layers = [layer for layer in ppocr_cls.layers() if layer.has_static_weights]
    assert len(layers) == 54 and ppocr_cls.weights(layers[0].name).shape == (8, 3, 3, 3)


def test_real_weights_lose_sqnr_from_w8_to_w4_to_w2_in_every_layer(ppocr_cls):
    table = weight_sensitivity(ppocr_cls, ["w8a8", "w4a8", "w2a8"])
    for layer in table.layers():
        w8, w4, w2 = (r.weight_sqnr_db for r in table.rows if r.layer == layer)
        assert w8 > w4 > w2, layer
    assert all(r.value >= 0 and r.weight_mse > 0 for r in table.rows)


def test_real_weights_per_channel_beats_per_tensor_and_codebooks_beat_uniform(ppocr_cls):
    table = weight_sensitivity(ppocr_cls, ["w4a8", "w4a8-pt", "w4a8-cb"])

    def total(candidate):
        return sum(r.weight_mse * ppocr_cls.weights(r.layer).size for r in table.rows if r.candidate == candidate)

    assert total("w4a8") < total("w4a8-pt")
    assert total("w4a8-cb") < total("w4a8")


def test_real_weights_mse_clipping_never_increases_error(ppocr_cls):
    candidates = ["w4a8", "w2a8", "fp8"]
    maxabs = weight_sensitivity(ppocr_cls, candidates)
    clipped = weight_sensitivity(ppocr_cls, candidates, clipping="mse")
    pairs = list(zip(maxabs.rows, clipped.rows, strict=True))
    assert all(c.weight_mse <= m.weight_mse for m, c in pairs)
    assert sum(c.weight_mse for _, c in pairs) < sum(m.weight_mse for m, _ in pairs)


def test_real_activations_w8a8_beats_w4a8_at_the_output(ppocr_cls_path, ppocr_cls):
    table = activation_sensitivity(ppocr_cls_path, ppocr_cls, ["w8a8", "w4a8"], samples=8)
    by_layer = {layer: [r for r in table.rows if r.layer == layer] for layer in table.layers()}
    better = sum(w8.output_sqnr_db > w4.output_sqnr_db for w8, w4 in by_layer.values())
    assert better >= 0.9 * len(by_layer)
    assert all(0.0 <= r.top1_agreement <= 1.0 for r in table.rows)  # two classes: 0 and 180 degrees
    assert all(r.value == pytest.approx(10 ** (-r.output_sqnr_db / 10), rel=1e-9) for r in table.rows)


def test_real_hawq_with_a_hand_made_trace_file(ppocr_cls, tmp_path):
    names = [layer.name for layer in ppocr_cls.layers() if layer.has_static_weights]
    path = tmp_path / "traces.csv"
    path.write_text("layer,trace\n" + "".join(f"{name},{i + 1}\n" for i, name in enumerate(names)))
    table = hawq_sensitivity(ppocr_cls, ["w8a8"], path)
    for i, name in enumerate(names[:5]):
        w = ppocr_cls.weights(name).astype(np.float64)
        axis = tuple(range(1, w.ndim)) if w.ndim == 4 else 0
        delta = w - models.symmetric_int(w, 8, axis=axis)
        assert table.value(name, "w8a8") == pytest.approx((i + 1) / w.size * np.sum(delta**2), rel=1e-9)
