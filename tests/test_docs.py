"""The README's tour and Python example run as written (a README that lies is a defect)."""

import re
import shlex
from pathlib import Path

import pytest

from qcosim.cli import main

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def _tour_commands() -> list[list[str]]:
    commands = []
    for block in _blocks("sh"):
        for line in block.splitlines():
            line = line.split("#")[0].strip()
            # Skipped: the venv activation, make targets, a user's own ONNX file.
            if not line.startswith("qcosim ") or "model.onnx" in line:
                continue
            commands.append(shlex.split(line.split(">")[0])[1:])
    return commands


def test_readme_opens_with_the_two_commands():
    first = _blocks("sh")[0]
    assert first.splitlines()[:2] == [
        "make demo    # sets up .venv, compares ResNet-50 at w8a8 vs w4a8 on Bit Fusion, answers a co-design question",
        "make test    # sets up .venv with the dev extras and runs the whole test suite",
    ]


@pytest.fixture(scope="module")
def tour_dir(tmp_path_factory):
    """One working directory for the whole tour: a command reads what an earlier one wrote (out/plan.yaml)."""
    return tmp_path_factory.mktemp("tour")


@pytest.mark.slow
@pytest.mark.parametrize("argv", _tour_commands(), ids=" ".join)
def test_tour_command_runs(argv, tour_dir, monkeypatch, capsys):
    monkeypatch.chdir(tour_dir)  # outputs such as out/llama.json land here, not in the repo
    argv = [str(ROOT / a) if a.startswith("examples/") else a for a in argv]
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    assert info.value.code == 0, err
    assert out


def test_python_examples_run(capsys):
    tour, costs = _blocks("python")
    exec(compile(tour, "README.md", "exec"), {})
    assert "8192" in capsys.readouterr().out  # Bit Fusion's peak at w2a2
    exec(compile(costs, "README.md", "exec"), {})
    printed = [line.split() for line in capsys.readouterr().out.splitlines()]
    # Bit Fusion (Sharma et al., ISCA 2018): 4x8-bit runs at twice, 2x2-bit at 16x the 8x8 rate.
    array = {quant: int(array_cycles) for quant, _, array_cycles, _ in printed}
    assert array["w8a8"] == 2 * array["w4a8"] == 16 * array["w2a2"]
