"""The CLI keeps a finished result when a side output fails, and names the option to fix."""

from __future__ import annotations

import json

import pytest

from qcosim.cli import MAX_MESSAGE_CHARS, main, one_line


def run(capsys, *argv):
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return info.value.code, out, err


@pytest.fixture
def net(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("layers:\n  - {name: fc, op: gemm, c: 64, k: 32, p: 8}\n")
    return str(path)


def test_result_is_printed_before_a_trace_that_cannot_be_written(capsys, net):
    code, out, err = run(capsys, "simulate", net, "--hw", "edge-npu", "--json", "--trace", "/dev/full")
    assert code == 2
    assert json.loads(out)["totals"]["macs"] == 64 * 32 * 8  # the finished simulation is not lost
    assert err == "error: --trace: cannot write '/dev/full': No space left on device\n"


@pytest.mark.parametrize(
    ("trace", "message"),
    [
        ("", "error: --trace: the file name is empty"),
        ("{dir}", "error: --trace: '{dir}' is a directory; give a file name"),
        ("{net}/trace.json", "error: --trace: '{net}/trace.json': '{net}' is a file, not a directory"),
    ],
)
def test_unusable_trace_paths_are_refused_before_simulating(capsys, tmp_path, net, trace, message):
    fill = {"dir": str(tmp_path), "net": net}
    code, out, err = run(capsys, "simulate", net, "--hw", "edge-npu", "--trace", trace.format(**fill))
    assert (code, out, err) == (2, "", message.format(**fill) + "\n")


def test_a_20000_character_name_is_one_short_line(capsys, net):
    code, _, err = run(capsys, "simulate", "a" * 20_000, "--hw", "edge-npu")
    assert (code, err) == (2, "error: " + "a" * 40 + "...(20,000 characters): File name too long\n")
    code, _, err = run(capsys, "simulate", net, "--hw", "edge-npu", "--trace", "b" * 20_000)
    assert (code, err) == (2, "error: --trace: " + repr("b" * 100) + "...(20,000 characters): File name too long\n")


@pytest.mark.parametrize("stream", ["0", "-1", "1025", "1000000000"])
def test_stream_copies_are_bounded_and_the_option_named(capsys, net, stream):
    code, _, err = run(capsys, "simulate", net, "--hw", "edge-npu", "--stream", stream)
    assert (code, err) == (2, f"error: --stream: must be 1-1024 (got {stream})\n")


def test_debug_works_after_the_subcommand(capsys, net):
    for argv in (["--debug", "simulate", net, "--hw", "edge-npu", "--stream", "0"],
                 ["simulate", net, "--hw", "edge-npu", "--stream", "0", "--debug"]):
        code, _, err = run(capsys, *argv)
        assert (code, err) == (2, "error: --stream: must be 1-1024 (got 0)\n")


def test_long_or_multi_line_messages_become_one_bounded_line():
    assert one_line("a\nb\r\n  c") == "a b c"
    long = one_line("x" * (MAX_MESSAGE_CHARS + 500))
    assert long == "x" * MAX_MESSAGE_CHARS + "... (500 more characters)"
