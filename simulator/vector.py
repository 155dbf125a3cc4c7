"""The vector unit's share of a layer: element-wise work, and how fast the unit does it.

A MAC layer's epilogue (fused batch-norm/activation, requantization of every
output, dynamic-range reductions) runs on the vector unit while the array
computes; a non-MAC layer is all vector work. Both the mapper and the cost
model need these cycles, so they live here.
"""

from __future__ import annotations

import math

from hwmodels import Accelerator, ConfigError
from simulator.errors import MappingError
from simulator.quant_actions import count_quant_actions
from workloads.footprint import compute_spec
from workloads.layers import Layer

__all__ = ["epilogue_ops", "vector_format", "vector_cycles"]


def epilogue_ops(layer: Layer) -> int:
    """Vector operations of a MAC layer: fused ops, requantization, dynamic-range compares."""
    q = count_quant_actions(layer, compute_spec(layer), weight_reads=0)
    return layer.vector_ops + q.requant_fp32 + q.requant_dyadic + q.range_compares


def vector_format(layer: Layer, accum_bits: int) -> tuple[int, bool]:
    """(bits, floating) of a MAC layer's epilogue: the accumulator, or the executed float format."""
    spec = compute_spec(layer)
    if spec.compute_is_float:
        return spec.compute_formats[1].bits, True
    return accum_bits, False


def vector_cycles(layer: Layer, acc: Accelerator, ops: int, bits: int, floating: bool) -> int:
    """Cycles the vector unit needs for ``ops`` operations on ``bits``-bit operands.

    Raises
    ------
    MappingError
        If the vector unit has no format of that kind (e.g. float work on an integer-only unit).
    """
    if not ops:
        return 0
    try:
        return math.ceil(ops / acc.vector_unit.ops_per_cycle(bits, floating))
    except ConfigError as exc:
        raise MappingError(layer.name, exc.message) from None
