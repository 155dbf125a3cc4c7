"""Quantization an ONNX model declares, read back as a `QuantSpec` per MAC layer.

Like reading the process options off a netlist: a quantized ONNX graph says
its precisions through QuantizeLinear/DequantizeLinear pairs around a MAC
node, or through the operand types of QLinearConv / QLinearMatMul /
ConvInteger / MatMulInteger. The element format comes from the zero point's
type (else the stored tensor's), the granularity from the scale's shape and
``block_size``, symmetry from all-zero zero points, and a scale computed at
run time marks a dynamically quantized tensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from onnx import TensorProto

from workloads.onnx_ops import NodeContext, node_attributes
from workloads.onnx_shapes import MAX_EVALUATED_ELEMENTS
from workloads.quant import (
    BF16,
    FP16,
    FP32,
    Granularity,
    NumberFormat,
    QuantSpec,
    RequantMode,
    TensorQuant,
    parse_format,
)

__all__ = ["quant_spec", "vector_quant_spec"]

_QUANT_FORMATS = {
    "INT2": "int2", "UINT2": "uint2", "INT4": "int4", "UINT4": "uint4", "INT8": "int8",
    "UINT8": "uint8", "INT16": "int16", "UINT16": "uint16", "FLOAT8E4M3FN": "fp8_e4m3",
    "FLOAT8E4M3FNUZ": "fp8_e4m3", "FLOAT8E5M2": "fp8_e5m2", "FLOAT8E5M2FNUZ": "fp8_e5m2",
}
_FLOATS = {TensorProto.FLOAT: FP32, TensorProto.FLOAT16: FP16, TensorProto.BFLOAT16: BF16}

# op_type -> ((data, scale, zero point) of the activation, same for the weight, output (scale, zp));
# the com.microsoft ops from onnxruntime's ContribOperators.md
_QLINEAR = {
    "QLinearConv": ((0, 1, 2), (3, 4, 5), (6, 7)),
    "QLinearMatMul": ((0, 1, 2), (3, 4, 5), (6, 7)),
    "ConvInteger": ((0, None, 2), (1, None, 3), None),
    "MatMulInteger": ((0, None, 2), (1, None, 3), None),
    "QGemm": ((0, 1, 2), (3, 4, 5), (7, 8)),
    "MatMulIntegerToFloat": ((0, 2, 4), (1, 3, 5), None),
    "DynamicQuantizeMatMul": ((0, None, None), (1, 2, 3), None),
}

# QLinear element-wise ops: (data, scale, zero point) of the first input, output (scale, zp)
_QLINEAR_VECTOR = {
    "QLinearAdd": ((0, 1, 2), (6, 7)), "QLinearMul": ((0, 1, 2), (6, 7)),
    "QLinearSigmoid": ((0, 1, 2), (3, 4)), "QLinearLeakyRelu": ((0, 1, 2), (3, 4)),
    "QLinearSoftmax": ((0, 1, 2), (3, 4)), "QLinearAveragePool": ((0, 1, 2), (3, 4)),
    "QLinearGlobalAveragePool": ((0, 1, 2), (3, 4)), "QLinearConcat": ((2, 3, 4), (0, 1)),
}


@dataclass(frozen=True)
class _Declared:
    """Where a tensor's quantization is declared: its stored type, scale, zero point."""

    dtype: int
    scale: str | None = None
    zero_point: str | None = None
    block_size: int = 0
    dynamic: bool = False
    asymmetric: bool = False
    """Has a zero point even though the graph holds none (quantized inside the operator)."""


def _number_format(ctx: NodeContext, dtype: int) -> NumberFormat:
    if dtype in _FLOATS:
        return _FLOATS[dtype]
    name = TensorProto.DataType.Name(dtype) if dtype in TensorProto.DataType.values() else str(dtype)
    if name not in _QUANT_FORMATS:
        raise ctx.error(f"quantized type {name} has no qcosim number format")
    return parse_format(_QUANT_FORMATS[name])


def _tensor_quant(ctx: NodeContext, decl: _Declared) -> TensorQuant:
    facts = ctx.facts
    zp = decl.zero_point
    fmt = _number_format(ctx, facts.dtypes.get(zp, decl.dtype) if zp else decl.dtype)
    if fmt.is_float and fmt.bits >= 16:
        return TensorQuant(format=fmt)
    if zp and math.prod(facts.shapes.get(zp, ())) > MAX_EVALUATED_ELEMENTS:
        raise ctx.error(f"zero point {zp!r} of shape {facts.shapes[zp]} has more than the "
                        f"{MAX_EVALUATED_ELEMENTS} elements qcosim evaluates")
    values = facts.evaluate(zp) if zp and zp in facts.constants else None
    symmetric = not decl.asymmetric and (
        fmt.is_float or zp is None or (values is not None and not np.any(values.astype(np.float64))))
    count_of = decl.scale or zp
    elements = math.prod(facts.static_shape(count_of) or (1,)) if count_of else 1
    if decl.block_size > 0:
        granularity, group = Granularity.GROUP, decl.block_size
    else:
        granularity, group = (Granularity.CHANNEL if elements > 1 else Granularity.TENSOR), None
    dynamic = decl.dynamic or any(v not in facts.constants for v in (decl.scale, zp) if v)
    scale_format = _FLOATS.get(facts.dtypes.get(decl.scale, TensorProto.FLOAT), FP32)
    return TensorQuant(format=fmt, symmetric=symmetric, granularity=granularity, group_size=group,
                       scale_format=scale_format, dynamic=dynamic)


def _declared_by_producer(ctx: NodeContext, value: str | None) -> _Declared | None:
    """The DequantizeLinear (or DynamicQuantizeLinear) that hands ``value`` to a float op."""
    node = ctx.facts.producer.get(value or "")
    if node is None:
        return None
    if node.op_type == "DynamicQuantizeLinear":
        return _Declared(TensorProto.UINT8, node.output[1], node.output[2], dynamic=True)
    if node.op_type != "DequantizeLinear":
        return None
    inputs = [*node.input, "", ""]
    return _Declared(ctx.facts.dtypes.get(node.input[0], TensorProto.UINT8), inputs[1] or None,
                     inputs[2] or None, node_attributes(node).get("block_size", 0))


def _declared_by_quantizer(ctx: NodeContext) -> _Declared | None:
    """The QuantizeLinear reading this layer's output, directly or after a fused Relu/Clip."""
    value = ctx.node.output[0]
    for _ in range(2):
        users = ctx.facts.consumers.get(value, [])
        node = next((u for u in users if u.op_type == "QuantizeLinear"), None)
        if node is not None:
            return _quantizer_declares(node)
        if len(users) != 1 or users[0].op_type not in ("Relu", "Clip"):
            return None
        value = users[0].output[0]
    return None


def _quantizer_declares(node) -> _Declared:
    """What a QuantizeLinear declares about the tensor it quantizes."""
    attrs = node_attributes(node)
    inputs = [*node.input, "", ""]
    dtype = attrs.get("output_dtype") or TensorProto.UINT8
    return _Declared(dtype, inputs[1] or None, inputs[2] or None, attrs.get("block_size", 0))


def _float_of(ctx: NodeContext, value: str | None) -> TensorQuant:
    return TensorQuant(format=_FLOATS.get(ctx.facts.dtypes.get(value or "", TensorProto.FLOAT), FP32))


def quant_spec(ctx: NodeContext) -> QuantSpec | None:
    """The precision the model declares for a MAC layer, or None for a float layer.

    QLinearConv/QLinearMatMul and ConvInteger/MatMulInteger declare it through
    their operand types and zero points; float Conv/Gemm/MatMul through the
    DequantizeLinear nodes feeding them and the QuantizeLinear reading their
    output (QDQ format). Formats come from the zero point's type (else the
    quantized tensor's), granularity from the scale's shape (``block_size``
    makes it per group), symmetry from all-zero zero points. Integer operands
    requantize with an fp32 scale, as ONNX defines it; weight-only and
    ``*Integer`` layers (int32 out) do not requantize.
    """
    if ctx.node.op_type == "MatMulNBits":
        return _nbits_spec(ctx)
    if ctx.node.op_type in _QLINEAR:
        return _qlinear_spec(ctx)
    a, b = ctx.input(0), ctx.input(1)
    if ctx.is_const(a) and not ctx.is_const(b):
        a, b = b, a
    xd, wd = _declared_by_producer(ctx, a), _declared_by_producer(ctx, b)
    if xd is None and wd is None:
        return None
    yd = _declared_by_quantizer(ctx)
    inputs = _tensor_quant(ctx, xd) if xd else _float_of(ctx, a)
    weights = _tensor_quant(ctx, wd) if wd else _float_of(ctx, b)
    outputs = _tensor_quant(ctx, yd) if yd else _float_of(ctx, ctx.node.output[0])
    quantized_compute = inputs.format.needs_scale and weights.format.needs_scale
    return QuantSpec(weights=weights, inputs=inputs, outputs=outputs, accum_bits=32,
                     requant=RequantMode.FP32 if quantized_compute else RequantMode.NONE)


def _qlinear_spec(ctx: NodeContext) -> QuantSpec:
    """QLinearConv/QLinearMatMul and ConvInteger/MatMulInteger: precision from operand types."""
    (xd, xs, xz), (wd, ws, wz), out = _QLINEAR[ctx.node.op_type]

    def dtype(index: int, default: int) -> int:
        return ctx.facts.dtypes.get(ctx.input(index) or "", default)

    if ctx.node.op_type == "DynamicQuantizeMatMul":  # quantizes A itself: uint8, asymmetric, at run time
        x = _Declared(TensorProto.UINT8, dynamic=True, asymmetric=True)
    else:
        x = _Declared(dtype(xd, TensorProto.UINT8), ctx.input(xs), ctx.input(xz))
    w = _Declared(dtype(wd, TensorProto.INT8), ctx.input(ws), ctx.input(wz))
    if ctx.is_const(ctx.input(xd)) and not ctx.is_const(ctx.input(wd)):
        x, w = w, x
    if out is None or ctx.input(out[0]) is None:  # int32 accumulators, or float (QGemm without a y scale)
        outputs, requant = _float_of(ctx, ctx.node.output[0]), RequantMode.NONE
    else:
        y = _Declared(dtype(out[1], TensorProto.UINT8), ctx.input(out[0]), ctx.input(out[1]))
        outputs, requant = _tensor_quant(ctx, y), RequantMode.FP32
    return QuantSpec(weights=_tensor_quant(ctx, w), inputs=_tensor_quant(ctx, x), outputs=outputs,
                     accum_bits=32, requant=requant)


def _nbits_spec(ctx: NodeContext) -> QuantSpec:
    """MatMulNBits: ``bits``-bit weights in blocks of ``block_size`` along K, float activations.

    Without a zero-point input the kernel subtracts the mid-point 2^(bits-1):
    symmetric signed weights. With one, unsigned weights and their zero points.
    """
    bits, block = int(ctx.attrs.get("bits", 4)), int(ctx.attrs.get("block_size", 0))
    zero_point = ctx.input(3)
    fmt = parse_format(f"{'uint' if zero_point else 'int'}{bits}")
    scale_format = _FLOATS.get(ctx.facts.dtypes.get(ctx.input(2) or "", TensorProto.FLOAT), FP32)
    weights = TensorQuant(format=fmt, symmetric=zero_point is None, granularity=Granularity.GROUP,
                          group_size=block, scale_format=scale_format)
    return QuantSpec(weights=weights, inputs=_float_of(ctx, ctx.input(0)), outputs=_float_of(ctx, ctx.node.output[0]),
                     accum_bits=32, requant=RequantMode.NONE)


def vector_quant_spec(ctx: NodeContext) -> QuantSpec | None:
    """The precision a non-MAC layer declares: QLinear operands, or a DequantizeLinear feeding it.

    The layer computes on its (first) input's format and stores its output at
    the format of the QuantizeLinear reading it (float when none does).
    """
    if ctx.node.op_type in _QLINEAR_VECTOR:
        (xd, xs, xz), (ys, yz) = _QLINEAR_VECTOR[ctx.node.op_type]
        x = _Declared(ctx.facts.dtypes.get(ctx.input(xd) or "", TensorProto.UINT8), ctx.input(xs), ctx.input(xz))
        inputs = _tensor_quant(ctx, x)
        y = _Declared(ctx.facts.dtypes.get(ctx.input(yz) or "", x.dtype), ctx.input(ys), ctx.input(yz))
        outputs = _tensor_quant(ctx, y)
    else:
        dynamic = [v for v in ctx.node.input if v and not ctx.is_const(v)]
        xd = _declared_by_producer(ctx, dynamic[0]) if dynamic else None
        stored = ctx.facts.dtypes.get(dynamic[0], TensorProto.FLOAT) if dynamic else TensorProto.FLOAT
        if xd is None and TensorProto.DataType.Name(stored) not in _QUANT_FORMATS:
            return None
        if xd is None:  # moves integers a QLinear op wrote (Flatten between QLinear ops)
            kept = TensorQuant(format=_number_format(ctx, stored))
            return QuantSpec(weights=kept, inputs=kept, outputs=kept, accum_bits=32, requant=RequantMode.NONE)
        inputs = _tensor_quant(ctx, xd)
        users = ctx.facts.consumers.get(ctx.node.output[0], [])
        quantizer = next((u for u in users if u.op_type == "QuantizeLinear"), None)
        outputs = _tensor_quant(ctx, _quantizer_declares(quantizer)) if quantizer else _float_of(
            ctx, ctx.node.output[0])
    return QuantSpec(weights=inputs, inputs=inputs, outputs=outputs, accum_bits=32, requant=RequantMode.NONE)
