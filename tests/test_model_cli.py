"""``channelsim fit``: writes a loadable model file, prints diagnostics, bad input exits 2."""

from __future__ import annotations

import pytest

from channelsim.cli import main


@pytest.fixture(scope="module")
def book_files(model_book, tmp_path_factory):
    return model_book.to_csv_dir(tmp_path_factory.mktemp("fit_cli_book"))


def test_fit_cli_writes_a_model_file(book_files, tmp_path, capsys, model_book):
    from channelsim.model import ChannelModel

    out = tmp_path / "new" / "folder" / "model.nc"
    code = main(
        [
            "fit",
            str(book_files.panel),
            "--quarters",
            str(book_files.quarters),
            "--territories",
            str(book_files.territories),
            "--out",
            str(out),
            "--draws",
            "30",
            "--tune",
            "40",
            "--chains",
            "1",
            "--seed",
            "3",
            "--quiet",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "diagnostics:" in text and "max R-hat" in text and "posterior predictive" in text
    assert f"wrote {out}" in text
    m = ChannelModel.load(out)
    assert m.book == model_book and m.config.draws == 30 and m.config.chains == 1
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    "extra",
    [["--map", "Region"], ["--draws", "0"]],
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
