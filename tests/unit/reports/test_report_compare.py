"""Comparisons: deltas from the results, and the per-mechanism explanation of any two runs."""

import pytest

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
    speed = base.totals.cycles / low.totals.cycles
    assert f"({speed:.2f}x faster)" in lines[0]
    assert "512 -> 1,024 MACs/cycle" in lines[1]
    assert f"{base.totals.compute_cycles:,} -> {low.totals.compute_cycles:,}" in lines[1]
    # Reversed, the same pair reads as slower and more energy.
    assert "slower" in explain(low, base)[0] and "more per inference" in explain(low, base)[0]


def test_comparison_table_deltas(runs):
    (section,) = comparison_sections(runs)
    table = section.tables[0]
    rows = {row[0]: dict(zip((c.key for c in table.columns), row, strict=True)) for row in table.rows}
    base, low = rows["w8a8 on bitfusion"], rows["w4a8 on bitfusion"]
    assert base["speedup_x"] == 1 and base["energy_delta_pct"] == 0
    assert low["speedup_x"] == runs[0].totals.cycles / runs[1].totals.cycles
    assert low["energy_delta_pct"] == pytest.approx((runs[1].totals.energy_pj / runs[0].totals.energy_pj - 1) * 100)
    per_layer = section.tables[1]
    assert len(per_layer.rows) == len(runs[0].layers)


def test_different_networks_compare_totals_only(runs):
    other = runs[1].model_copy(update={"layers": runs[1].layers[:-1]})
    (section,) = comparison_sections([runs[0], other])
    assert [t.name for t in section.tables] == ["comparison"]
