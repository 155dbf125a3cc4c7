"""Activation density measured on real activations: the fraction of each layer's input that is non-zero.

Hardware that codes zeros in DRAM or gates zero operands (Eyeriss: run-length
coding and PE data gating, Chen et al., IEEE JSSC 2017, Sec. IV-B and V-C)
costs what the data holds, so the density is measured, not assumed: the float
model runs through onnxruntime on calibration inputs (`analysis.fakequant`)
and each weight layer's input activation is counted. `with_densities` puts
the figures on a graph: a layer's ``input_density``, and the ``output_density``
of the layer that produces that tensor.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from analysis import fakequant
from analysis.errors import AnalysisError
from workloads.graph import LayerGraph
from workloads.layers import Layer

__all__ = ["measure_density", "with_densities"]


def measure_density(model_path: str | Path, graph: LayerGraph, *, calibration: str | Path | None = None,
                    samples: int = 8, seed: int = 0) -> dict[str, float]:
    """Fraction of non-zero values in each weight layer's input activation over one float run.

    Parameters
    ----------
    model_path : str or Path
        The ONNX file ``graph`` was loaded from.
    graph : LayerGraph
        Its layer graph (names and weight tensors).
    calibration : str or Path, optional
        An ``.npz`` with one array per model input; default: synthetic N(0, 1)
        inputs (`analysis.fakequant.calibration_inputs`), whose first layer is dense.
    samples, seed : int
        Rows per input, and the seed of synthetic inputs.

    Returns
    -------
    dict of str to float
        Layer name -> density in [0, 1], in execution order.

    Raises
    ------
    AnalysisError
        onnxruntime missing (with the install hint), unreadable model or
        calibration file, a graph without weight layers or that does not match the model.
    """
    model = fakequant.read_model(model_path)
    layers = [layer for layer in graph.layers() if layer.is_mac and layer.weight_tensor]
    if not layers:
        raise AnalysisError("the graph has no weight layers to measure (load it from the ONNX model)",
                            str(model_path))
    feeds, _ = fakequant.calibration_inputs(model, graph, calibration, samples, seed)
    sites = [fakequant.locate(model, layer) for layer in layers]
    _, seen = fakequant.float_run(model, feeds, [site.activation for site in sites])
    return {layer.name: seen[site.activation].density for layer, site in zip(layers, sites, strict=True)}


def with_densities(graph: LayerGraph, densities: Mapping[str, float]) -> LayerGraph:
    """``graph`` with each named layer's ``input_density`` set, and its single producer's ``output_density``.

    A layer fed by several producers (a concatenation, a residual add) keeps
    its producers' output densities: the measured figure is of the combined input.

    Raises
    ------
    AnalysisError
        A name that is not a layer of the graph, or a density outside [0, 1].
    """
    produced: dict[str, float] = {}
    for name, density in densities.items():
        if name not in graph:
            raise AnalysisError(f"no layer named {name!r} in {graph.name!r}", "densities")
        if not 0.0 <= density <= 1.0:
            raise AnalysisError(f"density of {name!r} must be in [0, 1] (got {density})", "densities")
        producers = graph.predecessors(name)
        if len(producers) == 1:
            produced[producers[0]] = density

    def update(layer: Layer) -> Layer:
        changes = {}
        if layer.name in densities:
            changes["input_density"] = densities[layer.name]
        if layer.name in produced:
            changes["output_density"] = produced[layer.name]
        return layer.model_copy(update=changes) if changes else layer

    return graph.replace_layers(update)
