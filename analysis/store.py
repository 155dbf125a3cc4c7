"""The results store of a sweep: one SQLite file, one row per point, written batch by batch as points finish.

Like a lab notebook kept in ink: every finished measurement is written down
before the next one starts, a page is either written whole or not at all,
and anyone may read it over the writer's shoulder.

Why SQLite in WAL mode (and not Parquet parts):

- **Atomic commits per batch.** `ResultsStore.write` is one transaction: a
  batch is visible whole or not at all, so a killed sweep never leaves half a
  batch behind and resumes exactly from `ResultsStore.done_keys`.
- **Crash safety.** ``synchronous=FULL``: each commit is fsynced into the
  write-ahead log before `write` returns, so what it returned from survives a
  SIGKILL of the writer (``NORMAL`` already would: the commit is in the OS
  page cache) and a power loss too (``NORMAL`` could lose the last commits).
  The price is one fsync per batch (a batch is up to 64 points, so a few per
  second at most), which does not show beside the simulation.
- **Concurrent readers.** WAL readers never block the writer nor see an
  unfinished batch, so ``qcosim pareto`` or pandas can read a running sweep.
- **One file** with no qcosim needed to read it: ``sqlite3``, pandas
  (``pd.read_sql("SELECT * FROM points", sqlite3.connect(path))``) and DuckDB
  (``sqlite_scan``) read it as is; Parquet would need many part files (one per
  batch) and a compaction step to stay crash safe.

Tables:

- ``points``: ``key`` (primary key, `SweepPoint.key`), ``status`` (``ok`` or
  ``failed``), ``error``, ``seconds``, ``workload``, ``policy``, one column
  per swept parameter (named after its dotted path made SQL safe:
  ``engines[0].rows`` is ``engines_0_rows``), one REAL column per metric of
  `analysis.points.METRICS` (NULL for a failed point) and ``point``, the
  point's compact JSON (NULL when the store is opened with ``detail=False``).
- ``layers``: per-layer detail of the points whose sweep keeps layers
  (``options: {keep_layers: true}``): ``key``, ``position`` and
  `analysis.points.LAYER_FIELDS` (cycles by cause, energy, DRAM bytes …).
- ``columns``: each parameter column's ``name`` and its dotted ``path``.
- ``meta``: ``format`` (``qcosim-results``), ``format_version``,
  ``spec_digest``, ``qcosim_version`` and ``created`` (UTC, ISO 8601).

Reopening: a store made by the same spec (same digest) is reopened and its
finished points are served from it, with or without ``resume``: a second run
of the same spec computes only what is missing. ``resume=True`` only adds
that a store must already be there. A store of another spec, a foreign
SQLite file or a damaged one is an `AnalysisError`, never reused.

Size and speed, measured over 100,000 edge-npu points: 1.53 kB a point with
the JSON detail (1.26 kB of it the whole accelerator description), 0.20 kB
without it (``detail=False``); a batch of 64 commits in about 5 ms, and
opening the 150 MB store, integrity check included, takes 0.12 s.
``tests/unit/analysis/test_store.py::test_bytes_per_point`` prints the figure.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from analysis.errors import AnalysisError
from analysis.points import LAYER_FIELDS, METRICS, PointResult, SweepPoint, qcosim_version

__all__ = ["ResultsStore", "column_names", "FORMAT", "FORMAT_VERSION"]

FORMAT = "qcosim-results"
"""``meta.format`` of every store: what tells a qcosim store from another SQLite file."""
FORMAT_VERSION = 1
"""``meta.format_version`` written by, and the newest readable by, this qcosim."""

_FIXED = ("key", "status", "error", "seconds", "workload", "policy")
_DETAIL = "point"
_SCALARS = (str, int, float, type(None))
_DAMAGED_HINT = "; delete it or choose another output directory"
_PAGE_BYTES = 16384
"""Rows with the JSON detail are about 1.5 kB: 4 kB pages hold two and waste a quarter of the file."""


def column_names(paths: Sequence[str]) -> list[str]:
    """SQL-safe, distinct column names for the dotted ``paths`` (``engines[0].rows`` -> ``engines_0_rows``).

    Examples
    --------
    >>> column_names(["engines[0].rows", "dram.bandwidth_gb_per_s", "engines_0.rows", "status"])
    ['engines_0_rows', 'dram_bandwidth_gb_per_s', 'engines_0_rows_2', 'status_2']
    """
    taken = set(_FIXED) | set(METRICS) | {_DETAIL}
    names = []
    for path in paths:
        base = re.sub(r"\W+", "_", path).strip("_").lower() or "param"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        names.append(name)
    return names


def _cell(value: Any) -> Any:
    """A swept value as SQLite stores it: scalars as they are, anything else as compact JSON."""
    if isinstance(value, _SCALARS):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


_LAYERS_TABLE = ("CREATE TABLE IF NOT EXISTS layers (key TEXT NOT NULL, position INTEGER NOT NULL, "
                 + ", ".join(f'"{f}"' for f in LAYER_FIELDS) + ", PRIMARY KEY (key, position))")
"""Per-layer detail of the points whose sweep keeps layers (one row per layer, in execution order)."""


def _schema(names: Sequence[str]) -> list[str]:
    """The statements that create an empty store with parameter columns ``names``."""
    params = "".join(f', "{name}"' for name in names)
    metrics = "".join(f', "{metric}" REAL' for metric in METRICS)
    return [
        "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE columns (name TEXT PRIMARY KEY, path TEXT NOT NULL UNIQUE, position INTEGER NOT NULL)",
        "CREATE TABLE points (key TEXT PRIMARY KEY, status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),"
        f" error TEXT, seconds REAL, workload TEXT, policy TEXT{params}{metrics}, {_DETAIL} TEXT)",
        _LAYERS_TABLE,
    ]


def _create(path: Path, spec_digest: str, paths: Sequence[str]) -> None:
    """Build the empty store beside ``path`` and move it into place, so a kill never leaves half a schema."""
    partial = path.with_name(path.name + ".creating")
    for leftover in ("", "-wal", "-shm"):  # of a creation that was killed
        partial.with_name(partial.name + leftover).unlink(missing_ok=True)
    meta = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "spec_digest": spec_digest,
            "qcosim_version": qcosim_version(),
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}
    names = column_names(paths)
    conn = sqlite3.connect(partial, isolation_level=None)
    try:
        conn.execute(f"PRAGMA page_size={_PAGE_BYTES}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("BEGIN")
        for statement in _schema(names):
            conn.execute(statement)
        conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        conn.executemany("INSERT INTO columns VALUES (?, ?, ?)",
                         [(name, p, i) for i, (name, p) in enumerate(zip(names, paths, strict=True))])
        conn.execute("COMMIT")
    finally:
        conn.close()
    os.replace(partial, path)


def _read_meta(conn: sqlite3.Connection, path: Path) -> dict[str, str]:
    """``meta`` of a store after a full integrity check; what is wrong with anything else, in one line."""
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise AnalysisError(f"damaged SQLite database ({problems[0]}){_DAMAGED_HINT}", str(path))
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"meta", "columns", "points"} <= tables:
            what = "an empty file" if path.stat().st_size == 0 else "an SQLite database"
            raise AnalysisError(f"not a qcosim results store ({what} without the 'meta', 'columns' and "
                                "'points' tables)", str(path))
        return dict(conn.execute("SELECT name, value FROM meta").fetchall())
    except sqlite3.DatabaseError as exc:
        if exc.sqlite_errorname == "SQLITE_NOTADB":
            raise AnalysisError(f"not an SQLite database ({exc})", str(path)) from None
        raise AnalysisError(f"damaged SQLite database ({exc}){_DAMAGED_HINT}", str(path)) from None


def _check_meta(meta: dict[str, str], path: Path, spec_digest: str | None) -> None:
    """Refuse a store of another format, a newer format version or another spec."""
    if meta.get("format") != FORMAT:
        raise AnalysisError(f"not a qcosim results store (meta.format is {meta.get('format')!r})", str(path))
    version = meta.get("format_version", "?")
    if not version.isdigit() or int(version) > FORMAT_VERSION:
        raise AnalysisError(f"results store format {version} is newer than this qcosim reads "
                            f"({FORMAT_VERSION}); upgrade qcosim", str(path))
    stored = meta.get("spec_digest", "")
    if spec_digest is not None and stored != spec_digest:
        raise AnalysisError(f"made by another sweep spec (digest {stored[:12]}, this spec {spec_digest[:12]}); "
                            "give a new output directory, or delete the store to start over", str(path))


class ResultsStore:
    """One sweep's results in an SQLite file: open with `ResultsStore.open`, write batches, read rows.

    Attributes
    ----------
    path : Path
        The store's file.
    meta : dict of str to str
        The ``meta`` table (format, spec digest, qcosim version, creation time).
    columns : tuple of str
        The swept parameters' dotted paths, in column order.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, meta: dict[str, str], detail: bool) -> None:
        self._conn = conn
        self.path = path
        self.meta = meta
        self.detail = detail
        mapping = conn.execute("SELECT name, path FROM columns ORDER BY position").fetchall()
        self.columns = tuple(p for _, p in mapping)
        self._names = {p: name for name, p in mapping}
        order = [*_FIXED, *self._names.values(), *METRICS, _DETAIL]
        quoted = ", ".join(f'"{name}"' for name in order)
        self._insert = f"INSERT OR REPLACE INTO points ({quoted}) VALUES ({', '.join('?' * len(order))})"

    @classmethod
    def open(cls, path: Path | str, *, spec_digest: str | None = None, columns: Sequence[str] = (),
             create: bool = True, resume: bool = False, detail: bool = True) -> ResultsStore:
        """Open the store at ``path``, creating it if allowed; refuse one that is foreign, damaged or another spec's.

        Parameters
        ----------
        path : Path or str
            The SQLite file (its directory must exist).
        spec_digest : str, optional
            Digest of the sweep spec. Needed to create a store; when given, an
            existing store must carry the same one. ``None`` reads any qcosim store.
        columns : sequence of str
            The spec's swept dotted paths. An existing store must have the same
            ones (when given).
        create : bool
            Create the store when ``path`` does not exist.
        resume : bool
            Require an existing store (``--resume``). Without it an existing store
            of the same spec is reopened all the same: finished points are served.
        detail : bool
            Store each point's JSON in column ``point`` (about 1.3 kB a point).

        Raises
        ------
        AnalysisError
            One line naming the file: no store there, not a database, damaged,
            not a qcosim store, a newer format, another spec or other columns.

        Examples
        --------
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> with ResultsStore.open(folder / "r.sqlite", spec_digest="abc", columns=["engines[0].rows"]) as store:
        ...     store.count()
        {'ok': 0, 'failed': 0}
        """
        path = Path(path)
        if path.is_dir():
            raise AnalysisError("is a directory, not a results store", str(path))
        if not path.exists():
            if resume or not create:
                raise AnalysisError(("nothing to resume: " if resume else "") + "no results store here", str(path))
            if spec_digest is None:
                raise AnalysisError("a new results store needs the sweep spec's digest", str(path))
            _create(path, spec_digest, list(columns))
        return cls._connect(path, spec_digest, list(columns), detail)

    @classmethod
    def _connect(cls, path: Path, spec_digest: str | None, columns: list[str], detail: bool) -> ResultsStore:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            meta = _read_meta(conn, path)
            _check_meta(meta, path, spec_digest)
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=10000")
            store = cls(conn, path, meta, detail)
        except BaseException:
            conn.close()
            raise
        if columns and list(store.columns) != columns:
            store.close()
            raise AnalysisError(f"its parameter columns {list(store.columns)} differ from the spec's {columns}",
                                str(path))
        return store

    def done_keys(self) -> set[str]:
        """Keys of every stored point, finished ok or failed."""
        return {row[0] for row in self._conn.execute("SELECT key FROM points")}

    def write(self, points: Sequence[SweepPoint], results: Sequence[PointResult]) -> None:
        """Store one batch in one transaction, committed (and fsynced) before returning.

        Parameters
        ----------
        points : sequence of SweepPoint
            The batch's points (their workload, policy, swept values and JSON).
        results : sequence of PointResult
            What they gave, in any order; each result's key must be one of ``points``.

        Raises
        ------
        AnalysisError
            A result without its point, or a point with a swept value the store has no column for.
        """
        by_key = {point.key: point for point in points}
        rows = [self._row(by_key, result) for result in results]
        layers = [(result.key, i, *(layer.get(f) for f in LAYER_FIELDS))
                  for result in results for i, layer in enumerate(result.layers)]
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.executemany(self._insert, rows)
            if layers:
                self._conn.execute(_LAYERS_TABLE)
                self._conn.executemany(f"INSERT OR REPLACE INTO layers VALUES ({', '.join('?' * (2 + len(LAYER_FIELDS)))})",
                                       layers)
            self._write_more(results)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _write_more(self, results: Sequence[PointResult]) -> None:
        """Rows of a subclass's own tables, inside the batch's transaction (the co-design plans)."""

    def _row(self, by_key: dict[str, SweepPoint], result: PointResult) -> tuple:
        point = by_key.get(result.key)
        if point is None:
            raise AnalysisError(f"result {result.key} has no point in the batch", str(self.path))
        unknown = sorted(set(point.values) - set(self._names))
        if unknown:
            raise AnalysisError(f"point {point.key} has swept values {unknown} that the store has no column for "
                                f"(its columns: {list(self.columns)})", str(self.path))
        params = [_cell(point.values.get(p)) for p in self._names]
        metrics = [result.metrics.get(metric) for metric in METRICS]
        detail = point.model_dump_json() if self.detail else None
        return (result.key, result.status, result.error or None, result.seconds, point.workload, point.policy,
                *params, *metrics, detail)

    def iter_rows(self, *, detail: bool = False) -> Iterator[dict[str, Any]]:
        """Each stored point as a dict in insertion order: fixed fields, dotted paths, metrics (and ``point``)."""
        order = [*_FIXED, *self._names.values(), *METRICS] + ([_DETAIL] if detail else [])
        labels = [*_FIXED, *self._names, *METRICS] + ([_DETAIL] if detail else [])
        quoted = ", ".join(f'"{name}"' for name in order)
        for row in self._conn.execute(f"SELECT {quoted} FROM points ORDER BY rowid"):
            yield dict(zip(labels, row, strict=True))

    def rows(self, *, detail: bool = False) -> list[dict[str, Any]]:
        """`iter_rows` as a list (a list of dicts is what ``pandas.DataFrame`` takes)."""
        return list(self.iter_rows(detail=detail))

    def count(self) -> dict[str, int]:
        """Number of stored points per status, ``ok`` and ``failed`` always present."""
        counts = dict(self._conn.execute("SELECT status, COUNT(*) FROM points GROUP BY status").fetchall())
        return {"ok": counts.get("ok", 0), "failed": counts.get("failed", 0)}

    def close(self) -> None:
        """Close the connection (the write-ahead log is checkpointed into the file)."""
        self._conn.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
