"""Shared fixtures and the test tiers.

Tiers (README "Run the tests"):

- default: every test not marked ``ci`` or ``slow`` (plumbing, properties, small fits);
- ``ci`` (``pytest --run-ci -m ci``): statistical checks and real command paths that take
  minutes: example-book recovery, SBC over prior worlds, forecast calibration, the backtest
  and compare commands, the model notebook fitting;
- ``slow`` (``--run-slow``, also runs the ``ci`` tests): the long versions (more SBC worlds).

With ``CI=true`` a test skipped because Chromium, the notebook runner (nbformat, nbclient,
ipykernel) or Dask is missing FAILS instead (:func:`pytest_runtest_makereport`).
"""

from __future__ import annotations

import os

import pytest

# Session fixtures of each area live in tests/_fixtures_<area>.py and are listed here.
pytest_plugins: list[str] = [
    "tests._fixtures_scenario",
    "tests._fixtures_forecast",
    "tests._fixtures_simulate",
    "tests._fixtures_model",
]

#: What a skip may not be missing when ``CI=true`` (matched in the skip reason, lower case).
REQUIRED_IN_CI = ("chromium", "nbformat", "nbclient", "ipykernel", "distributed", "dask")


def pytest_addoption(parser):
    parser.addoption(
        "--run-ci", action="store_true", default=False, help="run the ci tier (marker 'ci')"
    )
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="run the slow tier (marker 'slow') and the ci tier",
    )


@pytest.hookimpl(trylast=True)  # after -m / -k deselection: the order is of what runs
def pytest_collection_modifyitems(config, items):
    run_slow = config.getoption("--run-slow")
    run_ci = run_slow or config.getoption("--run-ci")
    skip_ci = pytest.mark.skip(reason="ci tier: run with --run-ci")
    skip_slow = pytest.mark.skip(reason="slow tier: run with --run-slow")
    for item in items:
        if "slow" in item.keywords and not run_slow:
            item.add_marker(skip_slow)
        elif "ci" in item.keywords and not run_ci:
            item.add_marker(skip_ci)
    _longest_first(items)


def _longest_first(items) -> None:
    """Put the tests marked ``longest`` first, each followed by one other test (order kept
    otherwise), so that under xdist they start at once instead of ending the run alone.
    xdist's load scheduler hands each worker a contiguous chunk of the first items (two
    each with two workers): two long tests side by side would run one after the other on
    one worker (measured: the SBC started nine minutes late behind the example-book fit)."""
    longest = [item for item in items if item.get_closest_marker("longest")]
    rest = [item for item in items if not item.get_closest_marker("longest")]
    ordered = []
    for item in longest:
        ordered.append(item)
        if rest:
            ordered.append(rest.pop(0))
    items[:] = ordered + rest


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under ``CI=true``, a skip for a missing required tool is a failure, not a skip."""
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or os.environ.get("CI") != "true" or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    missing = [name for name in REQUIRED_IN_CI if name in reason.lower()]
    if missing:
        report.outcome = "failed"
        report.longrepr = (
            f"CI=true: {', '.join(missing)} is required in CI but missing, so this test may "
            f"not skip ({reason})"
        )
