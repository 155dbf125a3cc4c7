"""Seconds and bytes of the report of a 1,000-point sweep (target: under 10 s and under 10 MB).

A benchmark, not a test (machines here are shared and noisy). The store is made
once by the real sweep machinery: 20 DRAM bandwidths x 25 buffer sizes of
Bit Fusion (500 configurations) at w4a8 and w8a8 on the tiny CNN of
``examples/`` (1,000 points). Each repeat then builds and writes the whole
report (front with the knee, rankings, one plot per swept parameter, the
sortable table of every point; HTML, Markdown, SVGs, CSVs and JSON) into a
fresh directory, in a fresh interpreter so matplotlib's import is counted.
Reported: the median wall time and the sizes of ``report.html`` and of the
whole directory.

Run: ``.venv/bin/python benchmarks/bench_report.py [--repeat 5]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]
BANDWIDTHS_GB_PER_S = [round(4 * 1.2 ** i, 2) for i in range(20)]  # 4 to 128 GB/s
BUFFER_BYTES = [int(8192 * 1.15 ** i) for i in range(25)]           # 8 KiB to about 230 KiB


def spec_text() -> str:
    """The 1,000-point sweep spec."""
    return yaml.safe_dump({
        "schema_version": "1", "name": "bench-report",
        "workloads": [{"name": str(ROOT / "examples" / "tiny-cnn.yaml")}], "policies": ["w4a8", "w8a8"],
        "hardware": {"base": "bitfusion", "vary": {"dram.bandwidth_gb_per_s": BANDWIDTHS_GB_PER_S,
                                                   "memory[0].size_bytes": BUFFER_BYTES}},
        "sampling": {"method": "grid"},
    }, sort_keys=False)


def make_store(folder: Path) -> Path:
    """Run the sweep into ``folder/sweep`` (two worker processes); return the output directory."""
    from analysis.runner import run_sweep

    spec = folder / "spec.yaml"
    spec.write_text(spec_text())
    summary = run_sweep(spec, folder / "sweep", executor="local", workers=2)
    print(f"store: {summary.points} points ({summary.failed} failed) in {summary.seconds:.1f} s")
    return folder / "sweep"


def render_once(store: Path, out: Path) -> float:
    """Seconds to write the report of ``store`` into ``out``, in a fresh interpreter."""
    program = ("import sys, time; t = time.perf_counter(); from reports import write_report; "
               "write_report([sys.argv[1]], sys.argv[2]); print(time.perf_counter() - t)")
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", program, str(store), str(out)], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    wall = time.perf_counter() - start
    print(f"  report in {float(run.stdout):.2f} s inside the interpreter, {wall:.2f} s with its start-up")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = make_store(folder)
        times = [render_once(store, folder / f"report{i}") for i in range(args.repeat)]
        out = folder / "report0"
        html_mb = (out / "report.html").stat().st_size / 1e6
        total_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
    print(f"1,000-point sweep report: median {statistics.median(times):.2f} s over {args.repeat} runs "
          f"(min {min(times):.2f}, max {max(times):.2f}); report.html {html_mb:.2f} MB, directory {total_mb:.2f} MB")


if __name__ == "__main__":
    main()
