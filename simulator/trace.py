"""Chrome trace-event export of a result's timeline, for Perfetto and chrome://tracing.

The logic analyzer's view of a run: one track per engine, per vector unit and
per DRAM channel, one span per load, compute or store of a layer's tile
group. A discrete-event result carries that timeline; an analytical one has
none, so each layer becomes one span on its engine from its start cycle.
Times are converted from cycles to microseconds (the format's unit) at the
result's clock.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from simulator.results import SimResult, TraceEvent

__all__ = ["chrome_trace", "write_chrome_trace"]

_PID = 1
_DRAM = re.compile(r"dram\[(\d+)\]")


def _spans(result: SimResult) -> list[TraceEvent]:
    """The result's timeline, or one span per layer when it has none (analytical fidelity)."""
    if result.timeline:
        return result.timeline
    return [
        TraceEvent(cycle=layer.start_cycle, duration_cycles=layer.cycles, unit=layer.mapping.engine,
                   layer=layer.name, kind="vector" if layer.mapping.dataflow == "vector" else "compute")
        for layer in result.layers
        if layer.cycles > 0
    ]


def _unit_order(unit: str, first_seen: int) -> tuple:
    """Engines in order of first use, then the vector unit, then DRAM channels by number."""
    match = _DRAM.fullmatch(unit)
    if match:
        return (2, int(match.group(1)))
    return (1 if unit == "vector_unit" else 0, first_seen)


def _thread_ids(spans: list[TraceEvent]) -> dict[str, int]:
    seen: dict[str, int] = {}
    for span in spans:
        seen.setdefault(span.unit, len(seen))
    ordered = sorted(seen, key=lambda unit: _unit_order(unit, seen[unit]))
    return {unit: tid for tid, unit in enumerate(ordered, start=1)}


def _metadata(result: SimResult, tids: dict[str, int]) -> list[dict]:
    process = f"{result.hardware}: {result.workload}" + (f" ({result.policy})" if result.policy else "")
    events = [{"ph": "M", "name": "process_name", "pid": _PID, "tid": 0, "args": {"name": process}}]
    for unit, tid in tids.items():
        events.append({"ph": "M", "name": "thread_name", "pid": _PID, "tid": tid, "args": {"name": unit}})
        events.append({"ph": "M", "name": "thread_sort_index", "pid": _PID, "tid": tid,
                       "args": {"sort_index": tid}})
    return events


def chrome_trace(result: SimResult) -> dict:
    """The result's timeline as a Chrome trace-event JSON object.

    Parameters
    ----------
    result : SimResult
        A discrete-event result (its timeline), or an analytical one (one span per layer).

    Returns
    -------
    dict
        ``{"traceEvents": [...], "displayTimeUnit": "ns", "otherData": {...}}``:
        a ``thread_name`` metadata event per unit, then complete events
        (``ph: "X"``) named after the layer, ``cat`` the kind (load, compute,
        store, vector), ``ts``/``dur`` in microseconds, ``args`` the bits moved
        and the start cycle; sorted by track, then time.

    Examples
    --------
    >>> from hwmodels import load_hardware
    >>> from simulator import simulate
    >>> from workloads import Layer, LayerGraph, apply_quant
    >>> graph = apply_quant(LayerGraph([Layer(name="fc", op="gemm", c=64, k=64)], name="mlp"), "w8a8")
    >>> trace = chrome_trace(simulate(graph, load_hardware("edge-npu")))
    >>> [e["args"]["name"] for e in trace["traceEvents"] if e["name"] == "thread_name"]
    ['pe_array']
    """
    spans = _spans(result)
    tids = _thread_ids(spans)
    us_per_cycle = 1e6 / result.clock_hz
    complete = [
        {"name": span.layer, "cat": span.kind, "ph": "X", "ts": span.cycle * us_per_cycle,
         "dur": span.duration_cycles * us_per_cycle, "pid": _PID, "tid": tids[span.unit],
         "args": {"bits": span.bits, "cycle": span.cycle}}
        for span in spans
    ]
    complete.sort(key=lambda event: (event["tid"], event["ts"]))
    return {
        "traceEvents": _metadata(result, tids) + complete,
        "displayTimeUnit": "ns",
        "otherData": {
            "workload": result.workload, "hardware": result.hardware, "policy": result.policy,
            "fidelity": result.fidelity, "clock_hz": result.clock_hz, "total_cycles": result.totals.cycles,
        },
    }


def write_chrome_trace(result: SimResult, path: str | Path) -> Path:
    """Write `chrome_trace` of ``result`` as JSON to ``path`` (parent folders created); return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(chrome_trace(result)))
    return out
