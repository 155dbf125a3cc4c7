"""The co-design store: a sweep's results store with one more table, the plans of every accelerator.

The same SQLite file, format and resume rules as a sweep (`analysis.store`):
one row per accelerator in ``points`` (its swept values, its best plan's
figures, ``ok`` or ``failed`` with the reason), and its plans in ``plans``,
written in the same transaction as the point, so a killed run never keeps a
point without its plans or plans without their point.

``plans`` columns: ``key`` (the point's), ``position``, ``kind``
(``searched`` or ``uniform``), ``label`` (``best``, ``front`` or the uniform
candidate), ``quants`` (the format of every weight layer in execution order,
comma-separated), the cost-table totals ``latency_ms``, ``energy_uj``,
``size_bytes``, ``bops``, the summed proxy ``sensitivity``, and ``meets``
(1 when the plan is within every budget). Read it with ``sqlite3`` or pandas
(``SELECT * FROM plans JOIN points USING (key)``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from analysis.codesign_eval import PLAN_FIGURES, CodesignResult, PlanRow
from analysis.points import PointResult
from analysis.store import ResultsStore

__all__ = ["CodesignStore"]

_PLANS_TABLE = ("CREATE TABLE IF NOT EXISTS plans (key TEXT NOT NULL, position INTEGER NOT NULL, kind TEXT NOT NULL, "
                "label TEXT NOT NULL, quants TEXT NOT NULL, "
                + ", ".join(f'"{name}" REAL' for name in PLAN_FIGURES)
                + ", meets INTEGER NOT NULL, PRIMARY KEY (key, position))")
_COLUMNS = ("kind", "label", "quants", *PLAN_FIGURES, "meets")


class CodesignStore(ResultsStore):
    """A `ResultsStore` whose batches also write each point's plans (open it with `CodesignStore.open`)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._conn.execute(_PLANS_TABLE)

    def _write_more(self, results: Sequence[PointResult]) -> None:
        rows = [(result.key, position, plan.kind, plan.label, ",".join(plan.quants),
                 *(getattr(plan, name) for name in PLAN_FIGURES), int(plan.meets))
                for result in results if isinstance(result, CodesignResult)
                for position, plan in enumerate(result.plans)]
        keys = [(result.key,) for result in results]
        self._conn.executemany("DELETE FROM plans WHERE key = ?", keys)  # a failed point computed again
        self._conn.executemany(f"INSERT INTO plans VALUES ({', '.join('?' * (2 + len(_COLUMNS)))})", rows)

    def plans(self) -> dict[str, list[PlanRow]]:
        """Every stored point's plans, by point key, in the order they were written."""
        found: dict[str, list[PlanRow]] = {}
        quoted = ", ".join(f'"{name}"' for name in _COLUMNS)
        for key, *values in self._conn.execute(f"SELECT key, {quoted} FROM plans ORDER BY key, position"):
            row = dict(zip(_COLUMNS, values, strict=True))
            row["quants"] = row["quants"].split(",") if row["quants"] else []
            row["meets"] = bool(row["meets"])
            found.setdefault(key, []).append(PlanRow.model_construct(**row))
        return found

    def points_json(self) -> dict[str, dict]:
        """Every stored point's JSON detail (its whole accelerator description), by key."""
        return {row["key"]: json.loads(row["point"]) for row in self.iter_rows(detail=True) if row["point"]}
