"""The report as data: sections of prose, tables and figures, before any format is chosen.

Builders (`reports.simulation`, `reports.compare`, `reports.search`,
`reports.sweep`) turn loaded results into a `Report`; writers
(`reports.html`, `reports.markdown`, `reports.tables`) turn the same
`Report` into files. Table cells hold raw numbers in the unit their column
names, so every writer shows and stores the same values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Column", "Table", "Figure", "Section", "Report", "format_value"]

CellKind = Literal["text", "int", "float", "percent"]


@dataclass(frozen=True)
class Column:
    """One table column: a machine name carrying the unit, a heading for people, and how to show values."""

    key: str
    """CSV/JSON name with its unit: ``latency_ms``, ``dram_bytes``."""
    heading: str
    """What a reader sees: ``latency (ms)``."""
    kind: CellKind = "float"
    """How cells are shown: text as is, integers with separators, floats to 4 significant digits,
    fractions as percentages."""


@dataclass(frozen=True)
class Table:
    """Rows of raw values under typed columns."""

    name: str
    """File stem of the table's CSV (``layers``, ``comparison``); unique within a report."""
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[str | int | float | None, ...], ...]
    caption: str = ""
    sortable: bool = False
    """Long tables (per layer, per point) sort by a click on a heading in HTML."""


@dataclass(frozen=True)
class Figure:
    """A rendered plot: SVG text, and the sentence that says what to read from it."""

    name: str
    """File stem (``roofline``); unique within a report."""
    title: str
    caption: str
    svg: str


@dataclass(frozen=True)
class Section:
    """A heading with paragraphs, bullet facts, tables and figures, in that order."""

    title: str
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: tuple[Figure, ...] = ()
    code: tuple[str, ...] = ()
    """Commands that reproduce the result, shown verbatim."""


@dataclass(frozen=True)
class Report:
    """A whole report: what every writer renders."""

    title: str
    summary: str
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def tables(self) -> list[Table]:
        """Every table, in reading order."""
        return [table for section in self.sections for table in section.tables]

    def figures(self) -> list[Figure]:
        """Every figure, in reading order."""
        return [figure for section in self.sections for figure in section.figures]


def format_value(value: str | int | float | None, kind: CellKind) -> str:
    """A cell as people read it.

    Examples
    --------
    >>> format_value(1234567, "int"), format_value(0.0095586, "float"), format_value(0.3707, "percent")
    ('1,234,567', '0.009559', '37.07%')
    >>> format_value(None, "float"), format_value(12345.678, "float"), format_value(2.5e-7, "float")
    ('-', '12,346', '2.5e-07')
    """
    if value is None:
        return "-"
    if kind == "text" or isinstance(value, str):
        return str(value)
    if kind == "int":
        return f"{round(value):,}"
    if kind == "percent":
        return f"{value:.2%}"
    if abs(value) >= 1e3:
        return f"{value:,.0f}"
    return f"{value:.4g}"
