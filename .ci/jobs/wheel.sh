#!/usr/bin/env bash
# Wheel job: build channelsim's wheel, install it in a fresh virtual environment outside the
# clone, and run the shipped scenarios from there (package data, no source tree).
# Runnable standalone from the repository root: bash .ci/jobs/wheel.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
[ -x "$PY" ] || PY="$(command -v python3)"
WORK="$(mktemp -d /tmp/channelsim-wheel.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

"$PY" -m pip wheel -q --no-deps -w "$WORK/dist" .  # isolated build: setuptools from PyPI
WHEEL="$(ls "$WORK"/dist/channelsim-*.whl)"
echo "wheel: built $(basename "$WHEEL")"
"$PY" - "$WHEEL" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
toml = sorted(n for n in names if n.startswith("channelsim/scenarios/") and n.endswith(".toml"))
assert "channelsim/scenarios/hiring_profiles.toml" in toml, "scenario files missing from wheel"
print(f"wheel: {len(toml)} scenario files inside")
PY

# a fresh environment that can see the dependencies already installed for the tests
# (nothing is downloaded twice), but not the source tree
"$PY" -m venv --system-site-packages "$WORK/venv" 2>/dev/null || "$PY" -m venv "$WORK/venv"
SITE="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
VSITE="$("$WORK/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$SITE" >"$VSITE/_channelsim_deps.pth"  # the test environment's packages, read-only use
"$WORK/venv/bin/python" -m pip install -q --no-deps --force-reinstall "$WHEEL"
cd "$WORK"  # outside the clone
unset PYTHONPATH
"$WORK/venv/bin/python" - <<'PY'
import channelsim, pathlib
where = pathlib.Path(channelsim.__file__).resolve()
assert "channelsim-wheel" in str(where) and "site-packages" in str(where), where
print(f"wheel: channelsim imported from {where.parent}")
PY
"$WORK/venv/bin/channelsim" scenarios | tee "$WORK/scenarios.txt"
grep -q '^hiring_profiles$' "$WORK/scenarios.txt"
grep -q 'question: Should we hire channel managers' "$WORK/scenarios.txt"
"$WORK/venv/bin/channelsim" compare hiring_profiles --paths 50 --out "$WORK/out" --quiet
for f in report.html summary.csv results.nc; do
  [ -s "$WORK/out/$f" ] || { echo "wheel: $f missing"; exit 1; }
done
ls "$WORK/out"/charts/*.png >/dev/null
echo "wheel: channelsim scenarios and compare hiring_profiles ran outside the clone"
