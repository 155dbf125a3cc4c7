"""Discrete-event fidelity: a layer graph as tiles flowing through shared engines and DRAM channels.

The chip as a small factory run by simpy. Every MAC array and the vector unit
is a machine that one layer holds from its first tile to its last; DRAM is a
row of loading docks (channels) that every running layer queues for; between
a layer's DMA loader, its compute unit and its write-back engine sit on-chip
buffers with one slot (single-buffered: load, compute, store in turn) or two
(double-buffered: the next tile loads while this one computes); where only
some operands have a second slot, their part of the next tile loads ahead and
the rest once the array has finished with the tile before. A layer's
tiles are fused into at most ``SimOptions.max_events_per_layer`` groups that
share its traffic and busy cycles equally (the first group loads at least a
whole tile), so the event count stays bounded whatever the network's size.

Time is integer cycles (``env.now``); each run builds its own
``simpy.Environment`` and keeps no state elsewhere, so runs are independent
and deterministic. Requests that meet at the same cycle are ordered by
explicit priorities (program order of the layers), not by the event queue.
Energy comes from the analytical counts, re-priced over the simulated cycles.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Generator
from dataclasses import dataclass

import simpy

from hwmodels import Accelerator
from simulator.assembly import assemble
from simulator.cost import LayerCounts
from simulator.errors import SimulationError
from simulator.hardware_view import HardwareView
from simulator.options import SimOptions
from simulator.results import SimResult, TraceEvent
from simulator.schedule import Schedule
from workloads.graph import LayerGraph

__all__ = [
    "LayerPlan",
    "Arbiter",
    "DramPort",
    "plan_layer",
    "dram_transfer",
    "dma_loader",
    "compute_unit",
    "writeback",
    "run_des",
]

VECTOR_UNIT = "vector_unit"
"""Unit name of the vector unit (as `LayerCounts.engine` spells it)."""

Record = tuple[int, int, str, str, str, int]
"""A timeline span while the run lasts: (cycle, duration_cycles, unit, layer, kind, bits)."""

_STORE_FIRST, _LOAD_SECOND = 0, 1  # same-cycle DRAM ties: drain outputs before filling inputs


def _share(total: int, parts: int, index: int) -> int:
    """Part ``index`` of ``total`` cut into ``parts`` integers that sum to ``total`` exactly."""
    return total // parts + (1 if index < total % parts else 0)


@dataclass(frozen=True)
class LayerPlan:
    """One layer's work for the event run, as plain integers: ``groups`` groups of tiles."""

    name: str
    index: int
    """Program-order position; the priority for engines and same-cycle DRAM ties."""
    unit: str
    """Engine that runs it (a MAC array's name, or ``vector_unit``)."""
    kind: str
    """Trace kind of its busy spans: ``compute`` (MAC array) or ``vector``."""
    groups: int
    """G: groups of tiles, each loaded, computed and stored as one event."""
    tiles: int
    """Tiles the groups stand for; each tile's transfer waits the DRAM latency."""
    load_bits: int
    """DRAM bits read over the whole layer."""
    ahead_load_bits: int
    """Of ``load_bits``, those loaded into a second buffer slot while the group before computes; the rest
    wait until the array has finished with the group before."""
    first_load_bits: int
    """DRAM bits the first group reads: at least a whole tile's footprint, since nothing is on chip yet."""
    busy_cycles: int
    """Cycles the engine is busy over the whole layer (array, epilogue or buffer ports)."""
    store_bits: int
    """DRAM bits written over the whole layer."""
    load_slots: int
    """Buffer slots between loader and compute: 2 where some loads go ahead, else 1."""
    store_slots: int
    """Buffer slots between compute and write-back."""

    def group_load_bits(self, i: int) -> int:
        """DRAM bits group ``i`` loads: the first tile's footprint, then equal shares of the rest."""
        if i == 0:
            return self.first_load_bits
        return _share(self.load_bits - self.first_load_bits, self.groups - 1, i - 1)

    def group_ahead_bits(self, i: int) -> int:
        """Of `group_load_bits`, those group ``i`` loads ahead: the layer's share of them in the first
        group, equal shares of the rest after."""
        if self.ahead_load_bits == self.load_bits:
            return self.group_load_bits(i)
        first = self.first_load_bits * self.ahead_load_bits // self.load_bits if self.load_bits else 0
        if i == 0:
            return first
        return _share(self.ahead_load_bits - first, self.groups - 1, i - 1)

    def group_busy_cycles(self, i: int) -> int:
        """Engine cycles of group ``i``."""
        return _share(self.busy_cycles, self.groups, i)

    def group_latency_cycles(self, i: int, latency_cycles: int) -> int:
        """DRAM latency group ``i`` pays per transfer: its even share of one latency per tile.

        Shared evenly (not by whole tiles) so that 384 tiles in 256 groups do not
        alternate between groups paying one and two latencies.
        """
        return _share(self.tiles * latency_cycles, self.groups, i)

    def group_store_bits(self, i: int) -> int:
        """DRAM bits group ``i`` stores."""
        return _share(self.store_bits, self.groups, i)


_SETTLED = 2
"""Event priority after simpy's URGENT (0) and NORMAL (1): runs once everything else of its cycle has."""


class _Settled(simpy.Event):
    """Fires at the current cycle once every other event of that cycle has run (inlined like `simpy.Timeout`)."""

    def __init__(self, env: simpy.Environment) -> None:
        super().__init__(env)
        self._ok, self._value = True, None
        env.schedule(self, priority=_SETTLED)


class Arbiter:
    """A pool of identical units (an engine, the DRAM channels) granted by explicit priority.

    Like a hardware arbiter it decides at the end of a cycle: requests made
    during a cycle are granted once that cycle has settled, best ``key``
    first, each taking the lowest-numbered idle unit. A ``simpy.Resource``
    would instead grant a free unit to whichever request the event queue
    happens to process first, so same-cycle contention would hinge on event
    order rather than on a stated rule.
    """

    def __init__(self, env: simpy.Environment, names: tuple[str, ...]) -> None:
        self.env = env
        self.names = names
        """Unit name of each unit, as the timeline shows it."""
        self._idle = list(range(len(names)))
        self._waiting: list[tuple[tuple, int, simpy.Event]] = []
        self._arrivals = 0
        self._armed = False

    def request(self, key: tuple) -> simpy.Event:
        """An event whose value is the granted unit's index; lower ``key`` is served first."""
        grant = self.env.event()
        heapq.heappush(self._waiting, (key, self._arrivals, grant))
        self._arrivals += 1
        self._arm()
        return grant

    def release(self, unit: int) -> None:
        """Give ``unit`` back to the pool."""
        heapq.heappush(self._idle, unit)
        self._arm()

    def _arm(self) -> None:
        if not self._armed and self._idle and self._waiting:
            self._armed = True
            _Settled(self.env).callbacks.append(self._grant)

    def _grant(self, _event: simpy.Event) -> None:
        self._armed = False
        while self._idle and self._waiting:
            _, _, grant = heapq.heappop(self._waiting)
            grant.succeed(heapq.heappop(self._idle))


@dataclass(frozen=True)
class DramPort:
    """The DRAM interface of one run: identical channels behind one arbiter, and their timing."""

    channels: Arbiter
    latency_cycles: int
    channel_bits_per_cycle: float

    def hold_cycles(self, bits: int, latency: int) -> int:
        """Cycles a transfer of ``bits`` that waits ``latency`` cycles holds its channel."""
        if math.isinf(self.channel_bits_per_cycle):
            return latency
        return latency + math.ceil(bits / self.channel_bits_per_cycle)


def _dram_port(env: simpy.Environment, view: HardwareView) -> DramPort:
    channels = view.dram_channels
    return DramPort(
        channels=Arbiter(env, tuple(f"dram[{i}]" for i in range(channels))),
        latency_cycles=view.dram_latency_cycles,
        channel_bits_per_cycle=view.dram_bits_per_cycle / channels,
    )


def plan_layer(counts: LayerCounts, index: int, view: HardwareView, max_groups: int) -> LayerPlan:
    """Cut a layer's counts into at most ``max_groups`` groups of tiles.

    The transfer plan is the cost model's (`LayerCounts.tiles`,
    ``first_load_bits``, ``ahead_read_bits``, ``stores_overlap``), so both
    fidelities share one definition: a MAC layer has the mapper's DRAM-level
    tiles, a vector layer buffer-sized chunks. The first group loads at least a
    whole tile; the rest of the traffic and all busy cycles are shared equally.
    Loads ahead and overlapping stores get two buffer slots, others one.
    """
    groups = min(counts.tiles, max_groups)
    share = _share(counts.dram_read_bits, groups, 0)
    return LayerPlan(
        name=counts.layer.name, index=index, unit=counts.engine,
        kind="vector" if counts.engine == VECTOR_UNIT else "compute",
        groups=groups, tiles=max(counts.tiles, groups), load_bits=counts.dram_read_bits,
        ahead_load_bits=counts.ahead_read_bits,
        first_load_bits=max(share, counts.first_load_bits) if groups > 1 else counts.dram_read_bits,
        busy_cycles=math.ceil(counts.busy_cycles(view)),
        store_bits=counts.dram_write_bits,
        load_slots=2 if counts.ahead_read_bits else 1,
        store_slots=2 if counts.stores_overlap else 1,
    )


def _channel_transfer(env: simpy.Environment, port: DramPort, bits: int, latency: int, priority: tuple,
                      layer: str, kind: str, trace: list[Record]) -> Generator:
    channel = yield port.channels.request((env.now, *priority))
    start, hold = env.now, port.hold_cycles(bits, latency)
    yield env.timeout(hold)
    port.channels.release(channel)
    trace.append((start, hold, port.channels.names[channel], layer, kind, bits))


def dram_transfer(env: simpy.Environment, port: DramPort, bits: int, latency: int, priority: tuple,
                  layer: str, kind: str, trace: list[Record]) -> Generator:
    """Move ``bits`` across DRAM, striped over every channel as interleaved addresses are.

    ``latency`` is what the tiles this event stands for wait in all (a group of
    identical tiles pays one latency per tile). Each stripe waits for a channel
    (first come first served; same-cycle ties by ``priority``) and holds it for
    that latency plus its streaming time.
    """
    count = len(port.channels.names)
    stripes = [_share(bits, count, i) for i in range(min(count, bits))]
    if len(stripes) == 1:
        yield from _channel_transfer(env, port, bits, latency, priority, layer, kind, trace)
        return
    yield env.all_of([env.process(_channel_transfer(env, port, part, latency, priority, layer, kind, trace))
                      for part in stripes])


def dma_loader(env: simpy.Environment, port: DramPort, plan: LayerPlan, free: simpy.Store,
               loaded: simpy.Store, behind: simpy.Store, trace: list[Record]) -> Generator:
    """Fetch each group into a free input-buffer slot, then hand the slot to compute.

    With two slots, what a group loads behind (`LayerPlan.group_ahead_bits`:
    the rest) also waits for ``behind``, the single-buffered space the array
    hands back when it has finished with the group before.
    """
    for i in range(plan.groups):
        slot = yield free.get()
        bits, ahead = plan.group_load_bits(i), plan.group_ahead_bits(i)
        latency = plan.group_latency_cycles(i, port.latency_cycles)
        if ahead:
            yield from dram_transfer(env, port, ahead, latency, (plan.index, _LOAD_SECOND), plan.name, "load", trace)
        waited = plan.load_slots == 2 and bits > ahead
        if waited:
            yield behind.get()
        if bits > ahead:
            yield from dram_transfer(env, port, bits - ahead, latency, (plan.index, _LOAD_SECOND),
                                     plan.name, "load", trace)
        yield loaded.put((slot, waited))


def compute_unit(env: simpy.Environment, plan: LayerPlan, loaded: simpy.Store, free: simpy.Store,
                 behind: simpy.Store, out_free: simpy.Store, computed: simpy.Store,
                 trace: list[Record]) -> Generator:
    """Compute each loaded group into a free output slot; release its input slot (and the single-buffered
    space it loaded behind into) when done."""
    for i in range(plan.groups):
        slot, waited = yield loaded.get()
        out_slot = yield out_free.get()
        cycles = plan.group_busy_cycles(i)
        if cycles:
            start = env.now
            yield env.timeout(cycles)
            trace.append((start, cycles, plan.unit, plan.name, plan.kind, 0))
        yield free.put(slot)
        if waited:
            yield behind.put(0)
        yield computed.put(out_slot)


def writeback(env: simpy.Environment, port: DramPort, plan: LayerPlan, computed: simpy.Store,
              out_free: simpy.Store, trace: list[Record]) -> Generator:
    """Store each computed group to DRAM and free its output slot; return the last completion cycle."""
    for i in range(plan.groups):
        out_slot = yield computed.get()
        bits = plan.group_store_bits(i)
        if bits:
            yield from dram_transfer(env, port, bits, plan.group_latency_cycles(i, port.latency_cycles),
                                     (plan.index, _STORE_FIRST),
                                     plan.name, "store", trace)
        yield out_free.put(out_slot)
    return env.now


def _slots(env: simpy.Environment, count: int) -> simpy.Store:
    store = simpy.Store(env, capacity=count)
    store.items.extend(range(count))
    return store


def _layer(env: simpy.Environment, plan: LayerPlan, engine: Arbiter, after: list, port: DramPort,
           trace: list[Record], spans: dict[str, list[int]]) -> Generator:
    """Wait for the producers, hold the engine, run the three stages; the layer's start and end go to spans."""
    if after:
        yield env.all_of(after)
    unit = yield engine.request((plan.index,))  # program order decides who gets a contended engine
    spans[plan.name] = [env.now]
    free, loaded = _slots(env, plan.load_slots), simpy.Store(env, capacity=plan.load_slots)
    behind = _slots(env, 1)
    out_free, computed = _slots(env, plan.store_slots), simpy.Store(env, capacity=plan.store_slots)
    env.process(dma_loader(env, port, plan, free, loaded, behind, trace))
    env.process(compute_unit(env, plan, loaded, free, behind, out_free, computed, trace))
    end = yield env.process(writeback(env, port, plan, computed, out_free, trace))
    spans[plan.name].append(end)
    engine.release(unit)


def _check_finished(plans: list[LayerPlan], spans: dict[str, list[int]], budget: int | None) -> None:
    unfinished = [p.name for p in plans if len(spans.get(p.name, ())) < 2]
    if not unfinished:
        return
    running = [name for name in unfinished if name in spans]
    shown = ", ".join(repr(name) for name in (running or unfinished)[:5])
    more = f" and {len(running or unfinished) - 5} more" if len(running or unfinished) > 5 else ""
    state = "still running" if running else "waiting"
    if budget is None:
        raise SimulationError(f"discrete-event run deadlocked with layers {state}: {shown}{more}")
    raise SimulationError(f"discrete-event run exceeded max_cycles={budget} with layers {state}: {shown}{more}")


def _simulate_plans(plans: list[LayerPlan], graph: LayerGraph, view: HardwareView, units: list[str],
                    budget: int | None) -> tuple[dict[str, list[int]], list[Record]]:
    env = simpy.Environment()
    engines = {unit: Arbiter(env, (unit,)) for unit in units}
    port = _dram_port(env, view)
    trace: list[Record] = []
    spans: dict[str, list[int]] = {}
    done: dict[str, simpy.Process] = {}
    for plan in plans:
        after = [done[p] for p in graph.predecessors(plan.name)]
        done[plan.name] = env.process(_layer(env, plan, engines[plan.unit], after, port, trace, spans))
    # Events at the budget's own cycle still run; anything later is past it.
    env.run(until=None if budget is None else budget + 1)
    _check_finished(plans, spans, budget)
    trace.sort(key=lambda record: (record[0], record[2]))
    return spans, trace


def run_des(graph: LayerGraph, schedule: Schedule, acc: Accelerator, view: HardwareView,
            options: SimOptions, *, policy: str = "") -> SimResult:
    """Simulate ``graph`` tile group by tile group on shared engines and DRAM channels.

    Parameters
    ----------
    graph : LayerGraph
        The network; a layer starts once all its producers have finished.
    schedule : Schedule
        Per-layer counts in execution order, each on its engine (`simulator.engine.map_graph`).
    acc : Accelerator
        The hardware (clock, engines, energy).
    view : HardwareView
        ``acc`` as plain numbers.
    options : SimOptions
        ``max_events_per_layer`` bounds the groups per layer; ``max_cycles`` is the deadlock guard.
    policy : str
        Label of the quantization policy, recorded in the result.

    Returns
    -------
    SimResult
        ``fidelity="des"``: per-layer cycles from the event run (energy re-priced
        over them), the end-to-end latency as the completion of the last
        write-back, and the timeline of every load, compute and store.

    Raises
    ------
    SimulationError
        The run passed ``options.max_cycles`` (or deadlocked) with layers unfinished.

    Examples
    --------
    >>> from hwmodels import load_hardware
    >>> from simulator import SimOptions, simulate
    >>> from workloads import Layer, LayerGraph, apply_quant
    >>> graph = apply_quant(LayerGraph([Layer(name="fc", op="gemm", p=64, c=64, k=64)], name="mlp"), "w8a8")
    >>> result = simulate(graph, load_hardware("edge-npu"), SimOptions(fidelity="des", record_timeline=True))
    >>> sorted({(event.unit, event.kind) for event in result.timeline})
    [('dram[0]', 'load'), ('dram[0]', 'store'), ('pe_array', 'compute')]
    >>> result.totals.cycles == result.layers[0].cycles
    True
    """
    plans = [plan_layer(c, i, view, options.max_events_per_layer)
             for i, c in enumerate(schedule.counts)]
    units = [engine.name for engine in acc.engines] + [VECTOR_UNIT]
    spans, trace = _simulate_plans(plans, graph, view, units, options.max_cycles)
    timeline = [TraceEvent(cycle=c, duration_cycles=d, unit=u, layer=n, kind=k, bits=b)
                for c, d, u, n, k, b in trace] if options.record_timeline else []
    return assemble(graph, schedule.counts, {name: tuple(span) for name, span in spans.items()}, schedule.peaks,
                    acc, view, options, policy=policy, timeline=timeline)
