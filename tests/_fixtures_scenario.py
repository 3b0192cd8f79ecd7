"""Session fixtures and helpers for the scenario, comparison, report and Dask tests.

- ``sweep``: a real small factorial sweep (hiring x onboarding x compensation, 8 policies,
  40 paths, 4 quarters) run by :func:`channelsim.scenario.run_scenario` on the default world,
  with the co-sell effect size at both ends of a range. Nothing in it is planted: tests that
  check winners compute them from the Dataset themselves.
- ``dask_client``: one Dask LocalCluster on loopback (2 worker processes, 1 thread each) shared by
  the session.
- :func:`chromium_screenshot`: render an HTML file in headless Chromium.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["SWEEP", "chromium_screenshot"]

#: The session sweep's scenario file.
SWEEP = """\
[scenario]
name = "test_sweep"
title = "Hiring, onboarding and pay"
question = "Which hiring profile, onboarding programme and pay plan raise quota attainment?"

[run]
paths = 40
quarters = 4
seed = 7
chunk_size = 3

[levers]
hiring = ["direct_rep", "channel_manager"]
onboarding = ["direct_sales", "channel"]
compensation = ["revenue_heavy", "territory_building"]

[effects.ranges]
co_sell = [0.1, 0.4]

[robustness]
top = 3
"""


@pytest.fixture(scope="session")
def sweep():
    """:class:`~channelsim.scenario.ScenarioResult` of :data:`SWEEP` (do not mutate)."""
    from channelsim.scenario import parse_scenario, run_scenario

    return run_scenario(parse_scenario(SWEEP), progress=False)


@pytest.fixture(scope="session")
def sweep_ds(sweep):
    """The sweep's Simulation Dataset."""
    return sweep.dataset


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
    from tests._chromium import FLAGS, require_chromium

    exe = require_chromium()  # skips without chromium; fails under CI=true
    cmd = [
        exe,
        *FLAGS,
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
