"""The ``search:`` section of a co-design spec: which formats each layer may take, and what a plan must meet.

The second half of a co-design order form. A sweep spec (`analysis.sweep_spec`)
says which accelerators to build; this section says how each of them is given
its per-layer precisions: the candidate formats, where the accuracy proxy
comes from, the budgets every plan must meet (an accuracy floor such as
``sqnr>=30dB``, and optionally the search grammar's cost budgets) and the
objectives of the one front over hardware and precision together.

**Accuracy budgets.** The proxies that measure relative noise power (real
weights, real activations, the bit-width heuristic; `analysis.sensitivity`)
add over layers to about 1/SQNR of the network output, so ``sqnr>=30dB`` is
the limit 10^(-30/10) = 0.001 on the summed proxy; ``sensitivity<=X`` limits
the sum directly (the only form for HAWQ traces, which are in loss units).
"""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from analysis.budgets import parse_budget
from analysis.candidates import LayerOptions, Option
from analysis.errors import AnalysisError
from hwmodels._model import field_error
from vocabulary.model import FrozenModel
from workloads.errors import QuantSpecError
from workloads.policy import parse_spec

__all__ = ["Objective", "OBJECTIVE_METRICS", "SearchSection", "accuracy_limit", "sqnr_db"]

Objective = Literal["latency", "energy", "area", "accuracy", "size"]
OBJECTIVE_METRICS: dict[str, str] = {"latency": "latency_ms", "energy": "energy_uj", "area": "area_mm2",
                                     "accuracy": "sensitivity", "size": "size_bytes"}
"""Objective name -> the plan figure it minimizes (units in the names; accuracy: the summed proxy)."""
COST_BUDGETS = ("latency", "energy", "size", "bops")
"""Budget keys besides ``accuracy``: the search grammar's metrics (`analysis.budgets`)."""

_SQNR = re.compile(r"^sqnr\s*>=\s*(?P<number>[-+]?(?:\d+\.?\d*|\.\d+))\s*db$", re.IGNORECASE)
_SENSITIVITY = re.compile(r"^sensitivity\s*<=\s*(?P<number>(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)$", re.IGNORECASE)


def accuracy_limit(text: str) -> float:
    """The largest summed sensitivity an accuracy budget allows.

    Examples
    --------
    >>> accuracy_limit("sqnr>=30dB"), accuracy_limit("sensitivity<=2.5e-3")
    (0.001, 0.0025)
    >>> accuracy_limit("sqnr>30")
    Traceback (most recent call last):
    analysis.errors.AnalysisError: accuracy: 'sqnr>30' is not sqnr>=<dB>dB or sensitivity<=<number>
    """
    text = text.strip()
    sqnr, plain = _SQNR.match(text), _SENSITIVITY.match(text)
    if sqnr:
        return 10.0 ** (-float(sqnr["number"]) / 10.0)
    if plain and math.isfinite(float(plain["number"])):
        return float(plain["number"])
    raise AnalysisError(f"{text!r} is not sqnr>=<dB>dB or sensitivity<=<number>", "accuracy")


def sqnr_db(sensitivity: float) -> float:
    """The output SQNR in dB a summed relative-noise proxy stands for (inf when exact).

    Examples
    --------
    >>> sqnr_db(0.001)
    30.0
    """
    return math.inf if sensitivity <= 0 else -10.0 * math.log10(sensitivity)


_PROBE = [LayerOptions(layer="probe", options=[Option(
    quant="w8a8", costs={"latency_ms": 1.0, "energy_uj": 1.0, "size_bytes": 1.0, "bops": 1.0}, sensitivity=0.0)])]
"""A one-layer table to check budget texts against the grammar before any hardware exists."""


class SearchSection(FrozenModel):
    """How every hardware point of a co-design gets its per-layer precisions (module docstring)."""

    candidates: list[str] = Field(min_length=1)
    """Formats each weight layer may take (policy shorthands: ``w2a8``, ``w4a8``, ``w8a8``)."""
    sensitivity: str = "auto"
    """Accuracy proxy: ``auto`` (real weights of an ONNX model, else the labelled bit-width heuristic), a
    ``.json`` table from ``qcosim sensitivity --json`` or a ``.csv`` of HAWQ traces (relative to the spec)."""
    budgets: dict[str, str] = Field(default_factory=dict)
    """``accuracy: sqnr>=30dB`` (or ``sensitivity<=X``), and ``latency``, ``energy``, ``size`` or ``bops`` in the
    search grammar (``2.5ms``, ``0.75x`` of the all-highest plan on the same accelerator, ``range:0.5``)."""
    objectives: list[Objective] = Field(default_factory=lambda: ["latency", "energy", "area", "accuracy"])
    """What the front minimizes; the first of latency and energy is what each accelerator's plans trade
    against accuracy."""
    pin_first_last: bool = True
    """Keep the first and last weight layers at the highest-precision candidate."""

    @field_validator("candidates")
    @classmethod
    def _formats(cls, candidates: list[str]) -> list[str]:
        for index, text in enumerate(candidates):
            try:
                spec, keep = parse_spec(text)
            except QuantSpecError as exc:
                raise field_error(f"[{index}]", exc.message) from None
            if spec is None or keep:
                raise field_error(f"[{index}]", f"{text!r} is not a format one layer can take")
        if len(set(candidates)) != len(candidates):
            raise field_error("", f"candidates repeat a format ({', '.join(candidates)})")
        return candidates

    @field_validator("budgets")
    @classmethod
    def _budgets(cls, budgets: dict[str, str]) -> dict[str, str]:
        for key, text in budgets.items():
            try:
                if key == "accuracy":
                    accuracy_limit(str(text))
                elif key in COST_BUDGETS:
                    parse_budget(f"{key}={text}", _PROBE)
                else:
                    raise AnalysisError(f"no budget {key!r} (known: accuracy, {', '.join(COST_BUDGETS)})")
            except AnalysisError as exc:
                raise field_error(f"[{key!r}]", exc.message) from None
        return budgets

    @model_validator(mode="after")
    def _objectives(self) -> SearchSection:
        if len(set(self.objectives)) != len(self.objectives):
            raise field_error("objectives", f"objectives repeat ({', '.join(self.objectives)})")
        if "latency" not in self.objectives and "energy" not in self.objectives:
            raise field_error("objectives", "must include latency or energy (what each accelerator's plans "
                                            "trade against accuracy)")
        return self

    @property
    def primary(self) -> str:
        """The cost metric each accelerator's plans trade against accuracy (``latency_ms`` or ``energy_uj``)."""
        return OBJECTIVE_METRICS[next(o for o in self.objectives if o in ("latency", "energy"))]

    @property
    def accuracy_limit(self) -> float:
        """The largest summed sensitivity allowed (inf without an accuracy budget)."""
        text = self.budgets.get("accuracy")
        return math.inf if text is None else accuracy_limit(text)

    @property
    def cost_budgets(self) -> list[str]:
        """The cost budgets as ``metric=value`` texts of the search grammar."""
        return [f"{key}={value}" for key, value in self.budgets.items() if key != "accuracy"]
