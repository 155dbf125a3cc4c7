"""Co-design end to end: a real SIGKILL loses and recomputes nothing, Dask equals local, the CLI answers."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from html import escape
from pathlib import Path

import pytest

from analysis.codesign import codesign_report, run_codesign
from analysis.codesign_spec import sqnr_db
from analysis.runner import STORE_NAME
from qcosim.cli import main

QCOSIM = str(Path(sys.executable).parent / "qcosim")

SPEC = """\
schema_version: "1"
name: codesign-kill-test
workloads:
  - {name: resnet18}
hardware:
  base: bitfusion
  vary:
    engines[0].rows: [8, 16, 32, 64]
    engines[0].cols: [16, 32, 64, 128]
    memory[0].size_bytes: [16KiB, 32KiB, 64KiB, 128KiB]
sampling: {method: grid}
search:
  candidates: [w2a8, w4a8, w8a8]
  budgets: {accuracy: sqnr>=15dB}
"""
POINTS = 4 * 4 * 4


def stored(store: Path) -> tuple[dict[str, float], dict[str, int]]:
    """key -> seconds of every stored point, and key -> its number of plans, read with plain sqlite3."""
    if not store.exists():
        return {}, {}
    with sqlite3.connect(store) as conn:
        try:
            seconds = dict(conn.execute("SELECT key, seconds FROM points").fetchall())
            plans = dict(conn.execute("SELECT key, COUNT(*) FROM plans GROUP BY key").fetchall())
        except sqlite3.OperationalError:  # not created yet
            return {}, {}
    return seconds, plans


@pytest.mark.slow
def test_sigkill_mid_codesign_then_resume_loses_and_recomputes_nothing(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    out, store = tmp_path / "out", tmp_path / "out" / STORE_NAME
    driver = subprocess.Popen([QCOSIM, "codesign", str(spec), "-o", str(out), "--workers", "2"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 180
    while len(stored(store)[0]) < POINTS // 4 and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert driver.poll() is None, "the co-design finished before it could be killed: make it longer"
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and its workers, with no chance to clean up
    driver.wait()
    before, plans_before = stored(store)
    assert POINTS // 4 <= len(before) < POINTS
    assert set(plans_before) == set(before)  # a point and its plans are committed together

    done = subprocess.run([QCOSIM, "codesign", str(spec), "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 2 and "rerun with --resume to continue it" in done.stderr

    done = subprocess.run([QCOSIM, "codesign", str(spec), "-o", str(out), "--resume", "--workers", "2"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"{POINTS} accelerators ({POINTS - len(before)} searched" in done.stdout
    assert f"{len(before)} from the store, 0 failed" in done.stdout
    after, plans_after = stored(store)
    assert len(after) == POINTS and set(plans_after) == set(after)
    assert {key: after[key] for key in before} == before  # nothing finished was rewritten
    assert {key: plans_after[key] for key in before} == plans_before


def _table(store: Path, query: str) -> list[tuple]:
    with sqlite3.connect(store) as conn:
        return sorted(conn.execute(query).fetchall())


def test_dask_local_cluster_gives_the_local_results_and_front(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("[8, 16, 32, 64]", "[16, 32]").replace("[16, 32, 64, 128]", "[32]")
                    .replace("[16KiB, 32KiB, 64KiB, 128KiB]", "[32KiB, 128KiB]"))
    local = run_codesign(spec, tmp_path / "local", executor="local", workers=2)
    dask = run_codesign(spec, tmp_path / "dask", executor="dask", workers=2)
    assert (local.points, local.computed, dask.computed) == (4, 4, 4)
    for query in ("SELECT key, status, latency_s, energy_pj, area_mm2 FROM points",
                  "SELECT key, position, kind, label, quants, latency_ms, energy_uj, sensitivity, meets FROM plans"):
        assert _table(tmp_path / "dask" / STORE_NAME, query) == _table(tmp_path / "local" / STORE_NAME, query)
    assert codesign_report(spec, tmp_path / "dask") == codesign_report(spec, tmp_path / "local")
    again = run_codesign(spec, tmp_path / "local", executor="serial")
    assert (again.computed, again.cached) == (0, 4)  # a finished co-design is served from its store


def test_the_cli_answers_and_writes_its_report(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("[8, 16, 32, 64]", "[16, 32]").replace("[16, 32, 64, 128]", "[32]")
                    .replace("[16KiB, 32KiB, 64KiB, 128KiB]", "[64KiB]"))
    with pytest.raises(SystemExit) as info:
        main(["codesign", str(spec), "-o", str(tmp_path / "out"), "--executor", "serial"])
    assert info.value.code == 0
    printed = capsys.readouterr().out
    assert "2 accelerators (2 searched" in printed and "heuristic (no weights read)" in printed
    report = json.loads((tmp_path / "out" / "codesign.json").read_text())
    front, answer = report["fronts"][0], report["answers"][0]
    assert answer["sentence"].startswith("resnet18 (accuracy sqnr>=15dB): fastest on engines[0].rows=")
    assert answer["sentence"] in " ".join(printed.split())
    assert answer["point"] == front["points"][0]
    for point in front["points"]:  # every front point meets the accuracy budget and names every weight layer
        assert sqnr_db(point["figures"]["sensitivity"]) >= 15 and point["sqnr_db"] >= 15
        assert len(point["assignment"]) == 21 and sum(point["formats"].values()) == 21
        assert point["assignment"]["conv1"] == point["assignment"]["fc"] == "w8a8"  # pinned
    html = (tmp_path / "out" / "report" / "report.html").read_text()
    assert escape(answer["sentence"]) in html and "data:image/svg+xml" in html  # the answer, the formats heat map
    table = (tmp_path / "out" / "report" / "tables" / "codesign_front_1.csv").read_text().splitlines()
    assert len(table) == 1 + len(front["points"])
    csv_lines = (tmp_path / "out" / "front.csv").read_text().splitlines()
    assert len(csv_lines) == 1 + len(front["points"])
    assert csv_lines[0].startswith("workload,key,engines[0].rows,engines[0].cols,memory[0].size_bytes,latency_ms")


def test_a_sweep_spec_without_a_search_section_is_refused_in_one_line(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.split("search:")[0] + "policies: [w8a8]\n")
    with pytest.raises(SystemExit) as info:
        main(["codesign", str(spec), "-o", str(tmp_path / "out")])
    assert info.value.code == 2
    assert capsys.readouterr().err == (f"error: {spec}: has no search section: a sweep of fixed policies runs with "
                                       "qcosim sweep\n")
    assert not (tmp_path / "out").exists()


def test_the_demo_question_is_answered_afresh_with_its_report(tmp_path):
    from rich.console import Console

    from qcosim.cli_codesign import DEMO_QUESTION, demo_question

    for _ in range(2):  # a second demo asks again instead of refusing the first one's store
        console = Console(record=True, width=300)
        demo_question(console, tmp_path / "demo")
        text = " ".join(console.export_text().split())
    assert f"Co-design: {DEMO_QUESTION}" in text
    assert "resnet18 (accuracy sqnr>=15dB): fastest on engines[0].rows=" in text
    assert "Simulated end to end:" in text
    report = json.loads((tmp_path / "demo" / "codesign.json").read_text())
    (answer,) = report["answers"]
    assert answer["sentence"] in text
    assert answer["point"]["figures"]["area_mm2"] <= 3 and answer["point"]["sqnr_db"] >= 15
    # Every plan of the answer's accelerator is one the search could pick, so no uniform one is faster.
    assert answer["point"]["uniform_on_hardware"]["gain"] >= 1 and answer["point"]["hardware_for_uniform"]["gain"] >= 1
    assert (tmp_path / "demo" / "front.csv").is_file()


def test_budgets_no_plan_meets_are_stored_as_failures_with_their_reason(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("[8, 16, 32, 64]", "[32]").replace("[16, 32, 64, 128]", "[32]")
                    .replace("[16KiB, 32KiB, 64KiB, 128KiB]", "[64KiB]").replace("sqnr>=15dB", "sqnr>=60dB"))
    with pytest.raises(SystemExit) as info:
        main(["codesign", str(spec), "-o", str(tmp_path / "out"), "--executor", "serial"])
    assert info.value.code == 0
    printed = " ".join(capsys.readouterr().out.split())
    # The heuristic proxy of w8a8 is 2 x 2^-16 per weight layer: 21 layers sum to 6.4e-4, SQNR 31.9 dB < 60 dB.
    assert ("no accelerator has a plan within the budgets: no plan meets the budgets: budget accuracy: sqnr>=60dB "
            "cannot be met: even the cheapest candidate of every layer") in printed
    assert "totals accuracy = 0.000640869" in printed
