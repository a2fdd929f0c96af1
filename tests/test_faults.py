"""Fault injection against every rule of reliability.md §0 and §4, through the real CLI.

Each case puts one fault under a real atomic process and checks the rule it threatens; the
classes follow issue 14: hostile auth.json contents, filesystem faults, races, hostile token
servers, the callback server, !command, symlinks and permissions, secrets, network and proxies,
output. Every failure is also held to the script contract (assert_fails: the exit code, empty
stdout, one `atomic:` line, no traceback). The README's reliability section gives the figures.

The rule each case guards is in its id or table row: "§0.2" is rule 2 of §0, "§4.9" section 4.9.
"""
import json
import os
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse

import pytest

from conftest import ATOMIC_PY, NOBODY, PYTHON, AtomicEnv, as_unprivileged, assert_fails, clean_env, run_atomic, start_atomic
from faults import PAGE, file_size_limit
from netfakes import ConnectProxy, close_listener, reply
from oauthfakes import http_get

HOUR_MS = 3600 * 1000
TOKEN = "/v1/oauth/token"
GROQ = "gsk-stored-groq-key-000000000001"
REFRESH = "rt-plain-refresh-token-7f3e9a1c5b2d"     # not shaped like a credential: only masking by value hides it
ACCESS = "sk-ant-oat01-current-access-000000000001"
KEYS = {"stdin": GROQ + "\n"}


def now_ms():
    return int(time.time() * 1000)


def claude_entry(expires_in_ms=-1000, refresh=REFRESH, access=ACCESS):
    return {"type": "oauth", "access": access, "refresh": refresh, "expires": now_ms() + expires_in_ms}


def debris(directory):
    """What a failed or finished command must not leave behind: temp files, our lock folder."""
    return sorted(n for n in os.listdir(directory) if n.endswith(".tmp") or n == "auth.json.lock")


def one_clean_line(text):
    """stderr has no terminal control characters and each message is one line."""
    assert not any(ord(ch) < 32 and ch != "\n" or 127 <= ord(ch) < 160 for ch in text), repr(text)


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    """One CA, proxy and fake-host server for the whole module (each case resets the routes)."""
    from netfakes import Network

    network = Network(tmp_path_factory.mktemp("net"))
    yield network
    network.close()


@pytest.fixture(autouse=True)
def _fresh_routes(request):
    if "net" in request.fixturenames:
        net = request.getfixturevalue("net")
        with net.hosts.lock:
            net.hosts.routes.clear()
            del net.hosts.requests[:]


# 1. Hostile auth.json contents (§0.2, §0.13, §4.2, §4.3) --------------------------------------

# name: (auth.json document or raw bytes, provider, exit code, needle in the message)
HOSTILE_AUTH = {
    "key with CR LF header": ({"groq": {"type": "api_key", "key": "gsk-a\r\nX-Evil: 1"}}, "groq", 4, "groq.key"),
    "key with NUL": ({"groq": {"type": "api_key", "key": "gsk-a\x00b"}}, "groq", 4, "control character"),
    "key with ESC sequence": ({"groq": {"type": "api_key", "key": "gsk-\x1b[2Jx"}}, "groq", 4, "control character"),
    "key with DEL": ({"groq": {"type": "api_key", "key": "gsk-a\x7fb"}}, "groq", 4, "control character"),
    "key with C1 CSI": ({"groq": {"type": "api_key", "key": "gsk-a\x9b2J"}}, "groq", 4, "control character"),
    "key with NEL": ({"groq": {"type": "api_key", "key": "gsk-a\x85b"}}, "groq", 4, "control character"),
    "key with a tab inside": ({"groq": {"type": "api_key", "key": "gsk-a\tb"}}, "groq", 4, "groq.key"),
    "key with U+2028": ({"groq": {"type": "api_key", "key": "gsk-a\u2028b"}}, "groq", 4, "whitespace"),
    "key with NBSP": ({"groq": {"type": "api_key", "key": "gsk-a\u00a0b"}}, "groq", 4, "groq.key"),
    "key not ASCII": ({"groq": {"type": "api_key", "key": "gsk-ключ-0001"}}, "groq", 4, "U+043A"),
    "$VAR reference to a value with LF": ({"groq": {"type": "api_key", "key": "$PLANTED"}}, "groq", 4, "groq.key"),
    "oauth access with CR LF": ({"anthropic": claude_entry(HOUR_MS, access="sk-ant-oat01-x\r\nX-Evil: 1")},
                                "anthropic", 4, "anthropic.access"),
    "key a number": ({"groq": {"type": "api_key", "key": 12345}}, "groq", 4, "groq.key"),
    "key an object": ({"groq": {"type": "api_key", "key": {"value": "gsk-x"}}}, "groq", 4, "groq.key"),
    "type null": ({"groq": {"type": None, "key": GROQ}}, "groq", 4, "groq.type"),
    "expires 1e308": ({"anthropic": dict(claude_entry(), expires=1e308)}, "anthropic", 4, "anthropic.expires"),
    "expires a list": ({"anthropic": dict(claude_entry(), expires=[1])}, "anthropic", 4, "anthropic.expires"),
    # Issue 22: a date no login lasts would keep the token from ever being refreshed.
    "expires 200 years out": ({"anthropic": dict(claude_entry(), expires=int(time.time() * 1000) + 200 * 366 * 86400000)},
                              "anthropic", 4, "which no login lasts"),
    # Issue 22: which of the two is meant? JSON readers would silently take the last.
    "duplicate provider": (
        '{"groq": {"type": "api_key", "key": "gsk-first-000000000001"}, "groq": {"type": "api_key", "key": "%s"}}' % GROQ,
        "groq", 4, "groq: the entry is there twice"),
    "env setting a list": ({"groq": {"type": "api_key", "key": GROQ, "env": ["A=1"]}}, "groq", 4, "groq.env"),
    "placeholder setting redirects the host": (
        {"cloudflare-workers-ai": {"type": "api_key", "key": "cf-000000000001",
                                   "env": {"CLOUDFLARE_ACCOUNT_ID": "evil.example/x?"}}},
        "cloudflare-workers-ai", 4, "CLOUDFLARE_ACCOUNT_ID"),
    "a bare `!`": ({"groq": {"type": "api_key", "key": "!"}}, "groq", 8, "printed nothing"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_AUTH))
def test_hostile_auth_json_is_refused_and_never_printed_or_changed(atomic_env, name):
    doc, provider, code, needle = HOSTILE_AUTH[name]
    content = atomic_env.write_auth(doc)
    env = {"PLANTED": "gsk-planted\r\nX-Evil: 1"}
    args = ("key", provider, "--json") if "placeholder" in name else ("key", provider, "--header")
    line = assert_fails(atomic_env.run(*args, env=env), code, needle)
    for secret in ("X-Evil", "gsk-a", "ключ", "current-access"):
        assert secret not in line
    one_clean_line(line)
    assert atomic_env.auth_bytes() == content


# name: (auth.json document, provider, what `key` prints)
ODD_BUT_FINE = {
    "outer whitespace trimmed": ({"groq": {"type": "api_key", "key": " \t" + GROQ + " \n"}}, "groq", GROQ),
    # pi's OpenRouter login: its key as an OAuth entry that never expires (reference §2.4).
    "expires Number.MAX_SAFE_INTEGER (never)": (
        {"openrouter": {"type": "oauth", "access": "sk-or-v1-" + "a" * 24, "refresh": "", "expires": 9007199254740991}},
        "openrouter", "sk-or-v1-" + "a" * 24),
    "null entry is no entry": ({"groq": None}, "groq", None),
    "unknown fields kept": ({"groq": {"type": "api_key", "key": GROQ, "future": {"x": [1, None]}}}, "groq", GROQ),
    # Issue 9: read as the Atomic agent reads it (pi #8337); never written back (tests/test_pi.py).
    "UTF-8 byte order mark skipped": (b'\xef\xbb\xbf{"groq": {"type": "api_key", "key": "%s"}}' % GROQ.encode(),
                                      "groq", GROQ),
    "10 000 other providers": (dict({"p%d" % n: {"type": "api_key", "key": "k%d" % n} for n in range(10000)},
                                    groq={"type": "api_key", "key": GROQ}), "groq", GROQ),
}


@pytest.mark.parametrize("name", sorted(ODD_BUT_FINE))
def test_odd_but_valid_auth_json_reads_as_meant(atomic_env, name):
    doc, provider, printed = ODD_BUT_FINE[name]
    content = atomic_env.write_auth(doc)
    r = atomic_env.run("key", provider)
    if printed is None:
        assert_fails(r, 3, "atomic login " + provider)
    else:
        assert (r.returncode, r.stdout, r.stderr) == (0, printed + "\n", "")
    assert atomic_env.auth_bytes() == content


# name: (models.json document, needle)
HOSTILE_MODELS = {
    "apiKey with LF": ({"providers": {"groq": {"apiKey": "gsk-m\nX-Evil: 1"}}}, "providers.groq.apiKey"),
    "header value with CR LF": ({"providers": {"groq": {"apiKey": GROQ, "headers": {"X-T": "a\r\nX-Evil: 1"}}}},
                                "providers.groq.headers.X-T"),
    "header value with ESC": ({"providers": {"groq": {"apiKey": GROQ, "headers": {"X-T": "\x1b]0;x\x07"}}}},
                              "control character"),
    "header value beyond Latin-1": ({"providers": {"groq": {"apiKey": GROQ, "headers": {"X-T": "ключ"}}}}, "U+043A"),
    "header name with a colon": ({"providers": {"groq": {"apiKey": GROQ, "headers": {"X-Evil: 1\r\nX": "v"}}}},
                                 "not a header name"),
    "header name empty": ({"providers": {"groq": {"apiKey": GROQ, "headers": {"": "v"}}}}, "not a header name"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_MODELS))
def test_hostile_models_json_values_never_reach_a_header_line(atomic_env, name):
    doc, needle = HOSTILE_MODELS[name]
    atomic_env.write_models(doc)
    line = assert_fails(atomic_env.run("key", "groq", "--header"), 4, needle)
    if "header name" not in name:
        assert "X-Evil" not in line   # a value is never shown (a bad name is, escaped: '\\r\\n')
    one_clean_line(line)


@pytest.mark.parametrize("value, code", [("gsk-env\r\nX-Evil: 1", 2), ("gsk env", 2), (" gsk-env-0001 ", 0)])
def test_environment_keys_are_checked_like_stored_ones(atomic_env, value, code):
    r = atomic_env.run("key", "groq", "--header", env={"GROQ_API_KEY": value})
    if code:
        assert "X-Evil" not in assert_fails(r, code, "GROQ_API_KEY")
    else:
        assert (r.returncode, r.stdout) == (0, "Authorization: Bearer gsk-env-0001\n")


# 2. Filesystem faults (§0.1, §0.6, §0.7, §4.5) -------------------------------------------------

def _fill_inodes(disk):
    n = 0
    while True:
        try:
            os.close(os.open(disk.path(".inode-%d" % n), os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError:
            return
        n += 1


BIG = {"padding-%d" % n: {"type": "api_key", "key": "k" * 1000} for n in range(6)}  # two pages
COMMANDS = {
    "login": (["login", "groq"], GROQ + "\n"),
    "logout": (["logout", "openai"], None),
    "refresh": (["key", "anthropic"], None),
}
FAULTS = ["full", "one page left", "two pages left", "no inodes left", "read-only"]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_disk_fault_leaves_the_old_file_spends_no_token_and_says_what_to_do(tmp_path, disk, claude, net, command, fault):
    claude.add_refresh_token(REFRESH)
    before = disk.write_auth(dict(BIG, openai={"type": "api_key", "key": "sk-0000000000000001"},
                                 anthropic=claude_entry()))
    if fault == "no inodes left":
        _fill_inodes(disk)
    elif fault == "read-only":
        disk.remount_read_only()
    else:
        disk.fill(leave={"full": 0, "one page left": PAGE, "two pages left": 2 * PAGE}[fault])
    args, stdin = COMMANDS[command]
    r = disk.run(args, clean_env(tmp_path, disk.inside("agent"), **net.env()), input=stdin)
    needle = "read-only file system" if fault == "read-only" else "no space left in"
    assert_fails(r, 7, needle, disk.inside("agent"))
    assert disk.read_auth_bytes() == before                         # §0.7: old or new, here old
    assert debris(disk.path("agent")) == []
    assert claude.token_requests() == []                  # §0.6: no token spent that could not be saved


@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_a_fresh_token_works_on_a_full_or_read_only_disk_and_nothing_is_written(tmp_path, disk, net, fault):
    before = disk.write_auth({"anthropic": claude_entry(HOUR_MS)})
    listing = sorted(os.listdir(disk.path("agent")))
    disk.fill() if fault == "full" else disk.remount_read_only()
    r = disk.run(["key", "anthropic"], clean_env(tmp_path, disk.inside("agent"), **net.env()))
    assert (r.returncode, r.stdout, r.stderr) == (0, ACCESS + "\n", "")     # §0.1
    assert disk.read_auth_bytes() == before
    assert sorted(os.listdir(disk.path("agent"))) == listing


def test_a_refresh_on_a_full_disk_while_the_token_works_warns_and_uses_it(tmp_path, disk, claude, net):
    claude.add_refresh_token(REFRESH)
    disk.write_auth(dict(BIG, anthropic=claude_entry(2 * 60 * 1000)))
    disk.fill(leave=2 * PAGE)
    r = disk.run(["key", "anthropic"], clean_env(tmp_path, disk.inside("agent"), **net.env()))
    assert (r.returncode, r.stdout) == (0, ACCESS + "\n")                    # §0.3 advisory window
    assert r.stderr.startswith("atomic: warning: ") and "no space left" in r.stderr
    assert claude.token_requests() == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_file_size_limit_is_exit_7_and_leaves_nothing_behind(atomic_env, claude, net, command):
    claude.add_refresh_token(REFRESH)
    before = atomic_env.write_auth(dict(BIG, openai={"type": "api_key", "key": "sk-0000000000000001"},
                                        anthropic=claude_entry()))
    args, stdin = COMMANDS[command]
    r = atomic_env.run(*args, input=stdin, env=net.env(), preexec_fn=file_size_limit(2048))
    assert_fails(r, 7, "file-size limit")
    assert atomic_env.auth_bytes() == before and debris(atomic_env.agent_dir) == []
    assert claude.token_requests() == []


def test_after_the_disk_is_freed_the_same_refresh_succeeds(tmp_path, disk, claude, net):
    claude.add_refresh_token(REFRESH)
    disk.write_auth(dict(BIG, anthropic=claude_entry()))
    disk.fill()
    env = clean_env(tmp_path, disk.inside("agent"), **net.env())
    assert_fails(disk.run(["key", "anthropic"], env), 7, "no space left")
    disk.make_room()
    r = disk.run(["key", "anthropic"], env)
    assert r.returncode == 0, r.stderr
    with open(disk.path("agent", "auth.json")) as f:
        assert json.load(f)["anthropic"]["refresh"] in claude.live


# 3. Races (§0.4, §0.5, §0.7) -----------------------------------------------------------------

def test_readers_never_see_a_partial_file_while_writers_replace_it(atomic_env):
    bulk = {"bulk-%03d" % n: {"type": "api_key", "key": "k" * 500} for n in range(200)}   # ~110 KB
    atomic_env.write_auth(dict(bulk, groq={"type": "api_key", "key": GROQ}))
    env = dict(atomic_env.env, ATOMIC_LOCK_TIMEOUT="30")
    writers = [start_atomic(["login", p], env) for p in ("openai", "mistral", "xai", "cerebras")]
    for n, proc in enumerate(writers):
        proc.stdin.write(b"key-from-writer-%d-000000001\n" % n)
        proc.stdin.close()
    readers = [start_atomic(["key", "groq"], env, stdin=subprocess.DEVNULL) for _ in range(8)]
    outcomes = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in writers + readers]
    for proc in writers + readers:
        proc.stdout.close()
        proc.stderr.close()
    assert all(code == 0 for code, _o, _e in outcomes), outcomes
    assert all(out == (GROQ + "\n").encode() for _c, out, _e in outcomes[len(writers):])
    assert set(atomic_env.read_auth()) == set(bulk) | {"groq", "openai", "mistral", "xai", "cerebras"}


def test_concurrent_refreshes_and_logins_lose_nothing_and_refresh_once(atomic_env, claude, net):
    claude.add_refresh_token(REFRESH)
    atomic_env.write_auth({"anthropic": claude_entry()})
    env = dict(atomic_env.env, ATOMIC_LOCK_TIMEOUT="30", **net.env())
    procs = [start_atomic(["key", "anthropic"], env, stdin=subprocess.DEVNULL) for _ in range(8)]
    logins = [start_atomic(["login", p], env) for p in ("groq", "openai", "mistral")]
    for n, proc in enumerate(logins):
        proc.stdin.write(b"key-from-login-%d-0000000001\n" % n)
        proc.stdin.close()
    results = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in procs + logins]
    for proc in procs + logins:
        proc.stdout.close()
        proc.stderr.close()
    assert [code for code, _o, _e in results] == [0] * len(results), results
    stored = atomic_env.read_auth()
    assert {out for _c, out, _e in results[:len(procs)]} == {(stored["anthropic"]["access"] + "\n").encode()}
    assert len(claude.token_requests()) == 1                       # §0.4 single flight
    assert set(stored) == {"anthropic", "groq", "openai", "mistral"}


def test_a_stale_agent_lock_and_five_writers_at_once(atomic_env):
    atomic_env.write_auth({})
    lock = os.path.join(atomic_env.agent_dir, "auth.json.lock")
    os.mkdir(lock)
    old = time.time() - 120
    os.utime(lock, (old, old))
    env = dict(atomic_env.env, ATOMIC_LOCK_TIMEOUT="30")
    names = ["groq", "openai", "mistral", "xai", "cerebras"]
    procs = [start_atomic(["login", p], env) for p in names]
    for proc in procs:
        proc.stdin.write(GROQ.encode() + b"\n")
        proc.stdin.close()
    assert [p.wait(timeout=60) for p in procs] == [0] * 5
    for proc in procs:
        proc.stdout.close()
        proc.stderr.close()
    assert sorted(atomic_env.read_auth()) == sorted(names)
    assert not os.path.lexists(lock)


def test_a_lock_folder_swapped_for_a_link_while_held_is_not_followed_on_release(atomic_env, claude, net, tmp_path):
    claude.add_refresh_token(REFRESH)
    atomic_env.write_auth({"anthropic": claude_entry()})
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "atomic.pid").write_text("not a marker: a file of the user's")
    lock = os.path.join(atomic_env.agent_dir, "auth.json.lock")
    arrived = threading.Event()
    release = threading.Event()

    @net.hosts.route("POST", "platform.claude.com", TOKEN)
    def slow(req):
        arrived.set()
        release.wait(20)
        return claude.token(req)

    proc = start_atomic(["key", "anthropic"], dict(atomic_env.env, **net.env()), stdin=subprocess.DEVNULL)
    try:
        assert arrived.wait(20)
        os.rename(lock, lock + ".moved")            # someone swaps the held folder for a link
        os.symlink(str(precious), lock)
        release.set()
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
    finally:
        release.set()
        proc.stdout.close()
        proc.stderr.close()
    assert (precious / "atomic.pid").read_text() == "not a marker: a file of the user's"
    assert os.path.islink(lock)


def test_sigkill_during_refreshes_leaves_a_readable_file_and_no_lasting_lock(atomic_env, claude, net):
    import random

    claude.add_refresh_token(REFRESH)
    atomic_env.write_auth({"anthropic": claude_entry(), "groq": {"type": "api_key", "key": GROQ}})

    @net.hosts.route("POST", "platform.claude.com", TOKEN)
    def slow(req):
        time.sleep(0.05)
        return claude.token(req)

    env = dict(atomic_env.env, **net.env())
    rng = random.Random(14)
    for _ in range(6):
        entry = atomic_env.read_auth()["anthropic"]
        entry["expires"] = now_ms() - 1000                  # due again
        atomic_env.write_auth(dict(atomic_env.read_auth(), anthropic=entry))
        proc = start_atomic(["key", "anthropic"], env, stdin=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        stored = atomic_env.read_auth()                         # always parses
        assert stored["groq"] == {"type": "api_key", "key": GROQ}
        assert stored["anthropic"]["type"] == "oauth"
    r = atomic_env.run("login", "groq", input=GROQ + "\n", env={"ATOMIC_LOCK_TIMEOUT": "5"})
    assert r.returncode == 0, r.stderr                          # a killed atomic blocks no one
    assert debris(atomic_env.agent_dir) == [] or all(n.endswith(".tmp") for n in debris(atomic_env.agent_dir))


HOLD = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.readline()
"""


def test_a_write_made_while_atomic_waited_for_the_lock_survives(atomic_env):
    atomic_env.write_auth({"openai": {"type": "api_key", "key": "sk-0000000000000001"}})
    holder = subprocess.Popen([PYTHON, "-c", HOLD, atomic_env.auth_path + ".flock"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
    assert holder.stdout.readline() == b"held\n"
    proc = start_atomic(["login", "groq"], dict(atomic_env.env, ATOMIC_LOCK_TIMEOUT="20"))
    proc.stdin.write(GROQ.encode() + b"\n")
    proc.stdin.close()
    time.sleep(0.3)
    # Another writer (the lock holder) adds an entry and lets go: atomic must re-read under the lock.
    atomic_env.write_auth(dict(atomic_env.read_auth(), mistral={"type": "api_key", "key": "m-000000000001"}))
    holder.stdin.write(b"\n")
    holder.stdin.close()
    holder.wait(timeout=10)
    holder.stdout.close()
    assert proc.wait(timeout=30) == 0
    proc.stdout.close()
    proc.stderr.close()
    assert sorted(atomic_env.read_auth()) == ["groq", "mistral", "openai"]


# 4. Hostile token servers (§0.3, §0.5, §4.2, §4.9) ---------------------------------------------

def _echo(req):
    return req.json().get("refresh_token", "")


# name: (answer(req) -> reply, exit code, the refresh token the entry must hold afterwards)
TOKEN_ANSWERS = {
    "access_token with CR LF": (lambda r: reply(200, {"access_token": "sk-ant-oat01-a\r\nX-Evil: 1", "expires_in": 3600}), 6, REFRESH),
    "access_token with a space": (lambda r: reply(200, {"access_token": "Bearer sk-ant-oat01-a", "expires_in": 3600}), 6, REFRESH),
    "access_token with ESC": (lambda r: reply(200, {"access_token": "sk-ant-oat01-\x1b[2J", "expires_in": 3600}), 6, REFRESH),
    "access_token a number": (lambda r: reply(200, {"access_token": 12345, "expires_in": 3600}), 6, REFRESH),
    "bad access, rotated refresh kept": (
        lambda r: reply(200, {"access_token": "a\nb", "refresh_token": "rt-rotated-000000000001"}), 6, "rt-rotated-000000000001"),
    "refresh_token with LF": (lambda r: reply(200, {"access_token": "sk-ant-oat01-ok-0001", "refresh_token": "r\nX"}), 6, REFRESH),
    "JSON array": (lambda r: reply(200, [1, 2]), 6, REFRESH),
    "JSON null": (lambda r: reply(200, "null", {"Content-Type": "application/json"}), 6, REFRESH),
    "a million brackets": (lambda r: reply(200, "[" * 1000000, {"Content-Type": "application/json"}), 6, REFRESH),
    "over 1 MiB": (lambda r: reply(200, {"access_token": "x" * (1 << 20)}), 6, REFRESH),
    "HTML with the refresh token": (lambda r: reply(200, "<html>%s</html>" % _echo(r), {"Content-Type": "text/html"}), 6, REFRESH),
    "truncated JSON": (lambda r: reply(200, '{"access_token": "sk-ant-oat01-tr', {"Content-Type": "application/json"}), 6, REFRESH),
    "not UTF-8": (lambda r: reply(500, b"\xff\xfe\x00bad"), 6, REFRESH),
    "500 echoing the refresh token": (lambda r: reply(500, {"error": {"message": "bad token " + _echo(r)}}), 6, REFRESH),
    "400 invalid_grant echoing it": (lambda r: reply(400, {"error": "invalid_grant", "error_description": _echo(r)}), 5, REFRESH),
    "401 echoing it URL-encoded": (lambda r: reply(401, {"error": "invalid_grant", "error_description":
                                                         "refresh_token=" + urllib.parse.quote(_echo(r))}), 5, REFRESH),
    "terminal escapes in the refusal": (lambda r: reply(400, {"error": "invalid_grant", "error_description":
                                                              "\x1b[2J\x1b]0;pwned\x07\x9b31m"}), 5, REFRESH),
    "multi-line 10 KB refusal": (lambda r: reply(400, {"error": "invalid_grant", "error_description": "line\n" * 2000}), 5, REFRESH),
    "invalid_client": (lambda r: reply(401, {"error": "invalid_client"}), 5, REFRESH),
    "429 with Retry-After": (lambda r: reply(429, {"error": {"type": "rate_limit_error"}}, {"Retry-After": "3600"}), 6, REFRESH),
    "302 to another host": (lambda r: reply(302, "", {"Location": "https://other.example.com/steal"}), 6, REFRESH),
    "200 carrying an OAuth error": (lambda r: reply(200, {"error": "invalid_grant"}), 6, REFRESH),
    "expires_in negative": (lambda r: reply(200, {"access_token": "sk-ant-oat01-neg-0001", "expires_in": -5}), 0, REFRESH),
    "expires_in 1e300": (lambda r: reply(200, {"access_token": "sk-ant-oat01-huge-0001", "expires_in": 1e300}), 0, REFRESH),
    "expires_in NaN text": (lambda r: reply(200, {"access_token": "sk-ant-oat01-nan-0001", "expires_in": "NaN"}), 0, REFRESH),
}


@pytest.mark.parametrize("name", sorted(TOKEN_ANSWERS))
def test_a_hostile_token_answer_is_survived(atomic_env, net, name):
    answer, code, kept_refresh = TOKEN_ANSWERS[name]
    net.hosts.route("POST", "platform.claude.com", TOKEN)(answer)
    net.hosts.route("GET", "other.example.com", "/steal")(lambda r: reply(200, {"stolen": r.body.decode()}))
    atomic_env.write_auth({"anthropic": claude_entry(), "groq": {"type": "api_key", "key": GROQ}})
    r = atomic_env.run("key", "anthropic", env=net.env())
    if code:
        line = assert_fails(r, code)
        assert len(line) < 600
    else:
        assert r.returncode == 0 and r.stdout.startswith("sk-ant-oat01-"), r.stderr
    assert REFRESH not in r.stderr and urllib.parse.quote(REFRESH) not in r.stderr and "X-Evil" not in r.stderr
    one_clean_line(r.stderr)
    stored = atomic_env.read_auth()
    assert stored["anthropic"]["refresh"] == kept_refresh and stored["groq"]["key"] == GROQ     # §0.5
    if code:
        assert stored["anthropic"]["access"] == ACCESS
    stolen = net.hosts.seen(host="other.example.com")
    assert all(REFRESH not in (s.body.decode() + str(dict(s.headers))) for s in stolen)          # §4.9


def test_a_copilot_exchange_echoing_the_github_token_is_masked(tmp_path, net):
    github_token = "gho_plainGitHubTokenEchoed0123456789"
    env = AtomicEnv(tmp_path)
    env.write_auth({"github-copilot": {"type": "oauth", "access": "tid=x", "refresh": github_token,
                                       "expires": now_ms() - 1000}})
    net.hosts.route("GET", "api.github.com", "/copilot_internal/v2/token")(
        lambda r: reply(401, {"message": "Bad credentials: %s" % r.headers.get("Authorization")}))
    line = assert_fails(env.run("key", "github-copilot", env=net.env()), 5, "Bad credentials")
    assert github_token not in line and github_token[4:20] not in line


# 5. The callback server (§4.7) -----------------------------------------------------------------

CALLBACK = "http://127.0.0.1:53692/callback"


def _raw(request, read=True):
    with socket.create_connection(("127.0.0.1", 53692), timeout=10) as sock:
        sock.sendall(request)
        return sock.recv(65536).decode("latin-1") if read else ""


def _state(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["state"]


HOSTILE_CALLBACKS = {
    "POST with the right state": lambda url, good: _raw(("POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0"
                                                         "\r\n\r\n" % good[len("http://127.0.0.1:53692"):]).encode()),
    "a 100 KB request line": lambda url, good: _raw(b"GET /callback?" + b"a" * 100000 + b" HTTP/1.1\r\n\r\n"),
    "an idle connection": lambda url, good: socket.create_connection(("127.0.0.1", 53692)),
    "a state that is a prefix": lambda url, good: http_get(CALLBACK + "?code=c&state=" + _state(url)[:-1]),
    "a state in another case": lambda url, good: http_get(CALLBACK + "?code=c&state=" + _state(url).swapcase()),
    "two states, the right one second": lambda url, good: http_get(CALLBACK + "?code=c&state=x&state=" + _state(url)),
    "a path with dots": lambda url, good: http_get("http://127.0.0.1:53692/x/../callback?code=c&state=" + _state(url)),
    "TLS hello bytes": lambda url, good: _raw(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64),
                                             read=False),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_CALLBACKS))
def test_a_hostile_request_to_the_callback_does_not_end_or_hijack_the_login(atomic_env, claude, login_env, start_login, name):
    run = start_login(["login", "anthropic", "--oauth"], login_env)
    url = run.authorize_url("https://claude.ai/oauth/authorize")
    good = claude.authorize(url)
    held = HOSTILE_CALLBACKS[name](url, good)
    assert run.proc.poll() is None and claude.token_requests() == []     # still waiting, nothing exchanged
    status, _headers, page = http_get(good)
    assert status == 200 and "Sign-in received" in page
    code, out, err = run.finish()
    assert code == 0 and out == "", err
    assert atomic_env.read_auth()["anthropic"]["access"] == claude.issued[-1]["access_token"]
    if isinstance(held, socket.socket):
        held.close()


def test_an_error_page_escapes_markup_and_the_terminal_sees_no_escapes(atomic_env, claude, login_env, start_login):
    run = start_login(["login", "anthropic", "--oauth"], login_env)
    url = run.authorize_url("https://claude.ai/oauth/authorize")
    hostile = "<script>alert(1)</script>\x1b]0;pwned\x07\x1b[2J"
    status, _h, page = http_get(CALLBACK + "?" + urllib.parse.urlencode(
        {"error": "access_denied", "error_description": hostile, "state": _state(url)}))
    assert status == 400 and "<script>" not in page and "&lt;script&gt;" in page
    code, out, err = run.finish()
    assert code == 10 and out == ""
    one_clean_line(err)
    assert not os.path.exists(atomic_env.auth_path)


def test_a_second_callback_after_the_first_changes_nothing(atomic_env, claude, login_env, start_login):
    run = start_login(["login", "anthropic", "--oauth"], login_env)
    url = run.authorize_url("https://claude.ai/oauth/authorize")
    first = claude.authorize(url)
    assert http_get(first)[0] == 200
    try:
        assert http_get(claude.authorize(url), timeout=2)[0] == 409
    except OSError:
        pass  # or the server is already closed: one request, then it closes
    code, _out, err = run.finish()
    assert code == 0, err
    assert len(claude.token_requests()) == 1


# 6. !command (§4.10) -------------------------------------------------------------------------

# name: (command, exit code, needle); the command's stdout must never be shown
COMMANDS_THAT_FAIL = {
    "prints the key then fails": ("echo gsk-cmd-secret-0000000001; echo gsk-cmd-secret-0000000001 >&2; exit 3", 8, "exit status 3"),
    "killed by a signal": ("kill -9 $$", 8, "signal 9"),
    "not found": ("definitely-not-a-command-1234", 8, "127"),
    "prints two lines": ("printf 'gsk-cmd-secret-0000000001\\nsecond\\n'", 8, "2 lines"),
    "prints an escape sequence": ("printf '\\033[2Jgsk-cmd-secret-0000000001'", 8, "control characters"),
    "prints a NUL": ("printf 'gsk-cmd\\000secret'", 8, "control characters"),
    "prints bytes that are not UTF-8": ("printf '\\377\\376'", 8, "UTF-8"),
    "prints a key with a space": ("echo 'gsk-cmd secret-0000000001'", 8, "whitespace"),
    "prints without end": ("yes gsk-cmd-secret-0000000001", 8, "more than 64 KiB"),
    "prints 200 KB on one line": ("head -c 200000 /dev/zero | tr '\\0' a", 8, "more than 64 KiB"),
    "sleeps past the timeout": ("sleep 30", 8, "did not finish within 0.5 s"),
    "stderr floods, stdout nothing": ("head -c 1000000 /dev/zero >&2", 8, "printed nothing"),
}


@pytest.mark.parametrize("name", sorted(COMMANDS_THAT_FAIL))
def test_a_failing_key_command_is_exit_8_and_never_shows_its_output(atomic_env, name):
    command, code, needle = COMMANDS_THAT_FAIL[name]
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "!" + command}})
    started = time.monotonic()
    r = atomic_env.run("key", "groq", env={"ATOMIC_COMMAND_TIMEOUT": "0.5"}, timeout=30)
    line = assert_fails(r, code, needle)
    assert "gsk-cmd-secret-0000000001" not in line and "secret-0000000001" not in line
    one_clean_line(line)
    assert time.monotonic() - started < 10


def test_a_key_command_runs_with_no_terminal_and_no_stdin(atomic_env, tmp_path):
    seen = tmp_path / "seen"
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "!cat > %s; tty >> %s; echo gsk-cmd-key-0000000001" % (seen, seen)}})
    r = atomic_env.run("key", "groq", input="what the user typed\n")
    assert (r.returncode, r.stdout) == (0, "gsk-cmd-key-0000000001\n")
    assert seen.read_text().splitlines()[-1] == "not a tty"          # stdin was /dev/null, not ours


@pytest.mark.parametrize("mode, folder_mode, code", [(0o600, 0o700, 0), (0o640, 0o750, 0), (0o660, 0o700, 7),
                                                      (0o606, 0o700, 7), (0o600, 0o770, 7), (0o600, 0o1777, 0)])
def test_a_key_command_runs_only_from_files_no_one_else_can_change(atomic_env, tmp_path, mode, folder_mode, code):
    marker = tmp_path / "ran"
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "!touch %s; echo gsk-cmd-key-0000000001" % marker}},
                          mode=mode)
    os.chmod(atomic_env.agent_dir, folder_mode)
    r = atomic_env.run("key", "groq")
    if code:
        assert_fails(r, code, "!command", warnings=True)
        assert not marker.exists()
    else:
        assert (r.returncode, r.stdout) == (0, "gsk-cmd-key-0000000001\n"), r.stderr
        assert marker.exists()


# 7. Symlinks and permissions (§0.8, §0.9, §4.3, §4.4) -------------------------------------------

def _precious(tmp_path):
    folder = tmp_path / "precious"
    folder.mkdir(exist_ok=True)
    (folder / "thesis.tex").write_text("precious")
    old = time.time() - 3600
    os.utime(str(folder), (old, old))
    return folder


# name: make(atomic_env, precious folder) -> the path that must be named; exit code of `login`
LOCK_PLANTS = {
    "lock folder a link to a folder": (lambda e, p: os.symlink(str(p), e.auth_path + ".lock"), 7),
    "lock folder a link to a file": (lambda e, p: os.symlink(str(p / "thesis.tex"), e.auth_path + ".lock"), 7),
    "lock folder a dangling link": (lambda e, p: os.symlink(str(p / "gone"), e.auth_path + ".lock"), 7),
    "flock file a link to a file": (lambda e, p: os.symlink(str(p / "thesis.tex"), e.auth_path + ".flock"), 7),
    "flock file a hard link to a file": (lambda e, p: os.link(str(p / "thesis.tex"), e.auth_path + ".flock"), 7),
    "flock file a folder": (lambda e, p: os.mkdir(e.auth_path + ".flock"), 7),
    "stale lock folder with files of someone's": (lambda e, p: _stale_folder_with(e.auth_path + ".lock"), 7),
    "lock folder a fifo": (lambda e, p: os.mkfifo(e.auth_path + ".lock"), 7),
}


def _stale_folder_with(path):
    os.mkdir(path)
    with open(os.path.join(path, "notes.txt"), "w") as f:
        f.write("someone's")
    old = time.time() - 3600
    os.utime(path, (old, old))


@pytest.mark.parametrize("name", sorted(LOCK_PLANTS))
def test_a_planted_lock_path_is_refused_and_what_it_points_to_is_untouched(atomic_env, tmp_path, name):
    make, code = LOCK_PLANTS[name]
    before = atomic_env.write_auth({"openai": {"type": "api_key", "key": "sk-0000000000000001"}})
    precious = _precious(tmp_path)
    make(atomic_env, precious)
    planted = atomic_env.auth_path + (".flock" if "flock" in name else ".lock")
    r = atomic_env.run("login", "groq", input=GROQ + "\n", env={"ATOMIC_LOCK_TIMEOUT": "2"})
    assert_fails(r, code, planted)
    assert (precious / "thesis.tex").read_text() == "precious" and os.listdir(str(precious)) == ["thesis.tex"]
    assert atomic_env.auth_bytes() == before and os.path.lexists(planted)
    if "someone" in name:
        assert os.listdir(planted) == ["notes.txt"]


def test_a_planted_temp_file_link_is_left_alone(atomic_env, tmp_path):
    precious = _precious(tmp_path)
    atomic_env.write_auth({})
    planted = os.path.join(atomic_env.agent_dir, ".auth.json.planted.tmp")
    os.symlink(str(precious / "thesis.tex"), planted)
    old = time.time() - 3600
    os.utime(planted, (old, old), follow_symlinks=False)
    assert atomic_env.run("login", "groq", input=GROQ + "\n").returncode == 0
    assert os.path.islink(planted) and (precious / "thesis.tex").read_text() == "precious"


def test_a_hard_link_to_auth_json_never_receives_new_tokens(atomic_env, tmp_path):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk-old-0000000000001"}})
    spy = str(tmp_path / "spy.json")
    os.link(atomic_env.auth_path, spy)                      # §4.5: the rename gives a new inode
    assert atomic_env.run("login", "groq", input=GROQ + "\n").returncode == 0
    with open(spy) as f:
        assert GROQ not in f.read()
    assert atomic_env.read_auth()["groq"]["key"] == GROQ


# name: (file mode, folder mode, exit code of `key groq`)
MODES = {
    "0600 in 0700": (0o600, 0o700, 0),
    "0644 in 0755 (readable: a warning)": (0o644, 0o755, 0),
    "0660 (others can change the key)": (0o660, 0o700, 7),
    "0602": (0o602, 0o700, 7),
    "folder 0775": (0o600, 0o775, 7),
    "folder 0707": (0o600, 0o707, 7),
    "folder 1777 (sticky), file ours": (0o600, 0o1777, 0),
}


@pytest.mark.parametrize("name", sorted(MODES))
def test_a_literal_key_is_read_only_where_no_one_else_could_have_put_it(atomic_env, name):
    mode, folder_mode, code = MODES[name]
    atomic_env.write_auth({"groq": {"type": "api_key", "key": GROQ}}, mode=mode)
    os.chmod(atomic_env.agent_dir, folder_mode)
    r = atomic_env.run("key", "groq")
    if code:
        line = assert_fails(r, code, "not using this key", warnings=True)
        assert GROQ not in line
    else:
        assert (r.returncode, r.stdout) == (0, GROQ + "\n"), r.stderr
        assert ("warning" in r.stderr) == bool(mode & 0o077)
    assert atomic_env.mode(atomic_env.auth_path) == mode        # a read changes nothing


def test_a_models_json_link_from_a_dotfiles_folder_is_followed_but_not_a_writable_target(atomic_env, tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir(mode=0o700)
    target = dotfiles / "models.json"
    target.write_text(json.dumps({"providers": {"groq": {"apiKey": GROQ}}}))
    target.chmod(0o600)
    atomic_env.make_agent_dir()
    os.symlink(str(target), atomic_env.models_path)
    r = atomic_env.run("key", "groq")
    assert (r.returncode, r.stdout) == (0, GROQ + "\n"), r.stderr
    target.chmod(0o666)
    assert_fails(atomic_env.run("key", "groq"), 7, "not using this key", warnings=True)


def test_an_agent_folder_that_is_a_link_to_ours_works(atomic_env, tmp_path):
    real = tmp_path / "real-agent"
    real.mkdir(mode=0o700)
    os.symlink(str(real), atomic_env.agent_dir)
    assert atomic_env.run("login", "groq", input=GROQ + "\n").returncode == 0
    assert json.loads((real / "auth.json").read_text())["groq"]["key"] == GROQ
    assert (real / "auth.json").stat().st_mode & 0o777 == 0o600


def test_as_another_user_a_folder_of_someone_else_is_neither_read_nor_written(shared_tmp):
    if os.geteuid() != 0:
        pytest.skip("needs root to hand the folder to another user")
    env = AtomicEnv(shared_tmp)
    env.write_auth({"groq": {"type": "api_key", "key": GROQ}}, mode=0o644)
    os.chmod(env.agent_dir, 0o755)                              # root's, readable by uid 65534
    os.chown(env.auth_path, NOBODY, NOBODY)
    python, preexec = as_unprivileged()
    r = env.run("key", "groq", python=python, preexec_fn=preexec)
    assert (r.returncode, r.stdout) == (0, GROQ + "\n"), r.stderr     # root's folder: trusted, as /etc is
    os.chown(env.agent_dir, 1234, 1234)
    assert_fails(env.run("key", "groq", python=python, preexec_fn=preexec), 7, "uid 1234", warnings=True)
    assert_fails(env.run("login", "openai", input="sk-0000000000000001\n", python=python, preexec_fn=preexec),
                 7, warnings=True)


# 8. Secrets (§0.10, §4.1, §4.2) ---------------------------------------------------------------

def test_explain_and_status_never_show_the_key(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": GROQ}})
    r = atomic_env.run("key", "groq", "--explain")
    assert r.stdout == GROQ + "\n" and GROQ not in r.stderr
    for args in (("status",), ("status", "--json")):
        r = atomic_env.run(*args)
        assert r.returncode == 0 and GROQ not in r.stdout + r.stderr


def test_a_proxy_password_is_never_shown(atomic_env, net):
    atomic_env.write_auth({"anthropic": claude_entry()})
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    for password in ("proxy-pass-plain-0001", "s3cr3tpw"):   # a short one: not even its end
        env = dict(net.env(), HTTPS_PROXY="http://alice:%s@127.0.0.1:%d" % (password, port))
        line = assert_fails(atomic_env.run("key", "anthropic", env=env), 6, "proxy")
        assert password[-4:] not in line and "****@127.0.0.1" in line
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk_check-key-000000000001"}})
    r = atomic_env.run("status", "--check", "groq", env=dict(env, ATOMIC_CHECK_TIMEOUT="5"))
    assert "3tpw" not in r.stdout + r.stderr


def test_a_debug_traceback_is_masked_too(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "sk-debug-visible-key-000000001"}})
    os.chmod(atomic_env.agent_dir, 0o777)
    r = atomic_env.run("key", "groq", env={"ATOMIC_DEBUG": "1"})
    assert r.returncode == 7 and "sk-debug-visible-key-000000001" not in r.stderr


def test_no_secret_reaches_the_argv_of_any_process(atomic_env, tmp_path):
    # The command records its own argv and its parent's; the key travels only through stdout.
    spy = tmp_path / "argv"
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "!tr '\\0' ' ' </proc/$PPID/cmdline > %s; "
                                                       "echo gsk-cmd-key-0000000001" % spy}})
    r = atomic_env.run("key", "groq")
    assert r.returncode == 0
    assert "gsk-cmd-key" not in spy.read_text()
    r = atomic_env.run("login", "openai", input="sk-argv-check-000000001\n")
    assert r.returncode == 0 and "sk-argv-check" not in r.stdout + r.stderr


# 9. Network and proxies (§4.8, §4.9, §0.12) --------------------------------------------------

class HostileProxy(ConnectProxy):
    """A proxy on 127.0.0.1 that answers CONNECT in one hostile way."""

    ANSWERS = {"407": b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n",
               "403": b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
               "garbage": b"SSH-2.0-OpenSSH_9.6\r\n",
               "escape in reason": b"HTTP/1.1 502 \x1b[2JBad\r\n\r\n",
               "close": b""}

    def __init__(self, behaviour):
        self.answer = self.ANSWERS[behaviour]
        super().__init__(target_port=None)

    def _serve(self, client):
        try:
            client.recv(65536)
            client.sendall(self.answer)
        except OSError:
            pass
        finally:
            client.close()


@pytest.mark.parametrize("behaviour", ["407", "403", "garbage", "escape in reason", "close"])
def test_a_hostile_proxy_is_a_network_error_and_the_entry_is_kept(atomic_env, net, behaviour):
    proxy = HostileProxy(behaviour)
    try:
        before = atomic_env.write_auth({"anthropic": claude_entry()})
        line = assert_fails(atomic_env.run("key", "anthropic", env=dict(net.env(), HTTPS_PROXY=proxy.url)), 6)
        one_clean_line(line)
        assert atomic_env.auth_bytes() == before
    finally:
        proxy.close()


def _wrong_host_server(net):
    cert = net.ca.issue_cert("wrong.example")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def serve():
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                context.wrap_socket(client, server_side=True).close()
            except (OSError, ssl.SSLError):
                client.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener


@pytest.mark.parametrize("case", ["certificate for another host", "CA not trusted", "CA file garbage",
                                  "CA file missing"])
def test_tls_is_always_verified_and_the_failure_says_how_to_fix_it(atomic_env, net, tmp_path, case):
    before = atomic_env.write_auth({"anthropic": claude_entry()})
    env = dict(net.env())
    listener = proxy = None
    if case == "certificate for another host":
        listener = _wrong_host_server(net)
        proxy = ConnectProxy(listener.getsockname()[1])
        env["HTTPS_PROXY"] = proxy.url
        needle = "could not be verified"
    elif case == "CA not trusted":
        env["SSL_CERT_FILE"] = None
        needle = "SSL_CERT_FILE"
    elif case == "CA file garbage":
        garbage = tmp_path / "ca.pem"
        garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
        env["SSL_CERT_FILE"] = str(garbage)
        needle = "SSL_CERT_FILE"
    else:
        env["SSL_CERT_FILE"] = str(tmp_path / "missing.pem")
        needle = "SSL_CERT_FILE"
    try:
        assert_fails(atomic_env.run("key", "anthropic", env=env), 6, needle)
    finally:
        if listener is not None:
            close_listener(listener)
            proxy.close()
    assert atomic_env.auth_bytes() == before


def test_an_https_proxy_url_is_warned_about_and_still_works(atomic_env, claude, net):
    claude.add_refresh_token(REFRESH)
    atomic_env.write_auth({"anthropic": claude_entry()})
    env = dict(net.env(), HTTPS_PROXY=net.proxy.url.replace("http://", "https://"))
    r = atomic_env.run("key", "anthropic", env=env)
    assert r.returncode == 0, r.stderr
    assert "warning" in r.stderr and "plain TCP" in r.stderr


def test_a_socks_proxy_is_named_as_unsupported_not_sent_http(atomic_env, claude, net):
    atomic_env.write_auth({"anthropic": claude_entry()})
    env = dict(net.env(), HTTPS_PROXY="socks5://alice:pw-secret@127.0.0.1:1080")
    tunnels, asked = len(net.proxy.targets), len(claude.token_requests())
    line = assert_fails(atomic_env.run("key", "anthropic", env=env), 2, "HTTPS_PROXY", "HTTP proxies only")
    assert "pw-secret" not in line and "alice" not in line
    assert len(net.proxy.targets) == tunnels and len(claude.token_requests()) == asked   # nothing was sent


# 10. Output (§0.13) ---------------------------------------------------------------------------

def test_stdout_closed_is_one_line_on_stderr_not_a_bug(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": GROQ}})
    proc = subprocess.run([PYTHON, ATOMIC_PY, "key", "groq"], env=atomic_env.env, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, preexec_fn=lambda: os.close(1), timeout=30)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "internal error" not in err and "stdout" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_stdout_on_a_full_device_is_one_line_not_a_bug(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": GROQ}})
    with open("/dev/full", "w") as full:
        proc = subprocess.run([PYTHON, ATOMIC_PY, "key", "groq"], env=atomic_env.env, stdout=full,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=30)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "internal error" not in err and "stdout" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("args, code", [(("status",), 11), (("key", "nope"), 2), (("key", "openai"), 0)])  # status: the warning is a problem
def test_stderr_on_a_full_device_leaves_the_exit_code_alone(atomic_env, args, code):
    atomic_env.write_auth({"openai": {"type": "api_key", "key": "sk-0000000000000001"}}, mode=0o644)  # a warning
    with open("/dev/full", "w") as full:
        proc = subprocess.run([PYTHON, ATOMIC_PY] + list(args), env=atomic_env.env, stdout=subprocess.PIPE,
                              stderr=full, stdin=subprocess.DEVNULL, timeout=30)
    assert proc.returncode == code                         # not Python's 120 for a failed flush


@pytest.mark.parametrize("args, code", [(("key", "groq"), 3), (("key", "openai"), 0)])
def test_stderr_closed_never_puts_a_message_on_stdout(atomic_env, args, code):
    atomic_env.write_auth({"openai": {"type": "api_key", "key": "sk-0000000000000001"}}, mode=0o644)  # a warning
    proc = subprocess.run([PYTHON, ATOMIC_PY] + list(args), env=atomic_env.env, stdout=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, preexec_fn=lambda: os.close(2), timeout=30)
    assert proc.returncode == code
    assert proc.stdout == (b"sk-0000000000000001\n" if code == 0 else b"")


def test_a_path_with_terminal_controls_is_printed_without_them(tmp_path):
    agent = tmp_path / "odd\rname\x1b[2J\x9b"
    agent.mkdir(mode=0o700)
    (agent / "auth.json").write_bytes(b"{not json")
    (agent / "auth.json").chmod(0o600)
    r = run_atomic(["key", "groq"], env=clean_env(tmp_path, agent))
    line = assert_fails(r, 4, "not valid JSON")
    one_clean_line(line)


def test_a_c_locale_changes_no_output(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": GROQ}})
    env = dict(atomic_env.env, LC_ALL="C", LANG="C")
    for args in (("key", "groq", "--json"), ("status",), ("status", "--json")):
        r = run_atomic(list(args), env=env)
        assert r.returncode == 0 and "Traceback" not in r.stderr, (args, r.stderr)
