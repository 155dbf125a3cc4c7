"""Bits per activation element after a chip's zero-coding, given how dense the activations are.

Pure arithmetic on a code declared by the hardware (`hwmodels.sparsity`).
Run-length coding (Eyeriss, Chen et al., IEEE JSSC 2017, Sec. IV-B) writes
each non-zero value as a (run, level) pair: the zeros before it as a
``run_bits`` count, the value itself at the element's width. A run stops at
2^run_bits - 1 zeros; the next element then closes the pair whatever its
value. ``(word_bits - flag_bits) // (run_bits + element_bits)`` pairs fill a
word (Eyeriss: three 5 + 16-bit pairs and a last-word flag in 64 bits).

With zeros independent and a fraction ``z = 1 - density`` of the stream, a
pair covers min(G, m + 1) elements, G geometric with success ``density`` and
m the longest run, so on average ``sum_{k=0..m} z**k`` elements per pair.
A code that would expand a tensor (dense data: 21.3 bits for a 16-bit value)
is bypassed, as Eyeriss stores the first layer's input uncoded.
"""

from __future__ import annotations

from hwmodels.sparsity import RunLengthCode
from workloads.layers import Layer
from workloads.quant import QuantSpec

__all__ = ["run_length_bits", "coded_bits", "coded_ratio", "activation_coding"]


def run_length_bits(element_bits: float, density: float, code: RunLengthCode) -> float:
    """Expected bits per element of a run-length-coded stream (framing included), zeros independent.

    Examples
    --------
    Eyeriss's code on 16-bit values: dense data takes a 64-bit word per three
    values; half-zero data about twice as few words.

    >>> code = RunLengthCode(run_bits=5, word_bits=64, flag_bits=1)
    >>> round(run_length_bits(16, 1.0, code), 4), round(run_length_bits(16, 0.5, code), 4)
    (21.3333, 10.6667)
    """
    pairs_per_word = (code.word_bits - code.flag_bits) // (code.run_bits + element_bits)
    if pairs_per_word < 1:
        return float("inf")  # a value does not fit a word beside its run: the code cannot carry it
    zeros = 1.0 - density
    longest_run = 2**code.run_bits - 1
    elements_per_pair = sum(zeros**k for k in range(longest_run + 1))
    return code.word_bits / pairs_per_word / elements_per_pair


def coded_bits(element_bits: float, density: float, code: RunLengthCode | None) -> float:
    """Bits per element as stored: coded where that is smaller, raw otherwise (and without a code).

    Examples
    --------
    >>> code = RunLengthCode()
    >>> coded_bits(16, 1.0, code), coded_bits(16, 0.5, None)
    (16, 16)
    """
    if code is None:
        return element_bits
    return min(element_bits, run_length_bits(element_bits, density, code))


def coded_ratio(element_bits: float, density: float, code: RunLengthCode | None) -> float:
    """Stored bits over raw bits of a tensor of ``element_bits`` values at ``density`` (1.0: no saving).

    Examples
    --------
    >>> round(coded_ratio(16, 0.224, RunLengthCode()), 3)   # Eyeriss CONV5 ifmaps, 77.6% zeros
    0.299
    """
    return coded_bits(element_bits, density, code) / element_bits


def activation_coding(layer: Layer, code: RunLengthCode | None) -> tuple[float, float]:
    """(inputs, outputs): a layer's activation bits as stored in DRAM over raw bits, at its densities.

    1.0 each without a code (`hwmodels.Sparsity.activation_compression`).
    Partial sums, weights and a matmul's second operand are never coded.
    """
    if code is None:
        return 1.0, 1.0
    spec = layer.quant or QuantSpec()
    return (coded_ratio(spec.inputs.bits, layer.input_density, code),
            coded_ratio(spec.outputs.bits, layer.output_density, code))
