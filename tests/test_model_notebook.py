"""notebooks/01_fit_and_forecast.ipynb executes on small settings (nbclient, kernel python3).

It loads the session's saved model file (``CHANNELSIM_NB_MODEL``) instead of fitting, so the
fit is not paid twice; everything after the fit runs as written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "01_fit_and_forecast.ipynb"


def test_fit_notebook_executes(model_file, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("CHANNELSIM_NB_MODEL", str(model_file))
    monkeypatch.setenv("CHANNELSIM_NB_DRAWS", "50")
    monkeypatch.setenv("CHANNELSIM_NB_TUNE", "50")
    monkeypatch.setenv("CHANNELSIM_NB_CHAINS", "2")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    params = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1, "the notebook has one cell tagged 'parameters'"
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors[:1]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3, "trace, predictive check, stage effects and hazards are shown"
    text = "".join(o.get("text", "") for o in outputs)
    assert "with an unseen territory: NEW" in text
    # the rich views of the book, the fitted model (with its diagnostics badge) and the forecast
    views = [
        o["data"]["text/html"]
        for o in outputs
        if "cs-card" in o.get("data", {}).get("text/html", "")
    ]
    assert any("Book: " in v and "total sales per step" in v for v in views), "Book view"
    assert any("ChannelModel" in v and "cs-badge" in v and "max R-hat" in v for v in views)
    assert any("Forecast" in v and "draws" in v and "<polygon" in v for v in views), "Forecast view"
