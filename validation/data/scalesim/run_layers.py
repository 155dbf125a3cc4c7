"""Run SCALE-Sim v3.0.0 one layer at a time and append one JSON line per (dataflow, layer).

Runs under the scratch venv that has `scalesim==3.0.0` (not qcosim's venv):

    /work/scratch/scalesim/bin/python validation/data/scalesim/run_layers.py OUT.jsonl [--workers 2]

Layers of all three dataflows are queued smallest (MACs) first; finished (dataflow, layer)
pairs already in OUT.jsonl are skipped, so the run can be resumed.
"""

import argparse
import json
import os
import time
from multiprocessing import Pool
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOPOLOGIES = {"resnet18": (HERE / "resnet18_torchvision.csv", False), "gemm": (HERE / "gemms.csv", True)}
DATAFLOWS = ("os", "ws", "is")


def _load(topology, gemm):
    from scalesim.topology_utils import topologies

    topo = topologies()
    topo.load_arrays(topofile=str(topology), mnk_inputs=gemm)
    topo.topo_calc_hyperparams(str(topology))
    return topo


def _run(job):
    from scalesim.layout_utils import layouts
    from scalesim.scale_config import scale_config
    from scalesim.single_layer_sim import single_layer_sim

    dataflow, workload, layer_id = job
    topology, gemm = TOPOLOGIES[workload]
    config = scale_config()
    config.read_conf_file(str(HERE / f"scale_32x32_64k_{dataflow}.cfg"))
    topo = _load(topology, gemm)
    start = time.time()
    sim = single_layer_sim()
    sim.set_params(
        layer_id=layer_id, config_obj=config, topology_obj=topo, layout_obj=layouts(), verbose=False
    )
    sim.run()
    overall, total, stall, util, mapping_eff, compute_util = sim.get_compute_report_items()
    row = topo.topo_arrays[layer_id]
    s_row, s_col, t_time = topo.calc_spatio_temporal_params(df=dataflow, layer_id=layer_id)
    return {
        "dataflow": dataflow,
        "workload": workload,
        "layer_id": layer_id,
        "layer": row[0],
        "ifmap_h": int(row[1]),
        "ifmap_w": int(row[2]),
        "filter_h": int(row[3]),
        "filter_w": int(row[4]),
        "channels": int(row[5]),
        "num_filters": int(row[6]),
        "stride": int(row[7]),
        "ofmap_px": topo.get_layer_num_ofmap_px(layer_id) // int(row[6]),
        "macs": topo.get_layer_num_ofmap_px(layer_id) * topo.get_layer_window_size(layer_id),
        "s_row": s_row,
        "s_col": s_col,
        "t": t_time,
        "total_cycles": int(total),
        "stall_cycles": int(stall),
        "compute_cycles": int(total) - int(stall),
        "total_cycles_incl_prefetch": int(overall),
        "overall_util_pct": float(util),
        "mapping_eff_pct": float(mapping_eff),
        "compute_util_pct": float(compute_util),
        "wall_s": round(time.time() - start, 1),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dataflows", default=",".join(DATAFLOWS))
    args = parser.parse_args()
    done = set()
    if os.path.exists(args.out):
        for line in open(args.out):
            r = json.loads(line)
            done.add((r["dataflow"], r["workload"], r["layer_id"]))
    jobs = []
    for workload, (topology, gemm) in TOPOLOGIES.items():
        topo = _load(topology, gemm)
        for i in range(topo.get_num_layers()):
            macs = topo.get_layer_num_ofmap_px(i) * topo.get_layer_window_size(i)
            jobs += [(macs, (df, workload, i)) for df in args.dataflows.split(",")]
    jobs = [job for _, job in sorted(jobs) if job not in done]
    with Pool(args.workers) as pool, open(args.out, "a") as out:
        for result in pool.imap_unordered(_run, jobs):
            out.write(json.dumps(result) + "\n")
            out.flush()
            print(result["dataflow"], result["layer"], result["total_cycles"], result["wall_s"], flush=True)


if __name__ == "__main__":
    main()
