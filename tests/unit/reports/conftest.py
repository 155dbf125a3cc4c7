"""Results to report on, made once per session: two runs of a small CNN, a search and a small sweep store."""

from __future__ import annotations

from pathlib import Path

import pytest

import qcosim
from analysis.runner import run_sweep
from qcosim import precision

ROOT = Path(__file__).parents[3]
TINY = str(ROOT / "examples" / "tiny-cnn.yaml")

SWEEP_SPEC = """
schema_version: "1"
name: tiny-sweep
workloads:
  - {name: resnet18}
policies: [w4a8, w8a8]
hardware:
  base: bitfusion
  vary:
    engines[0].rows: [16, 32]
    memory[0].size_bytes: [32KiB, 64KiB]
sampling: {method: grid}
"""


@pytest.fixture(scope="session")
def tiny_cnn() -> str:
    """Path of the tiny CNN layer list of ``examples/``."""
    return TINY


@pytest.fixture
def sweep_spec(tmp_path) -> Path:
    """The 8-point sweep spec, written into the test's directory."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(SWEEP_SPEC)
    return spec


@pytest.fixture(scope="session")
def runs():
    """ResNet-18 on Bit Fusion at w8a8 (the base) and at w4a8."""
    return [qcosim.simulate("resnet18", "bitfusion", policy) for policy in ("w8a8", "w4a8")]


@pytest.fixture(scope="session")
def search_report():
    """The tiny CNN's exact search on Bit Fusion half way between its fastest and slowest plans (HAWQ-V3 range budget)."""
    return precision.search(TINY, "bitfusion", "w2a8,w4a8,w8a8", ["latency=range:0.5"], pin_first_last=False)


@pytest.fixture(scope="session")
def sweep_dir(tmp_path_factory):
    """A finished 8-point sweep (2 x 2 configurations x 2 policies)."""
    folder = tmp_path_factory.mktemp("sweep")
    spec = folder / "spec.yaml"
    spec.write_text(SWEEP_SPEC)
    run_sweep(spec, folder / "out", executor="serial")
    return folder / "out"
