#!/usr/bin/env python3
"""Start-up time of atomic's commands as a user sees them, as ratios to a bare interpreter.

    python3 bench/startup.py [--runs N]

atomic is installed (not editable) into a fresh venv, so this machine's own site-packages (which
import certifi at every start here) do not distort either side. Every command runs with -E in that
venv: atomic imported and its main() called, as an installed launcher does, and also the console
script pip generated (pip is upgraded first: since pip 25.0 that launcher no longer imports `re`,
which older ones do at a cost of about half a bare start-up). The figure is the median wall time over N interleaved runs (default 30),
the ratio is against `python -E -c pass` in the same venv. Targets (issue 19):
key openai <= 1.3x, --help <= 1.3x, models --all <= 2.5x.
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
KEY = "sk-bench-0000000000000000000001"
MAIN = "import sys, atomic; sys.exit(atomic.main(sys.argv[1:]))"
TARGETS = {"key openai (env var)": 1.3, "key openai (auth.json)": 1.3, "--help": 1.3, "models --all": 2.5}


def make_venv(where):
    """A venv with atomic installed from a copy of the checkout (no editable finder, no build/ left here)."""
    python = os.path.join(where, "bin", "python")
    subprocess.run([sys.executable, "-m", "venv", where], check=True)
    # A current pip writes the lean launcher; without an index, the venv's own pip is measured.
    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--upgrade", "pip"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    source = os.path.join(where, "source")
    os.mkdir(source)
    for name in ("atomic.py", "providers", "pyproject.toml", "README.md", "LICENSE"):
        path = os.path.join(REPO, name)
        (shutil.copytree if os.path.isdir(path) else shutil.copy)(path, os.path.join(source, name))
    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", source],
                   check=True, cwd=where)
    return python


def build_pyz(where, python):
    """dist/atomic.pyz built by scripts/build_pyz.py with the venv's Python (so its bytecode fits)."""
    pyz = os.path.join(where, "atomic.pyz")
    subprocess.run([python, os.path.join(REPO, "scripts", "build_pyz.py"), "--output", pyz], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return pyz


def commands(python, home, pyz):
    """(label, argv, env) for every measured command; the baseline first."""
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home}
    env_agent = dict(base, ATOMIC_CODING_AGENT_DIR=os.path.join(home, "empty-agent"), OPENAI_API_KEY=KEY)
    stored = os.path.join(home, "agent")
    os.mkdir(stored, 0o700)
    with open(os.path.join(stored, "auth.json"), "w") as f:
        json.dump({"openai": {"type": "api_key", "key": KEY}}, f, indent=2)
    os.chmod(os.path.join(stored, "auth.json"), 0o600)
    auth_agent = dict(base, ATOMIC_CODING_AGENT_DIR=stored)
    # A models.json provider (whose entry might override an installed extension's), and an extension.
    custom = os.path.join(home, "custom-agent")
    os.makedirs(os.path.join(custom, "extensions"), 0o700)
    with open(os.path.join(custom, "models.json"), "w") as f:
        json.dump({"providers": {"my-proxy": {"baseUrl": "http://localhost:8000/v1", "api": "openai-completions",
                                              "apiKey": KEY, "models": [{"id": "m"}]}}}, f)
    with open(os.path.join(custom, "extensions", "acme.py"), "w") as f:
        f.write("from providers import api\nPROVIDERS = [api.Provider('acme', 'Acme', env='ACME_API_KEY')]\n")
    custom_agent = dict(base, ATOMIC_CODING_AGENT_DIR=custom, ACME_API_KEY=KEY)
    script = os.path.join(os.path.dirname(python), "atomic")
    py = [python, "-E"]
    return [
        ("python -E -c pass", py + ["-c", "pass"], base),
        ("key openai (env var)", py + ["-c", MAIN, "key", "openai"], env_agent),
        ("key openai (auth.json)", py + ["-c", MAIN, "key", "openai"], auth_agent),
        ("--help", py + ["-c", MAIN, "--help"], base),
        ("models --all", py + ["-c", MAIN, "models", "--all"], env_agent),
        ("key my-proxy (models.json)", py + ["-c", MAIN, "key", "my-proxy"], custom_agent),
        ("key acme (an extension)", py + ["-c", MAIN, "key", "acme"], custom_agent),
        ("console script: key openai", [script, "key", "openai"], env_agent),
        ("python -m atomic key openai", py + ["-m", "atomic", "key", "openai"], env_agent),
        ("atomic.pyz key openai", py + [pyz, "key", "openai"], env_agent),
    ]


def run_once(argv, env, cwd):
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30, help="runs per command (at least 10)")
    args = parser.parse_args()
    runs = max(args.runs, 10)
    work = tempfile.mkdtemp(prefix="atomic-bench-")
    try:
        python = make_venv(os.path.join(work, "venv"))
        pip_version = subprocess.run([python, "-m", "pip", "--version"], stdout=subprocess.PIPE,
                                     universal_newlines=True).stdout.split()[1]
        home = os.path.join(work, "home")
        os.mkdir(home)
        table = commands(python, home, build_pyz(work, python))
        for _label, argv, env in table:   # warm caches (.pyc files, page cache) before timing
            run_once(argv, env, home)
        times = {label: [] for label, _argv, _env in table}
        for _ in range(runs):
            for label, argv, env in table:
                times[label].append(run_once(argv, env, home))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    medians = {label: statistics.median(values) for label, values in times.items()}
    baseline = medians["python -E -c pass"]
    print("Python %s, fresh venv (pip %s), atomic installed (not editable), -E; %d runs each, median wall time"
          % (sys.version.split()[0], pip_version, runs))
    print("%-32s %8s %8s %7s  %s" % ("command", "ms", "+ms", "ratio", "target"))
    for label, _argv, _env in table:
        ratio = medians[label] / baseline
        target = TARGETS.get(label)
        verdict = "" if target is None else ("<= %.2fx ok" % target if ratio <= target else "<= %.2fx MISSED" % target)
        print("%-32s %8.1f %8.1f %6.2fx  %s" % (label, medians[label] * 1000, (medians[label] - baseline) * 1000,
                                               ratio, verdict))
    return 0


if __name__ == "__main__":
    sys.exit(main())
