"""Number-format names as the hardware sees them: width, family, and what fits in what.

The MAC array's datasheet lists which operand formats it multiplies natively
(``int8``, ``int4``, ``fp16``...). This module turns those names into plain
facts (bits, integer or floating point, significand width) and answers the
one question promotion needs: can every value of format A be held exactly in
format B? It deliberately does not import the workload-side vocabulary; the
names are the same (``int4``, ``uint8``, ``binary``, ``ternary``, ``fp16``,
``bf16``, ``fp8_e4m3``, ``fp8_e5m2``, ``fp32``) so the simulator can pass
``NumberFormat.name`` straight through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from hwmodels.errors import ConfigError

__all__ = [
    "FormatInfo",
    "parse_format_name",
    "can_represent",
    "pair_label",
    "FLOAT_FORMATS",
]

FLOAT_FORMATS: dict[str, tuple[int, int, int]] = {
    "fp32": (32, 8, 23),
    "fp16": (16, 5, 10),
    "bf16": (16, 8, 7),
    "fp8_e4m3": (8, 4, 3),
    "fp8_e5m2": (8, 5, 2),
}
"""Floating-point formats: name -> (total bits, exponent bits, mantissa bits)."""

_ALIASES = {
    "fp8": "fp8_e4m3",
    "e4m3": "fp8_e4m3",
    "e5m2": "fp8_e5m2",
    "float32": "fp32",
    "float16": "fp16",
    "half": "fp16",
    "bfloat16": "bf16",
    "int1": "binary",
    "bin": "binary",
    "tern": "ternary",
}
_INT_RE = re.compile(r"^(u?int)(\d+)$")
_KNOWN = "intN, uintN, binary, ternary, " + ", ".join(FLOAT_FORMATS)


@dataclass(frozen=True)
class FormatInfo:
    """Plain facts about one operand format."""

    name: str
    """Canonical name, e.g. ``int4`` or ``fp8_e4m3``."""
    family: str
    """``int``, ``uint``, ``binary``, ``ternary`` or ``float``."""
    bits: int
    """Storage and datapath width in bits."""
    exponent_bits: int = 0
    """Exponent bits (floating point only)."""
    mantissa_bits: int = 0
    """Stored mantissa bits (floating point only)."""

    @property
    def floating(self) -> bool:
        """True for floating-point formats."""
        return self.family == "float"

    @property
    def significand_bits(self) -> int:
        """Precision bits including the implicit leading one (floating point only)."""
        return self.mantissa_bits + 1


@lru_cache(maxsize=256)
def parse_format_name(name: str) -> FormatInfo:
    """Parse a format name such as ``int4``, ``uint8``, ``binary``, ``bf16``, ``fp8_e4m3``.

    Parameters
    ----------
    name : str
        Format name, case-insensitive; ``fp8`` means ``fp8_e4m3``.

    Returns
    -------
    FormatInfo

    Raises
    ------
    ConfigError
        If the name is not a known format or the width is outside 1..32 bits.

    Examples
    --------
    >>> parse_format_name("int4").bits
    4
    >>> parse_format_name("fp8").name
    'fp8_e4m3'
    """
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key in FLOAT_FORMATS:
        bits, exponent, mantissa = FLOAT_FORMATS[key]
        return FormatInfo(key, "float", bits, exponent, mantissa)
    if key == "binary":
        return FormatInfo("binary", "binary", 1)
    if key == "ternary":
        return FormatInfo("ternary", "ternary", 2)
    match = _INT_RE.match(key)
    if match:
        family, bits = match.group(1), int(match.group(2))
        low = 1 if family == "uint" else 2
        if low <= bits <= 32:
            return FormatInfo(f"{family}{bits}", family, bits)
    raise ConfigError(f"unknown number format {name!r} (known: {_KNOWN})")


def can_represent(target: FormatInfo, value: FormatInfo) -> bool:
    """True when every value of format ``value`` is exactly representable in ``target``.

    Rules: integers widen within their family (``uintN`` also fits ``int(N+1)``);
    binary (±1) and ternary fit any signed integer of ≥ 2 bits and any float;
    an integer fits a float whose significand covers its magnitude bits; a
    float fits a float with at least as many exponent and mantissa bits.
    Floats never fit integers.

    Examples
    --------
    >>> can_represent(parse_format_name("int8"), parse_format_name("int4"))
    True
    >>> can_represent(parse_format_name("fp16"), parse_format_name("bf16"))
    False
    """
    if target == value:
        return True
    if target.floating:
        return _fits_float(target, value)
    if value.floating:
        return False
    if value.family in ("binary", "ternary"):
        return target.family == "int" and target.bits >= 2
    if value.family == "uint":
        if target.family == "uint":
            return target.bits >= value.bits
        return target.family == "int" and target.bits >= value.bits + 1
    return target.family == "int" and target.bits >= value.bits


def _fits_float(target: FormatInfo, value: FormatInfo) -> bool:
    if value.floating:
        return target.exponent_bits >= value.exponent_bits and target.mantissa_bits >= value.mantissa_bits
    if value.family in ("binary", "ternary"):
        return True
    magnitude_bits = value.bits - 1 if value.family == "int" else value.bits
    return target.significand_bits >= magnitude_bits


def pair_label(weight: FormatInfo, act: FormatInfo) -> str:
    """Table key for a (weight, activation) pair: ``w4a8`` for integers, ``fp16`` for equal floats.

    Examples
    --------
    >>> pair_label(parse_format_name("int4"), parse_format_name("int8"))
    'w4a8'
    >>> pair_label(parse_format_name("bf16"), parse_format_name("bf16"))
    'bf16'
    """
    if weight.floating or act.floating:
        if weight == act:
            return weight.name
        return f"w{_short(weight)}a{_short(act)}"
    return f"w{weight.bits}a{act.bits}"


def _short(fmt: FormatInfo) -> str:
    return fmt.name if fmt.floating else str(fmt.bits)
