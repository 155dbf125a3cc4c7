"""``qcosim codesign``: accelerator and per-layer precision searched together, and the demo's co-design question."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qcosim.cli_sweep import DaskLocalOpt, ExecutorOpt, SchedulerOpt, WorkersOpt, run_with_progress

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["mount", "front_table", "codesign_document", "demo_question", "DEMO_SPEC"]

DEMO_SPEC = """\
schema_version: "1"
name: resnet18-bitfusion-codesign
workloads:
  - {name: resnet18}
hardware:
  base: bitfusion
  vary:
    engines[0].rows: [16, 32, 32, 64]
    engines[0].cols: [32, 32, 64, 64]
    memory[0].size_bytes: [32KiB, 64KiB, 128KiB]
    memory[1].size_bytes: [16KiB, 32KiB, 64KiB]
  link:
    - ["engines[0].rows", "engines[0].cols"]
sampling: {method: grid}
constraints: [area_mm2 <= 3]
search:
  candidates: [w2a8, w4a8, w8a8]
  sensitivity: auto
  budgets: {accuracy: sqnr>=15dB}
  objectives: [latency, energy, area, accuracy]
"""
"""The demo's question (``examples/codesign-bitfusion.yaml`` asks the same, with comments)."""
DEMO_QUESTION = ("Which Bit Fusion-style accelerator under 3 mm2, with which per-layer weight precision "
                 "(w2a8, w4a8, w8a8), runs ResNet-18 fastest at an output SQNR of at least 15 dB?")


def front_table(front, limit: int = 12) -> Table:
    """The first ``limit`` points of a co-design front, best first on the primary objective, with both gains."""
    from rich.table import Table

    paths = list(dict.fromkeys(path for p in front.points for path in p.hardware))
    shown = front.points[:limit]
    table = Table(title=f"{front.workload}: co-design front over {', '.join(front.objectives)} "
                        f"({len(front.points)} of {front.considered} plans on {front.accelerators} accelerators"
                        f"{f'; first {limit}' if len(front.points) > limit else ''})")
    headers = (*paths, "latency ms", "energy uJ", "area mm2", "SQNR dB", "formats", "vs uniform here",
               "vs best hw for it", "")
    for header in headers:
        table.add_column(header, justify="left" if header in ("formats", "") else "right")
    for index, p in enumerate(shown):
        on_hw, for_u = p.uniform_on_hardware, p.hardware_for_uniform
        table.add_row(*(str(p.hardware.get(path, "")) for path in paths), f"{p.figures['latency_ms']:.3f}",
                      f"{p.figures['energy_uj']:.1f}", f"{p.figures['area_mm2']:.2f}",
                      "" if p.sqnr_db is None else f"{p.sqnr_db:.1f}",
                      " ".join(f"{q}x{n}" for q, n in p.formats.items()),
                      f"{on_hw.gain:.2f}x ({on_hw.precision})" if on_hw else "-",
                      f"{for_u.gain:.2f}x" if for_u else "-", "knee" if index == front.knee else "")
    return table


def codesign_document(report, *, plans_shown: int = 20):
    """A co-design as a `reports.document.Report`: the question and answer, then per network its front.

    The front is a sortable table (accelerator parameters, figures, formats,
    both gains) and a heat map of the per-layer formats of its first ``plans_shown`` points.
    """
    from reports.design_figures import bitwidth_heatmap
    from reports.document import Column, Report, Section, Table

    search = report.search
    question = (f"Candidates {', '.join(search.candidates)} per weight layer; budgets "
                f"{', '.join(f'{k} {v}' for k, v in search.budgets.items()) or 'none'}; hardware constraints "
                f"{', '.join(report.constraints) or 'none'}; objectives {', '.join(search.objectives)}. "
                f"Accuracy proxy: {report.proxy}.")
    answers = [a.sentence for a in report.answers] or [f"No answer: {'; '.join(report.failures[:3])}"]
    sections = [Section("Question and answer", paragraphs=(question, *answers), bullets=tuple(
        f"Simulated end to end: {a.simulated.latency_ms:.4g} ms and {a.simulated.energy_uj:.4g} uJ co-designed; "
        f"{a.uniform_simulated.latency_ms:.4g} ms at {a.uniform_simulated.label} on the same accelerator"
        for a in report.answers if a.uniform_simulated is not None))]
    for index, front in enumerate(report.fronts):
        paths = list(dict.fromkeys(path for p in front.points for path in p.hardware))
        columns = (*(Column(path, path, "text") for path in paths), Column("latency_ms", "latency (ms)"),
                   Column("energy_uj", "energy (uJ)"), Column("area_mm2", "area (mm2)"),
                   Column("sqnr_db", "SQNR (dB)"), Column("formats", "weight layers per format", "text"),
                   Column("uniform", "best uniform here", "text"), Column("gain_uniform", "gain vs it"),
                   Column("gain_hardware", "gain vs its best accelerator"))
        rows = tuple((*(str(p.hardware.get(path, "")) for path in paths), p.figures["latency_ms"],
                      p.figures["energy_uj"], p.figures["area_mm2"], p.sqnr_db,
                      " ".join(f"{q} x{n}" for q, n in p.formats.items()),
                      p.uniform_on_hardware.precision if p.uniform_on_hardware else None,
                      p.uniform_on_hardware.gain if p.uniform_on_hardware else None,
                      p.hardware_for_uniform.gain if p.hardware_for_uniform else None) for p in front.points)
        table = Table(f"codesign_front_{index + 1}", f"{front.workload}: the front over hardware and precision",
                      columns, rows, caption=f"{len(front.points)} non-dominated of {front.considered} (accelerator, "
                      f"plan) pairs on {front.accelerators} accelerators; first = best {front.primary}.", sortable=True)
        shown = [(f"#{i + 1} {p.figures[front.primary]:.4g}", p.assignment)
                 for i, p in enumerate(front.points[:plans_shown])]
        layers = list(front.points[0].assignment) if front.points else []
        figures = (bitwidth_heatmap(shown, layers, search.candidates),) if shown else ()
        sections.append(Section(f"{front.workload}: co-design front", tables=(table,), figures=figures))
    return Report(f"qcosim co-design: {report.name}", answers[0], tuple(sections))


def _run(spec: Path, out: Path, **run_options):
    """Run (or resume, or read back) a co-design and write its JSON, CSV and HTML report into ``out``."""
    from analysis.codesign import codesign_report, run_codesign, write_outputs
    from reports import write_files

    summary = run_with_progress(lambda update: run_codesign(spec, out, progress=update, **run_options), out,
                                "accelerators")
    report = codesign_report(spec, out)
    html = write_files(codesign_document(report), out / "report").html
    return summary, report, [*write_outputs(report, out), html]


def codesign(
    spec: Annotated[Path, typer.Argument(help="Co-design spec: a sweep spec with a search section (YAML).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory (store, codesign.json, front.csv, report/).")],
    executor: ExecutorOpt = "local",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted co-design in OUT.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Search accelerator and per-layer precision together: one front, each point against both baselines."""
    from qcosim.cli import _console

    if dask_local is not None:
        executor, workers = "dask", dask_local
    summary, report, written = _run(spec, out, executor=executor, workers=workers, scheduler=scheduler,
                                    resume=resume)
    if as_json:
        print(report.model_dump_json(indent=2))
        return
    console = _console()
    console.print(f"{summary.name}: {summary.points} accelerators ({summary.computed} searched at "
                  f"{summary.points_per_s:.1f}/s, {summary.cached} from the store, {summary.failed} failed, "
                  f"{summary.rejected} rejected by constraints); accuracy proxy: {report.proxy}")
    for front in report.fronts:
        console.print(front_table(front))
    for answer in report.answers:
        console.print(answer.sentence)
    if not report.answers:
        console.print(f"no accelerator has a plan within the budgets: {'; '.join(report.failures[:3])}")
    console.print(f"written: {', '.join(str(path) for path in [Path(summary.store), *written])}")


def demo_question(console: Console, out: Path, executor: str = "serial") -> None:
    """The demo's co-design question, answered end to end: the spec goes into ``out``, the answer to the console.

    Serial by default: on 18 accelerators, starting worker processes costs more
    than they save (``benchmarks/bench_codesign.py`` measures both).
    """
    from analysis.runner import STORE_NAME

    out.mkdir(parents=True, exist_ok=True)
    for leftover in ("", "-wal", "-shm"):  # the demo asks afresh each time
        (out / f"{STORE_NAME}{leftover}").unlink(missing_ok=True)
    spec = out / "codesign.yaml"
    spec.write_text(DEMO_SPEC)
    console.print(f"\nCo-design: {DEMO_QUESTION}")
    summary, report, written = _run(spec, out, executor=executor)
    for answer in report.answers:
        console.print(f"  {answer.sentence}")
        if answer.uniform_simulated is not None:
            console.print(f"  Simulated end to end: {answer.simulated.latency_ms:.3f} ms co-designed, "
                          f"{answer.uniform_simulated.latency_ms:.3f} ms at {answer.uniform_simulated.label} "
                          "on the same accelerator.")
    console.print(f"  {summary.points} accelerators searched in {summary.seconds:.1f} s; report: "
                  f"{', '.join(str(path) for path in written)}")


def mount(app: typer.Typer) -> None:
    """Add ``codesign`` to the ``qcosim`` application."""
    app.command()(codesign)
