"""Workloads: the layer graph, the built-in zoo, importers and the quantization vocabulary."""

from workloads.errors import QuantSpecError, WorkloadError
from workloads.graph import LayerGraph, Tensor, fuse
from workloads.layers import Layer, OpKind, effective_padding
from workloads.quant import (
    ExecutionMode,
    FormatKind,
    Granularity,
    NumberFormat,
    QuantSpec,
    RequantMode,
    TensorQuant,
    parse_format,
)

__all__ = [
    "ExecutionMode",
    "FormatKind",
    "Granularity",
    "Layer",
    "LayerGraph",
    "NumberFormat",
    "OpKind",
    "QuantSpec",
    "QuantSpecError",
    "RequantMode",
    "Tensor",
    "TensorQuant",
    "WorkloadError",
    "effective_padding",
    "fuse",
    "parse_format",
]
