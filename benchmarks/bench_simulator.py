"""Benchmark of the policy simulator (not a test: it measures and prints, it asserts nothing).

Run ``python benchmarks/bench_simulator.py`` (``--quick`` for a smaller workload). In one
process it runs the numba kernel on the full workload (1,000 policies x 200 paths x 36 months
on the example world), the numpy reference on a scaled-down workload, and a numba loop that
only draws the random numbers the kernel consumes (the RNG limit); subprocesses measure the
1 -> 2 thread speed-up (``NUMBA_NUM_THREADS``), the first-call compile time (numba cache
off) and a fresh process's cached start. It also shows common random numbers at work (the
standard error of a policy difference with shared vs independent draws) and the partner
mode at forecast scale. The last line is one JSON object.

Partner-months (pm) are policies x paths x steps x the mean number of partners present per
step under the status quo (about 300 on the example world); every rate uses that unit.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import textwrap
import time

import numpy as np

TARGETS = {
    "speedup_vs_numpy": ">= 10",
    "thread_scaling": ">= 1.7",
    "full_workload_s": "< 30",
    "peak_rss_mb": "< 2048",
    "cached_start_s": "< 3",
}


def _sub(code: str, **env) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line last."""
    full = {**os.environ, **{k: str(v) for k, v in env.items()}}
    res = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=full
    )
    if res.returncode:
        raise RuntimeError(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def partners_present(world, n_steps: int, n_paths: int, seed: int) -> float:
    """Mean partners present per step under the status quo (the pm unit)."""
    from channelsim.simulate import simulate_partners

    run = simulate_partners(world, n_steps, seed=seed, n_paths=n_paths)
    present = (run.state >= 0) & (run.state != world.exited)
    return float(present.sum(axis=1).mean())


def rng_limit_seconds(n_paths, n_partners, n_territories, n_steps, n_recruits, seed) -> float:
    """Time to draw every random number the kernel consumes, once per path (threads)."""
    from concurrent.futures import ThreadPoolExecutor

    from channelsim.simulate._numba_config import n_threads
    from channelsim.simulate._partners_nb import rng_only

    paths = np.arange(n_paths, dtype=np.int64)
    rng_only(paths[:1], np.uint64(seed), 10, 2, 2, 1)  # compile / load
    blocks = np.array_split(paths, 8 * n_threads())

    def work(p):
        return rng_only(p, np.uint64(seed), n_partners, n_territories, n_steps, n_recruits)

    t = time.perf_counter()
    with ThreadPoolExecutor(n_threads()) as pool:
        list(pool.map(work, blocks))
    return time.perf_counter() - t


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smaller workload (smoke run)")
    args = ap.parse_args(argv)
    n_pol, n_paths, n_steps = (100, 40, 36) if args.quick else (1000, 200, 36)
    seed = 1
    load0 = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load average {load0:.2f} at the start "
          "(other processes share the cores: timings are upper bounds)")  # fmt: skip

    # -- compile time (cache off) and a fresh process's cached start ----------------------
    small = """
        import json, time
        t0 = time.perf_counter()
        from channelsim.datasets import draw_world
        from channelsim.simulate import simulate
        w = draw_world(3, 30, seed=1)
        t1 = time.perf_counter()
        simulate(w, ["territory_pay", "gonik"], n_paths=4, n_steps=12, seed=1, progress=False)
        t2 = time.perf_counter()
        simulate(w, ["territory_pay", "gonik"], n_paths=4, n_steps=12, seed=1, progress=False)
        t3 = time.perf_counter()
        print(json.dumps({"import": t1 - t0, "first": t2 - t1, "second": t3 - t2}))
    """
    cold = _sub(small, CHANNELSIM_NUMBA_CACHE=0)
    compile_s = cold["first"] - cold["second"]
    _sub(small)  # make sure the cache is written
    t = time.perf_counter()
    warm = _sub(small)
    cached_start_s = time.perf_counter() - t
    print(f"compile (first call, numba cache off): {compile_s:.1f} s")
    print(
        f"fresh process, cached kernels: {cached_start_s:.2f} s wall (import "
        f"{warm['import']:.2f} s, first small simulation {warm['first']:.2f} s)"
    )

    from channelsim.datasets import example_world
    from channelsim.policy import PolicyGrid
    from channelsim.simulate import crn_standard_errors, simulate

    world = example_world()
    p_avg = partners_present(world, n_steps, 50, seed)
    pm_per_policy_path = n_steps * p_avg
    print(f"example world: {world.n_territories} territories, {world.n_partners} partners at "
          f"the origin, {p_avg:.0f} present per month on average over {n_steps} months")  # fmt: skip

    # -- numba kernel, full workload -------------------------------------------------------
    grid = PolicyGrid.sample(n_pol - 1, seed=seed)
    simulate(world, grid[:3], n_paths=2, n_steps=3, seed=seed, progress=False)  # warm
    t, c = time.perf_counter(), time.process_time()
    ds = simulate(world, grid, n_paths=n_paths, n_steps=n_steps, seed=seed, progress=False)
    full_s, full_cpu = time.perf_counter() - t, time.process_time() - c
    pm = n_pol * n_paths * pm_per_policy_path
    numba_rate = pm / full_s
    print(f"numba kernel: {n_pol} policies x {n_paths} paths x {n_steps} months in "
          f"{full_s:.1f} s wall = {numba_rate:,.0f} pm/s ({1e9 / numba_rate:.2f} ns/pm wall); "
          f"{full_cpu:.1f} s CPU ({1e9 * full_cpu / pm:.2f} ns/pm per core, "
          f"{full_cpu / full_s:.2f} cores busy on average); output "
          f"{ds.nbytes / 2**20:.0f} MiB")  # fmt: skip
    del ds

    # -- numpy reference, scaled down --------------------------------------------------------
    np_pol, np_paths = 3, 8
    t = time.perf_counter()
    simulate(world, grid[:np_pol], n_paths=np_paths, n_steps=n_steps, seed=seed,
             engine="numpy", progress=False)  # fmt: skip
    np_s = time.perf_counter() - t
    numpy_rate = np_pol * np_paths * pm_per_policy_path / np_s
    print(f"numpy reference: {np_pol} policies x {np_paths} paths x {n_steps} months in "
          f"{np_s:.1f} s = {numpy_rate:,.0f} pm/s")  # fmt: skip

    # -- RNG limit ------------------------------------------------------------------------------
    n_recruits = int(world.recruit_rate.sum() * n_steps)
    rng_s = rng_limit_seconds(n_paths, round(p_avg), world.n_territories, n_steps, n_recruits, seed)
    rng_rate = pm / rng_s
    per_draw_ns = rng_s / (n_paths * n_steps * p_avg) * 1e9
    print(f"RNG only (the numbers the kernel draws, once per path): {rng_s:.2f} s = "
          f"{rng_rate:,.0f} pm/s; {per_draw_ns:.1f} ns of drawing per partner-month of one "
          f"path, which common random numbers share across all {n_pol} policies")  # fmt: skip

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (numba full workload, numpy reference, RNG loop): {peak_rss_mb:,.0f} MB")

    # -- thread scaling ---------------------------------------------------------------------------
    scale = f"""
        import json, time
        from channelsim.datasets import example_world
        from channelsim.policy import PolicyGrid
        from channelsim.simulate import simulate
        w = example_world()
        g = PolicyGrid.sample({min(n_pol, 200) - 1}, seed=1)
        simulate(w, g[:2], n_paths=2, n_steps=3, seed=1, progress=False)
        best, cpu = 1e9, 0.0
        for _ in range(3):
            t, c = time.perf_counter(), time.process_time()
            simulate(w, g, n_paths=64, n_steps={n_steps}, seed=1, progress=False)
            if time.perf_counter() - t < best:
                best, cpu = time.perf_counter() - t, time.process_time() - c
        print(json.dumps({{"s": best, "cpu": cpu}}))
    """
    r1 = _sub(scale, NUMBA_NUM_THREADS=1)
    r2 = _sub(scale, NUMBA_NUM_THREADS=2)
    thread_scaling = r1["s"] / r2["s"]
    print(f"threads: 1 -> {r1['s']:.2f} s wall ({r1['cpu']:.2f} s CPU), 2 -> {r2['s']:.2f} s "
          f"wall ({r2['cpu']:.2f} s CPU), speed-up {thread_scaling:.2f}x; load average now "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip

    # -- common random numbers ------------------------------------------------------------------
    crn = crn_standard_errors(world, "channel_programme", n_paths=200, n_steps=12, seed=seed)
    print("common random numbers: standard error of channel_programme - status quo, 12 months,"
          " 200 paths")  # fmt: skip
    for name, r in crn.items():
        print(f"  {name:15s} diff {r['diff']:+.4g}  SE shared {r['se_shared']:.3g}  "
              f"SE independent {r['se_independent']:.3g}  ratio {r['ratio']:.1f}x "
              f"(variance / {r['ratio'] ** 2:.0f})")  # fmt: skip

    # -- partner mode at forecast scale ---------------------------------------------------------
    if not args.quick:
        from channelsim.datasets import draw_world
        from channelsim.simulate import simulate_partners

        big = draw_world(50, 5000, seed=3).select_draws(np.zeros(1000, dtype=np.int64))
        simulate_partners(big.select_draws([0]), 12, seed=1)  # warm
        t = time.perf_counter()
        run = simulate_partners(big, 12, seed=1)
        pt = time.perf_counter() - t
        size = (run.sales.nbytes + run.state.nbytes + run.kappa.nbytes) / 2**20
        print(f"partner mode: 1,000 draws x 5,000 partners x 12 months in {pt:.1f} s, "
              f"{run.sales.shape[1]} partner/recruit slots, {size:,.0f} MiB of draws")  # fmt: skip
        del run, big
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory after the partner mode: {rss:,.0f} MB (the JSON's peak_rss_mb is "
              "taken before it, with the default summary outputs)")  # fmt: skip

    result = {
        "numba_pm_per_s": numba_rate,
        "numpy_pm_per_s": numpy_rate,
        "rng_limit_pm_per_s": rng_rate,
        "speedup_vs_numpy": numba_rate / numpy_rate,
        "thread_scaling": thread_scaling,
        "fraction_of_rng_limit": numba_rate / rng_rate,
        "full_workload_s": full_s,
        "compile_s": compile_s,
        "cached_start_s": cached_start_s,
        "peak_rss_mb": peak_rss_mb,
    }
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print("targets: " + ", ".join(f"{k} {v}" for k, v in TARGETS.items()))
    print(json.dumps({k: round(v, 4) for k, v in result.items()}))
    return result


if __name__ == "__main__":
    main()
