"""``qcosim report`` and the ``--report`` shortcuts: files written, paths printed, bad input in one line."""

import json

import pytest

from qcosim.cli import main


def run(capsys, *argv):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_report_compares_saved_runs(tmp_path, capsys, runs):
    paths = []
    for result in runs:
        path = tmp_path / f"{result.policy}.json"
        path.write_text(result.model_dump_json())
        paths.append(path)
    code, out, err = run(capsys, "report", *paths, "-o", tmp_path / "report")
    assert code == 0 and err == ""
    assert out == f"report: {tmp_path / 'report' / 'report.html'} (also report.md, 10 CSV tables, tables.json)\n"
    tables = json.loads((tmp_path / "report" / "tables.json").read_text())
    assert [row["run"] for row in tables["comparison"]["rows"]] == ["w8a8 on bitfusion", "w4a8 on bitfusion"]


def test_bad_inputs_exit_2_with_one_line(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not a result")
    code, out, err = run(capsys, "report", tmp_path / "notes.txt", "-o", tmp_path / "r")
    assert code == 2 and out == ""
    assert err == (f"error: {tmp_path / 'notes.txt'}: not a qcosim result: not JSON (Expecting value at line 1); "
                   "expected a `qcosim simulate --json` or `qcosim search --json` file, or a sweep store\n")
    code, _, err = run(capsys, "report", tmp_path / "absent.json", "-o", tmp_path / "r")
    assert code == 2 and err == f"error: {tmp_path / 'absent.json'}: no such file\n"
    assert not (tmp_path / "r").exists()


def test_simulate_report_keeps_json_on_stdout(tmp_path, capsys, tiny_cnn):
    code, out, err = run(capsys, "simulate", tiny_cnn, "--hw", "bitfusion", "--quant", "w4a8", "--json",
                         "--report", tmp_path / "run")
    assert code == 0 and err.startswith("report: ")
    result = json.loads(out)
    tables = json.loads((tmp_path / "run" / "tables.json").read_text())
    headline = {row["quantity"]: row["value"] for row in tables["headline"]["rows"]}
    assert headline["latency"] == result["totals"]["latency_s"] * 1e3
    assert headline["cycles"] == result["totals"]["cycles"]
    assert "hardware_peaks" in tables  # the accelerator's datasheet is in the report


def test_search_and_sweep_report_shortcuts(tmp_path, capsys, tiny_cnn, sweep_spec):
    code, _, err = run(capsys, "search", tiny_cnn, "--hw", "bitfusion", "--candidates", "w2a8,w4a8,w8a8",
                       "--budget", "latency=range:0.5", "--free-first-last", "--report", tmp_path / "search")
    assert code == 0 and err.startswith("report: ")
    assert "search_pareto" in json.loads((tmp_path / "search" / "tables.json").read_text())
    code, out, err = run(capsys, "sweep", sweep_spec, "-o", tmp_path / "sweep", "--executor", "serial",
                         "--report", tmp_path / "sweep-report")
    assert code == 0 and "8 points" in out and err.startswith("report: ")
    rows = json.loads((tmp_path / "sweep-report" / "tables.json").read_text())["points"]["rows"]
    assert len(rows) == 8 and {row["policy"] for row in rows} == {"w4a8", "w8a8"}
