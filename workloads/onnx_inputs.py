"""The inputs of an ONNX graph: their declared shapes, the shapes a user gives, ``--batch``.

Like the pins of a chip package: the netlist declares them, some with a
width fixed and some left to the board (symbolic dimensions); the importer
needs every one concrete and says which are missing and what to pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import onnx
from onnx import ModelProto

from workloads.errors import WorkloadError

__all__ = ["batch_shapes", "input_shapes_of", "real_inputs"]


def input_shapes_of(model: ModelProto, input_shapes: Mapping[str, Sequence[int]], source: str
                    ) -> dict[str, tuple[int, ...]]:
    """The concrete shape of every real input: the user's where given, else the declared one.

    The user's shapes are written into ``model``'s input declarations.

    Raises
    ------
    WorkloadError
        A shape for a name that is no graph input, of the wrong rank or with a dimension below 1;
        an input left with an unknown dimension (the message names them and the option to pass).
    """
    inputs = real_inputs(model)
    _set_input_shapes(inputs, input_shapes, source)
    return _check_static_inputs(inputs, source)


def batch_shapes(model: ModelProto, batch: int, input_shapes: Mapping[str, Sequence[int]] | None, source: str
                 ) -> dict[str, tuple[int, ...]]:
    """Input shapes that run ``batch`` items through a model exported for one (``--batch``).

    Every real input gets ``batch`` as its leading dimension, which must be
    declared 1 or symbolic (or given as 1 in ``input_shapes``); its other
    dimensions stay as declared or given (symbolic ones still need ``input_shapes``).

    Raises
    ------
    WorkloadError
        ``batch`` below 1, or an input whose leading dimension is a fixed size other than 1.
    """
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise WorkloadError(f"batch must be a positive integer (got {batch!r})", "--batch")
    shapes = {k: tuple(int(d) for d in v) for k, v in (input_shapes or {}).items()}
    for name, shape in shapes.items():
        if shape and shape[0] not in (1, batch):
            raise WorkloadError(f"--batch {batch} contradicts the shape {shape} given for input {name!r}", source)
        shapes[name] = (batch, *shape[1:]) if shape else shape
    for vi in real_inputs(model):
        dims = list(vi.type.tensor_type.shape.dim) if vi.type.HasField("tensor_type") else []
        if vi.name in shapes or not dims:
            continue
        lead = dims[0].dim_value if dims[0].HasField("dim_value") else 0
        if lead > 1:
            raise WorkloadError(f"input {vi.name!r} has a fixed batch of {lead}; --batch applies to inputs "
                                "declared with batch 1 or a symbolic batch", source)
        rest = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in dims[1:]]
        if all(d is not None for d in rest):
            shapes[vi.name] = (batch, *rest)
    return shapes


def real_inputs(model: ModelProto) -> list[onnx.ValueInfoProto]:
    """Graph inputs that are not initializers (old IR lists weights as inputs too)."""
    weights = {t.name for t in model.graph.initializer}
    weights |= {t.values.name for t in model.graph.sparse_initializer}
    return [vi for vi in model.graph.input if vi.name not in weights]


def _set_input_shapes(real_inputs, input_shapes: Mapping[str, Sequence[int]], source: str) -> None:
    """Write the user's shapes into the input declarations, before shape inference."""
    by_name = {vi.name: vi for vi in real_inputs}
    for key, dims in input_shapes.items():
        if key not in by_name:
            known = ", ".join(repr(n) for n in by_name) or "none"
            raise WorkloadError(f"input_shapes names {key!r}, which is not a graph input (inputs: {known})",
                                source)
        try:
            dims = tuple(int(d) for d in dims)
        except (TypeError, ValueError):
            dims = (0,)
        if any(d < 1 for d in dims):
            raise WorkloadError(f"input_shapes[{key!r}] must be positive integers (got {dims})", source)
        tensor = by_name[key].type.tensor_type
        declared = len(tensor.shape.dim)
        if tensor.HasField("shape") and declared and declared != len(dims):
            raise WorkloadError(f"input_shapes[{key!r}] has {len(dims)} dimensions but input {key!r} "
                                f"has {declared}", source)
        tensor.shape.ClearField("dim")
        for d in dims:
            tensor.shape.dim.add().dim_value = d


def _check_static_inputs(real_inputs, source: str) -> dict[str, tuple[int, ...]]:
    """The concrete shape of every real input; else an error naming the unknown dimensions."""
    shapes = {}
    for vi in real_inputs:
        if not vi.type.HasField("tensor_type"):
            raise WorkloadError(f"input {vi.name!r} is not a tensor; qcosim imports tensor inputs only", source)
        tensor, name = vi.type.tensor_type, vi.name
        if not tensor.HasField("shape"):
            raise WorkloadError(f"input {name!r} has no declared shape; pass --input-shape "
                                f"{name}=<comma-separated dims>", source)
        dims = list(tensor.shape.dim)
        unknown = [axis for axis, d in enumerate(dims) if not (d.HasField("dim_value") and d.dim_value > 0)]
        if unknown:
            raise WorkloadError(_unknown_input_message(name, dims, unknown), source)
        shapes[name] = tuple(d.dim_value for d in dims)
    return shapes


def _unknown_input_message(name: str, dims, unknown: list[int]) -> str:
    """Names the unknown dimensions and shows the known ones in the --input-shape to pass."""
    def why(axis: int) -> str:
        d = dims[axis]
        if d.dim_param and d.dim_param != "?":  # Paddle2ONNX names unknown dimensions "?"
            return f"{axis} ({d.dim_param!r})"
        if d.HasField("dim_value"):
            meaning = "an empty axis" if d.dim_value == 0 else "a dynamic size, as exporters write it"
            return f"{axis} (declared {d.dim_value}: {meaning})"
        return str(axis)

    placeholders = {axis: f"D{axis}" for axis in unknown}
    hint = ",".join(placeholders.get(axis, str(d.dim_value)) for axis, d in enumerate(dims))
    plural = "s" if len(unknown) > 1 else ""
    batch = " (or --batch D0)" if unknown == [0] else ""
    return (f"input {name!r} has unknown dimension{plural} at ax{'es' if plural else 'is'} "
            f"{', '.join(why(a) for a in unknown)}; pass --input-shape {name}={hint}{batch} "
            f"with {', '.join(placeholders.values())} the size{plural} to simulate")
