"""PP-OCR's production graphs (real weights, Paddle2ONNX exports): exact shapes and MACs, nothing assumed.

The three models ship in the ``rapidocr-onnxruntime`` 1.4.4 wheel
(`wheel_models`); their inputs are ``x: [?, 3, ?, ?]``. RapidOCR feeds the
classifier 48 x 192 crops and the recognizer 48 x 320 lines (its
``rec_img_shape``); the detector takes any multiple of 32 (320 x 320 here, to
keep the run short). Their shapes are computed by Shape -> Gather -> Concat ->
Reshape subgraphs, which qcosim evaluates. Every MAC count is checked node by
node against onnxruntime executing the model (`onnx_reference`).
"""

from __future__ import annotations

import warnings

import pytest
from wheel_models import ppocr_path

from workloads import OpKind
from workloads.onnx_import import load_onnx

try:
    from . import onnx_reference as reference
except ImportError:  # tests/ laid out without packages: pytest puts this folder on sys.path
    import onnx_reference as reference

pytest.importorskip("onnxruntime", reason="the independent MAC count runs the model with onnxruntime")

SHAPES = {"cls": (1, 3, 48, 192), "det": (1, 3, 320, 320), "rec": (1, 3, 48, 320)}


def load(which: str):
    """Import with every warning an error: no shape may be assumed."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_onnx(ppocr_path(which), input_shapes={"x": SHAPES[which]})


@pytest.mark.parametrize("which", ["cls", "det", "rec"])
def test_ppocr_macs_match_onnxruntime_node_by_node(which):
    graph = load(which)
    expected = reference.reference_macs(ppocr_path(which), {"x": SHAPES[which]})
    got = {layer.name: layer.macs for layer in graph.layers() if layer.macs}
    assert got == expected


def test_ppocr_rec_attention_and_classifier_are_exact():
    graph = load("rec")
    # The SVTR neck's final classifier: 40 time steps x 120 channels x 6625 characters
    # (PP-OCRv4's ppocr_keys_v1 dictionary plus blank and space), 31.8 M MACs.
    head = graph.layer("p2o.MatMul.24")
    assert (head.op, head.n * head.p, head.c, head.k, head.macs) == (OpKind.GEMM, 40, 120, 6625, 31_800_000)
    assert graph.totals()["macs"] == 702_469_440
    # attention: 8 heads over the 40 time steps, 15 channels per head (120 / 8)
    scores = [graph.layer(n) for n in graph.select(op=OpKind.MATMUL)]
    assert {(s.n, s.p, s.c, s.k) for s in scores} == {(8, 40, 15, 40), (8, 40, 40, 15)}
    assert graph.inputs[next(iter(graph.inputs))].shape == (1, 3, 48, 320)


def test_ppocr_det_upsampling_shapes_come_from_resize_scales():
    graph = load("det")
    sizes = {tuple(t.shape[2:]) for _, _, t in graph.edges()}
    assert {(80, 80), (40, 40), (20, 20), (10, 10), (160, 160), (320, 320)} <= sizes


def test_ppocr_rec_batch_4_scales_every_mac_layer():
    from qcosim.api import summarize_workload

    four = summarize_workload(ppocr_path("rec"), params={"batch": 4}, input_shapes={"x": SHAPES["rec"]})
    expected = reference.reference_macs(ppocr_path("rec"), {"x": (4, 3, 48, 320)})
    assert four.totals.macs == sum(expected.values()) == 4 * 702_469_440
