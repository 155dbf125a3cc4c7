"""SCALE-Sim v3.0.0 next to qcosim, layer by layer, on all three systolic dataflows.

Reference: validation/data/scalesim_v3_resnet18.csv, produced by SCALE-Sim v3.0.0
(PyPI ``scalesim==3.0.0``) on ResNet-18 (torchvision shapes, 20 convs + fc, batch 1)
and GEMMs, 32 x 32 array, 64 KiB per operand, stall-free (CALC) bandwidth; the exact
configuration and commands are in validation/data/README.md and how SCALE-Sim
counts in validation/data/SCALESIM_NOTES.md. qcosim runs the same layers, each on
its own, on examples/ideal-32x32.yaml with the dataflow set
(validation/data/scalesim/qcosim_ideal_32x32_{os,ws,is}.yaml). Compared: compute
cycles (SCALE-Sim's total minus stalls; qcosim's array cycles, fill and drain
included).

Run: ``.venv/bin/python validation/scalesim_layers.py``. tests/integration/test_validation.py
holds every layer within 5%.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from hwmodels import load_hardware
from simulator import simulate
from workloads import apply_quant, load_workload

DATA = Path(__file__).parent / "data"
DATAFLOWS = ("os", "ws", "is")
WORKLOADS = {"resnet18": "qcosim_resnet18_layers.yaml", "gemm": "qcosim_gemms.yaml"}


def reference() -> dict[tuple[str, str], int]:
    """SCALE-Sim's compute cycles per (dataflow, layer)."""
    with open(DATA / "scalesim_v3_resnet18.csv") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {(row["dataflow"], row["layer"]): int(row["compute_cycles"]) for row in rows}


def simulated(dataflow: str) -> dict[str, int]:
    """qcosim's compute cycles per layer on the ideal 32 x 32 array of ``dataflow``."""
    acc = load_hardware(str(DATA / "scalesim" / f"qcosim_ideal_32x32_{dataflow}.yaml"))
    cycles = {}
    for layers in WORKLOADS.values():
        graph = apply_quant(load_workload(str(DATA / "scalesim" / layers)), "w8a8")
        cycles.update({r.name: r.compute_cycles for r in simulate(graph, acc).layers if r.macs})
    return cycles


def rows() -> list[tuple[str, str, int, int]]:
    """(dataflow, layer, qcosim, SCALE-Sim) for every layer both have."""
    ref = reference()
    out = []
    for dataflow in DATAFLOWS:
        ours = simulated(dataflow)
        out += [(dataflow, layer, ours[layer], cycles) for (df, layer), cycles in ref.items()
                if df == dataflow and layer in ours]
    return out


def report() -> str:
    lines = [f"{'df':3} {'layer':24} {'qcosim':>10} {'SCALE-Sim':>10} {'ratio':>6}"]
    worst: dict[str, float] = {}
    for dataflow, layer, ours, theirs in rows():
        ratio = ours / theirs
        worst[dataflow] = max(worst.get(dataflow, 0.0), abs(ratio - 1))
        lines.append(f"{dataflow:3} {layer:24} {ours:10,} {theirs:10,} {ratio:6.3f}")
    lines += ["", "worst per dataflow: " + ", ".join(f"{df} {w:.2%}" for df, w in worst.items())]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(report() + "\n")
