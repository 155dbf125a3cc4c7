"""``qcosim report``: a saved simulation, several to compare, a search or a sweep, as a report to read and share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = ["mount", "write_and_tell"]


def write_and_tell(inputs: list, out: Path, *, hardware=None, title: str | None = None, stdout: bool = False) -> None:
    """Write the report of ``inputs`` into ``out`` and say where it is: on stderr for the ``--report``
    shortcuts (their stdout may be JSON), on stdout for ``qcosim report`` and the demo."""
    import sys

    from reports import write_report

    files = write_report(inputs, out, hardware=hardware, title=title)
    print(f"report: {files.html} (also {files.markdown.name}, {len(files.csv)} CSV tables, tables.json)",
          file=sys.stdout if stdout else sys.stderr)


def report(
    inputs: Annotated[list[Path], typer.Argument(
        help="Saved results: `qcosim simulate --json` or `qcosim search --json` files, or sweep stores "
             "(a sweep's output directory or its results.sqlite). Two or more simulations are compared.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for report.html, report.md, figures/ and tables/.")],
    hw: Annotated[Optional[str], typer.Option("--hw", "-H", help="The accelerator file the simulations ran on, when it "
                                                                 "is not a preset (its datasheet and DRAM roof).")] = None,
    title: Annotated[Optional[str], typer.Option(help="Report title (default: says what is reported).")] = None,
) -> None:
    """Self-contained HTML with plots, Markdown, and the tables as CSV and JSON."""
    hardware = None
    if hw is not None:
        from hwmodels import load_hardware

        hardware = load_hardware(hw)
    write_and_tell(list(inputs), out, hardware=hardware, title=title, stdout=True)


def mount(app: typer.Typer) -> None:
    """Add the command to the ``qcosim`` application."""
    app.command()(report)
