"""PyTensor's C BLAS ops linked to SciPy's bundled OpenBLAS (channelsim.model._blas)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

PROBE = """
import json
import numpy as np
import pytensor
import pytensor.tensor as pt
import channelsim.model._build  # configures BLAS before the first compile
from channelsim.model._blas import blas_status
A, x = pt.matrix("A"), pt.vector("x")
f = pytensor.function([A, x], pt.dot(A, x) + 2.0 * pt.dot(A, x**2))
a = np.arange(12.0).reshape(3, 4) / 7.0
v = np.linspace(-1.0, 2.0, 3)
ops = sorted({type(n.op).__name__ for n in f.maker.fgraph.toposort()})
print(json.dumps({"status": blas_status(), "ldflags": pytensor.config.blas__ldflags,
                  "ops": ops, "value": f(a.T, v).tolist()}))
"""


def _probe(**env) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _expected() -> list[float]:
    a = np.arange(12.0).reshape(3, 4) / 7.0
    v = np.linspace(-1.0, 2.0, 3)
    return (a.T @ v + 2.0 * a.T @ v**2).tolist()


def test_scipy_openblas_is_found_on_a_wheel_install():
    from channelsim.model._blas import scipy_openblas_flags

    flags = scipy_openblas_flags()
    if sys.platform.startswith("linux"):
        # SciPy's manylinux wheels ship libscipy_openblas: a pip install must find it
        assert flags is not None
    if flags is not None:
        assert all(f"-D{r}=scipy_{r}" in flags for r in ("dgemm_", "dgemv_", "dger_"))


def test_models_compile_with_c_blas_and_agree_with_numpy():
    from channelsim.model._blas import scipy_openblas_flags

    out = _probe(PYTENSOR_FLAGS="")
    if out["status"] == "configured":
        pytest.skip("PyTensor already has a BLAS from the environment; nothing to link")
    if scipy_openblas_flags() is None:
        assert out["status"] == "numpy"
        return
    assert out["status"] == "scipy-openblas"
    assert "scipy_openblas" in out["ldflags"]
    assert "CGemv" in out["ops"]  # the C op, not the NumPy-thunk Gemv
    np.testing.assert_allclose(out["value"], _expected(), rtol=1e-12)


def test_channelsim_blas_0_leaves_pytensor_alone():
    out = _probe(CHANNELSIM_BLAS="0", PYTENSOR_FLAGS="")
    assert out["status"] == "off"
    assert "scipy_openblas" not in out["ldflags"]
    assert "CGemv" not in out["ops"]
    np.testing.assert_allclose(out["value"], _expected(), rtol=1e-12)
