"""Running a sweep: expand the spec, skip what the store already holds, evaluate the rest, store as they finish.

The test floor's operator: it reads the plan (`analysis.sweep`), asks the
results store which points are done (`analysis.store`), hands the others to an
executor in batches (`analysis.executors`) and writes every batch the moment
it comes back, so an interrupted sweep loses nothing finished and a rerun
computes only what is missing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from analysis.errors import AnalysisError
from analysis.evaluate import evaluate_batch
from analysis.executors import Task, batches, make_executor
from analysis.fronts import Front, GroupRanking, SweepRow, parse_objectives, rankings, sweep_front
from analysis.points import METRICS, SweepPoint
from analysis.store import ResultsStore
from analysis.sweep import expand, load_sweep
from vocabulary.model import FrozenModel

__all__ = ["STORE_NAME", "SweepSummary", "run_sweep", "run_points", "check_executor", "read_rows", "pareto",
           "rank_stored"]

STORE_NAME = "results.sqlite"
"""File name of the results store inside a sweep's output directory."""

Progress = Callable[[int, int], None]
"""Called with (points stored, points in the sweep) after every batch."""


class SweepSummary(FrozenModel):
    """What a sweep run did."""

    name: str
    """The spec's name."""
    store: str
    """Path of the results store."""
    points: int
    """Points of the sweep (after constraints)."""
    rejected: int
    """Points the constraints removed before simulation (rejected configurations x workloads x policies)."""
    cached: int
    """Points found in the store (computed by an earlier run)."""
    computed: int
    """Points this run evaluated."""
    failed: int
    """Points stored as failed (this run or earlier), each with its reason."""
    seconds: float
    """Wall time of this run."""

    @property
    def points_per_s(self) -> float:
        """Points this run evaluated per second."""
        return self.computed / self.seconds if self.seconds else 0.0


def spec_digest(spec) -> str:
    """SHA-256 prefix of the validated spec: a store belongs to one spec."""
    return hashlib.sha256(spec.model_dump_json().encode()).hexdigest()[:24]


def run_sweep(spec_path: str | Path, out_dir: str | Path, *, executor: str = "local", workers: int | None = None,
              scheduler: str | None = None, progress: Progress | None = None, resume: bool = False) -> SweepSummary:
    """Evaluate every point of the spec at ``spec_path`` not yet in ``out_dir``'s store.

    A finished sweep of the same spec is served from its store. An unfinished
    one (interrupted, killed) is continued only with ``resume``, so that
    nobody mixes two runs by accident; nothing stored is computed again.

    Raises
    ------
    AnalysisError
        A bad spec; a store that belongs to another spec or is not a qcosim
        store; an unfinished store without ``resume``.
    KeyboardInterrupt
        Passed on after the batches already evaluated are stored.
    """
    start = time.perf_counter()
    check_executor(executor, workers, scheduler)
    spec_path = Path(spec_path)
    spec = load_sweep(spec_path)
    if spec.search is not None:
        raise AnalysisError("has a search section: run it with qcosim codesign", str(spec_path))
    expansion = expand(spec, base_dir=spec_path.parent)
    rejected = len(expansion.rejected) * len(spec.workloads) * len(spec.policies)
    if not expansion.points:
        raise AnalysisError(f"every point breaks a constraint ({rejected} rejected), so there is nothing to "
                            f"simulate: {expansion.rejected[0].reason if expansion.rejected else 'no points'}",
                            str(spec_path))
    cached, computed, failed = run_points(expansion.points, spec, out_dir, executor=executor, workers=workers,
                                          scheduler=scheduler, progress=progress, resume=resume)
    return SweepSummary(name=spec.name, store=str(Path(out_dir) / STORE_NAME), points=len(expansion.points),
                        rejected=rejected, cached=cached, computed=computed, failed=failed,
                        seconds=time.perf_counter() - start)


def run_points(points: list[SweepPoint], spec, out_dir: str | Path, *, executor: str, workers: int | None,
               scheduler: str | None, progress: Progress | None, resume: bool, task: Task = evaluate_batch,
               store_type: type[ResultsStore] = ResultsStore) -> tuple[int, int, int]:
    """Evaluate the ``points`` of ``spec`` not yet in ``out_dir``'s store; (stored before, computed, failed).

    ``task`` is what a worker runs on a batch and ``store_type`` the store its
    results go to (a co-design's: `analysis.codesign`); the rules on stale and
    unfinished stores are the sweep's.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AnalysisError(f"cannot make the output directory: {exc.strerror}", str(out)) from None
    columns = list(dict.fromkeys(path for point in points for path in point.values))
    store = store_type.open(out / STORE_NAME, spec_digest=spec_digest(spec), columns=columns, resume=resume)
    try:
        cached, todo = _pending(store, points, resume)
        _evaluate(store, todo, cached, len(points), executor, workers, scheduler, progress, task)
        failed = store.count().get("failed", 0)
    finally:
        store.close()
    return cached, len(todo), failed


def check_executor(executor: str, workers: int | None, scheduler: str | None) -> None:
    """Refuse executor options before anything is written (`analysis.executors.make_executor` rules)."""
    if executor not in ("serial", "local", "dask"):
        raise AnalysisError(f"unknown executor {executor!r} (choose serial, local or dask)", "--executor")
    if workers is not None and workers < 1:
        raise AnalysisError(f"must be >= 1 (got {workers})", "--workers")
    if scheduler is not None and executor != "dask":
        raise AnalysisError(f"a scheduler address is for the dask executor, not {executor!r}", "--scheduler")


def _pending(store: ResultsStore, points: list[SweepPoint], resume: bool) -> tuple[int, list[SweepPoint]]:
    """(points already stored, points to compute); refuses a store whose points this spec no longer makes."""
    done = store.done_keys()
    keys = {point.key for point in points}
    stale = len(done - keys)
    if stale:
        raise AnalysisError(f"{stale} stored points are not points of this spec any more (a workload, policy or "
                            "hardware file changed, or qcosim did); use a new output directory", str(store.path))
    todo = [point for point in points if point.key not in done]
    cached = len(points) - len(todo)
    if cached and todo and not resume:
        raise AnalysisError(f"an unfinished run of this sweep is stored here ({cached} of {len(points)} points); "
                            "rerun with --resume to continue it", str(store.path))
    return cached, todo


def _evaluate(store: ResultsStore, todo: list[SweepPoint], stored: int, total: int, executor: str,
              workers: int | None, scheduler: str | None, progress: Progress | None, task: Task) -> None:
    by_key = {point.key: point for point in todo}
    if progress:
        progress(stored, total)
    if not todo:
        return
    with make_executor(executor, workers=workers, scheduler=scheduler, task=task) as pool:
        for results in pool.map_batches(batches(todo, workers=getattr(pool, "workers", 1))):
            store.write([by_key[r.key] for r in results], results)
            stored += len(results)
            if progress:
                progress(stored, total)


def read_rows(path: str | Path) -> list[SweepRow]:
    """Every stored point of a results store (a file, or a sweep's output directory) as `SweepRow`s."""
    path = Path(path)
    with ResultsStore.open(path / STORE_NAME if path.is_dir() else path, create=False) as store:
        return [SweepRow(key=r["key"], status=r["status"], workload=r["workload"], policy=r["policy"],
                         values={c: r[c] for c in store.columns},
                         metrics={m: r[m] for m in METRICS if r.get(m) is not None})
                for r in store.iter_rows()]


def pareto(store: str | Path, objectives: str | Sequence[str] = "latency,energy", *, all_ranks: bool = False,
           workload: str | None = None) -> Front:
    """The non-dominated points of a stored sweep over ``objectives`` (`analysis.fronts.sweep_front`).

    A front compares designs for one network: a store of several workloads
    needs ``workload`` to say which.
    """
    rows = read_rows(store)
    names = sorted({row.workload for row in rows})
    if workload is None and len(names) > 1:
        raise AnalysisError(f"the store holds {len(names)} workloads ({', '.join(names)}); a front compares "
                            "designs for one: choose it with --workload", "pareto")
    if workload is not None:
        if workload not in names:
            raise AnalysisError(f"no points of workload {workload!r} (stored: {', '.join(names)})", "--workload")
        rows = [row for row in rows if row.workload == workload]
    return sweep_front(rows, parse_objectives(objectives), all_ranks=all_ranks)


def rank_stored(store: str | Path, objective: str, *, by: str) -> list[GroupRanking]:
    """Best first within groups of a stored sweep (`analysis.fronts.rankings`): ``by="policy"`` ranks the
    hardware configurations for each policy, ``by="hardware"`` the policies for each configuration."""
    return rankings(read_rows(store), objective, by=by)
