"""Value-aware traffic: run-length coded activations in DRAM and zero-gated MACs, by hand and by brute force.

The code is Eyeriss's (Chen et al., IEEE JSSC 52(1), 2017, Sec. IV-B, Fig. 8):
a run of up to 31 zeros as a 5-bit Run, the next value as a 16-bit Level,
three pairs and a last-word flag bit in a 64-bit word; the first layer's input
is stored uncoded. Zero gating (Sec. V-C): a zero ifmap value skips the
filter-scratchpad read and the MAC.
"""

import math

import numpy as np
import pytest

from hwmodels import load_hardware, parse_hardware
from hwmodels.sparsity import RunLengthCode
from simulator import simulate
from simulator.compression import activation_coding, coded_bits, coded_ratio, run_length_bits
from workloads import Layer, LayerGraph, apply_quant

EYERISS_CODE = RunLengthCode(run_bits=5, word_bits=64, flag_bits=1)


def encode_words(values: np.ndarray, run_bits: int = 5, pairs_per_word: int = 3) -> int:
    """64-bit words of Eyeriss's run-length code for ``values``, written out pair by pair."""
    longest, run, pairs = 2**run_bits - 1, 0, 0
    for value in values:
        if value == 0 and run < longest:
            run += 1
            continue
        pairs, run = pairs + 1, 0  # (run, level): a non-zero value, or a zero after a full run
    pairs += run > 0               # trailing zeros close with a last pair
    return math.ceil(pairs / pairs_per_word)


# -- the arithmetic, by hand --------------------------------------------------------------------------------

def test_dense_16_bit_values_take_a_third_of_a_word_each():
    # (64 bits) / (3 pairs) per value when nothing is zero: 21.33 bits, more than the raw 16,
    # so the code is bypassed (Eyeriss stores the first layer's input uncoded).
    assert run_length_bits(16, 1.0, EYERISS_CODE) == pytest.approx(64 / 3, rel=1e-12)
    assert coded_bits(16, 1.0, EYERISS_CODE) == 16
    assert coded_ratio(16, 1.0, EYERISS_CODE) == 1.0


@pytest.mark.parametrize(("density", "elements_per_pair"), [
    (0.5, 2 * (1 - 0.5**32)),         # sum_{k=0}^{31} 0.5^k
    (0.0, 32),                        # a pair per 31 zeros plus the zero that closes it
    (0.224, (1 - 0.776**32) / 0.224),  # Eyeriss CONV5 ifmaps: 77.6% zeros (JSSC Table V)
])
def test_run_length_bits_by_hand(density, elements_per_pair):
    assert run_length_bits(16, density, EYERISS_CODE) == pytest.approx(64 / 3 / elements_per_pair, rel=1e-12)


def test_pairs_per_word_follow_the_value_width():
    # 8-bit levels: (64 - 1) // (5 + 8) = 4 pairs per word -> 16 bits per dense value, 8 at 75% zeros
    # within (1 - 0.75^32) of it; a 64-bit value does not fit a word beside its run: stored raw.
    assert run_length_bits(8, 1.0, EYERISS_CODE) == pytest.approx(16.0, rel=1e-12)
    assert run_length_bits(8, 0.25, EYERISS_CODE) == pytest.approx(4 / (1 - 0.75**32), rel=1e-12)
    assert coded_bits(64, 0.1, RunLengthCode(run_bits=5, word_bits=64)) == 64
    assert coded_bits(16, 0.1, None) == 16


@pytest.mark.parametrize("zeros", [0.387, 0.725, 0.9])
def test_expected_bits_match_a_brute_force_encoder(zeros):
    # Independent check: encode a million i.i.d. values with the paper's rules and count the words.
    rng = np.random.default_rng(7)
    values = (rng.random(1_000_000) >= zeros).astype(np.int8)
    measured = encode_words(values) * 64 / len(values)
    assert run_length_bits(16, 1 - zeros, EYERISS_CODE) == pytest.approx(measured, rel=0.01)


def test_conv5_ifmap_saving_near_the_papers_75_percent():
    # JSSC 2017 Sec. IV-B: RLC saves "nearly 75%" of the fmap DRAM accesses of CONV5 (77.6% zeros in
    # its ifmaps, Table V). The i.i.d. model gives 70%.
    assert 1 - coded_ratio(16, 1 - 0.776, EYERISS_CODE) == pytest.approx(0.70, abs=0.01)


def test_activation_coding_reads_each_tensors_format_and_density():
    # Eyeriss CONV5 at 16 bits: 77.6% zeros in, the output taken as dense (coding bypassed); at 8 bits
    # four pairs fit a word, so 75% zeros halve an int8 tensor.
    conv = Layer(name="c", op="conv", k=8, c=8, p=4, q=4, input_density=0.224, output_density=1.0)
    at16 = apply_quant(LayerGraph([conv], name="c"), "wi16ai16").layer("c")
    ratio = 64 / 3 * 0.224 / (1 - 0.776**32) / 16
    assert activation_coding(at16, EYERISS_CODE) == (pytest.approx(ratio, rel=1e-12), 1.0)
    at8 = apply_quant(LayerGraph([conv.model_copy(update={"input_density": 0.25})], name="c"), "w8a8").layer("c")
    assert activation_coding(at8, EYERISS_CODE)[0] == pytest.approx(0.5 / (1 - 0.75**32), rel=1e-12)
    assert activation_coding(at16, None) == (1.0, 1.0)


# -- in the cost model ------------------------------------------------------------------------------------

def _hw(**sparsity):
    return parse_hardware({
        "name": "rlc", "clock_ghz": 1.0,
        "engines": [{"name": "pe", "rows": 4, "cols": 4, "precision": {"kind": "fixed", "native_bits": 8}}],
        "memory": [{"name": f"{op}_buf", "size_bytes": 1 << 20, "operands": [op]}
                   for op in ("weights", "inputs", "outputs")],
        "dram": {"bandwidth_gb_per_s": 8}, "sparsity": sparsity,
    })


def _gemm(**density):
    layer = Layer(name="fc", op="gemm", p=64, c=64, k=16, **density)
    return apply_quant(LayerGraph([layer], name="fc"), "w8a8")


def test_coded_activations_cross_dram_and_land_decoded():
    # 64 x 64 int8 inputs (32,768 bits) read once, 64 x 16 outputs (8,192 bits) written once; at 75%
    # zeros an 8-bit value codes to 4 / (1 - 0.75^32) bits: half the raw bits, plus a hair.
    coded = simulate(_gemm(input_density=0.25, output_density=0.25),
                     _hw(activation_compression={"kind": "run_length"}))
    raw = simulate(_gemm(input_density=0.25, output_density=0.25), _hw())
    ratio = 4 / (1 - 0.75**32) / 8
    dram = {r.level: r for r in coded.layers[0].traffic}["dram"]
    dram_raw = {r.level: r for r in raw.layers[0].traffic}["dram"]
    # w8a8: per-channel fp32 weight scales (16 x 32 bits), a per-tensor fp32 scale on each activation,
    # which crosses with it (the coded ratio is applied to the tensor as stored).
    weights_bits, inputs_bits, outputs_bits = 64 * 16 * 8 + 16 * 32, 64 * 64 * 8 + 32, 64 * 16 * 8 + 32
    assert (dram_raw.read_bits, dram_raw.write_bits) == (weights_bits + inputs_bits, outputs_bits)
    # (each operand's bits are rounded to a whole bit)
    assert abs(dram.read_bits - (weights_bits + inputs_bits * ratio)) <= 1
    assert dram.write_bits == math.ceil(outputs_bits * ratio)
    # On chip the decoder writes full values: buffer traffic does not change.
    on_chip = [t for t in coded.layers[0].traffic if t.level != "dram"]
    assert on_chip == [t for t in raw.layers[0].traffic if t.level != "dram"]


def test_dense_layers_and_chips_without_a_code_move_raw_bits():
    dense = simulate(_gemm(), _hw(activation_compression={"kind": "run_length"}))
    plain = simulate(_gemm(), _hw())
    assert dense.totals.dram_bytes == plain.totals.dram_bytes


def test_zero_gating_skips_macs_and_weight_register_reads():
    # Eyeriss (per-PE filter scratchpad, gating on): at 60% zeros in the input, 40% of the MACs and of
    # the filter-spad reads happen; the ifmap and psum scratchpads are read as before.
    eyeriss = load_hardware("eyeriss")
    conv = Layer(name="c", op="conv", k=16, c=16, p=13, q=13, r=3, s=3, padding=(2, 2))
    runs = {d: simulate(apply_quant(LayerGraph([conv.model_copy(update={"input_density": d})], name="c"),
                                    "wi16ai16"), eyeriss).layers[0] for d in (1.0, 0.4)}
    spad = {d: {t.level: t.read_bits for t in r.traffic} for d, r in runs.items()}
    assert runs[0.4].energy.mac_pj == pytest.approx(0.4 * runs[1.0].energy.mac_pj, rel=1e-12)
    assert runs[1.0].energy.mac_pj == pytest.approx(conv.macs * eyeriss.mac_pj(16, 16), rel=1e-12)
    assert spad[0.4]["filter_spad"] == pytest.approx(spad[1.0]["filter_spad"] - 0.6 * conv.macs * 16, abs=1)
    assert spad[0.4]["ifmap_spad"] == spad[1.0]["ifmap_spad"]
    assert spad[0.4]["psum_spad"] == spad[1.0]["psum_spad"]


def test_chips_without_gating_ignore_density():
    tpu = load_hardware("tpu-v1")
    layer = Layer(name="g", op="gemm", p=64, c=256, k=256)
    energies = [simulate(apply_quant(LayerGraph([layer.model_copy(update={"input_density": d})], name="g"),
                                     "w8a8"), tpu).totals.energy for d in (1.0, 0.3)]
    assert energies[0] == energies[1]


def test_densities_come_from_a_layer_list(tmp_path):
    from workloads import WorkloadError
    from workloads.layerlist import load_layer_list

    path = tmp_path / "net.yaml"
    path.write_text("name: net\nlayers:\n"
                    "  - {name: conv1, op: conv, k: 8, c: 3, p: 8, q: 8, r: 3, s: 3, output_density: 0.4}\n"
                    "  - {name: conv2, op: conv, k: 8, c: 8, p: 6, q: 6, r: 3, s: 3, input_density: 0.4}\n")
    graph = load_layer_list(path)
    assert (graph.layer("conv1").input_density, graph.layer("conv1").output_density) == (1.0, 0.4)
    assert graph.layer("conv2").input_density == 0.4
    path.write_text("layers:\n  - {name: c, op: conv, k: 8, c: 3, input_density: 1.5}\n")
    with pytest.raises(WorkloadError, match=r"layers\[0\]\.input_density"):
        load_layer_list(path)
