"""Benchmark: fit the example book with every installed sampler, in one run.

Prints, per sampler: wall time (compile separate), min bulk ESS, min bulk ESS per second of
wall time, max R-hat and divergences, over every stored parameter of the fitted world
(per-partner capabilities and per-step shocks included). The last line is one JSON object
with the keys ``default_sampler``, ``default_wall_s``, ``compile_s``, ``min_ess_bulk``,
``min_ess_tail``, ``peak_mem_mib``, ``territory_dynamics``, ``min_ess_per_s``, ``max_rhat``,
``divergences`` and ``<sampler>_min_ess_per_s`` for each sampler tried.

Usage::

    python benchmarks/bench_fit.py [--samplers pymc,nutpie] [--draws 1000] [--tune 500]
                                   [--chains 4] [--seed 1] [--book example|N_PARTNERS]
                                   [--dynamics ar1|statespace]

``--book 5000`` fits a ``make_book(40, 5000, 36)`` book instead and reports peak memory
(resident set size of this process and its sampler workers).

Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import warnings

__all__ = ["main"]


class PeakMemory:
    """Peak resident memory (MiB) of this process plus its children, polled every 0.2 s."""

    def __init__(self) -> None:
        import psutil

        self._proc = psutil.Process(os.getpid())
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> float:
        total = 0
        for p in [self._proc, *self._proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except Exception:
                pass
        return total / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _book(spec: str):
    from channelsim.datasets import load_example, make_book

    if spec == "example":
        return load_example()
    n = int(spec)
    book, _ = make_book(max(12, n // 125), n, 36, seed=5)
    return book


def main(argv: list[str] | None = None) -> dict:
    from channelsim.model import DEFAULT_SAMPLER, ChannelModel, DiagnosticsWarning
    from channelsim.model._sampling import available_samplers

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samplers", default=",".join(available_samplers()))
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=500)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--book", default="example")
    ap.add_argument("--dynamics", choices=["ar1", "statespace"], default="ar1")
    args = ap.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = _book(args.book)
    samplers = [s.strip() for s in args.samplers.split(",") if s.strip()]
    if DEFAULT_SAMPLER in samplers:  # the default first
        samplers.remove(DEFAULT_SAMPLER)
        samplers.insert(0, DEFAULT_SAMPLER)
    print(f"book: {book!r}", flush=True)
    print(
        f"settings: draws={args.draws} tune={args.tune} chains={args.chains} "
        f"cores={os.cpu_count()} territory_dynamics={args.dynamics}",
        flush=True,
    )
    results = {}
    for sampler in samplers:
        model = ChannelModel(
            sampler=sampler,
            draws=args.draws,
            tune=args.tune,
            chains=args.chains,
            progressbar=False,
            territory_dynamics=args.dynamics,
        )
        t0 = time.perf_counter()
        with PeakMemory() as mem, warnings.catch_warnings():
            warnings.simplefilter("ignore", DiagnosticsWarning)
            model.fit(book, random_seed=args.seed)
        wall = time.perf_counter() - t0
        d = model.check_diagnostics(warn=False)
        worst = d.table.sort_values("ess_bulk").head(3)
        res = {
            "wall_s": round(wall, 1),
            "compile_s": round(model.fit_info["compile_s"], 1),
            "sampling_s": round(model.fit_info["sampling_s"], 1),
            "min_ess_bulk": round(d.min_ess_bulk, 1),
            "min_ess_tail": round(d.min_ess_tail, 1),
            "min_ess_per_s": round(d.min_ess_bulk / wall, 2),
            "max_rhat": round(d.max_rhat, 4),
            "divergences": d.divergences,
            "peak_mem_mib": round(mem.peak),
            "worst": ", ".join(f"{i} ({v:.0f})" for i, v in worst["ess_bulk"].items()),
        }
        results[sampler] = res
        print(
            f"{sampler:8s} wall {res['wall_s']:7.1f}s (compile {res['compile_s']:.1f}s, "
            f"sampling {res['sampling_s']:.1f}s)  min bulk ESS {res['min_ess_bulk']:7.1f}  "
            f"min tail ESS {res['min_ess_tail']:7.1f}  ESS/s {res['min_ess_per_s']:6.2f}  "
            f"max R-hat {res['max_rhat']:.4f}  divergences {res['divergences']}  "
            f"peak memory {res['peak_mem_mib']} MiB  lowest ESS: {res['worst']}",
            flush=True,
        )
    default = results.get(DEFAULT_SAMPLER) or next(iter(results.values()))
    line = {
        "default_sampler": DEFAULT_SAMPLER if DEFAULT_SAMPLER in results else samplers[0],
        "default_wall_s": default["wall_s"],
        "compile_s": default["compile_s"],
        "min_ess_bulk": default["min_ess_bulk"],
        "min_ess_tail": default["min_ess_tail"],
        "peak_mem_mib": default["peak_mem_mib"],
        "territory_dynamics": args.dynamics,
        "min_ess_per_s": default["min_ess_per_s"],
        "max_rhat": default["max_rhat"],
        "divergences": default["divergences"],
        **{f"{s}_min_ess_per_s": r["min_ess_per_s"] for s, r in results.items()},
    }
    print(json.dumps(line), flush=True)
    return line


if __name__ == "__main__":
    main(sys.argv[1:])
