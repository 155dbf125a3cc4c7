"""Every preset loads, and its peak throughput matches the paper by hand arithmetic."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from hwmodels import (
    ConfigError,
    dump_hardware,
    list_presets,
    load_hardware,
    parse_hardware,
    render_summary,
    summarize_hardware,
)

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
README = Path(__file__).resolve().parents[3] / "README.md"


def test_presets_are_listed():
    assert list_presets() == [
        "bit-serial", "bitfusion", "edge-npu", "eyeriss", "gemmini", "h100", "nvdla", "tpu-v1"]


@pytest.mark.parametrize("name", list_presets())
def test_every_preset_loads_and_has_a_description(name):
    acc = load_hardware(name)
    assert acc.name == name
    assert acc.description
    assert acc.schema_version == "1"


@pytest.mark.parametrize("name", list_presets())
@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_dump_then_load_gives_an_equal_accelerator(name, fmt, tmp_path):
    acc = load_hardware(name)
    path = tmp_path / f"{name}.{fmt}"
    path.write_text(dump_hardware(acc, fmt), encoding="utf-8")
    assert load_hardware(path) == acc


def test_round_trip_keeps_unlimited_bandwidth_and_energy_overrides(tiny_hw_data, tmp_path):
    tiny_hw_data["dram"]["bandwidth_gb_per_s"] = math.inf
    tiny_hw_data["energy"] = {"int_mult_8b_pj": 0.25, "sram_pj_per_64b": {4096: 6.0, 65536: 30.0}}
    acc = parse_hardware(tiny_hw_data)
    for fmt in ("yaml", "json"):
        path = tmp_path / f"hw.{fmt}"
        path.write_text(dump_hardware(acc, fmt), encoding="utf-8")
        again = load_hardware(path)
        assert again == acc
        assert again.dram.bandwidth_gb_per_s == math.inf


def test_dump_puts_schema_version_first():
    assert dump_hardware(load_hardware("eyeriss")).startswith("schema_version: '1'\n")


def test_eyeriss_peak():
    # Chen et al., JSSC 2017: 12 x 14 = 168 PEs, one 16-bit fixed-point MAC per PE per cycle.
    acc = load_hardware("eyeriss")
    pe_array = acc.engine("pe_array")
    assert (pe_array.rows, pe_array.cols) == (12, 14)
    assert pe_array.peak_macs_per_cycle_table() == {"w16a16": 12 * 14}
    # int8 is not native: promoted to 16 bits, same speed, padded energy.
    assert pe_array.resolve("int8", "int8") == ("int16", "int16")
    assert pe_array.macs_per_cycle(8, 8) == 168
    assert acc.clock_hz == 200e6
    assert [m.size_bytes for m in acc.memory] == [24, 48, 448, 108 * 1024]
    assert acc.level_instances("filter_spad") == 168


def test_tpu_v1_peak():
    # Jouppi et al., ISCA 2017, Sec. 2: 256 x 256 = 65,536 8-bit MACs at 700 MHz = 92 TOPS;
    # half speed with one 16-bit operand, quarter speed with two.
    acc = load_hardware("tpu-v1")
    table = acc.engine("mxu").peak_macs_per_cycle_table()
    assert table == {"w8a8": 65536, "w8a16": 32768, "w16a8": 32768, "w16a16": 16384}
    summary = summarize_hardware(acc)
    assert summary["peak_tops"]["w8a8"] == pytest.approx(65536 * 2 * 700e6 / 1e12)  # 91.75
    assert acc.level("unified_buffer").size_bytes == 24 * 2**20
    assert acc.level("accumulators").size_bytes == 4096 * 256 * 4  # 4 MiB of 32-bit accumulators
    assert acc.dram.bandwidth_gb_per_s == 34
    assert acc.dram_bytes_per_cycle == pytest.approx(34e9 / 700e6)


def test_bitfusion_peak():
    # Sharma et al., ISCA 2018: 16 x 32 = 512 fusion units of 16 BitBricks; per unit 16 / 4 / 1
    # fused MACs per cycle at 2 / 4 / 8 bits, 8 at 2x4, 2 at 4x8.
    acc = load_hardware("bitfusion")
    units = 16 * 32
    table = acc.engine().peak_macs_per_cycle_table()
    assert table["w2a2"] == units * 16 == 8192
    assert table["w4a4"] == units * 4 == 2048
    assert table["w8a8"] == units * 1 == 512
    assert table["w2a4"] == table["w4a2"] == units * 8
    assert table["w4a8"] == table["w8a4"] == units * 2
    assert table["w2a8"] == table["w8a2"] == units * 4
    assert len(table) == 9  # 2-8-bit operands
    # 16-bit operands take two (one side) or four (both sides) passes of the 8x8 fusion.
    assert acc.engine().macs_per_cycle(16, 8) == units / 2
    assert acc.engine().macs_per_cycle(16, 16) == units / 4
    # DRAM: 192 bits per cycle at 500 MHz.
    assert acc.dram_bytes_per_cycle == pytest.approx(192 / 8)
    assert [m.size_bytes for m in acc.memory] == [64 * 1024, 32 * 1024, 16 * 1024]


def test_edge_npu_peak():
    # Our design point: 32 x 32 int8 PEs, each splitting into two int4 lanes at w4a4.
    table = load_hardware("edge-npu").engine().peak_macs_per_cycle_table()
    assert table == {"w8a8": 1024, "w4a8": 1024, "w4a4": 2048}


def test_bit_serial_peak():
    # Judd et al., MICRO 2016 (Stripes): 65,536 lanes of 1-bit activation x 16-bit weight, so
    # p-bit activations give 65536 / p MACs/cycle: DaDianNao's 4096 at 16 bits, 2x at 8 bits.
    engine = load_hardware("bit-serial").engine()
    assert engine.macs_per_cycle(16, 16) == 4096
    assert engine.macs_per_cycle(16, 8) == 8192
    assert engine.macs_per_cycle(16, 5) == 65536 / 5
    assert engine.macs_per_cycle(2, 8) == 8192  # weight precision buys nothing on Stripes
    assert engine.supports("int16", "int7")  # any width up to 16 runs natively


def test_gemmini_peak():
    # Genc et al., DAC 2021, default configuration: a 16 x 16 int8 systolic array (256 MACs/cycle)
    # with 32-bit accumulation, a 256 KiB scratchpad and a 64 KiB accumulator.
    acc = load_hardware("gemmini")
    mesh = acc.engine("mesh")
    assert (mesh.rows, mesh.cols, mesh.accum_bits) == (16, 16, 32)
    assert mesh.peak_macs_per_cycle_table() == {"w8a8": 256}
    assert mesh.resolve("int4", "int8") == ("int8", "int8")  # narrower integers pad to int8
    with pytest.raises(ConfigError, match="cannot run weights=int16, activations=int16"):
        mesh.resolve("int16", "int16")
    assert acc.level("scratchpad").size_bytes == 256 * 1024
    assert acc.level("accumulator").size_bytes == 64 * 1024
    assert acc.level("weight_regs").double_buffered  # two weight registers per PE (preload)


def test_nvdla_peak():
    # nvdla.org Roadmap: "2048 8-bit MACs, also configurable as 1024 16-bit fixed or floating
    # point MACs"; Primer: 512 KB convolution buffer and 20 GB/s SDRAM for the 2048-MAC design.
    acc = load_hardware("nvdla")
    cmac = acc.engine("cmac")
    assert (cmac.rows, cmac.cols) == (64, 16)  # Atomic-C x Atomic-K
    assert cmac.peak_macs_per_cycle_table() == {"w8a8": 2048, "w16a16": 1024, "fp16": 1024}
    assert summarize_hardware(acc)["peak_tops"]["w8a8"] == pytest.approx(2048 * 2 * 1e9 / 1e12)
    assert acc.level("cbuf").size_bytes == 512 * 1024
    # Unit Description, CACC: an assembly SRAM group of 4 x 96 B x 32 and 4 x 64 B x 32.
    assert acc.level("cacc").size_bytes == 4 * 96 * 32 + 4 * 64 * 32
    assert acc.dram.bandwidth_gb_per_s == 20


def test_h100_peak():
    # NVIDIA H100 whitepaper / datasheet, SXM5, dense: 989.4 TFLOPS fp16 and bf16, 1978.9 fp8 and
    # int8 (TOPS); 132 SMs; 3352 GB/s HBM3; 50 MB L2; 228 KB shared memory per SM. fp32 on the
    # CUDA cores, 128 FMA per SM per clock.
    acc = load_hardware("h100")
    tops = summarize_hardware(acc)["peak_tops"]
    assert tops["fp16"] == tops["bf16"] == pytest.approx(989.4, rel=1e-4)
    assert tops["fp8_e4m3"] == tops["fp8_e5m2"] == tops["w8a8"] == pytest.approx(1978.9, rel=1e-4)
    assert acc.engine().macs_per_cycle(32, 32, floating=True) == 132 * 128
    assert "w4a4" not in tops  # no int4 tensor-core path on Hopper
    assert acc.engine().resolve("int4", "int4") == ("int8", "int8")
    assert acc.dram.bandwidth_gb_per_s == 3352
    assert acc.level("l2").size_bytes == 50 * 2**20
    assert acc.level("shared_memory").size_bytes == 228 * 1024
    assert acc.level_instances("shared_memory") == 132


def test_ideal_example_has_unlimited_dram():
    acc = load_hardware(EXAMPLES / "ideal-32x32.yaml")
    assert acc.engine().macs_per_cycle(8, 8) == 32 * 32
    assert acc.dram_bytes_per_cycle == math.inf
    assert summarize_hardware(acc)["dram"]["bandwidth_gb_per_s"] is None
    assert [level.size_bytes for level in acc.memory] == [65536] * 3
    assert len((EXAMPLES / "ideal-32x32.yaml").read_text().splitlines()) <= 12


def test_summary_says_how_every_other_common_format_runs():
    # NVDLA's CMAC: int4 pads to the int8 lanes (2048 MACs/cycle), fp8 widens to fp16 (1024);
    # bf16's 8 exponent bits fit neither fp16 (5) nor an integer, so it cannot run.
    acc = load_hardware("nvdla")
    promoted = summarize_hardware(acc)["engines"][0]["promoted"]
    assert promoted["int4"] == {"runs_as": "w8a8", "peak_macs_per_cycle": 2048}
    assert promoted["fp8_e5m2"] == {"runs_as": "fp16", "peak_macs_per_cycle": 1024}
    assert promoted["uint8"] == {"runs_as": "w16a16", "peak_macs_per_cycle": 1024}
    assert promoted["bf16"] is None and promoted["fp32"] is None
    assert not {"int8", "int16", "fp16"} & set(promoted)  # native: in the peak table
    text = render_summary(acc)
    assert re.search(r"cmac +│ w8a8 +│ binary, ternary, int2, int4 +│ +2048 │", text)
    assert re.search(r"│ cannot run │ bf16, fp32 +│ +- │", text)


def test_readme_preset_table_says_what_the_presets_say():
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| [^|]+ \| ([^|]+) \| ([0-9.]+) GHz \| ([0-9.]+) GB/s",
                      README.read_text(encoding="utf-8"), flags=re.M)
    assert sorted(name for name, *_ in rows) == list_presets()
    for name, peaks, clock_ghz, dram_gb_per_s in rows:
        summary = summarize_hardware(load_hardware(name))
        for pair in peaks.split(","):
            label, macs = pair.split()
            assert summary["peak_macs_per_cycle"][label] == float(macs), (name, label)
        assert summary["clock_ghz"] == float(clock_ghz), name
        assert summary["dram"]["bandwidth_gb_per_s"] == float(dram_gb_per_s), name


def test_summary_sums_engines_and_capacity(tiny_hw_data):
    tiny_hw_data["engines"].append({"name": "second", "rows": 2, "cols": 2})
    summary = summarize_hardware(parse_hardware(tiny_hw_data))
    assert summary["peak_macs_per_cycle"]["w8a8"] == 16 + 4
    assert summary["onchip_bytes"] == 1024 + 65536
    assert summary["peak_tops"]["w8a8"] == pytest.approx(20 * 2 * 1e9 / 1e12)
