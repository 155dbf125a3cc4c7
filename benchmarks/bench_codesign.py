"""Time of a co-design: the demo's question, and a 1,000-accelerator ResNet-50 space with four candidate formats.

A benchmark, not a test (machines here are shared and noisy). Both runs are the
real machinery (`qcosim codesign`): the spec is expanded, every accelerator is
costed at every candidate and searched exactly on 2 worker processes (or a
2-worker Dask LocalCluster), stored, and the front, the baselines and the
answer (simulated end to end) are read back. Times include starting the
workers (or, serially, cold caches), writing the store and building the report
(JSON, CSV and HTML).

- ``demo``: the question ``qcosim demo`` ends with (ResNet-18 on Bit Fusion-style
  accelerators under 3 mm^2, w2a8/w4a8/w8a8, output SQNR >= 15 dB).
- ``resnet50``: 5 array shapes x 10 weight buffers x 20 input buffers of Bit
  Fusion = 1,000 accelerators, ResNet-50, candidates w2a8, w4a4, w4a8, w8a8,
  output SQNR >= 12 dB. ``--sample N`` runs N of them drawn at random (the
  spec's own ``random`` sampling, seed 0) and extrapolates to 1,000 from the
  time per accelerator, saying so.

Run: ``.venv/bin/python benchmarks/bench_codesign.py [--repeat 3] [--workers 2] [--sample 100] [--executor local]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ARRAYS = [(16, 16), (16, 32), (32, 32), (32, 64), (64, 64)]
WEIGHT_BUFFERS_KIB = [16, 24, 32, 48, 64, 96, 128, 192, 256, 384]
INPUT_BUFFERS_KIB = [8 + 8 * i for i in range(20)]  # 8 to 160 KiB


def resnet50_spec(sample: int | None) -> str:
    """The 1,000-accelerator ResNet-50 co-design (or a random sample of it)."""
    spec = {
        "schema_version": "1", "name": "bench-codesign-resnet50", "workloads": [{"name": "resnet50"}],
        "hardware": {
            "base": "bitfusion",
            "vary": {"engines[0].rows": [r for r, _ in ARRAYS], "engines[0].cols": [c for _, c in ARRAYS],
                     "memory[0].size_bytes": [f"{k}KiB" for k in WEIGHT_BUFFERS_KIB],
                     "memory[1].size_bytes": [f"{k}KiB" for k in INPUT_BUFFERS_KIB]},
            "link": [["engines[0].rows", "engines[0].cols"]],
        },
        "sampling": {"method": "random", "samples": sample, "seed": 0} if sample else {"method": "grid"},
        "search": {"candidates": ["w2a8", "w4a4", "w4a8", "w8a8"], "budgets": {"accuracy": "sqnr>=12dB"}},
    }
    return yaml.safe_dump(spec, sort_keys=False)


def run_once(text: str, executor: str, workers: int) -> tuple[float, float, int, int]:
    """(seconds searching, seconds in all with the report, accelerators, front points) into a fresh directory.

    Cold: the caches of this process (the serial executor's) are emptied first, as worker processes start empty.
    """
    from analysis import codesign_eval
    from analysis.codesign import codesign_report, run_codesign, write_outputs
    from qcosim.cli_codesign import codesign_document
    from reports import write_files
    from simulator import clear_caches

    clear_caches()
    codesign_eval._network.cache_clear()
    codesign_eval._proxy.cache_clear()
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "spec.yaml"
        spec.write_text(text)
        start = time.perf_counter()
        summary = run_codesign(spec, Path(folder) / "out", executor=executor, workers=workers)
        report = codesign_report(spec, Path(folder) / "out")
        write_outputs(report, Path(folder) / "out")
        write_files(codesign_document(report), Path(folder) / "out" / "report")
        total = time.perf_counter() - start
    return summary.seconds, total, summary.points, len(report.fronts[0].points)


def main(argv: list[str] | None = None) -> int:
    from qcosim.cli_codesign import DEMO_SPEC

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--executor", default="local", choices=("local", "dask", "serial"))
    parser.add_argument("--sample", type=int, default=None, help="Accelerators of the ResNet-50 space to run.")
    parser.add_argument("--only", choices=("demo", "resnet50"), default=None)
    args = parser.parse_args(argv)
    cases = {"demo": DEMO_SPEC, "resnet50": resnet50_spec(args.sample)}
    for name, text in cases.items():
        if args.only and name != args.only:
            continue
        runs = []
        for _ in range(args.repeat):
            runs.append(run_once(text, args.executor, args.workers))
            print(f"  {name} run {len(runs)}: {runs[-1][1]:.1f} s ({runs[-1][0]:.1f} s searching)", flush=True)
        search_s, total_s = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        points, front = runs[0][2], runs[0][3]
        where = "serial" if args.executor == "serial" else f"{args.executor} {args.workers} workers"
        line = (f"{name:8} {where}: {points} accelerators, median {total_s:.1f} s "
                f"with the report ({search_s:.1f} s searching, {points / search_s:.1f} accelerators/s) over "
                f"{args.repeat} runs; front of {front} points")
        if name == "resnet50" and points < 1000:
            line += f"; extrapolated to 1,000 accelerators: {1000 * search_s / points:.0f} s searching"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
