"""Edge cases an independent review found in sampling, trace files, budgets and the search command."""

from collections import Counter

import pytest

from analysis.budgets import parse_budget
from analysis.errors import AnalysisError, BudgetError
from analysis.sweep_sampling import Axis
from analysis.table import read_cost_table
from analysis.traces import read_traces
from qcosim.cli import main


def test_every_integer_of_a_range_is_equally_likely():
    axis = Axis("engines[0].rows", low=1, high=3, integer=True)
    draws = Counter(axis.at((i + 0.5) / 300) for i in range(300))  # evenly spread unit draws
    assert draws == {1: 100, 2: 100, 3: 100}  # rounding gave the two ends half the share


def test_integer_grid_values_stay_inside_the_range():
    assert Axis("engines[0].rows", low=8.5, high=64.2, steps=3, integer=True).grid_values() == [9, 36, 64]


def test_a_traces_file_from_a_spreadsheet_is_read(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeffLayer,Trace\nfc,4\n".encode())  # Excel's byte-order mark, capitalized header
    assert read_traces(path, "mlp", ["fc"]) == {"fc": (4.0, None)}


@pytest.mark.parametrize(("content", "message"), [
    (b"layer,trace\nfc,4,5\n", "t.csv:2: 3 fields, the header has 2"),
    (b"\xff\xfe\x00", "t.csv: not a CSV text file"),
])
def test_bad_traces_files_are_one_line(tmp_path, content, message):
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    with pytest.raises(AnalysisError) as info:
        read_traces(path, "mlp", ["fc"])
    assert str(info.value).startswith(str(tmp_path / message))


def test_an_infinite_budget_is_refused(tmp_path):
    table = tmp_path / "c.csv"
    table.write_text("layer,quant,latency_ms,sensitivity\na,w8a8,1,0\na,w4a8,0.5,1\n")
    with pytest.raises(BudgetError) as info:
        parse_budget("latency=1e400ms", read_cost_table(table))
    assert str(info.value) == "--budget latency=1e400ms: 1e400 is not a finite number"


def test_search_with_no_plan_exits_2(tmp_path, capsys):
    table = tmp_path / "c.csv"
    table.write_text("layer,quant,latency_ms,sensitivity\na,w8a8,1,0\na,w4a8,0.5,1\n")
    with pytest.raises(SystemExit) as info:
        main(["search", "--table", str(table), "--budget", "latency=0.1ms"])
    assert info.value.code == 2
    assert capsys.readouterr().err.startswith("error: search: no plan meets the budgets: budget latency=0.1ms")
