"""Energy and traffic bookkeeping: each term counted once, at the right width, in the right place."""

import math

import pytest
from conftest import tiny_hw, unified_hw

from hwmodels import load_hardware
from hwmodels.energy import float_add_pj, float_mult_pj
from simulator import SimOptions, map_graph, simulate
from workloads import Layer, LayerGraph, Tensor, apply_quant


def one(layer, policy="w8a8"):
    return apply_quant(LayerGraph([layer], name=layer.name), policy)


def level(result, name, index=0):
    return next(t for t in result.layers[index].traffic if t.level == name)


def test_leakage_is_counted_once_when_engines_overlap():
    int8 = {"kind": "fixed", "native_bits": 8}
    engines = [{"name": f"pe{i}", "rows": 4, "cols": 4, "precision": int8} for i in range(2)]
    hw = tiny_hw(engines=engines)
    layers = [Layer(name="a", op="gemm", p=64, c=16, k=16), Layer(name="b", op="gemm", p=64, c=16, k=16)]
    result = simulate(apply_quant(LayerGraph(layers, name="twins"), "w8a8"), hw)
    assert [r.mapping.engine for r in result.layers] == ["pe0", "pe1"]
    # The chip's static power over the run's wall time, not once per engine: at 1 GHz a cycle is
    # 1 ns, and 1 mW for 1 ns is 1 pJ.
    assert result.totals.energy.leakage_pj == pytest.approx(hw.leakage_mw * result.totals.cycles, rel=1e-12)


def test_resident_tensors_are_never_read_from_dram_and_reshapes_alias():
    # p -> reshape -> q, and m -> q: p's 1 KiB output stays on chip; m's 40 KiB output does not fit
    # in half the 64 KiB buffer next to it, so q reads exactly m's output from DRAM.
    t = lambda n: Tensor(name=n, shape=(1, 1))  # noqa: E731 - shapes do not matter here
    layers = [
        Layer(name="p", op="gemm", p=32, c=32, k=32),
        Layer(name="view", op="data_movement", source_op="Reshape", c=32, k=32, p=32),
        Layer(name="m", op="gemm", p=32, c=32, k=1280),
        Layer(name="q", op="elementwise", c=32, k=32, p=32, input_tensors=2, ops_per_output=1),
    ]
    edges = [("p", "view", t("a")), ("view", "q", t("b")), ("m", "q", t("c"))]
    graph = apply_quant(LayerGraph(layers, edges, name="mix"), "w8a8")
    result = simulate(graph, unified_hw())
    by_name = {r.name: r for r in result.layers}
    dram = {name: next(x for x in r.traffic if x.level == "dram") for name, r in by_name.items()}
    assert dram["p"].write_bits == 0 and dram["view"].read_bits == dram["view"].write_bits == 0
    assert dram["m"].write_bits == 32 * 1280 * 8 + 32                  # int8 outputs + one scale
    # q reads m's share of its two inputs (1280 of 1312 channels' worth), not p's.
    q_inputs = 2 * 32 * 32 * 8 + 32
    assert dram["q"].read_bits == math.ceil(q_inputs * (32 * 1280 * 8 + 32) / (32 * 1280 * 8 + 32 + 32 * 32 * 8 + 32))


def test_bias_and_normalization_parameters_are_moved(tiny):
    dw = Layer(name="dw", op="conv", k=256, c=256, groups=256, p=8, q=8, r=3, s=3, padding=(2, 2))
    plain, with_bn = (simulate(one(dw.model_copy(update={"aux_params": a})), tiny()).totals.dram_bytes
                      for a in (0, 1024))
    assert with_bn - plain == 1024 * 32 / 8


def test_array_and_register_reads_are_payload_bits():
    # edge-npu keeps a weight register per PE, read on every MAC: 8 bits, not 8 + scale share.
    acc = load_hardware("edge-npu")
    dw = Layer(name="dw", op="conv", k=64, c=64, groups=64, p=14, q=14, r=3, s=3, padding=(2, 2))
    result = simulate(one(dw), acc)
    assert level(result, "weight_regs").read_bits == dw.macs * 8


def test_finished_outputs_leave_the_accumulators_at_accumulator_width():
    acc = load_hardware("edge-npu")  # 32-bit acc_sram inside act_sram
    graph = one(Layer(name="g", op="gemm", p=64, c=64, k=64))
    (counts,) = map_graph(graph, acc).counts
    result = simulate(graph, acc)
    # Partial sums read back while accumulating, plus every finished output read out once, at 32 bits.
    expected = (counts.mapping.array_reads["psum_reads"] + 64 * 64) * 32
    assert level(result, "acc_sram").read_bits == math.ceil(expected)


def test_fake_quant_epilogue_runs_at_the_executed_float_format():
    fp32 = {"kind": "float", "macs_per_pe": {"fp32": 1}}
    fc = Layer(name="fc", op="gemm", p=16, c=16, k=16, ops_per_output=4)
    real, fake = (simulate(one(fc, p), tiny_hw(precision=fp32)).totals for p in ("fp32", "w8a8-fake"))
    assert fake.energy.vector_pj == pytest.approx(real.energy.vector_pj)


def test_bf16_macs_are_priced_as_bf16_not_fp16():
    # Horowitz-based table: a bf16 multiply (8-bit significand) costs less than an fp16 one (11 bits).
    bf16 = {"kind": "float", "macs_per_pe": {"bf16": 1, "fp16": 1}}
    hw = tiny_hw(precision=bf16)
    fc = Layer(name="fc", op="gemm", p=4, c=4, k=4)
    per_mac = {p: simulate(one(fc, p), hw).totals.energy.mac_pj / fc.macs for p in ("bf16", "fp16")}
    assert per_mac["bf16"] == pytest.approx(float_mult_pj("bf16") + float_add_pj("fp32"))
    assert per_mac["fp16"] == pytest.approx(float_mult_pj("fp16") + float_add_pj("fp32"))
    assert per_mac["bf16"] < per_mac["fp16"]


def test_no_stalls_without_memory_limits(tiny):
    relu = Layer(name="relu", op="activation", k=16, c=16, p=64, q=64, ops_per_output=1)
    result = simulate(one(relu), tiny())  # unlimited bandwidth, no latency
    assert result.layers[0].stall_cycles == 0 and result.layers[0].cycles == 16 * 64 * 64 // 4


def test_eyeriss_filter_scratchpad_is_written_once_per_dram_fill():
    acc = load_hardware("eyeriss")
    conv = Layer(name="c", op="conv", k=16, c=16, p=13, q=13, r=3, s=3, padding=(2, 2))
    result = simulate(one(conv, "wi16ai16"), acc, SimOptions(keep_activations_on_chip=False))
    spad = level(result, "filter_spad")
    # The 16 x 16 x 3 x 3 int16 filters fit the 168 x 448 B scratchpads: filled once from DRAM
    # (payload + 16 per-channel fp32 scales), then read on every MAC at 16 bits.
    assert spad.write_bits == 16 * 16 * 9 * 16 + 16 * 32
    assert spad.read_bits == conv.macs * 16
