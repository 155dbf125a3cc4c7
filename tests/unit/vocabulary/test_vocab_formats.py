"""One format table: the workload parser and the hardware parser accept the same names.

Before the table moved to `vocabulary.formats`, ``workloads.quant`` and
``hwmodels.formats`` each kept their own names, aliases and widths, and
disagreed (``fp8e4m3`` only on one side, ``int24`` only on the other).
"""

import pytest

from hwmodels import ConfigError, parse_format_name
from vocabulary.formats import ALIASES, FIXED_FORMATS, FLOAT_FORMATS, NOT_OPERAND_FAMILIES, FormatKind
from workloads import QuantSpecError, parse_format

_SIZED = {f"{prefix}{bits}" for prefix in ("int", "uint", "cb", "codebook") for bits in range(41)}
_ODD = {"fp7", "FP8E5M2", " Int8 ", "int", "float8", "e3m4", "int-4", "", "fp8-e4m3", "uint08"}
NAMES = sorted({*FLOAT_FORMATS, *FIXED_FORMATS, *ALIASES, *_SIZED, *_ODD})
CODEBOOK_REASON = NOT_OPERAND_FAMILIES[FormatKind.CODEBOOK]


def _workloads(name):
    try:
        fmt = parse_format(name)
    except QuantSpecError as exc:
        return None, str(exc)
    return (fmt.name, fmt.kind, fmt.bits, fmt.exponent_bits or 0), None


def _hardware(name):
    try:
        info = parse_format_name(name)
    except ConfigError as exc:
        return None, str(exc)
    return (info.name, info.family, info.bits, info.exponent_bits), None


@pytest.mark.parametrize("name", NAMES)
def test_every_name_means_the_same_on_both_sides(name):
    workload, hardware = _workloads(name), _hardware(name)
    if workload[0] is not None and workload[0][1] is FormatKind.CODEBOOK:
        # The one stated difference: a codebook index is storage, never an engine operand.
        assert hardware == (None, f"{name!r} is a codebook format, not an operand format: {CODEBOOK_REASON}")
    else:
        assert workload == hardware


def test_fp8e4m3_is_an_operand_format():
    info = parse_format_name("fp8e4m3")  # refused as unknown before
    assert (info.name, info.bits, info.exponent_bits, info.mantissa_bits) == ("fp8_e4m3", 8, 4, 3)


def test_int24_is_a_workload_format():
    fmt = parse_format("int24")  # refused as wider than 16 bits before
    assert (fmt.kind, fmt.bits, fmt.name) == (FormatKind.INT, 24, "int24")


def test_codebook_refused_by_hardware_with_the_reason():
    with pytest.raises(ConfigError) as info:
        parse_format_name("cb4")
    assert str(info.value) == (
        "'cb4' is a codebook format, not an operand format: a codebook index selects one of 2^b "
        "stored levels and the engine multiplies the decoded level, so give the decoded format "
        "(e.g. int8 or fp16)"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("int33", "format 'int33': bits must be in [2, 32] for int formats (got 33)"),
        ("uint0", "format 'uint0': bits must be in [1, 32] for uint formats (got 0)"),
        ("cb9", "format 'cb9': bits must be in [1, 8] for codebook formats (got 9)"),
        ("fp7", "unknown number format 'fp7' (known: intN, uintN, cbN, binary, ternary, "
                "fp32, fp16, bf16, fp8_e4m3, fp8_e5m2)"),
    ],
)
def test_refusals_have_one_message_on_both_sides(name, message):
    assert _workloads(name) == (None, message)
    assert _hardware(name) == (None, message)
