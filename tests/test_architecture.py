"""The package map of DESIGN.md holds: imports point one way, and public names are deliberate."""

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
# What each top-level package may import from the others (qcosim -> reports -> analysis ->
# simulator -> (workloads, hwmodels) -> vocabulary; inputs never import engines, and the shared
# vocabulary imports none of them).
ALLOWED = {
    "vocabulary": set(),
    "workloads": {"vocabulary"},
    "hwmodels": {"vocabulary"},
    "simulator": {"workloads", "hwmodels", "vocabulary"},
    "analysis": {"simulator", "workloads", "hwmodels", "vocabulary"},
    "reports": {"analysis", "simulator", "workloads", "hwmodels", "vocabulary"},
    "qcosim": {"reports", "analysis", "simulator", "workloads", "hwmodels", "vocabulary"},
}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package):
    for path in (ROOT / package).rglob("*.py"):
        wrong = _imported_packages(path) - ALLOWED[package] - {package}
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


@pytest.mark.parametrize("package", ["vocabulary", "workloads", "hwmodels", "simulator", "reports", "qcosim"])
def test_public_names_exist_and_are_sorted_deliberately(package):
    module = importlib.import_module(package)
    assert module.__all__, package
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.__all__ names missing {name!r}"
    assert len(set(module.__all__)) == len(module.__all__)


def test_one_frozen_model_base():
    import hwmodels._model
    import workloads._model

    assert workloads._model.FrozenModel is hwmodels._model.FrozenModel
    assert importlib.import_module("vocabulary").FrozenModel is workloads._model.FrozenModel
