"""The report of a design-space sweep: the front per workload with its knee, rankings, and each parameter's effect."""

from __future__ import annotations

import re
import shlex

from analysis.fronts import rankings, sweep_front
from analysis.points import METRICS
from reports.design_figures import parameter_figure, sweep_front_figure
from reports.document import Column, Section, Table
from reports.load import SweepData

__all__ = ["sweep_sections", "TOP_PER_GROUP"]

TOP_PER_GROUP = 3
"""Configurations listed per policy in the ranking table."""
_SHOWN = {"latency_s": ("latency_ms", "latency (ms)", 1e3), "energy_pj": ("energy_uj", "energy (µJ)", 1e-6),
          "edp_js": ("edp_js", "EDP (J·s)", 1.0), "area_mm2": ("area_mm2", "area (mm²)", 1.0),
          "utilization": ("utilization", "utilization", 1.0), "dram_bytes": ("dram_mb", "DRAM (MB)", 1e-6),
          "sram_bytes": ("sram_kib", "SRAM (KiB)", 1 / 1024), "weight_bytes": ("weights_mb", "weights (MB)", 1e-6)}


def _parameters(data: SweepData) -> list[str]:
    return list(dict.fromkeys(path for row in data.rows for path in row.values))


def _slug(text: str) -> str:
    return re.sub(r"\W+", "_", text).strip("_")


def _overview(data: SweepData) -> Section:
    ok = [row for row in data.rows if row.status == "ok"]
    failed = [row for row in data.rows if row.status != "ok"]
    bullets = [f"Store: {data.source}; {len(data.rows)} points, {len(ok)} ran, {len(failed)} failed.",
               "Workloads: " + ", ".join(dict.fromkeys(row.workload for row in data.rows)) + ".",
               "Policies: " + ", ".join(dict.fromkeys(row.policy for row in data.rows)) + "."]
    for path in _parameters(data):
        values = sorted({str(row.values.get(path)) for row in data.rows}, key=lambda v: (len(v), v))
        shown = ", ".join(values[:8]) + (f" … ({len(values)} values)" if len(values) > 8 else "")
        bullets.append(f"Swept {path}: {shown}.")
    if failed:
        bullets.append(f"First failure: {failed[0].workload} at {failed[0].policy}: see the points table.")
    code = (shlex.join(["qcosim", "pareto", data.source, "--objectives", "latency,energy"]),
            shlex.join(["qcosim", "report", data.source, "-o", "REPORT_DIR"]))
    return Section(f"Sweep: {data.source}", bullets=tuple(bullets), code=code)


def _front_section(data: SweepData, workload: str, prefix: str) -> Section:
    rows = [row for row in data.rows if row.workload == workload and row.status == "ok"]
    front = sweep_front(rows, ["latency", "energy"])
    paths = _parameters(data)
    table = Table(f"{prefix}front_{_slug(workload)}", f"{workload}: Pareto front over latency and energy", (
        Column("policy", "policy", "text"), *(Column(p, p, "text") for p in paths),
        Column("latency_ms", "latency (ms)"), Column("energy_uj", "energy (µJ)"), Column("knee", "knee", "text")),
        tuple((p.policy, *(str(p.values.get(path)) for path in paths), p.objectives["latency"] * 1e3,
               p.objectives["energy"] * 1e-6, "knee" if p.key == front.knee else "") for p in front.points),
        sortable=True, caption="Fastest first; no point of the sweep is both faster and cheaper in energy than these.")
    ranked = rankings(rows, "latency", by="policy")
    ranking = Table(f"{prefix}ranking_{_slug(workload)}", f"{workload}: fastest configurations per policy", (
        Column("policy", "workload @ policy", "text"), Column("rank", "rank", "int"),
        Column("hardware", "configuration", "text"), Column("latency_ms", "latency (ms)")),
        tuple((group.group, rank + 1, member, value * 1e3) for group in ranked
              for rank, (member, value) in enumerate(group.members[:TOP_PER_GROUP])))
    figures = [sweep_front_figure(rows, front, workload, f"{prefix}front_{_slug(workload)}")]
    figures += [parameter_figure(rows, path, f"{prefix}param_{_slug(workload)}_{_slug(path)}") for path in paths]
    return Section(f"Front and parameters: {workload}", tables=(table, ranking), figures=tuple(figures))


def _points_table(data: SweepData, prefix: str) -> Table:
    paths = _parameters(data)
    metrics = [m for m in _SHOWN if m in METRICS]
    return Table(f"{prefix}points", "Every point", (
        Column("workload", "workload", "text"), Column("policy", "policy", "text"),
        *(Column(p, p, "text") for p in paths),
        *(Column(_SHOWN[m][0], _SHOWN[m][1], "percent" if m == "utilization" else "float") for m in metrics),
        Column("status", "status", "text")),
        tuple((row.workload, row.policy, *(str(row.values.get(p)) for p in paths),
               *(row.metrics[m] * _SHOWN[m][2] if m in row.metrics else None for m in metrics), row.status)
              for row in data.rows), sortable=True, caption="Click a heading to sort; failed points have no metrics.")


def sweep_sections(data: SweepData, *, prefix: str = "") -> list[Section]:
    """Sections for a sweep: overview, then per workload its front, ranking and parameter plots, then every point."""
    workloads = list(dict.fromkeys(row.workload for row in data.rows if row.status == "ok"))
    sections = [_overview(data)]
    sections += [_front_section(data, workload, prefix) for workload in workloads]
    sections.append(Section("Every point", tables=(_points_table(data, prefix),)))
    return sections
