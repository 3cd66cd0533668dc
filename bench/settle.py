"""How long creating a file takes on the file system of a directory.

On the development machines' disk (ext4 without a journal, see
BENCHMARKS.md) it varies tenfold with recent deletions, so the bench
waits for a settled disk before measuring. Used by bench/run.sh, as a
module (`settle`) and as a script:

    settle.py PROBE_PREFIX WHEN    # WHEN "before" waits; anything else measures once
"""
import os
import sys
import time


def settle(prefix, wait=True):
    """µs per 2 kB file created under new directories PREFIX-N; with
    `wait`, measures every 10 s until under 20 µs (at most three minutes)."""
    deadline = time.time() + 180
    for attempt in range(1000):
        probe = f"{prefix}-{attempt}"
        os.mkdir(probe)
        t = time.perf_counter()
        for i in range(2000):
            fd = os.open(f"{probe}/{i}", os.O_CREAT | os.O_WRONLY, 0o644)
            os.write(fd, b"x" * 2000)
            os.close(fd)
        us = (time.perf_counter() - t) / 2000 * 1e6
        if not wait or us < 20 or time.time() > deadline:
            return us
        time.sleep(10)


if __name__ == "__main__":
    prefix, when = sys.argv[1], sys.argv[2]
    print(f"creating a 2 kB file here: {settle(prefix, when == 'before'):.0f} µs ({when})")
