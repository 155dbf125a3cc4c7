"""The ``qcosim`` command: thin handlers over the library, one-line errors, exit code 2 for bad input.

Each handler imports what it runs when it runs: the simulator, numpy, onnx and
rich cost most of a second to import, and ``qcosim hw list`` needs none of them.
"""

from __future__ import annotations

import functools
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["app", "main"]

app = typer.Typer(
    name="qcosim",
    help="Latency and energy of quantized neural-network inference on accelerators.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _console() -> Console:
    """Terminal output; piped output gets a wide page so tables stay whole in files."""
    from rich.console import Console

    return Console(soft_wrap=False, width=None if sys.stdout.isatty() else 200)


ParamOpt = Annotated[
    Optional[list[str]],
    typer.Option("--param", "-P", help="Zoo model parameter key=value (repeatable), e.g. seq_len=256."),
]
ShapeOpt = Annotated[
    Optional[list[str]],
    typer.Option("--input-shape", help="Shape for a symbolic ONNX input, name=1,3,224,224 (repeatable)."),
]
QuantOpt = Annotated[
    Optional[str],
    typer.Option("--quant", "-q", help="Policy shorthand (w8a8, w4a16-g128, fp16 ...) or policy YAML file "
                 "[default: declared for a model that declares its quantization, else fp32 (workload) or w8a8]."),
]


@app.callback()
def _root(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of internal errors.")] = False):
    """qcosim: what does quantization buy on this hardware?"""


@app.command()
def workload(
    model: Annotated[Optional[str], typer.Argument(help="Zoo name, .onnx file or YAML layer list.")] = None,
    quant: QuantOpt = None,
    batch: Annotated[Optional[int], typer.Option(help="Batch size (zoo models; ONNX models exported for batch 1).")] = None,
    param: ParamOpt = None,
    input_shape: ShapeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    list_models: Annotated[bool, typer.Option("--list", help="List the built-in models.")] = False,
    no_fuse: Annotated[bool, typer.Option("--no-fuse", help="Keep batch-norm/activation layers separate.")] = False,
) -> None:
    """Per-layer MACs, parameters, bytes at the chosen precision and BOPs."""
    from qcosim import api
    from qcosim.tables import models_table, workload_table

    out = _console()
    if list_models or model is None:
        out.print(models_table(api.zoo_models()))
        return
    summary = api.summarize_workload(
        model, quant, params=api.parse_params(param, batch), input_shapes=api.parse_shapes(input_shape),
        fused=not no_fuse,
    )
    if as_json:
        print(summary.model_dump_json(indent=2))
    else:
        out.print(workload_table(summary))


@app.command()
def simulate(
    model: Annotated[str, typer.Argument(help="Zoo name, .onnx file or YAML layer list.")],
    hw: Annotated[str, typer.Option("--hw", "-H", help="Accelerator preset or YAML/JSON file.")],
    quant: QuantOpt = None,
    fidelity: Annotated[str, typer.Option(help="analytical or des (discrete-event).")] = "analytical",
    objective: Annotated[str, typer.Option(help="What the mapper minimizes: latency, energy or edp.")] = "latency",
    batch: Annotated[Optional[int], typer.Option(help="Batch size (zoo models; ONNX models exported for batch 1).")] = None,
    stream: Annotated[int, typer.Option(help="Run N copies as streamed batch items (engines overlap them).")] = 1,
    pipeline: Annotated[bool, typer.Option("--pipeline", help="One stage of layers per engine (layer pipelining).")] = False,
    param: ParamOpt = None,
    input_shape: ShapeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Result as JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Per-layer CSV.")] = False,
    trace: Annotated[Optional[Path], typer.Option(help="Write a Chrome trace (Perfetto) to this file.")] = None,
    report: Annotated[Optional[Path], typer.Option(help="Also write a report (HTML, Markdown, CSV) into this directory.")] = None,
) -> None:
    """Latency and energy per layer and in total, and where they go."""
    from qcosim import api
    from qcosim.tables import result_table

    api.parse_stream(stream), api.parse_output_path(trace, "--trace")  # refuse before the work, not after
    result = api.simulate(model, hw, quant, fidelity=api.parse_fidelity(fidelity),
                          params=api.parse_params(param, batch), input_shapes=api.parse_shapes(input_shape),
                          stream=stream, options=api.parse_objective(objective).model_copy(
                              update={"pipeline": pipeline, "record_timeline": trace is not None}))
    if as_json:  # the result first: a side output that fails must not lose it
        print(result.model_dump_json(indent=2))
    elif as_csv:
        print(result.to_csv(), end="")
    else:
        _console().print(result_table(result))
    sys.stdout.flush()
    if trace is not None:
        api.write_trace(result, trace)
    if report is not None:
        from hwmodels import load_hardware
        from qcosim.cli_report import write_and_tell

        write_and_tell([result], report, hardware=load_hardware(hw))


@app.command()
def demo(
    report: Annotated[Path, typer.Option(help="Directory of the comparison report it ends with.")] = Path("out/demo-report"),
) -> None:
    """The main job on a built-in default: ResNet-50 at w8a8 and w4a8, ending with a comparison report; then a
    co-design question (out/demo-codesign)."""
    from qcosim import api
    from qcosim.cli_report import write_and_tell

    out = _console()
    for line in api.demo_lines():
        out.print(line)
    write_and_tell([api.simulate(api.DEMO_MODEL, api.DEMO_HARDWARE, policy) for policy in api.DEMO_POLICIES], report,
                   stdout=True)
    from qcosim.cli_codesign import demo_question

    demo_question(out, Path("out") / "demo-codesign")


def _mount_hardware() -> None:
    from qcosim.cli_hw import hw_app

    app.add_typer(hw_app, name="hw", help="Accelerator presets and files: show, list, schema.")


_mount_hardware()


def _mount_precision() -> None:
    from qcosim.cli_codesign import mount as mount_codesign
    from qcosim.cli_report import mount as mount_report
    from qcosim.cli_search import mount as mount_search
    from qcosim.cli_sweep import mount as mount_sweep

    mount_search(app)
    mount_sweep(app)
    mount_report(app)
    mount_codesign(app)


_mount_precision()


def _is_user_error(exc: Exception) -> bool:
    """An error caused by the user's input; imports the library, which a handler that raised has loaded.

    A file-system error about a named file (too long a name, no permission, a full disk) is the
    user's to fix too.
    """
    from qcosim.api import USER_ERRORS

    return isinstance(exc, USER_ERRORS) or (isinstance(exc, OSError) and exc.filename is not None)


def _is_usage_error(exc: Exception) -> bool:
    """Usage errors of click or of typer's vendored click: they can show themselves."""
    return callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int)


MAX_MESSAGE_CHARS = 1000
"""Longest error line printed; the start names the file, field or option, the rest is cut."""


def one_line(text: str) -> str:
    r"""``text`` on one line of at most `MAX_MESSAGE_CHARS` characters, with how much was cut.

    Examples
    --------
    >>> one_line("bad value\non two lines")
    'bad value on two lines'
    """
    text = " ".join(text.split())
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    return f"{text[:MAX_MESSAGE_CHARS]}... ({len(text) - MAX_MESSAGE_CHARS:,} more characters)"


def _user_message(exc: Exception) -> str:
    if isinstance(exc, OSError):
        name = str(exc.filename)
        shown = name if len(name) <= 80 else f"{name[:40]}...({len(name):,} characters)"
        return f"{shown}: {exc.strerror or exc}"
    return str(exc)


@functools.cache
def _click_command():
    """The click command typer builds from ``app``: built once (about 30 ms), run by every `main` call."""
    return typer.main.get_command(app)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as one line for the user (``warning: model.onnx: ...``), not Python's source excerpt."""
    print(f"warning: {one_line(str(message))}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: maps user errors to exit code 2 and a single line."""
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    if debug:  # a global option, wherever the user typed it
        argv = ["--debug", *(arg for arg in argv if arg != "--debug")]
    warnings.showwarning = _show_warning
    try:
        code = _click_command()(args=argv, prog_name="qcosim", standalone_mode=False)
    except typer.Abort:
        code = 130
    except Exception as exc:
        if _is_usage_error(exc):  # bad options or arguments, reported by the CLI library
            exc.show()
            sys.exit(exc.exit_code)
        if _is_user_error(exc):
            print(f"error: {one_line(_user_message(exc))}", file=sys.stderr)
            sys.exit(2)
        # An internal error: say so, and keep the traceback for --debug.
        if debug:
            raise
        print(one_line(f"internal error: {type(exc).__name__}: {exc}") + " (rerun with --debug)", file=sys.stderr)
        code = 1
    sys.exit(code or 0)
