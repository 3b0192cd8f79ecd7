"""Kernel inputs packed into flat buffers, and the views the kernels read them through.

The kernels take two flat buffers (float64 and int64) and a ``meta`` table of offsets and
shapes instead of dozens of arrays: numba's compile time grows quickly with the number of
arguments a kernel takes. The layout (one row per named field) is the table of
:mod:`channelsim.simulate._layout`; :func:`kernel_buffers` packs, and ``v1(buf, meta,
L_NAME)`` ... ``v4`` give a field's view back by its row constant.
"""

from __future__ import annotations

import numpy as np

from channelsim.simulate._layout import flatten, kernel_inputs
from channelsim.simulate._numba_config import jit

__all__ = ["kernel_buffers", "v1", "v2", "v3", "v4"]


def kernel_buffers(world, calendar, packed, effects, slot_base, slot_cnt) -> tuple:
    """The kernel's ``(fbuf, ibuf, meta, steps_per_quarter)``: every field of
    :data:`~channelsim.simulate._layout.FIELDS` packed by :func:`~._layout.flatten`."""
    inputs = kernel_inputs(world, calendar, packed, effects, slot_base, slot_cnt)
    return (*flatten(inputs), np.int64(calendar.steps_per_quarter))


@jit(inline="always")
def v1(buf, meta, i):  # pragma: no cover - numba
    o = meta[i, 1]
    return buf[o : o + meta[i, 2]]


@jit(inline="always")
def v2(buf, meta, i):  # pragma: no cover - numba
    o = meta[i, 1]
    n0, n1 = meta[i, 2], meta[i, 3]
    return buf[o : o + n0 * n1].reshape((n0, n1))


@jit(inline="always")
def v3(buf, meta, i):  # pragma: no cover - numba
    o = meta[i, 1]
    n0, n1, n2 = meta[i, 2], meta[i, 3], meta[i, 4]
    return buf[o : o + n0 * n1 * n2].reshape((n0, n1, n2))


@jit(inline="always")
def v4(buf, meta, i):  # pragma: no cover - numba
    o = meta[i, 1]
    n0, n1, n2, n3 = meta[i, 2], meta[i, 3], meta[i, 4], meta[i, 5]
    return buf[o : o + n0 * n1 * n2 * n3].reshape((n0, n1, n2, n3))
