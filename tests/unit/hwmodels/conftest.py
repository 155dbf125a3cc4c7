"""Fixtures for the hardware-model tests: a minimal valid accelerator as plain data."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

_MINIMAL = {
    "name": "tiny",
    "clock_ghz": 1.0,
    "engines": [{"name": "pe", "rows": 4, "cols": 4}],
    "memory": [
        {"name": "spad", "size_bytes": 1024, "operands": ["weights", "inputs", "outputs"]},
        {"name": "glb", "size_bytes": 65536, "operands": ["weights", "inputs", "outputs"]},
    ],
    "dram": {"bandwidth_gb_per_s": 16.0},
}


@pytest.fixture
def tiny_hw_data() -> dict:
    """A fresh, mutable copy of a minimal valid accelerator description."""
    return copy.deepcopy(_MINIMAL)


@pytest.fixture
def write_yaml(tmp_path: Path):
    """Write data (or raw text) to a YAML file under tmp_path and return its path."""

    def write(data, name: str = "hw.yaml") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
        return path

    return write
