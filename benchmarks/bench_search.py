"""Speed of the exact mixed-precision search on a ResNet-50-sized problem (a benchmark, not a test).

A synthetic, seeded problem shaped like ResNet-50 searched over four
candidates: 72 layers (convolutions, downsamples, the classifier) x w8a8,
w6a8, w4a8, w4a4, first and last layer pinned to w8a8, eight tie groups of two
(a block's last conv and its downsample or shortcut partner). Costs follow
simple rules with realistic spreads: MACs log-uniform over 2M-230M per layer
and weights over 2k-2.4M (ResNet-50's range), latency from a Bit-Fusion-like
rate (2-bit bricks: cycles grow with ceil(w/2) x ceil(a/2)) plus weight traffic,
energy from w x a per MAC plus bits moved, size = weights x w / 8, BOPs = MACs
x w x a, sensitivity as HAWQ-V3's trace x quantization error (~4^-bits) with a
log-normal per-layer trace. Every figure gets +-10 % noise.

Reported: median (and min) wall time over ``--repeat`` runs, after a warm-up,
of the best plan alone (the lexicographic MILP solves), the Pareto set alone,
and ``search`` with both, under one budget and under two; plus the Pareto set's
size. The target (issue 8): the exact search in well under 1 s.

Run: ``.venv/bin/python benchmarks/bench_search.py [--repeat 7] [--layers 72] [--seed 0]``
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from analysis.budgets import parse_budget
from analysis.search import LayerOptions, Option, pareto_front, search

CANDIDATES = {"w8a8": (8, 8), "w6a8": (6, 8), "w4a8": (4, 8), "w4a4": (4, 4)}
CLOCK_HZ = 500e6
BRICKS_PER_CYCLE = 4096  # 2-bit x 2-bit bricks
WEIGHT_BITS_PER_CYCLE = 256


def synthetic_layers(n_layers: int, seed: int) -> list[LayerOptions]:
    """A seeded ResNet-50-like problem (module docstring)."""
    rng = np.random.default_rng(seed)
    macs = np.exp(rng.uniform(math.log(2e6), math.log(2.3e8), n_layers))
    weights = np.exp(rng.uniform(math.log(2e3), math.log(2.4e6), n_layers))
    trace = rng.lognormal(0.0, 1.5, n_layers)
    partners = rng.choice(np.arange(1, n_layers - 1), size=16, replace=False).reshape(8, 2)
    tie = {int(layer): f"res{g}" for g, pair in enumerate(partners) for layer in pair}
    layers = []
    for i in range(n_layers):
        def noisy(value):
            return float(value * rng.uniform(0.9, 1.1))
        options = []
        for quant, (w, a) in CANDIDATES.items():
            cycles = macs[i] * math.ceil(w / 2) * math.ceil(a / 2) / BRICKS_PER_CYCLE \
                + weights[i] * w / WEIGHT_BITS_PER_CYCLE
            energy_pj = macs[i] * 0.2 * w * a / 64 + weights[i] * w * 2.5
            costs = {"latency_ms": noisy(cycles / CLOCK_HZ * 1e3), "energy_uj": noisy(energy_pj * 1e-6),
                     "size_bytes": weights[i] * w / 8, "bops": macs[i] * w * a}
            sensitivity = noisy(trace[i] * weights[i] * 4.0**-w + trace[i] * 50 * 4.0**-a)
            options.append(Option(quant=quant, costs=costs, sensitivity=sensitivity))
        pinned = "w8a8" if i in (0, n_layers - 1) else None
        layers.append(LayerOptions(layer=f"layer{i}", options=options, tie=tie.get(i), pinned=pinned))
    return layers


def timed(run, repeat: int) -> tuple[float, float, object]:
    """Median and min seconds of ``run()`` over ``repeat`` runs after one warm-up, and its last result."""
    result = run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--layers", type=int, default=72)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    layers = synthetic_layers(args.layers, args.seed)
    one = [parse_budget("latency=0.75x", layers)]
    two = [*one, parse_budget("size=range:0.5", layers)]
    cases = {
        "best plan, latency=0.75x (MILP only)": lambda: search(layers, one, pareto=False),
        "Pareto set, sensitivity x latency": lambda: pareto_front(layers, "latency_ms"),
        "search, latency=0.75x (best + Pareto set)": lambda: search(layers, one),
        "search, latency=0.75x + size=range:0.5": lambda: search(layers, two),
    }
    print(f"{args.layers} layers x {len(CANDIDATES)} candidates, seed {args.seed}, {args.repeat} runs")
    for name, run in cases.items():
        median, fastest, result = timed(run, args.repeat)
        size = len(result) if isinstance(result, list) else len(result.pareto)
        print(f"{name:45s} median {median * 1e3:7.1f} ms   min {fastest * 1e3:7.1f} ms   "
              f"Pareto points {size}")


if __name__ == "__main__":
    main()
