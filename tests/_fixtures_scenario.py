"""Session fixtures and helpers for the scenario, comparison, report and Dask tests.

- :func:`fake_simulation` / :class:`FakeChunks`: a Simulation Dataset (DESIGN.md section 7) with
  known effects, drawn from the counter-based generator keyed by (policy lever values, path,
  quarter) only, so it is chunk-invariant like the real simulator; the comparison and report
  tests do not need the numba kernels.
- ``dask_client``: one Dask LocalCluster on loopback (2 worker processes, 1 thread each) shared by
  the session.
- :func:`chromium_screenshot`: render an HTML file in headless Chromium.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from channelsim import rng

__all__ = [
    "FAKE_VARIABLES",
    "FakeChunks",
    "chromium_screenshot",
    "fake_simulation",
]

FAKE_VARIABLES = (
    "revenue",
    "attainment",
    "share_at_quota",
    "stat_ape",
    "stat_bias",
    "stat_coverage",
    "commit_ape",
    "commit_bias",
    "coverage_index",
    "share_mature",
    "active_partners",
    "pay_cost_ratio",
    "programme_cost",
    "cam_attrition",
)

FAKE_LEVERS = {
    "hiring": ("direct_rep", "channel_manager"),
    "onboarding": ("direct_sales", "channel"),
    "kpi": ("revenue_only", "maturity_based"),
    "compensation": ("revenue_heavy", "territory_building", "by_maturity"),
    "quota": ("ratchet", "forecast"),
}


class FakeChunks:
    """Picklable chunk function ``(start, stop) -> Dataset`` of a fake factorial sweep.

    Policy ``p`` is the ``p``-th combination of :data:`FAKE_LEVERS` (policy 0 the status quo:
    first preset of each lever). Outcomes share path noise across policies (common random
    numbers) plus a small policy-specific noise keyed by the policy's lever codes.
    """

    def __init__(self, n_paths: int = 40, n_quarters: int = 4, seed: int = 7):
        self.n_paths, self.n_quarters, self.seed = n_paths, n_quarters, seed
        self.combos = list(itertools.product(*[range(len(v)) for v in FAKE_LEVERS.values()]))

    @property
    def n_policies(self) -> int:
        return len(self.combos)

    def __call__(self, start: int, stop: int) -> xr.Dataset:
        _P, N, Q = stop - start, self.n_paths, self.n_quarters
        codes = np.array(self.combos[start:stop])  # (P, L)
        # explicit elementwise sums: a BLAS matmul may round differently for different chunk sizes
        effect = (codes * np.array([0.03, 0.02, 0.004, 0.008, -0.01])).sum(axis=1)
        paths = np.arange(N)
        qs = np.arange(Q)
        common = rng.normal(rng.key(self.seed, 1, paths[:, None], 0, qs[None, :]))  # (N, Q)
        entity = (codes * np.array([1, 3, 9, 27, 81])).sum(axis=1)
        own = rng.normal(
            rng.key(self.seed, 2, paths[None, :, None], entity[:, None, None], qs[None, None, :])
        )
        att = 0.9 + 0.1 * common[None] + effect[:, None, None] + 0.02 * own
        out = {
            "attainment": att,
            "revenue": 1e6 * (1 + 0.1 * common[None] + effect[:, None, None]) + 1e4 * own,
            "share_at_quota": np.clip(att - 0.5, 0, 1),
            "stat_ape": np.abs(0.2 + 0.05 * common[None] - 0.5 * effect[:, None, None]) + 0 * own,
            "stat_bias": 0.05 * common[None] + 0 * own,
            "stat_coverage": np.clip(0.8 + 0.05 * own, 0, 1),
            "commit_ape": np.abs(
                0.3 + 0.05 * common[None] - 2 * effect[:, None, None] + 0.03 * own
            ),
            "commit_bias": -0.1 + 0.05 * common[None] + effect[:, None, None] + 0 * own,
            "coverage_index": np.clip(
                0.4 + 0.02 * qs * (1 + 10 * effect[:, None, None]) + 0.02 * common[None], 0, 1
            ),
            "share_mature": np.clip(0.2 + 0.02 * qs * (1 + 10 * effect[:, None, None]), 0, 1)
            + 0 * own,
            "active_partners": 100 + 10 * att,
            "pay_cost_ratio": 0.08 + 0.01 * own,
            "programme_cost": 5e4 + 1e4 * codes[:, 1, None, None] + 0 * own,
            "cam_attrition": 0.05 + 0.005 * own,
        }
        coords = {
            "policy": np.arange(start, stop),
            "path": paths,
            "quarter": qs,
            **{
                name: ("policy", np.array(presets)[codes[:, j]])
                for j, (name, presets) in enumerate(FAKE_LEVERS.items())
            },
        }
        ds = xr.Dataset(
            {
                k: (("policy", "path", "quarter"), np.asarray(v, dtype=float))
                for k, v in out.items()
            },
            coords=coords,
            attrs={"seed": self.seed, "source": "fake", "policy_offset": start},
        )
        return ds


def fake_simulation(n_paths: int = 40, n_quarters: int = 4, seed: int = 7) -> xr.Dataset:
    """The whole fake sweep (48 policies) as one Dataset."""
    fn = FakeChunks(n_paths, n_quarters, seed)
    return fn(0, fn.n_policies)


@pytest.fixture(scope="session")
def fake_ds() -> xr.Dataset:
    return fake_simulation()


@pytest.fixture(scope="session")
def dask_client():
    """One LocalCluster on loopback for the whole session (2 processes x 1 thread)."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        worker_dashboard_address=None,
        silence_logs=40,
        env={"NUMBA_NUM_THREADS": "1"},
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def chromium_executable() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium_screenshot(html: Path, png: Path, profile: Path, *, size=(1280, 2000)) -> Path:
    """Screenshot ``html`` with headless Chromium into ``png`` (skips the test without it)."""
    from tests._chromium import require_chromium

    exe = require_chromium()  # skips without chromium; fails under CI=true
    cmd = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        f"--window-size={size[0]},{size[1]}",
        Path(html).resolve().as_uri(),
    ]
    env = {**os.environ, "HOME": str(profile)}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert png.exists(), (
        f"chromium wrote no screenshot (rc {proc.returncode}): {proc.stderr[-2000:]}"
    )
    return png
