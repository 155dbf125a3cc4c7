"""Speed and memory of the simulator (a benchmark, not a test: machines here are shared and noisy).

Each case runs in a fresh interpreter so that its peak resident memory is its own;
the time is the median of ``--repeat`` runs of the whole composition (load the
workload, apply the policy, map, cost, schedule), after one warm-up run. Warm
runs find every layer in the per-process caches; "cold caches" empties them
before each run. The last line times ``qcosim hw list`` as a whole command.

Run: ``.venv/bin/python benchmarks/bench_simulate.py [--repeat 5] [--only NAME]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

CASES = {
    "analytical resnet50 (tpu-v1, w8a8)": ("resnet50", "tpu-v1", "w8a8", "analytical", {}),
    "analytical resnet50 (tpu-v1, w8a8), cold caches": ("resnet50", "tpu-v1", "w8a8", "analytical-cold", {}),
    "analytical resnet50 (eyeriss, w8a8)": ("resnet50", "eyeriss", "w8a8", "analytical", {}),
    "analytical resnet50 (bitfusion, w4a8)": ("resnet50", "bitfusion", "w4a8", "analytical", {}),
    "des resnet50 (tpu-v1, w8a8)": ("resnet50", "tpu-v1", "w8a8", "des", {}),
    "analytical llama7b prefill 2048 (tpu-v1, w8a8)": ("llama7b", "tpu-v1", "w8a8", "analytical", {"seq_len": 2048}),
    "des llama7b prefill 2048 (tpu-v1, w8a8)": ("llama7b", "tpu-v1", "w8a8", "des", {"seq_len": 2048}),
}

_CHILD = """
import json, resource, statistics, sys, time
from qcosim import simulate
from simulator import clear_caches
model, hw, quant, fidelity, params, repeat = json.loads(sys.argv[1])
cold = fidelity.endswith("-cold")
fidelity = fidelity.removesuffix("-cold")
simulate(model, hw, quant, fidelity=fidelity, params=params)  # warm-up (imports, first mapping)
times = []
for _ in range(repeat):
    if cold:
        clear_caches()  # every layer mapped again, as on a new hardware point
    start = time.perf_counter()
    result = simulate(model, hw, quant, fidelity=fidelity, params=params)
    times.append(time.perf_counter() - start)
print(json.dumps({"median_s": statistics.median(times), "min_s": min(times),
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "layers": len(result.layers), "events": len(result.timeline)}))
"""


def run_case(name: str, repeat: int) -> dict:
    """One case in a fresh interpreter; returns its timing and memory figures."""
    model, hw, quant, fidelity, params = CASES[name]
    args = json.dumps([model, hw, quant, fidelity, params, repeat])
    done = subprocess.run([sys.executable, "-c", _CHILD, args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout)


def hw_list_seconds(repeat: int) -> float:
    """Median wall time of ``qcosim hw list`` in a fresh interpreter (imports included)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "qcosim"), "hw", "list"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", help="run the cases whose name contains this text")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(f"{'case':52} {'median s':>9} {'min s':>8} {'peak RSS MiB':>13} {'layers':>7} {'events':>7}")
    for name in CASES:
        if args.only and args.only not in name:
            continue
        r = run_case(name, args.repeat)
        if "error" in r:
            print(f"{name:52} error: {r['error']}")
            continue
        print(f"{name:52} {r['median_s']:9.3f} {r['min_s']:8.3f} {r['peak_rss_mib']:13.0f} "
              f"{r['layers']:7d} {r['events']:7d}")
    print(f"{'qcosim hw list (whole command, median wall s)':52} {hw_list_seconds(args.repeat):9.3f}")
    print(f"(total wall time {time.perf_counter() - started:.0f} s, {args.repeat} repeats per case)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
