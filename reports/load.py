"""Reading what a report renders: a saved simulation, a search result or a sweep store, told apart by content.

``qcosim simulate --json`` writes a `simulator.SimResult`, ``qcosim search
--json`` an `analysis.plan.SearchReport`, and ``qcosim sweep`` an SQLite
store (`analysis.store`). The kind comes from the bytes, never from the file
name: an SQLite header means a store, a JSON object with ``totals`` and
``provenance`` a simulation, one with ``result`` and ``candidates`` a search.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from analysis.errors import AnalysisError
from analysis.fronts import SweepRow
from analysis.plan import SearchReport
from analysis.runner import STORE_NAME, read_rows
from reports.errors import ReportError
from simulator.results import SimResult

__all__ = ["SweepData", "ReportInput", "load_input", "load_inputs"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_EXPECTED = "expected a `qcosim simulate --json` or `qcosim search --json` file, or a sweep store"


@dataclass(frozen=True)
class SweepData:
    """Every stored point of a sweep, and where they came from."""

    source: str
    """The store's path (or its sweep directory) as given."""
    rows: tuple[SweepRow, ...]
    """Stored points, ok and failed, in store order."""


ReportInput = SimResult | SearchReport | SweepData
"""What a report renders: one simulation, one search, or one sweep."""


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


def _load_json(path: Path, text: str) -> SimResult | SearchReport:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"not a qcosim result: not JSON ({exc.msg} at line {exc.lineno}); {_EXPECTED}",
                          str(path)) from None
    if not isinstance(data, dict):
        raise ReportError(f"not a qcosim result: a JSON {type(data).__name__}; {_EXPECTED}", str(path))
    if "totals" in data and "layers" in data and "policy" in data:
        kind = SimResult
    elif "result" in data and "candidates" in data:
        kind = SearchReport
    else:
        raise ReportError(f"not a qcosim result: a JSON object without 'totals' (simulate) or 'result' (search); "
                          f"{_EXPECTED}", str(path))
    try:
        return kind.model_validate(data)
    except ValidationError as exc:
        raise ReportError(f"not a valid {kind.__name__}: {_first_error(exc)}", str(path)) from None


def _load_store(path: Path) -> SweepData:
    try:
        rows = read_rows(path)
    except AnalysisError as exc:
        raise ReportError(exc.message, exc.source or str(path)) from None
    if not rows:
        raise ReportError("the sweep store holds no points yet", str(path))
    return SweepData(source=str(path), rows=tuple(rows))


def load_input(path: str | Path) -> ReportInput:
    """The result saved at ``path``: a `SimResult`, a `SearchReport` or a sweep's `SweepData`.

    A directory is read as a sweep's output directory (its ``results.sqlite``).

    Raises
    ------
    ReportError
        The path is missing, unreadable, or holds something else.
    """
    path = Path(path)
    if path.is_dir():
        if not (path / STORE_NAME).is_file():
            raise ReportError(f"a directory without a sweep store ({STORE_NAME}); {_EXPECTED}", str(path))
        return _load_store(path)
    try:
        head = path.read_bytes()
    except FileNotFoundError:
        raise ReportError("no such file", str(path)) from None
    except OSError as exc:
        raise ReportError(f"cannot read it: {exc.strerror}", str(path)) from None
    if head.startswith(_SQLITE_MAGIC):
        return _load_store(path)
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise ReportError(f"not a qcosim result: a binary file; {_EXPECTED}", str(path)) from None
    return _load_json(path, text)


def load_inputs(items) -> list[ReportInput]:
    """Each item loaded (`load_input`) unless it is a loaded result already."""
    return [item if isinstance(item, SimResult | SearchReport | SweepData) else load_input(item) for item in items]
