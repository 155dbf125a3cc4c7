"""Quantization policies: which `QuantSpec` each layer of a network gets.

A policy is to a network what a process corner is to a chip: one name that
fixes many knobs. The short form is a string; the long form is a YAML file
with a default, "keep first and last layer" and per-layer overrides.

Shorthand grammar (case-insensitive)::

    POLICY := BASE ( "-" MODIFIER )*
    BASE   := "fp32" | "fp16" | "bf16" | "fp8" | "fp8e4m3" | "fp8e5m2" | "fp8_e4m3" | "fp8_e5m2"
            | "declared"
            | "w" FMT "a" FMT
    FMT    := N        integer of N bits, 2 <= N <= 8 (N=1 is binary);
                       16 and 32 mean fp16 and fp32, as in "w4a16"
            | "i" N    integer of N bits, any N in 2..32 (e.g. "i16"; widths from vocabulary.formats)
            | "b" | "t"            binary, ternary
            | "fp8" | "e4m3" | "e5m2" | "fp16" | "bf16" | "fp32"
    MODIFIER := "g" N      weight scales per group of N (fp16 scales), e.g. -g128
              | "pc" | "pt"  weight scales per channel (integer default) / per tensor
              | "cb"       non-uniform weights: a codebook of 2^W fp16 levels per channel
              | "kv" FMT   KV-cache format (integer KV: asymmetric, fp16 scales per group of 128)
              | "asym"     asymmetric activations (zero points)
              | "dyn"      dynamic activation ranges
              | "fake"     simulated quantization (dequantize, compute in fp32)
              | "fp32rq"   requantize with an fp32 scale (default for integer: dyadic)
              | "fl8"      keep the first and last MAC layers at w8a8

Examples: ``w8a8``, ``w4a8-fl8``, ``w4a16-g128``, ``w8a8-kv4``, ``w2a2``,
``fp8e5m2``, ``w8a8-asym-dyn``, ``w4a8-cb``.

"declared" keeps what the model itself declares (a quantized ONNX graph) and
runs every other layer in fp32.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, PrivateAttr, ValidationError, model_validator

from vocabulary.plain_types import plain_type_errors
from workloads._input import describe_validation_error, error_path, read_mapping
from workloads._model import FrozenModel
from workloads.errors import QuantSpecError
from workloads.graph import LayerGraph
from workloads.layers import Layer, OpKind
from workloads.quant import (
    FP16,
    FP32,
    ExecutionMode,
    Granularity,
    NumberFormat,
    QuantSpec,
    RequantMode,
    TensorQuant,
    parse_format,
)

__all__ = ["QuantPolicy", "QuantRule", "parse_policy", "load_policy", "apply_quant", "POLICY_EXAMPLES"]

POLICY_EXAMPLES = ("fp32", "fp16", "w8a8", "w4a8", "w4a16-g128", "w2a2", "w8a8-kv4", "fp8")

_WA_RE = re.compile(r"^w([a-z0-9]+?)a([a-z0-9]+)$", re.ASCII)
_NUMBER_RE = re.compile(r"[0-9]{1,9}", re.ASCII)
"""A width or group size: ASCII digits only (``str.isdigit`` also takes ``²``), at most nine of them."""
MAX_SHORTHAND_CHARS = 64
"""Longest policy shorthand (``w8a8-kv4-asym-dyn-fl8`` has 21 characters)."""
MAX_GROUP_SIZE = 2**24
"""Largest ``gN`` group size (elements sharing one weight scale)."""
_FLOAT_BASES = {"fp32", "fp16", "bf16", "fp8", "fp8e4m3", "fp8e5m2", "fp8_e4m3", "fp8_e5m2"}


def _parse_operand(token: str, text: str) -> NumberFormat:
    """One FMT of the grammar (see the module docstring)."""
    table = {"b": "binary", "t": "ternary", "1": "binary", "16": "fp16", "32": "fp32"}
    if token in table:
        return parse_format(table[token])
    if _NUMBER_RE.fullmatch(token):
        bits = int(token)
        if not 2 <= bits <= 8:
            raise QuantSpecError(
                f"policy {text!r}: integer width must be 1-8 (use i{bits} for a {bits}-bit integer)"
            )
        return parse_format(f"int{bits}")
    try:
        if token.startswith("i") and _NUMBER_RE.fullmatch(token[1:]):
            return parse_format(f"int{token[1:]}")
        return parse_format(token)
    except QuantSpecError as exc:
        known = token.startswith("i") and _NUMBER_RE.fullmatch(token[1:])
        raise QuantSpecError(f"policy {text!r}: " + (exc.message if known else f"unknown operand format {token!r}")) from None


class _Knobs:
    """Mutable scratch state while reading a shorthand; frozen into a QuantSpec at the end."""

    def __init__(self, weights: NumberFormat, acts: NumberFormat) -> None:
        self.weights, self.acts = weights, acts
        self.weight_granularity = Granularity.CHANNEL
        self.group_size: int | None = None
        self.codebook = False
        self.kv: NumberFormat | None = None
        self.symmetric_acts = True
        self.dynamic = False
        self.fake = False
        self.requant = RequantMode.DYADIC

    def spec(self) -> QuantSpec:
        weights = self.weights
        if self.codebook:
            weights = NumberFormat(kind="codebook", bits=min(weights.bits, 8))
        if not weights.needs_scale or weights.is_float:
            w_quant = TensorQuant(format=weights)
        else:
            w_quant = TensorQuant(
                format=weights,
                granularity=self.weight_granularity,
                group_size=self.group_size,
                scale_format=FP16 if self.group_size or self.codebook else FP32,
            )
        a_quant = TensorQuant(
            format=self.acts,
            symmetric=self.symmetric_acts or self.acts.is_float,
            dynamic=self.dynamic,
        )
        kv = None
        if self.kv is not None:
            kv = (
                TensorQuant(format=self.kv)
                if self.kv.is_float
                else TensorQuant(
                    format=self.kv, symmetric=False, granularity=Granularity.GROUP,
                    group_size=128, scale_format=FP16,
                )
            )
        floating = self.fake or a_quant.format.is_float or w_quant.format.is_float
        return QuantSpec(
            weights=w_quant,
            inputs=a_quant,
            outputs=a_quant,
            kv_cache=kv,
            accum_bits=32,
            requant=RequantMode.NONE if floating else self.requant,
            execution=ExecutionMode.FAKE if self.fake else ExecutionMode.INTEGER,
        )


def _apply_modifier(knobs: _Knobs, mod: str, text: str) -> bool:
    """Apply one modifier; returns True for ``fl8`` (which acts on the policy, not the spec)."""
    if mod.startswith("g") and _NUMBER_RE.fullmatch(mod[1:]):
        size = int(mod[1:])
        if not 1 <= size <= MAX_GROUP_SIZE:
            raise QuantSpecError(f"policy {text!r}: group size must be 1-{MAX_GROUP_SIZE} (got {mod!r})")
        knobs.weight_granularity, knobs.group_size = Granularity.GROUP, size
    elif mod in ("pc", "pt"):
        knobs.weight_granularity = Granularity.CHANNEL if mod == "pc" else Granularity.TENSOR
        knobs.group_size = None
    elif mod.startswith("kv") and len(mod) > 2:
        knobs.kv = _parse_operand(mod[2:], text)
    elif mod in ("asym", "dyn", "fake", "cb", "fp32rq"):
        knobs.symmetric_acts &= mod != "asym"
        knobs.dynamic |= mod == "dyn"
        knobs.fake |= mod == "fake"
        knobs.codebook |= mod == "cb"
        if mod == "fp32rq":
            knobs.requant = RequantMode.FP32
    elif mod == "fl8":
        return True
    else:
        raise QuantSpecError(
            f"policy {text!r}: unknown modifier {mod!r} "
            "(known: gN, pc, pt, cb, kvFMT, asym, dyn, fake, fp32rq, fl8)"
        )
    return False


def _modifier_kind(mod: str) -> str:
    """The knob a modifier sets: ``g128``, ``pc`` and ``pt`` all set the weight scale granularity."""
    if mod in ("pc", "pt") or (mod.startswith("g") and mod[1:].isalnum()):
        return "granularity"
    return "kv" if mod.startswith("kv") else mod


def _ignored(mod: str, knobs: _Knobs) -> str | None:
    """Why a modifier would change nothing for these operand formats (None when it matters)."""
    kind = _modifier_kind(mod)
    if kind in ("granularity", "cb") and (knobs.weights.is_float or not knobs.weights.needs_scale):
        return f"weights are {knobs.weights.name}, which have no integer scales"
    if kind in ("asym", "dyn") and not knobs.acts.needs_scale:
        return f"activations are {knobs.acts.name}, which need no scale"
    if kind == "asym" and knobs.acts.is_float:
        return f"activations are {knobs.acts.name}, which have no zero point"
    if kind == "fp32rq" and (knobs.fake or knobs.weights.is_float or knobs.acts.is_float):
        return "the MACs run in floating point, so there is nothing to requantize"
    if kind == "fake" and knobs.weights.is_float and knobs.acts.is_float:
        return "both operands are already floating point"
    return None


def parse_spec(text: str) -> tuple[QuantSpec | None, bool]:
    """Parse a shorthand into (spec, keep_first_last); spec is None for ``declared``."""
    if len(text) > MAX_SHORTHAND_CHARS:
        raise QuantSpecError(
            f"policy {text[:24]!r}...: a shorthand has at most {MAX_SHORTHAND_CHARS} characters (got {len(text)})"
        )
    base, *mods = text.strip().lower().split("-")
    if base == "declared" and not mods:
        return None, False
    if base in _FLOAT_BASES:
        fmt = parse_format(base)
        knobs = _Knobs(fmt, fmt)
    else:
        match = _WA_RE.match(base)
        if not match:
            raise QuantSpecError(
                f"unknown quantization policy {text!r} "
                f"(expected e.g. {', '.join(POLICY_EXAMPLES)}; see 'qcosim workload --help')"
            )
        knobs = _Knobs(_parse_operand(match.group(1), text), _parse_operand(match.group(2), text))
    keep, seen = False, {}
    for mod in mods:
        kind = _modifier_kind(mod)
        if kind in seen:
            raise QuantSpecError(f"policy {text!r}: modifiers {seen[kind]!r} and {mod!r} set the same thing; keep one")
        seen[kind] = mod
        keep |= _apply_modifier(knobs, mod, text)
    for mod in mods:  # after all of them: -fake makes -fp32rq moot whichever comes first
        why = _ignored(mod, knobs)
        if why:
            raise QuantSpecError(f"policy {text!r}: modifier {mod!r} would change nothing: {why}")
    try:
        return knobs.spec(), keep
    except ValidationError as exc:
        raise QuantSpecError(f"policy {text!r}: {describe_validation_error(exc)}") from None


class QuantRule(FrozenModel):
    """One override: layers selected by name glob and/or op kind get a shorthand or a full spec."""

    match: str = "*"
    """Glob over layer names (``layer4.*``, ``*attn*``, or an exact name)."""
    op: OpKind | None = None
    """Only layers of this op kind."""
    quant: str | None = None
    """Shorthand policy string for the selected layers."""
    spec: QuantSpec | None = None
    """Full spec for the selected layers (instead of ``quant``)."""

    @model_validator(mode="after")
    def _one_of(self) -> QuantRule:
        if (self.quant is None) == (self.spec is None):
            raise ValueError("exactly one of quant and spec must be given")
        if self.quant is not None:
            parse_spec(self.quant)
        return self

    def resolve(self) -> QuantSpec | None:
        return self.spec if self.spec is not None else parse_spec(self.quant)[0]


class QuantPolicy(FrozenModel):
    """A whole-network policy: a default, first/last-layer protection and ordered overrides."""

    schema_version: str = Field(default="1", pattern="^1$")
    """File format version."""
    default: str = "fp32"
    """Shorthand for every layer not overridden."""
    keep_first_last: str | None = None
    """Shorthand for the first and last MAC layers (e.g. ``w8a8``), or None."""
    overrides: tuple[QuantRule, ...] = ()
    """Rules applied in order after the default; a later rule wins over an earlier one."""
    layers: dict[str, str | QuantSpec] = Field(default_factory=dict)
    """Exact per-layer assignments, applied last (a per-layer file)."""
    _source: str | None = PrivateAttr(default=None)
    """The policy file this came from, for the errors `apply_quant` raises (None for a shorthand)."""

    @model_validator(mode="after")
    def _check_strings(self) -> QuantPolicy:
        for text in (self.default, self.keep_first_last, *self.layers.values()):
            if isinstance(text, str):
                parse_spec(text)
        return self

    @property
    def name(self) -> str:
        """A label for tables and file names."""
        return self.default if not (self.overrides or self.layers) else f"{self.default}+custom"


def parse_policy(text: str) -> QuantPolicy:
    """A `QuantPolicy` from a shorthand string such as ``w4a8-fl8``.

    Raises
    ------
    QuantSpecError
        If the string does not follow the grammar in this module's docstring.

    Examples
    --------
    >>> p = parse_policy("w4a16-g128")
    >>> spec, _ = parse_spec(p.default)
    >>> spec.weights.bits_per_element(4096 * 4096, channels=4096)
    4.125
    """
    _, keep = parse_spec(text)
    return QuantPolicy(default=text, keep_first_last="w8a8" if keep else None)


def load_policy(source: str | Path) -> QuantPolicy:
    """A policy from a shorthand string or a YAML/JSON policy file."""
    path = Path(source)
    if not str(source).strip():
        raise QuantSpecError("no policy given: the shorthand or file path is empty")
    if _is_directory(path):
        raise QuantSpecError("is a directory, not a policy file", str(path))
    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        return parse_policy(str(source))
    data = read_mapping(path, QuantSpecError)
    refused = plain_type_errors(data, QuantPolicy)
    if refused:
        loc, message = refused[0]
        raise QuantSpecError(f"{error_path(loc)}: {message}", str(path))
    try:
        policy = QuantPolicy.model_validate(data)
    except ValidationError as exc:
        raise QuantSpecError(describe_validation_error(exc, QuantPolicy), str(path)) from None
    except QuantSpecError as exc:
        raise QuantSpecError(exc.message, str(path)) from None
    policy._source = str(path)
    return policy


def _is_directory(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long to be a path: a (bad) shorthand
        return False


def _first_last(graph: LayerGraph) -> set[str]:
    macs = [layer.name for layer in graph.layers() if layer.is_mac]
    return {macs[0], macs[-1]} if macs else set()


def apply_quant(graph: LayerGraph, policy: QuantPolicy | str) -> LayerGraph:
    """A new graph whose every layer carries the `QuantSpec` the policy gives it.

    Raises
    ------
    QuantSpecError
        If an override or a per-layer entry selects no layer of the graph.
    """
    if isinstance(policy, str):
        policy = parse_policy(policy)
    default, _ = parse_spec(policy.default)
    assigned: dict[str, QuantSpec | None] = {
        layer.name: layer.quant if default is None else default for layer in graph.layers()
    }
    if policy.keep_first_last:
        for name in _first_last(graph):
            assigned[name] = parse_spec(policy.keep_first_last)[0]
    for i, rule in enumerate(policy.overrides):
        names = graph.select(rule.match, rule.op)
        if not names:
            kind = f" of op {rule.op.value!r}" if rule.op else ""
            raise QuantSpecError(
                f"overrides[{i}]: match {rule.match!r}{kind} selects no layer of {graph.name!r}", policy._source
            )
        spec = rule.resolve()
        assigned.update(dict.fromkeys(names, spec))
    for name, entry in policy.layers.items():
        if name not in graph:
            raise QuantSpecError(f"layers.{name}: no layer named {name!r} in {graph.name!r}", policy._source)
        assigned[name] = parse_spec(entry)[0] if isinstance(entry, str) else entry
    return graph.replace_layers(lambda layer: _annotate(layer, assigned[layer.name]))


def _annotate(layer: Layer, spec: QuantSpec | None) -> Layer:
    return layer.with_quant(spec if spec is not None else QuantSpec())
