"""Per-operand double buffering: a level that keeps a second tile of some of its operands.

`MemoryLevel.double_buffered_operands` declares it; such an operand needs
twice its tile in that level, and its DRAM loads stream in while the tile
before computes (`tiling.layer_cycles`, `_Scorer.ahead`); the level's other
operands load between tiles. The DES's timeline for it is derived by hand in
test_des.py; the Eyeriss GLB's ifmaps in tests/integration/test_validation.py.
"""

from __future__ import annotations

import pytest

from hwmodels import load_hardware, parse_hardware
from hwmodels.memory import Operand
from simulator import SimOptions, map_graph, simulate
from workloads import Layer, LayerGraph, apply_quant, load_workload


def _edge_npu_weights(**fields):
    acc = load_hardware("edge-npu")
    memory = tuple(level.model_copy(update=fields) if level.name == "weight_sram" else level for level in acc.memory)
    return acc.model_copy(update={"memory": memory})


def test_second_tile_of_a_levels_only_operand_is_a_double_buffered_level():
    # edge-npu's weight SRAM holds only weights: keeping a second weight tile beside the first is the
    # same as halving it into ping-pong buffers, tile for tile and cycle for cycle.
    graph = apply_quant(load_workload("resnet18"), "w8a8")
    whole = simulate(graph, _edge_npu_weights(double_buffered=True))
    second = simulate(graph, _edge_npu_weights(double_buffered_operands=(Operand.WEIGHTS,)))
    plain = simulate(graph, load_hardware("edge-npu"))
    assert [r.cycles for r in second.layers] == [r.cycles for r in whole.layers]
    assert [r.mapping for r in second.layers] == [r.mapping for r in whole.layers]
    assert second.totals.cycles < plain.totals.cycles


def _unified(double_inputs: bool):
    """A 4 x 4 int8 array; weights in their own buffer, inputs and outputs in one 4 KiB buffer that
    keeps a second input tile when ``double_inputs``; 1 B per cycle of DRAM, 10 cycles latency."""
    ubuf = {"name": "ubuf", "size_bytes": 4096, "operands": ["inputs", "outputs"]}
    if double_inputs:
        ubuf["double_buffered_operands"] = ["inputs"]
    return parse_hardware({
        "name": "unified", "clock_ghz": 1.0,
        "engines": [{"name": "pe", "rows": 4, "cols": 4, "precision": {"kind": "fixed", "native_bits": 8}}],
        "memory": [{"name": "wbuf", "size_bytes": 1 << 20, "operands": ["weights"]}, ubuf],
        "dram": {"bandwidth_gb_per_s": 1, "latency_ns": 10},
    })


def test_a_second_input_tile_counts_twice_and_its_loads_go_ahead():
    # A 64 x 64 x 64 GEMM: 4 KiB of int8 inputs, 16 KiB of int32 outputs; no tile holding every input
    # row fits 4 KiB with its outputs. Declared twice, the input tile and the output tile must fit
    # 2 x inputs + outputs <= 4096 B.
    graph = apply_quant(LayerGraph([Layer(name="fc", op="gemm", p=64, c=64, k=64)], name="one"), "w8a8")
    for double in (False, True):
        (counts,) = map_graph(graph, _unified(double)).counts
        m = counts.mapping
        inputs, outputs = m.tile_bits["inputs"] // 8, m.tile_bits["outputs"] // 8
        assert (2 if double else 1) * inputs + outputs <= 4096
        if double:
            assert "inputs" in m.loads_ahead and "weights" in m.loads_ahead  # weights held whole
            assert counts.ahead_read_bits == counts.dram_read_bits
        else:  # the tile taken single-buffered would not fit with a second copy of its inputs
            assert 2 * inputs + outputs > 4096
            assert m.loads_ahead == ("weights",)
            assert 0 < counts.ahead_read_bits < counts.dram_read_bits


def test_a_second_tile_never_costs_a_layer_more_latency_than_it_hides():
    # A split load is two transfers a tile, each waiting the DRAM latency: over many small tiles that can
    # cost more than the part ahead hides (edge-npu MobileNetV2 features.15.conv.1.0, 320 tiles: 86,495
    # cycles all between tiles, 102,721 split). The tile then loads in one transfer between tiles, and the
    # discrete-event run follows the same plan.
    acc = load_hardware("edge-npu")
    memory = tuple(level.model_copy(update={"double_buffered_operands": (Operand.INPUTS,)})
                   if level.name == "act_sram" else level for level in acc.memory)
    graph = apply_quant(load_workload("mobilenet_v2"), "w8a8")
    off_chip = SimOptions(keep_activations_on_chip=False)
    plain = simulate(graph, acc, off_chip)
    second = simulate(graph, acc.model_copy(update={"memory": memory}), off_chip)
    assert all(b.cycles <= a.cycles for a, b in zip(plain.layers, second.layers, strict=True))
    assert second.totals.cycles < plain.totals.cycles
    des = simulate(graph, acc.model_copy(update={"memory": memory}),
                   SimOptions(keep_activations_on_chip=False, fidelity="des"))
    for a, d in zip(second.layers, des.layers, strict=True):
        if a.macs:
            assert d.cycles == pytest.approx(a.cycles, rel=0.06), a.name
