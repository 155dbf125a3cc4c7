"""Transformers as their reference code runs them: ViT-B/16, BERT-base, LLaMA-7B.

Layer names follow torchvision (``encoder.layers.encoder_layer_0.mlp.0``) and
Hugging Face (``encoder.layer.0.attention.self.query``,
``model.layers.0.mlp.gate_proj``); operations that are no module get a name
under their block (``self_attn.qk_matmul``, ``add``, ``add_1``).

Loop mapping. A linear layer is N=batch, P=tokens, Q=1, C=in, K=out. The two
attention matmuls are MATMUL layers whose second operand is an activation:
QK^T has N=batch x heads, P=queries, C=head_dim, K=keys; softmax x V has
N=batch x heads, P=queries, C=keys, K=head_dim. Attention runs densely over
all query-key pairs (a causal mask changes values, not the work a dense
kernel does); the 1/sqrt(d) scale and the mask are not layers of their own.

Vector work per output element comes from `workloads.vector_ops`, the table
the ONNX importer reads too: softmax 5, GELU 5, SiLU 4, tanh 1, rotary
embedding 3, residual add 1, LayerNorm 7, RMSNorm 4.

Parameters. Tensors read whole on every pass are layer parameters: ViT's
class token (``aux_params`` of the ``class_token`` concat) and position
embedding (``aux_params`` of the ``encoder.pos_embedding`` add). Embedding
lookup tables are not: a lookup (``Gather``, a data-movement layer) reads
one row per token, and its input count is exactly those rows, whereas
``aux_params`` would price the whole table on every pass. Their sizes are in
`ModelInfo.embedding_params`; graph params + embedding params = the
framework's ``sum(p.numel())``.
"""

from __future__ import annotations

from collections.abc import Sequence

from workloads.graph import LayerGraph
from workloads.layers import Layer, OpKind
from workloads.vector_ops import OPS_PER_OUTPUT
from workloads.zoo.builder import GraphBuilder, Port
from workloads.zoo.params import PATCH, BertParams, LlamaParams, VitParams

__all__ = ["vit_b16", "bert_base", "llama7b", "VIT_B16", "BERT_BASE", "LLAMA_7B"]

VIT_B16 = {"layers": 12, "hidden": 768, "heads": 12, "mlp": 3072, "classes": 1000}
"""ViT-Base (Dosovitskiy et al., 2021, Table 1)."""
BERT_BASE = {"layers": 12, "hidden": 768, "heads": 12, "mlp": 3072, "vocab": 30522, "positions": 512,
             "token_types": 2}
"""BERT-base (Devlin et al., 2019, Sec. 3) with the bert-base-uncased vocabulary."""
LLAMA_7B = {"layers": 32, "hidden": 4096, "heads": 32, "mlp": 11008, "vocab": 32000}
"""LLaMA-7B (Touvron et al., 2023, Table 2; MLP width from the released code)."""


def _attention(b: GraphBuilder, qk: Sequence[Port], v: Port, prefix: str, *, heads: int, queries: int,
               keys: int, kv_cache: bool = False) -> Port:
    """Scaled dot-product attention: QK^T, softmax, x V; returns (batch, queries, hidden)."""
    batch, hidden = v.shape[0], v.shape[-1]
    head_dim, n = hidden // heads, batch * heads
    scores = b.place(
        Layer(name=f"{prefix}.qk_matmul", op=OpKind.MATMUL, source_op="MatMul", n=n, p=queries, c=head_dim,
              k=keys, kv_cache=kv_cache),
        qk, (batch, heads, queries, keys),
    )
    probs = b.place(
        Layer(name=f"{prefix}.softmax", op=OpKind.SOFTMAX, source_op="Softmax", n=n, p=queries, c=keys,
              k=keys, ops_per_output=OPS_PER_OUTPUT["Softmax"]),
        [scores], scores.shape,
    )
    return b.place(
        Layer(name=f"{prefix}.av_matmul", op=OpKind.MATMUL, source_op="MatMul", n=n, p=queries, c=keys,
              k=head_dim, kv_cache=kv_cache),
        [probs, v], (batch, queries, hidden),
    )


def _vit_block(b: GraphBuilder, x: Port, prefix: str) -> Port:
    cfg = VIT_B16
    hidden, tokens = cfg["hidden"], x.shape[1]
    h = b.layer_norm(x, f"{prefix}.ln_1")
    # torch.nn.MultiheadAttention projects Q, K and V with one in_proj matrix.
    qkv = b.linear(h, f"{prefix}.self_attention.in_proj", 3 * hidden)
    qk = qkv.view("q,k", (x.shape[0], tokens, 2 * hidden))
    v = qkv.view("v", (x.shape[0], tokens, hidden))
    h = _attention(b, [qk], v, f"{prefix}.self_attention", heads=cfg["heads"], queries=tokens, keys=tokens)
    h = b.linear(h, f"{prefix}.self_attention.out_proj", hidden)
    x = b.elementwise([h, x], f"{prefix}.add")
    h = b.linear(b.layer_norm(x, f"{prefix}.ln_2"), f"{prefix}.mlp.0", cfg["mlp"])
    h = b.activation(h, f"{prefix}.mlp.1", source_op="Gelu")
    h = b.linear(h, f"{prefix}.mlp.3", hidden)
    return b.elementwise([x, h], f"{prefix}.add_1")


def vit_b16(params: VitParams) -> LayerGraph:
    """ViT-B/16 image classifier, torchvision ``vit_b_16`` layout."""
    cfg, batch = VIT_B16, params.batch
    hidden, grid = cfg["hidden"], params.image_size // PATCH
    tokens = grid * grid + 1
    b = GraphBuilder("vit_b16")
    x = b.input("input", (batch, 3, params.image_size, params.image_size))
    x = b.conv(x, "conv_proj", hidden, kernel=PATCH, stride=PATCH, bias=True)
    x = x.reshape((batch, grid * grid, hidden))
    # The class token is a row prepended to the patch tokens: one row of "padding" on the P axis,
    # so that the concat reads its grid*grid input rows and writes grid*grid + 1.
    x = b.place(
        Layer(name="class_token", op=OpKind.DATA_MOVEMENT, source_op="Concat", n=batch, c=hidden, k=hidden,
              p=tokens, padding=(1, 0), aux_params=hidden),
        [x], (batch, tokens, hidden),
    )
    x = b.elementwise([x], "encoder.pos_embedding", aux_params=tokens * hidden)
    for i in range(cfg["layers"]):
        x = _vit_block(b, x, f"encoder.layers.encoder_layer_{i}")
    x = b.layer_norm(x, "encoder.ln")
    b.linear(x.view(":, 0", (batch, hidden)), "heads.head", cfg["classes"])
    return b.build()


def _bert_layer(b: GraphBuilder, x: Port, prefix: str) -> Port:
    cfg = BERT_BASE
    hidden, tokens = cfg["hidden"], x.shape[1]
    q, k, v = (b.linear(x, f"{prefix}.attention.self.{name}", hidden) for name in ("query", "key", "value"))
    h = _attention(b, [q, k], v, f"{prefix}.attention.self", heads=cfg["heads"], queries=tokens, keys=tokens)
    h = b.linear(h, f"{prefix}.attention.output.dense", hidden)
    x = b.elementwise([h, x], f"{prefix}.attention.output.add")
    x = b.layer_norm(x, f"{prefix}.attention.output.LayerNorm")
    h = b.linear(x, f"{prefix}.intermediate.dense", cfg["mlp"])
    h = b.activation(h, f"{prefix}.intermediate.intermediate_act_fn", source_op="Gelu")
    h = b.linear(h, f"{prefix}.output.dense", hidden)
    return b.layer_norm(b.elementwise([h, x], f"{prefix}.output.add"), f"{prefix}.output.LayerNorm")


def bert_base(params: BertParams) -> LayerGraph:
    """BERT-base encoder with pooler (Hugging Face ``BertModel``, bert-base-uncased)."""
    cfg, batch, tokens = BERT_BASE, params.batch, params.seq_len
    shape = (batch, tokens, cfg["hidden"])
    b = GraphBuilder("bert_base")
    words = b.gather(b.input("input_ids", (batch, tokens)), "embeddings.word_embeddings", shape)
    types = b.gather(b.input("token_type_ids", (batch, tokens)), "embeddings.token_type_embeddings", shape)
    x = b.elementwise([words, types], "embeddings.add")
    positions = b.gather(None, "embeddings.position_embeddings", shape)
    x = b.layer_norm(b.elementwise([x, positions], "embeddings.add_1"), "embeddings.LayerNorm")
    for i in range(cfg["layers"]):
        x = _bert_layer(b, x, f"encoder.layer.{i}")
    x = b.linear(x.view(":, 0", (batch, cfg["hidden"])), "pooler.dense", cfg["hidden"])
    b.activation(x, "pooler.activation", source_op="Tanh")
    return b.build()


def _llama_layer(b: GraphBuilder, x: Port, prefix: str, keys: int) -> Port:
    cfg = LLAMA_7B
    hidden, tokens = cfg["hidden"], x.shape[1]
    h = b.rms_norm(x, f"{prefix}.input_layernorm")
    q, k, v = (b.linear(h, f"{prefix}.self_attn.{name}_proj", hidden, bias=False) for name in "qkv")
    q, k = (b.elementwise([t], f"{prefix}.self_attn.rotary_{name}", source_op="RotaryEmbedding") for t, name in ((q, "q"), (k, "k")))
    h = _attention(b, [q, k], v, f"{prefix}.self_attn", heads=cfg["heads"], queries=tokens, keys=keys,
                   kv_cache=True)
    x = b.elementwise([x, b.linear(h, f"{prefix}.self_attn.o_proj", hidden, bias=False)], f"{prefix}.add")
    h = b.rms_norm(x, f"{prefix}.post_attention_layernorm")
    gate = b.linear(h, f"{prefix}.mlp.gate_proj", cfg["mlp"], bias=False)
    gate = b.activation(gate, f"{prefix}.mlp.act_fn", source_op="Silu")
    up = b.linear(h, f"{prefix}.mlp.up_proj", cfg["mlp"], bias=False)
    h = b.elementwise([gate, up], f"{prefix}.mlp.mul", source_op="Mul")
    h = b.linear(h, f"{prefix}.mlp.down_proj", hidden, bias=False)
    return b.elementwise([x, h], f"{prefix}.add_1")


def llama7b(params: LlamaParams) -> LayerGraph:
    """LLaMA-7B decoder (Hugging Face ``LlamaForCausalLM``), one prefill pass or one decode step.

    Prefill runs ``seq_len`` tokens against ``seq_len`` keys and computes
    logits for every token, as ``LlamaForCausalLM.forward`` does. Decode runs
    one token per sequence against ``kv_len + 1`` keys: the cache plus itself.
    """
    cfg, batch = LLAMA_7B, params.batch
    tokens = params.seq_len if params.phase == "prefill" else 1
    keys = params.seq_len if params.phase == "prefill" else params.kv_len + 1
    b = GraphBuilder("llama7b")
    x = b.gather(b.input("input_ids", (batch, tokens)), "model.embed_tokens", (batch, tokens, cfg["hidden"]))
    for i in range(cfg["layers"]):
        x = _llama_layer(b, x, f"model.layers.{i}", keys)
    b.linear(b.rms_norm(x, "model.norm"), "lm_head", cfg["vocab"], bias=False)
    return b.build()
