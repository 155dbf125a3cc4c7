"""Sweeps end to end: a real SIGKILL mid-sweep loses nothing and recomputes nothing; Dask equals local."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis.errors import AnalysisError
from analysis.runner import STORE_NAME, read_rows, run_sweep
from qcosim.cli import main

ROOT = Path(__file__).parents[2]
QCOSIM = str(Path(sys.executable).parent / "qcosim")

SPEC = """\
schema_version: "1"
name: kill-test
workloads:
  - {name: resnet18}
policies: [w8a8, w4a4]
hardware:
  base: edge-npu
  vary:
    engines[0].rows: [8, 16, 32, 64]
    engines[0].cols: [8, 16, 32, 64]
    memory[2].size_bytes: [64KiB, 128KiB, 256KiB, 512KiB]
    dram.bandwidth_gb_per_s: [4, 8, 17, 34]
sampling: {method: grid}
"""
POINTS = 2 * 4 * 4 * 4 * 4  # policies x rows x cols x act_sram sizes x bandwidths


def stored(store: Path) -> dict[str, float]:
    """key -> seconds of every stored point, read with plain sqlite3 (no qcosim)."""
    if not store.exists():
        return {}
    with sqlite3.connect(store) as conn:
        try:
            return dict(conn.execute("SELECT key, seconds FROM points").fetchall())
        except sqlite3.OperationalError:  # not created yet
            return {}


@pytest.mark.slow
def test_sigkill_mid_sweep_then_resume_loses_and_recomputes_nothing(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    out, store = tmp_path / "out", tmp_path / "out" / STORE_NAME
    driver = subprocess.Popen([QCOSIM, "sweep", str(spec), "-o", str(out), "--workers", "2"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(stored(store)) < POINTS // 4 and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert driver.poll() is None, "the sweep finished before it could be killed: make it longer"
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and its worker processes, with no chance to clean up
    driver.wait()
    before = stored(store)
    assert POINTS // 4 <= len(before) < POINTS

    done = subprocess.run([QCOSIM, "sweep", str(spec), "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 2 and "rerun with --resume to continue it" in done.stderr

    done = subprocess.run([QCOSIM, "sweep", str(spec), "-o", str(out), "--resume", "--workers", "2"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"{POINTS} points ({POINTS - len(before)} computed" in done.stdout
    assert f"{len(before)} from the store, 0 failed" in done.stdout
    after = stored(store)
    assert len(after) == POINTS
    assert {key: after[key] for key in before} == before  # nothing finished was rewritten


def test_a_finished_sweep_is_served_from_its_store_and_dask_agrees(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("[8, 16, 32, 64]", "[16, 32]").replace("[4, 8, 17, 34]", "[8]")
                    .replace("[64KiB, 128KiB, 256KiB, 512KiB]", "[128KiB]"))
    local = run_sweep(spec, tmp_path / "local", executor="local", workers=2)
    assert (local.points, local.computed, local.cached) == (8, 8, 0)
    again = run_sweep(spec, tmp_path / "local", executor="serial")
    assert (again.computed, again.cached) == (0, 8)
    dask = run_sweep(spec, tmp_path / "dask", executor="dask", workers=2)
    assert dask.computed == 8
    by_key = {row.key: row for row in read_rows(tmp_path / "local")}
    for row in read_rows(tmp_path / "dask"):
        assert row.metrics == by_key[row.key].metrics and row.values == by_key[row.key].values


def test_a_point_the_hardware_cannot_run_is_stored_with_its_reason(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("[w8a8, w4a4]", "[w8a8, fp16]").replace("[8, 16, 32, 64]", "[32]")
                    .replace("[4, 8, 17, 34]", "[17]").replace("[64KiB, 128KiB, 256KiB, 512KiB]", "[256KiB]"))
    with pytest.raises(SystemExit) as info:
        main(["sweep", str(spec), "-o", str(tmp_path / "out"), "--executor", "serial"])
    assert info.value.code == 0
    assert "2 points (2 computed" in capsys.readouterr().out
    rows = {row.policy: row for row in read_rows(tmp_path / "out")}
    assert rows["w8a8"].status == "ok"
    assert rows["fp16"].status == "failed"
    with sqlite3.connect(tmp_path / "out" / STORE_NAME) as conn:
        (error,) = conn.execute("SELECT error FROM points WHERE status = 'failed'").fetchone()
    assert error == ("layer 'conv1': engine 'pe_array' cannot run weights=fp16, activations=fp16: no supported "
                     "format holds them (supported: int8/int8, int4/int8, int4/int4)")


def test_pareto_cli_reads_the_store(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("[4, 8, 17, 34]", "[17]").replace("[64KiB, 128KiB, 256KiB, 512KiB]", "[256KiB]")
                    .replace("[8, 16, 32, 64]", "[16, 32]"))
    run_sweep(spec, tmp_path / "out", executor="serial")
    with pytest.raises(SystemExit) as info:
        main(["pareto", str(tmp_path / "out"), "--objectives", "latency,area", "--json"])
    assert info.value.code == 0
    front = json.loads(capsys.readouterr().out)
    assert front["considered"] == 8 and front["metrics"] == ["latency_s", "area_mm2"]
    latencies = [p["objectives"]["latency"] for p in front["points"]]
    areas = [p["objectives"]["area"] for p in front["points"]]
    assert latencies == sorted(latencies) and areas == sorted(areas, reverse=True)  # a trade-off, both ways
    assert front["knee"] in {p["key"] for p in front["points"]}
    with pytest.raises(SystemExit):
        main(["pareto", str(tmp_path / "out"), "--objectives", "latency,area", "--csv"])
    assert capsys.readouterr().out.splitlines()[0] == (
        "key,rank,workload,policy,dram.bandwidth_gb_per_s,engines[0].cols,engines[0].rows,memory[2].size_bytes,"
        "latency_s,area_mm2,knee")


def test_schema_sweep_is_the_committed_schema(capsys):
    with pytest.raises(SystemExit) as info:
        main(["schema", "sweep"])
    assert info.value.code == 0
    assert json.loads(capsys.readouterr().out) == json.loads((ROOT / "schemas" / "sweep.json").read_text())


def test_resume_without_a_store_is_one_line(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    with pytest.raises(AnalysisError, match="nothing to resume: no results store here"):
        run_sweep(spec, tmp_path / "none", resume=True)


def test_per_layer_detail_when_the_spec_keeps_layers(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("[8, 16, 32, 64]", "[32]").replace("[4, 8, 17, 34]", "[17]")
                    .replace("[64KiB, 128KiB, 256KiB, 512KiB]", "[256KiB]").replace("[w8a8, w4a4]", "[w8a8]")
                    + "options: {keep_layers: true}\n")
    run_sweep(spec, tmp_path / "out", executor="serial")
    with sqlite3.connect(tmp_path / "out" / STORE_NAME) as conn:
        (key, cycles), = conn.execute("SELECT key, cycles FROM points").fetchall()
        layers = conn.execute("SELECT name, cycles, array_cycles, fill_drain_cycles, vector_cycles, "
                              "buffer_port_cycles, dram_stall_cycles FROM layers WHERE key = ? ORDER BY position",
                              (key,)).fetchall()
    # ResNet-18 fused (He et al. 2016): 20 convolutions (stem, 16 in blocks, 3 downsamples) and the fc,
    # plus max-pool, average pool and 8 residual adds.
    assert len(layers) == 31 and layers[0][0] == "conv1" and layers[-1][0] == "fc"
    assert all(row[1] == sum(row[2:]) for row in layers)  # each layer's causes add up
    assert sum(row[1] for row in layers) == cycles  # one engine, layers back to back


SMALL = SPEC.replace("[8, 16, 32, 64]", "[16, 32]").replace("[4, 8, 17, 34]", "[17]").replace(
    "[64KiB, 128KiB, 256KiB, 512KiB]", "[256KiB]")


def test_a_store_whose_points_the_spec_no_longer_makes_is_refused(tmp_path):
    # The workload file is part of every point's key: edit it and the stored points are stale.
    net = tmp_path / "net.yaml"
    net.write_text((ROOT / "examples" / "tiny-cnn.yaml").read_text())
    spec = tmp_path / "spec.yaml"
    spec.write_text(SMALL.replace("{name: resnet18}", "{name: net.yaml}"))
    run_sweep(spec, tmp_path / "out", executor="serial")
    net.write_text(net.read_text().replace("k: 10", "k: 100"))
    with pytest.raises(AnalysisError, match="8 stored points are not points of this spec any more"):
        run_sweep(spec, tmp_path / "out", executor="serial")


def test_a_front_is_for_one_workload(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SMALL.replace("[w8a8, w4a4]", "[w8a8]").replace(
        "  - {name: resnet18}", "  - {name: resnet18}\n  - {name: mobilenet_v2}"))
    run_sweep(spec, tmp_path / "out", executor="serial")
    with pytest.raises(SystemExit) as info:
        main(["pareto", str(tmp_path / "out"), "--objectives", "latency,area"])
    assert info.value.code == 2
    assert capsys.readouterr().err == ("error: pareto: the store holds 2 workloads (mobilenet_v2, resnet18); a "
                                       "front compares designs for one: choose it with --workload\n")
    with pytest.raises(SystemExit) as info:
        main(["pareto", str(tmp_path / "out"), "--objectives", "latency,area", "--workload", "resnet18", "--json"])
    assert info.value.code == 0
    assert {p["workload"] for p in json.loads(capsys.readouterr().out)["points"]} == {"resnet18"}


@pytest.mark.parametrize(("argv", "message"), [
    (["--dask-local", "0"], "error: --workers: must be >= 1 (got 0)\n"),
    (["--executor", "threads"], "error: --executor: unknown executor 'threads' (choose serial, local or dask)\n"),
])
def test_bad_executor_options_are_refused_before_anything_is_written(tmp_path, capsys, argv, message):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SMALL)
    with pytest.raises(SystemExit) as info:
        main(["sweep", str(spec), "-o", str(tmp_path / "out"), *argv])
    assert info.value.code == 2 and capsys.readouterr().err == message
    assert not (tmp_path / "out").exists()


def test_a_sweep_whose_every_point_breaks_a_constraint_is_an_error(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SMALL + "constraints: [area_mm2 <= 0.001]\n")
    with pytest.raises(AnalysisError, match=r"every point breaks a constraint \(8 rejected\)"):
        run_sweep(spec, tmp_path / "out", executor="serial")
