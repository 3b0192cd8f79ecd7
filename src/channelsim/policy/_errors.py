"""The error raised for invalid levers, policies, effect sizes and grids."""

from __future__ import annotations

__all__ = ["PolicyError"]


class PolicyError(ValueError):
    """Invalid policy input; lists every problem at once (the CLI exits 2 on it).

    Examples
    --------
    >>> err = PolicyError(["a must be > 0", "b must be <= 1"])
    >>> err.problems
    ['a must be > 0', 'b must be <= 1']
    """

    is_bad_input = True

    def __init__(self, problems: list[str], what: str = "policy"):
        self.problems = list(problems)
        super().__init__(
            f"{len(self.problems)} problem(s) in the {what}:\n"
            + "\n".join(f"  - {p}" for p in self.problems)
        )
