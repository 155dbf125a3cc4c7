"""Tiny ONNX models for the importer's tests, built with ``onnx.helper`` into a tmp dir.

Each builder writes one checked model and returns its path; nothing binary is
committed. Expected loop dimensions are worked out by hand in the tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F, I8, U8, I64 = TensorProto.FLOAT, TensorProto.INT8, TensorProto.UINT8, TensorProto.INT64


def save(path: Path, nodes, inputs, outputs, inits=(), *, opset: int = 17, domains=(), check=True,
         value_info=()) -> Path:
    """Check and write a one-graph model; ``inputs``/``outputs``/``value_info`` are (name, type, shape) triples."""
    graph = helper.make_graph(
        nodes,
        path.stem,
        [helper.make_tensor_value_info(*spec) for spec in inputs],
        [helper.make_tensor_value_info(*spec) for spec in outputs],
        initializer=list(inits),
        value_info=[helper.make_tensor_value_info(*spec) for spec in value_info],
    )
    opsets = [helper.make_opsetid("", opset), *(helper.make_opsetid(d, 1) for d in domains)]
    model = helper.make_model(graph, opset_imports=opsets)
    if check:
        onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return path


def init(name: str, array) -> TensorProto:
    """An initializer from a numpy array."""
    return numpy_helper.from_array(np.asarray(array), name)


def rand(*shape: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


def convs(path: Path) -> Path:
    """Grouped, depthwise, dilated, SAME_UPPER-strided, VALID convs and a ConvTranspose in a chain."""
    nodes = [
        helper.make_node("Conv", ["x", "wg"], ["g"], "grouped", group=4, pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["g", "wd"], ["d"], "depthwise", group=16, pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["d", "wl"], ["l"], "dilated", dilations=[2, 2], pads=[2, 2, 2, 2]),
        helper.make_node("Conv", ["l", "ws", "bs"], ["s"], "same", strides=[2, 2], auto_pad="SAME_UPPER"),
        helper.make_node("Conv", ["s", "wv"], ["v"], "valid", auto_pad="VALID"),
        helper.make_node("ConvTranspose", ["v", "wt"], ["t"], "up", strides=[2, 2]),
    ]
    inits = [init("wg", rand(16, 2, 3, 3)), init("wd", rand(16, 1, 3, 3)), init("wl", rand(8, 16, 3, 3)),
             init("ws", rand(4, 8, 3, 3)), init("bs", rand(4)), init("wv", rand(4, 4, 2, 2)),
             init("wt", rand(4, 2, 2, 2))]
    return save(path, nodes, [("x", F, [1, 8, 10, 10])], [("t", F, [1, 2, 8, 8])], inits)


def attention(path: Path) -> Path:
    """One self-attention head group: x (2, 16, 32), 4 heads of 8, projections as MatMul with weights."""
    nodes = []
    for name, perm in (("q", [0, 2, 1, 3]), ("k", [0, 2, 3, 1]), ("v", [0, 2, 1, 3])):
        nodes += [
            helper.make_node("MatMul", ["x", f"w{name}"], [f"{name}2"], f"proj_{name}"),
            helper.make_node("Reshape", [f"{name}2", "heads"], [f"{name}3"], f"split_{name}"),
            helper.make_node("Transpose", [f"{name}3"], [f"{name}4"], f"perm_{name}", perm=perm),
        ]
    nodes += [
        helper.make_node("MatMul", ["q4", "k4"], ["scores"], "scores"),
        helper.make_node("Div", ["scores", "sqrt_d"], ["scaled"], "scale"),
        helper.make_node("Softmax", ["scaled"], ["probs"], "softmax", axis=-1),
        helper.make_node("MatMul", ["probs", "v4"], ["ctx"], "context"),
        helper.make_node("Transpose", ["ctx"], ["ctx2"], "merge_perm", perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["ctx2", "merged"], ["ctx3"], "merge"),
        helper.make_node("MatMul", ["ctx3", "wo"], ["y"], "proj_o"),
    ]
    inits = [init(f"w{n}", rand(32, 32)) for n in "qkvo"]
    inits += [init("heads", np.array([2, 16, 4, 8], np.int64)),
              init("merged", np.array([2, 16, 32], np.int64)),
              init("sqrt_d", np.array(np.sqrt(8.0), np.float32))]
    return save(path, nodes, [("x", F, [2, 16, 32])], [("y", F, [2, 16, 32])], inits)


def gemm(path: Path) -> Path:
    """Gemm with transA and transB and a bias, then MatMul with the weight on the left."""
    nodes = [
        helper.make_node("Gemm", ["a", "b", "c"], ["y"], "fc", transA=1, transB=1),
        helper.make_node("MatMul", ["w_left", "y"], ["z"], "left"),
    ]
    inits = [init("b", rand(5, 6)), init("c", rand(5)), init("w_left", rand(3, 4))]
    return save(path, nodes, [("a", F, [6, 4])], [("z", F, [3, 5])], inits)


def constant_weights(path: Path) -> Path:
    """A conv whose weight comes from ConstantOfShape and bias from Constant; shape arithmetic on x."""
    value = helper.make_tensor("value", F, [1], [0.5])
    nodes = [
        helper.make_node("ConstantOfShape", ["w_shape"], ["w"], "make_w", value=value),
        helper.make_node("Constant", [], ["bias"], "make_b", value=numpy_helper.from_array(rand(8))),
        helper.make_node("Conv", ["x", "w", "bias"], ["y"], "conv"),
        helper.make_node("Shape", ["x"], ["x_shape"], "shape"),
        helper.make_node("Gather", ["x_shape", "zero"], ["batch"], "batch", axis=0),
        helper.make_node("Concat", ["batch", "minus_one"], ["flat_shape"], "flat_shape", axis=0),
        helper.make_node("Reshape", ["y", "flat_shape"], ["z"], "flatten"),
    ]
    inits = [init("w_shape", np.array([8, 4, 3, 3], np.int64)), init("zero", np.array([0], np.int64)),
             init("minus_one", np.array([-1], np.int64))]
    return save(path, nodes, [("x", F, [1, 4, 6, 6])], [("z", F, [1, 128])], inits)


def custom_ops(path: Path, *, declared: bool = True) -> Path:
    """Relu, then two ops of a custom domain that no cost model knows (one of them twice).

    Their output shapes are declared in ``value_info`` (and the graph output), or, with
    ``declared=False``, not at all.
    """
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], "relu"),
        helper.make_node("Fancy", ["r"], ["f1"], "fancy1", domain="com.example"),
        helper.make_node("Fancy", ["f1"], ["f2"], "fancy2", domain="com.example"),
        helper.make_node("Other", ["f2"], ["y"], "other", domain="com.example"),
    ]
    shape = [1, 4, 5, 5] if declared else None
    return save(path, nodes, [("x", F, [1, 4, 5, 5])], [("y", F, shape)], domains=["com.example"], check=False,
                value_info=[("f1", F, shape), ("f2", F, shape)] if declared else ())


def embedding(path: Path) -> Path:
    """Token ids with a symbolic batch: Gather from an embedding table, then a projection."""
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["e"], "embed"),
        helper.make_node("MatMul", ["e", "w"], ["y"], "proj"),
    ]
    inits = [init("table", rand(100, 16)), init("w", rand(16, 16))]
    return save(path, nodes, [("input_ids", I64, ["batch", 128])], [("y", F, ["batch", 128, 16])], inits)


def qdq_conv(path: Path) -> Path:
    """QDQ format: uint8 per-tensor activations (zero point 128), int8 per-channel weights, Relu, Q/DQ out."""
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "x_scale", "x_zp"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "x_scale", "x_zp"], ["xd"]),
        helper.make_node("DequantizeLinear", ["w", "w_scale", "w_zp"], ["wd"], axis=0),
        helper.make_node("DequantizeLinear", ["b", "b_scale"], ["bd"], axis=0),
        helper.make_node("Conv", ["xd", "wd", "bd"], ["y"], "conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["y"], ["r"], "relu"),
        helper.make_node("QuantizeLinear", ["r", "y_scale", "y_zp"], ["rq"]),
        helper.make_node("DequantizeLinear", ["rq", "y_scale", "y_zp"], ["out"]),
    ]
    inits = [
        init("x_scale", np.float32(0.02)), init("x_zp", np.uint8(128)),
        init("w", np.arange(108, dtype=np.int8).reshape(4, 3, 3, 3)),
        init("w_scale", np.full(4, 0.01, np.float32)), init("w_zp", np.zeros(4, np.int8)),
        init("b", np.arange(4, dtype=np.int32)), init("b_scale", np.full(4, 0.0002, np.float32)),
        init("y_scale", np.float32(0.05)), init("y_zp", np.uint8(0)),
    ]
    return save(path, nodes, [("x", F, [1, 3, 8, 8])], [("out", F, [1, 4, 8, 8])], inits, opset=13)


def qlinear_conv(path: Path) -> Path:
    """Operator format: QuantizeLinear -> QLinearConv (int8 per-channel weights) -> DequantizeLinear."""
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "x_scale", "x_zp"], ["xq"]),
        helper.make_node("QLinearConv",
                         ["xq", "x_scale", "x_zp", "w", "w_scale", "w_zp", "y_scale", "y_zp", "b"],
                         ["yq"], "qconv", pads=[1, 1, 1, 1]),
        helper.make_node("DequantizeLinear", ["yq", "y_scale", "y_zp"], ["out"]),
    ]
    inits = [
        init("x_scale", np.float32(0.02)), init("x_zp", np.uint8(128)),
        init("w", np.ones((4, 3, 3, 3), np.int8)), init("w_scale", np.full(4, 0.01, np.float32)),
        init("w_zp", np.zeros(4, np.int8)), init("y_scale", np.float32(0.05)), init("y_zp", np.uint8(10)),
        init("b", np.zeros(4, np.int32)),
    ]
    return save(path, nodes, [("x", F, [1, 3, 8, 8])], [("out", F, [1, 4, 8, 8])], inits, opset=13)


def int4_blockwise(path: Path) -> Path:
    """Weight-only int4 (w4a16): an fp16 scale and an int4 zero point per block of 16 rows (opset 21)."""
    weights = helper.make_tensor("w", TensorProto.INT4, [64, 32], np.tile(np.arange(-8, 8), 128).tolist())
    zero_points = helper.make_tensor("w_zp", TensorProto.INT4, [4, 32], [1] * 128)
    nodes = [
        helper.make_node("DequantizeLinear", ["w", "w_scale", "w_zp"], ["wd"], axis=0, block_size=16),
        helper.make_node("MatMul", ["x", "wd"], ["y"], "proj"),
    ]
    inits = [weights, zero_points, init("w_scale", np.full((4, 32), 0.1, np.float16))]
    half = TensorProto.FLOAT16
    return save(path, nodes, [("x", half, [1, 8, 64])], [("y", half, [1, 8, 32])], inits, opset=21)


def fp8_gemm(path: Path) -> Path:
    """Float8 (e4m3) QDQ on both operands of a Gemm (opset 19)."""
    weights = helper.make_tensor("w", TensorProto.FLOAT8E4M3FN, [16, 8], [1.0] * 128)
    zero = helper.make_tensor("zp", TensorProto.FLOAT8E4M3FN, [], [0.0])
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "s", "zp"], ["xd"]),
        helper.make_node("DequantizeLinear", ["w", "s", "zp"], ["wd"]),
        helper.make_node("Gemm", ["xd", "wd"], ["y"], "fc"),
    ]
    inits = [weights, zero, init("s", np.float32(0.5))]
    return save(path, nodes, [("x", F, [4, 16])], [("y", F, [4, 8])], inits, opset=19)


def dynamic_matmul(path: Path) -> Path:
    """Dynamic quantization: DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul by the scales."""
    nodes = [
        helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xzp"]),
        helper.make_node("MatMulInteger", ["xq", "w", "xzp", "w_zp"], ["acc"], "mmi"),
        helper.make_node("Cast", ["acc"], ["accf"], "cast", to=F),
        helper.make_node("Mul", ["xs", "w_scale"], ["scale"], "combine_scales"),
        helper.make_node("Mul", ["accf", "scale"], ["y"], "rescale"),
    ]
    inits = [init("w", np.ones((16, 8), np.int8)), init("w_zp", np.zeros(8, np.int8)),
             init("w_scale", np.float32(0.1))]
    return save(path, nodes, [("x", F, [2, 16])], [("y", F, [2, 8])], inits, opset=13)


def empty_graph(path: Path) -> Path:
    """A valid ModelProto whose graph has no nodes."""
    return save(path, [], [("x", F, [1])], [("x", F, [1])], check=False)
