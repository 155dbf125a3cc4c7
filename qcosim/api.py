"""The public API: convenience compositions of the packages' pure functions."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis.errors import AnalysisError
from hwmodels import Accelerator, load_hardware
from hwmodels.errors import ConfigError
from simulator import MappingError, Objective, SimOptions, SimResult
from simulator import simulate as simulate_graph
from workloads.errors import WorkloadError
from workloads.graph import stream as stream_copies
from workloads.io import load_workload
from workloads.limits import MAX_DIM, MAX_LAYERS
from workloads.policy import apply_quant, load_policy
from workloads.summary import WorkloadSummary, summarize

__all__ = [
    "USER_ERRORS", "MAX_STREAM", "simulate", "summarize_workload", "zoo_models", "parse_params", "parse_shapes",
    "parse_fidelity", "parse_objective", "parse_stream", "parse_output_path", "write_trace", "demo_lines",
]

USER_ERRORS: tuple[type[Exception], ...] = (WorkloadError, ConfigError, MappingError, AnalysisError)
"""Errors caused by the user's input; the CLI prints them as one line with exit code 2."""

MAX_STREAM = 1024
"""Most ``--stream`` copies (and, with the network's layers, at most `workloads.limits.MAX_LAYERS` layers)."""
_NUMBER = re.compile(r"[+-]?[0-9]{1,30}", re.ASCII)
"""An integer option value: ASCII digits only, at most 30 of them (`vocabulary.documents.MAX_INT_DIGITS`)."""

DEMO_MODEL = "resnet50"
DEMO_HARDWARE = "bitfusion"
DEMO_POLICIES = ("w8a8", "w4a8")


DECLARED = "declared"
"""The policy that keeps a model's own quantization: the default for a model that declares one."""


def simulate(
    model: str | Path,
    hw: str | Path | Accelerator,
    quant: str | Path | None = None,
    *,
    fidelity: str | None = None,
    params: Mapping[str, Any] | None = None,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    stream: int = 1,
    options: SimOptions | None = None,
) -> SimResult:
    """Latency and energy of ``model`` at policy ``quant`` on accelerator ``hw``.

    Parameters
    ----------
    model : str or Path
        Zoo name, ONNX file or YAML layer list.
    hw : str, Path or Accelerator
        Preset name, YAML/JSON file, or an `Accelerator`.
    quant : str or Path, optional
        Policy shorthand (``w4a8``, ``w4a16-g128`` ...) or policy YAML file.
        Default: ``declared`` for a model that declares its quantization (a
        quantized ONNX graph), else ``w8a8``.
    fidelity : {"analytical", "des"}, optional
        Closed form per layer, or discrete-event over tiles; overrides
        ``options.fidelity`` when given (default: the options', analytical).
    params, input_shapes : mapping, optional
        Zoo parameters (``batch``, ``seq_len`` ...) and ONNX input shapes.
    stream : int
        Run this many copies of the network as independent batch items, which
        several engines may overlap (`workloads.graph.stream`).
    options : SimOptions, optional
        Further simulator options (mapper objective, on-chip residency ...).

    Examples
    --------
    >>> r = simulate("resnet18", "bitfusion", "w4a8")
    >>> r.totals.macs
    1814073344
    """
    acc = hw if isinstance(hw, Accelerator) else load_hardware(hw)
    single = _load(model, params, input_shapes)
    quant = _policy_for(model, single, quant, "w8a8")
    graph = apply_quant(stream_copies(single, parse_stream(stream, len(single))), load_policy(quant))
    opts = options or SimOptions()
    if fidelity is not None:
        opts = SimOptions(**{**opts.model_dump(), "fidelity": parse_fidelity(fidelity)})
    return simulate_graph(graph, acc, opts, policy=str(quant))


def _load(model: str | Path, params: Mapping[str, Any] | None, input_shapes, *, fused: bool = True):
    """`load_workload`, with ``batch`` turned into input shapes for an ONNX file."""
    params = dict(params or {})
    if str(model).lower().endswith(".onnx") and "batch" in params:
        from workloads.onnx_import import batch_input_shapes

        input_shapes = batch_input_shapes(model, params.pop("batch"), input_shapes)
    return load_workload(model, params=params, input_shapes=input_shapes, fused=fused)


def _policy_for(model: str | Path, graph, quant: str | Path | None, fallback: str) -> str | Path:
    """The explicit policy, else ``declared`` for an ONNX graph that declares its quantization
    (Q/DQ, QLinear, integer or NBits operators: the importer annotated a layer), else ``fallback``."""
    if quant is not None:
        return quant
    declares = str(model).lower().endswith(".onnx") and any(layer.quant is not None for layer in graph.layers())
    return DECLARED if declares else fallback


def summarize_workload(
    model: str | Path,
    quant: str | Path | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    fused: bool = True,
) -> WorkloadSummary:
    """Load ``model``, apply the policy ``quant`` and count MACs, parameters, bytes and BOPs.

    ``quant`` defaults to ``declared`` for a model that declares its quantization, else ``fp32``.

    Examples
    --------
    >>> s = summarize_workload("resnet50", "w8a8")
    >>> s.totals.params
    25557032
    """
    graph = _load(model, params, input_shapes, fused=fused)
    quant = _policy_for(model, graph, quant, "fp32")
    return summarize(apply_quant(graph, load_policy(quant)), policy=str(quant))


def zoo_models():
    """The built-in models with their parameters."""
    from workloads.zoo import list_models

    return list_models()


def _scalar(text: str) -> int | float | str:
    if _NUMBER.fullmatch(text):
        return int(text)
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) and text.isascii() else text


def parse_params(pairs: Iterable[str] | None, batch: int | None = None) -> dict[str, Any]:
    """``["seq_len=256"]`` -> ``{"seq_len": 256}``; ``batch`` joins when given."""
    params: dict[str, Any] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise WorkloadError(f"expected key=value (got {_clip(pair)})", "--param")
        if value.strip().lstrip("+-").isdigit() and not _NUMBER.fullmatch(value.strip()):
            raise WorkloadError(f"{key.strip()}: expected an integer of at most 30 ASCII digits "
                                f"(got {_clip(value.strip())})", "--param")
        params[key.strip()] = _scalar(value.strip())
    if batch is not None:
        params["batch"] = batch
    return params


def parse_shapes(pairs: Iterable[str] | None) -> dict[str, tuple[int, ...]] | None:
    """``["input_ids=1,128"]`` -> ``{"input_ids": (1, 128)}``."""
    shapes = {}
    for pair in pairs or ():
        name, sep, dims = pair.rpartition("=")
        texts = [d.strip() for d in dims.split(",")]
        shape = tuple(int(d) for d in texts) if all(_NUMBER.fullmatch(d) for d in texts) else ()
        if not sep or not name or not shape or min(shape) < 1 or max(shape) > MAX_DIM:
            raise WorkloadError(f"expected name=d1,d2,... with dims 1-{MAX_DIM} (got {_clip(pair)})",
                                "--input-shape")
        shapes[name] = shape
    return shapes or None


def parse_stream(copies: int, layers: int = 1) -> int:
    """Check a ``--stream`` count: 1 to `MAX_STREAM` copies of a network of ``layers`` layers.

    Raises
    ------
    WorkloadError
        ``--stream: must be 1-1024 (got 0)``, or too many layers in all.
    """
    if isinstance(copies, bool) or not isinstance(copies, int) or not 1 <= copies <= MAX_STREAM:
        raise WorkloadError(f"must be 1-{MAX_STREAM} (got {copies!r})", "--stream")
    if copies * layers > MAX_LAYERS:
        raise WorkloadError(f"{copies} copies of {layers} layers make more than {MAX_LAYERS:,} layers", "--stream")
    return copies


def parse_output_path(path: Path | None, option: str) -> Path | None:
    """Check, before any work, that ``path`` can be an output file; the write itself may still fail.

    Raises
    ------
    WorkloadError
        For an empty name, a directory, or a parent that is a file.
    """
    if path is None:
        return None
    text = str(path)
    if not text.strip() or text == ".":
        raise WorkloadError("the file name is empty", option)
    try:
        if path.is_dir():
            raise WorkloadError(f"{_clip(text)} is a directory; give a file name", option)
        for parent in path.parents:
            if parent.exists() and not parent.is_dir():
                raise WorkloadError(f"{_clip(text)}: {_clip(str(parent))} is a file, not a directory", option)
    except OSError as exc:  # a name too long for the file system, a parent without permission
        raise WorkloadError(f"{_clip(text)}: {exc.strerror}", option) from None
    return path


def _clip(text: str, limit: int = 200) -> str:
    """``text`` quoted, its middle cut when long (a 20,000-character name stays on one short line)."""
    if len(text) <= limit:
        return repr(text)
    return repr(text[: limit // 2]) + f"...({len(text):,} characters)"


def parse_fidelity(text: str) -> str:
    """Check a ``--fidelity`` value."""
    if text not in ("analytical", "des"):
        raise WorkloadError(f"must be 'analytical' or 'des' (got {text!r})", "--fidelity")
    return text


def parse_objective(text: str) -> SimOptions:
    """Simulator options for an ``--objective`` value."""
    names = [o.value for o in Objective]
    if text not in names:
        raise WorkloadError(f"must be one of {', '.join(names)} (got {text!r})", "--objective")
    return SimOptions(objective=text)


def write_trace(result: SimResult, path: Path) -> Path:
    """Write ``result``'s timeline as a Chrome trace (opens in Perfetto / chrome://tracing).

    Raises
    ------
    WorkloadError
        When the file cannot be written (full disk, no permission ...), naming ``--trace``.
    """
    from simulator.trace import write_chrome_trace

    try:
        return write_chrome_trace(result, parse_output_path(path, "--trace"))
    except OSError as exc:
        raise WorkloadError(f"cannot write {_clip(str(path))}: {exc.strerror or exc}", "--trace") from None


def demo_lines() -> list[Any]:
    """What ``qcosim demo`` prints: ResNet-50 at w8a8 and w4a8 on Bit Fusion, and why they differ."""
    from qcosim.tables import comparison_lines, result_table

    results = [simulate(DEMO_MODEL, DEMO_HARDWARE, policy) for policy in DEMO_POLICIES]
    lines: list[Any] = [result_table(r, limit=12) for r in results]
    lines.extend(comparison_lines(*results))
    return lines
