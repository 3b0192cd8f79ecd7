"""``channelsim validate``: exit 2 with every problem listed and no traceback; exit 0 and a
summary when the input is fixed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from channelsim.cli import main

BAD = (
    "Account,Region,period,stage,Revenue\n"
    "a,N,2024-01,Gold,10\n"  # 2: unknown stage
    "a,N,2024-02,active,-5\n"  # 3: negative sales
    "a,N,2024-03,active,3\n"
    "b,N,2024-13,active,4\n"  # 5: bad period
    "b,N,2024-02,active,abc\n"  # 6: non-numeric sales
    "c,,2024-01,active,1\n"  # 7: missing territory
    "c,S,2024-02,active,1\n"
    "c,S,2024-02,active,2\n"  # 8-9: duplicate
)
FIXED = (
    "Account,Region,period,stage,Revenue\n"
    "a,N,2024-01,Gold,10\n"
    "a,N,2024-02,active,5\n"
    "a,N,2024-03,active,3\n"
    "b,N,2024-01,active,4\n"
    "b,N,2024-02,active,0\n"
    "c,S,2024-01,active,1\n"
    "c,S,2024-02,active,2\n"
)
MAP = ["--map", "Account=partner,Region=territory", "--map", "Revenue=sales"]


@pytest.fixture
def csvs(tmp_path):
    bad, fixed = tmp_path / "bad.csv", tmp_path / "fixed.csv"
    bad.write_text(BAD)
    fixed.write_text(FIXED)
    terr = tmp_path / "territories.csv"
    terr.write_text("territory,target_partners\nN,2\nS,1\n")
    return bad, fixed, terr


def test_bad_input_lists_every_problem_and_exits_2(csvs, capsys):
    bad, _, _ = csvs
    code = main(["validate", str(bad), *MAP, "--stage-map", "Gold=productive"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("error: 5 problems in bad.csv:")
    for expected in (
        "bad.csv, column 'sales', row 3: negative sales",
        "bad.csv, column 'period', row 5: cannot read the period '2024-13'",
        "bad.csv, column 'sales', row 6: sales must be a number",
        "bad.csv, column 'territory', row 7: missing territory id",
        "bad.csv, rows 8, 9: 1 partner-period has more than one row",
    ):
        assert expected in err
    assert "Traceback" not in err


def test_unknown_stage_without_stage_map_exits_2(csvs, capsys):
    _, fixed, _ = csvs
    assert main(["validate", str(fixed), *MAP]) == 2
    err = capsys.readouterr().err
    assert "fixed.csv, column 'stage', row 2: unknown stage value 'Gold'" in err
    assert "--stage-map Gold=productive" in err


def test_fixed_input_exits_0_with_summary(csvs, capsys):
    _, fixed, terr = csvs
    code = main(
        ["validate", str(fixed), "--territories", str(terr), *MAP, "--stage-map", "Gold=productive"]
    )
    out, err = capsys.readouterr()
    assert code == 0
    assert out.startswith("book:        fixed.csv")
    assert "partners:    3 (3 at 2024-03, 0 exited); territories: 2" not in out  # b, c left
    assert "partners:    3 (1 at 2024-03, 2 exited); territories: 2" in out
    assert "total" in out and err == ""


def test_warnings_go_to_stderr_once(csvs, capsys):
    _, fixed, _ = csvs
    code = main(["validate", str(fixed), *MAP, "--stage-map", "Gold=productive"])
    out, err = capsys.readouterr()
    assert "total" in out
    assert code == 0
    lines = [x for x in err.splitlines() if x]
    assert len(lines) == 1 and lines[0].startswith("warning: fixed.csv: default target_partners")


def test_malformed_map_option_exits_2(csvs, capsys):
    _, fixed, _ = csvs
    assert main(["validate", str(fixed), "--map", "Account"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --map: expected SOURCE=CANONICAL pairs")


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv: file not found" in capsys.readouterr().err


def test_console_entry_point_subprocess(csvs):
    bad, fixed, terr = csvs
    cmd = [sys.executable, "-m", "channelsim", "validate"]
    res = subprocess.run([*cmd, str(bad), *MAP], capture_output=True, text=True)
    assert res.returncode == 2
    assert "error: 6 problems in bad.csv:" in res.stderr and "Traceback" not in res.stderr
    args = [str(fixed), "--territories", str(terr), *MAP, "--stage-map", "Gold=productive"]
    res = subprocess.run([*cmd, *args], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "fixed.csv" in res.stdout
