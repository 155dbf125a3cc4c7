"""Identical inputs give identical results across runs, processes, hash seeds and sweep executors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from analysis.runner import read_rows, run_sweep

# Several engines, streamed copies and the discrete-event fidelity: list scheduling, simpy's event order
# and every dict and set on the way must not depend on the order Python happens to hash strings in.
_ARGV = ["simulate", str(Path(__file__).parents[3] / "examples/tiny-cnn.yaml"), "--hw", "edge-npu",
         "--quant", "w4a8-fl8", "--fidelity", "des", "--stream", "3", "--json"]


def _simulate_in_child(hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", "import sys; from qcosim.cli import main; main(sys.argv[1:])",
                           *_ARGV], capture_output=True, text=True, env=env, timeout=300, check=True)
    return done.stdout


def test_json_results_are_identical_across_processes_and_hash_seeds():
    first, second = _simulate_in_child("0"), _simulate_in_child("4242")
    assert '"macs"' in first
    assert first == second


def test_a_sweep_gives_the_same_metrics_on_one_process_and_on_two(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text('schema_version: "1"\nname: same\nworkloads: [{name: resnet18}]\npolicies: [w8a8, w4a4]\n'
                    "hardware:\n  base: edge-npu\n  vary:\n    engines[0].rows: [16, 32]\n"
                    "sampling: {method: grid}\n")
    run_sweep(spec, tmp_path / "serial", executor="serial")
    run_sweep(spec, tmp_path / "local", executor="local", workers=2)
    serial = {row.key: (row.metrics, row.values) for row in read_rows(tmp_path / "serial")}
    local = {row.key: (row.metrics, row.values) for row in read_rows(tmp_path / "local")}
    assert len(serial) == 4
    assert serial == local
