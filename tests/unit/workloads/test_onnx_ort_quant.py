"""Models quantized by onnxruntime's own quantizer import at their declared precision with exact MACs.

A small float CNN (two 3x3 convs, residual Add, Mul, AveragePool, Sigmoid,
LeakyRelu, Concat, GlobalAveragePool, Gemm, Softmax) and a two-layer MLP are
built with ``onnx.helper`` and quantized by ``onnxruntime.quantization`` in
every format it emits: static QDQ (int8 and int4 weights), static QOperator
(QLinearConv, QGemm, the com.microsoft QLinear* ops), dynamic (ConvInteger,
MatMulInteger; fused by onnxruntime's optimizer into DynamicQuantizeMatMul and
MatMulIntegerToFloat),
and MatMulNBits (4-bit weights in blocks of 32, with and without zero points).
MACs are checked node by node against onnxruntime executing each model
(`onnx_reference`); the precisions are the ones passed to the quantizer.
"""

from __future__ import annotations

import warnings

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from workloads import Granularity, OpKind, RequantMode
from workloads.onnx_import import load_onnx

try:
    from . import onnx_reference as reference
except ImportError:  # tests/ laid out without packages: pytest puts this folder on sys.path
    import onnx_reference as reference

quantization = pytest.importorskip("onnxruntime.quantization", reason="models are quantized by onnxruntime")

CNN_INPUT = {"x": (1, 3, 8, 8)}
MLP_INPUT = {"x": (1, 4, 64)}
# hand count: conv1 8x3x3x3 on 8x8 = 8*8*8*27, conv2 8x8x3x3 = 8*8*8*72, fc 16 -> 10, MLP 4x64x128 + 4x128x32
CNN_MACS = 8 * 8 * 8 * 27 + 8 * 8 * 8 * 72 + 16 * 10
MLP_MACS = 4 * 64 * 128 + 4 * 128 * 32


def _weight(rng, name, *shape):
    return numpy_helper.from_array((rng.standard_normal(shape) * 0.1).astype(np.float32), name)


def _save(path, nodes, x_shape, y_shape, inits):
    graph = helper.make_graph(nodes, path.stem, [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return path


def float_cnn(path, rng):
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], "conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], "relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], "conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c2", "r1"], ["s"], "add"),
        helper.make_node("Mul", ["s", "r1"], ["m"], "mul"),
        helper.make_node("AveragePool", ["m"], ["ap"], "avgpool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Sigmoid", ["ap"], ["sg"], "sigmoid"),
        helper.make_node("LeakyRelu", ["sg"], ["lr"], "leaky", alpha=0.1),
        helper.make_node("Concat", ["lr", "ap"], ["cat"], "concat", axis=1),
        helper.make_node("GlobalAveragePool", ["cat"], ["g"], "gap"),
        helper.make_node("Flatten", ["g"], ["f"], "flatten"),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["y0"], "fc", transB=1),
        helper.make_node("Softmax", ["y0"], ["y"], "softmax", axis=1),
    ]
    inits = [_weight(rng, "w1", 8, 3, 3, 3), _weight(rng, "b1", 8), _weight(rng, "w2", 8, 8, 3, 3),
             _weight(rng, "b2", 8), _weight(rng, "wf", 10, 16), _weight(rng, "bf", 10)]
    return _save(path, nodes, [1, 3, 8, 8], [1, 10], inits)


def float_two_heads(path, rng):
    """Two projections of one input (as Q and K are): one DynamicQuantizeLinear feeds both."""
    nodes = [helper.make_node("MatMul", ["x", "wa"], ["a"], "left"),
             helper.make_node("MatMul", ["x", "wb"], ["b"], "right"), helper.make_node("Add", ["a", "b"], ["y"], "sum")]
    return _save(path, nodes, [1, 4, 64], [1, 4, 32], [_weight(rng, "wa", 64, 32), _weight(rng, "wb", 64, 32)])


def _optimized(source, target):
    """The graph onnxruntime's extended optimizations make of ``source`` (fused contrib ops)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(target)
    ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
    return target


def float_mlp(path, rng):
    nodes = [helper.make_node("MatMul", ["x", "wm"], ["h"], "proj"), helper.make_node("Relu", ["h"], ["r"], "relu"),
             helper.make_node("MatMul", ["r", "wo"], ["y"], "out")]
    return _save(path, nodes, [1, 4, 64], [1, 4, 32], [_weight(rng, "wm", 64, 128), _weight(rng, "wo", 128, 32)])


class _Calibration(quantization.CalibrationDataReader):
    def __init__(self, rng):
        self._batches = iter([{"x": rng.standard_normal(CNN_INPUT["x"]).astype(np.float32)} for _ in range(4)])

    def get_next(self):
        return next(self._batches, None)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Every quantized variant, written once for the module."""
    root, rng = tmp_path_factory.mktemp("ort_quant"), np.random.default_rng(0)
    cnn, mlp = float_cnn(root / "cnn.onnx", rng), float_mlp(root / "mlp.onnx", rng)
    q, out = quantization, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the quantizer's advice to pre-process the model
        for name, fmt, weight, act in (("qdq", "QDQ", "QInt8", "QUInt8"), ("qop", "QOperator", "QInt8", "QUInt8"),
                                       ("qdq4", "QDQ", "QInt4", "QUInt8"), ("qdq_s8", "QDQ", "QInt8", "QInt8")):
            out[name] = root / f"{name}.onnx"
            q.quantize_static(cnn, out[name], _Calibration(rng), quant_format=getattr(q.QuantFormat, fmt),
                              per_channel=True, activation_type=getattr(q.QuantType, act),
                              weight_type=getattr(q.QuantType, weight))
        out["float"] = cnn
        out["dynamic"] = root / "dynamic.onnx"
        q.quantize_dynamic(cnn, out["dynamic"], weight_type=q.QuantType.QInt8)
        out["mlp_dynamic"] = root / "mlp_dynamic.onnx"
        q.quantize_dynamic(mlp, out["mlp_dynamic"], weight_type=q.QuantType.QInt8)
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

        for name, symmetric in (("nbits", False), ("nbits_sym", True)):
            quantizer = MatMulNBitsQuantizer(onnx.load(mlp), block_size=32, is_symmetric=symmetric)
            quantizer.process()
            out[name] = root / f"{name}.onnx"
            quantizer.model.save_model_to_file(str(out[name]))
        two = root / "two_dynamic.onnx"
        q.quantize_dynamic(float_two_heads(root / "two.onnx", rng), two, weight_type=q.QuantType.QInt8)
    out["mlp_fused"] = _optimized(out["mlp_dynamic"], root / "mlp_fused.onnx")  # DynamicQuantizeMatMul
    out["two_fused"] = _optimized(two, root / "two_fused.onnx")  # MatMulIntegerToFloat
    return out


def load(path):
    """Import with every warning an error: every operator has a cost model and a shape."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_onnx(path)


def ops(path) -> set[tuple[str, str]]:
    return {(n.domain, n.op_type) for n in onnx.load(path).graph.node}


@pytest.mark.parametrize(("name", "shapes", "macs"), [
    ("qdq", CNN_INPUT, CNN_MACS), ("qop", CNN_INPUT, CNN_MACS), ("qdq4", CNN_INPUT, CNN_MACS),
    ("dynamic", CNN_INPUT, CNN_MACS), ("mlp_dynamic", MLP_INPUT, MLP_MACS), ("nbits", MLP_INPUT, MLP_MACS),
    ("nbits_sym", MLP_INPUT, MLP_MACS), ("mlp_fused", MLP_INPUT, MLP_MACS), ("two_fused", MLP_INPUT, 2 * 4 * 64 * 32),
])
def test_macs_match_onnxruntime_node_by_node(models, name, shapes, macs):
    graph = load(models[name])
    expected = reference.reference_macs(models[name], shapes)
    assert {layer.name: layer.macs for layer in graph.layers() if layer.macs} == expected
    assert graph.totals()["macs"] == sum(expected.values()) == macs


def test_static_qdq_declares_uint8_activations_and_int8_channel_weights(models):
    graph = load(models["qdq"])
    for name in ("conv1", "conv2", "fc"):
        spec = graph.layer(name).quant
        assert (spec.weights.format.name, spec.weights.symmetric, spec.weights.granularity) == (
            "int8", True, Granularity.CHANNEL)
        assert spec.inputs.format.name == spec.outputs.format.name == "uint8"
        assert (spec.accum_bits, spec.requant) == (32, RequantMode.FP32)
    # the element-wise ops between Q/DQ pairs run on uint8 too
    for name in ("add", "mul", "avgpool", "sigmoid", "gap", "softmax"):
        assert graph.layer(name).quant.inputs.format.name == "uint8", name


def test_static_qdq_int4_weights(models):
    assert ("com.microsoft", "DequantizeLinear") in ops(models["qdq4"])  # int4 Q/DQ before opset 21
    graph = load(models["qdq4"])
    for name in ("conv1", "conv2", "fc"):
        spec = graph.layer(name).quant
        assert (spec.weights.format.name, spec.weights.granularity, spec.inputs.format.name) == (
            "int4", Granularity.CHANNEL, "uint8")


def test_qoperator_qgemm_and_qlinear_ops_are_costed(models):
    contrib = {op for domain, op in ops(models["qop"]) if domain == "com.microsoft"}
    assert contrib == {"QGemm", "QLinearAdd", "QLinearMul", "QLinearAveragePool", "QLinearSigmoid",
                       "QLinearLeakyRelu", "QLinearConcat", "QLinearGlobalAveragePool", "QLinearSoftmax"}
    graph = load(models["qop"])
    by_op = {layer.source_op: layer for layer in graph.layers()}
    fc = by_op["QGemm"]
    assert (fc.op, fc.p, fc.c, fc.k, fc.macs, fc.aux_params) == (OpKind.GEMM, 1, 16, 10, 160, 10)
    assert (fc.quant.weights.format.name, fc.quant.inputs.format.name, fc.quant.outputs.format.name) == (
        "int8", "uint8", "uint8")
    gap = by_op["QLinearGlobalAveragePool"]  # 16 channels of 4x4 averaged: 16 outputs, 16 operations each
    assert (gap.op, gap.output_elements, gap.r * gap.s) == (OpKind.POOL, 16, 16)
    expected = {"QLinearAdd": (OpKind.ELEMENTWISE, 2, 8 * 8 * 8), "QLinearMul": (OpKind.ELEMENTWISE, 2, 8 * 8 * 8),
                "QLinearAveragePool": (OpKind.POOL, 1, 8 * 4 * 4), "QLinearSigmoid": (OpKind.ACTIVATION, 1, 128),
                "QLinearLeakyRelu": (OpKind.ACTIVATION, 1, 128), "QLinearConcat": (OpKind.DATA_MOVEMENT, 1, 256),
                "QLinearSoftmax": (OpKind.SOFTMAX, 1, 10)}
    for op, (kind, tensors, outputs) in expected.items():
        layer = by_op[op]
        assert (layer.op, layer.input_tensors, layer.output_elements) == (kind, tensors, outputs), op
        assert layer.quant.inputs.format.name == "uint8", op


def test_dynamic_quantization_is_uint8_asymmetric_at_run_time(models):
    for name in ("dynamic", "mlp_dynamic", "mlp_fused", "two_fused"):
        graph = load(models[name])
        for layer in graph.layers():
            if layer.is_mac:
                spec = layer.quant
                assert spec.inputs.describe() == "uint8/asym/dyn", (name, layer.name)
                assert spec.weights.format.name == "int8" and spec.outputs.format.name == "fp32"
    assert ("com.microsoft", "DynamicQuantizeMatMul") in ops(models["mlp_fused"])
    assert ("com.microsoft", "MatMulIntegerToFloat") in ops(models["two_fused"])


@pytest.mark.parametrize(("name", "fmt", "symmetric"), [("nbits", "uint4", False), ("nbits_sym", "int4", True)])
def test_matmul_nbits_is_weight_only_4_bit_in_blocks_of_32(models, name, fmt, symmetric):
    graph = load(models[name])
    layers = [layer for layer in graph.layers() if layer.is_mac]
    assert [(layer.source_op, layer.c, layer.k) for layer in layers] == [
        ("MatMulNBits", 64, 128), ("MatMulNBits", 128, 32)]
    for layer in layers:
        weights = layer.quant.weights
        assert (weights.format.name, weights.bits, weights.granularity, weights.group_size, weights.symmetric) == (
            fmt, 4, Granularity.GROUP, 32, symmetric)
        assert layer.quant.weight_only and layer.quant.inputs.format.name == "fp32"
        assert layer.weight_elements == layer.c * layer.k


# -- the front door: declared precision by default, an explicit policy wins, --batch -----------
def test_workload_defaults_to_the_declared_precision_and_an_explicit_policy_wins(models):
    from qcosim.api import summarize_workload

    declared = summarize_workload(models["qdq4"])
    assert declared.policy == "declared"
    conv1 = next(row for row in declared.layers if row.name == "conv1")
    assert conv1.quant.startswith("w4auint8")  # int4 weights, uint8 activations, as quantized
    # 216 int4 weights (108 bytes), a symmetric fp32 scale per channel (32), 8 fp32 biases (32)
    assert conv1.weight_bytes == 8 * 27 // 2 + 8 * 4 + 8 * 4
    explicit = summarize_workload(models["qdq4"], "w8a8")
    assert explicit.policy == "w8a8" and next(r for r in explicit.layers if r.name == "conv1").quant == "w8a8"
    assert summarize_workload(models["float"]).policy == "fp32"


def test_simulate_defaults_to_declared_for_a_quantized_model_and_w8a8_for_a_float_one(models):
    from qcosim.api import simulate

    assert simulate(models["qdq_s8"], "edge-npu").policy == "declared"
    assert simulate(models["float"], "edge-npu").policy == "w8a8"
    assert simulate(models["qdq_s8"], "edge-npu", "w4a8").policy == "w4a8"


def test_batch_on_an_onnx_model_exported_for_batch_1(models):
    from qcosim.api import parse_params, summarize_workload

    four = summarize_workload(models["qop"], params=parse_params(None, 4))
    expected = reference.reference_macs(models["qop"], {"x": (4, 3, 8, 8)})
    assert four.totals.macs == sum(expected.values()) == 4 * CNN_MACS


def test_cli_says_which_policy_it_used(models, capsys):
    from qcosim.cli import main

    with pytest.raises(SystemExit) as done:
        main(["workload", str(models["qdq4"])])
    assert done.value.code == 0
    assert "qdq4 @ declared" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["dynamic", "mlp_dynamic", "qdq"])
@pytest.mark.parametrize("preset", ["edge-npu", "gemmini", "nvdla"])
def test_uint8_activations_run_offset_into_int8_at_int8_speed(models, name, preset):
    # onnxruntime's dynamic quantizer (and its static QUInt8 activations) give uint8 activations with a
    # zero point. These arrays take no uint8 (nvdla would promote it to int16), so they run them as
    # int8, each value less 128 (the correction 128 x the sum of the weights is a per-channel constant
    # in the bias): every MAC layer takes exactly the array cycles of the same layer at w8a8.
    from qcosim.api import simulate

    declared = simulate(models[name], preset)
    as_int8 = simulate(models[name], preset, "w8a8")
    macs = [(r.name, r.mapping.executed_formats, r.breakdown.array_cycles) for r in declared.layers if r.macs]
    assert macs and all(formats == ("int8", "int8") for _, formats, _ in macs)
    assert [cycles for *_, cycles in macs] == [r.breakdown.array_cycles for r in as_int8.layers if r.macs]
