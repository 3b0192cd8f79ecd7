"""channelsim: Bayesian forecasting and Monte Carlo policy simulation for channel sales.

Layers (imports flow one way, DESIGN.md section 5)::

    data, world, policy, simulate   numpy / numba / pandas / xarray only, never PyMC
    model, forecast                 PyMC and ArviZ, above world
    scenario, report, cli           on top

This ``__init__`` imports nothing heavy, so ``import channelsim.simulate`` starts fast.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("channelsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
