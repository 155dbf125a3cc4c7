"""Policy shorthand grammar, policy files and their application to a graph."""

import pytest

from workloads import Layer, LayerGraph, QuantSpecError, Tensor
from workloads.policy import QuantPolicy, apply_quant, load_policy, parse_policy, parse_spec
from workloads.quant import ExecutionMode, Granularity, RequantMode


def _net():
    layers = [
        Layer(name="stem", op="conv", k=16, c=3, p=8, q=8, r=3, s=3, padding=(2, 2)),
        Layer(name="block.conv", op="conv", k=16, c=16, p=8, q=8),
        Layer(name="block.relu", op="activation", k=16, c=16, p=8, q=8, ops_per_output=1),
        Layer(name="head", op="gemm", c=1024, k=10),
    ]
    t = Tensor(name="t", shape=(1, 16, 8, 8))
    edges = [("stem", "block.conv", t), ("block.conv", "block.relu", t), ("block.relu", "head", t)]
    return LayerGraph(layers, edges, name="net")


@pytest.mark.parametrize(
    ("text", "w", "a", "granularity", "requant"),
    [
        ("w8a8", "int8", "int8", Granularity.CHANNEL, RequantMode.DYADIC),
        ("w4a8", "int4", "int8", Granularity.CHANNEL, RequantMode.DYADIC),
        ("w2a2", "int2", "int2", Granularity.CHANNEL, RequantMode.DYADIC),
        ("w4a16-g128", "int4", "fp16", Granularity.GROUP, RequantMode.NONE),
        ("fp16", "fp16", "fp16", Granularity.TENSOR, RequantMode.NONE),
        ("fp8", "fp8_e4m3", "fp8_e4m3", Granularity.TENSOR, RequantMode.NONE),
        ("w1a1", "binary", "binary", Granularity.CHANNEL, RequantMode.DYADIC),
        ("w8a8-pt-fp32rq", "int8", "int8", Granularity.TENSOR, RequantMode.FP32),
    ],
)
def test_shorthands(text, w, a, granularity, requant):
    spec, keep = parse_spec(text)
    assert (spec.weights.format.name, spec.inputs.format.name) == (w, a)
    assert spec.weights.granularity is granularity
    assert spec.requant is requant
    assert not keep
    assert parse_spec(spec.label())[0] == spec  # the label is the canonical shorthand


def test_modifiers():
    spec, keep = parse_spec("w8a8-kv4-asym-dyn-fl8")
    assert keep
    assert spec.kv_cache.format.name == "int4" and not spec.kv_cache.symmetric
    assert not spec.inputs.symmetric and spec.inputs.dynamic
    fake, _ = parse_spec("w8a8-fake")
    assert fake.execution is ExecutionMode.FAKE and fake.compute_is_float
    assert parse_spec("w4a16-g128")[0].weights.scale_format.name == "fp16"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("w9a8", "policy 'w9a8': integer width must be 1-8 (use i9 for a 9-bit integer)"),
        ("w8a8-zz", "policy 'w8a8-zz': unknown modifier 'zz' (known: gN, pc, pt, cb, kvFMT, asym, dyn, fake, fp32rq, fl8)"),
        ("int8", "unknown quantization policy 'int8' (expected e.g. fp32, fp16, w8a8, w4a8, w4a16-g128, w2a2, w8a8-kv4, fp8; see 'qcosim workload --help')"),
        ("wxa8", "policy 'wxa8': unknown operand format 'x'"),
    ],
)
def test_bad_shorthands(text, message):
    with pytest.raises(QuantSpecError) as info:
        parse_policy(text)
    assert str(info.value) == message


def test_apply_uniform_and_keep_first_last():
    g = apply_quant(_net(), "w4a8-fl8")
    assert g.layer("stem").quant.label() == "w8a8"
    assert g.layer("head").quant.label() == "w8a8"
    assert g.layer("block.conv").quant.label() == "w4a8"
    assert g.layer("block.relu").quant.inputs.format.name == "int8"
    assert _net().layer("stem").quant is None  # the input graph is unchanged


def test_overrides_apply_in_order_and_layers_win():
    policy = QuantPolicy(
        default="w8a8",
        overrides=[{"match": "block.*", "quant": "w4a8"}, {"op": "conv", "match": "block.*", "quant": "w2a8"}],
        layers={"head": "fp16"},
    )
    g = apply_quant(_net(), policy)
    assert [g.layer(n).quant.label() for n in ("stem", "block.conv", "block.relu", "head")] == [
        "w8a8", "w2a8", "w4a8", "fp16",
    ]


def test_override_matching_nothing_is_an_error():
    policy = QuantPolicy(default="w8a8", overrides=[{"match": "layer9.*", "quant": "w4a8"}])
    with pytest.raises(QuantSpecError) as info:
        apply_quant(_net(), policy)
    assert str(info.value) == "overrides[0]: match 'layer9.*' selects no layer of 'net'"
    with pytest.raises(QuantSpecError, match="layers.nope: no layer named 'nope' in 'net'"):
        apply_quant(_net(), QuantPolicy(layers={"nope": "w8a8"}))


def test_declared_keeps_model_annotations():
    spec, _ = parse_spec("w4a8")
    g = _net().replace_layers(lambda layer: layer.with_quant(spec) if layer.name == "head" else layer)
    out = apply_quant(g, "declared")
    assert out.layer("head").quant.label() == "w4a8"
    assert out.layer("stem").quant.label() == "fp32"


def test_policy_file(tmp_path):
    path = tmp_path / "mixed.yaml"
    path.write_text(
        "schema_version: '1'\ndefault: w4a8\nkeep_first_last: w8a8\n"
        "overrides:\n  - {match: 'block.*', op: conv, quant: w2a8}\nlayers:\n  head: fp16\n"
    )
    g = apply_quant(_net(), load_policy(path))
    assert [g.layer(n).quant.label() for n in ("stem", "block.conv", "head")] == ["w8a8", "w2a8", "fp16"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("default: w9a9\n", "policy 'w9a9': integer width must be 1-8 (use i9 for a 9-bit integer)"),
        ("defualt: w8a8\n", "defualt: unknown field (did you mean 'default'?)"),
        ("overrides:\n  - {match: x}\n", "overrides[0]: exactly one of quant and spec must be given"),
        ("- w8a8\n", "top level must be a mapping of fields (got a list)"),
        ("default: [\n", "invalid YAML at line 2, column 1: expected the node content, but found '<stream end>'"),
    ],
)
def test_policy_file_errors(tmp_path, body, message):
    path = tmp_path / "p.yaml"
    path.write_text(body)
    with pytest.raises(QuantSpecError) as info:
        load_policy(path)
    assert str(info.value).startswith(f"{path}: {message}")


def test_policy_file_refuses_a_key_given_twice(tmp_path):
    # yaml.safe_load would keep the last value and run the whole network at w2a2.
    path = tmp_path / "p.yaml"
    path.write_text("schema_version: '1'\ndefault: w8a8\nkeep_first_last: w8a8\ndefault: w2a2\n")
    with pytest.raises(QuantSpecError) as info:
        load_policy(path)
    assert str(info.value) == f"{path}: invalid YAML at line 4, column 1: duplicate key 'default'"


def test_missing_policy_file(tmp_path):
    with pytest.raises(QuantSpecError) as info:
        load_policy(tmp_path / "none.yaml")
    assert str(info.value) == f"{tmp_path / 'none.yaml'}: no such file"
