"""The one table of number-format names: families, widths, float layouts and aliases.

The datasheet's list of operand types, kept once: a workload says its
weights are ``int4`` and an engine says it multiplies ``int4`` natively, and
both must mean the same 4-bit signed integer. `lookup_format` turns any
accepted spelling (``fp8e4m3``, ``e4m3``, ``half``, ``int1``) into a
`FormatInfo` with the canonical name; ``workloads.quant.parse_format`` and
``hwmodels.formats.parse_format_name`` are both built on it, so they accept
the same names. Hardware takes operands only: `operand_format` refuses the
families listed in `NOT_OPERAND_FAMILIES` (codebooks), with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "FormatKind",
    "FormatInfo",
    "FormatNameError",
    "FLOAT_FORMATS",
    "FIXED_FORMATS",
    "WIDTH_RANGES",
    "ALIASES",
    "NOT_OPERAND_FAMILIES",
    "lookup_format",
    "operand_format",
    "format_name",
    "check_width",
]


class FormatKind(str, Enum):
    """Family of a number format."""

    INT = "int"
    UINT = "uint"
    BINARY = "binary"
    TERNARY = "ternary"
    FLOAT = "float"
    CODEBOOK = "codebook"


class FormatNameError(ValueError):
    """A format name or width that is not in the table; the message is one line."""


FLOAT_FORMATS: dict[str, tuple[int, int, int]] = {
    "fp32": (32, 8, 23),
    "fp16": (16, 5, 10),
    "bf16": (16, 8, 7),
    "fp8_e4m3": (8, 4, 3),
    "fp8_e5m2": (8, 5, 2),
}
"""Floating-point formats: canonical name -> (total bits, exponent bits, stored mantissa bits)."""

FIXED_FORMATS: dict[str, tuple[FormatKind, int]] = {
    "binary": (FormatKind.BINARY, 1),
    "ternary": (FormatKind.TERNARY, 2),
}
"""Formats of one fixed width: name -> (family, bits). Binary is ±1, ternary {-1, 0, 1} in 2 bits."""

WIDTH_RANGES: dict[FormatKind, tuple[int, int]] = {
    FormatKind.INT: (2, 32),
    FormatKind.UINT: (1, 32),
    FormatKind.CODEBOOK: (1, 8),
    FormatKind.BINARY: (1, 1),
    FormatKind.TERNARY: (2, 2),
    FormatKind.FLOAT: (8, 32),
}
"""Accepted storage bits per family, inclusive. ``int1`` is binary; 32 bits covers accumulators."""

_PREFIXES: dict[str, FormatKind] = {
    "int": FormatKind.INT,
    "uint": FormatKind.UINT,
    "cb": FormatKind.CODEBOOK,
    "codebook": FormatKind.CODEBOOK,
}
_SIZED_RE = re.compile(r"^(" + "|".join(sorted(_PREFIXES, key=len, reverse=True)) + r")(\d+)$")

ALIASES: dict[str, str] = {
    "fp8": "fp8_e4m3",
    "e4m3": "fp8_e4m3",
    "e5m2": "fp8_e5m2",
    "fp8e4m3": "fp8_e4m3",
    "fp8e5m2": "fp8_e5m2",
    "float32": "fp32",
    "float16": "fp16",
    "half": "fp16",
    "bfloat16": "bf16",
    "int1": "binary",
    "bin": "binary",
    "tern": "ternary",
}
"""Other spellings -> canonical name (case-insensitive)."""

NOT_OPERAND_FAMILIES: dict[FormatKind, str] = {
    FormatKind.CODEBOOK: (
        "a codebook index selects one of 2^b stored levels and the engine multiplies the decoded "
        "level, so give the decoded format (e.g. int8 or fp16)"
    ),
}
"""Families that are storage formats only, never what a MAC array or vector lane multiplies, and why."""

_KNOWN = "intN, uintN, cbN, binary, ternary, " + ", ".join(FLOAT_FORMATS)


@dataclass(frozen=True)
class FormatInfo:
    """Plain facts about one number format, as the table gives them."""

    name: str
    """Canonical name, e.g. ``int4``, ``fp8_e4m3``, ``cb4``."""
    family: FormatKind
    """int, uint, binary, ternary, float or codebook."""
    bits: int
    """Storage bits of one element (a codebook index for codebook formats)."""
    exponent_bits: int = 0
    """Exponent bits (floating point only)."""
    mantissa_bits: int = 0
    """Stored mantissa bits (floating point only)."""

    @property
    def floating(self) -> bool:
        """True for floating-point formats."""
        return self.family is FormatKind.FLOAT

    @property
    def significand_bits(self) -> int:
        """Precision bits including the implicit leading one (floating point only)."""
        return self.mantissa_bits + 1


def check_width(family: FormatKind, bits: int) -> None:
    """Raise unless ``bits`` is in the table's range for ``family``.

    Raises
    ------
    FormatNameError
        ``bits must be in [2, 32] for int formats (got 33)``.
    """
    low, high = WIDTH_RANGES[family]
    if not low <= bits <= high:
        raise FormatNameError(f"bits must be in [{low}, {high}] for {family.value} formats (got {bits})")


def format_name(family: FormatKind, bits: int, exponent_bits: int = 0) -> str:
    """The canonical name of a format given by its parts (the inverse of `lookup_format`).

    Raises
    ------
    FormatNameError
        If the width is out of range, or no float format has that layout.

    Examples
    --------
    >>> format_name(FormatKind.FLOAT, 8, 5)
    'fp8_e5m2'
    >>> format_name(FormatKind.CODEBOOK, 4)
    'cb4'
    """
    family = FormatKind(family)
    check_width(family, bits)
    if family is FormatKind.FLOAT:
        for name, (total, exponent, _) in FLOAT_FORMATS.items():
            if (total, exponent) == (bits, exponent_bits):
                return name
        raise FormatNameError(
            f"no float format has {bits} bits and {exponent_bits} exponent bits "
            f"(known: {', '.join(FLOAT_FORMATS)})"
        )
    if family in (FormatKind.BINARY, FormatKind.TERNARY):
        return family.value
    return f"{'cb' if family is FormatKind.CODEBOOK else family.value}{bits}"


def lookup_format(name: str) -> FormatInfo:
    """The table's entry for any accepted spelling of a format name (case-insensitive).

    Raises
    ------
    FormatNameError
        ``unknown number format 'fp7' (known: ...)``, or
        ``format 'int33': bits must be in [2, 32] for int formats (got 33)``.

    Examples
    --------
    >>> lookup_format("FP8E4M3").name
    'fp8_e4m3'
    >>> lookup_format("int24").bits
    24
    """
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key in FLOAT_FORMATS:
        bits, exponent, mantissa = FLOAT_FORMATS[key]
        return FormatInfo(key, FormatKind.FLOAT, bits, exponent, mantissa)
    if key in FIXED_FORMATS:
        family, bits = FIXED_FORMATS[key]
        return FormatInfo(key, family, bits)
    match = _SIZED_RE.match(key)
    if not match:
        raise FormatNameError(f"unknown number format {name!r} (known: {_KNOWN})")
    family, bits = _PREFIXES[match.group(1)], int(match.group(2))
    try:
        return FormatInfo(format_name(family, bits), family, bits)
    except FormatNameError as exc:
        raise FormatNameError(f"format {name!r}: {exc}") from None


def operand_format(name: str) -> FormatInfo:
    """Like `lookup_format`, but only formats an engine can take as an operand.

    Raises
    ------
    FormatNameError
        As `lookup_format`, or for a family in `NOT_OPERAND_FAMILIES`, with the reason.

    Examples
    --------
    >>> operand_format("cb4")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vocabulary.formats.FormatNameError: 'cb4' is a codebook format, not an operand format: a codebook ...
    """
    info = lookup_format(name)
    reason = NOT_OPERAND_FAMILIES.get(info.family)
    if reason is not None:
        raise FormatNameError(f"{name!r} is a {info.family.value} format, not an operand format: {reason}")
    return info
