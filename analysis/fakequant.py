"""Fake-quantized runs of a real ONNX model through onnxruntime, one layer at a time.

The probe on the bench: run the float model on calibration inputs, then
swap one layer's weights for their quantized values and put a
quantize-dequantize stage on that layer's input activation, run again, and
compare the network outputs. Models are edited in memory with ``onnx.helper``
(the file is never written); the activation stage is plain ONNX arithmetic
(Div, Round, Clip, Mul; Log, Floor, Pow for fp8), so any integer width and
both fp8 formats run on onnxruntime's CPU kernels at opset 11 and later.

Activation ranges are static by default: min and max of the layer's input
over the calibration run, per tensor, with the scale rule of
`analysis.quantizers.uniform_grid` (fp8: the largest magnitude maps to the
format's largest value). A ``-dyn`` candidate computes the range per sample
inside the graph instead. Activations in 16- or 32-bit floats are left as
they are: the model runs in fp32.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import ModelProto, NodeProto, TensorProto, helper, numpy_helper

from analysis.errors import AnalysisError
from analysis.quantizers import float_layout, uniform_grid
from vocabulary.formats import FormatKind
from workloads.graph import LayerGraph
from workloads.layers import Layer
from workloads.quant import TensorQuant

__all__ = ["INSTALL_HINT", "Observed", "Site", "calibration_inputs", "float_run", "locate", "quantized_run",
           "read_model"]

INSTALL_HINT = "pip install 'qcosim[activations]'"
_MIN_OPSET = 11  # Round and Clip with tensor bounds
_TINY = float(np.finfo(np.float32).tiny)


@dataclass(frozen=True)
class Site:
    """Where a layer sits in the ONNX graph: its node, its weight tensor and its input activation."""

    node_index: int
    """Position of the layer's node in ``model.graph.node``."""
    weight: str
    """Name of the weight initializer (or Constant output)."""
    activation: str
    """Name of the input activation the layer reads."""


@dataclass(frozen=True)
class Observed:
    """An activation as the float run saw it: its range over all samples and its rank."""

    low: float
    """Smallest value."""
    high: float
    """Largest value."""
    rank: int
    """Number of dimensions (batch included)."""
    density: float = 1.0
    """Fraction of its values that are non-zero (`analysis.density`)."""


def _onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise AnalysisError(f"activation sensitivity needs onnxruntime: {INSTALL_HINT}") from None
    return onnxruntime


def read_model(path: str | Path) -> ModelProto:
    """The ONNX model with its weights, checked for an opset the fake-quant stage can use (and onnxruntime)."""
    _onnxruntime()
    path = Path(path)
    if not path.is_file():
        raise AnalysisError("no such file", str(path))
    try:
        model = onnx.load_model(path)
    except Exception as exc:  # protobuf and onnx parse errors share no base class
        raise AnalysisError(f"cannot read the ONNX model ({type(exc).__name__})", str(path)) from exc
    opset = _opset(model)
    if opset < _MIN_OPSET:
        raise AnalysisError(f"activation sensitivity needs ONNX opset >= {_MIN_OPSET} (model has {opset}); "
                            "upgrade it with onnx.version_converter", str(path))
    return model


def _opset(model: ModelProto) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)


def _real_inputs(model: ModelProto) -> list[onnx.ValueInfoProto]:
    weights = {t.name for t in model.graph.initializer}
    return [vi for vi in model.graph.input if vi.name not in weights]


def _rows(vi: onnx.ValueInfoProto, samples: int) -> int:
    """Samples per run: ``samples``, or the model's own batch size when axis 0 is fixed."""
    dims = vi.type.tensor_type.shape.dim
    return dims[0].dim_value if dims and dims[0].HasField("dim_value") and dims[0].dim_value > 0 else samples


def _input_shape(vi: onnx.ValueInfoProto, graph: LayerGraph, samples: int) -> tuple[int, ...]:
    """A concrete shape for a synthetic input: declared dims, the graph's import shapes, the batch."""
    loaded = next((t.shape for t in graph.inputs.values() if t.name == vi.name), None)
    dims = []
    for axis, dim in enumerate(vi.type.tensor_type.shape.dim):
        if axis == 0:
            dims.append(_rows(vi, samples))
        elif dim.HasField("dim_value") and dim.dim_value > 0:
            dims.append(dim.dim_value)
        elif loaded is not None and axis < len(loaded):
            dims.append(loaded[axis])
        else:
            raise AnalysisError(f"input {vi.name!r} has a symbolic dimension {axis}; load the graph with "
                                "input_shapes, or give a calibration file", graph.name)
    return tuple(dims)


def calibration_inputs(model: ModelProto, graph: LayerGraph, calibration: str | Path | None,
                       samples: int, seed: int) -> tuple[dict[str, np.ndarray], str]:
    """Model inputs for the runs, and a label saying where they come from.

    Without a file the inputs are synthetic: float inputs standard normal
    (``numpy.random.default_rng(seed)``), integer inputs all ones, ``samples``
    rows along axis 0. A file is an ``.npz`` with one array per model input,
    named after it, rows along axis 0; the first ``samples`` rows are used.
    A model whose batch axis is fixed runs that many rows instead.
    """
    if samples < 1:
        raise AnalysisError(f"samples must be >= 1 (got {samples})")
    inputs = _real_inputs(model)
    if calibration is None:
        rng = np.random.default_rng(seed)
        feeds = {}
        for vi in inputs:
            dtype = helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type)
            shape = _input_shape(vi, graph, samples)
            feeds[vi.name] = (rng.standard_normal(shape).astype(dtype) if np.issubdtype(dtype, np.floating)
                              else np.ones(shape, dtype))
        return feeds, f"synthetic inputs: N(0, 1), seed {seed}"
    return _read_npz(Path(calibration), inputs, samples), f"calibration file {calibration}"


def _read_npz(path: Path, inputs: list[onnx.ValueInfoProto], samples: int) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise AnalysisError("no such file", str(path))
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except Exception as exc:  # zipfile, numpy format and pickle errors share no base class
        raise AnalysisError(f"not an .npz file of arrays ({type(exc).__name__})", str(path)) from exc
    names = ", ".join(repr(vi.name) for vi in inputs)
    for name in arrays:
        if name not in {vi.name for vi in inputs}:
            raise AnalysisError(f"array {name!r} is not a model input (inputs: {names})", str(path))
    feeds = {}
    for vi in inputs:
        if vi.name not in arrays:
            raise AnalysisError(f"no array named {vi.name!r} (model inputs: {names})", str(path))
        array = arrays[vi.name]
        rank = len(vi.type.tensor_type.shape.dim)
        if array.ndim != rank or len(array) == 0:
            raise AnalysisError(f"array {vi.name!r} has shape {array.shape}; input {vi.name!r} needs "
                                f"{rank} dimensions and at least one row", str(path))
        dtype = helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type)
        feeds[vi.name] = array[:_rows(vi, samples)].astype(dtype)
    return feeds


def locate(model: ModelProto, layer: Layer) -> Site:
    """The node of ``layer`` (the node reading its weight tensor; by name when several do)."""
    weight = layer.weight_tensor
    readers = [(i, node) for i, node in enumerate(model.graph.node) if weight and weight in node.input]
    if not readers:
        raise AnalysisError(f"layer {layer.name!r}: no node of the model reads its weight {weight!r}; "
                            "was the graph loaded from this model?")
    index, node = next(((i, n) for i, n in readers if n.name == layer.name), readers[0])
    data = [v for v in node.input[:2] if v and v != weight]
    if not data:
        raise AnalysisError(f"layer {layer.name!r}: node {node.name or node.op_type!r} has no activation input")
    return Site(index, weight, data[0])


def _session(model: ModelProto):
    ort = _onnxruntime()
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def float_run(model: ModelProto, feeds: Mapping[str, np.ndarray],
              activations: list[str]) -> tuple[np.ndarray, dict[str, Observed]]:
    """The float model's first output, and the range and rank of every named activation over the run."""
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    outputs = {o.name for o in probe.graph.output}
    extra = [a for a in dict.fromkeys(activations) if a not in outputs and a not in feeds]
    probe.graph.output.extend(helper.make_tensor_value_info(a, TensorProto.FLOAT, None) for a in extra)
    first = probe.graph.output[0].name
    try:
        values = dict(zip([first, *extra], _session(probe).run([first, *extra], dict(feeds)), strict=True))
    except AnalysisError:
        raise
    except Exception as exc:  # onnxruntime's errors share no public base class
        raise AnalysisError(f"onnxruntime cannot run the float model: {str(exc).splitlines()[0]}") from exc
    values.update(feeds)
    seen = {a: Observed(float(np.min(values[a])), float(np.max(values[a])), np.ndim(values[a]),
                        np.count_nonzero(values[a]) / max(np.size(values[a]), 1))
            for a in activations}
    return np.asarray(values[first], dtype=np.float64), seen


def quantized_run(model: ModelProto, feeds: Mapping[str, np.ndarray], site: Site, weights: np.ndarray,
                  act: TensorQuant, seen: Observed) -> np.ndarray:
    """The first output with ``site``'s weights replaced and its input activation fake-quantized."""
    edited = onnx.ModelProto()
    edited.CopyFrom(model)
    _replace_weight(edited, site.weight, weights)
    if act.format.needs_scale:
        stage = _Stage(f"qcosim_fq{site.node_index}_", _opset(edited))
        out = stage.fake_quant(site.activation, act, seen)
        nodes = list(edited.graph.node)
        node = nodes[site.node_index]
        node.input[list(node.input).index(site.activation)] = out
        del edited.graph.node[:]
        edited.graph.node.extend([*nodes[:site.node_index], *stage.nodes, *nodes[site.node_index:]])
        edited.graph.initializer.extend(stage.constants)
    first = edited.graph.output[0].name
    try:
        return np.asarray(_session(edited).run([first], dict(feeds))[0], dtype=np.float64)
    except AnalysisError:
        raise
    except Exception as exc:  # onnxruntime's errors share no public base class
        node = model.graph.node[site.node_index]
        raise AnalysisError(f"onnxruntime cannot run the model with node {node.name or node.op_type!r} "
                            f"quantized: {str(exc).splitlines()[0]}") from exc


def _replace_weight(model: ModelProto, name: str, values: np.ndarray) -> None:
    for tensor in model.graph.initializer:
        if tensor.name == name:
            dtype = helper.tensor_dtype_to_np_dtype(tensor.data_type)
            tensor.CopyFrom(numpy_helper.from_array(values.reshape(tuple(tensor.dims)).astype(dtype), name))
            return
    for node in model.graph.node:
        if node.op_type == "Constant" and node.output[0] == name:
            dtype = helper.tensor_dtype_to_np_dtype(node.attribute[0].t.data_type)
            node.attribute[0].t.CopyFrom(numpy_helper.from_array(values.astype(dtype), name))
            return
    raise AnalysisError(f"weight {name!r} is neither an initializer nor a Constant of the model")


class _Stage:
    """Builds the ONNX nodes of one quantize-dequantize stage (names prefixed, constants float32)."""

    def __init__(self, prefix: str, opset: int) -> None:
        self.prefix, self.opset = prefix, opset
        self.nodes: list[NodeProto] = []
        self.constants: list[TensorProto] = []

    def const(self, value) -> str:
        name = f"{self.prefix}c{len(self.constants)}"
        self.constants.append(numpy_helper.from_array(np.asarray(value, dtype=np.float32), name))
        return name

    def op(self, op_type: str, *inputs: str, **attrs) -> str:
        name = f"{self.prefix}t{len(self.nodes)}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [name], **attrs))
        return name

    def reduce(self, op_type: str, x: str, rank: int) -> str:
        """Per-sample reduction over every axis but the batch, kept for broadcasting."""
        axes = list(range(1, rank))
        if self.opset >= 18:  # axes moved from attribute to input
            name = f"{self.prefix}axes"
            self.constants.append(numpy_helper.from_array(np.asarray(axes, dtype=np.int64), name))
            return self.op(op_type, x, name, keepdims=1)
        return self.op(op_type, x, axes=axes, keepdims=1)

    def fake_quant(self, x: str, tq: TensorQuant, seen: Observed) -> str:
        """The name of ``x`` quantized at ``tq`` and dequantized (ranges from ``seen`` unless dynamic)."""
        kind = tq.format.kind
        if kind in (FormatKind.INT, FormatKind.UINT):
            return self._integer(x, tq, seen)
        if kind is FormatKind.FLOAT:
            return self._fp8(x, tq, seen)
        raise AnalysisError(f"{tq.format.name} activations are not simulated (integer and float formats are)")

    def _integer(self, x: str, tq: TensorQuant, seen: Observed) -> str:
        scale, zero, low, high = uniform_grid(np.array([seen.low]), np.array([seen.high]), tq)
        rank = seen.rank
        if not tq.dynamic:
            s, z = self.const(max(float(scale[0]), _TINY)), self.const(float(zero[0]))
        elif tq.symmetric and tq.format.kind is FormatKind.INT:
            top = self.reduce("ReduceMax", self.op("Abs", x), rank)
            s, z = self.op("Max", self.op("Div", top, self.const(high)), self.const(_TINY)), self.const(0.0)
        else:
            hi = self.op("Max", self.reduce("ReduceMax", x, rank), self.const(0.0))
            lo = (self.const(0.0) if tq.symmetric  # unsigned, zero point 0
                  else self.op("Min", self.reduce("ReduceMin", x, rank), self.const(0.0)))
            width = self.op("Sub", hi, lo)
            s = self.op("Max", self.op("Div", width, self.const(high - low)), self.const(_TINY))
            z = self.op("Round", self.op("Div", self.op("Neg", lo), s))
        code = self.op("Add", self.op("Round", self.op("Div", x, s)), z)
        code = self.op("Clip", code, self.const(low), self.const(high))
        return self.op("Mul", self.op("Sub", code, z), s)

    def _fp8(self, x: str, tq: TensorQuant, seen: Observed) -> str:
        mantissa_bits, min_exponent, largest = float_layout(tq.format)
        if tq.dynamic:
            top = self.reduce("ReduceMax", self.op("Abs", x), seen.rank)
            s = self.op("Max", self.op("Div", top, self.const(largest)), self.const(_TINY))
        else:
            s = self.const(max(max(abs(seen.low), abs(seen.high)) / largest, _TINY))
        y = self.op("Div", x, s)
        magnitude = self.op("Max", self.op("Abs", y), self.const(_TINY))
        exponent = self.op("Floor", self.op("Div", self.op("Log", magnitude), self.const(math.log(2.0))))
        exponent = self.op("Max", exponent, self.const(min_exponent))
        step = self.op("Pow", self.const(2.0), self.op("Sub", exponent, self.const(mantissa_bits)))
        grid = self.op("Mul", self.op("Round", self.op("Div", y, step)), step)
        return self.op("Mul", self.op("Clip", grid, self.const(-largest), self.const(largest)), s)
