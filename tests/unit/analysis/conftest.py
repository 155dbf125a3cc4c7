"""Fixtures for the analysis tests: a production ONNX model with real weights, downloaded once.

The PP-OCR mobile text-direction classifier (``ch_ppocr_mobile_v2.0_cls_infer.onnx``,
585 KB, 54 weight layers) ships inside the PyPI wheel ``rapidocr-onnxruntime``
1.4.4. The first run downloads the wheel with pip into the cache directory
(``$QCOSIM_TEST_CACHE``, default ``~/.cache/qcosim-tests``) and extracts the
model; later runs use the cached file. Tests that need it skip, saying why,
only when the download is impossible (no network, no pip).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest

WHEEL = "rapidocr_onnxruntime-1.4.4-py3-none-any.whl"
REQUIREMENT = "rapidocr-onnxruntime==1.4.4"
CLS_MEMBER = "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx"
CLS_SHA256 = "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c"
CLS_INPUT_SHAPES = {"x": (1, 3, 48, 192)}
"""The classifier's input is ``x: [?, 3, ?, ?]``; RapidOCR feeds 48 x 192 crops."""


def _cache_dir() -> Path:
    return Path(os.environ.get("QCOSIM_TEST_CACHE") or Path.home() / ".cache" / "qcosim-tests")


def _download_wheel(cache: Path) -> Path:
    wheel = cache / WHEEL
    if wheel.is_file():
        return wheel
    cache.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", REQUIREMENT, "-d", str(cache)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot download {REQUIREMENT} for its real ONNX weights: {exc}")
    if done.returncode != 0 or not wheel.is_file():
        reason = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        pytest.skip(f"cannot download {REQUIREMENT} for its real ONNX weights (no network?): {reason}")
    return wheel


@pytest.fixture(scope="session")
def ppocr_cls_path() -> Path:
    """Path of the PP-OCR mobile direction classifier, checked against its SHA-256."""
    cache = _cache_dir()
    model = cache / "rapidocr-1.4.4" / Path(CLS_MEMBER).name
    if not model.is_file():
        with zipfile.ZipFile(_download_wheel(cache)) as archive:
            data = archive.read(CLS_MEMBER)
        model.parent.mkdir(parents=True, exist_ok=True)
        partial = model.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(model)
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    assert digest == CLS_SHA256, f"{model} is not the file of {REQUIREMENT} (sha256 {digest}); delete it"
    return model


@pytest.fixture(scope="session")
def ppocr_cls(ppocr_cls_path):
    """The classifier as a fused `LayerGraph` with lazy real weights (importer shape notes silenced)."""
    from workloads import load_workload

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # output shapes guessed after a Reshape: not under test
        return load_workload(ppocr_cls_path, input_shapes=CLS_INPUT_SHAPES)
