"""One layer of a network, as the loop nest an accelerator executes.

Every operator is described by the same seven-deep loop nest that Timeloop,
ZigZag and SCALE-Sim use for convolutions::

    for n in N:              batch (or independent instances, e.g. attention heads)
      for k in K:            output channels / output features
        for c in C / G:      input channels per group / reduction length
          for p, q in P, Q:  output rows and columns (tokens for a GEMM)
            for r, s in R, S:  kernel rows and columns
              O[n,k,p,q] += W[k,c,r,s] * I[n,c, p*stride+r*dil, q*stride+s*dil]

A GEMM ``Y[M, Nout] = X[M, Kin] W[Kin, Nout]`` is N=batch, P=rows, C=Kin,
K=Nout; a batched matmul (attention) has a second *dynamic* operand in place
of W. Operators without multiply-accumulates (pooling, element-wise,
normalization, softmax, activation, data movement) keep the same shape fields
and carry their element-wise operation count for the vector unit.
"""

from __future__ import annotations

from enum import Enum

from pydantic import Field, model_validator

from workloads._model import FrozenModel
from workloads.quant import QuantSpec

__all__ = ["OpKind", "Layer", "MAC_OPS", "effective_padding"]


class OpKind(str, Enum):
    """What a layer computes; decides which unit runs it and how it is counted."""

    CONV = "conv"
    """Convolution; grouped and depthwise convolutions set ``groups``."""
    GEMM = "gemm"
    """Fully connected / linear layer with static weights."""
    MATMUL = "matmul"
    """Batched matmul of two activations (attention scores, attention x values)."""
    POOL = "pool"
    """Max or average pooling (global pooling has R=H, S=W)."""
    ELEMENTWISE = "elementwise"
    """Element-wise arithmetic over one or more tensors (residual add, mul)."""
    NORM = "norm"
    """Batch, layer or RMS normalization."""
    SOFTMAX = "softmax"
    """Softmax along the channel axis."""
    ACTIVATION = "activation"
    """Point-wise non-linearity (ReLU, GELU, SiLU ...)."""
    DATA_MOVEMENT = "data_movement"
    """Concat, reshape, transpose, gather, and ops without a cost model: bytes, no arithmetic."""


MAC_OPS = frozenset({OpKind.CONV, OpKind.GEMM, OpKind.MATMUL})
"""Op kinds that run on MAC arrays."""

_Dim = Field(default=1, ge=1)


class Layer(FrozenModel):
    """One operator with its loop dimensions, derived counts and precision.

    Examples
    --------
    ResNet-50's first convolution (7x7, stride 2, 3 -> 64 channels, 112x112 output):

    >>> conv1 = Layer(name="conv1", op="conv", k=64, c=3, p=112, q=112, r=7, s=7,
    ...               stride=(2, 2), padding=(5, 5))
    >>> conv1.macs
    118013952
    >>> conv1.input_hw
    (224, 224)
    """

    name: str = Field(min_length=1)
    """Unique name in its graph (the ONNX node name or the zoo's name)."""
    op: OpKind
    """Operator family."""
    source_op: str | None = None
    """The operator as its source named it (ONNX op_type or zoo label: ``Relu``, ``LayerNorm``)."""
    n: int = _Dim
    """Batch size, or independent instances (batch x heads for attention)."""
    k: int = _Dim
    """Output channels or output features."""
    c: int = _Dim
    """Input channels or reduction length (all groups together)."""
    p: int = _Dim
    """Output rows (tokens for a GEMM)."""
    q: int = _Dim
    """Output columns."""
    r: int = _Dim
    """Kernel rows."""
    s: int = _Dim
    """Kernel columns."""
    stride: tuple[int, int] = (1, 1)
    """Stride along rows and columns."""
    dilation: tuple[int, int] = (1, 1)
    """Kernel dilation along rows and columns."""
    padding: tuple[int, int] = (0, 0)
    """Effective zero padding along rows and columns, both sides added.

    Effective means the padding the output positions actually read: ResNet's
    7x7/2 stem declares 3+3 but, because the output size is floored, reads only
    3+2, so it is given as 5 and the input comes out as the real 224 rows.
    It is negative when strided windows never reach the last input rows (a 1x1
    stride-2 convolution on 56 rows reads 55 of them: padding -1), so that the
    input still comes out as the real tensor. Use `effective_padding` to
    derive it from a real input size.
    """
    groups: int = _Dim
    """Convolution groups; ``groups == c == k`` is a depthwise convolution."""
    input_tensors: int = _Dim
    """Tensors of the input's shape read (2 for a residual add)."""
    ops_per_output: float = Field(default=0.0, ge=0.0)
    """Vector-unit operations per output element (non-MAC ops: 1 for ReLU, ~5 for softmax)."""
    aux_params: int = Field(default=0, ge=0)
    """Per-channel parameters beside the weights: bias, batch-norm scale and shift."""
    fused: tuple[str, ...] = ()
    """Ops folded into this layer by the compiler, in order (``batchnorm``, ``bias``, ``relu``)."""
    kv_cache: bool = False
    """The dynamic second operand of this matmul is the attention KV cache."""
    weight_tensor: str | None = None
    """Name of the weight tensor in the graph's weight source (ONNX initializer), if any."""
    quant: QuantSpec | None = None
    """Precision annotation; None until a policy is applied (or the model declared one)."""
    input_density: float = Field(default=1.0, ge=0.0, le=1.0)
    """Fraction of the input activations that are non-zero (ReLU networks: well below 1 past the first
    layer); hardware that codes zeros or gates on them reads it, everything else ignores it."""
    output_density: float = Field(default=1.0, ge=0.0, le=1.0)
    """Fraction of the output activations, as written, that are non-zero (the next layer's input
    density when nothing runs between them)."""

    @model_validator(mode="after")
    def _check_shape(self) -> Layer:
        if any(v < 1 for v in (*self.stride, *self.dilation)):
            raise ValueError(f"stride and dilation must be >= 1 (got {self.stride}, {self.dilation})")
        if self.c % self.groups or self.k % self.groups:
            raise ValueError(
                f"groups must divide c and k (got groups={self.groups}, c={self.c}, k={self.k})"
            )
        if min(self.input_hw) < 1:
            raise ValueError(
                f"padding {self.padding} leaves an empty input for p={self.p}, q={self.q}, "
                f"r={self.r}, s={self.s}"
            )
        return self

    @property
    def is_mac(self) -> bool:
        """True when the layer runs on a MAC array."""
        return self.op in MAC_OPS

    @property
    def is_depthwise(self) -> bool:
        """True for a depthwise convolution (one input channel per group)."""
        return self.op is OpKind.CONV and self.groups > 1 and self.groups == self.c

    @property
    def has_static_weights(self) -> bool:
        """True when the W operand is a parameter tensor (not a second activation)."""
        return self.op in (OpKind.CONV, OpKind.GEMM)

    @property
    def input_hw(self) -> tuple[int, int]:
        """Input rows and columns implied by output size, kernel, stride, dilation and padding."""
        (sh, sw), (dh, dw), (ph, pw) = self.stride, self.dilation, self.padding
        rows = (self.p - 1) * sh + (self.r - 1) * dh + 1 - ph
        cols = (self.q - 1) * sw + (self.s - 1) * dw + 1 - pw
        return rows, cols

    @property
    def macs(self) -> int:
        """Multiply-accumulates: N x K x C/G x P x Q x R x S (0 for non-MAC ops)."""
        if not self.is_mac:
            return 0
        return self.n * self.k * (self.c // self.groups) * self.p * self.q * self.r * self.s

    @property
    def w_operand_elements(self) -> int:
        """Elements of the W operand: static weights, or the second matmul operand over all N."""
        if not self.is_mac:
            return 0
        per_instance = self.k * (self.c // self.groups) * self.r * self.s
        return per_instance * (self.n if self.op is OpKind.MATMUL else 1)

    @property
    def weight_elements(self) -> int:
        """Static weight elements (0 for matmul of two activations and non-MAC ops)."""
        return self.w_operand_elements if self.has_static_weights else 0

    @property
    def params(self) -> int:
        """Trainable parameters: weights plus bias / normalization parameters."""
        return self.weight_elements + self.aux_params

    @property
    def input_elements(self) -> int:
        """Elements of the input activations read (all input tensors)."""
        rows, cols = self.input_hw
        return self.n * self.c * rows * cols * self.input_tensors

    @property
    def output_elements(self) -> int:
        """Elements of the output activations written."""
        return self.n * self.k * self.p * self.q

    @property
    def vector_ops(self) -> int:
        """Element-wise operations for the vector unit (non-MAC ops and fused epilogues)."""
        return round(self.output_elements * self.ops_per_output)

    def with_quant(self, spec: QuantSpec | None) -> Layer:
        """A copy of this layer annotated with ``spec``."""
        return self.model_copy(update={"quant": spec})


def effective_padding(in_size: int, out_size: int, kernel: int, stride: int, dilation: int = 1) -> int:
    """Total padding the output positions read along one axis, given the real input size.

    Examples
    --------
    >>> effective_padding(224, 112, kernel=7, stride=2)
    5
    >>> effective_padding(56, 28, kernel=1, stride=2)   # never reads the last row
    -1
    """
    return (out_size - 1) * stride + (kernel - 1) * dilation + 1 - in_size
