"""The four ways quantization changes hardware cost, each visible in the simulator's numbers."""

import math

import pytest

from hwmodels import load_hardware
from hwmodels.energy import float_add_pj, float_mult_pj, int_add_pj, int_mult_pj
from simulator import MappingError, simulate
from simulator.hardware_view import hardware_view
from simulator.mapping import plan_precision
from simulator.quant_actions import count_quant_actions
from workloads import Layer, LayerGraph, apply_quant
from workloads.policy import parse_spec


def one(layer, policy):
    return apply_quant(LayerGraph([layer], name=layer.name), policy)


# -- 1. compute throughput per precision --------------------------------------------------------

@pytest.mark.parametrize(("policy", "peak", "lanes"), [("w2a2", 8192, 16), ("w4a4", 2048, 4), ("w8a8", 512, 1)])
def test_bit_fusion_peak_scales_16x_4x_1x(policy, peak, lanes):
    # Sharma et al., ISCA 2018: 512 fusion units of 16 BitBricks: 16/4/1 MACs per unit per
    # cycle at 2/4/8-bit operands -> 8192/2048/512 MACs per cycle.
    engine = load_hardware("bitfusion").engines[0]
    gemm = one(Layer(name="g", op="gemm", p=64, c=64, k=64), policy).layer("g")
    plan = plan_precision(gemm, engine)
    assert (plan.peak_macs_per_cycle, plan.lanes, plan.cycles_per_mac) == (peak, lanes, 1.0)


def test_bit_fusion_gemm_cycles_by_hand():
    # WS on 16 x 32 units. A Fusion Unit at 2 bits shift-adds its 16 BitBricks' products inside the
    # unit (Sharma et al., ISCA 2018, Sec. III; the authors' simulator, hsharma35/bitfusion,
    # accelerator.get_compute_cycles, multiplies the reduction rows), so the lanes lengthen the
    # reduction each unit does per cycle: 16 x 16 = 256 effective rows, filling and draining over
    # the 16 physical ones (SCALE-Sim v3's window 2R + C + T - 2 per fold).
    # GEMM (4096 x 256) @ (256 x 32): S_R = 256, S_C = 32, T = 4096.
    #   w8a8: 16 rows -> 16 folds of 2*16 + 32 + 4096 - 2 = 4158 -> 66,528 cycles
    #   w2a2: 256 rows -> 1 fold of 4158 cycles: exactly 16x
    acc = load_hardware("bitfusion").model_copy(update={"dram": load_hardware("bitfusion").dram.model_copy(
        update={"bandwidth_gb_per_s": math.inf, "latency_ns": 0.0})})
    gemm = Layer(name="g", op="gemm", p=4096, c=256, k=32)
    cycles = {p: simulate(one(gemm, p), acc).layers[0].compute_cycles for p in ("w8a8", "w2a2")}
    assert cycles == {"w8a8": 16 * 4158, "w2a2": 4158}


def test_fixed_width_unit_pads_narrow_and_multi_passes_wide(tiny):
    hw = tiny()  # int8 fixed-width PEs
    gemm = Layer(name="g", op="gemm", p=8, c=16, k=4)
    w8, w4 = (simulate(one(gemm, p), hw).layers[0] for p in ("w8a8", "w4a8"))
    assert w4.compute_cycles == w8.compute_cycles == 72       # int4 padded into the int8 lanes
    assert w4.quant_overhead.padding_pj > 0 and w8.quant_overhead.padding_pj == 0
    wide = simulate(one(gemm, "wi16a8"), hw).layers[0]
    assert wide.mapping.cycles_per_mac == 2.0                  # ceil(16/8) passes on the weights
    assert wide.compute_cycles == 2 * 72


# -- 2. data movement ----------------------------------------------------------------------------

def test_dram_bits_follow_each_tensors_format(tiny):
    gemm = Layer(name="g", op="gemm", p=32, c=64, k=64)
    int8 = tiny()
    fp16 = tiny(precision={"kind": "float", "macs_per_pe": {"fp16": 1}})  # weight-only runs in fp16
    bits = {p: simulate(one(gemm, p), fp16 if "16" in p else int8).totals.dram_bytes * 8
            for p in ("w8a8", "w4a8", "w4a16-g32")}
    scales = 64 * 32            # one fp32 scale per output channel
    acts = 32 * 64 * 8 + 32 + 32 * 64 * 8 + 32
    assert bits["w8a8"] == 64 * 64 * 8 + scales + acts
    assert bits["w4a8"] == 64 * 64 * 4 + scales + acts
    # w4a16-g32: int4 + an fp16 scale per 32 weights (4.5 bits); fp16 activations, no scales.
    assert bits["w4a16-g32"] == 64 * 64 * 4 + (64 * 64 // 32) * 16 + 2 * 32 * 64 * 16


# -- 3. capacity -------------------------------------------------------------------------------

def test_fewer_bits_give_bigger_tiles_and_less_traffic(tiny):
    # 256 x 256 weights: 64 KiB at int8 overflow a 40 KiB buffer, 32 KiB at int4 fit whole.
    gemm = Layer(name="g", op="gemm", p=512, c=256, k=256)
    hw = tiny(buffer_bytes=40 * 1024, dram_bytes_per_cycle=16)
    w8, w4 = (simulate(one(gemm, p), hw).layers[0] for p in ("w8a8", "w4a8"))
    assert w4.mapping.tile_k * w4.mapping.tile_c == 256 * 256
    assert w8.mapping.tile_k * w8.mapping.tile_c < 256 * 256
    assert w8.mapping.tiles > w4.mapping.tiles
    # At int4 every tensor crosses DRAM exactly once.
    once = (256 * 256 * 4 + 256 * 32) + (512 * 256 * 8 + 32) + (512 * 256 * 8 + 32)
    assert w4.dram_bytes * 8 == once
    assert w8.dram_bytes * 8 > once + 256 * 256 * 4   # more than just the wider weights


# -- 4. energy per operation -------------------------------------------------------------------

def test_survey_int8_vs_fp32_operation_energy():
    # Horowitz, ISSCC 2014 (45 nm), as reproduced in Gholami et al. 2021: INT8 add 0.03 pJ vs
    # FP32 add 0.9 pJ (30x); INT8 mult 0.2 pJ vs FP32 mult 3.7 pJ (18.5x).
    assert float_add_pj("fp32") / int_add_pj(8) == pytest.approx(30.0)
    assert float_mult_pj("fp32") / int_mult_pj(8, 8) == pytest.approx(18.5)


def test_int8_mac_energy_vs_fp32_in_simulation(tiny):
    # One chip with an int8 array and an fp32 array; each layer goes where it can run.
    # A MAC is a multiply plus an add at the 32-bit accumulator: (3.7 + 0.9) / (0.2 + 0.1).
    engines = [
        {"name": "int8", "rows": 4, "cols": 4, "precision": {"kind": "fixed", "native_bits": 8}},
        {"name": "fp32", "rows": 4, "cols": 4, "precision": {"kind": "float", "macs_per_pe": {"fp32": 1}}},
    ]
    hw = tiny(engines=engines)
    gemm = Layer(name="g", op="gemm", p=16, c=16, k=16)
    int8, fp32 = (simulate(one(gemm, p), hw).layers[0] for p in ("w8a8", "fp32"))
    assert (int8.mapping.engine, fp32.mapping.engine) == ("int8", "fp32")
    assert fp32.energy.mac_pj / int8.energy.mac_pj == pytest.approx(4.6 / 0.3)


# -- costs quantization adds ---------------------------------------------------------------------

def test_quant_actions_by_scheme():
    conv = Layer(name="c", op="conv", k=8, c=4, p=5, q=5, r=3, s=3)
    outputs, reduction = 8 * 25, 4 * 9

    def count(policy):
        spec = parse_spec(policy)[0]
        return count_quant_actions(conv.with_quant(spec), spec, 288)

    assert count("w8a8").requant_dyadic == outputs
    assert count("w8a8-fp32rq").requant_fp32 == outputs
    assert count("w4a16").dequant == 288 and count("w4a16").requant_dyadic == 0
    assert count("w8a8-asym").zero_point_adds == outputs          # zx * sum(w) folds into the bias
    dyn = count("w8a8-dyn")
    assert (dyn.range_compares, dyn.scale_computations) == (4 * 7 * 7, 1)
    assert count("w4a8-cb").codebook_lookups == 288
    # Asymmetric weights need the input sums of every output pixel: 25 pixels x 36 inputs.
    from workloads.quant import QuantSpec, TensorQuant
    asym_w = QuantSpec(weights=TensorQuant.of("int8", symmetric=False), inputs=TensorQuant.of("int8"))
    assert count_quant_actions(conv, asym_w, 288).zero_point_adds == 25 * reduction + outputs


def test_requantization_is_its_own_line_and_dyadic_is_cheaper(tiny):
    gemm = Layer(name="g", op="gemm", p=16, c=16, k=16)
    dyadic, fp32 = (simulate(one(gemm, p), tiny()).totals.quant_overhead for p in ("w8a8", "w8a8-fp32rq"))
    assert 0 < dyadic.requant_pj < fp32.requant_pj


# -- errors ---------------------------------------------------------------------------------------

def test_unsupported_format_is_a_mapping_error():
    acc = load_hardware("tpu-v1")
    with pytest.raises(MappingError) as info:
        simulate(one(Layer(name="g", op="gemm", p=4, c=4, k=4), "fp16"), acc)
    assert str(info.value).startswith("layer 'g': engine 'mxu' cannot run weights=fp16, activations=fp16")


def test_buffer_too_small_names_buffer_and_size(tiny):
    # Smallest input tile: 1 channel x 3 rows (the 3x3 window) x 64 columns = 192 elements at
    # 8 bits + one fp32 scale per 4 x 8 x 64 = 2048-element tensor: 192 * 8.015625 = 1539 bits.
    conv = Layer(name="big", op="conv", k=4, c=4, p=8, q=64, r=3, s=3, padding=(2, 2))
    with pytest.raises(MappingError) as info:
        simulate(one(conv, "w8a8"), tiny(buffer_bytes=64))
    assert str(info.value) == (
        "layer 'big': no tile fits buffer 'inputs_buf': 64 usable bytes, the smallest tile needs 193 bytes"
    )


def test_unlimited_bandwidth_example_has_no_dram_stalls():
    acc = load_hardware("examples/ideal-32x32.yaml")
    assert hardware_view(acc).dram_bits_per_cycle == float("inf")
    result = simulate(apply_quant(LayerGraph([Layer(name="g", op="gemm", p=256, c=256, k=256)]), "w8a8"), acc)
    assert result.layers[0].stall_cycles == 0
