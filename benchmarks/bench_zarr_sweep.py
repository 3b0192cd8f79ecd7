"""Peak memory of ``compare --out sweep.zarr`` at two sweep sizes, and a kill/resume check.

Runs ``channelsim compare SCENARIO --out DIR/sNNN.zarr --paths P --max-policies NNN`` under
``/usr/bin/time -v`` for each size and prints the maximum resident set size and the ratio
(target: the largest sweep within 1.2x of the smallest). Then runs the largest sweep again,
kills it with SIGKILL once the store has recorded ``--kill-after`` chunks, resumes it with the
same command, and checks the resumed store with ``xarray.testing.assert_identical`` against the
uninterrupted one.

Usage::

    python benchmarks/bench_zarr_sweep.py --paths 50 --sizes 300 2881 --kill-after 5
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cmd(scenario: Path, out: Path, paths: int, n: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "channelsim",
        "compare",
        str(scenario),
        "--out",
        str(out),
        "--paths",
        str(paths),
        "--max-policies",
        str(n),
        "--quiet",
    ]


def peak_rss(cmd: list[str]) -> tuple[float, float]:
    """(peak RSS in MiB, wall seconds) of a command run under GNU time."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {proc.stderr[-3000:]}")
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return kb / 1024, wall


def _recorded(store: Path) -> int:
    meta = store / "zarr.json"
    if not meta.exists():
        return 0
    try:
        attrs = json.loads(meta.read_text()).get("attributes", {})
        return int(json.loads(attrs.get("channelsim_checkpoint", "{}")).get("done", 0))
    except (ValueError, OSError):
        return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "full_sweep.toml"))
    ap.add_argument("--paths", type=int, default=50)
    ap.add_argument("--sizes", type=int, nargs="+", default=[300, 2881])
    ap.add_argument("--kill-after", type=int, default=5, metavar="K", help="chunks before SIGKILL")
    ap.add_argument("--chunk-size", type=int, default=96, help="the scenario's [run] chunk_size")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="zarr-bench-"))
    scenario = Path(args.scenario)
    print(f"load: {os.getloadavg()}")
    peaks = {}
    for n in args.sizes:
        peaks[n], wall = peak_rss(_cmd(scenario, work / f"s{n}.zarr", args.paths, n))
        print(f"{n:>6} policies x {args.paths} paths: peak RSS {peaks[n]:.0f} MiB, {wall:.0f} s")
    lo, hi = min(args.sizes), max(args.sizes)
    print(f"ratio {hi}/{lo}: {peaks[hi] / peaks[lo]:.3f} (target <= 1.2)")

    killed = work / f"k{hi}.zarr"
    env = {**os.environ}
    proc = subprocess.Popen(_cmd(scenario, killed, args.paths, hi), env=env)
    target = args.kill_after * args.chunk_size
    while proc.poll() is None and _recorded(killed) < target:
        time.sleep(0.05)
    if proc.poll() is not None:
        raise SystemExit("the run finished before it could be killed; lower --kill-after")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    print(f"killed after {_recorded(killed)} of {hi} policies were recorded")
    subprocess.run(_cmd(scenario, killed, args.paths, hi), check=True)

    import xarray as xr

    from channelsim.scenario import open_results

    xr.testing.assert_identical(
        open_results(killed).load(), open_results(work / f"s{hi}.zarr").load()
    )
    print("killed and resumed store is identical to the uninterrupted one (assert_identical)")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
