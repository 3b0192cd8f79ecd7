"""Atomic file writes: every file channelsim writes goes through :func:`atomic_write`.

A file is written to a temporary name in its own folder and renamed over the target only when
complete, so a reader never sees half a file and a crash leaves the previous version intact.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write", "atomic_write_bytes"]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write(
    path: str | os.PathLike, writer: Callable[[Path], object], *, fsync: bool = False
) -> Path:
    """Call ``writer(tmp)`` on a temporary path in ``path``'s folder, then rename it.

    The folder is created when missing; the file gets the usual permissions (``0666`` less
    the umask). With ``fsync`` the data reach the disk before the rename (manifests of
    resumable runs). If ``writer`` raises, the temporary file is removed and the target is
    left as it was.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> p = atomic_write(Path(d) / "sub" / "x.txt", lambda tmp: tmp.write_text("hi"))
    >>> p.read_text()
    'hi'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        writer(tmp_path)
        if fsync:
            with open(tmp_path, "rb+") as fh:
                os.fsync(fh.fileno())
        os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp creates 0600
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, fsync: bool = False) -> Path:
    """:func:`atomic_write` of ``data``."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data), fsync=fsync)
