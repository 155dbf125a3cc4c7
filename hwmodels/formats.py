"""Number-format names as the hardware sees them: width, family, and what fits in what.

The MAC array's datasheet lists which operand formats it multiplies natively
(``int8``, ``int4``, ``fp16``...). The names, widths and float layouts come
from the one table in `vocabulary.formats`, shared with the workload side, so
the simulator can pass ``NumberFormat.name`` straight through. This module
adds what only hardware asks: is a name an operand format at all (codebook
indices are not), and can every value of format A be held exactly in
format B (promotion)?
"""

from __future__ import annotations

from functools import lru_cache

from hwmodels.errors import ConfigError
from vocabulary.formats import FormatInfo, FormatNameError, operand_format

__all__ = [
    "FormatInfo",
    "parse_format_name",
    "can_represent",
    "pair_label",
]


@lru_cache(maxsize=256)
def parse_format_name(name: str) -> FormatInfo:
    """Parse an operand format name such as ``int4``, ``uint8``, ``binary``, ``bf16``, ``fp8_e4m3``.

    Parameters
    ----------
    name : str
        Format name, case-insensitive, in any spelling `vocabulary.formats` accepts
        (``fp8`` and ``fp8e4m3`` mean ``fp8_e4m3``).

    Returns
    -------
    FormatInfo

    Raises
    ------
    ConfigError
        If the name is unknown, its width is out of range, or it is a codebook
        (a storage format, not an operand format).

    Examples
    --------
    >>> parse_format_name("int4").bits
    4
    >>> parse_format_name("fp8").name
    'fp8_e4m3'
    """
    try:
        return operand_format(name)
    except FormatNameError as exc:
        raise ConfigError(str(exc)) from None


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
