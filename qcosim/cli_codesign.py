"""``qcosim codesign``: accelerator and per-layer precision searched together, and the demo's co-design question."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qcosim.cli_sweep import DaskLocalOpt, ExecutorOpt, SchedulerOpt, WorkersOpt, run_with_progress

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["mount", "front_table", "demo_question", "DEMO_SPEC"]

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


def _run(spec: Path, out: Path, **run_options):
    """Run (or resume, or read back) a co-design and write its JSON, CSV and report into ``out``."""
    from analysis.codesign import codesign_report, run_codesign, write_outputs

    summary = run_with_progress(lambda update: run_codesign(spec, out, progress=update, **run_options), out,
                                "accelerators")
    report = codesign_report(spec, out)
    return summary, report, write_outputs(report, out)


def codesign(
    spec: Annotated[Path, typer.Argument(help="Co-design spec: a sweep spec with a search section (YAML).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory (store, codesign.json, front.csv).")],
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
