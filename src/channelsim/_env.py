"""Reading channelsim's on/off environment switches (``CHANNELSIM_BLAS``, the numba cache)."""

from __future__ import annotations

import os

__all__ = ["OFF", "env_flag"]

#: The values that turn a switch off (any case, surrounding blanks ignored).
OFF = ("0", "false", "no", "off")


def env_flag(name: str, default: bool) -> bool:
    """The on/off switch ``name``: ``default`` when unset or blank, else off for ``0``,
    ``false``, ``no`` or ``off`` and on for anything else.

    Examples
    --------
    >>> import os
    >>> os.environ["CHANNELSIM_EXAMPLE_SWITCH"] = " Off "
    >>> env_flag("CHANNELSIM_EXAMPLE_SWITCH", True)
    False
    >>> env_flag("CHANNELSIM_UNSET_SWITCH", True)
    True
    """
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in OFF
