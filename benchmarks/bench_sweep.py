"""Design points per second of a ResNet-50 hardware sweep, on local processes and on a Dask LocalCluster.

A benchmark, not a test (machines here are shared and noisy). The sweep is the
real machinery (`qcosim sweep`): a spec of 20 DRAM bandwidths x 20 buffer sizes x
4 array shapes of edge-npu (1,600 points, w8a8), expanded, evaluated in batches by
2 worker processes or by a 2-worker Dask LocalCluster on loopback, and written
to a fresh results store as batches finish. Times include expanding the spec,
starting the workers and writing the store; the store's size per point is
reported too.

Run: ``.venv/bin/python benchmarks/bench_sweep.py [--repeat 3] [--workers 2]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

BANDWIDTHS_GB_PER_S = [round(4 * 1.2 ** i, 2) for i in range(20)]      # 4 to 128 GB/s
BUFFER_SCALES = [round(0.25 * 1.18 ** i, 4) for i in range(20)]       # a quarter to 5x the preset's buffers
ARRAYS = [(16, 16), (32, 32), (64, 64), (32, 64)]
ACT_SRAM_BYTES, WEIGHT_SRAM_BYTES = 262144, 524288  # edge-npu's memory[2] and memory[3]


def spec_text() -> str:
    """The 1,600-point sweep spec (array shape and the two buffers each linked)."""
    spec = {
        "schema_version": "1", "name": "bench-resnet50-edge-npu",
        "workloads": [{"name": "resnet50"}], "policies": ["w8a8"],
        "hardware": {
            "base": "edge-npu",
            "vary": {
                "engines[0].rows": [r for r, _ in ARRAYS], "engines[0].cols": [c for _, c in ARRAYS],
                "dram.bandwidth_gb_per_s": BANDWIDTHS_GB_PER_S,
                "memory[2].size_bytes": [int(ACT_SRAM_BYTES * s) for s in BUFFER_SCALES],
                "memory[3].size_bytes": [int(WEIGHT_SRAM_BYTES * s) for s in BUFFER_SCALES],
            },
            "link": [["engines[0].rows", "engines[0].cols"], ["memory[2].size_bytes", "memory[3].size_bytes"]],
        },
        "sampling": {"method": "grid"},
    }
    return yaml.safe_dump(spec, sort_keys=False)


def run_once(executor: str, workers: int) -> tuple[float, int, float]:
    """(points per second, points, store bytes per point) of one sweep into a fresh directory."""
    from analysis.runner import run_sweep

    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "spec.yaml"
        spec.write_text(spec_text())
        summary = run_sweep(spec, Path(folder) / "out", executor=executor, workers=workers)
        size = Path(summary.store).stat().st_size
    return summary.points / summary.seconds, summary.points, size / summary.points


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    for executor in ("local", "dask"):
        runs = [run_once(executor, args.workers) for _ in range(args.repeat)]
        rate = statistics.median(r[0] for r in runs)
        print(f"{executor:6} {args.workers} workers: {runs[0][1]} ResNet-50 points, median {rate:6.1f} points/s "
              f"over {args.repeat} runs (start-up and store included); store {runs[0][2] / 1024:.2f} KiB a point")
    return 0


if __name__ == "__main__":
    sys.exit(main())
