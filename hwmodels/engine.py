"""Compute engines: the MAC array that runs convolutions and matmuls, and the vector unit beside it.

A ``MacArray`` is a grid of ``rows x cols`` processing elements sharing one
precision capability (see `hwmodels.compute`) and one dataflow. It answers the
simulator's three questions in plain numbers: how many MACs per cycle at
(weight bits, activation bits); which operand formats it executes natively;
and, for a format it does not execute, which wider supported format the
operands are promoted to (the padding then shows up in time and energy).

A ``VectorUnit`` runs the element-wise work that quantization adds
(requantization, zero-point correction, activation functions) on ``lanes``
lanes with a rate per format.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, field_validator

from hwmodels._model import Bits, Count, FrozenModel, Milliwatts, SquareMillimetres
from hwmodels.compute import Dataflow, FixedPrecision, Precision
from hwmodels.errors import ConfigError
from hwmodels.formats import FormatInfo, can_represent, pair_label, parse_format_name
from vocabulary.formats import FormatKind

__all__ = ["MacArray", "VectorUnit"]


def _as_pair(value: Any) -> Any:
    if isinstance(value, str):
        return (value, value)
    return value


def _canonical_pair(pair: tuple[str, str]) -> tuple[str, str]:
    return parse_format_name(pair[0]).name, parse_format_name(pair[1]).name


FormatPair = Annotated[tuple[str, str], BeforeValidator(_as_pair), AfterValidator(_canonical_pair)]
"""A (weight format, activation format) pair; a single name means the same format for both."""


class MacArray(FrozenModel):
    """A grid of processing elements with one precision capability and one dataflow."""

    name: str = Field(min_length=1)
    """Engine name, unique within the accelerator."""
    rows: Count
    """PE rows."""
    cols: Count
    """PE columns."""
    dataflow: Dataflow = Dataflow.WEIGHT_STATIONARY
    """Which operand stays in the PE: weight_stationary, output_stationary, input_stationary, row_stationary."""
    precision: Precision = FixedPrecision(kind="fixed")
    """Precision capability of one PE, selected by ``kind``: fixed, bit_serial, bit_fusion or float."""
    supported: tuple[FormatPair, ...] | None = Field(default=None, min_length=1)
    """(weight, activation) formats run natively, e.g. ``[int8, [int4, int8]]``.

    Unset: whatever the precision capability runs without padding.
    """
    allow_promotion: bool = True
    """Run an unsupported format at the narrowest supported format that holds it (padding cost included)."""
    accum_bits: Bits = 32
    """Width of the PE's accumulator (partial sums) in bits."""
    area_mm2: SquareMillimetres | None = None
    """Area of the whole array in mm²; unset: estimated from the area table."""
    leakage_mw: Milliwatts | None = None
    """Leakage power of the whole array in mW; unset: area x leakage density."""

    @property
    def pes(self) -> int:
        """Number of processing elements (rows x cols)."""
        return self.rows * self.cols

    def _rate(self, weight_bits: int, act_bits: int, floating: bool) -> float:
        try:
            return self.precision.pe_macs_per_cycle(weight_bits, act_bits, floating)
        except ConfigError as exc:
            raise ConfigError(f"engine {self.name!r}: {exc.message}") from None

    def macs_per_cycle(self, weight_bits: int, act_bits: int, *, floating: bool = False) -> float:
        """Peak MACs per cycle of the whole array at the given operand widths.

        Parameters
        ----------
        weight_bits, act_bits : int
            Operand widths in bits as executed (after `resolve`).
        floating : bool
            True when the operands are floating point.

        Raises
        ------
        ConfigError
            If the PE cannot multiply that kind of operand (floats on an integer PE or vice versa).

        Examples
        --------
        >>> from hwmodels.compute import BitFusionPrecision
        >>> bf = MacArray(name="bf", rows=16, cols=32, precision=BitFusionPrecision(kind="bit_fusion"))
        >>> bf.macs_per_cycle(2, 2), bf.macs_per_cycle(8, 8)
        (8192.0, 512.0)
        """
        return self.pes * self._rate(weight_bits, act_bits, floating)

    def cycles_per_mac(self, weight_bits: int, act_bits: int, *, floating: bool = False) -> float:
        """Cycles one PE spends per MAC: passes of a fixed PE, bit-serial cycles, 1/fused MACs."""
        return 1.0 / self._rate(weight_bits, act_bits, floating)

    def padded_bits(self, weight_bits: int, act_bits: int, *, floating: bool = False) -> tuple[int, int]:
        """Operand widths the datapath actually multiplies at (what MAC energy should be priced at)."""
        self._rate(weight_bits, act_bits, floating)
        return self.precision.padded_bits(weight_bits, act_bits, floating)

    def format_macs_per_cycle(self, weight_format: str, act_format: str) -> float:
        """Peak MACs per cycle of the whole array for an exact format pair (no promotion)."""
        weight, act = parse_format_name(weight_format), parse_format_name(act_format)
        try:
            return self.pes * self.precision.format_macs_per_cycle(weight, act)
        except ConfigError as exc:
            raise ConfigError(f"engine {self.name!r}: {exc.message}") from None

    def supports(self, weight_format: str, act_format: str) -> bool:
        """True when the array runs this (weight, activation) format pair natively.

        Raises
        ------
        ConfigError
            If a format name is unknown.
        """
        return self._native(parse_format_name(weight_format), parse_format_name(act_format))

    def _native(self, weight: FormatInfo, act: FormatInfo) -> bool:
        if self.supported is not None:
            return (weight.name, act.name) in self.supported
        return self.precision.native(weight, act)

    def resolve(self, weight_format: str, act_format: str, *, offset_activations: bool = False) -> tuple[str, str]:
        """The (weight, activation) formats the array actually executes for the requested pair.

        A natively supported pair comes back unchanged. With
        ``offset_activations`` (the weights are constants), unsigned integer
        activations that the array does not take run as the signed integers of
        their width, each value less ``2**(bits - 1)``, when that pair is native:
        exact, as a compiler does it for asymmetric uint8 activations on int8
        arrays (``sum w (x - z) = sum w (x - 128) + (128 - z) sum w``, the last
        term a per-channel constant folded into the bias). Otherwise, if
        ``allow_promotion`` is true, the pair is promoted to the supported pair
        with the fewest total bits that holds both operands exactly (ties: the
        pair that keeps integers integer, then the faster pair, then list order).

        Raises
        ------
        ConfigError
            If a name is unknown, or the pair is unsupported and cannot (or may not) be promoted.

        Examples
        --------
        >>> tpu = MacArray(name="mxu", rows=256, cols=256, supported=["int8", ["int8", "int16"]])
        >>> tpu.resolve("int4", "int8")
        ('int8', 'int8')
        >>> tpu.resolve("int4", "int12")
        ('int8', 'int16')
        >>> tpu.resolve("int8", "uint8"), tpu.resolve("int8", "uint8", offset_activations=True)
        (('int8', 'int16'), ('int8', 'int8'))
        """
        weight, act = parse_format_name(weight_format), parse_format_name(act_format)
        if self._native(weight, act):
            return weight.name, act.name
        if offset_activations and act.family is FormatKind.UINT and act.bits >= 2:  # int1 would be binary (+-1)
            signed = parse_format_name(f"int{act.bits}")
            if self._native(weight, signed):
                return weight.name, signed.name
        asked = f"weights={weight.name}, activations={act.name}"
        if not self.allow_promotion:
            raise ConfigError(
                f"engine {self.name!r} does not support {asked} and allow_promotion is false "
                f"(supported: {self._describe()})"
            )
        target = self._promote(weight, act)
        if target is None:
            raise ConfigError(
                f"engine {self.name!r} cannot run {asked}: no supported format holds them "
                f"(supported: {self._describe()})"
            )
        return target

    def _promote(self, weight: FormatInfo, act: FormatInfo) -> tuple[str, str] | None:
        pairs = self.supported if self.supported is not None else self.precision.promotion_targets()
        best, best_key = None, None
        for index, (w_name, a_name) in enumerate(pairs):
            w_to, a_to = parse_format_name(w_name), parse_format_name(a_name)
            if not (can_represent(w_to, weight) and can_represent(a_to, act)):
                continue
            kind_changes = (w_to.floating != weight.floating) + (a_to.floating != act.floating)
            key = (w_to.bits + a_to.bits, kind_changes, -self.precision.format_macs_per_cycle(w_to, a_to), index)
            if best_key is None or key < best_key:
                best, best_key = (w_to.name, a_to.name), key
        return best

    def _describe(self) -> str:
        if self.supported is not None:
            return ", ".join(f"{w}/{a}" for w, a in self.supported)
        return self.precision.describe()

    @property
    def supported_pairs(self) -> tuple[tuple[str, str], ...]:
        """The declared ``supported`` pairs, or representative native pairs of the capability."""
        return self.supported if self.supported is not None else self.precision.table_pairs()

    def peak_macs_per_cycle_table(self) -> dict[str, float]:
        """Peak MACs per cycle of the whole array for each supported pair, keyed like ``w4a8`` or ``fp16``.

        Examples
        --------
        >>> npu = MacArray(name="a", rows=32, cols=32, supported=["int8", ["int4", "int8"]])
        >>> npu.peak_macs_per_cycle_table()
        {'w8a8': 1024.0, 'w4a8': 1024.0}
        """
        table: dict[str, float] = {}
        for w_name, a_name in self.supported_pairs:
            weight, act = parse_format_name(w_name), parse_format_name(a_name)
            table.setdefault(pair_label(weight, act), self.format_macs_per_cycle(w_name, a_name))
        return table


class VectorUnit(FrozenModel):
    """Element-wise lanes for requantization, activation functions and pooling."""

    lanes: Count = 16
    """Parallel lanes."""
    lane_ops_per_cycle: dict[str, Annotated[float, Field(gt=0, allow_inf_nan=False)]] = {
        "int32": 1.0,
        "fp32": 1.0,
    }
    """Operations per cycle of one lane for each format, e.g. ``{int8: 4, int32: 1, fp16: 2}``."""
    area_mm2: SquareMillimetres | None = None
    """Area in mm²; unset: estimated from the area table."""
    leakage_mw: Milliwatts | None = None
    """Leakage power in mW; unset: area x leakage density."""

    @field_validator("lane_ops_per_cycle")
    @classmethod
    def _canonical(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("must name at least one format")
        return {parse_format_name(name).name: rate for name, rate in value.items()}

    def ops_per_cycle(self, bits: int, floating: bool = False) -> float:
        """Operations per cycle of the whole unit on operands of ``bits`` bits.

        The rate is that of the narrowest listed format of the same kind
        (integer or floating point) at least ``bits`` wide; an operand wider
        than every listed format takes ``ceil(bits / widest)`` passes.

        Raises
        ------
        ConfigError
            If no format of that kind is listed.

        Examples
        --------
        >>> VectorUnit(lanes=32, lane_ops_per_cycle={"int8": 4, "int32": 1}).ops_per_cycle(4)
        128.0
        """
        rates = {
            parse_format_name(name).bits: rate
            for name, rate in sorted(self.lane_ops_per_cycle.items(), key=lambda kv: -kv[1])
            if parse_format_name(name).floating == floating
        }
        if not rates:
            kind = "floating-point" if floating else "integer"
            raise ConfigError(f"vector unit has no {kind} format in lane_ops_per_cycle")
        wide = [width for width in rates if width >= bits]
        if wide:
            return self.lanes * rates[min(wide)]
        widest = max(rates)
        return self.lanes * rates[widest] / math.ceil(bits / widest)
