"""One layer's cost as a pure, cached function: what a precision search asks for every candidate format.

The bench test of a single layer: given the layer (its formats included), the
hardware and the context it runs in (which of its activations stay on chip,
what the mapper minimizes, which engine), it maps the layer, counts its
actions and prices them. Nothing depends on what was costed before: counts
are cached under a key holding everything they read, so asking again for a
(layer shape, formats, hardware, context) seen before is a dictionary look-up.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from hwmodels import Accelerator
from simulator.assembly import layer_result
from simulator.cache import BoundedCache
from simulator.cost import LayerCounts, mac_layer_counts, vector_layer_counts
from simulator.errors import MappingError
from simulator.hardware_view import HardwareView, hardware_view
from simulator.mapping import LayerKey, Objective, map_layer
from simulator.residency import Residency, unified_level
from simulator.results import LayerCost
from workloads.layers import Layer
from workloads.policy import parse_spec
from workloads.quant import QuantSpec

__all__ = ["LayerContext", "layer_choices", "chip_peak", "layer_cost", "clear_caches"]

_COUNTS = BoundedCache(max_entries=16384)


@dataclass(frozen=True)
class LayerContext:
    """What a layer's cost depends on besides the layer and the hardware."""

    residency: Residency = Residency()
    """Which activations are on chip already or stay there (`simulator.residency.plan_residency`)."""
    objective: Objective = Objective.LATENCY
    """What the mapper minimizes."""
    engine: str | None = None
    """Engine to run a MAC layer on; None: the one where it takes fewest cycles."""


def _local_view(view: HardwareView, res: Residency) -> HardwareView:
    """The view a layer tiles in: the unified buffer less what other resident tensors hold."""
    level = unified_level(view) or view.dram_facing("outputs")
    if not res.reserved_bits:
        return view
    return view.with_capacity(level.name, max(level.capacity_bits - res.reserved_bits, 0))


def layer_choices(layer: Layer, acc: Accelerator, view: HardwareView, objective: Objective,
                  res: Residency, key: LayerKey | None = None) -> tuple[LayerCounts, ...]:
    """Counts of ``layer`` on every unit that can run it (cached; see the module docstring).

    ``key`` is the layer's `LayerKey` when the caller has it already (a graph's are made once).

    Raises
    ------
    MappingError
        No engine can run the layer's formats, or no tile fits.
    """
    here = _local_view(view, res)
    key = key or LayerKey(layer)
    cache_key = (key, here, objective, res)
    found = _COUNTS.get(cache_key)
    if found is None:
        found = _count(layer, acc, here, objective, res, key)
        _COUNTS.put(cache_key, found)
    if found[0].layer.name == layer.name:
        return found
    return tuple(dataclasses.replace(c, layer=layer, mapping=c.mapping and dataclasses.replace(
        c.mapping, layer=layer.name)) for c in found)


def _count(layer: Layer, acc: Accelerator, view: HardwareView, objective: Objective,
           res: Residency, key: LayerKey) -> tuple[LayerCounts, ...]:
    if not layer.is_mac:
        return (vector_layer_counts(layer, acc, view, res),)
    found, errors = [], []
    for index in range(len(acc.engines)):
        try:
            found.append(mac_layer_counts(layer, map_layer(layer, acc, view, index, objective, key, res), acc, view, res))
        except MappingError as exc:  # this engine cannot run it; another may
            errors.append(exc)
    if not found:
        raise errors[0]
    return tuple(found)


def chip_peak(choices: tuple[LayerCounts, ...]) -> float:
    """Peak MACs per cycle of every engine that can run the layer, at its formats."""
    return sum(c.mapping.precision.peak_macs_per_cycle for c in choices if c.mapping is not None)


def layer_cost(layer: Layer, acc: Accelerator, quant: QuantSpec | str | None = None,
               context: LayerContext = LayerContext(), *, view: HardwareView | None = None,
               key: LayerKey | None = None) -> LayerCost:
    """The cost of one layer on ``acc`` at ``quant`` (default: the layer's own annotation).

    Parameters
    ----------
    layer : Layer
        The layer (its ``quant`` is replaced when ``quant`` is given).
    acc : Accelerator
        The hardware.
    quant : QuantSpec or str, optional
        Formats to cost the layer at: a spec or a shorthand such as ``"w4a8"``.
    context : LayerContext
        Residency, mapper objective and engine.
    view : HardwareView, optional
        ``hardware_view(acc)``, when the caller costs many layers on ``acc`` (it is read once).
    key : LayerKey, optional
        The layer's `LayerKey`, when the caller keeps one (ignored when ``quant`` is given).

    Returns
    -------
    LayerCost
        Cycles by cause, energy by component (leakage over the layer's own cycles),
        traffic per level.

    Raises
    ------
    MappingError
        The layer cannot run on ``acc`` at these formats.

    Examples
    --------
    >>> from hwmodels import load_hardware
    >>> fc = Layer(name="fc", op="gemm", p=16, c=256, k=256)
    >>> bf = load_hardware("bitfusion")
    >>> w8, w4 = layer_cost(fc, bf, "w8a8"), layer_cost(fc, bf, "w4a8")
    >>> w8.breakdown.array_cycles > w4.breakdown.array_cycles, w8.cycles == w8.breakdown.total_cycles
    (True, True)
    """
    view = view or hardware_view(acc)
    if quant is not None:
        spec = parse_spec(quant)[0] if isinstance(quant, str) else quant
        layer, key = layer.with_quant(spec), None
    choices = layer_choices(layer, acc, view, context.objective, context.residency, key)
    if context.engine is not None:
        choices = tuple(c for c in choices if c.engine == context.engine)
        if not choices:
            raise MappingError(layer.name, f"engine {context.engine!r} cannot run this layer")
    best = min(choices, key=lambda c: c.cycles)
    result = layer_result(best, acc, view, peak_macs_per_cycle=chip_peak(choices))
    return LayerCost.model_validate({k: v for k, v in result.__dict__.items() if k != "start_cycle"})


def clear_caches() -> None:
    """Empty the process's counts cache (results do not change, only speed)."""
    _COUNTS.clear()
