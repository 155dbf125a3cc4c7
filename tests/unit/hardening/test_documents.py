"""The one document loader under attack: nesting, alias bombs, huge integers, big files, odd keys and bytes."""

from __future__ import annotations

import pytest
from hardening_corpus import BOMB

from vocabulary.documents import MAX_DEPTH, MAX_FILE_BYTES, DocumentError, parse_document, read_document


@pytest.mark.parametrize(
    ("text", "json_syntax", "message"),
    [
        ("a: " + "[" * 100_000 + "]" * 100_000, False,
         f"invalid YAML at line 1, column {4 + MAX_DEPTH - 1}: nesting deeper than 64 levels"),
        ("[" * 100_000 + "]" * 100_000, True, "invalid JSON: nesting deeper than 64 levels"),
        ("[" * 65 + "]" * 65, True, "invalid JSON: nesting deeper than 64 levels"),
        (BOMB, False, "invalid YAML at line 7, column 4: more than 1,000,000 values once aliases are expanded"),
        ("a: &a [1, *a]", False, "invalid YAML at line 1, column 11: an alias refers to a node that contains it"),
        ("a: &a {b: *a}", False, "invalid YAML at line 1, column 11: an alias refers to a node that contains it"),
        ("a: " + "1" * 5000, False, "invalid YAML at line 1, column 4: integer with 5000 digits (at most 30)"),
        ("a: 0x" + "f" * 5000, False, "invalid YAML at line 1, column 4: integer with 5002 digits (at most 30)"),
        ('{"a": ' + "1" * 5000 + "}", True, "invalid JSON: integer with 5000 digits (at most 30)"),
        ("{[1, 2]: 3}", False, "invalid YAML at line 1, column 2: a key must be a plain value (got a list)"),
        ("{{a: 1}: 2}", False, "invalid YAML at line 1, column 2: a key must be a plain value (got a mapping)"),
    ],
)
def test_attacks_are_one_line_errors_with_the_place(text, json_syntax, message):
    with pytest.raises(DocumentError) as info:
        parse_document(text, json_syntax=json_syntax)
    assert str(info.value) == message


def test_aliases_within_the_limits_still_work_and_merge_keys_are_supported():
    # Aliases share a block; `<<` merges it and an explicit key overrides the merged one (YAML 1.1 merge).
    assert parse_document("base: &b {rows: 8, cols: 8}\na: *b\nc: {<<: *b, cols: 16}\n") == {
        "base": {"rows": 8, "cols": 8}, "a": {"rows": 8, "cols": 8}, "c": {"rows": 8, "cols": 16}}
    assert parse_document("[" * 64 + "]" * 64, json_syntax=True) is not None  # exactly at the limit


def test_alias_expansion_counts_towards_the_depth_limit():
    text = "a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 30 + "*a" + "]" * 30
    with pytest.raises(DocumentError, match="nesting deeper than 64 levels once aliases are expanded"):
        parse_document(text)


def test_big_files_and_bad_bytes_are_refused_before_parsing(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * MAX_FILE_BYTES)
    with pytest.raises(DocumentError, match="^file larger than 16 MiB$"):
        read_document(big)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(DocumentError, match=r"^cannot read file \(not UTF-8 text: byte 0xe9 at offset 9\)$"):
        read_document(latin)


@pytest.mark.parametrize(
    ("text", "message"),
    [  # found by test_fuzz: PyYAML's constructors raise IndexError/ValueError for a value that misfits its tag
        ("!!int", "invalid YAML at line 1, column 1: '' is not a valid int"),
        ("a: !!float x", "invalid YAML at line 1, column 4: 'x' is not a valid float"),
        ("!!bool 2", "invalid YAML at line 1, column 1: '2' is not a valid bool"),
        ("a: !!int [1]", "invalid YAML at line 1, column 4: expected a scalar node, but found sequence"),
    ],
)
def test_values_that_misfit_their_tag_are_errors_with_the_place(text, message):
    with pytest.raises(DocumentError) as info:
        parse_document(text)
    assert str(info.value) == message
