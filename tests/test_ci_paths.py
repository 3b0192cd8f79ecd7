"""The real command paths that take minutes (ci tier: ``pytest --run-ci -m ci``).

- ``channelsim backtest --fit nuts`` and ``--fit approx`` refit the model per window on a
  small book (no stand-in fitter), and a rerun resumes from the window checkpoints;
- ``channelsim compare --workers 2`` runs a sweep on a local Dask cluster started by the
  command and ends bit-identical to the in-process run;
- ``notebooks/01_fit_and_forecast.ipynb`` fits the example book itself (small settings) instead
  of loading a saved model.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from channelsim.cli import main
from channelsim.forecast import read_provenance

pytestmark = pytest.mark.ci

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small_book_files(tmp_path_factory):
    """CSV files of a small monthly book (3 territories, about 30 partners, 18 months)."""
    from channelsim.datasets import make_book

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book, _ = make_book(3, 30, 18, seed=5)
    return book.to_csv_dir(tmp_path_factory.mktemp("ci_book"))


def _check_summary(out: Path, records: Path, windows: int, horizon: int) -> pd.DataFrame:
    summary = pd.read_csv(out)
    assert {"level", "stage", "method", "mase", "coverage_80"} <= set(summary.columns)
    assert set(summary.method) == {"model", "naive", "seasonal_naive", "last_year_mean"}
    model = summary[(summary.method == "model") & (summary.stage == "all")]
    assert {"total", "territory", "partner"} <= set(model.level)
    assert np.isfinite(model["mase"]).all() and (model["mase"] > 0).all()
    assert model["coverage_80"].between(0, 1).all()
    rec = pd.read_parquet(records)
    assert set(rec.window) == set(range(windows))
    terr = rec[
        rec.level == "territory"
    ]  # one row per series: the model's columns, baselines' prefixed
    assert len(terr) == 3 * windows * horizon
    assert (terr.q10 <= terr.q50).all() and (terr.q50 <= terr.q90).all()
    assert (terr.q90 > terr.q10).any()  # a real posterior spread, not a point forecast
    return summary


def test_backtest_cli_refits_with_nuts_and_resumes(small_book_files, tmp_path, capsys):
    partners, _, territories = small_book_files
    out = tmp_path / "bt" / "backtest.csv"
    records = tmp_path / "bt" / "records.parquet"
    args = [
        "backtest", str(partners), "--territories", str(territories), "--windows", "2",
        "--horizon", "2", "--draws", "60", "--fit", "nuts", "--seed", "1", "--quiet",
        "--out", str(out), "--records", str(records),
    ]  # fmt: skip
    assert main(args) == 0
    summary = _check_summary(out, records, windows=2, horizon=2)
    prov = read_provenance(out)
    assert prov["seed"] == 1 and '"nuts"' in str(prov)
    assert sorted(p.name for p in (tmp_path / "bt" / "backtest.csv.windows").iterdir()) == [
        "window_000.parquet",
        "window_001.parquet",
    ]
    capsys.readouterr()
    assert main(args) == 0  # resumes: both windows from their checkpoints, same summary
    detail = read_provenance(out)["windows_detail"]  # --quiet: the record, not the message
    assert [bool(w["from_checkpoint"]) for w in detail] == [True, True]
    pd.testing.assert_frame_equal(pd.read_csv(out), summary)


def test_backtest_cli_refits_with_approx(small_book_files, tmp_path):
    partners, _, territories = small_book_files
    out = tmp_path / "approx.csv"
    records = tmp_path / "approx_records.parquet"
    args = [
        "backtest", str(partners), "--territories", str(territories), "--windows", "1",
        "--horizon", "3", "--draws", "60", "--fit", "approx", "--seed", "2", "--quiet",
        "--out", str(out), "--records", str(records),
    ]  # fmt: skip
    assert main(args) == 0
    _check_summary(out, records, windows=1, horizon=3)
    assert '"approx"' in str(read_provenance(out))


def test_compare_cli_on_two_local_workers(sweep, tmp_path):
    import xarray as xr

    from channelsim.scenario import dataset_differences
    from tests._fixtures_scenario import SWEEP

    scen = tmp_path / "sweep.toml"
    scen.write_text(SWEEP)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "channelsim", "compare", str(scen), "--out", str(out)]
    proc = subprocess.run(
        [*cmd, "--workers", "2", "--quiet"], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    on_workers = xr.load_dataset(out / "results.nc", engine="h5netcdf")
    assert dataset_differences(sweep.dataset, on_workers) == []
    summary = pd.read_csv(out / "summary.csv")
    assert summary["policy"].tolist() == sweep.comparison.summary_frame()["policy"].tolist()
    assert (out / "report.html").stat().st_size > 10_000


def test_model_notebook_fits_on_small_settings(monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = ROOT / "notebooks" / "01_fit_and_forecast.ipynb"
    monkeypatch.delenv("CHANNELSIM_NB_MODEL", raising=False)
    # 300 tuning steps: fewer leave NUTS a step size so small that the run takes longer
    # (example book, 2 chains: 100 draws after 300 tuning 102 s, 60 after 100 159 s)
    monkeypatch.setenv("CHANNELSIM_NB_DRAWS", "100")
    monkeypatch.setenv("CHANNELSIM_NB_TUNE", "300")
    monkeypatch.setenv("CHANNELSIM_NB_CHAINS", "2")
    monkeypatch.setenv("CHANNELSIM_NB_WINDOWS", "1")  # one refit of the backtest
    nb = nbformat.read(notebook, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs) + "".join(
        str(o.get("data", {}).get("text/plain", "")) for o in outputs
    )
    assert "loaded " not in text  # it fitted, it did not load a saved model
    assert "'sampler': 'pymc'" in text  # the fit's own fit_info is displayed
    assert "no model backtest" not in text  # the backtest refitted the model
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3
    assert "with an unseen territory: NEW" in text
