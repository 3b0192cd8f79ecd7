"""The status quo's quota rule fitted to a book's territory-quarter table (issue 12, item 4)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from channelsim.data import BookWarning, fit_quota_rule, load_book
from channelsim.world import QuotaRule


def _book_under(rule: QuotaRule, seed: int):
    from channelsim.datasets import book_tables, draw_world
    from channelsim.world import generate

    world = draw_world(4, 40, "M", seed=seed)
    run = generate(world, 36, seed=seed, quota_rule=rule)
    partners, quarters, territories = book_tables(world, run, managers_seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BookWarning)
        return load_book(partners, quarters, territories)


def test_example_book_status_quo_rule_is_the_generating_rule():
    """The example book was generated with ``QuotaRule()`` (growth 0.08, up 1.0, down 0.25);
    the rule the model's ``to_world`` takes from it equals that within 1e-4 on every
    parameter (quotas and sales are rounded to cents)."""
    from channelsim.datasets import load_example

    book = load_example()
    fit = book.quota_fit()
    assert fit.fitted and fit.n == 96 and fit.n_up > 0 and fit.n_down > 0
    rule = QuotaRule(growth=fit.growth, up=fit.up, down=fit.down)
    truth = QuotaRule()
    assert rule.kind == "ratchet"
    assert abs(rule.growth - truth.growth) < 1e-4
    assert abs(rule.up - truth.up) < 1e-4
    assert abs(rule.down - truth.down) < 1e-4
    assert fit.r2 > 0.999
    assert "quota rule:  ratchet fitted to 96 territory-quarters" in book.summary_text()


@pytest.mark.parametrize(
    ("growth", "up", "down"), [(0.03, 0.6, 0.4), (0.15, 0.9, 0.05), (-0.02, 0.5, 0.5)]
)
def test_fit_recovers_a_non_default_rule(growth, up, down):
    """Books drawn under other ratchets (4 territories, 36 months): each parameter
    recovered within 1e-3."""
    book = _book_under(QuotaRule(growth=growth, up=up, down=down), seed=5)
    fit = fit_quota_rule(book)
    assert fit.fitted and fit.n == 4 * 8
    assert abs(fit.growth - growth) < 1e-3
    if fit.n_up:
        assert abs(fit.up - up) < 1e-3
    if fit.n_down:
        assert abs(fit.down - down) < 1e-3


def test_without_quotas_the_default_ratchet_with_a_warning():
    from channelsim.datasets import load_example

    ex = load_example()
    q = ex.quarters.drop(columns=["quota"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BookWarning)
        book = load_book(ex.panel, q, ex.territories)
    fit = book.quota_fit()
    assert not fit.fitted and "no quotas" in fit.note
    assert (fit.growth, fit.up, fit.down) == (0.08, 1.0, 0.25)
    assert "quota rule:  default ratchet" in book.summary_text()


def test_fitted_model_takes_the_books_rule(fitted_model):
    """The tiny model book has four quarters, none with four earlier quarters of sales: the
    model keeps the default ratchet and says why; an explicit rule still wins."""
    with pytest.warns(BookWarning, match="four previous quarters"):
        world = fitted_model.to_world(draws=2, seed=0)
    assert world.quota_rule == QuotaRule()
    explicit = QuotaRule(up=0.5)
    assert fitted_model.to_world(draws=2, seed=0, quota_rule=explicit).quota_rule == explicit


def test_noisy_quotas_fit_by_least_squares():
    """Quotas set by the rule and then rounded to thousands: the fit stays within 0.01."""
    book = _book_under(QuotaRule(growth=0.05, up=0.8, down=0.3), seed=9)
    q = book.quarters.copy()
    q["quota"] = (q["quota"] / 1000).round() * 1000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BookWarning)
        rounded = load_book(book.panel, pd.DataFrame(q), book.territories)
    fit = rounded.quota_fit()
    assert fit.rmse > 0
    assert abs(fit.growth - 0.05) < 0.01 and abs(fit.up - 0.8) < 0.01
    assert abs(fit.down - 0.3) < 0.02
