"""The model's priors: one documented table of scales, shared by the PyMC model and SBC.

Every prior is written on the scale of one *step* of the book (a month for monthly panels, a
quarter for quarterly ones). Scales that depend on the step length are given per month and
converted by :meth:`Priors.for_steps`. The amounts are in log currency relative to
``amount_location`` (the median log positive sale of the book unless the config fixes it), so
the priors do not depend on the currency.

Depends only on the standard library and pydantic (never PyMC), so the prior sampler used
for simulation-based calibration can run without building a model.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Priors", "StateSpacePriors"]


class Priors(BaseModel):
    """Scales of every prior of :class:`~channelsim.model.ChannelModel`, with the reason.

    Notation: ``N(m, s)`` normal with mean ``m`` and standard deviation ``s``; ``HN(s)``
    half-normal with scale ``s``; ``ZSN(s)`` the zero-sum normal (iid ``N(0, s)`` minus its
    mean). Hyper-parameters of partial pooling (``sd_*``) get half-normal priors, which put
    mass at zero (no territory variation) and shrink toward it: the book has only a dozen or
    so territories, too few to learn a heavy-tailed spread. The two spreads that certainly
    exist (within a partner, between partners) get log-normal priors that keep away from
    zero.

    Attributes
    ----------
    a_stage_sd : float
        ``a_stage[s] ~ N(amount_location, 1.5)``. A stage's typical positive sale may lie a
        factor ``e^3 = 20`` either side of the book's median sale (onboarding partners sell
        small, strategic ones an order of magnitude more).
    sigma_stage_median, sigma_stage_log_sd : float
        ``sigma_stage[s] ~ LogNormal(log 0.7, 0.5)``: 90% between 0.3 and 1.6. Log-scale
        spread of one partner's positive sales around its expectation; 0.3-1.2 is usual for
        B2B deal sizes. The prior keeps away from zero on purpose: a spread under 0.2 would
        mean a partner sells nearly the same amount every step, which real books do not show,
        and with few positive sales in a stage a near-zero spread makes a funnel that NUTS
        cannot cross (found in calibration runs).
    sd_a_terr_scale : float
        ``sd_a_terr ~ HN(0.5)``; ``a_terr[t] ~ N(0, sd_a_terr)``. Territories' sale sizes
        differ by tens of percent (market size, price level), rarely by a factor 3.
    sd_a_terr_stage_scale : float
        ``sd_a_terr_stage ~ HN(0.3)``; ``a_terr_stage[t, s] ~ N(0, sd_a_terr_stage)``. The
        stage profile varies less between territories than the level does.
    sd_kappa_median, sd_kappa_log_sd : float
        ``sd_kappa ~ LogNormal(log 1.0, 0.5)`` (90% between 0.44 and 2.3);
        ``kappa[p] ~ N(0, sd_kappa)``. Partner capability spread on the log scale; about
        1.1-1.6 reproduces the usual 80/20 revenue concentration of channel programmes
        (DESIGN.md section 3). Partners always differ, so the prior keeps away from zero
        (a near-zero spread with centred partner levels is a funnel).
    h_stage_sd : float
        ``h_stage[s] ~ N(0, 2)``. Hurdle logit by stage: 0 is a 50% chance of a sale in a
        step, +-4 covers 2%-98%; onboarding partners rarely sell, strategic ones nearly
        every month.
    sd_h_terr_scale : float
        ``sd_h_terr ~ HN(0.5)``; ``h_terr[t] ~ N(0, sd_h_terr)``. Territory shifts of the
        hurdle logit of +-0.5 change a 50% sale rate to 38-62%.
    h_cap_sd : float
        ``h_cap ~ N(0, 1)``. Effect of capability on the hurdle logit per unit of
        ``kappa``: more capable partners also sell more often; the sign is not imposed.
    season_sd : float
        ``season ~ ZSN(0.2)`` over the 12 calendar months (4 quarters for quarterly books).
        Seasonal swings of +-20% with a quarter-end bump are typical of B2B; the zero-sum
        constraint keeps the stage levels identified.
    trend_mu_sd_month, trend_sd_scale_month : float
        ``trend_mu ~ N(0, 0.01)``, ``sd_trend ~ HN(0.01)`` per month (x3 per quarter);
        ``trend[t] ~ N(trend_mu, sd_trend)``. A 0.01 log growth per month is 12.7% a year;
        channel books rarely grow or shrink faster than 25% a year per territory.
    rho_beta : float
        ``(rho + 1) / 2 ~ Beta(2, 2)``. The AR(1) coefficient of the territory shock may
        have either sign; Beta(2, 2) keeps it away from +-1 (a unit root would make
        forecasts explode) while leaving 0.6-0.9 plausible.
    sigma_eta_scale_month : float
        ``sigma_eta ~ HN(0.2)`` per month (x1.5 per quarter). Territory-wide shocks of a
        few to 20% per month (a big deal slipping, a budget freeze).
    move_logit_mean_month, move_logit_sd : float
        Log-odds against staying of each allowed move (advance, dormant, exit, reactivate)
        ``~ N(log(0.035), 1.5)`` per month (``log(0.105)`` per quarter): a move about 3.5%
        of partners make each month, with 95% of the prior mass between 0.2% and 60%.
        Partner exit about 12% a year and time to first deal about 5 months are inside.
    sd_trans_scale : float
        ``sd_trans ~ HN(0.5)``; territory offsets of every move's log-odds
        ``~ N(0, sd_trans)``: territories' partner programmes differ, by a factor
        ``e^0.5 = 1.6`` on the odds at one standard deviation.
    recruit_log_mean_month, recruit_log_sd : float
        ``log(recruit_rate[t] / target_partners[t]) ~ N(mu_recruit, sd_recruit)``, with
        ``mu_recruit ~ N(log(0.015), 1.0)`` per month (``log(0.045)`` per quarter): a
        territory recruits about 1.5% of its planned partner count a month (18% a year),
        within a factor ``e^2 = 7`` either way.
    sd_recruit_scale : float
        ``sd_recruit ~ HN(0.5)``: recruiting effort differs between territories by tens of
        percent, more in immature ones.
    commit_bias_sd : float
        ``commit_bias ~ N(0, 0.3)``: commits are typically about 10% optimistic (DESIGN.md
        section 4); +-30% at one standard deviation allows heavy sandbagging or optimism.
    commit_sd_scale : float
        ``commit_sd ~ HN(0.5)``: about 30% absolute error at 90 days is typical.

    Examples
    --------
    >>> Priors().a_stage_sd
    1.5
    >>> round(Priors().for_steps(1)["trend_mu_sd"], 3)
    0.03
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    a_stage_sd: float = Field(1.5, gt=0)
    sigma_stage_median: float = Field(0.7, gt=0)
    sigma_stage_log_sd: float = Field(0.5, gt=0)
    sd_a_terr_scale: float = Field(0.5, gt=0)
    sd_a_terr_stage_scale: float = Field(0.3, gt=0)
    sd_kappa_median: float = Field(1.0, gt=0)
    sd_kappa_log_sd: float = Field(0.5, gt=0)
    h_stage_sd: float = Field(2.0, gt=0)
    sd_h_terr_scale: float = Field(0.5, gt=0)
    h_cap_sd: float = Field(1.0, gt=0)
    season_sd: float = Field(0.2, gt=0)
    trend_mu_sd_month: float = Field(0.01, gt=0)
    trend_sd_scale_month: float = Field(0.01, gt=0)
    rho_beta: float = Field(2.0, gt=0)
    sigma_eta_scale_month: float = Field(0.2, gt=0)
    move_logit_mean_month: float = math.log(0.035)
    move_logit_sd: float = Field(1.5, gt=0)
    sd_trans_scale: float = Field(0.5, gt=0)
    recruit_log_mean_month: float = math.log(0.015)
    recruit_log_sd: float = Field(1.0, gt=0)
    sd_recruit_scale: float = Field(0.5, gt=0)
    commit_bias_sd: float = Field(0.3, gt=0)
    commit_sd_scale: float = Field(0.5, gt=0)

    def for_steps(self, steps_per_quarter: int) -> dict[str, float]:
        """The prior scales for a book with ``steps_per_quarter`` (3 monthly, 1 quarterly).

        Per-month scales are converted: trends x3, shock scale x1.5 (a quarter's shock
        averages three correlated monthly ones), move and recruit log-rates ``+ log 3``.
        """
        k = 3 // int(steps_per_quarter)
        log_k = math.log(k)
        out = self.model_dump()
        out["trend_mu_sd"] = self.trend_mu_sd_month * k
        out["trend_sd_scale"] = self.trend_sd_scale_month * k
        out["sigma_eta_scale"] = self.sigma_eta_scale_month * (1.5 if k == 3 else 1.0)
        out["move_logit_mean"] = self.move_logit_mean_month + log_k
        out["recruit_log_mean"] = self.recruit_log_mean_month + log_k
        return out


class StateSpacePriors(BaseModel):
    """Prior scales of the state-space territory dynamics (``territory_dynamics="statespace"``).

    The territory time state is ``level + delta`` on top of the shared ``season``
    (docs/model.md section 8). Its start: the level is zero at the book's first step (the
    territory's level there is ``a_terr`` and the stage terms, as in the AR(1) form), the
    trend ``b[0] ~ N(trend_mu, sd_trend)`` with ``trend_mu`` and ``sd_trend`` from
    :class:`Priors` (the AR(1) form's territory trends), and the seasonal deviation of one
    cycle zero-sum normal with scale ``sd_season_terr``. Every scale is sampled as ``|x|``,
    ``x ~ N(0, scale)`` (the same half-normal prior; the likelihood depends on ``x^2`` only,
    so the posterior of ``x`` is smooth through zero where a log transform would make a
    funnel). Values are assumptions, chosen on the scale of B2B channel books; none is
    taken from a study.

    Attributes
    ----------
    phi_alpha, phi_beta : float
        ``phi ~ Beta(8, 2)`` per step (mean 0.8): a trend deviation halves in about three
        steps; the damped trend keeps one or two years' forecasts from running away with a
        recent slope (assumption).
    sigma_level_scale_month : float
        ``sigma_level ~ HN(0.05)`` per month (x sqrt 3 per quarter: a random walk's variance
        grows with time). A territory's level moving a few percent a month.
    sigma_trend_scale_month : float
        ``sigma_trend ~ HN(0.003)`` per month (x 3^1.5 per quarter). Growth rates change
        slowly.
    sigma_season_scale : float
        ``sigma_season ~ HN(0.02)`` per step: a territory's seasonal pattern drifts by a few
        percent a cycle.
    sd_season_terr_scale : float
        ``sd_season_terr ~ HN(0.1)``: a territory's seasonal pattern differs from the shared
        one by up to about 10% per season at one sd (partial pooling toward the shared
        pattern).

    Examples
    --------
    >>> round(StateSpacePriors().for_steps(1)["sigma_level_scale"], 4)
    0.0866
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    phi_alpha: float = Field(8.0, gt=0)
    phi_beta: float = Field(2.0, gt=0)
    sigma_level_scale_month: float = Field(0.05, gt=0)
    sigma_trend_scale_month: float = Field(0.003, gt=0)
    sigma_season_scale: float = Field(0.02, gt=0)
    sd_season_terr_scale: float = Field(0.1, gt=0)

    def for_steps(self, steps_per_quarter: int) -> dict[str, float]:
        """The scales for a book with ``steps_per_quarter`` (3 monthly, 1 quarterly)."""
        k = 3 // int(steps_per_quarter)
        out = self.model_dump()
        out["sigma_level_scale"] = self.sigma_level_scale_month * math.sqrt(k)
        out["sigma_trend_scale"] = self.sigma_trend_scale_month * k**1.5
        return out
