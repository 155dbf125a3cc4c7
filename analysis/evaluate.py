"""Simulating sweep points: the work a worker does, with its caches kept warm between batches.

A worker process loads each network once (`functools.lru_cache` over the
workload and policy), validates each accelerator description, simulates with
a totals-only result and reduces it to plain numbers. A point the hardware
cannot run comes back as a failed `PointResult` with its one-line reason,
never as an exception that would stop the sweep.
"""

from __future__ import annotations

import functools
import gc
import json
import multiprocessing
import time
from collections.abc import Sequence

from analysis.points import PointResult, SweepPoint
from hwmodels import area_breakdown_mm2, parse_hardware
from hwmodels.errors import ConfigError
from simulator import MappingError, SimOptions, SimulationError, simulate
from workloads.errors import WorkloadError
from workloads.io import load_workload
from workloads.policy import apply_quant, load_policy
from workloads.summary import summarize

__all__ = ["evaluate_point", "evaluate_batch", "POINT_ERRORS"]

POINT_ERRORS = (WorkloadError, ConfigError, MappingError, SimulationError)
"""Errors that fail one point (recorded with their message), not the sweep."""


@functools.lru_cache(maxsize=64)
def _graph(workload: str, params_json: str, policy: str):
    """The annotated graph and its weight bytes, once per process (a sweep reuses a few of them)."""
    params = json.loads(params_json)
    shapes = params.pop("input_shapes", None)
    graph = apply_quant(load_workload(workload, params=params or None, input_shapes=shapes), load_policy(policy))
    return graph, summarize(graph).totals.weight_bytes


def evaluate_point(point: SweepPoint) -> PointResult:
    """Simulate one point (analytical unless its options say otherwise) into plain metrics."""
    start = time.perf_counter()
    try:
        graph, weight_bytes = _graph(point.workload, json.dumps(point.params, sort_keys=True), point.policy)
        acc = parse_hardware(point.hardware, source=f"point {point.key}")
        options = SimOptions(**{"keep_layers": False, **point.options})
        result = simulate(graph, acc, options)
        totals = result.totals
    except POINT_ERRORS as exc:
        return PointResult(key=point.key, status="failed", error=str(exc), seconds=time.perf_counter() - start)
    metrics = {
        "latency_s": totals.latency_s, "cycles": float(totals.cycles), "energy_pj": totals.energy_pj,
        "edp_js": totals.latency_s * totals.energy_pj * 1e-12, "dram_bytes": totals.dram_bytes,
        "macs": float(totals.macs), "utilization": totals.utilization,
        "area_mm2": sum(area_breakdown_mm2(acc).values()),
        "sram_bytes": float(acc.onchip_bytes),
        "leakage_mw": acc.leakage_mw, "weight_bytes": float(weight_bytes),
    }
    return PointResult(key=point.key, status="ok", metrics=metrics, layers=[_layer_detail(r) for r in result.layers],
                       seconds=time.perf_counter() - start)


def _layer_detail(layer) -> dict[str, str | float]:
    """One layer of a result as the store's ``layers`` table keeps it (`LAYER_FIELDS`)."""
    b = layer.breakdown
    return {"name": layer.name, "op": layer.op, "quant": layer.quant, "engine": layer.mapping.engine,
            "start_cycle": layer.start_cycle, "cycles": layer.cycles, "array_cycles": b.array_cycles,
            "fill_drain_cycles": b.fill_drain_cycles, "vector_cycles": b.vector_cycles,
            "buffer_port_cycles": b.buffer_port_cycles, "dram_stall_cycles": b.dram_stall_cycles,
            "energy_pj": layer.energy_pj, "dram_bytes": layer.dram_bytes, "macs": layer.macs,
            "utilization": layer.utilization}


def evaluate_batch(points: Sequence[SweepPoint]) -> list[PointResult]:
    """Evaluate ``points`` in order (one task of an executor: many points, warm caches)."""
    _relax_gc_in_workers()
    return [evaluate_point(point) for point in points]


@functools.cache
def _relax_gc_in_workers() -> None:
    """In a worker process, collect cycles less often: a point allocates thousands of short-lived objects.

    The imported modules are frozen out of the collector and the first
    generation waits for 50,000 allocations instead of 700: about 10% less time
    per point (ResNet-50 on edge-npu, 15 vs 17 ms). The driver process (no
    parent process) keeps Python's defaults.
    """
    if multiprocessing.parent_process() is not None:
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)
