"""Inputs are told apart by content, and anything else is one line naming the file."""

import shutil
import sqlite3

import pytest

from analysis.plan import SearchReport
from reports.errors import ReportError
from reports.load import SweepData, load_input
from simulator.results import SimResult


def test_kind_comes_from_content_not_extension(tmp_path, runs, search_report, sweep_dir):
    (tmp_path / "run.txt").write_text(runs[1].model_dump_json())
    (tmp_path / "plan.data").write_text(search_report.model_dump_json())
    shutil.copy(sweep_dir / "results.sqlite", tmp_path / "store.json")
    run = load_input(tmp_path / "run.txt")
    assert isinstance(run, SimResult) and run == runs[1]
    assert isinstance(load_input(tmp_path / "plan.data"), SearchReport)
    store = load_input(tmp_path / "store.json")
    assert isinstance(store, SweepData) and len(store.rows) == 8  # 2 rows x 2 buffers x 2 policies
    assert len(load_input(sweep_dir).rows) == 8  # the sweep's directory


@pytest.mark.parametrize(("content", "message"), [
    ("hello", "not a qcosim result: not JSON (Expecting value at line 1)"),
    ("[1, 2]", "not a qcosim result: a JSON list"),
    ('{"a": 1}', "not a qcosim result: a JSON object without 'totals' (simulate) or 'result' (search)"),
    ('{"totals": {}, "layers": [], "policy": "w8a8"}', "not a valid SimResult: workload: Field required"),
])
def test_bad_json_is_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "r.json"
    path.write_text(content)
    with pytest.raises(ReportError) as info:
        load_input(path)
    assert str(info.value).startswith(f"{path}: {message}")
    assert "\n" not in str(info.value)


def test_missing_foreign_and_empty_inputs(tmp_path):
    with pytest.raises(ReportError, match="no such file"):
        load_input(tmp_path / "absent.json")
    with pytest.raises(ReportError, match=r"a directory without a sweep store \(results.sqlite\)"):
        load_input(tmp_path)
    foreign = tmp_path / "other.sqlite"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(ReportError) as info:
        load_input(foreign)
    assert str(info.value).startswith(str(foreign)) and "qcosim" in str(info.value)
    (tmp_path / "blob.bin").write_bytes(b"\x00\xff\xfe")
    with pytest.raises(ReportError, match="a binary file"):
        load_input(tmp_path / "blob.bin")
