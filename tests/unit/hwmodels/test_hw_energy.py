"""Energy model: Horowitz anchors, interpolation, monotonicity, technology scaling, overrides.

Anchors: M. Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014,
45 nm at 0.9 V, as reproduced in Gholami et al., "A Survey of Quantization Methods for
Efficient Neural Network Inference" (2021): int add 8/16/32 bit 0.03/0.05/0.1 pJ; int mult
8/32 bit 0.2/3.1 pJ; fp16 add/mult 0.4/1.1 pJ; fp32 add/mult 0.9/3.7 pJ; SRAM 64-bit read
8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ; DRAM 1.3-2.6 nJ per 64 bits (we use the midpoint).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwmodels import (
    HOROWITZ_45NM,
    EnergyTable,
    dram_pj_per_bit,
    float_add_pj,
    float_mac_pj,
    float_mult_pj,
    int_add_pj,
    int_mult_pj,
    load_hardware,
    mac_pj,
    nominal_vdd_v,
    parse_hardware,
    sram_pj_per_bit,
    technology_scale,
)

EXACT = {"rel": 1e-12}


def test_integer_anchors_are_exact():
    assert int_add_pj(8) == pytest.approx(0.03, **EXACT)
    assert int_add_pj(16) == pytest.approx(0.05, **EXACT)
    assert int_add_pj(32) == pytest.approx(0.1, **EXACT)
    assert int_mult_pj(8, 8) == pytest.approx(0.2, **EXACT)
    assert int_mult_pj(32, 32) == pytest.approx(3.1, **EXACT)


def test_float_anchors_are_exact():
    assert float_add_pj("fp16") == pytest.approx(0.4, **EXACT)
    assert float_mult_pj("fp16") == pytest.approx(1.1, **EXACT)
    assert float_add_pj("fp32") == pytest.approx(0.9, **EXACT)
    assert float_mult_pj("fp32") == pytest.approx(3.7, **EXACT)
    assert float_mac_pj("fp16") == pytest.approx(1.5, **EXACT)
    assert float_mac_pj("fp32") == pytest.approx(4.6, **EXACT)
    assert float_mac_pj("fp16", "fp32") == pytest.approx(1.1 + 0.9, **EXACT)


def test_memory_anchors_are_exact():
    assert sram_pj_per_bit(8 * 1024) * 64 == pytest.approx(10, **EXACT)
    assert sram_pj_per_bit(32 * 1024) * 64 == pytest.approx(20, **EXACT)
    assert sram_pj_per_bit(1024 * 1024) * 64 == pytest.approx(100, **EXACT)
    assert dram_pj_per_bit() == pytest.approx((1300 + 2600) / 2 / 64, **EXACT)


def test_multiplier_fit_is_a_power_law_in_the_width_product():
    exponent = math.log(3.1 / 0.2) / math.log(16)
    assert int_mult_pj(16, 16) == pytest.approx(0.2 * 4**exponent, **EXACT)
    assert int_mult_pj(4, 16) == pytest.approx(int_mult_pj(8, 8), **EXACT)  # same product
    assert int_mult_pj(4, 4) < int_mult_pj(4, 8) < int_mult_pj(8, 8)


def test_narrower_floats_are_cheaper():
    assert float_mac_pj("fp8_e5m2") < float_mac_pj("fp8_e4m3") < float_mac_pj("bf16") < float_mac_pj("fp16")


def test_mac_is_mult_plus_accumulator_add():
    assert mac_pj(8, 8, 32) == pytest.approx(0.2 + 0.1, **EXACT)
    assert mac_pj(16, 16, 32, floating=True) == pytest.approx(1.1 + 0.9, **EXACT)
    assert mac_pj(8, 8, 16, floating=True) == pytest.approx(float_mult_pj("fp8_e4m3") + 0.4, **EXACT)


def test_sram_interpolates_in_log_log_and_extrapolates_with_sqrt_below():
    assert sram_pj_per_bit(16 * 1024) * 64 == pytest.approx(10 * math.sqrt(2), **EXACT)
    assert sram_pj_per_bit(2 * 1024) * 64 == pytest.approx(10 * math.sqrt(0.25), **EXACT)
    assert sram_pj_per_bit(4 * 2**20) > sram_pj_per_bit(2**20)


SIZES = st.floats(min_value=1, max_value=2**34, allow_nan=False)
WIDTHS = st.integers(min_value=1, max_value=64)


@given(small=SIZES, factor=st.floats(min_value=1, max_value=1e4))
def test_sram_energy_is_monotone_in_size(small, factor):
    assert 0 < sram_pj_per_bit(small) <= sram_pj_per_bit(small * factor)


@given(w=WIDTHS, a=WIDTHS, extra=st.integers(0, 32))
def test_multiplier_energy_is_monotone_in_each_width(w, a, extra):
    assert 0 < int_mult_pj(w, a) <= int_mult_pj(w + extra, a)
    assert int_mult_pj(w, a) <= int_mult_pj(w, a + extra)


@given(bits=WIDTHS, extra=st.integers(0, 32))
def test_adder_energy_is_monotone_and_non_negative(bits, extra):
    assert 0 <= int_add_pj(bits) <= int_add_pj(bits + extra)


@given(w=WIDTHS, a=WIDTHS, accum=st.integers(8, 64), extra=st.integers(0, 16))
def test_fewer_bits_never_cost_more_per_mac(w, a, accum, extra):
    assert mac_pj(w, a, accum) <= mac_pj(w + extra, a + extra, accum + extra)


@given(node=st.floats(min_value=3, max_value=180), bigger=st.floats(min_value=1, max_value=4))
def test_technology_scale_grows_with_the_node(node, bigger):
    assert technology_scale(node) <= technology_scale(min(node * bigger, 250))


def test_technology_scaling_direction_and_rule():
    # E ∝ C V², C ∝ node: 65 nm at 1.0 V costs (65/45)(1.0/0.9)² of 45 nm at 0.9 V.
    assert technology_scale(45) == 1
    assert technology_scale(65) == pytest.approx(65 / 45 * (1.0 / 0.9) ** 2, **EXACT)
    assert nominal_vdd_v(7) == 0.75
    at_22 = HOROWITZ_45NM.scaled_to(22)
    at_65 = HOROWITZ_45NM.scaled_to(65)
    assert at_22.int_mult_8b_pj < HOROWITZ_45NM.int_mult_8b_pj < at_65.int_mult_8b_pj
    assert sram_pj_per_bit(8192, at_22) < sram_pj_per_bit(8192) < sram_pj_per_bit(8192, at_65)
    assert at_22.dram_pj_per_64b == at_65.dram_pj_per_64b == HOROWITZ_45NM.dram_pj_per_64b


def test_accelerator_prices_at_its_own_node(tiny_hw_data):
    at_45 = parse_hardware(tiny_hw_data)
    at_65 = parse_hardware({**tiny_hw_data, "technology_nm": 65})
    low_v = parse_hardware({**tiny_hw_data, "technology_nm": 65, "vdd_v": 0.8})
    assert at_45.mac_pj(8, 8) == pytest.approx(0.3, **EXACT)
    assert at_65.mac_pj(8, 8) == pytest.approx(0.3 * technology_scale(65), **EXACT)
    assert low_v.mac_pj(8, 8) < at_65.mac_pj(8, 8)
    assert at_65.read_pj_per_bit("glb") > at_45.read_pj_per_bit("glb")
    assert at_65.dram_pj_per_bit() == at_45.dram_pj_per_bit()


def test_padding_is_visible_in_mac_energy():
    tpu = load_hardware("tpu-v1")
    assert tpu.mac_pj(4, 4) == tpu.mac_pj(8, 8)
    fusion = load_hardware("bitfusion")
    assert fusion.mac_pj(2, 2) < fusion.mac_pj(4, 4) < fusion.mac_pj(8, 8)
    assert fusion.mac_pj(3, 3) == fusion.mac_pj(4, 4)


def test_user_overrides_from_the_energy_block(tiny_hw_data):
    tiny_hw_data["energy"] = {"int_mult_8b_pj": 0.5, "dram_pj_per_64b": 640.0}
    acc = parse_hardware(tiny_hw_data)
    assert acc.mac_pj(8, 8) == pytest.approx(0.5 + 0.1, **EXACT)
    assert acc.dram_pj_per_bit() == pytest.approx(10.0, **EXACT)
    tiny_hw_data["energy"] = {"node_nm": 45, "sram_pj_per_64b": {1024: 2.0, 65536: 16.0}}
    acc = parse_hardware(tiny_hw_data)
    assert acc.read_pj_per_bit("spad") == pytest.approx(2 / 64, **EXACT)
    assert acc.read_pj_per_bit("glb") == pytest.approx(16 / 64, **EXACT)


def test_a_table_quoted_at_another_node(tiny_hw_data):
    # Default table (45 nm, 0.9 V) on a 28 nm / 0.9 V chip: scaled by 28/45.
    tiny_hw_data.update(technology_nm=28)
    assert parse_hardware(tiny_hw_data).mac_pj(8, 8) == pytest.approx(0.3 * 28 / 45, **EXACT)
    # A table declared at 28 nm is taken as is on a 28 nm chip: no scaling at all.
    tiny_hw_data.update(energy={"node_nm": 28, "vdd_v": 0.9, "int_mult_8b_pj": 0.15})
    assert parse_hardware(tiny_hw_data).mac_pj(8, 8) == pytest.approx(0.15 + 0.1, **EXACT)


def test_level_energy_given_per_access(tiny_hw_data):
    tiny_hw_data["memory"][0].update(word_bits=16, read_pj_per_access=0.8, write_pj_per_access=1.6)
    acc = parse_hardware(tiny_hw_data)
    assert acc.read_pj_per_bit(0) == pytest.approx(0.05, **EXACT)
    assert acc.write_pj_per_bit(0) == pytest.approx(0.1, **EXACT)
    assert acc.write_pj_per_bit(1) == acc.read_pj_per_bit(1)  # sram_write_factor defaults to 1


def test_default_table_is_horowitz():
    assert EnergyTable() == HOROWITZ_45NM
    assert (HOROWITZ_45NM.node_nm, HOROWITZ_45NM.vdd_v) == (45, 0.9)
