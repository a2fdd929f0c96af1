"""OAuth refresh as users meet it through `atomic key`: single-flight across processes, failures
that never lose the stored credential, and no refresh token spent where it could not be saved."""
import contextlib
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from netfakes import reply, without_network_env

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ATOMIC = os.path.join(REPO, "atomic.py")
ANTHROPIC_CLIENT = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
TOKEN_PATH = "/v1/oauth/token"
HOUR_MS = 3600 * 1000


@pytest.fixture
def agent(tmp_path):
    path = tmp_path / "agent"
    path.mkdir(mode=0o700)
    return path


def now_ms():
    return int(time.time() * 1000)


def write_auth(agent, data):
    path = agent / "auth.json"
    path.write_text(json.dumps(data, indent=2))
    path.chmod(0o600)
    return path


def anthropic_entry(expires, refresh="r0", access="sk-ant-oat01-old-access-token"):
    return {"type": "oauth", "access": access, "refresh": refresh, "expires": expires}


def env_for(net, agent, tmp_path):
    env = without_network_env(os.environ)
    env = {k: v for k, v in env.items() if not k.endswith("_API_KEY") and not k.startswith("ANTHROPIC")}
    env.update(net.env())
    env.update({"HOME": str(tmp_path), "ATOMIC_CODING_AGENT_DIR": str(agent), "ATOMIC_LOCK_TIMEOUT": "30"})
    return env


def atomic(args, env, **kw):
    return subprocess.run([sys.executable, ATOMIC] + args, env=env, capture_output=True, text=True,
                          timeout=60, **kw)


class TokenServer:
    """platform.claude.com's token endpoint: JSON refresh grants, rotating refresh tokens,
    invalid_grant on reuse. `mode` switches it into one of the failure shapes."""

    def __init__(self, net, current="r0", delay=0.0):
        self.current, self.delay, self.mode, self.issued = current, delay, "ok", 0
        self.rotate = True
        self.lock = threading.Lock()
        net.hosts.route("POST", "platform.claude.com", TOKEN_PATH)(self.handle)

    def handle(self, req):
        if req.content_type != "application/json":
            return reply(415, {"error": "invalid_request", "error_description": "JSON body required"})
        body = req.json()
        if body.get("grant_type") != "refresh_token" or body.get("client_id") != ANTHROPIC_CLIENT:
            return reply(400, {"error": "invalid_request"})
        time.sleep(self.delay)
        failures = {
            "500": reply(500, {"error": {"type": "api_error", "message": "Internal server error"}}),
            "429": reply(429, {"error": {"type": "rate_limit_error", "message": "slow down"}}, {"Retry-After": "30"}),
            "html": reply(200, "<html><body>Sign in to continue</body></html>", {"Content-Type": "text/html"}),
            "truncated": reply(200, '{"access_token": "sk-ant-oat01-tru', {"Content-Type": "application/json"}),
        }
        if self.mode in failures:
            return failures[self.mode]
        with self.lock:
            if body.get("refresh_token") != self.current:
                return reply(400, {"error": "invalid_grant", "error_description": "Refresh token not found or invalid"})
            self.issued += 1
            answer = {"token_type": "Bearer", "access_token": "sk-ant-oat01-fresh-%d" % self.issued,
                      "expires_in": 28800, "scope": "user:inference"}
            if self.rotate:
                self.current = "r%d" % self.issued
                answer["refresh_token"] = self.current
            return reply(200, answer)


def refresh_requests(net):
    return net.hosts.seen(host="platform.claude.com", path=TOKEN_PATH)


def test_twenty_processes_share_one_refresh(net, agent, tmp_path):
    TokenServer(net, delay=0.3)
    others = {"openai": {"type": "api_key", "key": "sk-other-provider-key-0000"},
              "someday-provider": {"type": "api_key", "key": "x", "futureField": [1, {"a": None}]}}
    write_auth(agent, dict(others, anthropic=anthropic_entry(now_ms() - 1000)))
    env = env_for(net, agent, tmp_path)
    procs = [subprocess.Popen([sys.executable, ATOMIC, "key", "anthropic"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(20)]
    results = [p.communicate(timeout=90) + (p.returncode,) for p in procs]
    assert [r[2] for r in results] == [0] * 20, [r[1] for r in results if r[2]]
    assert {r[0] for r in results} == {"sk-ant-oat01-fresh-1\n"}
    assert len(refresh_requests(net)) == 1
    stored = json.loads((agent / "auth.json").read_text())
    assert {k: stored[k] for k in others} == others
    assert stored["anthropic"]["access"] == "sk-ant-oat01-fresh-1"
    assert stored["anthropic"]["refresh"] == "r1"
    expected = now_ms() + 28800 * 1000 - 5 * 60 * 1000
    assert abs(stored["anthropic"]["expires"] - expected) < 60 * 1000
    assert oct((agent / "auth.json").stat().st_mode & 0o777) == "0o600"


class FamilyTokenServer:
    """platform.claude.com's token endpoint for several logins at once: each refresh-token family
    rotates on its own, and a token of one family never answers for another."""

    def __init__(self, net, families, delay=0.3):
        self.current = dict(families)    # family -> its live refresh token
        self.issued = {f: 0 for f in families}
        self.delay, self.lock = delay, threading.Lock()
        net.hosts.route("POST", "platform.claude.com", TOKEN_PATH)(self.handle)

    def handle(self, req):
        body = req.json()
        time.sleep(self.delay)
        with self.lock:
            family = next((f for f, token in self.current.items() if token == body.get("refresh_token")), None)
            if family is None or body.get("client_id") != ANTHROPIC_CLIENT:
                return reply(400, {"error": "invalid_grant", "error_description": "Refresh token not found or invalid"})
            self.issued[family] += 1
            self.current[family] = "%s-r%d" % (family, self.issued[family])
            return reply(200, {"token_type": "Bearer", "access_token": "sk-ant-oat01-%s-fresh-%d" % (family, self.issued[family]),
                               "expires_in": 28800, "refresh_token": self.current[family]})


def test_two_named_logins_refreshed_by_twenty_processes_each_refresh_once_each(net, agent, tmp_path):
    server = FamilyTokenServer(net, {"work": "work-r0", "personal": "personal-r0"})
    write_auth(agent, {"anthropic:work": anthropic_entry(now_ms() - 1000, refresh="work-r0", access="sk-ant-oat01-work-old"),
                       "anthropic:personal": anthropic_entry(now_ms() - 1000, refresh="personal-r0",
                                                             access="sk-ant-oat01-personal-old"),
                       "anthropic": anthropic_entry(now_ms() + HOUR_MS, refresh="default-r0")})
    env = env_for(net, agent, tmp_path)
    names = ["work", "personal"] * 20
    procs = [subprocess.Popen([sys.executable, ATOMIC, "key", "anthropic", "--profile", name], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in names]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert [r[2] for r in results] == [0] * 40, [r[1] for r in results if r[2]]
    for name, (out, _err, _code) in zip(names, results):
        assert out == "sk-ant-oat01-%s-fresh-1\n" % name       # each process got its own login's token
    assert server.issued == {"work": 1, "personal": 1}          # one refresh per login
    assert len(refresh_requests(net)) == 2
    stored = json.loads((agent / "auth.json").read_text())
    assert stored["anthropic:work"]["refresh"] == "work-r1" and stored["anthropic:personal"]["refresh"] == "personal-r1"
    assert stored["anthropic:work"]["access"] == "sk-ant-oat01-work-fresh-1"
    assert stored["anthropic"] == anthropic_entry(stored["anthropic"]["expires"], refresh="default-r0")  # untouched


def test_a_fresh_token_is_used_without_any_request_or_write(net, agent, tmp_path):
    TokenServer(net)
    path = write_auth(agent, {"anthropic": anthropic_entry(now_ms() + HOUR_MS)})
    before = (path.read_bytes(), path.stat().st_mtime_ns, sorted(os.listdir(agent)))
    result = atomic(["key", "anthropic"], env_for(net, agent, tmp_path))
    assert result.returncode == 0 and result.stdout == "sk-ant-oat01-old-access-token\n"
    assert refresh_requests(net) == []
    assert (path.read_bytes(), path.stat().st_mtime_ns, sorted(os.listdir(agent))) == before


def test_a_response_without_a_refresh_token_keeps_the_old_one(net, agent, tmp_path):
    server = TokenServer(net)
    server.rotate = False
    write_auth(agent, {"anthropic": anthropic_entry(now_ms() - 1000)})
    result = atomic(["key", "anthropic"], env_for(net, agent, tmp_path))
    assert result.returncode == 0, result.stderr
    stored = json.loads((agent / "auth.json").read_text())["anthropic"]
    assert stored["refresh"] == "r0" and stored["access"] == "sk-ant-oat01-fresh-1"


def test_a_refused_refresh_token_asks_to_log_in_again_and_keeps_the_entry(net, agent, tmp_path):
    TokenServer(net, current="some-other-token")
    path = write_auth(agent, {"anthropic": anthropic_entry(now_ms() - 1000)})
    before = path.read_bytes()
    result = atomic(["key", "anthropic"], env_for(net, agent, tmp_path))
    assert result.returncode == 5
    assert result.stdout == ""
    assert "atomic login anthropic" in result.stderr and result.stderr.startswith("atomic: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert path.read_bytes() == before


@pytest.mark.parametrize("mode", ["500", "429", "html", "truncated"])
def test_server_trouble_with_an_expired_token_is_a_network_error_and_keeps_the_entry(net, agent, tmp_path, mode):
    server = TokenServer(net)
    server.mode = mode
    path = write_auth(agent, {"anthropic": anthropic_entry(now_ms() - 1000)})
    before = path.read_bytes()
    result = atomic(["key", "anthropic"], env_for(net, agent, tmp_path))
    assert result.returncode == 6, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and "sk-ant-oat01-tru" not in result.stderr
    assert path.read_bytes() == before


def test_server_trouble_while_the_token_is_still_valid_warns_and_uses_it(net, agent, tmp_path):
    server = TokenServer(net)
    server.mode = "500"
    write_auth(agent, {"anthropic": anthropic_entry(now_ms() + 3 * 60 * 1000)})
    result = atomic(["key", "anthropic"], env_for(net, agent, tmp_path))
    assert result.returncode == 0
    assert result.stdout == "sk-ant-oat01-old-access-token\n"
    assert "warning" in result.stderr and "refresh" in result.stderr
    assert len(refresh_requests(net)) == 1


def test_a_server_that_never_answers_while_the_token_still_works_costs_seconds_not_thirty(net, agent, tmp_path):
    released = threading.Event()

    @net.hosts.route("POST", "platform.claude.com", TOKEN_PATH)
    def hang(req):
        released.wait(60)  # accepts the request and never answers (until the test ends)

    write_auth(agent, {"anthropic": anthropic_entry(now_ms() + 3 * 60 * 1000)})
    try:
        started = time.monotonic()
        result = atomic(["key", "anthropic"], env_for(net, agent, tmp_path))
        elapsed = time.monotonic() - started
    finally:
        released.set()
    assert result.returncode == 0, result.stderr
    assert result.stdout == "sk-ant-oat01-old-access-token\n"
    assert "warning: could not refresh" in result.stderr and "within 5 s" in result.stderr
    assert elapsed < 8, elapsed  # the full HTTP deadline is 30 s
    assert len(refresh_requests(net)) == 1


@contextlib.contextmanager
def read_only(directory):
    """Make a directory unwritable, even for root (immutable attribute), for the duration."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(directory)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(directory)], check=True)
    else:
        directory.chmod(0o500)
        try:
            yield
        finally:
            directory.chmod(0o700)


def test_a_read_only_directory_spends_no_refresh_token(net, agent, tmp_path):
    TokenServer(net)
    path = write_auth(agent, {"anthropic": anthropic_entry(now_ms() - 1000)})
    before = path.read_bytes()
    with read_only(agent):
        result = atomic(["key", "anthropic"], env_for(net, agent, tmp_path))
    assert result.returncode == 7, result.stderr
    assert str(agent) in result.stderr
    assert refresh_requests(net) == []
    assert path.read_bytes() == before


def test_a_read_only_directory_with_a_still_valid_token_warns_and_uses_it(net, agent, tmp_path):
    TokenServer(net)
    write_auth(agent, {"anthropic": anthropic_entry(now_ms() + 2 * 60 * 1000)})
    with read_only(agent):
        result = atomic(["key", "anthropic"], env_for(net, agent, tmp_path))
    assert result.returncode == 0
    assert result.stdout == "sk-ant-oat01-old-access-token\n"
    assert refresh_requests(net) == []


def test_status_shows_an_expired_token_as_due_and_never_refreshes_or_writes(net, agent, tmp_path):
    # status is read-only (atomic.md): the next command that uses the token refreshes it.
    TokenServer(net)
    write_auth(agent, {"anthropic": anthropic_entry(now_ms() - 1000)})
    before = open(os.path.join(agent, "auth.json"), "rb").read()
    env = env_for(net, agent, tmp_path)
    result = atomic(["status", "--json"], env)
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)["providers"]
    assert (row["source"], row["expiresIn"], row["refreshDue"]) == ("auth.json (oauth, refresh due)", "expired", True)
    assert "problem" not in row
    table = atomic(["status"], env).stdout.splitlines()
    assert table[1].endswith("refresh due: `atomic key anthropic` refreshes it"), table
    assert atomic(["status", "--no-refresh"], env).returncode == 0   # accepted: what plain status does anyway
    assert refresh_requests(net) == [] and open(os.path.join(agent, "auth.json"), "rb").read() == before
    assert atomic(["key", "anthropic"], env).returncode == 0 and len(refresh_requests(net)) == 1
    (row,) = json.loads(atomic(["status", "--json"], env).stdout)["providers"]
    assert (row["source"], row["expiresIn"][:2]) == ("auth.json (oauth)", "7h")


def test_an_entry_with_no_access_token_is_refreshed_not_printed_empty(atomic_env, claude, net):
    claude.add_refresh_token("sk-ant-ort01-still-good")
    atomic_env.write_auth({"anthropic": {"type": "oauth", "access": "", "refresh": "sk-ant-ort01-still-good",
                                         "expires": int(time.time() * 1000) + 86400000}})
    r = atomic_env.run("key", "anthropic", env=net.env())
    assert r.returncode == 0, r.stderr
    assert r.stdout == claude.issued[-1]["access_token"] + "\n"
    atomic_env.write_auth({"openai-codex": {"type": "oauth", "access": "", "refresh": "", "expires": int(time.time() * 1000) + 86400000}})
    r = atomic_env.run("key", "openai-codex", env=net.env())
    assert r.returncode in (4, 5) and r.stdout == "", r.stderr   # nothing to make one from: never an empty key


@contextlib.contextmanager
def stopped_holder(net, agent, tmp_path, expires):
    """A real `atomic key anthropic` that has taken the lock to refresh, frozen with SIGSTOP while
    the token endpoint holds its request (a hung refresh); yields its pid."""
    import signal

    arrived, released = threading.Event(), threading.Event()

    @net.hosts.route("POST", "platform.claude.com", TOKEN_PATH)
    def hang(req):
        arrived.set()
        released.wait(60)

    write_auth(agent, {"anthropic": anthropic_entry(expires)})
    holder = subprocess.Popen([sys.executable, ATOMIC, "key", "anthropic"], env=env_for(net, agent, tmp_path),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert arrived.wait(20), "the holder never asked for a refresh"
        os.kill(holder.pid, signal.SIGSTOP)
        yield holder.pid
    finally:
        os.kill(holder.pid, signal.SIGCONT)
        released.set()
        holder.kill()
        holder.wait()


def test_a_stopped_lock_holder_costs_a_still_valid_token_the_advisory_deadline_not_the_lock_timeout(
        net, agent, tmp_path):
    with stopped_holder(net, agent, tmp_path, now_ms() + 3 * 60 * 1000) as pid:
        env = dict(env_for(net, agent, tmp_path), ATOMIC_LOCK_TIMEOUT="45")
        started = time.monotonic()
        result = subprocess.run([sys.executable, ATOMIC, "key", "anthropic"], env=env, capture_output=True,
                                text=True, timeout=25)
        elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert result.stdout == "sk-ant-oat01-old-access-token\n"
    assert "warning: could not refresh" in result.stderr and "pid %d" % pid in result.stderr, result.stderr
    assert elapsed < 10, elapsed  # the advisory deadline is 5 s; the lock timeout 45 s
    assert len(refresh_requests(net)) == 1  # only the holder's


def test_an_expired_token_waits_the_lock_timeout_and_names_the_holder(net, agent, tmp_path):
    with stopped_holder(net, agent, tmp_path, now_ms() - 1000) as pid:
        env = dict(env_for(net, agent, tmp_path), ATOMIC_LOCK_TIMEOUT="1")
        result = atomic(["key", "anthropic"], env)
    assert result.returncode == 9, result.stderr
    assert result.stdout == "" and "pid %d" % pid in result.stderr.splitlines()[-1], result.stderr
