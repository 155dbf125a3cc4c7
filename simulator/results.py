"""What a simulation returns: per-layer and total latency, energy and traffic, with units.

The result is the chip's datasheet for one workload: every field names its
unit, every breakdown adds up to its total, and the whole object serializes to
JSON (``model_dump_json``) and CSV so that sweeps and reports can store it.
"""

from __future__ import annotations

import csv
import io
from typing import Literal

from pydantic import Field

from workloads._model import FrozenModel

__all__ = [
    "MappingInfo",
    "LevelTraffic",
    "EnergyBreakdown",
    "QuantOverhead",
    "LayerResult",
    "Totals",
    "SimResult",
    "TraceEvent",
]


class MappingInfo(FrozenModel):
    """The mapping the mapper chose for one layer."""

    engine: str
    """Engine (MAC array or vector unit) that runs the layer."""
    dataflow: str
    """Dataflow of the engine (``weight_stationary`` ...; ``vector`` for the vector unit)."""
    spatial_rows: int = 1
    """S_R: extent laid on PE rows."""
    spatial_cols: int = 1
    """S_C: extent laid on PE columns."""
    temporal: int = 1
    """T: extent run in time inside a PE."""
    folds: int = 1
    """Passes of the array over the layer (row folds x column folds x instances)."""
    tile_k: int = 1
    """Filters per DRAM-level tile."""
    tile_c: int = 1
    """Input channels per DRAM-level tile."""
    tile_y: int = 1
    """Output rows per DRAM-level tile."""
    loop_order: str = ""
    """Outer-to-inner order of the tiled loops (``k``, ``c``, ``y``)."""
    tiles: int = 1
    """DRAM-level tiles over all instances."""
    lanes: int = 1
    """MACs per PE per cycle at this layer's precision (precision-scalable PEs)."""
    cycles_per_mac: float = 1.0
    """Cycles per MAC per PE lane at this precision (passes of fixed-width or bit-serial units)."""
    executed_formats: tuple[str, str] = ("", "")
    """(weight, activation) formats the MAC units actually ran (after promotion)."""


class LevelTraffic(FrozenModel):
    """Bits read and written at one memory level."""

    level: str
    """Memory level name (``dram`` for off-chip)."""
    read_bits: int = 0
    """Bits read from the level."""
    write_bits: int = 0
    """Bits written into the level."""

    @property
    def total_bytes(self) -> float:
        """Bytes moved in both directions."""
        return (self.read_bits + self.write_bits) / 8


class QuantOverhead(FrozenModel):
    """Energy of the work quantization adds, by category (pJ)."""

    requant_pj: float = 0.0
    """Scaling accumulators back to the output format (fp32 or dyadic)."""
    dequant_pj: float = 0.0
    """Dequantizing weight-only or fake-quantized operands before float MACs."""
    zero_point_pj: float = 0.0
    """Zero-point correction terms of asymmetric schemes."""
    dynamic_range_pj: float = 0.0
    """Run-time min/max reductions of dynamically quantized activations."""
    codebook_pj: float = 0.0
    """Codebook look-ups of non-uniform formats."""
    padding_pj: float = 0.0
    """MAC energy wasted running a format on a wider unit (included in the MAC energy)."""

    @property
    def total_pj(self) -> float:
        """Energy of the added work (padding excluded: it is already in the MAC energy)."""
        return (
            self.requant_pj + self.dequant_pj + self.zero_point_pj
            + self.dynamic_range_pj + self.codebook_pj
        )


class EnergyBreakdown(FrozenModel):
    """Energy by component (pJ); `total_pj` is their sum."""

    mac_pj: float = 0.0
    """Multiplies and accumulates in the MAC arrays."""
    memory_pj: dict[str, float] = Field(default_factory=dict)
    """Per on-chip memory level."""
    dram_pj: float = 0.0
    """Off-chip traffic."""
    vector_pj: float = 0.0
    """Vector-unit work (element-wise, normalization, pooling, fused epilogues)."""
    quant_pj: float = 0.0
    """Quantization overhead (see `QuantOverhead`)."""
    leakage_pj: float = 0.0
    """Static power over the elapsed time."""

    @property
    def total_pj(self) -> float:
        """Sum of all components."""
        return (
            self.mac_pj + sum(self.memory_pj.values()) + self.dram_pj
            + self.vector_pj + self.quant_pj + self.leakage_pj
        )


class LayerResult(FrozenModel):
    """One layer's cost."""

    name: str
    """Layer name."""
    op: str
    """Op kind."""
    quant: str
    """Precision shorthand."""
    macs: int
    """Multiply-accumulates."""
    cycles: int
    """Cycles from the layer's start to its last output written."""
    compute_cycles: int
    """Cycles the engine computes (fill and drain included)."""
    stall_cycles: int
    """Cycles waiting on memory: ``cycles - compute_cycles``."""
    start_cycle: int = 0
    """Cycle the layer starts at in the schedule."""
    utilization: float
    """Useful MACs / (cycles x peak MACs per cycle at this precision); 0 for vector layers."""
    spatial_utilization: float
    """Fraction of PEs the mapping occupies while the array computes."""
    mapping: MappingInfo
    """Chosen mapping."""
    traffic: list[LevelTraffic]
    """Bits per memory level, innermost first, DRAM last."""
    dram_bytes: float
    """Bytes to and from DRAM."""
    energy: EnergyBreakdown
    """Energy by component."""
    quant_overhead: QuantOverhead
    """Quantization overhead by category."""
    energy_pj: float
    """Total energy of the layer."""


class Totals(FrozenModel):
    """Whole-network figures."""

    cycles: int
    """End-to-end cycles."""
    latency_s: float
    """End-to-end latency in seconds."""
    energy_pj: float
    """Total energy."""
    dram_bytes: float
    """Bytes to and from DRAM."""
    macs: int
    """Multiply-accumulates."""
    utilization: float
    """MACs / (cycles x peak MACs per cycle of the engines at the layers' precisions)."""
    compute_cycles: int
    """Sum of per-layer compute cycles."""
    stall_cycles: int
    """Sum of per-layer stall cycles."""
    energy: EnergyBreakdown
    """Energy by component."""
    quant_overhead: QuantOverhead
    """Quantization overhead by category."""

    @property
    def energy_j(self) -> float:
        """Total energy in joules."""
        return self.energy_pj * 1e-12


class TraceEvent(FrozenModel):
    """One span of the timeline (discrete-event fidelity)."""

    cycle: int
    """Start cycle."""
    duration_cycles: int
    """Length."""
    unit: str
    """Engine or DRAM channel."""
    layer: str
    """Layer name."""
    kind: Literal["compute", "load", "store", "vector"]
    """What happens."""
    bits: int = 0
    """Bits moved (transfers)."""


class SimResult(FrozenModel):
    """The result of `simulate`: per layer, totals, and (DES) a timeline."""

    schema_version: Literal["1"] = "1"
    """Result format version."""
    workload: str
    """Network name."""
    hardware: str
    """Accelerator name."""
    policy: str
    """Quantization policy."""
    fidelity: Literal["analytical", "des"]
    """Which model produced the numbers."""
    clock_hz: float
    """Clock the cycles count."""
    totals: Totals
    """Whole-network figures."""
    layers: list[LayerResult]
    """Per-layer results in execution order."""
    timeline: list[TraceEvent] = Field(default_factory=list)
    """Timeline spans (discrete-event fidelity only)."""

    def to_csv(self) -> str:
        """One CSV row per layer with the headline columns."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([
            "layer", "op", "quant", "engine", "macs", "start_cycle", "cycles", "compute_cycles",
            "stall_cycles", "utilization", "dram_bytes", "energy_pj", "mac_pj", "dram_pj", "quant_pj",
        ])
        for r in self.layers:
            writer.writerow([
                r.name, r.op, r.quant, r.mapping.engine, r.macs, r.start_cycle, r.cycles,
                r.compute_cycles, r.stall_cycles, f"{r.utilization:.4f}", f"{r.dram_bytes:.0f}",
                f"{r.energy_pj:.1f}", f"{r.energy.mac_pj:.1f}", f"{r.energy.dram_pj:.1f}",
                f"{r.energy.quant_pj:.1f}",
            ])
        return out.getvalue()
