"""Scenario files: a strict TOML schema (pydantic v2) with every problem listed at once.

A scenario says which world to simulate, what the status quo is, which levers to vary (preset
lists, combined factorially, and/or ranges of continuous lever parameters sampled
quasi-randomly), the assumed effect sizes and their ranges, the run size and the objectives. See
``docs/scenarios.md`` for the reference and ``scenarios/`` for examples.

Validation happens in two passes whose problems are reported together, each with its TOML
location (``[section] key``, and the line where it can be found):

1. the *shape* (pydantic models with ``extra="forbid"``): unknown keys get a "did you mean",
   numbers are range-checked, types are checked;
2. the *names* against the policy catalogue (:class:`Catalogue`, built from
   :mod:`channelsim.policy`): lever names, preset names, continuous parameters and their bounds,
   effect-size names.

Depends on the standard library (``tomllib``, ``difflib``) and pydantic.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from channelsim.policy import (
    QUOTA_PRESETS,
    SAMPLE_PARAMETERS,
    CompensationPlan,
    EffectSizes,
    HiringProfile,
    KPIScheme,
    OnboardingProgramme,
)
from channelsim.scenario._objectives import OBJECTIVES

__all__ = [
    "Catalogue",
    "Effects",
    "Objectives",
    "Robustness",
    "Run",
    "Sample",
    "Scenario",
    "ScenarioError",
    "ScenarioMeta",
    "WorldSpec",
    "default_catalogue",
    "effect_sources",
    "load_scenario",
    "parse_scenario",
]

ObjectiveName = Literal[tuple(OBJECTIVES)]  # type: ignore[valid-type]


class ScenarioError(ValueError):
    """A scenario file with problems; ``problems`` lists ``(location, message)`` pairs.

    The command line prints every problem and exits with code 2 (``is_bad_input``).
    """

    is_bad_input = True

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {loc}: {msg}" if loc else f"  - {msg}" for loc, msg in problems)
        super().__init__(f"{source}: {len(problems)} problem(s) in the scenario:\n{lines}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioMeta(_Strict):
    """``[scenario]``: what the scenario is for."""

    name: Annotated[str, Field(min_length=1, max_length=80)]
    title: str = ""
    question: str = ""
    description: str = ""


class WorldSpec(_Strict):
    """``[world]``: the default world, or a fitted model whose posterior draws drive the paths.

    ``model`` is a path to a model file written by ``channelsim fit`` (relative paths are taken
    from the scenario file's folder); path ``p`` uses posterior draw ``p % draws``.
    """

    source: Literal["default", "model"] = "default"
    model: str | None = None
    draws: Annotated[int, Field(ge=1, le=100_000)] | None = None

    @model_validator(mode="after")
    def _model_needs_path(self):
        if self.source == "model" and not self.model:
            raise ValueError("source = 'model' needs model = 'path/to/model.nc'")
        if self.source == "default" and (self.model or self.draws):
            raise ValueError("model and draws apply only with source = 'model'")
        return self


class Run(_Strict):
    """``[run]``: size and seed of the simulation.

    ``paths`` simulated futures per policy (common random numbers: every policy sees the same
    draws on the same path); ``quarters`` of horizon; ``chunk_size`` policies per task (for
    checkpoints and Dask); ``level`` of the reported intervals.
    """

    paths: Annotated[int, Field(ge=2, le=1_000_000)] = 200
    quarters: Annotated[int, Field(ge=1, le=40)] = 8
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    chunk_size: Annotated[int, Field(ge=1, le=1_000_000)] = 64
    level: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.9


def _check_range(pair: tuple[float, float]) -> tuple[float, float]:
    lo, hi = pair
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("bounds must be finite numbers")
    if not lo < hi:
        raise ValueError(f"need [low, high] with low < high, got [{lo:g}, {hi:g}]")
    return pair


#: ``[low, high]`` with finite bounds and ``low < high``.
RangePair = Annotated[tuple[float, float], AfterValidator(_check_range)]


class Sample(_Strict):
    """``[sample]``: quasi-random points over continuous lever parameters.

    Each of the ``n`` points sets every parameter in ``ranges`` (``"lever.parameter" = [low,
    high]``); points are crossed with the preset combinations of ``[levers]``.
    """

    n: Annotated[int, Field(ge=1, le=200_000)]
    method: Literal["sobol", "halton", "lhs"] = "sobol"
    ranges: dict[str, RangePair] = Field(min_length=1)


class Effects(_Strict):
    """``[effects]``: assumed effect sizes (``name = value``), their ranges and sources.

    Values not given keep the documented defaults of :mod:`channelsim.policy`. ``[effects.ranges]``
    (``name = [low, high]``) drives the robustness check; ``[effects.sources]`` (``name =
    "citation"``) overrides the source printed in the report.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    ranges: dict[str, RangePair] = Field(default_factory=dict)
    sources: dict[str, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _values_are_numbers(self):
        # Reported in detail (one problem per key) by ``_raw_problems``; this keeps the model
        # itself honest when it is built from Python.
        for k, v in (self.model_extra or {}).items():
            if _effect_value_problem(v):
                raise ValueError(f"effect value {k}: {_effect_value_problem(v)}")
        return self

    @property
    def values(self) -> dict[str, float]:
        """The effect sizes set in the file."""
        return {k: float(v) for k, v in (self.model_extra or {}).items()}


class Objectives(_Strict):
    """``[objectives]``: what "better" means.

    ``rank``: objectives ranked and shown (variables of the Simulation Dataset); ``primary``:
    the one ordering the top policies; ``frontier``: the two objectives of the Pareto frontier
    (x, y); ``weights``: optional weighted score replacing ``primary``.
    """

    rank: list[ObjectiveName] = Field(
        default_factory=lambda: [
            "attainment",
            "commit_ape",
            "revenue",
            "programme_cost",
            "coverage_index",
        ],
        min_length=1,
    )
    primary: ObjectiveName = "attainment"
    frontier: tuple[ObjectiveName, ObjectiveName] = ("commit_ape", "attainment")
    weights: dict[ObjectiveName, Annotated[float, Field(ge=0, le=1000)]] = Field(
        default_factory=dict
    )

    @field_validator("frontier")
    @classmethod
    def _two_objectives(cls, v):
        if v[0] == v[1]:
            raise ValueError("frontier needs two different objectives")
        return v

    @field_validator("rank")
    @classmethod
    def _no_repeats(cls, v):
        if len(set(v)) != len(v):
            raise ValueError("rank lists an objective twice")
        return v


class Robustness(_Strict):
    """``[robustness]``: rerun the top policies with each effect size at the ends of its range."""

    enabled: bool = True
    top: Annotated[int, Field(ge=1, le=100)] = 5
    paths: Annotated[int, Field(ge=2, le=1_000_000)] | None = None


class Scenario(_Strict):
    """A whole scenario file (see the section models for each table)."""

    scenario: ScenarioMeta
    world: WorldSpec = Field(default_factory=WorldSpec)
    run: Run = Field(default_factory=Run)
    status_quo: dict[str, str] = Field(default_factory=dict)
    levers: dict[str, Annotated[list[str], Field(min_length=1)]] = Field(default_factory=dict)
    sample: Sample | None = None
    effects: Effects = Field(default_factory=Effects)
    objectives: Objectives = Field(default_factory=Objectives)
    robustness: Robustness = Field(default_factory=Robustness)

    @field_validator("levers")
    @classmethod
    def _unique_presets(cls, v):
        for k, presets in v.items():
            dup = sorted({p for p in presets if presets.count(p) > 1})
            if dup:
                raise ValueError(f"{k} lists {dup} more than once")
        return v


def _effect_value_problem(v) -> str:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return f"must be a finite number, got {v!r}"
    if abs(v) > 50:
        return f"{v} is outside [-50, 50]"
    return ""


def _raw_problems(raw: dict) -> list[tuple[str, str]]:
    """Checks pydantic would report only after other errors are fixed."""
    out = []
    effects = raw.get("effects")
    if isinstance(effects, dict):
        for k, v in effects.items():
            if k in ("ranges", "sources"):
                continue
            msg = _effect_value_problem(v)
            if msg:
                out.append((f"[effects] {k}", msg))
    return out


@dataclass
class Catalogue:
    """What the policy layer offers, for checking names in a scenario.

    Attributes
    ----------
    levers : dict of str to tuple of str
        Lever name -> its preset names.
    parameters : dict of str to (float, float)
        ``"lever.parameter"`` -> allowed bounds of a continuous lever parameter.
    effects : dict of str to float
        Effect-size name -> default value.

    Examples
    --------
    >>> cat = Catalogue({"hiring": ("direct_rep", "channel_manager")}, {}, {"beta_recruit": 0.3})
    >>> cat.check({"status_quo": {"hiring": "chanel_manager"}})
    [('[status_quo] hiring', "unknown preset 'chanel_manager'; did you mean 'channel_manager'? (presets: direct_rep, channel_manager)")]
    """

    levers: dict[str, tuple[str, ...]]
    parameters: dict[str, tuple[float, float]]
    effects: dict[str, float]
    sources: dict[str, str] = field(default_factory=dict)

    def check(self, raw: dict) -> list[tuple[str, str]]:
        """Problems with names in a raw (parsed TOML) scenario; tolerant of bad shapes."""
        problems: list[tuple[str, str]] = []
        for table in ("status_quo", "levers"):
            t = raw.get(table)
            if not isinstance(t, dict):
                continue
            for lever, value in t.items():
                loc = f"[{table}] {lever}"
                if lever not in self.levers:
                    problems.append((loc, _unknown("lever", lever, self.levers)))
                    continue
                for preset in value if isinstance(value, list) else [value]:
                    if isinstance(preset, str) and preset not in self.levers[lever]:
                        problems.append(
                            (
                                loc,
                                _unknown("preset", preset, self.levers[lever])
                                + f" (presets: {', '.join(self.levers[lever])})",
                            )
                        )
        sample = raw.get("sample")
        if isinstance(sample, dict) and isinstance(sample.get("ranges"), dict):
            for name, pair in sample["ranges"].items():
                loc = f"[sample.ranges] {name}"
                if name not in self.parameters:
                    problems.append((loc, _unknown("lever parameter", name, self.parameters)))
                    continue
                lo, hi = self.parameters[name]
                if (
                    isinstance(pair, list)
                    and len(pair) == 2
                    and all(isinstance(x, int | float) for x in pair)
                    and not (lo <= pair[0] and pair[1] <= hi)
                ):
                    problems.append((loc, f"range {pair} leaves the allowed [{lo}, {hi}]"))
        effects = raw.get("effects")
        if isinstance(effects, dict):
            for name in effects:
                if name in ("ranges", "sources"):
                    continue
                if name not in self.effects:
                    problems.append(
                        (f"[effects] {name}", _unknown("effect size", name, self.effects))
                    )
            for sub in ("ranges", "sources"):
                if isinstance(effects.get(sub), dict):
                    for name in effects[sub]:
                        if name not in self.effects:
                            problems.append(
                                (
                                    f"[effects.{sub}] {name}",
                                    _unknown("effect size", name, self.effects),
                                )
                            )
        return problems


def _unknown(kind: str, name: str, choices) -> str:
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {name!r}{hint}"


_SECTION_MODELS: dict[str, type[BaseModel]] = {
    "scenario": ScenarioMeta,
    "world": WorldSpec,
    "run": Run,
    "sample": Sample,
    "effects": Effects,
    "objectives": Objectives,
    "robustness": Robustness,
}


def _location(loc: tuple) -> tuple[str, list[str]]:
    """``("run", "paths")`` -> ``"[run] paths"``; also the key path for line lookup."""
    parts = [str(p) for p in loc if not str(p).startswith("function-after")]
    if not parts:
        return "", []
    if len(parts) == 1:
        return f"[{parts[0]}]", parts
    section = parts[0]
    rest = parts[1:]
    if section == "sample" and rest[0] == "ranges" and len(rest) > 1:
        return f"[sample.ranges] {'.'.join(rest[1:2])}", parts
    if section == "effects" and rest[0] in ("ranges", "sources") and len(rest) > 1:
        return f"[effects.{rest[0]}] {rest[1]}", parts
    return f"[{section}] {'.'.join(rest)}", parts


def _line_of(text: str, parts: list[str]) -> int | None:
    """Best-effort line number of a key path in TOML text."""
    if not parts:
        return None
    lines = text.splitlines()
    section_re = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")
    current = ""
    want_section = parts[0]
    sub_sections = [want_section, f"{want_section}.{parts[1]}" if len(parts) > 2 else want_section]
    key = parts[1] if len(parts) > 1 else None
    key2 = parts[2] if len(parts) > 2 else None
    for i, line in enumerate(lines, 1):
        m = section_re.match(line)
        if m:
            current = m.group(1).strip().replace('"', "")
            if key is None and current == want_section:
                return i
            continue
        if key is None or current not in sub_sections:
            continue
        k = line.split("=", 1)[0].strip().strip('"').strip("'") if "=" in line else None
        if k is None:
            continue
        if current == want_section and (k == key or k.startswith(f"{key}.")):
            return i
        if key2 is not None and current == f"{want_section}.{key}" and k == key2:
            return i
    if key is not None:  # a missing key: point at its section
        return _line_of(text, parts[:1])
    return None


def _pydantic_problems(exc: ValidationError, raw: dict, text: str) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        where, parts = _location(loc)
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            key = str(loc[-1])
            if len(loc) == 1:
                choices = list(Scenario.model_fields)
                kind = "section"
            else:
                model = _SECTION_MODELS.get(str(loc[0]))
                choices = list(model.model_fields) if model else []
                kind = "key"
            msg = _unknown(kind, key, choices)
            if kind == "section":
                where = f"[{key}]"
        elif err["type"] == "missing":
            msg = "required key is missing"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        elif err["type"] == "literal_error" and "input" in err:
            expected = err.get("ctx", {}).get("expected", "")
            msg = f"{err['input']!r} is not one of {expected}"
            close = difflib.get_close_matches(
                str(err["input"]), re.findall(r"'([^']+)'", expected), n=1
            )
            if close:
                msg += f"; did you mean {close[0]!r}?"
        elif "input" in err and err["type"] not in ("model_type", "dict_type"):
            msg = f"{msg} (got {err['input']!r})"
        line = _line_of(text, parts)
        problems.append((f"line {line}, {where}" if line else where, msg))
    return problems


def parse_scenario(
    text: str, *, source: str = "<scenario>", catalogue: Catalogue | None = None
) -> Scenario:
    """Validate scenario TOML text; raise :class:`ScenarioError` listing every problem.

    Parameters
    ----------
    text : str
        TOML text.
    source : str
        Name used in messages (the file path).
    catalogue : Catalogue, optional
        Names to check levers, presets, parameters and effect sizes against; skipped when
        ``None``.

    Returns
    -------
    Scenario

    Examples
    --------
    >>> s = parse_scenario('[scenario]\\nname = "demo"\\n[run]\\npaths = 50\\n')
    >>> s.run.paths, s.run.quarters
    (50, 8)
    >>> parse_scenario('[scenario]\\nname = "x"\\n[run]\\npath = 5\\n')
    Traceback (most recent call last):
    ...
    channelsim.scenario._schema.ScenarioError: <scenario>: 1 problem(s) in the scenario:
      - line 4, [run] path: unknown key 'path'; did you mean 'paths'?
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, [("", f"not valid TOML: {exc}")]) from None
    problems: list[tuple[str, str]] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        # Effect values are reported one by one by ``_raw_problems``.
        problems.extend(
            p for p in _pydantic_problems(exc, raw, text) if not p[1].startswith("effect value ")
        )
    extra = _raw_problems(raw) + (catalogue.check(raw) if catalogue is not None else [])
    if extra:
        for where, msg in extra:
            parts = _parts_from_where(where)
            line = _line_of(text, parts)
            problems.append((f"line {line}, {where}" if line else where, msg))
    if problems:
        problems.sort(key=lambda p: _line_key(p[0]))
        raise ScenarioError(source, problems)
    assert scenario is not None
    return scenario


def _parts_from_where(where: str) -> list[str]:
    m = re.match(r"\[([^\]]+)\]\s*(.*)", where)
    if not m:
        return []
    section, key = m.group(1), m.group(2)
    parts = section.split(".")
    if key:
        parts.append(key)
    return parts


def _line_key(where: str) -> tuple[int, str]:
    m = re.match(r"line (\d+)", where)
    return (int(m.group(1)) if m else 10**9, where)


def load_scenario(path: str | os.PathLike, *, catalogue: Catalogue | Any | None = "default"):
    """Read and validate a scenario file.

    Parameters
    ----------
    path : path
        A ``.toml`` scenario file.
    catalogue : Catalogue, None or "default"
        Names to check against; ``"default"`` builds it from :mod:`channelsim.policy`, ``None``
        skips the name checks.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        The file is missing, not TOML, or has problems (all listed with their locations).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "s.toml")
    >>> _ = open(p, "w").write('[scenario]\\nname = "demo"\\n')
    >>> load_scenario(p, catalogue=None).scenario.name
    'demo'
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(str(path), [("", f"cannot read the file ({exc.strerror})")]) from None
    if isinstance(catalogue, str):
        catalogue = default_catalogue()
    return parse_scenario(text, source=str(path), catalogue=catalogue)


# --------------------------------------------------------------------- the catalogue
def _parameters() -> dict[str, tuple[float, float]]:
    return {k: (float(v.lo), float(v.hi)) for k, v in SAMPLE_PARAMETERS.items()}


def default_catalogue() -> Catalogue:
    """The names a scenario may use, from :mod:`channelsim.policy`.

    Examples
    --------
    >>> cat = default_catalogue()
    >>> "channel_manager" in cat.levers["hiring"], "co_sell" in cat.effects
    (True, True)
    """
    levers = {
        "hiring": HiringProfile.preset_names(),
        "onboarding": OnboardingProgramme.preset_names(),
        "kpi": KPIScheme.preset_names(),
        "compensation": CompensationPlan.preset_names(),
        "quota": tuple(QUOTA_PRESETS),
    }
    effects = {f.name: float(getattr(EffectSizes(), f.name)) for f in fields(EffectSizes)}
    return Catalogue(levers, _parameters(), effects, effect_sources())


def _doc_sections(doc: str) -> dict[str, str]:
    """Field name -> description text, from a numpydoc-style class docstring."""
    out: dict[str, list[str]] = {}
    current = None
    for line in doc.splitlines():
        m = re.match(r"^    (\w+) : ", line)
        if m:
            current = m.group(1)
            out[current] = []
            continue
        if current and line.startswith("        "):
            out[current].append(line.strip())
        elif line.strip() and not line.startswith("        "):
            current = None
    return {k: " ".join(v) for k, v in out.items()}


_CITATION = re.compile(
    r"[A-Z][A-Za-z]+(?: (?:&|and) [A-Z][A-Za-z]+| et al\.)? \(\d{4}(?:, [A-Z]+)?\)"
    r"|[A-Z][a-z]+ \d{4}"
)


def effect_sources() -> dict[str, str]:
    """Source of each effect size's default, read from :class:`~channelsim.policy.EffectSizes`.

    The works its docstring cites, with "value: assumption" when the docstring says the value
    itself is assumed; ``"assumption"`` where nothing is cited.

    Examples
    --------
    >>> effect_sources()["timing_discount"]
    'Larkin (2014, JAE)'
    >>> effect_sources()["recruit"]
    'assumption'
    """
    out = {}
    for name, text in _doc_sections(EffectSizes.__doc__ or "").items():
        cited = list(dict.fromkeys(_CITATION.findall(text)))
        if not cited:
            out[name] = "assumption"
        elif "ssumption" in text:
            out[name] = f"{'; '.join(cited)} (direction and order of magnitude); value: assumption"
        else:
            out[name] = "; ".join(cited)
    return out


def _meanings() -> dict[str, str]:
    out = {}
    for name, text in _doc_sections(EffectSizes.__doc__ or "").items():
        first = re.split(r"(?<=\.)\s", text, maxsplit=1)[0]
        out[name] = first.replace("``", "")
    return out
