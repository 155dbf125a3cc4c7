"""Production ONNX models with real weights that ship inside PyPI wheels, downloaded once per machine.

The PP-OCR models (text direction classifier, PP-OCRv4 detector and recognizer)
ship inside the wheel ``rapidocr-onnxruntime`` 1.4.4. The first run downloads
the wheel with pip into the cache directory (``$QCOSIM_TEST_CACHE``, default
``~/.cache/qcosim-tests``) and extracts the model; later runs use the cached
file, checked against its SHA-256. Tests that need one skip, saying why, only
when the download is impossible (no network, no pip).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

WHEEL = "rapidocr_onnxruntime-1.4.4-py3-none-any.whl"
REQUIREMENT = "rapidocr-onnxruntime==1.4.4"
PPOCR = {
    "cls": ("ch_ppocr_mobile_v2.0_cls_infer.onnx",
            "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c"),
    "det": ("ch_PP-OCRv4_det_infer.onnx", "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9"),
    "rec": ("ch_PP-OCRv4_rec_infer.onnx", "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b"),
}
"""Model -> (file in the wheel's ``rapidocr_onnxruntime/models/``, SHA-256)."""


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


def ppocr_path(which: str) -> Path:
    """Path of PP-OCR model ``which`` ("cls", "det" or "rec"), checked against its SHA-256."""
    filename, sha256 = PPOCR[which]
    cache = _cache_dir()
    model = cache / "rapidocr-1.4.4" / filename
    if not model.is_file():
        with zipfile.ZipFile(_download_wheel(cache)) as archive:
            data = archive.read(f"rapidocr_onnxruntime/models/{filename}")
        model.parent.mkdir(parents=True, exist_ok=True)
        partial = model.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(model)
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    assert digest == sha256, f"{model} is not the file of {REQUIREMENT} (sha256 {digest}); delete it"
    return model
