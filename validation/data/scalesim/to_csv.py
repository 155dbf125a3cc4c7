"""Collect run_layers.py's JSON lines into validation/data/scalesim_v3_resnet18.csv.

    python3 validation/data/scalesim/to_csv.py RESULTS.jsonl [MORE.jsonl ...]

A later file overrides an earlier one for the same (dataflow, workload, layer). Every row is
checked against the closed form of SCALESIM_NOTES.md before it is written.
"""

import json
import math
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "scalesim_v3_resnet18.csv"
ROWS = COLS = 32
HEADER = """\
# SCALE-Sim v3.0.0 (PyPI scalesim==3.0.0, numpy<2.4) per-layer cycles, one layer per single_layer_sim run.
# Config: scalesim/scale_32x32_64k_{os,ws,is}.cfg = 32x32 array, 64 KiB ifmap/filter/ofmap SRAM,
# InterfaceBandwidth CALC (stall-free reads: the "unlimited bandwidth" setting), as scale-sim-v3's configs/scale.cfg.
# Topologies: scalesim/resnet18_torchvision.csv (ResNet-18 convs + fc, batch 1, inputs trimmed so every ofmap
# equals torchvision's) and scalesim/gemms.csv (M,N,K). Command:
#   /work/scratch/scalesim/bin/python validation/data/scalesim/run_layers.py RESULTS.jsonl --workers 2
#   python3 validation/data/scalesim/to_csv.py RESULTS.jsonl
# compute_cycles = SCALE-Sim "Total Cycles" minus "Stall Cycles" (= F_r*F_c*L - 1, SCALESIM_NOTES.md);
# total_cycles_incl_prefetch = its "Total Cycles (incl. prefetch)" (first DRAM read to last DRAM write).
"""
FIELDS = (
    "dataflow",
    "workload",
    "layer",
    "ifmap_h",
    "ifmap_w",
    "filter_h",
    "filter_w",
    "channels",
    "num_filters",
    "stride",
    "ofmap_px",
    "macs",
    "s_row",
    "s_col",
    "t",
    "folds",
    "compute_cycles",
    "stall_cycles",
    "total_cycles",
    "total_cycles_incl_prefetch",
    "mapping_eff_pct",
)


def closed_form(row):
    window = row["t"] + ROWS + COLS - 2 if row["dataflow"] == "os" else 2 * ROWS + COLS + row["t"] - 2
    return row["folds"] * window - 1


def main(paths):
    rows = {}
    for path in paths:
        for line in open(path):
            r = json.loads(line)
            r["folds"] = math.ceil(r["s_row"] / ROWS) * math.ceil(r["s_col"] / COLS)
            rows[(r["dataflow"], r["workload"], r["layer"])] = r
    order = {"os": 0, "ws": 1, "is": 2}
    ordered = sorted(
        rows.values(), key=lambda r: (order[r["dataflow"]], r["workload"] != "resnet18", r["layer_id"])
    )
    for r in ordered:
        assert r["compute_cycles"] == closed_form(r), (r["dataflow"], r["layer"])
    with open(OUT, "w") as out:
        out.write(HEADER)
        out.write(",".join(FIELDS) + "\n")
        for r in ordered:
            r["mapping_eff_pct"] = round(r["mapping_eff_pct"], 3)
            out.write(",".join(str(r[f]) for f in FIELDS) + "\n")
    print(f"{len(ordered)} rows -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1:])
