"""Readable terminal tables for the CLI (rich), kept apart from the command handlers."""

from __future__ import annotations

from rich.table import Table

from simulator.results import CycleBreakdown
from workloads.summary import WorkloadSummary

__all__ = ["si", "binary_bytes", "workload_table", "models_table"]


def si(value: float, unit: str = "") -> str:
    """``1814073344`` -> ``1.814 G``: three significant decimals with an SI prefix."""
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3f} {prefix}{unit}"
    return f"{value:g} {unit}".rstrip()


def binary_bytes(value: float) -> str:
    """Bytes with a binary prefix: ``4100000`` -> ``3.91 MiB``."""
    for factor, prefix in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if value >= factor:
            return f"{value / factor:.2f} {prefix}"
    return f"{value:.0f} B"


def workload_table(summary: WorkloadSummary) -> Table:
    """Per-layer counts with a totals row."""
    table = Table(title=f"{summary.name} @ {summary.policy}", show_footer=True)
    t = summary.totals
    columns = [
        ("layer", f"total ({t.layers} layers)"),
        ("op", ""),
        ("dims", ""),
        ("quant", ""),
        ("MACs", si(t.macs)),
        ("params", si(t.params)),
        ("weights", binary_bytes(t.weight_bytes)),
        ("input", ""),
        ("output", ""),
        ("BOPs", si(t.bops)),
    ]
    for header, footer in columns:
        numeric = header in ("MACs", "params", "weights", "input", "output", "BOPs")
        table.add_column(header, footer=footer, justify="right" if numeric else "left")
    for row in summary.layers:
        table.add_row(
            row.name, row.op, row.dims, row.quant, si(row.macs), si(row.params),
            binary_bytes(row.weight_bytes), binary_bytes(row.input_bytes),
            binary_bytes(row.output_bytes), si(row.bops),
        )
    table.caption = f"activations written: {binary_bytes(t.activation_bytes)}"
    return table


def models_table(models) -> Table:
    """The built-in zoo with each model's parameters and defaults."""
    table = Table(title="built-in models (qcosim workload NAME [--param key=value])")
    for header in ("name", "parameters (defaults)", "description"):
        table.add_column(header)
    for info in models:
        params = ", ".join(f"{k}={v}" for k, v in info.parameters.items())
        table.add_row(info.name, params, info.description)
    return table


def _mj(pj: float) -> str:
    return f"{pj / 1e9:.3f} mJ"


_CAUSES = {"array_cycles": "array", "fill_drain_cycles": "fill/drain", "vector_cycles": "vector",
           "buffer_port_cycles": "port", "dram_stall_cycles": "DRAM stall"}
"""Cycle causes as the table heads them (`simulator.CycleBreakdown`)."""


def _causes(breakdown: CycleBreakdown) -> list[str]:
    return [si(getattr(breakdown, name)) if getattr(breakdown, name) else "-" for name in _CAUSES]


def result_table(result, limit: int | None = None) -> Table:
    """Per-layer latency, utilization, traffic and energy, with the totals underneath.

    ``limit`` keeps the slowest layers only (the rest are summed in one row).
    """
    t = result.totals
    table = Table(title=f"{result.workload} @ {result.policy} on {result.hardware} ({result.fidelity})")
    for header in ("layer", "op", "quant", "runs as", "MACs", "cycles", *_CAUSES.values(), "util", "DRAM",
                   "energy"):
        table.add_column(header, justify="left" if header in ("layer", "op", "quant", "runs as") else "right")
    rows = result.layers
    if limit is not None and len(rows) > limit:
        keep = {r.name for r in sorted(rows, key=lambda r: -r.cycles)[:limit]}
        rest = [r for r in rows if r.name not in keep]
        rows = [r for r in rows if r.name in keep]
    else:
        rest = []
    for r in rows:
        formats = "/".join(r.mapping.executed_formats) if r.mapping.executed_formats[0] else "vector"
        table.add_row(r.name, r.op, r.quant, formats, si(r.macs), f"{r.cycles:,}", *_causes(r.breakdown),
                      f"{r.utilization:.0%}" if r.macs else "-", binary_bytes(r.dram_bytes), _mj(r.energy_pj))
    if rest:
        summed = sum((r.breakdown for r in rest), CycleBreakdown())
        table.add_row(f"... {len(rest)} more layers", "", "", "", si(sum(r.macs for r in rest)),
                      f"{sum(r.cycles for r in rest):,}", *_causes(summed), "",
                      binary_bytes(sum(r.dram_bytes for r in rest)), _mj(sum(r.energy_pj for r in rest)))
    e = t.energy
    tops_per_w = 2 * t.macs / t.energy_pj if t.energy_pj else 0.0  # ops/pJ = TOPS/W
    table.caption = (
        f"latency {t.latency_s * 1e3:.3f} ms: {t.cycles:,} cycles = "
        + " + ".join(f"{label} {getattr(t.breakdown, name):,}" for name, label in _CAUSES.items())
        + f" + idle {t.breakdown.idle_cycles:,} (critical path)\n"
        f"energy {_mj(t.energy_pj)} = {t.energy_pj / max(t.macs, 1):.3f} pJ/MAC, {tops_per_w:.2f} TOPS/W | "
        f"DRAM {binary_bytes(t.dram_bytes)} | utilization {t.utilization:.1%}\n"
        f"energy: MAC {_mj(e.mac_pj)}, on-chip {_mj(sum(e.memory_pj.values()))}, DRAM {_mj(e.dram_pj)}, "
        f"vector {_mj(e.vector_pj)}, quantization overhead {_mj(e.quant_pj)}, leakage {_mj(e.leakage_pj)}"
        + (f", clock/control/network {_mj(e.overhead_pj)}" if e.overhead_pj else "")
    )
    return table


def comparison_lines(base, low) -> list[str]:
    """What the lower-precision run bought over the base run, mechanism by mechanism."""
    a, b = base.totals, low.totals

    def peak(result) -> float:  # MACs per cycle the chip offers at the first MAC layer's precision
        return next(r.peak_macs_per_cycle for r in result.layers if r.macs)

    return [
        f"[bold]{base.policy} -> {low.policy} on {base.hardware}[/]: latency {a.latency_s * 1e3:.3f} -> "
        f"{b.latency_s * 1e3:.3f} ms ({a.cycles / max(b.cycles, 1):.2f}x faster), energy {_mj(a.energy_pj)} -> "
        f"{_mj(b.energy_pj)} ({a.energy_pj / max(b.energy_pj, 1e-12):.2f}x less).",
        f"  throughput: peak {peak(base):,.0f} -> {peak(low):,.0f} MACs/cycle, so the array computes for "
        f"{a.compute_cycles / max(b.compute_cycles, 1):.2f}x fewer cycles ({a.compute_cycles:,} -> "
        f"{b.compute_cycles:,}); memory stalls {a.stall_cycles:,} -> {b.stall_cycles:,} cycles"
        + (", so the layers become more memory-bound." if b.stall_cycles > a.stall_cycles else "."),
        f"  data movement: DRAM {binary_bytes(a.dram_bytes)} -> {binary_bytes(b.dram_bytes)} "
        f"({a.dram_bytes / max(b.dram_bytes, 1):.2f}x less): weights move at half the bits, and narrower "
        "weights fit larger tiles in the same buffers.",
        f"  energy: MAC {_mj(a.energy.mac_pj)} -> {_mj(b.energy.mac_pj)}, on-chip "
        f"{_mj(sum(a.energy.memory_pj.values()))} -> {_mj(sum(b.energy.memory_pj.values()))}, DRAM "
        f"{_mj(a.energy.dram_pj)} -> {_mj(b.energy.dram_pj)}; quantization overhead "
        f"{_mj(b.energy.quant_pj)} (requantization {_mj(b.quant_overhead.requant_pj)}).",
    ]


def _db(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def sensitivity_table(result) -> Table:
    """Per layer and candidate: weight MSE and SQNR, output SQNR and top-1 agreement where measured."""
    table = Table(title=f"sensitivity ({result.proxy}): {result.description}")
    for header in ("layer", "candidate", "weight MSE", "weight SQNR dB", "rel. error", "output SQNR dB",
                   "top-1 agree", "value"):
        table.add_column(header, justify="left" if header in ("layer", "candidate") else "right")
    for row in result.rows:
        table.add_row(row.layer, row.candidate, "-" if row.weight_mse is None else f"{row.weight_mse:.3g}",
                      _db(row.weight_sqnr_db), "-" if row.relative_error is None else f"{row.relative_error:.3g}",
                      _db(row.output_sqnr_db), "-" if row.top1_agreement is None else f"{row.top1_agreement:.0%}",
                      f"{row.value:.4g}")
    return table


def _budget_lines(result) -> list[str]:
    totals = result.best.totals
    lines = ["search totals (sum over layers): " + ", ".join(f"{k} {v:,.4g}" for k, v in totals.items())]
    for budget in result.budgets:
        lines.append(f"  budget {budget.text}: {budget.metric} {totals[budget.metric]:,.4g} <= {budget.limit:,.4g}")
    return lines


def _plan_rows(report) -> Table:
    """Per searched layer (more than one option): the chosen format, its costs and sensitivity."""
    result = report.result
    chosen = {row.layer: next(o for o in row.options if o.quant == result.best.assignment[row.layer])
              for row in report.layers if len(row.options) > 1}
    metrics = list(next(iter(chosen.values())).costs) if chosen else []
    table = Table(title=f"best plan under {', '.join(b.text for b in result.budgets) or 'no budget'} "
                        f"({result.solver})")
    for header in ("layer", "format", *metrics, "sensitivity"):
        table.add_column(header, justify="left" if header in ("layer", "format") else "right")
    for name, option in chosen.items():
        table.add_row(name, option.quant, *(f"{option.costs[m]:,.4g}" for m in metrics), f"{option.sensitivity:.4g}")
    return table


def search_table(report) -> list:
    """The best plan per searched layer, its totals against the budgets, the simulation and the Pareto set."""
    result = report.result
    if result.best is None:
        budgets = ", ".join(b.text for b in result.budgets) or "none"
        return [f"[bold]no plan meets the budgets ({budgets})[/]: {result.reason}"]
    lines: list = [_plan_rows(report), *_budget_lines(result)]
    if report.simulated is not None:
        s = report.simulated
        lines.append(f"simulated end to end: latency {s.latency_ms:.4g} ms, energy {s.energy_uj:.4g} uJ, "
                     f"weights {binary_bytes(s.size_bytes)}, sensitivity {s.sensitivity:.4g}")
    lines.append(f"sensitivity proxy: {report.proxy}")
    if result.pareto:
        front = Table(title=f"Pareto set ({len(result.pareto)} plans): sensitivity vs "
                            f"{result.budgets[0].metric if result.budgets else 'cost'}")
        for header in ("#", *result.pareto[0].totals):
            front.add_column(header, justify="right")
        for i, point in enumerate(result.pareto, 1):
            front.add_row(str(i), *(f"{v:,.4g}" for v in point.totals.values()))
        lines.append(front)
    return lines


def ranking_table(ranking) -> Table:
    """Plans best first by the objective, with the accuracy proxy beside each."""
    unmet = "".join(f"\nno searched plan for {text}" for text in ranking.unmet)
    table = Table(title=f"{ranking.workload} on {ranking.hardware}, ranked by {ranking.objective}",
                  caption=f"sensitivity: {ranking.proxy}{unmet}")
    for header in ("#", "plan", "kind", "latency ms", "energy uJ", "EDP uJ*ms", "weights", "sensitivity"):
        table.add_column(header, justify="left" if header in ("plan", "kind") else "right")
    for i, p in enumerate(ranking.plans, 1):
        table.add_row(str(i), p.label, p.kind, f"{p.latency_ms:.4g}", f"{p.energy_uj:.4g}", f"{p.edp_uj_ms:.4g}",
                      binary_bytes(p.size_bytes), f"{p.sensitivity:.4g}")
    return table


def _value(value: float) -> str:
    return f"{value:.4g}"


def front_table(front) -> Table:
    """The front's points, best first by the first objective, the knee marked."""
    table = Table(title=f"Pareto front over {', '.join(front.objectives)} ({len([p for p in front.points if p.rank == 0])} "
                        f"of {front.considered} points; {front.failed} failed)")
    columns = sorted({path for p in front.points for path in p.values})
    for header in ("rank", "workload", "policy", *columns, *front.metrics, ""):
        table.add_column(header, justify="left" if header in ("workload", "policy", "") else "right")
    for p in front.points:
        table.add_row(str(p.rank), p.workload, p.policy, *(str(p.values.get(c, "")) for c in columns),
                      *(_value(v) for v in p.objectives.values()), "knee" if p.key == front.knee else "")
    return table


def front_csv(front) -> str:
    """One CSV row per point of the front: key, rank, workload, policy, swept values, objectives, knee."""
    import csv
    import io

    columns = sorted({path for p in front.points for path in p.values})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["key", "rank", "workload", "policy", *columns, *front.metrics, "knee"])
    for p in front.points:
        writer.writerow([p.key, p.rank, p.workload, p.policy, *(p.values.get(c, "") for c in columns),
                         *p.objectives.values(), int(p.key == front.knee)])
    return out.getvalue()


def group_rankings_table(groups, by: str, objective: str, top: int) -> Table:
    """Per group, its best ``top`` members by ``objective``."""
    from analysis.fronts import OBJECTIVES

    metric = OBJECTIVES[objective][0]
    member = "hardware configuration" if by == "policy" else "policy"
    table = Table(title=f"best {member} per {'policy' if by == 'policy' else 'hardware configuration'}, by {objective}")
    for header in ("group", "#", member, metric):
        table.add_column(header, justify="right" if header in ("#", metric) else "left")
    for group in groups:
        for i, (label, value) in enumerate(group.members[:top], 1):
            table.add_row(group.group if i == 1 else "", str(i), label, _value(value))
    return table
