"""The result's contract: cycles add up by cause, energy re-derives from hwmodels, bytes are conserved,
the same inputs give the same bytes, and provenance tells results apart.

Expected values come from the hardware description (`hwmodels`) and hand
arithmetic, never from the simulator's own sums.
"""

import functools
import json
import os
import random
import subprocess
import sys

import pytest
from conftest import tiny_hw, unified_hw

import qcosim
from hwmodels import load_hardware, parse_hardware
from simulator import CycleBreakdown, SimOptions, SimResult, layer_cost, simulate
from workloads import Layer, LayerGraph, Tensor, apply_quant, load_workload

PRESETS = ("tpu-v1", "eyeriss", "bitfusion", "edge-npu", "bit-serial")
CASES = (
    [("resnet18", hw, fidelity) for hw in PRESETS for fidelity in ("analytical", "des")]
    + [("mobilenet_v2", hw, "analytical") for hw in PRESETS]
    + [("bert_base", hw, "analytical") for hw in PRESETS if hw != "eyeriss"]  # eyeriss: slow on BERT
)
CAUSES = tuple(CycleBreakdown.model_fields)


@functools.cache
def zoo(model, hw, fidelity="analytical", policy="w8a8"):
    return qcosim.simulate(model, hw, policy, fidelity=fidelity)


def by_cause(breakdown):
    return sum(getattr(breakdown, cause) for cause in CAUSES)


# -- Cycles add up ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("model", "hw", "fidelity"), CASES)
def test_cycles_add_up_by_cause(model, hw, fidelity):
    result = zoo(model, hw, fidelity)
    for layer in result.layers:
        assert layer.cycles == by_cause(layer.breakdown), layer.name
        assert layer.breakdown.idle_cycles == 0, layer.name
    assert result.totals.cycles == by_cause(result.totals.breakdown)


@pytest.mark.parametrize(("model", "hw"), [(m, hw) for m, hw, f in CASES if f == "analytical"])
def test_one_engine_runs_layers_back_to_back(model, hw):
    # Every preset has one MAC array: the analytical schedule starts each layer when the one
    # before it ends, so the critical path is every layer and nothing waits.
    assert len(load_hardware(hw).engines) == 1
    result = zoo(model, hw)
    end = 0
    for layer in result.layers:
        assert layer.start_cycle == end, layer.name
        end += layer.cycles
    assert result.totals.cycles == end
    assert result.totals.breakdown.idle_cycles == 0
    for cause in CAUSES:
        assert getattr(result.totals.breakdown, cause) == sum(getattr(r.breakdown, cause) for r in result.layers)


def test_hand_derived_gemm_breakdown(tiny):
    # The GEMM of test_golden.py, (8 x 16) @ (16 x 4), weight stationary on a 4 x 4 int8 array at
    # 1 GHz, 8 B/cycle DRAM with 10 ns latency, single-buffered. SCALE-Sim (arXiv:1811.02883,
    # Sec. IV): S_R = 16 -> 4 row folds, S_C = 4, T = 8 rows; each fold streams T = 8 cycles and
    # fills/drains 2 x 4 + 4 - 2 = 10: array 4 x 8 = 32, fill/drain 4 x 10 = 40 (72 compute).
    # DRAM: 1,984 bits / 64 bits per cycle = 31 cycles exposed + 10 latency in + 10 out = 51.
    gemm = Layer(name="fc", op="gemm", p=8, c=16, k=4)
    result = simulate(apply_quant(LayerGraph([gemm], name="fc"), "w8a8"), tiny(dram_bytes_per_cycle=8, latency_ns=10))
    assert result.layers[0].breakdown == CycleBreakdown(
        array_cycles=32, fill_drain_cycles=40, vector_cycles=0, buffer_port_cycles=0, dram_stall_cycles=51)
    assert result.totals.breakdown == result.layers[0].breakdown
    assert result.totals.cycles == 123


# -- Energy re-derived from the hardware description ------------------------------------------------------

@pytest.mark.parametrize("hw", ["edge-npu", "eyeriss", "bitfusion"])
def test_memory_and_dram_energy_recomputed_from_hwmodels(hw):
    acc = load_hardware(hw)
    table = acc.scaled_energy
    result = zoo("resnet18", hw)
    for layer in result.layers[:6]:  # conv, pool and an element-wise add among them
        on_chip = {t.level: t for t in layer.traffic if t.level != "dram"}
        for name, t in on_chip.items():
            level = acc.level(name)
            expected = t.read_bits * level.read_pj_per_bit(table) + t.write_bits * level.write_pj_per_bit(table)
            assert layer.energy.memory_pj.get(name, 0.0) == pytest.approx(expected, rel=1e-12), (layer.name, name)
        assert set(layer.energy.memory_pj) <= set(on_chip)
        dram = next(t for t in layer.traffic if t.level == "dram")
        assert layer.dram_bytes == (dram.read_bits + dram.write_bits) / 8
        assert layer.energy.dram_pj == pytest.approx((dram.read_bits + dram.write_bits) * acc.dram_pj_per_bit(),
                                                     rel=1e-12), layer.name


@pytest.mark.parametrize("hw", ["edge-npu", "bitfusion", "tpu-v1"])
def test_mac_and_leakage_energy_recomputed_from_hwmodels(hw):
    # Native int8 on all three: every MAC costs the engine's 8 x 8 MAC; leakage is the chip's
    # static power over the whole run, however the layers share it.
    acc = load_hardware(hw)
    result = zoo("resnet18", hw)
    for layer in result.layers:
        assert layer.energy.mac_pj == pytest.approx(layer.macs * acc.mac_pj(8, 8), rel=1e-12), layer.name
    assert result.totals.energy.leakage_pj == pytest.approx(acc.leakage_pj(result.totals.cycles), rel=1e-12)


@pytest.mark.parametrize("hw", ["edge-npu", "bit-serial"])
def test_total_energy_is_conserved_over_layers(hw):
    result = zoo("mobilenet_v2", hw)
    totals, layers = result.totals.energy, result.layers
    for field in ("mac_pj", "dram_pj", "vector_pj", "quant_pj", "leakage_pj"):
        assert getattr(totals, field) == pytest.approx(sum(getattr(r.energy, field) for r in layers), rel=1e-9)
    for level, pj in totals.memory_pj.items():
        assert pj == pytest.approx(sum(r.energy.memory_pj.get(level, 0.0) for r in layers), rel=1e-9)
    assert result.totals.energy_pj == pytest.approx(sum(r.energy_pj for r in layers), rel=1e-9)
    assert result.totals.dram_bytes == sum(r.dram_bytes for r in layers)


# -- Bytes conserved between producer and consumer ----------------------------------------------------------

@pytest.mark.parametrize(
    ("policy", "act_bits", "weight_bits", "scale_bits"),
    [
        ("w8a8", 8, 8, 32),        # per-tensor fp32 activation scale
        ("w4a4", 4, 4, 32),
        ("w8a8-asym", 8, 8, 40),   # fp32 scale + an 8-bit zero point (the element width)
    ],
)
def test_bytes_conserved_between_producer_and_consumer(policy, act_bits, weight_bits, scale_bits):
    # a: 4 -> 8 channels, b: 8 -> 16 channels, both 3x3 "same" convs on 8 x 8. a's output is
    # 8 x 8 x 8 = 512 elements. Each layer's whole input (a: 4 x 10 x 10, b: 512 elements) and
    # weights (16 x 8 x 9) fit their buffers; the mapper holds the inputs whole, so they are read
    # exactly once (and, held whole, the next rows load while the tile before computes: the 64 KiB
    # buffer is single-buffered, but has room for them). b splits its reduction (72) in two, so it
    # holds its outputs whole too: no partial sums leave the chip.
    a = Layer(name="a", op="conv", c=4, k=8, p=8, q=8, r=3, s=3, padding=(2, 2))
    b = Layer(name="b", op="conv", c=8, k=16, p=8, q=8, r=3, s=3, padding=(2, 2))
    graph = apply_quant(LayerGraph([a, b], [("a", "b", Tensor(name="a:out", shape=(1, 8, 8, 8)))], name="chain"),
                        policy)
    off, on = (simulate(graph, unified_hw(), SimOptions(keep_activations_on_chip=keep)) for keep in (False, True))
    tiling = {r.name: (r.mapping.tile_c, r.mapping.tile_y, r.mapping.resident) for r in off.layers}
    assert tiling == {"a": (4, 1, ("inputs",)), "b": (4, 1, ("inputs", "outputs"))}
    dram = {r.name: next(t for t in r.traffic if t.level == "dram") for r in off.layers}
    handed_over = 512 * act_bits + scale_bits
    b_weights = 16 * 8 * 9 * weight_bits + 16 * 32  # per-channel fp32 weight scales
    assert dram["a"].write_bits == handed_over
    assert dram["b"].read_bits == b_weights + handed_over
    # With residency on, the 64 KiB buffer keeps a's output: it never crosses the interface.
    dram_on = {r.name: next(t for t in r.traffic if t.level == "dram") for r in on.layers}
    assert dram_on["a"].write_bits == 0
    assert dram_on["b"].read_bits == b_weights


# -- Determinism ------------------------------------------------------------------------------------------

_SIMULATE = """
import qcosim
from simulator import SimOptions
for fidelity in ("analytical", "des"):
    options = SimOptions(fidelity=fidelity, record_timeline=True)
    print(qcosim.simulate("resnet18", "edge-npu", "w4a8", options=options).model_dump_json())
"""


def test_same_result_under_any_hash_seed():
    outputs = []
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", _SIMULATE], env=env, capture_output=True, text=True,
                              check=True, timeout=120)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    analytical, des = (json.loads(line) for line in outputs[0].splitlines())
    assert (analytical["fidelity"], des["fidelity"]) == ("analytical", "des") and des["timeline"]


def test_insertion_order_does_not_matter_when_the_execution_order_is_unique():
    # MobileNetV2 is a chain with skip edges: one topological order, whatever order the layers
    # are listed in. (Where branches tie, as ResNet's downsample and conv1 do, the listing order
    # is the program order by design (LayerGraph) and residency may legitimately change.)
    graph = apply_quant(load_workload("mobilenet_v2"), "w8a8")
    acc = load_hardware("edge-npu")
    reference = simulate(graph, acc)
    layers = graph.layers()
    random.Random(3).shuffle(layers)
    shuffled = LayerGraph(layers, graph.edges(), name=graph.name, inputs=graph.inputs)
    assert [x.name for x in shuffled.layers()] == [x.name for x in graph.layers()]
    result = simulate(shuffled, acc)
    assert result.totals == reference.totals
    assert result.layers == reference.layers


def test_result_depends_on_the_execution_order_not_the_insertion_order():
    # A shuffled ResNet-18 (its own execution order) and the same layers inserted already in that
    # order: nothing may depend on the order the nodes went into the graph.
    graph = apply_quant(load_workload("resnet18"), "w8a8")
    layers = graph.layers()
    random.Random(5).shuffle(layers)
    shuffled = LayerGraph(layers, graph.edges(), name=graph.name, inputs=graph.inputs)
    in_order = LayerGraph(shuffled.layers(), graph.edges(), name=graph.name, inputs=graph.inputs)
    acc = load_hardware("edge-npu")
    assert simulate(shuffled, acc).model_dump_json() == simulate(in_order, acc).model_dump_json()


def test_workload_digest_does_not_depend_on_edge_insertion_order():
    graph = apply_quant(load_workload("resnet18"), "w8a8")
    edges = graph.edges()
    random.Random(0).shuffle(edges)
    rebuilt = LayerGraph(graph.layers(), edges, name=graph.name, inputs=graph.inputs)
    acc = load_hardware("tpu-v1")
    first, second = simulate(graph, acc), simulate(rebuilt, acc)
    assert first.totals == second.totals and first.layers == second.layers  # same numbers ...
    assert first.provenance == second.provenance                              # ... same provenance


# -- Provenance and serialization -------------------------------------------------------------------------

def test_hardware_digest_follows_the_description():
    g = apply_quant(LayerGraph([Layer(name="fc", op="gemm", p=8, c=16, k=4)], name="fc"), "w8a8")
    twice = [simulate(g, load_hardware("edge-npu")).provenance.hardware_digest for _ in range(2)]
    assert twice[0] == twice[1]
    data = load_hardware("edge-npu").model_dump(mode="json")
    data["memory"][2]["size_bytes"] //= 2  # act_sram 256 -> 128 KiB
    assert simulate(g, parse_hardware(data)).provenance.hardware_digest != twice[0]
    small, large = (simulate(g, tiny_hw(buffer_bytes=size)).provenance.hardware_digest for size in (4096, 8192))
    assert small != large


def test_workload_digest_follows_the_policy_and_options_record_the_fidelity():
    w8, w4 = (zoo("resnet18", "tpu-v1", "analytical", policy) for policy in ("w8a8", "w4a8"))
    assert w8.provenance.workload_digest != w4.provenance.workload_digest
    assert (w8.provenance.policy, w4.provenance.policy) == ("w8a8", "w4a8")
    assert w8.provenance.options["fidelity"] == "analytical"
    assert zoo("resnet18", "tpu-v1", "des").provenance.options["fidelity"] == "des"


@pytest.mark.parametrize("fidelity", ["analytical", "des"])
def test_result_json_round_trips(fidelity):
    result = qcosim.simulate("resnet18", "bitfusion", "w4a8",
                             options=SimOptions(fidelity=fidelity, record_timeline=True))
    assert SimResult.model_validate_json(result.model_dump_json()) == result


def test_totals_only_result_has_the_same_totals():
    full = qcosim.simulate("mobilenet_v2", "edge-npu", "w8a8")
    compact = qcosim.simulate("mobilenet_v2", "edge-npu", "w8a8", options=SimOptions(keep_layers=False))
    assert compact.layers == []
    assert compact.totals == full.totals
    assert full.layers


# -- Precision-scalable compute ------------------------------------------------------------------------

def test_bit_fusion_runs_w4a8_at_twice_the_8x8_rate():
    # Bit Fusion (Sharma et al., ISCA 2018; bitfusion.yaml): a 16-brick unit does 1 MAC/cycle at
    # 8x8 and 2 at 4x8, so the 16 x 32 array is 32 columns wide at w8a8 and 64 at w4a8. A
    # (16 x 128) @ (128 x 128) GEMM fits the buffers in one tile; weight stationary: S_R = 128 ->
    # 8 row folds, S_C = 128 -> 4 column folds at w8a8, 2 at w4a8, T = 16 rows per fold.
    fc = Layer(name="fc", op="gemm", p=16, c=128, k=128)
    acc = load_hardware("bitfusion")
    w8, w4 = layer_cost(fc, acc, "w8a8"), layer_cost(fc, acc, "w4a8")
    assert (w8.mapping.lanes, w4.mapping.lanes) == (1, 2)
    assert w8.breakdown.array_cycles == 8 * 4 * 16 == 512
    assert w4.breakdown.array_cycles == 8 * 2 * 16 == 256
    assert w8.breakdown.array_cycles == 2 * w4.breakdown.array_cycles
    # Fill and drain per fold: 2R + C - 2 with R = 16 rows and C = the 32 physical columns: at w4a8 a
    # fused unit computes two columns' MACs side by side, so the pipeline across is still 32 PEs.
    assert w8.breakdown.fill_drain_cycles == 32 * (2 * 16 + 32 - 2)
    assert w4.breakdown.fill_drain_cycles == 16 * (2 * 16 + 32 - 2)
    assert (w8.peak_macs_per_cycle, w4.peak_macs_per_cycle) == (512, 1024)
