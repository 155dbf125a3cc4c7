"""The built-in zoo against published parameter and MAC counts, and its API contract.

Sources of the figures checked here:

- torchvision weights metadata (``torchvision/models/*.py``, the ``meta`` of
  each ``*_Weights.IMAGENET1K_V1``; shown as "Params" and "GFLOPS" in the
  torchvision model docs): ``num_params`` is ``sum(p.numel())`` and ``_ops`` is
  GMACs of convolutions, linear layers and matmuls, counting one MAC as one
  operation.
- Devlin et al., "BERT", NAACL 2019, Sec. 3: BERT-base has L=12 layers,
  H=768, A=12 heads, 110M parameters; the feed-forward width is 4H = 3072.
  The vocabulary (30522), position table (512) and token types (2) are those
  of the released bert-base-uncased checkpoint (its config.json).
- Touvron et al., "LLaMA: Open and Efficient Foundation Language Models",
  2023, Table 2: the 7B model has dimension 4096, 32 heads, 32 layers and
  6.7B parameters; vocabulary 32000 (Sec. 2.1, "32k tokens"); MLP width 11008
  is 2/3 * 4 * 4096 rounded up to a multiple of 256, as in the released code.
"""

import time

import pytest

from workloads import OpKind, WorkloadError, fuse
from workloads.zoo import ModelInfo, build_model, list_models, model_info

MODELS = ["resnet18", "resnet50", "mobilenet_v2", "vgg16", "vit_b16", "bert_base", "llama7b"]


def _macs(graph):
    return graph.totals()["macs"]


def _params(graph):
    return graph.totals()["params"]


# -- published figures ----------------------------------------------------------------------

# (name, torchvision `_ops` in GMACs, half a unit of its last printed digit, torchvision `num_params`)
# The MAC figures are printed rounded, so the tolerance is exactly the rounding: half a unit in
# the last digit. Parameter counts are printed in full, so they must match exactly.
TORCHVISION = [
    ("resnet18", 1.814, 0.0005, 11_689_512),  # ResNet18_Weights.IMAGENET1K_V1
    ("resnet50", 4.089, 0.0005, 25_557_032),  # ResNet50_Weights.IMAGENET1K_V1
    ("mobilenet_v2", 0.301, 0.0005, 3_504_872),  # MobileNet_V2_Weights.IMAGENET1K_V1
    ("vgg16", 15.47, 0.005, 138_357_544),  # VGG16_Weights.IMAGENET1K_V1
    ("vit_b16", 17.564, 0.0005, 86_567_656),  # ViT_B_16_Weights.IMAGENET1K_V1
]


@pytest.mark.parametrize(("name", "gmacs", "half_digit", "params"), TORCHVISION)
def test_torchvision_models_match_published_macs_and_params(name, gmacs, half_digit, params):
    g = build_model(name)  # batch 1, 224x224
    assert _macs(g) / 1e9 == pytest.approx(gmacs, abs=half_digit)
    assert _params(g) == params


def test_resnet50_stem_by_hand():
    # 7x7x3 kernel, 64 filters, 112x112 outputs: 147 * 64 * 12544 MACs.
    conv1 = build_model("resnet50").layer("conv1")
    assert conv1.macs == 7 * 7 * 3 * 64 * 112 * 112 == 118_013_952
    assert conv1.input_hw == (224, 224)


def test_vit_b16_macs_by_hand_include_attention_matmuls():
    # 196 patches + class token = 197 tokens; hidden 768, 12 heads of 64, MLP 3072.
    tokens, hidden, heads, mlp = 197, 768, 12, 3072
    per_layer = (
        tokens * hidden * 3 * hidden  # in_proj (Q, K, V)
        + 2 * heads * tokens * tokens * (hidden // heads)  # QK^T and softmax x V
        + tokens * hidden * hidden  # out_proj
        + 2 * tokens * hidden * mlp  # mlp.0 and mlp.3
    )
    expected = 196 * hidden * (3 * 16 * 16) + 12 * per_layer + hidden * 1000  # patches, layers, head
    g = build_model("vit_b16")
    assert _macs(g) == expected == 17_563_828_224
    # torchvision's 17.564 counts the attention matmuls: without them it would be 16.85 G.
    matmuls = sum(layer.macs for layer in g.layers() if layer.op is OpKind.MATMUL)
    assert matmuls == 12 * 2 * heads * tokens * tokens * 64
    assert (_macs(g) - matmuls) / 1e9 == pytest.approx(16.849, abs=0.0005)


def test_bert_base_macs_by_hand():
    # Per layer at S=128: Q, K, V, output projections 4*S*H^2; attention 2*A*S^2*(H/A);
    # feed-forward 2*S*H*4H. Plus the pooler on the first token, H^2.
    s, h, a = 128, 768, 12
    per_layer = 4 * s * h * h + 2 * a * s * s * (h // a) + 2 * s * h * 4 * h
    expected = 12 * per_layer + h * h
    g = build_model("bert_base")
    assert _macs(g) == expected == 11_174_215_680
    # The rounded figure usually quoted, 11.2 GMACs (22.4 GFLOPs): within half its last digit.
    assert _macs(g) / 1e9 == pytest.approx(11.2, abs=0.05)


def test_bert_base_params_add_up_to_the_checkpoint():
    h, ffn = 768, 3072
    per_layer = 4 * (h * h + h) + 2 * h + (h * ffn + ffn) + (ffn * h + h) + 2 * h  # attention, FFN, 2 LNs
    embeddings = (30522 + 512 + 2) * h  # word, position, token-type tables
    total = embeddings + 2 * h + 12 * per_layer + (h * h + h)  # + embedding LayerNorm, pooler
    # bert-base-uncased BertModel: sum(p.numel()) = 109,482,240; Devlin et al. round it to 110M.
    assert total == 109_482_240
    g = build_model("bert_base")
    # Lookup tables are not layer params (a lookup reads one row per token): see workloads.zoo.
    assert model_info("bert_base").embedding_params == embeddings
    assert _params(g) == total - embeddings == 85_646_592


def test_llama7b_params_add_up_to_6_7b():
    h, ffn, vocab, layers = 4096, 11008, 32000, 32
    per_layer = 4 * h * h + 3 * h * ffn + 2 * h  # q, k, v, o; gate, up, down; two RMSNorm gammas
    total = vocab * h + layers * per_layer + h + h * vocab  # embed_tokens, layers, final norm, lm_head
    assert total == 6_738_415_616
    assert total / 1e9 == pytest.approx(6.7, abs=0.05)  # Touvron et al. 2023, Table 2: 6.7B
    g = build_model("llama7b")
    assert model_info("llama7b").embedding_params == vocab * h
    assert _params(g) == total - vocab * h == 6_607_343_616


def _llama_weight_macs_per_token():
    # Every weight multiplies once per token: layers' projections and the lm_head.
    h, ffn, vocab = 4096, 11008, 32000
    return 32 * (4 * h * h + 3 * h * ffn) + h * vocab


def test_llama7b_prefill_macs_by_hand():
    # Per layer and sequence: QK^T is heads * S * S * head_dim = 4096 * S^2 MACs, softmax x V the same.
    b, s = 2, 300
    expected = b * s * _llama_weight_macs_per_token() + 32 * 2 * b * 4096 * s * s
    assert _llama_weight_macs_per_token() == 6_607_077_376  # = params without embeddings and norms
    assert _macs(build_model("llama7b", batch=b, seq_len=s)) == expected
    assert _macs(build_model("llama7b")) == 512 * 6_607_077_376 + 64 * 4096 * 512 * 512


def test_llama7b_decode_grows_with_the_kv_cache_as_attention_predicts():
    b = 4
    macs = {kv: _macs(build_model("llama7b", batch=b, phase="decode", kv_len=kv)) for kv in (0, 1000, 2047)}
    # One new token attends to kv_len + 1 keys in each of 32 layers, in QK^T and softmax x V.
    for kv, value in macs.items():
        assert value == b * _llama_weight_macs_per_token() + 32 * 2 * b * 4096 * (kv + 1)
    assert macs[2047] - macs[1000] == 32 * 2 * b * 4096 * 1047


def test_llama7b_decode_layers():
    g = build_model("llama7b", phase="decode", kv_len=2047)
    qk = g.layer("model.layers.31.self_attn.qk_matmul")
    av = g.layer("model.layers.31.self_attn.av_matmul")
    assert (qk.n, qk.p, qk.c, qk.k, qk.kv_cache) == (32, 1, 128, 2048, True)
    assert (av.n, av.p, av.c, av.k, av.kv_cache) == (32, 1, 2048, 128, True)
    assert g.layer("lm_head").p == 1
    assert g.inputs == {"model.embed_tokens": g.inputs["model.embed_tokens"]}
    assert g.inputs["model.embed_tokens"].shape == (1, 1)


# -- scaling and fusion ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", MODELS)
def test_macs_scale_linearly_with_batch_and_params_do_not(name):
    one, three = build_model(name), build_model(name, batch=3)
    assert _macs(three) == 3 * _macs(one)
    assert _params(three) == _params(one)


@pytest.mark.parametrize("name", MODELS)
def test_fusion_keeps_macs_and_params(name):
    g = build_model(name)
    f = fuse(g)
    assert (_macs(f), _params(f)) == (_macs(g), _params(g))
    assert len(f) < len(g)


@pytest.mark.parametrize(("name", "blocks"), [("resnet18", 8), ("resnet50", 16)])
def test_fusion_folds_every_resnet_batch_norm_and_relu(name, blocks):
    f = fuse(build_model(name))
    assert not f.select(op="norm")
    # Every ReLU folds: into its conv, or (after a residual add) into the add, as compilers do.
    assert not f.select(op="activation")
    adds = f.select(op="elementwise")
    assert len(adds) == blocks
    assert all(f.layer(a).fused == ("Relu",) for a in adds)
    assert f.layer("conv1").fused == ("BatchNormalization", "Relu")
    assert f.layer("layer1.0.conv1").aux_params == 2 * 64


# -- graph conventions ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "mobilenet_v2", "vgg16"])
def test_cnn_layers_read_their_real_input_size(name):
    # Effective padding (negative where strided windows skip the last rows, as in ResNet's 1x1/2
    # downsample) makes each layer's implied input equal to the tensor that feeds it.
    g = build_model(name)
    feeds = [(g.layer(dst), t) for _, dst, t in g.edges()]
    feeds += [(g.layer(dst), t) for dst, t in g.inputs.items()]
    for layer, tensor in feeds:
        if len(tensor.shape) == 4:
            _, channels, rows, cols = tensor.shape
            assert layer.c == channels, layer.name
            assert layer.input_hw == (rows, cols), layer.name


@pytest.mark.parametrize("name", MODELS)
def test_edges_carry_the_producer_output(name):
    # An edge carries the producer's whole output, or a slice of it (tensor names with [...]).
    g = build_model(name, batch=2)
    for src, _, tensor in g.edges():
        if "[" not in tensor.name:
            assert tensor.elements == g.layer(src).output_elements, (src, tensor)
            assert tensor.shape[0] == 2


def test_vit_class_token_and_position_embedding_are_parameters():
    g = build_model("vit_b16", image_size=384)
    tokens = (384 // 16) ** 2 + 1
    cls = g.layer("class_token")
    assert (cls.op, cls.aux_params, cls.p) == (OpKind.DATA_MOVEMENT, 768, tokens)
    assert cls.input_hw == (tokens - 1, 1)  # it reads the patch tokens only
    pos = g.layer("encoder.pos_embedding")
    assert (pos.op, pos.aux_params, pos.input_tensors) == (OpKind.ELEMENTWISE, tokens * 768, 1)
    assert g.layer("encoder.layers.encoder_layer_0.self_attention.qk_matmul").k == tokens


def test_vgg16_pools_to_7x7_only_when_needed():
    assert "avgpool" not in build_model("vgg16")  # 224 px: the 7x7 adaptive pool is an identity
    g = build_model("vgg16", image_size=256)  # 8x8 features: 2x2 windows at stride 1
    pool = g.layer("avgpool")
    assert (pool.p, pool.r, pool.stride, pool.input_hw) == (7, 2, (1, 1), (8, 8))
    assert g.layer("classifier.0").c == 512 * 7 * 7


def test_torchvision_style_names():
    assert "layer4.2.conv3" in build_model("resnet50")
    assert "layer2.0.downsample.0" in build_model("resnet18")
    assert "features.17.conv.2" in build_model("mobilenet_v2")
    assert "encoder.layer.11.attention.self.query" in build_model("bert_base")
    assert "model.layers.31.mlp.gate_proj" in build_model("llama7b")


# -- names, parameters, errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "name"),
    [("ResNet-50", "resnet50"), ("resnet_18", "resnet18"), ("mobilenet-v2", "mobilenet_v2"),
     ("MobileNetV2", "mobilenet_v2"), ("VGG-16", "vgg16"), ("ViT-B/16", "vit_b16"), ("vit-b16", "vit_b16"),
     ("vit_b_16", "vit_b16"), ("bert-base", "bert_base"), ("bert-base-uncased", "bert_base"),
     ("LLaMA-7B", "llama7b"), ("llama-7b", "llama7b")],
)
def test_name_variants_resolve(spelling, name):
    assert model_info(spelling).name == name
    assert build_model(spelling, batch=1).name == name


def test_unknown_name_lists_known_models_and_suggests_the_closest():
    with pytest.raises(WorkloadError) as err:
        build_model("resnet51")
    assert str(err.value) == (
        "unknown model 'resnet51' (did you mean 'resnet50'?); "
        "known models: bert_base, llama7b, mobilenet_v2, resnet18, resnet50, vgg16, vit_b16"
    )
    with pytest.raises(WorkloadError) as err:
        build_model("alexnet")
    assert str(err.value).startswith("unknown model 'alexnet'; known models: bert_base, ")


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("resnet50", {"batch": 0}, "resnet50: batch: must be >= 1 (got 0)"),
        ("resnet50", {"seq_len": 128},
         "resnet50: seq_len: unknown parameter (resnet50 takes batch, image_size)"),
        ("vgg16", {"image_size": 16}, "vgg16: image_size: must be >= 32 (got 16)"),
        ("vit_b16", {"image_size": 200}, "vit_b16: image_size: must be a multiple of 16 (got 200)"),
        ("bert_base", {"seq_len": 513}, "bert_base: seq_len: must be <= 512 (got 513)"),
        ("llama7b", {"kv_len": 10},
         "llama7b: kv_len applies to phase='decode' only (got phase='prefill')"),
        ("llama7b", {"phase": "decode", "seq_len": 10},
         "llama7b: seq_len applies to phase='prefill' only; a decode step runs 1 token, "
         "set kv_len for its context (got phase='decode')"),
        ("llama7b", {"phase": "train"},
         "llama7b: phase: Input should be 'prefill' or 'decode' (got 'train')"),
    ],
)
def test_invalid_parameters_are_named(name, params, message):
    with pytest.raises(WorkloadError) as err:
        build_model(name, **params)
    assert str(err.value) == message


def test_batch_must_be_an_integer():
    with pytest.raises(WorkloadError, match=r"^resnet18: batch: .*\(got True\)$"):
        build_model("resnet18", batch=True)
    with pytest.raises(WorkloadError, match=r"^resnet18: batch: .*\(got 2\.0\)$"):
        build_model("resnet18", batch=2.0)


def test_list_models_for_the_cli():
    infos = list_models()
    assert [info.name for info in infos] == MODELS
    assert all(isinstance(info, ModelInfo) for info in infos)
    by_name = {info.name: info for info in infos}
    assert by_name["resnet50"].parameters == {"batch": 1, "image_size": 224}
    assert by_name["bert_base"].parameters == {"batch": 1, "seq_len": 128}
    assert by_name["llama7b"].parameters == {"batch": 1, "phase": "prefill", "seq_len": 512, "kv_len": 512}
    assert "Touvron" in by_name["llama7b"].source
    assert ModelInfo.model_validate_json(by_name["llama7b"].model_dump_json()) == by_name["llama7b"]
    with pytest.raises(ValueError):
        by_name["vgg16"].name = "other"  # frozen


def test_building_is_fast():
    for name in ("resnet50", "llama7b"):
        start = time.perf_counter()
        build_model(name)
        assert time.perf_counter() - start < 0.5, name
