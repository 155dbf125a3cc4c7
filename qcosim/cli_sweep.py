"""``qcosim sweep``, ``qcosim pareto`` and ``qcosim schema``: design-space sweeps, their fronts, the file formats."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = ["mount"]


def _progress():
    """A rich progress bar with points/s and ETA on a terminal; None (quiet) when output is not a TTY."""
    if not sys.stderr.isatty():
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), transient=True)
    task = bar.add_task("sweep", total=None, rate="")
    state = {"first": None}

    def update(stored: int, total: int) -> None:
        import time

        now = time.perf_counter()
        if state["first"] is None:
            state["first"] = (now, stored)
        t0, s0 = state["first"]
        rate = (stored - s0) / (now - t0) if now > t0 else 0.0
        bar.update(task, completed=stored, total=total, rate=f"{rate:.1f} points/s")

    return bar, update


def run_with_progress(run, out: Path, what: str):
    """``run(progress)`` with a progress bar on a terminal; Ctrl-C says where the finished ``what`` are kept."""
    bar, update = _progress()
    try:
        if bar is not None:
            bar.start()
        return run(update)
    except KeyboardInterrupt:
        print(f"interrupted: the finished {what} are kept in {out}; rerun with --resume to continue",
              file=sys.stderr)
        raise typer.Exit(130) from None
    finally:
        if bar is not None:
            bar.stop()


ExecutorOpt = Annotated[str, typer.Option(help="local (processes), serial, or dask.")]
WorkersOpt = Annotated[Optional[int], typer.Option(help="Local worker processes (default: all cores).")]
SchedulerOpt = Annotated[Optional[str], typer.Option(help="Dask scheduler address, e.g. tcp://host:8786.")]
DaskLocalOpt = Annotated[Optional[int], typer.Option("--dask-local", help="Start a Dask LocalCluster of N workers.")]


def sweep(
    spec: Annotated[Path, typer.Argument(help="Sweep spec (YAML): workloads x policies x hardware variations.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory (the results store goes here).")],
    executor: ExecutorOpt = "local",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted sweep in OUT (finished points are kept).")] = False,
    report: Annotated[Optional[Path], typer.Option(help="Also write a report (HTML, Markdown, CSV) into this directory.")] = None,
) -> None:
    """Evaluate a design space; finished points are stored as they come and never recomputed."""
    from analysis.runner import run_sweep

    if dask_local is not None:
        executor, workers = "dask", dask_local
    summary = run_with_progress(lambda update: run_sweep(spec, out, executor=executor, workers=workers,
                                                         scheduler=scheduler, progress=update, resume=resume),
                                out, "points")
    print(f"{summary.name}: {summary.points} points ({summary.computed} computed at "
          f"{summary.points_per_s:.1f} points/s, {summary.cached} from the store, {summary.failed} failed, "
          f"{summary.rejected} rejected by constraints) in {summary.store}")
    if report is not None:
        from qcosim.cli_report import write_and_tell

        write_and_tell([out], report)


def pareto(
    store: Annotated[Path, typer.Argument(help="A sweep's output directory or its results store.")],
    objectives: Annotated[str, typer.Option(help="Comma-separated: latency, energy, edp, area, sram, size, dram, leakage, utilization.")] = "latency,energy",
    all_ranks: Annotated[bool, typer.Option("--all-ranks", help="List every point with its front rank.")] = False,
    rank_by: Annotated[Optional[str], typer.Option("--rank-by", help="Rank instead, by the first objective: 'policy' (best hardware per policy) or 'hardware' (best policy per configuration).")] = None,
    top: Annotated[int, typer.Option(help="Members shown per group with --rank-by.")] = 3,
    workload: Annotated[Optional[str], typer.Option(help="The workload whose front to show (needed when the store holds several).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="One row per point.")] = False,
) -> None:
    """The non-dominated points of a sweep over the chosen objectives, with the knee point."""
    from analysis.errors import AnalysisError
    from analysis.runner import pareto as front_of
    from analysis.runner import rank_stored
    from qcosim.cli import _console
    from qcosim.tables import front_csv, front_table, group_rankings_table

    if rank_by is not None:
        if as_csv or all_ranks:
            raise AnalysisError("--rank-by prints a table or --json; --csv and --all-ranks are for fronts", "pareto")
        if top < 1:
            raise AnalysisError(f"must be >= 1 (got {top})", "--top")
        groups = rank_stored(store, objectives.split(",")[0].strip(), by=rank_by)
        if as_json:
            print(json.dumps([g.model_dump() for g in groups], indent=2))
        else:
            _console().print(group_rankings_table(groups, rank_by, objectives.split(",")[0].strip(), top))
        return
    front = front_of(store, objectives, all_ranks=all_ranks, workload=workload)
    if as_json:
        print(front.model_dump_json(indent=2))
    elif as_csv:
        print(front_csv(front), end="")
    else:
        _console().print(front_table(front))


def schema(kind: Annotated[str, typer.Argument(help="hardware or sweep.")]) -> None:
    """Print the JSON Schema of a file format (for editors and validation)."""
    from analysis.errors import AnalysisError

    schemas = {"hardware": ("hwmodels.io", "hardware_json_schema"), "sweep": ("analysis.sweep", "sweep_json_schema")}
    if kind not in schemas:
        raise AnalysisError(f"unknown schema {kind!r} (known: {', '.join(schemas)})", "schema")
    import importlib

    module, name = schemas[kind]
    print(json.dumps(getattr(importlib.import_module(module), name)(), indent=2))


def mount(app: typer.Typer) -> None:
    """Add the commands to the ``qcosim`` application."""
    for handler in (sweep, pareto, schema):
        app.command()(handler)
