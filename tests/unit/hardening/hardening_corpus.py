"""The project's own corpus of bad inputs: each case is files to write, a command line, and the name the error must carry.

Built from the real formats: every numeric and boolean field of a preset, of
a layer list and of a policy file is replaced by each of the values a user
(or a corrupted file) can put there; syntax, encoding, nesting, alias and
size attacks are applied to every file kind; bad shorthands, option values
and output paths go through the CLI. A case passes when the command exits
with code 2 and one line on stderr that names ``must_name`` (the file, the
option or the policy text to fix). Nothing here is committed as data: the
cases are generated into a temporary folder.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hwmodels.io import PRESET_DIR

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
)
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + BOMB
"""The "billion laughs": nine aliases of nine aliases, nine levels deep (10^9 values from 400 bytes)."""

_BAD_NUMBERS = (True, False, "1.0", "12", "fast", -1, 0, 1e300, -1e300, 10**25, float("inf"), float("nan"),
                [], {}, None)
"""What goes into a number field: booleans, quoted numbers, text, signs, zero, overflow, infinities, containers."""

LAYER_LIST = {
    "schema_version": "1",
    "name": "tiny",
    "layers": [
        {"name": "conv1", "op": "conv", "k": 16, "c": 3, "p": 32, "q": 32, "r": 3, "s": 3, "padding": [2, 2]},
        {"name": "relu1", "op": "activation", "k": 16, "c": 16, "p": 32, "q": 32, "ops_per_output": 1},
        {"name": "fc", "op": "gemm", "c": 16, "k": 10, "quant": "w8a8"},
    ],
}
POLICY = {
    "schema_version": "1",
    "default": "w4a8",
    "keep_first_last": "w8a8",
    "overrides": [{"match": "conv*", "op": "conv", "quant": "w8a8"}],
    "layers": {"fc": "fp16"},
}
BAD_SHORTHANDS = (
    "w4a8-g²", "w8a8-kv²", "w²a8", "w4a٨", "wi١٦a8", "w4a8-g" + "1" * 5000, "w" + "9" * 5000 + "a8",
    "fp8-g128", "fp16-g64", "bf16-pc", "fp32-cb", "w4a16-asym", "fp8-asym", "fp16-fake", "w8a8-fake-fp32rq",
    "fp16-dyn", "w4a8-g128-g64", "w4a8-pc-g128", "w4a8-pt-pc", "w4a8-kv4-kv8", "w4a8-fl8-fl8",
    "w4a8-g0", "w4a8-g", "w4a8-gx", "w4a8-", "w4a8--asym", "-w4a8", "w0a8", "w9a8", "w4a0", "wa8", "w4a",
    "w4a8-kv", "w4a8-kvzz", "w4a8-zz", "int8", "w4a8 -g128", "w4a8-g-128", "w4a8-g1e3", "wi99a8",
    "x" * 65, "declared-fl8", "fp8e4m3-g32", "w4a8\x00", "\u202ew4a8", "w4a8\nw8a8",
)


@dataclass
class Case:
    """One bad input: files to write (name -> text or bytes), the arguments, and what the error must name."""

    ident: str
    argv: list[str]
    must_name: str
    files: dict[str, str | bytes] = field(default_factory=dict)

    def write(self, folder: Path) -> list[str]:
        """Write the files into ``folder``; the arguments with ``{dir}`` filled in."""
        for name, text in self.files.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                target.write_bytes(text)
            else:
                target.write_text(text, encoding="utf-8")
        return [arg.replace("{dir}", str(folder)) for arg in self.argv]


def _dump(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def nodes(data, path=(), *, leaves_only: bool = True) -> Iterator[tuple[tuple, object]]:
    """(path, value) of every scalar (or, without ``leaves_only``, every value) in nested dicts and lists."""
    container = isinstance(data, (dict, list))
    if not (leaves_only and container):
        yield path, data
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield from nodes(value, (*path, key), leaves_only=leaves_only)


def _replaced(data, path: tuple, value):
    out = copy.deepcopy(data)
    target = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return out


_VALID = {"padding": (0, -1), "latency_ns": (0,), "ops_per_output": (0,),
          "read_bytes_per_cycle": (float("inf"),), "write_bytes_per_cycle": (float("inf"),),
          "bandwidth_gb_per_s": (float("inf"),)}
"""Values of `_BAD_NUMBERS` that are right for these fields (no padding, no latency, unlimited bandwidth)."""


def _makes_sense(path: tuple, original, value) -> bool:
    if type(value) is type(original) and (value == original or isinstance(value, bool)):
        return True
    field_name = next(part for part in reversed(path) if isinstance(part, str))
    return not isinstance(value, bool) and value in _VALID.get(field_name, ())


def _field_cases(kind: str, data: dict, name: str, argv: list[str]) -> Iterator[Case]:
    """Every numeric or boolean leaf of ``data`` set to every value of `_BAD_NUMBERS` that makes no sense."""
    for path, original in nodes(data):
        if isinstance(original, str) or path[0] == "schema_version":
            continue
        for index, bad in enumerate(_BAD_NUMBERS):
            if _makes_sense(path, original, bad):
                continue
            dotted = ".".join(map(str, path))
            yield Case(f"{kind}:{dotted}={index}", [*argv], name, {name: _dump(_replaced(data, path, bad))})


def _document_cases(kind: str, valid: str, name: str, argv: list[str]) -> Iterator[Case]:
    """Syntax, encoding, size, nesting and alias attacks on one file kind."""
    network = {"net.yaml": _dump(LAYER_LIST)} if "{dir}/net.yaml" in argv and name != "net.yaml" else {}
    json_name = name.rsplit(".", 1)[0] + ".json"
    json_argv = [a.replace(name, json_name) for a in argv]
    texts = {
        "empty": "",
        "list-top": "- a\n- b\n",
        "scalar-top": "42\n",
        "syntax": valid + "\n  broken: [1, 2\n",
        "tab-indent": "name: x\n\tk: 1\n",
        "duplicate-key": valid + "name: again\n",
        "deep-flow": "x: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "deep-block": "".join("  " * i + "a:\n" for i in range(2000)) + "  " * 2000 + "1\n",
        "bomb": BOMB + valid,
        "self-alias": "x: &x [1, *x]\n" + valid,
        "undefined-alias": valid + "extra: *nothing\n",
        "long-int": valid + "extra: " + "9" * 5000 + "\n",
        "python-tag": "x: !!python/object/apply:os.system [echo hi]\n",
        "unhashable-key": "{[1, 2]: 3}\n",
        "nul-bytes": "name: x\x00\n",
        "newline-key": '"\\n\\nx": 1\n' + valid,
    }
    for label, text in texts.items():
        yield Case(f"{kind}:{label}", argv, name, {**network, name: text})
    yield Case(f"{kind}:not-utf8", argv, name, {**network, name: b"name: \xff\xfe\n"})
    yield Case(f"{kind}:too-big", argv, name, {**network, name: "# " + "x" * (16 * 2**20) + "\n"})
    yield Case(f"{kind}:directory", argv, name, {**network, f"{name}/inside.txt": "x"})
    yield Case(f"{kind}:missing", argv, name, dict(network))
    yield Case(f"{kind}:json-deep", json_argv, json_name, {**network, json_name: "[" * 100_000 + "]" * 100_000})
    yield Case(f"{kind}:json-long-int", json_argv, json_name, {**network, json_name: '{"x": ' + "1" * 5000 + "}"})
    yield Case(f"{kind}:json-syntax", json_argv, json_name, {**network, json_name: '{"x": 1,}'})


def hardware_cases() -> Iterator[Case]:
    data = yaml.safe_load((PRESET_DIR / "edge-npu.yaml").read_text())
    argv = ["hw", "show", "{dir}/hw.yaml"]
    yield from _field_cases("hw", data, "hw.yaml", argv)
    yield from _document_cases("hw", _dump(data), "hw.yaml", argv)
    for label, change in {
        "clock-huge": {"clock_ghz": 1e300},
        "engines-many": {"engines": [dict(data["engines"][0], name=f"e{i}") for i in range(65)]},
        "rows-huge": {"engines": [dict(data["engines"][0], rows=2**40)]},
        "size-huge": {"memory": [dict(level, size_bytes=2**60) for level in data["memory"]]},
        "channels-huge": {"dram": dict(data["dram"], channels=10**6)},
        "node-huge": {"technology_nm": 1e30},
    }.items():
        yield Case(f"hw:{label}", argv, "hw.yaml", {"hw.yaml": _dump({**data, **change})})
    for label, value in {"empty": "", "spaces": "  "}.items():
        yield Case(f"hw:name-{label}", ["simulate", "resnet18", "--hw", value], "accelerator")


def layer_list_cases() -> Iterator[Case]:
    argv = ["workload", "{dir}/net.yaml"]
    yield from _field_cases("layers", LAYER_LIST, "net.yaml", argv)
    yield from _document_cases("layers", _dump(LAYER_LIST), "net.yaml", argv)
    layers = LAYER_LIST["layers"]
    for label, change in {
        "dims-1e12": [dict(layers[2], k=10**12, c=10**12, p=10**12)],
        "ops-inf": [dict(layers[1], ops_per_output=float("inf"))],
        "ops-huge": [dict(layers[1], ops_per_output=1e300)],
        "cycle": [dict(layers[0], inputs=["fc"]), layers[1], layers[2]],
        "self-input": [dict(layers[0], inputs=["conv1"])],
        "ghost-input": [layers[0], dict(layers[1], inputs=["ghost"])],
        "duplicate-names": [layers[0], dict(layers[1], name="conv1")],
        "bad-quant": [dict(layers[2], quant="fp8-g128")],
        "no-layers": [],
        "padding-bool": [dict(layers[0], padding=[True, 2])],
    }.items():
        yield Case(f"layers:{label}", argv, "net.yaml", {"net.yaml": _dump({**LAYER_LIST, "layers": change})})
    many = {"layers": [{"name": f"fc{i}", "op": "gemm", "c": 16, "k": 10} for i in range(100_001)]}
    yield Case("layers:many", ["workload", "{dir}/net.json"], "net.json", {"net.json": json.dumps(many)})
    yield Case("layers:empty-path", ["workload", ""], "workload")


def policy_cases() -> Iterator[Case]:
    network = {"net.yaml": _dump(LAYER_LIST)}
    argv = ["workload", "{dir}/net.yaml", "--quant", "{dir}/policy.yaml"]
    for case in _field_cases("policy", POLICY, "policy.yaml", argv):
        yield Case(case.ident, case.argv, case.must_name, {**network, **case.files})
    yield from _document_cases("policy", _dump(POLICY), "policy.yaml", argv)
    for label, change in {
        "default-bool": {"default": True},
        "default-ignored-modifier": {"default": "fp8-g128"},
        "override-nothing": {"overrides": [{"match": "nope*", "quant": "w8a8"}]},
        "layer-unknown": {"layers": {"nope": "w8a8"}},
        "override-both": {"overrides": [{"match": "*", "quant": "w8a8", "spec": {}}]},
        "override-neither": {"overrides": [{"match": "*"}]},
    }.items():
        yield Case(f"policy:{label}", argv, "policy.yaml", {**network, "policy.yaml": _dump({**POLICY, **change})})
    for text in BAD_SHORTHANDS:
        yield Case(f"shorthand:{text[:20]!r}", ["workload", "{dir}/net.yaml", "--quant", text], "policy", network)


def option_cases() -> Iterator[Case]:
    tiny = {"net.yaml": _dump(LAYER_LIST)}
    sim = ["simulate", "{dir}/net.yaml", "--hw", "edge-npu"]
    long_name = "a" * 20_000
    cases = {
        "stream-0": ([*sim, "--stream", "0"], "--stream"),
        "stream-negative": ([*sim, "--stream", "-3"], "--stream"),
        "stream-billion": ([*sim, "--stream", "1000000000"], "--stream"),
        "trace-directory": ([*sim, "--trace", "{dir}"], "--trace"),
        "trace-empty": ([*sim, "--trace", ""], "--trace"),
        "trace-under-file": ([*sim, "--trace", "{dir}/net.yaml/trace.json"], "--trace"),
        "trace-dev-full": ([*sim, "--trace", "/dev/full"], "--trace"),
        "trace-long-name": ([*sim, "--trace", "{dir}/" + long_name], "--trace"),
        "model-long-name": (["simulate", long_name, "--hw", "edge-npu"], "aaaa"),
        "model-long-yaml": (["simulate", long_name + ".yaml", "--hw", "edge-npu"], "aaaa"),
        "hw-long-name": ([*sim[:3], long_name], "aaaa"),
        "fidelity": ([*sim, "--fidelity", "exact"], "--fidelity"),
        "objective": ([*sim, "--objective", "speed"], "--objective"),
        "param-no-equals": (["workload", "resnet18", "-P", "batch"], "--param"),
        "param-digits": (["workload", "resnet18", "-P", "batch=" + "1" * 5000], "--param"),
        "param-huge": (["workload", "resnet18", "-P", "batch=1000000000000"], "resnet18"),
        "param-image": (["workload", "resnet18", "-P", "image_size=100000000"], "resnet18"),
        "batch-0": (["workload", "resnet18", "--batch", "0"], "batch"),
        "shape-superscript": (["workload", "resnet18", "--input-shape", "x=1,²"], "--input-shape"),
        "shape-huge": (["workload", "resnet18", "--input-shape", "x=1," + "9" * 40], "--input-shape"),
        "shape-zero": (["workload", "resnet18", "--input-shape", "x=1,0"], "--input-shape"),
        "seq-huge": (["workload", "llama7b", "-P", "seq_len=100000000"], "llama7b"),
        "debug-after": ([*sim, "--stream", "0", "--debug"], "--stream"),
    }
    for label, (argv, name) in cases.items():
        yield Case(f"option:{label}", argv, name, dict(tiny))


def sweep_cases() -> Iterator[Case]:
    spec = {"schema_version": "1", "name": "s", "workloads": [{"name": "resnet18"}], "policies": ["w8a8"],
            "hardware": {"base": "edge-npu", "vary": {"clock_ghz": [0.5, 1.0]}}, "sampling": {"method": "grid"}}
    argv = ["sweep", "{dir}/spec.yaml", "--out", "{dir}/out"]
    yield from _document_cases("sweep", _dump(spec), "spec.yaml", argv)
    for label, change in {
        "clock-huge": {"hardware": {"base": "edge-npu", "vary": {"clock_ghz": [1e300]}}},
        "clock-string": {"hardware": {"base": "edge-npu", "vary": {"clock_ghz": ["1.0"]}}},
        "rows-bool": {"hardware": {"base": "edge-npu", "vary": {"engines[0].rows": [True]}}},
        "policy-bad": {"policies": ["fp8-g128"]},
        "samples-bool": {"sampling": {"method": "random", "samples": True, "seed": 0}},
        "seed-string": {"sampling": {"method": "random", "samples": 4, "seed": "1"}},
    }.items():
        yield Case(f"sweep:{label}", argv, "spec.yaml", {"spec.yaml": _dump({**spec, **change})})


def all_cases() -> list[Case]:
    """The whole corpus, in a fixed order."""
    return [*hardware_cases(), *layer_list_cases(), *policy_cases(), *option_cases(), *sweep_cases()]


if __name__ == "__main__":
    print(json.dumps({"cases": len(all_cases())}))
