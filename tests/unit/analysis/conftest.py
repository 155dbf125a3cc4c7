"""Fixtures for the analysis tests: a production ONNX model with real weights, downloaded once.

The PP-OCR mobile text-direction classifier (``ch_ppocr_mobile_v2.0_cls_infer.onnx``,
585 KB, 54 weight layers) ships inside the PyPI wheel ``rapidocr-onnxruntime``
1.4.4. The first run downloads the wheel with pip into the cache directory
(``$QCOSIM_TEST_CACHE``, default ``~/.cache/qcosim-tests``) and extracts the
model (`tests/wheel_models.py`); later runs use the cached file. Tests that need it
skip, saying why, only when the download is impossible (no network, no pip).
"""

from __future__ import annotations

import pytest
from wheel_models import ppocr_path

CLS_INPUT_SHAPES = {"x": (1, 3, 48, 192)}
"""The classifier's input is ``x: [?, 3, ?, ?]``; RapidOCR feeds 48 x 192 crops."""


@pytest.fixture(scope="session")
def ppocr_cls_path():
    """Path of the PP-OCR mobile direction classifier, checked against its SHA-256 (`wheel_models`)."""
    return ppocr_path("cls")


@pytest.fixture(scope="session")
def ppocr_cls(ppocr_cls_path):
    """The classifier as a fused `LayerGraph` with lazy real weights."""
    from workloads import load_workload

    return load_workload(ppocr_cls_path, input_shapes=CLS_INPUT_SHAPES)
