"""From counts to a `SimResult`: price every layer, break its cycles down by cause, add up the run.

The last stage of the pipeline, shared by both fidelities: the analytical
schedule and the discrete-event run differ only in each layer's start and
length. Cycles are attributed to named causes that sum exactly; the run's
total follows its critical path; leakage is the chip's over the whole run.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import math
from dataclasses import dataclass

from hwmodels import Accelerator
from simulator.cache import per_graph
from simulator.cost import LayerCounts
from simulator.energy import price_layer
from simulator.hardware_view import HardwareView
from simulator.options import SimOptions
from simulator.results import (
    CycleBreakdown,
    EnergyBreakdown,
    LayerResult,
    LevelTraffic,
    MappingInfo,
    Provenance,
    QuantOverhead,
    SimResult,
    Totals,
    TraceEvent,
)
from workloads.graph import LayerGraph
from workloads.quant import QuantSpec

__all__ = ["LayerLine", "cycle_breakdown", "layer_line", "layer_result", "leakage_share", "critical_path",
           "totals_of", "provenance", "assemble", "qcosim_version"]


def cycle_breakdown(counts: LayerCounts, view: HardwareView, cycles: int) -> CycleBreakdown:
    """``cycles`` of one layer by cause, each cause counting only what the ones before leave.

    The array's streaming and fill/drain come first, then the vector unit past
    the array, then the busiest shared buffer port past both (together the
    layer's busy time, `LayerCounts.busy_cycles`), and the rest is waiting on DRAM.
    """
    m = counts.mapping
    compute, vector = counts.compute_cycles, counts.vector_cycles
    busy = math.ceil(counts.busy_cycles(view))
    stream = min(m.stream_cycles, compute) if m else 0
    causes = {
        "array_cycles": stream,
        "fill_drain_cycles": compute - stream,
        "vector_cycles": max(vector - compute, 0),
        "buffer_port_cycles": max(busy - max(compute, vector), 0),
    }
    left = cycles
    for name, value in causes.items():
        causes[name] = min(value, left)
        left -= causes[name]
    return CycleBreakdown(**causes, dram_stall_cycles=left)


def _mapping_info(counts: LayerCounts) -> MappingInfo:
    m = counts.mapping
    if m is None:
        return MappingInfo(engine=counts.engine, dataflow="vector")
    return MappingInfo(
        engine=m.engine, dataflow=m.dataflow.value, spatial_rows=m.fold.spatial_rows,
        spatial_cols=m.fold.spatial_cols, temporal=m.fold.temporal,
        folds=m.fold.row_folds * m.fold.col_folds * m.nest.instances,
        tile_k=m.tile_k, tile_c=m.tile_c, tile_y=m.tile_y, loop_order=m.loop_order,
        resident=m.resident, tiles=m.tiles,
        lanes=m.precision.lanes, cycles_per_mac=m.precision.cycles_per_mac,
        executed_formats=(m.precision.weight_format, m.precision.act_format),
    )


@dataclass(frozen=True)
class LayerLine:
    """What the run's totals need of one layer: its place in the run, cycles by cause, energy."""

    name: str
    engine: str
    start_cycle: int
    cycles: int
    macs: int
    peak_macs_per_cycle: float
    dram_bytes: float
    breakdown: CycleBreakdown
    energy: EnergyBreakdown
    quant_overhead: QuantOverhead


def layer_line(counts: LayerCounts, acc: Accelerator, view: HardwareView, *, peak_macs_per_cycle: float,
               cycles: int | None = None, start_cycle: int = 0) -> LayerLine:
    """Price ``counts`` (``cycles`` overrides the analytical latency) and break its cycles down."""
    if cycles is not None and cycles != counts.cycles:
        counts = dataclasses.replace(counts, cycles=cycles)
    energy, quant = price_layer(counts, acc, view)
    return LayerLine(
        name=counts.layer.name, engine=counts.engine, start_cycle=start_cycle, cycles=counts.cycles,
        macs=counts.layer.macs, peak_macs_per_cycle=peak_macs_per_cycle if counts.layer.macs else 0.0,
        dram_bytes=(counts.dram_read_bits + counts.dram_write_bits) / 8,
        breakdown=cycle_breakdown(counts, view, counts.cycles), energy=energy, quant_overhead=quant,
    )


def _result(counts: LayerCounts, line: LayerLine, view: HardwareView) -> LayerResult:
    """The full `LayerResult` of a priced layer: its line plus mapping and traffic per level."""
    layer, m = counts.layer, counts.mapping
    traffic = [
        LevelTraffic(level=lv.name, read_bits=counts.reads_bits.get(lv.name, 0),
                     write_bits=counts.writes_bits.get(lv.name, 0))
        for lv in view.levels
    ]
    traffic.append(LevelTraffic(level="dram", read_bits=counts.dram_read_bits, write_bits=counts.dram_write_bits))
    return LayerResult(
        name=line.name, op=layer.op.value, quant=(layer.quant or QuantSpec()).label(), macs=line.macs,
        cycles=line.cycles, breakdown=line.breakdown, start_cycle=line.start_cycle,
        peak_macs_per_cycle=line.peak_macs_per_cycle, spatial_utilization=m.fold.utilization if m else 0.0,
        mapping=_mapping_info(counts), traffic=traffic, dram_bytes=line.dram_bytes,
        energy=line.energy, quant_overhead=line.quant_overhead,
    )


def layer_result(counts: LayerCounts, acc: Accelerator, view: HardwareView, *, peak_macs_per_cycle: float,
                 cycles: int | None = None, start_cycle: int = 0) -> LayerResult:
    """Price ``counts`` into a `LayerResult` (``cycles`` overrides the analytical latency)."""
    line = layer_line(counts, acc, view, peak_macs_per_cycle=peak_macs_per_cycle, cycles=cycles,
                      start_cycle=start_cycle)
    return _result(counts, line, view)


def leakage_share(lines: list[LayerLine], end_cycle: int, view: HardwareView) -> float:
    """Leakage is the chip's, over the whole run: the factor that scales each layer's share to add up to it.

    A layer is first charged the chip's leakage over its own cycles; when
    layers overlap (several engines) or leave gaps, those shares would not
    count the run's nanoseconds exactly once, so they are scaled to the
    leakage over ``end_cycle`` (1.0 when nothing leaks).
    """
    charged = sum(line.energy.leakage_pj for line in lines)
    return view.leakage_pj(end_cycle) / charged if charged else 1.0


def _shared(line: LayerLine, factor: float) -> LayerLine:
    if factor == 1.0:
        return line
    return dataclasses.replace(line, energy=line.energy.model_copy(
        update={"leakage_pj": line.energy.leakage_pj * factor}))


def critical_path(lines: list[LayerLine], predecessors: dict[str, tuple[str, ...]]) -> tuple[list[LayerLine], int]:
    """The chain of layers that ends the run, last first, and the cycles it spends with none running.

    Walking back from the layer that finishes last, each step goes to whichever
    of its producers or its engine's previous layer finished last (what it
    waited for). List scheduling starts a layer exactly then, so the analytical
    chain has no idle cycles; the discrete-event run may wait for DRAM channels.
    """
    if not lines:
        return [], 0
    end = {r.name: r.start_cycle + r.cycles for r in lines}
    by_name = {r.name: r for r in lines}
    on_engine: dict[str, list[LayerLine]] = {}
    for r in sorted(lines, key=lambda r: (r.start_cycle, end[r.name])):
        on_engine.setdefault(r.engine, []).append(r)
    starts = {engine: [r.start_cycle for r in rs] for engine, rs in on_engine.items()}
    current = max(reversed(lines), key=lambda r: end[r.name])
    chain, idle = [current], 0
    while current.start_cycle > 0:
        queue = on_engine[current.engine]
        position = bisect.bisect_left(starts[current.engine], current.start_cycle)
        before = [queue[position - 1]] if position else []  # an engine runs one layer at a time
        waited = [by_name[p] for p in predecessors.get(current.name, ()) if p in by_name] + before
        waited = [r for r in waited if end[r.name] <= current.start_cycle]
        if not waited:
            break
        previous = max(waited, key=lambda r: end[r.name])
        idle += current.start_cycle - end[previous.name]
        chain.append(previous)
        current = previous
    return chain, idle + current.start_cycle


def totals_of(lines: list[LayerLine], end_cycle: int, clock_hz: float,
              predecessors: dict[str, tuple[str, ...]], leakage_factor: float = 1.0) -> Totals:
    """Whole-network totals from per-layer lines, the end-to-end cycle count and the graph's edges.

    The lines' leakage shares are scaled by ``leakage_factor`` (`leakage_share`) in the total.
    """
    chain, idle = critical_path(lines, predecessors)
    breakdown = sum((r.breakdown for r in chain), CycleBreakdown(idle_cycles=idle))
    busy: dict[str, int] = {}
    for r in lines:
        busy[r.engine] = busy.get(r.engine, 0) + r.cycles
    return Totals(
        cycles=end_cycle, clock_hz=clock_hz, breakdown=breakdown,
        ideal_cycles=sum(r.macs / r.peak_macs_per_cycle for r in lines if r.peak_macs_per_cycle),
        dram_bytes=sum(r.dram_bytes for r in lines), macs=sum(r.macs for r in lines),
        engine_busy_cycles=busy, energy=_scaled_leakage(_sum_models([r.energy for r in lines], EnergyBreakdown),
                                                        leakage_factor),
        quant_overhead=_sum_models([r.quant_overhead for r in lines], QuantOverhead),
    )


def _scaled_leakage(energy: EnergyBreakdown, factor: float) -> EnergyBreakdown:
    return energy if factor == 1.0 else energy.model_copy(update={"leakage_pj": energy.leakage_pj * factor})


def _sum_models(items, model):
    """Field-wise sum of pydantic models of one type (dicts of floats summed by key)."""
    total: dict = {}
    for item in items:
        for key in type(item).model_fields:
            value = getattr(item, key)
            if isinstance(value, dict):
                bucket = total.setdefault(key, {})
                for k, v in value.items():
                    bucket[k] = bucket.get(k, 0.0) + v
            else:
                total[key] = total.get(key, 0.0) + value
    return model(**total) if total else model()


@functools.cache
def qcosim_version() -> str:
    """The installed qcosim version (in every result's provenance and every sweep point's key)."""
    try:
        return importlib.metadata.version("qcosim")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def workload_digest(graph: LayerGraph) -> str:
    """SHA-256 prefix of the annotated layers and edges in execution order (derived once per graph)."""
    def digest() -> str:
        payload = [[layer.model_dump(mode="json"), sorted(graph.predecessors(layer.name))]
                   for layer in graph.layers()]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    return per_graph(graph, "digest", digest)


def provenance(graph: LayerGraph, view: HardwareView, options: SimOptions, policy: str) -> Provenance:
    """What produced a result: qcosim's version, the hardware and workload digests, policy and options."""
    return Provenance(qcosim_version=qcosim_version(), hardware_digest=view.signature, workload=graph.name,
                      workload_digest=workload_digest(graph), policy=policy,
                      options=options.model_dump(mode="json"))


def assemble(graph: LayerGraph, counts: list[LayerCounts], spans: dict[str, tuple[int, int]],
             peaks: dict[str, float], acc: Accelerator, view: HardwareView, options: SimOptions, *,
             policy: str = "", timeline: list[TraceEvent] | None = None) -> SimResult:
    """The `SimResult` of a run: ``spans`` gives each layer's (start, end) cycle, ``peaks`` its chip peak.

    Totals come from light per-layer lines; the full `LayerResult`s (mapping,
    traffic per level) are built only when ``options.keep_layers`` asks.
    """
    lines = [layer_line(c, acc, view, peak_macs_per_cycle=peaks.get(c.layer.name, 0.0),
                        cycles=spans[c.layer.name][1] - spans[c.layer.name][0], start_cycle=spans[c.layer.name][0])
             for c in counts]
    end_cycle = max((end for _, end in spans.values()), default=0)
    factor = leakage_share(lines, end_cycle, view)
    predecessors = per_graph(graph, "predecessors", lambda: {
        layer.name: tuple(graph.predecessors(layer.name)) for layer in graph.layers()})
    layers = ([_result(c, _shared(line, factor), view) for c, line in zip(counts, lines, strict=True)]
              if options.keep_layers else [])
    return SimResult(
        workload=graph.name, hardware=acc.name, policy=policy, fidelity=options.fidelity, clock_hz=acc.clock_hz,
        provenance=provenance(graph, view, options, policy),
        totals=totals_of(lines, end_cycle, acc.clock_hz, predecessors, factor), layers=layers,
        timeline=timeline or [],
    )
