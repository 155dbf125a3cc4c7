"""Reading user files and turning their errors into the one-line messages users see.

``layers[1].k: must be >= 1 (got 0)`` names the path and the rule; an unknown
key suggests the nearest valid one.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from pydantic import BaseModel, ValidationError

from vocabulary.documents import DocumentError, read_document, require_mapping
from workloads.errors import WorkloadError

__all__ = ["describe_validation_error", "error_path", "read_mapping"]

_RULES = {
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
}


def error_path(loc: tuple) -> str:
    """Dotted path with list indices in brackets: ``('layers', 1, 'k')`` -> ``layers[1].k``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not str(part).startswith(("function-", "tagged-union")):
            text += f".{part}" if text else str(part)
    return text


def _known_fields(model: type[BaseModel] | None, loc: tuple) -> list[str]:
    """Field names valid at ``loc`` (walking nested models), for did-you-mean hints."""
    for part in loc[:-1]:
        if model is None or isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None)
        model = next(
            (t for t in getattr(annotation, "__args__", (annotation,)) if isinstance(t, type) and issubclass(t, BaseModel)),
            None,
        )
    return list(model.model_fields) if model else []


def describe_validation_error(exc: ValidationError, model: type[BaseModel] | None = None) -> str:
    """The first error as ``path: message (got value)``, plus how many more there are."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    path = error_path(first["loc"])
    kind = first["type"]
    if kind in _RULES:
        message = _RULES[kind].format(**first.get("ctx", {})) + f" (got {first['input']!r})"
    elif kind == "extra_forbidden":
        close = difflib.get_close_matches(str(first["loc"][-1]), _known_fields(model, first["loc"]), n=1)
        message = "unknown field" + (f" (did you mean {close[0]!r}?)" if close else "")
    elif kind == "missing":
        message = "field required"
    else:
        message = first["msg"].removeprefix("Value error, ")
        if kind not in ("value_error", "assertion_error") and "input" in first:
            message += f" (got {first['input']!r})"
    more = f" (and {len(errors) - 1} more error{'s' * (len(errors) > 2)})" if len(errors) > 1 else ""
    return f"{path}: {message}{more}" if path else f"{message}{more}"


def read_mapping(path: Path, error: type[WorkloadError] = WorkloadError) -> dict:
    """Parse a YAML/JSON file whose top level must be a mapping; errors name the file.

    A key given twice in one mapping is an error (`vocabulary.documents`), not a silent overwrite.
    """
    if not path.is_file():
        raise error("no such file", str(path))
    try:
        return require_mapping(read_document(path))
    except DocumentError as exc:
        raise error(str(exc), str(path)) from None
