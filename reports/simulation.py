"""The report of one simulation: what ran, the headline numbers, and where each layer's time and energy go."""

from __future__ import annotations

import shlex

from hwmodels import Accelerator, summarize_hardware
from reports.document import Column, Figure, Section, Table
from reports.figures import (
    CAUSES,
    energy_breakdown,
    energy_by_layer,
    latency_by_layer,
    roofline_figure,
    run_label,
    timeline_figure,
)
from reports.roofline import layer_precision, roofline
from simulator.results import QuantOverhead, SimResult
from workloads import WorkloadSummary

__all__ = ["headline_rows", "reproduce_command", "simulation_sections"]

_OPS_PER_MAC = 2


def reproduce_command(result: SimResult) -> str:
    """The ``qcosim simulate`` command that reruns ``result`` (parameters of zoo models are not stored)."""
    options = result.provenance.options if result.provenance else {}
    words = ["qcosim", "simulate", result.workload, "--hw", result.hardware, "--quant", result.policy,
             "--fidelity", result.fidelity]
    if options.get("objective", "latency") != "latency":
        words += ["--objective", str(options["objective"])]
    if options.get("pipeline"):
        words.append("--pipeline")
    return shlex.join(words) + " --json"


def headline_rows(result: SimResult) -> list[tuple[str, float, str]]:
    """(quantity, value, unit) of the figures a design review quotes first."""
    t = result.totals
    return [
        ("latency", t.latency_s * 1e3, "ms"),
        ("throughput", 1 / t.latency_s if t.latency_s else 0.0, "inferences/s"),
        ("energy per inference", t.energy_pj * 1e-6, "µJ"),
        ("energy per MAC", t.energy_pj / t.macs if t.macs else 0.0, "pJ/MAC"),
        ("efficiency", _OPS_PER_MAC * t.macs / t.energy_pj if t.energy_pj else 0.0, "TOPS/W"),
        ("achieved throughput", _OPS_PER_MAC * t.macs / t.latency_s * 1e-12 if t.latency_s else 0.0, "TOPS"),
        ("DRAM traffic", t.dram_bytes * 1e-6, "MB"),
        ("utilization", t.utilization * 100, "%"),
        ("MACs", float(t.macs), "MACs"),
        ("cycles", float(t.cycles), "cycles"),
    ]


def _headline_table(result: SimResult, prefix: str) -> Table:
    return Table(f"{prefix}headline", "Headline numbers", (
        Column("quantity", "quantity", "text"), Column("value", "value"), Column("unit", "unit", "text")),
        tuple(headline_rows(result)),
        caption="Per inference: one run of the network as given (its batch); TOPS count 2 operations per MAC; "
                "utilization is MACs / (cycles x the chip's peak at each layer's formats).")


def _hardware_tables(acc: Accelerator, prefix: str) -> tuple[Table, ...]:
    summary = summarize_hardware(acc)
    peaks = Table(f"{prefix}hardware_peaks", f"{acc.name}: peak compute per precision", (
        Column("precision", "precision", "text"), Column("peak_macs_per_cycle", "peak MACs/cycle", "int"),
        Column("peak_tops", "peak TOPS"),
    ), tuple((k, v, summary["peak_tops"][k]) for k, v in summary["peak_macs_per_cycle"].items()),
        caption=f"Clock {summary['clock_ghz']:g} GHz, {summary['technology_nm']:g} nm, area "
                f"{summary['area_mm2']:.3g} mm², leakage {summary['leakage_mw']:.3g} mW; DRAM "
                + (f"{summary['dram']['bandwidth_gb_per_s']:g} GB/s" if summary["dram"]["bandwidth_gb_per_s"]
                   else "unlimited") + f", {summary['dram']['pj_per_bit']:.3g} pJ/bit.")
    memory = Table(f"{prefix}hardware_memory", f"{acc.name}: memory levels (innermost first)", (
        Column("level", "level", "text"), Column("holds", "holds", "text"), Column("size_bytes", "size (bytes)", "int"),
        Column("instances", "copies", "int"), Column("read_bytes_per_cycle", "read B/cycle"),
        Column("read_pj_per_bit", "read pJ/bit"),
    ), tuple((m["name"], ", ".join(m["operands"]), m["size_bytes"], m["instances"], m["read_bytes_per_cycle"],
              m["read_pj_per_bit"]) for m in summary["memory"]))
    return peaks, memory


def _workload_line(result: SimResult, workload: WorkloadSummary | None) -> str:
    t = result.totals
    mac_layers = sum(1 for layer in result.layers if layer.macs)
    line = (f"Workload: {result.workload}, {len(result.layers)} layers after fusion ({mac_layers} with MACs), "
            f"{t.macs:,} MACs")
    if workload is None:
        return line + " (parameter count: not in the saved result, and no zoo model of this name matches it)."
    w = workload.totals
    return (line + f", {w.params:,} parameters, weights {w.weight_bytes / 1e6:,.4g} MB at this policy "
            "(the zoo model at its default parameters).")


def _what_ran(result: SimResult, acc: Accelerator | None, workload: WorkloadSummary | None,
              prefix: str) -> Section:
    precisions = sorted({layer_precision(layer) for layer in result.layers if layer.macs})
    provenance = result.provenance
    bullets = [
        _workload_line(result, workload),
        f"Precision policy: {result.policy}; MAC layers ran at {', '.join(precisions) or 'no MAC precision'} "
        "(per layer in the table below).",
        f"Hardware: {result.hardware}" + (f" ({acc.description})" if acc is not None and acc.description else "")
        + ("." if acc is not None else " (description not available: give it with --hw to see its datasheet)."),
        f"Fidelity: {result.fidelity}; clock {result.clock_hz / 1e6:g} MHz.",
    ]
    if provenance is not None:
        options = ", ".join(f"{k}={v}" for k, v in provenance.options.items())
        bullets += [f"Options: {options}.",
                    f"qcosim {provenance.qcosim_version}; hardware digest {provenance.hardware_digest}, workload "
                    f"digest {provenance.workload_digest} (equal digests: comparable results)."]
    assumptions = (
        "Assumptions: cycles per layer from the engine's throughput at the layer's formats and SCALE-Sim v3's fold "
        "windows for its dataflow, plus stalls where DRAM or a buffer port outlasts compute; bytes at each tensor's "
        "real bit-width (scales and zero points included); energy = counted actions x the accelerator's energy "
        "table (Horowitz 45 nm scaled to its node), plus the chip's declared clock, control and network overhead "
        "per occupied PE and cycle."
        + (" Discrete-event fidelity: tiles as events on shared engines and DRAM channels." if result.fidelity == "des"
           else " Analytical fidelity: layers run one after another as scheduled."))
    return Section(f"What was simulated: {run_label(result)}", paragraphs=(assumptions,), bullets=tuple(bullets),
                   tables=_hardware_tables(acc, prefix) if acc is not None else (),
                   code=(reproduce_command(result),))


def _layer_table(result: SimResult, prefix: str) -> Table:
    levels = list(dict.fromkeys(traffic.level for layer in result.layers for traffic in layer.traffic))
    memories = list(dict.fromkeys(level for layer in result.layers for level in layer.energy.memory_pj))
    kinds = [name for name in QuantOverhead.model_fields
             if any(getattr(layer.quant_overhead, name) for layer in result.layers)]
    columns = [Column("layer", "layer", "text"), Column("op", "op", "text"), Column("precision", "precision", "text"),
               Column("engine", "engine", "text"), Column("macs", "MACs", "int"), Column("cycles", "cycles", "int"),
               *(Column(cause, cause.replace("_", " "), "int") for cause in CAUSES),
               Column("utilization", "utilization", "percent"),
               *(Column(f"{level}_bytes", f"{level} bytes", "int") for level in levels),
               Column("energy_uj", "energy (µJ)"), Column("mac_uj", "MAC µJ"),
               *(Column(f"{level}_uj", f"{level} µJ") for level in memories),
               Column("dram_uj", "DRAM µJ"), Column("vector_uj", "vector µJ"), Column("quant_uj", "quantization µJ"),
               Column("overhead_uj", "overhead µJ"), Column("leakage_uj", "leakage µJ"),
               *(Column(kind.removesuffix("_pj") + "_uj", kind.removesuffix("_pj").replace("_", " ") + " µJ")
                 for kind in kinds)]
    rows = []
    for layer in result.layers:
        traffic = {t.level: t.total_bytes for t in layer.traffic}
        e = layer.energy
        rows.append((layer.name, layer.op, layer_precision(layer) if layer.macs else "-", layer.mapping.engine,
                     layer.macs, layer.cycles, *(getattr(layer.breakdown, cause) for cause in CAUSES),
                     layer.utilization, *(traffic.get(level, 0.0) for level in levels), e.total_pj * 1e-6,
                     e.mac_pj * 1e-6, *(e.memory_pj.get(level, 0.0) * 1e-6 for level in memories),
                     e.dram_pj * 1e-6, e.vector_pj * 1e-6, e.quant_pj * 1e-6, e.overhead_pj * 1e-6,
                     e.leakage_pj * 1e-6,
                     *(getattr(layer.quant_overhead, kind) * 1e-6 for kind in kinds)))
    return Table(f"{prefix}layers", "Per layer", tuple(columns), tuple(rows), sortable=True, caption=(
        "Click a heading to sort. Cycles add up by cause; bytes are both directions at each level; "
        "energy by component, then the quantization overhead by kind (kinds that are zero everywhere are left out)."))


def simulation_sections(result: SimResult, acc: Accelerator | None = None, workload: WorkloadSummary | None = None,
                        *, prefix: str = "") -> list[Section]:
    """Sections for one run: what was simulated, headline numbers, per-layer table and plots.

    ``acc`` is the accelerator the run used, for its datasheet and memory roof (`reports.roofline`);
    ``workload`` its network's counts (`reports.provenance`).
    ``prefix`` keeps table and figure names distinct when a report holds several runs.
    """
    sections = [_what_ran(result, acc, workload, prefix),
                Section(f"Headline numbers: {run_label(result)}", tables=(_headline_table(result, prefix),))]
    if not result.layers:
        return sections
    figures: list[Figure] = [latency_by_layer(result), energy_by_layer(result),
                             roofline_figure(roofline(result, acc), run_label(result)), energy_breakdown(result)]
    if result.timeline:
        figures.append(timeline_figure(result))
    figures = [Figure(prefix + f.name, f.title, f.caption, f.svg) for f in figures]
    sections.append(Section(f"Per layer: {run_label(result)}", tables=(_layer_table(result, prefix),),
                            figures=tuple(figures)))
    return sections
