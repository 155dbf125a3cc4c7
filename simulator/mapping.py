"""The mapper: for each layer and engine, a precision plan, a spatial fold and a DRAM-level tile.

A compiler's scheduler in miniature. It asks the engine what the layer's
formats actually run at (promotion, passes, fused lanes: mechanism 1), lays
the loop nest on the array as the dataflow dictates, then searches tile sizes
and loop orders whose tiles fit every buffer *at the layer's bit-widths*:
fewer bits per element, more elements per tile, fewer DRAM round trips
(mechanism 3 comes out of this search, not out of a factor).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np

from hwmodels import Accelerator, ConfigError, MacArray
from simulator.errors import MappingError
from simulator.hardware_view import OPERANDS, HardwareView
from simulator.tiling import (
    LOOP_ORDERS,
    Dataflow,
    Fold,
    LoopNest,
    OperandWidths,
    TileCost,
    evaluate_tiles,
    fold,
    layer_cycles,
)
from workloads.footprint import operand_bits
from workloads.layers import Layer, OpKind
from workloads.quant import FormatKind, NumberFormat, QuantSpec, parse_format

__all__ = [
    "Objective", "PrecisionPlan", "LayerMapping", "loop_nest", "operand_widths", "plan_precision", "map_layer",
]


class Objective(str, Enum):
    """What the mapper minimizes."""

    LATENCY = "latency"
    ENERGY = "energy"
    EDP = "edp"


@dataclass(frozen=True)
class PrecisionPlan:
    """How a layer's formats execute on one engine."""

    weight_format: str
    act_format: str
    weight_bits: int
    act_bits: int
    floating: bool
    lanes: int
    """MACs each PE does per cycle (>1 on precision-scalable PEs at low bits)."""
    cycles_per_mac: float
    """Cycles per MAC per lane (>1 for multi-pass or bit-serial execution)."""
    peak_macs_per_cycle: float
    """Whole-array MACs per cycle at these formats."""
    accum_bits: int
    """Accumulator width of the engine (what partial sums occupy)."""


@dataclass(frozen=True)
class LayerMapping:
    """The chosen mapping of one MAC layer."""

    layer: str
    engine_index: int
    engine: str
    dataflow: Dataflow
    precision: PrecisionPlan
    nest: LoopNest
    fold: Fold
    tile_k: int
    tile_c: int
    tile_y: int
    loop_order: str
    tiles: int
    """DRAM-level tiles over all instances."""
    tile_bits: dict[str, int]
    """On-chip bits of one tile per operand (outputs at accumulator width)."""
    dram_bits: dict[str, int]
    """Bits each operand moves across the DRAM interface, all instances."""

    @property
    def compute_cycles(self) -> int:
        """Array cycles at this precision, fill and drain included."""
        return math.ceil(self.fold.compute_cycles * self.precision.cycles_per_mac)


def loop_nest(layer: Layer) -> LoopNest:
    """The per-instance loop bounds of a MAC layer (instances = groups, or matmuls of a batch)."""
    rows_in, cols_in = layer.input_hw
    if layer.op is OpKind.MATMUL:
        instances, y, batch_rows = layer.n, layer.p, rows_in
    else:
        instances, y, batch_rows = layer.groups, layer.n * layer.p, layer.n * rows_in
    c = layer.c // (1 if layer.op is OpKind.MATMUL else layer.groups)
    k = layer.k // (1 if layer.op is OpKind.MATMUL else layer.groups)
    return LoopNest(
        instances=instances,
        k=k,
        c=c,
        y=y,
        q=layer.q,
        r=layer.r,
        s=layer.s,
        stride=layer.stride[0],
        halo=(layer.r - 1) * layer.dilation[0] + 1 - layer.stride[0],
        input_cols=cols_in,
        input_elements=c * batch_rows * cols_in,
    )


def _executed_format(fmt: NumberFormat) -> str:
    # Codebook indices look up 8-bit integer levels before the MAC (Deep Compression style).
    return "int8" if fmt.kind is FormatKind.CODEBOOK else fmt.name


def plan_precision(layer: Layer, engine: MacArray) -> PrecisionPlan:
    """Resolve the layer's compute formats on ``engine`` (promotion included) and its throughput.

    Raises
    ------
    MappingError
        If the engine cannot run the formats (and may not promote them).
    """
    w_fmt, a_fmt = (layer.quant or QuantSpec()).compute_formats
    try:
        w_name, a_name = engine.resolve(_executed_format(w_fmt), _executed_format(a_fmt))
        w_run, a_run = parse_format(w_name), parse_format(a_name)
        floating = w_run.is_float or a_run.is_float
        array_rate = engine.format_macs_per_cycle(w_name, a_name)
    except ConfigError as exc:
        raise MappingError(layer.name, exc.message) from None
    per_pe = array_rate / engine.pes
    lanes = max(1, math.floor(per_pe + 1e-9))
    return PrecisionPlan(
        weight_format=w_name,
        act_format=a_name,
        weight_bits=w_run.bits,
        act_bits=a_run.bits,
        floating=floating,
        lanes=lanes,
        cycles_per_mac=lanes / per_pe,
        peak_macs_per_cycle=array_rate,
        accum_bits=engine.accum_bits,
    )


def operand_widths(layer: Layer, accum_bits: int) -> OperandWidths:
    """Bits per element of each operand at the layer's formats, scales included.

    Partial sums move at ``accum_bits``, the engine's accumulator width: the
    hardware's adders, not the policy's wish, decide what a psum occupies.
    """
    bits = operand_bits(layer)
    return OperandWidths(
        weight_bits=bits.weight_bits_per_element,
        input_bits=bits.input_bits_per_element,
        output_bits=bits.output_bits_per_element,
        accum_bits=accum_bits,
    )


def _feasible(tiles: TileCost, view: HardwareView) -> tuple[np.ndarray, dict[str, int]]:
    """Candidates whose tiles fit every DRAM-facing buffer; and the smallest need per buffer."""
    need: dict[str, np.ndarray] = {}
    per_operand = {"weights": tiles.weight_tile_bits, "inputs": tiles.input_tile_bits,
                   "outputs": tiles.output_tile_bits}
    for operand in OPERANDS:
        name = view.dram_facing(operand).name
        need[name] = need.get(name, 0) + per_operand[operand]
    ok = np.ones(len(tiles.k), dtype=bool)
    smallest = {}
    for level in view.levels:
        if level.name in need:
            ok &= need[level.name] <= level.capacity_bits
            smallest[level.name] = int(np.min(need[level.name]))
    return ok, smallest


def _score(tiles: TileCost, compute_cycles: int, instances: int, final_output_bits: float,
           view: HardwareView, objective: Objective) -> np.ndarray:
    """Objective per candidate, with the same latency model the cost model reports.

    ``tiles`` describes one instance (group or batched matmul); ``compute_cycles``
    covers all of them, so traffic and tile counts are scaled to match.
    """
    spill = np.maximum(tiles.dram_output_bits - final_output_bits, 0) * instances
    loads = (tiles.dram_weight_bits + tiles.dram_input_bits) * instances + spill / 2
    stores = final_output_bits * instances + spill / 2
    double = {op: view.dram_facing(op).double_buffered for op in OPERANDS}
    loads_overlap = double["weights"] and double["inputs"] and (double["outputs"] | (spill == 0))
    count = tiles.tiles * instances
    first = np.maximum(loads / count, np.minimum(tiles.weight_tile_bits + tiles.input_tile_bits, loads))
    # Whole cycles, as reported: a sub-cycle gain must not buy extra DRAM traffic.
    latency = np.ceil(layer_cycles(compute_cycles, loads, stores, first, count, loads_overlap,
                                   double["outputs"], view.dram_bits_per_cycle, view.dram_latency_cycles))
    energy = (loads + stores) * view.dram_pj_per_bit
    if objective is Objective.LATENCY:
        return latency + energy * 1e-9  # energy breaks ties
    if objective is Objective.ENERGY:
        return energy + latency * 1e-9
    return latency * energy


def map_layer(
    layer: Layer, acc: Accelerator, view: HardwareView, engine_index: int = 0,
    objective: Objective = Objective.LATENCY,
) -> LayerMapping:
    """Map a MAC layer onto engine ``engine_index``: precision, fold and the best feasible tile.

    Raises
    ------
    MappingError
        Unsupported formats, or no tile fits a buffer (the message names the
        buffer and the smallest size that would work).
    """
    engine = acc.engines[engine_index]
    plan = plan_precision(layer, engine)
    nest = loop_nest(layer)
    dataflow = Dataflow(engine.dataflow.value)
    layout = fold(nest, dataflow, engine.rows, engine.cols, plan.lanes)
    widths = operand_widths(layer, engine.accum_bits)
    tiles = evaluate_tiles(nest, widths)
    ok, smallest = _feasible(tiles, view)
    if not ok.any():
        level = next(lv for lv in view.levels if lv.name in smallest and smallest[lv.name] > lv.capacity_bits)
        raise MappingError(
            layer.name,
            f"no tile fits buffer {level.name!r}: {level.capacity_bits // 8} usable bytes, "
            f"the smallest tile needs {math.ceil(smallest[level.name] / 8)} bytes",
        )
    compute = math.ceil(layout.compute_cycles * plan.cycles_per_mac)
    final_bits = nest.k * nest.y * nest.q * widths.output_bits
    score = np.where(ok, _score(tiles, compute, nest.instances, final_bits, view, objective), np.inf)
    best = int(np.argmin(score))
    n = nest.instances
    return LayerMapping(
        layer=layer.name,
        engine_index=engine_index,
        engine=engine.name,
        dataflow=dataflow,
        precision=plan,
        nest=nest,
        fold=layout,
        tile_k=int(tiles.k[best]),
        tile_c=int(tiles.c[best]),
        tile_y=int(tiles.y[best]),
        loop_order=LOOP_ORDERS[int(tiles.order[best])],
        tiles=int(tiles.tiles[best]) * n,
        tile_bits={
            "weights": int(tiles.weight_tile_bits[best]),
            "inputs": int(tiles.input_tile_bits[best]),
            "outputs": int(tiles.output_tile_bits[best]),
        },
        dram_bits={
            "weights": int(tiles.dram_weight_bits[best]) * n,
            "inputs": int(tiles.dram_input_bits[best]) * n,
            "outputs": int(tiles.dram_output_bits[best]) * n,
        },
    )
