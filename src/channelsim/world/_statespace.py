"""State-space territory dynamics of a World: the time state carried forward from the origin.

A world fitted with ``territory_dynamics="statespace"`` (:class:`channelsim.model.ModelConfig`)
replaces ``trend[t] m + eta[t, m]`` by a structural time state per territory (docs/model.md
section 8): ``x[t, m] = level[t, m] + delta[t, m]`` on top of the shared ``season``, with

.. math::

    \\ell_{m+1} &= \\ell_m + b_m + \\sigma_\\ell z_1 \\\\
    b_{m+1} &= \\phi b_m + (1 - \\phi) \\bar b + \\sigma_b z_2 \\\\
    \\delta_{m+1} &= -\\sum_{j=0}^{S-2} \\delta_{m-j} + \\sigma_\\delta z_3

(local level, damped trend, dummy seasonal deviation of the territory from the shared
pattern). :class:`TerritoryStateSpace` holds, per draw, the four scales and the state during
the step before the origin; :meth:`~TerritoryStateSpace.paths` draws the time state of the
steps after the origin with the counter-based generator (purpose ``SHOCK``, entity =
territory, ``k = 1, 2, 3`` for level, trend and seasonal disturbances: the AR(1) shock, which
uses ``k = 0``, is switched off in such a world).

The time state enters only the log amount of positive sales and is shared by a territory's
partners, so a run of the process equals a run with the time state set to zero whose sales
are multiplied, per territory and step, by ``exp(x)``: that is how
:func:`channelsim.forecast.forecast` forecasts such a world. The policy simulator and
``world.generate`` do not run this form yet (issue "A model that tracks real channels",
item 3); :func:`channelsim.simulate.simulate` refuses it.

Depends only on numpy and :mod:`channelsim.rng`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from channelsim import rng
from channelsim.rng import Purpose

__all__ = ["TerritoryStateSpace", "state_size"]


def state_size(n_season: int) -> int:
    """Length of the state ``(level, trend, delta[m], ..., delta[m-S+2])``: ``S + 1``, or 2
    without seasonal deviations (``n_season <= 1``).

    Examples
    --------
    >>> state_size(12), state_size(4), state_size(0)
    (13, 5, 2)
    """
    return 2 + (int(n_season) - 1 if n_season and n_season > 1 else 0)


@dataclass(frozen=True, eq=False)
class TerritoryStateSpace:
    """Per-draw parameters and origin state of the state-space territory dynamics.

    Attributes
    ----------
    phi : (draw,)
        Trend damping in (0, 1].
    sigma_level, sigma_trend, sigma_season : (draw,)
        Per-step disturbance scales (>= 0) of level, trend and seasonal deviation.
    trend_mean : (draw,)
        Long-run per-step log growth the trend reverts to.
    state : (draw, territory, k)
        State during the step before the origin: level, trend, then the territory's seasonal
        deviations of that step and the ``S - 2`` before it (``k = S + 1``).
    n_season : int
        Steps per seasonal cycle (12 monthly, 4 quarterly).

    Examples
    --------
    >>> ss = TerritoryStateSpace.zeros(n_draws=2, n_territories=3, n_season=4)
    >>> ss.paths(5, seed=1, paths=np.arange(2), draw=np.arange(2)).shape
    (2, 3, 5)
    """

    phi: np.ndarray
    sigma_level: np.ndarray
    sigma_trend: np.ndarray
    sigma_season: np.ndarray
    trend_mean: np.ndarray
    state: np.ndarray
    n_season: int

    _SCALARS = ("phi", "sigma_level", "sigma_trend", "sigma_season", "trend_mean")

    def __post_init__(self):
        for name in (*self._SCALARS, "state"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        object.__setattr__(self, "n_season", int(self.n_season))

    @classmethod
    def zeros(cls, n_draws: int, n_territories: int, n_season: int) -> TerritoryStateSpace:
        """A state-space with every scale and state zero and ``phi = 1`` (no time effect)."""
        z = np.zeros(n_draws)
        k = state_size(n_season)
        return cls(z + 1.0, z, z, z, z, np.zeros((n_draws, n_territories, k)), n_season)

    @property
    def k(self) -> int:
        return state_size(self.n_season)

    def problems(self, n_draws: int, n_territories: int, n_season: int) -> list[str]:
        """Every inconsistency with a world of the given sizes (empty when valid)."""
        out = []
        for name in self._SCALARS:
            a = getattr(self, name)
            if a.shape != (n_draws,):
                out.append(f"time_dynamics.{name}: expected shape ({n_draws},), got {a.shape}")
            elif not np.all(np.isfinite(a)):
                out.append(f"time_dynamics.{name}: contains NaN or infinite values")
        if self.n_season != n_season:
            out.append(f"time_dynamics.n_season is {self.n_season}, the world has {n_season}")
        shape = (n_draws, n_territories, state_size(n_season))
        if self.state.shape != shape:
            out.append(f"time_dynamics.state: expected shape {shape}, got {self.state.shape}")
        elif not np.all(np.isfinite(self.state)):
            out.append("time_dynamics.state: contains NaN or infinite values")
        if not out:
            if np.any((self.phi <= 0) | (self.phi > 1)):
                out.append("time_dynamics.phi must be in (0, 1]")
            if min(getattr(self, n).min(initial=0.0) for n in self._SCALARS[1:4]) < 0:
                out.append("time_dynamics scales must be >= 0")
        return out

    def select(self, idx) -> TerritoryStateSpace:
        """The draws ``idx``."""
        idx = np.atleast_1d(np.asarray(idx, dtype=np.int64))
        return TerritoryStateSpace(
            *(getattr(self, n)[idx] for n in self._SCALARS), self.state[idx], self.n_season
        )

    def with_territories(self, state_new: np.ndarray) -> TerritoryStateSpace:
        """Append territories with origin states ``state_new`` (draw, n_new, k)."""
        return TerritoryStateSpace(
            *(getattr(self, n) for n in self._SCALARS),
            np.concatenate([self.state, state_new], axis=1),
            self.n_season,
        )

    @staticmethod
    def observe(state: np.ndarray) -> np.ndarray:
        """The time state ``x = level + delta[m]`` of states ``(..., k)``."""
        return state[..., 0] + (state[..., 2] if state.shape[-1] > 2 else 0.0)

    def _step(self, a: np.ndarray, d: np.ndarray, z=None) -> np.ndarray:
        """One transition of states ``a`` (n, T, k) with draws ``d`` (n,); ``z`` (n, T, 3)
        standard normal disturbances or None (the mean)."""
        phi = self.phi[d][:, None]
        out = np.empty_like(a)
        out[..., 0] = a[..., 0] + a[..., 1]
        out[..., 1] = phi * a[..., 1] + (1.0 - phi) * self.trend_mean[d][:, None]
        if a.shape[-1] > 2:
            out[..., 2] = -a[..., 2:].sum(axis=-1)
            out[..., 3:] = a[..., 2:-1]
        if z is not None:
            out[..., 0] += self.sigma_level[d][:, None] * z[..., 0]
            out[..., 1] += self.sigma_trend[d][:, None] * z[..., 1]
            if a.shape[-1] > 2:
                out[..., 2] += self.sigma_season[d][:, None] * z[..., 2]
        return out

    def paths(self, n_steps: int, *, seed: int, paths, draw) -> np.ndarray:
        """Draw the time state ``x`` (path, territory, step) of the ``n_steps`` steps after
        the origin, path ``p`` from draw ``draw[p]``'s origin state and scales.

        Step ``j``'s disturbances are keyed ``(seed, SHOCK, path, territory, j, k)``,
        ``k = 1, 2, 3`` (level, trend, seasonal); the same seed gives the same paths whatever
        other paths run beside them.
        """
        paths = np.asarray(paths, dtype=np.int64)
        d = np.asarray(draw, dtype=np.int64)
        a = self.state[d].copy()
        T = a.shape[1]
        out = np.empty((paths.size, T, int(n_steps)))
        terr = np.arange(T)[None, :]
        for j in range(int(n_steps)):
            z = np.stack(
                [
                    rng.normal(rng.key(seed, Purpose.SHOCK, paths[:, None], terr, j, k))
                    for k in (1, 2, 3)
                ],
                axis=-1,
            )
            a = self._step(a, d, z)
            out[:, :, j] = self.observe(a)
        return out

    def advance(self, n_steps: int, rng_np: np.random.Generator) -> TerritoryStateSpace:
        """The same dynamics with each draw's state carried ``n_steps`` steps forward by its
        own law (disturbances from ``rng_np``); used when newer actuals move the origin
        without a refit (:func:`channelsim.forecast.world_from_newer_actuals`)."""
        a = self.state.copy()
        d = np.arange(a.shape[0])
        for _ in range(int(n_steps)):
            a = self._step(a, d, rng_np.standard_normal((*a.shape[:2], 3)))
        return TerritoryStateSpace(*(getattr(self, n) for n in self._SCALARS), a, self.n_season)

    def moments(self, state: np.ndarray, draw, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of ``x`` over the ``n_steps`` steps after ``state`` (n, T, k),
        exactly (Gaussian), per draw ``draw`` (n,); each (n, T, n_steps)."""
        d = np.asarray(draw, dtype=np.int64)
        a = np.asarray(state, dtype=np.float64)
        n, T, k = a.shape
        Tm = np.zeros((n, k, k))
        Tm[:, 0, 0] = Tm[:, 0, 1] = 1.0
        Tm[:, 1, 1] = self.phi[d]
        if k > 2:
            Tm[:, 2, 2:] = -1.0
            for i in range(3, k):
                Tm[:, i, i - 1] = 1.0
        Q = np.zeros((n, k, k))
        Q[:, 0, 0] = self.sigma_level[d] ** 2
        Q[:, 1, 1] = self.sigma_trend[d] ** 2
        if k > 2:
            Q[:, 2, 2] = self.sigma_season[d] ** 2
        Zv = np.zeros(k)
        Zv[0] = 1.0
        if k > 2:
            Zv[2] = 1.0
        P = np.zeros((n, k, k))
        mean = np.empty((n, T, n_steps))
        var = np.empty((n, T, n_steps))
        for j in range(n_steps):
            a = self._step(a, d)
            P = Tm @ P @ np.swapaxes(Tm, 1, 2) + Q
            mean[:, :, j] = self.observe(a)
            var[:, :, j] = (Zv @ P @ Zv)[:, None]
        return mean, var
