"""Which activations stay on chip between layers: the residency plan, decided before any layer is costed.

Like a compiler's buffer allocator for a unified activation SRAM (TPU's
unified buffer): in execution order, a layer's output stays on chip when it
fits, with every tensor still waiting for a consumer, in half the buffer.
Each layer's cost then takes its `Residency` as an explicit input, so a
layer's cost is a pure function of the layer, the hardware and this context.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.cache import per_graph
from simulator.hardware_view import HardwareView, LevelView
from workloads.footprint import operand_bits
from workloads.graph import LayerGraph

__all__ = ["FREE_OPS", "Residency", "unified_level", "plan_residency"]

FREE_OPS = frozenset({"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Shape", "Cast"})
"""Source ops that only relabel a tensor: no cycles, no traffic."""


@dataclass(frozen=True)
class Residency:
    """Which of a layer's activations stay on chip between layers (no DRAM trip)."""

    inputs: float = 0.0
    """Fraction of the input bits already on chip (producers whose outputs stayed)."""
    outputs: bool = False
    """The output stays on chip for its consumers (not written to DRAM)."""
    reserved_bits: int = 0
    """Bits of the unified buffer held by other resident tensors while this layer runs."""


def unified_level(view: HardwareView) -> LevelView | None:
    """The one level that holds both inputs and outputs next to DRAM, if any (TPU's unified buffer)."""
    level = view.dram_facing("outputs")
    return level if "inputs" in level.operands and level is view.dram_facing("inputs") else None


def plan_residency(graph: LayerGraph, view: HardwareView, enabled: bool = True) -> dict[str, Residency]:
    """Which activations stay on chip, greedily in execution order.

    With a unified activation buffer, up to half of it holds activations
    between layers. An output stays when, with every tensor still waiting for
    a consumer, it fits in that half; a consumer then finds that share of its
    inputs on chip and reads only the rest from DRAM, and each layer's tiles
    get the buffer less what other resident tensors hold meanwhile
    (``reserved_bits``). Ops that only relabel a tensor (reshape) alias their
    input. Graph inputs come from DRAM and final outputs go to DRAM.
    """
    plan = {layer.name: Residency() for layer in graph.layers()}
    level = unified_level(view)
    if not enabled or level is None:
        return plan
    budget, live, resident = level.capacity_bits // 2, {}, set()
    outputs_bits = per_graph(graph, "outputs_bits", lambda: {
        layer.name: operand_bits(layer).outputs_bits for layer in graph.layers()})
    waiting = {layer.name: len(graph.successors(layer.name)) for layer in graph.layers()}
    for layer in graph.layers():
        preds = graph.predecessors(layer.name)
        sizes = {p: outputs_bits[p] for p in preds}
        on_chip = sum(sizes[p] for p in preds if p in resident) / max(sum(sizes.values()), 1)
        bits = outputs_bits[layer.name]
        if layer.source_op in FREE_OPS:  # the same bytes under a new shape
            stays = bool(preds) and on_chip == 1.0 and waiting[layer.name] > 0
        else:
            stays = waiting[layer.name] > 0 and sum(live.values()) + bits <= budget
        reserved = sum(b for name, b in live.items() if name not in sizes)
        if stays:
            resident.add(layer.name)
            live[layer.name] = bits
        for p in preds:
            waiting[p] -= 1
            if waiting[p] == 0:
                live.pop(p, None)
        plan[layer.name] = Residency(inputs=on_chip, outputs=stays, reserved_bits=reserved)
    return plan
