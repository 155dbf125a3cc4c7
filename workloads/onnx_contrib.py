"""onnxruntime's ``com.microsoft`` operators, each seen as the standard operator it quantizes.

Like a library cell with a retention flop: a QLinearAdd is an Add whose
operands travel as 8-bit integers with a scale and a zero point beside them.
Its shape rule and its loop nest are the Add's, over the data operands only;
the scales and zero points say the precision (`workloads.onnx_quant`).
`contrib_equivalent` builds that standard node, which both the shape walk
(`workloads.onnx_shapes`) and the cost handlers (`handler_for`, over
`workloads.onnx_ops`) read.

Operator signatures: onnxruntime's ContribOperators.md (QGemm, QLinearAdd,
QLinearMul, QLinearConcat, QLinearAveragePool, QLinearGlobalAveragePool,
QLinearSigmoid, QLinearLeakyRelu, QLinearSoftmax, MatMulIntegerToFloat,
DynamicQuantizeMatMul, MatMulNBits, QuantizeLinear, DequantizeLinear).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import onnx
from onnx import NodeProto, TensorProto

from workloads.layers import OpKind
from workloads.onnx_ops import OP_HANDLERS, Fields, Handler, NodeContext

__all__ = ["CONTRIB_DOMAIN", "QUANT_DOMAINS", "Equivalent", "contrib_equivalent", "handler_for",
           "quantized_float_type"]

CONTRIB_DOMAIN = "com.microsoft"

QUANT_DOMAINS = ("", "ai.onnx", CONTRIB_DOMAIN)
"""Domains whose Q/DQ nodes are folded: the standard one and onnxruntime's (int4/int16 before opset 21)."""


@dataclass(frozen=True)
class _Rule:
    """A contrib op as a standard one: which inputs carry data, where the output type comes from."""

    op_type: str
    data: tuple[int, ...] | None
    """Positions of the data inputs, in the standard op's order (None: every third from 2, QLinearConcat)."""
    dtype_from: int | None = None
    """The output takes the element type of this input (None: as the standard op infers it)."""
    drop: tuple[str, ...] = ()
    """Attributes the standard op does not have."""


_RULES: dict[str, _Rule] = {
    "QLinearAdd": _Rule("Add", (0, 3), 0),
    "QLinearMul": _Rule("Mul", (0, 3), 0),
    "QLinearSigmoid": _Rule("Sigmoid", (0,), 0),
    "QLinearLeakyRelu": _Rule("LeakyRelu", (0,), 0),
    "QLinearSoftmax": _Rule("Softmax", (0,), 0, drop=("opset",)),
    "QLinearGlobalAveragePool": _Rule("GlobalAveragePool", (0,), 0, drop=("channels_last",)),
    "QLinearAveragePool": _Rule("AveragePool", (0,), 0, drop=("channels_last",)),
    "QLinearConcat": _Rule("Concat", None, 2),
    "QGemm": _Rule("Gemm", (0, 3, 6), 8),
    "MatMulIntegerToFloat": _Rule("MatMul", (0, 1), 2),
    "DynamicQuantizeMatMul": _Rule("MatMul", (0, 1), 0),
    "QuantizeLinear": _Rule("Identity", (0,), 2, drop=("axis", "block_size", "saturate")),
    "DequantizeLinear": _Rule("Identity", (0,), 1, drop=("axis", "block_size")),
}


@dataclass(frozen=True)
class Equivalent:
    """The standard node a contrib node computes like, and its output type."""

    node: NodeProto
    """Same name and outputs; inputs are the data operands only."""
    out_dtype: int | None
    """Element type of the outputs (None: the standard op's)."""
    input_shapes: Mapping[str, tuple[int, ...]]
    """Shapes of inputs the standard node reads that the graph does not hold (MatMulNBits' unpacked B)."""


def quantized_float_type(dtype: int) -> int:
    """The type a standard op's shape rule is given for a quantized operand (its rules reject integers)."""
    return TensorProto.FLOAT if dtype not in (TensorProto.INT64, TensorProto.FLOAT16, TensorProto.BFLOAT16) else dtype


def contrib_equivalent(node: NodeProto, dtypes: Mapping[str, int]) -> Equivalent | None:
    """The standard node ``node`` computes like, or None when it is no contrib op qcosim knows.

    QGemm's output type is its zero point's when it has an output scale, float
    otherwise; MatMulNBits is a MatMul by a K x N weight.
    """
    if node.domain != CONTRIB_DOMAIN:
        return None
    if node.op_type == "MatMulNBits":
        return _matmul_nbits(node, dtypes)
    rule = _RULES.get(node.op_type)
    if rule is None:
        return None
    inputs = list(node.input)
    positions = rule.data if rule.data is not None else tuple(range(2, len(inputs), 3))
    data = [inputs[i] if i < len(inputs) else "" for i in positions]
    while data and not data[-1]:
        data.pop()
    attrs = [a for a in node.attribute if a.name not in rule.drop]
    proxy = onnx.helper.make_node(rule.op_type, data, list(node.output), node.name)
    proxy.attribute.extend(attrs)
    out_dtype = None
    if rule.dtype_from is not None:
        source = inputs[rule.dtype_from] if rule.dtype_from < len(inputs) else ""
        out_dtype = dtypes.get(source) if source else None
        if node.op_type == "QGemm" and out_dtype is None:
            out_dtype = TensorProto.FLOAT  # no output scale: QGemm writes float
        elif node.op_type == "QuantizeLinear" and out_dtype is None:
            out_dtype = TensorProto.UINT8
    return Equivalent(proxy, out_dtype, {})


def _matmul_nbits(node: NodeProto, dtypes: Mapping[str, int]) -> Equivalent:
    """A[..., K] @ W[K, N], W stored as ``bits``-bit blocks in input 1 (N x blocks x blob bytes)."""
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    k, n = int(attrs.get("K", 0)), int(attrs.get("N", 0))
    unpacked = f"{node.input[1]}#unpacked"
    proxy = onnx.helper.make_node("MatMul", [node.input[0], unpacked], list(node.output[:1]), node.name)
    return Equivalent(proxy, dtypes.get(node.input[0]), {unpacked: (k, n)})


def matmul_nbits(ctx: NodeContext) -> Fields:
    """onnxruntime's MatMulNBits: A[..., K] times a K x N weight packed in ``bits``-bit blocks.

    The packed tensor is no K x N array, so the layer names no weight tensor;
    its size is K x N elements at the declared bits (`workloads.onnx_quant`).
    """
    sa = ctx.shape(ctx.input(0))
    k, n = int(ctx.attrs.get("K", 0)), int(ctx.attrs.get("N", 0))
    if sa[-1] != k or n < 1:
        raise ctx.error(f"attributes K={k}, N={n} do not fit input {ctx.input(0)!r} of shape {sa}")
    return {"op": OpKind.GEMM, "n": math.prod(sa[:-2]), "p": sa[-2] if len(sa) > 1 else 1, "c": k, "k": n,
            "aux_params": ctx.const_elements(5)}


def _as_equivalent(ctx: NodeContext) -> Fields:
    """A contrib op costed as the standard op it quantizes (`workloads.onnx_contrib`)."""
    equivalent = contrib_equivalent(ctx.node, ctx.facts.dtypes)
    inner = NodeContext(ctx.facts, equivalent.node, ctx.name, ctx.out_shape)  # type: ignore[union-attr]
    return OP_HANDLERS[equivalent.node.op_type](inner)  # type: ignore[union-attr]


def handler_for(node: NodeProto) -> Handler | None:
    """The cost handler of ``node``, None for an operator without a cost model."""
    if node.domain in ("", "ai.onnx"):
        return OP_HANDLERS.get(node.op_type)
    if node.domain == CONTRIB_DOMAIN:
        if node.op_type == "MatMulNBits":
            return matmul_nbits
        if contrib_equivalent(node, {}) is not None:
            return _as_equivalent
    return None
