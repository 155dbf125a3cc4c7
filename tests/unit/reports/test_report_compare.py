"""Comparisons: deltas from the results, and the per-mechanism explanation of any two runs."""

import pytest

import qcosim
from reports.compare import comparison_sections, explain, mechanisms


def test_mechanisms_of_w8a8_and_w4a8_on_bit_fusion(runs):
    w8, w4 = (mechanisms(r) for r in runs)
    # Every MAC layer runs at the policy's formats, so the MAC-weighted peak is the table's (512, 1,024).
    assert (w8.peak_macs_per_cycle, w4.peak_macs_per_cycle) == (pytest.approx(512), pytest.approx(1024))
    assert w4.dram_bytes < w8.dram_bytes and w4.dram_tiles <= w8.dram_tiles
    assert w8.mac_pj_per_mac == runs[0].totals.energy.mac_pj / runs[0].totals.macs


def test_explanation_quotes_the_results(runs):
    base, low = runs
    lines = explain(base, low)
    assert len(lines) == 5
    assert [line.split(":")[0] for line in lines] == ["Overall", "Throughput", "Data movement", "Tiling",
                                                      "Energy per operation"]
    speed = base.totals.latency_s / low.totals.latency_s
    assert f"({speed:.2f}x faster)" in lines[0]
    assert "512 -> 1,024 MACs/cycle" in lines[1]
    assert f"{base.totals.compute_cycles:,} -> {low.totals.compute_cycles:,}" in lines[1]
    # Reversed, the same pair reads as slower and more energy, by the same factors.
    assert f"({speed:.2f}x slower)" in explain(low, base)[0]
    assert f"({base.totals.energy_pj / low.totals.energy_pj:.2f}x more)" in explain(low, base)[0]


def test_another_accelerator_is_explained_by_its_own_buffers(runs):
    """One policy on two accelerators: different clocks, so the speed-up is in seconds, not cycles."""
    tpu = qcosim.simulate("resnet18", "tpu-v1", "w8a8")
    lines = explain(runs[0], tpu)
    assert f"({runs[0].totals.latency_s / tpu.totals.latency_s:.2f}x faster)" in lines[0]
    assert "buffers and dataflows differ" in lines[2] and "same buffers" not in lines[3]


def test_comparison_table_deltas(runs):
    section, why = comparison_sections(runs)
    assert why.title == "Why w4a8 on bitfusion differs from w8a8 on bitfusion" and len(why.bullets) == 5
    table = section.tables[0]
    rows = {row[0]: dict(zip((c.key for c in table.columns), row, strict=True)) for row in table.rows}
    base, low = rows["w8a8 on bitfusion"], rows["w4a8 on bitfusion"]
    assert base["speedup_x"] == 1 and base["energy_delta_pct"] == 0
    assert low["speedup_x"] == runs[0].totals.latency_s / runs[1].totals.latency_s
    assert low["energy_delta_pct"] == pytest.approx((runs[1].totals.energy_pj / runs[0].totals.energy_pj - 1) * 100)
    per_layer = section.tables[1]
    assert len(per_layer.rows) == len(runs[0].layers)


def test_different_networks_compare_totals_only(runs):
    other = runs[1].model_copy(update={"layers": runs[1].layers[:-1]})
    section, _ = comparison_sections([runs[0], other])
    assert [t.name for t in section.tables] == ["comparison"]
