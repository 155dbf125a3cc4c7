"""Convolutional image classifiers as torchvision defines them: ResNet-18/50, MobileNetV2, VGG-16.

The graphs are what an exporter sees before any compiler pass: every
convolution is followed by its own batch-norm and activation layers (VGG-16
has biases and no batch-norm), residual additions are separate two-input
layers, and layer names are torchvision's module names (``layer1.0.conv1``),
with ``_1``, ``_2`` for a module called again (``layer1.0.relu_1``) and
``add`` for the residual sum, as ``torch.onnx`` names them. `workloads.fuse`
then folds what a compiler folds.

Counting follows torchvision's weights metadata: parameters are
``sum(p.numel())`` (batch-norm running statistics are buffers, not
parameters); MACs are those of convolutions and fully connected layers.
"""

from __future__ import annotations

from collections.abc import Callable

from workloads.graph import LayerGraph
from workloads.zoo.builder import GraphBuilder, Port
from workloads.zoo.params import ImageParams, VggParams

__all__ = ["resnet18", "resnet50", "mobilenet_v2", "vgg16"]

CLASSES = 1000
"""ImageNet-1k classes."""
_STAGES = ((64, 1), (128, 2), (256, 2), (512, 2))
"""ResNet stages: base width (planes) and stride of the first block."""
_MBV2_BLOCKS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1))
"""MobileNetV2 inverted-residual settings (expansion t, channels c, repeats n, stride s), Table 2."""
_VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
"""VGG configuration D: output channels of each 3x3 convolution, ``M`` for a 2x2 max-pool."""


def _image(b: GraphBuilder, params: ImageParams) -> Port:
    return b.input("input", (params.batch, 3, params.image_size, params.image_size))


def _downsample(b: GraphBuilder, x: Port, prefix: str, channels: int, stride: int) -> Port:
    x = b.conv(x, f"{prefix}.downsample.0", channels, kernel=1, stride=stride)
    return b.batch_norm(x, f"{prefix}.downsample.1")


def _basic_block(b: GraphBuilder, x: Port, prefix: str, planes: int, stride: int) -> Port:
    out = b.conv(x, f"{prefix}.conv1", planes, kernel=3, stride=stride, padding=1)
    out = b.activation(b.batch_norm(out, f"{prefix}.bn1"), f"{prefix}.relu")
    out = b.batch_norm(b.conv(out, f"{prefix}.conv2", planes, kernel=3, padding=1), f"{prefix}.bn2")
    identity = x if stride == 1 and x.shape[1] == planes else _downsample(b, x, prefix, planes, stride)
    return b.activation(b.elementwise([out, identity], f"{prefix}.add"), f"{prefix}.relu_1")


def _bottleneck(b: GraphBuilder, x: Port, prefix: str, planes: int, stride: int) -> Port:
    # torchvision's ResNet v1.5: the stride sits on the 3x3 convolution.
    out_channels = 4 * planes
    out = b.conv(x, f"{prefix}.conv1", planes, kernel=1)
    out = b.activation(b.batch_norm(out, f"{prefix}.bn1"), f"{prefix}.relu")
    out = b.conv(out, f"{prefix}.conv2", planes, kernel=3, stride=stride, padding=1)
    out = b.activation(b.batch_norm(out, f"{prefix}.bn2"), f"{prefix}.relu_1")
    out = b.batch_norm(b.conv(out, f"{prefix}.conv3", out_channels, kernel=1), f"{prefix}.bn3")
    needs_projection = stride != 1 or x.shape[1] != out_channels
    identity = _downsample(b, x, prefix, out_channels, stride) if needs_projection else x
    return b.activation(b.elementwise([out, identity], f"{prefix}.add"), f"{prefix}.relu_2")


Block = Callable[[GraphBuilder, Port, str, int, int], Port]
"""A residual block: builder, input, name prefix, planes, stride -> output."""


def _resnet(name: str, params: ImageParams, block: Block, depths: tuple[int, ...]) -> LayerGraph:
    b = GraphBuilder(name)
    x = b.conv(_image(b, params), "conv1", 64, kernel=7, stride=2, padding=3)
    x = b.activation(b.batch_norm(x, "bn1"), "relu")
    x = b.max_pool(x, "maxpool", kernel=3, stride=2, padding=1)
    for stage, ((planes, stride), depth) in enumerate(zip(_STAGES, depths, strict=True), start=1):
        for i in range(depth):
            x = block(b, x, f"layer{stage}.{i}", planes, stride if i == 0 else 1)
    x = b.adaptive_avg_pool(x, "avgpool")
    b.linear(x.reshape(x.shape[:2]), "fc", CLASSES)
    return b.build()


def resnet18(params: ImageParams) -> LayerGraph:
    """ResNet-18 (He et al., 2016): basic blocks [2, 2, 2, 2], torchvision layout."""
    return _resnet("resnet18", params, _basic_block, (2, 2, 2, 2))


def resnet50(params: ImageParams) -> LayerGraph:
    """ResNet-50 (He et al., 2016): bottleneck blocks [3, 4, 6, 3], torchvision v1.5 layout."""
    return _resnet("resnet50", params, _bottleneck, (3, 4, 6, 3))


def _conv_bn_relu6(b: GraphBuilder, x: Port, prefix: str, channels: int, kernel: int, stride: int = 1,
                   groups: int = 1) -> Port:
    x = b.conv(x, f"{prefix}.0", channels, kernel=kernel, stride=stride, padding=(kernel - 1) // 2,
               groups=groups)
    x = b.batch_norm(x, f"{prefix}.1")
    return b.activation(x, f"{prefix}.2", source_op="Clip")  # ReLU6 exports as Clip(0, 6)


def _inverted_residual(b: GraphBuilder, x: Port, prefix: str, channels: int, stride: int,
                       expansion: int) -> Port:
    hidden = x.shape[1] * expansion
    out, i = x, 0
    if expansion != 1:
        out, i = _conv_bn_relu6(b, out, f"{prefix}.conv.0", hidden, kernel=1), 1
    out = _conv_bn_relu6(b, out, f"{prefix}.conv.{i}", hidden, kernel=3, stride=stride, groups=hidden)
    out = b.batch_norm(b.conv(out, f"{prefix}.conv.{i + 1}", channels, kernel=1), f"{prefix}.conv.{i + 2}")
    if stride == 1 and x.shape[1] == channels:
        out = b.elementwise([x, out], f"{prefix}.add")
    return out


def mobilenet_v2(params: ImageParams) -> LayerGraph:
    """MobileNetV2 at width 1.0 (Sandler et al., 2018), torchvision layout."""
    b = GraphBuilder("mobilenet_v2")
    x = _conv_bn_relu6(b, _image(b, params), "features.0", 32, kernel=3, stride=2)
    index = 1
    for expansion, channels, repeats, stride in _MBV2_BLOCKS:
        for i in range(repeats):
            x = _inverted_residual(b, x, f"features.{index}", channels, stride if i == 0 else 1, expansion)
            index += 1
    x = _conv_bn_relu6(b, x, f"features.{index}", 1280, kernel=1)
    x = b.adaptive_avg_pool(x, "avgpool")
    # classifier.0 is dropout, which inference skips.
    b.linear(x.reshape(x.shape[:2]), "classifier.1", CLASSES)
    return b.build()


def vgg16(params: VggParams) -> LayerGraph:
    """VGG-16, configuration D (Simonyan and Zisserman, 2015), torchvision layout."""
    b = GraphBuilder("vgg16")
    x, index = _image(b, params), 0
    for item in _VGG16:
        if item == "M":
            x, index = b.max_pool(x, f"features.{index}", kernel=2, stride=2), index + 1
            continue
        x = b.conv(x, f"features.{index}", item, kernel=3, padding=1, bias=True)
        x, index = b.activation(x, f"features.{index + 1}"), index + 2
    # torchvision pools to 7x7 whatever the image; at 224 pixels that pool is an identity.
    x = b.adaptive_avg_pool(x, "avgpool", out=7)
    x = x.reshape((x.shape[0], x.shape[1] * 7 * 7))
    # classifier.2 and classifier.5 are dropout, which inference skips.
    x = b.activation(b.linear(x, "classifier.0", 4096), "classifier.1")
    x = b.activation(b.linear(x, "classifier.3", 4096), "classifier.4")
    b.linear(x, "classifier.6", CLASSES)
    return b.build()
