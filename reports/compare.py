"""Two or more runs side by side: deltas against the first, and why they differ, mechanism by mechanism.

The first run is the base. For every other run the explanation walks the four
channels through which precision (or another accelerator) changes cost:
compute throughput at the formats run, data movement in bytes, tiling (how
many DRAM tiles the same layers need), and energy per operation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reports.document import Column, Section, Table, format_value
from reports.figures import comparison_figure, run_label
from simulator.results import SimResult

__all__ = ["Mechanisms", "mechanisms", "explain", "comparison_sections"]


@dataclass(frozen=True)
class Mechanisms:
    """The figures each explanation compares, for one run."""

    peak_macs_per_cycle: float
    """MAC-weighted chip peak at the formats run: MACs / ideal cycles."""
    compute_cycles: int
    stall_cycles: int
    dram_bytes: float
    dram_bits_per_mac: float
    dram_tiles: int
    """DRAM-level tiles over all layers: fewer means bigger tiles in the same buffers."""
    mac_pj_per_mac: float
    onchip_pj: float
    dram_pj: float
    quant_pj: float


def mechanisms(result: SimResult) -> Mechanisms:
    """The figures of ``result`` that `explain` compares."""
    t = result.totals
    return Mechanisms(
        peak_macs_per_cycle=t.macs / t.ideal_cycles if t.ideal_cycles else 0.0,
        compute_cycles=t.compute_cycles, stall_cycles=t.stall_cycles, dram_bytes=t.dram_bytes,
        dram_bits_per_mac=8 * t.dram_bytes / t.macs if t.macs else 0.0,
        dram_tiles=sum(layer.mapping.tiles for layer in result.layers if layer.macs),
        mac_pj_per_mac=t.energy.mac_pj / t.macs if t.macs else 0.0,
        onchip_pj=sum(t.energy.memory_pj.values()), dram_pj=t.energy.dram_pj, quant_pj=t.energy.quant_pj)


def _times(a: float, b: float, fewer: str, more: str) -> str:
    """How ``b`` compares with ``a``: ``2.00x fewer`` / ``1.50x more`` / ``the same``."""
    if a == b:
        return "the same"
    if not a or not b:
        return more if b > a else fewer
    return f"{a / b:.2f}x {fewer}" if b < a else f"{b / a:.2f}x {more}"


def _n(value: float) -> str:
    """A number in prose, written as the tables write it."""
    return format_value(value, "float")


def _same_hardware(base: SimResult, other: SimResult) -> bool:
    if base.provenance is not None and other.provenance is not None:
        return base.provenance.hardware_digest == other.provenance.hardware_digest
    return base.hardware == other.hardware


def explain(base: SimResult, other: SimResult) -> list[str]:
    """What changed from ``base`` to ``other``, one sentence per mechanism.

    The reasons named follow what differs: formats on one accelerator move bits,
    peaks and tile sizes; another accelerator brings its own peaks and buffers.
    """
    a, b = mechanisms(base), mechanisms(other)
    ta, tb = base.totals, other.totals
    same_hw = _same_hardware(base, other)
    return [
        f"Overall: latency {_n(ta.latency_s * 1e3)} -> {_n(tb.latency_s * 1e3)} ms "
        f"({_times(ta.latency_s, tb.latency_s, 'faster', 'slower')}), energy {_n(ta.energy_pj * 1e-6)} -> "
        f"{_n(tb.energy_pj * 1e-6)} µJ per inference ({_times(ta.energy_pj, tb.energy_pj, 'less', 'more')}).",
        f"Throughput: the chip's peak at the formats run is {a.peak_macs_per_cycle:,.0f} -> "
        f"{b.peak_macs_per_cycle:,.0f} MACs/cycle (MAC-weighted), so the arrays compute for "
        f"{_times(a.compute_cycles, b.compute_cycles, 'fewer', 'more')} cycles ({a.compute_cycles:,} -> "
        f"{b.compute_cycles:,}); memory stalls {a.stall_cycles:,} -> {b.stall_cycles:,} cycles"
        + (", so the run is more memory-bound." if b.stall_cycles > a.stall_cycles > 0
           and b.compute_cycles < a.compute_cycles else "."),
        f"Data movement: DRAM traffic {_n(a.dram_bytes * 1e-6)} -> {_n(b.dram_bytes * 1e-6)} MB "
        f"({a.dram_bits_per_mac:.3g} -> {b.dram_bits_per_mac:.3g} bits per MAC)"
        + (": tensors move at their formats' bits, scales and zero points included." if same_hw
           else ": the accelerators' buffers and dataflows differ, so do their tiles and reuse."),
        f"Tiling: {a.dram_tiles:,} -> {b.dram_tiles:,} DRAM tiles over the MAC layers"
        + (" (narrower operands fit bigger tiles in the same buffers, so data is reused more)."
           if same_hw and b.dram_tiles < a.dram_tiles else "."),
        f"Energy per operation: {a.mac_pj_per_mac:.3g} -> {b.mac_pj_per_mac:.3g} pJ per MAC in the arrays; "
        f"on-chip memory {_n(a.onchip_pj * 1e-6)} -> {_n(b.onchip_pj * 1e-6)} µJ, DRAM {_n(a.dram_pj * 1e-6)} -> "
        f"{_n(b.dram_pj * 1e-6)} µJ; quantization overhead {_n(a.quant_pj * 1e-6)} -> {_n(b.quant_pj * 1e-6)} µJ.",
    ]


def _summary_table(results: Sequence[SimResult]) -> Table:
    base = results[0].totals
    rows = []
    for r in results:
        t = r.totals
        rows.append((run_label(r), t.latency_s * 1e3, base.latency_s / t.latency_s if t.latency_s else None,
                     t.energy_pj * 1e-6, (t.energy_pj / base.energy_pj - 1) * 100 if base.energy_pj else None,
                     t.energy_pj / t.macs if t.macs else None, t.dram_bytes * 1e-6,
                     (t.dram_bytes / base.dram_bytes - 1) * 100 if base.dram_bytes else None, t.utilization,
                     t.compute_cycles, t.stall_cycles))
    return Table("comparison", "Runs compared (the first is the base)", (
        Column("run", "run", "text"), Column("latency_ms", "latency (ms)"), Column("speedup_x", "speed-up vs base (x)"),
        Column("energy_uj", "energy (µJ)"), Column("energy_delta_pct", "energy vs base (%)"),
        Column("pj_per_mac", "pJ/MAC"), Column("dram_mb", "DRAM (MB)"), Column("dram_delta_pct", "DRAM vs base (%)"),
        Column("utilization", "utilization", "percent"), Column("compute_cycles", "compute cycles", "int"),
        Column("stall_cycles", "stall cycles", "int"),
    ), tuple(rows), caption="Deltas are relative to the first run; negative percentages are savings.")


def _layer_table(results: Sequence[SimResult]) -> Table | None:
    names = [layer.name for layer in results[0].layers]
    if not names or any([layer.name for layer in r.layers] != names for r in results[1:]):
        return None  # different networks: no layer-by-layer comparison
    columns = [Column("layer", "layer", "text")]
    for index, r in enumerate(results):
        columns.append(Column(f"run{index + 1}_us", f"{run_label(r)} (µs)"))
        if index:
            columns.append(Column(f"run{index + 1}_speedup_x", f"speed-up {index + 1} vs 1 (x)"))
    rows = []
    for position, name in enumerate(names):
        base_us = results[0].layers[position].cycles / results[0].clock_hz * 1e6
        row: list = [name]
        for index, r in enumerate(results):
            us = r.layers[position].cycles / r.clock_hz * 1e6
            row.append(us)
            if index:
                row.append(base_us / us if us else None)
        rows.append(tuple(row))
    return Table("comparison_layers", "Latency per layer, run by run", tuple(columns), tuple(rows), sortable=True,
                 caption="Sort by a speed-up column to find the layers a change helps most and least.")


def comparison_sections(results: Sequence[SimResult]) -> list[Section]:
    """A section comparing ``results`` (at least two) against the first, then one per run saying why it differs."""
    tables = [_summary_table(results)]
    layers = _layer_table(results)
    if layers is not None:
        tables.append(layers)
    sections = [Section("Comparison", tables=tuple(tables), figures=(comparison_figure(results),))]
    sections += [Section(f"Why {run_label(other)} differs from {run_label(results[0])}",
                         bullets=tuple(explain(results[0], other))) for other in results[1:]]
    return sections
