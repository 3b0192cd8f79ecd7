"""The named-policy table of docs/simulator.md ("What the defaults produce").

    python benchmarks/named_policies.py [--paths 200] [--seed 7]

Runs every named policy (``channelsim.policy.POLICY_PRESETS``) on the example world for 36
months and prints a markdown table: revenue in years 1 and 3 against the status quo on the
same paths (mean and +-3 standard errors of the paired difference), attainment, and the
company-total commit and statistical-forecast APE over the transition (first four quarters)
and at steady state (last four), each as mean [+-3 standard errors over paths].
"""

from __future__ import annotations

import argparse

import numpy as np

from channelsim.datasets import example_world
from channelsim.policy import POLICY_PRESETS
from channelsim.simulate import simulate


def _mean_se(x):
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return x.mean(), x.std(ddof=1) / np.sqrt(x.size)


def _fmt(x, pct=False, digits=3):
    m, se = _mean_se(x)
    if pct:
        return f"{100 * m:+.1f} [{100 * (m - 3 * se):+.1f}, {100 * (m + 3 * se):+.1f}]"
    return f"{m:.{digits}f} [{m - 3 * se:.{digits}f}, {m + 3 * se:.{digits}f}]"


def table(n_paths: int = 200, seed: int = 7) -> str:
    names = list(POLICY_PRESETS)
    ds = simulate(
        example_world(), names[1:], n_paths=n_paths, n_steps=36, seed=seed, progress=False
    )
    rev = ds["revenue"].values  # (policy, path, quarter)
    y1, y3 = rev[:, :, :4].sum(-1), rev[:, :, 8:12].sum(-1)
    win = ds["commit_ape_window"], ds["stat_ape_window"]
    rows = [
        "| policy | year-1 revenue % | year-3 revenue % | attainment | commit APE, first 4 q "
        "| commit APE, last 4 q | stat APE, first 4 q | stat APE, last 4 q |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, name in enumerate(names):
        att = ds["attainment"].values[i].mean(-1)
        cells = [
            name,
            "0" if i == 0 else _fmt(y1[i] / y1[0] - 1, pct=True),
            "0" if i == 0 else _fmt(y3[i] / y3[0] - 1, pct=True),
            _fmt(att),
        ]
        for da in win:
            for w in ("transition", "steady"):
                cells.append(_fmt(da.sel(window=w).values[i]))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    print(table(a.paths, a.seed))


if __name__ == "__main__":
    main()
