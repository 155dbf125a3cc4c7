"""ONNX importer: real model-zoo graphs, hand-checked tiny graphs, quantized graphs, bad files."""

from __future__ import annotations

import math
import pickle
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest

from workloads import Granularity, OpKind, RequantMode, WorkloadError, fuse
from workloads.onnx_import import batch_input_shapes, load_onnx

try:
    from . import onnx_models as models
except ImportError:  # tests/ laid out without packages: pytest puts this folder on sys.path
    import onnx_models as models

LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
NINE = ["bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50", "shufflenet",
        "squeezenet", "vgg19", "zfnet512"]


def light(name: str) -> Path:
    return LIGHT / f"light_{name}.onnx"


def load_quietly(path: Path, **kwargs):
    """Load, failing the test on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_onnx(path, **kwargs)


def reference_counts(path: Path, input_shape=None) -> tuple[int, int]:
    """MACs and parameters of Conv/Gemm/BatchNormalization, straight from onnx shape inference.

    Independent of qcosim: MACs = prod(output shape) x (C_in / groups) x kH x kW
    for Conv (the weight is K x C_in/groups x kH x kW), prod(output) x K for
    Gemm; parameters are the element counts of every non-data input.
    """
    model = onnx.load(path)
    if input_shape:
        dims = model.graph.input[0].type.tensor_type.shape.dim
        for dim, value in zip(dims, input_shape, strict=True):
            dim.dim_value = value
    g = onnx.shape_inference.infer_shapes(model).graph
    shapes = {vi.name: [d.dim_value for d in vi.type.tensor_type.shape.dim]
              for vi in (*g.input, *g.value_info, *g.output)}
    shapes.update({t.name: list(t.dims) for t in g.initializer})
    macs = params = 0
    for node in g.node:
        out = math.prod(shapes[node.output[0]])
        if node.op_type == "Conv":
            macs += out * math.prod(shapes[node.input[1]][1:])
        elif node.op_type == "Gemm":
            trans_a = any(a.name == "transA" and a.i for a in node.attribute)
            macs += out * shapes[node.input[0]][0 if trans_a else 1]
        elif node.op_type == "BatchNormalization":  # trainable scale and shift only
            params += sum(math.prod(shapes[v]) for v in node.input[1:3])
            continue
        else:
            continue
        params += sum(math.prod(shapes[v]) for v in node.input[1:] if v)
    return macs, params


# -- the nine model-zoo graphs --------------------------------------------------------
@pytest.mark.parametrize("name", NINE)
def test_light_models_match_independent_mac_count(name):
    graph = load_quietly(light(name))
    macs, _ = reference_counts(light(name))
    assert graph.totals()["macs"] == macs
    assert graph.name == f"light_{name}"
    assert [t.shape for t in graph.inputs.values()] == [(1, 3, 224, 224)]
    assert not any(layer.source_op in ("ConstantOfShape", "Constant") for layer in graph.layers())


# Published figures. Sze et al., "Efficient Processing of Deep Neural Networks: A Tutorial and
# Survey", Proc. IEEE 105(12), 2017, summary table of popular DNNs: AlexNet 724M MACs (227x227,
# grouped conv2/4/5 as in bvlc_alexnet), GoogLeNet v1 1.43G MACs. He et al., "Deep Residual
# Learning for Image Recognition", CVPR 2016, Sec. 3.3: VGG-19 19.6 billion multiply-adds.
# torchvision model table (pytorch.org/vision/stable/models.html, "GFLOPS" = multiply-adds):
# resnet50 4.09 (stride on the 3x3 conv, as in this Caffe2 export; He et al.'s 3.8G is the
# stride-on-1x1 variant and does not apply), vgg19 19.63, squeezenet1_1 0.35 (this export has
# SqueezeNet 1.1's 3x3/2 stem), densenet121 2.83.
# Inception v2, ShuffleNet and ZFNet-512 rely on the independent count only: their Caffe2
# variants do not match a published table exactly.
PUBLISHED_MACS = [
    ("bvlc_alexnet", (1, 3, 227, 227), 724e6, 1e6),
    ("inception_v1", None, 1.43e9, 0.01e9),
    ("vgg19", None, 19.6e9, 0.1e9),
    ("vgg19", None, 19.63e9, 0.01e9),
    ("resnet50", None, 4.09e9, 0.01e9),
    ("squeezenet", None, 0.35e9, 0.01e9),
    ("densenet121", None, 2.83e9, 0.01e9),
]


@pytest.mark.parametrize(("name", "shape", "published", "precision"), PUBLISHED_MACS)
def test_light_models_match_published_macs(name, shape, published, precision):
    graph = load_quietly(light(name), input_shapes={"data_0": shape} if shape else None)
    assert round(graph.totals()["macs"] / precision) == round(published / precision)
    assert graph.totals()["macs"] == reference_counts(light(name), shape)[0]


# Parameters: torchvision's table (same source) lists vgg19 143,667,240, resnet50 25,557,032 and
# squeezenet1_1 1,235,496; bvlc AlexNet has 60,965,224 (Caffe's blob sizes; Sze et al.: 61M).
@pytest.mark.parametrize(("name", "params"), [
    ("bvlc_alexnet", 60_965_224), ("vgg19", 143_667_240), ("resnet50", 25_557_032),
    ("squeezenet", 1_235_496),
])
def test_light_models_parameter_counts(name, params):
    graph = load_quietly(light(name))
    assert graph.totals()["params"] == params == reference_counts(light(name))[1]


def test_resnet50_layers_by_kind_and_real_input_sizes():
    graph = load_quietly(light("resnet50"))
    kinds = {kind: len(graph.select(op=kind)) for kind in OpKind}
    assert kinds == {OpKind.CONV: 53, OpKind.NORM: 53, OpKind.ACTIVATION: 49, OpKind.ELEMENTWISE: 16,
                     OpKind.POOL: 2, OpKind.GEMM: 1, OpKind.SOFTMAX: 1, OpKind.DATA_MOVEMENT: 1,
                     OpKind.MATMUL: 0}
    stem = graph.layer("n0")
    assert (stem.k, stem.c, stem.p, stem.r, stem.stride, stem.padding) == (64, 3, 112, 7, (2, 2), (5, 5))
    short = []
    for layer in graph.layers():
        if layer.op in (OpKind.CONV, OpKind.POOL):
            preds = graph.predecessors(layer.name)
            tensor = graph.tensor(preds[0], layer.name) if preds else graph.inputs[layer.name]
            if layer.input_hw != tensor.shape[2:]:
                short.append((layer.r, layer.stride, tensor.shape[2] - layer.input_hw[0]))
    # negative effective padding keeps even the 1x1/2 shortcut convs at their real input size
    assert short == []
    sums = [graph.layer(n) for n in graph.select(op="elementwise")]
    assert {(s.source_op, s.input_tensors, s.ops_per_output) for s in sums} == {("Sum", 2, 1.0)}


def test_non_mac_layers_describe_their_output_tensor():
    graph = load_quietly(light("inception_v1"))
    for src, _, tensor in graph.edges():
        assert graph.layer(src).output_elements == tensor.elements, src


def test_densenet_scale_shift_from_constants_are_parameters_not_layers():
    graph = load_quietly(light("densenet121"))
    assert "Unsqueeze" not in {layer.source_op for layer in graph.layers()}
    mul = graph.layer("n3")  # BN output times an Unsqueeze'd constant (64 channels)
    assert (mul.op, mul.input_tensors, mul.aux_params) == (OpKind.ELEMENTWISE, 1, 64)


def test_fuse_resnet50_folds_batchnorm_and_relu_and_keeps_macs():
    graph = load_quietly(light("resnet50"))
    fused = fuse(graph)
    assert fused.totals()["macs"] == graph.totals()["macs"] == 4_089_184_256
    assert fused.select(op="norm") == []
    for name in fused.select(op="activation"):  # only ReLUs after residual Sums may stay
        assert {fused.layer(p).source_op for p in fused.predecessors(name)} == {"Sum"}
    assert len(graph.select(op="activation")) == 49
    assert fused.layer("n0").fused == ("BatchNormalization", "Relu")
    assert fused.totals()["params"] == graph.totals()["params"]


def test_batch_4_on_an_export_that_hard_codes_batch_1_is_refused_at_the_reshape():
    # the export reshapes to a constant (1, 2048): onnx's own inference keeps that shape, but a
    # reshape of 4 x 2048 elements into 2048 is no real graph, so the node is named instead
    with pytest.raises(WorkloadError) as info:
        load_onnx(light("resnet50"), input_shapes={"gpu_0/data_0": (4, 3, 224, 224)})
    assert str(info.value) == (
        f"{light('resnet50')}: node 'n173' (Reshape): reshapes 'r172' of shape (4, 2048, 1, 1) (8192 elements) "
        "to (1, 2048) (2048 elements); an export that hard-codes the batch size cannot run another one")


def test_constant_of_shape_weights_load_lazily_once(monkeypatch):
    graph = load_quietly(light("bvlc_alexnet"))
    conv1 = graph.layer("n0")
    assert (conv1.weight_tensor, conv1.weight_elements, conv1.aux_params) == ("conv1_w_0", 34_848, 96)
    calls = []
    original = onnx.load_model
    monkeypatch.setattr(onnx, "load_model", lambda *a, **k: calls.append(a) or original(*a, **k))
    weights = graph.weights("n0")
    assert weights.shape == (96, 3, 11, 11) and np.all(weights == np.float32(0.02))
    assert graph.weights("n0") is weights
    assert graph.weights("n16").shape == (4096, 9216)
    assert len(calls) == 1
    assert graph.weights("n1") is None  # a ReLU has no weights


# -- tiny graphs, checked by hand ------------------------------------------------------
def test_conv_variants_by_hand(tmp_path):
    graph = load_quietly(models.convs(tmp_path / "convs.onnx"))
    got = {layer.name: (layer.macs, layer.groups, layer.stride, layer.dilation, layer.padding,
                        layer.input_hw) for layer in graph.layers()}
    assert got == {
        "grouped": (16 * (8 // 4) * 10 * 10 * 3 * 3, 4, (1, 1), (1, 1), (2, 2), (10, 10)),
        "depthwise": (16 * 1 * 10 * 10 * 3 * 3, 16, (1, 1), (1, 1), (2, 2), (10, 10)),
        "dilated": (8 * 16 * 10 * 10 * 3 * 3, 1, (1, 1), (2, 2), (4, 4), (10, 10)),
        # SAME_UPPER, stride 2 on 10x10: 5x5 output reading 4*2+3 = 11 rows, so 1 padded row
        "same": (4 * 8 * 5 * 5 * 3 * 3, 1, (2, 2), (1, 1), (1, 1), (10, 10)),
        "valid": (4 * 4 * 4 * 4 * 2 * 2, 1, (1, 1), (1, 1), (0, 0), (5, 5)),
        # ConvTranspose: each of 4x4 input pixels x 4 input channels scatters 2 x 2x2 taps
        "up": (4 * 4 * 4 * 2 * 2 * 2, 1, (1, 1), (1, 1), (1, 1), (4, 4)),
    }
    assert graph.layer("depthwise").is_depthwise
    assert graph.layer("same").aux_params == 4
    assert graph.layer("up").weight_elements == 4 * 2 * 2 * 2
    assert graph.weights("dilated").shape == (8, 16, 3, 3)
    assert [(u, v) for u, v, _ in graph.edges()] == [
        ("grouped", "depthwise"), ("depthwise", "dilated"), ("dilated", "same"), ("same", "valid"),
        ("valid", "up")]


def test_attention_matmuls(tmp_path):
    graph = load_quietly(models.attention(tmp_path / "attention.onnx"))

    def dims(name):
        layer = graph.layer(name)
        return layer.op, layer.n, layer.p, layer.c, layer.k

    assert dims("proj_q") == (OpKind.GEMM, 2, 16, 32, 32)  # (2,16,32) @ (32,32): batch folded into N
    assert dims("scores") == (OpKind.MATMUL, 2 * 4, 16, 8, 16)  # (2,4,16,8) @ (2,4,8,16)
    assert dims("context") == (OpKind.MATMUL, 2 * 4, 16, 16, 8)  # (2,4,16,16) @ (2,4,16,8)
    assert graph.layer("proj_q").weight_tensor == "wq"
    assert graph.layer("scores").weight_tensor is None
    assert graph.layer("scores").macs == 2 * 4 * 16 * 16 * 8
    assert sorted(graph.predecessors("scores")) == ["perm_k", "perm_q"]
    assert graph.tensor("perm_k", "scores").shape == (2, 4, 8, 16)
    scale = graph.layer("scale")
    assert (scale.op, scale.input_tensors, scale.aux_params, scale.output_elements) == (
        OpKind.ELEMENTWISE, 1, 1, 2 * 4 * 16 * 16)
    assert (graph.layer("softmax").op, graph.layer("softmax").ops_per_output) == (OpKind.SOFTMAX, 5.0)
    assert list(graph.inputs) == ["proj_q"]


def test_gemm_transposes_bias_and_weight_on_the_left(tmp_path):
    graph = load_quietly(models.gemm(tmp_path / "gemm.onnx"))
    fc, left = graph.layer("fc"), graph.layer("left")
    assert (fc.op, fc.p, fc.c, fc.k, fc.aux_params, fc.weight_tensor) == (OpKind.GEMM, 4, 6, 5, 5, "b")
    assert (left.op, left.p, left.c, left.k, left.weight_tensor) == (OpKind.GEMM, 5, 4, 3, "w_left")
    assert graph.weights("fc").shape == (5, 6)


def test_constant_of_shape_constant_and_shape_arithmetic_are_weights(tmp_path):
    graph = load_quietly(models.constant_weights(tmp_path / "const.onnx"))
    assert [layer.name for layer in graph.layers()] == ["conv", "flatten"]
    conv = graph.layer("conv")
    assert (conv.weight_tensor, conv.weight_elements, conv.aux_params, conv.macs) == (
        "w", 8 * 4 * 3 * 3, 8, 8 * 4 * 4 * 4 * 3 * 3)
    np.testing.assert_array_equal(graph.weights("conv"), np.full((8, 4, 3, 3), 0.5, np.float32))
    assert graph.layer("flatten").output_elements == 128


def test_unknown_ops_import_as_data_movement_with_one_warning(tmp_path):
    path = models.custom_ops(tmp_path / "custom.onnx")
    with pytest.warns(UserWarning) as record:
        graph = load_onnx(path)
    assert len(record) == 1
    message = str(record[0].message)
    assert "no cost model for com.example.Fancy, com.example.Other" in message
    assert message.startswith(f"{path}: ")
    for name in ("fancy1", "fancy2", "other"):
        layer = graph.layer(name)
        assert (layer.op, layer.macs, layer.output_elements) == (OpKind.DATA_MOVEMENT, 0, 100)


def test_batch_input_shapes(tmp_path):
    path = models.embedding(tmp_path / "model.onnx")  # input_ids: [batch, 128]
    assert batch_input_shapes(path, 4) == {"input_ids": (4, 128)}
    assert batch_input_shapes(path, 4, {"input_ids": (1, 64)}) == {"input_ids": (4, 64)}
    with pytest.raises(WorkloadError) as info:
        batch_input_shapes(path, 4, {"input_ids": (2, 64)})
    assert str(info.value) == f"{path}: --batch 4 contradicts the shape (2, 64) given for input 'input_ids'"
    fixed = models.gemm(tmp_path / "gemm.onnx")  # a: [6, 4]
    with pytest.raises(WorkloadError) as info:
        batch_input_shapes(fixed, 2)
    assert str(info.value) == (f"{fixed}: input 'a' has a fixed batch of 6; --batch applies to inputs declared "
                               "with batch 1 or a symbolic batch")


def test_cli_prints_each_warning_as_one_line(tmp_path, capsys):
    from qcosim.cli import main

    path = models.custom_ops(tmp_path / "custom.onnx")
    with pytest.raises(SystemExit) as done:
        main(["workload", str(path)])
    assert done.value.code == 0
    assert capsys.readouterr().err == (f"warning: {path}: no cost model for com.example.Fancy, com.example.Other; "
                                       "imported as zero-MAC data movement\n")


def test_custom_op_without_declared_shape_is_refused_not_guessed(tmp_path):
    path = models.custom_ops(tmp_path / "custom.onnx", declared=False)
    with pytest.raises(WorkloadError) as info:
        load_onnx(path)
    assert str(info.value) == (f"{path}: node 'fancy1' (Fancy): no shape rule for com.example.Fancy and no "
                               "declared shape for its output 'f1'; declare it in the graph's value_info")


def test_symbolic_input_needs_a_shape(tmp_path):
    path = models.embedding(tmp_path / "model.onnx")
    with pytest.raises(WorkloadError) as info:
        load_onnx(path)
    assert str(info.value) == (f"{path}: input 'input_ids' has unknown dimension at axis 0 ('batch'); "
                               "pass --input-shape input_ids=D0,128 (or --batch D0) with D0 the size to simulate")
    graph = load_quietly(path, input_shapes={"input_ids": [2, 128]})
    proj, embed = graph.layer("proj"), graph.layer("embed")
    assert (proj.op, proj.n, proj.p, proj.c, proj.k, proj.macs) == (
        OpKind.GEMM, 2, 128, 16, 16, 2 * 128 * 16 * 16)
    assert (embed.op, embed.aux_params, embed.output_elements) == (OpKind.DATA_MOVEMENT, 1600, 2 * 128 * 16)
    assert graph.inputs["embed"].shape == (2, 128)


@pytest.mark.parametrize(("shapes", "message"), [
    ({"ids": [1, 128]}, "input_shapes names 'ids', which is not a graph input (inputs: 'input_ids')"),
    ({"table": [100, 16]}, "input_shapes names 'table', which is not a graph input (inputs: 'input_ids')"),
    ({"input_ids": [1, 2, 3]}, "input_shapes['input_ids'] has 3 dimensions but input 'input_ids' has 2"),
    ({"input_ids": [0, 128]}, "input_shapes['input_ids'] must be positive integers (got (0, 128))"),
])
def test_bad_input_shapes(tmp_path, shapes, message):
    path = models.embedding(tmp_path / "model.onnx")
    with pytest.raises(WorkloadError) as info:
        load_onnx(path, input_shapes=shapes)
    assert str(info.value) == f"{path}: {message}"


# -- quantized graphs ------------------------------------------------------------------
def test_qdq_conv_takes_declared_precisions(tmp_path):
    graph = load_quietly(models.qdq_conv(tmp_path / "qdq.onnx"))
    assert [(layer.name, layer.op) for layer in graph.layers()] == [
        ("conv", OpKind.CONV), ("relu", OpKind.ACTIVATION)]
    spec = graph.layer("conv").quant
    assert spec.weights.describe() == "int8/ch" and spec.weights.granularity is Granularity.CHANNEL
    assert spec.inputs.describe() == "uint8/asym" and spec.inputs.granularity is Granularity.TENSOR
    assert spec.outputs.describe() == "uint8"  # the QuantizeLinear after the ReLU, zero point 0
    assert (spec.accum_bits, spec.requant) == (32, RequantMode.FP32)
    assert graph.layer("conv").aux_params == 4 and graph.layer("relu").quant is None
    assert graph.inputs["conv"].name == "x"
    weights = graph.weights("conv")
    assert (weights.dtype, weights.shape) == (np.int8, (4, 3, 3, 3))


def test_qlinear_conv(tmp_path):
    graph = load_quietly(models.qlinear_conv(tmp_path / "qlinear.onnx"))
    (layer,) = graph.layers()
    assert (layer.op, layer.source_op, layer.macs, layer.aux_params) == (
        OpKind.CONV, "QLinearConv", 4 * 3 * 8 * 8 * 9, 4)
    spec = layer.quant
    assert (spec.weights.describe(), spec.inputs.describe(), spec.outputs.describe()) == (
        "int8/ch", "uint8/asym", "uint8/asym")
    assert spec.requant is RequantMode.FP32
    assert graph.weights(layer.name).shape == (4, 3, 3, 3)


def test_int4_blockwise_weight_only(tmp_path):
    graph = load_quietly(models.int4_blockwise(tmp_path / "int4.onnx"))
    (layer,) = graph.layers()
    spec = layer.quant
    assert (layer.op, layer.p, layer.c, layer.k, layer.weight_tensor) == (OpKind.GEMM, 8, 64, 32, "w")
    assert (spec.weights.bits, spec.weights.granularity, spec.weights.group_size) == (
        4, Granularity.GROUP, 16)
    assert (spec.weights.symmetric, spec.weights.scale_format.name) == (False, "fp16")
    assert spec.inputs.format.name == "fp16" and spec.weight_only
    assert spec.requant is RequantMode.NONE
    weights = graph.weights(layer.name)
    assert weights.shape == (64, 32) and int(weights[0, 0]) == -8


def test_fp8_qdq_gemm(tmp_path):
    (layer,) = load_quietly(models.fp8_gemm(tmp_path / "fp8.onnx")).layers()
    assert (layer.quant.weights.format.name, layer.quant.inputs.format.name) == ("fp8_e4m3", "fp8_e4m3")
    assert layer.quant.weights.symmetric and layer.quant.compute_is_float


def test_dynamic_quantization_matmul_integer(tmp_path):
    graph = load_quietly(models.dynamic_matmul(tmp_path / "dyn.onnx"))
    assert [layer.name for layer in graph.layers()] == ["mmi", "cast", "rescale"]
    spec = graph.layer("mmi").quant
    assert spec.inputs.describe() == "uint8/asym/dyn" and spec.weights.describe() == "int8/ch"
    assert (spec.outputs.format.name, spec.requant) == ("fp32", RequantMode.NONE)  # int32 accumulators out
    assert graph.layer("rescale").input_tensors == 1


# -- bad files and the weight source ----------------------------------------------------
def _write_bad(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.onnx"
    if kind == "text":
        path.write_text("hello, this is a text file\n")
    elif kind == "truncated":
        data = light("resnet50").read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "zero_bytes":
        path.write_bytes(b"")
    elif kind == "empty_graph":
        models.empty_graph(path)
    return path


@pytest.mark.parametrize(("kind", "message"), [
    ("missing", "no such file"),
    ("text", "not an ONNX file (protobuf parse failed)"),
    ("truncated", "truncated or corrupt ONNX file (protobuf parse failed)"),
    ("zero_bytes", "not an ONNX file (no IR version or graph)"),
    ("empty_graph", "the ONNX graph has no nodes"),
])
def test_bad_files_give_one_line_errors(tmp_path, kind, message):
    path = _write_bad(tmp_path, kind)
    with pytest.raises(WorkloadError) as info:
        load_onnx(path)
    assert str(info.value) == f"{path}: {message}"


def test_external_data_stays_on_disk(tmp_path):
    model = onnx.load(models.convs(tmp_path / "convs.onnx"))
    onnx.save_model(model, tmp_path / "ext.onnx", save_as_external_data=True, location="ext.bin",
                    size_threshold=0)
    graph = load_quietly(tmp_path / "ext.onnx", name="ext")
    assert graph.name == "ext" and graph.weights("grouped").shape == (16, 2, 3, 3)
    copy = pickle.loads(pickle.dumps(graph))
    assert copy.weights("valid").shape == (4, 4, 2, 2)
    (tmp_path / "ext.bin").unlink()
    orphan = load_quietly(tmp_path / "ext.onnx")  # structure needs no weight data
    assert orphan.totals()["macs"] == graph.totals()["macs"]
    with pytest.raises(WorkloadError, match=r"ext\.onnx: cannot load tensor 'wg'"):
        orphan.weights("grouped")
