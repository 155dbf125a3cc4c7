"""Where sweep points are simulated: in this process, on local worker processes, or on a Dask cluster.

Like a test floor of identical testers fed from one queue of trays: each
task is a batch of points (a tray), the testers stay set up between trays
(each worker process keeps its network and per-layer cost caches warm), and
a tester that breaks down loses only the trays it held, which go round again.

All three executors take batches (`batches` cuts a sweep into them) and yield
each batch's `PointResult`s as the batch finishes, in any order, each result
carrying its point's key; they run `analysis.evaluate.evaluate_batch` unless
given another ``task``.

Decisions:

- `ProcessExecutor` starts its workers with the ``spawn`` method: the same
  on Linux, macOS and Windows, and safe in a driver that runs threads (a
  progress bar, a Dask client), which ``fork`` is not. A worker's start-up
  (about 0.6 s of imports) is paid once: the pool lives as long as the
  executor, across `map_batches` calls. Each worker watches its parent and
  exits when the driver is gone (a SIGKILLed driver leaves no orphans).
- A worker that dies (killed, out of memory) breaks a ``ProcessPoolExecutor``
  and every batch it held. Those batches were never yielded, so nothing
  already returned is lost: the pool is recreated and each of them runs again
  once, alone, so that a batch that kills its worker a second time is known
  to be the culprit. Its points come back failed, with the reason ``worker
  died: …``; the sweep goes on.
- On Dask the scheduler already reruns the task of a dead worker elsewhere
  (``distributed.scheduler.allowed-failures`` times); a task it gives up on
  (``KilledWorker``) comes back as failed points with the same reason.
  Workers must run the driver's qcosim version (checked on connecting): a
  point's key names the version, so other code would store other results
  under it.
- At most a few batches per worker are in flight at once, so a sweep of
  millions of points does not queue them all up front.
"""

from __future__ import annotations

import itertools
import json
import math
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Literal, Protocol

from analysis.errors import AnalysisError
from analysis.evaluate import evaluate_batch
from analysis.points import PointResult, SweepPoint, qcosim_version

__all__ = ["Executor", "SerialExecutor", "ProcessExecutor", "DaskExecutor", "batches", "make_executor",
           "MAX_BATCH", "TASKS_PER_WORKER", "LOOPBACK_HTTP"]

Task = Callable[[Sequence[SweepPoint]], list[PointResult]]
Lost = tuple[Sequence[SweepPoint], BaseException]
MAX_BATCH = 64
"""Most points in one task: enough to hide scheduling, few enough that a dead worker loses little."""
TASKS_PER_WORKER = 4
"""Tasks per worker `batches` aims at, so that workers finishing early find more work."""
_IN_FLIGHT_PER_WORKER = 2
LOOPBACK_HTTP = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}
"""A LocalCluster scheduler's HTTP routes (health, metrics; no dashboard) on a free loopback port, not *:8787."""


class Executor(Protocol):
    """Runs batches of sweep points and yields each batch's results as it finishes (in any order)."""

    workers: int
    """How many batches run at once (what `batches` should cut for)."""

    def map_batches(self, batches: Sequence[Sequence[SweepPoint]]) -> Iterator[list[PointResult]]:
        """Yield the results of each batch (one list per batch, each result keyed by its point)."""
        ...  # pragma: no cover

    def close(self) -> None:
        """Release the workers."""
        ...  # pragma: no cover

    def __enter__(self) -> Executor: ...  # pragma: no cover

    def __exit__(self, *exc_info: object) -> None: ...  # pragma: no cover


def _array_dims(point: SweepPoint) -> str:
    """The compute engines' array shapes: points sharing them share the mapper's shape-only caches."""
    engines = point.hardware.get("engines") or []
    return json.dumps([[e.get(dim) for dim in ("rows", "cols", "lanes")] for e in engines if isinstance(e, dict)],
                      default=str)


def batches(points: Sequence[SweepPoint], size: int | None = None, workers: int = 1) -> list[list[SweepPoint]]:
    """Cut ``points`` into tasks of many points each, points with the same array shape together.

    Parameters
    ----------
    points : sequence of SweepPoint
        The sweep.
    size : int, optional
        Points per batch. By default about `TASKS_PER_WORKER` batches per
        worker, at most `MAX_BATCH` points each. Batch sizes differ by one at most.
    workers : int
        Workers that will share the batches.

    Returns
    -------
    list of list of SweepPoint
        Every point once, sorted (stably) by engine array shape, then workload and policy.

    Examples
    --------
    >>> [len(b) for b in batches([SweepPoint(workload="w", policy="w8a8", hardware={})] * 10, workers=2)]
    [2, 2, 2, 2, 2]
    >>> [len(b) for b in batches([SweepPoint(workload="w", policy="w8a8", hardware={})] * 200, workers=1)]
    [50, 50, 50, 50]
    >>> [len(b) for b in batches([SweepPoint(workload="w", policy="w8a8", hardware={})] * 130, size=64)]
    [44, 43, 43]
    """
    if size is not None and size < 1 or workers < 1:
        raise AnalysisError(f"batch size and workers must be >= 1 (got size={size}, workers={workers})")
    if not points:
        return []
    size = size or min(MAX_BATCH, math.ceil(len(points) / (TASKS_PER_WORKER * workers)))
    order = sorted(points, key=lambda p: (_array_dims(p), p.workload, json.dumps(p.params, sort_keys=True,
                                                                                 default=str), p.policy))
    count = math.ceil(len(order) / size)
    small, extra = divmod(len(order), count)
    cuts = [i * small + min(i, extra) for i in range(count + 1)]
    return [order[start:stop] for start, stop in itertools.pairwise(cuts)]


def _died(batch: Sequence[SweepPoint], exc: BaseException) -> list[PointResult]:
    """The batch's points as failed, with the one-line reason its worker gave."""
    reason = "worker died: " + (" ".join(str(exc).split()) or type(exc).__name__)
    return [PointResult(key=point.key, status="failed", error=reason) for point in batch]


class SerialExecutor:
    """Every batch in this process, one after another (for debugging: breakpoints and tracebacks work)."""

    workers = 1

    def __init__(self, *, task: Task = evaluate_batch) -> None:
        self._task = task

    def map_batches(self, batches: Sequence[Sequence[SweepPoint]]) -> Iterator[list[PointResult]]:
        """Yield each batch's results in order."""
        for batch in batches:
            yield self._task(batch)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _PoolExecutor:
    """A bounded window of batches in flight on a `concurrent.futures` executor; subclasses say how to recover."""

    _lost: tuple[type[BaseException], ...] = ()
    workers: int

    def _submit(self, batch: Sequence[SweepPoint]) -> Future:
        raise NotImplementedError  # pragma: no cover

    def _recover(self, lost: list[Lost], pending: dict[Future, Sequence[SweepPoint]]) -> Iterator[list[PointResult]]:
        """Results for the ``lost`` batches (and for those ``pending`` that went down with them)."""
        raise NotImplementedError  # pragma: no cover

    def map_batches(self, batches: Sequence[Sequence[SweepPoint]]) -> Iterator[list[PointResult]]:
        """Yield each batch's results as it finishes; batches lost with a worker are recovered (see module)."""
        window = max(1, _IN_FLIGHT_PER_WORKER * self.workers)
        todo = iter(batches)
        pending: dict[Future, Sequence[SweepPoint]] = {}
        try:
            while True:
                for batch in todo:
                    pending[self._submit(batch)] = batch
                    if len(pending) >= window:
                        break
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                lost = []
                for future in done:
                    batch, error = pending.pop(future), future.exception()
                    if isinstance(error, self._lost):
                        lost.append((batch, error))
                    else:
                        yield future.result()
                if lost:
                    yield from self._recover(lost, pending)
        finally:
            for future in pending:
                future.cancel()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError  # pragma: no cover


def _watch_parent(parent: int) -> None:
    """Worker initializer: exit when the driver that started the pool is gone (SIGKILL leaves no orphans)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="qcosim-parent-watch", daemon=True).start()


class ProcessExecutor(_PoolExecutor):
    """Batches on a long-lived pool of local worker processes (``spawn``), caches kept warm between tasks.

    Parameters
    ----------
    workers : int, optional
        Worker processes (default ``os.cpu_count()``).
    task : callable, optional
        What a worker runs on one batch (default `evaluate_batch`); a module-level
        function, so that it pickles.
    """

    _lost = (BrokenProcessPool,)

    def __init__(self, workers: int | None = None, *, task: Task = evaluate_batch) -> None:
        if workers is not None and workers < 1:
            raise AnalysisError(f"workers must be >= 1 (got {workers})")
        self.workers = workers or os.cpu_count() or 1
        self._task = task
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_watch_parent, initargs=(os.getpid(),))

    def _submit(self, batch: Sequence[SweepPoint]) -> Future:
        return self._pool.submit(self._task, batch)

    def _restart(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def _recover(self, lost: list[Lost], pending: dict[Future, Sequence[SweepPoint]]) -> Iterator[list[PointResult]]:
        """Rerun each batch the broken pool held once, alone on a fresh pool; a second death fails it."""
        held = [batch for batch, _ in lost] + list(pending.values())
        pending.clear()
        self._restart()
        for batch in held:
            try:
                results = self._pool.submit(self._task, batch).result()
            except BrokenProcessPool as exc:
                self._restart()
                results = _died(batch, exc)
            yield results

    def close(self) -> None:
        """Stop the workers (pending batches are cancelled)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _distributed() -> Any:
    """The ``distributed`` module, or an install hint."""
    try:
        import distributed
    except ImportError:
        raise AnalysisError("the Dask executor needs the 'distributed' package: pip install 'qcosim[dask]'",
                            "--executor dask") from None
    return distributed


def _check_workers(client: Any, source: str) -> None:
    """Refuse workers that run another qcosim than the driver's: their results would not match the keys."""
    try:
        versions = client.run(qcosim_version)
    except Exception as exc:  # a worker that cannot unpickle the call has no qcosim at all
        raise AnalysisError(f"the Dask workers cannot run qcosim ({type(exc).__name__}: {exc}); install the "
                            "same qcosim on every worker", source) from None
    other = sorted({v for v in versions.values() if v != qcosim_version()})
    if other:
        raise AnalysisError(f"the Dask workers run qcosim {', '.join(other)}, this driver "
                            f"{qcosim_version()}; install the same version everywhere", source)


class DaskExecutor(_PoolExecutor):
    """Batches on a Dask cluster: an existing scheduler at ``address``, or a LocalCluster on loopback.

    Parameters
    ----------
    address : str, optional
        Scheduler address (``tcp://host:8786``). Without it a `distributed.LocalCluster`
        of ``n_workers`` single-threaded worker processes starts on 127.0.0.1
        (no dashboard) and stops with the executor.
    n_workers : int, optional
        Workers of the local cluster (default: one per core).
    task : callable, optional
        What a worker runs on one batch (default `evaluate_batch`).

    Raises
    ------
    AnalysisError
        ``distributed`` is not installed, the scheduler cannot be reached, or its
        workers run another qcosim version.
    """

    def __init__(self, address: str | None = None, n_workers: int | None = None, *,
                 task: Task = evaluate_batch) -> None:
        if n_workers is not None and n_workers < 1:
            raise AnalysisError(f"a LocalCluster needs at least one worker (got {n_workers})", "--dask-local")
        distributed = _distributed()
        self._lost = (distributed.KilledWorker,)
        self._task = task
        self._cluster = None
        self._client = None
        if address is None:
            import dask

            # Dask's nanny sets MALLOC_TRIM_THRESHOLD_ for its workers, which turns off glibc's dynamic
            # mmap threshold: every numpy array over 128 KiB is then mmapped and unmapped afresh, and the
            # mapper's array arithmetic ran 25x slower (a sweep point 1.7x slower) than in a local process.
            environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
            environ.pop("MALLOC_TRIM_THRESHOLD_", None)
            # The workers' statistical profiler samples every thread's stack every 10 ms, and the event
            # loop's tick monitor wakes every 20 ms: both take the GIL from the task thread.
            with dask.config.set({"distributed.nanny.pre-spawn-environ": environ,
                                  "distributed.worker.profile.enabled": False,
                                  "distributed.admin.tick.interval": "1s"}):
                self._cluster = distributed.LocalCluster(
                    n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=None, scheduler_kwargs=LOOPBACK_HTTP)
        try:
            self._client = distributed.Client(address or self._cluster, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:  # ValueError: a malformed address
            self.close()
            raise AnalysisError(f"cannot reach the Dask scheduler: {exc}", address or "LocalCluster") from None
        try:
            _check_workers(self._client, address or "LocalCluster")
        except BaseException:
            self.close()
            raise
        self._executor = self._client.get_executor(pure=False)

    @property
    def workers(self) -> int:
        """Worker threads the scheduler has now (a cluster may grow or shrink during a sweep)."""
        return max(1, sum(self._client.nthreads().values()))

    def _submit(self, batch: Sequence[SweepPoint]) -> Future:
        return self._executor.submit(self._task, list(batch))

    def _recover(self, lost: list[Lost], pending: dict[Future, Sequence[SweepPoint]]) -> Iterator[list[PointResult]]:
        """The scheduler has already retried these on other workers: their points fail."""
        for batch, exc in lost:
            yield _died(batch, exc)

    def close(self) -> None:
        """Disconnect; a cluster this executor started is stopped."""
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(kind: Literal["serial", "local", "dask"], *, workers: int | None = None,
                  scheduler: str | None = None, task: Task = evaluate_batch) -> Executor:
    """The executor ``qcosim sweep --executor KIND`` asks for.

    Parameters
    ----------
    kind : {"serial", "local", "dask"}
        In this process, on local processes, or on Dask.
    workers : int, optional
        Local processes, or the workers of a Dask LocalCluster (default: one per core).
    scheduler : str, optional
        Address of an existing Dask scheduler (``dask`` only).
    task : callable, optional
        What a worker runs on one batch (default `evaluate_batch`; co-design: `analysis.codesign_eval`).

    Raises
    ------
    AnalysisError
        An unknown kind, a scheduler for a kind other than ``dask``, or a Dask failure.
    """
    if kind not in ("serial", "local", "dask"):
        raise AnalysisError(f"unknown executor {kind!r} (choose serial, local or dask)", "--executor")
    if scheduler is not None and kind != "dask":
        raise AnalysisError(f"a scheduler address is for the dask executor, not {kind!r}", "--scheduler")
    if kind == "serial":
        return SerialExecutor(task=task)
    if kind == "local":
        return ProcessExecutor(workers, task=task)
    return DaskExecutor(scheduler, workers, task=task)
