"""The roofline's roofs are the chip's datasheet; its points are the layers' own MACs, bytes and cycles."""

import pytest

from hwmodels import load_hardware
from reports.provenance import matching_hardware
from reports.roofline import roofline


def test_bit_fusion_roofs_and_dram_slope(runs):
    bitfusion = load_hardware("bitfusion")
    line = roofline(runs[1], matching_hardware(runs[1]))
    peaks = {roof.precision: roof.peak_macs_per_cycle for roof in line.roofs}
    # Bit Fusion (Sharma et al., ISCA 2018): 16x32 fusion units of sixteen 2-bit BitBricks; one unit does
    # 1 MAC/cycle at 8x8, 2 at 4x8 (w4a8), 4 at 4x4, 16 at 2x2 -> 512, 1,024, 2,048 and 8,192 MACs/cycle.
    assert (peaks["w8a8"], peaks["w4a8"], peaks["w4a4"], peaks["w2a2"]) == (512, 1024, 2048, 8192)
    assert [roof.precision for roof in line.roofs if roof.used] == ["w4a8"]
    # 12 GB/s DRAM at a 500 MHz clock: 24 bytes per cycle.
    assert line.dram_bytes_per_cycle == pytest.approx(12e9 / bitfusion.clock_hz) == 24


def test_points_are_layer_ratios_and_respect_the_roofs(runs):
    line = roofline(runs[1])
    layers = {layer.name: layer for layer in runs[1].layers}
    assert len(line.points) + len(line.no_dram_layers) == sum(1 for layer in layers.values() if layer.macs)
    for point in line.points:
        layer = layers[point.layer]
        assert point.intensity_macs_per_byte == layer.macs / layer.dram_bytes
        assert point.achieved_macs_per_cycle == layer.macs / layer.cycles
        # Physical bounds: never above the precision's peak, nor above DRAM bandwidth x intensity.
        assert point.achieved_macs_per_cycle <= 1024
        assert point.achieved_macs_per_cycle <= point.intensity_macs_per_byte * 24 * (1 + 1e-9)


def test_narrower_weights_move_layers_right(runs):
    """4-bit weights halve the weight bytes: each conv does more MACs per DRAM byte than at 8 bits."""
    w8, w4 = ({p.layer: p.intensity_macs_per_byte for p in roofline(r).points} for r in runs)
    assert all(w4[name] > w8[name] for name in w8 if name.endswith("conv2"))


def test_unknown_hardware_has_no_memory_roof(runs):
    renamed = runs[0].model_copy(update={"hardware": "my-chip"})
    assert matching_hardware(renamed) is None
    line = roofline(renamed, matching_hardware(renamed))
    assert line.dram_bytes_per_cycle is None
    assert [(roof.precision, roof.peak_macs_per_cycle) for roof in line.roofs] == [("w8a8", 512)]
