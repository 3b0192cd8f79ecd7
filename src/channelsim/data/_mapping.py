"""Parse ``SOURCE=CANONICAL`` mapping options (``--map``, ``--stage-map``).

Depends only on the standard library, so the command line can use it cheaply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["MappingError", "parse_mapping_pairs"]


class MappingError(ValueError):
    """A malformed ``SOURCE=CANONICAL`` option; the command line exits 2 on it.

    Examples
    --------
    >>> MappingError.is_bad_input
    True
    """

    is_bad_input = True


def parse_mapping_pairs(
    values: str | Iterable[str] | Mapping[str, str] | None, option: str = "--map"
) -> dict[str, str]:
    """Parse repeated or comma-separated ``SOURCE=CANONICAL`` pairs into a dict.

    Parameters
    ----------
    values : str, iterable of str, mapping or None
        What the user typed, e.g. ``["Account_ID=partner,Region=territory", "Rev=sales"]``
        (one string per repetition of the flag). A mapping is checked and returned as a
        plain dict; None gives an empty dict.
    option : str
        The option's name, used in the error message.

    Returns
    -------
    dict of str to str
        Source name to canonical name, in the order given. Surrounding spaces are stripped.

    Raises
    ------
    MappingError
        Listing every malformed item (no ``=``, several ``=``, an empty side) and every
        source mapped to two different targets.

    Examples
    --------
    >>> parse_mapping_pairs(["Account_ID=partner,Region=territory"], "--map")
    {'Account_ID': 'partner', 'Region': 'territory'}
    >>> parse_mapping_pairs("Gold=productive", "--stage-map")
    {'Gold': 'productive'}
    """
    if values is None:
        return {}
    if isinstance(values, Mapping):
        items = [f"{k}={v}" for k, v in values.items()]
    elif isinstance(values, str):
        items = [values]
    else:
        items = list(values)
    out: dict[str, str] = {}
    bad: list[str] = []
    conflicts: list[str] = []
    for value in items:
        for item in str(value).split(","):
            item = item.strip()
            if not item:
                continue
            parts = item.split("=")
            if len(parts) != 2 or not all(part.strip() for part in parts):
                bad.append(item)
                continue
            src, dst = (part.strip() for part in parts)
            if src in out and out[src] != dst:
                conflicts.append(f"{src!r} -> {out[src]!r} and {dst!r}")
                continue
            out[src] = dst
    messages = []
    if bad:
        messages.append(
            f"{option}: expected SOURCE=CANONICAL pairs (e.g. {option} "
            f"{'Gold=productive' if 'stage' in option else 'Region=territory'}), "
            f"got: {', '.join(repr(b) for b in bad)}"
        )
    if conflicts:
        messages.append(f"{option}: a source is mapped twice: {'; '.join(conflicts)}")
    if messages:
        raise MappingError("\n".join(messages))
    return out
