"""notebooks/02_compare_policies.ipynb executes on small settings (nbclient, kernel python3)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "02_compare_policies.ipynb"

SMALL = """\
SCENARIO = "../scenarios/hiring_profiles.toml"
PATHS = 8
QUARTERS = 1
SAMPLE_N = 2
DASK_WORKERS = 1
REPORT_DIR = {report!r}
"""


def test_compare_notebook_executes(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    params = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1, "the notebook has one cell tagged 'parameters'"
    params[0].source = SMALL.format(report=str(tmp_path / "report"))
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 5, "the charts are shown inline"
    text = "".join(o.get("text", "") for o in outputs)
    assert "differences from the in-process run: none" in text
    views = [
        o["data"]["text/html"]
        for o in outputs
        if "cs-card" in o.get("data", {}).get("text/html", "")
    ]
    assert any("Comparison: " in v and "P(beats status quo)" in v and "<circle" in v for v in views)
    assert (tmp_path / "report" / "report.html").exists()
