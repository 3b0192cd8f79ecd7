"""Output files: format by suffix, provenance in metadata or sidecar, atomic writes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from channelsim.forecast import (
    OutputError,
    atomic_write,
    file_hash,
    forecast,
    read_provenance,
    read_table,
    write_table,
)


@pytest.fixture(scope="module")
def small_fc(fc_world):
    return forecast(fc_world, 3, seed=4, draws=10, model_hash="abc123")


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".nc"])
def test_provenance_written_with_every_format(small_fc, tmp_path, suffix):
    out = tmp_path / "deep" / "folder" / f"forecast{suffix}"  # folders are created
    data = small_fc.to_dataset() if suffix == ".nc" else small_fc.to_frame()
    write_table(data, out, small_fc.meta)
    meta = read_provenance(out)
    assert meta["seed"] == 4
    assert meta["model_hash"] == "abc123"
    assert meta["channelsim_version"]
    assert meta["origin"] == "2024-01"
    back = read_table(out)
    if suffix == ".nc":
        assert isinstance(back, xr.Dataset)
        np.testing.assert_allclose(back["q50"].values, data["q50"].values)
        assert list(back["id"].values) == list(data["id"].values)
    else:
        assert list(back.columns) == ["level", "id", "period", "mean", "q10", "q50", "q90"]
        np.testing.assert_allclose(back["mean"], data["mean"])
        assert back["period"].tolist() == data["period"].tolist()
    if suffix == ".csv":
        sidecar = out.with_name("forecast.csv.json")
        assert json.loads(sidecar.read_text())["seed"] == 4
    leftovers = [p.name for p in out.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_dataset_written_to_table_formats_becomes_the_tidy_table(small_fc, tmp_path):
    p = write_table(small_fc.to_dataset(), tmp_path / "f.parquet", small_fc.meta)
    pd.testing.assert_frame_equal(read_table(p), small_fc.to_frame())


def test_atomic_write_keeps_old_file_when_writer_fails(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def broken(tmp):
        tmp.write_text("half a fi")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(target, broken)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_goes_through_a_temporary_file_in_the_same_folder(tmp_path, monkeypatch):
    import os

    seen = []
    real = os.replace

    def spy(src, dst):
        seen.append((os.path.dirname(src), os.path.basename(src), str(dst)))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    out = tmp_path / "t.parquet"
    write_table(pd.DataFrame({"a": [1.0]}), out, {"seed": 1})
    assert seen and seen[0][0] == str(tmp_path) and seen[0][2] == str(out)
    assert seen[0][1].startswith(".t.parquet.")


def test_unknown_suffix_is_bad_input(tmp_path):
    with pytest.raises(OutputError, match="unknown output format") as err:
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "x.xlsx")
    assert err.value.is_bad_input


def test_file_hash(tmp_path):
    p = tmp_path / "m.nc"
    p.write_bytes(b"abc")
    assert file_hash(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
