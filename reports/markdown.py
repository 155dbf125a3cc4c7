"""The report as Markdown (GitHub-flavoured tables), with its plots as SVG files beside it."""

from __future__ import annotations

from pathlib import Path

from reports.document import Report, Section, Table, format_value

__all__ = ["render_markdown", "write_figures", "FIGURE_DIR", "MAX_MARKDOWN_ROWS"]

FIGURE_DIR = "figures"
"""Folder beside ``report.md`` that holds the plots."""
MAX_MARKDOWN_ROWS = 200
"""Longer tables are cut in Markdown (the CSV holds every row)."""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(table: Table) -> list[str]:
    lines = [f"### {table.title}", ""]
    if table.caption:
        lines += [table.caption, ""]
    lines.append("| " + " | ".join(_cell(c.heading) for c in table.columns) + " |")
    lines.append("|" + "|".join("---:" if c.kind != "text" else "---" for c in table.columns) + "|")
    for row in table.rows[:MAX_MARKDOWN_ROWS]:
        lines.append("| " + " | ".join(_cell(format_value(v, c.kind)) for c, v in zip(table.columns, row, strict=True))
                     + " |")
    if len(table.rows) > MAX_MARKDOWN_ROWS:
        lines += ["", f"*{len(table.rows) - MAX_MARKDOWN_ROWS} more rows in tables/{table.name}.csv.*"]
    return [*lines, ""]


def _section(section: Section) -> list[str]:
    lines = [f"## {section.title}", ""]
    for text in section.paragraphs:
        lines += [text, ""]
    if section.bullets:
        lines += [f"- {bullet}" for bullet in section.bullets] + [""]
    if section.code:
        lines += ["Reproduce with:", "", "```sh", *section.code, "```", ""]
    for table in section.tables:
        lines += _table(table)
    for figure in section.figures:
        alt = figure.title.replace("[", "\\[").replace("]", "\\]")
        lines += [f"![{alt}]({FIGURE_DIR}/{figure.name}.svg)", "", f"*{figure.title}.* {figure.caption}", ""]
    return lines


def render_markdown(report: Report) -> str:
    """The report as Markdown text; figures are linked from `FIGURE_DIR`."""
    lines = [f"# {report.title}", "", report.summary, ""]
    for section in report.sections:
        lines += _section(section)
    return "\n".join(lines)


def write_figures(report: Report, out_dir: Path) -> list[Path]:
    """Write each figure as ``figures/NAME.svg`` into ``out_dir``."""
    folder = out_dir / FIGURE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for figure in report.figures():
        path = folder / f"{figure.name}.svg"
        path.write_text(figure.svg, encoding="utf-8")
        paths.append(path)
    return paths
