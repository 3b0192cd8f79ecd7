"""Shared fixtures. Slow MCMC / calibration checks run only with ``--run-slow``."""

from __future__ import annotations

import pytest

# Session fixtures of each area live in tests/_fixtures_<area>.py and are listed here.
pytest_plugins: list[str] = [
    "tests._fixtures_scenario",
    "tests._fixtures_forecast",
    "tests._fixtures_simulate",
    "tests._fixtures_model",
]


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False, help="run slow tests")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
