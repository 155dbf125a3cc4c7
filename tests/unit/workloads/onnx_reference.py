"""MACs of an ONNX model counted independently of qcosim: onnxruntime runs it, numpy counts.

onnxruntime executes the model (graph optimizations off) with every node
output added to the graph outputs, so each intermediate tensor's real shape is
read off the arrays it computes. MACs then follow by hand from those shapes,
with bias excluded as qcosim defines MACs:

- Conv, ConvInteger, QLinearConv: prod(output) x prod(weight.shape[1:])
  (the weight is K x C/groups x kH x kW);
- ConvTranspose: prod(input) x prod(weight.shape[1:]) (every input pixel
  times K/groups x kH x kW taps);
- MatMul, MatMulInteger, QLinearMatMul, MatMulIntegerToFloat,
  DynamicQuantizeMatMul, Gemm, QGemm: prod(output) x the reduced dimension K;
- MatMulNBits: prod(output) x its attribute K.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx

_WEIGHT_AT = {"Conv": 1, "ConvInteger": 1, "QLinearConv": 3}
_LEFT_AT = {"MatMul": 0, "MatMulInteger": 0, "QLinearMatMul": 0, "MatMulIntegerToFloat": 0,
            "DynamicQuantizeMatMul": 0, "Gemm": 0, "QGemm": 0}


def run_shapes(path: Path, feeds: dict[str, np.ndarray]) -> tuple[onnx.ModelProto, dict[str, tuple[int, ...]]]:
    """The model, and the shape of every value as onnxruntime computes it from ``feeds``."""
    import onnxruntime as ort

    model = onnx.load(path)
    for value in model.graph.input:  # run at the fed shapes, whatever the export declared
        if value.name in feeds:
            dims = value.type.tensor_type.shape.dim
            for dim, size in zip(dims, feeds[value.name].shape, strict=True):
                dim.Clear()
                dim.dim_value = size
    declared = {o.name for o in model.graph.output}
    model.graph.output.extend(onnx.helper.make_empty_tensor_value_info(v)
                              for n in model.graph.node for v in n.output if v and v not in declared)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    arrays = session.run(None, feeds)
    shapes = {o.name: tuple(a.shape) for o, a in zip(session.get_outputs(), arrays, strict=True)}
    shapes.update({t.name: tuple(t.dims) for t in model.graph.initializer})
    shapes.update({name: tuple(a.shape) for name, a in feeds.items()})
    return model, shapes


def node_macs(node: onnx.NodeProto, shapes: dict[str, tuple[int, ...]]) -> int:
    """MACs of one node from the real shapes (0 for operators without multiply-accumulates)."""
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    out = math.prod(shapes[node.output[0]])
    if node.op_type in _WEIGHT_AT:
        return out * math.prod(shapes[node.input[_WEIGHT_AT[node.op_type]]][1:])
    if node.op_type == "ConvTranspose":
        return math.prod(shapes[node.input[0]]) * math.prod(shapes[node.input[1]][1:])
    if node.op_type in _LEFT_AT:
        left = shapes[node.input[_LEFT_AT[node.op_type]]]
        return out * (left[0] if attrs.get("transA", 0) else left[-1])
    if node.op_type == "MatMulNBits":
        return out * attrs["K"]
    return 0


def reference_macs(path: Path, input_shapes: dict[str, tuple[int, ...]]) -> dict[str, int]:
    """MACs per MAC node (keyed by node name), onnxruntime's shapes, random float inputs."""
    rng = np.random.default_rng(0)
    feeds = {name: rng.standard_normal(shape).astype(np.float32) for name, shape in input_shapes.items()}
    model, shapes = run_shapes(path, feeds)
    counts = {node.name: node_macs(node, shapes) for node in model.graph.node}
    return {name: macs for name, macs in counts.items() if macs}
