"""Per-layer and total counts of a (quantized) network: what `qcosim workload` prints.

Like a bill of materials before place and route: MACs, parameters, bytes of
every tensor at its format, and bit operations, with no hardware involved.
"""

from __future__ import annotations

import math

from workloads._model import FrozenModel
from workloads.footprint import operand_bits
from workloads.graph import LayerGraph
from workloads.layers import Layer
from workloads.quant import QuantSpec

__all__ = ["LayerRow", "WorkloadTotals", "WorkloadSummary", "summarize"]


class LayerRow(FrozenModel):
    """One layer's counts."""

    name: str
    """Layer name."""
    op: str
    """Op kind (``conv``, ``gemm`` ...)."""
    dims: str
    """Loop dimensions, e.g. ``N1 K64 C3 P112 Q112 R7 S7 /2``."""
    quant: str
    """Precision shorthand of the layer (``w4a8``)."""
    macs: int
    """Multiply-accumulates."""
    params: int
    """Trainable parameters."""
    weight_bytes: int
    """Bytes of weights (packed, incl. scales and zero points) and bias."""
    input_bytes: int
    """Bytes of input activations at the input format."""
    output_bytes: int
    """Bytes of output activations at the output format."""
    bops: int
    """Bit operations: MACs x weight bits x activation bits."""


class WorkloadTotals(FrozenModel):
    """Network totals."""

    layers: int
    """Number of layers (after fusion)."""
    macs: int
    """Multiply-accumulates."""
    params: int
    """Trainable parameters."""
    weight_bytes: int
    """Bytes of all weights and biases at their formats."""
    activation_bytes: int
    """Bytes of every activation tensor written once: all layer outputs plus the graph inputs."""
    bops: int
    """Bit operations."""


class WorkloadSummary(FrozenModel):
    """The stable, documented JSON of ``qcosim workload --json``."""

    name: str
    """Network name."""
    policy: str
    """Quantization policy applied."""
    totals: WorkloadTotals
    """Network totals."""
    layers: list[LayerRow]
    """Per-layer rows in topological order."""


def _dims(layer: Layer) -> str:
    text = f"N{layer.n} K{layer.k} C{layer.c} P{layer.p} Q{layer.q}"
    if layer.r * layer.s > 1:
        text += f" R{layer.r} S{layer.s}"
    if layer.stride != (1, 1):
        text += f" /{layer.stride[0]}" if layer.stride[0] == layer.stride[1] else f" /{layer.stride}"
    if layer.groups > 1:
        text += f" G{layer.groups}"
    return text


def _row(layer: Layer) -> LayerRow:
    bits = operand_bits(layer)
    spec = layer.quant or QuantSpec()
    return LayerRow(
        name=layer.name,
        op=layer.op.value,
        dims=_dims(layer),
        quant=spec.label(),
        macs=layer.macs,
        params=layer.params,
        weight_bytes=bits.weight_bytes if layer.has_static_weights else math.ceil(bits.aux_bits / 8),
        input_bytes=math.ceil(bits.inputs_bits / 8),
        output_bytes=math.ceil(bits.outputs_bits / 8),
        bops=spec.bops(layer.macs),
    )


def summarize(graph: LayerGraph, policy: str = "") -> WorkloadSummary:
    """Counts of ``graph`` at the precision each layer is annotated with (fp32 if none).

    Examples
    --------
    >>> from workloads.layers import Layer
    >>> g = LayerGraph([Layer(name="fc", op="gemm", c=1024, k=1000, aux_params=1000)], name="fc")
    >>> summarize(g).totals.weight_bytes        # fp32: (1024*1000 + 1000) * 4
    4100000
    """
    rows = [_row(layer) for layer in graph.layers()]
    input_bytes = 0
    for first, tensor in graph.inputs.items():
        spec = graph.layer(first).quant or QuantSpec()
        input_bytes += math.ceil(spec.inputs.storage_bits(tensor.elements) / 8)
    totals = WorkloadTotals(
        layers=len(rows),
        macs=sum(r.macs for r in rows),
        params=sum(r.params for r in rows),
        weight_bytes=sum(r.weight_bytes for r in rows),
        activation_bytes=sum(r.output_bytes for r in rows) + input_bytes,
        bops=sum(r.bops for r in rows),
    )
    return WorkloadSummary(name=graph.name, policy=policy, totals=totals, layers=rows)
