"""A user's cost table (CSV): per layer and candidate format, measured costs and a sensitivity.

The characterisation sheet a lab measures on its own silicon (HAWQ-V3 timed
every layer at every bit-width on a T4) instead of simulating it. Table mode
searches it directly: no model, no accelerator. Format, one row per (layer,
candidate)::

    layer,quant,latency_ms,energy_uj,size_bytes,bops,sensitivity,tie,pin
    conv1,w8a8,0.21,35.0,9408,7.4e9,0.0,,1
    conv1,w4a8,0.13,21.0,4704,3.7e9,0.08,,
    layer1.0.conv3,w8a8,0.11,18.2,16384,8.2e9,0.0,res1,
    layer1.0.downsample,w8a8,0.12,19.0,16384,8.2e9,0.0,res1,

``layer``
    Layer name; layers keep the order they first appear in.
``quant``
    A policy shorthand a layer can take (``w4a8``, ``w8a8``, ``w4a16-g128``), stored in lower case.
``sensitivity``
    The accuracy cost of the candidate (any proxy, >= 0); the search minimizes its sum.
``tie`` (optional)
    Layers with the same non-empty tie take the same candidate, so they must list the
    same quants. A layer's rows may leave it blank after one row states it, but may
    not state two different ties.
``pin`` (optional)
    ``1`` (or ``true``, ``yes``) on one row pins its layer to that quant; ``0``,
    ``false``, ``no`` or blank leave it free.
every other column
    A cost, a number >= 0 on every row, its unit in its name (``latency_ms``,
    ``energy_uj``, ``size_bytes``; no suffix, as ``bops``, is a count). At least one.

Header names are case-insensitive; blank lines and lines starting with ``#`` are
skipped. Every problem is one line naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from analysis.candidates import LayerOptions, Option
from analysis.errors import CostTableError
from workloads.errors import QuantSpecError
from workloads.policy import parse_spec

__all__ = ["read_cost_table"]

_REQUIRED = ("layer", "quant", "sensitivity")
_OPTIONAL = ("tie", "pin")
_PIN = {"": False, "0": False, "false": False, "no": False, "1": True, "true": True, "yes": True}


@dataclass
class _Layer:
    """One layer's rows as read so far."""

    line: int
    tie: str | None = None
    tie_line: int = 0
    pinned: str | None = None
    pin_line: int = 0
    options: list[Option] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)
    """quant -> the line it was read on."""


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, stripped cells) of every row that is neither blank nor a comment."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file)
            for cells in reader:
                cells = [cell.strip() for cell in cells]
                if any(cells) and not cells[0].startswith("#"):
                    yield reader.line_num, cells
    except OSError as exc:
        raise CostTableError(f"cannot read the cost table: {exc.strerror or exc}", str(path)) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CostTableError(f"not a CSV text file ({exc})", str(path)) from None


def _header(cells: list[str], where: str) -> list[str]:
    names = [cell.lower() for cell in cells]
    for position, name in enumerate(names, start=1):
        if not name:
            raise CostTableError(f"column {position} has no name", where)
        if names.index(name) != position - 1:
            raise CostTableError(f"column {name!r} appears twice", where)
    missing = [name for name in _REQUIRED if name not in names]
    if missing:
        raise CostTableError(f"missing column(s) {', '.join(map(repr, missing))} (a cost table has "
                             "layer, quant, sensitivity and cost columns such as latency_ms)", where)
    if not set(names) - set(_REQUIRED) - set(_OPTIONAL):
        raise CostTableError("no cost column (add e.g. latency_ms, energy_uj, size_bytes or bops)", where)
    return names


def _number(cell: str, column: str, where: str) -> float:
    """A value >= 0 from a cost or sensitivity cell."""
    hint = "" if column == "sensitivity" else \
        f" (every column but {', '.join(_REQUIRED + _OPTIONAL)} is a cost)"
    if not cell:
        raise CostTableError(f"column {column!r}: empty; every row needs a value{hint}", where)
    try:
        value = float(cell)
    except ValueError:
        raise CostTableError(f"column {column!r}: {cell!r} is not a number{hint}", where) from None
    if not math.isfinite(value) or value < 0:
        raise CostTableError(f"column {column!r}: must be a finite number >= 0, got {cell!r}", where)
    return value


def _quant(cell: str, where: str) -> str:
    """The candidate's policy shorthand, checked against the policy grammar."""
    if not cell:
        raise CostTableError("column 'quant': empty", where)
    try:
        spec, keep_first_last = parse_spec(cell)
    except QuantSpecError as exc:
        raise CostTableError(f"column 'quant': {exc.message}", where) from None
    if spec is None or keep_first_last:
        raise CostTableError(f"column 'quant': {cell!r} is a whole-network policy, not a layer's format",
                             where)
    return cell.lower()


def _option(row: dict[str, str], costs: list[str], where: str) -> Option:
    return Option(quant=_quant(row["quant"], where),
                  costs={name: _number(row[name], name, where) for name in costs},
                  sensitivity=_number(row["sensitivity"], "sensitivity", where))


def _tie_and_pin(layer: _Layer, name: str, row: dict[str, str], quant: str, line: int, where: str) -> None:
    """Record the row's tie and pin on its layer; a second, different tie or pin is an error."""
    tie = row.get("tie", "")
    if tie and layer.tie not in (None, tie):
        raise CostTableError(f"column 'tie': layer {name!r} has tie {layer.tie!r} on line {layer.tie_line}, "
                             f"{tie!r} here", where)
    if tie and layer.tie is None:
        layer.tie, layer.tie_line = tie, line
    pin = row.get("pin", "").lower()
    if pin not in _PIN:
        raise CostTableError(f"column 'pin': {row['pin']!r} is not 1 or 0 (or true/false, yes/no)", where)
    if _PIN[pin] and layer.pinned is not None:
        raise CostTableError(f"column 'pin': layer {name!r} is already pinned to {layer.pinned!r} on line "
                             f"{layer.pin_line}", where)
    if _PIN[pin]:
        layer.pinned, layer.pin_line = quant, line


def _add_row(layers: dict[str, _Layer], header: list[str], cells: list[str], line: int, where: str) -> None:
    if len(cells) != len(header):
        raise CostTableError(f"{len(cells)} fields, the header has {len(header)}", where)
    row = dict(zip(header, cells, strict=True))
    name = row["layer"]
    if not name:
        raise CostTableError("column 'layer': empty", where)
    option = _option(row, [c for c in header if c not in _REQUIRED + _OPTIONAL], where)
    layer = layers.setdefault(name, _Layer(line))
    if option.quant in layer.lines:
        raise CostTableError(f"column 'quant': layer {name!r} has {option.quant!r} already on line "
                             f"{layer.lines[option.quant]}", where)
    _tie_and_pin(layer, name, row, option.quant, line, where)
    layer.options.append(option)
    layer.lines[option.quant] = line


def _check_ties(layers: dict[str, _Layer], path: Path) -> None:
    """Tied layers list the same quants and, if pinned, the same pin."""
    first_of: dict[str, str] = {}
    pin_of: dict[str, str] = {}
    for name, layer in layers.items():
        if layer.tie is None:
            continue
        first = first_of.setdefault(layer.tie, name)
        for a, b in ((first, name), (name, first)):
            lacking = [q for q in layers[a].lines if q not in layers[b].lines]
            if lacking:
                raise CostTableError(f"column 'tie': layer {a!r} has quant {lacking[0]!r} but {b!r}, tied to it "
                                     f"by tie {layer.tie!r}, has no row for it",
                                     f"{path}:{layers[a].lines[lacking[0]]}")
        if layer.pinned is None:
            continue
        holder = pin_of.setdefault(layer.tie, name)
        if layers[holder].pinned != layer.pinned:
            raise CostTableError(f"column 'pin': layer {name!r} is pinned to {layer.pinned!r} but {holder!r}, "
                                 f"tied to it by tie {layer.tie!r}, to {layers[holder].pinned!r}",
                                 f"{path}:{layer.pin_line}")


def read_cost_table(path: str | Path) -> list[LayerOptions]:
    """Read a user cost table (the format is in the module docstring) as the search's candidates.

    Parameters
    ----------
    path : str or Path
        The CSV file.

    Returns
    -------
    list of LayerOptions
        One per layer, in the order layers first appear, candidates in row order.

    Raises
    ------
    CostTableError
        One line, ``FILE:LINE: column 'NAME': what is wrong``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "costs.csv"
    >>> _ = path.write_text("layer,quant,latency_ms,sensitivity\\n"
    ...                     "conv1,w8a8,0.2,0\\nconv1,w4a8,0.1,0.3\\nfc,w8a8,0.05,0\\nfc,w4a8,oops,0.1\\n")
    >>> read_cost_table(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    analysis.errors.CostTableError: ...costs.csv:5: column 'latency_ms': 'oops' is not a number (every ...)
    >>> _ = path.write_text(path.read_text().replace("oops", "0.04"))
    >>> [(layer.layer, [o.quant for o in layer.options]) for layer in read_cost_table(path)]
    [('conv1', ['w8a8', 'w4a8']), ('fc', ['w8a8', 'w4a8'])]
    """
    path = Path(path)
    rows = _rows(path)
    first = next(rows, None)
    if first is None:
        raise CostTableError("empty: no header row (columns layer, quant, sensitivity and costs)", str(path))
    header = _header(first[1], f"{path}:{first[0]}")
    layers: dict[str, _Layer] = {}
    for line, cells in rows:
        _add_row(layers, header, cells, line, f"{path}:{line}")
    if not layers:
        raise CostTableError("no rows after the header", str(path))
    _check_ties(layers, path)
    return [LayerOptions(layer=name, options=layer.options, tie=layer.tie, pinned=layer.pinned)
            for name, layer in layers.items()]
