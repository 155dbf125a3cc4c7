"""The extra work quantization adds to a layer, counted as actions before any pricing.

Quantized hardware does more than MACs: accumulators are scaled back to the
output format (requantization: an fp32 multiply, or HAWQ-V3's dyadic integer
multiply-and-shift), weight-only schemes dequantize weights before float MACs,
asymmetric schemes add zero-point correction terms, dynamic quantization
reduces each activation tensor to its range at run time, and non-uniform
(codebook) formats look every weight up in a table. Each is counted here, per
layer, as plain integers; `simulator.energy` prices them with the hardware's
energy table (Accelergy's "count first, price after").
"""

from __future__ import annotations

from dataclasses import dataclass

from workloads.layers import Layer, OpKind
from workloads.quant import ExecutionMode, FormatKind, QuantSpec, RequantMode

__all__ = ["QuantActions", "count_quant_actions"]


@dataclass(frozen=True)
class QuantActions:
    """Counts of quantization-overhead operations of one layer."""

    requant_fp32: int = 0
    """Outputs rescaled with an fp32 multiply (plus int<->float conversion, priced as an fp32 add)."""
    requant_dyadic: int = 0
    """Outputs rescaled with an integer multiply by b and a shift by c (dyadic scale b / 2^c)."""
    dequant: int = 0
    """Operand elements dequantized to float (one float multiply each) before float MACs."""
    dequant_bits: int = 16
    """Width of the float format dequantized to."""
    zero_point_adds: int = 0
    """Accumulator-width additions of zero-point correction terms."""
    zero_point_mults: int = 0
    """Multiplications of zero-point correction terms."""
    range_compares: int = 0
    """Min/max comparisons of dynamic quantization (one per input element)."""
    scale_computations: int = 0
    """Scales derived at run time (an fp32 divide, priced as an fp32 multiply)."""
    codebook_lookups: int = 0
    """Weight reads that pass through a codebook table."""
    codebook_entries: int = 0
    """Entries of the codebook table (sets its access energy)."""


def count_quant_actions(layer: Layer, spec: QuantSpec, weight_reads: int) -> QuantActions:
    """Count the quantization overhead of ``layer`` at ``spec``.

    Parameters
    ----------
    layer : Layer
        The layer (MAC or vector).
    spec : QuantSpec
        Its precision.
    weight_reads : int
        W-operand elements the array reads from its buffers (each read of a
        dequantized or codebook weight pays the conversion again).

    Examples
    --------
    >>> from workloads.policy import parse_spec
    >>> fc = Layer(name="fc", op="gemm", p=4, c=64, k=32)
    >>> count_quant_actions(fc, parse_spec("w8a8")[0], weight_reads=2048).requant_dyadic
    128
    >>> count_quant_actions(fc, parse_spec("w4a16")[0], weight_reads=2048).dequant
    2048
    """
    outputs = layer.output_elements
    counts: dict[str, int] = {}
    if layer.is_mac and spec.requant is RequantMode.FP32:
        counts["requant_fp32"] = outputs
    elif layer.is_mac and spec.requant is RequantMode.DYADIC:
        counts["requant_dyadic"] = outputs
    if layer.is_mac:
        _count_conversions(layer, spec, weight_reads, counts)
        _count_zero_points(layer, spec, counts)
    if spec.inputs.dynamic and not spec.inputs.format.is_float:
        counts["range_compares"] = layer.input_elements
        counts["scale_computations"] = 1
    return QuantActions(**counts)


def _count_conversions(layer: Layer, spec: QuantSpec, weight_reads: int, counts: dict[str, int]) -> None:
    w_fmt, a_fmt = spec.compute_formats
    if spec.execution is ExecutionMode.FAKE:
        counts["dequant"] = weight_reads + layer.input_elements
        counts["dequant_bits"] = a_fmt.bits
    elif spec.weight_only:
        counts["dequant"] = weight_reads
        counts["dequant_bits"] = w_fmt.bits
    if spec.weights.format.kind is FormatKind.CODEBOOK and layer.op is not OpKind.MATMUL:
        counts["codebook_lookups"] = weight_reads
        counts["codebook_entries"] = spec.weights.format.levels


def _count_zero_points(layer: Layer, spec: QuantSpec, counts: dict[str, int]) -> None:
    """sum (w - zw)(x - zx) = sum wx - zx sum w - zw sum x + K zw zx.

    ``zx * sum w`` is static and folds into the bias: one add per output. ``zw *
    sum x`` needs the input sums of every output pixel: one add per input
    element read by the reduction, and one multiply and add per output.
    """
    if spec.compute_is_float:
        return
    adds = mults = 0
    if not spec.inputs.symmetric:
        adds += layer.output_elements
    if not spec.weights.symmetric:
        reduction = (layer.c // layer.groups) * layer.r * layer.s
        pixels = layer.n * layer.p * layer.q * layer.groups
        adds += pixels * reduction + layer.output_elements
        mults += layer.output_elements
    if adds:
        counts["zero_point_adds"] = adds
    if mults:
        counts["zero_point_mults"] = mults
