"""Workload summary: bytes at each precision and BOPs, derived by hand."""

from workloads import Layer, LayerGraph, Tensor
from workloads.footprint import operand_bits
from workloads.policy import apply_quant
from workloads.summary import summarize


def _net():
    conv = Layer(name="conv", op="conv", k=64, c=64, p=56, q=56, r=3, s=3, padding=(2, 2))
    fc = Layer(name="fc", op="gemm", c=64 * 56 * 56, k=10, aux_params=10)
    t = Tensor(name="t", shape=(1, 64, 56, 56))
    return LayerGraph([conv, fc], [("conv", "fc", t)], name="net",
                      inputs={"conv": Tensor(name="x", shape=(1, 64, 56, 56))})


def test_bytes_scale_with_bits_per_policy():
    w_conv, w_fc = 64 * 64 * 9, 64 * 56 * 56 * 10
    fp32 = summarize(apply_quant(_net(), "fp32")).totals
    assert fp32.weight_bytes == (w_conv + w_fc + 10) * 4
    w8 = summarize(apply_quant(_net(), "w8a8")).totals
    # int8 + one fp32 scale per output channel (64 for conv, 10 for fc) + int32 bias.
    assert w8.weight_bytes == w_conv + 64 * 4 + w_fc + 10 * 4 + 10 * 4
    w4 = summarize(apply_quant(_net(), "w4a8")).totals
    assert w4.weight_bytes == w_conv // 2 + 64 * 4 + w_fc // 2 + 10 * 4 + 10 * 4
    # Activations at 8 bits: input tensor + both outputs, each with one fp32 per-tensor scale.
    acts = 64 * 56 * 56
    assert w8.activation_bytes == (acts + 4) + (acts + 4) + (10 + 4)
    assert w4.bops * 2 == w8.bops == (w_conv * 56 * 56 + w_fc) * 64
    assert fp32.macs == w8.macs == w4.macs


def test_kv_cache_operand_uses_kv_format():
    scores = Layer(name="qk", op="matmul", n=32, p=1, c=128, k=4096, kv_cache=True)
    g = apply_quant(LayerGraph([scores], name="attn"), "w8a8-kv4")
    bits = operand_bits(g.layer("qk"))
    elems = 32 * 128 * 4096
    # int4 KV, asymmetric, fp16 scale + 4-bit zero point per group of 128 along each key row.
    assert bits.weights_bits == elems * 4 + (elems // 128) * (16 + 4)
    assert bits.aux_bits == 0


def test_summary_json_shape():
    data = summarize(apply_quant(_net(), "w8a8"), policy="w8a8").model_dump()
    assert set(data["totals"]) == {"layers", "macs", "params", "weight_bytes", "activation_bytes", "bops"}
    assert [row["name"] for row in data["layers"]] == ["conv", "fc"]
    assert data["layers"][0]["quant"] == "w8a8"
