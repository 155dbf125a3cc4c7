"""Numpy quantizers for real weight tensors, one per number-format family of the policy vocabulary.

The bench instrument of the sensitivity analysis: it does to a weight tensor
exactly what the chip's storage format would (round to the format's grid with
its scale, zero point or codebook) so the error can be measured, not guessed.
The format and scheme come from a `workloads.quant.TensorQuant` (usually
``parse_spec(candidate)[0].weights``); nothing here is a second vocabulary.

Conventions (all documented in `Sensitivity.settings` too):

- **Layout.** A weight tensor is viewed as a matrix of output channels x
  reduction elements: ONNX Conv weights ``[K, C/g, R, S]`` have the output
  channel on axis 0 (ConvTranspose ``[C, K/g, R, S]`` on axis 1); a 2-D
  Gemm/MatMul weight has it on the axis whose length is the layer's ``k``
  (``[K, C]`` for Gemm with ``transB=1``, ``[C, K]`` for ``X @ W``), and when
  both axes have that length, on axis 0 for Gemm (PyTorch exports Linear with
  ``transB=1``) and axis 1 for MatMul. The reduction axis is everything else,
  flattened in ONNX order (C/g, R, S); groups of g run along it, and a last
  partial group has its own scale.
- **Integers** of b bits: symmetric uses the restricted range
  ``[-(2^(b-1)-1), 2^(b-1)-1]`` with scale ``max|w| / (2^(b-1)-1)``; unsigned
  symmetric ``[0, 2^b-1]`` (negative values clip to 0); asymmetric uses all
  2^b levels over ``[min(w, 0), max(w, 0)]`` with an integer zero point.
  Rounding is half to even; scales are rounded to the scheme's scale format.
- **fp8** e4m3 / e5m2: a scale maps the largest magnitude onto the format's
  largest value (448 and 57344, OCP 8-bit Floating Point Specification v1.0,
  2023, Table 1), then each value rounds to the nearest representable number
  (subnormals included, half to even, saturating). fp16 / bf16 / fp32 weights
  round to their grid with no scale (fp32 is exact for fp32 weights).
- **Binary**: sign(w) x mean|w| per scale unit (XNOR-Net, Rastegari et al.
  2016). **Ternary**: TWN (Li and Liu 2016, eq. 9-10): threshold
  0.7 x mean|w|, level the mean |w| above it.
- **Codebooks** of 2^b levels per scale unit: Lloyd's k-means in one
  dimension, linear initialization between min and max (Han et al. 2016,
  Deep Compression, Sec. 3.1: the best of the inits they tried), levels
  stored at the scale format. Deterministic: no random seed is involved.
- **Clipping.** ``"maxabs"`` (default) scales to the largest magnitude;
  ``"mse"`` tries `CLIP_RATIOS` (100 ratios from 0.5 to 1.0 of the range) per
  scale unit and keeps the one of least squared error (ties keep the larger
  ratio), so it never does worse than max-abs. Clipping applies to integer and
  fp8 formats; binary, ternary and codebooks have no range to clip.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np

from analysis.errors import AnalysisError
from vocabulary.formats import FLOAT_FORMATS, FormatKind
from workloads.layers import Layer, OpKind
from workloads.quant import Granularity, NumberFormat, TensorQuant

__all__ = [
    "CLIP_RATIOS",
    "EXACT_SQNR_DB",
    "FLOAT_MAX",
    "KMEANS_ITERATIONS",
    "TERNARY_THRESHOLD",
    "Clipping",
    "effective_bits",
    "error_stats",
    "float_layout",
    "kmeans_rows",
    "output_axis",
    "quantize_matrix",
    "quantize_weights",
    "quantizer_settings",
    "relative_noise",
    "round_to_float",
    "sqnr_db",
    "uniform_grid",
]

Clipping = Literal["maxabs", "mse"]

EXACT_SQNR_DB = 400.0
"""SQNR reported for an exact representation (no error): above the ~313 dB double precision resolves."""
CLIP_RATIOS = np.linspace(0.5, 1.0, 100)
"""Fractions of the max-abs (or min/max) range tried by the ``"mse"`` clipping search."""
KMEANS_ITERATIONS = 100
"""Upper bound on Lloyd iterations per codebook (they stop earlier once levels stop moving)."""
TERNARY_THRESHOLD = 0.7
"""TWN threshold as a fraction of mean |w| (Li and Liu 2016, eq. 10)."""
FLOAT_MAX = {"fp8_e4m3": 448.0}
"""Largest finite values that differ from the IEEE rule (2 - 2^-m) 2^bias: OCP E4M3 has no infinity."""


def sqnr_db(signal_power: float, noise_power: float) -> float:
    """Signal-to-quantization-noise ratio in dB, `EXACT_SQNR_DB` when there is no noise.

    Examples
    --------
    >>> sqnr_db(100.0, 1.0)
    20.0
    """
    if noise_power <= 0.0 or signal_power <= 0.0:
        return EXACT_SQNR_DB
    return min(10.0 * math.log10(signal_power / noise_power), EXACT_SQNR_DB)


def error_stats(w: np.ndarray, q: np.ndarray) -> tuple[float, float, float]:
    """(MSE, SQNR in dB, relative error) of ``q`` as an approximation of ``w``.

    MSE is the mean of (w - q)^2 in the weight's units squared; SQNR is
    10 log10(sum w^2 / sum (w - q)^2); the relative error is
    ||w - q||_2 / ||w||_2 (0 for an all-zero tensor).

    Examples
    --------
    >>> error_stats(np.array([3.0, 4.0]), np.array([3.0, 3.0]))
    (0.5, 13.979400086720377, 0.2)
    """
    w64 = np.asarray(w, dtype=np.float64)
    diff = w64 - np.asarray(q, dtype=np.float64)
    noise, signal = float(np.sum(diff * diff)), float(np.sum(w64 * w64))
    relative = math.sqrt(noise / signal) if signal > 0 else 0.0
    return noise / max(w64.size, 1), sqnr_db(signal, noise), relative


def float_layout(fmt: NumberFormat) -> tuple[int, int, float]:
    """(stored mantissa bits, smallest normal exponent, largest finite value) of a float format."""
    _, exponent_bits, mantissa_bits = FLOAT_FORMATS[fmt.name]
    bias = 2 ** (exponent_bits - 1) - 1
    largest = FLOAT_MAX.get(fmt.name, (2.0 - 2.0**-mantissa_bits) * 2.0**bias)
    return mantissa_bits, 1 - bias, largest


def round_to_float(x: np.ndarray, fmt: NumberFormat) -> np.ndarray:
    """Round to the nearest value of a floating-point format (no scale), saturating at its largest value.

    Examples
    --------
    >>> from workloads.quant import parse_format
    >>> round_to_float(np.array([1.0625, 300.0, 1e6]), parse_format("fp8_e4m3")).tolist()
    [1.0, 288.0, 448.0]
    """
    mantissa_bits, min_exponent, largest = float_layout(fmt)
    y = np.asarray(x, dtype=np.float64)
    _, exp = np.frexp(np.abs(y))  # |y| = f 2^exp with f in [0.5, 1): floor(log2 |y|) = exp - 1
    step = np.ldexp(1.0, np.maximum(exp - 1, min_exponent) - mantissa_bits)  # subnormals share emin's step
    return np.clip(np.round(y / step) * step, -largest, largest)


def _stored(values: np.ndarray, scale_format: NumberFormat) -> np.ndarray:
    """Scales (or codebook levels) as the scheme stores them: rounded to a float scale format."""
    return round_to_float(values, scale_format) if scale_format.is_float else values


def _apply_scale(rows: np.ndarray, scale: np.ndarray, grid: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """scale x grid(rows / scale) per row; rows whose scale is 0 (all zeros, or underflow) become 0."""
    scale = scale[:, None]
    safe = np.where(scale > 0, scale, 1.0)
    return np.where(scale > 0, grid(rows / safe) * safe, 0.0)


def uniform_grid(lo: np.ndarray, hi: np.ndarray, tq: TensorQuant,
                 ratio: float = 1.0) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(scale, zero point, lowest code, highest code) of an integer grid over ranges ``[lo, hi]``.

    ``value = scale * (clip(round(x / scale) + zero, low, high) - zero)``; the
    ranges are per scale unit (arrays), shrunk by ``ratio`` when clipping.
    See the module docstring for the symmetric, unsigned and asymmetric rules.

    Examples
    --------
    >>> uniform_grid(np.array([-1.0]), np.array([14.0]), TensorQuant.of("int4", symmetric=False))
    (array([1.]), array([1.]), 0.0, 15.0)
    """
    bits = tq.bits
    if tq.symmetric:
        if tq.format.kind is FormatKind.UINT:
            low, high, top = 0.0, 2.0**bits - 1, np.maximum(hi, 0.0)
        else:
            high = 2.0 ** (bits - 1) - 1
            low, top = -high, np.maximum(np.abs(lo), np.abs(hi))
        return _stored(ratio * top / high, tq.scale_format), np.zeros_like(top), low, high
    lo, hi = np.minimum(lo, 0.0) * ratio, np.maximum(hi, 0.0) * ratio
    levels = 2.0**bits - 1
    scale = _stored((hi - lo) / levels, tq.scale_format)
    return scale, np.round(-lo / np.where(scale > 0, scale, 1.0)), 0.0, levels


def _uniform(rows: np.ndarray, tq: TensorQuant, ratio: float) -> np.ndarray:
    """Integer grid of ``tq.bits`` bits over each row's range."""
    scale, zero, low, high = uniform_grid(rows.min(axis=1), rows.max(axis=1), tq, ratio)
    zero = zero[:, None]
    return _apply_scale(rows, scale, lambda y: np.clip(np.round(y) + zero, low, high) - zero)


def _fp8(rows: np.ndarray, tq: TensorQuant, ratio: float) -> np.ndarray:
    """Scaled 8-bit float: the row's max magnitude (times ``ratio``) maps to the format's largest value."""
    largest = float_layout(tq.format)[2]
    scale = _stored(ratio * np.abs(rows).max(axis=1) / largest, tq.scale_format)
    return _apply_scale(rows, scale, lambda y: round_to_float(y, tq.format))


def _binary(rows: np.ndarray, tq: TensorQuant) -> np.ndarray:
    alpha = _stored(np.abs(rows).mean(axis=1), tq.scale_format)[:, None]
    return alpha * np.where(rows >= 0, 1.0, -1.0)


def _ternary(rows: np.ndarray, tq: TensorQuant) -> np.ndarray:
    magnitude = np.abs(rows)
    keep = magnitude > TERNARY_THRESHOLD * magnitude.mean(axis=1, keepdims=True)
    alpha = (magnitude * keep).sum(axis=1) / np.maximum(keep.sum(axis=1), 1)
    return _stored(alpha, tq.scale_format)[:, None] * np.sign(rows) * keep


def _row_searchsorted(sorted_rows: np.ndarray, keys: np.ndarray, side: Literal["left", "right"]) -> np.ndarray:
    """Per row, how many elements of ``sorted_rows`` lie before each key (one vectorized searchsorted).

    Each row is mapped monotonically onto [3i, 3i + 1] and its keys clipped to
    [3i - 1, 3i + 2], so one flat search never crosses into another row.
    """
    count, width = sorted_rows.shape
    lo = sorted_rows[:, :1]
    span = sorted_rows[:, -1:] - lo
    span = np.where(span > 0, span, 1.0)
    offset = 3.0 * np.arange(count)[:, None]
    flat = ((sorted_rows - lo) / span + offset).ravel()
    where = np.clip((keys - lo) / span, -1.0, 2.0) + offset
    return np.searchsorted(flat, where.ravel(), side=side).reshape(keys.shape) - width * np.arange(count)[:, None]


def kmeans_rows(rows: np.ndarray, levels: int, iterations: int = KMEANS_ITERATIONS) -> np.ndarray:
    """Sorted k-means levels of every row: 1-D Lloyd iterations from a linear initialization.

    Parameters
    ----------
    rows : ndarray, shape (units, n)
        Values to cluster, one codebook per row.
    levels : int
        Codebook size (2^b for a b-bit index).
    iterations : int
        Upper bound on Lloyd iterations.

    Returns
    -------
    ndarray, shape (units, levels)
        Levels in increasing order (an empty cluster keeps its previous level).

    Examples
    --------
    >>> kmeans_rows(np.array([[0.0, 1, 2, 10, 11, 12, 20, 30]]), 2).tolist()
    [[6.0, 25.0]]
    """
    ordered = np.sort(np.asarray(rows, dtype=np.float64), axis=1)
    lo, hi = ordered[:, :1], ordered[:, -1:]
    centers = lo + (hi - lo) * np.linspace(0.0, 1.0, levels)
    prefix = np.concatenate([np.zeros((len(ordered), 1)), np.cumsum(ordered, axis=1)], axis=1)
    ends = np.full((len(ordered), 1), ordered.shape[1])
    for _ in range(iterations):
        cuts = _row_searchsorted(ordered, (centers[:, 1:] + centers[:, :-1]) / 2, side="left")
        bounds = np.concatenate([np.zeros_like(ends), cuts, ends], axis=1)
        counts = np.diff(bounds, axis=1)
        sums = np.take_along_axis(prefix, bounds[:, 1:], 1) - np.take_along_axis(prefix, bounds[:, :-1], 1)
        moved = np.sort(np.where(counts > 0, sums / np.maximum(counts, 1), centers), axis=1)
        if np.array_equal(moved, centers):
            break
        centers = moved
    return centers


def _codebook(rows: np.ndarray, tq: TensorQuant) -> np.ndarray:
    levels = np.sort(_stored(kmeans_rows(rows, tq.format.levels), tq.scale_format), axis=1)
    index = _row_searchsorted((levels[:, 1:] + levels[:, :-1]) / 2, rows, side="right")
    return np.take_along_axis(levels, index, axis=1)


def _quantize_rows(rows: np.ndarray, tq: TensorQuant, clipping: Clipping) -> np.ndarray:
    """Quantize every row as one scale unit."""
    kind = tq.format.kind
    if kind in (FormatKind.INT, FormatKind.UINT, FormatKind.FLOAT):
        ranged = _fp8 if kind is FormatKind.FLOAT else _uniform
        return _best_clip(rows, lambda ratio: ranged(rows, tq, ratio), clipping)
    special = {FormatKind.BINARY: _binary, FormatKind.TERNARY: _ternary, FormatKind.CODEBOOK: _codebook}
    return special[kind](rows, tq)


def _best_clip(rows: np.ndarray, quantize: Callable[[float], np.ndarray], clipping: Clipping) -> np.ndarray:
    """Max-abs scaling, or per row the clipping ratio of least squared error."""
    best = quantize(1.0)
    if clipping == "maxabs":
        return best
    best_error = ((rows - best) ** 2).sum(axis=1)
    for ratio in CLIP_RATIOS[::-1][1:]:
        trial = quantize(float(ratio))
        error = ((rows - trial) ** 2).sum(axis=1)
        better = error < best_error
        best[better], best_error[better] = trial[better], error[better]
    return best


def quantize_matrix(matrix: np.ndarray, tq: TensorQuant, clipping: Clipping = "maxabs") -> np.ndarray:
    """Quantize a (output channels x reduction) matrix at ``tq``, returning dequantized float64 values.

    Parameters
    ----------
    matrix : ndarray, shape (channels, reduction)
        Weights, one output channel per row.
    tq : TensorQuant
        Format, granularity (tensor, channel, or groups of ``group_size`` along
        a row), symmetry and scale format.
    clipping : {"maxabs", "mse"}
        Scale rule for integer and fp8 formats (module docstring).

    Examples
    --------
    >>> w = np.array([[7.0, 2.5, -1.2, 0.4], [14.0, 3.0, -5.0, 0.9]])
    >>> quantize_matrix(w, TensorQuant.of("int4", granularity="channel")).tolist()
    [[7.0, 2.0, -1.0, 0.0], [14.0, 4.0, -4.0, 0.0]]
    """
    _check_clipping(clipping)
    matrix = np.asarray(matrix, dtype=np.float64)
    if not tq.format.needs_scale:
        return round_to_float(matrix, tq.format)
    channels, width = matrix.shape
    if tq.granularity is Granularity.TENSOR:
        return _quantize_rows(matrix.reshape(1, -1), tq, clipping).reshape(matrix.shape)
    if tq.granularity is Granularity.CHANNEL or tq.group_size >= width:
        return _quantize_rows(matrix, tq, clipping)
    full = width - width % tq.group_size
    out = np.empty_like(matrix)
    grouped = matrix[:, :full].reshape(-1, tq.group_size)
    out[:, :full] = _quantize_rows(grouped, tq, clipping).reshape(channels, full)
    if full < width:  # the last, shorter group of every row has a scale of its own
        out[:, full:] = _quantize_rows(matrix[:, full:], tq, clipping)
    return out


def output_axis(layer: Layer, weights: np.ndarray) -> int:
    """The output-channel axis of a layer's weight tensor (module docstring, "Layout").

    Examples
    --------
    >>> fc = Layer(name="fc", op="gemm", source_op="MatMul", c=200, k=2)
    >>> output_axis(fc, np.zeros((200, 2)))
    1
    """
    shape = weights.shape
    if layer.op is OpKind.CONV and weights.ndim >= 3:
        return 1 if layer.source_op == "ConvTranspose" else 0
    if weights.ndim < 2:
        return 0
    rows, cols = shape[-2:]
    if cols == layer.k != rows:
        return weights.ndim - 1
    if rows == layer.k != cols:
        return weights.ndim - 2
    return weights.ndim - (2 if layer.source_op == "Gemm" else 1)


def quantize_weights(layer: Layer, weights: np.ndarray, tq: TensorQuant,
                     clipping: Clipping = "maxabs") -> np.ndarray:
    """A layer's weight tensor quantized at ``tq`` and dequantized: float64, same shape as ``weights``."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim < 2:  # a weight vector feeds one output
        return quantize_matrix(w.reshape(1, -1), tq, clipping).reshape(w.shape)
    axis = output_axis(layer, w)
    moved = np.moveaxis(w, axis, 0)
    matrix = moved.reshape(moved.shape[0], -1)
    return np.moveaxis(quantize_matrix(matrix, tq, clipping).reshape(moved.shape), 0, axis).reshape(
        np.shape(weights))


def effective_bits(fmt: NumberFormat) -> float:
    """Bits of a full-scale uniform quantizer with the same relative noise power as ``fmt``.

    Integers and codebooks: their bits; binary 1; ternary log2(3); floats with
    m mantissa bits: m + log2(28)/2 (rounding noise 2^(-2m)/12 against a
    mean-square significand of 7/3).

    Examples
    --------
    >>> from workloads.quant import parse_format
    >>> effective_bits(parse_format("int4")), round(effective_bits(parse_format("fp8_e4m3")), 2)
    (4.0, 5.4)
    """
    if fmt.kind is FormatKind.FLOAT:
        return FLOAT_FORMATS[fmt.name][2] + math.log2(28.0) / 2
    if fmt.kind is FormatKind.TERNARY:
        return math.log2(3.0)
    return float(fmt.bits)


def relative_noise(fmt: NumberFormat) -> float:
    """2^(-2 b): the relative noise power of a full-scale uniform signal at the format's `effective_bits`.

    Examples
    --------
    >>> from workloads.quant import parse_format
    >>> relative_noise(parse_format("int8")) == 2.0**-16
    True
    """
    return 2.0 ** (-2.0 * effective_bits(fmt))


def quantizer_settings(clipping: Clipping) -> dict[str, str | float | None]:
    """The conventions above as a settings record (for `Sensitivity.settings`).

    Raises
    ------
    AnalysisError
        If ``clipping`` is not ``"maxabs"`` or ``"mse"``.
    """
    _check_clipping(clipping)
    return {
        "scale_rule": "max-abs" if clipping == "maxabs" else "mse-optimal clipping ratio per scale unit",
        "clip_ratios": f"{len(CLIP_RATIOS)} in [0.5, 1.0] of the range" if clipping == "mse" else None,
        "integer_range": "symmetric +-(2^(b-1)-1); unsigned 0..2^b-1; asymmetric 2^b levels with zero point",
        "rounding": "half to even; scales rounded to the scheme's scale format",
        "channel_axis": "Conv 0, ConvTranspose 1, Gemm/MatMul the axis of length k",
        "fp8": "scale maps max |w| to 448 (e4m3) / 57344 (e5m2), OCP FP8 v1.0; round to nearest, saturating",
        "ternary_threshold": TERNARY_THRESHOLD,
        "codebook": f"1-D k-means per scale unit, linear init, <= {KMEANS_ITERATIONS} Lloyd iterations",
        "sqnr_exact_db": EXACT_SQNR_DB,
    }


def _check_clipping(clipping: str) -> None:
    if clipping not in ("maxabs", "mse"):
        raise AnalysisError(f"clipping must be 'maxabs' or 'mse' (got {clipping!r})")
