"""One vector-op table: a layer costs the same ops per element from the zoo and from ONNX.

Before `workloads.vector_ops`, the zoo counted LayerNorm/RMSNorm as 7/4 operations
per element and the ONNX importer as 8/6, so BERT from the zoo and BERT from a
file did not cost the same.
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from workloads.onnx_import import load_onnx
from workloads.zoo.builder import GraphBuilder

try:
    from . import onnx_models as models
except ImportError:  # tests/ laid out without packages: pytest puts this folder on sys.path
    import onnx_models as models

F = models.F
TOKENS = (1, 4, 8)
"""(batch, tokens, features): 32 elements in 4 rows of 8."""
IMAGE = (1, 4, 6, 6)
"""NCHW: 144 elements."""


def _onnx_layer(tmp_path, op, inputs, shape, out_shape=None, *, inits=(), opset=17, **attrs):
    node = helper.make_node(op, ["x", *inputs], ["y"], "layer", **attrs)
    path = models.save(tmp_path / "one.onnx", [node], [("x", F, list(shape))],
                       [("y", F, list(out_shape or shape))], inits, opset=opset)
    return load_onnx(path).layer("layer")


def _zoo_layer(shape, build):
    b = GraphBuilder("one")
    build(b, b.input("x", shape))
    return b.build().layer("layer")


def _facts(layer):
    return layer.op, layer.ops_per_output, layer.output_elements, layer.vector_ops


def test_layer_norm_costs_7_ops_per_element_from_both_sources(tmp_path):
    g, b = models.init("g", np.ones(8, np.float32)), models.init("b", np.zeros(8, np.float32))
    onnx_ln = _onnx_layer(tmp_path, "LayerNormalization", ["g", "b"], TOKENS, inits=[g, b], axis=-1)
    zoo_ln = _zoo_layer(TOKENS, lambda b, x: b.layer_norm(x, "layer"))
    assert onnx_ln.ops_per_output == zoo_ln.ops_per_output == 7.0
    assert _facts(onnx_ln) == _facts(zoo_ln)
    assert onnx_ln.vector_ops == 7 * 32


def test_rms_norm_costs_4_ops_per_element_from_both_sources(tmp_path):
    g = models.init("g", np.ones(8, np.float32))
    onnx_rms = _onnx_layer(tmp_path, "RMSNormalization", ["g"], TOKENS, inits=[g], opset=23, axis=-1)
    zoo_rms = _zoo_layer(TOKENS, lambda b, x: b.rms_norm(x, "layer"))
    assert onnx_rms.ops_per_output == zoo_rms.ops_per_output == 4.0
    assert _facts(onnx_rms) == _facts(zoo_rms)


@pytest.mark.parametrize(
    ("op", "opset", "ops"),
    [("Relu", 17, 1.0), ("Tanh", 17, 1.0), ("Sigmoid", 17, 3.0), ("Gelu", 20, 5.0)],
)
def test_activations_cost_the_same_from_both_sources(tmp_path, op, opset, ops):
    onnx_act = _onnx_layer(tmp_path, op, [], TOKENS, opset=opset)
    zoo_act = _zoo_layer(TOKENS, lambda b, x: b.activation(x, "layer", source_op=op))
    assert onnx_act.ops_per_output == ops
    assert _facts(onnx_act) == _facts(zoo_act)


def test_relu6_clip_costs_the_same_from_both_sources(tmp_path):
    lo, hi = models.init("lo", np.float32(0.0)), models.init("hi", np.float32(6.0))
    onnx_clip = _onnx_layer(tmp_path, "Clip", ["lo", "hi"], IMAGE, inits=[lo, hi])
    zoo_clip = _zoo_layer(IMAGE, lambda b, x: b.activation(x, "layer", source_op="Clip"))
    assert _facts(onnx_clip) == _facts(zoo_clip)
    assert onnx_clip.ops_per_output == 2.0


def test_batch_norm_costs_the_same_from_both_sources(tmp_path):
    stats = [models.init(name, np.ones(4, np.float32)) for name in ("s", "bias", "mean", "var")]
    onnx_bn = _onnx_layer(tmp_path, "BatchNormalization", ["s", "bias", "mean", "var"], IMAGE, inits=stats)
    zoo_bn = _zoo_layer(IMAGE, lambda b, x: b.batch_norm(x, "layer"))
    assert _facts(onnx_bn) == _facts(zoo_bn)
    assert (onnx_bn.ops_per_output, onnx_bn.aux_params) == (2.0, zoo_bn.aux_params)


def test_pools_cost_the_same_from_both_sources(tmp_path):
    onnx_max = _onnx_layer(tmp_path, "MaxPool", [], IMAGE, (1, 4, 3, 3), kernel_shape=[3, 3],
                           strides=[2, 2], pads=[1, 1, 1, 1])
    zoo_max = _zoo_layer(IMAGE, lambda b, x: b.max_pool(x, "layer", kernel=3, stride=2, padding=1))
    assert _facts(onnx_max) == _facts(zoo_max) and onnx_max.ops_per_output == 9.0
    onnx_avg = _onnx_layer(tmp_path, "GlobalAveragePool", [], IMAGE, (1, 4, 1, 1))
    zoo_avg = _zoo_layer(IMAGE, lambda b, x: b.adaptive_avg_pool(x, "layer"))
    assert _facts(onnx_avg) == _facts(zoo_avg) and onnx_avg.ops_per_output == 36.0


def test_residual_add_costs_the_same_from_both_sources(tmp_path):
    node = helper.make_node("Add", ["x", "r"], ["y"], "layer")
    path = models.save(tmp_path / "add.onnx", [node], [("x", F, list(TOKENS)), ("r", F, list(TOKENS))],
                       [("y", F, list(TOKENS))])
    b = GraphBuilder("one")
    b.elementwise([b.input("x", TOKENS), b.input("r", TOKENS)], "layer")
    assert _facts(load_onnx(path).layer("layer")) == _facts(b.build().layer("layer"))


def _total_vector_ops(tmp_path, nodes, inits, opset=17):
    path = models.save(tmp_path / "decomposed.onnx", nodes, [("x", F, list(TOKENS))], [("y", F, list(TOKENS))],
                       inits, opset=opset)
    return sum(layer.vector_ops for layer in load_onnx(path).layers())


def test_decomposed_layer_norm_adds_only_per_row_work(tmp_path):
    # torch.onnx before opset 17: ReduceMean, Sub, Pow, ReduceMean, Add(eps), Sqrt, Div, Mul, Add.
    # Per element 7 as the table says; + eps and sqrt run once per row (4 rows).
    n = helper.make_node
    nodes = [
        n("ReduceMean", ["x", "axes"], ["mu"], keepdims=1), n("Sub", ["x", "mu"], ["d"]),
        n("Pow", ["d", "two"], ["sq"]), n("ReduceMean", ["sq", "axes"], ["var"], keepdims=1),
        n("Add", ["var", "eps"], ["ve"]), n("Sqrt", ["ve"], ["std"]), n("Div", ["d", "std"], ["z"]),
        n("Mul", ["z", "gamma"], ["zg"]), n("Add", ["zg", "beta"], ["y"]),
    ]
    inits = [models.init("axes", np.array([-1])), models.init("two", np.float32(2)),
             models.init("eps", np.float32(1e-5)), models.init("gamma", np.ones(8, np.float32)),
             models.init("beta", np.zeros(8, np.float32))]
    zoo_ln = _zoo_layer(TOKENS, lambda b, x: b.layer_norm(x, "layer"))
    assert _total_vector_ops(tmp_path, nodes, inits, opset=18) == zoo_ln.vector_ops + 2 * 4


def test_decomposed_silu_matches_the_zoo_silu(tmp_path):
    # torch.onnx exports SiLU as Sigmoid then Mul.
    nodes = [helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Mul", ["x", "s"], ["y"])]
    zoo_silu = _zoo_layer(TOKENS, lambda b, x: b.activation(x, "layer", source_op="Silu"))
    assert _total_vector_ops(tmp_path, nodes, []) == zoo_silu.vector_ops == 4 * 32
