"""The Eyeriss validation (validation/eyeriss_alexnet.py) stays within its stated tolerance.

Measured: Chen et al., IEEE JSSC 2017, Table V: AlexNet CONV1-5 at batch 4 and
200 MHz take 115.3 ms and move 15.4 MB of DRAM traffic. The analytical model
lands at 1.33x the latency and 1.30x the DRAM traffic (its row-stationary
placement leaves CONV3-5 at ~40% utilization where the chip replicates its
PE sets better, and it re-reads halo rows and refetches inputs across filter
tiles). The tolerance held here is what can honestly be met today: within
1.4x on both, never below 0.8x.
"""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "validation" / "eyeriss_alexnet.py"


@pytest.fixture(scope="module")
def validation():
    spec = importlib.util.spec_from_file_location("eyeriss_alexnet", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_alexnet_conv_macs_at_batch_4(validation):
    # AlexNet CONV1-5 (Krizhevsky et al. 2012; shapes as in Eyeriss Table I): 666 M MACs per image.
    graph = validation.alexnet_conv()
    per_image = [96 * 3 * 55 * 55 * 121, 256 * 48 * 27 * 27 * 25, 384 * 256 * 169 * 9,
                 384 * 192 * 169 * 9, 256 * 192 * 169 * 9]
    assert [layer.macs for layer in graph.layers()] == [4 * m for m in per_image]
    assert sum(per_image) == 665_784_864


def test_eyeriss_alexnet_within_stated_tolerance(validation):
    result = validation.run()
    latency_ratio = result.totals.latency_s * 1e3 / validation.MEASURED_LATENCY_MS
    dram_ratio = result.totals.dram_bytes / 1e6 / validation.MEASURED_DRAM_MB
    assert 0.8 <= latency_ratio <= 1.4
    assert 0.8 <= dram_ratio <= 1.4
    text = validation.report(result)
    assert "measured 115.3 ms" in text and "measured 15.4 MB" in text
