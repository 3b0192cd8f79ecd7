"""The kernel layout table: named rows, packing by name, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from channelsim.datasets import draw_world
from channelsim.policy import VARIABLES, EffectSizes, Policy, pack_policies
from channelsim.simulate import _layout as lay
from channelsim.simulate._kernel_pack import kernel_buffers


def _view(fb, ib, meta, row):
    kind, off = meta[row, 0], meta[row, 1]
    ndim = lay.FIELDS[row].ndim
    shape = tuple(int(n) for n in meta[row, 2 : 2 + ndim])
    buf = fb if kind == lay.FLOAT else ib
    return buf[off : off + int(np.prod(shape))].reshape(shape)


def test_rows_and_variables_are_named_once():
    names = [f.name for f in lay.FIELDS]
    assert len(set(names)) == len(names)
    for row, name in enumerate(names):
        assert getattr(lay, f"L_{name.upper()}") == row
    assert [getattr(lay, f"V_{n.upper()}") for n in VARIABLES] == list(range(len(VARIABLES)))
    assert {f.source for f in lay.FIELDS} == {
        "world",
        "derived",
        "calendar",
        "policy",
        "effects",
        "slots",
    }


def test_buffers_give_every_field_back_by_name():
    w = draw_world(3, 30, seed=1)
    cal = w.calendar(6)
    sq = Policy.status_quo(w)
    packed = pack_policies([sq, Policy.preset("channel_programme")], sq, w.steps_per_quarter)
    slots = np.zeros((6, 3), dtype=np.int64)
    E = EffectSizes().to_array()
    fb, ib, meta, spq = kernel_buffers(w, cal, packed, E, slots - 1, slots)
    assert spq == w.steps_per_quarter
    np.testing.assert_array_equal(_view(fb, ib, meta, lay.L_RECRUIT_RATE), w.recruit_rate)
    np.testing.assert_array_equal(_view(fb, ib, meta, lay.L_KAPPA), w.kappa)
    np.testing.assert_array_equal(_view(fb, ib, meta, lay.L_PARTNER_TERRITORY), w.partner_territory)
    np.testing.assert_array_equal(_view(fb, ib, meta, lay.L_CAL_QUARTER_START), cal.quarter_start)
    np.testing.assert_array_equal(_view(fb, ib, meta, lay.L_FPAR), packed.fpar)
    np.testing.assert_array_equal(_view(fb, ib, meta, lay.L_EFFECTS), E)
    np.testing.assert_array_equal(_view(fb, ib, meta, lay.L_SLOT_BASE), slots - 1)
    # the derived transition rows: non-zero moves first, probabilities summing to the row
    tr_n = _view(fb, ib, meta, lay.L_TR_N)
    tr_p = _view(fb, ib, meta, lay.L_TR_P)
    np.testing.assert_array_equal(tr_n, (w.trans > 0).sum(axis=-1))
    np.testing.assert_allclose(tr_p.sum(axis=-1), w.trans.sum(axis=-1))


def test_flatten_lists_every_problem():
    x = {f.name: np.zeros((1,) * f.ndim) for f in lay.FIELDS}
    del x["trend"]
    x["kappa"] = np.zeros(3)
    x["bogus"] = np.zeros(1)
    with pytest.raises(ValueError) as err:
        lay.flatten(x)
    msg = str(err.value)
    assert "'trend' missing" in msg
    assert "'bogus'" in msg
    assert "'kappa' must be 2-d" in msg
