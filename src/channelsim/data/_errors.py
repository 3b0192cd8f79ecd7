"""Validation problems, the error that lists them all, and the warning category.

Depends only on the standard library.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "MAX_ROWS_SHOWN",
    "BookValidationError",
    "BookWarning",
    "Problem",
    "ProblemList",
    "format_rows",
]

#: How many row numbers a problem shows before "and N more".
MAX_ROWS_SHOWN = 5


class BookWarning(UserWarning):
    """Legal but suspicious input (gaps, territory moves, backward stages, default targets).

    Every such warning is also recorded in :attr:`channelsim.data.Book.warnings`.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", BookWarning)
    """


def format_rows(rows: Sequence[int], limit: int = MAX_ROWS_SHOWN) -> str:
    """Render spreadsheet row numbers: ``"row 2"``, ``"rows 2, 5, 9 and 3 more"``.

    Examples
    --------
    >>> format_rows([2])
    'row 2'
    >>> format_rows([2, 3, 4, 5, 6, 7, 8])
    'rows 2, 3, 4, 5, 6 and 2 more'
    """
    rows = list(rows)
    if not rows:
        return ""
    shown = ", ".join(str(r) for r in rows[:limit])
    if len(rows) == 1:
        return f"row {shown}"
    more = len(rows) - limit
    return f"rows {shown}" + (f" and {more} more" if more > 0 else "")


@dataclass
class Problem:
    """One thing wrong with the input.

    Parameters
    ----------
    file : str
        The file (or ``"<DataFrame>"``, or ``"options"`` for bad arguments).
    column : str or None
        The column concerned, if any (canonical name, after ``column_map``).
    rows : list of int
        1-based data row numbers as a spreadsheet shows them: the header is row 1, so the
        first data row is row 2. Empty when the problem is not about particular rows.
    message : str
        What is wrong and what is expected.

    Examples
    --------
    >>> str(Problem("panel.csv", "sales", [2, 9], "not a number"))
    "panel.csv, column 'sales', rows 2, 9: not a number"
    """

    file: str
    column: str | None
    rows: list[int] = field(default_factory=list)
    message: str = ""

    def __str__(self) -> str:
        where = [self.file]
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.rows:
            where.append(format_rows(self.rows))
        return f"{', '.join(where)}: {self.message}"


class BookValidationError(ValueError):
    """Every problem found in a book's input, raised once after all checks ran.

    Attributes
    ----------
    problems : list of Problem
        All problems, in the order they were found.
    is_bad_input : bool
        Always True: the command line prints the report and exits with status 2.

    Examples
    --------
    >>> err = BookValidationError([Problem("p.csv", "sales", [3], "missing value")])
    >>> print(err)
    1 problem in p.csv:
      - p.csv, column 'sales', row 3: missing value
    """

    is_bad_input = True

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        files: list[str] = []
        for p in self.problems:
            if p.file not in files:
                files.append(p.file)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in {', '.join(files) or 'the input'}:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])

    def __str__(self) -> str:
        return self._render()

    def __reduce__(self):
        # rebuild from the problems (not the rendered text) when unpickled, e.g. from a worker
        return (type(self), (self.problems,))


class ProblemList(list):
    """A list of :class:`Problem` with a helper to add one and to raise them all."""

    def add(self, file: str, column: str | None, rows: Iterable[int] | None, message: str) -> None:
        """Append a problem; ``rows`` are sorted and de-duplicated."""
        rows = sorted({int(r) for r in rows}) if rows is not None else []
        self.append(Problem(file, column, rows, message))

    def raise_if_any(self) -> None:
        """Raise :class:`BookValidationError` listing every problem, if there is one."""
        if self:
            raise BookValidationError(list(self))
