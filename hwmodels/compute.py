"""Precision capabilities: how many MACs one processing element does per cycle at given widths.

A processing element (PE) is the multiplier-accumulator cell that a MAC array
replicates ``rows x cols`` times. Its datapath decides what quantization buys:

* ``fixed``: a multiplier of ``native_bits``; narrower operands are padded and
  run at the same speed, wider ones are split into
  ``ceil(w/n) * ceil(a/n)`` passes (TPU v1: 16-bit runs at 1/2 or 1/4 speed).
  Optional ``subword_bits`` let the multiplier split into ``n // m`` lanes when
  both operands fit in ``m`` bits (an int8 PE doing two int4 MACs).
* ``bit_serial``: one (or both) operands are fed ``bits_per_cycle`` bits per
  cycle, so a MAC takes ``ceil(b/k)`` cycles (Stripes, MICRO 2016, serialises
  activations) or ``ceil(w/k) * ceil(a/k)`` (Loom, DAC 2018, serialises both).
* ``bit_fusion``: a fusion unit of 2-bit BitBricks that fuse in powers of two
  (Bit Fusion, ISCA 2018): 16 bricks give 16 MACs/cycle at 2x2, 4 at 4x4 and
  1 at 8x8; operands wider than the unit take several cycles.
* ``float``: floating-point units with a MAC rate per format.
* ``multi_format``: one datapath with a MAC rate per format, integer and
  float alike (NVDLA's int8/int16/fp16 cells, a tensor core's fp16/fp8/int8).

Every capability answers in plain numbers (operand bits and whether they are
floating point), so the simulator never hands a pydantic object to a loop.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Annotated, Literal, Union

from pydantic import Field, ValidationInfo, field_validator

from hwmodels._model import Bits, Count, FrozenModel
from hwmodels.errors import ConfigError
from hwmodels.formats import FormatInfo, parse_format_name

__all__ = [
    "Dataflow",
    "SerialOperand",
    "FixedPrecision",
    "BitSerialPrecision",
    "BitFusionPrecision",
    "FloatPrecision",
    "MultiFormatPrecision",
    "Precision",
]

FormatPair = tuple[str, str]
_INTEGER_FAMILIES = ("int", "uint", "binary", "ternary")


class Dataflow(str, Enum):
    """Which operand stays put in the PE while the others stream past (Eyeriss taxonomy)."""

    WEIGHT_STATIONARY = "weight_stationary"
    OUTPUT_STATIONARY = "output_stationary"
    INPUT_STATIONARY = "input_stationary"
    ROW_STATIONARY = "row_stationary"


class SerialOperand(str, Enum):
    """Which operand a bit-serial PE consumes bit by bit."""

    ACTIVATIONS = "activations"
    WEIGHTS = "weights"
    BOTH = "both"


def _check_bits(weight_bits: int, act_bits: int) -> None:
    if weight_bits < 1 or act_bits < 1:
        raise ConfigError(
            f"operand widths must be >= 1 bit (got weight_bits={weight_bits}, act_bits={act_bits})"
        )


def _integer_only(kind: str, floating: bool) -> None:
    if floating:
        raise ConfigError(f"a {kind} PE cannot multiply floating-point operands")


def _int_pairs(widths: tuple[int, ...], signs: tuple[str, ...] = ("int", "uint")) -> tuple[FormatPair, ...]:
    names = [f"{sign}{bits}" for bits in widths for sign in signs]
    return tuple((w, a) for w in names for a in names)


class _Capability(FrozenModel):
    """What every precision capability offers besides its own rate rule."""

    def pe_macs_per_cycle(self, weight_bits: int, act_bits: int, floating: bool = False) -> float:
        """MACs per cycle of one PE; each capability defines it."""
        raise NotImplementedError

    def format_macs_per_cycle(self, weight: FormatInfo, act: FormatInfo) -> float:
        """MACs per cycle of one PE for an exact format pair."""
        floating = weight.floating or act.floating
        return self.pe_macs_per_cycle(weight.bits, act.bits, floating)


class FixedPrecision(_Capability):
    """A bit-parallel integer multiplier of one native width."""

    kind: Literal["fixed"]
    """Discriminator: ``fixed``."""
    native_bits: Bits = 8
    """Width of the multiplier's operands in bits."""
    subword_bits: tuple[Bits, ...] = ()
    """Narrower widths m at which the PE splits into native_bits // m MAC lanes (both operands <= m)."""

    @field_validator("subword_bits")
    @classmethod
    def _check_subwords(cls, value: tuple[int, ...], info: ValidationInfo) -> tuple[int, ...]:
        native = info.data.get("native_bits")
        for bits in value:
            if native is not None and (bits >= native or native % bits):
                raise ValueError(f"must divide native_bits={native} and be narrower (got {bits})")
        return tuple(sorted(set(value)))

    def pe_macs_per_cycle(self, weight_bits: int, act_bits: int, floating: bool = False) -> float:
        """MACs per cycle of one PE."""
        _check_bits(weight_bits, act_bits)
        _integer_only("fixed-point", floating)
        n = self.native_bits
        if weight_bits > n or act_bits > n:
            return 1.0 / (math.ceil(weight_bits / n) * math.ceil(act_bits / n))
        lane = self._subword(max(weight_bits, act_bits))
        return float(n // lane) if lane else 1.0

    def padded_bits(self, weight_bits: int, act_bits: int, floating: bool = False) -> tuple[int, int]:
        """Operand widths the datapath actually multiplies at."""
        self.pe_macs_per_cycle(weight_bits, act_bits, floating)
        n = self.native_bits
        if weight_bits > n or act_bits > n:
            return math.ceil(weight_bits / n) * n, math.ceil(act_bits / n) * n
        lane = self._subword(max(weight_bits, act_bits))
        return (lane, lane) if lane else (n, n)

    def _subword(self, widest: int) -> int | None:
        return next((m for m in self.subword_bits if widest <= m), None)

    def native(self, weight: FormatInfo, act: FormatInfo) -> bool:
        """True when the pair runs without padding: both integers of the native or a subword width."""
        if weight.family not in ("int", "uint") or act.family not in ("int", "uint"):
            return False
        return weight.bits == act.bits and weight.bits in (self.native_bits, *self.subword_bits)

    def promotion_targets(self) -> tuple[FormatPair, ...]:
        """Pairs an unsupported format may be promoted to when no ``supported`` list is given.

        Besides the native and subword widths, operands up to twice the native
        width (and at most 16 bits) run in ceil(b / n) passes per operand.
        """
        pairs: list[FormatPair] = []
        for bits in (*self.subword_bits, self.native_bits):
            pairs += _int_pairs((bits,))
        if 2 * self.native_bits <= 16:
            pairs += _int_pairs((self.native_bits, 2 * self.native_bits))
        return tuple(dict.fromkeys(pairs))

    def table_pairs(self) -> tuple[FormatPair, ...]:
        """Representative pairs for a peak-throughput table."""
        return tuple((f"int{b}", f"int{b}") for b in (*self.subword_bits, self.native_bits))

    def describe(self) -> str:
        """What runs natively, for error messages."""
        widths = " or ".join(str(b) for b in (self.native_bits, *reversed(self.subword_bits)))
        return f"integer pairs of {widths} bits"


class BitSerialPrecision(_Capability):
    """A bit-serial lane: one (or both) operands arrive a few bits per cycle."""

    kind: Literal["bit_serial"]
    """Discriminator: ``bit_serial``."""
    serial_operand: SerialOperand = SerialOperand.ACTIVATIONS
    """Operand fed bit-serially: activations (Stripes), weights, or both (Loom)."""
    bits_per_cycle: Bits = 1
    """Bits of each serial operand consumed per cycle."""
    parallel_bits: Bits = 16
    """Width of the bit-parallel operand; wider values take ceil(b / parallel_bits) passes."""
    max_bits: Bits = 16
    """Widest integer operand the lane accepts natively."""

    def pe_macs_per_cycle(self, weight_bits: int, act_bits: int, floating: bool = False) -> float:
        """MACs per cycle of one lane: the reciprocal of the cycles one MAC takes."""
        _check_bits(weight_bits, act_bits)
        _integer_only("bit-serial", floating)
        w_cycles, a_cycles = self._cycles(weight_bits, act_bits)
        return 1.0 / (w_cycles * a_cycles)

    def _cycles(self, weight_bits: int, act_bits: int) -> tuple[int, int]:
        k, p = self.bits_per_cycle, self.parallel_bits
        serial_w = self.serial_operand in (SerialOperand.WEIGHTS, SerialOperand.BOTH)
        serial_a = self.serial_operand in (SerialOperand.ACTIVATIONS, SerialOperand.BOTH)
        w_cycles = math.ceil(weight_bits / (k if serial_w else p))
        a_cycles = math.ceil(act_bits / (k if serial_a else p))
        return w_cycles, a_cycles

    def padded_bits(self, weight_bits: int, act_bits: int, floating: bool = False) -> tuple[int, int]:
        """Operand widths the lane processes: serial ones rounded to bits_per_cycle, parallel ones padded."""
        self.pe_macs_per_cycle(weight_bits, act_bits, floating)
        k, p = self.bits_per_cycle, self.parallel_bits
        w_cycles, a_cycles = self._cycles(weight_bits, act_bits)
        serial_w = self.serial_operand in (SerialOperand.WEIGHTS, SerialOperand.BOTH)
        serial_a = self.serial_operand in (SerialOperand.ACTIVATIONS, SerialOperand.BOTH)
        return w_cycles * (k if serial_w else p), a_cycles * (k if serial_a else p)

    def native(self, weight: FormatInfo, act: FormatInfo) -> bool:
        """True for any pair of integer formats up to ``max_bits``: cycles follow the bits."""
        return all(fmt.family in _INTEGER_FAMILIES and fmt.bits <= self.max_bits for fmt in (weight, act))

    def promotion_targets(self) -> tuple[FormatPair, ...]:
        """Nothing: every integer up to ``max_bits`` is native, nothing wider can be reached."""
        return ()

    def table_pairs(self) -> tuple[FormatPair, ...]:
        """Pairs of 2/4/8/16-bit integers up to ``max_bits``."""
        widths = tuple(b for b in (2, 4, 8, 16) if b <= self.max_bits)
        return _int_pairs(widths, ("int",))

    def describe(self) -> str:
        """What runs natively, for error messages."""
        return f"integers of up to {self.max_bits} bits"


class BitFusionPrecision(_Capability):
    """A Bit Fusion unit: BitBricks that fuse in powers of two to match operand widths."""

    kind: Literal["bit_fusion"]
    """Discriminator: ``bit_fusion``."""
    brick_bits: Bits = 2
    """Operand width of one BitBrick in bits (2 in Bit Fusion: binary and ternary run natively)."""
    bricks_per_unit: Count = 16
    """BitBricks per fusion unit; a power of four (16 in Bit Fusion, a 4x4 grid)."""

    @field_validator("bricks_per_unit")
    @classmethod
    def _check_square(cls, value: int) -> int:
        side = math.isqrt(value)
        if side * side != value or side & (side - 1):
            raise ValueError(f"must be a power of 4 (got {value})")
        return value

    @property
    def max_spatial_bits(self) -> int:
        """Widest operand one unit fuses in a single cycle (8 bits for 16 2-bit bricks)."""
        return self.brick_bits * math.isqrt(self.bricks_per_unit)

    def _pad(self, bits: int) -> int:
        bricks = math.ceil(bits / self.brick_bits)
        return self.brick_bits * (1 << (bricks - 1).bit_length())

    def pe_macs_per_cycle(self, weight_bits: int, act_bits: int, floating: bool = False) -> float:
        """Fused MACs per cycle of one fusion unit."""
        _check_bits(weight_bits, act_bits)
        _integer_only("bit-fusion", floating)
        top = self.max_spatial_bits
        pad_w, pad_a = self._pad(weight_bits), self._pad(act_bits)
        passes = math.ceil(pad_w / top) * math.ceil(pad_a / top)
        bricks = (min(pad_w, top) // self.brick_bits) * (min(pad_a, top) // self.brick_bits)
        return self.bricks_per_unit / bricks / passes

    def padded_bits(self, weight_bits: int, act_bits: int, floating: bool = False) -> tuple[int, int]:
        """Operand widths after rounding up to a power-of-two number of bricks."""
        self.pe_macs_per_cycle(weight_bits, act_bits, floating)
        return self._pad(weight_bits), self._pad(act_bits)

    def native(self, weight: FormatInfo, act: FormatInfo) -> bool:
        """True for integers whose width is a power-of-two number of bricks, and binary/ternary."""
        return all(self._fuses(fmt) for fmt in (weight, act))

    def _fuses(self, fmt: FormatInfo) -> bool:
        if fmt.family in ("binary", "ternary"):
            return True
        widest = 2 * self.max_spatial_bits
        return fmt.family in ("int", "uint") and self._pad(fmt.bits) == fmt.bits <= widest

    def _widths(self) -> tuple[int, ...]:
        widths, bits = [], self.brick_bits
        while bits <= 2 * self.max_spatial_bits:
            widths.append(bits)
            bits *= 2
        return tuple(widths)

    def promotion_targets(self) -> tuple[FormatPair, ...]:
        """Integer pairs at every fusable width, up to twice the spatial width."""
        return _int_pairs(self._widths())

    def table_pairs(self) -> tuple[FormatPair, ...]:
        """Signed integer pairs at every fusable width."""
        return _int_pairs(self._widths(), ("int",))

    def describe(self) -> str:
        """What runs natively, for error messages."""
        return "integers of " + ", ".join(str(b) for b in self._widths()) + " bits"


class _RateTable(_Capability):
    """A PE with a MAC rate per operand format: the shared rule of `FloatPrecision` and `MultiFormatPrecision`.

    An operand pair runs in the narrowest listed format of its kind (floating
    point when either operand is, integer otherwise) that holds the wider
    operand; on ties the slowest such format answers.
    """

    macs_per_pe: dict[str, Annotated[float, Field(gt=0, allow_inf_nan=False)]] = {"fp16": 1.0}
    """MACs per cycle of one PE for each format, e.g. ``{fp16: 1, fp8_e4m3: 2}``."""

    @field_validator("macs_per_pe")
    @classmethod
    def _canonical_formats(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("must name at least one format")
        return {parse_format_name(name).name: rate for name, rate in value.items()}

    def _format_for(self, bits: int, floating: bool) -> str:
        kind = [name for name in self.macs_per_pe if parse_format_name(name).floating == floating]
        wide = [name for name in kind if parse_format_name(name).bits >= bits]
        if not wide:
            have = ", ".join(self.macs_per_pe)
            what = "floating-point" if floating else "integer"
            raise ConfigError(f"no {what} format of {bits} bits or more (have: {have})")
        narrowest = min(parse_format_name(name).bits for name in wide)
        same = [name for name in wide if parse_format_name(name).bits == narrowest]
        return min(same, key=lambda name: self.macs_per_pe[name])

    def pe_macs_per_cycle(self, weight_bits: int, act_bits: int, floating: bool = False) -> float:
        """MACs per cycle of one PE in the narrowest listed format that holds both widths (slowest on ties)."""
        _check_bits(weight_bits, act_bits)
        return self.macs_per_pe[self._format_for(max(weight_bits, act_bits), floating)]

    def format_macs_per_cycle(self, weight: FormatInfo, act: FormatInfo) -> float:
        """MACs per cycle of one PE for an exact format pair (by name when both are the same)."""
        if weight == act and weight.name in self.macs_per_pe:
            return self.macs_per_pe[weight.name]
        return self.pe_macs_per_cycle(weight.bits, act.bits, weight.floating or act.floating)

    def padded_bits(self, weight_bits: int, act_bits: int, floating: bool = False) -> tuple[int, int]:
        """Both operands at the width of the format that runs them."""
        self.pe_macs_per_cycle(weight_bits, act_bits, floating)
        bits = parse_format_name(self._format_for(max(weight_bits, act_bits), floating)).bits
        return bits, bits

    def native(self, weight: FormatInfo, act: FormatInfo) -> bool:
        """True when both operands have the same listed format."""
        return weight == act and weight.name in self.macs_per_pe

    def promotion_targets(self) -> tuple[FormatPair, ...]:
        """Every listed format, for both operands."""
        return tuple((name, name) for name in self.macs_per_pe)

    def table_pairs(self) -> tuple[FormatPair, ...]:
        """Every listed format, for both operands."""
        return self.promotion_targets()

    def describe(self) -> str:
        """What runs natively, for error messages."""
        return ", ".join(self.macs_per_pe)


class FloatPrecision(_RateTable):
    """Floating-point MAC units with a rate per format."""

    kind: Literal["float"]
    """Discriminator: ``float``."""

    @field_validator("macs_per_pe")
    @classmethod
    def _floats_only(cls, value: dict[str, float]) -> dict[str, float]:
        for name in value:
            if not parse_format_name(name).floating:
                raise ValueError(f"keys must be floating-point formats (got {name!r}; use kind multi_format)")
        return value

    def pe_macs_per_cycle(self, weight_bits: int, act_bits: int, floating: bool = False) -> float:
        """MACs per cycle of one PE in the narrowest format that holds both widths (slowest on ties)."""
        if not floating:
            raise ConfigError("a floating-point PE cannot multiply integer operands; resolve() them first")
        return super().pe_macs_per_cycle(weight_bits, act_bits, floating)


class MultiFormatPrecision(_RateTable):
    """One datapath that multiplies integers and floats, each format at its own rate.

    NVDLA's convolution MAC runs 2048 int8 or 1024 int16/fp16 MACs per cycle
    on the same cells; a tensor core runs fp16/bf16 at one rate and fp8/int8
    at twice it. Integer operands take the narrowest listed integer format
    that holds them (int4 on an int8 cell pads to int8), floats the narrowest
    listed float; weight-only formats (``w4a16``) reach the PE already
    dequantized to the activations' float format.
    """

    kind: Literal["multi_format"]
    """Discriminator: ``multi_format``."""


Precision = Annotated[
    Union[FixedPrecision, BitSerialPrecision, BitFusionPrecision, FloatPrecision, MultiFormatPrecision],
    Field(discriminator="kind"),
]
"""A PE's precision capability, chosen by its ``kind``."""
