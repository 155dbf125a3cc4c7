"""Per-layer sensitivity: what each precision choice costs in accuracy, per (layer, candidate).

The characterization run before tape-out: every weight layer is tried at
every candidate format, one at a time, and the damage is measured. Four
proxies, each naming what its ``value`` is (lower is better, >= 0, summed over
layers by the search):

- ``weights``: real weights quantized with numpy (`analysis.quantizers`).
  value = ||W - Q(W)||^2 / ||W||^2, the layer's relative weight-noise power
  (10^(-SQNR/10)), plus 2^(-2 b_a) for the candidate's activation format (the
  relative noise power of a full-scale uniform signal at b_a effective bits,
  `analysis.quantizers.effective_bits`), so candidates that differ only in activations do not tie.
  Relative noise powers add from layer to layer to first order (Lin, Talathi
  and Annapureddy 2016, "Fixed Point Quantization of Deep Convolutional
  Networks", Sec. 3: 1/SQNR_out = sum of 1/SQNR_i), which is what makes the
  sum over layers meaningful.
- ``activations``: onnxruntime runs the model with one layer's weights and
  input activation quantized (`analysis.fakequant`). value = output noise
  power / output signal power = 10^(-output SQNR/10), same additive model.
- ``hawq``: Hessian traces from a CSV file. value = Omega = trace(H)/n *
  ||W - Q(W)||^2 (HAWQ-V3, Yao et al. 2021, Sec. 3), in the loss's units;
  activation formats are not measured (candidates differing only there tie).
- ``heuristic``: no weights at all (zoo models, layer lists). value =
  2^(-2 b_w) + 2^(-2 b_a) from the formats' effective bits only.

SQNR of an exact representation is reported as `EXACT_SQNR_DB` (400 dB).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, PrivateAttr

from analysis import fakequant
from analysis.errors import AnalysisError
from analysis.quantizers import (
    Clipping,
    error_stats,
    quantize_weights,
    quantizer_settings,
    relative_noise,
    sqnr_db,
)
from analysis.traces import read_traces
from vocabulary.model import FrozenModel
from workloads.errors import QuantSpecError
from workloads.graph import LayerGraph
from workloads.layers import Layer
from workloads.policy import parse_spec
from workloads.quant import QuantSpec

__all__ = [
    "Proxy",
    "Sensitivity",
    "SensitivityRow",
    "activation_sensitivity",
    "has_weights",
    "hawq_sensitivity",
    "heuristic_sensitivity",
    "sensitivity",
    "weight_sensitivity",
]

Proxy = Literal["weights", "activations", "hawq", "heuristic"]
Settings = dict[str, str | int | float | bool | None]


class SensitivityRow(FrozenModel):
    """One layer at one candidate format."""

    layer: str
    """Layer name, as in the graph."""
    candidate: str
    """Policy shorthand as given (``w4a8``, ``w4a8-g128``)."""
    weight_mse: float | None
    """Mean of (W - Q(W))^2, in the weights' units squared; None when no weights were read."""
    weight_sqnr_db: float | None
    """10 log10(sum W^2 / sum (W - Q(W))^2) in dB (400 dB when exact); None without weights."""
    relative_error: float | None
    """||W - Q(W)||_2 / ||W||_2, dimensionless; None without weights."""
    output_sqnr_db: float | None = None
    """Network-output SQNR in dB with only this layer quantized (activations proxy), else None."""
    top1_agreement: float | None = Field(default=None, ge=0.0, le=1.0)
    """Fraction of argmax positions equal to the float model's (activations proxy, class scores)."""
    value: float = Field(ge=0.0, allow_inf_nan=False)
    """The proxy's scalar for the search (see `Sensitivity.description`); lower is better."""


class Sensitivity(FrozenModel):
    """A table of per-(layer, candidate) sensitivities with the proxy that produced it.

    Examples
    --------
    >>> row = SensitivityRow(layer="fc", candidate="w8a8", weight_mse=None, weight_sqnr_db=None,
    ...                      relative_error=None, value=0.5)
    >>> table = Sensitivity(proxy="heuristic", description="d", settings={}, rows=[row])
    >>> table.value("fc", "W8A8")
    0.5
    """

    proxy: Proxy
    """Which proxy measured the rows."""
    description: str
    """One line naming the proxy and what ``value`` is; shown with every table."""
    settings: Settings
    """Quantizer and calibration settings used (scale rule, clipping, calibration source ...)."""
    rows: list[SensitivityRow]
    """One row per weight layer and candidate, layers in execution order."""
    _index: dict[tuple[str, str], float] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: object, /) -> None:
        for row in self.rows:
            self._index.setdefault((row.layer, row.candidate), row.value)
            self._index.setdefault((row.layer, _normal(row.candidate)), row.value)

    def value(self, layer: str, candidate: str) -> float:
        """The ``value`` of ``layer`` at ``candidate`` (candidate spelling is case-insensitive).

        Raises
        ------
        AnalysisError
            If the table has no such row; the message names both and what the table has.
        """
        found = self._index.get((layer, candidate), self._index.get((layer, _normal(candidate))))
        if found is not None:
            return found
        known = self.layers()
        where = (f"candidates: {', '.join(self.candidates())}" if layer in known
                 else f"{len(known)} layers, e.g. {', '.join(known[:3])}")
        raise AnalysisError(f"no sensitivity for layer {layer!r} at candidate {candidate!r} "
                            f"({self.proxy} proxy; {where})")

    def layers(self) -> list[str]:
        """Layer names in row order."""
        return list(dict.fromkeys(row.layer for row in self.rows))

    def candidates(self) -> list[str]:
        """Candidates in row order."""
        return list(dict.fromkeys(row.candidate for row in self.rows))

    def to_json(self) -> str:
        """The table as indented JSON (``Sensitivity.model_validate_json`` reads it back)."""
        return self.model_dump_json(indent=2)


def _normal(candidate: str) -> str:
    return candidate.strip().lower()


def _specs(candidates: Sequence[str]) -> dict[str, QuantSpec]:
    """Each candidate's per-layer spec, through the project's policy grammar."""
    specs: dict[str, QuantSpec] = {}
    for text in candidates:
        try:
            spec, keep = parse_spec(text)
        except QuantSpecError as exc:
            raise AnalysisError(exc.message, "candidates") from None
        if spec is None or keep:
            raise AnalysisError(f"{text!r} is not a format one layer can take "
                                "('declared' and '-fl8' are whole-network rules)", "candidates")
        specs.setdefault(text, spec)
    if not specs:
        raise AnalysisError("at least one candidate is needed (e.g. w4a8,w8a8)", "candidates")
    return specs


def has_weights(graph: LayerGraph) -> bool:
    """True when the graph can load weight values (an imported ONNX model), False for shapes only."""
    return graph.weight_source is not None and any(
        layer.has_static_weights and layer.weight_tensor for layer in graph.layers())


def _weight_layers(graph: LayerGraph, proxy: str) -> list[tuple[Layer, np.ndarray]]:
    """Every layer with static weights, with its float weight values, in execution order."""
    layers = [layer for layer in graph.layers() if layer.has_static_weights]
    if not has_weights(graph):
        raise AnalysisError(f"the {proxy} proxy needs weight values, and {graph.name!r} has none (zoo models "
                            "and layer lists carry shapes only): load an ONNX model with weights, or use the "
                            "heuristic")
    found = []
    for layer in layers:
        w = graph.weights(layer.name)
        if w is None:
            raise AnalysisError(f"layer {layer.name!r} has no weight values in {graph.name!r}")
        if not np.issubdtype(w.dtype, np.floating):
            raise AnalysisError(f"layer {layer.name!r}: weights are stored as {w.dtype} (a quantized model); "
                                "sensitivity needs the float weights")
        found.append((layer, w))
    return found


def _measure(layer: Layer, w: np.ndarray, spec: QuantSpec, clipping: Clipping) -> tuple[dict, np.ndarray]:
    """The weight-error fields of a row for one layer at one spec, and the quantized weights."""
    q = quantize_weights(layer, w, spec.weights, clipping)
    mse, sqnr, relative = error_stats(w, q)
    return {"weight_mse": mse, "weight_sqnr_db": sqnr, "relative_error": relative}, q


def weight_sensitivity(graph: LayerGraph, candidates: Sequence[str], *,
                       clipping: Clipping = "maxabs") -> Sensitivity:
    """Quantize every weight layer's real weights at every candidate and measure the error.

    Parameters
    ----------
    graph : LayerGraph
        A graph with weight values (``workloads.load_workload("model.onnx")``).
    candidates : sequence of str
        Policy shorthands (``w8a8``, ``w4a8-g128``, ``w4a8-cb``, ``fp8``); the
        weight format and scheme are ``parse_spec(candidate)[0].weights``.
    clipping : {"maxabs", "mse"}
        Scale rule for integer and fp8 weights (`analysis.quantizers`).

    Returns
    -------
    Sensitivity
        Proxy ``weights``; value = ||W - Q(W)||^2 / ||W||^2 + 2^(-2 b_a) (module docstring).

    Raises
    ------
    AnalysisError
        A graph without weight values, a bad candidate or clipping rule.
    """
    specs = _specs(candidates)
    settings = quantizer_settings(clipping)
    rows = []
    for layer, w in _weight_layers(graph, "weights"):
        for candidate, spec in specs.items():
            fields, _ = _measure(layer, w, spec, clipping)
            rows.append(SensitivityRow(layer=layer.name, candidate=candidate, **fields,
                                       value=fields["relative_error"] ** 2 + relative_noise(spec.inputs.format)))
    settings["activation_term"] = "2^(-2*b) at the activation format's effective bits (analytic)"
    return Sensitivity(
        proxy="weights", settings=settings, rows=rows,
        description="weights: value = ||W-Q(W)||^2/||W||^2 (measured on the model's weights) + "
                    "2^(-2*activation bits) (analytic); lower is better")


def activation_sensitivity(model_path: str | Path, graph: LayerGraph, candidates: Sequence[str], *,
                           calibration: str | Path | None = None, samples: int = 8, seed: int = 0,
                           clipping: Clipping = "maxabs") -> Sensitivity:
    """Run the model with one layer at a time quantized (weights and input) and measure the output.

    Parameters
    ----------
    model_path : str or Path
        The ONNX file ``graph`` was loaded from.
    graph : LayerGraph
        Its layer graph (names, weight tensors, import shapes).
    candidates : sequence of str
        Policy shorthands; weights at ``spec.weights``, the input at ``spec.inputs``.
    calibration : str or Path, optional
        An ``.npz`` with one array per model input (rows along axis 0); default:
        synthetic N(0, 1) inputs, labelled as such (`analysis.fakequant.calibration_inputs`).
    samples : int
        Rows per input used (and drawn, for synthetic inputs).
    seed : int
        Seed of the synthetic inputs.
    clipping : {"maxabs", "mse"}
        Scale rule for the weights.

    Returns
    -------
    Sensitivity
        Proxy ``activations``; value = 10^(-output SQNR/10), the output's relative noise power.

    Raises
    ------
    AnalysisError
        onnxruntime missing (with the install hint), unreadable model or
        calibration file, a graph that does not match the model.
    """
    specs = _specs(candidates)
    settings = quantizer_settings(clipping)
    model = fakequant.read_model(model_path)
    feeds, label = fakequant.calibration_inputs(model, graph, calibration, samples, seed)
    layers = _weight_layers(graph, "activations")
    sites = [fakequant.locate(model, layer) for layer, _ in layers]
    reference, seen = fakequant.float_run(model, feeds, [site.activation for site in sites])
    signal = float(np.sum(reference**2))
    rows = []
    for (layer, w), site in zip(layers, sites, strict=True):
        for candidate, spec in specs.items():
            fields, q = _measure(layer, w, spec, clipping)
            out = fakequant.quantized_run(model, feeds, site, q, spec.inputs, seen[site.activation])
            noise = float(np.sum((out - reference) ** 2))
            rows.append(SensitivityRow(layer=layer.name, candidate=candidate, **fields,
                                       output_sqnr_db=sqnr_db(signal, noise), top1_agreement=_top1(reference, out),
                                       value=noise / signal if signal > 0 else 0.0))
    rows_used = len(next(iter(feeds.values())))
    settings.update(calibration=label, samples=rows_used, seed=seed if calibration is None else None,
                    activation_ranges="static min/max per tensor over the calibration run ('-dyn': per sample)",
                    output=model.graph.output[0].name)
    return Sensitivity(
        proxy="activations", settings=settings, rows=rows,
        description=f"activations ({label}, {rows_used} samples): value = 10^(-output SQNR/10), the network "
                    "output's relative noise power with one layer's weights and input quantized")


def _top1(reference: np.ndarray, out: np.ndarray) -> float | None:
    """Share of positions whose argmax over the last axis is unchanged, for class-score outputs.

    Class scores are a ``[N, classes]`` or ``[N, positions, classes]`` output
    with at least two classes; image-like outputs (a detector's score map) get None.
    """
    if reference.ndim not in (2, 3) or reference.shape[-1] < 2:
        return None
    return float(np.mean(reference.argmax(axis=-1) == out.argmax(axis=-1)))


def hawq_sensitivity(graph: LayerGraph, candidates: Sequence[str], traces: str | Path, *,
                     clipping: Clipping = "maxabs") -> Sensitivity:
    """HAWQ-V3's Omega from user-supplied Hessian traces and the real weights.

    Parameters
    ----------
    graph : LayerGraph
        A graph with weight values.
    candidates : sequence of str
        Policy shorthands.
    traces : str or Path
        CSV with columns ``layer,trace`` and optionally ``n`` (parameters; default
        the weight tensor's size), one row per weight layer (`analysis.traces`).
    clipping : {"maxabs", "mse"}
        Scale rule for the weights.

    Returns
    -------
    Sensitivity
        Proxy ``hawq``; value = trace(H)/n * ||W - Q(W)||^2.

    Raises
    ------
    AnalysisError
        A graph without weights, or a bad trace file (file, line and column named).
    """
    specs = _specs(candidates)
    settings = quantizer_settings(clipping)
    layers = _weight_layers(graph, "hawq")
    table = read_traces(traces, graph.name, [layer.name for layer, _ in layers])
    rows = []
    for layer, w in layers:
        trace, count = table[layer.name]
        for candidate, spec in specs.items():
            fields, q = _measure(layer, w, spec, clipping)
            omega = trace / (count or w.size) * float(np.sum((np.asarray(w, np.float64) - q) ** 2))
            rows.append(SensitivityRow(layer=layer.name, candidate=candidate, **fields, value=omega))
    settings["traces"] = str(traces)
    return Sensitivity(
        proxy="hawq", settings=settings, rows=rows,
        description=f"hawq: value = trace(H)/n * ||W-Q(W)||^2 (HAWQ-V3) with traces from {traces}; "
                    "activation formats not measured")


def heuristic_sensitivity(graph: LayerGraph, candidates: Sequence[str]) -> Sensitivity:
    """A labelled guess from bit widths alone, for graphs without weights.

    value = 2^(-2 b_w) + 2^(-2 b_a) at the formats' `effective_bits`: the
    relative noise power of full-scale uniform weights and inputs. It knows
    nothing of the layer, so every layer gets the same value per candidate.

    Raises
    ------
    AnalysisError
        A bad candidate, or a graph without layers with static weights.
    """
    specs = _specs(candidates)
    layers = [layer for layer in graph.layers() if layer.has_static_weights]
    if not layers:
        raise AnalysisError(f"{graph.name!r} has no layers with static weights to choose formats for")
    rows = [SensitivityRow(layer=layer.name, candidate=candidate, weight_mse=None, weight_sqnr_db=None,
                           relative_error=None, value=relative_noise(spec.weights.format) + relative_noise(spec.inputs.format))
            for layer in layers for candidate, spec in specs.items()]
    return Sensitivity(
        proxy="heuristic", rows=rows,
        settings={"rule": "2^(-2*b_w) + 2^(-2*b_a)", "float_effective_bits": "mantissa + log2(28)/2"},
        description="heuristic (no weights read): value = 2^(-2*weight bits) + 2^(-2*activation bits), "
                    "a guess from bit widths only")


def sensitivity(graph: LayerGraph, candidates: Sequence[str], *, model_path: str | Path | None = None,
                calibration: str | Path | None = None, traces: str | Path | None = None,
                clipping: Clipping = "maxabs", samples: int = 8, seed: int = 0) -> Sensitivity:
    """The best proxy the inputs allow.

    ``traces`` -> `hawq_sensitivity`; else ``model_path`` or ``calibration``
    (a request to run activations) -> `activation_sensitivity`; else a graph
    with weight values -> `weight_sensitivity`; else `heuristic_sensitivity`.

    Raises
    ------
    AnalysisError
        ``calibration`` without ``model_path``, and whatever the chosen proxy raises.
    """
    if traces is not None:
        if model_path is not None or calibration is not None:
            raise AnalysisError("traces (HAWQ) and real activations are two different proxies; give one")
        return hawq_sensitivity(graph, candidates, traces, clipping=clipping)
    if model_path is not None or calibration is not None:
        if model_path is None:
            raise AnalysisError("a calibration file asks for activation sensitivity, which needs the ONNX "
                                "model file (model_path)")
        return activation_sensitivity(model_path, graph, candidates, calibration=calibration,
                                      samples=samples, seed=seed, clipping=clipping)
    if has_weights(graph):
        return weight_sensitivity(graph, candidates, clipping=clipping)
    return heuristic_sensitivity(graph, candidates)
