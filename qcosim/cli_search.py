"""``qcosim sensitivity``, ``qcosim search`` and ``qcosim rank``: which precision, per layer, for this hardware."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = ["mount"]

CandidatesOpt = Annotated[str, typer.Option(help="Formats each layer may take, comma-separated: w4a4,w4a8,w8a8.")]
BudgetOpt = Annotated[
    Optional[list[str]],
    typer.Option("--budget", "-b", help="latency=2.5ms, energy=0.8x, size=range:0.5 ... (repeatable; all hold)."),
]
ParamOpt = Annotated[Optional[list[str]], typer.Option("--param", "-P", help="Zoo model parameter key=value.")]
ShapeOpt = Annotated[Optional[list[str]], typer.Option("--input-shape", help="Symbolic ONNX input, name=1,3,224,224.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
ReportOpt = Annotated[Optional[Path], typer.Option("--report", help="Also write a report (HTML, Markdown, CSV) into this directory.")]
FreeEndsOpt = Annotated[bool, typer.Option("--free-first-last", help="Let the first and last weight layers be searched too.")]


def sensitivity(
    model: Annotated[str, typer.Argument(help="ONNX file (real weights), zoo name or layer list.")],
    candidates: CandidatesOpt = "w8a8,w4a8,w2a8",
    calibration: Annotated[Optional[Path], typer.Option(help="Calibration inputs (.npz, arrays named after the model's inputs); runs real activations.")] = None,
    activations: Annotated[bool, typer.Option("--activations", help="Run real activations (onnxruntime) on synthetic inputs.")] = False,
    traces: Annotated[Optional[Path], typer.Option(help="CSV of Hessian traces per layer (HAWQ-V3).")] = None,
    clipping: Annotated[str, typer.Option(help="Weight scale rule: maxabs or mse (searched clipping).")] = "maxabs",
    param: ParamOpt = None,
    input_shape: ShapeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per layer and candidate: weight MSE and SQNR, and the output SQNR where activations ran."""
    from qcosim import api, precision
    from qcosim.cli import _console
    from qcosim.tables import sensitivity_table

    result = precision.measure_sensitivity(
        model, precision.parse_candidates(candidates), params=api.parse_params(param),
        input_shapes=api.parse_shapes(input_shape), activations=activations, calibration=calibration,
        traces=traces, clipping=clipping)
    if as_json:
        print(result.model_dump_json(indent=2))
    else:
        _console().print(sensitivity_table(result))


def search(
    model: Annotated[Optional[str], typer.Argument(help="Zoo name, ONNX file or layer list (omit with --table).")] = None,
    hw: Annotated[Optional[str], typer.Option("--hw", "-H", help="Accelerator preset or file.")] = None,
    candidates: CandidatesOpt = "w4a4,w4a8,w8a8",
    budget: BudgetOpt = None,
    table: Annotated[Optional[Path], typer.Option(help="Search a cost table (CSV) instead of simulating.")] = None,
    policy_out: Annotated[Optional[Path], typer.Option(help="Write the best plan as a policy YAML.")] = None,
    free_first_last: FreeEndsOpt = False,
    param: ParamOpt = None,
    input_shape: ShapeOpt = None,
    as_json: JsonOpt = False,
    report_dir: ReportOpt = None,
) -> None:
    """The exact best per-layer precisions under budgets, the Pareto set, and the plan simulated."""
    from analysis.errors import AnalysisError
    from qcosim import api, precision
    from qcosim.cli import _console
    from qcosim.tables import search_table

    if table is not None:
        if model is not None or hw is not None:
            raise AnalysisError("--table searches a cost table: give no MODEL or --hw with it", "search")
        report = precision.search_table(table, budget or [])
    else:
        if model is None or hw is None:
            raise AnalysisError("give MODEL and --hw, or --table COSTS.csv", "search")
        report = precision.search(model, hw, candidates, budget or [], params=api.parse_params(param),
                                  input_shapes=api.parse_shapes(input_shape), pin_first_last=not free_first_last)
    if policy_out is not None:
        precision.write_policy(report, policy_out)
    if as_json:
        print(report.model_dump_json(indent=2))
    else:
        _console().print(*search_table(report), sep="\n")
    if report_dir is not None:
        from qcosim.cli_report import write_and_tell

        write_and_tell([report], report_dir)
    if report.result.best is None:  # a question with no answer: scripts see it in the exit code
        raise AnalysisError(f"no plan meets the budgets: {report.result.reason}", "search")


def rank(
    model: Annotated[str, typer.Argument(help="Zoo name, ONNX file or layer list.")],
    hw: Annotated[str, typer.Option("--hw", "-H", help="Accelerator preset or file.")],
    candidates: CandidatesOpt = "w4a4,w4a8,w8a8",
    objective: Annotated[str, typer.Option(help="latency, energy, edp or size.")] = "latency",
    budget: BudgetOpt = None,
    free_first_last: FreeEndsOpt = False,
    param: ParamOpt = None,
    input_shape: ShapeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Uniform and searched precision plans side by side, ranked, with the accuracy proxy beside each."""
    from qcosim import api, precision
    from qcosim.cli import _console
    from qcosim.tables import ranking_table

    ranking = precision.rank(model, hw, candidates, objective=objective, budgets=[budget] if budget else [],
                             params=api.parse_params(param), input_shapes=api.parse_shapes(input_shape),
                             pin_first_last=not free_first_last)
    if as_json:
        print(ranking.model_dump_json(indent=2))
    else:
        _console().print(ranking_table(ranking))


def mount(app: typer.Typer) -> None:
    """Add the three commands to the ``qcosim`` application."""
    for handler in (sensitivity, search, rank):
        app.command()(handler)
