"""Precision capabilities: MACs per cycle at each width, native formats, promotion."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwmodels import (
    BitFusionPrecision,
    BitSerialPrecision,
    ConfigError,
    FixedPrecision,
    FloatPrecision,
    MacArray,
    MultiFormatPrecision,
    VectorUnit,
    can_represent,
    parse_format_name,
    parse_hardware,
)


def array(precision, **extra) -> MacArray:
    return MacArray(name="pe", rows=2, cols=8, precision=precision, **extra)


FIXED8 = FixedPrecision(kind="fixed", native_bits=8)
FUSION = BitFusionPrecision(kind="bit_fusion")
STRIPES = BitSerialPrecision(kind="bit_serial", serial_operand="activations", parallel_bits=16)
LOOM = BitSerialPrecision(kind="bit_serial", serial_operand="both")
FP = FloatPrecision(kind="float", macs_per_pe={"fp16": 1, "bf16": 1, "fp8_e4m3": 2, "fp32": 0.25})
# NVDLA's CMAC cell: one 16-bit multiplier (int16 or fp16) that splits into two int8 lanes.
NVDLA_CELL = MultiFormatPrecision(kind="multi_format", macs_per_pe={"int8": 2, "int16": 1, "fp16": 1})


class TestFixed:
    def test_narrower_operands_run_at_one_mac_per_pe_padded(self):
        assert FIXED8.pe_macs_per_cycle(4, 4) == 1
        assert FIXED8.padded_bits(4, 2) == (8, 8)

    @pytest.mark.parametrize(
        ("w", "a", "passes"), [(8, 8, 1), (16, 8, 2), (8, 16, 2), (16, 16, 4), (12, 24, 6), (32, 32, 16)]
    )
    def test_wider_operands_take_ceil_passes(self, w, a, passes):
        assert FIXED8.pe_macs_per_cycle(w, a) == 1 / passes
        assert array(FIXED8).cycles_per_mac(w, a) == passes

    def test_subword_lanes_when_both_operands_fit(self):
        cap = FixedPrecision(kind="fixed", native_bits=8, subword_bits=[4])
        assert cap.pe_macs_per_cycle(4, 4) == 2
        assert cap.pe_macs_per_cycle(2, 4) == 2
        assert cap.pe_macs_per_cycle(4, 8) == 1
        assert cap.padded_bits(3, 4) == (4, 4)

    def test_floating_operands_are_refused_with_the_engine_name(self):
        with pytest.raises(ConfigError) as info:
            array(FIXED8).macs_per_cycle(16, 16, floating=True)
        assert str(info.value) == "engine 'pe': a fixed-point PE cannot multiply floating-point operands"


class TestBitFusion:
    # Sharma et al., ISCA 2018: a 16-brick fusion unit gives 16 MACs/cycle at 2x2, 8 at 4x2 and
    # 2x4, 4 at 4x4, 2 at 8x4, 1 at 8x8; bricks fuse in powers of two.
    @pytest.mark.parametrize(
        ("w", "a", "rate"),
        [(2, 2, 16), (4, 2, 8), (2, 4, 8), (4, 4, 4), (8, 2, 4), (8, 4, 2), (4, 8, 2), (8, 8, 1)],
    )
    def test_fused_macs_per_unit(self, w, a, rate):
        assert FUSION.pe_macs_per_cycle(w, a) == rate

    def test_odd_widths_pad_to_a_power_of_two_of_bricks(self):
        assert FUSION.padded_bits(3, 5) == (4, 8)
        assert FUSION.pe_macs_per_cycle(3, 5) == 2
        assert FUSION.pe_macs_per_cycle(1, 1) == 16  # binary runs on a 2-bit brick

    def test_sixteen_bit_operands_take_several_cycles(self):
        assert FUSION.pe_macs_per_cycle(16, 8) == 0.5
        assert FUSION.pe_macs_per_cycle(16, 16) == 0.25
        assert FUSION.pe_macs_per_cycle(16, 2) == 2  # 2 passes of an 8x2 fusion (4 MACs)

    def test_native_widths(self):
        engine = array(FUSION)
        assert engine.supports("int2", "int8")
        assert engine.supports("ternary", "int4")
        assert not engine.supports("int3", "int8")
        assert engine.resolve("int3", "int6") == ("int4", "int8")


class TestBitSerial:
    def test_stripes_cycles_follow_activation_bits(self):
        # Judd et al., MICRO 2016: execution time scales with the activation precision p.
        for bits in range(1, 17):
            assert STRIPES.pe_macs_per_cycle(16, bits) == 1 / bits
        assert STRIPES.pe_macs_per_cycle(4, 8) == STRIPES.pe_macs_per_cycle(16, 8)

    def test_loom_cycles_follow_both_operands(self):
        # Sharify et al., DAC 2018 (Loom): time scales with weight x activation precision.
        assert LOOM.pe_macs_per_cycle(4, 8) == 1 / 32
        assert LOOM.pe_macs_per_cycle(16, 16) == 1 / 256

    def test_weights_serial_and_bits_per_cycle(self):
        cap = BitSerialPrecision(kind="bit_serial", serial_operand="weights", bits_per_cycle=2)
        assert cap.pe_macs_per_cycle(5, 16) == 1 / 3
        assert cap.padded_bits(5, 8) == (6, 16)
        assert cap.pe_macs_per_cycle(5, 32) == 1 / 6  # a 32-bit parallel operand takes 2 passes

    def test_any_integer_width_is_native_up_to_max_bits(self):
        engine = array(STRIPES)
        assert engine.resolve("int16", "int6") == ("int16", "int6")
        with pytest.raises(ConfigError, match="no supported format holds them"):
            engine.resolve("int16", "int20")


class TestFloat:
    def test_rates_by_format_and_by_bits(self):
        engine = array(FP)
        assert engine.format_macs_per_cycle("fp8", "fp8") == 16 * 2
        assert engine.format_macs_per_cycle("fp16", "fp16") == 16
        assert engine.macs_per_cycle(8, 8, floating=True) == 32
        assert engine.macs_per_cycle(8, 16, floating=True) == 16
        assert engine.macs_per_cycle(32, 32, floating=True) == 4

    def test_integer_operands_need_resolving_first(self):
        engine = array(FP)
        with pytest.raises(ConfigError, match="cannot multiply integer operands"):
            engine.macs_per_cycle(8, 8)
        assert engine.resolve("int8", "int8") == ("fp16", "fp16")  # ties on bits and rate: list order
        assert engine.resolve("fp8_e5m2", "fp16") == ("fp16", "fp16")
        assert engine.resolve("int16", "int16") == ("fp32", "fp32")

    def test_peak_table_keys(self):
        assert array(FP).peak_macs_per_cycle_table() == {"fp16": 16, "bf16": 16, "fp8_e4m3": 32, "fp32": 4}


class TestMultiFormat:
    def test_integers_and_floats_on_one_datapath(self):
        engine = array(NVDLA_CELL)
        assert engine.macs_per_cycle(8, 8) == 16 * 2
        assert engine.macs_per_cycle(16, 8) == 16  # the wider operand picks the int16 rate
        assert engine.macs_per_cycle(16, 16, floating=True) == 16
        assert engine.padded_bits(4, 8) == (8, 8)
        assert engine.padded_bits(12, 12) == (16, 16)
        assert engine.peak_macs_per_cycle_table() == {"w8a8": 32, "w16a16": 16, "fp16": 16}

    def test_promotion_within_the_listed_formats(self):
        engine = array(NVDLA_CELL)
        assert engine.resolve("int4", "int8") == ("int8", "int8")
        assert engine.resolve("uint8", "uint8") == ("int16", "int16")  # uint8 needs 9 signed bits
        assert engine.resolve("fp8", "fp8") == ("fp16", "fp16")
        assert engine.resolve("int8", "fp16") == ("fp16", "fp16")  # an int8 fits fp16's significand

    def test_integers_promote_to_integers_on_a_tie(self):
        # fp8 e4m3 holds int4 exactly and is as wide and as fast as int8: integers stay integer.
        tensor_core = MultiFormatPrecision(kind="multi_format", macs_per_pe={"fp8_e4m3": 2, "int8": 2})
        assert array(tensor_core).resolve("int4", "int4") == ("int8", "int8")
        assert array(tensor_core).resolve("fp8_e4m3", "int4") == ("fp8_e4m3", "fp8_e4m3")

    def test_no_format_of_the_operands_kind_wide_enough(self):
        with pytest.raises(ConfigError) as info:
            array(NVDLA_CELL).macs_per_cycle(32, 32, floating=True)
        assert str(info.value) == (
            "engine 'pe': no floating-point format of 32 bits or more (have: int8, int16, fp16)")
        with pytest.raises(ConfigError) as info:
            array(NVDLA_CELL).resolve("fp32", "fp32")
        assert str(info.value) == (
            "engine 'pe' cannot run weights=fp32, activations=fp32: no supported format holds "
            "them (supported: int8, int16, fp16)")

    def test_float_kind_still_refuses_integer_formats(self):
        with pytest.raises(ValueError, match="keys must be floating-point formats .got 'int8'; use kind multi_format"):
            FloatPrecision(kind="float", macs_per_pe={"int8": 2})

    def test_energy_is_priced_at_the_format_that_runs(self, tiny_hw_data):
        # Horowitz 45 nm (the tiny accelerator's node): int8 MAC = 0.2 pJ multiply + 0.1 pJ
        # 32-bit add; an int4 operand pads to the int8 lane; fp16 = 1.1 multiply + 0.9 fp32 add.
        tiny_hw_data["engines"][0]["precision"] = NVDLA_CELL.model_dump()
        acc = parse_hardware(tiny_hw_data)
        assert acc.mac_pj(4, 8) == acc.mac_pj(8, 8) == pytest.approx(0.2 + 0.1)
        assert acc.mac_pj(16, 16, floating=True) == pytest.approx(1.1 + 0.9)


class TestSupportAndPromotion:
    def test_supported_list_accepts_single_names_and_pairs(self):
        engine = array(FIXED8, supported=["int8", ["int4", "int8"], "FP8"])
        assert engine.supported == (("int8", "int8"), ("int4", "int8"), ("fp8_e4m3", "fp8_e4m3"))
        assert engine.supports("int4", "int8")
        assert not engine.supports("int8", "int4")

    def test_promotion_to_the_narrowest_holding_pair(self):
        engine = array(FIXED8, supported=["int8", ["int8", "int16"], "int16"])
        assert engine.resolve("int4", "int4") == ("int8", "int8")
        assert engine.resolve("int4", "int12") == ("int8", "int16")
        assert engine.resolve("uint8", "int8") == ("int16", "int16")  # uint8 needs 9 signed bits
        assert engine.resolve("binary", "int2") == ("int8", "int8")

    def test_promotion_disallowed_names_engine_and_formats(self):
        engine = array(FIXED8, supported=["int8", ["int4", "int8"]], allow_promotion=False)
        with pytest.raises(ConfigError) as info:
            engine.resolve("int4", "int4")
        assert str(info.value) == (
            "engine 'pe' does not support weights=int4, activations=int4 and allow_promotion is "
            "false (supported: int8/int8, int4/int8)"
        )

    def test_no_wider_format_available(self):
        with pytest.raises(ConfigError) as info:
            array(FIXED8).resolve("fp16", "fp16")
        assert str(info.value) == (
            "engine 'pe' cannot run weights=fp16, activations=fp16: no supported format holds "
            "them (supported: integer pairs of 8 bits)"
        )

    def test_unknown_format_name(self):
        with pytest.raises(ConfigError) as info:
            array(FIXED8).supports("int99", "int8")
        assert str(info.value) == "format 'int99': bits must be in [2, 32] for int formats (got 99)"
        with pytest.raises(ConfigError) as info:
            array(FIXED8).supports("fp7", "int8")
        assert str(info.value) == (
            "unknown number format 'fp7' (known: intN, uintN, cbN, binary, ternary, "
            "fp32, fp16, bf16, fp8_e4m3, fp8_e5m2)"
        )

    def test_default_native_set_of_a_fixed_array(self):
        engine = array(FIXED8)
        assert engine.supports("int8", "uint8")
        assert not engine.supports("int4", "int8")
        assert engine.resolve("int4", "int8") == ("int8", "int8")


WIDTHS = st.integers(min_value=1, max_value=32)
CAPABILITIES = [
    FIXED8,
    FixedPrecision(kind="fixed", native_bits=8, subword_bits=[2, 4]),
    FUSION,
    STRIPES,
    LOOM,
]


@pytest.mark.parametrize("cap", CAPABILITIES, ids=lambda c: c.kind)
@given(w=WIDTHS, a=WIDTHS, dw=st.integers(0, 8), da=st.integers(0, 8))
def test_fewer_bits_are_never_slower(cap, w, a, dw, da):
    assert cap.pe_macs_per_cycle(w, a) >= cap.pe_macs_per_cycle(w + dw, a + da)


@given(
    w=st.sampled_from(
        ["binary", "ternary", "int2", "int3", "int4", "uint4", "int6", "int8", "uint8", "int12"]
    ),
    a=st.sampled_from(["int2", "int4", "uint7", "int8", "int9", "int16"]),
)
def test_resolved_formats_are_supported_and_hold_the_request(w, a):
    engine = array(FUSION)
    w_to, a_to = engine.resolve(w, a)
    assert engine.supports(w_to, a_to)
    assert can_represent(parse_format_name(w_to), parse_format_name(w))
    assert can_represent(parse_format_name(a_to), parse_format_name(a))


def test_vector_unit_rates():
    unit = VectorUnit(lanes=32, lane_ops_per_cycle={"int8": 4, "int32": 1, "fp16": 2, "fp32": 1})
    assert unit.ops_per_cycle(8) == 128
    assert unit.ops_per_cycle(4) == 128
    assert unit.ops_per_cycle(16) == 32
    assert unit.ops_per_cycle(64) == 16  # two passes of the 32-bit lane
    assert unit.ops_per_cycle(16, floating=True) == 64
    with pytest.raises(ConfigError, match="no floating-point format"):
        VectorUnit(lane_ops_per_cycle={"int32": 1}).ops_per_cycle(16, floating=True)


def test_bad_operand_width():
    with pytest.raises(ConfigError, match=r"operand widths must be >= 1 bit \(got weight_bits=0"):
        array(FIXED8).macs_per_cycle(0, 8)


def test_unsigned_activations_offset_into_signed_ones_of_their_width_only():
    # uint8 - 128 fits int8 exactly; uint1 - 1 is {-1, 0}, not the +-1 of binary, so it is not offset.
    from hwmodels import MacArray

    array = MacArray(name="mxu", rows=4, cols=4, supported=["int8", ["int8", "binary"], ["int8", "int2"]])
    assert array.resolve("int8", "uint8", offset_activations=True) == ("int8", "int8")
    assert array.resolve("int8", "uint1", offset_activations=True) == ("int8", "int2")
    with pytest.raises(ConfigError, match="no supported format holds them"):
        array.resolve("int8", "uint16", offset_activations=True)
