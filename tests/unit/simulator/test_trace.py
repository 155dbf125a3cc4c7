"""Chrome trace export: valid trace-event JSON, one track per unit, times in microseconds."""

import json

import pytest

from hwmodels import load_hardware, parse_hardware
from simulator import SimOptions, simulate
from simulator.trace import chrome_trace, write_chrome_trace
from workloads import Layer, LayerGraph, Tensor, apply_quant, load_workload

DES = SimOptions(fidelity="des", record_timeline=True)


def tiny_hw(channels=1):
    """4x4 int8 array at 1 GHz, 16 B/cycle DRAM with 10 cycles of latency."""
    memory = [{"name": f"{op}_buf", "size_bytes": 65536, "operands": [op]} for op in ("weights", "inputs", "outputs")]
    return parse_hardware({
        "name": "tiny", "clock_ghz": 1.0, "memory": memory,
        "engines": [{"name": "pe", "rows": 4, "cols": 4, "precision": {"kind": "fixed", "native_bits": 8}}],
        "vector_unit": {"lanes": 4, "lane_ops_per_cycle": {"int32": 1, "int8": 1, "fp32": 1}},
        "dram": {"bandwidth_gb_per_s": 16.0, "latency_ns": 10.0, "channels": channels},
    })


def chain():
    layers = [Layer(name="fc1", op="gemm", p=16, c=16, k=16),
              Layer(name="relu", op="activation", source_op="Relu", p=16, c=16, k=16, ops_per_output=1),
              Layer(name="fc2", op="gemm", p=16, c=16, k=16)]
    edges = [("fc1", "relu", Tensor(name="h", shape=(16, 16))), ("relu", "fc2", Tensor(name="r", shape=(16, 16)))]
    return apply_quant(LayerGraph(layers, edges, name="chain"), "w8a8")


def complete_events(trace):
    return [e for e in trace["traceEvents"] if e["ph"] == "X"]


def thread_names(trace):
    return {e["tid"]: e["args"]["name"] for e in trace["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name"}


def test_des_trace_is_valid_chrome_json():
    result = simulate(chain(), tiny_hw(channels=2), DES, policy="w8a8")
    trace = json.loads(json.dumps(chrome_trace(result)))
    assert trace["displayTimeUnit"] == "ns"
    assert trace["otherData"]["total_cycles"] == result.totals.cycles
    names = thread_names(trace)
    # One track per unit, engines first, then the vector unit, then channels by number.
    assert [names[tid] for tid in sorted(names)] == ["pe", "vector_unit", "dram[0]", "dram[1]"]
    assert len(set(names.values())) == len(names)
    assert {e["args"]["name"] for e in trace["traceEvents"] if e["name"] == "process_name"} == {"tiny: chain (w8a8)"}
    events = complete_events(trace)
    assert len(events) == len(result.timeline)
    for event in events:
        assert set(event) == {"name", "cat", "ph", "ts", "dur", "pid", "tid", "args"}
        assert event["cat"] in {"load", "compute", "store", "vector"}
        assert event["pid"] == 1 and event["tid"] in names
        assert set(event["args"]) == {"bits", "cycle"}


def test_times_are_microseconds_at_the_clock():
    # fc1 at 1 GHz: its load holds the channel for 10 + ceil(4640/128) = 47 cycles, so its compute
    # starts at cycle 47 = 0.047 us.
    result = simulate(chain(), tiny_hw(), DES)
    (compute,) = [e for e in complete_events(chrome_trace(result)) if e["name"] == "fc1" and e["cat"] == "compute"]
    span = next(e for e in result.timeline if e.layer == "fc1" and e.kind == "compute")
    assert compute["ts"] == pytest.approx(span.cycle * 1e-3)
    assert compute["dur"] == pytest.approx(span.duration_cycles * 1e-3)
    assert compute["args"]["cycle"] == span.cycle == 47


def test_timestamps_increase_along_every_track():
    acc = load_hardware("tpu-v1")
    trace = chrome_trace(simulate(apply_quant(load_workload("resnet18"), "w8a8"), acc, DES))
    by_track: dict[int, list[float]] = {}
    for event in complete_events(trace):
        by_track.setdefault(event["tid"], []).append(event["ts"])
    assert set(by_track) == set(thread_names(trace))
    for stamps in by_track.values():
        assert stamps == sorted(stamps)


def test_analytical_result_gives_one_span_per_layer():
    result = simulate(chain(), tiny_hw())
    assert result.timeline == []
    trace = chrome_trace(result)
    names = thread_names(trace)
    spans = [(e["name"], names[e["tid"]], e["cat"], e["args"]["cycle"]) for e in complete_events(trace)]
    starts = {r.name: r.start_cycle for r in result.layers}
    assert sorted(spans) == sorted([("fc1", "pe", "compute", starts["fc1"]), ("fc2", "pe", "compute", starts["fc2"]),
                                    ("relu", "vector_unit", "vector", starts["relu"])])


def test_write_chrome_trace(tmp_path):
    result = simulate(chain(), tiny_hw(), DES)
    path = write_chrome_trace(result, tmp_path / "out" / "trace.json")
    assert path == tmp_path / "out" / "trace.json"
    assert json.loads(path.read_text()) == json.loads(json.dumps(chrome_trace(result)))
