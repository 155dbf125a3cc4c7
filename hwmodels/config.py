"""The accelerator description: engines, memory hierarchy, DRAM, energy and area tables.

``Accelerator`` is the whole chip as the simulator sees it, validated once at
the edge: one or more MAC arrays and a vector unit, on-chip memory levels
listed innermost to outermost, the DRAM interface, and the energy and area
tables (Horowitz 45 nm by default, scaled to ``technology_nm``). Fields that
validated but changed no result (``noc``, a level's ``ports`` and ``banks``)
were removed; a file still setting them gets a one-line error saying so.
Cross-field rules checked here: names are unique, every
operand has an on-chip home, for each operand the levels holding it grow
(or stay equal) in size from the PEs outwards, and no field passes its limit
in `hwmodels.validation.HARDWARE_LIMITS`.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

from pydantic import Field, model_validator

from hwmodels._model import FrozenModel, field_error, refuse_removed
from hwmodels.area import AreaTable, leakage_breakdown_mw
from hwmodels.energy import EnergyOverhead, EnergyTable, mac_pj
from hwmodels.engine import MacArray, VectorUnit
from hwmodels.memory import Dram, MemoryLevel, Operand, Sharing
from hwmodels.sparsity import Sparsity
from hwmodels.validation import limit_errors

__all__ = ["Accelerator"]

_REMOVED_FIELDS = {
    "noc": "it did not change any result (delivery from the buffers to the PEs is not modelled); "
    "bound operand bandwidth with the memory levels' read_bytes_per_cycle",
}


class Accelerator(FrozenModel):
    """A quantized-inference accelerator: compute, storage, links and cost tables."""

    schema_version: Literal["1"] = "1"
    """Version of this file format."""
    name: str = Field(min_length=1)
    """Accelerator name."""
    description: str | None = None
    """One line on what this is and where its figures come from."""
    clock_ghz: float = Field(gt=0, allow_inf_nan=False)
    """Core clock in GHz; every cycle count is in cycles of this clock."""
    technology_nm: float = Field(default=45.0, gt=0, allow_inf_nan=False)
    """Technology node in nm; energies and areas are scaled to it from their tables' nodes."""
    vdd_v: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    """Core supply in V; unset: the node's nominal supply."""
    engines: tuple[MacArray, ...] = Field(min_length=1)
    """MAC arrays (at least one)."""
    vector_unit: VectorUnit = VectorUnit()
    """Element-wise unit for requantization and activation functions."""
    memory: tuple[MemoryLevel, ...] = Field(min_length=1)
    """On-chip memory levels, innermost (closest to the PEs) first."""
    dram: Dram
    """Off-chip memory interface."""
    energy: EnergyTable = EnergyTable()
    """Energy per action at the table's own node (default: Horowitz 45 nm); scaled to technology_nm."""
    area: AreaTable = AreaTable()
    """Area per unit and leakage density (default: Horowitz 45 nm areas plus declared assumptions)."""
    overhead: EnergyOverhead = EnergyOverhead()
    """Clock tree, control and on-chip network energy per occupied PE-cycle (default: none)."""
    sparsity: Sparsity = Sparsity()
    """Compression of activations in DRAM and zero gating in the PEs (default: neither)."""

    _removed = refuse_removed(_REMOVED_FIELDS)

    @model_validator(mode="after")
    def _check_structure(self) -> Accelerator:
        for field, items in (("engines", self.engines), ("memory", self.memory)):
            seen: dict[str, int] = {}
            for index, item in enumerate(items):
                if item.name in seen:
                    raise field_error(
                        f"{field}[{index}].name",
                        f"must be unique (got {item.name!r}, also {field}[{seen[item.name]}])",
                    )
                seen[item.name] = index
        self._check_memory_order()
        return self

    @model_validator(mode="after")
    def _check_limits(self) -> Accelerator:
        over = limit_errors(self)
        if over:
            raise field_error(*over[0])
        return self

    def _check_memory_order(self) -> None:
        for operand in Operand:
            chain = [(i, level) for i, level in enumerate(self.memory) if level.holds(operand)]
            if not chain:
                raise field_error(
                    "memory", f"no level holds {operand.value} (every operand needs an on-chip level)"
                )
            for (_, inner), (index, outer) in pairwise(chain):
                if outer.size_bytes < inner.size_bytes:
                    raise field_error(
                        f"memory[{index}].size_bytes",
                        f"must be >= {inner.size_bytes}, the size of inner level {inner.name!r} "
                        f"that also holds {operand.value}; levels are listed innermost first "
                        f"(got {outer.size_bytes})",
                    )

    @property
    def clock_hz(self) -> float:
        """Core clock in Hz."""
        return self.clock_ghz * 1e9

    @property
    def scaled_energy(self) -> EnergyTable:
        """The energy table scaled to ``technology_nm`` and ``vdd_v`` (what prices every action)."""
        return self.energy.scaled_to(self.technology_nm, self.vdd_v)

    def engine(self, key: int | str = 0) -> MacArray:
        """An engine by index or name."""
        return _pick(self.engines, key, "engine")

    def level(self, key: int | str) -> MemoryLevel:
        """A memory level by index (0 = innermost) or name."""
        return _pick(self.memory, key, "memory level")

    def level_instances(self, key: int | str) -> int:
        """Total copies of a level on the chip (instances x PEs of all engines when per PE)."""
        level = self.level(key)
        if level.sharing is Sharing.PER_PE:
            return level.instances * sum(engine.pes for engine in self.engines)
        return level.instances

    @property
    def onchip_bytes(self) -> int:
        """Total on-chip storage in bytes, every instance of every level."""
        return sum(level.size_bytes * self.level_instances(i) for i, level in enumerate(self.memory))

    def read_pj_per_bit(self, key: int | str) -> float:
        """Read energy per bit of a level in pJ at this chip's node."""
        return self.level(key).read_pj_per_bit(self.scaled_energy)

    def write_pj_per_bit(self, key: int | str) -> float:
        """Write energy per bit of a level in pJ at this chip's node."""
        return self.level(key).write_pj_per_bit(self.scaled_energy)

    def dram_pj_per_bit(self) -> float:
        """DRAM energy per bit moved in pJ."""
        return self.dram.pj_per_bit(self.energy)

    @property
    def dram_bytes_per_cycle(self) -> float:
        """DRAM bandwidth in bytes per core cycle (``inf`` when unlimited)."""
        return self.dram.bytes_per_cycle(self.clock_hz)

    @property
    def dram_latency_cycles(self) -> int:
        """DRAM latency in whole core cycles."""
        return self.dram.latency_cycles(self.clock_hz)

    def mac_pj(
        self, weight_bits: int, act_bits: int, *, floating: bool = False, engine: int | str = 0
    ) -> float:
        """Energy of one MAC on ``engine`` in pJ, priced at the widths the datapath pads to.

        Examples
        --------
        >>> from hwmodels import load_hardware
        >>> tpu = load_hardware("tpu-v1")
        >>> tpu.mac_pj(4, 4) == tpu.mac_pj(8, 8)   # an int8 array pads int4 operands
        True
        """
        array = self.engine(engine)
        w_bits, a_bits = array.padded_bits(weight_bits, act_bits, floating=floating)
        return mac_pj(w_bits, a_bits, array.accum_bits, floating=floating, table=self.scaled_energy)

    @property
    def leakage_mw(self) -> float:
        """Total on-chip leakage power in mW (see `hwmodels.area.leakage_breakdown_mw`)."""
        return sum(leakage_breakdown_mw(self).values())

    @property
    def overhead_pj_per_pe_cycle(self) -> float:
        """``overhead.pe_cycle_pj`` at this chip's node and supply."""
        return self.overhead.pe_cycle_pj_at(self.technology_nm, self.vdd_v)

    def leakage_pj(self, cycles: float) -> float:
        """Leakage energy in pJ over ``cycles`` core cycles: mW x seconds x 10⁹."""
        return self.leakage_mw * cycles / self.clock_hz * 1e9


def _pick(items: tuple, key: int | str, what: str):
    if isinstance(key, int):
        if -len(items) <= key < len(items):
            return items[key]
        raise IndexError(f"no {what} at index {key} (have {len(items)})")
    for item in items:
        if item.name == key:
            return item
    names = ", ".join(repr(item.name) for item in items)
    raise KeyError(f"no {what} named {key!r} (have {names})")
