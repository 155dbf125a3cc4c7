"""Activation density measured on real activations through onnxruntime (analysis.density)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.density import measure_density, with_densities
from analysis.errors import AnalysisError
from workloads import load_workload

try:
    from . import sensitivity_models as models
except ImportError:  # tests/ laid out without packages: pytest puts this folder on sys.path
    import sensitivity_models as models


@pytest.fixture
def mlp(tmp_path):
    # y = relu(x @ W1) @ W2: fc1 reads x (standard normal, no zeros), fc2 reads the ReLU's output.
    rng = np.random.default_rng(11)
    w1, w2, x = rng.standard_normal((6, 16)), rng.standard_normal((16, 3)), rng.standard_normal((8, 6))
    path = models.two_layer_model(tmp_path / "mlp.onnx", w1, w2)
    np.savez(tmp_path / "x.npz", x=x.astype(np.float32))
    graph = load_workload(path, input_shapes={"x": (8, 6)})
    h = np.maximum(x.astype(np.float32) @ w1.astype(np.float32), 0)
    return {"path": path, "graph": graph, "calibration": tmp_path / "x.npz", "hidden": h}


def test_density_is_counted_on_the_real_activations(mlp):
    densities = measure_density(mlp["path"], mlp["graph"], calibration=mlp["calibration"])
    h = mlp["hidden"]
    assert densities == {"fc1": 1.0, "fc2": pytest.approx(np.count_nonzero(h) / h.size, abs=1e-12)}
    assert 0.2 < densities["fc2"] < 0.8  # a ReLU of zero-mean values zeroes about half


def test_densities_land_on_the_layer_and_its_producer(mlp):
    densities = measure_density(mlp["path"], mlp["graph"], calibration=mlp["calibration"])
    annotated = with_densities(mlp["graph"], densities)
    assert annotated.layer("fc2").input_density == densities["fc2"]
    (producer,) = annotated.predecessors("fc2")
    assert annotated.layer(producer).output_density == densities["fc2"]
    assert annotated.layer("fc1").input_density == 1.0


def test_bad_densities_are_refused(mlp):
    with pytest.raises(AnalysisError, match="no layer named 'nope'"):
        with_densities(mlp["graph"], {"nope": 0.5})
    with pytest.raises(AnalysisError, match=r"density of 'fc2' must be in \[0, 1\] \(got 1.5\)"):
        with_densities(mlp["graph"], {"fc2": 1.5})
