"""channelsim: Bayesian forecasting and Monte Carlo policy simulation for channel sales.

Layers (imports flow one way, DESIGN.md section 5; ``tests/test_layers.py`` checks them)::

    _vocab, rng, provenance,        the base: standard library, numpy, pandas; every layer
    calendar, _atomic, _sql, ...    may import them
    data, world, policy, simulate   numpy / numba / pandas / xarray only, never PyMC
    model, forecast                 PyMC and ArviZ, above world
    scenario, report, cli           on top

One home per fact (``tests/test_one_home.py``): hashes and the version key in
:mod:`channelsim.provenance`, fiscal quarters in :mod:`channelsim.calendar`, the draw selection
in :func:`channelsim.world.draw_indices`, the seed in :func:`channelsim.rng.normalize_seed`,
the outcome variables in :data:`channelsim.policy.OUTCOMES`, the engaged stages in
``channelsim._vocab``, the policy sampler in :meth:`channelsim.policy.PolicyGrid.sample`.
Project modules import each other at their top; only :mod:`channelsim.model` (PyMC) is
imported inside functions by the layers above it, and the command line imports a command's
library when that command runs.

This ``__init__`` imports nothing heavy, so ``import channelsim.simulate`` starts fast.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("channelsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
