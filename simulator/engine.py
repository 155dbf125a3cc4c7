"""`simulate`: an annotated layer graph on an accelerator, to latency, energy and where they go.

The top of the simulator, like a testbench: it reads the hardware once into
plain numbers, decides which activations stay on chip between layers, maps
every MAC layer onto each engine that can run it (identical shapes are mapped
once), places layers on engines by list scheduling (`simulator.schedule`),
prices each layer's actions, and reports either that schedule (analytical)
or a discrete-event run of it with DRAM contention.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

from pydantic import Field

from hwmodels import Accelerator
from simulator.cost import FREE_OPS, LayerCounts, Residency
from simulator.energy import price_layer
from simulator.hardware_view import HardwareView, LevelView, hardware_view
from simulator.mapping import Objective
from simulator.results import (
    EnergyBreakdown,
    LayerResult,
    LevelTraffic,
    MappingInfo,
    QuantOverhead,
    SimResult,
    Totals,
)
from simulator.schedule import Schedule, engine_choices, list_schedule, pipeline_stages
from workloads._model import FrozenModel
from workloads.footprint import operand_bits
from workloads.graph import LayerGraph
from workloads.quant import QuantSpec

__all__ = [
    "SimOptions", "simulate", "plan_residency", "schedule", "layer_counts", "share_leakage",
]


class SimOptions(FrozenModel):
    """How to simulate."""

    fidelity: Literal["analytical", "des"] = "analytical"
    """Closed-form per layer, or discrete-event over tiles with shared DRAM."""
    objective: Objective = Objective.LATENCY
    """What the mapper minimizes per layer."""
    keep_activations_on_chip: bool = True
    """Let activations that fit in a unified activation buffer skip the DRAM round trip."""
    max_events_per_layer: int = Field(default=128, ge=1)
    """Discrete-event budget: identical tiles are grouped so a layer has at most this many."""
    pipeline: bool = False
    """Cut the network into one stage of consecutive layers per engine (layer pipelining), so
    streamed batch items flow engine to engine; otherwise each layer goes where it finishes first."""
    record_timeline: bool = True
    """Keep every discrete-event span in the result (about 1 KB each; sweeps can turn it off)."""
    max_cycles: int | None = Field(default=None, ge=1)
    """Stop the discrete-event run with an error past this many cycles (deadlock guard)."""


def _unified_level(view: HardwareView) -> LevelView | None:
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
    level = _unified_level(view)
    if not enabled or level is None:
        return plan
    budget, live, resident = level.capacity_bits // 2, {}, set()
    waiting = {layer.name: len(graph.successors(layer.name)) for layer in graph.layers()}
    for layer in graph.layers():
        preds = graph.predecessors(layer.name)
        sizes = {p: operand_bits(graph.layer(p)).outputs_bits for p in preds}
        on_chip = sum(sizes[p] for p in preds if p in resident) / max(sum(sizes.values()), 1)
        bits = operand_bits(layer).outputs_bits
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


def schedule(graph: LayerGraph, acc: Accelerator, view: HardwareView,
             options: SimOptions = SimOptions()) -> Schedule:
    """Every layer costed on the units that can run it, and placed by list scheduling."""
    residency = plan_residency(graph, view, options.keep_activations_on_chip)
    choices = engine_choices(graph, acc, view, options.objective, residency)
    stages = None
    if options.pipeline and len(acc.engines) > 1:
        stages = pipeline_stages(graph, choices, [engine.name for engine in acc.engines])
    return list_schedule(graph, choices, stages)


def layer_counts(graph: LayerGraph, acc: Accelerator, view: HardwareView,
                 options: SimOptions = SimOptions()) -> list[LayerCounts]:
    """Counts of every layer in execution order, each on the engine the schedule gives it."""
    return schedule(graph, acc, view, options).counts


def _mapping_info(counts: LayerCounts) -> MappingInfo:
    m = counts.mapping
    if m is None:
        return MappingInfo(engine=counts.engine, dataflow="vector")
    return MappingInfo(
        engine=m.engine, dataflow=m.dataflow.value, spatial_rows=m.fold.spatial_rows,
        spatial_cols=m.fold.spatial_cols, temporal=m.fold.temporal,
        folds=m.fold.row_folds * m.fold.col_folds * m.nest.instances,
        tile_k=m.tile_k, tile_c=m.tile_c, tile_y=m.tile_y, loop_order=m.loop_order, tiles=m.tiles,
        lanes=m.precision.lanes, cycles_per_mac=m.precision.cycles_per_mac,
        executed_formats=(m.precision.weight_format, m.precision.act_format),
    )


def layer_result(counts: LayerCounts, acc: Accelerator, view: HardwareView,
                 cycles: int | None = None, start_cycle: int = 0) -> LayerResult:
    """Price ``counts`` into a `LayerResult` (``cycles`` overrides the analytical latency)."""
    if cycles is not None:
        counts = dataclasses.replace(counts, cycles=cycles)
    energy, quant = price_layer(counts, acc, view)
    layer, m = counts.layer, counts.mapping
    traffic = [
        LevelTraffic(level=lv.name, read_bits=counts.reads_bits.get(lv.name, 0),
                     write_bits=counts.writes_bits.get(lv.name, 0))
        for lv in view.levels
    ]
    traffic.append(LevelTraffic(level="dram", read_bits=counts.dram_read_bits, write_bits=counts.dram_write_bits))
    peak = m.precision.peak_macs_per_cycle if m else 0.0
    return LayerResult(
        name=layer.name, op=layer.op.value, quant=(layer.quant or QuantSpec()).label(), macs=layer.macs,
        cycles=counts.cycles, compute_cycles=counts.compute_cycles,
        stall_cycles=max(counts.cycles - math.ceil(counts.busy_cycles(view)), 0), start_cycle=start_cycle,
        utilization=layer.macs / (counts.cycles * peak) if peak and counts.cycles else 0.0,
        spatial_utilization=m.fold.utilization if m else 0.0,
        mapping=_mapping_info(counts), traffic=traffic,
        dram_bytes=(counts.dram_read_bits + counts.dram_write_bits) / 8,
        energy=energy, quant_overhead=quant, energy_pj=energy.total_pj,
    )


def share_leakage(results: list[LayerResult], end_cycle: int, view: HardwareView) -> list[LayerResult]:
    """Leakage is the chip's, over the whole run: scale each layer's share to add up to it.

    A layer is first charged the chip's leakage over its own cycles; when
    layers overlap (several engines) those shares would count the same
    nanoseconds twice, so they are scaled to the leakage over ``end_cycle``.
    """
    charged = sum(r.energy.leakage_pj for r in results)
    if not charged:
        return results
    factor = view.leakage_pj(end_cycle) / charged
    shared = []
    for r in results:
        energy = r.energy.model_copy(update={"leakage_pj": r.energy.leakage_pj * factor})
        shared.append(r.model_copy(update={"energy": energy, "energy_pj": energy.total_pj}))
    return shared


def _sum_models(items, model):
    """Field-wise sum of pydantic models of one type (dicts of floats summed by key)."""
    total: dict = {}
    for item in items:
        for key, value in item.model_dump().items():
            if isinstance(value, dict):
                bucket = total.setdefault(key, {})
                for k, v in value.items():
                    bucket[k] = bucket.get(k, 0.0) + v
            else:
                total[key] = total.get(key, 0.0) + value
    return model(**total) if total else model()


def totals_of(layers: list[LayerResult], cycles: int, clock_hz: float) -> Totals:
    """Whole-network totals from per-layer results and the end-to-end cycle count."""
    energy = _sum_models([r.energy for r in layers], EnergyBreakdown)
    busy = sum(r.cycles * (r.macs / r.cycles / r.utilization) for r in layers if r.utilization > 0)
    return Totals(
        cycles=cycles, latency_s=cycles / clock_hz, energy_pj=energy.total_pj,
        dram_bytes=sum(r.dram_bytes for r in layers), macs=sum(r.macs for r in layers),
        utilization=sum(r.macs for r in layers) / busy if busy else 0.0,
        compute_cycles=sum(r.compute_cycles for r in layers),
        stall_cycles=sum(r.stall_cycles for r in layers),
        energy=energy, quant_overhead=_sum_models([r.quant_overhead for r in layers], QuantOverhead),
    )


def simulate(graph: LayerGraph, acc: Accelerator, options: SimOptions = SimOptions(), *,
             policy: str = "") -> SimResult:
    """Latency and energy of ``graph`` (annotated with a policy) on ``acc``.

    Parameters
    ----------
    graph : LayerGraph
        The network, each layer annotated with its `QuantSpec` (fp32 where unannotated).
    acc : Accelerator
        The hardware.
    options : SimOptions
        Fidelity, mapper objective and on-chip residency.
    policy : str
        Label of the policy applied, recorded in the result.

    Raises
    ------
    MappingError
        A layer cannot run on the hardware (format unsupported, no tile fits).
    SimulationError
        The discrete-event run exceeded ``options.max_cycles``.
    """
    view = hardware_view(acc)
    plan = schedule(graph, acc, view, options)
    if options.fidelity == "des":
        from simulator.des import run_des

        return run_des(graph, plan.counts, acc, view, options, policy=policy)
    results = [layer_result(c, acc, view, start_cycle=plan.start_cycles[c.layer.name]) for c in plan.counts]
    results = share_leakage(results, plan.end_cycle, view)
    return SimResult(
        workload=graph.name, hardware=acc.name, policy=policy, fidelity="analytical",
        clock_hz=acc.clock_hz, totals=totals_of(results, plan.end_cycle, acc.clock_hz), layers=results,
    )
