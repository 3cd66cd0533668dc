#!/usr/bin/env bash
# Benchmarks polc on synthetic organisations (release build, process start
# included): `polc check`, `polc build` (every format), and `cp -r` of the
# build's output tree as the floor. Prints the best and median wall time of
# RUNS runs and the peak memory. Usage: bench/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
cargo build --release --quiet
bin="$PWD/target/release/polc"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '%-34s %10s %10s %12s\n' "case" "best ms" "median ms" "peak RSS MB"
for spec in "1000:10:100" "10000:10:1000" "10000:100:100"; do
  IFS=: read -r total regions groups <<<"$spec"
  dir="$work/org-$regions-$groups"
  python3 bench/gen_org.py "$dir" "$regions" "$groups"
  python3 - "$bin" "$dir" "$runs" "$total profiles ($regions×$groups)" "$work/out-$regions-$groups" <<'PY'
import os, shutil, statistics, subprocess, sys, time
binary, d, runs, label, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
env = dict(os.environ)
for r in range(1000):
    env[f"BENCH_R{r}_KEY"] = "bench-key"
    env[f"BENCH_R{r}_TOKEN"] = "bench-token"

def measure(name, argv, before=None):
    times, rss = [], 0.0
    for _ in range(runs):
        if before:
            before()
        t = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        times.append((time.perf_counter() - t) * 1000)
        rss = max(rss, usage.ru_maxrss / 1024)
        if status != 0:
            sys.exit(f"{argv} failed with status {status}")
    print(f"{name:<34} {min(times):10.1f} {statistics.median(times):10.1f} {rss:12.1f}", flush=True)

measure(f"check {label}", [binary, "check", d])
measure(f"build {label}", [binary, "build", d, "-o", out])
copy = out + ".copy"
measure(f"cp -r of the output ({label})", ["cp", "-r", out, copy], before=lambda: shutil.rmtree(copy, ignore_errors=True))
PY
done
