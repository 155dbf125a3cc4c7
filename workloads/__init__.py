"""Workloads: the layer graph, the built-in zoo, importers and the quantization vocabulary."""

from workloads.errors import QuantSpecError, WorkloadError
from workloads.graph import LayerGraph, Tensor, fuse, stream
from workloads.io import load_workload
from workloads.layers import Layer, OpKind, effective_padding
from workloads.policy import QuantPolicy, apply_quant, load_policy, parse_policy
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
from workloads.summary import WorkloadSummary, summarize
from workloads.zoo import ModelInfo, build_model, list_models

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
    "ModelInfo",
    "QuantPolicy",
    "WorkloadSummary",
    "apply_quant",
    "build_model",
    "effective_padding",
    "fuse",
    "list_models",
    "load_policy",
    "load_workload",
    "parse_format",
    "parse_policy",
    "stream",
    "summarize",
]
