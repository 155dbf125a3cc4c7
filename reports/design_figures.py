"""Plots of design spaces: a search's Pareto set, bit-widths and sensitivities; a sweep's front and parameters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from analysis.fronts import Front, SweepRow
from reports.document import Figure
from reports.plotting import HEIGHT_IN, PALETTE, WIDTH_IN, pyplot, to_svg

__all__ = ["search_front_figure", "bitwidth_heatmap", "sensitivity_figure", "sweep_front_figure",
           "parameter_figure"]


def search_front_figure(front: Sequence[tuple[float, float]], best: tuple[float, float] | None,
                        knee: tuple[float, float] | None, uniform: dict[str, tuple[float, float]],
                        metric: str, limit: float | None) -> Figure:
    """The searched Pareto set (metric total, sensitivity total), best plan, knee and uniform plans marked."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN))
    if front:
        xs, ys = zip(*front, strict=True)
        ax.plot(xs, ys, "-o", color="#333333", markersize=4, label=f"Pareto set ({len(front)} plans)")
    for index, (label, (x, y)) in enumerate(uniform.items()):
        ax.scatter([x], [y], marker="s", s=60, color=PALETTE[index % len(PALETTE)], edgecolor="black",
                   zorder=3, label=f"all {label}")
    if knee is not None:
        ax.scatter([knee[0]], [knee[1]], marker="D", s=80, facecolor="none", edgecolor=PALETTE[3], linewidth=2,
                   zorder=4, label="knee")
    if best is not None:
        ax.scatter([best[0]], [best[1]], marker="*", s=220, color="#f2c12e", edgecolor="black", zorder=5,
                   label="best plan under the budgets")
    if limit is not None:
        ax.axvline(limit, color="#777777", linestyle="--", linewidth=1, label=f"budget: {metric} <= {limit:,.4g}")
    _log_or_linear(ax, [y for _, y in front] + [y for _, y in uniform.values()])
    ax.set_xlabel(_metric_label(metric))
    ax.set_ylabel("sensitivity total (proxy, lower is better)")
    ax.set_title("Searched plans: accuracy proxy vs cost")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return Figure("search_front", "Pareto set of the search", (
        "Every point is a plan no other plan beats on both axes; the star is the plan chosen under the budgets "
        "and the squares are uniform plans for reference: plans left of the dashed budget line meet it."),
        to_svg(fig))


def _log_or_linear(ax, values: Sequence[float]) -> None:
    """A log axis when every value is positive and they span more than a decade; linear otherwise."""
    if values and min(values) > 0 and max(values) / min(values) > 10:
        ax.set_yscale("log")


def _metric_label(metric: str) -> str:
    name, _, unit = metric.rpartition("_")
    units = {"ms": "ms", "uj": "µJ", "bytes": "bytes", "s": "s", "pj": "pJ", "mm2": "mm²", "js": "J·s"}
    return f"{name.replace('_', ' ')} ({units[unit]})" if unit in units and name else metric.replace("_", " ")


def bitwidth_heatmap(plans: Sequence[tuple[str, dict[str, str]]], layers: Sequence[str],
                     candidates: Sequence[str]) -> Figure:
    """Rows: plans; columns: searched layers; colour: the candidate each plan gives each layer."""
    plt = pyplot()
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    index = {c: i for i, c in enumerate(candidates)}
    grid = np.array([[index.get(assignment.get(layer, ""), -1) for layer in layers] for _, assignment in plans],
                    dtype=float)
    grid[grid < 0] = np.nan
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(candidates))]
    fig, ax = plt.subplots(figsize=(WIDTH_IN, max(2.6, 0.32 * len(plans) + 2.2)))
    ax.imshow(grid, aspect="auto", cmap=ListedColormap(colours), vmin=-0.5, vmax=len(candidates) - 0.5,
              interpolation="nearest")
    ax.set_yticks(range(len(plans)))
    ax.set_yticklabels([label for label, _ in plans], fontsize=8)
    step = max(1, int(np.ceil(len(layers) / 60)))
    ax.set_xticks(range(0, len(layers), step))
    ax.set_xticklabels(layers[::step], rotation=90, fontsize=7)
    ax.set_xlabel("layer (execution order)")
    ax.set_ylabel("plan (best first)")
    ax.grid(False)
    ax.legend(handles=[Patch(color=c, label=name) for c, name in zip(colours, candidates, strict=True)],
              loc="upper center", bbox_to_anchor=(0.5, 1.02 + 1.2 / max(len(plans), 4)), ncols=len(candidates))
    return Figure("search_bitwidths", "Precision per layer of the top plans", (
        "One row per plan, from the chosen one down the Pareto set; columns are the searched layers. Layers that "
        "keep a wide format across plans are the sensitive ones."), to_svg(fig))


def sensitivity_figure(layers: Sequence[str], values: dict[str, Sequence[float | None]], proxy: str) -> Figure:
    """Per searched layer, the proxy's value at each candidate."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN))
    x = np.arange(len(layers))
    for index, (candidate, series) in enumerate(values.items()):
        y = np.array([np.nan if v is None else v for v in series], dtype=float)
        ax.plot(x, y, "o-", markersize=3, linewidth=1, color=PALETTE[index % len(PALETTE)], label=candidate)
    _log_or_linear(ax, [v for series in values.values() for v in series if v is not None])
    step = max(1, int(np.ceil(len(layers) / 60)))
    ax.set_xticks(x[::step])
    ax.set_xticklabels(layers[::step], rotation=90, fontsize=7)
    ax.set_xlabel("layer (execution order)")
    ax.set_ylabel("sensitivity (proxy value, higher is worse)")
    ax.set_title("Sensitivity per layer and candidate")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    short = proxy if len(proxy) < 140 else proxy[:137] + "..."
    return Figure("search_sensitivity", "Sensitivity per layer", (
        f"How much accuracy each layer risks at each candidate (higher is worse); the proxy: {short}."),
        to_svg(fig))


def sweep_front_figure(rows: Sequence[SweepRow], front: Front, workload: str, name: str) -> Figure:
    """All points of one workload, latency vs energy, by policy; the front joined and the knee marked."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN + 0.6))
    policies = list(dict.fromkeys(row.policy for row in rows))
    for index, policy in enumerate(policies):
        mine = [row for row in rows if row.policy == policy]
        ax.scatter([r.metrics["latency_s"] * 1e3 for r in mine], [r.metrics["energy_pj"] * 1e-6 for r in mine],
                   s=14, alpha=0.7, color=PALETTE[index % len(PALETTE)], label=f"{policy} ({len(mine)} points)")
    on_front = [p for p in front.points if p.rank == 0]
    ax.plot([p.objectives["latency"] * 1e3 for p in on_front], [p.objectives["energy"] * 1e-6 for p in on_front],
            "-", color="black", linewidth=1.2, label=f"Pareto front ({len(on_front)} points)", zorder=3)
    knee = next((p for p in on_front if p.key == front.knee), None)
    if knee is not None:
        ax.scatter([knee.objectives["latency"] * 1e3], [knee.objectives["energy"] * 1e-6], marker="*", s=240,
                   color="#f2c12e", edgecolor="black", zorder=4, label=f"knee ({knee.policy})")
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("energy per inference (µJ)")
    ax.set_title(f"{workload}: every design point, latency vs energy")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return Figure(name, f"Pareto front: {workload}", (
        "Each dot is one accelerator configuration at one policy; the black line joins the designs no other beats "
        "on both latency and energy, and the star is the balanced knee."), to_svg(fig))


def _positions(values: Sequence[Any]) -> tuple[np.ndarray, list[str] | None]:
    """Numeric values as they are; anything else as categories 0, 1, 2 ... with their labels."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=float), None
    labels = sorted({str(v) for v in values})
    return np.array([labels.index(str(v)) for v in values], dtype=float), labels


def parameter_figure(rows: Sequence[SweepRow], path: str, name: str) -> Figure:
    """One swept parameter against latency and energy, by policy."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(WIDTH_IN, HEIGHT_IN - 0.4))
    x_all, labels = _positions([row.values.get(path) for row in rows])
    policies = list(dict.fromkeys(row.policy for row in rows))
    for ax, (metric, scale, axis_label) in zip(axes, (("latency_s", 1e3, "latency (ms)"),
                                                      ("energy_pj", 1e-6, "energy per inference (µJ)")), strict=True):
        for index, policy in enumerate(policies):
            mask = np.array([row.policy == policy for row in rows])
            y = np.array([row.metrics[metric] * scale for row in rows])
            ax.scatter(x_all[mask], y[mask], s=14, alpha=0.6, color=PALETTE[index % len(PALETTE)], label=policy)
        if labels is not None:
            ax.set_xticks(range(len(labels)))
            ax.set_xticklabels(labels, rotation=30, fontsize=8)
        elif x_all.size and x_all.min() > 0 and x_all.max() / x_all.min() >= 4:
            ax.set_xscale("log", base=2)
        ax.set_xlabel(path)
        ax.set_ylabel(axis_label)
    axes[1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle(f"{path} against latency and energy")
    fig.tight_layout()
    return Figure(name, f"Swept parameter: {path}", (
        f"Each dot is a design point; the spread at one value of {path} is what the other swept parameters do. "
        "A falling lower edge means the parameter helps."), to_svg(fig))
