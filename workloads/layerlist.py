"""Custom workloads as a YAML or JSON list of layers, one layer a line of loop dimensions.

Example (``examples/tiny-cnn.yaml``)::

    schema_version: "1"
    name: tiny-cnn
    layers:
      - {name: conv1, op: conv, k: 16, c: 3, p: 32, q: 32, r: 3, s: 3, padding: [2, 2]}
      - {name: relu1, op: activation, k: 16, c: 16, p: 32, q: 32, ops_per_output: 1}
      - {name: fc, op: gemm, c: 16384, k: 10, quant: w8a8}

A layer reads the previous layer's output unless it lists ``inputs``; the
fields are those of `Layer`, plus ``inputs`` and an optional per-layer
``quant`` shorthand.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError

from vocabulary.plain_types import plain_type_errors
from workloads._input import describe_validation_error, error_path, read_mapping
from workloads._model import FrozenModel
from workloads.errors import WorkloadError
from workloads.graph import LayerGraph, Tensor
from workloads.layers import Layer
from workloads.limits import MAX_LAYERS, check_layer_limits
from workloads.quant import QuantSpec

__all__ = ["LayerEntry", "LayerListFile", "load_layer_list"]


class LayerEntry(Layer):
    """One line of a layer list: a `Layer` plus where its input comes from."""

    inputs: tuple[str, ...] | None = None
    """Names of the layers it reads; default: the layer before it (none for the first)."""
    quant: QuantSpec | str | None = None
    """Precision: a policy shorthand such as ``w4a8``, a full spec, or unset."""


class LayerListFile(FrozenModel):
    """A custom workload file."""

    schema_version: str = Field(default="1", pattern="^1$")
    """File format version."""
    name: str = "custom"
    """Network name."""
    layers: list[LayerEntry] = Field(min_length=1)
    """Layers in execution order."""


def _to_layer(entry: LayerEntry, source: str) -> Layer:
    from workloads.policy import parse_spec  # policy imports graph; keep the module graph acyclic

    data = entry.model_dump(exclude={"inputs", "quant"})
    quant = entry.quant
    if isinstance(quant, str):
        try:
            quant = parse_spec(quant)[0]
        except WorkloadError as exc:
            raise WorkloadError(f"layers.{entry.name}.quant: {exc}", source) from None
    return Layer(**data, quant=quant)


def load_layer_list(path: str | Path) -> LayerGraph:
    """A `LayerGraph` from a layer-list file.

    Raises
    ------
    WorkloadError
        One line naming the file and the field, e.g.
        ``net.yaml: layers[1].k: must be >= 1 (got 0)``.
    """
    path = Path(path)
    if path.is_dir():
        raise WorkloadError("is a directory, not a layer-list file", str(path))
    data = read_mapping(path)
    if isinstance(data.get("layers"), list) and len(data["layers"]) > MAX_LAYERS:
        raise WorkloadError(f"layers: at most {MAX_LAYERS:,} layers (got {len(data['layers']):,})", str(path))
    refused = plain_type_errors(data, LayerListFile)
    if refused:
        loc, message = refused[0]
        raise WorkloadError(f"{error_path(loc)}: {message}", str(path))
    try:
        spec = LayerListFile.model_validate(data)
    except ValidationError as exc:
        raise WorkloadError(describe_validation_error(exc, LayerListFile), str(path)) from None
    layers = [_to_layer(entry, str(path)) for entry in spec.layers]
    check_layer_limits(layers, str(path))
    edges, inputs = [], {}
    for i, (entry, layer) in enumerate(zip(spec.layers, layers, strict=True)):
        sources = entry.inputs if entry.inputs is not None else ((layers[i - 1].name,) if i else ())
        for src in sources:
            producer = next((x for x in layers if x.name == src), None)
            if producer is None:
                raise WorkloadError(f"layers[{i}].inputs: no layer named {src!r}", str(path))
            shape = (producer.n, producer.k, producer.p, producer.q)
            edges.append((src, layer.name, Tensor(name=f"{src}:out", shape=shape)))
        if not sources:
            rows, cols = layer.input_hw
            inputs[layer.name] = Tensor(name=f"{layer.name}:in", shape=(layer.n, layer.c, rows, cols))
    try:
        return LayerGraph(layers, edges, name=spec.name, inputs=inputs)
    except WorkloadError as exc:  # the graph names the network; the user edits the file
        raise WorkloadError(exc.message, str(path)) from None
