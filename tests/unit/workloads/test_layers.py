"""Layer loop-nest counts, checked by hand arithmetic written in each test."""

import pytest
from pydantic import ValidationError

from workloads.layers import Layer, OpKind, effective_padding


def test_resnet_stem_conv_counts():
    # ResNet stem (He et al. 2016, Table 1): 7x7/2, 64 filters, 224x224x3 input -> 112x112.
    conv = Layer(name="conv1", op="conv", k=64, c=3, p=112, q=112, r=7, s=7, stride=(2, 2),
                 padding=(effective_padding(224, 112, 7, 2),) * 2)
    assert conv.macs == 64 * 3 * 112 * 112 * 7 * 7 == 118_013_952
    assert conv.weight_elements == 64 * 3 * 7 * 7 == 9408
    assert conv.input_hw == (224, 224)
    assert conv.input_elements == 3 * 224 * 224
    assert conv.output_elements == 64 * 112 * 112


def test_alexnet_conv1_as_in_eyeriss():
    # AlexNet CONV1 as listed by Chen et al., JSSC 2017 (Eyeriss), Table I: 11x11/4,
    # C=3, M=96, 227x227 input -> 55x55 output.
    conv = Layer(name="conv1", op="conv", k=96, c=3, p=55, q=55, r=11, s=11, stride=(4, 4))
    assert conv.input_hw == (227, 227)
    assert conv.macs == 96 * 3 * 55 * 55 * 11 * 11 == 105_415_200


def test_depthwise_and_grouped_conv():
    # MobileNetV2 block depthwise 3x3 on 32 channels at 112x112: one input channel per filter.
    dw = Layer(name="dw", op="conv", k=32, c=32, groups=32, p=112, q=112, r=3, s=3, padding=(2, 2))
    assert dw.is_depthwise
    assert dw.macs == 32 * 1 * 112 * 112 * 9 == 3_612_672
    assert dw.weight_elements == 32 * 9
    grouped = Layer(name="g", op="conv", k=256, c=96, groups=2, p=27, q=27, r=5, s=5, padding=(4, 4))
    assert not grouped.is_depthwise
    assert grouped.macs == 256 * 48 * 27 * 27 * 25


def test_negative_effective_padding_keeps_the_real_input():
    # ResNet's 1x1/2 shortcut on 56x56: windows start at rows 0, 2, ..., 54 and never read row 55.
    pad = effective_padding(56, 28, kernel=1, stride=2)
    assert pad == -1
    shortcut = Layer(name="ds", op="conv", k=128, c=64, p=28, q=28, stride=(2, 2), padding=(pad, pad))
    assert shortcut.input_hw == (56, 56)


def test_dilated_conv_input_extent():
    # 3x3 kernel dilated by 2 spans 5 input rows: out 10 rows need (10-1)*1 + (3-1)*2 + 1 = 14.
    conv = Layer(name="d", op="conv", k=8, c=8, p=10, q=10, r=3, s=3, dilation=(2, 2))
    assert conv.input_hw == (14, 14)
    assert conv.macs == 8 * 8 * 100 * 9


def test_gemm_and_batched_matmul():
    # BERT-base query projection at sequence 128: (128 x 768) @ (768 x 768).
    q_proj = Layer(name="q", op="gemm", p=128, c=768, k=768, aux_params=768)
    assert q_proj.macs == 128 * 768 * 768
    assert q_proj.params == 768 * 768 + 768
    assert q_proj.input_elements == 128 * 768
    # Attention scores, 12 heads of 64: per head (128 x 64) @ (64 x 128); no parameters.
    scores = Layer(name="qk", op="matmul", n=12, p=128, c=64, k=128)
    assert scores.macs == 12 * 128 * 64 * 128
    assert scores.weight_elements == 0 and scores.params == 0
    assert scores.w_operand_elements == 12 * 64 * 128


def test_non_mac_ops_carry_vector_work():
    add = Layer(name="add", op="elementwise", k=256, c=256, p=56, q=56, input_tensors=2, ops_per_output=1)
    assert add.macs == 0
    assert add.input_elements == 2 * 256 * 56 * 56
    assert add.vector_ops == 256 * 56 * 56
    assert not add.is_mac and add.op is OpKind.ELEMENTWISE


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"k": 0}, "Input should be greater than or equal to 1"),
        ({"c": 6, "k": 4, "groups": 4}, "groups must divide c and k (got groups=4, c=6, k=4)"),
        ({"stride": (0, 1)}, "stride and dilation must be >= 1 (got (0, 1), (1, 1))"),
        ({"r": 3, "padding": (5, 0)}, "padding (5, 0) leaves an empty input"),
    ],
)
def test_invalid_layers(fields, message):
    with pytest.raises(ValidationError) as info:
        Layer(name="bad", op="conv", **fields)
    assert message in str(info.value)


def test_layers_are_immutable():
    layer = Layer(name="fc", op="gemm", c=4, k=4)
    with pytest.raises(ValidationError):
        layer.k = 8
