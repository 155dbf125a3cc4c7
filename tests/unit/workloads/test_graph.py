"""LayerGraph structure, accessors and compiler-style fusion."""

import networkx as nx
import pytest

from workloads import Layer, LayerGraph, Tensor, WorkloadError, fuse


def _chain():
    layers = [
        Layer(name="conv", op="conv", k=8, c=3, p=4, q=4, r=3, s=3, padding=(2, 2)),
        Layer(name="bn", op="norm", source_op="BatchNormalization", k=8, c=8, p=4, q=4,
              aux_params=16, ops_per_output=2),
        Layer(name="relu", op="activation", source_op="Relu", k=8, c=8, p=4, q=4, ops_per_output=1),
        Layer(name="skip", op="conv", k=8, c=3, p=4, q=4),
        Layer(name="add", op="elementwise", k=8, c=8, p=4, q=4, input_tensors=2, ops_per_output=1),
    ]
    t = Tensor(name="t", shape=(1, 8, 4, 4))
    edges = [("conv", "bn", t), ("bn", "relu", t), ("relu", "add", t), ("skip", "add", t)]
    return LayerGraph(layers, edges, name="block", inputs={"conv": Tensor(name="x", shape=(1, 3, 4, 4))})


def test_topological_order_keeps_file_order_on_ties():
    g = _chain()
    assert [layer.name for layer in g.layers()] == ["conv", "bn", "relu", "skip", "add"]
    assert g.predecessors("add") == ["relu", "skip"]
    assert g.tensor("relu", "add").elements == 128


def test_fusion_folds_bn_and_relu_and_keeps_costs():
    g = _chain()
    f = fuse(g)
    assert [layer.name for layer in f.layers()] == ["conv", "skip", "add"]
    conv = f.layer("conv")
    assert conv.fused == ("BatchNormalization", "Relu")
    assert conv.aux_params == 16
    assert conv.ops_per_output == 3
    # Nothing is lost: MACs and parameters are those of the unfused graph.
    assert f.totals()["macs"] == g.totals()["macs"]
    assert f.totals()["params"] == g.totals()["params"]
    # The residual add keeps two inputs, so it is not fused.
    assert f.predecessors("add") == ["conv", "skip"]
    assert len(g) == 5  # the input graph is unchanged


def test_fusion_skips_a_producer_with_two_consumers():
    conv = Layer(name="conv", op="conv", k=4, c=4, p=2, q=2)
    relu = Layer(name="relu", op="activation", k=4, c=4, p=2, q=2, ops_per_output=1)
    other = Layer(name="other", op="pool", k=4, c=4, p=2, q=2)
    t = Tensor(name="t", shape=(1, 4, 2, 2))
    g = LayerGraph([conv, relu, other], [("conv", "relu", t), ("conv", "other", t)])
    assert len(fuse(g)) == 3


def test_graph_errors():
    a = Layer(name="a", op="gemm", c=2, k=2)
    with pytest.raises(WorkloadError, match="duplicate layer name 'a'"):
        LayerGraph([a, a])
    with pytest.raises(WorkloadError, match="edge refers to unknown layer 'b'"):
        LayerGraph([a], [("a", "b", Tensor(name="t", shape=(2,)))])
    b = Layer(name="b", op="gemm", c=2, k=2)
    t = Tensor(name="t", shape=(2,))
    with pytest.raises(WorkloadError, match="graph has a cycle"):
        LayerGraph([a, b], [("a", "b", t), ("b", "a", t)])
    with pytest.raises(WorkloadError) as info:
        LayerGraph([a], name="net").layer("zz")
    assert str(info.value) == "net: no layer named 'zz'"


def test_nx_view_is_read_only_and_usable():
    g = _chain()
    view = g.nx
    assert nx.dag_longest_path(view) == ["conv", "bn", "relu", "add"]
    with pytest.raises(nx.NetworkXError):
        view.add_node("x")


def test_select_by_glob_and_op():
    g = _chain()
    assert g.select("*") == ["conv", "bn", "relu", "skip", "add"]
    assert g.select(op="conv") == ["conv", "skip"]
    assert g.select("s*", op="conv") == ["skip"]
