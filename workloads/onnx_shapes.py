"""The shape of every value of an ONNX graph, computed the way the graph computes it.

Like static timing analysis on a netlist: arrival times (here shapes) start
at the primary inputs and are propagated cell by cell in topological order,
each cell with its own rule. The rule of a standard ONNX operator is onnx's
own shape inference, run one node at a time with the *values* of every input
known at import (initializers, and whatever the graph computes from them and
from the shapes of its activations: Shape -> Gather -> Concat -> Reshape);
those small values are evaluated with onnx's reference evaluator. An ``If``
whose condition is known is replaced by the branch it takes. The operators
of onnxruntime's ``com.microsoft`` domain take the rule of their float
equivalent (`workloads.onnx_contrib`).

Nothing is assumed: a value whose shape cannot be computed is an error
naming its node and what would fix it. Sizes are bounded: a tensor of more
than `MAX_TENSOR_ELEMENTS` elements is refused, and no constant of more than
`MAX_EVALUATED_ELEMENTS` elements is ever computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import ModelProto, NodeProto, TensorProto, numpy_helper

from workloads.errors import WorkloadError
from workloads.onnx_contrib import contrib_equivalent, quantized_float_type

__all__ = ["MAX_EVALUATED_ELEMENTS", "MAX_TENSOR_ELEMENTS", "ValueTable", "evaluate_shapes", "run_node",
           "node_label"]

MAX_TENSOR_ELEMENTS = 2**50
"""Largest tensor a graph may declare or compute (about 10^15 elements; larger sizes are corrupt files)."""

MAX_EVALUATED_ELEMENTS = 2**27
"""Largest constant the importer computes (zero points, lazily read weights): 128 Mi elements."""

_FOLD_ELEMENTS = 2**16
"""Constants up to this size are evaluated during the walk: the shape arithmetic of exporters."""

_DATA_ELEMENTS = 4096
"""Constant operands up to this size are handed to onnx's shape rules (a Reshape's shape, a Resize's scales)."""

Shape = tuple[int, ...]
_DEFAULT_DOMAINS = ("", "ai.onnx")
_SUBGRAPH_OPS = frozenset({"If", "Loop", "Scan"})
_DATA_DEPENDENT = frozenset({"NonZero", "Unique", "Compress", "NonMaxSuppression", "TopK", "StringSplit"})


def node_label(node: NodeProto, index: int | None = None) -> str:
    """How errors name a node: ``'conv1' (Conv)``."""
    name = node.name or (f"{node.op_type}_{index}" if index is not None else node.output[0] if node.output
                         else node.op_type)
    return f"{name!r} ({node.op_type})"


@dataclass(frozen=True)
class ValueTable:
    """What the walk learnt: nodes in execution order, and every value's shape and type."""

    nodes: tuple[NodeProto, ...]
    """Topological order, with every ``If`` of known condition replaced by its branch's nodes."""
    shapes: Mapping[str, Shape]
    """Concrete shape of every value."""
    dtypes: Mapping[str, int]
    """ONNX element type of every value."""
    constants: frozenset[str]
    """Values computable at import (from initializers and shapes alone)."""
    values: Mapping[str, np.ndarray]
    """The known values of small constants."""


def run_node(node: NodeProto, feeds: Mapping[str, np.ndarray], opsets: Iterable) -> list[np.ndarray]:
    """Evaluate one node with onnx's reference runtime; raises whatever the operator raises."""
    from onnx.reference import ReferenceEvaluator  # slow to import; only needed for shape arithmetic

    typed = [onnx.helper.make_tensor_value_info(v, onnx.helper.np_dtype_to_tensor_dtype(a.dtype), None)
             for v, a in feeds.items()]
    outs = [onnx.helper.make_tensor_value_info(v, onnx.TensorProto.UNDEFINED, None) for v in node.output if v]
    graph = onnx.helper.make_graph([node], "constant", typed, outs)
    run = ReferenceEvaluator(onnx.helper.make_model(graph, opset_imports=list(opsets)))
    return [np.asarray(v) for v in run.run(None, dict(feeds))]


def evaluate_shapes(model: ModelProto, source: str, input_shapes: Mapping[str, Shape],
                    load: Callable[[str], np.ndarray | None]) -> ValueTable:
    """Walk the graph once and compute every value's shape.

    Parameters
    ----------
    model : ModelProto
        The model, without external weight data.
    source : str
        The file, for error messages.
    input_shapes : mapping of str to tuple of int
        Concrete shapes of the real graph inputs.
    load : callable
        Reads an initializer's value (None when its data is not available).

    Raises
    ------
    WorkloadError
        A value no node produces, a cycle, a node whose output shape depends on
        values only known at run time, inconsistent input shapes, a tensor over
        `MAX_TENSOR_ELEMENTS`.
    """
    walk = _Walk(model, source, load)
    for name, shape in input_shapes.items():
        walk.set(name, shape, walk.declared_dtype.get(name, onnx.TensorProto.FLOAT), constant=False)
    walk.run(model.graph.node)
    return ValueTable(tuple(walk.order), walk.shapes, walk.dtypes, frozenset(walk.constants), walk.values)


class _Walk:
    """State of one walk: shapes, types and values known so far."""

    def __init__(self, model: ModelProto, source: str, load: Callable[[str], np.ndarray | None]) -> None:
        self.source, self._load = source, load
        self.opsets = list(model.opset_import)
        self._versions = {o.domain or "": o.version for o in self.opsets}
        self.shapes: dict[str, Shape] = {}
        self.dtypes: dict[str, int] = {}
        self.values: dict[str, np.ndarray] = {}
        self.constants: set[str] = set()
        self.order: list[NodeProto] = []
        self._initializers = {t.name: t for t in model.graph.initializer}
        g = model.graph
        self._read = {o.name for o in g.output}
        for node in g.node:
            self._read |= {v for v in node.input if v} | _subgraph_reads(node)
        self.declared_dtype = {vi.name: vi.type.tensor_type.elem_type for vi in (*g.input, *g.value_info, *g.output)
                               if vi.type.HasField("tensor_type")}
        self.declared_shape = {vi.name: _declared(vi) for vi in (*g.value_info, *g.output)}
        for t in g.initializer:
            self.set(t.name, tuple(t.dims), t.data_type, constant=True)
        for sparse in g.sparse_initializer:
            self.set(sparse.values.name, tuple(sparse.dims), sparse.values.data_type, constant=True)

    def error(self, message: str) -> WorkloadError:
        return WorkloadError(message, self.source)

    def set(self, name: str, shape: Shape, dtype: int, *, constant: bool, value: np.ndarray | None = None) -> None:
        if any(d < 0 for d in shape):
            raise self.error(f"tensor {name!r} has a negative dimension {shape}")
        if math.prod(shape) > MAX_TENSOR_ELEMENTS:
            raise self.error(f"tensor {name!r} of shape {shape} has {math.prod(shape)} elements, more than "
                             f"the {MAX_TENSOR_ELEMENTS} qcosim accepts (a corrupt shape?)")
        self.shapes[name], self.dtypes[name] = tuple(int(d) for d in shape), dtype
        if constant:
            self.constants.add(name)
        if value is not None:
            self.values[name] = value

    def value(self, name: str) -> np.ndarray | None:
        """The value of a small constant, loading an initializer on first use."""
        if name not in self.values and name in self._initializers and math.prod(self.shapes[name]) <= _FOLD_ELEMENTS:
            loaded = self._load(name)
            if loaded is not None:
                self.values[name] = loaded
        return self.values.get(name)

    def run(self, nodes: Iterable[NodeProto]) -> None:
        for index, node in _topological(list(nodes), set(self.shapes), self.source):
            if node.op_type == "If" and node.domain in _DEFAULT_DOMAINS:
                self._inline_if(node, index)
            elif node.op_type in _SUBGRAPH_OPS and node.domain in _DEFAULT_DOMAINS:
                raise self.error(f"node {node_label(node, index)}: a {node.op_type} runs a subgraph a number "
                                 "of times known only at run time; qcosim cannot cost it")
            else:
                self._visit(node, index)

    def _inline_if(self, node: NodeProto, index: int) -> None:
        condition = self.value(node.input[0])
        if condition is None:
            raise self.error(f"node {node_label(node, index)}: the condition {node.input[0]!r} is computed at "
                             "run time, so the branch taken is unknown; export the model with the branch fixed")
        attrs = {a.name: a.g for a in node.attribute}
        branch = attrs["then_branch" if bool(np.asarray(condition).reshape(-1)[0]) else "else_branch"]
        rename = {out.name: target for out, target in zip(branch.output, node.output, strict=False)}
        inner = []
        for sub in branch.node:
            copy = NodeProto()
            copy.CopyFrom(sub)
            copy.input[:] = [rename.get(v, v) for v in sub.input]  # a branch output read inside the branch
            copy.output[:] = [rename.get(v, v) for v in sub.output]
            inner.append(copy)
        produced = {v for sub in branch.node for v in sub.output}
        for out, target in rename.items():
            if out not in produced:  # the branch hands back an outer value unchanged
                inner.append(onnx.helper.make_node("Identity", [out], [target], f"{node.name or target}/{out}"))
        for t in branch.initializer:
            small = math.prod(t.dims) <= _FOLD_ELEMENTS and t.data_location != TensorProto.EXTERNAL
            self.set(t.name, tuple(t.dims), t.data_type, constant=True, value=numpy_helper.to_array(t) if small else None)
        for sub in inner:
            self._read |= {v for v in sub.input if v} | _subgraph_reads(sub)
        self.run(inner)

    def _visit(self, node: NodeProto, index: int) -> None:
        inputs = [v for v in node.input if v]
        constant = all(v in self.constants for v in inputs) and not node.op_type.startswith("Random")
        self.order.append(node)
        if node.op_type == "Constant":
            self._constant(node, index)
            return
        if node.op_type in ("Shape", "Size") and inputs:
            self._shape_of(node, inputs[0])
            return
        outputs = self._infer(node, index)
        small = all(math.prod(shape) <= _FOLD_ELEMENTS for shape, _ in outputs.values() if shape is not None)
        known = [self.value(v) for v in inputs] if constant and small else []
        if constant and small and all(v is not None for v in known):
            self._fold(node, index, dict(zip(inputs, known, strict=True)), outputs)
            return
        if node.op_type == "Reshape" and outputs.get(node.output[0], (None,))[0] is not None:
            self._check_reshape(node, index, outputs[node.output[0]][0])
        for position, (name, (shape, dtype)) in enumerate(outputs.items()):
            if shape is None and position > 0 and name not in self._read:
                continue  # an optional output nothing reads (Dropout's mask)
            if shape is None:
                raise self.error(self._unknown_message(node, index, name))
            self.set(name, shape, dtype, constant=constant)

    def _check_reshape(self, node: NodeProto, index: int, shape: Shape) -> None:
        """onnx's rule keeps any target shape; a reshape must keep the element count."""
        before, after = math.prod(self.shapes[node.input[0]]), math.prod(shape)
        if before != after:
            raise self.error(f"node {node_label(node, index)}: reshapes {node.input[0]!r} of shape "
                             f"{self.shapes[node.input[0]]} ({before} elements) to {shape} ({after} elements); "
                             "an export that hard-codes the batch size cannot run another one")

    def _constant(self, node: NodeProto, index: int) -> None:
        if len(node.attribute) == 1 and node.attribute[0].name == "value":  # the common form, read directly
            tensor = node.attribute[0].t
            shape = tuple(tensor.dims)
            value = None
            if math.prod(shape) <= _FOLD_ELEMENTS and tensor.data_location != TensorProto.EXTERNAL:
                value = numpy_helper.to_array(tensor)
            self.set(node.output[0], shape, tensor.data_type, constant=True, value=value)
            return
        try:
            (array,) = run_node(node, {}, self.opsets)
        except Exception as exc:  # the reference runtime raises whatever the op raises
            raise self.error(f"node {node_label(node, index)}: {_one_line(exc)}") from exc
        self.set(node.output[0], array.shape, onnx.helper.np_dtype_to_tensor_dtype(array.dtype),
                 constant=True, value=array if array.size <= _FOLD_ELEMENTS else None)

    def _shape_of(self, node: NodeProto, value: str) -> None:
        shape = self.shapes[value]
        if node.op_type == "Size":
            array = np.array(math.prod(shape), np.int64)
        else:
            attrs = {a.name: a.i for a in node.attribute}
            start, end = attrs.get("start", 0), attrs.get("end", len(shape))
            array = np.array(shape[start:end], np.int64)
        self.set(node.output[0], array.shape, onnx.TensorProto.INT64, constant=True, value=array)

    def _fold(self, node: NodeProto, index: int, feeds: dict, outputs: dict) -> None:
        try:
            arrays = run_node(node, feeds, self.opsets)
        except Exception as exc:  # the reference runtime raises whatever the op raises
            if any(shape is None for shape, _ in outputs.values()):
                raise self.error(f"node {node_label(node, index)}: cannot evaluate its constant inputs: "
                                 f"{_one_line(exc)}") from exc
            for name, (shape, dtype) in outputs.items():  # the shapes are all that is needed
                self.set(name, shape, dtype, constant=True)
            return
        for name, array in zip([v for v in node.output if v], arrays, strict=False):
            dtype = outputs.get(name, (None, 0))[1] or onnx.helper.np_dtype_to_tensor_dtype(array.dtype)
            self.set(name, array.shape, dtype, constant=True, value=array)

    def _infer(self, node: NodeProto, index: int) -> dict[str, tuple[Shape | None, int]]:
        """Output shapes and types by onnx's rule for the node (or its float equivalent)."""
        label = node_label(node, index)
        equivalent = contrib_equivalent(node, self.dtypes)
        target = equivalent.node if equivalent else node
        try:
            schema = onnx.defs.get_schema(target.op_type, self._versions.get(target.domain or "", 1),
                                          target.domain)
        except onnx.defs.SchemaError:
            return self._declared_outputs(node, index)
        if equivalent:
            types = {v: onnx.helper.make_tensor_type_proto(
                TensorProto.FLOAT if v in equivalent.input_shapes else quantized_float_type(self.dtypes[v]),
                equivalent.input_shapes.get(v) or self.shapes[v]) for v in target.input if v}
        else:
            types = {v: onnx.helper.make_tensor_type_proto(self.dtypes[v], self.shapes[v])
                     for v in target.input if v}
        data = {v: numpy_helper.from_array(a, v) for v in target.input  # shape operands: small constants
                if v in self.constants and math.prod(self.shapes[v]) <= _DATA_ELEMENTS
                and (a := self.value(v)) is not None}
        try:
            inferred = onnx.shape_inference.infer_node_outputs(schema, target, types, data, opset_imports=self.opsets)
        except Exception as exc:  # onnx raises InferenceError and several others here
            raise self.error(f"node {label}: {_one_line(exc).removeprefix('[ShapeInferenceError] ')}") from exc
        outputs = {}
        for name in (v for v in target.output if v):
            tensor = inferred[name].tensor_type if name in inferred else None
            shape = None
            if tensor is not None and tensor.HasField("shape"):
                dims = tensor.shape.dim
                if all(d.HasField("dim_value") for d in dims):
                    shape = tuple(d.dim_value for d in dims)
            dtype = tensor.elem_type if tensor is not None else self.declared_dtype.get(name, 0)
            outputs[name] = (shape, dtype)
        if equivalent:
            outputs = {real: (outputs[proxy][0], equivalent.out_dtype or outputs[proxy][1])
                       for proxy, real in zip(target.output, node.output, strict=True) if real}
        return outputs

    def _declared_outputs(self, node: NodeProto, index: int) -> dict[str, tuple[Shape | None, int]]:
        """An operator onnx has no rule for: its outputs as the file declares them, or an error."""
        outputs = {}
        for name in (v for v in node.output if v):
            shape = self.declared_shape.get(name)
            if shape is None:
                domain = f"{node.domain}." if node.domain else ""
                raise self.error(f"node {node_label(node, index)}: no shape rule for {domain}{node.op_type} and "
                                 f"no declared shape for its output {name!r}; declare it in the graph's value_info")
            outputs[name] = (shape, self.declared_dtype.get(name, onnx.TensorProto.FLOAT))
        return outputs

    def _unknown_message(self, node: NodeProto, index: int, output: str) -> str:
        label = f"node {node_label(node, index)}"
        if node.op_type in _DATA_DEPENDENT:
            return f"{label}: the shape of {output!r} depends on the data at run time; qcosim cannot cost it"
        operands = node.input if node.op_type == "ConstantOfShape" else node.input[1:]  # skip the data input
        runtime = [v for v in operands if v and v not in self.constants]
        if runtime:
            return (f"{label}: the shape of {output!r} depends on the value of {runtime[0]!r}, which is computed "
                    "at run time; export the model with that input constant")
        return f"{label}: the shape of {output!r} cannot be computed from its inputs' shapes"


def _declared(vi: onnx.ValueInfoProto) -> Shape | None:
    tensor = vi.type.tensor_type
    if not vi.type.HasField("tensor_type") or not tensor.HasField("shape"):
        return None
    dims = tensor.shape.dim
    if not all(d.HasField("dim_value") and d.dim_value > 0 for d in dims):
        return None
    return tuple(d.dim_value for d in dims)


def _subgraph_reads(node: NodeProto) -> set[str]:
    """Outer values read by the subgraphs of ``node`` (an If's branches read them implicitly)."""
    reads: set[str] = set()
    for attr in node.attribute:
        for graph in (*([attr.g] if attr.HasField("g") else []), *attr.graphs):
            inner = {v for n in graph.node for v in n.output} | {i.name for i in graph.input}
            inner |= {t.name for t in graph.initializer}
            for sub in graph.node:
                reads |= {v for v in sub.input if v and v not in inner} | (_subgraph_reads(sub) - inner)
            reads |= {o.name for o in graph.output if o.name not in inner}
    return reads


def _topological(nodes: list[NodeProto], known: set[str], source: str) -> list[tuple[int, NodeProto]]:
    """Nodes in an order where every value is written before it is read; errors name the culprit."""
    writer = {}
    for index, node in enumerate(nodes):
        for v in node.output:
            if v:
                writer[v] = index
    needs = []
    for index, node in enumerate(nodes):
        reads = {v for v in node.input if v} | _subgraph_reads(node)
        for v in reads:
            if v not in writer and v not in known:
                raise WorkloadError(f"node {node_label(node, index)} reads {v!r}, which no node writes and "
                                    "which is no graph input or initializer", source)
        needs.append({writer[v] for v in reads if v in writer})
    return _depth_first(nodes, needs, source)


def _depth_first(nodes: list[NodeProto], needs: list[set[int]], source: str) -> list[tuple[int, NodeProto]]:
    """File order where it is already topological, else a depth-first order that fixes it; O(nodes + edges)."""
    placed: set[int] = set()
    on_stack: set[int] = set()
    result: list[tuple[int, NodeProto]] = []
    for start in range(len(nodes)):
        if start in placed:
            continue
        stack = [(start, iter(sorted(needs[start])))]
        on_stack.add(start)
        while stack:
            current, deps = stack[-1]
            dep = next((d for d in deps if d not in placed), None)
            if dep is None:
                stack.pop()
                on_stack.discard(current)
                placed.add(current)
                result.append((current, nodes[current]))
            elif dep in on_stack:
                path = [i for i, _ in stack]
                cycle = [*path[path.index(dep):], dep]
                names = " -> ".join(node_label(nodes[i], i) for i in cycle)
                raise WorkloadError(f"the graph has a cycle: {names}", source)
            else:
                stack.append((dep, iter(sorted(needs[dep]))))
                on_stack.add(dep)
    return result


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
