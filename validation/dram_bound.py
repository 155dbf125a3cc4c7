"""Memory-bound work next to its bound: LLM decode on every preset, and a large GEMM on TPU v1.

A decode step of LLaMA-7B reads every weight and the whole KV cache once and does
two MACs per weight byte at most, so no accelerator here can run it faster than
its weights and cache cross the DRAM interface: the bound is those bytes over the
preset's DRAM bandwidth. A 2048 x 4096 x 4096 int8 GEMM on TPU v1 moves its
compulsory 33.5 MB (weights 16.8 MB, inputs 8.4 MB, outputs 8.4 MB, all fitting
the 24 MiB unified buffer or streaming through the weight FIFO) and is bound by
the longer of that traffic and 34.4 G MACs at 65,536 MACs/cycle (Jouppi et al.,
ISCA 2017).

Run: ``.venv/bin/python validation/dram_bound.py``. tests/integration/test_validation.py
holds the tolerances (decode within 10% of its bound on tpu-v1, the GEMM at its
compulsory traffic and within 5% of its roofline bound).
"""

from __future__ import annotations

import sys

import qcosim
from hwmodels import load_hardware
from simulator import SimResult, simulate
from workloads import Layer, LayerGraph, apply_quant, load_workload
from workloads.footprint import operand_bits

DECODE = ("llama7b", {"phase": "decode", "kv_len": 1024}, "w8a8")
DECODE_PRESETS = ("tpu-v1", "edge-npu", "bitfusion", "bit-serial", "gemmini", "nvdla", "h100")
GEMM = Layer(name="gemm", op="gemm", p=2048, c=4096, k=4096)


def compulsory_bytes(graph: LayerGraph) -> float:
    """Bytes a step must read at least: every weight (KV cache included) with its scales, and the graph's
    first input and last output."""
    layers = graph.layers()
    weights = sum(operand_bits(layer).weights_bits + operand_bits(layer).aux_bits for layer in layers)
    return (weights + operand_bits(layers[0]).inputs_bits + operand_bits(layers[-1]).outputs_bits) / 8


def decode_rows() -> list[tuple[str, float, float]]:
    """(preset, simulated ms, DRAM-bound ms) of one LLaMA-7B decode step on each preset."""
    name, params, policy = DECODE
    graph = apply_quant(load_workload(name, params=params), policy)
    bytes_needed = compulsory_bytes(graph)
    rows = []
    for preset in DECODE_PRESETS:
        acc = load_hardware(preset)
        result = qcosim.simulate(name, preset, policy, params=params)
        bound_s = bytes_needed / (acc.dram_bytes_per_cycle * acc.clock_hz)
        rows.append((preset, result.totals.latency_s * 1e3, bound_s * 1e3))
    return rows


def gemm_run() -> tuple[SimResult, float, float]:
    """The GEMM on tpu-v1: its result, its compulsory bytes and its roofline bound in cycles."""
    graph = apply_quant(LayerGraph([GEMM], name="gemm"), "w8a8")
    acc = load_hardware("tpu-v1")
    result = simulate(graph, acc)
    needed = compulsory_bytes(graph)
    bound = max(GEMM.macs / acc.engines[0].macs_per_cycle(8, 8), needed / acc.dram_bytes_per_cycle)
    return result, needed, bound


def report() -> str:
    lines = [f"LLaMA-7B decode step (kv_len {DECODE[1]['kv_len']}, {DECODE[2]})",
             f"{'preset':12} {'sim ms':>9} {'bound ms':>9} {'ratio':>6}"]
    for preset, sim, bound in decode_rows():
        lines.append(f"{preset:12} {sim:9.2f} {bound:9.2f} {sim / bound:6.2f}")
    result, needed, bound = gemm_run()
    t = result.totals
    lines += ["", "GEMM 2048 x 4096 x 4096 int8 on tpu-v1",
              f"DRAM     simulated {t.dram_bytes / 1e6:8.2f} MB   compulsory {needed / 1e6:8.2f} MB   "
              f"ratio {t.dram_bytes / needed:.2f}",
              f"cycles   simulated {t.cycles:10,}   roofline {bound:12,.0f}   ratio {t.cycles / bound:.2f}   "
              f"({t.macs / (t.cycles * 65536):.0%} of peak)"]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(report() + "\n")
