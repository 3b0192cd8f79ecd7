"""Dask clusters for policy sweeps (DESIGN.md section 8).

``open_client`` gives ``None`` (run in-process, the default), a client of a new
:class:`~distributed.LocalCluster` on loopback (``workers=N``: N processes of one Dask thread each, the machine's cores shared between their
numba thread pools through ``NUMBA_NUM_THREADS``), or a client of a running cluster
(``scheduler="tcp://host:8786"``, whose numba settings are the cluster's own).
:func:`warm_workers` compiles (or loads from numba's cache) the simulator's kernels once on
every worker before the chunks arrive.

``dask.distributed`` is imported only here, and only when a cluster is asked for.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from channelsim.simulate import numba_threads

__all__ = [
    "ClusterError",
    "local_numba_threads",
    "open_client",
    "warm_workers",
    "worker_warmups",
]

#: Per-process record of warm-ups run (token -> times ``warmup()`` ran here: 1 once warm).
_WARMED: dict[str, int] = {}


class ClusterError(RuntimeError):
    """The scheduler cannot be reached, or the local cluster failed to start."""

    is_bad_input = True


@contextmanager
def open_client(
    *, workers: int | None = None, scheduler: str | None = None, quiet: bool = True
) -> Iterator[Any]:
    """A Dask client for the sweep, or ``None`` to run in this process.

    Parameters
    ----------
    workers : int, optional
        Start a local cluster of this many single-threaded worker processes on 127.0.0.1.
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:port``); mutually exclusive with
        ``workers``.
    quiet : bool
        Silence the cluster's logs below warnings.

    Yields
    ------
    distributed.Client or None

    Examples
    --------
    >>> with open_client() as client:
    ...     client is None
    True
    """
    if workers is not None and scheduler is not None:
        raise ValueError("give either workers or scheduler, not both")
    if workers is None and scheduler is None:
        yield None
        return
    import logging

    import distributed

    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
        try:
            yield client
        finally:
            client.close()
        return
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    cluster = distributed.LocalCluster(
        n_workers=int(workers),
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        worker_dashboard_address=None,
        silence_logs=logging.WARNING if quiet else logging.INFO,
        # share the cores between the workers' numba thread pools instead of oversubscribing
        env={"NUMBA_NUM_THREADS": str(local_numba_threads(int(workers)))},
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def local_numba_threads(workers: int) -> int:
    """numba threads per worker of a local cluster: the cores shared out, at least one.

    Examples
    --------
    >>> local_numba_threads(10_000)
    1
    """
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def _warm_worker(fn, token: str) -> dict:
    """Runs on each worker: compile the kernels (or load them from numba's cache) once."""
    if token not in _WARMED and hasattr(fn, "warmup"):
        fn.warmup()
        _WARMED[token] = _WARMED.get(token, 0) + 1
    return {"pid": os.getpid(), "numba_threads": numba_threads()}


def warm_workers(client, fn, token: str = "channelsim") -> dict:
    """Compile the kernels once on every worker (a no-op for workers already warm).

    Parameters
    ----------
    client : distributed.Client
    fn : object with a ``warmup()`` method
        The chunk function; ``warmup`` runs a tiny simulation.
    token : str
        Identifies the warm-up; a worker that has run it skips it.

    Returns
    -------
    dict
        Worker address -> ``{"pid", "numba_threads"}``.

    Examples
    --------
    >>> callable(warm_workers)
    True
    """
    return client.run(_warm_worker, fn, token)


def _warmups() -> dict:
    return dict(_WARMED)


def worker_warmups(client) -> dict:
    """Worker address -> ``{token: times warmup() ran there}`` (1 per worker when warm)."""
    return client.run(_warmups)
