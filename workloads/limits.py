"""Bounds on the size of a workload, checked once when it is loaded, whatever its source.

A layer list, a zoo parameter or an ONNX shape can ask for a layer whose
loop dimensions are 10^12 each. Every count then overflows the 64-bit
integers the simulator's vectorized cost model uses, or the simulation runs
for hours on a network no chip will ever see. Like a fab's design-rule
deck, the limits below are generous for any real network (GPT-3's largest
GEMM at 8k tokens has about 2^41 MACs) and refuse only what cannot be a
network. Each message names the layer, the field and the limit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from workloads.errors import WorkloadError
from workloads.layers import Layer

__all__ = ["MAX_DIM", "MAX_LAYERS", "MAX_LAYER_MACS", "MAX_TENSOR_ELEMENTS", "MAX_OPS_PER_OUTPUT",
           "check_layer_limits"]

MAX_LAYERS = 100_000
"""Most layers in one graph (stream copies included)."""
MAX_DIM = 2**24
"""Largest loop dimension, stride, dilation, padding, group count or input-tensor count (16,777,216)."""
MAX_LAYER_MACS = 2**50
"""Most multiply-accumulates (and vector operations) in one layer (about 1.1e15)."""
MAX_TENSOR_ELEMENTS = 2**40
"""Most elements in one layer's input, output or weight tensor (about 1.1e12)."""
MAX_OPS_PER_OUTPUT = 1e6
"""Largest ``ops_per_output`` (vector operations per output element)."""

_DIMS = ("n", "k", "c", "p", "q", "r", "s", "groups", "input_tensors")
_PAIRS = ("stride", "dilation", "padding")


def check_layer_limits(layers: Iterable[Layer], source: str | None = None) -> None:
    """Refuse a workload any of whose layers passes a limit of this module.

    Parameters
    ----------
    layers : iterable of Layer
        The workload's layers.
    source : str, optional
        The file or model name, for the message.

    Raises
    ------
    WorkloadError
        ``net.yaml: layer 'fc': k must be <= 16777216 (got 1000000000000)``
        and the like.

    Examples
    --------
    >>> check_layer_limits([Layer(name="fc", op="gemm", c=4096, k=2**30)], "net.yaml")
    Traceback (most recent call last):
    ...
    workloads.errors.WorkloadError: net.yaml: layer 'fc': k must be <= 16777216 (got 1073741824)
    """
    count = 0
    for layer in layers:
        count += 1
        if count > MAX_LAYERS:
            raise WorkloadError(f"more than {MAX_LAYERS:,} layers", source)
        problem = _layer_problem(layer)
        if problem:
            raise WorkloadError(f"layer {layer.name!r}: {problem}", source)


def _layer_problem(layer: Layer) -> str | None:
    for name in _DIMS:
        value = getattr(layer, name)
        if value > MAX_DIM:
            return f"{name} must be <= {MAX_DIM} (got {value})"
    for name in _PAIRS:
        values = getattr(layer, name)
        if max(abs(v) for v in values) > MAX_DIM:
            return f"{name} must lie within +-{MAX_DIM} (got {list(values)})"
    if not math.isfinite(layer.ops_per_output) or layer.ops_per_output > MAX_OPS_PER_OUTPUT:
        return f"ops_per_output must be a finite number <= {MAX_OPS_PER_OUTPUT:g} (got {layer.ops_per_output})"
    if layer.aux_params > MAX_TENSOR_ELEMENTS:
        return f"aux_params must be <= {MAX_TENSOR_ELEMENTS} (got {layer.aux_params})"
    for what, value in (("input", layer.input_elements), ("output", layer.output_elements),
                        ("weight", layer.w_operand_elements)):
        if value > MAX_TENSOR_ELEMENTS:
            return f"{what} tensor must have <= {MAX_TENSOR_ELEMENTS} elements (2^40; got {value})"
    work = max(layer.macs, layer.output_elements * layer.ops_per_output)
    if work > MAX_LAYER_MACS:
        return f"must do <= {MAX_LAYER_MACS} MACs or vector operations (2^50; got {work:.4g})"
    return None
