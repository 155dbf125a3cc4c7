"""Dotted paths into an accelerator description, and quantities written with units.

The probe card of a sweep: ``engines[0].rows`` or ``memory[1].size_bytes``
names one pin of the accelerator YAML, and a sweep drives a value onto it.
A path is checked against the *validated* accelerator, so a field left at its
default (``dram.channels``) can be swept as well as one the file spells out,
and the field's current value tells whether it holds an integer. Setting a
value copies only the containers along the path; the rest of the description
is shared between samples (nothing here mutates it).

Quantities: sizes take ``B, kB, MB, GB, KiB, MiB, GiB`` (``64KiB`` = 65536),
powers ``uW, mW, W``, areas ``um2, mm2``, counts ``k, M, G``; units are
case-insensitive, so ``kB`` and ``KB`` are both 1000 bytes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from analysis.units import UNITS
from hwmodels.validation import format_path

__all__ = ["UNITS", "parse_path", "field_at", "assign", "is_integer_field", "parse_quantity"]

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")
_QUANTITY = re.compile(r"(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<unit>(?:[^\W\d]\S*)?)")

Step = str | int


def parse_path(text: str) -> tuple[Step, ...]:
    """The steps of a dotted path: field names and list indices.

    Raises
    ------
    ValueError
        If ``text`` is not names joined by dots, each with optional ``[index]`` suffixes.

    Examples
    --------
    >>> parse_path("memory[1].size_bytes")
    ('memory', 1, 'size_bytes')
    """
    steps: list[Step] = []
    for part in text.split("."):
        match = _SEGMENT.fullmatch(part.strip())
        if not match:
            raise ValueError("not a dotted path such as engines[0].rows")
        steps.append(match[1])
        steps.extend(int(index) for index in re.findall(r"\d+", match[2]))
    return tuple(steps)


def _no_such(name: str, known: Iterable[str]) -> ValueError:
    known = sorted(str(key) for key in known)
    hint = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if hint:
        return ValueError(f"no such field (did you mean {hint[0]!r}?)")
    return ValueError(f"no such field (fields here: {', '.join(known)})")


def _child(node: Any, step: Step, where: str) -> Any:
    """One step down from ``node`` (a model, mapping or list), or a one-line ``ValueError``."""
    if isinstance(step, int):
        if not isinstance(node, (list, tuple)):
            raise ValueError(f"{where} is not a list")
        if step >= len(node):
            count = f"{len(node)} item{'s' if len(node) != 1 else ''}"
            raise ValueError(f"index {step} is out of range ({where} has {count})")
        return node[step]
    if isinstance(node, BaseModel):
        if step not in type(node).model_fields:
            raise _no_such(step, type(node).model_fields)
        return getattr(node, step)
    if isinstance(node, dict):
        if step not in node:
            raise _no_such(step, node)
        return node[step]
    raise ValueError(f"{where} has no fields")


def field_at(model: BaseModel, steps: tuple[Step, ...]) -> Any:
    """The validated value at ``steps`` inside ``model`` (an ``Accelerator``).

    Raises
    ------
    ValueError
        ``no such field (did you mean 'rows'?)``, an index out of range, or a
        step into something that is not a list or has no fields.

    Examples
    --------
    >>> from hwmodels import load_hardware
    >>> field_at(load_hardware("eyeriss"), ("engines", 0, "rows"))
    12
    >>> field_at(load_hardware("eyeriss"), ("engines", 0, "rowz"))
    Traceback (most recent call last):
    ...
    ValueError: no such field (did you mean 'rows'?)
    """
    node: Any = model
    for index, step in enumerate(steps):
        node = _child(node, step, format_path(steps[:index]) or "the accelerator")
    return node


def is_integer_field(value: Any) -> bool:
    """True when a validated field value is an integer (so swept values must be integers too)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _plain(value: Any) -> Any:
    """A validated value as the plain data a file would hold (defaults of a model left out)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_defaults=True)
    return to_jsonable_python(value)


def _has(node: Any, step: Step) -> bool:
    if isinstance(node, list):
        return isinstance(step, int) and step < len(node)
    return isinstance(node, dict) and step in node


def assign(raw: Any, steps: tuple[Step, ...], value: Any, model: Any) -> Any:
    """A copy of ``raw`` (the accelerator as read from its file) with ``value`` at ``steps``.

    Containers along the path are copied and everything else is shared. A
    container the file leaves out (a field at its default) is filled in from
    ``model``, the validated accelerator, so the path exists in the result.
    The path must have passed `field_at` on ``model``.

    Examples
    --------
    >>> from hwmodels import load_hardware
    >>> raw = {"name": "x", "dram": {"bandwidth_gb_per_s": 8}}
    >>> assign(raw, ("dram", "channels"), 2, load_hardware("eyeriss"))["dram"]
    {'bandwidth_gb_per_s': 8, 'channels': 2}
    >>> raw["dram"]
    {'bandwidth_gb_per_s': 8}
    """
    if not steps:
        return value
    step, rest = steps[0], steps[1:]
    sub_model = model[step] if isinstance(step, int) else (
        getattr(model, step) if isinstance(model, BaseModel) else model[step])
    node = list(raw) if isinstance(raw, list) else dict(raw)
    current = node[step] if _has(raw, step) else None
    if rest and not isinstance(current, (dict, list)):
        current = _plain(sub_model)
    node[step] = assign(current, rest, value, sub_model)
    return node


def parse_quantity(value: Any, dimension: str) -> float:
    """A number, or a string with a unit of ``dimension`` (see `UNITS`), in the dimension's base unit.

    Raises
    ------
    ValueError
        If ``value`` is neither a number nor a number with a known unit.

    Examples
    --------
    >>> parse_quantity("64KiB", "size"), parse_quantity("1.5 W", "power"), parse_quantity(7, "area")
    (65536.0, 1500.0, 7.0)
    """
    units, spelled = UNITS[dimension]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _QUANTITY.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a number (with a unit: {spelled})")
    unit = match["unit"].lower()
    if unit and unit not in units:
        raise ValueError(f"unknown unit {match['unit']!r} in {value!r} (use {spelled})")
    return float(match["number"]) * units.get(unit, 1.0)
