"""The ``hw`` CLI sub-app, the committed JSON schema, the public API and the import rule."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from typer.testing import CliRunner

import hwmodels
from hwmodels import hardware_json_schema, list_presets
from qcosim.cli_hw import hw_app

ROOT = Path(__file__).resolve().parents[3]
runner = CliRunner()


def test_show_preset_prints_peak_figures():
    result = runner.invoke(hw_app, ["show", "tpu-v1"])
    assert result.exit_code == 0, result.stderr
    assert "65536" in result.stdout  # 256 x 256 int8 MACs per cycle (Jouppi et al., ISCA 2017)
    assert "91.75" in result.stdout  # peak TOPS at 700 MHz
    assert "unified_buffer" in result.stdout


def test_show_json_parses():
    result = runner.invoke(hw_app, ["show", "bitfusion", "--json"])
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["peak_macs_per_cycle"]["w2a2"] == 8192
    assert summary["engines"][0]["precision"] == "bit_fusion"


def test_show_file(tiny_hw_data, write_yaml):
    result = runner.invoke(hw_app, ["show", str(write_yaml(tiny_hw_data)), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["peak_macs_per_cycle"] == {"w8a8": 16}


def test_bad_file_exits_2_with_one_line(tiny_hw_data, write_yaml):
    tiny_hw_data["memory"][0]["size_byte"] = 5
    path = write_yaml(tiny_hw_data)
    result = runner.invoke(hw_app, ["show", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        result.stderr == f"error: {path}: memory[0].size_byte: unknown field (did you mean 'size_bytes'?)\n"
    )


def test_missing_file_exits_2(tmp_path):
    result = runner.invoke(hw_app, ["show", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "file not found" in result.stderr


def test_list_and_schema():
    listed = runner.invoke(hw_app, ["list"])
    assert listed.exit_code == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == list_presets()
    schema = runner.invoke(hw_app, ["schema"])
    assert schema.exit_code == 0
    assert json.loads(schema.stdout) == hardware_json_schema()


def test_committed_schema_matches_the_generated_one():
    # Regenerate with: qcosim hw schema > schemas/hardware.json
    committed = json.loads((ROOT / "schemas" / "hardware.json").read_text(encoding="utf-8"))
    assert committed == hardware_json_schema()


def test_schema_carries_units_from_attribute_docstrings():
    level = hardware_json_schema()["$defs"]["MemoryLevel"]["properties"]["size_bytes"]
    assert "bytes" in level["description"]
    assert level["exclusiveMinimum"] == 0


def test_public_api_is_guarded():
    assert sorted(hwmodels.__all__) == sorted(set(hwmodels.__all__))
    for name in hwmodels.__all__:
        assert hasattr(hwmodels, name), name
    for required in (
        "load_hardware",
        "list_presets",
        "dump_hardware",
        "hardware_json_schema",
        "Accelerator",
        "MacArray",
        "VectorUnit",
        "MemoryLevel",
        "Dram",
        "EnergyTable",
        "ConfigError",
        "summarize_hardware",
        "int_mult_pj",
        "int_add_pj",
        "float_mac_pj",
        "mac_pj",
        "sram_pj_per_bit",
        "dram_pj_per_bit",
    ):
        assert required in hwmodels.__all__, required


def test_hwmodels_imports_nothing_from_other_qcosim_packages():
    forbidden = {"workloads", "simulator", "qcosim", "analysis", "reports"}
    for path in (ROOT / "hwmodels").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not roots & forbidden, f"{path.name} imports {roots & forbidden}"


def test_docstring_examples_run():
    import doctest
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(hwmodels.__path__):
        module = importlib.import_module(f"hwmodels.{info.name}")
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, info.name
