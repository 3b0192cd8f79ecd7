"""Run a policy list in chunks, in-process or on Dask, with atomic checkpoints and resume.

The unit of work is a *chunk function*: a picklable callable ``fn(start, stop) -> xr.Dataset``
returning the Simulation Dataset (DESIGN.md section 7) of the global policies ``start ..
stop - 1``. The simulator keys its random numbers by path, entity and step, never by chunk or
policy, so the merged result does not depend on how the policy list was cut, nor on where the
chunks ran. This module only has to keep that promise when it merges: chunks are put back in
policy order, string coordinates get one fixed-width dtype, attributes one set of types, and
file encodings are dropped, whether a chunk was just computed, came back from a Dask worker or was
read from a checkpoint.

Checkpoints live in ``OUT/chunks/``: a ``manifest.json`` with the run's fingerprint (a hash of
everything that determines the results) and one NetCDF file per finished chunk, each written to
a temporary name and renamed, so a killed run leaves either a whole chunk file or none. A rerun
with the same fingerprint skips the chunks on disk; a different fingerprint is refused with a
clear error rather than mixing two runs.

Depends on numpy, xarray, tqdm and (only when a Dask client is passed) ``dask.distributed``.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from channelsim._atomic import atomic_write, atomic_write_bytes
from channelsim.provenance import fingerprint
from channelsim.scenario._dask import warm_workers

__all__ = [
    "CheckpointError",
    "ChunkStore",
    "chunk_bounds",
    "dataset_differences",
    "fingerprint",
    "merge_chunks",
    "normalize_attrs",
    "run_chunks",
    "write_netcdf_atomic",
]


ChunkFn = Callable[[int, int], xr.Dataset]

#: Attributes a chunk may carry that depend on how the policy list was cut; dropped on merge.
CHUNK_ATTRS = ("policy_offset", "chunk_start", "chunk_stop", "n_policies_in_chunk")


class CheckpointError(ValueError):
    """The checkpoint folder belongs to another run, or a checkpoint is unreadable."""

    is_bad_input = True


def chunk_bounds(n_policies: int, chunk_size: int) -> list[tuple[int, int]]:
    """Cut ``range(n_policies)`` into consecutive ``[start, stop)`` chunks.

    Parameters
    ----------
    n_policies : int
        Number of policies, at least 1.
    chunk_size : int
        Policies per chunk, at least 1 (the last chunk may be shorter).

    Returns
    -------
    list of (int, int)

    Examples
    --------
    >>> chunk_bounds(7, 3)
    [(0, 3), (3, 6), (6, 7)]
    """
    if n_policies < 1:
        raise ValueError(f"n_policies must be at least 1, got {n_policies}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    return [(s, min(s + chunk_size, n_policies)) for s in range(0, n_policies, chunk_size)]


def normalize_attrs(attrs: dict) -> dict:
    """Attributes as they come back from a NetCDF file, whatever produced them.

    Integers become ``numpy.int64``, floats ``numpy.float64``, booleans ``numpy.int8``,
    sequences numpy arrays, ``None`` is dropped and anything else is converted to ``str``; keys are
    sorted. Applied to every chunk so that fresh, pickled and checkpointed chunks agree.

    Examples
    --------
    >>> normalize_attrs({"seed": 3, "ok": True, "name": "x", "skip": None})
    {'name': 'x', 'ok': np.int8(1), 'seed': np.int64(3)}
    """
    out: dict = {}
    for k in sorted(attrs):
        v = attrs[k]
        if v is None:
            continue
        if isinstance(v, bool | np.bool_):
            out[k] = np.int8(int(v))
        elif isinstance(v, int | np.integer):
            out[k] = np.int64(v)
        elif isinstance(v, float | np.floating):
            out[k] = np.float64(v)
        elif isinstance(v, str):
            out[k] = v
        elif isinstance(v, list | tuple | np.ndarray):
            arr = np.asarray(v)
            if arr.dtype.kind in "US" or arr.dtype == object:
                arr = arr.astype(str)
            elif arr.dtype.kind == "b":
                arr = arr.astype(np.int8)
            out[k] = arr
        else:
            out[k] = str(v)
    return out


def _canonical(ds: xr.Dataset) -> xr.Dataset:
    """One representation for a chunk or a merged result (see module docstring)."""
    ds = ds.drop_encoding()
    ds.attrs = normalize_attrs({k: v for k, v in ds.attrs.items() if k not in CHUNK_ATTRS})
    for name in list(ds.variables):
        var = ds.variables[name]
        var.attrs = normalize_attrs(var.attrs)
        if var.dtype == object or var.dtype.kind == "S":
            ds = (
                ds.assign_coords({name: var.astype(str)})
                if name in ds.coords
                else ds.assign({name: var.astype(str)})
            )
    return ds


def merge_chunks(chunks: Sequence[xr.Dataset]) -> xr.Dataset:
    """Concatenate chunk Datasets along ``policy`` in policy order and check the cover.

    Parameters
    ----------
    chunks : sequence of xarray.Dataset
        Each with an integer ``policy`` dimension coordinate; together they must hold the
        policies ``0 .. n - 1`` exactly once.

    Returns
    -------
    xarray.Dataset
        Canonical representation: attributes normalised (:func:`normalize_attrs`), string
        coordinates fixed-width, no file encodings; the attributes are those of the chunk
        holding policy 0.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> a = xr.Dataset({"x": ("policy", [1.0, 2.0])}, coords={"policy": [0, 1]})
    >>> b = xr.Dataset({"x": ("policy", [3.0])}, coords={"policy": [2]})
    >>> merge_chunks([b, a]).x.values.tolist()
    [1.0, 2.0, 3.0]
    """
    if not chunks:
        raise ValueError("no chunks to merge")
    ordered = sorted(chunks, key=lambda c: int(c["policy"].values[0]))
    merged = xr.concat(
        [_canonical(c) for c in ordered],
        dim="policy",
        data_vars="minimal",
        coords="minimal",
        compat="override",
        join="override",
        combine_attrs="override",
    )
    policy = merged["policy"].values
    if not np.array_equal(policy, np.arange(policy.size)):
        raise ValueError(
            "chunks do not cover the policies 0..n-1 exactly once "
            f"(got {policy.size} policies, first {policy[:5].tolist()})"
        )
    return _canonical(merged)


@contextmanager
def _local_io():
    """File I/O with process-local locks even while a Dask client is active.

    xarray picks its file lock from the active Dask scheduler; with a distributed client it would
    take a cluster-wide lock, which fails for in-memory targets and is pointless for files only
    this process touches.
    """
    import dask

    with dask.config.set(scheduler="synchronous"):
        yield


def write_netcdf_atomic(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write ``ds`` to ``path`` (h5netcdf) through a temporary file in the same folder and rename.

    A reader never sees a half-written file: a killed writer leaves the old file (or none) and a
    stray ``.tmp`` file that the next write ignores.

    Examples
    --------
    >>> import tempfile, os, xarray as xr
    >>> p = write_netcdf_atomic(xr.Dataset({"x": ("i", [1.0])}), os.path.join(tempfile.mkdtemp(), "a.nc"))
    >>> p.name
    'a.nc'
    """

    def write(tmp: Path) -> None:
        with _local_io():
            ds.to_netcdf(tmp, engine="h5netcdf")

    return atomic_write(path, write)


@dataclass
class ChunkStore:
    """Checkpoint folder of one run: a manifest and one NetCDF file per finished chunk.

    Parameters
    ----------
    directory : path
        Usually ``OUT/chunks``; created when missing.
    fingerprint : str
        Digest of everything that determines the results (:func:`fingerprint`).
    n_policies, chunk_size : int
        How the policy list is cut; part of the manifest.

    Examples
    --------
    >>> import tempfile
    >>> store = ChunkStore(tempfile.mkdtemp(), "abc", 10, 5)
    >>> store.open()
    >>> store.done()
    []
    """

    directory: str | os.PathLike
    fingerprint: str
    n_policies: int
    chunk_size: int

    def __post_init__(self):
        self.directory = Path(self.directory)

    @property
    def manifest_path(self) -> Path:
        return Path(self.directory) / "manifest.json"

    def path(self, start: int, stop: int) -> Path:
        """File of the chunk ``[start, stop)``."""
        return Path(self.directory) / f"policies_{start:08d}_{stop:08d}.nc"

    def open(self, *, restart: bool = False) -> None:
        """Create the folder, or check that it belongs to this run (``restart`` wipes it).

        Raises
        ------
        CheckpointError
            The folder holds checkpoints of a run with another fingerprint or chunking.
        """
        d = Path(self.directory)
        d.mkdir(parents=True, exist_ok=True)
        manifest = {
            "fingerprint": self.fingerprint,
            "n_policies": int(self.n_policies),
            "chunk_size": int(self.chunk_size),
        }
        if restart:
            for f in d.glob("policies_*.nc"):
                f.unlink()
            self.manifest_path.unlink(missing_ok=True)
        if self.manifest_path.exists():
            try:
                old = json.loads(self.manifest_path.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise CheckpointError(f"{self.manifest_path}: unreadable manifest ({exc})") from exc
            if old != manifest:
                raise CheckpointError(
                    f"{d} holds checkpoints of a different run (the scenario, seed, paths, "
                    "horizon, world or chunk size changed). Use another --out folder, or pass "
                    "--restart to discard them."
                )
        else:
            if any(d.glob("policies_*.nc")):
                raise CheckpointError(f"{d} holds chunk files but no manifest; pass --restart")
            atomic_write_bytes(
                self.manifest_path, json.dumps(manifest, indent=1).encode(), fsync=True
            )

    def done(self) -> list[tuple[int, int]]:
        """Chunks with a finished checkpoint file, in policy order."""
        out = []
        for f in sorted(Path(self.directory).glob("policies_*.nc")):
            _, a, b = f.stem.split("_")
            out.append((int(a), int(b)))
        return out

    def save(self, ds: xr.Dataset, start: int, stop: int) -> Path:
        """Write a chunk atomically (temporary file, then rename)."""
        path = self.path(start, stop)
        write_netcdf_atomic(_canonical(ds), path)
        return path

    def load(self, start: int, stop: int) -> xr.Dataset:
        """Read a finished chunk into memory."""
        path = self.path(start, stop)
        try:
            with _local_io():
                return xr.load_dataset(path, engine="h5netcdf")
        except Exception as exc:  # a truncated file cannot happen (atomic), but say so if it does
            raise CheckpointError(f"{path}: unreadable checkpoint ({exc}); pass --restart") from exc


def _run_chunk_task(fn: ChunkFn, start: int, stop: int) -> xr.Dataset:
    # Module-level so Dask pickles it by reference.
    return fn(start, stop)


def run_chunks(
    fn: ChunkFn,
    n_policies: int,
    *,
    chunk_size: int,
    store: ChunkStore | None = None,
    client: Any = None,
    progress: bool = True,
    desc: str = "policies",
    on_chunk: Callable[[int, int], None] | None = None,
) -> xr.Dataset:
    """Run ``fn`` over chunks of the policy list and merge the results.

    Parameters
    ----------
    fn : callable ``(start, stop) -> xarray.Dataset``
        Computes the Simulation Dataset of the global policies ``start .. stop - 1``. Must be
        picklable when ``client`` is given (it is scattered to every worker once).
    n_policies : int
        Total number of policies (policy 0 is the status quo).
    chunk_size : int
        Policies per chunk.
    store : ChunkStore or ZarrStore, optional
        Checkpoint folder (already :meth:`~ChunkStore.open`-ed): finished chunks are read from
        it instead of recomputed, and each new chunk is saved there as soon as it finishes.
        A :class:`~channelsim.scenario.ZarrStore` is the results store itself: chunks are
        appended to it in policy order, none is kept in memory, and the result is opened
        lazily from it.
    client : dask.distributed.Client, optional
        Run the chunks as Dask tasks; ``None`` runs them one after another in this process.
    progress : bool
        Show a tqdm progress bar counting policies.
    desc : str
        Progress bar label.
    on_chunk : callable ``(start, stop)``, optional
        Called after each new chunk is finished and checkpointed (tests use it to interrupt a
        run).

    Returns
    -------
    xarray.Dataset
        The merged Dataset (:func:`merge_chunks`), identical bit for bit however it was cut,
        run or resumed.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> def fn(a, b):
    ...     return xr.Dataset({"x": ("policy", np.arange(a, b) ** 2.0)},
    ...                       coords={"policy": np.arange(a, b)})
    >>> run_chunks(fn, 5, chunk_size=2, progress=False).x.values.tolist()
    [0.0, 1.0, 4.0, 9.0, 16.0]
    """
    from tqdm.auto import tqdm

    bounds = chunk_bounds(n_policies, chunk_size)
    results: dict[tuple[int, int], xr.Dataset] = {}
    on_disk = set(store.done()) if store is not None else set()
    if store is not None and not getattr(store, "appends", False):
        for b in bounds:
            if b in on_disk:
                results[b] = store.load(*b)
    todo = [b for b in bounds if b not in on_disk]
    bar = tqdm(
        total=n_policies,
        initial=sum(b - a for a, b in on_disk),
        desc=desc,
        unit="policy",
        disable=not progress,
        leave=True,
    )

    # A store that appends (ZarrStore) takes the chunks in policy order and keeps them itself:
    # chunks that finish early wait here for their predecessors, then leave memory.
    appends = bool(getattr(store, "appends", False))
    waiting: dict[tuple[int, int], xr.Dataset] = {}
    queue = list(todo)

    def finish(b: tuple[int, int], ds: xr.Dataset) -> None:
        ds = _canonical(ds)
        _check_chunk(ds, *b)
        if not appends:
            if store is not None:
                store.save(ds, *b)
            results[b] = ds
            bar.update(b[1] - b[0])
            if on_chunk is not None:
                on_chunk(*b)
            return
        waiting[b] = ds
        while queue and queue[0] in waiting:
            nb = queue.pop(0)
            store.save(waiting.pop(nb), *nb)
            bar.update(nb[1] - nb[0])
            if on_chunk is not None:
                on_chunk(*nb)

    try:
        if client is None:
            for b in todo:
                finish(b, fn(*b))
        elif todo:
            _run_on_dask(client, fn, todo, finish)
    finally:
        bar.close()
    if appends:
        return store.result()
    return merge_chunks([results[b] for b in bounds])


def _check_chunk(ds: xr.Dataset, start: int, stop: int) -> None:
    if "policy" not in ds.dims:
        raise ValueError("a chunk result must have a 'policy' dimension")
    got = ds["policy"].values
    if not np.array_equal(got, np.arange(start, stop)):
        raise ValueError(
            f"chunk [{start}, {stop}) returned policies {got[:3].tolist()}... "
            "(the chunk function must label policies globally)"
        )


def _run_on_dask(client, fn: ChunkFn, todo: Iterable[tuple[int, int]], finish) -> None:
    from distributed import as_completed

    todo = list(todo)
    token = uuid.uuid4().hex[:12]  # task keys unique to this run
    if hasattr(fn, "warmup"):
        warm_workers(client, fn, "channelsim-kernels")
    # Ship the chunk function (and the world, policies, effects it holds) once per worker.
    [fn_future] = client.scatter([fn], broadcast=True, hash=False)
    bounds_of = {}
    futures = []
    for a, b in todo:
        fut = client.submit(
            _run_chunk_task,
            fn_future,
            a,
            b,
            key=f"channelsim-chunk-{token}-{a:08d}-{b:08d}",
            pure=False,
            retries=1,
        )
        bounds_of[fut.key] = (a, b)
        futures.append(fut)
    try:
        for fut, ds in as_completed(futures, with_results=True):
            finish(bounds_of[fut.key], ds)
            fut.release()
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)
        fn_future.release()


def dataset_differences(a: xr.Dataset, b: xr.Dataset) -> list[str]:
    """Every difference between two Datasets, bit for bit (empty list when identical).

    Compares variable and coordinate names, dims, dtypes, raw bytes of the values (so NaNs in
    the same places with the same payload are equal) and attributes.

    Examples
    --------
    >>> import xarray as xr
    >>> a = xr.Dataset({"x": ("policy", [1.0, float("nan")])})
    >>> dataset_differences(a, a.copy(deep=True))
    []
    >>> dataset_differences(a, a + 1e-16 * 0 + a * 1e-12)
    ['x: values differ']
    """
    out: list[str] = []
    if set(a.variables) != set(b.variables):
        out.append(f"variables differ: {sorted(set(a.variables) ^ set(b.variables))}")
    if dict(a.sizes) != dict(b.sizes):
        out.append(f"sizes differ: {dict(a.sizes)} vs {dict(b.sizes)}")
    for name in sorted(set(a.variables) & set(b.variables)):
        va, vb = a.variables[name], b.variables[name]
        if va.dims != vb.dims:
            out.append(f"{name}: dims {va.dims} vs {vb.dims}")
            continue
        if va.dtype != vb.dtype:
            out.append(f"{name}: dtype {va.dtype} vs {vb.dtype}")
            continue
        x, y = np.ascontiguousarray(va.values), np.ascontiguousarray(vb.values)
        same = x.tolist() == y.tolist() if x.dtype == object else x.tobytes() == y.tobytes()
        if x.shape != y.shape or not same:
            out.append(f"{name}: values differ")
        if not _attrs_equal(va.attrs, vb.attrs):
            out.append(f"{name}: attrs differ")
    if not _attrs_equal(a.attrs, b.attrs):
        out.append(f"attrs differ: {a.attrs} vs {b.attrs}")
    return out


def _attrs_equal(x: dict, y: dict) -> bool:
    if set(x) != set(y):
        return False
    for k in x:
        u, v = x[k], y[k]
        if isinstance(u, np.ndarray) or isinstance(v, np.ndarray):
            if not np.array_equal(np.asarray(u), np.asarray(v)):
                return False
        elif type(u) is not type(v) or u != v:
            return False
    return True
