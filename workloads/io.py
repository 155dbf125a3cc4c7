"""One door for every workload source: a zoo name, an ONNX file or a layer-list file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from workloads.errors import WorkloadError
from workloads.graph import LayerGraph, fuse
from workloads.layerlist import load_layer_list
from workloads.limits import check_layer_limits

__all__ = ["load_workload", "LAYER_LIST_SUFFIXES"]

LAYER_LIST_SUFFIXES = (".yaml", ".yml", ".json")


def load_workload(
    source: str | Path,
    *,
    params: Mapping[str, Any] | None = None,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    fused: bool = True,
) -> LayerGraph:
    """Load a network from a zoo name, an ``.onnx`` file or a YAML/JSON layer list.

    Parameters
    ----------
    source : str or Path
        ``resnet50`` (see `workloads.zoo.list_models`), ``model.onnx`` or ``net.yaml``.
    params : mapping, optional
        Zoo parameters such as ``batch``, ``image_size``, ``seq_len`` (zoo models only).
    input_shapes : mapping, optional
        Concrete shapes for symbolic ONNX inputs, e.g. ``{"input_ids": (1, 128)}``.
    fused : bool
        Fold batch-norm, bias and activation layers into their producer, as a compiler does.

    Raises
    ------
    WorkloadError
        Unknown zoo name, missing or malformed file, or options that do not apply.

    Examples
    --------
    >>> g = load_workload("resnet18")
    >>> round(g.totals()["macs"] / 1e9, 3)
    1.814
    """
    text = str(source)
    if not text.strip():
        raise WorkloadError("no workload given: the model name or file path is empty")
    path = Path(text)
    is_file = path.suffix.lower() in (".onnx", *LAYER_LIST_SUFFIXES) or path.exists()
    if is_file and params:
        raise WorkloadError(f"model parameters {sorted(params)} apply to zoo models only", text)
    if path.suffix.lower() == ".onnx":
        from workloads.onnx_import import load_onnx  # onnx is heavy; import on demand

        graph = load_onnx(path, input_shapes=input_shapes)
    elif input_shapes:
        raise WorkloadError("--input-shape applies to ONNX files only", text)
    elif path.suffix.lower() in LAYER_LIST_SUFFIXES:
        graph = load_layer_list(path)
    elif path.exists():
        kind = "a directory" if path.is_dir() else "an unknown file type"
        raise WorkloadError(f"{kind}, not a workload (expected a zoo name or an .onnx, .yaml, .yml or .json file)",
                            text)
    else:
        from workloads.zoo import build_model

        graph = build_model(text, **dict(params or {}))
    check_layer_limits(graph.layers(), text)
    return fuse(graph) if fused else graph
