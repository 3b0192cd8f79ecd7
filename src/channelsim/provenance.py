"""Provenance: the package version key, every hash, and the record written with outputs.

Every writer (model files, forecast tables, Simulation Datasets, scenario checkpoints) takes
its hashes and its version key from here, so a result says in one dialect where it came from
(DESIGN.md section 5: "provenance (seed, config hash, data hash, package version) in attrs or
file metadata"). All digests are sha256; short ones are its first 16 hex digits.

Depends on the standard library and numpy only (base layer: every package may import it).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from channelsim import __version__

__all__ = [
    "SHORT",
    "VERSION_KEY",
    "compatible_versions",
    "file_hash",
    "fingerprint",
    "hasher",
    "json_hash",
    "package_version",
    "record",
    "text_hash",
    "version_key",
    "world_hash",
]

#: The key under which every output records the package version.
VERSION_KEY = "channelsim_version"
#: Hex digits of a short digest (policy digests, world and simulation config hashes).
SHORT = 16


def package_version() -> str:
    """The installed channelsim version (``0.0.0+unknown`` in a bare source tree).

    Examples
    --------
    >>> isinstance(package_version(), str)
    True
    """
    return __version__


def version_key(v: str) -> tuple[int, int]:
    """``(major, minor)`` of a version string; ``(-1, -1)`` when it cannot be read.

    Examples
    --------
    >>> version_key("0.1.3+g1234"), version_key("dev")
    ((0, 1), (-1, -1))
    """
    parts = ([*str(v).split("+")[0].split("."), "0", "0"])[:2]
    try:
        return int(parts[0]), int(parts[1])
    except ValueError:
        return (-1, -1)


def compatible_versions(file_version: str, current: str | None = None) -> bool:
    """Whether a file written by ``file_version`` can be read by ``current`` (default this
    package): the same major version, and the same minor version while the major is 0.

    Examples
    --------
    >>> compatible_versions("0.1.0", "0.1.3"), compatible_versions("0.1.0", "0.2.0")
    (True, False)
    """
    a, b = version_key(file_version), version_key(__version__ if current is None else current)
    if a[0] < 0 or b[0] < 0:
        return False
    return a[0] == b[0] and (a[0] > 0 or a[1] == b[1])


def hasher():
    """A fresh incremental sha256 (``update(bytes)``, ``hexdigest()``), for digests built
    piece by piece (the canonical tables of a book, the numba cache stamp).

    Examples
    --------
    >>> h = hasher()
    >>> h.update(b"abc")
    >>> h.hexdigest()[:12]
    'ba7816bf8f01'
    """
    return hashlib.sha256()


def text_hash(text: str, length: int | None = None) -> str:
    """sha256 hex digest of a string (its first ``length`` digits if given).

    Examples
    --------
    >>> text_hash("abc")[:12], len(text_hash("abc", SHORT))
    ('ba7816bf8f01', 16)
    """
    digest = hashlib.sha256(text.encode()).hexdigest()
    return digest if length is None else digest[:length]


def json_hash(obj: Any, length: int | None = None) -> str:
    """sha256 of ``obj`` as JSON with sorted keys (values JSON cannot write as ``str``).

    Examples
    --------
    >>> json_hash({"b": 1, "a": 2}) == json_hash({"a": 2, "b": 1})
    True
    """
    return text_hash(json.dumps(obj, sort_keys=True, default=str), length)


def file_hash(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """sha256 hex digest of a file's bytes (the "model hash" of a model file).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(delete=False) as fh:
    ...     _ = fh.write(b"abc")
    >>> file_hash(fh.name)[:12]
    'ba7816bf8f01'
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return {"dtype": str(obj.dtype), "shape": list(obj.shape), "sha": _array_sha(obj)}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    return repr(obj)


def _array_sha(arr: np.ndarray) -> str:
    a = np.ascontiguousarray(arr)
    if a.dtype == object:
        return hashlib.sha256(repr(a.tolist()).encode()).hexdigest()
    return hashlib.sha256(a.tobytes()).hexdigest()


def fingerprint(*parts: Any) -> str:
    """A stable hex digest of JSON-like parts (dicts, lists, numbers, strings, numpy arrays).

    Examples
    --------
    >>> fingerprint({"seed": 1}) == fingerprint({"seed": 1})
    True
    >>> fingerprint({"seed": 1}) == fingerprint({"seed": 2})
    False
    """
    text = json.dumps(_jsonable(list(parts)), sort_keys=True, separators=(",", ":"))
    return text_hash(text)


def world_hash(world) -> str:
    """A short sha256 of a world's arrays (dtype, shape, bytes), labels and calendar.

    Examples
    --------
    >>> from channelsim.datasets import draw_world
    >>> w = draw_world(2, 6, seed=0)
    >>> world_hash(w) == world_hash(draw_world(2, 6, seed=0)), len(world_hash(w))
    (True, 16)
    """
    h = hashlib.sha256()
    for name, value in sorted(world.to_dict().items()):
        h.update(name.encode())
        if isinstance(value, np.ndarray):
            h.update(str(value.dtype).encode() + str(value.shape).encode())
            h.update(np.ascontiguousarray(value).tobytes())
        else:
            h.update(repr(value).encode())
    return h.hexdigest()[:SHORT]


def _plain(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path) or type(obj).__name__ == "Period":
        return str(obj)
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


def record(*, seed: int | None, **facts) -> dict:
    """The provenance record written with an output: the seed, the package version under
    :data:`VERSION_KEY`, and any other facts (hashes, origin, horizon, draws ...).

    Values must be JSON-serialisable; numpy scalars and arrays, paths and pandas Periods are
    converted.

    Examples
    --------
    >>> sorted(record(seed=1, model_hash="abc", horizon=4))
    ['channelsim_version', 'horizon', 'model_hash', 'seed']
    """
    rec = {"seed": seed, VERSION_KEY: __version__, **facts}
    return json.loads(json.dumps(rec, default=_plain))
