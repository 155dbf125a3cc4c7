"""A small graph builder for the zoo: place a layer, wire its inputs, track the shape.

Like schematic capture: each call places one cell, connects its pins to nets
already drawn (`Port`), and returns the net its output drives. `GraphBuilder.build`
hands back the netlist as a `LayerGraph`. Activation shapes are NCHW for
convolutional networks and (batch, tokens, features) for transformers; each
helper derives the loop dimensions of its `Layer` from the shape it reads, so
the model files only state what the framework's module states.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workloads.errors import WorkloadError
from workloads.graph import LayerGraph, Tensor
from workloads.layers import Layer, OpKind, effective_padding
from workloads.vector_ops import OPS_PER_OUTPUT, elementwise_ops, window_ops

__all__ = ["Port", "GraphBuilder", "conv_output_size"]


@dataclass(frozen=True)
class Port:
    """An activation later layers can read: the layer that wrote it and the tensor itself."""

    producer: str | None
    """Name of the producing layer; None for a graph input."""
    tensor: Tensor
    """The activation, with its real shape."""

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the tensor, batch first."""
        return self.tensor.shape

    def view(self, suffix: str, shape: tuple[int, ...]) -> Port:
        """A slice of the same output (``q`` and ``k`` out of a fused QKV projection)."""
        return Port(self.producer, Tensor(name=f"{self.tensor.name}[{suffix}]", shape=shape))

    def reshape(self, shape: tuple[int, ...]) -> Port:
        """The same elements in another shape (flatten, split heads): no layer, no copy."""
        return Port(self.producer, Tensor(name=self.tensor.name, shape=shape))


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Output rows of a convolution or pooling window with ``padding`` on each side (floor mode)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _vector_dims(shape: tuple[int, ...]) -> dict[str, int]:
    """Loop dimensions of an element-wise op over an NCHW, (N, tokens, C) or (N, C) tensor."""
    if len(shape) == 4:
        n, c, h, w = shape
        return {"n": n, "c": c, "k": c, "p": h, "q": w}
    if len(shape) == 3:
        n, tokens, c = shape
        return {"n": n, "c": c, "k": c, "p": tokens}
    n, c = shape
    return {"n": n, "c": c, "k": c}


class GraphBuilder:
    """Collects layers and the tensors between them, then builds one `LayerGraph`.

    Parameters
    ----------
    name : str
        The network's name.

    Examples
    --------
    >>> b = GraphBuilder("tiny")
    >>> x = b.input("input", (1, 3, 32, 32))
    >>> x = b.conv(x, "conv1", 16, kernel=3, padding=1)
    >>> x = b.batch_norm(x, "bn1")
    >>> g = b.build()
    >>> g.totals()["macs"], g.totals()["params"]
    (442368, 464)
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._layers: list[Layer] = []
        self._edges: list[tuple[str, str, Tensor]] = []
        self._inputs: dict[str, Tensor] = {}
        self._read_inputs: set[str] = set()

    def input(self, name: str, shape: tuple[int, ...]) -> Port:
        """A graph input called ``name``."""
        return Port(None, Tensor(name=name, shape=shape))

    def place(self, layer: Layer, inputs: Sequence[Port], shape: tuple[int, ...]) -> Port:
        """Add ``layer`` reading ``inputs``; returns its output, of shape ``shape``."""
        for port in inputs:
            if port.producer is not None:
                self._edges.append((port.producer, layer.name, port.tensor))
            elif port.tensor.name not in self._read_inputs:
                self._read_inputs.add(port.tensor.name)
                self._inputs[layer.name] = port.tensor
        self._layers.append(layer)
        return Port(layer.name, Tensor(name=f"{layer.name}:out", shape=shape))

    def build(self) -> LayerGraph:
        """The graph of everything placed so far."""
        return LayerGraph(self._layers, self._edges, name=self.name, inputs=self._inputs)

    # -- convolutional networks ------------------------------------------------------
    def conv(
        self, x: Port, name: str, out_channels: int, *, kernel: int, stride: int = 1,
        padding: int = 0, groups: int = 1, bias: bool = False,
    ) -> Port:
        """A square convolution with ``padding`` declared per side, as in ``torch.nn.Conv2d``."""
        n, c, h, w = x.shape
        p, q = (conv_output_size(v, kernel, stride, padding) for v in (h, w))
        if min(p, q) < 1:
            raise WorkloadError(f"input of {h}x{w} is too small for {name} ({kernel}x{kernel}/{stride})")
        layer = Layer(
            name=name, op=OpKind.CONV, source_op="Conv", n=n, k=out_channels, c=c, p=p, q=q,
            r=kernel, s=kernel, stride=(stride, stride), groups=groups,
            padding=(effective_padding(h, p, kernel, stride), effective_padding(w, q, kernel, stride)),
            aux_params=out_channels if bias else 0,
        )
        return self.place(layer, [x], (n, out_channels, p, q))

    def max_pool(self, x: Port, name: str, *, kernel: int, stride: int, padding: int = 0) -> Port:
        """Max pooling over a square window (``torch.nn.MaxPool2d``, floor mode)."""
        n, c, h, w = x.shape
        p, q = (conv_output_size(v, kernel, stride, padding) for v in (h, w))
        if min(p, q) < 1:
            raise WorkloadError(f"input of {h}x{w} is too small for {name} ({kernel}x{kernel}/{stride})")
        layer = Layer(
            name=name, op=OpKind.POOL, source_op="MaxPool", n=n, k=c, c=c, p=p, q=q, r=kernel, s=kernel,
            stride=(stride, stride), ops_per_output=window_ops(kernel, kernel),
            padding=(effective_padding(h, p, kernel, stride), effective_padding(w, q, kernel, stride)),
        )
        return self.place(layer, [x], (n, c, p, q))

    def adaptive_avg_pool(self, x: Port, name: str, out: int = 1) -> Port:
        """Average pooling to ``out`` x ``out``; ``out=1`` is global pooling (R=H, S=W).

        An input already of the output size passes through without a layer (the
        framework's pool is an identity there). Otherwise the varying windows of
        adaptive pooling become one window of ``in - (out - 1) * stride`` rows at
        stride ``in // out``, which covers the input exactly.
        """
        n, c, h, w = x.shape
        if (h, w) == (out, out):
            return x
        dims = []
        for size in (h, w):
            stride = max(size // out, 1)
            kernel = max(size - (out - 1) * stride, 1)
            dims.append((stride, kernel, effective_padding(size, out, kernel, stride)))
        (sh, r, ph), (sw, s, pw) = dims
        source = "GlobalAveragePool" if out == 1 else "AveragePool"
        layer = Layer(
            name=name, op=OpKind.POOL, source_op=source, n=n, k=c, c=c, p=out, q=out, r=r, s=s,
            stride=(sh, sw), padding=(ph, pw), ops_per_output=window_ops(r, s),
        )
        return self.place(layer, [x], (n, c, out, out))

    def batch_norm(self, x: Port, name: str) -> Port:
        """Inference batch-norm: per-channel scale and shift (running statistics are buffers)."""
        return self.norm(x, name, source_op="BatchNormalization", aux_params=2 * x.shape[1])

    # -- shared by all networks ---------------------------------------------------------
    def linear(self, x: Port, name: str, out_features: int, *, bias: bool = True) -> Port:
        """A fully connected layer over the last axis: N=batch, P=tokens, C=in, K=out."""
        n, *tokens, c = x.shape
        layer = Layer(
            name=name, op=OpKind.GEMM, source_op="Gemm", n=n, k=out_features, c=c,
            p=tokens[0] if tokens else 1, aux_params=out_features if bias else 0,
        )
        return self.place(layer, [x], (n, *tokens, out_features))

    def norm(self, x: Port, name: str, *, source_op: str, aux_params: int, table_op: str | None = None) -> Port:
        """A normalization over the channel (feature) axis, costed as ``table_op`` (default: ``source_op``)."""
        layer = Layer(name=name, op=OpKind.NORM, source_op=source_op, aux_params=aux_params,
                      ops_per_output=OPS_PER_OUTPUT[table_op or source_op], **_vector_dims(x.shape))
        return self.place(layer, [x], x.shape)

    def layer_norm(self, x: Port, name: str) -> Port:
        """LayerNorm with gamma and beta over the features."""
        return self.norm(x, name, source_op="LayerNormalization", aux_params=2 * x.shape[-1])

    def rms_norm(self, x: Port, name: str) -> Port:
        """RMSNorm with gamma only over the features (LLaMA)."""
        return self.norm(x, name, source_op="RMSNorm", aux_params=x.shape[-1], table_op="RMSNormalization")

    def activation(self, x: Port, name: str, *, source_op: str = "Relu") -> Port:
        """A point-wise non-linearity, costed from `workloads.vector_ops` by its ``source_op``."""
        layer = Layer(name=name, op=OpKind.ACTIVATION, source_op=source_op,
                      ops_per_output=OPS_PER_OUTPUT[source_op], **_vector_dims(x.shape))
        return self.place(layer, [x], x.shape)

    def elementwise(
        self, inputs: Sequence[Port], name: str, *, source_op: str = "Add", aux_params: int = 0,
    ) -> Port:
        """Element-wise arithmetic over tensors of one shape (residual add: two inputs).

        Costed from the table when ``source_op`` is in it (``RotaryEmbedding``),
        else as an n-ary op over the inputs and the constant operand, if any.
        """
        shape = inputs[0].shape
        ops = OPS_PER_OUTPUT.get(source_op, elementwise_ops(len(inputs) + bool(aux_params)))
        layer = Layer(name=name, op=OpKind.ELEMENTWISE, source_op=source_op, input_tensors=len(inputs),
                      ops_per_output=ops, aux_params=aux_params, **_vector_dims(shape))
        return self.place(layer, inputs, shape)

    def gather(self, ids: Port | None, name: str, out_shape: tuple[int, int, int]) -> Port:
        """Embedding lookup: reads one table row per token, so its input is the rows read.

        The table itself is not counted as layer parameters: ``aux_params`` is
        read whole on every inference, a lookup table is not (see `workloads.zoo`).
        """
        layer = Layer(name=name, op=OpKind.DATA_MOVEMENT, source_op="Gather", **_vector_dims(out_shape))
        return self.place(layer, [ids] if ids is not None else [], out_shape)
