"""Quantization vocabulary as data: number formats, tensor schemes, per-layer specs.

Think of it as the datasheet line of each tensor on the chip: how many bits an
element takes in memory, how many bits of scale and zero point ride along with
it, and what the arithmetic units are asked to do with it. The concepts follow
the survey by Gholami et al., "A Survey of Quantization Methods for Efficient
Neural Network Inference" (2021): uniform and non-uniform formats, symmetric
and asymmetric schemes, per-tensor / per-channel / per-group granularity,
static and dynamic ranges, simulated versus integer-only execution.

Storage is counted in bits so that sub-byte formats are first class: eight
int4 weights pack into 32 bits, and an int4 tensor with one fp16 scale per
group of 128 weights costs 4 + 16/128 = 4.125 bits per weight.
"""

from __future__ import annotations

import math
from enum import Enum

from pydantic import Field, model_validator

from vocabulary.formats import FormatKind, FormatNameError, check_width, format_name, lookup_format
from workloads._model import FrozenModel
from workloads.errors import QuantSpecError

__all__ = [
    "FormatKind",
    "Granularity",
    "RequantMode",
    "ExecutionMode",
    "NumberFormat",
    "TensorQuant",
    "QuantSpec",
    "parse_format",
    "FP32",
    "FP16",
    "BF16",
]


class Granularity(str, Enum):
    """How many elements share one scale (and zero point)."""

    TENSOR = "tensor"
    CHANNEL = "channel"
    GROUP = "group"


class RequantMode(str, Enum):
    """How an integer accumulator is scaled back to the output format."""

    FP32 = "fp32"
    """Multiply by a floating-point scale (needs an fp32 multiplier per output)."""
    DYADIC = "dyadic"
    """Integer multiply and shift by a dyadic number b / 2^c (HAWQ-V3 style)."""
    NONE = "none"
    """Outputs stay in the accumulator's format (float pipelines)."""


class ExecutionMode(str, Enum):
    """Where arithmetic happens."""

    INTEGER = "integer"
    """Integer-only inference: MACs run on the quantized operands."""
    FAKE = "fake"
    """Simulated quantization: operands are dequantized and the MACs run in float."""


class NumberFormat(FrozenModel):
    """One element's number format: its family and its width in bits."""

    kind: FormatKind
    """Family: int, uint, binary, ternary, float or codebook."""
    bits: int = Field(ge=1, le=32)
    """Storage bits of one element (a codebook index for codebook formats)."""
    exponent_bits: int | None = Field(default=None, ge=1, le=8)
    """Exponent bits, floating-point formats only."""

    @model_validator(mode="after")
    def _check_family(self) -> NumberFormat:
        # Widths and float layouts come from the one table shared with hwmodels.
        try:
            check_width(self.kind, self.bits)
        except FormatNameError as exc:
            raise ValueError(str(exc)) from None
        is_float = self.kind is FormatKind.FLOAT
        if is_float and self.exponent_bits is None:
            raise ValueError("exponent_bits must be given for float formats")
        if not is_float and self.exponent_bits is not None:
            raise ValueError(f"exponent_bits must be unset for {self.kind.value} formats")
        try:
            format_name(self.kind, self.bits, self.exponent_bits or 0)
        except FormatNameError as exc:
            raise ValueError(str(exc)) from None
        return self

    @property
    def name(self) -> str:
        """Canonical short name, e.g. ``int4``, ``fp8_e4m3``, ``cb4`` (round-trips through `parse_format`)."""
        return format_name(self.kind, self.bits, self.exponent_bits or 0)

    @property
    def is_float(self) -> bool:
        """True for floating-point formats."""
        return self.kind is FormatKind.FLOAT

    @property
    def needs_scale(self) -> bool:
        """True when values are meaningless without a scale (everything but fp16/bf16/fp32)."""
        return not (self.is_float and self.bits >= 16)

    @property
    def levels(self) -> int:
        """Number of distinct values the format can hold (2**bits, 3 for ternary)."""
        return 3 if self.kind is FormatKind.TERNARY else 2**self.bits

    def __str__(self) -> str:
        return self.name


FP32 = NumberFormat(kind=FormatKind.FLOAT, bits=32, exponent_bits=8)
FP16 = NumberFormat(kind=FormatKind.FLOAT, bits=16, exponent_bits=5)
BF16 = NumberFormat(kind=FormatKind.FLOAT, bits=16, exponent_bits=8)

def parse_format(text: str) -> NumberFormat:
    """Parse a format name such as ``int4``, ``uint8``, ``fp8_e4m3``, ``bf16``, ``binary``, ``cb4``.

    Names, aliases and widths are those of `vocabulary.formats`, the table
    the hardware side reads too.

    Parameters
    ----------
    text : str
        The format's name (case-insensitive).

    Returns
    -------
    NumberFormat

    Raises
    ------
    QuantSpecError
        If the name is unknown or the width is out of range for its family.

    Examples
    --------
    >>> parse_format("int4").bits
    4
    >>> parse_format("e5m2").name
    'fp8_e5m2'
    """
    try:
        info = lookup_format(text)
    except FormatNameError as exc:
        raise QuantSpecError(str(exc)) from None
    return NumberFormat(kind=info.family, bits=info.bits, exponent_bits=info.exponent_bits or None)


class TensorQuant(FrozenModel):
    """How one tensor is quantized: format, scheme, granularity and range."""

    format: NumberFormat
    """Element format."""
    symmetric: bool = True
    """Symmetric (no zero point) or asymmetric (a zero point per scale)."""
    granularity: Granularity = Granularity.TENSOR
    """How many elements share a scale: the tensor, an output channel, or a group."""
    group_size: int | None = Field(default=None, ge=1)
    """Elements per group along the reduction axis; required for per-group granularity."""
    scale_format: NumberFormat = FP32
    """Format in which each scale is stored."""
    zero_point_bits: int | None = Field(default=None, ge=1, le=32)
    """Bits of each zero point (asymmetric only; defaults to the element width)."""
    dynamic: bool = False
    """Range computed at run time (dynamic quantization) rather than calibrated offline."""

    @model_validator(mode="after")
    def _check_scheme(self) -> TensorQuant:
        if (self.granularity is Granularity.GROUP) != (self.group_size is not None):
            raise ValueError(
                "group_size must be set exactly when granularity is 'group' "
                f"(got granularity={self.granularity.value}, group_size={self.group_size})"
            )
        if self.symmetric and self.zero_point_bits is not None:
            raise ValueError("zero_point_bits must be unset when symmetric is true")
        return self

    @classmethod
    def of(cls, fmt: NumberFormat | str, **scheme) -> TensorQuant:
        """Shorthand: ``TensorQuant.of("int4", granularity="group", group_size=128)``."""
        return cls(format=parse_format(fmt) if isinstance(fmt, str) else fmt, **scheme)

    @property
    def bits(self) -> int:
        """Storage bits of one element, without scale overhead."""
        return self.format.bits

    @property
    def scaled(self) -> bool:
        """True when scales are stored with the tensor."""
        return self.format.needs_scale

    @property
    def scale_entry_bits(self) -> int:
        """Bits stored per scale: the scale, its zero point, and for codebooks the table itself."""
        if not self.scaled:
            return 0
        if self.format.kind is FormatKind.CODEBOOK:
            return self.format.levels * self.scale_format.bits
        zero_point = 0 if self.symmetric else (self.zero_point_bits or self.format.bits)
        return self.scale_format.bits + zero_point

    def scale_count(self, elements: int, channels: int) -> int:
        """Number of scales stored for a tensor of ``elements`` split over ``channels`` channels."""
        if not self.scaled:
            return 0
        if self.granularity is Granularity.TENSOR:
            return 1
        if self.granularity is Granularity.CHANNEL:
            return max(channels, 1)
        per_channel = math.ceil(elements / max(channels, 1) / self.group_size)
        return max(channels, 1) * per_channel

    def storage_bits(self, elements: int, channels: int = 1) -> int:
        """Bits to store ``elements`` values densely packed, plus scales and zero points.

        Parameters
        ----------
        elements : int
            Number of tensor elements.
        channels : int
            Output channels (rows) of the tensor, for per-channel and per-group schemes.

        Examples
        --------
        >>> w = TensorQuant.of("int4", granularity="group", group_size=128, scale_format=FP16)
        >>> w.storage_bits(4096 * 128, channels=4096) / (4096 * 128)
        4.125
        """
        payload = elements * self.format.bits
        return payload + self.scale_count(elements, channels) * self.scale_entry_bits

    def bits_per_element(self, elements: int, channels: int = 1) -> float:
        """Average storage bits per element including scale overhead."""
        return self.storage_bits(elements, channels) / elements if elements else float(self.bits)

    def describe(self) -> str:
        """Short human label, e.g. ``int4/g128`` or ``int8/ch/asym``."""
        parts = [self.format.name]
        if self.scaled and self.granularity is Granularity.CHANNEL:
            parts.append("ch")
        elif self.granularity is Granularity.GROUP:
            parts.append(f"g{self.group_size}")
        if not self.symmetric:
            parts.append("asym")
        if self.dynamic:
            parts.append("dyn")
        return "/".join(parts)


_FLOAT_TENSOR = TensorQuant(format=FP32)


class QuantSpec(FrozenModel):
    """Precision of one layer: its operands, accumulator and execution mode.

    Follows ZigZag's operand split: weights (W), input activations (I), partial
    sums in the accumulator, and stored outputs (O).
    """

    weights: TensorQuant = _FLOAT_TENSOR
    """Weights, or the second dynamic operand of a batched matmul."""
    inputs: TensorQuant = _FLOAT_TENSOR
    """Input activations."""
    outputs: TensorQuant = _FLOAT_TENSOR
    """Stored output activations."""
    kv_cache: TensorQuant | None = None
    """Key/value cache of attention layers; defaults to the input format when unset."""
    accum_bits: int = Field(default=32, ge=1, le=64)
    """Accumulator (partial-sum) width in bits."""
    requant: RequantMode = RequantMode.NONE
    """How accumulators are scaled back to the output format."""
    execution: ExecutionMode = ExecutionMode.INTEGER
    """Integer-only execution or simulated (fake) quantization."""
    saturating: bool = False
    """Declares that the accumulator saturates, allowing accum_bits < weight_bits + input_bits."""

    @model_validator(mode="after")
    def _check_accumulator(self) -> QuantSpec:
        if self.compute_is_float or self.saturating:
            return self
        needed = self.weights.bits + self.inputs.bits
        if self.accum_bits < needed:
            raise ValueError(
                f"accum_bits must be >= weights.bits + inputs.bits = {needed} "
                f"unless saturating is true (got {self.accum_bits})"
            )
        return self

    @property
    def compute_is_float(self) -> bool:
        """True when the MACs run in floating point (float operands or fake quantization)."""
        return (
            self.execution is ExecutionMode.FAKE
            or self.weights.format.is_float
            or self.inputs.format.is_float
        )

    @property
    def weight_only(self) -> bool:
        """True for weight-only schemes (quantized weights, float activations, e.g. w4a16)."""
        return not self.weights.format.is_float and self.inputs.format.is_float

    @property
    def compute_formats(self) -> tuple[NumberFormat, NumberFormat]:
        """(weight, activation) formats the MAC units actually see.

        Weight-only and fake-quantized layers dequantize to the activation's
        float format (fp32 for fake quantization of integer activations).
        """
        if self.execution is ExecutionMode.FAKE:
            fmt = self.inputs.format if self.inputs.format.is_float else FP32
            return fmt, fmt
        if self.weight_only:
            return self.inputs.format, self.inputs.format
        return self.weights.format, self.inputs.format

    def kv_format(self) -> TensorQuant:
        """Format of the KV cache (the input format when no KV format is given)."""
        return self.kv_cache or self.inputs

    def bops(self, macs: int) -> int:
        """Bit operations, MACs x weight bits x activation bits (the survey's BOPs)."""
        w_fmt, a_fmt = self.compute_formats
        return macs * w_fmt.bits * a_fmt.bits

    def label(self) -> str:
        """The policy shorthand this spec corresponds to, e.g. ``w4a8``, ``w4a16-g128``, ``fp16``."""
        w, a = self.weights, self.inputs
        if w.format == a.format and w.format.is_float:
            text = w.format.name
        else:
            text = f"w{_shorthand_token(w.format)}a{_shorthand_token(a.format)}"
        if w.granularity is Granularity.GROUP:
            text += f"-g{w.group_size}"
        elif w.granularity is Granularity.TENSOR and w.scaled and not w.format.is_float:
            text += "-pt"
        if w.format.kind is FormatKind.CODEBOOK:
            text += "-cb"
        if self.kv_cache is not None:
            text += f"-kv{_shorthand_token(self.kv_cache.format)}"
        text += "-asym" * (not a.symmetric) + "-dyn" * a.dynamic
        text += "-fp32rq" * (self.requant is RequantMode.FP32)
        return text + "-fake" * (self.execution is ExecutionMode.FAKE)


def _shorthand_token(fmt: NumberFormat) -> str:
    """A format as it appears in a policy shorthand (``4``, ``b``, ``16``, ``e5m2``)."""
    if fmt.kind in (FormatKind.INT, FormatKind.CODEBOOK):
        return str(fmt.bits) if fmt.bits <= 8 else f"i{fmt.bits}"
    if fmt.kind in (FormatKind.BINARY, FormatKind.TERNARY):
        return fmt.kind.value[0]
    return {"fp16": "16", "fp32": "32", "fp8_e4m3": "e4m3", "fp8_e5m2": "e5m2"}.get(fmt.name, fmt.name)
