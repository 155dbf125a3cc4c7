"""Choosing precisions from the front door: sensitivity, the exact search and the ranking, by model name.

Compositions of the analysis layer's pure functions for the API and the CLI:
load the network and the hardware, measure (or read) the sensitivity, build
the cost table from the simulator, search, simulate the answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hwmodels import Accelerator, load_hardware
from simulator import SimOptions
from workloads.io import load_workload

__all__ = ["parse_candidates", "measure_sensitivity", "search", "search_table", "rank", "write_policy"]


def parse_candidates(text: str | Sequence[str]) -> list[str]:
    """``"w4a4,w4a8,w8a8"`` -> the candidate shorthands, each checked against the policy grammar."""
    from analysis.errors import AnalysisError
    from workloads.errors import QuantSpecError
    from workloads.policy import parse_spec

    items = [c.strip() for c in (text.split(",") if isinstance(text, str) else text) if c.strip()]
    if not items:
        raise AnalysisError("give at least one candidate, e.g. w4a8,w8a8", "--candidates")
    for item in items:
        try:
            spec, _ = parse_spec(item)
        except QuantSpecError as exc:
            raise AnalysisError(f"{item!r}: {exc.message}", "--candidates") from None
        if spec is None:
            raise AnalysisError(f"{item!r} is not a format a layer can take", "--candidates")
    return list(dict.fromkeys(items))


def measure_sensitivity(model: str | Path, candidates: Sequence[str], *, params: Mapping[str, Any] | None = None,
                        input_shapes: Mapping[str, Sequence[int]] | None = None, activations: bool = False,
                        calibration: str | Path | None = None, traces: str | Path | None = None,
                        clipping: str = "maxabs", graph=None):
    """The sensitivity of every weight layer of ``model`` at every candidate (`analysis.sensitivity`).

    Real weights when the model has them (ONNX), real activations through
    onnxruntime when ``activations`` or a ``calibration`` file is given, HAWQ
    traces when ``traces`` is given, else a labelled heuristic. ``graph`` is
    ``model`` already loaded, if the caller has it.
    """
    from analysis import sensitivity as sens
    from analysis.errors import AnalysisError

    graph = graph or load_workload(model, params=params, input_shapes=input_shapes)
    if (activations or calibration) and not str(model).endswith(".onnx"):
        raise AnalysisError(f"real activations need an ONNX model with weights (got {str(model)!r})",
                            "--calibration" if calibration else "--activations")
    model_path = Path(model) if activations or calibration else None
    return sens.sensitivity(graph, list(candidates), model_path=model_path, calibration=calibration,
                            traces=traces, clipping=clipping)


def search(model: str | Path, hw: str | Path | Accelerator, candidates: str | Sequence[str],
           budgets: Sequence[str] = (), *, params: Mapping[str, Any] | None = None,
           input_shapes: Mapping[str, Sequence[int]] | None = None, sensitivity=None,
           options: SimOptions | None = None, pin_first_last: bool = True):
    """The best per-layer precision plan for ``model`` on ``hw`` under ``budgets``, simulated end to end.

    Parameters
    ----------
    model : str or Path
        Zoo name, ONNX file or YAML layer list.
    hw : str, Path or Accelerator
        Preset name, YAML/JSON file, or an `Accelerator`.
    candidates : str or sequence of str
        Formats each layer may take (``"w4a4,w4a8,w8a8"``).
    budgets : sequence of str
        ``latency=2.5ms``, ``energy=0.8x``, ``size=range:0.5`` … (`analysis.search.parse_budget`).
    sensitivity : Sensitivity, optional
        Default: measured from the model's own weights, or the heuristic without weights.
    pin_first_last : bool
        Keep the first and last weight layers at the highest-precision candidate.

    Returns
    -------
    SearchReport
        The exact result (best plan and Pareto set), the plan as a policy, and its simulation.
    """
    from analysis.plan import plan_search

    names = parse_candidates(candidates)
    acc = hw if isinstance(hw, Accelerator) else load_hardware(hw)
    graph = load_workload(model, params=params, input_shapes=input_shapes)
    sensitivity = sensitivity or measure_sensitivity(model, names, graph=graph)
    return plan_search(graph, acc, names, list(budgets), sensitivity, options=options or SimOptions(),
                       pin_first_last=pin_first_last)


def search_table(path: str | Path, budgets: Sequence[str] = ()):
    """The exact search over a user cost table (CSV, one row per layer and candidate); no model needed."""
    from analysis.plan import table_search
    from analysis.table import read_cost_table

    return table_search(read_cost_table(path), budgets, source=Path(path).name)


def rank(model: str | Path, hw: str | Path | Accelerator, candidates: str | Sequence[str], *,
         objective: str = "latency", budgets: Sequence[Sequence[str]] = (), params: Mapping[str, Any] | None = None,
         input_shapes: Mapping[str, Sequence[int]] | None = None, sensitivity=None,
         options: SimOptions | None = None, pin_first_last: bool = True):
    """Uniform candidates and searched plans for ``model`` on ``hw``, simulated and ranked by ``objective``."""
    from analysis.errors import AnalysisError
    from analysis.rank import OBJECTIVE_FIELDS
    from analysis.rank import rank as rank_plans

    if objective not in OBJECTIVE_FIELDS:
        raise AnalysisError(f"must be one of {', '.join(OBJECTIVE_FIELDS)} (got {objective!r})", "--objective")
    names = parse_candidates(candidates)
    acc = hw if isinstance(hw, Accelerator) else load_hardware(hw)
    graph = load_workload(model, params=params, input_shapes=input_shapes)
    sensitivity = sensitivity or measure_sensitivity(model, names, graph=graph)
    return rank_plans(graph, acc, names, sensitivity, objective=objective, budgets=budgets,
                      options=options or SimOptions(), pin_first_last=pin_first_last)


def write_policy(report, path: str | Path) -> Path:
    """Write the best plan of ``report`` (a `SearchReport`) as a policy YAML.

    The file loads back with ``qcosim simulate --quant FILE``: the highest-precision
    candidate by default, every searched layer at its chosen format.
    """
    import yaml

    from analysis.errors import AnalysisError

    if report.policy is None:
        raise AnalysisError(f"no plan meets the budgets, so there is no policy to write: {report.result.reason}",
                            str(path))
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(report.policy.model_dump(mode="json"), sort_keys=False))
    except OSError as exc:
        raise AnalysisError(f"cannot write the policy: {exc.strerror}", str(path)) from None
    return path
