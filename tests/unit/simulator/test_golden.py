"""Hand-derived golden cases: a single GEMM and a single conv on a 4x4 array.

Compute cycles follow SCALE-Sim v3.0.0 (compute/systolic_compute_{os,ws,is}.py,
read in validation/data/SCALESIM_NOTES.md): a mapping of S_R x S_C with temporal
extent T takes ceil(S_R/R)*ceil(S_C/C) folds, each occupying the whole R x C array
(partial folds too) for 2*R + C + T - 2 cycles under WS and IS and T + R + C - 2
under OS. Operand placement per Samajdar et al., "SCALE-Sim", arXiv:1811.02883,
Table II: OS (S_R, S_C, T) = (output pixels, filters, window); WS = (window,
filters, output pixels); IS = (window, output pixels, filters).
"""

import pytest

from simulator import simulate
from simulator.tiling import systolic_cycles
from workloads import Layer, LayerGraph, apply_quant

GEMM = Layer(name="fc", op="gemm", p=8, c=16, k=4)              # (8 x 16) @ (16 x 4)
CONV = Layer(name="conv", op="conv", k=4, c=2, p=6, q=6, r=3, s=3)  # 8x8x2 input, 3x3, 4 filters


def one(layer, policy="w8a8"):
    return apply_quant(LayerGraph([layer], name=layer.name), policy)


def test_scalesim_formula_fits_and_folds():
    assert systolic_cycles(4, 4, 8, rows=4, cols=4) == 2 * 4 + 4 + 8 - 2
    # S_R = 16 on 4 rows: 4 folds of 2*4 + 4 + 8 - 2 = 18.
    assert systolic_cycles(16, 4, 8, rows=4, cols=4) == 4 * 18


def test_gemm_weight_stationary_unlimited_bandwidth(tiny):
    # WS: S_R = reduction 16, S_C = filters 4, T = rows 8 -> 4 folds x 18 = 72 cycles.
    result = simulate(one(GEMM), tiny())
    layer = result.layers[0]
    assert layer.compute_cycles == 72
    assert layer.cycles == result.totals.cycles == 72
    assert layer.utilization == pytest.approx(8 * 16 * 4 / (72 * 16))


def test_gemm_with_dram_bandwidth_and_latency(tiny):
    # w8a8 bits moved (per-channel fp32 weight scales, per-tensor fp32 activation scales):
    #   weights 16*4*8 + 4*32 = 640, inputs 8*16*8 + 32 = 1056, outputs 8*4*8 + 32 = 288 -> 1984.
    # Single-buffered buffers expose the transfer: 1984 bits / 64 bits per cycle = 31 cycles,
    # plus 10 cycles latency for the one tile, plus the closing latency of 10 -> 72 + 31 + 20.
    result = simulate(one(GEMM), tiny(dram_bytes_per_cycle=8, latency_ns=10))
    assert result.totals.dram_bytes * 8 == 1984
    assert result.totals.cycles == 72 + 31 + 10 + 10
    assert result.layers[0].stall_cycles == 51


@pytest.mark.parametrize(
    ("dataflow", "cycles"),
    [
        # OS: S_R = 36 output pixels, S_C = 4 filters, T = 18 (2 x 3 x 3): 9 folds x (18+4+4-2).
        ("output_stationary", 9 * 24),
        # WS: S_R = 18, S_C = 4, T = 36: 5 folds x (8+4+36-2).
        ("weight_stationary", 5 * 46),
        # IS: S_R = 18, S_C = 36, T = 4: 5 x 9 folds x (8+4+4-2).
        ("input_stationary", 45 * 14),
    ],
)
def test_conv_on_each_dataflow(tiny, dataflow, cycles):
    result = simulate(one(CONV), tiny(dataflow))
    assert result.layers[0].compute_cycles == cycles
    assert result.totals.macs == 4 * 2 * 36 * 9


def test_three_channel_stem_underuses_a_256_row_array():
    # TPU v1 (Jouppi et al., ISCA 2017): 256 x 256 weight-stationary MACs. ResNet-50's stem has a
    # 7 x 7 x 3 = 147-long reduction and 64 filters: S_R = 147 of 256 rows, S_C = 64 of 256
    # columns, T = 112 x 112 = 12,544 pixels -> one fold of the whole array (SCALE-Sim v3):
    # 2*256 + 256 + 12544 - 2 = 13,310 cycles, and only 118,013,952 / (13,310 x 65,536) = 13.5%
    # of the MAC slots do work.
    from hwmodels import load_hardware
    from workloads import load_workload

    result = simulate(apply_quant(load_workload("resnet50"), "w8a8"), load_hardware("tpu-v1"))
    stem = result.layers[0]
    assert (stem.mapping.spatial_rows, stem.mapping.spatial_cols, stem.mapping.temporal) == (147, 64, 12544)
    assert stem.compute_cycles == 13_310
    assert stem.spatial_utilization == pytest.approx(118_013_952 / (13_310 * 65_536))
