"""Plots of simulation results: where each layer's time and energy go, the roofline, the timeline, comparisons.

Each function takes results and returns a `reports.document.Figure` (SVG
text and a caption saying what to read from it); nothing here reads files.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reports.document import Figure
from reports.plotting import HEIGHT_IN, PALETTE, WIDTH_IN, pyplot, to_svg
from reports.roofline import Roofline
from simulator.results import CycleBreakdown, SimResult

__all__ = ["CAUSES", "energy_components", "latency_by_layer", "energy_by_layer", "roofline_figure",
           "energy_breakdown", "timeline_figure", "comparison_figure", "run_label"]

CAUSES = tuple(name for name in CycleBreakdown.model_fields if name != "idle_cycles")
"""Cycle causes of a layer, in the order they are counted."""
_MAX_LABELLED_LAYERS = 60


def run_label(result: SimResult) -> str:
    """``w4a8 on bitfusion``: what tells runs apart in a comparison."""
    return f"{result.policy} on {result.hardware}" + (" (des)" if result.fidelity == "des" else "")


def energy_components(energy) -> dict[str, float]:
    """An `EnergyBreakdown` as named parts in pJ, one per on-chip level."""
    parts = {"MAC": energy.mac_pj}
    parts.update({f"{level} (on-chip)": pj for level, pj in energy.memory_pj.items()})
    parts.update({"DRAM": energy.dram_pj, "vector unit": energy.vector_pj, "quantization": energy.quant_pj,
                  "clock, control, network": energy.overhead_pj, "leakage": energy.leakage_pj})
    return parts


def _layer_axis(ax, names: Sequence[str]) -> None:
    step = max(1, int(np.ceil(len(names) / _MAX_LABELLED_LAYERS)))
    ticks = np.arange(0, len(names), step)
    ax.set_xticks(ticks)
    ax.set_xticklabels([names[i] for i in ticks], rotation=90, fontsize=7)
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_xlabel("layer (execution order)" + (f", every {step}th named" if step > 1 else ""))


def _stacked(ax, names: Sequence[str], parts: dict[str, np.ndarray]) -> None:
    bottom = np.zeros(len(names))
    x = np.arange(len(names))
    for index, (label, values) in enumerate(parts.items()):
        if not np.any(values):
            continue
        ax.bar(x, values, bottom=bottom, width=0.8, label=label, color=PALETTE[index % len(PALETTE)])
        bottom += values
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _layer_axis(ax, names)


def latency_by_layer(result: SimResult) -> Figure:
    """Stacked bars: each layer's latency by cause."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN))
    us_per_cycle = 1e6 / result.clock_hz
    names = [layer.name for layer in result.layers]
    parts = {cause.removesuffix("_cycles").replace("_", " "): np.array(
        [getattr(layer.breakdown, cause) * us_per_cycle for layer in result.layers]) for cause in CAUSES}
    _stacked(ax, names, parts)
    ax.set_ylabel("latency (µs)")
    ax.set_title(f"Latency per layer by cause: {run_label(result)}")
    slowest = max(result.layers, key=lambda layer: layer.cycles)
    return Figure("latency_by_layer", "Latency per layer", (
        f"Each bar is one layer's time, split by what bounds it; tall orange, red or purple segments are time "
        f"the MAC array waits. The slowest layer is {slowest.name} "
        f"({slowest.cycles * us_per_cycle:,.1f} µs)."), to_svg(fig))


def energy_by_layer(result: SimResult) -> Figure:
    """Stacked bars: each layer's energy by component."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN))
    names = [layer.name for layer in result.layers]
    per_layer = [energy_components(layer.energy) for layer in result.layers]
    labels = list(dict.fromkeys(label for parts in per_layer for label in parts))
    parts = {label: np.array([p.get(label, 0.0) * 1e-6 for p in per_layer]) for label in labels}
    _stacked(ax, names, parts)
    ax.set_ylabel("energy (µJ)")
    ax.set_title(f"Energy per layer by component: {run_label(result)}")
    dram = result.totals.energy.dram_pj / result.totals.energy_pj if result.totals.energy_pj else 0.0
    return Figure("energy_by_layer", "Energy per layer", (
        f"Each bar is one layer's energy by component; DRAM is {dram:.0%} of the total, so layers with tall "
        "DRAM segments gain most from narrower formats or bigger tiles."), to_svg(fig))


def roofline_figure(line: Roofline, label: str) -> Figure:
    """Log-log roofline: compute roof per precision, DRAM roof, each MAC layer as a point."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN + 0.8))
    intensities = [p.intensity_macs_per_byte for p in line.points] or [1.0]
    x = np.geomspace(min(intensities) / 4, max(intensities) * 4, 200)
    colours = {}
    for index, roof in enumerate(r for r in line.roofs if r.used):
        colours[roof.precision] = PALETTE[index % len(PALETTE)]
    unused: dict[float, list[str]] = {}
    for roof in line.roofs:
        if not roof.used:
            unused.setdefault(roof.peak_macs_per_cycle, []).append(roof.precision)
    for roof in line.roofs:
        attainable = np.full_like(x, roof.peak_macs_per_cycle)
        if line.dram_bytes_per_cycle:
            attainable = np.minimum(attainable, x * line.dram_bytes_per_cycle)
        if roof.used:
            ax.plot(x, attainable, color=colours[roof.precision], linewidth=2,
                    label=f"{roof.precision} roof: {roof.peak_macs_per_cycle:,.0f} MACs/cycle")
        else:
            ax.plot(x, attainable, color="#999999", linewidth=0.8, linestyle="--")
    for peak, names in unused.items():
        ax.annotate(", ".join(names), (x[-1], peak), fontsize=7, color="#666666", ha="left", va="center",
                    xytext=(4, 0), textcoords="offset points")
    for precision, colour in colours.items():
        points = [p for p in line.points if p.precision == precision]
        ax.scatter([p.intensity_macs_per_byte for p in points], [p.achieved_macs_per_cycle for p in points],
                   color=colour, edgecolor="black", linewidth=0.4, s=28, zorder=3,
                   label=f"{precision} layers ({len(points)})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (MACs per DRAM byte, at each tensor's real bit-width)")
    ax.set_ylabel("throughput (MACs per cycle)")
    ax.set_title(f"Roofline at each precision: {label}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.12, 1.0))
    bound = ("the slanted line is DRAM bandwidth "
             f"({line.dram_bytes_per_cycle:g} B/cycle)" if line.dram_bytes_per_cycle
             else "DRAM bandwidth is unknown or unlimited, so no memory roof is drawn")
    skipped = (f" {len(line.no_dram_layers)} layers with no DRAM traffic are not shown."
               if line.no_dram_layers else "")
    return Figure("roofline", "Roofline", (
        "Each flat line is the chip's peak at one precision (grey dashed: precisions this run did not use) and "
        f"{bound}; a layer far below its roof loses time to something other than its precision's throughput."
        + skipped), to_svg(fig))


def energy_breakdown(result: SimResult) -> Figure:
    """Two bar charts: total energy by component, and quantization overhead by kind."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(WIDTH_IN, HEIGHT_IN - 0.6), width_ratios=(3, 2))
    parts = energy_components(result.totals.energy)
    left.barh(list(parts), [v * 1e-6 for v in parts.values()], color=PALETTE[0])
    left.invert_yaxis()
    left.set_xlabel("energy (µJ)")
    left.set_title("by component")
    overhead = result.totals.quant_overhead
    kinds = {name.removesuffix("_pj").replace("_", " "): getattr(overhead, name) * 1e-6
             for name in type(overhead).model_fields}
    right.barh(list(kinds), list(kinds.values()), color=PALETTE[1])
    right.invert_yaxis()
    right.set_xlabel("energy (µJ)")
    right.set_title("quantization overhead by kind")
    fig.suptitle(f"Energy per inference: {run_label(result)}")
    fig.tight_layout()
    total = result.totals.energy_pj
    top = max(parts, key=parts.get)
    return Figure("energy_breakdown", "Energy breakdown", (
        f"Where the {total * 1e-6:,.1f} µJ go: {top} takes {parts[top] / total:.0%}. On the right, the work "
        "quantization adds (padding is already inside the MAC energy)."), to_svg(fig))


def timeline_figure(result: SimResult) -> Figure:
    """Gantt chart of the discrete-event timeline: one row per engine and DRAM channel."""
    plt = pyplot()
    units = list(dict.fromkeys(event.unit for event in result.timeline))
    kinds = ("compute", "vector", "load", "store")
    fig, ax = plt.subplots(figsize=(WIDTH_IN, max(2.4, 0.5 * len(units) + 1.4)))
    us_per_cycle = 1e6 / result.clock_hz
    spans: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for event in result.timeline:
        spans.setdefault((event.kind, event.unit), []).append(
            (event.cycle * us_per_cycle, event.duration_cycles * us_per_cycle))
    for index, kind in enumerate(kinds):
        label = kind
        for row, unit in enumerate(units):
            if (kind, unit) in spans:
                band = {"load": (row - 0.35, 0.35), "store": (row, 0.35)}.get(kind, (row - 0.35, 0.7))
                ax.broken_barh(spans[kind, unit], band, color=PALETTE[index], label=label)
                label = None
    ax.set_yticks(range(len(units)))
    ax.set_yticklabels(units)
    ax.invert_yaxis()
    ax.set_xlabel("time (µs)")
    ax.set_title(f"Discrete-event timeline: {run_label(result)}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return Figure("timeline", "Timeline", (
        "Each row is a unit of the chip (DRAM rows: loads above, stores below); gaps in the compute rows are "
        "time the engines wait, for DRAM or for a layer on another engine."), to_svg(fig))


def comparison_figure(results: Sequence[SimResult]) -> Figure:
    """Side by side: latency by cause and energy by component of each run (on-chip levels summed, since
    accelerators name their buffers differently)."""
    plt = pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(WIDTH_IN, 2.0 + 0.8 * len(results)))
    labels = [run_label(r) for r in results]
    y = np.arange(len(results))
    parts: dict[str, list[float]] = {
        cause.removesuffix("_cycles").replace("_", " "): [getattr(r.totals.breakdown, cause) / r.clock_hz * 1e3
                                                          for r in results]
        for cause in CycleBreakdown.model_fields}
    _stacked_runs(top, y, parts, "latency (ms)")
    energy = [r.totals.energy for r in results]
    parts = {"MAC": [e.mac_pj for e in energy], "on-chip memory": [sum(e.memory_pj.values()) for e in energy],
             "DRAM": [e.dram_pj for e in energy], "vector unit": [e.vector_pj for e in energy],
             "quantization": [e.quant_pj for e in energy], "clock, control, network": [e.overhead_pj for e in energy],
             "leakage": [e.leakage_pj for e in energy]}
    _stacked_runs(bottom, y, {k: [v * 1e-6 for v in values] for k, values in parts.items()}, "energy per inference (µJ)")
    for ax in (top, bottom):
        ax.set_yticks(y)
        ax.set_yticklabels(labels)
        ax.invert_yaxis()
    fig.tight_layout()
    return Figure("comparison", "Runs side by side", (
        "Each bar is one run, latency above and energy below; shorter is better. Compare the segments to see "
        "which mechanism a change of precision or accelerator moved."), to_svg(fig))


def _stacked_runs(ax, y: np.ndarray, parts: dict[str, list[float]], label: str) -> None:
    left = np.zeros(len(y))
    for index, (name, values) in enumerate(parts.items()):
        values = np.asarray(values, dtype=float)
        if np.any(values):
            ax.barh(y, values, left=left, height=0.6, color=PALETTE[index % len(PALETTE)], label=name)
            left += values
    ax.set_xlabel(label)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
