"""The mapper: for each layer and engine, a precision plan, a spatial fold and a DRAM-level tile.

A compiler's scheduler in miniature. It asks the engine what the layer's
formats actually run at (promotion, passes, fused lanes: mechanism 1), lays
the loop nest on the array as the dataflow dictates, then searches tile sizes
and loop orders whose tiles fit every buffer *at the layer's bit-widths*:
fewer bits per element, more elements per tile, fewer DRAM round trips
(mechanism 3 comes out of this search, not out of a factor).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from hwmodels import Accelerator, ConfigError, MacArray
from hwmodels.sparsity import RunLengthCode
from simulator.cache import BoundedCache
from simulator.compression import activation_coding
from simulator.errors import MappingError
from simulator.hardware_view import HardwareView
from simulator.residency import Residency
from simulator.tiling import (
    LOOP_ORDERS,
    RESIDENT,
    Dataflow,
    Fold,
    LoopNest,
    OperandWidths,
    TileCost,
    TileShapes,
    array_costs,
    evaluate_tiles,
    lane_geometry,
    layer_cycles,
    merge_temporal,
    pack_groups,
    placement,
    spatial_units,
    tile_shapes,
)
from simulator.vector import epilogue_ops, vector_cycles, vector_format
from workloads.footprint import compute_spec, operand_bits
from workloads.layers import Layer, OpKind
from workloads.quant import FormatKind, NumberFormat, parse_format

__all__ = [
    "Objective", "PrecisionPlan", "LayerMapping", "ArrayTiles", "Candidates", "loop_nest", "operand_widths", "plan_precision",
    "candidate_table", "candidate_tables", "array_tiles", "prime_tables", "pipelined_array", "pe_pass",
    "mapping_key", "LayerKey", "register_tiled_reads", "map_layer", "clear_caches",
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
    activations_offset: bool = False
    """Unsigned activations run as the signed integers of their width, less ``2**(bits - 1)``
    (`hwmodels.MacArray.resolve`): a zero no longer reaches the PEs as a zero."""


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
    """How the chosen tile lies on the array; ``fold.compute_cycles`` covers the whole layer."""
    compute_cycles: int
    """Array cycles at this precision over all tiles, fill and drain included."""
    stream_cycles: int
    """Of ``compute_cycles``, those in which operands stream through a full pipeline (the rest is fill
    and drain of the systolic array, per tile and fold)."""
    array_reads: dict[str, float]
    """Elements the array reads from its buffers: weights, inputs, psum_writes, psum_reads
    (row stationary: from its per-PE scratchpads' reuse, `register_tiled_reads`)."""
    tile_k: int
    tile_c: int
    tile_y: int
    loop_order: str
    resident: tuple[str, ...]
    """Operands held whole on chip for the layer (fetched once), beyond the tile."""
    tiles: int
    """DRAM-level tiles over all instances."""
    loads_ahead: tuple[str, ...]
    """Operands (weights, inputs) whose DRAM loads may stream in while the array computes the tile
    before (`_Scorer.ahead`); the others load between tiles (and all do where one transfer a tile is
    faster than two, `cost._timing`)."""
    stores_overlap: bool
    """DRAM stores drain while the array computes (and partial sums read back stream in ahead)."""
    tile_bits: dict[str, int]
    """On-chip bits of one tile per operand (outputs at accumulator width)."""
    dram_bits: dict[str, int]
    """Bits each operand moves across the DRAM interface, all instances, as they sit on chip (decoded)."""


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
    w_fmt, a_fmt = compute_spec(layer).compute_formats
    try:
        # Unsigned activations against constant weights may run offset into signed ones (`MacArray.resolve`).
        w_name, a_name = engine.resolve(_executed_format(w_fmt), _executed_format(a_fmt),
                                        offset_activations=layer.has_static_weights)
        w_run, a_run = parse_format(w_name), parse_format(a_name)
        floating = w_run.is_float or a_run.is_float
        array_rate = engine.format_macs_per_cycle(w_name, a_name)
    except ConfigError as exc:
        raise MappingError(layer.name, exc.message) from None
    per_pe = array_rate / engine.pes
    lanes = max(1, math.floor(per_pe + 1e-9))
    asked = parse_format(_executed_format(a_fmt))
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
        activations_offset=asked.kind is FormatKind.UINT and a_run.kind is FormatKind.INT and a_run.bits == asked.bits,
    )


def operand_widths(layer: Layer, accum_bits: int, code: RunLengthCode | None = None) -> OperandWidths:
    """Bits per element of each operand at the layer's formats, scales included.

    Partial sums move at ``accum_bits``, the engine's accumulator width: the
    hardware's adders, not the policy's wish, decide what a psum occupies.
    Activations cross DRAM run-length coded where the chip codes them
    (``code``), so the mapper trades refetches of sparse activations against
    those of dense weights as the chip's own DRAM traffic does.
    """
    bits = operand_bits(layer)
    coded_in, coded_out = activation_coding(layer, code)
    return OperandWidths(
        weight_bits=bits.weight_bits_per_element,
        input_bits=bits.input_bits_per_element,
        output_bits=bits.output_bits_per_element,
        accum_bits=accum_bits,
        input_coding=coded_in,
        output_coding=coded_out,
    )


_STATIONARY = {Dataflow.WEIGHT_STATIONARY: "weights", Dataflow.INPUT_STATIONARY: "inputs",
               Dataflow.OUTPUT_STATIONARY: "outputs"}


def pipelined_array(dataflow: Dataflow, view: HardwareView) -> bool:
    """Whether the array's folds pipeline: its PEs double-buffer the stationary operand (a per-PE register
    declared ``double_buffered``, as TPU v1's weight registers are)."""
    operand = _STATIONARY.get(dataflow)
    register = view.register(operand) if operand else None
    return register is not None and register.double_buffered


def _tile_needs(table: Candidates, view: HardwareView) -> dict[str, tuple[np.ndarray, float, float]]:
    """Bits each buffer must hold for one tile of every candidate, and the smallest and largest such need.

    Weights and inputs land in their DRAM-facing levels. Partial sums
    accumulate at accumulator width in the innermost shared level holding
    outputs (TPU's accumulators); when that is not the DRAM-facing level, the
    finished outputs also need a tile there at output width. An operand a
    level keeps a second tile of (`LevelView.second_tile`, the level not
    double-buffered as a whole) needs twice its tile there. The needs depend
    on which levels hold what, not on their sizes, so they are kept on the
    table per layout.
    """
    psums, outer = view.array_facing("outputs"), view.dram_facing("outputs")
    levels = (view.dram_facing("weights"), view.dram_facing("inputs"), psums, None if psums is outer else outer)
    # A level that keeps a second tile of some of its operands (not halved as a whole) holds those twice.
    copies = tuple(2 if level is not None and not level.double_buffered and operand in level.second_tile else 1
                   for level, operand in zip(levels, ("weights", "inputs", "outputs", "outputs"), strict=True))
    names = tuple(level.name if level is not None else None for level in levels)
    layout = names + copies
    found = table.needs.get(layout)
    if found is not None:
        return found
    need: dict[str, np.ndarray] = {}
    tiles = table.tiles
    for level, bits, times in zip(names, (tiles.weight_tile_bits, tiles.input_tile_bits, tiles.output_tile_bits,
                                          table.final_tile_bits), copies, strict=True):
        if level is not None:
            bits = bits * times if times > 1 else bits
            need[level] = need[level] + bits if level in need else bits
    found = {level: (bits, float(np.min(bits)), float(np.max(bits))) for level, bits in need.items()}
    table.needs[layout] = found
    return found


class _Fits:
    """Which candidates' tiles fit every buffer, asked for a range of them at a time.

    Only the buffers that rule some candidate out are checked; ``full`` names
    a buffer that no candidate fits (then none does).
    """

    def __init__(self, need: dict[str, tuple[np.ndarray, float, float]], view: HardwareView):
        self.full: str | None = None
        self.limits: list[tuple[np.ndarray, int]] = []
        for level in view.levels:
            if level.name in need:
                bits, smallest, largest = need[level.name]
                if smallest > level.capacity_bits:
                    self.full = level.name
                    break
                if largest > level.capacity_bits:
                    self.limits.append((bits, level.capacity_bits))
        # The all-ones tile needs the least of every buffer, so when each buffer fits its smallest need,
        # some candidate fits them all.

    def __call__(self, span: slice) -> np.ndarray | None:
        """The candidates of ``span`` that fit (a mask over the span), or None when all of them do."""
        ok = None
        for bits, capacity in self.limits:
            fits = bits[span] <= capacity
            ok = fits if ok is None else ok & fits
        return ok


@dataclass(frozen=True)
class ArrayTiles:
    """Every candidate tile of one loop nest on one array geometry, without bit-widths, fewest array cycles first.

    The shape work of "map once, price many": tile sizes, loop orders, what is
    held whole, element counts (`tiling.tile_shapes`) and the array's passes
    over each tile (`tiling.array_costs`). It depends on the layer's shape, the
    array's rows and effective columns, the dataflow, the lanes and whether
    folds pipeline; every format that runs at those lanes is priced from it
    (`candidate_tables`).
    """

    shapes: TileShapes
    lane_cycles: np.ndarray
    """Array cycles of all instances at one MAC per PE lane, fill and drain included."""
    array_pass: np.ndarray
    """Which of the array's passes each candidate makes."""
    pass_stream_cycles: np.ndarray
    pass_reads: dict[str, np.ndarray]

    @property
    def nbytes(self) -> int:
        return self.shapes.nbytes + sum(a.nbytes for a in (self.lane_cycles, self.array_pass,
                                                           self.pass_stream_cycles, *self.pass_reads.values()))


@dataclass(frozen=True)
class Candidates:
    """Every candidate tile of one loop nest on one array geometry at one set of bit-widths.

    Everything here depends on the layer's shape, the array's rows and
    effective columns, the dataflow and the operands' bit-widths, not on
    buffer sizes, bandwidth or energies; so one table serves every hardware
    point that shares the array (`candidate_table` caches it). The arrays
    that do not depend on the bit-widths are its `ArrayTiles`'.
    """

    tiles: TileCost
    """The candidates, fewest ``lane_cycles`` first (`ArrayTiles`)."""
    lane_cycles: np.ndarray
    """Array cycles of all instances at one MAC per PE lane, fill and drain included."""
    array_pass: np.ndarray
    """Which of the array's passes (`tiling.array_costs`) each candidate makes: the tile shape's,
    merged or not over the temporal loop. What is held whole does not change it."""
    pass_stream_cycles: np.ndarray
    """Per pass: of its lane cycles, those streaming through a full pipeline (the rest is fill and drain)."""
    pass_reads: dict[str, np.ndarray]
    """Per pass: elements the array reads from its buffers, all instances."""
    loads_bits: np.ndarray
    """DRAM bits read, all instances (weights, inputs, half the partial-sum round trips)."""
    stores_bits: np.ndarray
    """DRAM bits written, all instances (final outputs, half the partial-sum round trips)."""
    count: np.ndarray
    """Tiles over all instances."""
    output_bits: float
    """Finished output bits of the layer, all instances (what a store writes when the output leaves)."""
    no_spill: np.ndarray
    """True where partial sums never leave the chip (the reduction loop is innermost)."""
    fill_bits: dict[str, np.ndarray]
    """DRAM bits filled into the weight and input buffers, all instances."""
    transfer_bits: np.ndarray
    """``loads_bits + stores_bits``."""
    transfer_trips: np.ndarray
    """DRAM transfers that each wait the latency: a load and a store per tile, where there are any."""
    spill_trips: np.ndarray
    """``transfer_trips`` when the output stays on chip: a store only where partial sums spill."""
    final_tile_bits: np.ndarray
    """One tile of finished outputs at output width (where they are staged outside the accumulators)."""
    needs: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)
    """Buffer needs per memory layout (`_tile_needs`), filled on first use."""
    compute: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)
    """Array cycles per cycles-per-MAC rate, and their minimum, filled on first use."""
    ahead: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)
    """Which candidates' loads stream in ahead of compute, per operand and overlap rule (`_Scorer.ahead`)."""

    def compute_cycles(self, cycles_per_mac: float) -> tuple[np.ndarray, float]:
        """Whole array cycles of every candidate at ``cycles_per_mac`` per lane, and the smallest."""
        found = self.compute.get(cycles_per_mac)
        if found is None:
            cycles = np.ceil(self.lane_cycles * cycles_per_mac)
            found = self.compute[cycles_per_mac] = (cycles, float(cycles.min()))
        return found

    def stream_tile_bits(self, operand: str, idx) -> np.ndarray:
        """Bits of ``operand`` (weights or inputs) one streamed tile of candidates ``idx`` brings in (an
        operand held whole arrives in such pieces)."""
        tiles = self.tiles
        bits = tiles.weight_tile_bits if operand == "weights" else tiles.input_tile_bits
        return bits[tiles.base[idx]]

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays at this table's bit-widths (its `ArrayTiles`' are cached and counted there)."""
        t = self.tiles
        own = [t.weight_tile_bits, t.input_tile_bits, t.output_tile_bits, t.dram_weight_bits, t.dram_input_bits,
               t.dram_output_bits, self.loads_bits, self.stores_bits, self.transfer_bits, self.transfer_trips,
               self.spill_trips, self.final_tile_bits, self.no_spill]
        extra = [a for a in (*self.fill_bits.values(), self.count) if not any(np.may_share_memory(a, b) for b in
                                                                              (*own, t.tiles))]
        return sum(a.nbytes for a in own + extra)


_ARRAY_TILES = BoundedCache(max_bytes=1 << 30)
_CANDIDATES = BoundedCache(max_bytes=1 << 30)  # with the above, about 6 array shapes of ResNet-50 at 4 formats
_MAPPINGS = BoundedCache(max_entries=8192)


def array_tiles(nest: LoopNest, dataflow: Dataflow, rows: int, wide: int, lanes: int = 1,
                pipelined: bool = False) -> ArrayTiles:
    """The width-free candidates of ``nest`` on ``rows x wide``, fewest array cycles first (cached)."""
    key = (nest, dataflow, rows, wide, lanes, pipelined)
    found = _ARRAY_TILES.get(key)
    if found is not None:
        return found
    shapes = tile_shapes(nest, spatial_units(nest, dataflow, rows, wide))
    (pass_cycles, pass_stream, pass_reads), array_pass = array_costs(nest, dataflow, rows, wide, shapes, lanes,
                                                                     pipelined)
    # Fewest array cycles first (ties in the order generated), for `_select` to read a prefix: a stable
    # sort of each candidate's pass by the rank of its cycles (a radix sort, while ranks fit 16 bits).
    _, rank = np.unique(pass_cycles, return_inverse=True)
    rank = rank.astype(np.int16 if len(pass_cycles) < 2 ** 15 else np.int32)
    by_cycles = np.argsort(rank[array_pass], kind="stable")
    array_pass = array_pass[by_cycles]
    found = ArrayTiles(shapes=shapes.take(by_cycles), lane_cycles=pass_cycles[array_pass], array_pass=array_pass,
                       pass_stream_cycles=pass_stream, pass_reads=pass_reads)
    _ARRAY_TILES.put(key, found, found.nbytes)
    return found


def candidate_table(nest: LoopNest, dataflow: Dataflow, rows: int, wide: int, widths: OperandWidths,
                    lanes: int = 1, pipelined: bool = False) -> Candidates:
    """Every candidate tile of ``nest`` folded over ``rows x wide`` (`tiling.lane_geometry`), with its
    shape-only costs at ``widths`` (cached). ``pipelined``: the array double-buffers its stationary
    operand (`tiling.tile_cycles`)."""
    return candidate_tables(nest, dataflow, rows, wide, [widths], lanes, pipelined)[0]


def candidate_tables(nest: LoopNest, dataflow: Dataflow, rows: int, wide: int, widths: Sequence[OperandWidths],
                     lanes: int = 1, pipelined: bool = False) -> list[Candidates]:
    """`candidate_table` at each of ``widths``: the tables not cached yet are priced in one pass over
    their shared `ArrayTiles` (`tiling.TileShapes.at`, bit-widths as a column against the candidates)."""
    keys = [(nest, dataflow, rows, wide, w, lanes, pipelined) for w in widths]
    found = [_CANDIDATES.get(key) for key in keys]
    todo = list(dict.fromkeys(w for w, table in zip(widths, found, strict=True) if table is None))
    if todo:
        shape = array_tiles(nest, dataflow, rows, wide, lanes, pipelined)
        priced = dict(zip(todo, _price(shape, nest, todo), strict=True))
        for key, table in priced.items():
            _CANDIDATES.put((nest, dataflow, rows, wide, key, lanes, pipelined), table, table.nbytes)
        found = [table if table is not None else priced[w] for w, table in zip(widths, found, strict=True)]
    return found


def _price(shape: ArrayTiles, nest: LoopNest, widths: list[OperandWidths]) -> list[Candidates]:
    """The tables of ``shape`` at each of ``widths``: every array ``[format, candidate]``, one row each."""
    tiles = shape.shapes.at(widths)
    n = nest.instances

    def all_instances(values: np.ndarray) -> np.ndarray:
        return values if n == 1 else values * n

    def column(values) -> np.ndarray:
        return np.array(values, dtype=float)[:, None]

    final_bits = nest.k * nest.y * nest.q * column([w.output_bits for w in widths]) * column(
        [w.output_coding for w in widths])
    spill = all_instances(np.maximum(tiles.dram_output_bits - final_bits, 0))
    fills = {"weights": all_instances(tiles.dram_weight_bits), "inputs": all_instances(tiles.dram_input_bits)}
    loads = fills["weights"] + fills["inputs"] + spill / 2
    count = all_instances(tiles.tiles)
    stores = final_bits * n + spill / 2
    transfer_trips = count * ((loads > 0).astype(float) + (stores > 0))
    spill_trips = count * ((loads > 0).astype(float) + (spill > 0))
    final_tile_bits = tiles.k * tiles.y * nest.q * column([w.output_bits for w in widths])  # y is int64
    copy = len(widths) > 1  # each table is cached on its own: a shared row would keep the others alive

    def row(values: np.ndarray, f: int) -> np.ndarray:
        return values[f].copy() if copy else values[f]

    tables = []
    for f in range(len(widths)):
        cost = tiles.row(f, copy)
        tables.append(Candidates(
            tiles=cost, lane_cycles=shape.lane_cycles, array_pass=shape.array_pass,
            pass_stream_cycles=shape.pass_stream_cycles, pass_reads=shape.pass_reads, loads_bits=row(loads, f),
            stores_bits=row(stores, f), count=count, transfer_bits=loads[f] + stores[f],
            transfer_trips=row(transfer_trips, f), spill_trips=row(spill_trips, f),
            final_tile_bits=row(final_tile_bits, f), output_bits=float(final_bits[f, 0] * n),
            no_spill=spill[f] == 0, fill_bits={"weights": all_instances(cost.dram_weight_bits),
                                               "inputs": all_instances(cost.dram_input_bits)},
        ))
    return tables


@dataclass(frozen=True)
class _Scorer:
    """The latency and energy the cost model reports, for any subset of one table's candidates.

    What the layer finds on chip (``res``: inputs other layers left there,
    an output that stays) is taken off its DRAM traffic before scoring, so the
    mapper never trades compute for DRAM savings that do not exist.
    """

    table: Candidates
    view: HardwareView
    res: Residency
    occupied_pj: float = 0.0
    """Clock, control and network energy per cycle of the layer per lane cycle of the array
    (`energy.overhead_pj`: rate x PEs x utilization, utilization = MACs / (lane cycles x lanes))."""

    def transfers(self, idx) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(DRAM bits loaded, stored, filled into the input buffer) of candidates ``idx``."""
        t = self.table
        loads, stores, fill_in = t.loads_bits[idx], t.stores_bits[idx], t.fill_bits["inputs"][idx]
        if self.res.inputs:
            cut = fill_in * self.res.inputs
            loads, fill_in = loads - cut, fill_in - cut
        if self.res.outputs:
            stores = stores - t.output_bits
        return loads, stores, fill_in

    @functools.cached_property
    def ahead(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """Whether each candidate's weight fills, input fills and partial sums read back load while the
        array computes the tile before, kept on the table per rule.

        An operand streams ahead when its DRAM-facing buffer holds a second
        tile of it (`HardwareView.streams_ahead`: double-buffered, or declared
        for that operand); an operand held whole has room for its next piece
        anyway. Partial sums come back ahead where the outputs' buffer holds a
        second tile (and then drain behind compute too, ``stores_overlap``).
        """
        t, view = self.table, self.view
        rule = tuple(view.streams_ahead(operand) for operand in RESIDENT)
        found = t.ahead.get(rule)
        if found is None:
            held = t.tiles.resident
            every = np.ones(len(held), dtype=bool)
            weights = every if rule[0] else held & 1 != 0
            inputs = every if rule[1] else held & 2 != 0
            found = t.ahead[rule] = (weights, inputs, rule[2])
        return found

    @functools.cached_property
    def all_ahead(self) -> bool:
        """Whether every stream of every candidate loads ahead (each operand's buffer holds a second tile)."""
        return all(self.view.streams_ahead(operand) for operand in RESIDENT)

    def split_loads(self, idx, loads: np.ndarray, fill_in: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(DRAM bits loaded ahead of compute, loaded between tiles) of candidates ``idx`` (`ahead`), given
        their `transfers`.

        Each is the sum of its streams; where one of them is empty the other is
        the whole of ``loads``, to the bit.
        """
        t = self.table
        weights, inputs, outputs = self.ahead
        if self.all_ahead:
            return loads, np.zeros_like(loads)
        fill_w = t.fill_bits["weights"][idx]
        spill = np.where(t.no_spill[idx], 0.0, t.stores_bits[idx] - t.output_bits)  # half the round trips
        w, i = weights[idx], inputs[idx]
        ahead = np.where(w, fill_w, 0.0) + np.where(i, fill_in, 0.0) + (spill if outputs else 0.0)
        behind = np.where(w, 0.0, fill_w) + np.where(i, 0.0, fill_in) + (0.0 if outputs else spill)
        ahead = np.where(behind == 0, loads, ahead)
        return ahead, np.where(ahead == 0, loads, behind)

    def latency(self, busy: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Whole cycles of candidates ``idx`` (`tiling.layer_cycles`, as the cost model reports them).

        Whole cycles, as reported: a sub-cycle gain must not buy extra DRAM traffic.
        """
        t, view, res = self.table, self.view, self.res
        loads, stores, fill_in = self.transfers(idx)
        ahead, behind = self.split_loads(idx, loads, fill_in)
        count = t.count[idx]
        # The first tile waits for its weights and, unless all are on chip already, its inputs
        # (`cost._timing`, the same rule).
        footprint = t.stream_tile_bits("weights", idx)
        if res.inputs < 1:
            footprint = footprint + t.stream_tile_bits("inputs", idx)
        first = np.maximum(loads / count, np.minimum(footprint, loads))
        args = (stores, first, count, self.ahead[2], view.dram_bits_per_cycle, view.dram_latency_cycles)
        cycles = layer_cycles(busy[idx], ahead, behind, *args)
        if not self.all_ahead:  # two transfers a tile may cost more latency than they hide (`cost._timing`)
            cycles = np.minimum(cycles, layer_cycles(busy[idx], 0.0, loads, *args))
        return np.ceil(cycles)

    def latency_bound(self, busy: np.ndarray, span: slice) -> np.ndarray:
        """A lower bound of `latency` for the candidates of ``span``: the busy time, or every transfer back
        to back.

        `tiling.layer_cycles` is the longest of three paths; the compute-bound one
        is at least the busy time, and the channel-bound one is exactly the
        transfers. Cheaper than the whole formula, it rules most candidates out.
        """
        t, view, res = self.table, self.view, self.res
        bits, trips = t.transfer_bits[span], t.transfer_trips[span]
        if res.inputs:
            bits = bits - res.inputs * t.fill_bits["inputs"][span]
        if res.outputs:  # no final store: a store trip only where partial sums spill (loads always happen)
            bits, trips = bits - t.output_bits, t.spill_trips[span]
        return np.maximum(busy[span], bits * (1 / view.dram_bits_per_cycle) + trips * view.dram_latency_cycles)

    def energy(self, reads: dict, idx: np.ndarray, latency: np.ndarray, widths: OperandWidths) -> np.ndarray:
        """Every energy term the mapping changes, for candidates ``idx`` (pJ).

        ``reads``: the array's reads per pass (`Candidates.pass_reads`), or one
        figure for every candidate (row stationary, `register_tiled_reads`).
        DRAM traffic, buffer fills, the array's buffer reads and partial sums, and
        leakage over the layer's cycles (MAC and per-MAC register energy do not
        depend on the mapping).
        """
        t, view = self.table, self.view
        psums = view.array_facing("outputs")
        reads = {name: v[t.array_pass[idx]] if np.ndim(v) else v for name, v in reads.items()}
        loads, stores, fill_in = self.transfers(idx)
        return (
            (loads + stores) * view.dram_pj_per_bit
            + t.fill_bits["weights"][idx] * view.dram_facing("weights").write_pj_per_bit
            + fill_in * view.dram_facing("inputs").write_pj_per_bit
            + reads["weights"] * widths.weight_bits * view.array_facing("weights").read_pj_per_bit
            + reads["inputs"] * widths.input_bits * view.array_facing("inputs").read_pj_per_bit
            + widths.accum_bits * (reads["psum_writes"] * psums.write_pj_per_bit
                                   + reads["psum_reads"] * psums.read_pj_per_bit)
            + view.leakage_pj(latency)
            + self.occupied_pj * latency / t.lane_cycles[idx]
        )


def pe_pass(nest: LoopNest, widths: OperandWidths, view: HardwareView, pes: int) -> LoopNest:
    """The loop nest with a row-stationary PE's pass: the channels and filters its scratchpads hold.

    An Eyeriss PE keeps ``pe_channels x s`` input values in its ifmap
    scratchpad, ``pe_filters x pe_channels x s`` weights in its filter
    scratchpad and ``pe_filters`` partial sums in its psum scratchpad (Chen et
    al., JSSC 2017, Table III: p and q); each count is the largest divisor of
    the layer's that fits, so passes come out even (AlexNet: q = 1 / 2 / 4 and
    p = 16 for CONV1 / CONV2 / CONV3-5 on 12 x 16-bit ifmap, 224 filter and
    24 psum words).
    """
    def words(operand: str, bits: float) -> int:
        # What one PE's scratchpad holds (the view sums ``pes`` copies), of payload words: scales and
        # zero points, which the average bits per element include, are not kept per PE.
        register = view.register(operand)
        return register.capacity_bits // pes // max(int(bits), 1) if register is not None else 1

    def divisor_up_to(n: int, cap: int) -> int:
        return max((d for d in range(1, min(n, max(cap, 1)) + 1) if n % d == 0), default=1)

    channels = divisor_up_to(nest.c, words("inputs", widths.input_bits) // nest.s)
    filters = divisor_up_to(nest.k, min(words("outputs", widths.accum_bits),
                                        words("weights", widths.weight_bits) // (channels * nest.s)))
    return dataclasses.replace(nest, pe_channels=channels, pe_filters=filters)


def register_tiled_reads(nest: LoopNest, widths: OperandWidths, view: HardwareView) -> dict[str, float]:
    """Row-stationary reuse: the per-PE scratchpads are one more tiling level (as Timeloop models it).

    Eyeriss gets its reuse from what each PE's scratchpads keep (filter rows,
    an ifmap window, psum rows), so the buffer-to-array traffic is that of the
    best tile fitting those scratchpads, found with the same search as the
    DRAM level. It does not depend on the DRAM-level tile, so the mapper and
    the cost model use this one figure for every candidate.
    """
    widths = dataclasses.replace(widths, input_coding=1.0, output_coding=1.0)  # counts elements, on chip
    tiles = evaluate_tiles(nest, widths)
    fits = np.ones(len(tiles.k), dtype=bool)
    for operand, need in (("weights", tiles.weight_tile_bits), ("inputs", tiles.input_tile_bits),
                          ("outputs", tiles.output_tile_bits)):
        register = view.register(operand)
        if register is not None:
            fits &= need <= register.capacity_bits
    if not fits.any():
        fits[:] = True
    best = int(np.argmin(np.where(fits, tiles.dram_bits, np.inf)))
    outputs = nest.k * nest.y * nest.q
    spills = (tiles.dram_output_bits[best] - outputs * widths.output_bits) / (2 * widths.accum_bits)
    return {
        "weights": float(nest.instances * tiles.dram_weight_bits[best] / widths.weight_bits),
        "inputs": float(nest.instances * tiles.dram_input_bits[best] / widths.input_bits),
        "psum_writes": float(nest.instances * (outputs + spills)),
        "psum_reads": float(nest.instances * spills),
    }


_PROBE = 1024
"""Candidates with the fewest array cycles whose best latency bounds the search (`_select`)."""
_CEILING_FROM = 32
"""Of those, how many (the lowest bounds) are timed exactly to set the bound."""


def _select(scorer: _Scorer, reads: dict, busy: np.ndarray, fits: _Fits, widths: OperandWidths,
            objective: Objective) -> int:
    """The best of the candidates that fit: the objective first, the other on ties.

    Under the latency objective only a prefix is read: candidates come fewest
    array cycles first and a layer never takes fewer cycles than it is busy,
    so once some candidate is known to take ``L`` cycles, none busy for more
    than ``L`` can win or tie. The first `_PROBE` candidates give ``L`` (more
    when none of them fits). Ties that remain go to the fewest array cycles,
    then to the first tile size and loop order generated.
    """
    n = len(busy)
    if objective is Objective.LATENCY:
        probe = min(n, _PROBE)
        while True:
            bound = _masked(scorer.latency_bound(busy, slice(0, probe)), fits(slice(0, probe)))
            if np.isfinite(bound).any() or probe == n:
                break
            probe = min(n, probe * 8)
        # The exact latency of the few best bounded is a tight ceiling.
        best = np.argpartition(bound, _CEILING_FROM)[:_CEILING_FROM] if probe > _CEILING_FROM else np.arange(probe)
        ceiling = scorer.latency(busy, best[np.isfinite(bound[best])]).min()
        # Only these can reach the best whole-cycle latency (the bound adds its terms in another order than
        # `layer_cycles`, so it may round a few ulps above a latency it equals: compared with slack):
        end = int(np.searchsorted(busy, ceiling, side="right"))
        reach = ceiling * (1 + 1e-9)
        idx = np.flatnonzero(bound[:end] <= reach)
        if end > probe:
            rest = slice(probe, end)
            idx = np.concatenate([idx, probe + np.flatnonzero(
                _masked(scorer.latency_bound(busy, rest), fits(rest)) <= reach)])
    else:
        ok = fits(slice(0, n))
        idx = np.arange(n) if ok is None else np.flatnonzero(ok)
    latency = scorer.latency(busy, idx)
    if objective is Objective.LATENCY:
        tied = latency == latency.min()
        idx, latency = idx[tied], latency[tied]
        return int(idx[np.argmin(scorer.energy(reads, idx, latency, widths))]) if len(idx) > 1 else int(idx[0])
    energy = scorer.energy(reads, idx, latency, widths)
    if objective is Objective.EDP:
        return int(idx[np.argmin(latency * energy)])
    tied = energy == energy.min()
    return int(idx[tied][np.argmin(latency[tied])])


def _masked(values: np.ndarray, ok: np.ndarray | None) -> np.ndarray:
    """``values`` with infinity where ``ok`` is False (``ok`` None: every candidate is ok)."""
    return values if ok is None else np.where(ok, values, np.inf)


def map_layer(
    layer: Layer, acc: Accelerator, view: HardwareView, engine_index: int = 0,
    objective: Objective = Objective.LATENCY, key: LayerKey | None = None, res: Residency = Residency(),
) -> LayerMapping:
    """Map a MAC layer onto engine ``engine_index``: precision, fold and the best feasible tile.

    Pure and cached: the key is everything the mapper reads (the layer with its
    name blanked, formats and epilogue included; the whole accelerator through
    ``view.signature``; the usable capacities in ``view``; the engine; the
    objective), so a layer's mapping never depends on what was mapped before it.

    ``key`` is the layer's `LayerKey` when the caller has it already.

    Raises
    ------
    MappingError
        Unsupported formats, or no tile fits a buffer (the message names the
        buffer and the smallest size that would work).
    """
    cache_key = (key or LayerKey(layer), view, engine_index, objective, res)
    found = _MAPPINGS.get(cache_key)
    if found is None:
        found = _map_layer(layer, acc, view, engine_index, objective, res)
        _MAPPINGS.put(cache_key, found)
    return found if found.layer == layer.name else dataclasses.replace(found, layer=layer.name)


def mapping_key(layer: Layer) -> Layer:
    """The layer as the mapper and cost model see it: everything but its name and weight reference."""
    if layer.name == "-" and layer.weight_tensor is None:
        return layer
    return layer.model_copy(update={"name": "-", "weight_tensor": None})


class LayerKey:
    """A layer as the caches see it (`mapping_key`), hashed once: the hash of a layer walks its formats."""

    __slots__ = ("layer", "_hash")

    def __init__(self, layer: Layer):
        self.layer = mapping_key(layer)
        self._hash = hash(self.layer)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LayerKey) and self._hash == other._hash and self.layer == other.layer


@dataclass(frozen=True)
class _Geometry:
    """Where a layer's candidate table comes from on one engine (`candidate_tables`' arguments)."""

    plan: PrecisionPlan
    nest: LoopNest
    dataflow: Dataflow
    tall: int
    wide: int
    widths: OperandWidths
    pipelined: bool

    @property
    def shape_key(self) -> tuple:
        return self.nest, self.dataflow, self.tall, self.wide, self.plan.lanes, self.pipelined


def _geometry(layer: Layer, acc: Accelerator, view: HardwareView, engine_index: int) -> _Geometry:
    engine = acc.engines[engine_index]
    plan = plan_precision(layer, engine)
    dataflow = engine.dataflow
    tall, wide = lane_geometry(dataflow, engine.rows, engine.cols, plan.lanes)
    nest = pack_groups(loop_nest(layer), dataflow, tall, wide)
    widths = operand_widths(layer, engine.accum_bits, acc.sparsity.activation_compression)
    if dataflow is Dataflow.ROW_STATIONARY:
        nest = pe_pass(nest, widths, view, sum(e.pes for e in acc.engines))
    return _Geometry(plan, nest, dataflow, tall, wide, widths, pipelined_array(dataflow, view))


def prime_tables(layers: Sequence[Layer], acc: Accelerator, view: HardwareView) -> None:
    """Build the candidate tables ``layers`` will map from, on every engine of ``acc``.

    Layers that differ only in their formats (one layer at every candidate of
    a precision search) share the width-free tiles on an engine where their
    formats run at the same lanes, and their tables are priced together, one
    pass over the bit-widths (`candidate_tables`). Layers an engine cannot run
    are left for `map_layer` to report.
    """
    shared: dict[tuple, list[OperandWidths]] = {}
    for layer in layers:
        if not layer.is_mac:
            continue
        for index in range(len(acc.engines)):
            try:
                g = _geometry(layer, acc, view, index)
            except MappingError:
                continue
            shared.setdefault(g.shape_key, []).append(g.widths)
    for (nest, dataflow, tall, wide, lanes, pipelined), widths in shared.items():
        candidate_tables(nest, dataflow, tall, wide, widths, lanes, pipelined)


def _map_layer(layer: Layer, acc: Accelerator, view: HardwareView, engine_index: int,
               objective: Objective, res: Residency) -> LayerMapping:
    engine = acc.engines[engine_index]
    g = _geometry(layer, acc, view, engine_index)
    plan, nest, dataflow, tall, wide, widths = g.plan, g.nest, g.dataflow, g.tall, g.wide, g.widths
    table = candidate_table(nest, dataflow, tall, wide, widths, plan.lanes, g.pipelined)
    tiles = table.tiles
    needs = _tile_needs(table, view)
    fits = _Fits(needs, view)
    if fits.full is not None:
        level = next(lv for lv in view.levels if lv.name == fits.full)
        raise MappingError(
            layer.name,
            f"no tile fits buffer {level.name!r}: {level.capacity_bits // 8} usable bytes, "
            f"the smallest tile needs {math.ceil(needs[level.name][1] / 8)} bytes",
        )
    compute, fastest = table.compute_cycles(plan.cycles_per_mac)
    # The vector epilogue runs alongside; the layer is busy for whichever takes longer.
    epilogue = vector_cycles(layer, acc, epilogue_ops(layer), *vector_format(layer, engine.accum_bits))
    busy = compute if epilogue <= fastest else np.maximum(compute, epilogue)
    reads = table.pass_reads
    if dataflow is Dataflow.ROW_STATIONARY:
        reads = register_tiled_reads(nest, widths, view)
    scorer = _Scorer(table, view, res, acc.overhead_pj_per_pe_cycle * nest.macs / plan.lanes)
    best = _select(scorer, reads, busy, fits, widths, objective)
    weights_ahead, inputs_ahead, stores_overlap = scorer.ahead
    k, c, y = int(tiles.k[best]), int(tiles.c[best]), int(tiles.y[best])
    final_coded = nest.k * nest.y * nest.q * widths.output_bits * widths.output_coding
    array_tile = tuple(int(d) for d in merge_temporal(nest, dataflow, k, c, y, tiles.order[best]))
    n = nest.instances
    return LayerMapping(
        layer=layer.name,
        engine_index=engine_index,
        engine=engine.name,
        dataflow=dataflow,
        precision=plan,
        nest=nest,
        fold=_tile_fold(nest, dataflow, tall, wide, array_tile, int(table.lane_cycles[best]),
                        engine.pes * plan.lanes),
        compute_cycles=int(compute[best]),
        stream_cycles=min(int(compute[best]), math.ceil(int(table.pass_stream_cycles[table.array_pass[best]])
                                                        * plan.cycles_per_mac)),
        array_reads={name: float(v[table.array_pass[best]] if np.ndim(v) else v) for name, v in reads.items()},
        tile_k=k,
        tile_c=c,
        tile_y=y,
        loop_order=LOOP_ORDERS[int(tiles.order[best])],
        resident=tuple(name for i, name in enumerate(RESIDENT) if int(tiles.resident[best]) >> i & 1),
        tiles=int(tiles.tiles[best]) * n,
        loads_ahead=tuple(name for name, ahead in (("weights", weights_ahead), ("inputs", inputs_ahead))
                          if ahead[best]),
        stores_overlap=stores_overlap,
        tile_bits={  # the streamed tile (an operand held whole arrives in these pieces)
            "weights": int(tiles.weight_tile_bits[tiles.base[best]]),
            "inputs": int(tiles.input_tile_bits[tiles.base[best]]),
            "outputs": int(tiles.output_tile_bits[tiles.base[best]]),
        },
        dram_bits={
            # as the bits sit on chip: decoded where the chip codes activations in DRAM (the cost model
            # codes them again, `cost._dram_traffic`); psums spill uncoded
            "weights": round(tiles.dram_weight_bits[best] * n),
            "inputs": round(tiles.dram_input_bits[best] * n / widths.input_coding),
            "outputs": round((tiles.dram_output_bits[best] - final_coded * (1 - 1 / widths.output_coding)) * n),
        },
    )


def _tile_fold(nest: LoopNest, dataflow: Dataflow, tall: int, wide: int, tile: tuple[int, int, int],
               lane_cycles: int, lanes_total: int) -> Fold:
    """How the chosen (full) tile lies on the ``tall x wide`` fold geometry, with the layer's array cycles."""
    sr, sc, t = placement(nest, dataflow, *tile, tall)
    return Fold(
        spatial_rows=sr, spatial_cols=sc, temporal=t,
        row_folds=math.ceil(sr / tall), col_folds=math.ceil(sc / wide),
        compute_cycles=lane_cycles, utilization=nest.macs / (lane_cycles * lanes_total),
    )


def clear_caches() -> None:
    """Empty the process's candidate-table and mapping caches (results do not change, only speed)."""
    _ARRAY_TILES.clear()
    _CANDIDATES.clear()
    _MAPPINGS.clear()
