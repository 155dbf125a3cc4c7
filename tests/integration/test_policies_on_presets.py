"""Every policy of the README's grammar runs on a preset, and LLM formats cost what they should.

The grammar block of README.md is read here, so a base, operand format or
modifier added to the README without a case below fails
`test_cases_cover_the_readme_grammar`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import qcosim
from hwmodels import float_mult_pj, load_hardware

README = Path(__file__).resolve().parents[2] / "README.md"
TINY = str(Path(__file__).resolve().parents[2] / "examples" / "tiny-cnn.yaml")
DECODE = {"phase": "decode", "kv_len": 128}
QK = "model.layers.0.self_attn.qk_matmul"

# (policy, preset, workload, params, layer, executed (weight, activation) formats on that layer)
CASES = [
    ("fp32", "h100", TINY, {}, "conv2", ("fp32", "fp32")),
    ("fp16", "nvdla", TINY, {}, "conv2", ("fp16", "fp16")),
    ("bf16", "h100", TINY, {}, "conv2", ("bf16", "bf16")),
    ("fp8", "h100", TINY, {}, "conv2", ("fp8_e4m3", "fp8_e4m3")),
    ("fp8e5m2", "h100", TINY, {}, "conv2", ("fp8_e5m2", "fp8_e5m2")),
    ("declared", "h100", TINY, {}, "conv2", ("fp32", "fp32")),  # conv2 declares nothing: fp32
    ("w8a8", "gemmini", TINY, {}, "conv2", ("int8", "int8")),
    ("w1a1", "bitfusion", TINY, {}, "conv2", ("int2", "int2")),  # binary on 2-bit bricks
    ("wtab", "bitfusion", TINY, {}, "conv2", ("int2", "int2")),
    ("w4a8", "nvdla", TINY, {}, "conv2", ("int8", "int8")),  # int4 pads to the int8 lanes
    ("w4a16", "nvdla", TINY, {}, "conv2", ("fp16", "fp16")),  # weight-only: dequantized to fp16
    ("w8a32", "h100", TINY, {}, "conv2", ("fp32", "fp32")),
    ("wi12ai16", "nvdla", TINY, {}, "conv2", ("int16", "int16")),
    ("w4afp8", "h100", TINY, {}, "conv2", ("fp8_e4m3", "fp8_e4m3")),
    ("we4m3ae4m3", "h100", TINY, {}, "conv2", ("fp8_e4m3", "fp8_e4m3")),
    ("we5m2ae5m2", "h100", TINY, {}, "conv2", ("fp8_e5m2", "fp8_e5m2")),
    ("w4abf16-g128", "h100", TINY, {}, "conv2", ("bf16", "bf16")),
    ("w4a16-g128", "h100", TINY, {}, "conv2", ("fp16", "fp16")),
    ("w4a8-pc", "gemmini", TINY, {}, "conv2", ("int8", "int8")),
    ("w8a8-pt", "gemmini", TINY, {}, "conv2", ("int8", "int8")),
    ("w4a8-cb", "gemmini", TINY, {}, "conv2", ("int8", "int8")),  # codebook levels are int8
    ("w8a8-asym", "gemmini", TINY, {}, "conv2", ("int8", "int8")),
    ("w8a8-dyn", "nvdla", TINY, {}, "conv2", ("int8", "int8")),
    ("w4a8-fake", "h100", TINY, {}, "conv2", ("fp32", "fp32")),  # simulated: computes in fp32
    ("w8a8-fp32rq", "gemmini", TINY, {}, "conv2", ("int8", "int8")),
    ("w4a8-fl8", "bitfusion", TINY, {}, "conv2", ("int4", "int8")),  # conv2 is neither first nor last
    ("w8a8-kv4", "h100", "llama7b", DECODE, QK, ("int8", "int8")),  # int4 KV pads to int8
    ("fp8-kv4", "h100", "llama7b", DECODE, QK, ("fp8_e4m3", "fp8_e4m3")),  # int4 KV dequantized to fp8
    ("w4a16-g128-kvfp8", "h100", "llama7b", DECODE, QK, ("fp16", "fp16")),  # fp8 KV meets fp16 queries
]


@pytest.mark.parametrize(("policy", "hw", "model", "params", "layer", "formats"), CASES,
                         ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_policy_runs_on_a_preset(policy, hw, model, params, layer, formats):
    result = qcosim.simulate(model, hw, policy, params=params)
    by_name = {r.name: r for r in result.layers}
    assert by_name[layer].mapping.executed_formats == formats
    assert result.totals.cycles > 0 and result.totals.energy_pj > 0


def _grammar() -> dict[str, list[str]]:
    """Alternatives of BASE, FMT and MODIFIER in the README's policy grammar."""
    text = README.read_text(encoding="utf-8")
    block = text[text.index("POLICY   :="):]
    block = block[:block.index("```")]
    rules: dict[str, list[str]] = {}
    rule = ""
    for line in block.splitlines():
        head = re.match(r"\s*([A-Z]+)\s*:=\s*(.*)", line)
        if head:
            rule, body = head.groups()
        else:
            body = line.strip().removeprefix("|")
        if rule == "MODIFIER":  # NAME [| NAME]  description
            names = re.match(r"\s*([A-Za-z0-9]+(?:\s*\|\s*[A-Za-z0-9]+)*)", body)
            rules.setdefault(rule, []).extend(n.strip() for n in names.group(1).split("|"))
        elif rule in ("BASE", "FMT"):
            body = re.sub(r"\([^)]*\)", "", body)
            rules.setdefault(rule, []).extend(t.strip() for t in body.split("|") if t.strip())
    return rules


def _covers(alternative: str, token: str) -> bool:
    pattern = {"gN": r"g\d+", "kvFMT": r"kv.+", "iN": r"i\d+", "1..8": r"[1-8]"}.get(alternative)
    return bool(re.fullmatch(pattern, token)) if pattern else alternative == token


def test_cases_cover_the_readme_grammar():
    rules = _grammar()
    assert "kvFMT" in rules["MODIFIER"] and "iN" in rules["FMT"] and "declared" in rules["BASE"]
    policies = [case[0] for case in CASES]
    bases = [p.split("-")[0] for p in policies]
    modifiers = [m for p in policies for m in p.split("-")[1:]]
    operands = [t for b in bases if (m := re.fullmatch(r"w(.+?)a(.+)", b)) for t in m.groups()]
    for base in rules["BASE"]:
        if base != '"w" FMT "a" FMT':
            assert base in bases, f"README base {base!r} has no case"
    for fmt in rules["FMT"]:
        assert any(_covers(fmt, t) for t in operands), f"README operand format {fmt!r} has no case"
    for modifier in rules["MODIFIER"]:
        assert any(_covers(modifier, m) for m in modifiers), f"README modifier {modifier!r} has no case"


@pytest.fixture(scope="module")
def runs():
    return {q: qcosim.simulate("llama7b", "h100", q, params={"phase": "decode", "kv_len": 2048})
            for q in ("fp16", "w4a16-g128")}


class TestLlamaDecodeOnH100:
    """Llama-7B decode on the H100-class preset: weight-only int4 moves a quarter of the fp16 bytes."""

    # Llama-7B's weight GEMMs (Touvron et al., 2023): per block q, k, v, o of 4096 x 4096 and
    # gate, up, down of 4096 x 11008; 32 blocks; lm_head 4096 x 32000.
    WEIGHTS = 32 * (4 * 4096 * 4096 + 3 * 4096 * 11008) + 4096 * 32000  # 6,607,077,376

    def test_each_projection_moves_its_weights_once_at_the_packed_width(self, runs):
        # Decode reads every weight once; int4 + one fp16 scale per 128 = 4.125 bits.
        q_proj = "model.layers.0.self_attn.q_proj"
        fp16 = next(r for r in runs["fp16"].layers if r.name == q_proj)
        w4 = next(r for r in runs["w4a16-g128"].layers if r.name == q_proj)
        assert fp16.dram_bytes == 4096 * 4096 * 16 / 8
        assert w4.dram_bytes == 4096 * 4096 * 4.125 / 8
        assert w4.dram_bytes / fp16.dram_bytes == 4.125 / 16

    def test_the_whole_decode_saves_the_weight_bytes_and_nothing_else(self, runs):
        # KV cache and activations stay fp16 in both runs, so the DRAM difference is the weights'.
        saved = runs["fp16"].totals.dram_bytes - runs["w4a16-g128"].totals.dram_bytes
        assert saved == self.WEIGHTS * (16 - 4.125) / 8
        assert runs["w4a16-g128"].totals.dram_bytes >= self.WEIGHTS * 4.125 / 8

    def test_dequantization_is_one_fp16_multiply_per_weight_read(self, runs):
        # Every int4 weight is dequantized once on its way to the fp16 tensor cores.
        table = load_hardware("h100").scaled_energy
        q_proj = next(r for r in runs["w4a16-g128"].layers if r.name == "model.layers.0.self_attn.q_proj")
        assert q_proj.mapping.executed_formats == ("fp16", "fp16")
        assert q_proj.quant_overhead.dequant_pj == pytest.approx(4096 * 4096 * float_mult_pj("fp16", table))
        assert next(r for r in runs["fp16"].layers if r.name == q_proj.name).quant_overhead.dequant_pj == 0
