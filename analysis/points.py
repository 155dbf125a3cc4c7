"""One design point of a sweep, and what simulating it gave: the unit of work and of storage.

A sweep is a list of `SweepPoint`s (a network, a policy, a full accelerator
description and the options), each identified by a digest of everything that
decides its result, and each evaluated into a `PointResult` of plain numbers
that the store keeps and the Pareto analysis reads.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from simulator.assembly import qcosim_version
from vocabulary.model import FrozenModel

__all__ = ["SweepPoint", "PointResult", "METRICS", "LAYER_FIELDS", "qcosim_version"]

METRICS = ("latency_s", "cycles", "energy_pj", "edp_js", "dram_bytes", "macs", "utilization", "area_mm2",
           "sram_bytes", "leakage_mw", "weight_bytes")
"""What every successful point records, with units in the names (`analysis.evaluate`)."""

LAYER_FIELDS = ("name", "op", "quant", "engine", "start_cycle", "cycles", "array_cycles", "fill_drain_cycles",
                "vector_cycles", "buffer_port_cycles", "dram_stall_cycles", "energy_pj", "dram_bytes", "macs",
                "utilization")
"""Per-layer detail a point keeps when asked: where its cycles and energy went, layer by layer."""



class SweepPoint(FrozenModel):
    """Everything that decides one simulation of a sweep."""

    workload: str
    """Zoo name, ONNX file or layer-list file."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Zoo parameters (``batch``, ``seq_len`` …) or ONNX input shapes under ``input_shapes``."""
    policy: str
    """Quantization policy: a shorthand or a policy file."""
    hardware: dict[str, Any]
    """The whole accelerator description (as `hwmodels.parse_hardware` reads it)."""
    values: dict[str, Any] = Field(default_factory=dict)
    """The swept values that made this point (dotted path -> value), for the store's columns."""
    options: dict[str, Any] = Field(default_factory=dict)
    """`simulator.SimOptions` fields (fidelity, objective …)."""

    @property
    def key(self) -> str:
        """SHA-256 prefix of workload, parameters, policy, hardware, options and the qcosim version.

        A workload or policy given as a file enters by its content, not its
        path: the same files elsewhere give the same key, and an edited file a new one.
        """
        payload = [_identity(self.workload), self.params, _identity(self.policy), self.hardware, self.options,
                   qcosim_version()]
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _identity(name: str) -> str:
    """A zoo name or shorthand as is; an existing file as the digest of its bytes."""
    path = Path(name)
    if not path.is_file():
        return name
    stat = path.stat()
    return _file_digest(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()


class PointResult(FrozenModel):
    """What one point gave: its metrics, or the one-line reason it could not run."""

    key: str
    """`SweepPoint.key`."""
    status: Literal["ok", "failed"]
    """``failed``: the hardware cannot run the policy, a file is bad … (``error`` says why)."""
    error: str = ""
    """One-line reason of a failure."""
    metrics: dict[str, float] = Field(default_factory=dict)
    """`METRICS` of a successful point."""
    seconds: float = 0.0
    """Wall time the evaluation took."""
    layers: list[dict[str, str | float]] = Field(default_factory=list)
    """Per-layer detail (`LAYER_FIELDS`), when the sweep's options keep layers (``keep_layers: true``)."""
