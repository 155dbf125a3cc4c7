"""Hardware models: accelerator descriptions, precision capabilities, energy, area and presets.

The datasheet side of qcosim. ``load_hardware("eyeriss")`` (or a YAML/JSON
file) gives a frozen, validated ``Accelerator``; its engines say how many MACs
per cycle they do at given operand widths and which formats they execute, its
memory levels and DRAM say how much they hold and how fast they move bytes,
and the energy table prices every action. Everything is priced in plain
numbers (bits, cycles, picojoules), so the simulator never depends on the
workload vocabulary and this package depends on nothing else in qcosim.
"""

from hwmodels.area import AreaTable, area_breakdown_mm2, leakage_breakdown_mw, pe_area_um2
from hwmodels.compute import (
    BitFusionPrecision,
    BitSerialPrecision,
    Dataflow,
    FixedPrecision,
    FloatPrecision,
    MultiFormatPrecision,
    Precision,
    SerialOperand,
)
from hwmodels.config import Accelerator
from hwmodels.energy import (
    HOROWITZ_45NM,
    EnergyTable,
    dram_pj_per_bit,
    float_add_pj,
    float_mac_pj,
    float_mult_pj,
    int_add_pj,
    int_mult_pj,
    mac_pj,
    nominal_vdd_v,
    sram_pj_per_bit,
    technology_scale,
)
from hwmodels.engine import MacArray, VectorUnit
from hwmodels.errors import ConfigError
from hwmodels.formats import FormatInfo, can_represent, parse_format_name
from hwmodels.io import (
    describe_presets,
    dump_hardware,
    hardware_json_schema,
    list_presets,
    load_hardware,
    parse_hardware,
)
from hwmodels.memory import Dram, MemoryLevel, Operand, Sharing
from hwmodels.summary import render_summary, summarize_hardware

__all__ = [
    "Accelerator",
    "AreaTable",
    "BitFusionPrecision",
    "BitSerialPrecision",
    "ConfigError",
    "Dataflow",
    "Dram",
    "EnergyTable",
    "FixedPrecision",
    "FloatPrecision",
    "MultiFormatPrecision",
    "FormatInfo",
    "HOROWITZ_45NM",
    "MacArray",
    "MemoryLevel",
    "Operand",
    "Precision",
    "SerialOperand",
    "Sharing",
    "VectorUnit",
    "area_breakdown_mm2",
    "can_represent",
    "describe_presets",
    "dram_pj_per_bit",
    "dump_hardware",
    "float_add_pj",
    "float_mac_pj",
    "float_mult_pj",
    "hardware_json_schema",
    "int_add_pj",
    "int_mult_pj",
    "leakage_breakdown_mw",
    "list_presets",
    "load_hardware",
    "mac_pj",
    "nominal_vdd_v",
    "parse_format_name",
    "parse_hardware",
    "pe_area_um2",
    "render_summary",
    "sram_pj_per_bit",
    "summarize_hardware",
    "technology_scale",
]
