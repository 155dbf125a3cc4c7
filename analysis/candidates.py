"""The problem a precision search solves: per layer, the candidate formats with their costs.

Like a cell library's characterisation sheet, one row per (layer, format):
what the layer costs on the chip in each format and how much accuracy it
loses. Ties (a residual downsample and its main-path conv must share a
format, as in HAWQ-V3) and pins (first and last layers kept at high
precision) are part of the sheet. `group_layers` merges tied layers into one
choice and applies pins; the search, the budgets and the Pareto set all work
on those groups, so they honour ties and pins the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import Field, field_validator, model_validator

from analysis.errors import SearchError
from vocabulary.model import FrozenModel

__all__ = ["Option", "LayerOptions", "OptionGroup", "group_layers", "metric_names"]


class Option(FrozenModel):
    """One candidate format of one layer: its hardware costs and its accuracy cost."""

    quant: str
    """Policy shorthand of the candidate, e.g. ``w4a8``."""
    costs: dict[str, float]
    """Cost metric -> value; each name carries its unit (``latency_ms``, ``energy_uj``, ``size_bytes``, ``bops``)."""
    sensitivity: float = Field(ge=0)
    """Accuracy cost of the candidate (the proxy's unit); totals add over layers and are minimized."""

    @field_validator("costs")
    @classmethod
    def _finite_non_negative(cls, costs: dict[str, float]) -> dict[str, float]:
        for name, value in costs.items():
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"cost {name!r} must be a finite number >= 0, got {value!r}")
        return costs

    @field_validator("sensitivity")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"must be finite, got {value!r}")
        return value


class LayerOptions(FrozenModel):
    """One layer and the candidates it may take."""

    layer: str
    """Layer name."""
    options: list[Option] = Field(min_length=1)
    """Candidates, each with a distinct ``quant``; their order breaks no ties in value, only in listing."""
    tie: str | None = None
    """Layers with the same non-empty tie take the same ``quant`` (they need the same candidates)."""
    pinned: str | None = None
    """The ``quant`` this layer must take (first and last layers), or None to let the search choose."""

    @field_validator("tie", "pinned")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _distinct_and_pinnable(self) -> LayerOptions:
        quants = [option.quant for option in self.options]
        repeated = sorted({q for q in quants if quants.count(q) > 1})
        if repeated:
            raise ValueError(f"layer {self.layer!r} lists {', '.join(repeated)} more than once")
        if self.pinned is not None and self.pinned not in quants:
            raise ValueError(f"layer {self.layer!r} is pinned to {self.pinned!r}, which is not one of "
                             f"its candidates ({', '.join(quants)})")
        return self


@dataclass(frozen=True)
class OptionGroup:
    """Layers that choose together (one tie group, or one layer) and their joint candidates."""

    layers: tuple[str, ...]
    """Member layers, in the order given."""
    quants: tuple[str, ...]
    """Candidates left (one when pinned), in the first member's order."""
    sensitivity: np.ndarray
    """Per candidate, the members' sensitivities summed in layer order."""
    costs: dict[str, np.ndarray]
    """Per metric and candidate, the members' costs summed in layer order."""


def metric_names(layers: Sequence[LayerOptions]) -> tuple[str, ...]:
    """The cost metrics every candidate carries, in the first candidate's order.

    Raises
    ------
    SearchError
        If some candidate lacks a metric another has.

    Examples
    --------
    >>> layer = LayerOptions(layer="conv1", options=[
    ...     Option(quant="w8a8", costs={"latency_ms": 2.0, "bops": 64.0}, sensitivity=0.0)])
    >>> metric_names([layer])
    ('latency_ms', 'bops')
    """
    if not layers:
        raise SearchError("no layers to choose formats for")
    names = tuple(layers[0].options[0].costs)
    for layer in layers:
        for option in layer.options:
            if set(option.costs) != set(names):
                raise SearchError(f"candidate {option.quant!r} has costs {sorted(option.costs)}, "
                                  f"others have {sorted(names)}", layer.layer)
    return names


def _members(layers: Sequence[LayerOptions]) -> list[list[LayerOptions]]:
    """Layers grouped by tie (untied layers alone), groups in order of their first member."""
    seen: dict[str, list[LayerOptions]] = {}
    groups: list[list[LayerOptions]] = []
    names: set[str] = set()
    for layer in layers:
        if layer.layer in names:
            raise SearchError("layer listed twice", layer.layer)
        names.add(layer.layer)
        if layer.tie is None:
            groups.append([layer])
        elif layer.tie in seen:
            seen[layer.tie].append(layer)
        else:
            seen[layer.tie] = [layer]
            groups.append(seen[layer.tie])
    return groups


def _joint_quants(members: list[LayerOptions]) -> tuple[str, ...]:
    """The group's candidates: all members must list the same ones; a pin leaves one."""
    first = members[0]
    quants = tuple(option.quant for option in first.options)
    for other in members[1:]:
        theirs = {option.quant for option in other.options}
        if theirs != set(quants):
            missing = sorted(set(quants) ^ theirs)
            raise SearchError(f"tied to {first.layer!r} (tie {first.tie!r}) but the two do not share "
                              f"candidate(s) {', '.join(missing)}", other.layer)
    pins = {member.pinned for member in members} - {None}
    if len(pins) > 1:
        raise SearchError(f"tied layers are pinned to different formats ({', '.join(sorted(pins))})",
                          f"tie {first.tie!r}")
    return tuple(pins) if pins else quants


def group_layers(layers: Sequence[LayerOptions]) -> list[OptionGroup]:
    """Merge tied layers into one choice and apply pins: the units a search chooses for.

    Raises
    ------
    SearchError
        No layers, a layer listed twice, tied layers without the same candidates or
        pinned to different formats, or candidates whose cost metrics differ.

    Examples
    --------
    >>> def layer(name, tie=None, pinned=None):
    ...     return LayerOptions(layer=name, tie=tie, pinned=pinned, options=[
    ...         Option(quant="w8a8", costs={"latency_ms": 2.0}, sensitivity=0.0),
    ...         Option(quant="w4a8", costs={"latency_ms": 1.0}, sensitivity=0.5)])
    >>> groups = group_layers([layer("conv1", pinned="w8a8"), layer("conv2", "res"), layer("down", "res")])
    >>> [(g.layers, g.quants) for g in groups]
    [(('conv1',), ('w8a8',)), (('conv2', 'down'), ('w8a8', 'w4a8'))]
    >>> groups[1].costs["latency_ms"].tolist(), groups[1].sensitivity.tolist()
    ([4.0, 2.0], [0.0, 1.0])
    """
    metrics = metric_names(layers)
    groups = []
    for members in _members(layers):
        quants = _joint_quants(members)
        by_quant = [{option.quant: option for option in member.options} for member in members]
        sensitivity = np.zeros(len(quants))
        costs = {metric: np.zeros(len(quants)) for metric in metrics}
        for options in by_quant:  # summed in layer order, so totals do not depend on grouping order
            sensitivity += [options[q].sensitivity for q in quants]
            for metric in metrics:
                costs[metric] += [options[q].costs[metric] for q in quants]
        groups.append(OptionGroup(tuple(m.layer for m in members), quants, sensitivity, costs))
    return groups
