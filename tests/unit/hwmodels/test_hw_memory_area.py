"""Memory levels, DRAM conversions, area and leakage."""

from __future__ import annotations

import math

import pytest

from hwmodels import ConfigError, area_breakdown_mm2, leakage_breakdown_mw, load_hardware, parse_hardware


def test_per_pe_levels_multiply_by_the_pes(tiny_hw_data):
    tiny_hw_data["memory"].insert(
        0, {"name": "reg", "size_bytes": 4, "sharing": "per_pe", "instances": 2, "operands": ["weights"]}
    )
    acc = parse_hardware(tiny_hw_data)
    assert acc.level_instances("reg") == 2 * 16
    assert acc.onchip_bytes == 4 * 32 + 1024 + 65536


def test_double_buffered_capacity(tiny_hw_data):
    tiny_hw_data["memory"][1]["double_buffered"] = True
    acc = parse_hardware(tiny_hw_data)
    assert acc.level("glb").usable_bytes == 32768
    assert acc.level("glb").size_bits == 65536 * 8


def test_dram_conversions(tiny_hw_data):
    tiny_hw_data["clock_ghz"] = 0.5
    tiny_hw_data["dram"] = {"bandwidth_gb_per_s": 12, "latency_ns": 101}
    acc = parse_hardware(tiny_hw_data)
    assert acc.dram_bytes_per_cycle == 24
    assert acc.dram_latency_cycles == 51
    assert acc.dram.latency_cycles(1e9) == 101


def test_unlimited_bandwidth(tiny_hw_data):
    tiny_hw_data["dram"] = {"bandwidth_gb_per_s": "inf"}  # YAML .inf arrives as a float
    assert parse_hardware(tiny_hw_data).dram_bytes_per_cycle == math.inf
    assert parse_hardware(tiny_hw_data).level(0).read_bytes_per_cycle == math.inf


def test_lookup_errors_name_what_exists(tiny_hw_data):
    acc = parse_hardware(tiny_hw_data)
    with pytest.raises(KeyError, match="no memory level named 'l2' \\(have 'spad', 'glb'\\)"):
        acc.level("l2")
    with pytest.raises(IndexError):
        acc.engine(3)


def test_area_and_leakage_are_positive_and_overridable(tiny_hw_data):
    acc = parse_hardware(tiny_hw_data)
    areas = area_breakdown_mm2(acc)
    assert set(areas) == {"engine:pe", "vector_unit", "memory:spad", "memory:glb"}
    assert all(value > 0 for value in areas.values())
    assert areas["memory:glb"] == pytest.approx(65536 * 8 * 0.6e-6)  # 0.6 µm² per SRAM bit at 45 nm
    assert leakage_breakdown_mw(acc)["memory:glb"] == pytest.approx(areas["memory:glb"] * 2.0)
    tiny_hw_data["memory"][1]["leakage_mw"] = 7.0
    tiny_hw_data["engines"][0]["area_mm2"] = 1.5
    acc = parse_hardware(tiny_hw_data)
    assert leakage_breakdown_mw(acc)["memory:glb"] == 7.0
    assert area_breakdown_mm2(acc)["engine:pe"] == 1.5


def test_area_shrinks_with_the_node(tiny_hw_data):
    big = sum(area_breakdown_mm2(parse_hardware({**tiny_hw_data, "technology_nm": 65})).values())
    small = sum(area_breakdown_mm2(parse_hardware({**tiny_hw_data, "technology_nm": 16})).values())
    assert small < big


def test_leakage_energy_is_power_times_time(tiny_hw_data):
    acc = parse_hardware(tiny_hw_data)
    # mW x s = mJ = 1e9 pJ; 1e9 cycles at 1 GHz is one second.
    assert acc.leakage_pj(1e9) == pytest.approx(acc.leakage_mw * 1e9)
    assert acc.leakage_mw == pytest.approx(sum(leakage_breakdown_mw(acc).values()))


def test_wider_multipliers_take_more_area():
    areas = {name: area_breakdown_mm2(load_hardware(name)) for name in ("edge-npu", "tpu-v1")}
    assert areas["tpu-v1"]["engine:mxu"] > areas["edge-npu"]["engine:pe_array"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d.update(noc={"bytes_per_cycle": 64}),
            "noc: removed in schema 1: it did not change any result (delivery from the buffers to the "
            "PEs is not modelled); bound operand bandwidth with the memory levels' read_bytes_per_cycle",
        ),
        (
            lambda d: d["memory"][1].update(ports=2),
            "memory[1].ports: removed in schema 1: it did not change any result; "
            "use read_bytes_per_cycle and write_bytes_per_cycle",
        ),
        (
            lambda d: d["memory"][0].update(banks=4),
            "memory[0].banks: removed in schema 1: it did not change any result; "
            "use read_bytes_per_cycle and write_bytes_per_cycle",
        ),
    ],
)
def test_removed_inert_fields_name_themselves(tiny_hw_data, write_yaml, mutate, expected):
    # noc, ports and banks validated but no simulator code read them; they were removed.
    mutate(tiny_hw_data)
    path = write_yaml(tiny_hw_data)
    with pytest.raises(ConfigError) as info:
        load_hardware(path)
    assert str(info.value) == f"{path}: {expected}"


def test_accelerator_is_frozen_and_copies_recompute(tiny_hw_data):
    import pydantic

    acc = parse_hardware(tiny_hw_data)
    with pytest.raises(pydantic.ValidationError):
        acc.clock_ghz = 2.0
    faster = acc.model_copy(update={"clock_ghz": 2.0})
    assert faster.clock_hz == 2e9 and acc.clock_hz == 1e9
    assert faster.dram_bytes_per_cycle == acc.dram_bytes_per_cycle / 2
