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

from dataclasses import dataclass

from hwmodels import Accelerator
from simulator.cache import per_graph
from simulator.cost import LayerCounts
from simulator.hardware_view import HardwareView
from simulator.layer_cost import chip_peak, layer_choices
from simulator.mapping import LayerKey, Objective
from simulator.residency import Residency
from workloads.graph import LayerGraph

__all__ = ["Schedule", "engine_choices", "list_schedule", "pipeline_stages"]


@dataclass(frozen=True)
class Schedule:
    """Every layer's counts on the engine chosen for it, in execution order, and when it starts.

    The shape work of a run (tiles, loop orders, element and bit traffic per
    level), before any energy is priced: `simulator.engine.price` turns it into
    a `SimResult`, `simulator.des.run_des` replays it as events.
    """

    counts: list[LayerCounts]
    start_cycles: dict[str, int]
    peaks: dict[str, float]
    """Per MAC layer, the chip's peak MACs per cycle at its formats (every engine that can run it)."""

    @property
    def end_cycle(self) -> int:
        """Cycle the last layer finishes."""
        return max((self.start_cycles[c.layer.name] + c.cycles for c in self.counts), default=0)

    @property
    def spans(self) -> dict[str, tuple[int, int]]:
        """(start, end) cycle of every layer."""
        return {c.layer.name: (self.start_cycles[c.layer.name], self.start_cycles[c.layer.name] + c.cycles)
                for c in self.counts}

    def to_dict(self) -> dict:
        """A JSON-able description: per layer its engine, start, cycles, tile and traffic per level (bits)."""
        rows = []
        for c in self.counts:
            m = c.mapping
            rows.append({
                "layer": c.layer.name, "engine": c.engine, "start_cycle": self.start_cycles[c.layer.name],
                "cycles": c.cycles, "tiles": c.tiles,
                "tile": {"k": m.tile_k, "c": m.tile_c, "y": m.tile_y, "loop_order": m.loop_order,
                         "resident": list(m.resident)} if m else None,
                "reads_bits": dict(c.reads_bits), "writes_bits": dict(c.writes_bits),
                "dram_read_bits": c.dram_read_bits, "dram_write_bits": c.dram_write_bits,
            })
        return {"layers": rows, "end_cycle": self.end_cycle}


def engine_choices(graph: LayerGraph, acc: Accelerator, view: HardwareView, objective: Objective,
                   residency: dict[str, Residency]) -> dict[str, tuple[LayerCounts, ...]]:
    """Counts of every layer on every unit that can run it (`simulator.layer_cost.layer_choices`)."""
    keys = per_graph(graph, "layer_keys", lambda: {layer.name: LayerKey(layer) for layer in graph.layers()})
    return {layer.name: layer_choices(layer, acc, view, objective, residency[layer.name], keys[layer.name])
            for layer in graph.layers()}


def _base(name: str) -> str:
    """A layer's name without the ``#b`` tag of a streamed copy (`workloads.graph.stream`)."""
    return name.rsplit("#", 1)[0]


def pipeline_stages(graph: LayerGraph, choices: dict[str, tuple[LayerCounts, ...]], engines: list[str]) -> dict[str, str]:
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


def list_schedule(graph: LayerGraph, choices: dict[str, tuple[LayerCounts, ...]],
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
        options = list(choices[layer.name])
        if stages and layer.is_mac:
            options = [c for c in options if c.engine == stages.get(_base(layer.name))] or options
        best = min(options, key=lambda c: max(ready, free.get(c.engine, 0)) + c.cycles)
        start = max(ready, free.get(best.engine, 0))
        free[best.engine] = finish[layer.name] = start + best.cycles
        chosen.append(best)
        starts[layer.name] = start
    return Schedule(counts=chosen, start_cycles=starts,
                    peaks={name: chip_peak(options) for name, options in choices.items()})
