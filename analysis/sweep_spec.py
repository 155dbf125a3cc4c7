"""The sweep spec file format: workloads, policies, hardware variations, sampling, constraints.

The order form of a design-space exploration, as frozen pydantic models with
attribute docstrings (they become the JSON schema of ``qcosim schema
sweep``). Everything that needs no file is checked here: the shape of every
``vary`` entry, links, sampling parameters, constraint texts and simulator
options. Paths against the base accelerator, files and policies are checked
by `analysis.sweep.expand` (and `analysis.sweep.load_sweep`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from analysis.codesign_spec import SearchSection
from analysis.points import SweepPoint
from analysis.sweep_limits import parse_constraint
from analysis.sweep_paths import parse_path
from hwmodels._model import field_error
from hwmodels.validation import config_error_from
from simulator import SimOptions
from vocabulary.model import FrozenModel

__all__ = ["WorkloadEntry", "Range", "HardwareSweep", "Sampling", "SweepSpec", "Rejection", "SweepExpansion"]


class WorkloadEntry(FrozenModel):
    """One network of the sweep."""

    name: str = Field(min_length=1)
    """Zoo name (``resnet50``), or an ``.onnx`` / layer-list ``.yaml`` file, relative to the spec file."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Zoo parameters (``batch``, ``image_size``, ``seq_len`` …); zoo models only."""
    input_shapes: dict[str, list[int]] | None = None
    """Concrete shapes of symbolic ONNX inputs (``{x: [1, 3, 224, 224]}``); ONNX files only."""


class Range(FrozenModel):
    """A continuous range of a numeric field."""

    range: tuple[float | str, float | str]
    """Smallest and largest value, both included; a ``_bytes`` field takes sizes (``32KiB``)."""
    log: bool = False
    """Spread values evenly in log scale (both bounds must be > 0)."""
    steps: int | None = Field(default=None, ge=2)
    """Values a grid takes from the range, bounds included; required for grid sampling, unused otherwise."""


class HardwareSweep(FrozenModel):
    """The accelerators of the sweep: a base and the fields that vary."""

    base: str = Field(min_length=1)
    """Preset name (``eyeriss``) or accelerator file (relative to the spec file)."""
    vary: dict[str, Range | Annotated[list[Any], Field(min_length=1)]] = Field(default_factory=dict)
    """Dotted path (``engines[0].rows``, ``memory[1].size_bytes``) -> a list of values or a range."""
    link: list[list[str]] = Field(default_factory=list)
    """Groups of varied paths that move together (the same index into each list, one draw for all)."""
    invalid: Literal["error", "reject"] = "error"
    """A sample the hardware model refuses: stop with an error naming the value, or reject it with the reason."""

    @field_validator("vary", mode="before")
    @classmethod
    def _vary_values(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {key: _vary_entry(key, given) for key, given in value.items()}

    @model_validator(mode="after")
    def _check_links(self) -> HardwareSweep:
        seen: set[str] = set()
        for index, group in enumerate(self.link):
            if len(group) < 2:
                raise field_error(f"link[{index}]", f"must name at least 2 varied paths (got {len(group)})")
            for position, path in enumerate(group):
                if path not in self.vary:
                    raise field_error(f"link[{index}][{position}]", f"{path!r} is not a key of hardware.vary")
                if path in seen:
                    raise field_error(f"link[{index}][{position}]", f"{path!r} is already in a link")
                seen.add(path)
            lists = {len(self.vary[path]) for path in group if isinstance(self.vary[path], list)}
            if len(lists) > 1:
                raise field_error(f"link[{index}]", f"linked lists must have equal lengths (got {sorted(lists)})")
        return self


def _vary_entry(key: Any, given: Any) -> Any:
    """One ``vary`` entry checked by hand, so its errors name the key as written (not a union member)."""
    where = f"[{str(key)!r}]"
    if not isinstance(key, str):
        raise field_error(where, "keys must be dotted paths such as engines[0].rows")
    try:
        parse_path(key)
    except ValueError as exc:
        raise field_error(where, str(exc)) from None
    if isinstance(given, list):
        if not given:
            raise field_error(where, "must list at least one value")
        return given
    if not isinstance(given, (dict, Range)):
        raise field_error(where, f"must be a list of values or a mapping {{range: [low, high], log: …, steps: …}} "
                                 f"(got {given!r})")
    try:
        return Range.model_validate(given)
    except ValidationError as exc:
        error = config_error_from(exc, None, Range)
        raise field_error(f"{where}.{error.path}" if error.path else where, error.message) from None


class Sampling(FrozenModel):
    """How hardware samples are drawn from the varied fields."""

    method: Literal["grid", "random", "lhs"] = "grid"
    """``grid``: every combination; ``random``: independent uniform draws; ``lhs``: a Latin hypercube."""
    samples: int | None = Field(default=None, ge=1)
    """Draws for random and lhs (identical draws are kept once)."""
    seed: int = Field(default=0, ge=0)
    """Seed of the random and lhs draws: the same seed gives the same points."""

    @model_validator(mode="after")
    def _samples_fit_method(self) -> Sampling:
        if self.method == "grid" and self.samples is not None:
            raise field_error("samples", "applies to random and lhs sampling only (a grid takes every combination)")
        if self.method != "grid" and self.samples is None:
            raise field_error("samples", f"required for {self.method} sampling")
        return self


class SweepSpec(FrozenModel):
    """A design-space sweep: workloads x policies x hardware samples, with constraints and options."""

    schema_version: Literal["1"] = "1"
    """Version of this file format."""
    name: str = Field(min_length=1)
    """Sweep name (for reports and the results store)."""
    workloads: list[WorkloadEntry] = Field(min_length=1)
    """Networks, outermost loop of the points."""
    policies: list[str] = Field(default_factory=list)
    """Quantization policies: shorthands (``w4a8``) or policy files relative to the spec file (none with
    ``search``)."""
    hardware: HardwareSweep
    """Base accelerator and the fields that vary."""
    sampling: Sampling = Sampling()
    """Grid (default), random or Latin-hypercube sampling of the varied fields."""
    constraints: list[str] = Field(default_factory=list)
    """Limits checked before simulation: ``area_mm2 <= 10``, ``sram_bytes <= 1MiB``, ``peak_power_mw <= 500``."""
    options: dict[str, Any] = Field(default_factory=dict)
    """`simulator.SimOptions` fields for every point (``fidelity``, ``objective`` …)."""
    search: SearchSection | None = None
    """Co-design (``qcosim codesign``): per-layer precisions searched on every accelerator, instead of policies."""

    _base_dir: Path | None = PrivateAttr(default=None)
    _source: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> SweepSpec:
        if self.search is None and not self.policies:
            raise field_error("policies", "must list at least one policy (or a search section chooses them)")
        if self.search is not None and self.policies:
            raise field_error("policies", "a search section chooses the precisions: leave policies out")
        for index, text in enumerate(self.constraints):
            try:
                parse_constraint(text)
            except ValueError as exc:
                raise field_error(f"constraints[{index}]", str(exc)) from None
        try:
            SimOptions.model_validate(self.options)
        except ValidationError as exc:
            error = config_error_from(exc, None, SimOptions)
            raise field_error(f"options.{error.path}" if error.path else "options", error.message) from None
        if self.sampling.method == "grid":
            self._check_grid()
        return self

    def _check_grid(self) -> None:
        for path, given in self.hardware.vary.items():
            if isinstance(given, Range) and given.steps is None:
                raise field_error(f"hardware.vary[{path!r}]", "a range needs steps for grid sampling")
        for index, group in enumerate(self.hardware.link):
            lengths = {len(given) if isinstance(given, list) else given.steps
                       for given in (self.hardware.vary[path] for path in group)}
            if len(lengths) > 1:
                raise field_error(f"hardware.link[{index}]",
                                  f"linked paths must have equal lengths (lists and steps; got {sorted(lengths)})")


class Rejection(FrozenModel):
    """A hardware sample left out before simulation, and why."""

    values: dict[str, Any]
    """The swept values of the sample (dotted path -> value)."""
    reason: str
    """The constraints it breaks (``area_mm2 is 12.3, not <= 10``) or why the hardware model refused it."""


class SweepExpansion(FrozenModel):
    """What a spec expands to: the points to simulate and the hardware samples left out."""

    points: list[SweepPoint]
    """Workloads x policies x accepted hardware samples, in that nesting order."""
    rejected: list[Rejection] = Field(default_factory=list)
    """Hardware samples that break a constraint (or that the hardware model refuses), once each."""
    duplicates: int = 0
    """Hardware samples dropped because an earlier one had the same values (random draws, integer rounding)."""
