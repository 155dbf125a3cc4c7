"""Vector-unit operations per output element: one table for the zoo and the ONNX importer.

The instruction count of each element-wise kernel, written once, like a cell
library's cycle table that every synthesis run reads. The zoo's graph builder
and the ONNX operator handlers both take ``ops_per_output`` from here, so a
network costs the same whether it comes from the zoo or from a file.

Counting rule: one operation per add, subtract, multiply, compare, divide or
special function (exp, erf, tanh, sqrt through a special-function unit) per
output element. Work done once per reduced row (a mean's final divide, the
variance's ``+ eps`` and square root, a softmax's reciprocal) is shared by
the row's elements and counted as zero per element. A negated operand is a
sign flip folded into the next operation.

==================================  ====  ===========================================
operator                            ops   per output element
==================================  ====  ===========================================
Relu, ThresholdedRelu, Tanh, ...    1     one compare or one special function
LeakyRelu, PRelu, Clip (ReLU6)      2     compare + multiply, or min + max
Sigmoid, Softplus, Elu, ...         3     exp(-x), + 1, divide (log for Softplus)
Silu, Swish                         4     Sigmoid (3) + multiply by x, as torch.onnx exports SiLU
HardSwish, Selu, Celu               4
Gelu, Mish                          5     x / sqrt 2, erf, + 1, * 0.5, * x
Softmax, LogSoftmax                 5     max, subtract, exp, sum, divide (log-subtract)
Hardmax                             2     compare, write one-hot
BatchNormalization (inference)      2     multiply by the folded scale, add the shift
LayerNormalization                  7     sum for the mean, subtract it, square, sum for
                                          the variance, multiply by 1/std, gamma, beta
InstanceNormalization, GroupNorm    7     LayerNorm's steps over another axis set
MeanVarianceNormalization           5     LayerNorm without gamma and beta
RMSNormalization                    4     square, sum, multiply by 1/rms, gamma
LpNormalization                     3     square (or abs), sum, divide by the norm
RotaryEmbedding                     3     x * cos + rotate_half(x) * sin
==================================  ====  ===========================================

The decomposed graphs exporters write count the same: LayerNorm as
``ReduceMean, Sub, Pow, ReduceMean, Add(eps), Sqrt, Div, Mul, Add`` is
1 + 1 + 1 + 1 + 0 + 0 + 1 + 1 + 1 = 7 per element, RMSNorm as
``Pow, ReduceMean, Add(eps), Sqrt, Div, Mul, Mul`` is 4, GELU as
``Div, Erf, Add, Mul, Mul`` is 5, SiLU as ``Sigmoid, Mul`` is 4.

Two rules depend on the layer's shape instead of its operator: an n-ary
element-wise op costs one operation per operand beyond the first
(`elementwise_ops`), and a pooling window one per element it reads
(`window_ops`: R x S; MaxPool compares, AveragePool adds and divides once).
"""

from __future__ import annotations

__all__ = ["OPS_PER_OUTPUT", "elementwise_ops", "window_ops"]

OPS_PER_OUTPUT: dict[str, float] = {
    **dict.fromkeys(("Relu", "ThresholdedRelu", "Tanh", "Sign", "Abs", "Neg"), 1.0),
    **dict.fromkeys(("LeakyRelu", "Clip", "Shrink", "PRelu"), 2.0),
    **dict.fromkeys(("Sigmoid", "HardSigmoid", "Softplus", "Softsign", "Elu"), 3.0),
    **dict.fromkeys(("Silu", "Swish", "HardSwish", "Selu", "Celu"), 4.0),
    **dict.fromkeys(("Gelu", "Mish"), 5.0),
    **dict.fromkeys(("Softmax", "LogSoftmax"), 5.0),
    "Hardmax": 2.0,
    "BatchNormalization": 2.0,
    **dict.fromkeys(("LayerNormalization", "InstanceNormalization", "GroupNormalization"), 7.0),
    "MeanVarianceNormalization": 5.0,
    "RMSNormalization": 4.0,
    "LpNormalization": 3.0,
    "RotaryEmbedding": 3.0,
}
"""Operator (ONNX ``op_type`` spelling) -> vector operations per output element; see the module table."""


def elementwise_ops(operands: int) -> float:
    """Operations per output of an n-ary element-wise op: one per operand beyond the first (at least one).

    Parameters
    ----------
    operands : int
        Inputs of the op, constants included (a bias added element-wise is an operand).

    Examples
    --------
    >>> elementwise_ops(2), elementwise_ops(3), elementwise_ops(1)
    (1.0, 2.0, 1.0)
    """
    return float(max(operands - 1, 1))


def window_ops(rows: int, cols: int) -> float:
    """Operations per output of a pooling window of ``rows x cols`` elements: one per element read.

    Examples
    --------
    >>> window_ops(3, 3)
    9.0
    """
    return float(rows * cols)
