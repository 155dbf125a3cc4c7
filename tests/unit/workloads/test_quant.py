"""Number formats, tensor schemes and per-layer specs: storage bits by hand arithmetic."""

import pytest
from pydantic import ValidationError

from workloads import QuantSpecError
from workloads.quant import FP16, FP32, FormatKind, NumberFormat, QuantSpec, TensorQuant, parse_format


@pytest.mark.parametrize(
    ("text", "kind", "bits", "name"),
    [
        ("int4", FormatKind.INT, 4, "int4"),
        ("uint8", FormatKind.UINT, 8, "uint8"),
        ("int16", FormatKind.INT, 16, "int16"),
        ("binary", FormatKind.BINARY, 1, "binary"),
        ("ternary", FormatKind.TERNARY, 2, "ternary"),
        ("fp32", FormatKind.FLOAT, 32, "fp32"),
        ("bf16", FormatKind.FLOAT, 16, "bf16"),
        ("e4m3", FormatKind.FLOAT, 8, "fp8_e4m3"),
        ("FP8_E5M2", FormatKind.FLOAT, 8, "fp8_e5m2"),
        ("cb3", FormatKind.CODEBOOK, 3, "cb3"),
    ],
)
def test_parse_format_round_trips(text, kind, bits, name):
    fmt = parse_format(text)
    assert (fmt.kind, fmt.bits, fmt.name) == (kind, bits, name)
    assert parse_format(fmt.name) == fmt


def test_format_levels_and_exponents():
    assert parse_format("ternary").levels == 3
    assert parse_format("cb4").levels == 16
    assert parse_format("bf16").exponent_bits == 8 and FP16.exponent_bits == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("int33", "format 'int33': bits must be in [2, 32] for int formats (got 33)"),
        ("int1", None),  # an alias of binary, valid
        ("fp7", "unknown number format 'fp7' (known: intN, uintN, cbN, binary, ternary, "
                "fp32, fp16, bf16, fp8_e4m3, fp8_e5m2)"),
    ],
)
def test_parse_format_errors(text, message):
    if message is None:
        assert parse_format(text).kind is FormatKind.BINARY
        return
    with pytest.raises(QuantSpecError) as info:
        parse_format(text)
    assert str(info.value) == message


def test_float_layout_must_be_in_the_table():
    # Before, this validated and was named 'fp12_e5m6', a name parse_format refused.
    with pytest.raises(ValidationError) as info:
        NumberFormat(kind=FormatKind.FLOAT, bits=12, exponent_bits=5)
    assert info.value.errors()[0]["msg"] == (
        "Value error, no float format has 12 bits and 5 exponent bits "
        "(known: fp32, fp16, bf16, fp8_e4m3, fp8_e5m2)"
    )


def test_group_quant_storage_is_4_125_bits():
    # int4 weights with one fp16 scale per group of 128: 4 + 16/128 = 4.125 bits/weight,
    # the figure usually quoted for GPTQ/AWQ-style w4 g128 checkpoints.
    w = TensorQuant.of("int4", granularity="group", group_size=128, scale_format=FP16)
    elems = 4096 * 4096
    assert w.storage_bits(elems, channels=4096) == elems * 4 + (4096 * 32) * 16
    assert w.bits_per_element(elems, channels=4096) == 4.125


def test_per_channel_asymmetric_overhead():
    # int8, asymmetric, fp32 scale + 8-bit zero point per output channel: 64 channels of 3x3x32.
    w = TensorQuant.of("int8", granularity="channel", symmetric=False)
    elems = 64 * 32 * 9
    assert w.scale_entry_bits == 32 + 8
    assert w.storage_bits(elems, channels=64) == elems * 8 + 64 * 40


def test_sub_byte_packing_and_float_formats_need_no_scale():
    # Ternary packs into 2 bits; binary into 1 bit; fp16 carries no quantization scale.
    assert TensorQuant.of("ternary").storage_bits(1000) == 2000 + 32
    assert TensorQuant.of("binary").storage_bits(1024) == 1024 + 32
    assert TensorQuant.of("fp16").storage_bits(1000) == 16_000


def test_codebook_stores_its_table():
    # Non-uniform 4-bit: 4-bit indices plus a table of 16 fp16 levels per channel.
    w = TensorQuant.of("cb4", granularity="channel", scale_format=FP16)
    assert w.storage_bits(8 * 100, channels=8) == 800 * 4 + 8 * 16 * 16


def test_scheme_validation_messages():
    with pytest.raises(ValidationError, match="group_size must be set exactly when granularity is 'group'"):
        TensorQuant.of("int4", granularity="group")
    with pytest.raises(ValidationError, match="zero_point_bits must be unset when symmetric is true"):
        TensorQuant.of("int8", zero_point_bits=8)


def test_accumulator_must_hold_the_product():
    w8, a8 = TensorQuant.of("int8"), TensorQuant.of("int8")
    with pytest.raises(ValidationError, match=r"accum_bits must be >= weights.bits \+ inputs.bits = 16"):
        QuantSpec(weights=w8, inputs=a8, accum_bits=12)
    assert QuantSpec(weights=w8, inputs=a8, accum_bits=12, saturating=True).accum_bits == 12


def test_bops_and_compute_formats():
    spec = QuantSpec(weights=TensorQuant.of("int4"), inputs=TensorQuant.of("int8"), accum_bits=32)
    assert spec.bops(1000) == 1000 * 4 * 8
    # Weight-only w4a16: weights dequantize to fp16 and the MACs run at fp16 x fp16.
    wo = QuantSpec(weights=TensorQuant.of("int4"), inputs=TensorQuant.of("fp16"))
    assert wo.weight_only
    assert [f.name for f in wo.compute_formats] == ["fp16", "fp16"]
    assert wo.bops(10) == 10 * 16 * 16
    assert QuantSpec().compute_formats == (FP32, FP32)
