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

from hwmodels import Accelerator
from simulator.compression import activation_coding
from simulator.hardware_view import HardwareView
from simulator.mapping import LayerMapping
from simulator.quant_actions import QuantActions, count_quant_actions
from simulator.residency import FREE_OPS, Residency
from simulator.tiling import layer_cycles
from simulator.vector import epilogue_ops, vector_cycles, vector_format
from workloads.footprint import compute_spec, operand_bits
from workloads.layers import Layer
from workloads.quant import QuantSpec

__all__ = ["LayerCounts", "mac_layer_counts", "vector_layer_counts", "gated_fraction"]

@dataclass
class LayerCounts:
    """Everything a layer does, as counts.

    Mutable only while `mac_layer_counts` / `vector_layer_counts` fill it: the
    counts are cached and shared (`simulator.layer_cost`), so everything after
    treats them as frozen and copies with `dataclasses.replace`.
    """

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
    ahead_read_bits: int = 0
    """Of ``dram_read_bits``, those loaded while the previous tile computes (into a buffer that holds a
    second tile of their operand); the rest load between tiles."""
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


@dataclass(frozen=True)
class _Flows:
    """Bits crossing the DRAM interface per operand (after on-chip residency), as they sit on chip:
    a chip that codes activations in DRAM (`simulator.compression.activation_coding`) moves fewer bits over the interface."""

    weights: float
    """Weights plus bias / normalization parameters, read."""
    inputs: float
    """Input activations not already on chip, read."""
    outputs: float
    """Finished outputs written (zero when they stay on chip)."""
    spill: float
    """Partial sums written out and read back (each way)."""


def gated_fraction(layer: Layer, acc: Accelerator, m: LayerMapping | None = None) -> float:
    """Fraction of a MAC layer's MACs and weight-register reads that happen: its input density on a chip
    that gates zero inputs (Eyeriss, JSSC 2017, Sec. V-C), 1.0 elsewhere, and 1.0 where mapping ``m``
    runs its activations offset (`PrecisionPlan.activations_offset`: zeros reach the PEs as -2**(b-1))."""
    offset = m is not None and m.precision.activations_offset
    return layer.input_density if acc.sparsity.zero_gating and layer.is_mac and not offset else 1.0


def _dram_traffic(counts: LayerCounts, m: LayerMapping, layer: Layer, res: Residency,
                  acc: Accelerator) -> _Flows:
    """DRAM bits per operand after on-chip residency, split into reads and writes (activations coded), and
    the reads that load ahead of compute."""
    bits = operand_bits(layer)
    spill = max(m.dram_bits["outputs"] - bits.outputs_bits, 0) / 2  # partial-sum round trips
    flows = _Flows(
        weights=m.dram_bits["weights"] + bits.aux_bits,
        inputs=m.dram_bits["inputs"] * (1 - res.inputs),
        outputs=0 if res.outputs else bits.outputs_bits,
        spill=spill,
    )
    coded_in, coded_out = activation_coding(layer, acc.sparsity.activation_compression)
    counts.dram_read_bits = math.ceil(flows.weights + flows.inputs * coded_in + spill)
    counts.dram_write_bits = math.ceil(flows.outputs * coded_out + spill)
    # Partial sums come back ahead where the outputs' buffer holds a second tile (stores overlap there).
    counts.ahead_read_bits = _ahead_bits(counts.dram_read_bits, [
        (flows.weights, "weights" in m.loads_ahead), (flows.inputs * coded_in, "inputs" in m.loads_ahead),
        (spill, m.stores_overlap)])
    return flows


def _operand_traffic(counts: LayerCounts, view: HardwareView, operand: str, fill: float,
                     array_bits: float, per_mac_bits: float) -> None:
    """DRAM fill into the operand's outer level, staging inward, array reads, per-MAC register reads."""
    outer, inner, register = view.dram_facing(operand), view.array_facing(operand), view.register(operand)
    counts.write(outer.name, fill)
    if inner is not outer:  # staged through an inner shared level on the way to the array
        counts.read(outer.name, fill)
        counts.write(inner.name, fill)
    if register is None:
        counts.read(inner.name, array_bits)
    elif register is inner:  # the scratchpad is the only level: filled from DRAM, read per MAC
        counts.read(register.name, per_mac_bits)
    else:
        counts.read(inner.name, array_bits)
        counts.write(register.name, array_bits)
        counts.read(register.name, per_mac_bits)


def _buffer_traffic(counts: LayerCounts, m: LayerMapping, layer: Layer, view: HardwareView,
                    flows: _Flows, gated: float = 1.0) -> None:
    """Bits read and written at every on-chip level.

    The array reads payload bits (scales and zero points travel with DRAM
    fills, not with every MAC); partial sums move at the engine's accumulator
    width; finished outputs leave the accumulator level at that width too. A
    zero-gated MAC (``gated``: the fraction that switch) does not read its weight register.
    """
    spec = compute_spec(layer)
    reads = m.array_reads
    for operand, fill, width, per_mac in (("weights", flows.weights, spec.weights.bits, gated),
                                          ("inputs", flows.inputs, spec.inputs.bits, 1.0)):
        _operand_traffic(counts, view, operand, fill, reads[operand] * width, layer.macs * width * per_mac)
    psums, outer = view.array_facing("outputs"), view.dram_facing("outputs")
    accum = m.precision.accum_bits
    counts.write(psums.name, reads["psum_writes"] * accum)
    counts.read(psums.name, reads["psum_reads"] * accum)
    if psums is not outer:
        counts.read(psums.name, layer.output_elements * accum)
        counts.write(outer.name, operand_bits(layer).outputs_bits)
    counts.read(outer.name, flows.outputs + flows.spill)  # drained to DRAM
    counts.write(outer.name, flows.spill)                 # partial sums coming back
    register = view.register("outputs")
    if register is not None and register is not psums:
        counts.read(register.name, layer.macs * accum)
        counts.write(register.name, layer.macs * accum)


def _timing(counts: LayerCounts, view: HardwareView, footprint_bits: float) -> None:
    """The layer's cycles (`tiling.layer_cycles`) under its transfer plan (tiles, loads ahead, overlapping
    stores)."""
    reads, ahead = counts.dram_read_bits, counts.ahead_read_bits
    counts.first_load_bits = math.ceil(max(reads / counts.tiles, min(footprint_bits, reads)))
    busy = counts.busy_cycles(view)
    args = (counts.dram_write_bits, counts.first_load_bits, counts.tiles, counts.stores_overlap,
            view.dram_bits_per_cycle, view.dram_latency_cycles)
    cycles = float(layer_cycles(busy, ahead, reads - ahead, *args))
    if 0 < ahead < reads:
        # Loads split into a transfer ahead and one between tiles each wait the latency: where one
        # transfer a tile between tiles is faster (many small tiles, a long latency), the tile loads so.
        between = float(layer_cycles(busy, 0, reads, *args))
        if between < cycles:
            cycles, counts.ahead_read_bits = between, 0
    counts.cycles = math.ceil(cycles)


def _ahead_bits(reads: int, streams: list[tuple[float, bool]]) -> int:
    """Of ``reads`` DRAM bits, those that load ahead of compute: the sum of the ``(bits, ahead)`` streams
    that do; every read, or none, to the bit when all non-empty streams do, or none."""
    if all(ahead or not bits for bits, ahead in streams):
        return reads
    if not any(ahead and bits for bits, ahead in streams):
        return 0
    return min(math.ceil(sum(bits for bits, ahead in streams if ahead)), reads)


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
    counts = LayerCounts(layer=layer, mapping=m, engine=m.engine, compute_cycles=m.compute_cycles)
    flows = _dram_traffic(counts, m, layer, res, acc)
    _buffer_traffic(counts, m, layer, view, flows, gated_fraction(layer, acc, m))
    counts.quant = count_quant_actions(layer, compute_spec(layer), weight_reads=round(m.array_reads["weights"]))
    counts.vector_ops = epilogue_ops(layer)
    counts.vector_bits, counts.vector_floating = vector_format(layer, m.precision.accum_bits)
    counts.vector_cycles = vector_cycles(layer, acc, counts.vector_ops, counts.vector_bits, counts.vector_floating)
    counts.tiles = m.tiles
    counts.stores_overlap = m.stores_overlap  # the mapper's plan
    _timing(counts, view, m.tile_bits["weights"] * bool(flows.weights) + m.tile_bits["inputs"] * bool(flows.inputs))
    return counts


def vector_layer_counts(layer: Layer, acc: Accelerator, view: HardwareView, res: Residency = Residency()) -> LayerCounts:
    """Counts of a pooling / element-wise / normalization / softmax / data-movement layer."""
    counts = LayerCounts(layer=layer, mapping=None, engine="vector_unit")
    if layer.source_op in FREE_OPS:
        return counts
    spec = layer.quant or QuantSpec()
    bits = operand_bits(layer)
    inputs = bits.inputs_bits * (1 - res.inputs)
    outputs = 0 if res.outputs else bits.outputs_bits
    coded_in, coded_out = activation_coding(layer, acc.sparsity.activation_compression)
    counts.dram_read_bits = math.ceil(inputs * coded_in + bits.aux_bits)
    counts.dram_write_bits = math.ceil(outputs * coded_out)
    # The vector unit works out of the activation buffers; parameters (LayerNorm scale
    # and shift, position embeddings) come in like weights.
    acts_in, acts_out = view.dram_facing("inputs"), view.dram_facing("outputs")
    counts.write(acts_in.name, inputs)
    counts.read(acts_in.name, bits.inputs_bits)
    counts.write(acts_out.name, bits.outputs_bits)
    counts.read(acts_out.name, outputs)
    if bits.aux_bits:
        counts.write(view.dram_facing("weights").name, bits.aux_bits)
        counts.read(view.dram_facing("weights").name, bits.aux_bits)
    counts.quant = count_quant_actions(layer, spec, weight_reads=0)
    counts.vector_ops = layer.vector_ops + counts.quant.range_compares
    counts.vector_bits, counts.vector_floating = spec.inputs.bits, spec.inputs.format.is_float
    counts.vector_cycles = vector_cycles(layer, acc, counts.vector_ops, counts.vector_bits, counts.vector_floating)
    counts.tiles = _vector_tiles(counts, view)
    counts.ahead_read_bits = counts.dram_read_bits if inputs and view.streams_ahead("inputs") else 0
    counts.stores_overlap = view.streams_ahead("outputs")
    _timing(counts, view, 0)
    return counts
