"""Read an ONNX model into a `LayerGraph`: shapes computed, weights left on disk.

Like reading a netlist out of a GDS file: the importer keeps the cells (the
operators that cost time and energy) and the wires between them, and reads
the layout data itself (the weight values) only when someone asks for it.
Constant subgraphs (initializers, Constant, ConstantOfShape, shape arithmetic)
are weights, not layers; Quantize/DequantizeLinear nodes are folded into the
`QuantSpec` of the layers they feed. Shapes come from `workloads.onnx_shapes`,
operator handlers from `workloads.onnx_ops` (onnxruntime's contrib operators
through `workloads.onnx_contrib`), declared precisions from `workloads.onnx_quant`.
"""

from __future__ import annotations

import math
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
from workloads.onnx_contrib import QUANT_DOMAINS, handler_for
from workloads.onnx_inputs import batch_shapes, input_shapes_of
from workloads.onnx_ops import FOLDED_OPS, GraphFacts, NodeContext, data_movement
from workloads.onnx_quant import quant_spec, vector_quant_spec
from workloads.onnx_shapes import MAX_EVALUATED_ELEMENTS, ValueTable, evaluate_shapes, run_node

__all__ = ["batch_input_shapes", "load_onnx"]

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
        ``input_shapes`` key that is not a graph input; a node whose output
        shape cannot be computed at import, or whose operands disagree; a
        cycle or a value no node produces; a tensor too large to be real.

    Warns
    -----
    UserWarning
        Once, naming the op types without a cost model (imported as zero-MAC
        data movement). No shape is ever guessed: see `workloads.onnx_shapes`.

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
    shapes = input_shapes_of(model, input_shapes or {}, source)
    table, evaluator = _walk(model, path, shapes)
    facts = _analyse(table, source, evaluator)
    layers, edges, inputs, notes = _build(table, facts, set(shapes))
    if not layers:
        raise WorkloadError("the graph has no operators that depend on its inputs", source)
    for note in notes:
        warnings.warn(f"{source}: {note}", UserWarning, stacklevel=2)
    return LayerGraph(layers, edges, name=name or path.stem, inputs=inputs,
                      weight_source=_OnnxWeightSource(path, shapes))


def batch_input_shapes(
    path: str | Path, batch: int, input_shapes: Mapping[str, Sequence[int]] | None = None,
) -> dict[str, tuple[int, ...]]:
    """Input shapes that run ``batch`` items through a model exported for one (``--batch``).

    See `workloads.onnx_inputs.batch_shapes`.
    """
    source = str(path)
    return batch_shapes(_read_model(Path(path), source), batch, input_shapes, source)


def _walk(model: ModelProto, path: Path, shapes: Mapping[str, tuple[int, ...]]):
    """Every value's shape (`workloads.onnx_shapes`) and an evaluator for the constants."""
    source = str(path)
    loader = _InitializerLoader(model, path.parent, source)
    table = evaluate_shapes(model, source, shapes, loader.maybe)
    return table, _ConstantEvaluator(table, model.opset_import, loader, source)


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


def _analyse(table: ValueTable, source: str, evaluator: _ConstantEvaluator) -> GraphFacts:
    """Classify every value: constant, folded Q/DQ alias, run-time scalar, or activation."""
    facts = GraphFacts(source=source, shapes=table.shapes, dtypes=table.dtypes, constants=set(table.constants),
                       side_values=set(), alias={}, producer={}, consumers=defaultdict(list),
                       evaluate=evaluator.maybe)
    for node in table.nodes:
        inputs = [v for v in node.input if v]
        for v in inputs:
            facts.consumers[v].append(node)
        for v in node.output:
            if v:
                facts.producer[v] = node
        if all(v in facts.constants for v in node.output if v):
            continue
        if inputs and all(facts.is_static(v) for v in inputs):  # arithmetic on run-time scales
            facts.side_values.update(v for v in node.output if v)
        elif node.op_type in FOLDED_OPS and node.domain in QUANT_DOMAINS:
            facts.alias[node.output[0]] = node.input[0]
            facts.side_values.update(v for v in node.output[1:] if v)
    return facts


def _build(table: ValueTable, facts: GraphFacts, real_inputs: set[str]):
    """Layers, edges and graph inputs, in execution order."""
    layers: list[Layer] = []
    wiring = _Wiring(facts, real_inputs)
    names: set[str] = set()
    unknown: set[str] = set()
    for index, node in enumerate(table.nodes):
        if _is_folded(node, facts):
            continue
        name = _unique_name(node, index, names)
        names.add(name)
        first = next(v for v in node.output if v)  # a GRU may leave its Y unnamed and keep Y_h
        ctx = NodeContext(facts, node, name, facts.shapes[first])
        handler = handler_for(node)
        if handler is None:
            unknown.add(f"{node.domain}.{node.op_type}" if node.domain not in QUANT_DOMAINS[:2] else node.op_type)
        layers.append(_make_layer(ctx, handler or data_movement))
        wiring.connect(ctx)
    notes = []
    if unknown:
        notes.append(f"no cost model for {', '.join(sorted(unknown))}; imported as zero-MAC data movement")
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
                raise ctx.error(f"reads {value!r}, which no layer writes (only quantization nodes lead to it)")
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


def _make_layer(ctx: NodeContext, handler) -> Layer:
    """The layer of one node, or a one-line error naming the node."""
    try:
        fields = handler(ctx)
        quant = quant_spec(ctx) if fields["op"] in MAC_OPS else vector_quant_spec(ctx)
        return Layer(name=ctx.name, source_op=ctx.node.op_type, quant=quant, **fields)
    except WorkloadError:
        raise
    except ValueError as exc:  # pydantic's ValidationError: shapes the loop nest rejects
        reason = exc.errors()[0]["msg"] if hasattr(exc, "errors") else _one_line(exc)
        raise ctx.error(reason.removeprefix("Value error, ")) from None
    except (IndexError, KeyError, TypeError, ZeroDivisionError) as exc:  # a malformed node
        raise ctx.error(f"malformed node ({type(exc).__name__}: {_one_line(exc)})") from exc


class _InitializerLoader:
    """Reads initializer values from the file (and its external data), refusing huge ones."""

    def __init__(self, model: ModelProto, base_dir: Path, source: str) -> None:
        self._tensors = {t.name: t for t in model.graph.initializer}
        self._base_dir, self._source = str(base_dir), source

    def __contains__(self, name: str) -> bool:
        return name in self._tensors

    def __call__(self, name: str) -> np.ndarray:
        tensor = self._tensors[name]
        _check_evaluable(name, tuple(tensor.dims), self._source)
        try:
            return numpy_helper.to_array(tensor, self._base_dir)
        except Exception as exc:  # missing or unreadable external data file
            raise WorkloadError(f"cannot load tensor {name!r}: {_one_line(exc)}", self._source) from exc

    def maybe(self, name: str) -> np.ndarray | None:
        try:
            return self(name)
        except WorkloadError:
            return None


def _check_evaluable(name: str, shape: tuple[int, ...], source: str) -> None:
    elements = math.prod(shape)
    if elements > MAX_EVALUATED_ELEMENTS:
        raise WorkloadError(f"tensor {name!r} of shape {shape} has {elements} elements, more than the "
                            f"{MAX_EVALUATED_ELEMENTS} qcosim evaluates", source)


class _ConstantEvaluator:
    """Computes constant values on demand (weights behind DequantizeLinear, zero points), bounded in size."""

    def __init__(self, table: ValueTable, opsets, loader: _InitializerLoader, source: str) -> None:
        self._table, self._opsets, self._loader, self._source = table, list(opsets), loader, source
        self._nodes = {v: node for node in table.nodes for v in node.output if v}
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
        if name in self._table.values:
            return self._table.values[name]
        if name in self._loader:
            return self._loader(name)
        node = self._nodes.get(name)
        if node is None or name not in self._table.constants:
            raise WorkloadError(f"no constant tensor named {name!r}", self._source)
        _check_evaluable(name, self._table.shapes[name], self._source)
        feeds = {v: self(v) for v in node.input if v}
        try:
            outputs = run_node(node, feeds, self._opsets)
        except Exception as exc:  # the reference runtime raises whatever the op raises
            raise WorkloadError(f"cannot compute constant {name!r} ({node.op_type}): {_one_line(exc)}",
                                self._source) from exc
        return outputs[[v for v in node.output if v].index(name)]


class _OnnxWeightSource:
    """`WeightSource` over an ONNX file: read at the first request, arrays cached per graph."""

    def __init__(self, path: Path, input_shapes: Mapping[str, tuple[int, ...]]) -> None:
        self._path, self._input_shapes = path, dict(input_shapes)
        self._evaluator: _ConstantEvaluator | None = None

    def __call__(self, name: str) -> np.ndarray:
        if self._evaluator is None:
            self._evaluator = _walk(_read_model(self._path, str(self._path)), self._path, self._input_shapes)[1]
        return self._evaluator(name)

    def __getstate__(self) -> dict:
        return {"_path": self._path, "_input_shapes": self._input_shapes, "_evaluator": None}

    def __repr__(self) -> str:
        return f"_OnnxWeightSource({str(self._path)!r})"
