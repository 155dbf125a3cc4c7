"""Readable terminal tables for the CLI (rich), kept apart from the command handlers."""

from __future__ import annotations

from rich.table import Table

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
