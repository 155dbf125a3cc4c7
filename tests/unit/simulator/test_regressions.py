"""Regressions of issue 7 (the simulator-core rework): each test fails on bc082aa, the code before it.

The figures quoted for the old code were measured on bc082aa; the expected
ones are derived by hand in the comments, from the layer shapes and the preset
YAML files, not read back from the simulator.
"""

import random

import pytest
from conftest import tiny_hw

import qcosim
import simulator
from hwmodels import load_hardware
from simulator import SimOptions, hardware_view, map_layer, simulate
from workloads import Layer, LayerGraph, apply_quant
from workloads.errors import WorkloadError
from workloads.policy import parse_spec

EPILOGUE = Layer(name="ep", op="gemm", p=16, c=16, k=16, ops_per_output=30)
TWIN = Layer(name="twin", op="gemm", p=16, c=16, k=16)  # the same GEMM without the vector epilogue


def small_accelerator():
    """4x4 int8 array, 4 KiB double-buffered buffers, 1 B/cycle DRAM, 20 ns latency, 4-lane vector unit."""
    return tiny_hw(dram_bytes_per_cycle=1, latency_ns=20, buffer_bytes=4096, double_buffered=True)


# -- 1. A layer's cost does not depend on what was mapped before it -------------------------------------

def test_epilogue_layer_costs_the_same_alone_and_after_its_twin():
    # bc082aa cached mappings under a key that left out the epilogue, which the mapper reads: the
    # 30-op GEMM reused its twin's mapping (16 x 6 x 16 tiles, chosen with no vector work) and took
    # 2,329 cycles instead of the 2,077 of its own (16 x 1 x 16) mapping.
    hw = small_accelerator()
    alone = simulate(apply_quant(LayerGraph([EPILOGUE], name="alone"), "w8a8"), hw).layers[0]
    after = simulate(apply_quant(LayerGraph([TWIN, EPILOGUE], name="pair"), "w8a8"), hw).layers[1]
    assert after.name == "ep"
    assert after.cycles == alone.cycles == 2_077
    assert (after.mapping.tile_k, after.mapping.tile_c, after.mapping.tile_y) == (16, 1, 16)
    assert after.mapping == alone.mapping


def random_layers(seed, count=6):
    rng = random.Random(seed)
    found = [EPILOGUE, TWIN]
    while len(found) < count:
        ops = rng.choice((0, 0, 4, 30))
        if rng.random() < 0.5:
            found.append(Layer(name=f"g{len(found)}", op="gemm", p=rng.randint(1, 48), c=rng.randint(1, 64),
                               k=rng.randint(1, 64), ops_per_output=ops))
        else:
            r = rng.choice((1, 3))
            found.append(Layer(name=f"c{len(found)}", op="conv", k=4 * rng.randint(1, 6), c=rng.randint(1, 12),
                               p=rng.randint(1, 12), q=rng.randint(1, 12), r=r, s=r, ops_per_output=ops))
    return [layer.with_quant(parse_spec(rng.choice(("w8a8", "w4a8", "w8a8-asym")))[0]) for layer in found]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_map_layer_does_not_depend_on_what_was_mapped_before(seed):
    # bc082aa's map_layer had no cache of its own (the stale key was in the scheduler), so this
    # guards the new one rather than reproducing the old failure.
    acc = small_accelerator()
    view = hardware_view(acc)
    layers = random_layers(seed)
    fresh = {}
    for layer in layers:
        simulator.clear_caches()
        fresh[layer.name] = map_layer(layer, acc, view)
    simulator.clear_caches()
    for layer in random.Random(seed).sample(layers, len(layers)):
        assert map_layer(layer, acc, view) == fresh[layer.name], layer.name


# -- 2. The front door keeps the fidelity it is given and refuses a misspelt one --------------------------

def test_options_fidelity_reaches_the_result():
    # bc082aa overwrote options.fidelity with the keyword's default, "analytical".
    result = qcosim.simulate("resnet18", "edge-npu", "w8a8", options=SimOptions(fidelity="des"))
    assert result.fidelity == "des"


def test_misspelt_fidelity_is_a_workload_error():
    # bc082aa copied "DES" into the options unvalidated and ran the analytical model.
    with pytest.raises(WorkloadError, match=r"must be 'analytical' or 'des' \(got 'DES'\)"):
        qcosim.simulate("resnet18", "edge-npu", "w8a8", fidelity="DES")


# -- 3. Every cycle has an owner ----------------------------------------------------------------------------

def test_output_buffer_port_cycles_are_reported(tiny):
    # bc082aa left the cycles an output buffer's write port needs past the array to no cause
    # (ResNet-18 layer1.0.conv1 on Bit Fusion at w4a4, batch 16: 1,800,648 unowned cycles).
    # Here a 4 x 4 weight-stationary array with a 1 B/cycle output write port runs the GEMM
    # (8 x 16) @ (16 x 4): S_R = 16 -> 4 row folds of 2*4 + 4 + 8 - 2 = 18 cycles = 72 (T = 8 per fold,
    # so 32 streaming + 40 fill/drain). Every row fold writes a 32-bit partial sum of each of the
    # 8 x 4 outputs: 4 x 32 x 32 = 4,096 bits at 8 bits/cycle = 512 cycles, 440 past the array.
    hw = tiny()
    hw = hw.model_copy(update={"memory": tuple(
        m.model_copy(update={"write_bytes_per_cycle": 1}) if m.name == "outputs_buf" else m for m in hw.memory)})
    result = simulate(apply_quant(LayerGraph([Layer(name="fc", op="gemm", p=8, c=16, k=4)], name="fc"), "w8a8"), hw)
    layer = result.layers[0]
    obuf = next(t for t in layer.traffic if t.level == "outputs_buf")
    assert obuf.write_bits == 4 * 8 * 4 * 32
    assert layer.compute_cycles == 72
    assert layer.cycles == 512
    assert (layer.breakdown.array_cycles, layer.breakdown.fill_drain_cycles, layer.breakdown.buffer_port_cycles,
            layer.breakdown.dram_stall_cycles) == (32, 40, 440, 0)


# -- 4. Utilization has one definition: MACs / (cycles x chip peak at the layer's formats) -----------------

def test_utilization_is_macs_over_cycles_times_chip_peak():
    # edge-npu: one 32 x 32 int8 array, 1,024 MACs/cycle at w8a8 (preset edge-npu.yaml).
    # ResNet-50 gives 0.474 (0.353 before operands were held whole on chip and loads overlapped
    # compute where they can, issue 10; 0.471 while a single-buffered operand streamed tile by tile
    # also held up the pieces of an operand held whole); bc082aa reported 0.411 for the totals where
    # the definition gave 0.353.
    result = qcosim.simulate("resnet50", "edge-npu", "w8a8")
    peak = load_hardware("edge-npu").engines[0].macs_per_cycle(8, 8)
    assert peak == 32 * 32
    totals = result.totals
    expected = totals.macs / (totals.cycles * peak)
    assert expected == pytest.approx(0.474, abs=5e-4)
    assert totals.utilization == pytest.approx(expected, rel=1e-12)
    for layer in result.layers:
        per_layer = layer.macs / (layer.cycles * peak) if layer.macs else 0.0
        assert layer.utilization == pytest.approx(per_layer, rel=1e-12), layer.name


def test_row_tiles_past_two_to_the_31_map_as_they_are():
    # A 1x1 conv over 192 images of 2**24 x 1 pixels: y = n x p = 3 x 2**30 rows, within the workload
    # limits (each of n and p at most 2**24). Row tiles once wrapped to negative 32-bit values here,
    # and negative tiles fitted every buffer.
    layer = Layer(name="tall", op="conv", n=192, k=256, c=256, p=2**24, q=1, r=1, s=1).with_quant(
        parse_spec("w8a8")[0])
    acc = load_hardware("tpu-v1")
    mapping = map_layer(layer, acc, hardware_view(acc))
    assert mapping.tile_y > 0 and min(mapping.tile_bits.values()) > 0
    # Every input crosses DRAM at least once: 192 x 256 x 2**24 int8 values.
    assert mapping.dram_bits["inputs"] >= 192 * 256 * 2**24 * 8


def test_offset_activations_get_no_zero_gating_credit():
    # Eyeriss gates zero inputs (JSSC 2017, Sec. V-C); uint16 activations run on it offset into int16
    # (each value less 2**15), so their zeros no longer reach the PEs as zeros: half the inputs zero
    # saves MAC energy for int16 activations, and none for uint16 ones.
    from simulator import layer_cost
    from workloads.quant import parse_format

    acc = load_hardware("eyeriss")
    base = apply_quant(LayerGraph([Layer(name="conv", op="conv", k=64, c=64, p=14, q=14, r=3, s=3,
                                         padding=(1, 1))]), "w8a8").layer("conv")

    def mac_pj(activations: str, density: float) -> float:
        q = base.quant
        spec = q.model_copy(update={"weights": q.weights.model_copy(update={"format": parse_format("int16")}),
                                    "inputs": q.inputs.model_copy(update={"format": parse_format(activations)})})
        layer = base.with_quant(spec).model_copy(update={"input_density": density})
        cost = layer_cost(layer, acc)
        assert cost.mapping.executed_formats == ("int16", "int16")
        return cost.energy.mac_pj

    assert mac_pj("int16", 0.5) == pytest.approx(0.5 * mac_pj("int16", 1.0))
    assert mac_pj("uint16", 0.5) == mac_pj("uint16", 1.0)
