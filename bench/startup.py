#!/usr/bin/env python3
"""Start-up time of `atomic key openai` and `atomic --help`, as a ratio to a bare interpreter.

    python3 bench/startup.py [--runs N]

Each command runs N times (default 30, interleaved so drift hits all alike) with a throw-away
HOME; the figure is the median wall time, and the ratio is against `python -c pass` run by the
same real interpreter (sys.executable, not a pyenv shim). Target: <= 1.3x.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ATOMIC = os.path.join(REPO, "atomic.py")
TARGET = 1.3
KEY = "sk-bench-0000000000000000000001"
CONSOLE_SCRIPT = "import sys; sys.path.insert(0, %r); from atomic import main; sys.exit(main())" % REPO


def commands(home, flags=()):
    """(label, argv, env) for every measured command; the baseline first."""
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home}
    env_agent = dict(base, ATOMIC_CODING_AGENT_DIR=os.path.join(home, "empty-agent"), OPENAI_API_KEY=KEY)
    stored = os.path.join(home, "agent")
    os.mkdir(stored, 0o700)
    with open(os.path.join(stored, "auth.json"), "w") as f:
        json.dump({"openai": {"type": "api_key", "key": KEY}}, f, indent=2)
    os.chmod(os.path.join(stored, "auth.json"), 0o600)
    auth_agent = dict(base, ATOMIC_CODING_AGENT_DIR=stored)
    py = [sys.executable] + list(flags)
    return [
        ("python -c pass", py + ["-c", "pass"], base),
        ("atomic key openai (env var)", py + [ATOMIC, "key", "openai"], env_agent),
        ("atomic key openai (auth.json)", py + [ATOMIC, "key", "openai"], auth_agent),
        ("atomic --help", py + [ATOMIC, "--help"], base),
        ("python -m atomic key openai (env var)", py + ["-m", "atomic", "key", "openai"], env_agent),
        # What the installed console script does: import atomic (from its .pyc) and call main().
        ("installed atomic key openai (env var)", py + ["-c", CONSOLE_SCRIPT, "key", "openai"], env_agent),
    ]


def run_once(argv, env):
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30, help="runs per command (at least 20)")
    parser.add_argument("--no-site", action="store_true",
                        help="run every command with python -S: no site-packages .pth files, whose "
                             "imports (some environments import certifi there) inflate the baseline")
    args = parser.parse_args()
    runs = max(args.runs, 20)
    home = tempfile.mkdtemp(prefix="atomic-bench-")
    try:
        table = commands(home, ["-S"] if args.no_site else [])
        for _label, argv, env in table:   # warm caches (.pyc files, page cache) before timing
            run_once(argv, env)
        times = {label: [] for label, _argv, _env in table}
        for _ in range(runs):
            for label, argv, env in table:
                times[label].append(run_once(argv, env))
    finally:
        shutil.rmtree(home, ignore_errors=True)

    medians = {label: statistics.median(values) for label, values in times.items()}
    baseline = medians["python -c pass"]
    print("Python %s (%s%s), %d runs each, median wall time"
          % (sys.version.split()[0], sys.executable, " -S" if args.no_site else "", runs))
    print("%-40s %9s %9s %7s  target <= %.1fx" % ("command", "ms", "+ms", "ratio", TARGET))
    for label, _argv, _env in table:
        ratio = medians[label] / baseline
        verdict = "" if label == "python -c pass" else ("ok" if ratio <= TARGET else "over %.1fx" % TARGET)
        print("%-40s %9.1f %9.1f %6.2fx  %s" % (label, medians[label] * 1000, (medians[label] - baseline) * 1000,
                                               ratio, verdict))
    return 0


if __name__ == "__main__":
    sys.exit(main())
