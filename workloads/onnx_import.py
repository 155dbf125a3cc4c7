"""Read an ONNX model into a `LayerGraph`: shapes inferred, weights left on disk.

Like reading a netlist out of a GDS file: the importer keeps the cells (the
operators that cost time and energy) and the wires between them, and reads
the layout data itself (the weight values) only when someone asks for it.
Constant subgraphs (initializers, Constant, ConstantOfShape, shape arithmetic)
are weights, not layers; Quantize/DequantizeLinear nodes are folded into the
`QuantSpec` of the layers they feed. Operator handlers live in
`workloads.onnx_ops`.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import ModelProto, NodeProto, numpy_helper

from workloads.errors import WorkloadError
from workloads.graph import LayerGraph, Tensor
from workloads.layers import MAC_OPS, Layer
from workloads.onnx_checks import check_onnx_structure
from workloads.onnx_ops import FOLDED_OPS, OP_HANDLERS, GraphFacts, NodeContext, data_movement
from workloads.onnx_quant import quant_spec

__all__ = ["load_onnx"]

_DEFAULT_DOMAINS = ("", "ai.onnx")


def load_onnx(
    path: str | Path,
    *,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    name: str | None = None,
) -> LayerGraph:
    """Import an ONNX model as a layer graph.

    Parameters
    ----------
    path : str or Path
        The ``.onnx`` file. External weight data stays on disk until
        `LayerGraph.weights` asks for it.
    input_shapes : mapping of str to sequence of int, optional
        Concrete shapes for graph inputs, e.g. ``{"input_ids": (1, 128)}``;
        needed for inputs with symbolic or unknown dimensions, and allowed for
        any real input (to change the batch size, say).
    name : str, optional
        The network's name (default: the file name without suffix).

    Returns
    -------
    LayerGraph
        One layer per costed operator, activation tensors on the edges, and a
        lazy weight source keyed by ``Layer.weight_tensor``.

    Raises
    ------
    WorkloadError
        Missing, unreadable, truncated or empty file; a graph input with a
        symbolic dimension and no entry in ``input_shapes``; an
        ``input_shapes`` key that is not a graph input; a node whose shapes
        cannot be inferred.

    Warns
    -----
    UserWarning
        Once, naming the op types without a cost model (imported as zero-MAC
        data movement) and layers whose output shape had to be guessed.

    Examples
    --------
    >>> import onnx, pathlib
    >>> zoo = pathlib.Path(onnx.__file__).parent / "backend/test/data/light"
    >>> g = load_onnx(zoo / "light_resnet50.onnx")
    >>> g.totals()["macs"]
    4089184256
    """
    path = Path(path)
    source = str(path)
    model = _read_model(path, source)
    check_onnx_structure(model, source)
    real_inputs = _real_inputs(model)
    _set_input_shapes(real_inputs, input_shapes or {}, source)
    _check_static_inputs(real_inputs, source)
    try:
        model = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception as exc:  # onnx raises several unrelated types here
        raise WorkloadError(f"shape inference failed: {_one_line(exc)}", source) from exc
    evaluator = _ConstantEvaluator(model, path.parent, source)
    facts = _analyse(model, source, evaluator)
    layers, edges, inputs, notes = _build(model, facts, {i.name for i in real_inputs})
    if not layers:
        raise WorkloadError("the graph has no operators that depend on its inputs", source)
    if notes:
        warnings.warn(f"{source}: {'; '.join(notes)}", UserWarning, stacklevel=2)
    return LayerGraph(layers, edges, name=name or path.stem, inputs=inputs,
                      weight_source=_OnnxWeightSource(path))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _read_model(path: Path, source: str) -> ModelProto:
    """The model's structure, without external weight data."""
    if path.is_dir():
        raise WorkloadError("is a directory, not an ONNX file", source)
    if not path.is_file():
        raise WorkloadError("no such file", source)
    try:
        model = onnx.load_model(path, load_external_data=False)
    except OSError as exc:
        raise WorkloadError(f"cannot read file ({exc.strerror or _one_line(exc)})", source) from exc
    except Exception as exc:  # protobuf's DecodeError and onnx's parse errors share no base
        with path.open("rb") as handle:
            starts_like_onnx = handle.read(1) == b"\x08"  # field 1 (ir_version), varint
        reason = "truncated or corrupt ONNX file" if starts_like_onnx else "not an ONNX file"
        raise WorkloadError(f"{reason} (protobuf parse failed)", source) from exc
    if model.ir_version <= 0 or not model.HasField("graph"):
        raise WorkloadError("not an ONNX file (no IR version or graph)", source)
    if not model.graph.node:
        raise WorkloadError("the ONNX graph has no nodes", source)
    return model


def _real_inputs(model: ModelProto) -> list[onnx.ValueInfoProto]:
    """Graph inputs that are not initializers (old IR lists weights as inputs too)."""
    weights = {t.name for t in model.graph.initializer}
    weights |= {t.values.name for t in model.graph.sparse_initializer}
    return [vi for vi in model.graph.input if vi.name not in weights]


def _set_input_shapes(real_inputs, input_shapes: Mapping[str, Sequence[int]], source: str) -> None:
    """Write the user's shapes into the input declarations, before shape inference."""
    by_name = {vi.name: vi for vi in real_inputs}
    for key, dims in input_shapes.items():
        if key not in by_name:
            known = ", ".join(repr(n) for n in by_name) or "none"
            raise WorkloadError(f"input_shapes names {key!r}, which is not a graph input (inputs: {known})",
                                source)
        try:
            dims = tuple(int(d) for d in dims)
        except (TypeError, ValueError):
            dims = (0,)
        if any(d < 1 for d in dims):
            raise WorkloadError(f"input_shapes[{key!r}] must be positive integers (got {dims})", source)
        tensor = by_name[key].type.tensor_type
        declared = len(tensor.shape.dim)
        if tensor.HasField("shape") and declared and declared != len(dims):
            raise WorkloadError(f"input_shapes[{key!r}] has {len(dims)} dimensions but input {key!r} "
                                f"has {declared}", source)
        tensor.shape.ClearField("dim")
        for d in dims:
            tensor.shape.dim.add().dim_value = d


def _check_static_inputs(real_inputs, source: str) -> None:
    """Every real input needs concrete dimensions; name the first that has none."""
    for vi in real_inputs:
        if not vi.type.HasField("tensor_type"):
            continue
        tensor, name = vi.type.tensor_type, vi.name
        if not tensor.HasField("shape"):
            raise WorkloadError(f"input {name!r} has no declared shape; pass --input-shape "
                                f"{name}=<comma-separated dims>", source)
        for axis, dim in enumerate(tensor.shape.dim):
            if dim.HasField("dim_value") and dim.dim_value > 0:
                continue
            what = f"symbolic dimension {dim.dim_param!r}" if dim.dim_param else f"unknown dimension {axis}"
            hint = ",".join(str(d.dim_value) if d.dim_value > 0 else "1" for d in tensor.shape.dim)
            raise WorkloadError(f"input {name!r} has {what}; pass --input-shape {name}={hint}", source)


def _value_types(model: ModelProto) -> tuple[dict, dict[str, int]]:
    """Shapes (None for unknown dims) and element types of every typed value."""
    shapes: dict[str, tuple[int | None, ...] | None] = {}
    dtypes: dict[str, int] = {}
    g = model.graph
    for vi in (*g.input, *g.value_info, *g.output):
        if not vi.type.HasField("tensor_type"):
            continue
        tensor = vi.type.tensor_type
        dtypes[vi.name] = tensor.elem_type
        shapes[vi.name] = (
            tuple(d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim)
            if tensor.HasField("shape") else None
        )
    for t in g.initializer:
        shapes[t.name], dtypes[t.name] = tuple(t.dims), t.data_type
    for sparse in g.sparse_initializer:
        shapes[sparse.values.name], dtypes[sparse.values.name] = tuple(sparse.dims), sparse.values.data_type
    return shapes, dtypes


def _analyse(model: ModelProto, source: str, evaluator: _ConstantEvaluator) -> GraphFacts:
    """Classify every value: constant, folded Q/DQ alias, run-time scalar, or activation."""
    g = model.graph
    shapes, dtypes = _value_types(model)
    constants = {t.name for t in g.initializer} | {t.values.name for t in g.sparse_initializer}
    facts = GraphFacts(source=source, shapes=shapes, dtypes=dtypes, constants=constants, side_values=set(),
                       alias={}, producer={}, consumers=defaultdict(list), evaluate=evaluator.maybe)
    for node in g.node:
        inputs = [v for v in node.input if v]
        for v in inputs:
            facts.consumers[v].append(node)
        for v in node.output:
            if v:
                facts.producer[v] = node
        if all(v in constants for v in inputs):
            constants.update(v for v in node.output if v)
        elif all(facts.is_static(v) for v in inputs):  # arithmetic on run-time scales
            facts.side_values.update(v for v in node.output if v)
        elif node.op_type in ("Shape", "Size") and inputs and facts.static_shape(inputs[0]) is not None:
            constants.update(v for v in node.output if v)  # shape arithmetic on known shapes
        elif node.op_type in FOLDED_OPS and node.domain in _DEFAULT_DOMAINS:
            facts.alias[node.output[0]] = node.input[0]
            facts.side_values.update(v for v in node.output[1:] if v)
    return facts


def _build(model: ModelProto, facts: GraphFacts, real_inputs: set[str]):
    """Layers, edges and graph inputs, in node order (ONNX graphs are topologically sorted)."""
    layers: list[Layer] = []
    wiring = _Wiring(facts, real_inputs)
    names: set[str] = set()
    unknown: set[str] = set()
    guessed: list[str] = []
    for index, node in enumerate(model.graph.node):
        if _is_folded(node, facts):
            continue
        name = _unique_name(node, index, names)
        names.add(name)
        out_shape, was_guessed = _output_shape(node, facts)
        if was_guessed:
            guessed.append(name)
        ctx = NodeContext(facts, node, name, out_shape)
        default_domain = node.domain in _DEFAULT_DOMAINS
        handler = OP_HANDLERS.get(node.op_type) if default_domain else None
        if handler is None:
            unknown.add(node.op_type if default_domain else f"{node.domain}.{node.op_type}")
        layers.append(_make_layer(ctx, handler or data_movement))
        wiring.connect(ctx)
        facts.resolved[node.output[0]] = out_shape
    notes = []
    if unknown:
        notes.append(f"no cost model for {', '.join(sorted(unknown))}; imported as zero-MAC data movement")
    if guessed:
        notes.append(f"output shape unknown for {', '.join(guessed)}; assumed equal to the first input's")
    return layers, [(u, v, t) for (u, v), t in wiring.edges.items()], wiring.inputs, notes


class _Wiring:
    """Edges and graph-input entries, collected as layers appear in node order."""

    def __init__(self, facts: GraphFacts, real_inputs: set[str]) -> None:
        self._facts, self._real_inputs = facts, real_inputs
        self.writer: dict[str, str] = {}  # value -> layer that writes it
        self.edges: dict[tuple[str, str], Tensor] = {}
        self.inputs: dict[str, Tensor] = {}
        self._placed: set[str] = set()

    def connect(self, ctx: NodeContext) -> None:
        """Wire the layer of ``ctx`` to the layers (or graph inputs) it reads."""
        for value in ctx.dynamic_inputs:
            root = self._facts.root(value)
            tensor = Tensor(name=root, shape=ctx.shape(root))
            if root in self.writer:
                self.edges.setdefault((self.writer[root], ctx.name), tensor)
            elif root in self._real_inputs:
                # LayerGraph.inputs is keyed by layer: a layer reading two graph inputs keeps the
                # first, and the other goes to its next reader.
                if root not in self._placed and ctx.name not in self.inputs:
                    self.inputs[ctx.name] = tensor
                    self._placed.add(root)
            else:
                raise ctx.error(f"reads {value!r}, which no earlier node writes "
                                "(graph not topologically sorted)")
        self.writer.update({v: ctx.name for v in ctx.node.output if v})


def _is_folded(node: NodeProto, facts: GraphFacts) -> bool:
    """True for nodes that are no layer: constant producers and Q/DQ boundaries."""
    outputs = [v for v in node.output if v]
    return all(facts.is_static(v) for v in outputs) or node.output[0] in facts.alias


def _unique_name(node: NodeProto, index: int, taken: set[str]) -> str:
    name = node.name or f"{node.op_type}_{index}"
    while name in taken:
        name = f"{name}_{index}"
    return name


def _output_shape(node: NodeProto, facts: GraphFacts) -> tuple[tuple[int, ...], bool]:
    """Shape of output 0; when inference left it open, the first activation input's."""
    shape = facts.static_shape(node.output[0])
    if shape is not None:
        return shape, False
    for value in node.input:
        if value and not facts.is_static(value):
            fallback = facts.static_shape(value)
            if fallback is not None:
                return fallback, True
    raise WorkloadError(f"node {node.name or node.op_type!r} ({node.op_type}): the shape of "
                        f"{node.output[0]!r} is unknown after shape inference", facts.source)


def _make_layer(ctx: NodeContext, handler) -> Layer:
    """The layer of one node, or a one-line error naming the node."""
    try:
        fields = handler(ctx)
        quant = quant_spec(ctx) if fields["op"] in MAC_OPS else None
        return Layer(name=ctx.name, source_op=ctx.node.op_type, quant=quant, **fields)
    except WorkloadError:
        raise
    except ValueError as exc:  # pydantic's ValidationError: shapes the loop nest rejects
        reason = exc.errors()[0]["msg"] if hasattr(exc, "errors") else _one_line(exc)
        raise ctx.error(reason.removeprefix("Value error, ")) from None
    except (IndexError, KeyError, TypeError, ZeroDivisionError) as exc:  # a malformed node
        raise ctx.error(f"malformed node ({type(exc).__name__}: {_one_line(exc)})") from exc


class _ConstantEvaluator:
    """Computes constant values on demand: initializers, Constant, ConstantOfShape, folded nodes."""

    def __init__(self, model: ModelProto, base_dir: Path, source: str) -> None:
        g = model.graph
        self._tensors = {t.name: t for t in g.initializer}
        self._nodes = {v: node for node in g.node for v in node.output if v}
        self._opsets = list(model.opset_import)
        self._base_dir, self._source = str(base_dir), source
        self._cache: dict[str, np.ndarray] = {}

    def __call__(self, name: str) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = self._compute(name)
        return self._cache[name]

    def maybe(self, name: str) -> np.ndarray | None:
        """The value, or None when it cannot be computed (missing external data, custom op)."""
        try:
            return self(name)
        except WorkloadError:
            return None

    def _compute(self, name: str) -> np.ndarray:
        if name in self._tensors:
            try:
                return numpy_helper.to_array(self._tensors[name], self._base_dir)
            except Exception as exc:  # missing or unreadable external data file
                raise WorkloadError(f"cannot load tensor {name!r}: {_one_line(exc)}", self._source) from exc
        node = self._nodes.get(name)
        if node is None:
            raise WorkloadError(f"no constant tensor named {name!r}", self._source)
        if node.op_type == "ConstantOfShape":
            value = next((numpy_helper.to_array(a.t) for a in node.attribute if a.name == "value"),
                         np.zeros(1, np.float32))
            dims = tuple(int(d) for d in self(node.input[0]))
            return np.full(dims, value.reshape(-1)[0], dtype=value.dtype)
        return self._run(node, name)

    def _run(self, node: NodeProto, name: str) -> np.ndarray:
        """Evaluate one constant node with onnx's reference runtime, at the model's opsets."""
        from onnx.reference import ReferenceEvaluator  # slow to import; rarely needed

        feeds = {v: self(v) for v in node.input if v}
        typed = [onnx.helper.make_tensor_value_info(v, onnx.helper.np_dtype_to_tensor_dtype(a.dtype), None)
                 for v, a in feeds.items()]
        outs = [onnx.helper.make_tensor_value_info(v, onnx.TensorProto.UNDEFINED, None) for v in node.output]
        graph = onnx.helper.make_graph([node], "constant", typed, outs)
        try:
            run = ReferenceEvaluator(onnx.helper.make_model(graph, opset_imports=self._opsets))
            return np.asarray(run.run([name], feeds)[0])
        except Exception as exc:  # the reference runtime raises whatever the op raises
            raise WorkloadError(f"cannot compute constant {name!r} ({node.op_type}): {_one_line(exc)}",
                                self._source) from exc


class _OnnxWeightSource:
    """`WeightSource` over an ONNX file: read at the first request, arrays cached per graph."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._evaluator: _ConstantEvaluator | None = None

    def __call__(self, name: str) -> np.ndarray:
        if self._evaluator is None:
            source = str(self._path)
            self._evaluator = _ConstantEvaluator(_read_model(self._path, source), self._path.parent, source)
        return self._evaluator(name)

    def __getstate__(self) -> dict:
        return {"_path": self._path, "_evaluator": None}  # pickles as a path, not as arrays

    def __repr__(self) -> str:
        return f"_OnnxWeightSource({str(self._path)!r})"
