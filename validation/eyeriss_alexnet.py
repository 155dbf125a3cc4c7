"""Eyeriss running AlexNet CONV1-5 at batch 4: the simulator next to the measured chip, layer by layer.

Measured: Chen, Krishna, Emer, Sze, "Eyeriss: An Energy-Efficient Reconfigurable
Accelerator for Deep Convolutional Neural Networks", IEEE JSSC 52(1), 2017,
Table V (AlexNet CONV layers at 1 V, batch 4, 200 MHz core clock): per layer
the chip power, the latency, the active PEs, the DRAM traffic (after
run-length coding) and the fraction of zeros in the ifmaps. The text of the
paper states the totals the table adds up to, which is how the per-layer
figures were checked: 115.3 ms and 15.4 MB in all, 278 mW on average
(Sec. VI-A: "34.7 frames/s ... 23.1 GMACS ... 278 mW ... 83.1 GMACS/W", i.e.
12.0 pJ per MAC on chip; "only 88% of the PEs are active", the latency-weighted
mean of the active PEs below). Layer shapes as in the paper's Table I (CONV2,
4 and 5 are grouped in two, as in the original AlexNet).

Each layer's ``input_density`` is 1 - its measured ifmap zeros; its
``output_density`` is the next layer's (pooling and normalization between
them change it, but the paper gives no other figure), CONV5's its own.

The mapper minimizes energy x delay (``OBJECTIVE``): the chip's mappings were
chosen for energy efficiency, DRAM included (the paper's abstract: RS
"reconfigures the computation mapping of a given shape, which optimizes
energy efficiency by maximally reusing data locally to reduce expensive data
movement, such as DRAM accesses"), at the throughput Table V shows. The
latency objective, which trades any amount of traffic the GLB's second ifmap
buffer hides for any gain in cycles, would instead refetch CONV2's ifmaps 2.5x
as often as the chip does for 3% fewer cycles.

Run: ``.venv/bin/python validation/eyeriss_alexnet.py``. The script prints the
comparison; tests/integration/test_validation.py runs it and holds the
tolerances.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from hwmodels import load_hardware
from simulator import SimOptions, SimResult, simulate
from workloads import Layer, LayerGraph, Tensor, apply_quant

BATCH = 4
POLICY = "wi16ai16"  # Eyeriss computes in 16-bit fixed point
OBJECTIVE = "edp"  # energy efficiency at throughput, as the chip's mappings were chosen (module docstring)


@dataclass(frozen=True)
class MeasuredLayer:
    """One row of JSSC 2017 Table V."""

    name: str
    latency_ms: float
    dram_mb: float
    power_mw: float
    active_pes: int
    ifmap_zeros: float
    """Fraction of the layer's input values that are zero."""

    @property
    def energy_mj(self) -> float:
        """Chip energy of the layer: power x latency."""
        return self.power_mw * self.latency_ms * 1e-3


MEASURED = (
    MeasuredLayer("conv1", 20.9, 5.0, 332, 154, 0.0001),
    MeasuredLayer("conv2", 41.9, 4.0, 288, 135, 0.387),
    MeasuredLayer("conv3", 23.6, 3.0, 266, 156, 0.725),
    MeasuredLayer("conv4", 18.4, 2.1, 235, 156, 0.793),
    MeasuredLayer("conv5", 10.5, 1.3, 236, 156, 0.776),
)
MEASURED_LATENCY_MS = 115.3
MEASURED_DRAM_MB = 15.4
MEASURED_POWER_MW = 278
MEASURED_PJ_PER_MAC = 1e3 / 83.1  # 83.1 GMACS/W on chip: 12.03 pJ per MAC

_SHAPES = [  # name, K, C, out H=W, R=S, stride, groups, input H=W
    ("conv1", 96, 3, 55, 11, 4, 1, 227),
    ("conv2", 256, 96, 27, 5, 1, 2, 31),
    ("conv3", 384, 256, 13, 3, 1, 1, 15),
    ("conv4", 384, 384, 13, 3, 1, 2, 15),
    ("conv5", 256, 384, 13, 3, 1, 2, 15),
]


def alexnet_conv(batch: int = BATCH, *, densities: bool = True) -> LayerGraph:
    """AlexNet CONV1-5 as separate layers (pooling between them runs off the PE array).

    With ``densities`` each layer carries the measured ifmap density (Table V)
    as its input density and the next layer's as its output density.
    """
    dense = [1 - row.ifmap_zeros if densities else 1.0 for row in MEASURED]
    layers = []
    for index, (name, k, c, out, rs, stride, groups, in_hw) in enumerate(_SHAPES):
        pad = (out - 1) * stride + rs - in_hw  # padded input given in in_hw already: no padding left
        layers.append(Layer(name=name, op="conv", n=batch, k=k, c=c, p=out, q=out, r=rs, s=rs,
                            stride=(stride, stride), groups=groups, padding=(pad, pad),
                            input_density=dense[index], output_density=dense[min(index + 1, len(dense) - 1)]))
    inputs = {layer.name: Tensor(name=f"{layer.name}:in", shape=(batch, layer.c, *layer.input_hw))
              for layer in layers}
    return LayerGraph(layers, name="alexnet-conv", inputs=inputs)


def run(*, densities: bool = True, objective: str = OBJECTIVE) -> SimResult:
    """Simulate the five layers on the eyeriss preset, the mapper minimizing ``objective``."""
    graph = apply_quant(alexnet_conv(densities=densities), POLICY)
    return simulate(graph, load_hardware("eyeriss"), SimOptions(objective=objective), policy=POLICY)


def on_chip_pj(energy) -> float:
    """Chip energy of a result's `EnergyBreakdown`: everything but DRAM."""
    return energy.total_pj - energy.dram_pj


def report(result: SimResult) -> str:
    """The comparison as a plain-text table: simulated, measured and their ratio per layer and in total.

    Power and pJ/MAC are the chip's (DRAM excluded). PEs: simulated, the 168 PEs times the mapping's
    utilization (the total: the run's); measured, Table V's active PEs (the total: latency-weighted).
    """
    head = (f"{'layer':7} {'ms sim':>7} {'meas':>6} {'ratio':>5}  {'DRAM MB':>7} {'meas':>5} {'ratio':>5}  "
            f"{'mW sim':>6} {'meas':>5} {'ratio':>5}  {'pJ/MAC':>6} {'meas':>5} {'ratio':>5}  {'PEs':>5} {'meas':>4}")
    lines = [head]
    pes = sum(engine.pes for engine in load_hardware("eyeriss").engines)
    for r, m in zip(result.layers, MEASURED, strict=True):
        ms, mb, mj = r.cycles / result.clock_hz * 1e3, r.dram_bytes / 1e6, on_chip_pj(r.energy) * 1e-9
        lines.append(_row(r.name, ms, m.latency_ms, mb, m.dram_mb, mj / ms * 1e3, m.power_mw,
                          mj * 1e9 / r.macs, m.energy_mj * 1e9 / r.macs, r.spatial_utilization * pes, m.active_pes))
    t = result.totals
    ms, mb, mj = t.latency_s * 1e3, t.dram_bytes / 1e6, on_chip_pj(t.energy) * 1e-9
    lines.append(_row("total", ms, MEASURED_LATENCY_MS, mb, MEASURED_DRAM_MB, mj / ms * 1e3, MEASURED_POWER_MW,
                      mj * 1e9 / t.macs, MEASURED_PJ_PER_MAC, t.utilization * pes,
                      round(sum(m.active_pes * m.latency_ms for m in MEASURED) / MEASURED_LATENCY_MS)))
    lines += ["", "on-chip energy by component (mJ): " + ", ".join(
        f"{name} {pj * 1e-9:.2f}" for name, pj in _components(t.energy).items())]
    return "\n".join(lines)


def _row(name, ms, ms_ref, mb, mb_ref, mw, mw_ref, pj, pj_ref, pes, pes_ref) -> str:
    return (f"{name:7} {ms:7.1f} {ms_ref:6.1f} {ms / ms_ref:5.2f}  {mb:7.2f} {mb_ref:5.1f} {mb / mb_ref:5.2f}  "
            f"{mw:6.0f} {mw_ref:5.0f} {mw / mw_ref:5.2f}  {pj:6.2f} {pj_ref:5.2f} {pj / pj_ref:5.2f}  "
            f"{pes:5.0f} {pes_ref:4d}")


def _components(energy) -> dict[str, float]:
    parts = {"MAC": energy.mac_pj, **energy.memory_pj, "overhead": energy.overhead_pj,
             "leakage": energy.leakage_pj, "vector": energy.vector_pj, "quant": energy.quant_pj}
    return {name: pj for name, pj in parts.items() if pj}


if __name__ == "__main__":
    sys.stdout.write(report(run()) + "\n")
