"""From results to a report on disk: load, build the `Report`, write HTML, Markdown, plots and tables.

`build_report` is a pure function of loaded results; `write_report` adds the
files. One simulation gives its own report; two or more are compared against
the first; a search and a sweep get theirs; a mix is rendered in input order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from analysis.plan import SearchReport
from hwmodels import Accelerator
from reports.compare import comparison_sections
from reports.document import Report, Section
from reports.errors import ReportError
from reports.figures import run_label
from reports.html import render_html
from reports.load import ReportInput, SweepData, load_inputs
from reports.markdown import render_markdown, write_figures
from reports.provenance import matching_hardware, matching_workload
from reports.search import search_sections
from reports.simulation import simulation_sections
from reports.sweep import sweep_sections
from reports.tables import write_tables
from simulator.results import SimResult

__all__ = ["ReportFiles", "build_report", "write_files", "write_report"]


@dataclass(frozen=True)
class ReportFiles:
    """What `write_report` wrote."""

    html: Path
    """``report.html``: self-contained, open it in any browser."""
    markdown: Path
    """``report.md``, with plots in ``figures/``."""
    tables_json: Path
    """``tables.json``: every table's rows."""
    csv: tuple[Path, ...]
    """``tables/NAME.csv``, one per table."""
    figures: tuple[Path, ...]
    """``figures/NAME.svg``."""


def _title(inputs: Sequence[ReportInput]) -> tuple[str, str]:
    runs = [i for i in inputs if isinstance(i, SimResult)]
    if len(inputs) == 1 and runs:
        r = runs[0]
        return (f"{r.workload} at {r.policy} on {r.hardware}",
                f"Latency {r.totals.latency_s * 1e3:.4g} ms and {r.totals.energy_pj * 1e-6:,.4g} µJ per inference "
                f"({r.fidelity} simulation): what ran, where the time and energy go, and the roofline.")
    if len(runs) == len(inputs):
        return (f"{len(runs)} runs compared: " + " vs ".join(run_label(r) for r in runs),
                "Each run against the first: deltas, the mechanisms behind them, then each run in detail.")
    kinds = ", ".join(sorted({"simulation" if isinstance(i, SimResult) else "search" if isinstance(i, SearchReport)
                              else "sweep" for i in inputs}))
    return "qcosim design-space report", f"{len(inputs)} inputs ({kinds}), in the order given."


def build_report(inputs: Iterable[ReportInput | str | Path], *, hardware: Accelerator | None = None,
                 title: str | None = None) -> Report:
    """The report of ``inputs`` (loaded results, or paths for `reports.load.load_input`).

    ``hardware`` is the accelerator the simulations ran on when it is not a
    preset (its datasheet and DRAM roof); presets are found by name.

    Raises
    ------
    ReportError
        No inputs, or an input that is no qcosim result.
    """
    loaded = load_inputs(inputs)
    if not loaded:
        raise ReportError("give at least one result to report on", "report")
    runs = [item for item in loaded if isinstance(item, SimResult)]
    if hardware is not None and not any(matching_hardware(run, hardware) is hardware for run in runs):
        raise ReportError(f"accelerator {hardware.name!r} is not the one any of the simulations ran on "
                          "(its digest differs from theirs)", "--hw")
    sections: list[Section] = comparison_sections(runs) if len(runs) > 1 else []
    for index, item in enumerate(loaded):
        prefix = f"{index + 1}_" if len(loaded) > 1 else ""
        if isinstance(item, SimResult):
            sections += simulation_sections(item, matching_hardware(item, hardware), matching_workload(item),
                                            prefix=prefix)
        elif isinstance(item, SearchReport):
            sections += search_sections(item, prefix=prefix)
        elif isinstance(item, SweepData):
            sections += sweep_sections(item, prefix=prefix)
    default_title, summary = _title(loaded)
    return Report(title or default_title, summary, tuple(sections))


def write_report(inputs: Iterable[ReportInput | str | Path], out_dir: str | Path, *,
                 hardware: Accelerator | None = None, title: str | None = None) -> ReportFiles:
    """Build the report of ``inputs`` and write it into ``out_dir`` (made if missing): `build_report`,
    then `write_files`.

    Raises
    ------
    ReportError
        Bad inputs (see `build_report`), or ``out_dir`` cannot be written (checked before the figures are drawn).
    """
    loaded = load_inputs(inputs)  # bad inputs are refused before anything is written
    out = _output_dir(out_dir)
    return write_files(build_report(loaded, hardware=hardware, title=title), out)


def _output_dir(out_dir: str | Path) -> Path:
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot write the report: {exc.strerror}", str(out)) from None
    return out


def write_files(report: Report, out_dir: str | Path) -> ReportFiles:
    """Write ``report`` into ``out_dir``: ``report.html`` (self-contained), ``report.md`` with
    ``figures/*.svg``, ``tables/*.csv`` and ``tables.json``.

    Raises
    ------
    ReportError
        ``out_dir`` cannot be written.
    """
    out = _output_dir(out_dir)
    try:
        figures = write_figures(report, out)
        tables = write_tables(report, out)
        html_path, md_path = out / "report.html", out / "report.md"
        html_path.write_text(render_html(report), encoding="utf-8")
        md_path.write_text(render_markdown(report), encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write the report: {exc.strerror}", str(out)) from None
    return ReportFiles(html=html_path, markdown=md_path, tables_json=tables[-1], csv=tuple(tables[:-1]),
                       figures=tuple(figures))
