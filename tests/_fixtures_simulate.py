"""Session fixtures of the simulator tests: small worlds and one compile of the kernels.

The first simulation of a session compiles the numba kernels (or loads them from the numba
cache); every simulator test shares that through :func:`warm_kernels`.
"""

from __future__ import annotations

import numpy as np
import pytest

from channelsim._vocab import maturity_code

__all__ = ["origin_maturity"]


def origin_maturity(world) -> np.ndarray:
    """Channel maturity code of each territory at the origin."""
    eng = np.isin(world.partner_state, [2, 3, 4])
    counts = np.bincount(world.partner_territory[eng], minlength=world.n_territories)
    cov = np.minimum(1.0, counts / world.target_partners)
    return np.array([maturity_code(c) for c in cov])


@pytest.fixture(scope="session")
def sim_world():
    """A small monthly world with stages (3 territories, 30 partners)."""
    from channelsim.datasets import draw_world

    return draw_world(3, 30, "M", seed=11)


@pytest.fixture(scope="session")
def sim_world_q():
    """A small quarterly world with stages."""
    from channelsim.datasets import draw_world

    return draw_world(3, 30, "Q", seed=12)


@pytest.fixture(scope="session")
def sim_world_1stage():
    """A small one-stage world (a panel without stages)."""
    from channelsim.datasets import draw_world

    return draw_world(3, 30, "M", seed=13, has_stages=False)


@pytest.fixture(scope="session")
def warm_kernels(sim_world):
    """Compile (or load) the kernels once per session."""
    from channelsim.simulate import simulate, simulate_partners

    simulate(sim_world, ["territory_pay"], n_paths=2, n_steps=3, seed=0, progress=False)
    simulate_partners(sim_world, 3, seed=0, n_paths=2)
    return True


@pytest.fixture(scope="session")
def default_world_run(warm_kernels):
    """One seeded run on the default world shared by the directional tests."""
    from channelsim.datasets import example_world
    from channelsim.simulate import simulate

    world = example_world()
    policies = ["territory_pay", "forecast_quota", "forecast_kpi", "gonik"]
    ds = simulate(
        world, policies, n_paths=64, n_steps=36, seed=2024, by_territory=True, progress=False
    )
    return world, ds
