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
from analysis.executors import batches, make_executor
from analysis.fronts import Front, GroupRanking, SweepRow, parse_objectives, rankings, sweep_front
from analysis.points import METRICS, SweepPoint
from analysis.store import ResultsStore
from analysis.sweep import expand, load_sweep
from vocabulary.model import FrozenModel

__all__ = ["STORE_NAME", "SweepSummary", "run_sweep", "read_rows", "pareto", "rank_stored"]

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
    """Points the constraints removed before simulation."""
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
    spec_path = Path(spec_path)
    spec = load_sweep(spec_path)
    expansion = expand(spec, base_dir=spec_path.parent)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    columns = list(dict.fromkeys(path for point in expansion.points for path in point.values))
    store = ResultsStore.open(out / STORE_NAME, spec_digest=spec_digest(spec), columns=columns, resume=resume)
    try:
        done = store.done_keys()
        todo = [point for point in expansion.points if point.key not in done]
        cached = len(expansion.points) - len(todo)
        if cached and todo and not resume:
            raise AnalysisError(f"an unfinished run of this sweep is stored here ({cached} of "
                                f"{len(expansion.points)} points); rerun with --resume to continue it",
                                str(out / STORE_NAME))
        _evaluate(store, todo, cached, len(expansion.points), executor, workers, scheduler, progress)
        failed = store.count().get("failed", 0)
    finally:
        store.close()
    return SweepSummary(name=spec.name, store=str(out / STORE_NAME), points=len(expansion.points),
                        rejected=len(expansion.rejected), cached=cached, computed=len(todo), failed=failed,
                        seconds=time.perf_counter() - start)


def _evaluate(store: ResultsStore, todo: list[SweepPoint], stored: int, total: int, executor: str,
              workers: int | None, scheduler: str | None, progress: Progress | None) -> None:
    by_key = {point.key: point for point in todo}
    if progress:
        progress(stored, total)
    if not todo:
        return
    with make_executor(executor, workers=workers, scheduler=scheduler) as pool:
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


def pareto(store: str | Path, objectives: str | Sequence[str] = "latency,energy", *, all_ranks: bool = False) -> Front:
    """The non-dominated points of a stored sweep over ``objectives`` (`analysis.fronts.sweep_front`)."""
    return sweep_front(read_rows(store), parse_objectives(objectives), all_ranks=all_ranks)


def rank_stored(store: str | Path, objective: str, *, by: str) -> list[GroupRanking]:
    """Best first within groups of a stored sweep (`analysis.fronts.rankings`): ``by="policy"`` ranks the
    hardware configurations for each policy, ``by="hardware"`` the policies for each configuration."""
    return rankings(read_rows(store), objective, by=by)
