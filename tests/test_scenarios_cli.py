"""Shipped scenarios are package data: ``channelsim scenarios`` and ``compare NAME``."""

from __future__ import annotations

from pathlib import Path

import channelsim
from channelsim.cli import main
from channelsim.scenario import load_scenario, shipped_scenarios

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_scenarios_are_package_data_and_the_top_level_folder_shows_them():
    shipped = shipped_scenarios()
    package = Path(channelsim.__file__).resolve().parent / "scenarios"
    assert {"hiring_profiles", "full_sweep"} <= set(shipped)
    assert all(p.resolve().parent == package for p in shipped.values())
    top = {p.stem: p.resolve() for p in (ROOT / "scenarios").glob("*.toml")}
    assert top == {k: p.resolve() for k, p in shipped.items()}


def test_scenarios_command_lists_names_and_questions(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for name, path in shipped_scenarios().items():
        assert f"\n{name}\n" in f"\n{out}"
        assert f"question: {load_scenario(path).scenario.question}" in out


def test_compare_runs_a_shipped_scenario_by_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # not the clone: found as package data
    rc = main(["compare", "hiring_profiles", "--paths", "2", "--quarters", "1", "--quiet",
               "--out", "out"])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    assert (tmp_path / "out" / "report.html").stat().st_size > 0
    assert (tmp_path / "out" / "results.nc").is_file()


def test_compare_unknown_name_exits_2_listing_the_shipped(tmp_path, capsys):
    assert main(["compare", "hiring_profile", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "no shipped scenario of that name" in err and "hiring_profiles" in err
