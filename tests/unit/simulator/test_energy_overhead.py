"""Chip energy beyond MACs and buffer accesses: the clock/control/network overhead per occupied PE-cycle.

Hand-derived on a tiny array, scaled across nodes by E ∝ node · V², and held
against two published chips: Eyeriss (its preset is calibrated on it; the
validation script checks it) and TPU v1, which gets no overhead and must stay
near its published efficiency (Jouppi et al., "In-Datacenter Performance
Analysis of a Tensor Processing Unit", ISCA 2017, Table 2: 92 TOPS peak int8,
40 W busy per die).
"""

import pytest
from conftest import tiny_hw

from hwmodels import EnergyTable, load_hardware
from hwmodels.energy import EnergyOverhead
from simulator import simulate
from simulator.results import EnergyBreakdown
from workloads import Layer, LayerGraph, apply_quant


def _with_overhead(acc, **overhead):
    return acc.model_copy(update={"overhead": EnergyOverhead(**overhead)})


def test_overhead_by_hand_on_a_tiny_array():
    # The GEMM of test_contract.py, (8 x 16) @ (16 x 4) on a 4 x 4 weight-stationary array: 72 array
    # cycles for 512 MACs, so 512 / 72 = 7.1 PEs occupied on average, over the layer's 123 cycles
    # (8 B/cycle DRAM, 10 ns latency). At 2 pJ per occupied PE-cycle: 2 x 512 / 72 x 123 pJ.
    acc = _with_overhead(tiny_hw(dram_bytes_per_cycle=8, latency_ns=10), pe_cycle_pj=2.0)
    gemm = Layer(name="fc", op="gemm", p=8, c=16, k=4)
    result = simulate(apply_quant(LayerGraph([gemm], name="fc"), "w8a8"), acc)
    assert result.totals.cycles == 123
    assert result.totals.energy.overhead_pj == pytest.approx(2.0 * 512 / 72 * 123, rel=1e-12)
    without = simulate(apply_quant(LayerGraph([gemm], name="fc"), "w8a8"),
                       tiny_hw(dram_bytes_per_cycle=8, latency_ns=10))
    assert without.totals.energy.overhead_pj == 0.0
    assert result.totals.energy_pj - without.totals.energy_pj == pytest.approx(2.0 * 512 / 72 * 123, rel=1e-12)


def test_vector_layers_occupy_no_pe():
    acc = _with_overhead(tiny_hw(), pe_cycle_pj=5.0)
    relu = Layer(name="relu", op="activation", k=64, c=64, p=8, q=8, ops_per_output=1)
    result = simulate(apply_quant(LayerGraph([relu], name="relu"), "w8a8"), acc)
    assert result.totals.energy.overhead_pj == 0.0


def test_overhead_is_in_the_total_and_adds_up_over_layers():
    breakdown = EnergyBreakdown(mac_pj=1.0, memory_pj={"a": 2.0}, dram_pj=3.0, leakage_pj=4.0, overhead_pj=5.0)
    assert breakdown.total_pj == 15.0
    result = simulate(apply_quant(_alexnet_like(), "wi16ai16"), load_hardware("eyeriss"))
    assert result.totals.energy.overhead_pj == pytest.approx(sum(r.energy.overhead_pj for r in result.layers),
                                                              rel=1e-12)
    assert result.totals.energy_pj == pytest.approx(sum(r.energy_pj for r in result.layers), rel=1e-12)


def _alexnet_like():
    layers = [Layer(name="c1", op="conv", k=32, c=16, p=13, q=13, r=3, s=3, padding=(2, 2)),
              Layer(name="c2", op="conv", k=32, c=32, p=13, q=13, r=3, s=3, padding=(2, 2))]
    return LayerGraph(layers, name="two-convs")


def test_overhead_scales_with_node_and_supply():
    # Declared at 65 nm / 1.0 V, used at 28 nm / 0.9 V: x (28 / 65) x 0.81.
    overhead = EnergyOverhead(pe_cycle_pj=8.1, node_nm=65, vdd_v=1.0)
    assert overhead.pe_cycle_pj_at(28, 0.9) == pytest.approx(8.1 * 28 / 65 * 0.81, rel=1e-12)
    assert overhead.pe_cycle_pj_at(65, 1.0) == 8.1
    eyeriss = load_hardware("eyeriss")
    assert eyeriss.overhead_pj_per_pe_cycle == 8.1  # declared at the chip's own node and supply


def test_presets_declare_what_they_add():
    # Eyeriss: calibrated on its measured 278 mW (JSSC 2017); the others are priced per action only.
    assert load_hardware("eyeriss").overhead.pe_cycle_pj > 0
    for name in ("tpu-v1", "edge-npu", "bitfusion", "bit-serial"):
        assert load_hardware(name).overhead_pj_per_pe_cycle == 0.0, name


def test_tpu_v1_stays_near_its_published_efficiency():
    # Jouppi et al., ISCA 2017, Table 2: 92 TOPS peak (65,536 int8 MACs at 700 MHz = 45.9 T MAC/s) at
    # 40 W busy per die: 0.87 pJ per MAC. A compute-bound int8 GEMM's on-chip energy per MAC
    # (everything but DRAM) stays within 30% of it.
    published_pj_per_mac = 40.0 / (65536 * 0.7e9) * 1e12
    assert published_pj_per_mac == pytest.approx(0.872, abs=0.001)
    gemm = Layer(name="g", op="gemm", p=2048, c=4096, k=4096)
    e = simulate(apply_quant(LayerGraph([gemm], name="g"), "w8a8"), load_hardware("tpu-v1")).totals
    on_chip = (e.energy.total_pj - e.energy.dram_pj) / e.macs
    assert on_chip == pytest.approx(published_pj_per_mac, rel=0.30)


def test_energy_table_is_untouched_by_the_overhead():
    # The overhead is its own component: the per-action table (Horowitz 45 nm) prices exactly as before.
    assert load_hardware("eyeriss").energy == EnergyTable()
