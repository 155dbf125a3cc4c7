"""Which engine runs each layer, and when: list scheduling over the graph.

The chip's dispatcher: every MAC layer is costed on each engine that can run
it; then, in execution order, each layer goes to the engine where it would
finish first (ready when its producers are done, started when that engine is
free). Non-MAC layers share the one vector unit. On a single engine this is
the layers back to back; with several, independent branches (or streamed
batch items, `workloads.graph.stream`) overlap. DRAM contention is not part of
this schedule: the discrete-event fidelity adds it on the same assignment.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from hwmodels import Accelerator
from simulator.cost import LayerCounts, Residency, mac_layer_counts, vector_layer_counts
from simulator.errors import MappingError
from simulator.hardware_view import HardwareView
from simulator.mapping import LayerMapping, Objective, map_layer
from workloads.graph import LayerGraph
from workloads.layers import Layer

__all__ = ["Schedule", "engine_choices", "list_schedule", "pipeline_stages"]


@dataclass(frozen=True)
class Schedule:
    """The chosen counts of every layer in execution order, and each layer's start cycle."""

    counts: list[LayerCounts]
    start_cycles: dict[str, int]

    @property
    def end_cycle(self) -> int:
        """Cycle the last layer finishes."""
        return max((self.start_cycles[c.layer.name] + c.cycles for c in self.counts), default=0)


def _mapping_key(layer: Layer) -> Layer:
    """What a mapping depends on: the shape and precision, not the name or the epilogue."""
    return layer.model_copy(update={"name": "-", "source_op": None, "fused": (), "weight_tensor": None,
                                    "aux_params": 0, "ops_per_output": 0.0})


def _mappings(layer: Layer, acc: Accelerator, view: HardwareView, objective: Objective,
              cache: dict) -> list[LayerMapping]:
    """The layer mapped on every engine that can run it (shapes seen before are not mapped again)."""
    key = (_mapping_key(layer), tuple(level.capacity_bits for level in view.levels))
    if key not in cache:
        found, errors = [], []
        for index in range(len(acc.engines)):
            try:
                found.append(map_layer(layer, acc, view, index, objective))
            except MappingError as exc:  # this engine cannot run it; another may
                errors.append(exc)
        if not found:
            raise errors[0]
        cache[key] = found
    return [dataclasses.replace(m, layer=layer.name) for m in cache[key]]


def engine_choices(graph: LayerGraph, acc: Accelerator, view: HardwareView, objective: Objective,
                   residency: dict[str, Residency]) -> dict[str, list[LayerCounts]]:
    """Counts of every layer on every unit that can run it."""
    cache: dict = {}
    choices = {}
    unified = view.dram_facing("outputs")
    for layer in graph.layers():
        res = residency[layer.name]
        here = view  # tiles share the unified buffer with the resident tensors of other layers
        if res.reserved_bits:
            here = view.with_capacity(unified.name, max(unified.capacity_bits - res.reserved_bits, 0))
        if layer.is_mac:
            choices[layer.name] = [mac_layer_counts(layer, m, acc, here, res)
                                   for m in _mappings(layer, acc, here, objective, cache)]
        else:
            choices[layer.name] = [vector_layer_counts(layer, acc, here, res)]
    return choices


def _base(name: str) -> str:
    """A layer's name without the ``#b`` tag of a streamed copy (`workloads.graph.stream`)."""
    return name.rsplit("#", 1)[0]


def pipeline_stages(graph: LayerGraph, choices: dict[str, list[LayerCounts]], engines: list[str]) -> dict[str, str]:
    """Cut one copy of the network into consecutive stages of about equal cycles, one per engine.

    Returns the engine of every MAC layer's base name; streamed batch items then
    flow from stage to stage (layer pipelining) instead of each taking a whole engine.
    """
    seen, order = set(), []
    for name in (layer.name for layer in graph.layers() if layer.is_mac):
        if _base(name) not in seen:
            seen.add(_base(name))
            order.append(name)
    cycles = [min(c.cycles for c in choices[name]) for name in order]
    total, stage, done, assignment = sum(cycles) or 1, 0, 0, {}
    for name, cost in zip(order, cycles, strict=True):
        if done >= total * (stage + 1) / len(engines) and stage < len(engines) - 1:
            stage += 1
        assignment[_base(name)] = engines[stage]
        done += cost
    return assignment


def list_schedule(graph: LayerGraph, choices: dict[str, list[LayerCounts]],
                  stages: dict[str, str] | None = None) -> Schedule:
    """Place each layer, in execution order, on the unit where it finishes first.

    Ties go to the engine listed first, so a single chain stays on one engine.
    With ``stages`` (see `pipeline_stages`), a MAC layer runs on its stage's
    engine whenever that engine can run it.
    """
    free: dict[str, int] = {}
    finish: dict[str, int] = {}
    chosen, starts = [], {}
    for layer in graph.layers():
        ready = max((finish[p] for p in graph.predecessors(layer.name)), default=0)
        options = choices[layer.name]
        if stages and layer.is_mac:
            options = [c for c in options if c.engine == stages.get(_base(layer.name))] or options
        best = min(options, key=lambda c: max(ready, free.get(c.engine, 0)) + c.cycles)
        start = max(ready, free.get(best.engine, 0))
        free[best.engine] = finish[layer.name] = start + best.cycles
        chosen.append(best)
        starts[layer.name] = start
    return Schedule(counts=chosen, start_cycles=starts)
