"""The public API: convenience compositions of the packages' pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hwmodels.errors import ConfigError
from workloads.errors import WorkloadError
from workloads.io import load_workload
from workloads.policy import apply_quant, load_policy
from workloads.summary import WorkloadSummary, summarize

__all__ = ["USER_ERRORS", "summarize_workload", "zoo_models", "parse_params", "parse_shapes", "demo_lines"]

USER_ERRORS: tuple[type[Exception], ...] = (WorkloadError, ConfigError)
"""Errors caused by the user's input; the CLI prints them as one line with exit code 2."""

DEMO_MODEL = "resnet50"
DEMO_POLICIES = ("w8a8", "w4a8")


def summarize_workload(
    model: str | Path,
    quant: str | Path = "fp32",
    *,
    params: Mapping[str, Any] | None = None,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    fused: bool = True,
) -> WorkloadSummary:
    """Load ``model``, apply the policy ``quant`` and count MACs, parameters, bytes and BOPs.

    Examples
    --------
    >>> s = summarize_workload("resnet50", "w8a8")
    >>> s.totals.params
    25557032
    """
    policy = load_policy(quant)
    graph = load_workload(model, params=params, input_shapes=input_shapes, fused=fused)
    return summarize(apply_quant(graph, policy), policy=str(quant))


def zoo_models():
    """The built-in models with their parameters."""
    from workloads.zoo import list_models

    return list_models()


def _scalar(text: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_params(pairs: Iterable[str] | None, batch: int | None = None) -> dict[str, Any]:
    """``["seq_len=256"]`` -> ``{"seq_len": 256}``; ``batch`` joins when given."""
    params: dict[str, Any] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise WorkloadError(f"expected key=value (got {pair!r})", "--param")
        params[key.strip()] = _scalar(value.strip())
    if batch is not None:
        params["batch"] = batch
    return params


def parse_shapes(pairs: Iterable[str] | None) -> dict[str, tuple[int, ...]] | None:
    """``["input_ids=1,128"]`` -> ``{"input_ids": (1, 128)}``."""
    shapes = {}
    for pair in pairs or ():
        name, sep, dims = pair.rpartition("=")
        try:
            shape = tuple(int(d) for d in dims.split(","))
        except ValueError:
            shape = ()
        if not sep or not name or not shape or min(shape) < 1:
            raise WorkloadError(f"expected name=d1,d2,... with positive dims (got {pair!r})", "--input-shape")
        shapes[name] = shape
    return shapes or None


def demo_lines() -> list[Any]:
    """What ``qcosim demo`` prints: ResNet-50 at w8a8 and w4a8 and what 4-bit weights change."""
    from qcosim.tables import binary_bytes, si, workload_table

    summaries = [summarize_workload(DEMO_MODEL, policy) for policy in DEMO_POLICIES]
    lines: list[Any] = [workload_table(s) for s in summaries]
    base, low = (s.totals for s in summaries)
    lines.append(
        f"[bold]{DEMO_MODEL}[/]: {si(base.macs)}MACs, {si(base.params)} parameters. "
        f"Weights {binary_bytes(base.weight_bytes)} at {DEMO_POLICIES[0]} -> "
        f"{binary_bytes(low.weight_bytes)} at {DEMO_POLICIES[1]} "
        f"({base.weight_bytes / low.weight_bytes:.2f}x less); BOPs {base.bops / low.bops:.2f}x fewer."
    )
    return lines
