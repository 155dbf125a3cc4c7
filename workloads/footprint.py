"""How many bits each operand of a layer occupies at its quantization format.

This is mechanism 2 of the design (data movement) at its source: the same
layer moves half the weight bytes at int4 as at int8, plus whatever its scales
and zero points cost. The simulator sizes tiles and prices traffic from these
figures; `summarize` reports them per layer.
"""

from __future__ import annotations

import math

from workloads._model import FrozenModel
from workloads.layers import Layer, OpKind
from workloads.quant import QuantSpec

__all__ = ["OperandBits", "operand_bits", "compute_spec", "AUX_PARAM_BITS"]

AUX_PARAM_BITS = 32
"""Bias and folded normalization parameters are stored at 32 bits (int32 bias, fp32 scale)."""


class OperandBits(FrozenModel):
    """Storage of one layer's operands, in bits, including scale and zero-point overhead."""

    weights_bits: int
    """The W operand: static weights, or the dynamic second matmul operand (KV cache)."""
    aux_bits: int
    """Bias and folded normalization parameters."""
    inputs_bits: int
    """Input activations (all input tensors)."""
    outputs_bits: int
    """Output activations as stored."""
    weight_bits_per_element: float
    """Average bits per W-operand element, scales included (4.125 for int4 with fp16 g128)."""
    input_bits_per_element: float
    """Average bits per input element, scales included."""
    output_bits_per_element: float
    """Average bits per output element, scales included."""

    @property
    def weight_bytes(self) -> int:
        """Bytes of W operand plus bias, rounded up to whole bytes."""
        return math.ceil((self.weights_bits + self.aux_bits) / 8)


def compute_spec(layer: Layer) -> QuantSpec:
    """The layer's spec as its arithmetic sees it.

    A batched matmul multiplies two activations: its W operand is the second
    input (or the KV cache), so it carries that tensor's format, not the
    weights'. Under ``w4a8`` attention runs int8 x int8.

    Examples
    --------
    >>> from workloads.policy import parse_spec
    >>> qk = Layer(name="qk", op="matmul", n=12, p=128, c=64, k=128, quant=parse_spec("w4a8-kv4")[0])
    >>> compute_spec(qk).weights.format.name, compute_spec(qk.model_copy(update={"kv_cache": True})).weights.format.name
    ('int8', 'int4')
    """
    spec = layer.quant or QuantSpec()
    if layer.op is OpKind.MATMUL:
        return spec.model_copy(update={"weights": spec.kv_format() if layer.kv_cache else spec.inputs})
    return spec


def operand_bits(layer: Layer) -> OperandBits:
    """Bits of each operand of ``layer`` at its annotated precision (fp32 if unannotated).

    Examples
    --------
    >>> from workloads.policy import apply_quant, parse_spec
    >>> fc = Layer(name="fc", op="gemm", c=4096, k=4096)
    >>> spec, _ = parse_spec("w4a16-g128")
    >>> operand_bits(fc.with_quant(spec)).weight_bits_per_element
    4.125
    """
    spec = layer.quant or QuantSpec()
    w_quant = compute_spec(layer).weights
    # Scales run along the output channel; for a matmul each instance has its own rows.
    w_channels = layer.k * (layer.n if layer.op is OpKind.MATMUL else 1)
    w_elems, in_elems, out_elems = layer.w_operand_elements, layer.input_elements, layer.output_elements
    w_bits = w_quant.storage_bits(w_elems, w_channels) if w_elems else 0
    in_bits = spec.inputs.storage_bits(in_elems, layer.c * layer.n)
    out_bits = spec.outputs.storage_bits(out_elems, layer.k * layer.n)
    return OperandBits(
        weights_bits=w_bits,
        aux_bits=layer.aux_params * AUX_PARAM_BITS,
        inputs_bits=in_bits,
        outputs_bits=out_bits,
        weight_bits_per_element=w_bits / w_elems if w_elems else float(w_quant.bits),
        input_bits_per_element=in_bits / in_elems,
        output_bits_per_element=out_bits / out_elems,
    )
