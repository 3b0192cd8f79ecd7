"""numba options in one place, overridable by environment variables.

* ``CHANNELSIM_NUMBA_CACHE`` (default ``1``): cache compiled kernels on disk (``cache=True``),
  so a fresh process loads them instead of compiling (``benchmarks/bench_simulator.py``
  measures the cold and the cached start).
* ``CHANNELSIM_PARALLEL`` (default ``threads``): how paths run in parallel.

  - ``threads``: blocks of paths on ``numba.get_num_threads()`` Python threads (the
    ``NUMBA_NUM_THREADS`` setting), each running the ``nogil`` path kernel;
  - ``prange``: numba's ``parallel=True`` with ``prange`` over paths;
  - ``serial`` (or ``0``): one thread.

  Results are bit-identical in every mode and for any thread count. ``threads`` is the
  default because numba's parfor lowering re-optimises the whole (large) path kernel inside
  the parallel wrapper, which multiplies the cold compile time (measured in the benchmark);
  at run time the two scale the same.
* ``CHANNELSIM_FASTMATH`` (default ``0``): ``fastmath``. Keep it off: with it on, the kernels
  no longer match the numpy reference and the random-number generator bit for bit (LLVM may
  reorder sums and contract multiply-adds).

Every kernel also uses ``error_model="numpy"`` (division by zero gives inf/nan, as in numpy,
instead of raising) and ``nogil=True``.

numba's cache checks only the source file of each cached function, not the functions and
constants it uses from other modules. So that an edit to any kernel module (or to the
constants of :mod:`channelsim.policy` frozen into the kernels) never runs stale machine code,
importing this module compares a digest of those sources with the one stored beside the
cache (``__pycache__/channelsim_kernels.sha256``) and clears this package's cache files when
they differ (not when ``NUMBA_CACHE_DIR`` points elsewhere).
"""

from __future__ import annotations

import os
from pathlib import Path

import numba

from channelsim._env import OFF, env_flag
from channelsim.provenance import hasher

__all__ = ["CACHE", "FASTMATH", "PARALLEL", "jit", "n_threads", "numba_threads", "pjit"]

# Sources whose code or constants end up in the cached kernels.
_SOURCES = (
    "simulate/_expected_nb.py",
    "simulate/_forecaster_nb.py",
    "simulate/_kernel.py",
    "simulate/_kernel_pack.py",
    "simulate/_kernel_steps.py",
    "simulate/_layout.py",
    "simulate/_mechanisms_nb.py",
    "simulate/_numba_config.py",
    "simulate/_partners_nb.py",
    "simulate/_rng_nb.py",
    "policy/_effects.py",
    "policy/_mechanisms.py",
    "policy/_outcomes.py",
    "policy/_pack.py",
    "policy/_dynamics.py",
    "policy/__init__.py",
    "_vocab.py",
    "rng.py",
    "world/_forecaster.py",
    "world/_process.py",
)


def _mode(name: str, default: str) -> str:
    value = (os.environ.get(name) or default).strip().lower()
    if value in (*OFF, "serial"):
        return "serial"
    if value in ("prange", "parallel"):
        return "prange"
    return "threads"


def _clear_stale_cache() -> None:
    """Remove this package's numba cache files when a kernel source changed."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    here = Path(__file__).resolve().parent
    root = here.parent
    h = hasher()
    for rel in _SOURCES:
        try:
            h.update(rel.encode() + (root / rel).read_bytes())
        except OSError:
            h.update(rel.encode())
    digest = h.hexdigest()
    cache = here / "__pycache__"
    stamp = cache / "channelsim_kernels.sha256"
    try:
        if stamp.read_text() == digest:
            return
    except OSError:
        pass
    try:
        cache.mkdir(exist_ok=True)
        for f in cache.glob("*.nb[ic]"):
            f.unlink(missing_ok=True)
        stamp.write_text(digest)
    except OSError:  # a read-only install: numba then caches elsewhere
        pass


CACHE: bool = env_flag("CHANNELSIM_NUMBA_CACHE", True)
FASTMATH: bool = env_flag("CHANNELSIM_FASTMATH", False)
PARALLEL: str = _mode("CHANNELSIM_PARALLEL", "threads")
if CACHE:
    _clear_stale_cache()


def n_threads() -> int:
    """Threads to run path blocks on: numba's thread count (``NUMBA_NUM_THREADS``)."""
    return 1 if PARALLEL == "serial" else max(1, numba.get_num_threads())


def numba_threads() -> int:
    """numba's configured thread pool size (``NUMBA_NUM_THREADS``) in this process."""
    return int(numba.config.NUMBA_NUM_THREADS)


def jit(func=None, **options):
    """``numba.njit`` with the project's options (serial kernels and helpers)."""
    kw = {"cache": CACHE, "fastmath": FASTMATH, "error_model": "numpy", "nogil": True, **options}
    if func is None:
        return numba.njit(**kw)
    return numba.njit(**kw)(func)


def pjit(func=None, **options):
    """``numba.njit`` with ``parallel=True`` (loops over paths with ``prange``)."""
    return jit(func, parallel=True, **options)
