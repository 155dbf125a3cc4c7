"""Small ONNX models and reference fake-quantizers for the sensitivity tests.

A one-layer model makes the activation proxy checkable by hand: the network
output is ``Q(x) @ Q(W)``, so numpy can compute what onnxruntime must return.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def matmul_model(path: Path, weights: np.ndarray, *, opset: int = 13) -> Path:
    """``y = x @ W`` with ``x: [N, C]`` (N symbolic) and ``W: [C, K]`` an initializer; node named ``fc``."""
    c, k = weights.shape
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="fc")], "fc",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", c])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", k])],
        [numpy_helper.from_array(weights.astype(np.float32), "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def two_layer_model(path: Path, w1: np.ndarray, w2: np.ndarray) -> Path:
    """``y = relu(x @ W1) @ W2``; nodes ``fc1`` and ``fc2``."""
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
         helper.make_node("Relu", ["h"], ["r"], name="relu"),
         helper.make_node("MatMul", ["r", "w2"], ["y"], name="fc2")], "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", w1.shape[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", w2.shape[1]])],
        [numpy_helper.from_array(w1.astype(np.float32), "w1"), numpy_helper.from_array(w2.astype(np.float32), "w2")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def symmetric_int(x: np.ndarray, bits: int, axis: int | tuple[int, ...] | None) -> np.ndarray:
    """Reference symmetric integer fake-quantizer: scale max|x| / (2^(b-1) - 1) (fp32) per ``axis`` slice."""
    top = np.abs(x).max(axis=axis, keepdims=axis is not None)
    high = 2 ** (bits - 1) - 1
    scale = np.asarray(top / high).astype(np.float32).astype(np.float64)
    return np.clip(np.round(x / scale), -high, high) * scale


def asymmetric_int(x: np.ndarray, bits: int, axis: int | None) -> np.ndarray:
    """Reference asymmetric fake-quantizer: 2^b levels over [min(x, 0), max(x, 0)] per ``axis`` slice."""
    keep = axis is not None
    lo = np.minimum(x.min(axis=axis, keepdims=keep), 0.0)
    hi = np.maximum(x.max(axis=axis, keepdims=keep), 0.0)
    scale = ((hi - lo) / (2**bits - 1)).astype(np.float32).astype(np.float64)
    zero = np.round(-lo / scale)
    return (np.clip(np.round(x / scale) + zero, 0, 2**bits - 1) - zero) * scale


def sqnr(reference: np.ndarray, approx: np.ndarray) -> float:
    """10 log10 of signal power over error power, in dB."""
    return float(10 * np.log10(np.sum(reference**2) / np.sum((reference - approx) ** 2)))
