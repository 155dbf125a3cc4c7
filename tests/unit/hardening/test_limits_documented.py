"""The README's Limits table states the limits the code enforces."""

from __future__ import annotations

import re
from pathlib import Path

from hwmodels.validation import HARDWARE_LIMITS, MAX_MAGNITUDE
from qcosim.api import MAX_STREAM
from vocabulary import documents
from workloads import limits, onnx_checks, policy

README = (Path(__file__).parents[3] / "README.md").read_text()
TABLE = README[README.index("## Limits"):README.index("## Layout")]


def _row(first_cell: str) -> str:
    row = next(line for line in TABLE.splitlines() if line.startswith(f"| {first_cell}"))
    return row.split("|")[2].strip()


def _number(text: str) -> float:
    text = text.replace(",", "").replace(" MiB", "")
    match = re.fullmatch(r"(\d+)\^(\d+)", text)
    return int(match[1]) ** int(match[2]) if match else float(text)


def test_document_limits_match():
    assert _number(_row("an input file")) * 2**20 == documents.MAX_FILE_BYTES
    assert _row("nesting") == f"{documents.MAX_DEPTH} levels"
    assert _number(_row("values once YAML aliases")) == documents.MAX_NODES
    assert _number(_row("digits of an integer")) == documents.MAX_INT_DIGITS


def test_hardware_limits_match():
    assert _number(_row("`clock_ghz`")) == HARDWARE_LIMITS["clock_ghz"]
    assert [_number(x) for x in _row("`technology_nm` / `vdd_v`").split(" / ")] == [
        HARDWARE_LIMITS["technology_nm"], HARDWARE_LIMITS["vdd_v"]]
    assert [_number(x.split()[0]) for x in _row("engines / their").split(" / ")] == [
        HARDWARE_LIMITS["engines"], HARDWARE_LIMITS["engines[].rows"]]
    assert [_number(x) for x in _row("memory levels").split(" / ")] == [
        HARDWARE_LIMITS[k] for k in ("memory", "memory[].size_bytes", "memory[].instances", "memory[].word_bits")]
    assert [_number(x) for x in _row("`dram.channels`").split(" / ")] == [
        HARDWARE_LIMITS["dram.channels"], HARDWARE_LIMITS["dram.latency_ns"]]
    assert _number(_row("`vector_unit.lanes`")) == HARDWARE_LIMITS["vector_unit.lanes"]
    assert _number(_row("any other number").split()[0]) == MAX_MAGNITUDE


def test_workload_and_option_limits_match():
    assert _number(_row("layers in a workload")) == limits.MAX_LAYERS
    assert _number(_row("a loop dimension")) == limits.MAX_DIM
    assert _number(_row("elements of one layer")) == limits.MAX_TENSOR_ELEMENTS
    assert _number(_row("MACs")) == limits.MAX_LAYER_MACS
    assert _number(_row("`ops_per_output`").split(",")[0]) == limits.MAX_OPS_PER_OUTPUT
    shorthand, group = _row("a policy shorthand").split(" / ")
    assert (_number(shorthand.split()[0]), _number(group.split()[0])) == (
        policy.MAX_SHORTHAND_CHARS, policy.MAX_GROUP_SIZE)
    assert _row("`--stream`") == f"1-{MAX_STREAM} copies"
    assert [_number(x) for x in _row("ONNX nodes").split(" / ")] == [
        onnx_checks.MAX_ONNX_NODES, onnx_checks.MAX_ONNX_VALUES, onnx_checks.MAX_NODE_PORTS]
    assert _number(_row("elements an ONNX")) == onnx_checks.MAX_INITIALIZER_ELEMENTS
