"""Analytical per-layer cost: cycles and bits moved at every memory level, before any pricing.

The layer as a bill of actions: how many cycles the array and the vector unit
are busy, how many bits each memory level reads and writes, what crosses the
DRAM interface, and how much quantization bookkeeping comes on top. Energy is
priced afterwards (`simulator.energy`) so that the same counts can be priced
under another technology table.

Reuse between the array and its buffers follows the dataflow (SCALE-Sim's
operand matrices, Samajdar et al. 2018): the stationary operand is read once
per fold, the streaming operands once per fold of the other dimension, and
partial sums leave the array once per fold of the reduction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hwmodels import Accelerator, ConfigError
from simulator.errors import MappingError
from simulator.hardware_view import HardwareView
from simulator.mapping import LayerMapping, operand_widths
from simulator.quant_actions import QuantActions, count_quant_actions
from simulator.tiling import Dataflow, evaluate_tiles, layer_cycles
from workloads.footprint import compute_spec, operand_bits
from workloads.layers import Layer
from workloads.quant import QuantSpec

__all__ = ["LayerCounts", "Residency", "mac_layer_counts", "vector_layer_counts", "FREE_OPS"]

FREE_OPS = frozenset({"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Shape", "Cast"})
"""Source ops that only relabel a tensor: no cycles, no traffic."""


@dataclass(frozen=True)
class Residency:
    """Which of a layer's activations stay on chip between layers (no DRAM trip)."""

    inputs: bool = False
    outputs: bool = False


@dataclass
class LayerCounts:
    """Everything a layer does, as counts. Mutable only while `*_counts` fills it."""

    layer: Layer
    mapping: LayerMapping | None
    engine: str
    compute_cycles: int = 0
    cycles: int = 0
    vector_ops: int = 0
    vector_cycles: int = 0
    vector_bits: int = 32
    vector_floating: bool = False
    reads_bits: dict[str, int] = field(default_factory=dict)
    writes_bits: dict[str, int] = field(default_factory=dict)
    dram_read_bits: int = 0
    dram_write_bits: int = 0
    quant: QuantActions = field(default_factory=QuantActions)
    tiles: int = 1
    """Tiles (MAC layers) or buffer-sized chunks (vector layers), each loaded, computed, stored."""
    first_load_bits: int = 0
    """DRAM reads before the first tile can start: a whole tile's footprint."""
    loads_overlap: bool = False
    """Loads stream into double-buffered buffers while the previous tile computes."""
    stores_overlap: bool = False
    """Stores drain from a double-buffered buffer while the next tile computes."""

    def busy_cycles(self, view: HardwareView) -> float:
        """Cycles the layer keeps its unit busy: array, vector epilogue or buffer ports."""
        return max(self.compute_cycles, self.vector_cycles, self.buffer_cycles(view))

    def read(self, level: str, bits: float) -> None:
        self.reads_bits[level] = self.reads_bits.get(level, 0) + math.ceil(bits)

    def write(self, level: str, bits: float) -> None:
        self.writes_bits[level] = self.writes_bits.get(level, 0) + math.ceil(bits)

    def buffer_cycles(self, view: HardwareView) -> float:
        """Cycles the busiest shared buffer port needs for this layer's traffic."""
        worst = 0.0
        for level in view.levels:
            if level.per_pe:
                continue
            worst = max(
                worst,
                self.reads_bits.get(level.name, 0) / level.read_bits_per_cycle,
                self.writes_bits.get(level.name, 0) / level.write_bits_per_cycle,
            )
        return worst


def _array_reads(m: LayerMapping, layer: Layer, view: HardwareView) -> dict[str, float]:
    """Elements the array reads from (or writes to) its buffers (`tiling.tile_array_reads`)."""
    if m.dataflow is Dataflow.ROW_STATIONARY:
        return _register_tiled_reads(m, layer, view)
    return m.array_reads


def _register_tiled_reads(m: LayerMapping, layer: Layer, view: HardwareView) -> dict[str, float]:
    """Row-stationary reuse: the per-PE scratchpads are one more tiling level (as Timeloop models it).

    Eyeriss gets its reuse from what each PE's scratchpads keep (filter rows,
    an ifmap window, psum rows), so the buffer-to-array traffic is that of the
    best tile fitting those scratchpads, found with the same search as the
    DRAM level.
    """
    nest = m.nest
    widths = operand_widths(layer, m.precision.accum_bits)
    tiles = evaluate_tiles(nest, widths)
    fits = np.ones(len(tiles.k), dtype=bool)
    for operand, need in (("weights", tiles.weight_tile_bits), ("inputs", tiles.input_tile_bits),
                          ("outputs", tiles.output_tile_bits)):
        register = view.register(operand)
        if register is not None:
            fits &= need <= register.capacity_bits
    if not fits.any():
        fits[:] = True
    total = np.where(fits, tiles.dram_bits, np.inf)
    best = int(np.argmin(total))
    outputs = nest.k * nest.y * nest.q
    spills = (tiles.dram_output_bits[best] - outputs * widths.output_bits) / (2 * widths.accum_bits)
    return {
        "weights": nest.instances * tiles.dram_weight_bits[best] / widths.weight_bits,
        "inputs": nest.instances * tiles.dram_input_bits[best] / widths.input_bits,
        "psum_writes": nest.instances * (outputs + spills),
        "psum_reads": nest.instances * spills,
    }


def _dram_traffic(counts: LayerCounts, m: LayerMapping, layer: Layer, out_bits: int, res: Residency) -> dict:
    """DRAM bits per operand after on-chip residency, split into reads and writes."""
    final = out_bits
    spill = max(m.dram_bits["outputs"] - final, 0)  # partial-sum round trips, half each way
    fills = {"weights": m.dram_bits["weights"], "inputs": 0 if res.inputs else m.dram_bits["inputs"]}
    drains = (0 if res.outputs else final) + spill / 2
    counts.dram_read_bits = math.ceil(fills["weights"] + fills["inputs"] + spill / 2)
    counts.dram_write_bits = math.ceil(drains)
    return {"weights": fills["weights"], "inputs": fills["inputs"], "outputs": drains + spill / 2}


def _buffer_traffic(counts: LayerCounts, m: LayerMapping, layer: Layer, view: HardwareView, fills: dict) -> None:
    bits = operand_bits(layer)
    per = {"weights": bits.weight_bits_per_element, "inputs": bits.input_bits_per_element}
    reads = _array_reads(m, layer, view)
    for operand in ("weights", "inputs"):
        outer, inner = view.dram_facing(operand), view.array_facing(operand)
        counts.write(outer.name, fills[operand])
        if inner is not outer:  # staged through an inner shared level on the way to the array
            counts.read(outer.name, fills[operand])
            counts.write(inner.name, fills[operand])
        counts.read(inner.name, reads[operand] * per[operand])
        register = view.register(operand)
        if register is not None:
            counts.read(register.name, layer.macs * per[operand])
            counts.write(register.name, reads[operand] * per[operand])
    psums, outer = view.array_facing("outputs"), view.dram_facing("outputs")
    accum = m.precision.accum_bits
    counts.write(psums.name, reads["psum_writes"] * accum)
    counts.read(psums.name, reads["psum_reads"] * accum)
    if psums is not outer:
        counts.read(psums.name, bits.outputs_bits)
        counts.write(outer.name, bits.outputs_bits)
    counts.read(outer.name, fills["outputs"])
    register = view.register("outputs")
    if register is not None:
        counts.read(register.name, layer.macs * accum)
        counts.write(register.name, layer.macs * accum)


def _vector_rate(layer: Layer, acc: Accelerator, bits: int, floating: bool) -> float:
    try:
        return acc.vector_unit.ops_per_cycle(bits, floating)
    except ConfigError as exc:
        raise MappingError(layer.name, exc.message) from None


def _timing(counts: LayerCounts, view: HardwareView, loaded: list[str], footprint_bits: float) -> None:
    """Fill the transfer plan and the layer's cycles (`tiling.layer_cycles`)."""
    reads = counts.dram_read_bits
    counts.loads_overlap = bool(loaded) and all(view.dram_facing(op).double_buffered for op in loaded)
    counts.stores_overlap = view.dram_facing("outputs").double_buffered
    counts.first_load_bits = math.ceil(max(reads / counts.tiles, min(footprint_bits, reads)))
    busy = counts.busy_cycles(view)
    counts.cycles = math.ceil(float(layer_cycles(
        busy, reads, counts.dram_write_bits, counts.first_load_bits, counts.tiles, counts.loads_overlap,
        counts.stores_overlap, view.dram_bits_per_cycle, view.dram_latency_cycles,
    )))


def _vector_tiles(counts: LayerCounts, view: HardwareView) -> int:
    """Chunks a vector layer streams in: its DRAM tensors cut to fit their buffers."""
    into, out_of = view.dram_facing("inputs"), view.dram_facing("outputs")
    if into is out_of:
        return max(1, math.ceil((counts.dram_read_bits + counts.dram_write_bits) / into.capacity_bits))
    return max(1, math.ceil(counts.dram_read_bits / into.capacity_bits),
               math.ceil(counts.dram_write_bits / out_of.capacity_bits))


def mac_layer_counts(
    layer: Layer, m: LayerMapping, acc: Accelerator, view: HardwareView, res: Residency = Residency()
) -> LayerCounts:
    """Counts of a conv/gemm/matmul layer under mapping ``m``."""
    spec = layer.quant or QuantSpec()
    counts = LayerCounts(layer=layer, mapping=m, engine=m.engine, compute_cycles=m.compute_cycles)
    fills = _dram_traffic(counts, m, layer, operand_bits(layer).outputs_bits, res)
    _buffer_traffic(counts, m, layer, view, fills)
    reads = _array_reads(m, layer, view)
    counts.quant = count_quant_actions(layer, compute_spec(layer), weight_reads=round(reads["weights"]))
    q = counts.quant
    epilogue = layer.vector_ops + q.requant_fp32 + q.requant_dyadic + q.range_compares
    counts.vector_floating = spec.compute_is_float
    counts.vector_bits = spec.inputs.bits if spec.compute_is_float else m.precision.accum_bits
    counts.vector_ops = epilogue
    if epilogue:
        rate = _vector_rate(layer, acc, counts.vector_bits, counts.vector_floating)
        counts.vector_cycles = math.ceil(epilogue / rate)
    counts.tiles = m.tiles
    loaded = [op for op in ("weights", "inputs") if fills[op]]
    if m.dram_bits["outputs"] > operand_bits(layer).outputs_bits:
        loaded.append("outputs")  # partial sums come back for the next reduction tile
    _timing(counts, view, loaded, sum(m.tile_bits[op] for op in loaded if op != "outputs"))
    return counts


def vector_layer_counts(layer: Layer, acc: Accelerator, view: HardwareView, res: Residency = Residency()) -> LayerCounts:
    """Counts of a pooling / element-wise / normalization / softmax / data-movement layer."""
    counts = LayerCounts(layer=layer, mapping=None, engine="vector_unit")
    if layer.source_op in FREE_OPS:
        return counts
    spec = layer.quant or QuantSpec()
    bits = operand_bits(layer)
    fills = {"weights": 0, "inputs": 0 if res.inputs else bits.inputs_bits,
             "outputs": 0 if res.outputs else bits.outputs_bits}
    counts.dram_read_bits, counts.dram_write_bits = fills["inputs"], fills["outputs"]
    for operand, size in (("inputs", bits.inputs_bits), ("outputs", bits.outputs_bits)):
        level = view.dram_facing(operand)
        (counts.write if operand == "inputs" else counts.read)(level.name, fills[operand])
        (counts.read if operand == "inputs" else counts.write)(view.array_facing(operand).name, size)
    counts.quant = count_quant_actions(layer, spec, weight_reads=0)
    counts.vector_ops = layer.vector_ops + counts.quant.range_compares
    counts.vector_bits, counts.vector_floating = spec.inputs.bits, spec.inputs.format.is_float
    if counts.vector_ops:
        rate = _vector_rate(layer, acc, counts.vector_bits, counts.vector_floating)
        counts.vector_cycles = math.ceil(counts.vector_ops / rate)
    counts.tiles = _vector_tiles(counts, view)
    _timing(counts, view, ["inputs"] if fills["inputs"] else [], 0)
    return counts
