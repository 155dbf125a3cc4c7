"""Whole-network regression goldens: the zoo on every preset, so a refactor that moves a result is seen.

These are not validation (that lives in tests/integration/test_validation.py and
tests/unit/simulator/test_golden.py, which check hand-derived and published
figures); they pin what the simulator computed when the golden was written, so
any change to a number is a deliberate one. Regenerate with

    .venv/bin/python -m pytest tests/golden --update-golden

and say in the commit message which figures moved and why.
"""

from __future__ import annotations

import datetime
import json
import subprocess
from pathlib import Path

import pytest

import qcosim

HERE = Path(__file__).parent
CNNS = ("resnet18", "resnet50", "mobilenet_v2", "vgg16")
TRANSFORMERS = ("vit_b16", "bert_base")
PRESETS = ("tpu-v1", "eyeriss", "bitfusion", "edge-npu", "bit-serial")
CASES = (
    [(model, hw, "w8a8", "analytical", {}) for model in CNNS for hw in PRESETS]
    # Eyeriss' row-stationary mapping of transformer GEMMs takes seconds; it is covered on the CNNs.
    + [(model, hw, "w8a8", "analytical", {}) for model in TRANSFORMERS for hw in PRESETS if hw != "eyeriss"]
    + [("llama7b", hw, "w8a8", "analytical", {"seq_len": 128}) for hw in ("tpu-v1", "edge-npu")]
    + [("llama7b", "edge-npu", "w8a8-kv4", "analytical", {"phase": "decode", "kv_len": 512})]
    + [("resnet50", "bitfusion", policy, "analytical", {}) for policy in ("w4a8", "w2a2", "w4a8-fl8")]
    + [("resnet50", "bit-serial", "w4a4", "analytical", {})]
    + [("resnet50", "edge-npu", "w8a8-asym-dyn", "analytical", {})]
    + [("resnet18", hw, "w8a8", "des", {}) for hw in ("tpu-v1", "edge-npu")]
    # The presets for today's formats: Gemmini and NVDLA at int8, NVDLA at fp16 on the same cells,
    # Llama-7B decode on the H100-class preset with weight-only int4 and fp8 with an int4 KV cache.
    + [("resnet50", "gemmini", "w8a8", "analytical", {})]
    + [("resnet50", "nvdla", policy, "analytical", {}) for policy in ("w8a8", "fp16")]
    + [("llama7b", "h100", policy, "analytical", {"phase": "decode", "kv_len": 512})
       for policy in ("w4a16-g128", "fp8-kv4")]
)


def case_id(model, hw, policy, fidelity, params) -> str:
    extra = "".join(f"_{k}{v}" for k, v in sorted(params.items()))
    return f"{model}{extra}__{hw}__{policy}__{fidelity}"


def figures(result) -> dict:
    """What the golden pins: totals and per-layer timing, energy and traffic."""
    t = result.totals
    return {
        "totals": {"cycles": t.cycles, "energy_pj": t.energy_pj, "dram_bytes": t.dram_bytes, "macs": t.macs},
        "layers": {
            r.name: {"start_cycle": r.start_cycle, "cycles": r.cycles, "compute_cycles": r.compute_cycles,
                     "energy_pj": r.energy_pj, "dram_bytes": r.dram_bytes}
            for r in result.layers
        },
    }


def _meta(case) -> dict:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=HERE).stdout.strip()
    return {"commit": commit, "date": datetime.date.today().isoformat(), "case": list(case),
            "regenerate": ".venv/bin/python -m pytest tests/golden --update-golden"}


@pytest.mark.parametrize("case", CASES, ids=[case_id(*c) for c in CASES])
def test_network_matches_golden(case, request):
    model, hw, policy, fidelity, params = case
    got = figures(qcosim.simulate(model, hw, policy, fidelity=fidelity, params=params))
    path = HERE / f"{case_id(*case)}.json"
    if request.config.getoption("--update-golden"):
        path.write_text(json.dumps({"_meta": _meta(case), **got}, indent=1) + "\n")
        return
    want = json.loads(path.read_text())
    assert got["totals"] == pytest.approx(want["totals"], rel=1e-9)
    assert list(got["layers"]) == list(want["layers"])
    for name, layer in want["layers"].items():
        assert got["layers"][name] == pytest.approx(layer, rel=1e-9), name
