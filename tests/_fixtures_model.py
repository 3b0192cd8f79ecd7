"""Session fixtures of the model tests: a tiny book, ONE fitted model and its saved file.

The notebook and CLI tests reuse them. The fit (about 75 s on two idle cores) runs once per
test run, not once per xdist worker: it is shared through a file under a lock.
"""

from __future__ import annotations

import warnings

import pytest

__all__ = ["fitted_model", "model_book", "model_file", "model_truth"]

#: Settings of the session fit: few draws (the diagnostics warning is expected).
FIT_SETTINGS = {"draws": 100, "tune": 150, "chains": 2, "target_accept": 0.9, "progressbar": False}


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


def _fit_once(book, path):
    """Fit the session model and save it to ``path`` unless another xdist worker did."""
    from filelock import FileLock

    from channelsim.model import ChannelModel, DiagnosticsWarning

    with FileLock(str(path) + ".lock"):
        if not path.is_file():
            model = ChannelModel(**FIT_SETTINGS)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DiagnosticsWarning)
                model.fit(book, random_seed=11)
            model.save(path)
    return path


@pytest.fixture(scope="session")
def model_file(model_book, tmp_path_factory, worker_id):
    """The session model's NetCDF file, fitted ONCE for all xdist workers.

    The first worker to ask fits and saves it under the run's shared temporary folder while
    holding a file lock; the others wait for the lock and find the file (the pytest-xdist
    recipe for a session fixture executed once)."""
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    return _fit_once(model_book, shared / "session_fit.nc")


@pytest.fixture(scope="session")
def fitted_model(model_file):
    """The session's one fitted :class:`~channelsim.model.ChannelModel`, read from
    :func:`model_file` (so every worker sees the same model; do not mutate)."""
    from channelsim.model import ChannelModel

    return ChannelModel.load(model_file)
