"""The report of a mixed-precision search: the plan chosen, the Pareto set, bit-widths and sensitivities."""

from __future__ import annotations

import shlex

import numpy as np

from analysis.pareto import knee_index
from analysis.plan import SearchReport
from analysis.search import LayerOptions, Solution
from reports.design_figures import bitwidth_heatmap, search_front_figure, sensitivity_figure
from reports.document import Column, Figure, Section, Table

__all__ = ["search_sections", "top_plans", "uniform_totals", "MAX_HEATMAP_PLANS"]

MAX_HEATMAP_PLANS = 12
"""Plans shown in the bit-width heat map: the chosen one and others spread along the Pareto set."""


def _metric(report: SearchReport) -> str:
    result = report.result
    if result.budgets:
        return result.budgets[0].metric
    return next(iter(report.layers[0].options[0].costs)) if report.layers else "cost"


def uniform_totals(layers: list[LayerOptions], candidates: list[str], metric: str) -> dict[str, tuple[float, float]]:
    """Per candidate, (metric total, sensitivity total) of the plan giving every layer that candidate.

    Layers without the candidate (pinned, or limited by the hardware) keep their first option, as the
    search table lists them.
    """
    totals = {}
    for candidate in candidates:
        chosen = [next((o for o in row.options if o.quant == candidate), row.options[0]) for row in layers]
        totals[candidate] = (sum(o.costs.get(metric, 0.0) for o in chosen), sum(o.sensitivity for o in chosen))
    return totals


def top_plans(report: SearchReport, limit: int = MAX_HEATMAP_PLANS) -> list[tuple[str, Solution]]:
    """The chosen plan, then Pareto plans evenly spread from cheapest to most accurate, labelled."""
    result, metric = report.result, _metric(report)
    plans: list[tuple[str, Solution]] = []
    if result.best is not None:
        plans.append(("best", result.best))
    pareto = [p for p in result.pareto if result.best is None or p.assignment != result.best.assignment]
    if pareto:
        picks = np.unique(np.linspace(0, len(pareto) - 1, min(limit - len(plans), len(pareto))).round().astype(int))
        plans += [(f"Pareto {i + 1}: {metric} {pareto[i].totals.get(metric, 0):,.4g}", pareto[i]) for i in picks]
    return plans


def _what_searched(report: SearchReport) -> Section:
    result = report.result
    bullets = [f"Workload: {report.workload}; hardware: {report.hardware}.",
               f"Candidates: {', '.join(report.candidates)}; {len(report.layers)} layers, "
               f"{sum(len(row.options) > 1 for row in report.layers)} searched (the others are pinned or tied).",
               "Budgets: " + (", ".join(f"{b.text} ({b.metric} <= {b.limit:,.4g})" for b in result.budgets) or "none")
               + ".",
               f"Sensitivity proxy: {report.proxy}.",
               f"Solver: {result.solver}."]
    words = ["qcosim", "search", report.workload, "--hw", report.hardware, "--candidates", ",".join(report.candidates)]
    for budget in result.budgets:
        words += ["--budget", budget.text]
    code = (shlex.join(words) + " --json",) if report.hardware != "(cost table)" else (
        shlex.join(["qcosim", "search", "--table", report.workload, *[w for b in result.budgets
                                                                        for w in ("--budget", b.text)]]),)
    paragraphs = () if result.best is not None else (f"No plan meets the budgets: {result.reason}",)
    return Section(f"Search: {report.workload} on {report.hardware}", paragraphs=paragraphs, bullets=tuple(bullets),
                   code=code)


def _plan_tables(report: SearchReport, prefix: str) -> tuple[Table, ...]:
    result = report.result
    best = result.best
    metrics = list(best.totals)
    totals = Table(f"{prefix}search_totals", "Chosen plan: totals against the budgets", (
        Column("metric", "metric", "text"), Column("total", "total (sum over layers)"),
        Column("budget", "budget limit")),
        tuple((m, best.totals[m], next((b.limit for b in result.budgets if b.metric == m), None)) for m in metrics),
        caption="Totals are the search's sums of per-layer costs; the simulated figures below are end to end.")
    chosen = [(row, next(o for o in row.options if o.quant == best.assignment[row.layer]))
              for row in report.layers if len(row.options) > 1]
    cost_names = list(chosen[0][1].costs) if chosen else []
    per_layer = Table(f"{prefix}search_plan", "Chosen precision per searched layer", (
        Column("layer", "layer", "text"), Column("quant", "chosen", "text"),
        *(Column(name, name.replace("_", " ")) for name in cost_names), Column("sensitivity", "sensitivity")),
        tuple((row.layer, option.quant, *(option.costs[n] for n in cost_names), option.sensitivity)
              for row, option in chosen), sortable=True)
    tables = [totals, per_layer]
    if report.simulated is not None:
        s = report.simulated
        tables.append(Table(f"{prefix}search_simulated", "Chosen plan simulated end to end", (
            Column("quantity", "quantity", "text"), Column("value", "value"), Column("unit", "unit", "text")),
            (("latency", s.latency_ms, "ms"), ("energy", s.energy_uj, "µJ"), ("energy-delay", s.edp_uj_ms, "µJ·ms"),
             ("weights", s.size_bytes, "bytes"), ("bit operations", s.bops, "BOPs"),
             ("sensitivity", s.sensitivity, "proxy"))))
    return tuple(tables)


def _pareto_table(report: SearchReport, prefix: str) -> Table:
    metric = _metric(report)
    best = report.result.best
    rows = []
    for index, plan in enumerate(report.result.pareto):
        counts = {c: sum(q == c for q in plan.assignment.values()) for c in report.candidates}
        rows.append((index + 1, plan.totals.get(metric), plan.totals.get("sensitivity"),
                     "yes" if best is not None and plan.assignment == best.assignment else "",
                     *(counts[c] for c in report.candidates)))
    return Table(f"{prefix}search_pareto", f"Pareto set: sensitivity against {metric}", (
        Column("plan", "plan", "int"), Column(metric, metric.replace("_", " ")), Column("sensitivity", "sensitivity"),
        Column("chosen", "chosen", "text"), *(Column(f"layers_{c}", f"layers at {c}", "int") for c in report.candidates)),
        tuple(rows), sortable=True, caption="Ranked by the metric; the chosen plan is marked.")


def _figures(report: SearchReport) -> list[Figure]:
    metric, result = _metric(report), report.result
    front = [(p.totals.get(metric, 0.0), p.totals.get("sensitivity", 0.0)) for p in result.pareto]
    best = (result.best.totals.get(metric, 0.0), result.best.totals["sensitivity"]) if result.best else None
    knee = front[knee_index(front)] if front else None
    limit = next((b.limit for b in result.budgets if b.metric == metric), None)
    figures = [search_front_figure(front, best, knee, uniform_totals(report.layers, report.candidates, metric), metric, limit)]
    searched = [row for row in report.layers if len(row.options) > 1]
    names = [row.layer for row in searched]
    plans = top_plans(report)
    if plans and names:
        figures.append(bitwidth_heatmap([(label, p.assignment) for label, p in plans], names, report.candidates))
    if names:
        values = {c: [next((o.sensitivity for o in row.options if o.quant == c), None) for row in searched]
                  for c in report.candidates}
        figures.append(sensitivity_figure(names, values, report.proxy))
    return figures


def search_sections(report: SearchReport, *, prefix: str = "") -> list[Section]:
    """Sections for a search: what was searched, the chosen plan, the Pareto set and its plots."""
    sections = [_what_searched(report)]
    if report.result.best is not None:
        sections.append(Section("Chosen plan", tables=_plan_tables(report, prefix)))
    figures = tuple(Figure(prefix + f.name, f.title, f.caption, f.svg) for f in _figures(report))
    tables = (_pareto_table(report, prefix),) if report.result.pareto else ()
    sections.append(Section("Pareto set and precision per layer", tables=tables, figures=figures))
    return sections
