"""Fuzzing the input boundaries: generated YAML/JSON documents, policy shorthands and mutated ONNX models.

The contract under test is the project's promise for bad input: a loader
either returns a value or raises its own one-line error (``ConfigError``,
``WorkloadError``, ``AnalysisError``), never anything else, and the CLI turns
that into exit code 2. ``make test`` runs a few examples of each (the count
in ``QCOSIM_FUZZ_EXAMPLES``, default 25); ``make fuzz`` runs thousands.
Every failure hypothesis finds is shrunk to a small case and belongs in one
of the regression tests beside this file.
"""

from __future__ import annotations

import json
import os
import warnings

import pytest
import yaml
from hardening_corpus import LAYER_LIST, POLICY, nodes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx_mutations import SEED_MODELS, mutate, seed_model

from analysis.errors import AnalysisError
from hwmodels import ConfigError, load_hardware
from hwmodels.io import PRESET_DIR
from workloads.errors import WorkloadError
from workloads.io import load_workload
from workloads.policy import load_policy, parse_spec

EXAMPLES = int(os.environ.get("QCOSIM_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 25,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
USER_ERRORS = (ConfigError, WorkloadError, AnalysisError)

_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["1.0", "inf", ".inf", "-1", "0x10", "1e999", "w4a8", "conv", "weights", "int8", "²"]),
)
VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
"""Any value a YAML or JSON document can hold, small."""


@st.composite
def edited(draw, document):
    """``document`` with one of its values (or the whole of it) replaced by a generated value."""
    data = json.loads(json.dumps(document))
    path = draw(st.sampled_from([p for p, _ in nodes(data, leaves_only=False)]))
    value = draw(VALUES)
    if not path:
        return value
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


def _text(data, as_json: bool) -> str:
    if as_json:
        return json.dumps(data, allow_nan=True)
    return yaml.safe_dump(data, allow_unicode=True)


def _load_or_refuse(load, path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            load(path)
        except USER_ERRORS as exc:  # the CLI prints it on one line (`qcosim.cli.one_line`), whatever keys it quotes
            assert str(exc).startswith(f"{path}: ")


HARDWARE = yaml.safe_load((PRESET_DIR / "bitfusion.yaml").read_text())
DOCUMENTS = {"hw": (HARDWARE, load_hardware), "net": (LAYER_LIST, load_workload), "policy": (POLICY, load_policy)}
"""File stem -> (a valid document of that kind, its loader)."""


@pytest.mark.parametrize("stem", sorted(DOCUMENTS))
@FUZZ
@given(draw=st.data(), as_json=st.booleans())
def test_edited_files_load_or_are_refused_in_one_line(tmp_path, stem, draw, as_json):
    document, load = DOCUMENTS[stem]
    path = tmp_path / f"{stem}.{'json' if as_json else 'yaml'}"
    path.write_text(_text(draw.draw(edited(document)), as_json))
    _load_or_refuse(load, path)


_YAML_PIECES = st.sampled_from(["a", ":", " ", "\n", "  ", "- ", "[", "]", "{", "}", ",", "&x", "*x", "!!int",
                                "!!python/name:os.system", "<<:", "'", '"', "#", "|", ">", "?", "1", "1e9", "~",
                                "\t", "\x00", "\ufeff", "é", "999999999999999999999999999999999"])


@FUZZ
@given(text=st.lists(_YAML_PIECES, max_size=40).map("".join))
def test_yaml_made_of_grammar_pieces_loads_or_is_refused_in_one_line(tmp_path, text):
    path = tmp_path / "hw.yaml"
    path.write_text(text, encoding="utf-8")
    _load_or_refuse(load_hardware, path)


_BASES = st.sampled_from(["fp32", "fp16", "bf16", "fp8", "fp8e5m2", "declared", "w4a8", "w8a8", "w2a2", "w4a16",
                          "wba8", "wta8", "wi16a8", "we4m3a8", "w1a1"])
_MODIFIERS = st.sampled_from(["g128", "g1", "g0", "g²", "pc", "pt", "cb", "kv4", "kvfp8", "kv", "asym", "dyn",
                              "fake", "fp32rq", "fl8", "", "x", "g" + "9" * 40])
SHORTHANDS = st.one_of(
    st.tuples(_BASES, st.lists(_MODIFIERS, max_size=4)).map(lambda t: "-".join([t[0], *t[1]])),
    st.text(max_size=30),
)


@FUZZ
@given(text=SHORTHANDS)
def test_shorthands_parse_or_are_refused_naming_the_policy(text):
    try:
        parse_spec(text)
    except WorkloadError as exc:
        assert "polic" in str(exc)


@FUZZ
@given(model=st.sampled_from(SEED_MODELS), seed=st.integers(min_value=0, max_value=2**32))
def test_mutated_onnx_models_import_or_are_refused_in_one_line(tmp_path, model, seed):
    _, data = mutate(seed_model(model), seed)
    path = tmp_path / "m.onnx"
    path.write_bytes(data)
    _load_or_refuse(load_workload, path)
