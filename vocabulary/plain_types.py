"""Strict scalar types for values read from files: a number is a number, a flag is a flag.

pydantic's lax mode, right for Python callers, is wrong for a file a person
typed: it reads ``rows: true`` as 1 and ``clock_ghz: "1.0"`` as 1.0, so a
slip in quoting or a boolean where a count belongs goes unnoticed. Strict
mode would also refuse what a YAML file can only write as a list or a
string (tuples, enums), so instead the parsed document is walked once
against the model's annotations before validation, and every number field
given a boolean or a string, and every flag given anything but a boolean,
is reported with its dotted path. Like a tester's continuity check run
before power is applied: cheap, and it catches the wiring mistakes the
functional test would misread.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

__all__ = ["plain_type_errors"]

_INFINITY = frozenset({"inf", "+inf", "-inf", ".inf", "-.inf", "infinity", "-infinity"})
"""Strings a float field may hold: JSON has no infinity, so files write unlimited bandwidth as "inf"."""


def plain_type_errors(data: Any, model: type[BaseModel]) -> list[tuple[tuple[Any, ...], str]]:
    """``(location, message)`` for every value of ``data`` whose plain type the model's field refuses.

    Parameters
    ----------
    data : Any
        A parsed YAML/JSON document (mappings, lists and scalars).
    model : type of pydantic.BaseModel
        The model ``data`` is about to be validated as.

    Returns
    -------
    list of (tuple, str)
        Location as pydantic spells it (``("engines", 0, "rows")``) and a
        message in the house template (``must be an integer (got true)``).
        Empty when every number is a number and every flag a flag.

    Examples
    --------
    >>> from pydantic import BaseModel
    >>> class Array(BaseModel):
    ...     rows: int
    ...     clock_ghz: float
    ...     double_buffered: bool = False
    >>> plain_type_errors({"rows": True, "clock_ghz": "1.0", "double_buffered": "yes"}, Array)
    [(('rows',), 'must be an integer (got true)'), (('clock_ghz',), "must be a number (got '1.0'; remove the quotes)"), (('double_buffered',), "must be true or false (got 'yes')")]
    """
    return list(_walk(data, model, ()))


def _walk(value: Any, annotation: Any, loc: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    annotation = _strip(annotation)
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        yield from _walk_union(value, get_args(annotation), loc)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if isinstance(value, dict):
            for key, item in value.items():
                field = annotation.model_fields.get(key) if isinstance(key, str) else None
                if field is not None:
                    yield from _walk(item, field.annotation, (*loc, key))
    elif origin in (tuple, list, set, frozenset) and isinstance(value, list):
        for index, (item, item_type) in enumerate(zip(value, _item_types(annotation, len(value)), strict=False)):
            yield from _walk(item, item_type, (*loc, index))
    elif origin is dict and isinstance(value, dict) and get_args(annotation):
        for key, item in value.items():  # keys stay lax: JSON can only write them as strings
            yield from _walk(item, get_args(annotation)[1], (*loc, key))
    else:
        problem = _scalar_problem(value, annotation)
        if problem:
            yield loc, problem


def _item_types(annotation: Any, count: int) -> tuple[Any, ...]:
    args = get_args(annotation)
    if get_origin(annotation) is tuple and args and args[-1] is not Ellipsis:
        return args
    return (args[0] if args else Any,) * count


def _walk_union(value: Any, members: tuple[Any, ...], loc: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    members = tuple(_strip(m) for m in members if m is not type(None))
    if value is None:
        return
    if isinstance(value, dict):
        models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
        tagged = [m for m in models if _tag(m) is not None and _tag(m) == value.get("kind")]
        chosen = tagged or (models if len(models) == 1 else [])
        if chosen:
            yield from _walk(value, chosen[0], loc)
        return
    if isinstance(value, list):
        sequences = [m for m in members if get_origin(m) in (tuple, list, set, frozenset)]
        if len(sequences) == 1:
            yield from _walk(value, sequences[0], loc)
        return
    problems = [_scalar_problem(value, m) for m in members if not _is_container(m)]
    if problems and all(problems):
        yield loc, problems[0]


def _strip(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _is_container(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return get_origin(annotation) in (tuple, list, set, frozenset, dict)


def _tag(model: type[BaseModel]) -> Any:
    field = model.model_fields.get("kind")
    if field is not None and get_origin(field.annotation) is Literal:
        return get_args(field.annotation)[0]
    return None


def _scalar_problem(value: Any, annotation: Any) -> str | None:
    """Why ``value`` is not a plain value of ``annotation`` (None when it is, or the type is not a scalar one)."""
    if annotation is bool:
        return None if isinstance(value, bool) else f"must be true or false (got {_show(value)})"
    if annotation in (int, float) and (isinstance(value, bool) or _is_text(value, annotation)):
        kind = "an integer" if annotation is int else "a number"
        hint = "; remove the quotes" if isinstance(value, str) and _numeric(value) else ""
        return f"must be {kind} (got {_show(value)}{hint})"
    if annotation is str and isinstance(value, bool):
        return f"must be a string (got {_show(value)}; quote it if you mean the text)"
    return None


def _is_text(value: Any, annotation: Any) -> bool:
    return isinstance(value, str) and not (annotation is float and value.strip().lower() in _INFINITY)


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
