"""ONNX operators as loop nests: one handler per ``op_type``, in one table.

Like a technology-mapping library in logic synthesis: each ONNX operator is a
generic gate, and its handler maps it onto the one cell the simulator knows,
the seven-deep `Layer` loop nest. A handler reads a node through
`NodeContext` (shapes from shape inference, which inputs are constants) and
returns the `Layer` fields; `workloads.onnx_import` adds the name, the source
op and the declared quantization.

Operators without multiply-accumulates describe their *output* tensor:
``n`` batch, ``k == c`` channels, ``p, q`` spatial (``p`` rows for 2-D and
3-D tensors), so that ``Layer.output_elements`` is the real element count.
``ops_per_output`` counts vector-unit operations per output element; the
counts come from `workloads.vector_ops`, the table the zoo uses too. Only
the operators the zoo never builds keep their rule here: Reduce* (elements
reduced into each output), LRN (2 * size + 3: window of squares, pow,
divide), Mean (one more than an n-ary add) and data movement (0).

Parameters beside the weights (``aux_params``): the bias of Conv/Gemm, the
scale and shift of normalizations, the PRelu slope, every constant operand of
an element-wise op, and a constant table read by Gather (an embedding).
Declared quantization lives in `workloads.onnx_quant`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import NodeProto

from workloads.errors import WorkloadError
from workloads.layers import OpKind, effective_padding
from workloads.vector_ops import OPS_PER_OUTPUT, elementwise_ops, window_ops

__all__ = ["FOLDED_OPS", "OP_HANDLERS", "GraphFacts", "NodeContext", "node_attributes"]

FOLDED_OPS = frozenset({"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"})
"""Quantization boundaries: folded into the neighbouring layers' `QuantSpec`, never costed."""

Fields = dict[str, Any]
Shape = tuple[int, ...]


def node_attributes(node: NodeProto) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


@dataclass
class GraphFacts:
    """What the importer knows about every value of the ONNX graph."""

    source: str
    """The file, for error messages."""
    shapes: Mapping[str, Shape]
    """Concrete shape of every value (`workloads.onnx_shapes`)."""
    dtypes: Mapping[str, int]
    """ONNX element type per value."""
    constants: set[str]
    """Values computable at import: initializers and everything computed from them and from shapes."""
    side_values: set[str]
    """Run-time scalars that are not activations (scale and zero point of DynamicQuantizeLinear)."""
    alias: dict[str, str]
    """Output of a folded Q/DQ node -> its data input."""
    producer: dict[str, NodeProto]
    """Value -> node that writes it."""
    consumers: dict[str, list[NodeProto]]
    """Value -> nodes that read it."""
    evaluate: Callable[[str], np.ndarray | None]
    """Values of a small constant (zero points), None when they cannot be computed."""

    def root(self, value: str) -> str:
        """The activation ``value`` carries once Q/DQ nodes are folded away."""
        while value in self.alias:  # the graph is acyclic (`workloads.onnx_shapes`), so this ends
            value = self.alias[value]
        return value

    def static_shape(self, value: str) -> Shape | None:
        """The shape of ``value``, None for a value the graph does not hold."""
        return self.shapes.get(value)

    def is_static(self, value: str) -> bool:
        """True for constants and run-time scalars, which are no activation edges."""
        return value in self.constants or value in self.side_values


class NodeContext:
    """One ONNX node seen through `GraphFacts`: what a handler needs and nothing else."""

    def __init__(self, facts: GraphFacts, node: NodeProto, name: str, out_shape: Shape) -> None:
        self.facts, self.node, self.name, self.out_shape = facts, node, name, out_shape
        self.attrs = node_attributes(node)

    def error(self, message: str) -> WorkloadError:
        """A one-line error naming this node."""
        return WorkloadError(f"node {self.name!r} ({self.node.op_type}): {message}", self.facts.source)

    def input(self, index: int | None) -> str | None:
        """Name of input ``index``, None when absent or optional and empty."""
        if index is None or index >= len(self.node.input):
            return None
        return self.node.input[index] or None

    def shape(self, value: str | None) -> Shape:
        """Concrete shape of ``value``; raises if it is missing or unknown."""
        if value is None:
            raise self.error("a required input is missing")
        shape = self.facts.static_shape(value)
        if shape is None:
            raise self.error(f"the shape of {value!r} is unknown after shape inference")
        return shape

    def is_const(self, value: str | None) -> bool:
        """True when ``value`` is a weight or another constant."""
        return value is not None and self.facts.is_static(value)

    @property
    def dynamic_inputs(self) -> list[str]:
        """Inputs that are activations (edges of the layer graph)."""
        return [v for v in self.node.input if v and not self.facts.is_static(v)]

    def const_elements(self, *indices: int) -> int:
        """Elements of the constant inputs at ``indices`` (bias, scale, shift)."""
        values = [self.input(i) for i in indices]
        return sum(math.prod(self.shape(v)) for v in values if v in self.facts.constants)

    def weight_ref(self, value: str | None) -> str | None:
        """The stored tensor behind a constant operand (the DequantizeLinear input, if any)."""
        if not self.is_const(value):
            return None
        node = self.facts.producer.get(value)  # type: ignore[arg-type]
        if node is not None and node.op_type == "DequantizeLinear":
            return node.input[0]
        return value


Handler = Callable[[NodeContext], Fields]


def tensor_fields(shape: Sequence[int]) -> Fields:
    """Loop dims of a non-MAC layer whose output has ``shape`` (c == k = channels)."""
    d = [max(int(x), 1) for x in shape]
    if len(d) <= 1:
        width = d[0] if d else 1
        return {"k": width, "c": width}
    if len(d) == 2:
        return {"p": d[0], "k": d[1], "c": d[1]}
    if len(d) == 3:
        return {"n": d[0], "p": d[1], "k": d[2], "c": d[2]}
    return {"n": d[0], "k": d[1], "c": d[1], "p": math.prod(d[2:-1]), "q": d[-1]}


def window_fields(in_sp: Shape, out_sp: Shape, kernel, strides, dilations) -> Fields:
    """p, q, r, s, stride, dilation and effective padding of a sliding window.

    Padding is derived from the real input and output sizes, so explicit
    ``pads``, ``auto_pad`` SAME/VALID and ``ceil_mode`` all come out right and
    ``Layer.input_hw`` is the real input (3-D windows fold depth into rows:
    MACs stay exact, ``input_hw`` is then approximate).
    """
    if len(out_sp) > 2:  # fold depth (and any further leading axes) into the rows
        in_sp = (math.prod(in_sp[:-1]), in_sp[-1])
        out_sp = (math.prod(out_sp[:-1]), out_sp[-1])
        kernel = (math.prod(kernel[:-1]), kernel[-1])
        strides, dilations = (1, strides[-1]), (1, dilations[-1])
    ins, outs, ks, ss, ds = ([1] * (2 - len(v)) + [int(x) for x in v]
                             for v in (in_sp, out_sp, kernel, strides, dilations))
    pads = tuple(effective_padding(*axis) for axis in zip(ins, outs, ks, ss, ds, strict=True))
    return {
        "p": outs[0], "q": outs[1], "r": ks[0], "s": ks[1],
        "stride": tuple(ss), "dilation": tuple(ds), "padding": pads,
    }


# -- MAC operators -----------------------------------------------------------------
def conv(x_idx: int = 0, w_idx: int = 1, b_idx: int | None = 2) -> Handler:
    """Conv, ConvInteger, QLinearConv: operand positions differ, the loop nest does not."""

    def handle(ctx: NodeContext) -> Fields:
        x, w = ctx.input(x_idx), ctx.input(w_idx)
        xs, ws, ys = ctx.shape(x), ctx.shape(w), ctx.out_shape
        if len(ys) < 3 or len(xs) != len(ys):
            raise ctx.error(f"expected an N x C x spatial input (got shape {xs})")
        spatial = len(ys) - 2
        kernel = _checked_window(ctx, xs, ws, spatial)
        return {
            "op": OpKind.CONV, "n": ys[0], "k": ys[1], "c": xs[1],
            "groups": ctx.attrs.get("group", 1),
            **window_fields(xs[2:], ys[2:], kernel, ctx.attrs.get("strides") or [1] * spatial,
                            ctx.attrs.get("dilations") or [1] * spatial),
            "aux_params": ctx.const_elements(b_idx) if b_idx is not None else 0,
            "weight_tensor": ctx.weight_ref(w),
        }

    return handle


def _checked_window(ctx: NodeContext, xs: Shape, ws: Shape, spatial: int, *, transposed: bool = False):
    """The kernel, once the weight, ``kernel_shape``, ``pads`` and the input agree."""
    groups = ctx.attrs.get("group", 1)
    per_group = ws[0] if transposed else ws[1]
    expected = per_group if transposed else per_group * groups
    if len(ws) != spatial + 2 or expected != xs[1]:
        split = "" if transposed else f" ({per_group} per group x {groups} group{'s' * (groups > 1)})"
        raise ctx.error(f"weight {ctx.input(1)!r} of shape {ws} expects {expected} input channels{split} but "
                        f"input {ctx.input(0)!r} of shape {xs} has {xs[1]}")
    kernel = tuple(ctx.attrs.get("kernel_shape") or ws[2:])
    if kernel != tuple(ws[2:]):
        raise ctx.error(f"kernel_shape {list(kernel)} contradicts weight {ctx.input(1)!r} of shape {ws}")
    pads = ctx.attrs.get("pads")
    if pads is not None and len(pads) != 2 * spatial:
        raise ctx.error(f"pads must have {2 * spatial} values for {spatial} spatial axes (got {list(pads)})")
    return kernel


def conv_transpose(ctx: NodeContext) -> Fields:
    """ConvTranspose as the scatter it is: every input pixel times every kernel tap.

    The loop nest runs over the *input* positions (p, q = input H, W), which
    makes MACs and weights exact; ``output_elements`` then counts the input
    grid, not the stride-times larger output (the edge tensor carries the real one).
    """
    x, w = ctx.input(0), ctx.input(1)
    xs, ws, ys = ctx.shape(x), ctx.shape(w), ctx.out_shape
    spatial = len(xs) - 2
    kernel = _checked_window(ctx, xs, ws, spatial, transposed=True)
    ones = [1] * spatial
    return {
        "op": OpKind.CONV, "n": xs[0], "k": ys[1], "c": xs[1], "groups": ctx.attrs.get("group", 1),
        **window_fields(xs[2:], xs[2:], kernel, ones, ones),
        "aux_params": ctx.const_elements(2), "weight_tensor": ctx.weight_ref(w),
    }


def gemm(ctx: NodeContext) -> Fields:
    """Gemm: Y = A' B' + C with optional transposes; C counts as bias parameters."""
    a, b = ctx.input(0), ctx.input(1)
    sa, sb = ctx.shape(a), ctx.shape(b)
    m, kin = (sa[1], sa[0]) if ctx.attrs.get("transA", 0) else (sa[0], sa[1])
    nout = sb[0] if ctx.attrs.get("transB", 0) else sb[1]
    fields = _product(ctx, a, b, batch=(1, 1, 1), m=m, kin=kin, nout=nout)
    return {**fields, "aux_params": ctx.const_elements(2)}


def matmul(a_idx: int = 0, b_idx: int = 1) -> Handler:
    """MatMul, MatMulInteger, QLinearMatMul with numpy broadcasting of the batch dims."""

    def handle(ctx: NodeContext) -> Fields:
        a, b = ctx.input(a_idx), ctx.input(b_idx)
        sa, sb = list(ctx.shape(a)), list(ctx.shape(b))
        sa = [1, *sa] if len(sa) == 1 else sa
        sb = [*sb, 1] if len(sb) == 1 else sb
        ba, bb = sa[:-2], sb[:-2]
        width = max(len(ba), len(bb))
        ba, bb = [1] * (width - len(ba)) + ba, [1] * (width - len(bb)) + bb
        batch = math.prod(max(x, y) for x, y in zip(ba, bb, strict=True))
        return _product(ctx, a, b, batch=(batch, math.prod(ba), math.prod(bb)),
                        m=sa[-2], kin=sa[-1], nout=sb[-1])

    return handle


def _product(ctx: NodeContext, a, b, *, batch: tuple[int, int, int], m: int, kin: int, nout: int) -> Fields:
    """A product A (m x kin) @ B (kin x nout), batch times: GEMM when one side is a weight."""
    total, batch_a, batch_b = batch
    if ctx.is_const(b) and batch_b == 1:
        return {"op": OpKind.GEMM, "n": total, "p": m, "c": kin, "k": nout,
                "weight_tensor": ctx.weight_ref(b)}
    if ctx.is_const(a) and batch_a == 1:  # W @ X: the transposed product has the weight as B
        return {"op": OpKind.GEMM, "n": total, "p": nout, "c": kin, "k": m,
                "weight_tensor": ctx.weight_ref(a)}
    weight = ctx.weight_ref(b) or ctx.weight_ref(a)
    return {"op": OpKind.MATMUL, "n": total, "p": m, "c": kin, "k": nout, "weight_tensor": weight}


# -- vector-unit operators ----------------------------------------------------------
def vector(kind: OpKind, ops: float | Callable[[NodeContext], float] = 0.0, *,
           aux: Sequence[int] = (), all_constants: bool = False, shape_of_input: bool = False) -> Handler:
    """A non-MAC layer: output shape in the loop dims, ``ops`` vector operations per output.

    ``aux`` lists the input positions whose constants are parameters (scale,
    shift, slope); ``all_constants`` counts every constant operand (a bias
    added element-wise). ``shape_of_input`` describes the input instead of
    output 0 (Split: the outputs together are the input).
    """

    def handle(ctx: NodeContext) -> Fields:
        shape = ctx.shape(ctx.dynamic_inputs[0]) if shape_of_input and ctx.dynamic_inputs else ctx.out_shape
        positions = range(len(ctx.node.input)) if all_constants else aux
        return {
            "op": kind, **tensor_fields(shape),
            "input_tensors": max(len(ctx.dynamic_inputs), 1) if kind is OpKind.ELEMENTWISE else 1,
            "ops_per_output": ops(ctx) if callable(ops) else float(ops),
            "aux_params": ctx.const_elements(*positions),
        }

    return handle


def _variadic(extra: int = 0) -> Callable[[NodeContext], float]:
    """Operations per output of an n-ary element-wise op (`elementwise_ops`), plus ``extra``."""
    return lambda ctx: elementwise_ops(len([v for v in ctx.node.input if v])) + extra


def _reduced(ctx: NodeContext) -> float:
    """Input elements folded into each output of a reduction."""
    inputs = ctx.dynamic_inputs
    if not inputs:
        return 1.0
    return math.prod(ctx.shape(inputs[0])) / max(math.prod(ctx.out_shape), 1)


def _lrn(ctx: NodeContext) -> float:
    return 2.0 * ctx.attrs.get("size", 1) + 3.0


def pool(global_pool: bool = False) -> Handler:
    """MaxPool, AveragePool, LpPool and their global forms: R x S operations per output."""

    def handle(ctx: NodeContext) -> Fields:
        xs, ys = ctx.shape(ctx.dynamic_inputs[0]), ctx.out_shape
        spatial = len(xs) - 2
        kernel = xs[2:] if global_pool else ctx.attrs.get("kernel_shape", [1] * spatial)
        ones = [1] * spatial
        fields = {"op": OpKind.POOL, "n": xs[0], "k": xs[1], "c": xs[1],
                  **window_fields(xs[2:], ys[2:], kernel,
                                  ones if global_pool else ctx.attrs.get("strides") or ones,
                                  ones if global_pool else ctx.attrs.get("dilations") or ones)}
        return {**fields, "ops_per_output": window_ops(fields["r"], fields["s"])}

    return handle


data_movement: Handler = vector(OpKind.DATA_MOVEMENT)
"""Bytes only: the layer describes its output tensor and does no arithmetic."""


_A, _E, _N = OpKind.ACTIVATION, OpKind.ELEMENTWISE, OpKind.NORM

OP_HANDLERS: dict[str, Handler] = {
    "Conv": conv(), "ConvInteger": conv(0, 1, None), "QLinearConv": conv(0, 3, 8),
    "ConvTranspose": conv_transpose, "Gemm": gemm,
    "MatMul": matmul(), "MatMulInteger": matmul(), "QLinearMatMul": matmul(0, 3),
    "MaxPool": pool(), "AveragePool": pool(), "LpPool": pool(),
    "GlobalAveragePool": pool(True), "GlobalMaxPool": pool(True), "GlobalLpPool": pool(True),
    **{op: vector(_N, OPS_PER_OUTPUT[op], aux=(1, 2)) for op in (
        "BatchNormalization", "InstanceNormalization", "LayerNormalization", "GroupNormalization")},
    "RMSNormalization": vector(_N, OPS_PER_OUTPUT["RMSNormalization"], aux=(1,)),
    **{op: vector(_N, OPS_PER_OUTPUT[op]) for op in ("MeanVarianceNormalization", "LpNormalization")},
    "LRN": vector(_N, _lrn),
    **{op: vector(OpKind.SOFTMAX, OPS_PER_OUTPUT[op]) for op in ("Softmax", "LogSoftmax", "Hardmax")},
    "PRelu": vector(_A, OPS_PER_OUTPUT["PRelu"], aux=(1,)),
    **{op: vector(_A, OPS_PER_OUTPUT[op]) for op in (
        "Relu", "ThresholdedRelu", "Tanh", "Sign", "Abs", "Neg", "LeakyRelu", "Clip", "Shrink", "Sigmoid",
        "HardSigmoid", "Softplus", "Softsign", "Elu", "HardSwish", "Selu", "Celu", "Swish", "Gelu", "Mish")},
    **{op: vector(_E, _variadic(), all_constants=True) for op in (
        "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Sum", "Max", "Min", "And", "Or", "Xor",
        "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "BitShift", "BitwiseAnd",
        "BitwiseOr", "BitwiseXor")},
    "Mean": vector(_E, _variadic(1), all_constants=True),
    **{op: vector(_E, 1, all_constants=True) for op in (
        "Sqrt", "Exp", "Log", "Erf", "Reciprocal", "Floor", "Ceil", "Round", "Not", "IsNaN",
        "IsInf", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh",
        "Atanh", "BitwiseNot", "CumSum", "Where")},
    **{op: vector(_E, _reduced) for op in (
        "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
        "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp", "ArgMax", "ArgMin")},
    **{op: data_movement for op in (
        "Concat", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "GatherElements",
        "GatherND", "Slice", "Identity", "Dropout", "Shape", "Size", "Cast", "CastLike", "Pad",
        "Resize", "Upsample", "Expand", "Tile", "DepthToSpace", "SpaceToDepth", "ScatterND",
        "ScatterElements", "Scatter", "Range", "ConstantOfShape", "NonZero", "OneHot",
        "Compress", "ReverseSequence", "Trilu", "EyeLike")},
    "Gather": vector(OpKind.DATA_MOVEMENT, aux=(0,)),  # an embedding table counts as parameters
    "Split": vector(OpKind.DATA_MOVEMENT, shape_of_input=True),
}
"""ONNX op_type (default domain) -> handler returning `Layer` fields."""

