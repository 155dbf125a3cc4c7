"""``qcosim hw list`` loads only what it uses: no simulator, numpy, onnx, simpy or networkx.

It used to import the whole simulator through ``qcosim.api`` (about 0.9 s of a
0.9 s run). Checked in a fresh interpreter, on what is imported, not on time.
"""

import json
import subprocess
import sys
from pathlib import Path

from hwmodels import list_presets

ROOT = Path(__file__).parents[2]
HEAVY = ("numpy", "onnx", "simpy", "networkx", "simulator", "workloads", "qcosim.api")
_PROGRAM = f"""
import json, sys
from qcosim.cli import main
try:
    main(["hw", "list"])
except SystemExit as exc:
    assert exc.code == 0, exc.code
print(json.dumps(sorted(name for name in {HEAVY!r} if name in sys.modules)))
"""


def test_hw_list_imports_neither_the_simulator_nor_heavy_libraries():
    run = subprocess.run([sys.executable, "-c", _PROGRAM], cwd=ROOT, capture_output=True, text=True, check=True)
    *listing, loaded = run.stdout.splitlines()
    assert json.loads(loaded) == []
    assert [line.split()[0] for line in listing] == list_presets()
