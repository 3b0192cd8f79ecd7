"""Benchmark: the model's log-density gradient with and without SciPy's OpenBLAS linked.

``channelsim.model._blas`` links PyTensor's C BLAS ops to the OpenBLAS inside SciPy's wheel
when PyTensor has no BLAS of its own (``CHANNELSIM_BLAS=0`` turns that off). This runs the
same measurement twice in fresh processes, once each way, and prints the ratio: the sales
model's joined log density and gradient (``logp_dlogp_function``) evaluated ``--calls`` times
at the initial point after a warm-up, and, with ``--fit``, a short NUTS fit of the book
(2 chains, ``--draws`` after ``--tune``; sampling seconds from PyMC).

Usage::

    python benchmarks/bench_blas.py [--book example|sbc] [--calls 2000] [--fit]
                                    [--draws 200] [--tune 300]

``--book sbc`` is one of the SBC's prior worlds (3 territories, 20 partners, 18 months,
seed 1000). The last line is one JSON object with ``off`` and ``on`` (ms per gradient, and
sampling seconds with ``--fit``) and their ratios. Benchmarks are not tests: nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

__all__ = ["main"]


def _measure(book_name: str, calls: int, fit: bool, draws: int, tune: int) -> dict:
    warnings.simplefilter("ignore")
    import numpy as np

    from channelsim.model import ChannelModel, make_prior_book
    from channelsim.model._blas import blas_status
    from channelsim.model._build import build_sales_model
    from channelsim.model._data import prepare

    if book_name == "sbc":
        book, _, _ = make_prior_book(3, 20, 18, seed=1000, amount_location=8.0)
        kw = {"amount_location": 8.0}
    else:
        from channelsim.datasets import load_example

        book, kw = load_example(), {}
    cfg = ChannelModel(**kw).config
    data = prepare(book, cfg.amount_location)
    model = build_sales_model(data, cfg.priors.for_steps(data.steps_per_quarter), None)
    t0 = time.perf_counter()
    fn = model.logp_dlogp_function(ravel_inputs=True)
    fn.set_extra_values({})
    compile_s = time.perf_counter() - t0
    point = model.initial_point()
    x = np.concatenate([np.ravel(point[v.name]) for v in model.value_vars])
    f = fn._pytensor_function
    for _ in range(50):
        f(x)
    t0 = time.perf_counter()
    for _ in range(calls):
        f(x)
    out = {
        "blas": blas_status(),
        "gradient_ms": (time.perf_counter() - t0) / calls * 1e3,
        "compile_s": compile_s,
    }
    if fit:
        m = ChannelModel(draws=draws, tune=tune, chains=2, progressbar=False, **kw)
        m.fit(book, random_seed=7)
        out["fit_wall_s"] = m.fit_info["wall_s"]
        out["sampling_s"] = m.fit_info["sampling_s"]
    return out


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--book", choices=("example", "sbc"), default="example")
    p.add_argument("--calls", type=int, default=2000)
    p.add_argument("--fit", action="store_true", help="also time a short NUTS fit")
    p.add_argument("--draws", type=int, default=200)
    p.add_argument("--tune", type=int, default=300)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(_measure(a.book, a.calls, a.fit, a.draws, a.tune)))
        return {}
    res = {}
    for label, flag in (("off", "0"), ("on", "1")):
        cmd = [sys.executable, __file__, "--child", "--book", a.book, "--calls", str(a.calls)]
        cmd += ["--draws", str(a.draws), "--tune", str(a.tune)] + (["--fit"] if a.fit else [])
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env={**os.environ, "CHANNELSIM_BLAS": flag}
        )
        if proc.returncode != 0:
            sys.exit(proc.stderr[-3000:])
        res[label] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{label:>3}: {res[label]}", flush=True)
    res["gradient_ratio_on_off"] = res["on"]["gradient_ms"] / res["off"]["gradient_ms"]
    if a.fit:
        res["sampling_ratio_on_off"] = res["on"]["sampling_s"] / res["off"]["sampling_s"]
    res["load_average"] = os.getloadavg()
    print(json.dumps(res))
    return res


if __name__ == "__main__":
    main()
