"""The roofline of an accelerator at each precision, with every MAC layer of a run placed on it.

A precision-scalable chip has one compute roof per (weight, activation)
precision: Bit Fusion does 512 MACs per cycle at w8a8 and 1,024 at w4a8. The
memory roof is DRAM bandwidth times arithmetic intensity, here in MACs per
DRAM byte with bytes counted at each tensor's real bit-width, so narrower
formats move a layer right (more MACs per byte) and raise its roof.

The compute roofs come from the layers themselves (`LayerResult.peak_macs_per_cycle`,
the chip's peak at the formats the layer ran) and, when the accelerator is
known, from its datasheet (`hwmodels.summarize_hardware`) for every other
precision; the memory roof needs the accelerator.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwmodels import Accelerator, summarize_hardware
from hwmodels.formats import pair_label, parse_format_name
from simulator.results import LayerResult, SimResult

__all__ = ["Roof", "RooflinePoint", "Roofline", "layer_precision", "roofline"]


@dataclass(frozen=True)
class Roof:
    """One compute roof."""

    precision: str
    """Pair label: ``w4a8``, ``fp16``."""
    peak_macs_per_cycle: float
    used: bool
    """Some layer of the run executed at this precision."""


@dataclass(frozen=True)
class RooflinePoint:
    """One MAC layer on the roofline."""

    layer: str
    precision: str
    intensity_macs_per_byte: float
    """MACs / DRAM bytes (both directions) at the layer's real formats."""
    achieved_macs_per_cycle: float
    """MACs / the layer's cycles."""


@dataclass(frozen=True)
class Roofline:
    """Roofs and points of one run."""

    roofs: tuple[Roof, ...]
    """Highest roof first."""
    dram_bytes_per_cycle: float | None
    """The memory roof's slope; None when the accelerator is unknown or DRAM is unlimited."""
    points: tuple[RooflinePoint, ...]
    no_dram_layers: tuple[str, ...]
    """MAC layers that move no DRAM byte (infinite intensity): not on the chart."""


def layer_precision(layer: LayerResult) -> str:
    """The pair label of the formats the layer's MAC units ran (``w4a8``), or its policy label."""
    weight, act = layer.mapping.executed_formats
    if not weight or not act:
        return layer.quant
    return pair_label(parse_format_name(weight), parse_format_name(act))


def roofline(result: SimResult, acc: Accelerator | None = None) -> Roofline:
    """The roofline of ``result``'s accelerator with each MAC layer as a point.

    Examples
    --------
    >>> import qcosim
    >>> from hwmodels import load_hardware
    >>> r = qcosim.simulate("resnet18", "bitfusion", "w4a8")
    >>> line = roofline(r, load_hardware("bitfusion"))
    >>> [(roof.precision, roof.peak_macs_per_cycle) for roof in line.roofs if roof.used]
    [('w4a8', 1024.0)]
    >>> line.dram_bytes_per_cycle
    24.0
    """
    peaks: dict[str, float] = {}
    points, no_dram = [], []
    for layer in result.layers:
        if not layer.macs or not layer.cycles:
            continue
        precision = layer_precision(layer)
        peaks.setdefault(precision, layer.peak_macs_per_cycle)
        if layer.dram_bytes <= 0:
            no_dram.append(layer.name)
            continue
        points.append(RooflinePoint(layer.name, precision, layer.macs / layer.dram_bytes, layer.macs / layer.cycles))
    used = set(peaks)
    bandwidth = None
    if acc is not None:
        summary = summarize_hardware(acc)
        for precision, peak in summary["peak_macs_per_cycle"].items():
            peaks.setdefault(precision, peak)
        bandwidth = summary["dram"]["bytes_per_cycle"]
    roofs = sorted((Roof(p, v, p in used) for p, v in peaks.items()), key=lambda r: (-r.peak_macs_per_cycle, r.precision))
    return Roofline(tuple(roofs), bandwidth, tuple(points), tuple(no_dram))
