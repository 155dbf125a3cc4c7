"""Tiny accelerators whose cycle counts can be derived by hand."""

import math

import pytest

from hwmodels import parse_hardware


def tiny_hw(dataflow="weight_stationary", *, dram_bytes_per_cycle=math.inf, latency_ns=0.0,
            buffer_bytes=1 << 20, double_buffered=False, precision=None, rows=4, cols=4, engines=None):
    """A rows x cols int8 array at 1 GHz (1 cycle = 1 ns) with one buffer per operand."""
    engine = {"name": "pe", "rows": rows, "cols": cols, "dataflow": dataflow,
              "precision": precision or {"kind": "fixed", "native_bits": 8}}
    memory = [
        {"name": f"{op}_buf", "size_bytes": buffer_bytes, "operands": [op], "double_buffered": double_buffered}
        for op in ("weights", "inputs", "outputs")
    ]
    return parse_hardware({
        "name": "tiny", "clock_ghz": 1.0, "engines": engines or [engine], "memory": memory,
        "vector_unit": {"lanes": 4, "lane_ops_per_cycle": {"int32": 1, "fp32": 1}},
        "dram": {"bandwidth_gb_per_s": dram_bytes_per_cycle, "latency_ns": latency_ns},
    })


def unified_hw():
    """A 4 x 4 int8 array; weights in their own 1 MiB buffer, activations in one 64 KiB unified buffer (TPU-style)."""
    return parse_hardware({
        "name": "unified", "clock_ghz": 1.0,
        "engines": [{"name": "pe", "rows": 4, "cols": 4, "precision": {"kind": "fixed", "native_bits": 8}}],
        "memory": [{"name": "wbuf", "size_bytes": 1 << 20, "operands": ["weights"]},
                   {"name": "ubuf", "size_bytes": 1 << 16, "operands": ["inputs", "outputs"]}],
        "dram": {"bandwidth_gb_per_s": 16},
    })


@pytest.fixture
def tiny():
    return tiny_hw
