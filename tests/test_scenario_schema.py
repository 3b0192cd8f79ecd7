"""Scenario files: strict validation, every problem listed with its location, shipped files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from channelsim.scenario import (
    ScenarioError,
    build_policies,
    default_catalogue,
    effects_table,
    load_scenario,
    parse_scenario,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))

BAD = """\
# a scenario with many mistakes
[scenario]
nme = "bad"

[run]
paths = 1
quartrs = 8
seed = -3
level = 1.5

[world]
source = "modle"

[levers]
hiring = ["direct_rep", "chanel_manager"]
hirng = ["direct_rep"]

[sample]
n = 0
[sample.ranges]
"compensation.variable_share" = [0.9, 0.1]
"compensation.activity_wieght" = [0.0, 0.5]

[effects]
co_sell = "big"
recriut = 0.3
[effects.ranges]
enable = [1, 0]

[objectives]
rank = ["attainment", "atainment"]
frontier = ["attainment", "attainment"]

[robustnes]
top = 3
"""

EXPECTED = [
    ("line 2, [scenario] name", "required key is missing"),
    ("line 3, [scenario] nme", "did you mean 'name'"),
    ("line 6, [run] paths", "greater than or equal to 2"),
    ("line 7, [run] quartrs", "did you mean 'quarters'"),
    ("line 8, [run] seed", "greater than or equal to 0"),
    ("line 9, [run] level", "less than 1"),
    ("line 12, [world] source", "did you mean 'model'"),
    ("line 15, [levers] hiring", "did you mean 'channel_manager'"),
    ("line 16, [levers] hirng", "did you mean 'hiring'"),
    ("line 19, [sample] n", "greater than or equal to 1"),
    ("line 21, [sample.ranges] compensation.variable_share", "low < high"),
    (
        "line 22, [sample.ranges] compensation.activity_wieght",
        "did you mean 'compensation.activity_weight'",
    ),
    ("line 25, [effects] co_sell", "finite number"),
    ("line 26, [effects] recriut", "did you mean 'recruit'"),
    ("line 28, [effects.ranges] enable", "low < high"),
    ("line 31, [objectives] rank.1", "did you mean 'attainment'"),
    ("line 32, [objectives] frontier", "two different objectives"),
    ("line 34, [robustnes]", "did you mean 'robustness'"),
]


@pytest.fixture(scope="module")
def catalogue():
    return default_catalogue()


def test_every_mistake_is_listed_with_its_location(catalogue):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(BAD, source="bad.toml", catalogue=catalogue)
    problems = err.value.problems
    assert len(problems) == len(EXPECTED), "\n".join(f"{a}: {b}" for a, b in problems)
    for (loc, msg), (want_loc, want) in zip(problems, EXPECTED, strict=True):
        assert loc == want_loc
        assert want in msg, (loc, msg)
    assert err.value.is_bad_input
    assert str(err.value).startswith("bad.toml: 18 problem(s)")


def test_cli_bad_scenario_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD)
    proc = subprocess.run(
        [sys.executable, "-m", "channelsim", "compare", str(bad), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "18 problem(s)" in proc.stderr
    for loc, _ in EXPECTED:
        assert loc in proc.stderr
    assert not (tmp_path / "o" / "report.html").exists()


def test_not_toml_and_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="not valid TOML"):
        parse_scenario("[scenario\nname=1")
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "nope.toml")


def test_model_world_needs_a_path():
    with pytest.raises(ScenarioError, match="needs model"):
        parse_scenario('[scenario]\nname = "x"\n[world]\nsource = "model"\n')


def test_defaults():
    s = parse_scenario('[scenario]\nname = "x"\n')
    assert s.run.paths == 200 and s.run.quarters == 8 and s.world.source == "default"
    assert s.objectives.primary == "attainment"
    assert s.objectives.frontier == ("commit_ape", "attainment")


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenarios_validate(path, catalogue):
    text = path.read_text()
    assert text.startswith("# Question:"), "each scenario opens with the question it answers"
    s = load_scenario(path)
    ps = build_policies(s)
    assert ps.policies[0] == ps.status_quo and len(ps) >= 2
    table = effects_table(s)
    assert set(s.effects.ranges) <= set(table.index)
    assert set(table["source"]) - {"assumption"}, "some effect sizes cite evidence"


def test_shipped_set_covers_the_questions():
    names = {p.stem for p in SHIPPED}
    assert {
        "hiring_profiles",
        "onboarding_programmes",
        "kpis_by_maturity",
        "territory_building_pay",
        "quota_rules_forecasting",
        "full_sweep",
    } <= names
    full = build_policies(load_scenario(ROOT / "scenarios" / "full_sweep.toml"))
    assert 2000 <= len(full) <= 10000
    assert full.labels.nunique().to_dict() == {
        "hiring": 2,
        "onboarding": 2,
        "kpi": 3,
        "compensation": 5,
        "quota": 3,
    }
