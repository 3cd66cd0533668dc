#!/usr/bin/env bash
# Benchmarks `polc check` on synthetic organisations (release build, process
# start included). Prints wall time (best and median of N runs) and peak
# memory. Usage: bench/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
cargo build --release --quiet
bin="$PWD/target/release/polc"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '%-28s %10s %10s %12s\n' "case" "best ms" "median ms" "peak RSS MB"
for spec in "1000:10:100" "10000:10:1000" "10000:100:100"; do
  IFS=: read -r total regions groups <<<"$spec"
  dir="$work/org-$regions-$groups"
  python3 bench/gen_org.py "$dir" "$regions" "$groups"
  python3 - "$bin" "$dir" "$runs" "$total profiles ($regions×$groups)" <<'PY'
import resource, statistics, subprocess, sys, time
binary, d, runs, label = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
times = []
for _ in range(runs):
    t = time.perf_counter()
    p = subprocess.run([binary, "check", d], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    times.append((time.perf_counter() - t) * 1000)
    if p.returncode != 0:
        sys.exit(f"polc check failed on {d}:\n{p.stderr.decode()[:2000]}")
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{label:<28} {min(times):10.1f} {statistics.median(times):10.1f} {rss:12.1f}")
PY
done
