"""Policy shorthands: ASCII digits only, bounded, and no modifier that would silently change nothing."""

from __future__ import annotations

import pytest

from workloads.errors import QuantSpecError
from workloads.policy import parse_spec


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("w4a8-g²", "policy 'w4a8-g²': unknown modifier 'g²' (known: gN, pc, pt, cb, kvFMT, asym, dyn, fake, fp32rq, fl8)"),
        ("w8a8-kv²", "policy 'w8a8-kv²': unknown operand format '²'"),
        ("w4a٨", "unknown quantization policy 'w4a٨' (expected e.g. fp32, fp16, w8a8, w4a8, w4a16-g128, w2a2, "
                 "w8a8-kv4, fp8; see 'qcosim workload --help')"),
        ("w4a8-g" + "1" * 5000, "policy 'w4a8-g111111111111111111'...: a shorthand has at most 64 characters (got 5006)"),
        ("w4a8-g" + "9" * 12, "policy 'w4a8-g999999999999': unknown modifier 'g999999999999' (known: gN, pc, pt, cb, "
                              "kvFMT, asym, dyn, fake, fp32rq, fl8)"),
        ("w4a8-g0", "policy 'w4a8-g0': group size must be 1-16777216 (got 'g0')"),
        ("wi99a8", "policy 'wi99a8': format 'int99': bits must be in [2, 32] for int formats (got 99)"),
        ("fp8-g128", "policy 'fp8-g128': modifier 'g128' would change nothing: weights are fp8_e4m3, "
                     "which have no integer scales"),
        ("fp16-pc", "policy 'fp16-pc': modifier 'pc' would change nothing: weights are fp16, which have no integer scales"),
        ("w4a16-asym", "policy 'w4a16-asym': modifier 'asym' would change nothing: activations are fp16, "
                       "which need no scale"),
        ("fp8-asym", "policy 'fp8-asym': modifier 'asym' would change nothing: activations are fp8_e4m3, "
                     "which have no zero point"),
        ("w8a8-fake-fp32rq", "policy 'w8a8-fake-fp32rq': modifier 'fp32rq' would change nothing: the MACs run in "
                             "floating point, so there is nothing to requantize"),
        ("fp16-fake", "policy 'fp16-fake': modifier 'fake' would change nothing: both operands are already floating point"),
        ("w4a8-g128-g64", "policy 'w4a8-g128-g64': modifiers 'g128' and 'g64' set the same thing; keep one"),
        ("w4a8-pc-g128", "policy 'w4a8-pc-g128': modifiers 'pc' and 'g128' set the same thing; keep one"),
        ("w4a8-kv4-kv8", "policy 'w4a8-kv4-kv8': modifiers 'kv4' and 'kv8' set the same thing; keep one"),
    ],
)
def test_bad_shorthands_are_refused_with_what_to_change(text, message):
    with pytest.raises(QuantSpecError) as info:
        parse_spec(text)
    assert str(info.value) == message


@pytest.mark.parametrize("text", ["w4a16-g128", "w8a8-asym-dyn", "fp8-dyn", "w4a8-cb", "w4a16-g128-kv4",
                                  "w8a8-kv4-asym-dyn-fl8", "w8a8-pt-fp32rq", "w1a1-g128", "W4A8-G128"])
def test_every_modifier_that_matters_is_still_accepted(text):
    spec, _ = parse_spec(text)
    assert spec is not None
