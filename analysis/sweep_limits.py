"""Constraints on a hardware sample, checked before anything is simulated: ``area_mm2 <= 10``.

The die-size and power-envelope limits of a product plan: a sample that breaks
one is rejected with the reason and never simulated. Each metric is computed
from the validated accelerator alone (no workload):

``area_mm2``
    Sum of `hwmodels.area_breakdown_mm2` (engines, vector unit, memory levels).
``sram_bytes``
    ``Accelerator.onchip_bytes``: every on-chip level over all its copies,
    per-PE levels once in every PE of every engine.
``leakage_mw``
    ``Accelerator.leakage_mw``.
``peak_macs_per_cycle``
    Sum over the engines of the MACs per cycle at 8-bit operands: int8 x int8
    on integer datapaths (a 16-bit fixed PE pads them, a bit-fusion unit fuses
    its bricks, a bit-serial PE takes its cycles per 8 bits), the narrowest
    float format of at least 8 bits on floating-point datapaths.
``peak_power_mw``
    ``leakage_mw`` plus the MAC arrays' dynamic power when every engine runs at
    its ``peak_macs_per_cycle`` at w8a8: MACs/cycle x `Accelerator.mac_pj`
    (8, 8) x clock. Memory, DRAM and vector-unit dynamic power are *not* in it,
    so it is a floor of the chip's power at full compute, not a worst case.

A constraint reads ``METRIC OP VALUE``, with OP one of ``<= < >= > ==`` and a
value in the metric's unit or with a unit of its kind (``sram_bytes <= 1MiB``,
``peak_power_mw <= 1.5W``, ``peak_macs_per_cycle >= 1k``).
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from analysis.sweep_paths import parse_quantity
from hwmodels import Accelerator, FloatPrecision, area_breakdown_mm2

__all__ = ["HARDWARE_METRICS", "Constraint", "parse_constraint", "peak_macs_per_cycle", "peak_power_mw", "violations"]


def peak_macs_per_cycle(acc: Accelerator) -> float:
    """MACs per cycle of all engines together at 8-bit operands (see the module docstring).

    Examples
    --------
    >>> from hwmodels import load_hardware
    >>> peak_macs_per_cycle(load_hardware("tpu-v1")), peak_macs_per_cycle(load_hardware("bitfusion"))
    (65536.0, 512.0)
    """
    return sum(_engine_peak(acc, index)[0] for index in range(len(acc.engines)))


def _engine_peak(acc: Accelerator, index: int) -> tuple[float, float]:
    """(MACs per cycle, pJ per MAC) of one engine at 8-bit operands."""
    floating = isinstance(acc.engines[index].precision, FloatPrecision)
    rate = acc.engines[index].macs_per_cycle(8, 8, floating=floating)
    return rate, acc.mac_pj(8, 8, floating=floating, engine=index)


def peak_power_mw(acc: Accelerator) -> float:
    """Leakage plus the MAC arrays' dynamic power at their w8a8 peak, in mW (module docstring).

    pJ per MAC x MACs per cycle x cycles per second is pJ/s; 1 pJ/s = 1e-9 mW.
    """
    peaks = [_engine_peak(acc, index) for index in range(len(acc.engines))]
    return acc.leakage_mw + sum(rate * pj for rate, pj in peaks) * acc.clock_hz * 1e-9


HARDWARE_METRICS: dict[str, tuple[str, Callable[[Accelerator], float]]] = {
    "area_mm2": ("area", lambda acc: sum(area_breakdown_mm2(acc).values())),
    "leakage_mw": ("power", lambda acc: acc.leakage_mw),
    "peak_macs_per_cycle": ("count", peak_macs_per_cycle),
    "peak_power_mw": ("power", peak_power_mw),
    "sram_bytes": ("size", lambda acc: float(acc.onchip_bytes)),
}
"""Metric -> (the kind of unit its limit takes, how it is computed from an accelerator)."""

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq,
}
_FORM = re.compile(r"\s*(?P<metric>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op><=|>=|==|<|>)\s*(?P<value>\S.*?)\s*")


@dataclass(frozen=True)
class Constraint:
    """A limit on one hardware metric, as parsed from its text."""

    metric: str
    """A key of `HARDWARE_METRICS`."""
    op: str
    """One of ``<=``, ``<``, ``>=``, ``>``, ``==``."""
    limit: float
    """The limit in the metric's own unit (mm², bytes, mW, MACs per cycle)."""
    text: str
    """The constraint as written, for the reason of a rejection."""

    def violation(self, value: float) -> str | None:
        """Why ``value`` breaks the constraint, or None when it holds."""
        if _OPERATORS[self.op](value, self.limit):
            return None
        return f"{self.metric} is {value:.6g}, not {self.op} {self.limit:.6g}"


def parse_constraint(text: str) -> Constraint:
    """Read ``METRIC OP VALUE``.

    Raises
    ------
    ValueError
        A malformed text, an unknown metric (the message lists the known ones)
        or a value that is not a number with a unit of the metric's kind.

    Examples
    --------
    >>> parse_constraint("sram_bytes <= 1MiB")
    Constraint(metric='sram_bytes', op='<=', limit=1048576.0, text='sram_bytes <= 1MiB')
    >>> parse_constraint("area <= 10")
    Traceback (most recent call last):
    ...
    ValueError: unknown metric 'area' (did you mean 'area_mm2'?); known: area_mm2, leakage_mw, \
peak_macs_per_cycle, peak_power_mw, sram_bytes
    """
    match = _FORM.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"expected METRIC OP VALUE such as 'area_mm2 <= 10' (got {text!r})")
    metric = match["metric"]
    if metric not in HARDWARE_METRICS:
        hint = difflib.get_close_matches(metric, HARDWARE_METRICS, n=1, cutoff=0.5)
        guess = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise ValueError(f"unknown metric {metric!r}{guess}; known: {', '.join(sorted(HARDWARE_METRICS))}")
    limit = parse_quantity(match["value"], HARDWARE_METRICS[metric][0])
    return Constraint(metric=metric, op=match["op"], limit=limit, text=text.strip())


def violations(constraints: list[Constraint], acc: Accelerator) -> list[str]:
    """The reasons ``acc`` breaks ``constraints`` (empty when it meets them all); each metric computed once."""
    values: dict[str, float] = {}
    reasons = []
    for constraint in constraints:
        if constraint.metric not in values:
            values[constraint.metric] = HARDWARE_METRICS[constraint.metric][1](acc)
        reason = constraint.violation(values[constraint.metric])
        if reason:
            reasons.append(reason)
    return reasons
