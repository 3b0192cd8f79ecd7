"""Link PyTensor's C BLAS ops to the OpenBLAS that SciPy's wheel already ships.

A pip install gives PyTensor no BLAS to link against: ``pytensor.config.blas__ldflags`` is
empty, and the model's matrix-vector products (``Gemv``, ``Ger``, ``Dot22``) then run as
Python thunks through NumPy, one Python call per node per gradient. SciPy's manylinux and
macOS wheels carry a full LP64 OpenBLAS (``scipy.libs/libscipy_openblas*.so``) whose symbols
carry a ``scipy_`` prefix; PyTensor's C ops call the Fortran names (``dgemm_``, ``dgemv_``,
...), so the flags map each name to its prefixed symbol with a macro and link the library by
path. Measured with ``python benchmarks/bench_blas.py --book example --fit`` (2 cores, load
1.4-1.5): one gradient of the sales model 1.45 ms -> 0.97 ms, the fit's sampling 77.5 s ->
64.6 s (``docs/model.md``, section 4, "BLAS").

Nothing changes when the user or the environment already gave PyTensor a BLAS (non-empty
``blas__ldflags``), when SciPy's library is not found or lacks the prefixed symbols, when a
test program linked with the flags does not run, or when ``CHANNELSIM_BLAS=0``. The test
program's success is remembered in PyTensor's compile directory, so later processes pay
nothing. NUTS chains run with PyMC's ``blas_cores="auto"``, which holds BLAS to one thread
per chain (threadpoolctl), so a fit's numbers do not depend on the thread count.
"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path

from channelsim._env import env_flag
from channelsim.provenance import text_hash

__all__ = ["BLAS_ROUTINES", "blas_status", "configure_blas", "scipy_openblas_flags"]

_log = logging.getLogger(__name__)

#: The BLAS routines PyTensor's C ops call (single and double precision).
BLAS_ROUTINES = ("dgemm_", "sgemm_", "dgemv_", "sgemv_", "dger_", "sger_", "ddot_", "sdot_")

_STATUS: dict[str, str] = {}


def _scipy_openblas() -> Path | None:
    """SciPy's bundled LP64 OpenBLAS (``scipy_``-prefixed symbols), or None."""
    try:
        import scipy
    except ImportError:  # pragma: no cover - scipy is a dependency
        return None
    root = Path(scipy.__file__).resolve().parent
    for folder in (root.parent / "scipy.libs", root / ".dylibs"):
        if not folder.is_dir():
            continue
        for lib in sorted(folder.glob("libscipy_openblas*")):
            # libscipy_openblas64_ is ILP64 (64-bit integers, ``_64_`` symbols): not ours
            if "openblas64" in lib.name or lib.suffix not in {".so", ".dylib"} or " " in str(lib):
                continue
            try:
                handle = ctypes.CDLL(str(lib))
            except OSError:
                continue
            if all(hasattr(handle, "scipy_" + name) for name in BLAS_ROUTINES):
                return lib
    return None


def scipy_openblas_flags() -> str | None:
    """PyTensor ``blas__ldflags`` that link SciPy's OpenBLAS, or None where there is none.

    Examples
    --------
    >>> flags = scipy_openblas_flags()
    >>> flags is None or "-Ddgemm_=scipy_dgemm_" in flags
    True
    """
    lib = _scipy_openblas()
    if lib is None:
        return None
    names = " ".join(f"-D{name}=scipy_{name}" for name in BLAS_ROUTINES)
    # -l<name> finds lib<name>.so (or .dylib) in -L<dir>: the wheel's hashed file name
    return f"-L{lib.parent} -l{lib.stem[3:]} -Wl,-rpath,{lib.parent} {names}"


def _flags_work(flags: str, compiledir: Path) -> bool:
    marker = compiledir / f"channelsim-blas-{text_hash(flags, 16)}.ok"
    if marker.exists():
        return True
    from pytensor.link.c.cmodule import try_blas_flag

    if not try_blas_flag(flags.split()):
        return False
    try:
        compiledir.mkdir(parents=True, exist_ok=True)
        marker.write_text(flags + "\n")
    except OSError:  # a read-only compile directory: test again next time
        pass
    return True


def configure_blas() -> str:
    """Give PyTensor SciPy's OpenBLAS when it has no BLAS; return what it uses.

    Called once per process before the first model is compiled. The answer is one of
    ``"configured"`` (PyTensor already had a BLAS), ``"scipy-openblas"`` (linked here),
    ``"numpy"`` (no BLAS: PyTensor's NumPy fallback) or ``"off"`` (``CHANNELSIM_BLAS=0``);
    it is kept in each fit's ``fit_info["blas"]``.
    """
    if _STATUS:
        return _STATUS["blas"]
    import pytensor

    if not env_flag("CHANNELSIM_BLAS", True):
        status = "off"
    elif pytensor.config.blas__ldflags:
        status = "configured"
    else:
        flags = scipy_openblas_flags()
        status = "numpy"
        if flags is not None:
            try:
                ok = _flags_work(flags, Path(pytensor.config.compiledir))
            except Exception as exc:  # any failure leaves PyTensor as it was
                _log.debug("SciPy's OpenBLAS not usable by PyTensor: %s", exc)
                ok = False
            if ok:
                pytensor.config.blas__ldflags = flags
                status = "scipy-openblas"
    _STATUS["blas"] = status
    return status


def blas_status() -> str | None:
    """What :func:`configure_blas` decided in this process (None before it ran)."""
    return _STATUS.get("blas")
