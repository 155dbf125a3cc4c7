"""User cost tables: read in file order with ties and pins; every bad input is one line naming file, line, column."""

import doctest

import pytest

import analysis.table
from analysis.errors import AnalysisError, CostTableError
from analysis.search import parse_budget, search
from analysis.table import read_cost_table

GOOD = """\
# measured on the lab board
layer,quant,latency_ms,energy_uj,sensitivity,tie,pin
conv1,w8a8,0.20,30,0.0,,1
conv1,w4a8,0.12,18,0.4,,

res.conv3,W8A8,0.10,15,0.0,res1,
res.conv3,w4a8,0.06,9,0.2,res1,
res.down,w8a8,0.05,8,0.0,res1,
res.down,w4a8,0.03,5,0.1,,
fc,w8a8,0.02,3,0.0,,
fc,w4a8,0.01,2,0.3,,
"""


def write(tmp_path, text, name="costs.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_table_keeps_file_order_ties_and_pins(tmp_path):
    layers = read_cost_table(write(tmp_path, GOOD))
    assert [layer.layer for layer in layers] == ["conv1", "res.conv3", "res.down", "fc"]
    assert [o.quant for o in layers[1].options] == ["w8a8", "w4a8"]  # shorthands in lower case
    assert layers[0].pinned == "w8a8" and layers[1].pinned is None
    assert [layer.tie for layer in layers] == [None, "res1", "res1", None]  # a blank after a tie keeps it
    assert layers[2].options[1].costs == {"latency_ms": 0.03, "energy_uj": 5.0}


def test_table_mode_searches_without_a_model(tmp_path):
    layers = read_cost_table(write(tmp_path, GOOD))
    result = search(layers, [parse_budget("latency=0.32ms", layers)])
    # conv1 stays pinned; the tied pair moves together (0.09 ms for 0.3) rather than fc alone (0.01 for 0.3).
    assert result.best.assignment == {"conv1": "w8a8", "res.conv3": "w4a8", "res.down": "w4a8", "fc": "w8a8"}
    assert result.best.totals["latency_ms"] == pytest.approx(0.31)


HEADER = "layer,quant,latency_ms,sensitivity\n"


@pytest.mark.parametrize("text, message", [
    ("", "costs.csv: empty: no header row (columns layer, quant, sensitivity and costs)"),
    (HEADER, "costs.csv: no rows after the header"),
    ("layer,quant,latency_ms\nconv1,w8a8,1\n",
     "costs.csv:1: missing column(s) 'sensitivity' (a cost table has layer, quant, sensitivity and cost "
     "columns such as latency_ms)"),
    ("layer,quant,sensitivity,tie\nconv1,w8a8,0,\n",
     "costs.csv:1: no cost column (add e.g. latency_ms, energy_uj, size_bytes or bops)"),
    ("layer,quant,latency_ms,Latency_MS,sensitivity\n", "costs.csv:1: column 'latency_ms' appears twice"),
    ("layer,quant,,sensitivity\n", "costs.csv:1: column 3 has no name"),
    (HEADER + "conv1,w8a8,fast,0\n",
     "costs.csv:2: column 'latency_ms': 'fast' is not a number (every column but layer, quant, sensitivity, "
     "tie, pin is a cost)"),
    (HEADER + "conv1,w8a8,1,0\nconv1,w4a8,,0\n",
     "costs.csv:3: column 'latency_ms': empty; every row needs a value (every column but layer, quant, "
     "sensitivity, tie, pin is a cost)"),
    (HEADER + "conv1,w8a8,-1,0\n", "costs.csv:2: column 'latency_ms': must be a finite number >= 0, got '-1'"),
    (HEADER + "conv1,w8a8,inf,0\n", "costs.csv:2: column 'latency_ms': must be a finite number >= 0, got 'inf'"),
    (HEADER + "conv1,w8a8,1,-0.5\n", "costs.csv:2: column 'sensitivity': must be a finite number >= 0, got '-0.5'"),
    (HEADER + "conv1,w8a8,1,x\n", "costs.csv:2: column 'sensitivity': 'x' is not a number"),
    (HEADER + "conv1,w8a8,1\n", "costs.csv:2: 3 fields, the header has 4"),
    (HEADER + ",w8a8,1,0\n", "costs.csv:2: column 'layer': empty"),
    (HEADER + "conv1,,1,0\n", "costs.csv:2: column 'quant': empty"),
    (HEADER + "conv1,w9a8,1,0\n",
     "costs.csv:2: column 'quant': policy 'w9a8': integer width must be 1-8 (use i9 for a 9-bit integer)"),
    (HEADER + "conv1,w4a8-fl8,1,0\n",
     "costs.csv:2: column 'quant': 'w4a8-fl8' is a whole-network policy, not a layer's format"),
    (HEADER + "conv1,w8a8,1,0\nfc,w8a8,1,0\nconv1,W8A8,2,0\n",
     "costs.csv:4: column 'quant': layer 'conv1' has 'w8a8' already on line 2"),
])
def test_bad_tables_are_one_line_errors(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(CostTableError) as info:
        read_cost_table(path)
    assert str(info.value) == message.replace("costs.csv", str(path), 1)
    assert isinstance(info.value, AnalysisError)


TIES = "layer,quant,latency_ms,sensitivity,tie,pin\n"


@pytest.mark.parametrize("rows, message", [
    ("a,w8a8,1,0,r,\na,w4a8,1,0,r,\nb,w8a8,1,0,r,\n",
     "costs.csv:3: column 'tie': layer 'a' has quant 'w4a8' but 'b', tied to it by tie 'r', has no row for it"),
    ("a,w8a8,1,0,r,\nb,w8a8,1,0,r,\nb,w2a8,1,0,r,\n",
     "costs.csv:4: column 'tie': layer 'b' has quant 'w2a8' but 'a', tied to it by tie 'r', has no row for it"),
    ("a,w8a8,1,0,r,\na,w4a8,1,0,s,\n", "costs.csv:3: column 'tie': layer 'a' has tie 'r' on line 2, 's' here"),
    ("a,w8a8,1,0,,1\na,w4a8,1,0,,yes\n", "costs.csv:3: column 'pin': layer 'a' is already pinned to 'w8a8' on line 2"),
    ("a,w8a8,1,0,,maybe\n", "costs.csv:2: column 'pin': 'maybe' is not 1 or 0 (or true/false, yes/no)"),
    ("a,w8a8,1,0,r,1\na,w4a8,1,0,r,\nb,w8a8,1,0,r,\nb,w4a8,1,0,r,true\n",
     "costs.csv:5: column 'pin': layer 'b' is pinned to 'w4a8' but 'a', tied to it by tie 'r', to 'w8a8'"),
])
def test_ties_and_pins_that_contradict(tmp_path, rows, message):
    path = write(tmp_path, TIES + rows)
    with pytest.raises(CostTableError) as info:
        read_cost_table(path)
    assert str(info.value) == message.replace("costs.csv", str(path), 1)


def test_unreadable_files(tmp_path):
    with pytest.raises(CostTableError, match=r"missing.csv: cannot read the cost table: No such file"):
        read_cost_table(tmp_path / "missing.csv")
    binary = tmp_path / "costs.csv"
    binary.write_bytes(b"layer,quant\n\xff\xfe\x00")
    with pytest.raises(CostTableError, match=r"costs.csv: not a CSV text file"):
        read_cost_table(binary)


def test_excel_bom_and_header_case(tmp_path):
    path = tmp_path / "costs.csv"
    path.write_bytes("\ufeffLayer,Quant,BOPS,Sensitivity\nfc,w8a8,64,0\n".encode())
    assert read_cost_table(path)[0].options[0].costs == {"bops": 64.0}


def test_docstring_examples_run():
    assert doctest.testmod(analysis.table, optionflags=doctest.ELLIPSIS).failed == 0
