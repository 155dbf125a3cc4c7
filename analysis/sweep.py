"""Sweep specs: workloads x quantization policies x hardware variations, expanded into points.

The test plan of a design-space exploration, written as one YAML file: which
networks, which precision policies, and which accelerators, the last given as
a base (a preset or a file) plus values for any of its fields by dotted path
(`analysis.sweep_paths`), sampled as a grid, at random or as a Latin
hypercube (`analysis.sweep_sampling`) and filtered by limits on area, SRAM
and power before anything is simulated (`analysis.sweep_limits`). `expand`
turns the plan into `SweepPoint`s in a fixed order, workloads outermost,
then policies, then hardware samples, and validates every distinct
accelerator once, so a bad value is a one-line error naming the spec key
and not a thousand failed points. A spec read by `load_sweep` remembers its
file: relative workload, policy and hardware paths are read next to it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import to_jsonable_python

from analysis.errors import SweepError
from analysis.points import SweepPoint
from analysis.sweep_limits import Constraint, parse_constraint, violations
from analysis.sweep_paths import assign, field_at, is_integer_field, parse_path, parse_quantity
from analysis.sweep_sampling import Axis, Dimension, draw
from analysis.sweep_spec import (
    HardwareSweep,
    Range,
    Rejection,
    Sampling,
    SweepExpansion,
    SweepSpec,
    WorkloadEntry,
)
from hwmodels import Accelerator, ConfigError, load_hardware, parse_hardware
from hwmodels.io import PRESET_DIR
from hwmodels.validation import config_error_from, plain_type_error
from vocabulary.documents import DocumentError, read_document, require_mapping
from workloads.errors import WorkloadError
from workloads.io import LAYER_LIST_SUFFIXES
from workloads.policy import load_policy
from workloads.zoo import build_model, model_info

__all__ = ["WorkloadEntry", "Range", "HardwareSweep", "Sampling", "SweepSpec", "Rejection", "SweepExpansion",
           "load_sweep", "expand", "sweep_json_schema"]

_POLICY_SUFFIXES = (".yaml", ".yml", ".json")


def sweep_json_schema() -> dict[str, Any]:
    """JSON schema of the sweep spec file format (``qcosim schema sweep``)."""
    return json.loads(json.dumps(SweepSpec.model_json_schema()))


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep spec; it remembers its file for relative paths and messages.

    Everything but the sampling itself is checked here: fields, dotted paths
    against the base accelerator, values, constraints, options, policies and
    workload files.

    Raises
    ------
    SweepError
        One line naming the file and the key:
        ``sweep.yaml: hardware.vary['engines[0].rowz']: no such field (did you mean 'rows'?)``.

    Examples
    --------
    A complete spec (paths in ``link`` are quoted: YAML reads ``[`` inside a flow list as a list)::

        schema_version: "1"
        name: edge-npu-space
        workloads:
          - {name: resnet50, params: {batch: 1}}
          - {name: nets/tiny.onnx, input_shapes: {x: [1, 3, 32, 32]}}
        policies: [w8a8, w4a8, policies/mixed.yaml]
        hardware:
          base: edge-npu                  # or accelerators/mine.yaml
          vary:
            engines[0].rows: [16, 32, 64]
            engines[0].cols: [16, 32, 64]
            memory[2].size_bytes: [128KiB, 256KiB]
            dram.bandwidth_gb_per_s: {range: [8, 64], log: true, steps: 4}
          link:
            - ["engines[0].rows", "engines[0].cols"]
        sampling: {method: grid}          # or {method: lhs, samples: 200, seed: 0}
        constraints: [area_mm2 <= 10, sram_bytes <= 1MiB, peak_power_mw <= 2W]
        options: {objective: latency}
    """
    source = str(path)
    try:
        data = require_mapping(read_document(Path(path)))
    except DocumentError as exc:
        raise SweepError(str(exc), source) from None
    if (refused := plain_type_error(data, None, SweepSpec)) is not None:  # `samples: true`, `seed: "1"`
        raise SweepError(str(refused), source)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise SweepError(str(config_error_from(exc, None, SweepSpec)), source) from None
    spec._base_dir, spec._source = Path(path).parent, source
    _Plan(spec, spec._base_dir)
    return spec


def expand(spec: SweepSpec, *, base_dir: Path | None = None) -> SweepExpansion:
    """The points of a sweep: workloads x policies x accepted hardware samples, in that nesting order.

    Parameters
    ----------
    spec : SweepSpec
    base_dir : Path, optional
        Folder that relative workload, policy and hardware paths are read from;
        default: the spec file's folder (`load_sweep`), else the working directory.

    Returns
    -------
    SweepExpansion
        ``points`` (``values`` holds the swept dotted paths, ``options`` the
        spec's options), ``rejected`` hardware samples with their reasons, and
        how many samples repeated an earlier one.

    Raises
    ------
    SweepError
        A bad path, value, file or policy, or (``hardware.invalid: error``) a
        sample the hardware model refuses, named by the key and value that made it.

    Examples
    --------
    >>> spec = SweepSpec(name="demo", workloads=[{"name": "resnet18"}], policies=["w8a8", "w4a8"],
    ...                  hardware={"base": "edge-npu", "vary": {"engines[0].rows": [16, 32, 64]}},
    ...                  constraints=["peak_macs_per_cycle <= 1024"])
    >>> result = expand(spec)
    >>> [(p.policy, p.values) for p in result.points][:2]
    [('w8a8', {'engines[0].rows': 16}), ('w8a8', {'engines[0].rows': 32})]
    >>> len(result.points), result.rejected[0].reason
    (4, 'peak_macs_per_cycle is 2048, not <= 1024')
    """
    plan = _Plan(spec, base_dir if base_dir is not None else spec._base_dir)
    sampling = spec.sampling
    samples, duplicates = _distinct(draw(plan.dimensions, sampling.method, sampling.samples, sampling.seed))
    accepted, rejected = [], []
    for sample in samples:
        values = {path: sample[path] for path in spec.hardware.vary}
        hardware, reason = plan.hardware(values)
        if reason:
            rejected.append(Rejection(values=values, reason=reason))
        else:
            accepted.append((values, hardware))
    points = [SweepPoint(workload=workload, params=params, policy=policy, hardware=hardware, values=values,
                         options=spec.options)
              for workload, params in plan.workloads for policy in plan.policies for values, hardware in accepted]
    return SweepExpansion(points=points, rejected=rejected, duplicates=duplicates)


def _distinct(samples: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The samples without repeats (first kept), and how many were dropped."""
    seen: set[str] = set()
    kept = []
    for sample in samples:
        key = json.dumps(sample, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            kept.append(sample)
    return kept, len(samples) - len(kept)


def _vary_key(path: str) -> str:
    return f"hardware.vary[{path!r}]"


class _Plan:
    """A spec with every input resolved against ``base_dir`` (default: the working directory) and checked."""

    def __init__(self, spec: SweepSpec, base_dir: Path | None) -> None:
        base_dir = Path(base_dir) if base_dir is not None else Path(".")
        self.source = spec._source
        self.invalid = spec.hardware.invalid
        self.workloads = [_workload(entry, index, base_dir, self.source) for index, entry in enumerate(spec.workloads)]
        self.policies = [_policy(text, index, base_dir, self.source) for index, text in enumerate(spec.policies)]
        self.raw, self.base = _base_hardware(spec.hardware.base, base_dir, self.source)
        self.steps = {path: self._steps(path) for path in spec.hardware.vary}
        axes = {path: self._axis(path, given) for path, given in spec.hardware.vary.items()}
        self.dimensions = _dimensions(axes, spec.hardware.link)
        self.constraints: list[Constraint] = [parse_constraint(text) for text in spec.constraints]

    def _steps(self, path: str) -> tuple[str | int, ...]:
        steps = parse_path(path)
        try:
            field_at(self.base, steps)
        except ValueError as exc:
            raise SweepError(f"{_vary_key(path)}: {exc}", self.source) from None
        return steps

    def _axis(self, path: str, given: Range | list[Any]) -> Axis:
        current = field_at(self.base, self.steps[path])
        integer, size = is_integer_field(current), path.endswith("_bytes")
        numeric = current is None or (isinstance(current, (int, float)) and not isinstance(current, bool))
        try:
            if isinstance(given, list):
                return Axis(path, values=tuple(_size(v) if size else v for v in given), integer=integer)
            if not numeric:
                raise ValueError(f"a range needs a numeric field (this one holds {to_jsonable_python(current)!r})")
            low, high = (_bound(value, size) for value in given.range)
            if given.log and low <= 0:
                raise ValueError(f"a log range needs bounds > 0 (got {low:g})")
            if not low < high:
                raise ValueError(f"range must go from low to high (got [{low:g}, {high:g}])")
        except ValueError as exc:
            raise SweepError(f"{_vary_key(path)}: {exc}", self.source) from None
        return Axis(path, low=low, high=high, log=given.log, steps=given.steps, integer=integer)

    def hardware(self, values: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """The accelerator description of a sample, and why it is rejected (None: accepted)."""
        data = self.raw
        for path, value in values.items():
            data = assign(data, self.steps[path], value, self.base)
        try:
            acc = parse_hardware(data)
        except ConfigError as exc:
            if self.invalid == "reject":
                return data, f"invalid hardware: {exc}"
            raise SweepError(_blame(values, exc), self.source) from None
        try:
            return data, "; ".join(violations(self.constraints, acc)) or None
        except ConfigError as exc:
            raise SweepError(f"constraints: {exc} (hardware sample {_show(values)})", self.source) from None


def _size(value: Any) -> Any:
    """A size written with a unit (``64KiB``) as whole bytes; anything else as given."""
    if not isinstance(value, str):
        return value
    number = parse_quantity(value, "size")
    if not number.is_integer():
        raise ValueError(f"{value!r} is not a whole number of bytes")
    return int(number)


def _bound(value: Any, size: bool) -> float:
    if size:
        return float(_size(value))
    if isinstance(value, str):
        raise ValueError(f"range bounds must be numbers (got {value!r})")
    return float(value)


def _dimensions(axes: dict[str, Axis], links: list[list[str]]) -> list[Dimension]:
    """One dimension per unlinked axis and per link, in the order their first path is varied."""
    group_of = {path: tuple(group) for group in links for path in group}
    dimensions, placed = [], set()
    for path in axes:
        if path not in placed:
            members = group_of.get(path, (path,))
            dimensions.append(tuple(axes[member] for member in members))
            placed.update(members)
    return dimensions


def _show(values: dict[str, Any]) -> str:
    return ", ".join(f"{path}={value!r}" for path, value in values.items()) or "the base itself"


def _blame(values: dict[str, Any], exc: ConfigError) -> str:
    """The hardware model's refusal, named by the swept key that made it (or by the whole sample)."""
    where = exc.path or ""
    for path, value in values.items():
        if where == path:
            return f"{_vary_key(path)} = {value!r}: {exc.message}"
        if where.startswith((f"{path}.", f"{path}[")) or path.startswith((f"{where}.", f"{where}[")):
            return f"{_vary_key(path)} = {value!r}: {where}: {exc.message}"
    return f"hardware sample ({_show(values)}): {exc}"


def _zoo(entry: WorkloadEntry, key: str, source: str | None) -> tuple[str, dict[str, Any]]:
    """A zoo network's canonical name and parameters, checked by building it (milliseconds)."""
    if entry.input_shapes:
        raise SweepError(f"{key}.input_shapes: apply to ONNX files only", source)
    try:
        name = model_info(entry.name).name
    except WorkloadError as exc:
        raise SweepError(f"{key}.name: {exc.message}", source) from None
    try:
        build_model(name, **entry.params)
    except WorkloadError as exc:
        raise SweepError(f"{key}.params: {exc.message}", source) from None
    return name, dict(entry.params)


def _workload(entry: WorkloadEntry, index: int, base_dir: Path, source: str | None) -> tuple[str, dict[str, Any]]:
    """(workload, params) of a point: a zoo name, or a file path made absolute."""
    key = f"workloads[{index}]"
    suffix = Path(entry.name).suffix.lower()
    if not suffix and "/" not in entry.name and not (base_dir / entry.name).exists():
        return _zoo(entry, key, source)
    file = (base_dir / entry.name).resolve()
    if suffix not in (".onnx", *LAYER_LIST_SUFFIXES):
        raise SweepError(f"{key}.name: unknown file type {suffix or 'without a suffix'!r} "
                         f"(expected .onnx, .yaml, .yml or .json)", source)
    if not file.is_file():
        raise SweepError(f"{key}.name: file not found ({file})", source)
    if entry.params:
        raise SweepError(f"{key}.params: apply to zoo models only", source)
    if entry.input_shapes and suffix != ".onnx":
        raise SweepError(f"{key}.input_shapes: apply to ONNX files only", source)
    return str(file), ({"input_shapes": entry.input_shapes} if entry.input_shapes else {})


def _policy(text: str, index: int, base_dir: Path, source: str | None) -> str:
    """A policy shorthand as written, or a policy file made absolute; checked by loading it."""
    if Path(text).suffix.lower() in _POLICY_SUFFIXES:
        text = str((base_dir / text).resolve())
    try:
        load_policy(text)
    except WorkloadError as exc:
        raise SweepError(f"policies[{index}]: {exc}", source) from None
    return text


def _base_hardware(text: str, base_dir: Path, source: str | None) -> tuple[dict[str, Any], Accelerator]:
    """The base accelerator as plain data (its file read as is) and validated."""
    is_file = bool(Path(text).suffix) or "/" in text or (base_dir / text).exists()
    target: str | Path = (base_dir / text).resolve() if is_file else text
    try:
        acc = load_hardware(target)
        raw = read_document(target if is_file else PRESET_DIR / f"{text}.yaml")
    except (ConfigError, DocumentError) as exc:
        raise SweepError(f"hardware.base: {exc}", source) from None
    return raw, acc

