"""The simulator: mapper, analytical cost model, discrete-event engine and results."""

from simulator.engine import SimOptions, layer_counts, plan_residency, simulate
from simulator.errors import MappingError, SimulationError
from simulator.hardware_view import HardwareView, hardware_view
from simulator.mapping import LayerMapping, Objective, PrecisionPlan, map_layer
from simulator.results import (
    EnergyBreakdown,
    LayerResult,
    LevelTraffic,
    MappingInfo,
    QuantOverhead,
    SimResult,
    Totals,
    TraceEvent,
)

__all__ = [
    "EnergyBreakdown",
    "HardwareView",
    "LayerMapping",
    "LayerResult",
    "LevelTraffic",
    "MappingError",
    "MappingInfo",
    "Objective",
    "PrecisionPlan",
    "QuantOverhead",
    "SimOptions",
    "SimResult",
    "SimulationError",
    "Totals",
    "TraceEvent",
    "hardware_view",
    "layer_counts",
    "map_layer",
    "plan_residency",
    "simulate",
]
