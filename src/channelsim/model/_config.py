"""Model configuration: sampler settings, diagnostics thresholds and priors, with a hash.

Depends on pydantic and the standard library (never PyMC).
"""

from __future__ import annotations

import difflib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from channelsim.model._priors import Priors, StateSpacePriors
from channelsim.provenance import json_hash

__all__ = ["DEFAULT_SAMPLER", "SAMPLERS", "ModelConfig", "ModelConfigError"]

#: Samplers the model can use; ``pymc`` is always installed, the others are optional extras.
SAMPLERS: tuple[str, ...] = ("pymc", "nutpie", "numpyro")

#: The default sampler, chosen by measurement on the example book (docs/model.md,
#: ``benchmarks/bench_fit.py``).
DEFAULT_SAMPLER = "pymc"

#: Fields that do not change the fitted model (display and parallelism only).
_NOT_HASHED = frozenset({"progressbar", "cores"})


class ModelConfigError(ValueError):
    """A bad model configuration; lists every problem with a "did you mean" for typos."""

    is_bad_input = True


class ModelConfig(BaseModel):
    """Settings of :class:`~channelsim.model.ChannelModel`.

    Parameters
    ----------
    sampler : {"pymc", "nutpie", "numpyro"}
        NUTS implementation (default ``"pymc"``, chosen by measurement, see docs/model.md).
        ``nutpie`` and ``numpyro`` must be installed separately.
    draws, tune : int
        Kept draws and tuning steps per chain (defaults 1000 / 500: on the example book 500
        tuning steps gave a higher min bulk ESS than 1000 in three quarters of the time).
    chains : int
        Chains per component model (default 4; R-hat needs several).
    cores : int or None
        Chains run in parallel (default: all cores, at most ``chains``).
    target_accept : float
        NUTS target acceptance (default 0.85).
    progressbar : bool
        Show sampler progress (default True).
    amount_location : float or None
        Centre of the log-amount priors (log currency); default the book's median log
        positive sale. Fix it to make the prior independent of the data (calibration).
    rhat_max, ess_min : float
        Diagnostics thresholds: a fit warns when any parameter has R-hat above ``rhat_max``
        (default 1.01) or bulk/tail ESS below ``ess_min`` (default 400).
    max_divergences : int
        A fit warns when it has more divergent transitions (default 0).
    priors : Priors
        Prior scales (:class:`~channelsim.model.Priors`).
    territory_dynamics : {"ar1", "statespace"}
        The territory time state: ``"ar1"`` (default) a linear trend per territory plus a
        stationary AR(1) shock; ``"statespace"`` a local level with a damped local trend and
        a per-territory seasonal deviation partially pooled toward the shared pattern,
        integrated out exactly by a Kalman-type Gaussian marginal in the fit and drawn by a
        simulation smoother afterwards (docs/model.md section 8). The default is chosen by
        the backtests of docs/forecast.md.
    statespace_priors : StateSpacePriors
        Prior scales of the state-space form (used only with ``"statespace"``).

    Examples
    --------
    >>> cfg = ModelConfig(draws=200, tune=200, chains=2)
    >>> cfg.sampler, len(cfg.config_hash())
    ('pymc', 64)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    sampler: Literal["pymc", "nutpie", "numpyro"] = DEFAULT_SAMPLER
    draws: int = Field(1000, ge=1)
    tune: int = Field(500, ge=0)
    chains: int = Field(4, ge=1)
    cores: int | None = Field(None, ge=1)
    target_accept: float = Field(0.85, gt=0.5, lt=1.0)
    progressbar: bool = True
    amount_location: float | None = None
    rhat_max: float = Field(1.01, gt=1.0)
    ess_min: float = Field(400.0, gt=0)
    max_divergences: int = Field(0, ge=0)
    priors: Priors = Field(default_factory=Priors)
    territory_dynamics: Literal["ar1", "statespace"] = "ar1"
    statespace_priors: StateSpacePriors = Field(default_factory=StateSpacePriors)

    @model_validator(mode="before")
    @classmethod
    def _suggest(cls, values):
        if isinstance(values, dict):
            unknown = [k for k in values if k not in cls.model_fields]
            if unknown:
                msgs = []
                for k in unknown:
                    close = difflib.get_close_matches(k, list(cls.model_fields), n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    msgs.append(f"unknown model setting {k!r}{hint}")
                raise ValueError("; ".join(msgs))
        return values

    @classmethod
    def build(cls, config: ModelConfig | dict | None = None, **kwargs) -> ModelConfig:
        """A config from another config, a dict and/or keyword overrides.

        Raises
        ------
        ModelConfigError
            Listing every problem (unknown keys with suggestions, out-of-range values).
        """
        base = (
            {}
            if config is None
            else (config.model_dump() if isinstance(config, ModelConfig) else dict(config))
        )
        base.update(kwargs)
        try:
            return cls(**base)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                loc = ".".join(str(x) for x in err["loc"]) or "config"
                problems.append(f"{loc}: {err['msg']}")
            raise ModelConfigError(
                f"{len(problems)} problem(s) in the model config:\n"
                + "\n".join(f"  - {p}" for p in problems)
            ) from None

    def to_json(self) -> str:
        """The full config as canonical JSON (sorted keys)."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelConfig:
        """Inverse of :meth:`to_json`."""
        return cls.build(json.loads(text))

    def config_hash(self) -> str:
        """sha256 of the settings that define the fitted model (all but display/parallelism)."""
        d = {k: v for k, v in self.model_dump(mode="json").items() if k not in _NOT_HASHED}
        if d["territory_dynamics"] == "ar1":
            # an AR(1) fit does not use the state-space settings: leave them (and the switch
            # at its original value) out, so hashes of files fitted before the switch hold
            del d["territory_dynamics"], d["statespace_priors"]
        return json_hash(d)
