"""Malformed and hostile ONNX graphs: refused with one line naming the node or tensor, in bounded time and memory.

Each case is a regression from issue 13's corpus (hangs, huge allocations,
wrong graphs accepted) or issue 11 (shapes that used to be assumed).
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper

from workloads import OpKind, WorkloadError
from workloads.onnx_import import load_onnx
from workloads.onnx_shapes import MAX_EVALUATED_ELEMENTS, MAX_TENSOR_ELEMENTS

try:
    from . import onnx_models as models
except ImportError:  # tests/ laid out without packages: pytest puts this folder on sys.path
    import onnx_models as models

F, I8, I64 = TensorProto.FLOAT, TensorProto.INT8, TensorProto.INT64
init, rand = models.init, models.rand


def refused(path, **kwargs) -> str:
    """The one-line message, without the file prefix."""
    with pytest.raises(WorkloadError) as info:
        load_onnx(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


def write(tmp_path, nodes, inputs, outputs, inits=(), **kwargs):
    return models.save(tmp_path / "bad.onnx", nodes, inputs, outputs, inits, check=False, **kwargs)


# Cycles and values no node writes in the top-level graph are refused by `workloads.onnx_checks` first
# (tests/unit/hardening/test_onnx_structure.py); the walk refuses them inside an inlined If branch.
def test_a_cycle_inside_an_inlined_branch_is_named(tmp_path):
    branch = helper.make_graph([helper.make_node("Relu", ["u"], ["t"], "first"),
                                helper.make_node("Relu", ["t"], ["u"], "second")], "then", [],
                               [helper.make_tensor_value_info("t", F, [1, 4])])
    nodes = [helper.make_node("If", ["cond"], ["y"], "branch", then_branch=branch, else_branch=branch)]
    path = write(tmp_path, nodes, [("x", F, [1, 4])], [("y", F, [1, 4])], [init("cond", np.array(True))])
    assert refused(path) == "the graph has a cycle: 'first' (Relu) -> 'second' (Relu) -> 'first' (Relu)"


def test_a_branch_reading_what_nothing_writes_is_named(tmp_path):
    branch = helper.make_graph([helper.make_node("Relu", ["ghost"], ["t"], "inner")], "then", [],
                               [helper.make_tensor_value_info("t", F, [1, 4])])
    nodes = [helper.make_node("If", ["cond"], ["y"], "branch", then_branch=branch, else_branch=branch)]
    path = write(tmp_path, nodes, [("x", F, [1, 4])], [("y", F, [1, 4])], [init("cond", np.array(True))])
    assert refused(path) == ("node 'branch' (If) reads 'ghost', which no node writes and which is no graph input "
                             "or initializer")


def test_zero_point_of_1e11_elements_is_refused_without_allocating(tmp_path):
    count = helper.make_tensor("n", I64, [1], [100_000_000_000])
    nodes = [helper.make_node("ConstantOfShape", ["n"], ["zp"], "zeros", value=helper.make_tensor("v", I8, [1], [0])),
             helper.make_node("DequantizeLinear", ["w", "s", "zp"], ["wd"], "dq"),
             helper.make_node("MatMul", ["x", "wd"], ["y"], "mm")]
    path = write(tmp_path, nodes, [("x", F, [1, 4])], [("y", F, [1, 4])],
                 [count, init("w", np.ones((4, 4), np.int8)), init("s", np.float32(0.1))], opset=13)
    assert refused(path) == (f"node 'mm' (MatMul): zero point 'zp' of shape (100000000000,) has more than the "
                             f"{MAX_EVALUATED_ELEMENTS} elements qcosim evaluates")


def test_reshape_to_1e15_by_1e15_is_refused(tmp_path):
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["y"], "reshape")]
    path = write(tmp_path, nodes, [("x", F, [2, 8])], [("y", F, None)],
                 [init("shape", np.array([10**15, 10**15], np.int64))])
    assert refused(path) == "node 'reshape' (Reshape): Dimension product overflow in Reshape"  # onnx's check


def test_tensor_sizes_past_int64_are_refused_not_wrapped(tmp_path):
    # 2^40 x 2^40 = 2^80 elements: numpy's int64 product wraps this to 0
    path = write(tmp_path, [helper.make_node("Expand", ["x", "shape"], ["y"], "expand")],
                 [("x", F, [1, 1])], [("y", F, None)], [init("shape", np.array([2**40, 2**40], np.int64))])
    assert refused(path) == (f"tensor 'y' of shape ({2**40}, {2**40}) has {2**80} elements, more than the "
                             f"{MAX_TENSOR_ELEMENTS} qcosim accepts (a corrupt shape?)")


def _conv(tmp_path, x_shape, w_shape, **attrs):
    path = write(tmp_path, [helper.make_node("Conv", ["x", "w"], ["y"], "conv", **attrs)],
                 [("x", F, x_shape)], [("y", F, None)], [init("w", rand(*w_shape))])
    return refused(path)


def test_conv_weight_channels_must_match_the_input(tmp_path):
    assert _conv(tmp_path, [1, 4, 8, 8], [8, 3, 3, 3]) == (
        "node 'conv' (Conv): weight 'w' of shape (8, 3, 3, 3) expects 3 input channels (3 per group x 1 group) "
        "but input 'x' of shape (1, 4, 8, 8) has 4")


def test_conv_kernel_shape_must_match_the_weight(tmp_path):
    message = _conv(tmp_path, [1, 3, 8, 8], [8, 3, 3, 3], kernel_shape=[5, 5])
    assert message == "node 'conv' (Conv): kernel_shape [5, 5] contradicts weight 'w' of shape (8, 3, 3, 3)"


def test_conv_pads_of_the_wrong_length(tmp_path):
    assert _conv(tmp_path, [1, 3, 8, 8], [8, 3, 3, 3], pads=[1, 1]) == (
        "node 'conv' (Conv): Attribute pads has incorrect size")  # onnx's check


def test_gemm_with_a_rank_3_input(tmp_path):
    path = write(tmp_path, [helper.make_node("Gemm", ["x", "w"], ["y"], "fc")],
                 [("x", F, [2, 3, 4])], [("y", F, None)], [init("w", rand(4, 5))])
    assert refused(path) == "node 'fc' (Gemm): Input 0 expected to have rank 2 but has rank 3 in node Gemm (fc)."


def test_matmul_of_mismatched_inner_dimensions(tmp_path):
    path = write(tmp_path, [helper.make_node("MatMul", ["x", "w"], ["y"], "mm")],
                 [("x", F, [1, 8])], [("y", F, None)], [init("w", rand(9, 4))])
    assert refused(path) == "node 'mm' (MatMul): Incompatible dimensions for matrix multiplication"


@pytest.mark.parametrize(("dim", "meaning"), [(0, "declared 0: an empty axis"),
                                              (-1, "declared -1: a dynamic size, as exporters write it")])
def test_input_dimension_0_or_minus_1_says_what_it_is(tmp_path, dim, meaning):
    path = write(tmp_path, [helper.make_node("Relu", ["x"], ["y"], "relu")], [("x", F, [dim, 4])], [("y", F, None)])
    assert refused(path) == (f"input 'x' has unknown dimension at axis 0 ({meaning}); pass --input-shape x=D0,4 "
                             "(or --batch D0) with D0 the size to simulate")


def _if_model(tmp_path, condition_is_constant: bool):
    then_branch = helper.make_graph([helper.make_node("Relu", ["x"], ["t"], "then_relu")], "then", [],
                                    [helper.make_tensor_value_info("t", F, [1, 4])])
    else_branch = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["e"], "else_mm")], "else", [],
                                    [helper.make_tensor_value_info("e", F, [1, 4])])
    nodes = [helper.make_node("If", ["cond"], ["y"], "branch", then_branch=then_branch, else_branch=else_branch)]
    inits = [init("w", rand(4, 4))]
    inputs = [("x", F, [1, 4])]
    if condition_is_constant:
        inits.append(init("cond", np.array(True)))
    else:
        inputs.append(("cond", TensorProto.BOOL, []))
    return write(tmp_path, nodes, inputs, [("y", F, [1, 4])], inits)


def test_if_with_a_known_condition_is_replaced_by_its_branch(tmp_path):
    graph = load_onnx(_if_model(tmp_path, True))
    assert [(layer.name, layer.op) for layer in graph.layers()] == [("then_relu", OpKind.ACTIVATION)]


def test_if_with_a_run_time_condition_is_refused(tmp_path):
    assert refused(_if_model(tmp_path, False)) == (
        "node 'branch' (If): the condition 'cond' is computed at run time, so the branch taken is unknown; "
        "export the model with the branch fixed")


def test_a_node_whose_first_output_is_unnamed_takes_its_first_named_one(tmp_path):
    # GRU with Y omitted, only Y_h kept (as onnx's test_gru_defaults): no cost model, but a real shape
    nodes = [helper.make_node("GRU", ["x", "w", "r"], ["", "h"], "gru", hidden_size=5)]
    path = write(tmp_path, nodes, [("x", F, [2, 1, 3])], [("h", F, None)],
                 [init("w", rand(1, 15, 3)), init("r", rand(1, 15, 5))])
    with pytest.warns(UserWarning, match="no cost model for GRU"):
        graph = load_onnx(path)
    assert graph.layer("gru").output_elements == 1 * 1 * 5  # Y_h: directions x batch x hidden
