"""Turning pydantic's validation errors into one-line ``ConfigError`` messages.

pydantic reports where a value failed (``loc``) and why (``type``, ``ctx``).
This module rewrites both for people editing a YAML file: the location
becomes a dotted path (``memory[1].size_bytes``, with discriminated-union
tags removed), and the reason follows the house template ``must <rule> (got
<value>)``. Unknown keys get a "did you mean" from the field names of the
model they were found in.
"""

from __future__ import annotations

import difflib
import math
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from hwmodels.errors import ConfigError
from vocabulary.plain_types import plain_type_errors

__all__ = ["HARDWARE_LIMITS", "MAX_MAGNITUDE", "config_error_from", "format_path", "limit_errors", "plain_type_error"]

HARDWARE_LIMITS: dict[str, float] = {
    "clock_ghz": 100,
    "technology_nm": 1000,
    "vdd_v": 10,
    "engines": 64,
    "engines[].rows": 2**16,
    "engines[].cols": 2**16,
    "memory": 16,
    "memory[].size_bytes": 2**50,
    "memory[].instances": 2**20,
    "memory[].word_bits": 2**16,
    "dram.channels": 1024,
    "dram.latency_ns": 1e9,
    "vector_unit.lanes": 2**20,
}
"""Largest value (or, for a list, most items) of each field that multiplies the simulator's work.

Keys are dotted paths with ``[]`` for any index. Past these the numbers stop
describing a chip and start overflowing the cost model (a 10^300 GHz clock
makes every time infinite).
"""
MAX_MAGNITUDE = 1e15
"""Largest finite number any other field may hold (unlimited bandwidth is written ``.inf``)."""

_COMPARISONS = {
    "greater_than": ("gt", ">"),
    "greater_than_equal": ("ge", ">="),
    "less_than": ("lt", "<"),
    "less_than_equal": ("le", "<="),
}
_TYPE_WORDS = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dict_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "finite_number": "a finite number",
}


def config_error_from(exc: ValidationError, source: str | None, root: type[BaseModel]) -> ConfigError:
    """A ``ConfigError`` naming the first error's path and message, with every error in ``details``.

    Parameters
    ----------
    exc : pydantic.ValidationError
        The error raised by ``root.model_validate``.
    source : str or None
        File or preset name the data came from.
    root : type
        The model that was validated (used to resolve unknown-field suggestions).
    """
    errors = [e for e in exc.errors(include_url=False) if not _spurious_length(e)]
    details = tuple(_describe(error, root) for error in errors)
    path, message = details[0]
    return ConfigError(message, source, path, details)


def plain_type_error(data: Any, source: str | None, root: type[BaseModel]) -> ConfigError | None:
    """A ``ConfigError`` for numbers given as booleans or strings in ``data`` (see `vocabulary.plain_types`).

    Returns None when every value has the plain type its field asks for.
    """
    found = plain_type_errors(data, root)
    if not found:
        return None
    details = tuple((format_path(_strip_tags(loc, root)), message) for loc, message in found)
    path, message = details[0]
    return ConfigError(message, source, path, details)


def limit_errors(data: Any) -> list[tuple[str, str]]:
    """``(path, message)`` for every value of a validated accelerator's dump past its limit.

    Parameters
    ----------
    data : Any
        A validated accelerator (or its ``model_dump()``): nested models, dicts, lists and numbers.

    Examples
    --------
    >>> limit_errors({"clock_ghz": 1e300, "engines": [{"rows": 2**20}]})
    [('clock_ghz', 'must be <= 100 (got 1e+300)'), ('engines[0].rows', 'must be <= 65536 (got 1048576)')]
    """
    found: list[tuple[str, str]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, BaseModel):
            value = value.__dict__  # the fields, without the cost of model_dump
        if isinstance(value, dict):
            stack.extend((item, (*loc, key)) for key, item in value.items())
        elif isinstance(value, (list, tuple)):
            limit = _LIMITS_BY_LOC.get(_generic(loc))
            if limit is not None and len(value) > limit:
                found.append((loc, f"must have at most {_show(limit)} items (got {len(value)})"))
            stack.extend((item, (*loc, index)) for index, item in enumerate(value))
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > _SMALLEST_LIMIT:
            bound = _LIMITS_BY_LOC.get(_generic(loc), MAX_MAGNITUDE)
            if math.isfinite(value) and abs(value) > bound:
                found.append((loc, f"must be <= {_show(bound)} (got {_show(value)})"))
    return sorted((format_path(loc), message) for loc, message in found)


def _generic(loc: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("[]" if isinstance(part, int) else part for part in loc)


_LIMITS_BY_LOC = {tuple(part for part in key.replace("[]", ".[]").split(".")): limit
                  for key, limit in HARDWARE_LIMITS.items()}
_SMALLEST_LIMIT = min(HARDWARE_LIMITS.values())


def _spurious_length(error: dict[str, Any]) -> bool:
    """pydantic checks a tuple's min_length after dropping items that failed; that error is noise."""
    value, ctx = error.get("input"), error.get("ctx") or {}
    return (
        error["type"] == "too_short"
        and isinstance(value, (list, tuple))
        and len(value) >= ctx.get("min_length", 0)
    )


def format_path(loc: tuple[Any, ...]) -> str:
    """Dotted path of a location: ``('memory', 1, 'size_bytes')`` -> ``memory[1].size_bytes``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _describe(error: dict[str, Any], root: type[BaseModel]) -> tuple[str, str]:
    raw_loc = tuple(error["loc"])
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    path = format_path(_strip_tags(raw_loc, root))
    if kind == "hw_field":
        inner = ctx["path"]
        joined = path + inner if inner.startswith("[") or not path else f"{path}.{inner}"
        return joined, ctx["message"]
    if kind == "extra_forbidden":
        return path, _unknown_field(raw_loc, root)
    message = _message(kind, ctx, value, error["msg"])
    if raw_loc and raw_loc[-1] == "[key]":  # pydantic's marker for a bad mapping key
        return format_path(_strip_tags(raw_loc[:-1], root)), f"key {message}"
    return path, message


def _message(kind: str, ctx: dict[str, Any], value: Any, fallback: str) -> str:
    if kind in _COMPARISONS:
        key, sign = _COMPARISONS[kind]
        return f"must be {sign} {_show(ctx[key])} (got {_show(value)})"
    if kind == "missing":
        return "required field is missing"
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        limit = ctx["min_length"] if kind == "too_short" else ctx["max_length"]
        plural = "" if limit == 1 else "s"
        return f"must have {bound} {limit} item{plural} (got {ctx['actual_length']})"
    if kind == "string_too_short":
        return "must not be empty"
    if kind in ("enum", "literal_error"):
        return _choice(ctx["expected"], value)
    if kind == "union_tag_invalid":
        return f"unknown kind {ctx['tag']!r} (expected {ctx['expected_tags']})"
    if kind == "union_tag_not_found":
        return f"needs a {ctx['discriminator']} field"
    if kind in _TYPE_WORDS:
        return f"must be {_TYPE_WORDS[kind]} (got {_show(value)})"
    if kind == "value_error":
        return fallback.removeprefix("Value error, ")
    return f"{fallback[:1].lower()}{fallback[1:]} (got {_show(value)})"


def _choice(expected: str, value: Any) -> str:
    options = re.findall(r"'([^']*)'", expected)
    hint = difflib.get_close_matches(str(value), options, n=1)
    suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
    return f"must be one of {expected} (got {_show(value)}{suggestion})"


def _show(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower() if value is not None else "null"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def _unknown_field(raw_loc: tuple[Any, ...], root: type[BaseModel]) -> str:
    model = _model_at(raw_loc[:-1], root)
    fields = sorted(model.model_fields) if model is not None else []
    hint = difflib.get_close_matches(str(raw_loc[-1]), fields, n=1, cutoff=0.6)
    if hint:
        return f"unknown field (did you mean {hint[0]!r}?)"
    if fields:
        return f"unknown field (expected one of: {', '.join(fields)})"
    return "unknown field"


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return tuple(members)
            annotation = members[0]
        else:
            return annotation


def _tag_of(model: Any) -> str | None:
    if isinstance(model, type) and issubclass(model, BaseModel) and "kind" in model.model_fields:
        kind = model.model_fields["kind"].annotation
        if get_origin(kind) is Literal:
            return get_args(kind)[0]
    return None


def _step(annotation: Any, part: Any) -> tuple[Any, bool]:
    """Descend one loc element; the flag says the element was a union tag (not a real key)."""
    annotation = _unwrap(annotation)
    if isinstance(annotation, tuple):
        for member in annotation:
            if _tag_of(member) == part:
                return member, True
        return None, False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(part) if isinstance(part, str) else None
        return (field.annotation if field else None), False
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (tuple, list) and args:
        return args[0], False
    if origin is dict and args:
        return args[1], False
    return None, False


def _strip_tags(raw_loc: tuple[Any, ...], root: type[BaseModel]) -> tuple[Any, ...]:
    clean, annotation = [], root
    for part in raw_loc:
        annotation, is_tag = _step(annotation, part) if annotation is not None else (None, False)
        if not is_tag:
            clean.append(part)
    return tuple(clean)


def _model_at(loc: tuple[Any, ...], root: type[BaseModel]) -> type[BaseModel] | None:
    annotation: Any = root
    for part in loc:
        annotation, _ = _step(annotation, part)
        if annotation is None:
            return None
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None
