"""``channelsim fit``: writes a loadable model file, prints diagnostics, bad input exits 2."""

from __future__ import annotations

import pytest

from channelsim.cli import main


@pytest.fixture(scope="module")
def book_files(model_book, tmp_path_factory):
    return model_book.to_csv_dir(tmp_path_factory.mktemp("fit_cli_book"))


def test_fit_cli_writes_a_model_file(model_file, model_book):
    """The session model is fitted by ``channelsim fit`` (tests/_fixtures_model.py, into a
    folder it had to create); its printed report and its file are checked here."""
    from channelsim.model import ChannelModel
    from tests._fixtures_model import FIT_ARGS

    text = (model_file.parent / "fit_report.txt").read_text()
    assert "diagnostics:" in text and "max R-hat" in text and "posterior predictive" in text
    assert f"wrote {model_file}" in text
    m = ChannelModel.load(model_file)
    draws, chains = (int(FIT_ARGS[FIT_ARGS.index(k) + 1]) for k in ("--draws", "--chains"))
    assert m.book == model_book and m.config.draws == draws and m.config.chains == chains
    assert m.idata.posterior.sizes["draw"] == draws and m.idata.posterior.sizes["chain"] == chains
    assert model_file.parent.name == "folder" and model_file.parent.parent.name == "new"
    assert not [p for p in model_file.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    "extra",
    [["--map", "Region"], ["--draws", "0"], ["--target-accept", "1.2"]],
)
def test_fit_cli_bad_input_exits_2(book_files, tmp_path, extra, capsys):
    args = ["fit", str(book_files.panel), "--out", str(tmp_path / "m.nc"), "--quiet", *extra]
    assert main(args) == 2
    assert "error" in capsys.readouterr().err
    assert not (tmp_path / "m.nc").exists()


def test_fit_cli_missing_panel_exits_2(tmp_path, capsys):
    assert main(["fit", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "m.nc")]) == 2
    assert "nope.csv" in capsys.readouterr().err


def test_fit_cli_unknown_sampler_is_a_usage_error(book_files, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["fit", str(book_files.panel), "--out", str(tmp_path / "m.nc"), "--sampler", "stan"])
    assert exc.value.code == 2
