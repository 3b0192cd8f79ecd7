"""Shared vocabulary: lifecycle stages, states, channel maturity levels.

Depends only on the standard library. Every layer imports its names from here so the
orderings agree everywhere (the integer codes used in arrays are positions in these tuples).
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_STAGE_MAP",
    "ENGAGED_STAGES",
    "EXITED",
    "MATURITY_LEVELS",
    "MATURITY_THRESHOLDS",
    "ONE_STAGE",
    "PROGRESSIVE_STAGES",
    "STAGES",
    "STATES",
    "maturity_code",
    "state_names",
]

#: Lifecycle stages in which a partner can sell, in order. ``dormant`` is reversible.
PROGRESSIVE_STAGES: tuple[str, ...] = ("onboarding", "enabled", "active", "productive", "strategic")
STAGES: tuple[str, ...] = (*PROGRESSIVE_STAGES, "dormant")
#: The absorbing state; it is always the last state code.
EXITED = "exited"
#: All states of the transition process: the stages, then ``exited``.
STATES: tuple[str, ...] = (*STAGES, EXITED)
#: Stages counted as engaged for channel coverage (DESIGN.md section 2: coverage counts the
#: partners in active, productive or strategic).
ENGAGED_STAGES: tuple[str, ...] = PROGRESSIVE_STAGES[2:]
#: The stage list of a one-stage world (panel without a ``stage`` column).
ONE_STAGE: tuple[str, ...] = ("active",)

#: Channel maturity of a territory, from partner coverage.
MATURITY_LEVELS: tuple[str, ...] = ("nascent", "building", "developing", "mature")
#: Coverage thresholds separating the maturity levels (config, DESIGN.md section 2).
MATURITY_THRESHOLDS: tuple[float, float, float] = (0.25, 0.60, 0.85)

#: Stage values that mean the same as a canonical stage (case-insensitive), used before any
#: user ``--stage-map``.
DEFAULT_STAGE_MAP: dict[str, str] = {
    "onboard": "onboarding",
    "new": "onboarding",
    "enable": "enabled",
    "inactive": "dormant",
    "churned": "exited",
    "exit": "exited",
}


def state_names(stage_names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """States of a world with the given stages: the stages, then ``exited``.

    Examples
    --------
    >>> state_names(("active",))
    ('active', 'exited')
    """
    return (*tuple(stage_names), EXITED)


def maturity_code(coverage: float, thresholds=MATURITY_THRESHOLDS) -> int:
    """Index into :data:`MATURITY_LEVELS` of a coverage in ``[0, 1]``.

    Examples
    --------
    >>> MATURITY_LEVELS[maturity_code(0.7)]
    'developing'
    """
    code = 0
    for th in thresholds:
        if coverage >= th:
            code += 1
    return code
