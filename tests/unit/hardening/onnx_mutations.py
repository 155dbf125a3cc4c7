"""Mutations of real ONNX models for the importer's fuzz tests: truncation, bit flips, attribute and shape edits.

Each mutation is a pure function of (model bytes, random generator) returning
new bytes, so a failing case is reproduced from its seed alone. The seed
models are the small real networks that ship with the ``onnx`` package
(``backend/test/data/light``: AlexNet, SqueezeNet ... with their weights
stripped), read from the installed package, never committed.
"""

from __future__ import annotations

import random
from pathlib import Path

import onnx
from onnx import AttributeProto, ModelProto

LIGHT_MODELS = Path(onnx.__file__).parent / "backend/test/data/light"
SEED_MODELS = ("light_squeezenet.onnx", "light_bvlc_alexnet.onnx", "light_resnet50.onnx")
_EXTREMES = (0, -1, -(2**63), 2**31, 2**40, 10**12, 2**63 - 1)


def seed_model(name: str = "light_squeezenet.onnx") -> bytes:
    """The bytes of one of the ``onnx`` package's light models."""
    return (LIGHT_MODELS / name).read_bytes()


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def flip_bits(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _edit(data: bytes, rng: random.Random, change) -> bytes:
    model = ModelProto()
    model.ParseFromString(data)
    change(model, rng)
    return model.SerializeToString()


def _edit_attribute(model: ModelProto, rng: random.Random) -> None:
    nodes = [n for n in model.graph.node if n.attribute]
    if not nodes:
        return
    attribute = rng.choice(rng.choice(nodes).attribute)
    if attribute.type == AttributeProto.INT:
        attribute.i = rng.choice(_EXTREMES)
    elif attribute.type == AttributeProto.INTS:
        values = list(attribute.ints)
        choice = rng.randrange(3)
        if choice == 0 and values:
            values[rng.randrange(len(values))] = rng.choice(_EXTREMES)
        elif choice == 1:
            values = values[:-1]
        else:
            values = values + [rng.choice(_EXTREMES)]
        del attribute.ints[:]
        attribute.ints.extend(values)
    elif attribute.type == AttributeProto.FLOAT:
        attribute.f = rng.choice((float("nan"), float("inf"), -1.0, 0.0))
    elif attribute.type == AttributeProto.STRING:
        attribute.s = rng.choice((b"", b"BOGUS", b"SAME_UPPER", b"VALID"))


def _edit_shape(model: ModelProto, rng: random.Random) -> None:
    choice = rng.randrange(3)
    if choice == 0 and model.graph.input:
        dims = model.graph.input[0].type.tensor_type.shape.dim
        if dims:
            dim = dims[rng.randrange(len(dims))]
            if rng.random() < 0.3:
                dim.dim_param = "sym"
            else:
                dim.dim_value = rng.choice(_EXTREMES)
    elif choice == 1 and model.graph.initializer:
        tensor = rng.choice(model.graph.initializer)
        if tensor.dims:
            tensor.dims[rng.randrange(len(tensor.dims))] = rng.choice(_EXTREMES)
    else:
        nodes = [n for n in model.graph.node if n.op_type == "Reshape"] or list(model.graph.node)
        node = rng.choice(nodes)
        if node.input:
            node.input[rng.randrange(len(node.input))] = rng.choice(("", "ghost", node.output[0]))


def _edit_wiring(model: ModelProto, rng: random.Random) -> None:
    nodes = model.graph.node
    a, b = rng.randrange(len(nodes)), rng.randrange(len(nodes))
    choice = rng.randrange(4)
    if choice == 0 and nodes[a].input:  # read a later node's output: a cycle or a forward edge
        nodes[a].input[0] = nodes[max(a, b)].output[0]
    elif choice == 1:
        nodes[a].op_type = rng.choice(("Bogus", "QuantizeLinear", "DequantizeLinear", "Reshape", "MatMul", "Gemm"))
    elif choice == 2:
        del nodes[a]
    else:
        nodes[a].output[0] = nodes[b].output[0]


def edit_attribute(data: bytes, rng: random.Random) -> bytes:
    return _edit(data, rng, _edit_attribute)


def edit_shape(data: bytes, rng: random.Random) -> bytes:
    return _edit(data, rng, _edit_shape)


def edit_wiring(data: bytes, rng: random.Random) -> bytes:
    return _edit(data, rng, _edit_wiring)


MUTATIONS = (truncate, flip_bits, edit_attribute, edit_shape, edit_wiring)
"""Every mutation; `mutate` picks one per case."""


def mutate(data: bytes, seed: int) -> tuple[str, bytes]:
    """(mutation name, mutated bytes) for ``seed``: the same seed always gives the same case."""
    rng = random.Random(seed)
    mutation = MUTATIONS[seed % len(MUTATIONS)]
    return mutation.__name__, mutation(data, rng)
