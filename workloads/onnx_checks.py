"""Structural checks of an ONNX graph before the importer reads it: the netlist's electrical rule check.

An ONNX file is a netlist: nodes (cells) connected by named values (nets).
Before the importer walks it, and before shape inference runs on it, this
module checks what a layout tool checks before simulation: every net read
has exactly one driver (a node, a graph input or an initializer), there is
no combinational loop (the graph is acyclic), the cells come from a library
the tool knows (declared opsets; operators of the standard domain exist in
it), and the design is of a size the tool can hold (bounded node, value and
initializer counts and tensor sizes). Each error names the node, by name and
operator, and the value at fault, so that the user can find it in Netron.
Attributes and shapes that depend on operator semantics are the importer's
to check (`workloads.onnx_ops`).
"""

from __future__ import annotations

import math
from collections import deque

import onnx
from onnx import ModelProto, NodeProto

from workloads.errors import WorkloadError

__all__ = ["MAX_ONNX_NODES", "MAX_ONNX_VALUES", "MAX_NODE_PORTS", "MAX_INITIALIZER_ELEMENTS",
           "check_onnx_structure"]

MAX_ONNX_NODES = 500_000
"""Most nodes in the top-level graph (the largest language models have about 10^4)."""
MAX_ONNX_VALUES = 2_000_000
"""Most named values (node outputs, graph inputs, initializers) in the top-level graph."""
MAX_NODE_PORTS = 10_000
"""Most inputs or outputs of one node (a Concat of many tensors has hundreds)."""
MAX_INITIALIZER_ELEMENTS = 2**40
"""Most elements one initializer may declare (its dims multiplied)."""
_STANDARD_DOMAINS = ("", "ai.onnx")


def check_onnx_structure(model: ModelProto, source: str) -> None:
    """Refuse an ONNX model whose graph is not a well-formed, bounded DAG of known operators.

    Parameters
    ----------
    model : onnx.ModelProto
        The model as read from disk (external data need not be loaded).
    source : str
        The file name, for the messages.

    Raises
    ------
    WorkloadError
        One line naming the file, the node (``node 'conv1' (Conv)``) and the
        value at fault: a value read that nothing produces, a value produced
        twice, a cycle, an undeclared or unknown opset or operator, a count
        or size past the limits of this module.
    """
    graph = model.graph
    if len(graph.node) > MAX_ONNX_NODES:
        raise WorkloadError(f"the graph has {len(graph.node):,} nodes (at most {MAX_ONNX_NODES:,})", source)
    opsets = _opsets(model, source)
    available = _sources(model, source)
    producer: dict[str, int] = {}
    for index, node in enumerate(graph.node):
        _check_node(node, index, opsets, source)
        for value in node.output:
            if not value:
                continue
            if value in available:
                raise WorkloadError(f"{_node(node, index)} writes {value!r}, which is already a graph input "
                                    "or initializer", source)
            if value in producer:
                first = graph.node[producer[value]]
                raise WorkloadError(f"{_node(node, index)} writes {value!r}, which "
                                    f"{_node(first, producer[value])} writes too", source)
            producer[value] = index
    if len(producer) + len(available) > MAX_ONNX_VALUES:
        raise WorkloadError(f"the graph has more than {MAX_ONNX_VALUES:,} values", source)
    _check_reads(model, producer, available, source)
    _check_acyclic(model, producer, source)


def _node(node: NodeProto, index: int) -> str:
    """How a message names a node: by its name, else by its position."""
    label = f"node {node.name!r}" if node.name else f"node #{index} (unnamed)"
    return f"{label} ({node.op_type})" if node.op_type else label


def _opsets(model: ModelProto, source: str) -> dict[str, int]:
    opsets: dict[str, int] = {}
    for entry in model.opset_import:
        domain = "" if entry.domain in _STANDARD_DOMAINS else entry.domain
        opsets[domain] = entry.version
    newest = onnx.defs.onnx_opset_version()
    version = opsets.get("")
    if version is None:
        if any(node.domain in _STANDARD_DOMAINS for node in model.graph.node):
            raise WorkloadError("the model imports no standard ONNX opset (opset_import lacks domain '')", source)
    elif not 1 <= version <= newest:
        raise WorkloadError(f"opset {version} of the standard domain is unknown (this onnx knows 1-{newest})", source)
    return opsets


def _sources(model: ModelProto, source: str) -> set[str]:
    """Values that exist before any node runs: graph inputs and initializers."""
    graph = model.graph
    available = {vi.name for vi in graph.input}
    for tensor in graph.initializer:
        dims = list(tensor.dims)
        if any(d < 0 for d in dims) or math.prod(dims) > MAX_INITIALIZER_ELEMENTS:
            raise WorkloadError(f"initializer {tensor.name!r} declares dims {dims} (each >= 0, at most "
                                f"{MAX_INITIALIZER_ELEMENTS:,} elements in all)", source)
        available.add(tensor.name)
    available.update(t.values.name for t in graph.sparse_initializer)
    return available


def _check_node(node: NodeProto, index: int, opsets: dict[str, int], source: str) -> None:
    texts = (node.name, node.op_type, node.domain, *node.input, *node.output)
    if not all(isinstance(text, str) for text in texts):  # protobuf hands back bytes that are not UTF-8
        raise WorkloadError(f"node #{index} has a name, operator or value name that is not UTF-8 text "
                            "(a corrupt file?)", source)
    if not node.op_type:
        raise WorkloadError(f"{_node(node, index)} has no op_type", source)
    if max(len(node.input), len(node.output)) > MAX_NODE_PORTS:
        raise WorkloadError(f"{_node(node, index)} has {max(len(node.input), len(node.output)):,} inputs "
                            f"or outputs (at most {MAX_NODE_PORTS:,})", source)
    domain = "" if node.domain in _STANDARD_DOMAINS else node.domain
    if domain not in opsets:
        raise WorkloadError(f"{_node(node, index)} is in domain {node.domain!r}, which the model's "
                            "opset_import does not declare", source)
    if domain == "" and not onnx.defs.has(node.op_type, ""):
        raise WorkloadError(f"{_node(node, index)}: {node.op_type!r} is not an ONNX operator", source)
    if domain == "" and not _exists_in(node.op_type, opsets[""]):
        raise WorkloadError(f"{_node(node, index)}: {node.op_type!r} does not exist in opset {opsets['']} "
                            "(it came later)", source)


def _exists_in(op_type: str, version: int) -> bool:
    try:
        onnx.defs.get_schema(op_type, version, "")
    except onnx.defs.SchemaError:
        return False
    return True


def _check_reads(model: ModelProto, producer: dict[str, int], available: set[str], source: str) -> None:
    graph = model.graph
    for index, node in enumerate(graph.node):
        for value in node.input:
            if value and value not in producer and value not in available:
                raise WorkloadError(f"{_node(node, index)} reads {value!r}, which no node writes and which is "
                                    "no graph input or initializer", source)
    for output in graph.output:
        if output.name not in producer and output.name not in available:
            raise WorkloadError(f"graph output {output.name!r} is written by no node", source)


def _check_acyclic(model: ModelProto, producer: dict[str, int], source: str) -> None:
    """Kahn's algorithm over the nodes; what is left over lies on or behind a cycle."""
    nodes = model.graph.node
    readers: dict[int, list[int]] = {}
    waiting = [0] * len(nodes)
    for index, node in enumerate(nodes):
        drivers = {producer[v] for v in node.input if v in producer}
        waiting[index] = len(drivers)
        for driver in drivers:
            readers.setdefault(driver, []).append(index)
    ready = deque(i for i, count in enumerate(waiting) if count == 0)
    done = 0
    while ready:
        index = ready.popleft()
        done += 1
        for reader in readers.get(index, ()):
            waiting[reader] -= 1
            if waiting[reader] == 0:
                ready.append(reader)
    if done < len(nodes):
        # Walk back from a node that never became ready, through drivers that did not either: the walk
        # must come back to a node it saw, and that node lies on a cycle.
        current = next(i for i, count in enumerate(waiting) if count > 0)
        seen: set[int] = set()
        while current not in seen:
            seen.add(current)
            value = next(v for v in nodes[current].input if v in producer and waiting[producer[v]] > 0)
            current = producer[value]
        value = next(v for v in nodes[current].input if v in producer and waiting[producer[v]] > 0)
        raise WorkloadError(f"the graph has a cycle through {_node(nodes[current], current)}, which reads "
                            f"{value!r}", source)
