"""The network as a directed acyclic graph of layers with tensors on its edges.

Like a netlist: layers are the cells, tensors the wires. `LayerGraph` wraps a
``networkx.DiGraph`` by composition; each node is a layer name carrying one
frozen `Layer`, each edge one `Tensor`. The graph is immutable in use: every
transformation (`fuse`, applying a quantization policy) returns a new graph.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import networkx as nx
import numpy as np

from workloads._model import FrozenModel
from workloads.errors import WorkloadError
from workloads.layers import MAC_OPS, Layer, OpKind

__all__ = ["Tensor", "LayerGraph", "WeightSource", "fuse", "stream", "FUSABLE_OPS"]


class Tensor(FrozenModel):
    """An activation tensor flowing from one layer to the next."""

    name: str
    """Tensor name (the ONNX value name, or ``<producer>:out``)."""
    shape: tuple[int, ...]
    """Shape, batch first."""

    @property
    def elements(self) -> int:
        """Number of elements."""
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1


WeightSource = Callable[[str], "np.ndarray"]
"""Loads a weight tensor by name on demand (e.g. from an ONNX file); never copied into layers."""

FUSABLE_OPS = frozenset({OpKind.NORM, OpKind.ACTIVATION, OpKind.ELEMENTWISE})
"""Ops a compiler folds into the producing conv/gemm: batch-norm, bias add, activation."""


class LayerGraph:
    """An immutable DAG of `Layer` nodes with `Tensor` edges.

    Parameters
    ----------
    layers : iterable of Layer
        The layers; names must be unique.
    edges : iterable of (str, str, Tensor)
        Producer name, consumer name and the tensor between them.
    name : str
        The network's name.
    inputs : mapping of str to Tensor, optional
        Graph inputs, keyed by the name of the first layer that reads each one.
    weight_source : callable, optional
        Loads a weight tensor by its ``Layer.weight_tensor`` name, lazily.

    Examples
    --------
    >>> a = Layer(name="fc1", op="gemm", c=784, k=256)
    >>> b = Layer(name="act", op="activation", source_op="relu", c=256, k=256, ops_per_output=1)
    >>> g = LayerGraph([a, b], [("fc1", "act", Tensor(name="h", shape=(1, 256)))], name="mlp")
    >>> [layer.name for layer in g.layers()]
    ['fc1', 'act']
    >>> fuse(g).layer("fc1").fused
    ('relu',)
    """

    def __init__(
        self,
        layers: Iterable[Layer],
        edges: Iterable[tuple[str, str, Tensor]] = (),
        *,
        name: str = "network",
        inputs: Mapping[str, Tensor] | None = None,
        weight_source: WeightSource | None = None,
    ) -> None:
        g = nx.DiGraph(name=name)
        for layer in layers:
            if layer.name in g:
                raise WorkloadError(f"duplicate layer name {layer.name!r}", name)
            g.add_node(layer.name, layer=layer)
        for src, dst, tensor in edges:
            for end in (src, dst):
                if end not in g:
                    raise WorkloadError(f"edge refers to unknown layer {end!r}", name)
            g.add_edge(src, dst, tensor=tensor)
        if not nx.is_directed_acyclic_graph(g):
            cycle = nx.find_cycle(g)
            raise WorkloadError(f"graph has a cycle through {cycle[0][0]!r}", name)
        self._g = g
        self.name = name
        self.inputs: dict[str, Tensor] = dict(inputs or {})
        self.weight_source = weight_source
        # Ties in topological order break by insertion order, i.e. the source file's order.
        position = {node: i for i, node in enumerate(g.nodes)}
        self._order = list(nx.lexicographical_topological_sort(g, key=position.__getitem__))

    # -- typed accessors ---------------------------------------------------------
    def layer(self, name: str) -> Layer:
        """The layer called ``name``."""
        try:
            return self._g.nodes[name]["layer"]
        except KeyError:
            raise WorkloadError(f"no layer named {name!r}", self.name) from None

    def layers(self) -> list[Layer]:
        """All layers in topological order (ties keep the source file's order)."""
        return [self._g.nodes[n]["layer"] for n in self._order]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers())

    def __len__(self) -> int:
        return len(self._g)

    def __contains__(self, name: object) -> bool:
        return name in self._g

    def predecessors(self, name: str) -> list[str]:
        """Names of the layers feeding ``name``."""
        return list(self._g.predecessors(name))

    def successors(self, name: str) -> list[str]:
        """Names of the layers reading the output of ``name``."""
        return list(self._g.successors(name))

    def edges(self) -> list[tuple[str, str, Tensor]]:
        """All (producer, consumer, tensor) triples."""
        return [(u, v, d["tensor"]) for u, v, d in self._g.edges(data=True)]

    def tensor(self, src: str, dst: str) -> Tensor:
        """The tensor on edge ``src -> dst``."""
        return self._g.edges[src, dst]["tensor"]

    @property
    def nx(self) -> nx.DiGraph:
        """A read-only view of the underlying NetworkX graph."""
        return nx.restricted_view(self._g, (), ())

    def weights(self, name: str) -> np.ndarray | None:
        """The real weight values of layer ``name``, loaded on demand (None if unknown)."""
        ref = self.layer(name).weight_tensor
        if ref is None or self.weight_source is None:
            return None
        return self.weight_source(ref)

    # -- derived graphs -------------------------------------------------------------
    def replace_layers(self, update: Callable[[Layer], Layer]) -> LayerGraph:
        """A new graph with every layer passed through ``update`` (names must not change)."""
        layers = [update(layer) for layer in self.layers()]
        for old, new in zip(self.layers(), layers, strict=True):
            if old.name != new.name:
                raise WorkloadError(f"layer {old.name!r} renamed to {new.name!r}", self.name)
        return LayerGraph(
            layers, self.edges(), name=self.name, inputs=self.inputs, weight_source=self.weight_source
        )

    def select(self, pattern: str | None = None, op: OpKind | str | None = None) -> list[str]:
        """Names of layers whose name matches the glob ``pattern`` and whose op is ``op``."""
        kind = OpKind(op) if op is not None else None
        return [
            layer.name
            for layer in self.layers()
            if (pattern is None or fnmatch.fnmatchcase(layer.name, pattern))
            and (kind is None or layer.op is kind)
        ]

    def totals(self) -> dict[str, Any]:
        """Network totals: MACs, parameters, weight and activation element counts."""
        layers = self.layers()
        return {
            "layers": len(layers),
            "macs": sum(layer.macs for layer in layers),
            "params": sum(layer.params for layer in layers),
            "weight_elements": sum(layer.weight_elements for layer in layers),
            "activation_elements": sum(layer.output_elements for layer in layers)
            + sum(t.elements for t in self.inputs.values()),
        }

    def __repr__(self) -> str:
        return f"LayerGraph({self.name!r}, {len(self)} layers)"


def _fusion_partner(graph: LayerGraph, name: str) -> str | None:
    """The producer ``name`` folds into, or None if it must stay a layer of its own."""
    layer = graph.layer(name)
    if layer.op not in FUSABLE_OPS or layer.input_tensors != 1:
        return None
    preds = graph.predecessors(name)
    if len(preds) != 1:
        return None
    producer = graph.layer(preds[0])
    # Epilogues fold into MAC layers; an activation also folds into the residual add before it.
    hosts = MAC_OPS | {OpKind.ELEMENTWISE} if layer.op is OpKind.ACTIVATION else MAC_OPS
    if producer.op not in hosts and not producer.fused:
        return None
    if len(graph.successors(preds[0])) != 1 or producer.output_elements != layer.output_elements:
        return None
    return preds[0]


def fuse(graph: LayerGraph) -> LayerGraph:
    """Fold single-input batch-norm, bias, and activation layers into their producing conv/gemm.

    A follower folds when it has exactly one input, that input comes from a
    MAC layer (an activation may also fold into a residual add, or into any
    layer that already absorbed one) whose only consumer it
    is, and shapes match. The folded op's name is appended to the producer's
    ``fused`` tuple, its parameters to ``aux_params``, and its vector work to
    ``ops_per_output``, so nothing it costs disappears.

    Returns
    -------
    LayerGraph
        A new graph; ``graph`` is unchanged.
    """
    layers = {layer.name: layer for layer in graph.layers()}
    alias: dict[str, str] = {}
    for layer in graph.layers():
        partner = _fusion_partner(_Partial(graph, layers, alias), layer.name)
        if partner is None:
            continue
        producer = layers[partner]
        layers[partner] = producer.model_copy(
            update={
                "fused": (*producer.fused, layer.source_op or layer.op.value, *layer.fused),
                "aux_params": producer.aux_params + layer.aux_params,
                "ops_per_output": producer.ops_per_output + layer.ops_per_output,
            }
        )
        alias[layer.name] = partner
        del layers[layer.name]
    edges = []
    for src, dst, tensor in graph.edges():
        src, dst = alias.get(src, src), alias.get(dst, dst)
        if src != dst:
            edges.append((src, dst, tensor))
    inputs = {alias.get(k, k): t for k, t in graph.inputs.items()}
    return LayerGraph(
        layers.values(), edges, name=graph.name, inputs=inputs, weight_source=graph.weight_source
    )


def stream(graph: LayerGraph, copies: int) -> LayerGraph:
    """``copies`` independent copies of ``graph``, one per batch item streamed through it.

    Copy ``b`` of layer ``x`` is named ``x#b``. Nothing connects the copies, so
    a scheduler may run them at once on different engines (they still share
    DRAM), instead of one batched pass through each layer.

    Examples
    --------
    >>> g = LayerGraph([Layer(name="fc", op="gemm", c=8, k=8)], name="mlp")
    >>> [layer.name for layer in stream(g, 2).layers()]
    ['fc#0', 'fc#1']
    """
    if copies < 1:
        raise WorkloadError(f"copies must be >= 1 (got {copies})", graph.name)
    if copies == 1:
        return graph
    layers, edges, inputs = [], [], {}
    for b in range(copies):
        tag = f"#{b}"
        layers += [layer.model_copy(update={"name": layer.name + tag}) for layer in graph.layers()]
        edges += [(u + tag, v + tag, t.model_copy(update={"name": t.name + tag})) for u, v, t in graph.edges()]
        inputs.update({name + tag: t.model_copy(update={"name": t.name + tag}) for name, t in graph.inputs.items()})
    return LayerGraph(layers, edges, name=f"{graph.name}x{copies}", inputs=inputs,
                      weight_source=graph.weight_source)


class _Partial:
    """A view of a graph half-way through fusion (absorbed layers redirected to their host)."""

    def __init__(self, graph: LayerGraph, layers: dict[str, Layer], alias: dict[str, str]) -> None:
        self._graph, self._layers, self._alias = graph, layers, alias

    def layer(self, name: str) -> Layer:
        return self._layers[self._alias.get(name, name)]

    def predecessors(self, name: str) -> list[str]:
        return list(dict.fromkeys(self._alias.get(p, p) for p in self._graph.predecessors(name)))

    def successors(self, name: str) -> list[str]:
        absorbed = [n for n, host in self._alias.items() if host == name]
        out = set()
        for node in (name, *absorbed):
            out.update(s for s in self._graph.successors(node) if self._alias.get(s, s) != name)
        return sorted(out)
