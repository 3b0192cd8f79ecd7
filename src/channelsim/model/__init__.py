"""The Bayesian hierarchical model: fit a book, diagnose, save, and fill the World schema.

``ChannelModel(config).fit(book)`` estimates every term of the generative process of
DESIGN.md section 3 (:mod:`channelsim.world`) with PyMC; ``model.to_world()`` hands the
posterior to forecasts and the simulator. See ``docs/model.md``.

Layer rule: the only package that imports PyMC. Importing ``channelsim.model`` is cheap; PyMC
itself is imported when a fit starts (:mod:`channelsim.model._build`, ``_sampling``).
"""

from __future__ import annotations

from channelsim.model._config import DEFAULT_SAMPLER, SAMPLERS, ModelConfig, ModelConfigError
from channelsim.model._diagnostics import Diagnostics, DiagnosticsWarning
from channelsim.model._io import ModelFileError
from channelsim.model._model import ChannelModel, NotFittedError
from channelsim.model._priors import Priors, StateSpacePriors
from channelsim.model._sbc import draw_prior_world, make_prior_book

__all__ = [
    "DEFAULT_SAMPLER",
    "SAMPLERS",
    "ChannelModel",
    "Diagnostics",
    "DiagnosticsWarning",
    "ModelConfig",
    "ModelConfigError",
    "ModelFileError",
    "NotFittedError",
    "Priors",
    "StateSpacePriors",
    "draw_prior_world",
    "make_prior_book",
]
