"""Under ``CI=true`` a missing Chromium, notebook runner or Dask fails the run, never skips.

Runs pytest in a subprocess on the report's Chromium screenshot test with a PATH that holds no
Chromium, and on a test whose notebook runner cannot be imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

NEEDS_NBCLIENT = """\
import pytest

def test_needs_the_notebook_runner():
    pytest.importorskip("nbclient")
"""

BLOCK_NBCLIENT = (
    "import sys, pytest; sys.modules['nbclient'] = None; "  # makes `import nbclient` fail
    "sys.exit(pytest.main(sys.argv[1:]))"
)


def _env(ci: bool, path: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    if path is not None:
        env["PATH"] = path
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    return env


def _pytest(args, env, code=None):
    cmd = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "pytest", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)


def test_missing_chromium_fails_under_ci():
    no_chromium = str(Path(sys.executable).parent)  # the venv's bin: python, no browser
    args = ["tests/test_report.py", "-k", "chromium", "-p", "no:cacheprovider", "-q"]
    proc = _pytest(args, _env(ci=True, path=no_chromium))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    # the browser helper (tests/_chromium.py) fails the test itself under CI=true
    assert "CI=true: the report's browser checks must run in CI" in out
    assert "1 failed" in out


def test_missing_notebook_runner_fails_under_ci_and_skips_otherwise(tmp_path):
    test = tmp_path / "test_nb.py"
    test.write_text(NEEDS_NBCLIENT)
    plugin = ["-p", "tests.conftest", "-p", "no:cacheprovider", "-q", str(test)]
    ci = _pytest(plugin, _env(ci=True), code=BLOCK_NBCLIENT)
    assert ci.returncode == 1 and "nbclient is required in CI" in ci.stdout, ci.stdout[-2000:]
    local = _pytest(plugin, _env(ci=False), code=BLOCK_NBCLIENT)
    assert local.returncode == 0 and "1 skipped" in local.stdout, local.stdout[-2000:]
