"""Results store: one SQLite file readable without qcosim, batches committed whole, nothing lost to SIGKILL,
and never a foreign, damaged or other spec's store reused."""

from __future__ import annotations

import copy
import datetime
import json
import math
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest
import yaml

from analysis.errors import AnalysisError
from analysis.points import METRICS, PointResult, SweepPoint, qcosim_version
from analysis.store import ResultsStore
from hwmodels.io import PRESET_DIR

COLUMNS = ["engines[0].rows", "dram.bandwidth_gb_per_s"]
DIGEST = "d1" * 16
EDGE_NPU = yaml.safe_load((PRESET_DIR / "edge-npu.yaml").read_text())


def _point(rows: int, bandwidth: float, policy: str = "w8a8") -> SweepPoint:
    hw = copy.deepcopy(EDGE_NPU)
    hw["engines"][0].update(rows=rows, cols=rows)
    hw["dram"]["bandwidth_gb_per_s"] = bandwidth
    return SweepPoint(workload="resnet18", policy=policy, hardware=hw,
                      values={"engines[0].rows": rows, "dram.bandwidth_gb_per_s": bandwidth})


def _ok(point: SweepPoint, scale: float = 1.0) -> PointResult:
    metrics = {metric: scale * (i + 1) for i, metric in enumerate(METRICS)}
    return PointResult(key=point.key, status="ok", metrics=metrics, seconds=0.25)


@pytest.fixture
def path(tmp_path):
    return tmp_path / "results.sqlite"


@pytest.fixture
def store(path):
    with ResultsStore.open(path, spec_digest=DIGEST, columns=COLUMNS) as opened:
        yield opened


def test_a_batch_is_stored_and_read_back_with_dotted_paths(store):
    good, bad = _point(16, 8), _point(32, 17, "fp16")
    failed = PointResult(key=bad.key, status="failed", error="layer 'conv1': engine 'pe_array' cannot run fp16")
    store.write([good, bad], [failed, _ok(good)])
    assert store.count() == {"ok": 1, "failed": 1}
    assert store.done_keys() == {good.key, bad.key}
    first, second = store.rows()
    assert first == {"key": bad.key, "status": "failed", "error": "layer 'conv1': engine 'pe_array' cannot run fp16",
                     "seconds": 0.0, "workload": "resnet18", "policy": "fp16", "engines[0].rows": 32,
                     "dram.bandwidth_gb_per_s": 17, **dict.fromkeys(METRICS)}
    assert second == {"key": good.key, "status": "ok", "error": None, "seconds": 0.25, "workload": "resnet18",
                      "policy": "w8a8", "engines[0].rows": 16, "dram.bandwidth_gb_per_s": 8,
                      "latency_s": 1.0, "cycles": 2.0, "energy_pj": 3.0, "edp_js": 4.0, "dram_bytes": 5.0,
                      "macs": 6.0, "utilization": 7.0, "area_mm2": 8.0, "sram_bytes": 9.0, "leakage_mw": 10.0,
                      "weight_bytes": 11.0}
    assert SweepPoint.model_validate_json(store.rows(detail=True)[1]["point"]) == good


def test_the_file_reads_with_plain_sqlite3(store, path):
    point = _point(64, 34)
    store.write([point], [_ok(point)])
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("SELECT name, path FROM columns ORDER BY position").fetchall() == [
        ("engines_0_rows", "engines[0].rows"), ("dram_bandwidth_gb_per_s", "dram.bandwidth_gb_per_s")]
    assert conn.execute("SELECT key, status, engines_0_rows, dram_bandwidth_gb_per_s, latency_s, weight_bytes "
                        "FROM points").fetchall() == [(point.key, "ok", 64, 34, 1.0, 11.0)]
    meta = dict(conn.execute("SELECT name, value FROM meta"))
    created = datetime.datetime.fromisoformat(meta.pop("created"))
    assert abs(datetime.datetime.now(datetime.UTC) - created) < datetime.timedelta(minutes=5)
    assert meta == {"format": "qcosim-results", "format_version": "1", "spec_digest": DIGEST,
                    "qcosim_version": qcosim_version()}
    conn.close()


def test_non_scalar_swept_values_are_stored_as_json(path):
    point = SweepPoint(workload="resnet18", policy="w8a8", hardware={}, values={"engines[0]": {"rows": 8, "cols": 4}})
    with ResultsStore.open(path, spec_digest=DIGEST, columns=["engines[0]"], detail=False) as store:
        store.write([point], [_ok(point)])
        assert store.rows()[0]["engines[0]"] == '{"cols":4,"rows":8}'
        assert store.rows(detail=True)[0]["point"] is None


def test_the_same_spec_reopens_and_serves_its_finished_points(store, path):
    points = [_point(16, 8), _point(32, 8)]
    store.write(points, [_ok(p) for p in points])
    store.close()
    with ResultsStore.open(path, spec_digest=DIGEST, columns=COLUMNS) as again:
        assert again.done_keys() == {p.key for p in points}
    with ResultsStore.open(path, spec_digest=DIGEST, columns=COLUMNS, resume=True) as resumed:
        assert resumed.count() == {"ok": 2, "failed": 0}
    with ResultsStore.open(path, create=False) as reader:
        assert reader.columns == tuple(COLUMNS) and reader.meta["spec_digest"] == DIGEST


def _message(path, **options) -> str:
    with pytest.raises(AnalysisError) as error:
        ResultsStore.open(path, **options)
    return str(error.value)


def test_another_specs_store_is_refused(store, path):
    store.close()
    assert _message(path, spec_digest="e2" * 16, columns=COLUMNS) == (
        f"{path}: made by another sweep spec (digest d1d1d1d1d1d1, this spec e2e2e2e2e2e2); "
        "give a new output directory, or delete the store to start over")
    assert _message(path, spec_digest=DIGEST, columns=["engines[0].cols"]) == (
        f"{path}: its parameter columns ['engines[0].rows', 'dram.bandwidth_gb_per_s'] differ from the spec's "
        "['engines[0].cols']")


def test_a_missing_store(path):
    assert _message(path, spec_digest=DIGEST, resume=True) == f"{path}: nothing to resume: no results store here"
    assert _message(path, create=False) == f"{path}: no results store here"
    assert _message(path) == f"{path}: a new results store needs the sweep spec's digest"
    assert _message(path.parent, spec_digest=DIGEST) == f"{path.parent}: is a directory, not a results store"
    assert not path.exists()


def test_a_foreign_sqlite_file_is_refused_and_left_untouched(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE points (key TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    assert _message(path, spec_digest=DIGEST) == (
        f"{path}: not a qcosim results store (an SQLite database without the 'meta', 'columns' and 'points' tables)")
    assert path.read_bytes() == before


def test_an_empty_or_text_file_is_refused(path):
    path.write_bytes(b"")
    assert _message(path, spec_digest=DIGEST) == (
        f"{path}: not a qcosim results store (an empty file without the 'meta', 'columns' and 'points' tables)")
    path.write_text("key,status\nabc,ok\n" * 100)
    assert _message(path, spec_digest=DIGEST) == f"{path}: not an SQLite database (file is not a database)"


def test_a_truncated_store_is_refused(store, path):
    points = [_point(rows, bw) for rows in range(8, 200) for bw in (8, 17)]
    store.write(points, [_ok(p) for p in points])
    store.close()
    size = path.stat().st_size
    with open(path, "r+b") as file:
        file.truncate(size // 2)
    assert _message(path, spec_digest=DIGEST) == (
        f"{path}: damaged SQLite database (database disk image is malformed); delete it or choose another "
        "output directory")


def test_another_format_or_a_newer_one_is_refused(store, path):
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '2' WHERE name = 'format_version'")
    conn.commit()
    assert _message(path, spec_digest=DIGEST) == (
        f"{path}: results store format 2 is newer than this qcosim reads (1); upgrade qcosim")
    conn.execute("UPDATE meta SET value = 'other-tool' WHERE name = 'format'")
    conn.commit()
    conn.close()
    assert _message(path, spec_digest=DIGEST) == f"{path}: not a qcosim results store (meta.format is 'other-tool')"


def test_a_bad_batch_writes_nothing(store, path):
    point, stray = _point(16, 8), _point(32, 8)
    with pytest.raises(AnalysisError) as error:
        store.write([point], [_ok(point), _ok(stray)])
    assert str(error.value) == f"{path}: result {stray.key} has no point in the batch"
    odd = SweepPoint(workload="resnet18", policy="w8a8", hardware={}, values={"engines[0].rowz": 8})
    with pytest.raises(AnalysisError) as error:
        store.write([point, odd], [_ok(point), _ok(odd)])
    assert str(error.value) == (f"{path}: point {odd.key} has swept values ['engines[0].rowz'] that the store has "
                                "no column for (its columns: ['engines[0].rows', 'dram.bandwidth_gb_per_s'])")
    assert store.count() == {"ok": 0, "failed": 0}


def test_bytes_per_point(tmp_path):
    """About 1.5 kB a point with the JSON detail (the whole accelerator), 0.2 kB without (module docstring)."""
    points = [_point(rows, bw) for rows in range(8, 1008) for bw in (8, 17, 34, 68)]
    sizes = {}
    for detail in (True, False):
        path = tmp_path / f"detail-{detail}.sqlite"
        with ResultsStore.open(path, spec_digest=DIGEST, columns=COLUMNS, detail=detail) as store:
            for start in range(0, len(points), 64):
                batch = points[start:start + 64]
                store.write(batch, [_ok(p, math.pi * (1 + start + i)) for i, p in enumerate(batch)])
        sizes[detail] = path.stat().st_size / len(points)
    print(f"store bytes per point: {sizes[True]:.0f} with detail, {sizes[False]:.0f} without")
    assert 1400 < sizes[True] < 1700 and 150 < sizes[False] < 260


WRITER = textwrap.dedent("""
    import sys
    from analysis.points import PointResult, SweepPoint
    from analysis.store import ResultsStore

    store = ResultsStore.open(sys.argv[1], spec_digest="d1" * 16, columns=["engines[0].rows"])
    for i in range(10**6):
        points = [SweepPoint(workload="resnet18", policy="w8a8", hardware={"i": i, "j": j},
                             values={"engines[0].rows": j}) for j in range(200)]
        store.write(points, [PointResult(key=p.key, status="ok", metrics={"cycles": i}) for p in points])
        print(i, flush=True)
""")


def _batch_keys(i: int) -> set[str]:
    return {SweepPoint(workload="resnet18", policy="w8a8", hardware={"i": i, "j": j},
                       values={"engines[0].rows": j}).key for j in range(200)}


def test_every_returned_write_survives_sigkill_and_no_batch_is_half_written(path):
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    seen = []
    try:
        next(writer.stdout)
        with ResultsStore.open(path, create=False) as reader:  # reads while the writer commits
            for line in writer.stdout:
                seen.append(reader.count()["ok"])
                if int(line) == 20:
                    break
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert len(seen) == 20 and all(n % 200 == 0 for n in seen) and seen == sorted(seen)
    assert writer.returncode == -signal.SIGKILL
    assert path.with_name(path.name + "-wal").exists()
    with ResultsStore.open(path, spec_digest=DIGEST, columns=["engines[0].rows"], resume=True) as store:
        keys = store.done_keys()
        cycles = sorted({row["cycles"] for row in store.rows()})
    batches = len(keys) // 200
    assert len(keys) == 200 * batches and batches >= 21
    assert cycles == [float(i) for i in range(batches)]
    assert keys == set().union(*(_batch_keys(i) for i in range(batches)))


def test_json_detail_is_compact(store):
    point = _point(16, 8)
    store.write([point], [_ok(point)])
    detail = store.rows(detail=True)[0]["point"]
    assert detail == json.dumps(json.loads(detail), separators=(",", ":"), ensure_ascii=False)
    assert json.loads(detail)["values"] == {"engines[0].rows": 16, "dram.bandwidth_gb_per_s": 8}
