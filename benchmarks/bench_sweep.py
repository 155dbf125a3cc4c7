"""Design points per second: ResNet-50 over DRAM bandwidth x buffer sizes x array shapes, on worker processes.

A benchmark, not a test (machines here are shared and noisy). Each point is a
new accelerator (validated from a dict, as a sweep would build it) simulated
analytically with a totals-only result. Points go to ``--workers`` processes
in batches, so each worker keeps its per-process caches warm: the shape-only
candidate tables are shared by every point with the same array shape.

Run: ``.venv/bin/python benchmarks/bench_sweep.py [--workers 2] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import copy
import itertools
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import yaml

BANDWIDTHS_GB_PER_S = (4, 6, 8, 12, 17, 24, 34, 48, 68, 96)
BUFFER_SCALES = (0.25, 0.375, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6)
ARRAYS = ((16, 16), (32, 32), (64, 64), (32, 64))
_GRAPH = None


def design_points(preset: str = "edge-npu") -> list[dict]:
    """The grid: every (bandwidth, buffer scale, array shape) variant of ``preset`` as a config dict."""
    from hwmodels.io import PRESET_DIR

    base = yaml.safe_load((PRESET_DIR / f"{preset}.yaml").read_text())
    points = []
    # Array shape varies slowest, so a batch of consecutive points shares candidate tables (a worker's
    # cache stays warm: the shape-only work is done once per array shape and layer, not per point).
    for (rows, cols), bandwidth, scale in itertools.product(ARRAYS, BANDWIDTHS_GB_PER_S, BUFFER_SCALES):
        point = copy.deepcopy(base)
        point["dram"]["bandwidth_gb_per_s"] = bandwidth
        for level in point["memory"]:
            if level.get("sharing") != "per_pe":
                level["size_bytes"] = int(level["size_bytes"] * scale)
        point["engines"][0].update(rows=rows, cols=cols)
        points.append(point)
    return points


def _init() -> None:
    global _GRAPH
    from workloads import apply_quant, load_workload

    _GRAPH = apply_quant(load_workload("resnet50"), "w8a8")


def evaluate(point: dict) -> tuple[int, float, float]:
    """Latency (cycles) and energy (pJ) of ResNet-50 at w8a8 on one design point; the worker's peak RSS (MiB)."""
    from hwmodels import parse_hardware
    from simulator import SimOptions, simulate

    result = simulate(_GRAPH, parse_hardware(point), SimOptions(keep_layers=False))
    return result.totals.cycles, result.totals.energy_pj, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(points: list[dict], workers: int) -> tuple[float, float]:
    """Seconds to evaluate ``points`` on a fresh pool of ``workers`` processes (start-up included), and the
    largest worker's peak RSS in MiB."""
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, initializer=_init) as pool:
        done = list(pool.map(evaluate, points, chunksize=max(1, len(points) // len(ARRAYS))))
    return time.perf_counter() - start, max(rss for _, _, rss in done)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    points = design_points()
    runs = [run(points, args.workers) for _ in range(args.repeat)]
    median = statistics.median(seconds for seconds, _ in runs)
    print(f"{len(points)} ResNet-50 design points ({len(BANDWIDTHS_GB_PER_S)} DRAM bandwidths x "
          f"{len(BUFFER_SCALES)} buffer sizes x {len(ARRAYS)} array shapes) on {args.workers} processes")
    print(f"median {median:.2f} s over {args.repeat} runs (pool start-up included): "
          f"{len(points) / median:.1f} points/s; worker peak RSS {max(rss for _, rss in runs):.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
