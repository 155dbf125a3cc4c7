"""Eyeriss running AlexNet CONV1-5 at batch 4: the simulator next to the measured chip.

Measured: Chen, Krishna, Emer, Sze, "Eyeriss: An Energy-Efficient Reconfigurable
Accelerator for Deep Convolutional Neural Networks", IEEE JSSC 52(1), 2017,
Table V (AlexNet CONV layers, batch 4, 200 MHz): 115.3 ms in total and 15.4 MB
of DRAM traffic. Layer shapes as in the paper's Table I (CONV2, 4 and 5 are
grouped in two, as in the original AlexNet).

Run: ``.venv/bin/python validation/eyeriss_alexnet.py``. The script prints the
comparison; tests/integration/test_validation.py runs it and holds the
tolerances stated in its docstring.
"""

from __future__ import annotations

import sys

from hwmodels import load_hardware
from simulator import SimResult, simulate
from workloads import Layer, LayerGraph, Tensor, apply_quant

MEASURED_LATENCY_MS = 115.3
MEASURED_DRAM_MB = 15.4
BATCH = 4
POLICY = "wi16ai16"  # Eyeriss computes in 16-bit fixed point

_SHAPES = [  # name, K, C, out H=W, R=S, stride, groups, input H=W
    ("conv1", 96, 3, 55, 11, 4, 1, 227),
    ("conv2", 256, 96, 27, 5, 1, 2, 31),
    ("conv3", 384, 256, 13, 3, 1, 1, 15),
    ("conv4", 384, 384, 13, 3, 1, 2, 15),
    ("conv5", 256, 384, 13, 3, 1, 2, 15),
]


def alexnet_conv(batch: int = BATCH) -> LayerGraph:
    """AlexNet CONV1-5 as separate layers (pooling between them runs off the PE array)."""
    layers = []
    for name, k, c, out, rs, stride, groups, in_hw in _SHAPES:
        pad = (out - 1) * stride + rs - in_hw  # padded input given in in_hw already: no padding left
        layers.append(Layer(name=name, op="conv", n=batch, k=k, c=c, p=out, q=out, r=rs, s=rs,
                            stride=(stride, stride), groups=groups, padding=(pad, pad)))
    inputs = {layer.name: Tensor(name=f"{layer.name}:in", shape=(batch, layer.c, *layer.input_hw))
              for layer in layers}
    return LayerGraph(layers, name="alexnet-conv", inputs=inputs)


def run() -> SimResult:
    """Simulate the five layers on the eyeriss preset."""
    return simulate(apply_quant(alexnet_conv(), POLICY), load_hardware("eyeriss"), policy=POLICY)


def report(result: SimResult) -> str:
    """The comparison as a plain-text table."""
    lines = [f"{'layer':8} {'MACs (G)':>9} {'ms':>9} {'DRAM MB':>9} {'util':>6}"]
    for r in result.layers:
        lines.append(f"{r.name:8} {r.macs / 1e9:9.3f} {r.cycles / result.clock_hz * 1e3:9.2f} "
                     f"{r.dram_bytes / 1e6:9.2f} {r.utilization:6.1%}")
    t = result.totals
    sim_ms, sim_mb = t.latency_s * 1e3, t.dram_bytes / 1e6
    lines += [
        f"{'total':8} {t.macs / 1e9:9.3f} {sim_ms:9.2f} {sim_mb:9.2f} {t.utilization:6.1%}",
        "",
        f"latency  simulated {sim_ms:8.1f} ms   measured {MEASURED_LATENCY_MS} ms   "
        f"ratio {sim_ms / MEASURED_LATENCY_MS:.2f}",
        f"DRAM     simulated {sim_mb:8.2f} MB   measured {MEASURED_DRAM_MB} MB    "
        f"ratio {sim_mb / MEASURED_DRAM_MB:.2f}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(report(run()) + "\n")
