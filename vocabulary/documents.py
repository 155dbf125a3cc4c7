"""Reading YAML and JSON input files strictly: one loader for accelerators, layer lists and policies.

Like a design-rule checker run before tape-out: a file that would load with
a silent surprise is refused up front. PyYAML's ``safe_load`` and ``json``
both keep the *last* value of a key given twice in one mapping, so a typo'd
copy of ``size_bytes`` silently overrides the first; here it is an error
naming the line and the key. Every failure is a `DocumentError` with a
one-line message; the caller adds the file name and raises its own error type.

Every file is also held to size limits before anything else reads it, so
that no input can hang the tool or exhaust its memory: at most
`MAX_FILE_BYTES` bytes, `MAX_DEPTH` levels of nesting (deeper documents
would overflow Python's recursion in the parsers and validators),
`MAX_NODES` values once YAML aliases are expanded (the "billion laughs"
bomb: nine aliases of nine aliases make a billion values from a page of
text), and `MAX_INT_DIGITS` digits in an integer (Python refuses to convert
more than 4,300 and no field needs more than 20).
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_INT_DIGITS",
    "MAX_NODES",
    "DocumentError",
    "StrictLoader",
    "parse_document",
    "read_document",
    "require_mapping",
]

MAX_FILE_BYTES = 16 * 2**20
"""Largest input file read, in bytes (a 10,000-layer list is about 1 MiB)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists in a document (the formats need fewer than 10)."""
MAX_NODES = 1_000_000
"""Most values (scalars, lists, mappings) a document may hold once its YAML aliases are expanded."""
MAX_INT_DIGITS = 30
"""Most digits in one integer (2^64 has 20)."""


class DocumentError(ValueError):
    """A file's text is not a usable document; the message is one line without the file name."""


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that rejects a key given twice in one mapping instead of keeping the last.

    It also counts, while composing, how deep each node nests and how many
    values it stands for with its aliases expanded, and stops at `MAX_DEPTH`
    and `MAX_NODES` before the recursion or the expansion does any harm.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            if not hasattr(node, "_qcosim_expanded"):  # measured when complete: this one is still open
                raise _too_big("an alias refers to a node that contains it", event)
        else:
            if self._depth >= MAX_DEPTH:
                raise _too_big(f"nesting deeper than {MAX_DEPTH} levels", event)
            self._depth += 1
            try:
                node = super().compose_node(parent, index)
            finally:
                self._depth -= 1
            node._qcosim_expanded = _measure(node)
        size, height = node._qcosim_expanded
        if size > MAX_NODES:
            raise _too_big(f"more than {MAX_NODES:,} values once aliases are expanded", event)
        if height + self._depth > MAX_DEPTH:
            raise _too_big(f"nesting deeper than {MAX_DEPTH} levels once aliases are expanded", event)
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, LookupError, TypeError, OverflowError):  # `!!int ''`, `!!float x`, `!!bool 2`
            tag = str(node.tag).rsplit(":", 1)[-1]
            shown = repr(node.value)[:40] if isinstance(node, yaml.ScalarNode) else "this node"
            raise yaml.constructor.ConstructorError(
                None, None, f"{shown} is not a valid {tag}", node.start_mark
            ) from None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        digits = sum(ch.isalnum() for ch in node.value) if isinstance(node.value, str) else 0
        if digits > MAX_INT_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"integer with {digits} digits (at most {MAX_INT_DIGITS})", node.start_mark
            )
        return super().construct_yaml_int(node)


def _too_big(problem: str, event: Any) -> yaml.composer.ComposerError:
    return yaml.composer.ComposerError(None, None, problem, event.start_mark)


def _measure(node: yaml.Node) -> tuple[int, int]:
    """(values, nesting levels) a just-composed node stands for with aliases expanded."""
    if isinstance(node, yaml.ScalarNode):
        return 1, 1
    children = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
    sizes = [child._qcosim_expanded for child in children]
    return 1 + sum(s for s, _ in sizes), 1 + max((h for _, h in sizes), default=0)


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *base`: merged keys may be overridden
            continue
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be a plain value (got {_kind(key)})", key_node.start_mark
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise DocumentError(f"invalid JSON: duplicate key {key!r}")
        data[key] = value
    return data


def _json_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise DocumentError(f"invalid JSON: integer with {digits} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _json_depth(data: Any) -> int:
    """Nesting levels of parsed JSON data, counted without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return deepest


def parse_document(text: str, *, json_syntax: bool = False) -> Any:
    """Parse YAML (or, with ``json_syntax``, JSON) text, refusing a key given twice in one mapping.

    The size limits of this module apply (nesting, expanded values, integer digits).

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
            data = json.loads(text, object_pairs_hook=_unique_pairs, parse_int=_json_int)
        except json.JSONDecodeError as exc:
            raise DocumentError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
        except RecursionError:  # the C scanner recurses per level: far too deep
            raise DocumentError(f"invalid JSON: nesting deeper than {MAX_DEPTH} levels") from None
        if _json_depth(data) > MAX_DEPTH:
            raise DocumentError(f"invalid JSON: nesting deeper than {MAX_DEPTH} levels")
        return data
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
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
        text = raw.decode("utf-8")
    except (OSError, ValueError) as exc:  # ValueError: an invalid path or UnicodeDecodeError
        raise DocumentError(f"cannot read file ({_reason(exc)})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise DocumentError(f"file larger than {MAX_FILE_BYTES // 2**20} MiB")
    return parse_document(text, json_syntax=Path(path).suffix.lower() == ".json")


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
    return getattr(exc, "strerror", None) or str(exc)


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
    if isinstance(data, dict):
        return "a mapping"
    if isinstance(data, str):
        return "a string"
    if isinstance(data, (int, float)):
        return "a number"
    return type(data).__name__
