"""Reading, writing and describing accelerator files: presets, YAML/JSON, JSON schema.

The one door into ``Accelerator`` from disk: `load_hardware` takes a preset
name (``eyeriss``) or a ``.yaml``/``.yml``/``.json`` path, parses it safely,
validates it, and turns every failure (missing file, YAML syntax, a list at
the top level, a bad field) into a one-line ``ConfigError`` naming the file
and the field. Presets are YAML files shipped in ``hwmodels/presets`` and are
read on demand, never built at import time.
"""

from __future__ import annotations

import difflib
import json
import math
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hwmodels.config import Accelerator
from hwmodels.errors import ConfigError
from hwmodels.validation import config_error_from, plain_type_error
from vocabulary.documents import DocumentError, read_document, require_mapping

__all__ = [
    "PRESET_DIR",
    "list_presets",
    "describe_presets",
    "load_hardware",
    "parse_hardware",
    "dump_hardware",
    "hardware_json_schema",
]

PRESET_DIR = Path(__file__).parent / "presets"
"""Folder holding the preset YAML files."""
_SUFFIXES = (".yaml", ".yml", ".json")


def list_presets() -> list[str]:
    """Names of the shipped presets, sorted.

    Examples
    --------
    >>> "eyeriss" in list_presets()
    True
    """
    return sorted(path.stem for path in PRESET_DIR.glob("*.yaml"))


def describe_presets() -> dict[str, str]:
    """Preset name -> its one-line description."""
    return {name: load_hardware(name).description or "" for name in list_presets()}


def load_hardware(path_or_preset: str | Path) -> Accelerator:
    """Load an accelerator from a preset name or a YAML/JSON file.

    Parameters
    ----------
    path_or_preset : str or Path
        A preset name such as ``eyeriss`` or ``tpu-v1`` (see `list_presets`), or a
        path ending in ``.yaml``, ``.yml`` or ``.json``.

    Returns
    -------
    Accelerator

    Raises
    ------
    ConfigError
        One line naming the file and the dotted field path: missing file, bad
        YAML/JSON, a non-mapping top level, unknown or invalid fields, or an
        unknown preset name.

    Examples
    --------
    >>> load_hardware("tpu-v1").engine().macs_per_cycle(8, 8)
    65536.0
    """
    path = _locate(path_or_preset)
    source = str(path_or_preset)
    return parse_hardware(_read(path, source), source)


def parse_hardware(data: Any, source: str | None = None) -> Accelerator:
    """Validate already-parsed data (a mapping) into an ``Accelerator``.

    Raises
    ------
    ConfigError
        If ``data`` is not a mapping or does not validate.
    """
    try:
        data = require_mapping(data)
    except DocumentError as exc:
        raise ConfigError(str(exc), source) from None
    refused = plain_type_error(data, source, Accelerator)
    if refused is not None:
        raise refused
    try:
        return Accelerator.model_validate(data)
    except ValidationError as exc:
        raise config_error_from(exc, source, Accelerator) from None


def _locate(path_or_preset: str | Path) -> Path:
    text = str(path_or_preset)
    if not text.strip():
        raise ConfigError("no accelerator given: the preset name or file path is empty")
    path = Path(text)
    if isinstance(path_or_preset, Path) or path.suffix or path.exists() or "/" in text:
        if path.is_dir():
            raise ConfigError("is a directory, not an accelerator file", text)
        if path.suffix.lower() not in _SUFFIXES:
            raise ConfigError(f"unsupported file type {path.suffix!r} (use .yaml, .yml or .json)", text)
        if not path.is_file():
            raise ConfigError("file not found", text)
        return path
    presets = list_presets()
    if text not in presets:
        hint = difflib.get_close_matches(text, presets, n=1)
        guess = f"did you mean {hint[0]!r}? " if hint else ""
        raise ConfigError(f"unknown preset {text!r} ({guess}known: {', '.join(presets)})")
    return PRESET_DIR / f"{text}.yaml"


def _read(path: Path, source: str) -> Any:
    try:
        return read_document(path)
    except DocumentError as exc:
        raise ConfigError(str(exc), source) from None


def _json_safe(value: Any) -> Any:
    """Infinities as the string ``inf`` (JSON has none; pydantic parses it back)."""
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def dump_hardware(acc: Accelerator, fmt: str = "yaml") -> str:
    """Serialise an accelerator to YAML or JSON that `load_hardware` reads back to an equal object.

    Fields at their default values are left out; ``schema_version`` always
    comes first. Unlimited bandwidths are written as ``.inf`` in YAML and
    ``"inf"`` in JSON.

    Parameters
    ----------
    acc : Accelerator
    fmt : {"yaml", "json"}

    Raises
    ------
    ConfigError
        If ``fmt`` is neither ``yaml`` nor ``json``.
    """
    data = {"schema_version": acc.schema_version}
    data.update(acc.model_dump(mode="json", exclude_defaults=True))
    if fmt == "yaml":
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if fmt == "json":
        return json.dumps(_json_safe(data), indent=2) + "\n"
    raise ConfigError(f"unknown output format {fmt!r} (use 'yaml' or 'json')")


def hardware_json_schema() -> dict[str, Any]:
    """JSON schema of the accelerator file format, as plain JSON data (infinities as ``"inf"``)."""
    return json.loads(json.dumps(_json_safe(Accelerator.model_json_schema())))
