"""The defects an outside fault-injection run found (issue 14), each reproduced through the real CLI:
a lock link that emptied a folder, a full disk that lost a refresh token, disk errors reported as
bugs, secrets echoed by servers, no re-read after invalid_grant, header injection, whitespace in
keys, keys from folders others control, an old lock file, a missing HOME, refresh messages."""
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from conftest import NOBODY, AtomicEnv, assert_fails, clean_env, run_atomic, tree
from faults import PAGE, file_size_limit
from netfakes import reply
from oauthfakes import http_get

HOUR_MS = 3600 * 1000
KEY = "gsk-new-key-000000000001"
CLAUDE_TOKEN = "/v1/oauth/token"
# Not shaped like any known credential: only masking by value can hide it.
REFRESH = "rt-plain-refresh-0a1b2c3d4e5f6a7b8c9d"
OLD_ACCESS = "sk-ant-oat01-old-access-token-000000000001"


def now_ms():
    return int(time.time() * 1000)


def claude_entry(expires, refresh=REFRESH, access=OLD_ACCESS):
    return {"type": "oauth", "access": access, "refresh": refresh, "expires": expires}


def temp_files(directory):
    return [n for n in os.listdir(directory) if n.endswith(".tmp")]


# 1. A symlinked auth.json.lock ------------------------------------------------------------------

def test_a_lock_that_is_a_link_to_a_folder_is_refused_and_the_folder_keeps_its_files(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk-old-key-000000000001"}})
    before = atomic_env.auth_bytes()
    projects = os.path.join(atomic_env.home, "projects")
    os.mkdir(projects)
    with open(os.path.join(projects, "thesis.tex"), "w") as f:
        f.write("precious")
    hour_ago = time.time() - 3600
    os.utime(projects, (hour_ago, hour_ago))      # an old mtime made it look like a stale lock
    lock = os.path.join(atomic_env.agent_dir, "auth.json.lock")
    os.symlink(projects, lock)
    r = atomic_env.run("login", "groq", input=KEY, env={"ATOMIC_LOCK_TIMEOUT": "5"})
    assert_fails(r, 7, lock, "symbolic link")
    assert os.listdir(projects) == ["thesis.tex"]
    assert os.readlink(lock) == projects and atomic_env.auth_bytes() == before


# 2. A nearly full disk must not cost the refresh token ----------------------------------------

# Two pages of other entries: the new document needs more room than the lock's own files.
PADDING = {"padding-%d" % n: {"type": "api_key", "key": "k" * 1000} for n in range(6)}


@pytest.mark.parametrize("left_ms", [-1000, 3 * 60 * 1000])
def test_a_full_disk_refuses_the_refresh_before_spending_the_token(tmp_path, disk, claude, net, left_ms):
    claude.add_refresh_token(REFRESH)
    before = disk.write_auth(dict(PADDING, anthropic=claude_entry(now_ms() + left_ms)))
    disk.fill(leave=2 * PAGE)
    env = clean_env(tmp_path, disk.inside("agent"), **net.env())
    r = disk.run(["key", "anthropic"], env)
    if left_ms < 0:
        assert_fails(r, 7, "no space left", disk.inside("agent"))
    else:  # still valid: a warning, and the current token
        assert (r.returncode, r.stdout) == (0, OLD_ACCESS + "\n"), r.stderr
        assert "no space left" in r.stderr
    assert claude.token_requests() == []           # the refresh token was not spent
    assert disk.read_auth_bytes() == before
    assert temp_files(disk.path("agent")) == []
    disk.make_room()
    r = disk.run(["key", "anthropic"], env)
    assert r.returncode == 0, r.stderr
    with open(disk.path("agent", "auth.json")) as f:
        stored = json.load(f)["anthropic"]
    assert r.stdout == stored["access"] + "\n" and stored["refresh"] in claude.live


# 3. Disk full / file too large during login is the user's situation, not a bug ----------------

def test_a_full_disk_during_login_is_exit_7_naming_the_folder(tmp_path, disk):
    before = disk.write_auth(PADDING)
    disk.fill(leave=2 * PAGE)
    r = disk.run(["login", "groq"], clean_env(tmp_path, disk.inside("agent")), input=KEY)
    assert_fails(r, 7, "no space left in " + disk.inside("agent"), "free")
    assert disk.read_auth_bytes() == before
    assert temp_files(disk.path("agent")) == []


def test_a_file_size_limit_during_login_is_exit_7_naming_the_file(atomic_env):
    before = atomic_env.write_auth(PADDING)
    r = atomic_env.run("login", "groq", input=KEY, preexec_fn=file_size_limit(4096))
    assert_fails(r, 7, atomic_env.auth_path, "file-size limit")
    assert atomic_env.auth_bytes() == before
    assert temp_files(atomic_env.agent_dir) == []


# 4. Secrets the server echoes back ------------------------------------------------------------

def test_a_refresh_token_quoted_in_a_refusal_is_masked(atomic_env, openai, net):
    from oauthfakes import make_jwt
    atomic_env.write_auth({"openai-codex": {
        "type": "oauth", "access": make_jwt({"exp": 1}), "refresh": REFRESH, "expires": now_ms() - 1000,
        "accountId": "acct-1"}})
    openai.refresh_reply = reply(401, {"error": {
        "message": "Refresh token %s has already been used to generate a new access token." % REFRESH,
        "type": "invalid_request_error", "code": "refresh_token_reused"}})
    r = atomic_env.run("key", "openai-codex", env=net.env())
    line = assert_fails(r, 5, "already been used")
    assert REFRESH not in line and REFRESH[:12] not in line


@pytest.mark.parametrize("random_refresh", ["hh7mztKmAsD-Qw8rT2yUi9oPlKjHgFdSaZxCv",
                                            "ubudbebrox-Vtul9oXm19KdxnOKbI7qjp1XIgeCMVPY",
                                            "deadbeef-cafe-4bad-9f00-0123456789ab",
                                            "correct-horse-battery-staple-xyz0"])
def test_a_random_token_with_a_dash_early_on_shows_no_more_than_three_characters(atomic_env, openai, net,
                                                                                   random_refresh):
    # A dash or underscore early in a random token is no vendor prefix (the verifier of a PKCE
    # login has one in its first twelve characters about once in five); only known ones are kept.
    from oauthfakes import make_jwt
    atomic_env.write_auth({"openai-codex": {
        "type": "oauth", "access": make_jwt({"exp": 1}), "refresh": random_refresh, "expires": now_ms() - 1000,
        "accountId": "acct-1"}})
    openai.refresh_reply = reply(400, {"error": "invalid_grant",
                                       "error_description": "token %s is not valid" % random_refresh})
    r = atomic_env.run("key", "openai-codex", env=net.env())
    line = assert_fails(r, 5, "is not valid")
    assert random_refresh[:4] not in line and random_refresh[:3] + "…" + random_refresh[-4:] in line


def test_a_code_and_verifier_quoted_by_the_token_endpoint_are_masked(atomic_env, claude, login_env, start_login, net):
    sent = {}

    @net.hosts.route("POST", "platform.claude.com", CLAUDE_TOKEN)
    def echo(req):
        sent.update(req.json())
        return reply(400, {"error": "invalid_grant", "error_description": "code %s with verifier %s is not valid"
                           % (sent["code"], sent["code_verifier"])})

    run = start_login(["login", "anthropic", "--oauth"], login_env)
    http_get(claude.authorize(run.authorize_url("https://claude.ai/oauth/authorize")))
    code, out, err = run.finish()
    assert code == 10 and out == "", err
    assert "is not valid" in err
    assert sent["code"] not in err and sent["code_verifier"] not in err
    assert sent["code_verifier"][:12] not in err


# 5. Re-read auth.json after invalid_grant -----------------------------------------------------

def test_a_refused_refresh_uses_the_token_another_tool_saved_meanwhile(atomic_env, net):
    atomic_env.write_auth({"anthropic": claude_entry(now_ms() - 1000)})
    theirs = claude_entry(now_ms() + 8 * HOUR_MS, refresh="rt-their-rotated-refresh-000001",
                          access="sk-ant-oat01-saved-by-the-agent-0000000001")

    @net.hosts.route("POST", "platform.claude.com", CLAUDE_TOKEN)
    def raced(req):
        # The other tool refreshed first, so this token is spent, and it has just saved its result.
        with open(atomic_env.auth_path, "w") as f:
            json.dump({"anthropic": theirs}, f)
        return reply(400, {"error": "invalid_grant", "error_description": "Invalid 'refresh_token' in request."})

    r = atomic_env.run("key", "anthropic", env=net.env())
    assert (r.returncode, r.stdout) == (0, theirs["access"] + "\n"), r.stderr
    assert atomic_env.read_auth() == {"anthropic": theirs}


# 6. Header injection --------------------------------------------------------------------------

@pytest.mark.parametrize("char", ["\r", "\n", "\x00", "\x1b"])
def test_a_stored_key_with_a_control_character_is_a_bad_entry(atomic_env, char):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk-abc%sX-Injected: 1" % char}})
    for args in (("key", "groq"), ("key", "groq", "--header"), ("key", "groq", "--json")):
        assert_fails(atomic_env.run(*args), 4, "groq.key", "control character")


@pytest.mark.parametrize("where", ["apiKey", "headers"])
def test_a_models_json_value_with_a_line_break_is_a_bad_entry(atomic_env, where):
    config = {"apiKey": "sk-models-json-key-000001"}
    if where == "apiKey":
        config["apiKey"] = "sk-models\r\nX-Injected: 1"
    else:
        config["headers"] = {"X-Team": "search\r\nX-Injected: 1"}
    atomic_env.write_models({"providers": {"groq": config}})
    r = atomic_env.run("key", "groq", "--header")
    assert_fails(r, 4, atomic_env.models_path, "providers.groq." + ("apiKey" if where == "apiKey" else "headers.X-Team"))
    if where == "headers":  # found by the listing too, with every other problem of the file
        assert_fails(atomic_env.run("models", "--all"), 4, "providers.groq.headers", "line break")


def test_a_models_json_base_url_with_a_line_break_is_reported_by_the_listing(atomic_env):
    atomic_env.write_models({"providers": {"groq": {"baseUrl": "http://l\r\nfoo"}}})
    assert_fails(atomic_env.run("models", "--all"), 4, "providers.groq.baseUrl", "no spaces, line breaks")


# 7. Whitespace in keys, an empty refresh token ------------------------------------------------

def test_outer_whitespace_of_a_stored_key_is_trimmed_and_inner_whitespace_refused(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "  gsk-padded-key-0000001 \n"},
                           "openai": {"type": "api_key", "key": "sk-two words-000001"}})
    r = atomic_env.run("key", "groq", "--header")
    assert (r.returncode, r.stdout) == (0, "Authorization: Bearer gsk-padded-key-0000001\n"), r.stderr
    assert_fails(atomic_env.run("key", "openai"), 4, "openai.key", "whitespace")


def test_an_empty_refresh_token_is_a_bad_entry_and_never_sent(atomic_env, claude, net):
    atomic_env.write_auth({"anthropic": claude_entry(now_ms() - 1000, refresh="")})
    before = atomic_env.auth_bytes()
    assert_fails(atomic_env.run("key", "anthropic", env=net.env()), 4, "anthropic.refresh",
                 "atomic login anthropic")
    assert claude.token_requests() == [] and atomic_env.auth_bytes() == before


# 8. A literal key from a folder another user controls -----------------------------------------

def test_a_literal_key_in_a_folder_others_can_write_is_not_read(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk-planted-by-another-01"}})
    os.chmod(atomic_env.agent_dir, 0o777)
    line = assert_fails(atomic_env.run("key", "groq"), 7, atomic_env.agent_dir)
    assert "gsk-planted" not in line


def test_a_literal_key_in_a_folder_another_user_owns_is_not_read(shared_tmp):
    env = AtomicEnv(shared_tmp)
    env.write_auth({"groq": {"type": "api_key", "key": "gsk-planted-by-another-01"}})
    if os.geteuid() != 0:
        pytest.skip("needs root to give the folder to another user")
    os.chown(env.agent_dir, NOBODY, NOBODY)
    assert_fails(env.run("key", "groq"), 7, env.agent_dir, "uid %d" % NOBODY, warnings=True)


# 9. An old auth.json.lock file; old temp files -------------------------------------------------

def test_an_old_lock_file_that_no_program_holds_is_removed(atomic_env):
    atomic_env.write_auth({})
    lock = os.path.join(atomic_env.agent_dir, "auth.json.lock")
    with open(lock, "w") as f:
        f.write("12345")
    hour_ago = time.time() - 3600
    os.utime(lock, (hour_ago, hour_ago))
    r = atomic_env.run("login", "groq", input=KEY, env={"ATOMIC_LOCK_TIMEOUT": "5"})
    assert r.returncode == 0, r.stderr
    assert "removed" in r.stderr and lock in r.stderr
    assert not os.path.lexists(lock) and atomic_env.read_auth()["groq"]["key"] == KEY


HOLD_LOCK_FILE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


def test_a_lock_file_another_program_holds_is_left_alone_and_named(atomic_env):
    atomic_env.write_auth({})
    lock = os.path.join(atomic_env.agent_dir, "auth.json.lock")
    open(lock, "w").close()
    hour_ago = time.time() - 3600
    os.utime(lock, (hour_ago, hour_ago))
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK_FILE, lock], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b"held\n"
        r = atomic_env.run("login", "groq", input=KEY, env={"ATOMIC_LOCK_TIMEOUT": "0.5"})
        assert_fails(r, 9, lock, "rm " + lock)
        assert os.path.isfile(lock)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
        holder.stdout.close()


def test_old_temp_files_of_ours_are_removed_before_a_write_needs_their_room(tmp_path, disk):
    disk.write_auth({})
    dead = disk.path("agent", ".auth.json.dead0001.tmp")   # a crashed writer's, filling the disk
    with open(dead, "wb") as f:
        os.posix_fallocate(f.fileno(), 0, disk.free())
    hour_ago = time.time() - 3600
    os.utime(dead, (hour_ago, hour_ago))
    assert disk.free() == 0
    r = disk.run(["login", "groq"], clean_env(tmp_path, disk.inside("agent")), input=KEY)
    assert r.returncode == 0, r.stderr
    assert temp_files(disk.path("agent")) == []


# 10. A missing HOME ---------------------------------------------------------------------------

@pytest.mark.parametrize("override", [None, "~/.config/atomic", "{missing}/agent"])
def test_login_with_a_missing_home_creates_nothing(tmp_path, override):
    home = tmp_path / "missing"
    env = clean_env(home)
    if override:
        env["ATOMIC_CODING_AGENT_DIR"] = override.format(missing=str(tmp_path / "also-missing")).replace("//", "/")
    r = run_atomic(["login", "groq"], env=env, input=KEY, cwd=str(tmp_path))
    assert_fails(r, 7, "does not exist")
    assert tree(str(tmp_path)) == set()


# 12. Messages after a lost answer and for a changed client id ---------------------------------

def test_a_refresh_whose_answer_was_lost_says_to_log_in_again_if_the_next_try_fails(atomic_env, claude, net):
    claude.add_refresh_token(REFRESH)
    atomic_env.write_auth({"anthropic": claude_entry(now_ms() - 1000)})

    dropped = []

    @net.hosts.route("POST", "platform.claude.com", CLAUDE_TOKEN)
    def spend_and_drop(req):
        if dropped:
            return claude.token(req)
        dropped.append(req)
        claude.use_refresh_token(REFRESH)        # the server did the refresh ...
        req.handler.close_connection = True      # ... and the answer never arrived
        req.handler.connection.shutdown(socket.SHUT_RDWR)

    r = atomic_env.run("key", "anthropic", env=net.env())
    assert_fails(r, 6, "if the next try fails", "atomic login anthropic")
    r = atomic_env.run("key", "anthropic", env=net.env())
    assert_fails(r, 5, "atomic login anthropic")


def test_an_unknown_client_id_suggests_updating_atomic(atomic_env, claude, net):
    atomic_env.write_auth({"anthropic": claude_entry(now_ms() - 1000)})
    claude.refresh_reply = reply(401, {"error": "invalid_client", "error_description": "unknown client"})
    assert_fails(atomic_env.run("key", "anthropic", env=net.env()), 5, "update atomic")
    claude.refresh_reply = reply(400, {"error": "unauthorized_client", "error_description": "no"})
    assert_fails(atomic_env.run("key", "anthropic", env=net.env()), 5, "update atomic")


# Found after the merge of the talk and hardening work --------------------------------------------

@pytest.mark.parametrize("args", [["--help"], ["key", "--help"], ["--version"], ["models", "--all"]])
def test_help_and_output_to_a_full_device_are_one_line_not_a_bug(atomic_env, args):
    from conftest import ATOMIC_PY, PYTHON

    with open("/dev/full", "w") as full:
        r = subprocess.run([PYTHON, ATOMIC_PY] + args, env=atomic_env.env, stdin=subprocess.DEVNULL,
                           stdout=full, stderr=subprocess.PIPE)
    assert r.returncode == 1, r.stderr
    assert r.stderr.decode().splitlines() == ["atomic: cannot write to stdout (No space left on device); "
                                              "the output is lost"], r.stderr


def test_a_base_url_with_a_line_break_is_a_bad_file_not_a_request(atomic_env):
    atomic_env.write_models({"providers": {"openai": {"baseUrl": "https://api.openai.com/v1\r\nX-Evil: 1"}}})
    r = atomic_env.run("ask", "-m", "openai/gpt-4o", "hi", env={"OPENAI_API_KEY": "sk-test-openai-0000000001"})
    assert_fails(r, 4, "providers.openai.baseUrl", "no spaces, line breaks")
    r = atomic_env.run("key", "openai", "--json", env={"OPENAI_API_KEY": "sk-test-openai-0000000001"})
    assert_fails(r, 4, "base URL of openai", "baseUrl")       # `key` reads one provider's entry only
