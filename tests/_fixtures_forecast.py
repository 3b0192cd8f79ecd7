"""Session fixtures and helpers for the forecast, metrics, backtest and quota tests.

- :func:`stack_draws`: a World with several "posterior" draws made by perturbing one drawn
  world's parameters (forecast mechanics need no MCMC);
- ``fc_world``: a small 4-draw world with lifecycle stages; ``fc_world_one_stage`` without;
- ``truth_case``: a small world, one 24-month run of it and the book drawn from that run
  (``datasets.book_tables``), for backtests with the true world as the "fit";
- :class:`StubModel`: a stand-in for a fitted model (``to_world``, hashes) for CLI tests.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

__all__ = ["StubModel", "newer_actuals", "stack_draws"]


def stack_draws(world, n_draws: int, seed: int = 0, sd: float = 0.05):
    """``world`` with ``n_draws`` draws: its parameters repeated and perturbed by ``sd``."""
    gen = np.random.default_rng(seed)

    def tile(name, s=0.0):
        x = np.repeat(getattr(world, name), n_draws, axis=0)
        return x + s * gen.standard_normal(x.shape) if s else x

    return replace(
        world,
        a_stage=tile("a_stage", sd),
        a_terr=tile("a_terr", sd),
        a_terr_stage=tile("a_terr_stage", sd),
        sigma_stage=np.abs(tile("sigma_stage", sd / 2)) + 1e-3,
        h_stage=tile("h_stage", sd),
        h_terr=tile("h_terr", sd),
        h_cap=tile("h_cap", sd),
        sd_kappa=tile("sd_kappa"),
        kappa=tile("kappa", sd),
        season=tile("season", sd / 5),
        trend=tile("trend", sd / 100),
        rho=np.clip(tile("rho", sd), -0.9, 0.9),
        sigma_eta=np.abs(tile("sigma_eta", sd / 5)),
        trans=tile("trans"),
        recruit_rate=tile("recruit_rate"),
        commit_bias=tile("commit_bias"),
        commit_sd=tile("commit_sd"),
        eta_last=tile("eta_last", sd),
    )


class StubModel:
    """What the forecast CLI needs of a fitted model: ``to_world``, ``book``, hashes."""

    def __init__(self, world, book=None):
        self.world = world
        self.book = book
        self.data_hash = "stub-data-hash"
        self.calls: list[dict] = []

    def to_world(self, draws=None, *, seed=0, **kwargs):  # as ChannelModel.to_world
        self.calls.append({"draws": draws, "seed": seed, **kwargs})
        w = self.world
        if draws is not None:
            w = w.select_draws(np.arange(draws) % w.n_draws)
        return w


@pytest.fixture(scope="session")
def fc_world():
    from channelsim.datasets import draw_world

    return stack_draws(draw_world(3, 25, "M", seed=11), 4, seed=1)


@pytest.fixture(scope="session")
def fc_world_one_stage():
    from channelsim.datasets import draw_world

    return stack_draws(draw_world(2, 12, "M", seed=12, has_stages=False), 3, seed=2)


@pytest.fixture(scope="session")
def truth_case():
    """``(world, run, book)``: 4 territories, 40 partners, 24 months, drawn from ``world``."""
    from channelsim.data import load_book
    from channelsim.datasets import book_tables, draw_world
    from channelsim.world import generate

    world = draw_world(4, 40, "M", seed=21)
    run = generate(world, 24, seed=21)
    book = load_book(*book_tables(world, run, managers_seed=21), source_name="truth_case")
    return world, run, book


@pytest.fixture(scope="session")
def fc_model_file(request, tmp_path_factory):
    """A fitted model file: the model tests' session file (``model_file`` of
    ``tests/_fixtures_model.py``) when registered, else a short NUTS fit of a tiny book."""
    try:
        return request.getfixturevalue("model_file")
    except pytest.FixtureLookupError:
        pass
    import warnings

    from channelsim.datasets import make_book
    from channelsim.model import ChannelModel

    book, _ = make_book(3, 25, 12, seed=7)
    model = ChannelModel(draws=100, tune=150, chains=2, progressbar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(book, random_seed=11)
    return model.save(tmp_path_factory.mktemp("fc_model") / "model.nc")


def newer_actuals(model, n_steps: int, seed: int = 0):
    """A book of ``n_steps`` periods after the model's book, simulated from its posterior."""
    from channelsim.data import load_book
    from channelsim.datasets import book_tables
    from channelsim.world import generate

    w = model.to_world(1, seed=seed, include_exited=True)
    dyn = w.time_dynamics
    if dyn is None:
        run = generate(w, n_steps, seed=seed)
    else:
        # a state-space world: its partners at time state zero, then each territory's
        # positive amounts scaled by exp of its own state path (as channelsim.forecast does)
        from dataclasses import replace

        w = replace(w, time_dynamics=None)
        run = generate(w, n_steps, seed=seed)
        x = dyn.paths(n_steps, seed=seed, paths=np.arange(1), draw=np.zeros(1, dtype=np.int64))
        run.sales *= np.exp(x[:, np.asarray(run.territory, dtype=np.int64), :])
    partners, _, territories = book_tables(w, run)
    known = set(w.partner_ids)
    partners["partner"] = [p if p in known else f"NEW-{p}" for p in partners["partner"]]
    return load_book(partners, None, territories, source_name="newer actuals")
