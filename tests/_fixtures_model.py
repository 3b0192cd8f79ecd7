"""Session fixtures of the model tests: a tiny book, ONE fitted model and its saved file.

The notebook and CLI tests reuse them. The fit (about 75 s on two idle cores) runs once per
test run, not once per xdist worker: it is shared through a file under a lock.
"""

from __future__ import annotations

import warnings

import pytest

__all__ = ["FIT_ARGS", "fitted_model", "model_book", "model_file", "model_truth", "run_folder"]

#: Settings of the session fit, as ``channelsim fit`` options: few draws (the diagnostics
#: warning is expected); the fit's printed report is kept beside the file for the CLI test.
FIT_ARGS = [
    *("--draws", "100", "--tune", "150", "--chains", "2", "--target-accept", "0.9"),
    *("--seed", "11", "--quiet"),
]


@pytest.fixture(scope="session")
def _tiny():
    from channelsim.datasets import make_book

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_book(3, 25, 12, seed=7)


@pytest.fixture(scope="session")
def model_book(_tiny):
    """A tiny monthly book: 3 territories, ~27 partners, 12 months, with quarters."""
    return _tiny[0]


@pytest.fixture(scope="session")
def model_truth(_tiny):
    """The true world of :func:`model_book`."""
    return _tiny[1]


def run_folder(tmp_path_factory, worker_id):
    """The temporary folder every xdist worker of this run shares (pytest's own without
    xdist): where a fit made once per run is saved for the other workers to load."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


def _fit_once(book, folder):
    """Fit the session model with ``channelsim fit`` into ``folder`` unless another xdist
    worker did; returns the model file (its printed report is ``fit_report.txt`` beside it)."""
    import contextlib
    import io

    from filelock import FileLock

    from channelsim.cli import main

    out = folder / "session_fit" / "new" / "folder" / "model.nc"
    with FileLock(str(folder / "session_fit.lock")):
        if not out.is_file():
            files = book.to_csv_dir(folder / "session_fit" / "book")
            args = ["fit", str(files.panel), "--quarters", str(files.quarters)]
            args += ["--territories", str(files.territories), "--out", str(out), *FIT_ARGS]
            text = io.StringIO()
            with contextlib.redirect_stdout(text), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                code = main(args)
            if code != 0 or not out.is_file():
                raise RuntimeError(f"channelsim fit exited {code}:\n{text.getvalue()}")
            (out.parent / "fit_report.txt").write_text(text.getvalue())
    return out


@pytest.fixture(scope="session")
def model_file(model_book, tmp_path_factory, worker_id):
    """The session model's NetCDF file, fitted ONCE for all xdist workers by ``channelsim fit``.

    The first worker to ask fits and saves it under the run's shared temporary folder while
    holding a file lock; the others wait for the lock and find the file (the pytest-xdist
    recipe for a session fixture executed once)."""
    return _fit_once(model_book, run_folder(tmp_path_factory, worker_id))


@pytest.fixture(scope="session")
def fitted_model(model_file):
    """The session's one fitted :class:`~channelsim.model.ChannelModel`, read from
    :func:`model_file` (so every worker sees the same model; do not mutate)."""
    from channelsim.model import ChannelModel

    return ChannelModel.load(model_file)
