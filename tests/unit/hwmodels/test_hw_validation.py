"""Every invalid accelerator description gives its exact one-line message."""

from __future__ import annotations

import pickle

import pytest

from hwmodels import ConfigError, load_hardware, parse_hardware


def message_for(data, write_yaml) -> str:
    path = write_yaml(data)
    with pytest.raises(ConfigError) as info:
        load_hardware(path)
    text = str(info.value)
    assert "\n" not in text
    return text.removeprefix(f"{path}: ")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["memory"][1].update(size_bytes=0),
            "memory[1].size_bytes: must be > 0 (got 0)",
        ),
        (
            lambda d: d["memory"][1].update(read_bytes_per_cycle=-5),
            "memory[1].read_bytes_per_cycle: must be > 0 (got -5)",
        ),
        (
            lambda d: d["dram"].update(bandwidth_gb_per_s=-1.5),
            "dram.bandwidth_gb_per_s: must be > 0 (got -1.5)",
        ),
        (
            lambda d: d["memory"][0].update(size_byte=5),
            "memory[0].size_byte: unknown field (did you mean 'size_bytes'?)",
        ),
        (
            lambda d: d.update(clock_mhz=5),
            "clock_mhz: unknown field (did you mean 'clock_ghz'?)",
        ),
        (
            lambda d: d["engines"][0].update(precision={"kind": "bit_fusion", "brick_bitz": 2}),
            "engines[0].precision.brick_bitz: unknown field (did you mean 'brick_bits'?)",
        ),
        (
            lambda d: d["engines"][0].update(dataflow="diagonal"),
            "engines[0].dataflow: must be one of 'weight_stationary', 'output_stationary', "
            "'input_stationary' or 'row_stationary' (got 'diagonal')",
        ),
        (
            lambda d: d["engines"][0].update(dataflow="row_stationery"),
            "engines[0].dataflow: must be one of 'weight_stationary', 'output_stationary', "
            "'input_stationary' or 'row_stationary' (got 'row_stationery'; did you mean "
            "'row_stationary'?)",
        ),
        (lambda d: d.update(engines=[]), "engines: must have at least 1 item (got 0)"),
        (
            lambda d: d["memory"][1].update(size_bytes=512),
            "memory[1].size_bytes: must be >= 1024, the size of inner level 'spad' that also "
            "holds weights; levels are listed innermost first (got 512)",
        ),
        (
            lambda d: [level.update(operands=["weights", "inputs"]) for level in d["memory"]],
            "memory: no level holds outputs (every operand needs an on-chip level)",
        ),
        (
            lambda d: d["engines"].append({"name": "pe", "rows": 1, "cols": 1}),
            "engines[1].name: must be unique (got 'pe', also engines[0])",
        ),
        (
            lambda d: d["engines"][0].update(precision={"kind": "quantum"}),
            "engines[0].precision: unknown kind 'quantum' (expected 'fixed', 'bit_serial', "
            "'bit_fusion', 'float', 'multi_format')",
        ),
        (
            lambda d: d["engines"][0].update(precision={"kind": "bit_fusion", "bricks_per_unit": 8}),
            "engines[0].precision.bricks_per_unit: must be a power of 4 (got 8)",
        ),
        (
            lambda d: d["engines"][0].update(supported=["int8", ["int4", "int99"]]),
            "engines[0].supported[1]: format 'int99': bits must be in [2, 32] for int formats (got 99)",
        ),
        (lambda d: d.pop("dram"), "dram: required field is missing"),
        (lambda d: d.update(clock_ghz="fast"), "clock_ghz: must be a number (got 'fast')"),
        (lambda d: d["engines"][0].update(rows=1.5), "engines[0].rows: must be an integer (got 1.5)"),
        (
            lambda d: d["memory"][0].update(operands=["weights", "weights"]),
            "memory[0].operands: must not repeat (got weights, weights)",
        ),
        (
            lambda d: d["memory"][0].update(operands=["weights"], double_buffered_operands=["inputs", "outputs"]),
            "memory[0].double_buffered_operands: inputs, outputs not held by the level (it holds weights)",
        ),
        (
            lambda d: d["memory"][1].update(double_buffered=True, double_buffered_operands=["inputs"]),
            "memory[1].double_buffered_operands: the level is double_buffered for every operand already; "
            "set one of the two",
        ),
        (
            lambda d: d.update(energy={"int_mult_8b_pj": 5.0}),
            "energy.int_mult_32b_pj: must be >= int_mult_8b_pj = 5.0 (got 3.1)",
        ),
        (lambda d: d.update(schema_version="2"), "schema_version: must be one of '1' (got '2')"),
        (
            lambda d: d.update(energy={"sram_pj_per_64b": {"abc": 1.0}}),
            "energy.sram_pj_per_64b.abc: key must be an integer (got 'abc')",
        ),
        (
            lambda d: d["memory"][0].update(operands="weights"),
            "memory[0].operands: must be a list (got 'weights')",
        ),
    ],
)
def test_invalid_field_messages(tiny_hw_data, write_yaml, mutate, expected):
    mutate(tiny_hw_data)
    assert message_for(tiny_hw_data, write_yaml) == expected


def test_further_errors_are_counted(tiny_hw_data, write_yaml):
    tiny_hw_data["memory"][0]["size_bytes"] = 0
    tiny_hw_data["memory"][1]["size_bytes"] = -1
    tiny_hw_data["clock_ghz"] = 0
    path = write_yaml(tiny_hw_data)
    with pytest.raises(ConfigError) as info:
        load_hardware(path)
    assert str(info.value) == f"{path}: clock_ghz: must be > 0 (got 0) (and 2 more errors)"
    assert [p for p, _ in info.value.details] == ["clock_ghz", "memory[0].size_bytes", "memory[1].size_bytes"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: x\nclock_ghz: 1\n  bad: [\n",
            "invalid YAML at line 3, column 6: mapping values are not allowed here",
        ),
        ("- a\n- b\n", "top level must be a mapping of fields (got a list)"),
        ("", "top level must be a mapping of fields (got an empty document)"),
        ("just words\n", "top level must be a mapping of fields (got a string)"),
        ("name: x\nname: y\n", "invalid YAML at line 2, column 1: duplicate key 'name'"),
    ],
)
def test_file_level_errors(write_yaml, text, expected):
    path = write_yaml(text)
    with pytest.raises(ConfigError) as info:
        load_hardware(path)
    assert str(info.value) == f"{path}: {expected}"


def test_bad_json(write_yaml):
    path = write_yaml('{"name": 1,}', name="hw.json")
    with pytest.raises(ConfigError) as info:
        load_hardware(path)
    assert (
        str(info.value)
        == f"{path}: invalid JSON at line 1, column 12: Expecting property name enclosed in double quotes"
    )


def test_json_refuses_a_key_given_twice(write_yaml):
    # json.loads keeps the last value; the one loader shared with workloads refuses it.
    path = write_yaml('{"name": "a", "clock_ghz": 1, "clock_ghz": 2}', name="hw.json")
    with pytest.raises(ConfigError) as info:
        load_hardware(path)
    assert str(info.value) == f"{path}: invalid JSON: duplicate key 'clock_ghz'"


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_hardware(path)
    assert str(info.value) == f"{path}: file not found"


def test_wrong_suffix_and_directory(tmp_path):
    (tmp_path / "hw.toml").write_text("x")
    with pytest.raises(
        ConfigError, match=r"hw\.toml: unsupported file type '\.toml' \(use \.yaml, \.yml or \.json\)$"
    ):
        load_hardware(tmp_path / "hw.toml")
    with pytest.raises(ConfigError, match="is a directory, not an accelerator file$"):
        load_hardware(tmp_path)


def test_unknown_preset_suggests_the_nearest():
    with pytest.raises(ConfigError) as info:
        load_hardware("eyeris")
    assert str(info.value) == (
        "unknown preset 'eyeris' (did you mean 'eyeriss'? known: bit-serial, bitfusion, "
        "edge-npu, eyeriss, gemmini, h100, nvdla, tpu-v1)"
    )


def test_parse_hardware_without_a_source(tiny_hw_data):
    tiny_hw_data["clock_ghz"] = -1
    with pytest.raises(ConfigError) as info:
        parse_hardware(tiny_hw_data)
    assert str(info.value) == "clock_ghz: must be > 0 (got -1)"
    assert info.value.path == "clock_ghz" and info.value.source is None


def test_config_error_fields_str_and_pickle():
    error = ConfigError(
        "must be > 0 (got 0)", "hw.yaml", "memory[1].size_bytes", (("memory[1].size_bytes", "x"), ("a", "b"))
    )
    assert str(error) == "hw.yaml: memory[1].size_bytes: must be > 0 (got 0) (and 1 more error)"
    again = pickle.loads(pickle.dumps(error))
    assert (again.message, again.source, again.path, again.details) == (
        error.message,
        error.source,
        error.path,
        error.details,
    )
    assert str(again) == str(error)
    assert isinstance(error, ValueError)
    assert str(ConfigError("plain")) == "plain"
