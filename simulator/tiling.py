"""Closed-form arithmetic of one layer on one array: spatial folds and DRAM-level tiles.

The array is the loom, the layer the cloth: `fold` says how the loop nest is
laid on the rows and columns of PEs (and how many passes that takes), and
`evaluate_tiles` says, for every candidate tile of the on-chip buffers, how
many bits cross the DRAM interface and how much buffer room the tile needs.
Everything here works on plain integers and numpy arrays, so the mapper can
score thousands of candidates per layer in one vectorized call.

Loop dimensions per instance (a convolution group, or one matmul of a batch):
``k`` filters, ``c`` input channels, ``y`` output rows (batch x output
height), ``q`` output columns, ``r x s`` kernel. The DRAM-level tile splits
``k``, ``c`` and ``y``; ``q``, ``r`` and ``s`` stay whole.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hwmodels import Dataflow  # the one vocabulary of dataflows; re-exported here for the formulas

__all__ = [
    "placement",
    "pack_groups",
    "systolic_cycles_array",
    "over_tiles",
    "tile_compute_cycles",
    "tile_array_reads",
    "merge_temporal",
    "array_costs",
    "tile_cycles",
    "Dataflow",
    "LoopNest",
    "Fold",
    "systolic_cycles",
    "fold_window",
    "lane_geometry",
    "OperandWidths",
    "TileShapes",
    "TileCost",
    "RESIDENT",
    "LOOP_ORDERS",
    "DISTINCT_ORDERS",
    "evaluate_tiles",
    "tile_shapes",
    "tile_candidates",
    "spatial_units",
]


@dataclass(frozen=True)
class LoopNest:
    """A layer's loop bounds per instance, as plain integers."""

    instances: int
    """Independent repetitions: convolution groups, or matmuls of a batch."""
    k: int
    """Filters (output channels) per instance."""
    c: int
    """Input channels per instance."""
    y: int
    """Output rows: batch x output height (tokens for a GEMM)."""
    q: int
    """Output columns."""
    r: int
    """Kernel rows."""
    s: int
    """Kernel columns."""
    stride: int
    """Row stride."""
    halo: int
    """Extra input rows a tile reads beyond stride x rows: (r - 1) x dilation + 1 - stride."""
    input_cols: int
    """Input columns read per input row."""
    input_elements: int
    """Real input elements per instance (caps what a full pass can read)."""
    diagonal: int = 1
    """Independent groups packed side by side in each instance (`pack_groups`): its weights are
    block-diagonal, so only ``1 / diagonal`` of the ``k x c`` pairs are real."""
    pe_channels: int = 1
    """Row stationary: input channels one PE works through per pass, from its scratchpads (`pe_pass`)."""
    pe_filters: int = 1
    """Row stationary: filters one PE works through per pass (partial sums it keeps)."""

    @property
    def macs(self) -> int:
        """MACs of all instances."""
        return self.instances * self.k * self.c * self.y * self.q * self.r * self.s // self.diagonal

    @property
    def gemm(self) -> tuple[int, int, int]:
        """The im2col GEMM view per instance: (output pixels M, reduction K, filters N)."""
        return self.y * self.q, self.c * self.r * self.s, self.k


@dataclass(frozen=True)
class Fold:
    """How a layer lies on an array of ``rows x cols`` PEs."""

    spatial_rows: int
    """S_R: extent of the loop mapped on PE rows (before folding)."""
    spatial_cols: int
    """S_C: extent of the loop mapped on PE columns (before folding)."""
    temporal: int
    """T: extent of the loop that runs in time inside a PE."""
    row_folds: int
    """ceil(S_R / rows)."""
    col_folds: int
    """ceil(S_C / cols)."""
    compute_cycles: int
    """Cycles of all instances at one MAC per PE per cycle, fill and drain included."""
    utilization: float
    """Fraction of the PEs doing useful work while the array runs, fill and drain included."""


def fold_window(t, rows: int, cols: int, dataflow: Dataflow):
    """Cycles one fold occupies a ``rows x cols`` systolic array with temporal extent ``t``, SCALE-Sim v3's.

    SCALE-Sim v3.0.0 (``compute/systolic_compute_{os,ws,is}.py``): every fold
    occupies the whole array, partial folds included, for
    ``2*R + C + T - 2`` cycles under weight and input stationary (``R`` to
    load the stationary operand, ``R - 1`` input skew, ``C - 1`` output skew,
    ``T`` streaming) and ``T + R + C - 2`` under output stationary, whose
    outputs shift out during the skew tail of the same fold.

    Examples
    --------
    >>> fold_window(512, 32, 32, Dataflow.OUTPUT_STATIONARY)   # ResNet-18's fc, one fold
    574
    >>> fold_window(512, 32, 32, Dataflow.WEIGHT_STATIONARY)
    606
    """
    if dataflow is Dataflow.OUTPUT_STATIONARY:
        return t + rows + cols - 2
    return 2 * rows + cols + t - 2


def systolic_cycles(sr: int, sc: int, t: int, rows: int, cols: int,
                    dataflow: Dataflow = Dataflow.WEIGHT_STATIONARY) -> int:
    """Cycles of one GEMM on a systolic array: ``ceil(S_R/R) * ceil(S_C/C)`` folds of `fold_window`.

    Examples
    --------
    >>> systolic_cycles(sr=8, sc=8, t=16, rows=8, cols=8)   # 2*8 + 8 + 16 - 2
    38
    >>> systolic_cycles(sr=20, sc=8, t=16, rows=8, cols=8)  # 3 folds of 38
    114
    >>> systolic_cycles(sr=20, sc=8, t=16, rows=8, cols=8, dataflow=Dataflow.OUTPUT_STATIONARY)  # 3 x 30
    90
    """
    return int(systolic_cycles_array(sr, sc, t, rows, cols, dataflow=dataflow))


def pack_groups(nest: LoopNest, dataflow: Dataflow, rows: int, cols: int) -> LoopNest:
    """Independent groups laid side by side on a weight-stationary array, block-diagonally.

    A depthwise or grouped convolution (or a batch of independent matmuls)
    leaves most of the array idle when each group runs alone: a depthwise
    3x3 fills 9 rows and one column. Weight-stationary arrays place groups
    side by side instead (Edge TPU-, NVDLA- and Gemmini-class compilers): group
    ``g``'s reduction on its own rows and its filters on its own columns, the
    zeros between them never stored, and every group streaming the same output
    pixels. ``pack`` groups (the largest divisor of the group count that fits
    both ``rows`` and ``cols``) become one instance of ``pack`` times the
    channels and filters. Output and input stationary cannot pack: a row (OS)
    or column (IS) broadcasts one operand to every group's PEs, which would
    need a different one per group; row stationary replicates PE sets instead.

    >>> dw = LoopNest(instances=32, k=1, c=1, y=56, q=56, r=3, s=3, stride=1, halo=2,
    ...               input_cols=58, input_elements=58 * 58)
    >>> packed = pack_groups(dw, Dataflow.WEIGHT_STATIONARY, 32, 32)   # 32 // 9 = 3 fit; 3 does not divide 32: 2
    >>> (packed.instances, packed.k, packed.c, packed.diagonal, packed.macs == dw.macs)
    (16, 2, 2, 2, True)
    """
    if dataflow is not Dataflow.WEIGHT_STATIONARY or nest.instances == 1:
        return nest
    fit = min(nest.instances, rows // (nest.c * nest.r * nest.s), cols // nest.k)
    pack = max((d for d in range(1, fit + 1) if nest.instances % d == 0), default=1)
    if pack == 1:
        return nest
    return dataclasses.replace(nest, instances=nest.instances // pack, k=nest.k * pack, c=nest.c * pack,
                               input_elements=nest.input_elements * pack, diagonal=nest.diagonal * pack)


def placement(nest: LoopNest, dataflow: Dataflow, k, c, y, rows: int | None = None) -> tuple:
    """(S_R, S_C, T) of a tile of ``k`` filters, ``c`` channels and ``y`` rows (arrays allowed).

    SCALE-Sim's Table II for OS/WS/IS on the tile's im2col GEMM. Row stationary
    (Chen et al., JSSC 2017, Sec. V and Table III) gives each PE a 1-D row
    convolution over ``pe_channels`` channels and ``pe_filters`` filters per pass
    (what its scratchpads hold), lays filter rows x channel sets down the PE
    rows and output rows x filter sets across the columns, so that a set of
    ``r`` rows is replicated for other channels (the chip's ``r`` copies) and for
    other filters (its ``t`` copies: down the rows the channel sets leave free,
    across the columns otherwise; `_row_stationary_sets`, which needs the
    array's ``rows``); a pass runs output columns x kernel width x the PE's
    channels x filters in time.
    """
    pixels, reduction = y * nest.q, c * nest.r * nest.s
    if dataflow is Dataflow.OUTPUT_STATIONARY:
        return pixels, k, reduction
    if dataflow is Dataflow.WEIGHT_STATIONARY:
        return reduction, k, pixels
    if dataflow is Dataflow.INPUT_STATIONARY:
        return reduction, pixels, k
    channels, filters = np.minimum(c, nest.pe_channels), np.minimum(k, nest.pe_filters)
    sr, sc = _row_stationary_sets(nest.r, -(-c // channels), -(-k // filters), y, rows)
    return sr, sc, nest.q * nest.s * channels * filters


def _row_stationary_sets(r: int, channel_sets, filter_sets, y, rows: int | None) -> tuple:
    """(S_R, S_C) of row-stationary PE sets of ``r`` rows laid on an array of ``rows`` PE rows.

    A PE set (``r`` filter rows by the output rows it computes) is placed
    whole (Chen et al., JSSC 2017, Sec. V-A and Table III): sets for other
    channels stack down the rows, and when they leave rows free, sets for
    other filters stack there too, as the chip's CONV3 (t = 4) and CONV4-5
    (r = 2, t = 2) stack four 3 x 13 sets on its 12 rows (156 active PEs); the
    remaining filter sets lie across the columns. A set never straddles two
    row folds: the rows below the last whole set stay idle (CONV2's 5-row sets
    use 10 of 12 rows, 135 active PEs with its 27 output rows split 14 + 13
    over the columns), so ``S_R`` counts them and ``ceil(S_R / rows)`` is the
    number of row folds. Without ``rows`` (or when one set is taller than the
    array) sets pack down the rows back to back.

    >>> [int(v) for v in _row_stationary_sets(3, 2, 4, 52, 12)]   # CONV5: 2 channel sets x 2 filter sets stacked
    [12, 104]
    >>> [int(v) for v in _row_stationary_sets(5, 24, 8, 27, 12)]  # CONV2: two 5-row sets per fold, 12 row folds
    [144, 216]
    """
    packed = r * channel_sets
    if rows is None or r > rows:
        return packed, y * filter_sets
    per_fold = rows // r
    stacked = np.clip(per_fold // channel_sets, 1, filter_sets)
    row_folds = -(-channel_sets // per_fold)
    sr = np.where(channel_sets <= per_fold, packed * stacked, row_folds * rows)
    return sr, y * -(-filter_sets // stacked)


def lane_geometry(dataflow: Dataflow, rows: int, cols: int, lanes: int) -> tuple[int, int]:
    """(rows, columns) a layer folds over on a ``rows x cols`` array of ``lanes`` MAC lanes per PE.

    A precision-scalable PE (Bit Fusion's fused unit at low bits, a subword
    int4 PE) sums its ``lanes`` products inside the unit (Sharma et al., ISCA
    2018, Sec. III: the BitBricks' products are shift-added), so the lanes
    lengthen the reduction each PE does per cycle and the partial sums leaving
    a column do not multiply: the reduction lies on the rows under weight,
    input and row stationary (``rows x lanes`` effective rows) and runs in
    time under output stationary (``T / lanes`` cycles, `systolic_cycles_array`).

    >>> lane_geometry(Dataflow.WEIGHT_STATIONARY, 16, 32, 16)   # Bit Fusion at 2 bits
    (256, 32)
    >>> lane_geometry(Dataflow.OUTPUT_STATIONARY, 16, 32, 16)
    (16, 32)
    """
    if dataflow is Dataflow.OUTPUT_STATIONARY:
        return rows, cols
    return rows * lanes, cols


def systolic_cycles_array(sr, sc, t, rows: int, cols: int, lanes: int = 1,
                          dataflow: Dataflow = Dataflow.WEIGHT_STATIONARY, pipelined: bool = False) -> np.ndarray:
    """Array cycles of mappings (arrays allowed) folded over ``rows x cols`` (`lane_geometry`'s).

    The lanes decide the folds; the pipeline that fills and drains is the
    physical one, ``rows / lanes`` PEs down (or ``T / lanes`` streaming cycles
    under output stationary).

    Systolic dataflows pay SCALE-Sim v3's `fold_window` per fold, back to back.
    A ``pipelined`` array double-buffers its stationary operand in the PEs
    (TPU v1's weights, Jouppi et al., ISCA 2017): the next fold's operand
    shifts in (``rows`` cycles) while the current one streams, so after the
    first window each fold costs ``max(T, rows)``. Row stationary keeps the
    closed form of SCALE-Sim's paper with the fitting case on the used PEs
    only (``2*S_R + S_C + T - 2``), as Eyeriss's PE sets are sized to the layer.

    Examples
    --------
    >>> int(systolic_cycles_array(8, 8, 16, rows=8, cols=8))            # 2*8 + 8 + 16 - 2
    38
    >>> int(systolic_cycles_array(16, 8, 16, rows=16, cols=8, lanes=2))  # 8 PEs down, 2 lanes each
    38
    >>> int(systolic_cycles_array(24, 8, 1, rows=8, cols=8))             # 3 matrix-vector folds of 2*8 + 8 + 1 - 2
    69
    >>> int(systolic_cycles_array(24, 8, 1, rows=8, cols=8, pipelined=True))  # 23 + 2 x 8: weights shift in
    39
    """
    sr, sc, t = np.asarray(sr), np.asarray(sc), np.asarray(t)
    folds = -(-sr // rows) * -(-sc // cols)
    physical = rows if dataflow is Dataflow.OUTPUT_STATIONARY else rows // lanes
    if dataflow is Dataflow.OUTPUT_STATIONARY:
        t = -(-t // lanes)
    if dataflow is Dataflow.ROW_STATIONARY:
        folded = (2 * physical + cols + t - 2) * folds
        return np.where((sr <= rows) & (sc <= cols), 2 * -(-sr // lanes) + sc + t - 2, folded)
    window = fold_window(t, physical, cols, dataflow)
    if pipelined:
        return window + (folds - 1) * np.maximum(t, physical)
    return window * folds


def over_tiles(nest: LoopNest, k, c, y, per_tile) -> np.ndarray | tuple:
    """Sum of ``per_tile(kt, ct, yt)`` over every tile of one instance (tuples summed item by item).

    A loop of extent E cut into tiles of t has E // t full tiles and, when t
    does not divide E, one remainder tile: at most 2 x 2 x 2 tile shapes.
    """
    k, c, y = np.asarray(k), np.asarray(c), np.asarray(y)
    shapes = [((k, nest.k // k), (nest.k % k, (nest.k % k > 0))),
              ((c, nest.c // c), (nest.c % c, (nest.c % c > 0))),
              ((y, nest.y // y), (nest.y % y, (nest.y % y > 0)))]
    total = None
    for kt, nk in shapes[0]:
        for ct, nc in shapes[1]:
            for yt, ny in shapes[2]:
                count = nk * nc * ny
                if not np.any(count):
                    continue
                value = per_tile(np.maximum(kt, 1), np.maximum(ct, 1), np.maximum(yt, 1))
                if isinstance(value, tuple):
                    part = tuple(count * v for v in value)
                    total = part if total is None else tuple(a + b for a, b in zip(total, part, strict=True))
                else:
                    total = count * value if total is None else total + count * value
    return total


_TEMPORAL_LOOP = {
    Dataflow.OUTPUT_STATIONARY: "c",
    Dataflow.WEIGHT_STATIONARY: "y",
    Dataflow.INPUT_STATIONARY: "k",
    Dataflow.ROW_STATIONARY: None,
}


def merge_temporal(nest: LoopNest, dataflow: Dataflow, k, c, y, order) -> tuple:
    """Tile dims as the array sees them: the temporal loop runs on across tiles when innermost.

    On a weight-stationary array the weights stay in the PEs while the
    innermost ``y`` loop walks tile after tile, so input rows stream on without
    a new fill; likewise ``c`` for output-stationary and ``k`` for
    input-stationary. ``order`` indexes `LOOP_ORDERS` (arrays allowed).
    """
    temporal = _TEMPORAL_LOOP[dataflow]
    inner = _INNERMOST[np.asarray(order)]
    k = np.where((temporal == "k") & (inner == "k"), nest.k, k)
    c = np.where((temporal == "c") & (inner == "c"), nest.c, c)
    y = np.where((temporal == "y") & (inner == "y"), nest.y, y)
    return k, c, y


def tile_cycles(nest: LoopNest, dataflow: Dataflow, rows: int, cols: int, k, c, y, lanes: int = 1,
                pipelined: bool = False) -> tuple:
    """(array cycles, streaming cycles) of all instances at one MAC per PE lane, tile by tile.

    ``rows x cols`` is the fold geometry (`lane_geometry`). Array cycles are
    `systolic_cycles_array` per tile, fill and drain included; streaming
    cycles are the ``T`` of each fold, so their difference is the fill and
    drain. A tile smaller than the array leaves PEs idle; a tile of one output
    row on a weight-stationary array streams for one cycle per fold: the mapper
    sees that cost. On a ``pipelined`` array folds follow each other across
    tiles and instances too, so the layer pays one first window; what stops the
    pipeline is the layer boundary (its outputs drain before the next layer's
    inputs can enter) and a stream shorter than the stationary operand's
    shift-in (``T < rows``).

    Examples
    --------
    >>> nest = LoopNest(instances=1, k=4, c=16, y=8, q=1, r=1, s=1, stride=1, halo=0,
    ...                 input_cols=1, input_elements=128)
    >>> [int(v) for v in tile_cycles(nest, Dataflow.WEIGHT_STATIONARY, 4, 4, 4, 16, 8)]  # 4 folds of 2*4+4+8-2, T = 8
    [72, 32]
    >>> [int(v) for v in tile_cycles(nest, Dataflow.WEIGHT_STATIONARY, 4, 4, 4, 16, 8, pipelined=True)]  # 18 + 3 x 8
    [42, 32]
    """
    physical = rows if dataflow is Dataflow.OUTPUT_STATIONARY else rows // lanes
    divide = lanes if dataflow is Dataflow.OUTPUT_STATIONARY else 1

    def per_tile(kt, ct, yt):
        sr, sc, t = placement(nest, dataflow, kt, ct, yt, rows)
        folds = -(-sr // rows) * -(-sc // cols)
        if pipelined:
            return folds * np.maximum(-(-t // divide), physical), -(-t // divide) * folds
        return systolic_cycles_array(sr, sc, t, rows, cols, lanes, dataflow, False), -(-t // divide) * folds

    compute, stream = over_tiles(nest, k, c, y, per_tile)
    compute = nest.instances * np.asarray(compute)
    if pipelined:  # one first window for the layer: its fill and drain beyond the steady fold
        t = -(-placement(nest, dataflow, np.asarray(k), np.asarray(c), np.asarray(y), rows)[2] // divide)
        compute = compute + fold_window(t, physical, cols, dataflow) - np.maximum(t, physical)
    return compute, nest.instances * np.asarray(stream)


def tile_compute_cycles(nest: LoopNest, dataflow: Dataflow, rows: int, cols: int, k, c, y,
                        lanes: int = 1, pipelined: bool = False) -> np.ndarray:
    """Array cycles of all instances, fill and drain included (`tile_cycles`' first part)."""
    return tile_cycles(nest, dataflow, rows, cols, k, c, y, lanes, pipelined)[0]


def array_costs(nest: LoopNest, dataflow: Dataflow, rows: int, cols: int, tiles: TileShapes,
                lanes: int = 1, pipelined: bool = False) -> tuple:
    """The array's passes over the candidates' tiles, and which pass each candidate makes.

    Candidates come in runs of ``tiles.orders_per_shape`` loop orders per (k, c, y); the array's cost
    depends on the order only through whether the temporal loop is innermost
    (`merge_temporal`), and not on what is held whole, so each tile shape is
    evaluated as is and merged, once.

    Returns
    -------
    (lane cycles, streaming lane cycles, array reads), one entry per pass; and
    each candidate's pass (int32).
    """
    runs, plain_count = tiles.orders_per_shape, int(np.count_nonzero(tiles.resident == 0))
    k, c, y = tiles.k[:plain_count:runs], tiles.c[:plain_count:runs], tiles.y[:plain_count:runs]
    shape = (tiles.base // runs).astype(np.int32)
    passes = [(tile_cycles(nest, dataflow, rows, cols, k, c, y, lanes, pipelined),
               tile_array_reads(nest, dataflow, rows, cols, k, c, y))]
    temporal = _TEMPORAL_LOOP[dataflow]
    if temporal is not None:
        full = merge_temporal(nest, dataflow, k, c, y, np.full(len(k), LOOP_ORDERS.index(
            next(order for order in LOOP_ORDERS if order[-1] == temporal))))
        passes.append((tile_cycles(nest, dataflow, rows, cols, *full, lanes, pipelined),
                       tile_array_reads(nest, dataflow, rows, cols, *full)))
        shape = shape + len(k) * (_INNERMOST[tiles.order] == temporal)

    def joined(values) -> np.ndarray:
        return np.concatenate([np.broadcast_to(v, k.shape) for v in values])

    cycles = joined(p[0][0] for p in passes)
    stream = joined(p[0][1] for p in passes)
    reads = {name: joined(p[1][name] for p in passes) for name in passes[0][1]}
    return (cycles, stream, reads), shape.astype(np.int32)


def tile_array_reads(nest: LoopNest, dataflow: Dataflow, rows: int, cols: int, k, c, y) -> dict[str, np.ndarray]:
    """Elements the array reads from its buffers (psums: writes and reads), tile by tile.

    SCALE-Sim's operand matrices per tile: the stationary operand is read once
    per tile and fold of its own; a streaming operand once per fold of the
    other spatial dimension; partial sums leave the array once per fold of the
    reduction. Across reduction tiles every output is read back and added to
    (``trips_c - 1`` times).
    """
    def reads(kt, ct, yt):
        pixels, reduction = yt * nest.q, ct * nest.r * nest.s
        sr, sc, _ = placement(nest, dataflow, kt, ct, yt, rows)
        row_folds, col_folds = -(-sr // rows), -(-sc // cols)
        if dataflow is Dataflow.OUTPUT_STATIONARY:
            return reduction * kt * row_folds, pixels * reduction * col_folds, pixels * kt, 0 * pixels
        if dataflow is Dataflow.INPUT_STATIONARY:
            return (reduction * kt * col_folds, pixels * reduction, pixels * kt * row_folds,
                    pixels * kt * (row_folds - 1))
        return (reduction * kt, pixels * reduction * col_folds, pixels * kt * row_folds,
                pixels * kt * (row_folds - 1))

    parts = over_tiles(nest, k, c, y, reads)
    c_trips = -(-nest.c // np.asarray(c))
    outputs = nest.k * nest.y * nest.q
    return {
        "weights": nest.instances * parts[0] / nest.diagonal,  # the zeros between packed groups are not stored
        "inputs": nest.instances * parts[1],
        "psum_writes": nest.instances * parts[2],
        "psum_reads": nest.instances * (parts[3] + outputs * (c_trips - 1)),
    }


@dataclass(frozen=True)
class OperandWidths:
    """Average storage bits per element of each operand, scales included."""

    weight_bits: float
    input_bits: float
    output_bits: float
    accum_bits: int
    input_coding: float = 1.0
    """Bits crossing DRAM per bit on chip of input activations (run-length coding of zeros:
    `simulator.compression.activation_coding`); on-chip tiles hold them decoded."""
    output_coding: float = 1.0
    """The same for finished outputs (partial sums spill uncoded)."""


RESIDENT = ("weights", "inputs", "outputs")
"""Operands a candidate may hold whole on chip; bit ``i`` of `TileCost.resident` is ``RESIDENT[i]``."""
_RESIDENT_SETS = (0b001, 0b010, 0b100, 0b011, 0b101, 0b110)
"""Operands held whole together (a loop order refetches at most two operands, so never all three)."""

LOOP_ORDERS = ("kcy", "kyc", "cky", "cyk", "yck", "ykc")
"""Outer-to-inner orders of the three tiled loops; only the innermost one changes reuse."""
_INNERMOST = np.array([order[-1] for order in LOOP_ORDERS])
_INNERMOST_LOOP = np.array(["kcy".index(order[-1]) for order in LOOP_ORDERS], dtype=np.int8)
"""The innermost loop of each order as 0, 1, 2 for k, c, y (integer compares are cheaper than text)."""
DISTINCT_ORDERS = tuple(LOOP_ORDERS.index(next(o for o in LOOP_ORDERS if o[-1] == inner)) for inner in "yck")
"""The first order of each innermost-loop class (``kcy``, ``kyc``, ``cyk``): the others cost the same."""


def spatial_units(nest: LoopNest, dataflow: Dataflow, rows: int, cols: int) -> tuple[int, int, int]:
    """Tile sizes along (k, c, y) that fill the array's columns and rows for this dataflow."""
    per_row_c = max(1, rows // (nest.r * nest.s))
    if dataflow is Dataflow.WEIGHT_STATIONARY:
        return cols, per_row_c, 1
    if dataflow is Dataflow.OUTPUT_STATIONARY:
        return cols, 1, max(1, rows // nest.q)
    if dataflow is Dataflow.INPUT_STATIONARY:
        return 1, per_row_c, max(1, cols // nest.q)
    return nest.pe_filters, max(1, rows // nest.r) * nest.pe_channels, min(nest.y, cols)


def tile_candidates(extent: int, unit: int = 1, limit: int = 24) -> np.ndarray:
    """Tile sizes for a loop of ``extent``: multiples of ``unit``, near-divisors and the whole.

    Near-divisors ``ceil(extent / t)`` keep the last tile almost full; powers of
    two and multiples of the spatial unroll keep the array busy.
    """
    sizes = {extent}
    for trips in range(1, min(extent, limit) + 1):
        sizes.add(math.ceil(extent / trips))
    value = 1
    while value < extent:
        sizes.add(value)
        sizes.update(m for m in (unit * value,) if m < extent)
        value *= 2
    return np.array(sorted(sizes), dtype=np.int64)  # int64: products of tile sizes and widths stay exact


@dataclass(frozen=True)
class TileShapes:
    """Every candidate tile of one loop nest without its bit-widths: the element side of `evaluate_tiles`.

    Tile sizes, loop order and what is held whole; the elements one tile puts
    in each buffer and how often each operand crosses the DRAM interface follow
    from them (`_Elements`). Bits are those counts times each operand's bits
    per element, so one set of shapes prices any number of formats, all at
    once (`at`).
    """

    nest: LoopNest
    k: np.ndarray
    c: np.ndarray
    y: np.ndarray
    order: np.ndarray
    """Index into `LOOP_ORDERS`."""
    tiles: np.ndarray
    """Number of tiles per instance."""
    resident: np.ndarray
    """Bitmask of the operands held whole on chip (`RESIDENT` bits): fetched once, however the loops turn."""
    base: np.ndarray
    """Index of the candidate with the same tile and loop order and nothing held whole (itself, if so)."""
    orders_per_shape: int = len(LOOP_ORDERS)
    """The first ``len(base)`` candidates with nothing held whole come in runs of this many loop orders
    per (k, c, y); candidates holding an operand whole follow them (until `take` rearranges them)."""

    def take(self, order: np.ndarray) -> TileShapes:
        """The candidates rearranged as ``order`` (a permutation) lists them, ``base`` following them.

        The generation layout (runs of ``orders_per_shape`` loop orders, nothing
        held first) is gone afterwards, so `array_costs` must see the shapes before.
        Filter and channel tiles come back as 32-bit integers (at most a layer's
        ``k`` or ``c``, each at most `workloads.limits.MAX_DIM`), loop orders as
        8-bit ones; row tiles stay 64-bit (``y`` is batch x output rows).
        """
        position = np.empty(len(order), dtype=np.int32)
        position[order] = np.arange(len(order), dtype=np.int32)
        return dataclasses.replace(
            self, k=self.k[order].astype(np.int32), c=self.c[order].astype(np.int32), y=self.y[order],
            order=self.order[order].astype(np.int8), tiles=self.tiles[order], resident=self.resident[order],
            base=position[self.base[order]], orders_per_shape=0)

    @property
    def nbytes(self) -> int:
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))

    def at(self, widths: Sequence[OperandWidths]) -> TileCost:
        """The candidates' buffer needs and DRAM traffic in bits at each of ``widths``, in one pass: every
        bits array ``[format, candidate]`` (`TileCost.row` takes one format's).

        Each product is formed in the order `evaluate_tiles` always formed it
        (elements x bits, then the refetch factor), so the bits do not depend
        on how many formats are priced together.
        """
        n, e = self.nest, _Elements.of(self)

        def column(values) -> np.ndarray:
            return np.array(values, dtype=float)[:, None]

        w_bits, i_bits = column([w.weight_bits for w in widths]), column([w.input_bits for w in widths])
        accum, coding = column([w.accum_bits for w in widths]), column([w.input_coding for w in widths])
        outputs = n.k * n.y * n.q
        w_total = n.k * n.c * n.r * n.s * w_bits / n.diagonal
        o_final = outputs * column([w.output_bits for w in widths]) * column([w.output_coding for w in widths])
        shared = {name: getattr(self, name) for name in ("k", "c", "y", "order", "tiles", "resident", "base")}
        return TileCost(
            **shared, weight_tile_bits=e.weight * w_bits / n.diagonal, input_tile_bits=e.input * i_bits,
            output_tile_bits=e.output * accum, dram_weight_bits=w_total * e.weight_trips,
            dram_input_bits=e.input_pass * i_bits * coding * e.input_trips,
            dram_output_bits=o_final + e.psum_trips * (outputs * accum), orders_per_shape=self.orders_per_shape)


@dataclass(frozen=True)
class _Elements:
    """The element counts of `TileShapes`' candidates (integers held as exact floats)."""

    weight: np.ndarray
    """Weights one tile holds (the whole tensor where held), before block-diagonal packing."""
    input: np.ndarray
    """Input elements one tile holds (the whole tensor where held)."""
    output: np.ndarray
    """Partial sums one tile holds (the whole output where held)."""
    weight_trips: np.ndarray
    """Times the weights cross the DRAM interface: ``ty`` unless ``y`` is innermost or they are held."""
    input_pass: np.ndarray
    """Input elements one pass over the inputs reads (halo rows re-read; the tensor once where held)."""
    input_trips: np.ndarray
    """Passes over the inputs: ``tk`` unless ``k`` is innermost or they are held."""
    psum_trips: np.ndarray
    """Partial-sum round trips through DRAM: ``2 (tc - 1)`` unless ``c`` is innermost or outputs are held."""

    @staticmethod
    def of(shapes: TileShapes, held: tuple[np.ndarray | bool, ...] | None = None) -> _Elements:
        # In floats: every count is an integer far below 2**53, so exact, and ceil(K / k) of correctly
        # rounded quotients is exact for dimensions below 2**26; floats divide much faster than integers.
        nest = shapes.nest
        k, c, y = (np.asarray(v, dtype=float) for v in (shapes.k, shapes.c, shapes.y))
        inner = _INNERMOST_LOOP[shapes.order]
        if held is None:
            held = tuple((shapes.resident >> i & 1).astype(bool) for i in range(3))
        tk, tc, ty = np.ceil(nest.k / k), np.ceil(nest.c / c), np.ceil(nest.y / y)
        rows_in = np.minimum((y - 1) * nest.stride + nest.halo + nest.stride,
                             nest.input_elements // max(nest.c * nest.input_cols, 1))
        i_pass = np.maximum(ty * rows_in * nest.c * nest.input_cols, nest.input_elements)
        return _Elements(
            weight=np.where(held[0], nest.k * nest.c * nest.r * nest.s, k * c * nest.r * nest.s),
            input=np.where(held[1], nest.input_elements, c * rows_in * nest.input_cols),
            output=np.where(held[2], nest.k * nest.y * nest.q, k * y * nest.q),
            weight_trips=np.where(held[0] | (inner == 2), 1, ty),
            input_pass=np.where(held[1], nest.input_elements, i_pass),
            input_trips=np.where(held[1] | (inner == 0), 1, tk),
            psum_trips=np.where(held[2] | (inner == 1), 0, 2 * (tc - 1)),
        )


@dataclass(frozen=True)
class TileCost:
    """Vectorized costs of tile candidates at one set of bit-widths (one entry per candidate)."""

    k: np.ndarray
    c: np.ndarray
    y: np.ndarray
    order: np.ndarray
    """Index into `LOOP_ORDERS`."""
    weight_tile_bits: np.ndarray
    input_tile_bits: np.ndarray
    output_tile_bits: np.ndarray
    """On-chip tile of partial sums at accumulator width."""
    dram_weight_bits: np.ndarray
    dram_input_bits: np.ndarray
    dram_output_bits: np.ndarray
    """Output and partial-sum traffic (reads and writes)."""
    tiles: np.ndarray
    """Number of tiles per instance."""
    resident: np.ndarray
    """Bitmask of the operands held whole on chip (`RESIDENT` bits): fetched once, however the loops turn."""
    base: np.ndarray
    """Index of the candidate with the same tile and loop order and nothing held whole (itself, if so)."""
    orders_per_shape: int = len(LOOP_ORDERS)
    """As `TileShapes.orders_per_shape`."""

    @property
    def dram_bits(self) -> np.ndarray:
        return self.dram_weight_bits + self.dram_input_bits + self.dram_output_bits

    def row(self, f: int, copy: bool = False) -> TileCost:
        """The costs at the ``f``-th bit-widths of a `TileShapes.at` pricing (views, or copies that keep no
        other format's bits alive)."""
        bits = ("weight_tile_bits", "input_tile_bits", "output_tile_bits", "dram_weight_bits", "dram_input_bits",
                "dram_output_bits")
        return dataclasses.replace(self, **{name: getattr(self, name)[f].copy() if copy else getattr(self, name)[f]
                                            for name in bits})


def evaluate_tiles(nest: LoopNest, widths: OperandWidths, spatial: tuple[int, int, int] = (1, 1, 1),
                   orders: tuple[int, ...] = DISTINCT_ORDERS) -> TileCost:
    """Tile sizes, buffer needs and DRAM traffic of every (k, c, y, loop-order) candidate.

    Traffic follows the classic reuse rule: an operand is fetched once per tile
    if the loop it does not depend on is the innermost; otherwise once per
    iteration of that loop. Partial sums that cannot stay on chip (reduction
    loop ``c`` not innermost) make ``2 * (trips_c - 1)`` round trips at
    accumulator width before the final write at output width. Only ``orders``
    (indices into `LOOP_ORDERS`) are generated: by default one per innermost
    loop, as the orders sharing an innermost loop cost exactly the same.

    Each operand is kept at the level that holds it (as Timeloop and ZigZag map
    per operand): every candidate that refetches an operand (or spills partial
    sums) comes again holding that operand whole on chip, once and
    compulsorily fetched, at the price of a buffer that holds it all; the
    buffer sizes decide later which of them fit. A 2048 x 4096 x 4096 GEMM
    whose inputs and outputs fit the TPU's unified buffer and accumulators
    thus moves only its compulsory traffic, however small its weight tiles.

    The counting is `tile_shapes` (elements), the pricing `TileShapes.at` (bits).

    Examples
    --------
    A 4 x 4 x 4 GEMM tiled by 2 along k with ``y`` innermost reads its inputs
    twice, or once when they are held whole (8-bit operands, 32-bit psums):

    >>> nest = LoopNest(instances=1, k=4, c=4, y=4, q=1, r=1, s=1, stride=1, halo=0,
    ...                 input_cols=1, input_elements=16)
    >>> t = evaluate_tiles(nest, OperandWidths(8, 8, 8, 32))
    >>> split = (t.k == 2) & (t.c == 4) & (t.y == 4) & (t.order == LOOP_ORDERS.index("kcy"))
    >>> [(int(r), int(b), int(i)) for r, b, i in zip(t.resident[split], t.input_tile_bits[split],
    ...                                               t.dram_input_bits[split])]
    [(0, 128, 256), (2, 128, 128)]
    """
    return tile_shapes(nest, spatial, orders).at([widths]).row(0)


def tile_shapes(nest: LoopNest, spatial: tuple[int, int, int] = (1, 1, 1),
                orders: tuple[int, ...] = DISTINCT_ORDERS) -> TileShapes:
    """The candidates of `evaluate_tiles` without bit-widths: see there."""
    ks = tile_candidates(nest.k, spatial[0])
    cs = tile_candidates(nest.c, spatial[1])
    ys = tile_candidates(nest.y, spatial[2])
    k, c, y, order = (
        axis.ravel()
        for axis in np.meshgrid(ks, cs, ys, np.asarray(orders), indexing="ij")
    )
    tiles = (-(-nest.k // k)) * (-(-nest.c // c)) * (-(-nest.y // y))
    plain = TileShapes(nest=nest, k=k, c=c, y=y, order=order, tiles=tiles, resident=np.zeros(len(k), dtype=np.int8),
                       base=np.arange(len(k)), orders_per_shape=len(orders))
    e = _Elements.of(plain, (False, False, False))
    refetched = [e.weight_trips > 1, e.input_pass * e.input_trips > nest.input_elements, e.psum_trips > 0]
    variants, masks = [plain.base], [plain.resident]
    for mask in _RESIDENT_SETS:
        held = [i for i in range(3) if mask >> i & 1]
        chosen = np.flatnonzero(np.logical_and.reduce([refetched[i] for i in held]))
        variants.append(chosen)
        masks.append(np.full(len(chosen), mask, dtype=np.int8))
    index = np.concatenate(variants).astype(np.int32)
    return dataclasses.replace(plain, k=k[index], c=c[index], y=y[index], order=order[index], tiles=tiles[index],
                               resident=np.concatenate(masks), base=index)


def layer_cycles(
    busy_cycles: float | np.ndarray,
    ahead_load_bits: float | np.ndarray,
    serial_load_bits: float | np.ndarray,
    store_bits: float | np.ndarray,
    first_load_bits: float | np.ndarray,
    tiles: int | np.ndarray,
    stores_overlap: bool | np.ndarray,
    dram_bits_per_cycle: float,
    dram_latency_cycles: int,
) -> float | np.ndarray:
    """Cycles of a layer cut into ``tiles`` tiles, each loaded, computed and stored.

    Every tile's load and store is a DRAM transfer that waits the latency and
    then streams at the bandwidth. Loads into a buffer that holds a second tile
    of their operand (``ahead_load_bits``) stream in while the tile before
    computes, except the first tile's (prologue); loads into single-buffered
    space (``serial_load_bits``) wait for the tile before to finish and hold up
    its successor. A tile loading both kinds makes one transfer of each. Stores
    from a double-buffered buffer drain while the next tile computes, except
    the last (epilogue). The layer takes the longest of three paths::

        pre  = latency + first x ahead / (ahead + serial) / bw      (if any loads ahead)
        post = latency + store / tiles / bw                         (if stores overlap)
        serial = busy + serial loads + the stores that do not overlap
        cycles = max(pre + serial + post,                      compute-bound
                     loads ahead + serial / tiles + post,      load-bound: then the last tile
                     all transfers + idle)                     DRAM channel-bound

    where ``first`` is the first tile's footprint (its share of loads ahead
    waits before anything computes) and ``idle`` is the part of the last tile's
    compute that the channel cannot fill with the store before it:
    ``max(busy - store, 0) / tiles`` (its load must end before it starts; its
    store waits for it).

    Examples
    --------
    Four tiles of 100 busy cycles, 4 x 160 bits loaded at 16 bits per cycle with
    latency 20 into double buffers, nothing stored: the DRAM side (4 x (20 + 10))
    hides behind compute except the first load, 20 + 10 cycles.

    >>> float(layer_cycles(400, 640, 0, 0, 160, 4, True, dram_bits_per_cycle=16, dram_latency_cycles=20))
    430.0
    >>> float(layer_cycles(400, 0, 640, 0, 160, 4, False, dram_bits_per_cycle=16, dram_latency_cycles=20))
    520.0

    Half of each tile's bits loading ahead (a double-buffered input, a
    single-buffered weight): the weights' 4 x (20 + 5) cycles stay between
    tiles, the inputs hide but for the first tile's share, 20 + 5.

    >>> float(layer_cycles(400, 320, 320, 0, 160, 4, True, dram_bits_per_cycle=16, dram_latency_cycles=20))
    525.0
    """
    # Flags as 0/1 factors rather than np.where: the same arithmetic on arrays, and cheap on the
    # scalars the cost model passes (every term is finite, so 0 x term is 0).
    bw, lat = dram_bits_per_cycle, dram_latency_cycles
    tiles = np.maximum(tiles, 1)
    ahead_bits, serial_bits = np.asarray(ahead_load_bits, dtype=float), np.asarray(serial_load_bits, dtype=float)
    ahead, serial_loads, stores = ahead_bits > 0, serial_bits > 0, np.asarray(store_bits, dtype=float) > 0
    overlap_out = np.asarray(stores_overlap, dtype=float)
    ahead_time = ahead * (tiles * lat) + ahead_bits / bw
    serial_time = serial_loads * (tiles * lat) + serial_bits / bw
    store_time = stores * (tiles * lat) + store_bits / bw
    share = ahead_bits / np.where(ahead, ahead_bits + serial_bits, 1.0)  # exactly 1 with no serial loads
    pre = ahead * (lat + first_load_bits * share / bw)
    post = overlap_out * stores * (lat + store_bits / tiles / bw)
    serial = busy_cycles + serial_time + (1 - overlap_out) * store_time
    load_bound = ahead_time + serial / tiles + post
    idle = np.maximum(busy_cycles - store_time, 0) / tiles
    return np.maximum(np.maximum(pre + serial + post, load_bound), ahead_time + serial_time + store_time + idle)
