"""Shared helpers: run the real atomic CLI as a subprocess against a throw-away HOME.

Use from any test module:

    from conftest import run_atomic, clean_env, assert_fails

    def test_something(atomic_env):                  # fixture: a fresh HOME + agent dir
        atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk-123"}})
        r = atomic_env.run("key", "groq")           # CompletedProcess, text stdout/stderr
        assert r.stdout == "gsk-123\\n"

    r = run_atomic(["status"], env=clean_env(home))   # the same, without the fixture

Children never inherit this machine's *_API_KEY, proxy or CA variables: `clean_env` keeps only
PATH and locale settings, and tests add what they mean to test.
"""
import json
import os
import subprocess
import sys
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ATOMIC_PY = os.path.join(REPO, "atomic.py")
PYTHON = sys.executable          # the real interpreter, not a pyenv shim
NOBODY = 65534                   # uid/gid used to test what root's permission bits cannot

_KEPT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")

if REPO not in sys.path:         # let tests read providers' tables (CHAIN, PROVIDERS) directly
    sys.path.insert(0, REPO)


def clean_env(home, agent_dir=None, **extra):
    """A minimal environment for a child: PATH and locale, HOME, and ATOMIC_CODING_AGENT_DIR
    when agent_dir is given (else atomic uses HOME/.atomic/agent). extra adds variables; an
    extra value of None leaves that variable out."""
    env = {name: os.environ[name] for name in _KEPT if name in os.environ}
    env["HOME"] = str(home)
    if agent_dir is not None:
        env["ATOMIC_CODING_AGENT_DIR"] = str(agent_dir)
    for name, value in extra.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_atomic(args, env=None, input=None, agent_dir=None, timeout=60, module=False, python=None, **popen):
    """Run `python atomic.py ARGS` (or `python -m atomic ARGS` from the repo when module=True).

    env: the child's whole environment (build it with clean_env); required, so no test can
      leak this machine's variables into atomic by accident.
    input: str or bytes for stdin; None gives /dev/null (never a terminal) unless popen has stdin.
    agent_dir: if given, sets ATOMIC_CODING_AGENT_DIR on a copy of env.
    python: the interpreter (default sys.executable; see nobody_python()).
    popen: passed to subprocess.run (cwd, preexec_fn, ...).
    Returns a CompletedProcess whose stdout/stderr are str (UTF-8, undecodable bytes replaced).
    """
    if env is None:
        raise TypeError("run_atomic needs env=clean_env(...)")
    env = dict(env)
    if agent_dir is not None:
        env["ATOMIC_CODING_AGENT_DIR"] = str(agent_dir)
    python = python or PYTHON
    cmd = [python, "-m", "atomic"] if module else [python, ATOMIC_PY]
    if module:
        popen.setdefault("cwd", REPO)
    if isinstance(input, str):
        input = input.encode("utf-8")
    if input is None:
        popen.setdefault("stdin", subprocess.DEVNULL)
    result = subprocess.run(cmd + [str(a) for a in args], env=env, input=input,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, **popen)
    result.stdout = result.stdout.decode("utf-8", "replace")
    result.stderr = result.stderr.decode("utf-8", "replace")
    return result


def trust(folder, env, **popen):
    """`atomic trust --yes` run in folder: a project's .atomic/.pi files are used only once their
    folder is trusted (and again after each change to them)."""
    r = run_atomic(["trust", "--yes"], env=env, cwd=str(folder), **popen)
    assert r.returncode == 0, r.stderr
    return r


def start_atomic(args, env, **popen):
    """Popen `python atomic.py ARGS` with pipes for stdin/stdout/stderr (bytes), for tests that
    signal or race the process."""
    popen.setdefault("stdin", subprocess.PIPE)
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen([PYTHON, ATOMIC_PY] + [str(a) for a in args], env=env, **popen)


def assert_fails(result, code, *needles, warnings=False):
    """The failure contract: exit `code`, empty stdout, no traceback, and one stderr line that
    starts with `atomic:` and contains every needle. warnings=True also allows earlier
    `atomic: warning:` lines (and `atomic: not using ...`, the notice of an untrusted project's
    files). Returns the error line."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == "", result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert lines, "nothing on stderr"
    if warnings:
        assert all(line.startswith(("atomic: warning: ", "atomic: not using ")) for line in lines[:-1]), result.stderr
    else:
        assert len(lines) == 1, result.stderr
    line = lines[-1]
    assert line.startswith("atomic: ") and not line.startswith("atomic: warning:"), line
    for needle in needles:
        assert needle in line, (needle, line)
    return line


def atomic_command(folder):
    """folder (created) holding an `atomic` command that runs this checkout: for PATH, where a
    shell or another program runs `atomic` by name."""
    os.makedirs(str(folder), exist_ok=True)
    wrapper = os.path.join(str(folder), "atomic")
    with open(wrapper, "w") as f:
        f.write('#!/bin/sh\nexec %s %s "$@"\n' % (PYTHON, ATOMIC_PY))
    os.chmod(wrapper, 0o755)
    return str(folder)


def closed_port():
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def tree(path):
    """Every file and folder below path (relative names), to prove nothing was created."""
    found = set()
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(root, name), path))
    return found


def become_nobody():
    """preexec_fn that drops root to uid/gid 65534, so permission bits apply to the child."""
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


_nobody = {}


def as_unprivileged():
    """(python, preexec_fn) to run atomic as a user that permission bits apply to.

    As root: uid 65534, with the first interpreter that user may execute (sys.executable may
    live under /root). Otherwise: this interpreter as ourselves. Skips the test when root has
    no interpreter uid 65534 can run."""
    if os.geteuid() != 0:
        return PYTHON, None
    if "python" not in _nobody:
        _nobody["python"] = None
        for candidate in (PYTHON, "/usr/bin/python3", "/usr/local/bin/python3"):
            try:
                probe = subprocess.run([candidate, "-c", "import sys; assert sys.version_info >= (3, 8)"],
                                       preexec_fn=become_nobody, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, cwd="/")
            except OSError:   # missing, or not executable by that user
                continue
            if probe.returncode == 0:
                _nobody["python"] = candidate
                break
    if _nobody["python"] is None:
        pytest.skip("no Python 3.8+ interpreter that uid %d may run" % NOBODY)
    return _nobody["python"], become_nobody


class AtomicEnv:
    """A fresh HOME with an agent directory path (not created) and helpers around it."""

    def __init__(self, root):
        self.root = str(root)
        self.home = os.path.join(self.root, "home")
        os.mkdir(self.home)
        self.agent_dir = os.path.join(self.home, "agent")
        self.auth_path = os.path.join(self.agent_dir, "auth.json")
        self.models_path = os.path.join(self.agent_dir, "models.json")
        self.env = clean_env(self.home, self.agent_dir)

    def run(self, *args, input=None, env=None, **popen):
        """atomic ARGS in this HOME; env adds or (with None) removes variables."""
        full = dict(self.env)
        for name, value in (env or {}).items():
            if value is None:
                full.pop(name, None)
            else:
                full[name] = value
        return run_atomic(list(args), env=full, input=input, **popen)

    def trust(self, folder, env=None):
        """`atomic trust --yes` in folder, in this HOME (env adds or removes variables)."""
        r = self.run("trust", "--yes", env=env, cwd=str(folder))
        assert r.returncode == 0, r.stderr
        return r

    def make_agent_dir(self, mode=0o700):
        os.makedirs(self.agent_dir, exist_ok=True)
        os.chmod(self.agent_dir, mode)
        return self.agent_dir

    def write_auth(self, data, mode=0o600):
        """auth.json from a dict (2-space JSON, as atomic writes it), str or bytes."""
        return self._write(self.auth_path, data, mode)

    def write_models(self, data, mode=0o600):
        return self._write(self.models_path, data, mode)

    def _write(self, path, data, mode):
        self.make_agent_dir()
        if isinstance(data, (dict, list)):
            data = json.dumps(data, indent=2) + "\n"
        if isinstance(data, str):
            data = data.encode("utf-8")
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        return data

    def auth_bytes(self):
        with open(self.auth_path, "rb") as f:
            return f.read()

    def read_auth(self):
        return json.loads(self.auth_bytes().decode("utf-8"))

    def mode(self, path):
        return os.stat(path).st_mode & 0o777


@pytest.fixture
def atomic_env(tmp_path):
    """A fresh HOME (tmp/home) and agent dir path (tmp/home/agent, not yet created)."""
    return AtomicEnv(tmp_path)


@pytest.fixture
def shared_tmp():
    """A temp folder other users can traverse (pytest's tmp_path is private to root), for tests
    that run the child as uid 65534."""
    path = tempfile.mkdtemp(prefix="atomic-test-")
    os.chmod(path, 0o755)
    yield path
    subprocess.run(["rm", "-rf", path], check=False)


@pytest.fixture
def disk(tmp_path):
    """A 256 KiB tmpfs (64 inodes) that only the atomic processes a test starts through it see,
    with an empty agent folder: tests/faults.py SmallDisk."""
    from faults import SmallDisk

    small = SmallDisk(tmp_path / "disk", inodes=64)
    os.mkdir(small.path("agent"), 0o700)
    yield small
    small.close()


@pytest.fixture
def net(tmp_path):
    """Loopback stand-ins of the providers' hosts behind a CONNECT proxy, trusted via a test CA."""
    from netfakes import Network

    network = Network(tmp_path)
    yield network
    network.close()


# The OAuth stand-ins (tests/oauthfakes.py) ---------------------------------------------------

@pytest.fixture
def login_env(atomic_env, net):
    """The child's environment: a fresh HOME, the fake network, and a login limit that ends a
    broken test in a minute rather than ten."""
    env = dict(atomic_env.env)
    env.update(net.env())
    env["ATOMIC_LOGIN_TIMEOUT"] = "60"
    return env


@pytest.fixture
def start_login():
    """start_login(args, env) -> LoginRun; every run is killed at the end of the test."""
    from oauthfakes import LoginRun

    started = []

    def start(args, env):
        run = LoginRun(args, env)
        started.append(run)
        return run

    yield start
    for run in started:
        run.kill()


@pytest.fixture
def claude(net):
    from oauthfakes import FakeClaude
    return FakeClaude(net)


@pytest.fixture
def openai(net):
    from oauthfakes import FakeOpenAI
    return FakeOpenAI(net)


def stderr_on_a_terminal(args, env, timeout=30):
    """Run `python atomic.py ARGS` with stderr on a pseudo-terminal (stdin /dev/null, stdout a
    pipe), to see what a person watching would: (exit code, the terminal's text, stdout bytes)."""
    import select

    master, slave = os.openpty()
    proc = subprocess.Popen([PYTHON, ATOMIC_PY] + [str(a) for a in args], env=dict(env, TERM="dumb"),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            try:
                chunk = os.read(master, 4096) if ready else b""
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            if not chunk:
                break
            seen += chunk
        stdout = proc.stdout.read()
        return proc.wait(timeout=timeout), seen.decode("utf-8", "replace"), stdout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        os.close(master)
