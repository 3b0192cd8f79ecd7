"""A Simulation Dataset in a Zarr store, appended chunk by chunk: the store is the checkpoint.

:class:`ZarrStore` plays the part of :class:`~channelsim.scenario.ChunkStore` for
:func:`~channelsim.scenario.run_chunks`: each finished chunk of policies is appended to the store
along ``policy`` (in policy order; chunks that finish early on Dask wait in memory for their
predecessors), and only then is the count of finished policies recorded in the store's
attributes. A killed run therefore leaves a store whose recorded count is a whole number of
chunks; a rerun with the same fingerprint cuts off anything appended after that count and carries
on from there, so the resumed store is identical to an uninterrupted one. No finished chunk is
kept in memory: the result is opened lazily (xarray + Dask) from the store.

String coordinates are stored as variable-length strings (chunks name presets of different
lengths) and read back fixed-width, like every merged result (:func:`merge_chunks`).

Depends on xarray, zarr (v3) and dask.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from channelsim.policy import PolicyGrid
from channelsim.provenance import fingerprint, package_version, world_hash
from channelsim.scenario._chunks import CheckpointError, _canonical, chunk_bounds, run_chunks
from channelsim.simulate import simulate

__all__ = ["ZarrStore", "is_zarr_path", "open_results", "simulate_to_zarr"]

#: Group attribute holding the run's fingerprint and the count of finished policies.
CHECKPOINT_ATTR = "channelsim_checkpoint"
#: Group attribute keeping the order of variables and coordinates (Zarr lists them by name).
ORDER_ATTR = "channelsim_order"


def is_zarr_path(path: str | os.PathLike) -> bool:
    """True when ``path`` names a Zarr store (ends in ``.zarr``).

    Examples
    --------
    >>> is_zarr_path("runs/sweep.zarr"), is_zarr_path("runs/sweep.nc")
    (True, False)
    """
    return str(path).rstrip("/").lower().endswith(".zarr")


def _for_zarr(ds: xr.Dataset) -> xr.Dataset:
    """Fixed-width strings as variable-length ones (their width differs between chunks)."""
    ds = ds.drop_encoding()
    for name in list(ds.variables):
        if ds.variables[name].dtype.kind == "U":
            var = ds.variables[name].astype(object)
            ds = ds.assign_coords({name: var}) if name in ds.coords else ds.assign({name: var})
    return ds


def open_results(path: str | os.PathLike) -> xr.Dataset:
    """Open a Simulation Dataset written to Zarr by ``compare`` or ``simulate``, lazily.

    Variables are Dask arrays chunked like the store (one chunk of policies per store chunk);
    nothing is read until it is computed. The checkpoint bookkeeping attribute is dropped.

    Parameters
    ----------
    path : path
        A ``.zarr`` store.

    Returns
    -------
    xarray.Dataset

    Examples
    --------
    >>> import tempfile, os, xarray as xr
    >>> p = os.path.join(tempfile.mkdtemp(), "a.zarr")
    >>> _ = xr.Dataset({"x": ("policy", [1.0, 2.0])}, coords={"policy": [0, 1]}).to_zarr(p)
    >>> open_results(p).x.chunks is not None
    True
    """
    ds = xr.open_zarr(path, chunks={}, consolidated=False)
    ds.attrs.pop(CHECKPOINT_ATTR, None)
    order = json.loads(ds.attrs.pop(ORDER_ATTR, "[]"))
    rank = {name: i for i, name in enumerate(order)}
    key = lambda name: (rank.get(name, len(rank)), name)  # noqa: E731
    ds = xr.Dataset(
        {v: ds[v].variable for v in sorted(ds.data_vars, key=key)},
        coords={c: ds[c].variable for c in sorted(ds.coords, key=key)},
        attrs=ds.attrs,
    )
    # lever labels (one per policy) are read now, as fixed-width strings like a merged result
    labels = {
        name: (
            ds[name].dims,
            np.array([str(v) for v in np.asarray(ds[name].values).ravel()]).reshape(ds[name].shape),
        )
        for name in ds.coords
        if ds[name].dtype.kind in "OTU"
    }
    return _canonical(ds.assign_coords(labels))


@dataclass
class ZarrStore:
    """Checkpointing results store: the Simulation Dataset in Zarr, appended by chunks.

    Parameters
    ----------
    path : path
        The ``.zarr`` store (a folder); created by the first finished chunk.
    fingerprint : str
        Digest of everything that determines the results (:func:`fingerprint`).
    n_policies, chunk_size : int
        How the policy list is cut; part of the checkpoint record. The store's chunks along
        ``policy`` are ``chunk_size`` long.

    Examples
    --------
    >>> import tempfile, os
    >>> store = ZarrStore(os.path.join(tempfile.mkdtemp(), "r.zarr"), "abc", 10, 5)
    >>> store.open()
    >>> store.done()
    []
    """

    path: str | os.PathLike
    fingerprint: str
    n_policies: int
    chunk_size: int

    #: run_chunks appends chunks in policy order and keeps none in memory
    appends = True

    def __post_init__(self):
        self.path = Path(self.path)
        self._done = 0

    def _record(self, done: int) -> dict:
        return {
            "fingerprint": self.fingerprint,
            "n_policies": int(self.n_policies),
            "chunk_size": int(self.chunk_size),
            "done": int(done),
        }

    def open(self, *, restart: bool = False) -> None:
        """Check that an existing store belongs to this run and cut it back to its last whole chunk.

        Raises
        ------
        CheckpointError
            The path holds something else, or a store of a run with another fingerprint or
            chunking (``restart`` deletes it instead).
        """
        import zarr

        p = Path(self.path)
        if restart and p.exists():
            shutil.rmtree(p)
        self._done = 0
        if not p.exists():
            return
        try:
            group = zarr.open_group(str(p), mode="r+")
            rec = json.loads(group.attrs[CHECKPOINT_ATTR])
        except Exception as exc:
            raise CheckpointError(
                f"{p} exists but is not a channelsim results store ({exc}); choose another "
                "--out or pass --restart to replace it"
            ) from exc
        mine = self._record(0)
        if {k: rec.get(k) for k in mine if k != "done"} != {
            k: v for k, v in mine.items() if k != "done"
        }:
            raise CheckpointError(
                f"{p} holds results of a different run (the scenario, seed, paths, horizon, world "
                "or chunk size changed). Use another --out, or pass --restart to discard them."
            )
        done = int(rec.get("done", 0))
        if done not in {0, self.n_policies} and done % self.chunk_size:
            raise CheckpointError(f"{p}: checkpoint count {done} is not a whole number of chunks")
        if done == 0:
            shutil.rmtree(p)
            return
        # cut off a chunk that was being appended when the run was killed
        for _, arr in group.arrays():
            dims = list(arr.metadata.dimension_names or ())
            if "policy" in dims and arr.shape[dims.index("policy")] != done:
                shape = list(arr.shape)
                shape[dims.index("policy")] = done
                arr.resize(tuple(shape))
        self._done = done

    def done(self) -> list[tuple[int, int]]:
        """Chunks already in the store, in policy order."""
        return [b for b in chunk_bounds(self.n_policies, self.chunk_size) if b[1] <= self._done]

    def save(self, ds: xr.Dataset, start: int, stop: int) -> Path:
        """Append the chunk ``[start, stop)`` (it must follow the last one stored), then record it."""
        import zarr

        if start != self._done:
            raise ValueError(f"chunk [{start}, {stop}) does not follow the {self._done} stored")
        self._append(ds, start)
        group = zarr.open_group(str(self.path), mode="r+")
        group.attrs[CHECKPOINT_ATTR] = json.dumps(self._record(stop))
        self._done = stop
        return Path(self.path)

    def _append(self, ds: xr.Dataset, start: int) -> None:
        """Write a chunk's data; the record still says ``start`` policies until :meth:`save` ends.

        xarray rewrites the group's attributes with every append, so the record goes along
        unchanged: a run killed during the append leaves the previous count.
        """
        out = _for_zarr(ds)
        out.attrs[CHECKPOINT_ATTR] = json.dumps(self._record(start))
        out.attrs[ORDER_ATTR] = json.dumps([*ds.data_vars, *ds.coords])
        if start == 0:
            enc = {
                v: {
                    "chunks": tuple(
                        self.chunk_size if d == "policy" else n
                        for d, n in zip(out[v].dims, out[v].shape, strict=True)
                    )
                }
                for v in out.variables
                if "policy" in out[v].dims and v != "policy"
            }
            out.to_zarr(self.path, mode="w", encoding=enc, consolidated=False)
        else:
            out.to_zarr(self.path, append_dim="policy", consolidated=False)

    def set_attrs(self, attrs: dict) -> None:
        """Add dataset attributes (provenance known only at the end of a run)."""
        import zarr

        group = zarr.open_group(str(self.path), mode="r+")
        for k, v in attrs.items():
            if k not in (CHECKPOINT_ATTR, ORDER_ATTR):
                group.attrs[k] = v.tolist() if isinstance(v, np.ndarray | np.generic) else v

    def result(self) -> xr.Dataset:
        """The whole Simulation Dataset, opened lazily (:func:`open_results`)."""
        if self._done != self.n_policies:
            raise CheckpointError(f"{self.path}: {self._done} of {self.n_policies} policies stored")
        return open_results(self.path)


class _SimulateChunks:
    """Picklable chunk function over a policy grid for :func:`simulate_to_zarr`."""

    def __init__(self, world, policies, **kw):
        pols = policies if isinstance(policies, PolicyGrid) else list(policies)
        self.world, self.kw = world, kw
        self.grid = pols if isinstance(pols, PolicyGrid) else PolicyGrid(pols, pols[0])

    def __call__(self, start: int, stop: int) -> xr.Dataset:
        # the grid's chunk carries its labels and sampled parameters into the results
        return simulate(
            self.world,
            self.grid.chunk(start, stop),
            status_quo=self.grid.status_quo,
            policy_offset=start,
            progress=False,
            **self.kw,
        )


def simulate_to_zarr(
    world,
    policies,
    path: str | os.PathLike,
    *,
    n_paths: int,
    n_steps: int,
    seed: int,
    by_territory: bool = False,
    chunk_size: int = 64,
    progress: bool = True,
    restart: bool = False,
    on_chunk=None,
) -> xr.Dataset:
    """Simulate a policy list chunk by chunk into a Zarr store; a rerun resumes.

    Parameters
    ----------
    world : World
    policies : sequence of Policy
        Element 0 is the status quo (a :class:`~channelsim.policy.PolicyGrid` is one).
    path : path
        The ``.zarr`` store.
    n_paths, n_steps, seed, by_territory
        As in :func:`channelsim.simulate.simulate`.
    chunk_size : int
        Policies per chunk (and per store chunk).
    progress, restart, on_chunk
        As in :func:`~channelsim.scenario.run_chunks` and :meth:`ZarrStore.open`.

    Returns
    -------
    xarray.Dataset
        The Simulation Dataset, opened lazily from the store.

    Examples
    --------
    >>> callable(simulate_to_zarr)
    True
    """
    pols = list(policies)
    fn = _SimulateChunks(
        world, policies, n_paths=n_paths, n_steps=n_steps, seed=seed, by_territory=by_territory
    )
    fp = fingerprint(
        "simulate",
        world_hash(world),
        [p.digest() for p in pols],
        n_paths,
        n_steps,
        seed,
        by_territory,
        package_version(),
    )
    store = ZarrStore(path, fp, len(pols), chunk_size)
    store.open(restart=restart)
    return run_chunks(
        fn, len(pols), chunk_size=chunk_size, store=store, progress=progress, on_chunk=on_chunk
    )
