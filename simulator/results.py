"""What a simulation returns: per-layer and total latency, energy and traffic, with units.

The result is the chip's datasheet for one workload: every field names its
unit, every breakdown adds up to its total, and the whole object serializes to
JSON (``model_dump_json``) and CSV so that sweeps and reports can store it.
"""

from __future__ import annotations

import csv
import io
from typing import Literal

from pydantic import Field, computed_field, model_validator

from workloads._model import FrozenModel

__all__ = [
    "ResultModel",
    "CycleBreakdown",
    "Provenance",
    "CostedModel",
    "LayerCost",
    "MappingInfo",
    "LevelTraffic",
    "EnergyBreakdown",
    "QuantOverhead",
    "LayerResult",
    "Totals",
    "SimResult",
    "TraceEvent",
]


class ResultModel(FrozenModel):
    """A frozen result whose JSON, computed fields included, validates back into the same object."""

    @model_validator(mode="before")
    @classmethod
    def _drop_computed(cls, data):
        computed = cls.__pydantic_computed_fields__  # the class attribute: no descriptor on the hot path
        if isinstance(data, dict) and computed and not data.keys().isdisjoint(computed):
            return {k: v for k, v in data.items() if k not in computed}
        return data


class CycleBreakdown(ResultModel):
    """Where cycles go, by cause: the fields add up to `total_cycles` exactly.

    Each cause counts only what the ones before it do not cover: the array's
    streaming and its fill/drain first, then the vector unit past the array,
    then an on-chip buffer port past both, then waiting on DRAM.
    """

    array_cycles: int = 0
    """The MAC array streaming operands through a full pipeline (SCALE-Sim's T per fold)."""
    fill_drain_cycles: int = 0
    """The MAC array filling and draining its pipeline (SCALE-Sim's 2R + C - 2 per fold)."""
    vector_cycles: int = 0
    """The vector unit (non-MAC layers; a MAC layer's epilogue where it outlasts the array)."""
    buffer_port_cycles: int = 0
    """An on-chip buffer's read or write port, where it outlasts the array and the vector unit."""
    dram_stall_cycles: int = 0
    """Waiting on DRAM: latency, and transfers that do not overlap compute or outlast it."""
    idle_cycles: int = 0
    """(Totals only) no layer on the critical path running: waiting for a shared resource."""

    @computed_field
    @property
    def total_cycles(self) -> int:
        """The sum of the causes."""
        return (self.array_cycles + self.fill_drain_cycles + self.vector_cycles + self.buffer_port_cycles
                + self.dram_stall_cycles + self.idle_cycles)

    def __add__(self, other: CycleBreakdown) -> CycleBreakdown:
        return CycleBreakdown(**{name: getattr(self, name) + getattr(other, name)
                                 for name in CycleBreakdown.model_fields})


class Provenance(ResultModel):
    """What produced a result: enough to tell whether two results are comparable."""

    qcosim_version: str
    """Version of the installed qcosim package."""
    hardware_digest: str
    """SHA-256 prefix of the accelerator description's JSON (`simulator.hardware_view.hardware_digest`)."""
    workload: str
    """Network name."""
    workload_digest: str
    """SHA-256 prefix of the annotated layers and edges, in execution order."""
    policy: str
    """Quantization policy label."""
    options: dict[str, str | int | float | bool | None]
    """The `SimOptions` the run used."""


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
    resident: tuple[str, ...] = ()
    """Operands held whole on chip for the layer (fetched from DRAM once), beyond the tile."""
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
    overhead_pj: float = 0.0
    """Clock tree, control and on-chip network of the occupied PEs (`hwmodels.EnergyOverhead`)."""

    @property
    def total_pj(self) -> float:
        """Sum of all components."""
        return (
            self.mac_pj + sum(self.memory_pj.values()) + self.dram_pj
            + self.vector_pj + self.quant_pj + self.leakage_pj + self.overhead_pj
        )


class CostedModel(ResultModel):
    """Cycles that add up by cause and energy by component: what a layer and a whole run both report."""

    cycles: int
    """Cycles (the sum of `breakdown`)."""
    breakdown: CycleBreakdown
    """``cycles`` by cause."""
    energy: EnergyBreakdown
    """Energy by component."""

    @model_validator(mode="after")
    def _check_breakdown(self):
        if self.breakdown.total_cycles != self.cycles:
            raise ValueError(f"breakdown must add up to cycles (got {self.breakdown.total_cycles} "
                             f"for {self.cycles} cycles)")
        return self

    @computed_field
    @property
    def compute_cycles(self) -> int:
        """Cycles the MAC arrays compute, fill and drain included (SCALE-Sim's compute cycles)."""
        return self.breakdown.array_cycles + self.breakdown.fill_drain_cycles

    @computed_field
    @property
    def stall_cycles(self) -> int:
        """Cycles waiting on memory: buffer ports and DRAM."""
        return self.breakdown.buffer_port_cycles + self.breakdown.dram_stall_cycles

    @computed_field
    @property
    def energy_pj(self) -> float:
        """Total energy."""
        return self.energy.total_pj


class LayerCost(CostedModel):
    """One layer's cost on its engine: cycles by cause, energy by component, traffic by level.

    ``cycles`` run from the layer's start to its last output written.
    """

    name: str
    """Layer name."""
    op: str
    """Op kind."""
    quant: str
    """Precision shorthand."""
    macs: int
    """Multiply-accumulates."""
    peak_macs_per_cycle: float = 0.0
    """The chip's peak MACs per cycle at this layer's formats (every engine that can run them); 0 for
    vector layers."""
    spatial_utilization: float
    """Fraction of PEs the mapping occupies while the array computes."""
    mapping: MappingInfo
    """Chosen mapping."""
    traffic: list[LevelTraffic]
    """Bits per memory level, innermost first, DRAM last."""
    dram_bytes: float
    """Bytes to and from DRAM."""
    quant_overhead: QuantOverhead
    """Quantization overhead by category."""

    @computed_field
    @property
    def utilization(self) -> float:
        """MACs / (cycles x `peak_macs_per_cycle`): the one definition, for layers and totals."""
        return self.macs / (self.cycles * self.peak_macs_per_cycle) if self.cycles and self.peak_macs_per_cycle else 0.0


class LayerResult(LayerCost):
    """One layer's cost, placed in the run."""

    start_cycle: int = 0
    """Cycle the layer starts at in the schedule."""


class Totals(CostedModel):
    """Whole-network figures.

    ``cycles`` is the end-to-end count; its ``breakdown`` follows the critical
    path: the chain of layers, each started when the one before it (a producer,
    or the previous layer on its engine) finished, that ends the run.
    """

    clock_hz: float
    """Clock the cycles count."""
    ideal_cycles: float = 0.0
    """Cycles the MACs would take at the chip's peak: the sum over layers of MACs / peak MACs per cycle."""
    dram_bytes: float
    """Bytes to and from DRAM."""
    macs: int
    """Multiply-accumulates."""
    engine_busy_cycles: dict[str, int] = Field(default_factory=dict)
    """Per engine (and the vector unit), the cycles its layers occupy it."""
    quant_overhead: QuantOverhead
    """Quantization overhead by category."""

    @computed_field
    @property
    def latency_s(self) -> float:
        """End-to-end latency in seconds."""
        return self.cycles / self.clock_hz

    @computed_field
    @property
    def utilization(self) -> float:
        """MACs / (cycles x chip peak at each layer's formats) = `ideal_cycles` / `cycles`."""
        return self.ideal_cycles / self.cycles if self.cycles else 0.0

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


class SimResult(ResultModel):
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
    provenance: Provenance | None = None
    """What produced the result (version, hardware and workload digests, policy, options)."""
    totals: Totals
    """Whole-network figures."""
    layers: list[LayerResult] = Field(default_factory=list)
    """Per-layer results in execution order (empty when `SimOptions.keep_layers` is off)."""
    timeline: list[TraceEvent] = Field(default_factory=list)
    """Timeline spans (discrete-event fidelity only)."""

    def to_csv(self) -> str:
        """One CSV row per layer with the headline columns."""
        out = io.StringIO()
        writer = csv.writer(out)
        causes = list(CycleBreakdown.model_fields)[:-1]  # idle time exists only in totals
        writer.writerow([
            "layer", "op", "quant", "engine", "macs", "start_cycle", "cycles", *causes,
            "utilization", "dram_bytes", "energy_pj", "mac_pj", "dram_pj", "quant_pj", "overhead_pj",
        ])
        for r in self.layers:
            writer.writerow([
                r.name, r.op, r.quant, r.mapping.engine, r.macs, r.start_cycle, r.cycles,
                *(getattr(r.breakdown, cause) for cause in causes), f"{r.utilization:.4f}", f"{r.dram_bytes:.0f}",
                f"{r.energy_pj:.1f}", f"{r.energy.mac_pj:.1f}", f"{r.energy.dram_pj:.1f}",
                f"{r.energy.quant_pj:.1f}", f"{r.energy.overhead_pj:.1f}",
            ])
        return out.getvalue()
