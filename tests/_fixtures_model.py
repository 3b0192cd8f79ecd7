"""Session fixtures of the model tests: a tiny book, ONE fitted model and its saved file.

The notebook and CLI tests reuse them; the fit takes about half a minute on two cores.
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


@pytest.fixture(scope="session")
def fitted_model(model_book):
    """The session's one fitted :class:`~channelsim.model.ChannelModel` (do not mutate)."""
    from channelsim.model import ChannelModel, DiagnosticsWarning

    model = ChannelModel(**FIT_SETTINGS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DiagnosticsWarning)
        model.fit(model_book, random_seed=11)
    return model


@pytest.fixture(scope="session")
def model_file(fitted_model, tmp_path_factory):
    """The session model saved to a NetCDF file."""
    return fitted_model.save(tmp_path_factory.mktemp("model") / "fit.nc")
