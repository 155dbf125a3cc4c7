"""Storage and links: on-chip memory levels and the DRAM interface.

Memory levels are listed innermost first, the way data climbs towards the
PEs: per-PE register files or scratchpads, then shared buffers. Each level
says which operands it holds (weights, inputs, outputs), how big one copy
is, how many copies exist (shared or one per PE), and how fast and how
expensive it is to read and write. Energy per access is either given or
derived from the size through the energy table (`hwmodels.energy`), so an
8 KiB scratchpad is cheaper per bit than a 1 MiB buffer.
"""

from __future__ import annotations

import math
from enum import Enum

from pydantic import Field, field_validator, model_validator

from hwmodels._model import (
    Bandwidth,
    Count,
    FrozenModel,
    Milliwatts,
    PicoJoules,
    SquareMillimetres,
    field_error,
    refuse_removed,
)
from hwmodels.energy import EnergyTable, dram_pj_per_bit, sram_pj_per_bit

__all__ = ["Operand", "Sharing", "MemoryLevel", "Dram"]


class Operand(str, Enum):
    """A tensor role as the memory sees it (ZigZag's W / I / O split)."""

    WEIGHTS = "weights"
    INPUTS = "inputs"
    OUTPUTS = "outputs"


class Sharing(str, Enum):
    """Whether a level is one shared structure or replicated in every PE."""

    SHARED = "shared"
    PER_PE = "per_pe"


_BANDWIDTH_HINT = "it did not change any result; use read_bytes_per_cycle and write_bytes_per_cycle"
_REMOVED_LEVEL_FIELDS = {"ports": _BANDWIDTH_HINT, "banks": _BANDWIDTH_HINT}


class MemoryLevel(FrozenModel):
    """One level of on-chip storage: a register file, scratchpad or buffer."""

    name: str = Field(min_length=1)
    """Level name, unique within the accelerator."""
    size_bytes: Count
    """Capacity of one instance in bytes (both halves when double-buffered)."""
    operands: tuple[Operand, ...] = Field(min_length=1)
    """Operands this level holds: a non-empty subset of weights, inputs, outputs."""
    sharing: Sharing = Sharing.SHARED
    """``shared``: ``instances`` copies in total; ``per_pe``: ``instances`` copies in every PE."""
    instances: Count = 1
    """Copies of the level (per PE when sharing is per_pe)."""
    read_bytes_per_cycle: Bandwidth = math.inf
    """Read bandwidth of one instance in bytes per cycle; ``.inf`` means unlimited."""
    write_bytes_per_cycle: Bandwidth = math.inf
    """Write bandwidth of one instance in bytes per cycle; ``.inf`` means unlimited."""
    double_buffered: bool = False
    """Half the capacity is filled while the other half is used, hiding load time."""
    double_buffered_operands: tuple[Operand, ...] = ()
    """Operands of which this level keeps a second tile beside the first, loaded (or drained) while the
    array works on the first; each counts twice against ``size_bytes``, the other operands once (for a
    level that does this for everything it holds, set ``double_buffered``)."""
    word_bits: Count = 64
    """Width of one access in bits."""
    read_pj_per_access: PicoJoules | None = None
    """Energy of reading one word in pJ; unset: derived from size_bytes via the energy table."""
    write_pj_per_access: PicoJoules | None = None
    """Energy of writing one word in pJ; unset: the read energy x the table's sram_write_factor."""
    area_mm2: SquareMillimetres | None = None
    """Area of all instances in mm²; unset: estimated from the area table."""
    leakage_mw: Milliwatts | None = None
    """Leakage power of all instances in mW; unset: area x leakage density."""

    _removed = refuse_removed(_REMOVED_LEVEL_FIELDS)

    @field_validator("operands", "double_buffered_operands")
    @classmethod
    def _unique(cls, value: tuple[Operand, ...]) -> tuple[Operand, ...]:
        if len(set(value)) != len(value):
            names = ", ".join(op.value for op in value)
            raise ValueError(f"must not repeat (got {names})")
        return value

    @model_validator(mode="after")
    def _second_copies_held(self) -> MemoryLevel:
        strays = [op.value for op in self.double_buffered_operands if op not in self.operands]
        if strays:
            raise field_error("double_buffered_operands",
                              f"{', '.join(strays)} not held by the level (it holds "
                              f"{', '.join(op.value for op in self.operands)})")
        if self.double_buffered and self.double_buffered_operands:
            raise field_error("double_buffered_operands",
                              "the level is double_buffered for every operand already; set one of the two")
        return self

    def double_buffers(self, operand: Operand | str) -> bool:
        """True when the level loads (or drains) a second tile of ``operand`` while the first is in use."""
        return self.double_buffered or Operand(operand) in self.double_buffered_operands

    @property
    def size_bits(self) -> int:
        """Capacity of one instance in bits."""
        return self.size_bytes * 8

    @property
    def usable_bytes(self) -> int:
        """Bytes one tile may occupy: half the capacity when double-buffered."""
        return self.size_bytes // 2 if self.double_buffered else self.size_bytes

    def holds(self, operand: Operand | str) -> bool:
        """True when this level stores ``operand``."""
        return Operand(operand) in self.operands

    def read_pj_per_bit(self, table: EnergyTable) -> float:
        """Read energy per bit in pJ: the given per-access energy / word_bits, or the SRAM model."""
        if self.read_pj_per_access is not None:
            return self.read_pj_per_access / self.word_bits
        return sram_pj_per_bit(self.size_bytes, table)

    def write_pj_per_bit(self, table: EnergyTable) -> float:
        """Write energy per bit in pJ: the given per-access energy / word_bits, or read x write factor."""
        if self.write_pj_per_access is not None:
            return self.write_pj_per_access / self.word_bits
        return self.read_pj_per_bit(table) * table.sram_write_factor


class Dram(FrozenModel):
    """The off-chip memory interface."""

    bandwidth_gb_per_s: Bandwidth
    """Sustained bandwidth in GB/s (10^9 bytes per second); ``.inf`` means unlimited."""
    energy_pj_per_bit: PicoJoules | None = None
    """Energy per bit moved in pJ; unset: the energy table's DRAM value (not technology-scaled)."""
    latency_ns: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    """Access latency in ns added to every transfer."""
    channels: Count = 1
    """Independent channels that transfer concurrently (the bandwidth is their sum)."""

    def bytes_per_cycle(self, clock_hz: float) -> float:
        """Bandwidth in bytes per accelerator clock cycle (``inf`` when unlimited)."""
        return self.bandwidth_gb_per_s * 1e9 / clock_hz

    def latency_cycles(self, clock_hz: float) -> int:
        """Latency in whole accelerator cycles (rounded up)."""
        return math.ceil(self.latency_ns * 1e-9 * clock_hz - 1e-9)

    def pj_per_bit(self, table: EnergyTable) -> float:
        """Energy per bit moved in pJ."""
        if self.energy_pj_per_bit is not None:
            return self.energy_pj_per_bit
        return dram_pj_per_bit(table)
