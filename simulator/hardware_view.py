"""The accelerator as plain numbers: what the cost model reads in its inner loops.

pydantic stays at the edge: `hardware_view` reads a validated `Accelerator`
once and keeps, per memory level, its usable capacity, bandwidth and energy
per bit at the chip's node, and per operand the path from the PEs to DRAM.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass, field

from hwmodels import Accelerator
from hwmodels.energy import EnergyTable
from hwmodels.memory import Sharing

__all__ = ["LevelView", "HardwareView", "hardware_view", "hardware_digest", "OPERANDS"]

OPERANDS = ("weights", "inputs", "outputs")


@dataclass(frozen=True)
class LevelView:
    """One on-chip memory level, totals over all its copies."""

    name: str
    operands: frozenset[str]
    per_pe: bool
    capacity_bits: int
    """Bits one tile may occupy over all copies (half when double-buffered)."""
    double_buffered: bool
    """The whole level is double-buffered (every operand it holds)."""
    second_tile: frozenset[str]
    """Operands of which the level holds a second tile, loaded or drained while the first is in use
    (every operand when ``double_buffered``; `MemoryLevel.double_buffered_operands`)."""
    read_bits_per_cycle: float
    write_bits_per_cycle: float
    read_pj_per_bit: float
    write_pj_per_bit: float


@dataclass(frozen=True)
class HardwareView:
    """Plain-number view of an `Accelerator` for the mapper and the cost model."""

    name: str
    clock_hz: float
    levels: tuple[LevelView, ...]
    dram_bits_per_cycle: float
    dram_latency_cycles: int
    dram_pj_per_bit: float
    dram_channels: int
    leakage_pj_per_cycle: float
    """Static energy of the whole chip per cycle (`hwmodels.Accelerator.leakage_pj`)."""
    signature: str = ""
    """Digest of the whole accelerator description: equal views read from equal hardware."""
    energy_table: EnergyTable | None = field(default=None, compare=False, repr=False)
    """The accelerator's energy table at its node (`Accelerator.scaled_energy`), read once; the
    signature covers it, so it takes no part in comparing views."""

    _holding: dict = field(default_factory=dict, init=False, compare=False, repr=False)
    """Levels per operand, filled on first use (the cost model asks thousands of times per run); not an
    init field, so a view made by `with_capacity` starts its own."""

    def holding(self, operand: str) -> list[LevelView]:
        """Levels that store ``operand``, innermost first."""
        found = self._holding.get(operand)
        if found is None:
            found = self._holding[operand] = [level for level in self.levels if operand in level.operands]
        return found

    def dram_facing(self, operand: str) -> LevelView:
        """The outermost on-chip level of ``operand``: where DRAM tiles land."""
        return self.holding(operand)[-1]

    def array_facing(self, operand: str) -> LevelView:
        """The innermost shared level of ``operand``: what the array reads and writes."""
        shared = [level for level in self.holding(operand) if not level.per_pe]
        return shared[0] if shared else self.dram_facing(operand)

    def register(self, operand: str) -> LevelView | None:
        """The per-PE level of ``operand`` touched on every MAC, if any."""
        per_pe = [level for level in self.holding(operand) if level.per_pe]
        return per_pe[0] if per_pe else None

    def streams_ahead(self, operand: str) -> bool:
        """Whether ``operand``'s DRAM transfers overlap compute: its DRAM-facing level holds a second tile of it."""
        return operand in self.dram_facing(operand).second_tile

    def with_capacity(self, level_name: str, capacity_bits: int) -> HardwareView:
        """The same hardware with one level's usable capacity changed (e.g. shared with residents)."""
        levels = tuple(
            dataclasses.replace(level, capacity_bits=capacity_bits) if level.name == level_name else level
            for level in self.levels
        )
        return dataclasses.replace(self, levels=levels)

    def leakage_pj(self, cycles: float) -> float:
        """Leakage energy of the chip over ``cycles``."""
        return self.leakage_pj_per_cycle * cycles


def hardware_view(acc: Accelerator) -> HardwareView:
    """Read ``acc`` once into plain numbers (energies scaled to its node)."""
    table = acc.scaled_energy
    pes = sum(engine.pes for engine in acc.engines)
    levels = []
    for level in acc.memory:
        copies = level.instances * (pes if level.sharing is Sharing.PER_PE else 1)
        levels.append(
            LevelView(
                name=level.name,
                operands=frozenset(op.value for op in level.operands),
                per_pe=level.sharing is Sharing.PER_PE,
                capacity_bits=level.usable_bytes * 8 * copies,
                double_buffered=level.double_buffered,
                second_tile=frozenset(op.value for op in level.operands if level.double_buffers(op)),
                read_bits_per_cycle=level.read_bytes_per_cycle * 8 * copies,
                write_bits_per_cycle=level.write_bytes_per_cycle * 8 * copies,
                read_pj_per_bit=level.read_pj_per_bit(table),
                write_pj_per_bit=level.write_pj_per_bit(table),
            )
        )
    bytes_per_cycle = acc.dram_bytes_per_cycle
    return HardwareView(
        name=acc.name,
        clock_hz=acc.clock_hz,
        levels=tuple(levels),
        dram_bits_per_cycle=bytes_per_cycle * 8 if math.isfinite(bytes_per_cycle) else math.inf,
        dram_latency_cycles=acc.dram_latency_cycles,
        dram_pj_per_bit=acc.dram_pj_per_bit(),
        dram_channels=acc.dram.channels,
        leakage_pj_per_cycle=acc.leakage_pj(1),
        signature=hardware_digest(acc),
        energy_table=table,
    )


def hardware_digest(acc: Accelerator) -> str:
    """A short digest of the whole accelerator description (what a cached mapping was computed for)."""
    return hashlib.sha256(acc.model_dump_json().encode()).hexdigest()[:16]
