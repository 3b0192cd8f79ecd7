"""Monte Carlo policy simulation: numba kernels and their orchestration over (policy, path).

Depends on numpy, numba, xarray, pandas, :mod:`channelsim.world` and
:mod:`channelsim.policy`; never imports PyMC (a test checks it), so simulation starts fast.
numba options live in ``_numba_config`` (``CHANNELSIM_NUMBA_CACHE``, ``CHANNELSIM_PARALLEL``,
``CHANNELSIM_FASTMATH``). The numpy reference of every kernel is
:class:`channelsim.policy.PolicyHooks` on :func:`channelsim.world.generate`
(``simulate(..., engine="numpy")``).
"""

from channelsim.simulate._api import PartnerRun, simulate, simulate_partners
from channelsim.simulate._crn import crn_standard_errors
from channelsim.simulate._dataset import (
    ACCURACY_VARIABLES,
    AGGREGATION,
    WINDOWS,
    summarize,
    window_variables,
    world_hash,
)
from channelsim.simulate._expected_nb import expected_sales_numba
from channelsim.simulate._numba_config import numba_threads
from channelsim.simulate._run import SimulationError

__all__ = [
    "ACCURACY_VARIABLES",
    "AGGREGATION",
    "WINDOWS",
    "PartnerRun",
    "SimulationError",
    "crn_standard_errors",
    "expected_sales_numba",
    "numba_threads",
    "simulate",
    "simulate_partners",
    "summarize",
    "window_variables",
    "world_hash",
]
