"""Per-tile compute and reuse: the array pays fill and drain for each tile it actually sees."""

import numpy as np
import pytest

from hwmodels import load_hardware
from simulator import simulate
from simulator.tiling import (
    LOOP_ORDERS,
    Dataflow,
    LoopNest,
    merge_temporal,
    tile_array_reads,
    tile_compute_cycles,
)
from workloads import Layer, LayerGraph, apply_quant

# GEMM (8 x 16) @ (16 x 4) as a loop nest: k=4 filters, c=16 reduction, y=8 rows.
NEST = LoopNest(instances=1, k=4, c=16, y=8, q=1, r=1, s=1, stride=1, halo=0, input_cols=1, input_elements=128)
WS = Dataflow.WEIGHT_STATIONARY


def test_whole_tile_is_scalesim_and_split_tiles_pay_their_own_fill():
    # Whole layer on 4x4 WS: S_R = 16, S_C = 4, T = 8 -> 4 folds of 2*4 + 4 + 8 - 2 = 72.
    # Two tiles of 2 filters: each still folds 4 times with T = 8 (SCALE-Sim's folded form
    # charges the full array width): 2 x 72 = 144.
    cycles = tile_compute_cycles(NEST, WS, 4, 4, np.array([4, 2]), np.array([16, 16]), np.array([8, 8]))
    assert cycles.tolist() == [72, 144]


def test_innermost_temporal_loop_streams_on_across_tiles():
    # Two tiles of 4 rows: unmerged each folds 4 times with T = 4: 2 x 4 x (8 + 4 + 4 - 2) = 112.
    # With y innermost the weights stay and the rows stream on: one tile of T = 8 -> 72.
    split = tile_compute_cycles(NEST, WS, 4, 4, 4, 16, 4)
    order = LOOP_ORDERS.index("kcy")
    merged = tile_compute_cycles(NEST, WS, 4, 4, *merge_temporal(NEST, WS, 4, 16, 4, order))
    assert (int(split), int(merged)) == (112, 72)


def test_array_reads_by_hand():
    # WS whole tile: weights once (16 x 4 = 64); inputs once per column fold (8 x 16 x 1);
    # psums leave once per row fold (8 x 4 x 4) and 3 of the 4 passes re-read (8 x 4 x 3).
    reads = tile_array_reads(NEST, WS, 4, 4, 4, 16, 8)
    assert {k: int(v) for k, v in reads.items()} == {
        "weights": 64, "inputs": 128, "psum_writes": 128, "psum_reads": 96}
    # Two reduction tiles of 8: each output is read back once more across tiles.
    split = tile_array_reads(NEST, WS, 4, 4, 4, 8, 8)
    assert int(split["psum_reads"]) == 2 * (8 * 4 * 1) + 8 * 4 * 1


def test_dynamic_quantization_costs_energy_not_saves_it(tiny):
    gemm = Layer(name="g", op="gemm", p=4, c=64, k=32)
    static, dynamic = (simulate(apply_quant(LayerGraph([gemm]), p), tiny()).totals for p in ("w8a8", "w8a8-dyn"))
    assert dynamic.energy.vector_pj == static.energy.vector_pj == 0
    assert dynamic.quant_overhead.dynamic_range_pj > 0
    assert dynamic.energy_pj > static.energy_pj


@pytest.mark.parametrize(("policy", "kv_cache", "formats"), [
    ("w4a8", False, ("int8", "int8")),     # both operands are 8-bit activations
    ("w2a8", False, ("int8", "int8")),
    ("w8a8-kv4", True, ("int4", "int8")),  # the KV cache operand at its own format
])
def test_attention_matmuls_run_at_activation_or_kv_format(policy, kv_cache, formats):
    qk = Layer(name="qk", op="matmul", n=12, p=128, c=64, k=128, kv_cache=kv_cache)
    layer = simulate(apply_quant(LayerGraph([qk]), policy), load_hardware("bitfusion")).layers[0]
    assert layer.mapping.executed_formats == formats


def test_weight_only_policy_does_not_dequantize_activation_matmuls():
    fp16 = {"kind": "float", "macs_per_pe": {"fp16": 1}}
    from conftest import tiny_hw

    qk = Layer(name="qk", op="matmul", n=2, p=8, c=8, k=8)
    result = simulate(apply_quant(LayerGraph([qk]), "w4a16"), tiny_hw(precision=fp16))
    assert result.totals.quant_overhead.dequant_pj == 0
