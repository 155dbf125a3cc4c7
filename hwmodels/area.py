"""Silicon area and leakage: a rough floor-plan estimate per component.

Arithmetic area comes from the same Horowitz ISSCC 2014 45 nm table as the
energies (area column, as reproduced in Gholami et al. 2021): integer add
8/16/32 bit 36/67/137 µm², integer multiply 8/32 bit 282/3495 µm², fp16
add/multiply 1360/1640 µm², fp32 add/multiply 4184/7700 µm². Between the
anchors the same fits as for energy are used (power law in the product of
widths for multipliers, piecewise linear for adders, power law in the
significand for floats).

Declared assumptions, not measurements (override per component with
``area_mm2`` / ``leakage_mw`` when better numbers are known):

* SRAM: 0.6 µm² per bit at 45 nm, i.e. a ~0.35 µm² 6T bit cell at ~60 %
  array efficiency (periphery, sense amplifiers, decoders).
* Leakage: 2 mW per mm² of logic or SRAM, an order of magnitude for a
  general-purpose 45-65 nm process at room temperature; it is charged for
  every cycle the accelerator runs.
* Area scales with (node / 45 nm)²; leakage density is not scaled.
* A PE is its datapath only (multiplier, adders); pipeline registers and
  control are not counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from hwmodels._model import FrozenModel
from hwmodels.compute import BitFusionPrecision, BitSerialPrecision, FixedPrecision
from hwmodels.energy import piecewise_linear, power_law_through
from hwmodels.formats import parse_format_name

if TYPE_CHECKING:
    from hwmodels.config import Accelerator
    from hwmodels.engine import MacArray, VectorUnit

__all__ = [
    "AreaTable",
    "int_mult_um2",
    "int_add_um2",
    "float_mac_um2",
    "pe_area_um2",
    "area_breakdown_mm2",
    "leakage_breakdown_mw",
]

_Um2 = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class AreaTable(FrozenModel):
    """Area per arithmetic unit and per SRAM bit at one node, plus leakage density."""

    node_nm: float = Field(default=45.0, gt=0, allow_inf_nan=False)
    """Technology node the areas below hold at, in nm."""
    int_add_8b_um2: _Um2 = 36.0
    """8-bit integer adder, µm²."""
    int_add_16b_um2: _Um2 = 67.0
    """16-bit integer adder, µm²."""
    int_add_32b_um2: _Um2 = 137.0
    """32-bit integer adder, µm²."""
    int_mult_8b_um2: _Um2 = 282.0
    """8x8-bit integer multiplier, µm²."""
    int_mult_32b_um2: _Um2 = 3495.0
    """32x32-bit integer multiplier, µm²."""
    fp16_add_um2: _Um2 = 1360.0
    """fp16 adder, µm²."""
    fp16_mult_um2: _Um2 = 1640.0
    """fp16 multiplier, µm²."""
    fp32_add_um2: _Um2 = 4184.0
    """fp32 adder, µm²."""
    fp32_mult_um2: _Um2 = 7700.0
    """fp32 multiplier, µm²."""
    sram_um2_per_bit: _Um2 = 0.6
    """SRAM area per bit including periphery, µm² (declared assumption)."""
    leakage_mw_per_mm2: float = Field(default=2.0, ge=0, allow_inf_nan=False)
    """Leakage power density, mW per mm² (declared assumption)."""


def int_mult_um2(weight_bits: int, act_bits: int, table: AreaTable) -> float:
    """Area of an integer multiplier in µm² (power law in the product of widths)."""
    product = weight_bits * act_bits
    return power_law_through(product, 64, table.int_mult_8b_um2, 1024, table.int_mult_32b_um2)


def int_add_um2(bits: int, table: AreaTable) -> float:
    """Area of an integer adder in µm² (piecewise linear through 8/16/32 bits)."""
    points = ((8, table.int_add_8b_um2), (16, table.int_add_16b_um2), (32, table.int_add_32b_um2))
    return max(0.0, piecewise_linear(bits, points))


def float_mac_um2(significand_bits: int, table: AreaTable) -> float:
    """Area of a float multiplier plus adder in µm² for a given significand width."""
    s = significand_bits
    mult = power_law_through(s * s, 121, table.fp16_mult_um2, 576, table.fp32_mult_um2)
    return mult + power_law_through(s, 11, table.fp16_add_um2, 24, table.fp32_add_um2)


def pe_area_um2(engine: MacArray, table: AreaTable) -> float:
    """Datapath area of one PE of ``engine`` in µm² at the table's node.

    fixed: one native multiplier and an accumulator adder. bit_fusion: the
    BitBricks plus a shift-add tree at the full product width. bit_serial:
    ``bits_per_cycle`` partial-product adders of the parallel width plus the
    accumulator. float: the widest listed format's multiplier and adder; multi_format: that
    plus the widest listed integer's multiplier and the accumulator.
    """
    cap, accum = engine.precision, int_add_um2(engine.accum_bits, table)
    if isinstance(cap, FixedPrecision):
        return int_mult_um2(cap.native_bits, cap.native_bits, table) + accum
    if isinstance(cap, BitFusionPrecision):
        bricks = cap.bricks_per_unit * int_mult_um2(cap.brick_bits, cap.brick_bits, table)
        tree = (cap.bricks_per_unit - 1) * int_add_um2(2 * cap.max_spatial_bits, table)
        return bricks + tree + accum
    if isinstance(cap, BitSerialPrecision):
        return cap.bits_per_cycle * int_add_um2(cap.parallel_bits, table) + accum
    formats = [parse_format_name(name) for name in cap.macs_per_pe]
    floats = [fmt.significand_bits for fmt in formats if fmt.floating]
    ints = [fmt.bits for fmt in formats if not fmt.floating]
    return (float_mac_um2(max(floats), table) if floats else 0.0) + (
        int_mult_um2(max(ints), max(ints), table) + accum if ints else 0.0)


def _vector_lane_um2(unit: VectorUnit, table: AreaTable) -> float:
    areas = []
    for name in unit.lane_ops_per_cycle:
        fmt = parse_format_name(name)
        if fmt.floating:
            areas.append(float_mac_um2(fmt.significand_bits, table))
        else:
            areas.append(int_mult_um2(fmt.bits, fmt.bits, table) + int_add_um2(fmt.bits, table))
    return max(areas)


def area_breakdown_mm2(acc: Accelerator) -> dict[str, float]:
    """Area of every on-chip component in mm², keyed ``engine:<name>``, ``vector_unit``, ``memory:<name>``.

    Given ``area_mm2`` values are used as is; the rest is estimated at the
    area table's node and scaled by (technology_nm / node)².
    """
    table = acc.area
    scale = (acc.technology_nm / table.node_nm) ** 2 * 1e-6
    areas: dict[str, float] = {}
    for engine in acc.engines:
        estimate = engine.pes * pe_area_um2(engine, table) * scale
        areas[f"engine:{engine.name}"] = engine.area_mm2 if engine.area_mm2 is not None else estimate
    unit = acc.vector_unit
    estimate = unit.lanes * _vector_lane_um2(unit, table) * scale
    areas["vector_unit"] = unit.area_mm2 if unit.area_mm2 is not None else estimate
    for index, level in enumerate(acc.memory):
        bits = level.size_bits * acc.level_instances(index)
        estimate = bits * table.sram_um2_per_bit * scale
        areas[f"memory:{level.name}"] = level.area_mm2 if level.area_mm2 is not None else estimate
    return areas


def leakage_breakdown_mw(acc: Accelerator) -> dict[str, float]:
    """Leakage power of every on-chip component in mW (given, or area x leakage density)."""
    given = {f"engine:{e.name}": e.leakage_mw for e in acc.engines}
    given["vector_unit"] = acc.vector_unit.leakage_mw
    given.update({f"memory:{m.name}": m.leakage_mw for m in acc.memory})
    density = acc.area.leakage_mw_per_mm2
    return {
        key: given[key] if given[key] is not None else area * density
        for key, area in area_breakdown_mm2(acc).items()
    }
