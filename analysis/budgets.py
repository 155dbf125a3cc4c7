"""Budgets on a precision search: ``latency=2.5ms``, ``energy=0.75x``, ``size=range:0.5``.

A budget is the spec sheet's limit line: the chip must run the network in at
most so many milliseconds, microjoules or bytes. Three forms:

``latency=2.5ms``
    Absolute, with a unit, converted to the unit the cost column's name carries
    (``latency_ms``, ``energy_uj``, ``size_bytes``; a column without a unit
    suffix, such as ``bops``, is a count). Naming the column itself takes a
    plain number in its unit: ``latency_ms=2.5``.
``latency=0.75x``
    Relative to the all-highest-precision plan.
``latency=range:0.5``
    HAWQ-V3's convention: the all-lowest-precision total plus 0.5 of the way to
    the all-highest-precision total (Yao et al., "HAWQ-V3: Dyadic Neural
    Network Quantization", ICML 2021, Sec. 3.4).

**Which plan is "all highest precision".** Each layer (each tie group, summed
over its members; pinned layers keep their pin) takes the candidate with the
largest weight size (the first ``size_*`` cost column), then the largest
``bops``, then the largest total of the budgeted metric itself; of candidates
equal on all of these, the first listed. Size grows with weight bits and BOPs
with weight x activation bits, so this is "most bits" read off the table. The
all-lowest plan takes the smallest on the same keys. Both plans honour ties
and pins, so a ``1.0x`` or ``range:1`` budget is always met.

Units (case-insensitive; ``b`` is a byte)::

    time    s, ms, us, ns
    energy  J, mJ, uJ, nJ, pJ
    size    B, kB, MB, GB, KiB, MiB, GiB, bits
    count   a plain number, k, M, G, T    (columns with no unit suffix, or ``_cycles``)
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from analysis.candidates import LayerOptions, OptionGroup, group_layers, metric_names
from analysis.errors import BudgetError
from analysis.units import UNITS
from vocabulary.model import FrozenModel

__all__ = ["Budget", "parse_budget", "reference_totals", "column_unit"]

_VALUE = re.compile(r"^(?P<number>(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*(?P<unit>[^\d\s.]*)$", re.IGNORECASE)
_FORMS = "use METRIC=VALUE, e.g. latency=2.5ms, latency=0.75x or latency=range:0.5"


class Budget(FrozenModel):
    """A limit on the total of one cost metric over all layers."""

    metric: str
    """The cost metric limited, a key of `Option.costs` (``latency_ms``)."""
    limit: float
    """The largest total allowed, in the metric's own unit."""
    text: str
    """The budget as the user wrote it (``latency=0.75x``), for messages."""


def column_unit(metric: str) -> tuple[str, float]:
    """The dimension of a cost column and the size of its unit in the dimension's base unit.

    The unit is the suffix after the last ``_`` (``latency_ms``: milliseconds);
    a column without a known unit suffix (``bops``) is a count.

    Examples
    --------
    >>> column_unit("latency_ms"), column_unit("size_bytes"), column_unit("bops")
    (('time', 0.001), ('size', 1.0), ('count', 1.0))
    """
    suffix = metric.rsplit("_", 1)[-1].lower() if "_" in metric else ""
    for dimension, (units, _) in UNITS.items():
        if suffix and suffix in units:
            return dimension, units[suffix]
    return "count", 1.0


def _match_metric(name: str, metrics: Sequence[str], text: str) -> str:
    """The one cost column a budget's name refers to: itself, or the one column ``name_<unit>``."""
    key = name.strip().lower()
    exact = [m for m in metrics if m.lower() == key]
    if exact:
        return exact[0]
    found = [m for m in metrics if m.lower().startswith(key + "_")]
    if len(found) == 1:
        return found[0]
    if found:
        raise BudgetError(f"{name!r} matches several cost columns ({', '.join(found)}); name one",
                          f"--budget {text}")
    raise BudgetError(f"no cost column for {name!r} (the costs have {', '.join(metrics)})", f"--budget {text}")


def _plan_total(groups: Sequence[OptionGroup], metric: str, highest: bool) -> float:
    """Total of ``metric`` when every group takes its highest- (or lowest-) precision candidate."""
    size = next((m for m in groups[0].costs if m.startswith("size_")), None)
    keys = [k for k in (size, "bops" if "bops" in groups[0].costs else None, metric) if k]
    total = 0.0
    for group in groups:
        ranked = [tuple(group.costs[k][i] for k in keys) for i in range(len(group.quants))]
        pick = max if highest else min
        total += float(group.costs[metric][ranked.index(pick(ranked))])
    return total


def reference_totals(layers: Sequence[LayerOptions], metric: str) -> tuple[float, float]:
    """Totals of ``metric`` under the all-lowest- and all-highest-precision plans (module docstring).

    Examples
    --------
    >>> from analysis.candidates import Option
    >>> def layer(name, pinned=None):
    ...     return LayerOptions(layer=name, pinned=pinned, options=[
    ...         Option(quant="w8a8", costs={"latency_ms": 2.0, "size_bytes": 8.0}, sensitivity=0.0),
    ...         Option(quant="w4a8", costs={"latency_ms": 1.2, "size_bytes": 4.0}, sensitivity=0.3)])
    >>> reference_totals([layer("conv1", pinned="w8a8"), layer("conv2")], "latency_ms")
    (3.2, 4.0)
    """
    groups = group_layers(layers)
    return _plan_total(groups, metric, highest=False), _plan_total(groups, metric, highest=True)


def _number(raw: str, text: str, what: str) -> float:
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise BudgetError(f"{what} {raw!r} is not a number ({_FORMS})", f"--budget {text}")
    return number


def _absolute(name: str, metric: str, value: str, text: str) -> float:
    """An absolute limit converted to ``metric``'s unit."""
    match = _VALUE.match(value)
    if not match:
        raise BudgetError(f"{value!r} is not a number with a unit ({_FORMS})", f"--budget {text}")
    dimension, column_factor = column_unit(metric)
    units, spelled = UNITS[dimension]
    unit = match["unit"].lower()
    if unit == "" and name.lower() == metric.lower():
        return float(match["number"])  # the column named in full: its own unit
    if unit not in units:
        what = f"unknown unit {match['unit']!r}" if unit else "missing unit"
        raise BudgetError(f"{what} for {name} (use {spelled})", f"--budget {text}")
    limit = float(match["number"]) * units[unit] / column_factor
    if not math.isfinite(limit):
        raise BudgetError(f"{match['number']} is not a finite number", f"--budget {text}")
    return limit


def parse_budget(text: str, layers: Sequence[LayerOptions]) -> Budget:
    """Read a budget such as ``latency=2.5ms``, ``energy=0.75x`` or ``latency=range:0.5``.

    Parameters
    ----------
    text : str
        ``METRIC=VALUE``; the forms and units are in the module docstring.
    layers : sequence of LayerOptions
        The candidates: their cost columns name the metrics, and relative forms are
        taken against their all-highest / all-lowest precision plans.

    Returns
    -------
    Budget
        With ``limit`` in the unit of the matched cost column.

    Raises
    ------
    BudgetError
        One line naming the budget text and what is wrong with it.

    Examples
    --------
    >>> from analysis.candidates import Option
    >>> layers = [LayerOptions(layer="conv1", options=[
    ...     Option(quant="w8a8", costs={"latency_ms": 2.0, "size_bytes": 8.0}, sensitivity=0.0),
    ...     Option(quant="w4a8", costs={"latency_ms": 1.0, "size_bytes": 4.0}, sensitivity=0.3)])]
    >>> parse_budget("latency=1500us", layers).limit
    1.5
    >>> parse_budget("latency=0.75x", layers).limit, parse_budget("latency=range:0.25", layers).limit
    (1.5, 1.25)
    >>> parse_budget("latency=2.5parsecs", layers)
    Traceback (most recent call last):
    analysis.errors.BudgetError: --budget latency=2.5parsecs: unknown unit 'parsecs' for latency (use s, ms, us, ns)
    """
    text = text.strip()
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise BudgetError(f"expected METRIC=VALUE ({_FORMS})", f"--budget {text}")
    metric = _match_metric(name, metric_names(layers), text)
    return Budget(metric=metric, limit=_limit(name.strip(), metric, value.strip(), text, layers), text=text)


def _limit(name: str, metric: str, value: str, text: str, layers: Sequence[LayerOptions]) -> float:
    """The limit of one budget in ``metric``'s unit, for each of the three forms."""
    if value.lower().startswith("range:"):
        fraction = _number(value[6:].strip(), text, "range fraction")
        if not 0.0 <= fraction <= 1.0:
            raise BudgetError(f"range fraction must be between 0 and 1, got {fraction:g}", f"--budget {text}")
        low, high = reference_totals(layers, metric)
        return low + fraction * (high - low)
    if value.lower().endswith("x"):
        factor = _number(value[:-1].strip(), text, "factor")
        if factor < 0:
            raise BudgetError(f"factor must be >= 0, got {factor:g}", f"--budget {text}")
        return factor * reference_totals(layers, metric)[1]
    return _absolute(name, metric, value, text)
