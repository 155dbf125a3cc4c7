"""The accelerator's datasheet: peak throughput per precision, storage, bandwidth, energy.

`summarize_hardware` gives the figures as JSON-ready data (unlimited
bandwidths become ``None``); `render_summary` lays the same figures out as
text tables for ``qcosim hw show``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from hwmodels.area import area_breakdown_mm2
from hwmodels.config import Accelerator
from hwmodels.engine import MacArray
from hwmodels.errors import ConfigError
from hwmodels.formats import pair_label, parse_format_name

if TYPE_CHECKING:  # rich is loaded by render_summary only, never by importing hwmodels
    from rich.table import Table

__all__ = ["summarize_hardware", "render_summary", "promotions"]

_OPS_PER_MAC = 2
_COMMON_FORMATS = ("binary", "ternary", "int2", "int4", "int8", "uint8", "int16",
                   "fp8_e4m3", "fp8_e5m2", "fp16", "bf16", "fp32")
"""Formats a policy commonly asks for (both operands); weight-only ones (w4a16) reach the array as
their activation format."""


def _finite(value: float) -> float | None:
    return None if math.isinf(value) else value


def promotions(engine: MacArray) -> dict[str, dict[str, Any] | None]:
    """How ``engine`` runs each common format it does not run natively (None: it cannot).

    Each entry gives the pair it runs as (``runs_as``, keyed like the peak
    table) and the array's MACs per cycle there.

    Examples
    --------
    >>> from hwmodels import load_hardware
    >>> promotions(load_hardware("nvdla").engine())["fp8_e4m3"]
    {'runs_as': 'fp16', 'peak_macs_per_cycle': 1024.0}
    """
    table: dict[str, dict[str, Any] | None] = {}
    for name in _COMMON_FORMATS:
        if engine.supports(name, name):
            continue
        try:
            weight, act = engine.resolve(name, name)
        except ConfigError:
            table[name] = None
            continue
        label = pair_label(parse_format_name(weight), parse_format_name(act))
        table[name] = {"runs_as": label, "peak_macs_per_cycle": engine.format_macs_per_cycle(weight, act)}
    return table


def _engine_summary(acc: Accelerator, index: int) -> dict[str, Any]:
    engine = acc.engines[index]
    macs = engine.peak_macs_per_cycle_table()
    mac_energy = {}
    for w_name, a_name in engine.supported_pairs:
        weight, act = parse_format_name(w_name), parse_format_name(a_name)
        floating = weight.floating or act.floating
        energy = acc.mac_pj(weight.bits, act.bits, floating=floating, engine=index)
        mac_energy.setdefault(pair_label(weight, act), energy)
    return {
        "name": engine.name,
        "rows": engine.rows,
        "cols": engine.cols,
        "pes": engine.pes,
        "dataflow": engine.dataflow.value,
        "precision": engine.precision.kind,
        "accum_bits": engine.accum_bits,
        "supported": [list(pair) for pair in engine.supported_pairs],
        "peak_macs_per_cycle": macs,
        "peak_tops": {key: v * _OPS_PER_MAC * acc.clock_hz / 1e12 for key, v in macs.items()},
        "mac_pj": mac_energy,
        "promoted": promotions(engine),
    }


def _memory_summary(acc: Accelerator, index: int) -> dict[str, Any]:
    level = acc.memory[index]
    instances = acc.level_instances(index)
    return {
        "name": level.name,
        "operands": [op.value for op in level.operands],
        "size_bytes": level.size_bytes,
        "instances": instances,
        "total_bytes": level.size_bytes * instances,
        "read_bytes_per_cycle": _finite(level.read_bytes_per_cycle),
        "write_bytes_per_cycle": _finite(level.write_bytes_per_cycle),
        "double_buffered": level.double_buffered,
        "double_buffered_operands": [op.value for op in level.double_buffered_operands],
        "read_pj_per_bit": acc.read_pj_per_bit(index),
        "write_pj_per_bit": acc.write_pj_per_bit(index),
    }


def summarize_hardware(acc: Accelerator) -> dict[str, Any]:
    """Datasheet figures of an accelerator as JSON-ready data.

    Peak MACs per cycle and peak TOPS (2 ops per MAC x clock) are given per
    engine and, summed over engines, for the whole chip, keyed like ``w4a8``
    or ``fp16``. Unlimited bandwidths are ``None``.

    Examples
    --------
    >>> from hwmodels import load_hardware
    >>> summarize_hardware(load_hardware("tpu-v1"))["peak_macs_per_cycle"]["w8a8"]
    65536.0
    """
    engines = [_engine_summary(acc, i) for i in range(len(acc.engines))]
    chip_macs: dict[str, float] = {}
    for engine in engines:
        for key, value in engine["peak_macs_per_cycle"].items():
            chip_macs[key] = chip_macs.get(key, 0.0) + value
    energy = acc.scaled_energy
    return {
        "name": acc.name,
        "description": acc.description,
        "clock_ghz": acc.clock_ghz,
        "technology_nm": acc.technology_nm,
        "vdd_v": energy.vdd_v,
        "engines": engines,
        "peak_macs_per_cycle": chip_macs,
        "peak_tops": {k: v * _OPS_PER_MAC * acc.clock_hz / 1e12 for k, v in chip_macs.items()},
        "vector_unit": {
            "lanes": acc.vector_unit.lanes,
            "lane_ops_per_cycle": dict(acc.vector_unit.lane_ops_per_cycle),
        },
        "onchip_bytes": acc.onchip_bytes,
        "memory": [_memory_summary(acc, i) for i in range(len(acc.memory))],
        "dram": {
            "bandwidth_gb_per_s": _finite(acc.dram.bandwidth_gb_per_s),
            "bytes_per_cycle": _finite(acc.dram_bytes_per_cycle),
            "latency_cycles": acc.dram_latency_cycles,
            "pj_per_bit": acc.dram_pj_per_bit(),
        },
        "area_mm2": sum(area_breakdown_mm2(acc).values()),
        "leakage_mw": acc.leakage_mw,
    }


def _num(value: float | None) -> str:
    if value is None:
        return "unlimited"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.4g}"


def _size(num_bytes: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if num_bytes >= scale and num_bytes % (scale // 4) == 0:
            return f"{_num(num_bytes / scale)} {unit}"
    return f"{num_bytes} B"


def _table(title: str, columns: tuple[str, ...], left: int, rows: Iterable[tuple[str, ...]]) -> Table:
    """A rich table whose first ``left`` columns are left-aligned and the rest right-aligned."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index < left else "right")
    for row in rows:
        table.add_row(*row)
    return table


def _engine_rows(summary: dict[str, Any]) -> list[tuple[str, ...]]:
    rows = []
    for engine in summary["engines"]:
        label = f"{engine['name']} {engine['rows']}x{engine['cols']} {engine['precision']}"
        for key, macs in engine["peak_macs_per_cycle"].items():
            tops, energy = engine["peak_tops"][key], engine["mac_pj"][key]
            rows.append((label, key, _num(macs), f"{tops:.4g}", f"{energy:.3g}"))
            label = ""
    return rows


def _buffering(level: dict[str, Any]) -> str:
    """" (2x buf)" for a double-buffered level, " (2x inputs)" for one that double-buffers some operands."""
    if level["double_buffered"]:
        return " (2x buf)"
    twice = level.get("double_buffered_operands")
    return f" (2x {', '.join(twice)})" if twice else ""


def _memory_rows(summary: dict[str, Any]) -> list[tuple[str, ...]]:
    return [
        (
            level["name"] + _buffering(level),
            ", ".join(level["operands"]),
            _size(level["size_bytes"]),
            str(level["instances"]),
            _num(level["read_bytes_per_cycle"]),
            _num(level["write_bytes_per_cycle"]),
            f"{level['read_pj_per_bit']:.3g}",
        )
        for level in summary["memory"]
    ]


def _promotion_rows(summary: dict[str, Any]) -> list[tuple[str, ...]]:
    """Per engine, the common formats grouped by the pair they run as, then those it cannot run."""
    rows = []
    for engine in summary["engines"]:
        groups: dict[tuple[str, str], list[str]] = {}
        for name, runs in engine["promoted"].items():
            key = (runs["runs_as"], _num(runs["peak_macs_per_cycle"])) if runs else ("cannot run", "-")
            groups.setdefault(key, []).append(name)
        label_cell = engine["name"]
        for (runs_as, rate), names in sorted(groups.items(), key=lambda item: item[0][0] == "cannot run"):
            rows.append((label_cell, runs_as, ", ".join(names), rate))
            label_cell = ""
    return rows


def render_summary(acc: Accelerator, width: int = 100) -> str:
    """The datasheet as plain-text tables (no colour codes), for terminals and logs."""
    from rich.console import Console

    summary = summarize_hardware(acc)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    console.print(f"{summary['name']}: {summary['description'] or ''}".rstrip(": "), markup=False)
    console.print(
        f"clock {_num(summary['clock_ghz'])} GHz, {_num(summary['technology_nm'])} nm "
        f"@ {summary['vdd_v']:.3g} V, on-chip {_size(summary['onchip_bytes'])}, "
        f"area ~{summary['area_mm2']:.3g} mm², leakage ~{summary['leakage_mw']:.3g} mW",
        markup=False,
    )
    console.print(_table("Peak compute", ("engine", "precision", "MACs/cycle", "TOPS", "pJ/MAC"), 2,
                         _engine_rows(summary)))
    promoted = _promotion_rows(summary)
    if promoted:
        console.print(_table("Other formats (promoted: padded operands cost time and energy; weight-only "
                             "formats such as w4a16 run as their activations)",
                             ("engine", "runs as", "formats", "MACs/cycle"), 3, promoted))
    console.print(_table("Memory (innermost first)",
                         ("level", "holds", "size", "copies", "read B/cyc", "write B/cyc", "pJ/bit rd"), 2,
                         _memory_rows(summary)))
    dram = summary["dram"]
    console.print(
        f"DRAM: {_num(dram['bandwidth_gb_per_s'])} GB/s = {_num(dram['bytes_per_cycle'])} B/cycle, "
        f"latency {dram['latency_cycles']} cycles, {dram['pj_per_bit']:.4g} pJ/bit",
        markup=False,
    )
    return buffer.getvalue()
