"""Top-level CLI behaviour: help, example, demo and exit codes."""

import subprocess
import sys

import pytest

from channelsim.cli import main


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("example", "validate", "demo"):
        assert cmd in out


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "usage" in capsys.readouterr().out


def test_example_writes_three_tables(tmp_path, capsys):
    out = tmp_path / "new" / "dir"
    assert main(["example", "--out", str(out)]) == 0
    for name in ("partners.csv", "territory_quarters.csv", "territories.csv"):
        assert (out / name).stat().st_size > 0
    assert (
        main(
            [
                "validate",
                str(out / "partners.csv"),
                "--quarters",
                str(out / "territory_quarters.csv"),
                "--territories",
                str(out / "territories.csv"),
            ]
        )
        == 0
    )


@pytest.mark.ci
def test_demo_runs_the_whole_pipeline_on_small_settings(tmp_path, capsys):
    # The README's main job with few draws and paths: every stage must produce its files.
    # In the ci tier: a real fit, forecast, quota and comparison (minutes on 2 cores).
    argv = [
        "demo",
        "--out",
        str(tmp_path),
        "--quiet",
        "--draws",
        "100",
        "--tune",
        "300",  # fewer tuning steps make NUTS slower here, not faster (tests/test_ci_paths.py)
        "--chains",
        "2",
        "--paths",
        "8",
        "--scenarios",
        "territory_building_pay",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "top 20%" in out and "maturity" in out
    for name in (
        "model.nc",
        "forecast.csv",
        "forecast.csv.json",
        "fan_chart.png",
        "quotas.csv",
        "territory_building_pay/report.html",
        "territory_building_pay/summary.csv",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    assert str((tmp_path / "territory_building_pay" / "report.html").resolve()) in out


def test_demo_rejects_unknown_scenarios(tmp_path):
    assert main(["demo", "--out", str(tmp_path), "--scenarios", "nope"]) == 2


def test_console_script_bad_input_exits_2(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("period,territory,partner,sales\n2024-13,T1,P1,abc\n")
    res = subprocess.run(
        [sys.executable, "-m", "channelsim", "validate", str(bad)], capture_output=True, text=True
    )
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and "bad.csv" in res.stderr
