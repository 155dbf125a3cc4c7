"""Bit Fusion next to its authors' simulator, network by network.

Reference: hsharma35/bitfusion at 04ec1c8, results/bitfusion-eyeriss-sim-sweep.csv:
16 x 32 Fusion Units, batch 16, 192 bits/cycle of DRAM, WBUF/IBUF/OBUF 64/32/16 KiB.
That sweep simulated the WRPN (2x wide) networks of its src/benchmarks, with the
bit widths its cost model reads (AlexNet W8A8 conv1 and fc3, W4A4 elsewhere;
ResNet-18 W8A8 conv1, W4A4 elsewhere): validation/data/BITFUSION_NOTES.md, where
every layer of the reference was reproduced by re-running their optimizer. The
layer lists and policies are in validation/data/bitfusion/.

Run: ``.venv/bin/python validation/bitfusion_wrpn.py``. tests/integration/test_validation.py
holds both networks within 20%.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from qcosim import simulate

DATA = Path(__file__).parent / "data"
NETWORKS = {"AlexNet": "alexnet", "RESNET-18": "resnet18"}
"""The reference CSV's network names (both the WRPN variants) and the stems of their layer lists."""


def reference_cycles() -> dict[str, int]:
    """Total cycles per network at 192 bits/cycle, summed over the reference's layers."""
    totals: dict[str, int] = {}
    with open(DATA / "bitfusion_reference.csv") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        for row in rows:
            totals[row["network"]] = totals.get(row["network"], 0) + int(row["cycles_bw192"])
    return totals


def run(network: str):
    """qcosim's result for one WRPN network on the bitfusion preset."""
    stem = NETWORKS[network]
    return simulate(str(DATA / "bitfusion" / f"{stem}_wrpn_b16.yaml"), "bitfusion",
                    str(DATA / "bitfusion" / f"policy_{stem}_wrpn.yaml"))


def report() -> str:
    reference = reference_cycles()
    lines = [f"{'network (WRPN)':16} {'simulated':>12} {'reference':>12} {'ratio':>6}"]
    for network in NETWORKS:
        cycles = run(network).totals.cycles
        lines.append(f"{network:16} {cycles:12,} {reference[network]:12,} {cycles / reference[network]:6.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(report() + "\n")
