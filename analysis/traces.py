"""Per-layer Hessian traces from a user's CSV file, for HAWQ-V3's sensitivity Omega.

The measurement sheet handed over from another lab: someone ran Hutchinson's
estimator on the trained model (as HAWQ-V3's code does) and wrote one trace
per layer. The format::

    layer,trace,n
    conv1,1.25e3,864
    fc,4.0,

``layer`` is a layer name of the graph, ``trace`` the Hessian trace (a
finite number >= 0), and the optional ``n`` the parameter count the trace is
averaged over (default, or when empty: the layer's weight elements). Every
layer with weights needs exactly one row. Errors name the file, the line and
the column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

from analysis.errors import AnalysisError

__all__ = ["TRACE_COLUMNS", "read_traces"]

TRACE_COLUMNS = ("layer", "trace", "n")
"""Accepted header names; ``n`` may be left out."""


def read_traces(path: str | Path, network: str, layers: Sequence[str]) -> dict[str, tuple[float, int | None]]:
    """``layer -> (trace, n or None)`` for every name in ``layers``, read from a CSV file.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    network : str
        The graph's name, for messages.
    layers : sequence of str
        The layers that need a trace (those with weights).

    Raises
    ------
    AnalysisError
        Missing or empty file, a missing or unknown column, a bad number, an
        unknown or repeated layer, or a layer with weights and no row.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
    ...     _ = f.write("layer,trace\\nfc,2.5\\n")
    >>> read_traces(f.name, "mlp", ["fc"])
    {'fc': (2.5, None)}
    >>> os.unlink(f.name)
    """
    path = Path(path)
    if not path.is_file():
        raise AnalysisError("no such file", str(path))
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:  # -sig: a byte-order mark from Excel
            found = _read_rows(csv.DictReader(handle), path, network, layers)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise AnalysisError(f"not a CSV text file ({exc})", str(path)) from None
    missing = [name for name in layers if name not in found]
    if missing:
        raise AnalysisError(f"no trace for layer {missing[0]!r} ({len(missing)} of {len(layers)} layers with "
                            "weights have none; every one needs a row)", str(path))
    return found


def _read_rows(reader: csv.DictReader, path: Path, network: str,
               layers: Sequence[str]) -> dict[str, tuple[float, int | None]]:
    """The checked rows of a traces file, by layer."""
    reader.fieldnames = _check_header(reader.fieldnames, path)
    found: dict[str, tuple[float, int | None]] = {}
    first_line: dict[str, int] = {}
    for record in reader:
        where = f"{path}:{reader.line_num}"
        if None in record:
            raise AnalysisError(f"{len(reader.fieldnames) + len(record[None])} fields, the header has "
                                f"{len(reader.fieldnames)}", where)
        name = (record.get("layer") or "").strip()
        if not name:
            raise AnalysisError("column 'layer': empty", where)
        if name not in layers:
            raise AnalysisError(f"column 'layer': no layer named {name!r} with weights in {network!r}", where)
        if name in found:
            raise AnalysisError(f"column 'layer': {name!r} already given on line {first_line[name]}", where)
        found[name] = (_trace(record.get("trace"), where), _count(record.get("n"), where))
        first_line[name] = reader.line_num
    return found


def _check_header(fields: Sequence[str] | None, path: Path) -> list[str]:
    """The header's column names, stripped, once they are known to be right."""
    if not fields:
        raise AnalysisError("empty file; expected a header 'layer,trace' (and optionally ',n')", str(path))
    header = [f.strip().lower() for f in fields]
    for name in header:
        if name not in TRACE_COLUMNS:
            raise AnalysisError(f"unknown column {name!r} (columns: {', '.join(TRACE_COLUMNS)})", f"{path}:1")
    for name in TRACE_COLUMNS[:2]:
        if name not in header:
            raise AnalysisError(f"missing column {name!r} (header: {', '.join(header)})", f"{path}:1")
    return header


def _trace(text: str | None, where: str) -> float:
    try:
        value = float((text or "").strip())
    except ValueError:
        raise AnalysisError(f"column 'trace': {text!r} is not a number", where) from None
    if not math.isfinite(value) or value < 0:
        raise AnalysisError(f"column 'trace': must be a finite number >= 0 (got {text.strip()})", where)
    return value


def _count(text: str | None, where: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise AnalysisError(f"column 'n': must be a positive integer (got {text!r})", where)
    return int(text)
