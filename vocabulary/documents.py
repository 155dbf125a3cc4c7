"""Reading YAML and JSON input files strictly: one loader for accelerators, layer lists and policies.

Like a design-rule checker run before tape-out: a file that would load with
a silent surprise is refused up front. PyYAML's ``safe_load`` and ``json``
both keep the *last* value of a key given twice in one mapping, so a typo'd
copy of ``size_bytes`` silently overrides the first; here it is an error
naming the line and the key. Every failure is a `DocumentError` with a
one-line message; the caller adds the file name and raises its own error type.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

__all__ = ["DocumentError", "StrictLoader", "parse_document", "read_document", "require_mapping"]


class DocumentError(ValueError):
    """A file's text is not a usable document; the message is one line without the file name."""


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that rejects a key given twice in one mapping instead of keeping the last."""


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise DocumentError(f"invalid JSON: duplicate key {key!r}")
        data[key] = value
    return data


def parse_document(text: str, *, json_syntax: bool = False) -> Any:
    """Parse YAML (or, with ``json_syntax``, JSON) text, refusing a key given twice in one mapping.

    Parameters
    ----------
    text : str
        The document.
    json_syntax : bool
        Parse as JSON (errors then name JSON's line and column).

    Raises
    ------
    DocumentError
        ``invalid YAML at line L, column C: <problem>`` (or ``invalid JSON ...``).

    Examples
    --------
    >>> parse_document("a: 1\\nb: [2, 3]\\n")
    {'a': 1, 'b': [2, 3]}
    >>> parse_document("k: 1\\nk: 2\\n")
    Traceback (most recent call last):
    ...
    vocabulary.documents.DocumentError: invalid YAML at line 2, column 1: duplicate key 'k'
    """
    if json_syntax:
        try:
            return json.loads(text, object_pairs_hook=_unique_pairs)
        except json.JSONDecodeError as exc:
            raise DocumentError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    try:
        return yaml.load(text, Loader=StrictLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as exc:
        raise DocumentError(_yaml_message(exc)) from None


def _yaml_message(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is None:
        return f"invalid YAML: {problem}"
    return f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}"


def read_document(path: Path) -> Any:
    """Read and parse a ``.json`` file as JSON and any other file as YAML (see `parse_document`).

    Raises
    ------
    DocumentError
        If the file cannot be read or decoded, or does not parse.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"cannot read file ({getattr(exc, 'strerror', None) or exc})") from None
    return parse_document(text, json_syntax=Path(path).suffix.lower() == ".json")


def require_mapping(data: Any) -> dict:
    """``data`` itself when it is a mapping of fields, the top level every input file must have.

    Raises
    ------
    DocumentError
        ``top level must be a mapping of fields (got a list)`` and the like.
    """
    if not isinstance(data, dict):
        raise DocumentError(f"top level must be a mapping of fields (got {_kind(data)})")
    return data


def _kind(data: Any) -> str:
    if data is None:
        return "an empty document"
    if isinstance(data, list):
        return "a list"
    if isinstance(data, str):
        return "a string"
    if isinstance(data, (int, float)):
        return "a number"
    return type(data).__name__
