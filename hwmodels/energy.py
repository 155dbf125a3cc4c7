"""Energy per action: arithmetic, SRAM and DRAM, from the Horowitz 45 nm table.

Count first, price after (Accelergy): the simulator counts MACs and bits
moved per level, and this module prices each action in picojoules.

Default table: M. Horowitz, "Computing's energy problem (and what we can do
about it)", ISSCC 2014, 45 nm at 0.9 V, as reproduced in Gholami et al., "A
Survey of Quantization Methods for Efficient Neural Network Inference"
(2021):

=====================  ==========================================
integer add            8 / 16 / 32 bit: 0.03 / 0.05 / 0.1 pJ
integer multiply       8 / 32 bit: 0.2 / 3.1 pJ
fp16 add / multiply    0.4 / 1.1 pJ
fp32 add / multiply    0.9 / 3.7 pJ
SRAM read, 64 bit      8 KB: 10 pJ, 32 KB: 20 pJ, 1 MB: 100 pJ
DRAM, 64 bit           1.3 - 2.6 nJ
=====================  ==========================================

Models between and beyond the anchors (every anchor is reproduced exactly):

* integer multiply: ``E = E8 * (w*a / 64) ** k`` with ``k`` fitted so that
  32x32 gives E32 exactly (k = ln(3.1/0.2) / ln 16 ≈ 0.9885): a power law in
  the product of the widths, i.e. about the number of partial-product bits.
* integer add: piecewise linear in the width through the three anchors,
  extended along the end segments outside 8..32 bits, never below zero.
* float multiply: power law in the significand squared (mantissa + 1 bits,
  the mantissa multiplier dominates) through fp16 (11) and fp32 (24); float
  add: power law in the significand through the same two formats. So bf16
  (8) is cheaper than fp16 and fp8 cheaper still.
* SRAM: piecewise power law (linear in log-log) in the capacity between the
  anchors; below 8 KB and above 1 MB the end segments' exponents continue
  (0.5 below: energy ∝ sqrt(capacity), the bit/word-line length). The
  anchors are read as KiB/MiB (8192, 32768, 1048576 bytes). Monotone
  non-decreasing in size whenever the anchors are.
* DRAM: the midpoint of Horowitz's range, 1.95 nJ per 64 bits
  (30.47 pJ/bit). DRAM energy is not scaled with the logic node.

Technology scaling: dynamic energy ∝ C·V², with C ∝ feature size, so
``E(node) = E(45 nm) * (node / 45) * (V / 0.9)**2`` with V the nominal supply
from a declared table (`nominal_vdd_v`). This is the classic Dennard-style
rule; below ~28 nm it overstates the savings (see Stillmaker & Baas,
"Scaling equations for the accurate prediction of CMOS device performance
from 180 nm to 7 nm", Integration 58, 2017, for fitted factors).
"""

from __future__ import annotations

import bisect
import math
from itertools import pairwise
from typing import Annotated

from pydantic import Field, model_validator

from hwmodels._model import FrozenModel, field_error
from hwmodels.formats import parse_format_name

__all__ = [
    "EnergyTable",
    "EnergyOverhead",
    "HOROWITZ_45NM",
    "int_mult_pj",
    "int_add_pj",
    "float_mult_pj",
    "float_add_pj",
    "float_mac_pj",
    "float_format_for_bits",
    "mac_pj",
    "sram_pj_per_bit",
    "dram_pj_per_bit",
    "nominal_vdd_v",
    "technology_scale",
    "power_law_through",
    "piecewise_linear",
]

_Energy = Annotated[float, Field(gt=0, allow_inf_nan=False)]
_SRAM_DEFAULT = {8192: 10.0, 32768: 20.0, 1048576: 100.0}
_ON_CHIP_FIELDS = (
    "int_add_8b_pj",
    "int_add_16b_pj",
    "int_add_32b_pj",
    "int_mult_8b_pj",
    "int_mult_32b_pj",
    "fp16_add_pj",
    "fp16_mult_pj",
    "fp32_add_pj",
    "fp32_mult_pj",
)

# Nominal core supply per node in volts: typical foundry values, declared here
# rather than cited; override with Accelerator.vdd_v.
_NOMINAL_VDD_V = {
    3: 0.70, 5: 0.70, 7: 0.75, 10: 0.75, 12: 0.80, 14: 0.80, 16: 0.80, 22: 0.80,
    28: 0.90, 32: 0.90, 40: 0.90, 45: 0.90, 65: 1.00, 90: 1.00, 130: 1.20, 180: 1.80,
}  # fmt: skip


class EnergyTable(FrozenModel):
    """Energy per action at one technology node (defaults: Horowitz, ISSCC 2014, 45 nm, 0.9 V)."""

    node_nm: float = Field(default=45.0, gt=0, allow_inf_nan=False)
    """Technology node the values below hold at, in nm (also for entries left at their defaults)."""
    vdd_v: float = Field(default=0.9, gt=0, allow_inf_nan=False)
    """Supply voltage the values below hold at, in V."""
    int_add_8b_pj: _Energy = 0.03
    """8-bit integer add, pJ."""
    int_add_16b_pj: _Energy = 0.05
    """16-bit integer add, pJ."""
    int_add_32b_pj: _Energy = 0.1
    """32-bit integer add, pJ."""
    int_mult_8b_pj: _Energy = 0.2
    """8x8-bit integer multiply, pJ."""
    int_mult_32b_pj: _Energy = 3.1
    """32x32-bit integer multiply, pJ."""
    fp16_add_pj: _Energy = 0.4
    """fp16 add, pJ."""
    fp16_mult_pj: _Energy = 1.1
    """fp16 multiply, pJ."""
    fp32_add_pj: _Energy = 0.9
    """fp32 add, pJ."""
    fp32_mult_pj: _Energy = 3.7
    """fp32 multiply, pJ."""
    sram_pj_per_64b: dict[Annotated[int, Field(gt=0)], _Energy] = Field(
        default_factory=lambda: dict(_SRAM_DEFAULT), min_length=1
    )
    """SRAM read energy per 64-bit access in pJ, keyed by capacity in bytes."""
    sram_write_factor: _Energy = 1.0
    """SRAM write energy relative to a read of the same size."""
    dram_pj_per_64b: _Energy = 1950.0
    """DRAM energy per 64 bits moved in pJ (midpoint of Horowitz's 1.3-2.6 nJ)."""

    @model_validator(mode="after")
    def _check_monotone(self) -> EnergyTable:
        chains = (
            ("int_add_8b_pj", "int_add_16b_pj"),
            ("int_add_16b_pj", "int_add_32b_pj"),
            ("int_mult_8b_pj", "int_mult_32b_pj"),
            ("fp16_add_pj", "fp32_add_pj"),
            ("fp16_mult_pj", "fp32_mult_pj"),
        )
        for narrow, wide in chains:
            if getattr(self, wide) < getattr(self, narrow):
                raise field_error(
                    wide, f"must be >= {narrow} = {getattr(self, narrow)} (got {getattr(self, wide)})"
                )
        sizes = sorted(self.sram_pj_per_64b)
        for small, big in pairwise(sizes):
            if self.sram_pj_per_64b[big] < self.sram_pj_per_64b[small]:
                raise field_error(
                    f"sram_pj_per_64b[{big}]",
                    f"must be >= the energy of the smaller size {small}, "
                    f"{self.sram_pj_per_64b[small]} (got {self.sram_pj_per_64b[big]})",
                )
        return self

    def scaled_to(self, node_nm: float, vdd_v: float | None = None) -> EnergyTable:
        """This table moved to another node and supply by E ∝ node · V² (DRAM unchanged).

        Examples
        --------
        >>> HOROWITZ_45NM.scaled_to(22).int_mult_8b_pj < HOROWITZ_45NM.int_mult_8b_pj
        True
        """
        vdd = nominal_vdd_v(node_nm) if vdd_v is None else vdd_v
        factor = (node_nm / self.node_nm) * (vdd / self.vdd_v) ** 2
        update = {name: getattr(self, name) * factor for name in _ON_CHIP_FIELDS}
        update["sram_pj_per_64b"] = {s: e * factor for s, e in self.sram_pj_per_64b.items()}
        return self.model_copy(update={**update, "node_nm": node_nm, "vdd_v": vdd})


HOROWITZ_45NM = EnergyTable()
"""Horowitz, ISSCC 2014, 45 nm / 0.9 V (as in Gholami et al. 2021); DRAM at the range midpoint."""


class EnergyOverhead(FrozenModel):
    """Chip energy the per-action table does not see: clock tree, control, on-chip network, PE FIFOs.

    A MAC layer pays ``pe_cycle_pj`` for every PE its mapping occupies, every
    cycle it runs (stalls included: the clock of an occupied PE keeps
    running; unoccupied PEs are clock-gated, as on Eyeriss). The default, 0,
    prices a chip by its actions alone (MACs, buffer and DRAM accesses,
    leakage); a preset that sets it says in its comments what it was
    calibrated on.
    """

    pe_cycle_pj: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    """Energy per occupied PE per cycle in pJ, at ``node_nm`` and ``vdd_v``."""
    node_nm: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    """Node the figure holds at, in nm; unset: the chip's own ``technology_nm`` (not scaled)."""
    vdd_v: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    """Supply the figure holds at, in V; unset: the nominal supply of ``node_nm``."""

    def pe_cycle_pj_at(self, node_nm: float, vdd_v: float | None = None) -> float:
        """``pe_cycle_pj`` moved to a chip at ``node_nm`` and ``vdd_v`` by E ∝ node · V².

        Examples
        --------
        >>> EnergyOverhead(pe_cycle_pj=2.0, node_nm=65, vdd_v=1.0).pe_cycle_pj_at(65, 1.0)
        2.0
        >>> EnergyOverhead(pe_cycle_pj=2.0).pe_cycle_pj_at(28)   # no node given: holds as declared
        2.0
        """
        if self.node_nm is None:
            return self.pe_cycle_pj
        ref_vdd = nominal_vdd_v(self.node_nm) if self.vdd_v is None else self.vdd_v
        return self.pe_cycle_pj * technology_scale(node_nm, vdd_v, ref_node_nm=self.node_nm, ref_vdd_v=ref_vdd)


def power_law_through(x: float, x0: float, y0: float, x1: float, y1: float) -> float:
    """``y = y0 * (x / x0) ** k`` through (x0, y0) and (x1, y1); exact at both anchors."""
    exponent = math.log(y1 / y0) / math.log(x1 / x0)
    if x >= x1:
        return y1 * (x / x1) ** exponent
    return y0 * (x / x0) ** exponent


def int_mult_pj(weight_bits: int, act_bits: int, table: EnergyTable = HOROWITZ_45NM) -> float:
    """Energy of one integer multiply in pJ, a power law in ``weight_bits * act_bits``.

    Examples
    --------
    >>> int_mult_pj(8, 8), int_mult_pj(32, 32)
    (0.2, 3.1)
    """
    return power_law_through(weight_bits * act_bits, 64, table.int_mult_8b_pj, 1024, table.int_mult_32b_pj)


def int_add_pj(bits: int, table: EnergyTable = HOROWITZ_45NM) -> float:
    """Energy of one integer add in pJ, piecewise linear in the width.

    Examples
    --------
    >>> int_add_pj(16)
    0.05
    """
    points = ((8, table.int_add_8b_pj), (16, table.int_add_16b_pj), (32, table.int_add_32b_pj))
    return max(0.0, piecewise_linear(bits, points))


def piecewise_linear(x: float, points: tuple[tuple[float, float], ...]) -> float:
    """Through sorted (x, y) anchors, exact at each, extended along the end segments."""
    for xi, yi in points:
        if x == xi:
            return yi
    xs = [p[0] for p in points]
    index = min(max(bisect.bisect_right(xs, x) - 1, 0), len(points) - 2)
    (x0, y0), (x1, y1) = points[index], points[index + 1]
    return y0 + (x - x0) * (y1 - y0) / (x1 - x0)


def float_mult_pj(fmt: str, table: EnergyTable = HOROWITZ_45NM) -> float:
    """Energy of one floating-point multiply in pJ, a power law in the significand squared."""
    s = parse_format_name(fmt).significand_bits
    return power_law_through(s * s, 11 * 11, table.fp16_mult_pj, 24 * 24, table.fp32_mult_pj)


def float_add_pj(fmt: str, table: EnergyTable = HOROWITZ_45NM) -> float:
    """Energy of one floating-point add in pJ, a power law in the significand."""
    s = parse_format_name(fmt).significand_bits
    return power_law_through(s, 11, table.fp16_add_pj, 24, table.fp32_add_pj)


def float_mac_pj(fmt: str, accum_fmt: str | None = None, table: EnergyTable = HOROWITZ_45NM) -> float:
    """Energy of one floating-point MAC in pJ: a multiply in ``fmt`` plus an add in ``accum_fmt``.

    Parameters
    ----------
    fmt : str
        Operand format: ``fp32``, ``fp16``, ``bf16``, ``fp8_e4m3``, ``fp8_e5m2``.
    accum_fmt : str, optional
        Accumulator format; defaults to ``fmt``.

    Examples
    --------
    >>> round(float_mac_pj("fp16"), 12), round(float_mac_pj("fp32"), 12)
    (1.5, 4.6)
    """
    return float_mult_pj(fmt, table) + float_add_pj(accum_fmt or fmt, table)


def float_format_for_bits(bits: int) -> str:
    """The float format an operand of ``bits`` bits is priced as: fp8 e4m3, fp16 or fp32, the narrowest that holds it.

    Examples
    --------
    >>> float_format_for_bits(8), float_format_for_bits(16), float_format_for_bits(32)
    ('fp8_e4m3', 'fp16', 'fp32')
    """
    return "fp8_e4m3" if bits <= 8 else "fp16" if bits <= 16 else "fp32"


def mac_pj(
    weight_bits: int,
    act_bits: int,
    accum_bits: int,
    *,
    floating: bool = False,
    table: EnergyTable = HOROWITZ_45NM,
) -> float:
    """Energy of one MAC in pJ: a multiply at the operand widths plus an add at the accumulator width.

    Floating-point MACs use the narrowest of fp8_e4m3 / fp16 / fp32 holding the
    operand (and accumulator) width; use `float_mac_pj` to name bf16 or e5m2.

    Examples
    --------
    >>> round(mac_pj(8, 8, 32), 12)
    0.3
    """
    if floating:
        fmt = float_format_for_bits(max(weight_bits, act_bits))
        return float_mac_pj(fmt, float_format_for_bits(accum_bits), table)
    return int_mult_pj(weight_bits, act_bits, table) + int_add_pj(accum_bits, table)


def sram_pj_per_bit(size_bytes: float, table: EnergyTable = HOROWITZ_45NM) -> float:
    """Read energy per bit of an SRAM of ``size_bytes`` in pJ (log-log interpolation).

    Examples
    --------
    >>> sram_pj_per_bit(8192) * 64, sram_pj_per_bit(1 << 20) * 64
    (10.0, 100.0)
    """
    points = sorted(table.sram_pj_per_64b.items())
    if len(points) == 1:
        size, energy = points[0]
        return energy * (size_bytes / size) ** 0.5 / 64
    sizes = [p[0] for p in points]
    index = min(max(bisect.bisect_right(sizes, size_bytes) - 1, 0), len(points) - 2)
    (x0, y0), (x1, y1) = points[index], points[index + 1]
    exact = dict(points).get(size_bytes)
    energy = exact if exact is not None else power_law_through(size_bytes, x0, y0, x1, y1)
    return energy / 64


def dram_pj_per_bit(table: EnergyTable = HOROWITZ_45NM) -> float:
    """DRAM energy per bit moved in pJ (1950 / 64 ≈ 30.47 by default)."""
    return table.dram_pj_per_64b / 64


def nominal_vdd_v(node_nm: float) -> float:
    """Nominal supply of a node in V, interpolated in log(node) in a declared table, clamped at the ends.

    Examples
    --------
    >>> nominal_vdd_v(45), nominal_vdd_v(65)
    (0.9, 1.0)
    """
    nodes = sorted(_NOMINAL_VDD_V)
    if node_nm <= nodes[0]:
        return _NOMINAL_VDD_V[nodes[0]]
    if node_nm >= nodes[-1]:
        return _NOMINAL_VDD_V[nodes[-1]]
    index = bisect.bisect_right(nodes, node_nm) - 1
    lo, hi = nodes[index], nodes[index + 1]
    t = math.log(node_nm / lo) / math.log(hi / lo)
    return _NOMINAL_VDD_V[lo] + t * (_NOMINAL_VDD_V[hi] - _NOMINAL_VDD_V[lo])


def technology_scale(
    node_nm: float,
    vdd_v: float | None = None,
    *,
    ref_node_nm: float = 45.0,
    ref_vdd_v: float = 0.9,
) -> float:
    """Factor on dynamic energy going from the reference node to ``node_nm``: (node/ref)·(V/V_ref)².

    Examples
    --------
    >>> technology_scale(45)
    1.0
    >>> technology_scale(22) < 1 < technology_scale(65)
    True
    """
    vdd = nominal_vdd_v(node_nm) if vdd_v is None else vdd_v
    return (node_nm / ref_node_nm) * (vdd / ref_vdd_v) ** 2
