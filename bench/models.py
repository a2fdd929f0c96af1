#!/usr/bin/env python3
"""How long `atomic models --all` takes, as a ratio to a bare `python -c pass`.

Median wall time over RUNS subprocess runs each, with ATOMIC_CODING_AGENT_DIR at an empty
temporary folder. Target: the ratio stays at or under 2.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ATOMIC = os.path.join(ROOT, "atomic.py")
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
TARGET = 2.0


def median_seconds(argv, env, runs=RUNS):
    """Median wall time of running argv `runs` times (after one warm-up run)."""
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    with tempfile.TemporaryDirectory() as agent_dir:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": agent_dir,
               "ATOMIC_CODING_AGENT_DIR": agent_dir}
        base = median_seconds([sys.executable, "-c", "pass"], env)
        models = median_seconds([sys.executable, ATOMIC, "models", "--all"], env)
    ratio = models / base
    print("python -c pass:        %6.1f ms (median of %d)" % (base * 1000, RUNS))
    print("atomic models --all:   %6.1f ms (median of %d)" % (models * 1000, RUNS))
    print("ratio:                 %6.2fx (target <= %.1fx) %s" % (ratio, TARGET, "ok" if ratio <= TARGET else "SLOW"))
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
