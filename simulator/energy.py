"""Prices a layer's counts with the accelerator's energy table: count first, price after.

Mechanism 4 lives here: a MAC costs what a multiplier of the executed widths
costs (an int8 array pays int8 energy for int4 operands, and the difference is
reported as padding waste), each memory level charges its own energy per bit,
and the quantization bookkeeping is priced with the same table: a dyadic
requantization is an integer multiply of the accumulator by a 16-bit
multiplier plus a rounding add; an fp32 requantization an fp32 multiply and an
fp32 add (the int-to-float conversion).

What the per-action table does not see (clock tree, control, on-chip
network) is the chip's `EnergyOverhead`, charged per occupied PE-cycle and
reported as its own component; a chip that gates zero inputs pays only for
the MACs whose input is non-zero.
"""

from __future__ import annotations

from hwmodels import Accelerator
from hwmodels.energy import (
    float_add_pj,
    float_format_for_bits,
    float_mult_pj,
    int_add_pj,
    int_mult_pj,
    mac_pj,
    sram_pj_per_bit,
)
from simulator.cost import LayerCounts, gated_fraction
from simulator.hardware_view import HardwareView
from simulator.quant_actions import QuantActions
from simulator.results import EnergyBreakdown, QuantOverhead
from workloads.footprint import compute_spec
from workloads.quant import QuantSpec, parse_format

__all__ = ["price_layer", "overhead_pj"]

_DYADIC_MULTIPLIER_BITS = 16



def _vector_op_pj(counts: LayerCounts, table) -> float:
    if counts.vector_floating:
        return float_add_pj(float_format_for_bits(counts.vector_bits), table)
    return int_add_pj(max(counts.vector_bits, 8), table)


def _quant_pj(q: QuantActions, spec: QuantSpec, accum: int, table, padding_pj: float) -> QuantOverhead:
    """Each overhead priced only where it happens (a layer without zero points prices no zero points)."""
    lookup_bytes = max(q.codebook_entries, 1)  # an 8-bit level per entry
    return QuantOverhead(
        requant_pj=(q.requant_fp32 and q.requant_fp32 * (float_mult_pj("fp32", table) + float_add_pj("fp32", table)))
        + (q.requant_dyadic and q.requant_dyadic * (int_mult_pj(accum, _DYADIC_MULTIPLIER_BITS, table)
                                                    + int_add_pj(accum, table))),
        dequant_pj=q.dequant and q.dequant * float_mult_pj(float_format_for_bits(q.dequant_bits), table),
        zero_point_pj=(q.zero_point_adds and q.zero_point_adds * int_add_pj(accum, table))
        + (q.zero_point_mults and q.zero_point_mults * int_mult_pj(accum, 8, table)),
        dynamic_range_pj=(q.range_compares and q.range_compares * int_add_pj(max(spec.inputs.bits, 8), table))
        + (q.scale_computations and q.scale_computations * float_mult_pj("fp32", table)),
        codebook_pj=q.codebook_lookups and q.codebook_lookups * 8 * sram_pj_per_bit(lookup_bytes, table),
        padding_pj=padding_pj,
    )


def _float_mac_pj(w_fmt: str, a_fmt: str, accum_bits: int, table) -> float:
    """A float multiply in the wider of the two formats, plus an add at the accumulator's float width."""
    widest = max((w_fmt, a_fmt), key=lambda name: (parse_format(name).bits, name))
    return float_mult_pj(widest, table) + float_add_pj(float_format_for_bits(accum_bits), table)


def _mac_pj(counts: LayerCounts, acc: Accelerator, table) -> tuple[float, float]:
    """(MAC energy at the executed, padded widths; the part of it that padding wastes).

    Float MACs are priced by format name (bf16 and fp8 e5m2 multiply fewer
    mantissa bits than fp16 and e4m3), integer MACs at the widths the datapath pads to.
    On a chip that gates zero operands only the MACs with a non-zero input switch
    (`gated_fraction`).
    """
    m = counts.mapping
    if m is None or not counts.layer.macs:
        return 0.0, 0.0
    plan = m.precision
    w_fmt, a_fmt = compute_spec(counts.layer).compute_formats
    accum = plan.accum_bits
    if plan.floating:
        executed = _float_mac_pj(plan.weight_format, plan.act_format, accum, table)
        ideal = _float_mac_pj(w_fmt.name, a_fmt.name, accum, table) if w_fmt.is_float and a_fmt.is_float else executed
    else:
        engine = acc.engines[m.engine_index]
        padded = engine.padded_bits(plan.weight_bits, plan.act_bits, floating=False)
        executed = mac_pj(*padded, engine.accum_bits, floating=False, table=table)
        ideal = mac_pj(w_fmt.bits, a_fmt.bits, accum, floating=False, table=table)
    macs = counts.layer.macs * gated_fraction(counts.layer, acc, m)
    return macs * executed, macs * max(executed - ideal, 0.0)


def overhead_pj(counts: LayerCounts, acc: Accelerator) -> float:
    """Clock tree, control and network energy: per PE the mapping occupies, per cycle the layer runs.

    Occupied PEs are the array's PEs times the mapping's spatial utilization;
    the rest are clock-gated. Vector layers occupy no PE of an array.
    """
    m = counts.mapping
    if m is None:
        return 0.0
    pes = acc.engines[m.engine_index].pes
    return acc.overhead_pj_per_pe_cycle * pes * m.fold.utilization * counts.cycles


def price_layer(counts: LayerCounts, acc: Accelerator, view: HardwareView) -> tuple[EnergyBreakdown, QuantOverhead]:
    """Energy of one layer by component, and its quantization overhead by category."""
    table = view.energy_table
    spec = counts.layer.quant or QuantSpec()
    mac, padding = _mac_pj(counts, acc, table)
    memory = {}
    for level in view.levels:
        reads, writes = counts.reads_bits.get(level.name, 0), counts.writes_bits.get(level.name, 0)
        if reads or writes:
            memory[level.name] = reads * level.read_pj_per_bit + writes * level.write_pj_per_bit
    accum = counts.mapping.precision.accum_bits if counts.mapping else spec.accum_bits
    quant = _quant_pj(counts.quant, spec, accum, table, padding)
    breakdown = EnergyBreakdown(
        mac_pj=mac,
        memory_pj=memory,
        dram_pj=(counts.dram_read_bits + counts.dram_write_bits) * view.dram_pj_per_bit,
        vector_pj=(counts.vector_ops - counts.quant.requant_fp32 - counts.quant.requant_dyadic
                   - counts.quant.range_compares) * _vector_op_pj(counts, table),
        quant_pj=quant.total_pj,
        leakage_pj=view.leakage_pj(counts.cycles),
        overhead_pj=overhead_pj(counts, acc),
    )
    return breakdown, quant
