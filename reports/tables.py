"""Tables as files: one CSV per table and one JSON of them all, with the raw values every writer shows."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from reports.document import Report, Table

__all__ = ["table_csv", "tables_json", "write_tables"]


def table_csv(table: Table) -> str:
    """The table as CSV: a header of column keys (units in the names), then the raw values.

    Floats are written in full (``repr``), so reading the CSV back gives the JSON's numbers exactly.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(column.key for column in table.columns)
    writer.writerows(["" if value is None else value for value in row] for row in table.rows)
    return out.getvalue()


def _json_value(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def tables_json(report: Report) -> dict[str, Any]:
    """Every table of ``report`` by name: title, caption, columns (key and heading) and rows as objects."""
    return {table.name: {
        "title": table.title, "caption": table.caption,
        "columns": [{"key": c.key, "heading": c.heading} for c in table.columns],
        "rows": [{c.key: _json_value(v) for c, v in zip(table.columns, row, strict=True)} for row in table.rows],
    } for table in report.tables()}


def write_tables(report: Report, out_dir: Path) -> list[Path]:
    """Write ``tables/NAME.csv`` for every table and ``tables.json`` into ``out_dir``; return the paths."""
    folder = out_dir / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for table in report.tables():
        path = folder / f"{table.name}.csv"
        path.write_text(table_csv(table), encoding="utf-8")
        paths.append(path)
    path = out_dir / "tables.json"
    path.write_text(json.dumps(tables_json(report), indent=1, ensure_ascii=False), encoding="utf-8")
    return [*paths, path]
