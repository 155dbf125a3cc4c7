"""The simulator: mapper, analytical cost model, discrete-event engine and results."""

from simulator.engine import map_graph, price, simulate
from simulator.errors import MappingError, SimulationError
from simulator.hardware_view import HardwareView, hardware_view
from simulator.layer_cost import LayerContext, layer_cost
from simulator.layer_cost import clear_caches as _clear_counts
from simulator.mapping import LayerMapping, Objective, PrecisionPlan, map_layer
from simulator.mapping import clear_caches as _clear_mappings
from simulator.options import SimOptions
from simulator.residency import Residency, plan_residency
from simulator.results import (
    CycleBreakdown,
    EnergyBreakdown,
    LayerCost,
    LayerResult,
    LevelTraffic,
    MappingInfo,
    Provenance,
    QuantOverhead,
    SimResult,
    Totals,
    TraceEvent,
)
from simulator.schedule import Schedule

__all__ = [
    "CycleBreakdown",
    "EnergyBreakdown",
    "HardwareView",
    "LayerContext",
    "LayerCost",
    "LayerMapping",
    "LayerResult",
    "LevelTraffic",
    "MappingError",
    "MappingInfo",
    "Objective",
    "PrecisionPlan",
    "Provenance",
    "QuantOverhead",
    "Residency",
    "Schedule",
    "SimOptions",
    "SimResult",
    "SimulationError",
    "Totals",
    "TraceEvent",
    "clear_caches",
    "hardware_view",
    "layer_cost",
    "map_graph",
    "map_layer",
    "plan_residency",
    "price",
    "simulate",
]


def clear_caches() -> None:
    """Empty every per-process cache of the simulator (results do not change, only speed)."""
    _clear_mappings()
    _clear_counts()
