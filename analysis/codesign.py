"""Co-design: accelerator and per-layer precision searched together, on the sweep machinery.

The whole flow of ``qcosim codesign SPEC -o DIR``. A co-design spec is a
sweep spec (`analysis.sweep`) whose ``search:`` section
(`analysis.codesign_spec`) replaces its policies: every accelerator the spec
makes becomes a `CodesignPoint`, the points run in batches on the sweep
executors (serial, local processes, Dask) with `analysis.codesign_eval` as the
task, and land batch by batch in the sweep's resumable store with their plans
(`analysis.codesign_store`); a killed run continues with ``resume`` and
computes only what is missing. `codesign_report` then reads the store and
takes one front per network over hardware and precision together
(`analysis.codesign_front`), names the answer (the front point best on the
primary objective), simulates it and its two baselines end to end, and says
it in one sentence.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from pydantic import Field

from analysis.codesign_eval import CodesignPoint, codesign_batch, load_sensitivity
from analysis.codesign_front import Baseline, CodesignFront, DesignPoint, codesign_front
from analysis.codesign_spec import SearchSection
from analysis.codesign_store import CodesignStore
from analysis.costs import highest_precision, searchable_layers, searched_policy
from analysis.errors import AnalysisError, SweepError
from analysis.plan import PlanFigures, evaluate_plan
from analysis.runner import (
    STORE_NAME,
    Progress,
    SweepSummary,
    check_executor,
    read_rows,
    run_points,
    spec_digest,
)
from analysis.sweep import SweepSpec, expand, load_sweep
from hwmodels import parse_hardware
from simulator import SimOptions
from vocabulary.model import FrozenModel
from workloads.io import load_workload

__all__ = ["Answer", "CodesignReport", "codesign_points", "run_codesign", "codesign_report", "answer_sentence",
           "write_outputs"]


class Answer(FrozenModel):
    """The front point best on the primary objective, simulated end to end beside its baselines."""

    point: DesignPoint
    """The design: its accelerator parameters and per-layer formats."""
    simulated: PlanFigures
    """Its plan simulated end to end (layers overlap or stay on chip: not exactly the table's sum)."""
    uniform_simulated: PlanFigures | None = None
    """The best uniform plan on the same accelerator, simulated end to end."""
    hardware_simulated: PlanFigures | None = None
    """That uniform precision on its best accelerator of no larger area, simulated end to end."""
    sentence: str
    """The answer in one sentence."""


class CodesignReport(FrozenModel):
    """A co-design run read back from its store: the question, a front and an answer per network."""

    name: str
    """The spec's name."""
    search: SearchSection
    """Candidates, accuracy source, budgets and objectives."""
    proxy: str
    """The accuracy proxy and what its values mean."""
    constraints: list[str]
    """The spec's hardware constraints (applied before anything was simulated)."""
    fronts: list[CodesignFront]
    """One per network."""
    answers: list[Answer]
    """One per network whose front is not empty."""
    failures: list[str] = Field(default_factory=list)
    """The distinct reasons accelerators failed (cannot run a candidate, no plan within the budgets)."""


def codesign_points(spec: SweepSpec, base_dir: Path) -> tuple[list[CodesignPoint], int]:
    """The accelerators of a co-design spec as points, and how many samples its constraints rejected.

    Raises
    ------
    SweepError
        A spec without a search section, a sensitivity file that is not there, or what `expand` raises.
    """
    search = spec.search
    if search is None:
        raise SweepError("has no search section: a sweep of fixed policies runs with qcosim sweep", spec._source)
    digest = ""
    if search.sensitivity != "auto":
        path = (base_dir / search.sensitivity).resolve()
        if not path.is_file():
            raise SweepError(f"search.sensitivity: file not found ({path})", spec._source)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        search = search.model_copy(update={"sensitivity": str(path)})
    expansion = expand(spec.model_copy(update={"policies": [search.candidates[0]]}), base_dir=base_dir)
    label = "search:" + ",".join(search.candidates)
    points = [CodesignPoint(**{**point.model_dump(), "policy": label}, search=search, sensitivity_digest=digest)
              for point in expansion.points]
    return points, len(expansion.rejected) * len(spec.workloads)


def run_codesign(spec_path: str | Path, out_dir: str | Path, *, executor: str = "local", workers: int | None = None,
                 scheduler: str | None = None, progress: Progress | None = None,
                 resume: bool = False) -> SweepSummary:
    """Search every accelerator of the spec at ``spec_path`` not yet in ``out_dir``'s store (as `run_sweep`).

    Raises
    ------
    AnalysisError
        A bad spec or sensitivity source; a store of another spec, or unfinished without ``resume``.
    KeyboardInterrupt
        Passed on after the batches already evaluated are stored.
    """
    start = time.perf_counter()
    check_executor(executor, workers, scheduler)
    spec_path = Path(spec_path)
    spec = load_sweep(spec_path)
    points, rejected = codesign_points(spec, spec_path.parent)
    if not points:
        raise AnalysisError(f"every accelerator breaks a constraint ({rejected} rejected): nothing to search",
                            str(spec_path))
    for point in {p.workload: p for p in points}.values():
        load_sensitivity(point)  # a bad proxy source is one line here, not a failed point per accelerator
    cached, computed, failed = run_points(points, spec, out_dir, executor=executor, workers=workers,
                                          scheduler=scheduler, progress=progress, resume=resume,
                                          task=codesign_batch, store_type=CodesignStore)
    return SweepSummary(name=spec.name, store=str(Path(out_dir) / STORE_NAME), points=len(points),
                        rejected=rejected, cached=cached, computed=computed, failed=failed,
                        seconds=time.perf_counter() - start)


def _simulate(point: dict, quants: dict[str, str], search: SearchSection, label: str, kind: str) -> PlanFigures:
    """A stored point's accelerator running a plan (weight layer -> format), end to end."""
    params = dict(point["params"])
    shapes = params.pop("input_shapes", None)
    graph = load_workload(point["workload"], params=params or None, input_shapes=shapes)
    sensitivity = load_sensitivity(CodesignPoint.model_validate(point))
    policy = searched_policy(quants, highest_precision(search.candidates))
    return evaluate_plan(graph, parse_hardware(point["hardware"]), policy, sensitivity, label=label, kind=kind,
                         options=SimOptions(**point["options"]))


def _baseline_quants(base: Baseline, plans: dict, layers: list[str]) -> dict[str, str]:
    plan = next(p for p in plans[base.key] if p.kind == "uniform" and p.label == base.precision)
    return dict(zip(layers, plan.quants, strict=True))


def codesign_report(spec_path: str | Path, out_dir: str | Path) -> CodesignReport:
    """Read a co-design's store: one front per network, its answer simulated end to end, in one sentence."""
    spec_path = Path(spec_path)
    spec = load_sweep(spec_path)
    with CodesignStore.open(Path(out_dir) / STORE_NAME, spec_digest=spec_digest(spec), create=False) as store:
        plans, details = store.plans(), store.points_json()
        failures = list(dict.fromkeys(row["error"] for row in store.iter_rows() if row["status"] == "failed"))
    rows = read_rows(Path(out_dir) / STORE_NAME)
    fronts, answers, proxy = [], [], ""
    for workload in dict.fromkeys(row.workload for row in rows):
        mine = [row for row in rows if row.workload == workload]
        sample = details[mine[0].key]
        search = SearchSection.model_validate(sample["search"])
        sensitivity = load_sensitivity(CodesignPoint.model_validate(sample))
        proxy = sensitivity.description
        params = dict(sample["params"])
        shapes = params.pop("input_shapes", None)
        layers = searchable_layers(load_workload(workload, params=params or None, input_shapes=shapes))
        front = codesign_front(workload, mine, plans, search, layers, noise_proxy=sensitivity.proxy != "hawq")
        fronts.append(front)
        if front.points:
            answers.append(_answer(front, details, plans, search, layers))
    return CodesignReport(name=spec.name, search=spec.search, proxy=proxy, constraints=spec.constraints,
                          fronts=fronts, answers=answers, failures=failures)


def _answer(front: CodesignFront, details: dict, plans: dict, search: SearchSection, layers: list[str]) -> Answer:
    best = front.points[0]
    simulated = _simulate(details[best.key], best.assignment, search, "co-designed", "searched")
    uniform = hardware = None
    if best.uniform_on_hardware is not None:
        base = best.uniform_on_hardware
        uniform = _simulate(details[base.key], _baseline_quants(base, plans, layers), search, base.precision,
                            "uniform")
        base = best.hardware_for_uniform
        hardware = _simulate(details[base.key], _baseline_quants(base, plans, layers), search, base.precision,
                             "uniform")
    answer = Answer(point=best, simulated=simulated, uniform_simulated=uniform, hardware_simulated=hardware,
                    sentence="")
    return answer.model_copy(update={"sentence": answer_sentence(front.workload, answer, search)})


def _hardware_text(values: dict) -> str:
    """Swept values as a designer writes them (sizes in KiB).

    Examples
    --------
    >>> _hardware_text({"engines[0].rows": 32, "memory[0].size_bytes": 131072})
    'engines[0].rows=32, memory[0].size_bytes=128KiB'
    """
    def show(path: str, value) -> str:
        if path.endswith("_bytes") and isinstance(value, int) and value and value % 1024 == 0:
            return f"{value // 1024}KiB"
        return str(value)

    return ", ".join(f"{path}={show(path, value)}" for path, value in values.items()) or "the base accelerator"


def answer_sentence(workload: str, answer: Answer, search: SearchSection) -> str:
    """The answer of a co-design in one sentence (table figures; the simulated ones are beside it)."""
    point, primary = answer.point, search.primary
    energy = primary == "energy_uj"
    value, unit = point.figures[primary], "uJ" if energy else "ms"
    better = "less energy" if energy else "faster"
    formats = ", ".join(f"{n} at {q}" for q, n in point.formats.items())
    budgets = ", ".join(f"{k} {v}" for k, v in search.budgets.items()) or "no budget"
    text = (f"{workload} ({budgets}): {'least energy' if energy else 'fastest'} on {_hardware_text(point.hardware)} "
            f"with {formats} weight layers, {value:.4g} {unit}")
    if point.uniform_on_hardware is None:
        return text + "; no uniform precision meets the budgets on any accelerator."
    on_hw, for_u = point.uniform_on_hardware, point.hardware_for_uniform
    text += f": {on_hw.gain:.2f}x {better} than the best uniform precision on that accelerator ({on_hw.precision})"
    if for_u.key == point.key:
        return text + f", which is also the best accelerator of no larger area for {for_u.precision}."
    return (text + f", and {for_u.gain:.2f}x {better} than {for_u.precision} on its best accelerator of no larger "
                   f"area ({_hardware_text(for_u.hardware)}).")


def write_outputs(report: CodesignReport, out_dir: str | Path) -> list[Path]:
    """``codesign.json`` (the whole report) and ``front.csv`` (one row per front point) in ``out_dir``."""
    import csv

    out = Path(out_dir)
    json_path, csv_path = out / "codesign.json", out / "front.csv"
    json_path.write_text(report.model_dump_json(indent=2))
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        paths = list(dict.fromkeys(path for f in report.fronts for p in f.points for path in p.hardware))
        figures = ["latency_ms", "energy_uj", "area_mm2", "size_bytes", "sensitivity"]
        writer.writerow(["workload", "key", *paths, *figures, "sqnr_db", "formats", "uniform_precision",
                         "gain_vs_uniform_on_hardware", "gain_vs_hardware_for_uniform", "knee"])
        for front in report.fronts:
            for index, p in enumerate(front.points):
                on_hw, for_u = p.uniform_on_hardware, p.hardware_for_uniform
                writer.writerow([front.workload, p.key, *(p.hardware.get(path, "") for path in paths),
                                 *(p.figures[f] for f in figures), p.sqnr_db,
                                 json.dumps(p.formats, separators=(",", ":")), on_hw.precision if on_hw else "",
                                 on_hw.gain if on_hw else "", for_u.gain if for_u else "", int(index == front.knee)])
    return [json_path, csv_path]
