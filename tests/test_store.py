"""auth.json: strict reading, per-entry validation, atomic writes, modes, symlinks, read-only runs."""
import json
import os
import random
import signal
import time

import pytest

from conftest import NOBODY, AtomicEnv, as_unprivileged, assert_fails, clean_env, run_atomic, start_atomic, tree

GOOD = b'{\n  "openai": {\n    "type": "api_key",\n    "key": "sk-good-key-000000000001"\n  }\n}\n'

BAD_FILES = {
    "corrupt": (b'{"openai": {"type": "api_key" "key": "sk-x"}}', "line 1, column 31"),
    "trailing comma": (b'{"openai": {"type": "api_key", "key": "sk-x"},}', "not valid JSON"),
    "empty": (b"", "is empty"),
    "blank": (b"  \n\n", "is empty"),
    "truncated": (GOOD[:40], "not valid JSON"),
    "top-level list": (b'[{"openai": {"type": "api_key", "key": "sk-x"}}]', "an array"),
    "top-level string": (b'"sk-just-a-key"', "a string"),
    "top-level null": (b"null", "null"),
    "NaN": (b'{"openai": {"type": "api_key", "key": NaN}}', "not valid JSON"),
    # Python reads 1e999 as infinity and would write it back as `Infinity`, which no JSON reader takes.
    "overflowing number": (b'{"openai": {"type": "api_key", "key": "sk-x"}, "agent": {"n": 1e999}}', "too large"),
    "non-UTF-8": (b'{"openai": {"type": "api_key", "key": "sk-\xff\xfe"}}', "UTF-8"),
    "UTF-16": ('{"openai": {"type": "api_key", "key": "sk-x"}}'.encode("utf-16"), "UTF-8"),
    "huge": (b'{"openai": {"type": "api_key", "key": "sk-x", "pad": "' + b"x" * (1 << 20) + b'"}}',
             "1 MiB"),
    "deeply nested": (b'{"x": ' + b"[" * 100000 + b"]" * 100000 + b"}", "nested"),
}


# Every command that reads auth.json, including the writers (which must not write).
ATTEMPTS = [("key", "openai"), ("key", "openai", "--explain"), ("status",), ("status", "--json"),
            ("login", "groq"), ("logout", "openai"), ("logout", "--all")]


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_auth_json_is_exit_4_and_never_changed(atomic_env, name):
    content, needle = BAD_FILES[name]
    atomic_env.write_auth(content)
    before = os.stat(atomic_env.auth_path)
    for args in ATTEMPTS:
        r = atomic_env.run(*args, input="gsk-new-key-000000000001\n",
                           env={"OPENAI_API_KEY": "sk-env-would-be-wrong-0001"})
        line = assert_fails(r, 4, atomic_env.auth_path, needle)
        assert "atomic login" in line or "by hand" in line   # the fix is named
        assert atomic_env.auth_bytes() == content, args
    after = os.stat(atomic_env.auth_path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    leftovers = [n for n in os.listdir(atomic_env.agent_dir) if n.endswith(".tmp")]
    assert leftovers == []


def test_auth_json_that_is_a_folder_or_a_fifo(atomic_env):
    atomic_env.make_agent_dir()
    os.mkdir(atomic_env.auth_path)
    assert_fails(atomic_env.run("key", "openai"), 4, "not a regular file")
    assert_fails(atomic_env.run("login", "groq", input="gsk-x-000000000001"), 4, "not a regular file")
    os.rmdir(atomic_env.auth_path)
    os.mkfifo(atomic_env.auth_path, 0o600)   # must not hang waiting for a writer
    assert_fails(atomic_env.run("key", "openai", timeout=10), 4, "not a regular file")
    assert_fails(atomic_env.run("status", timeout=10), 4, "not a regular file")


# Entries of the wrong shape ----------------------------------------------------------------

BAD_ENTRIES = {
    "a bare string": ("sk-plain-string-000000001", "openai: expected an object"),
    "key not a string": ({"type": "api_key", "key": 42}, "openai.key"),
    "env not an object": ({"type": "api_key", "key": "sk-x", "env": ["A=b"]}, "openai.env"),
    "env value not a string": ({"type": "api_key", "key": "sk-x", "env": {"A": 1}}, "openai.env"),
    "unknown type": ({"type": "password", "key": "sk-x"}, "openai.type"),
    "no type": ({"key": "sk-x"}, "openai.type"),
    "oauth without refresh": ({"type": "oauth", "access": "a", "expires": 1}, "openai.refresh"),
    "oauth expires a string": ({"type": "oauth", "access": "a", "refresh": "r", "expires": "soon"},
                               "openai.expires"),
    "oauth expires a bool": ({"type": "oauth", "access": "a", "refresh": "r", "expires": True},
                             "openai.expires"),
}


@pytest.mark.parametrize("name", sorted(BAD_ENTRIES))
def test_bad_entry_names_the_field_and_others_still_work(atomic_env, name):
    bad, needle = BAD_ENTRIES[name]
    atomic_env.write_auth({"openai": bad, "groq": {"type": "api_key", "key": "gsk-fine-key-000000001"}})
    original = atomic_env.auth_bytes()
    assert_fails(atomic_env.run("key", "openai", env={"OPENAI_API_KEY": "sk-env-0000000000001"}),
                 4, atomic_env.auth_path, needle, "atomic login openai")
    r = atomic_env.run("key", "groq")
    assert (r.returncode, r.stdout, r.stderr) == (0, "gsk-fine-key-000000001\n", "")

    r = atomic_env.run("status", "--json")
    assert r.returncode == 11, r.stderr   # the report, whose problem is the exit status
    rows = {row["id"]: row for row in json.loads(r.stdout)["providers"]}
    assert needle in rows["openai"]["problem"]
    assert rows["groq"]["source"] == "auth.json"

    # Logging in to another provider keeps the bad entry as it was.
    r = atomic_env.run("login", "mistral", input="mistral-key-000000001\n")
    assert r.returncode == 0, r.stderr
    assert atomic_env.read_auth()["openai"] == bad
    assert atomic_env.auth_bytes() != original
    # Logging in to the broken provider replaces its entry, as the message says.
    r = atomic_env.run("login", "openai", input="sk-replacement-key-000001\n")
    assert r.returncode == 0, r.stderr
    assert atomic_env.read_auth()["openai"] == {"type": "api_key", "key": "sk-replacement-key-000001"}
    assert atomic_env.run("key", "openai").stdout == "sk-replacement-key-000001\n"


def test_non_finite_expiry_is_refused_with_the_file(atomic_env):
    # 1e999 parses as infinity: not an epoch time, and not valid JSON to print back.
    atomic_env.write_auth(b'{"openai": {"type": "oauth", "access": "a", "refresh": "r", "expires": 1e999}}')
    assert_fails(atomic_env.run("key", "openai"), 4, "1e999 is too large")
    assert_fails(atomic_env.run("status", "--json"), 4, "1e999 is too large")
    atomic_env.write_auth(b'{"openai": {"type": "oauth", "access": "a", "refresh": "r", "expires": 1.5e15}}')
    assert_fails(atomic_env.run("key", "openai"), 4, "openai.expires", "which no login lasts")


# Writes: preserved content, concurrency, crashes ---------------------------------------------

def test_login_preserves_unknown_providers_and_fields(atomic_env):
    before = {
        "radius": {"type": "oauth", "access": "acc", "refresh": "ref", "expires": 1, "scope": ["a", "b"]},
        "openai": {"type": "api_key", "key": "sk-keep-0000000000001", "note": "ключ ✓", "extra": {"n": None}},
        "somebody-elses": {"anything": [1, 2.5, True, None]},
    }
    atomic_env.write_auth(before)
    r = atomic_env.run("login", "groq", input="gsk-new-key-0000000001\n")
    assert r.returncode == 0, r.stderr
    after = atomic_env.read_auth()
    assert list(after) == ["radius", "openai", "somebody-elses", "groq"]
    assert {k: after[k] for k in before} == before
    assert after["groq"] == {"type": "api_key", "key": "gsk-new-key-0000000001"}
    # 2-space indented, UTF-8, like the agent writes it
    assert atomic_env.auth_bytes().decode("utf-8") == json.dumps(after, indent=2, ensure_ascii=False) + "\n"
    assert atomic_env.mode(atomic_env.auth_path) == 0o600


def test_many_processes_logging_in_at_once_lose_nothing(atomic_env):
    from providers import builtins

    ids = [p.id for p in builtins() if "key" in p.auth][:20]
    assert len(ids) == 20
    atomic_env.write_auth({"unrelated": {"type": "api_key", "key": "keep-me"}})
    procs = [start_atomic(["login", pid], atomic_env.env) for pid in ids]
    for pid, proc in zip(ids, procs):
        proc.stdin.write(("key-for-%s-0123456789\n" % pid).encode())
        proc.stdin.close()
    for proc in procs:
        proc.wait(timeout=60)
        err = proc.stderr.read().decode()
        proc.stdout.close()
        proc.stderr.close()
        assert proc.returncode == 0, err
    data = atomic_env.read_auth()
    assert set(data) == set(ids) | {"unrelated"}
    for pid in ids:
        assert data[pid] == {"type": "api_key", "key": "key-for-%s-0123456789" % pid}
    assert atomic_env.mode(atomic_env.auth_path) == 0o600
    assert sorted(os.listdir(atomic_env.agent_dir)) == ["auth.json", "auth.json.flock"]


def test_sigkill_mid_write_leaves_the_old_or_the_new_document(atomic_env):
    # A big document (~900 KB) makes the write window wide; every entry must survive every kill.
    bulk = {"bulk-%03d" % n: {"type": "api_key", "key": "k" * 2000 + str(n)} for n in range(450)}
    bulk["groq"] = {"type": "api_key", "key": "gsk-generation-0"}
    atomic_env.write_auth(bulk)
    started = time.monotonic()                    # how long one whole login takes here
    assert atomic_env.run("login", "groq", input="gsk-generation-0\n").returncode == 0
    duration = time.monotonic() - started
    rng = random.Random(1234)
    outcomes = {"old": 0, "new": 0, "debris": 0}
    for generation in range(1, 41):
        previous = atomic_env.read_auth()["groq"]["key"]
        proc = start_atomic(["login", "groq"], atomic_env.env)
        proc.stdin.write(b"gsk-generation-%d\n" % generation)
        proc.stdin.close()
        time.sleep(rng.uniform(0.3, 1.2) * duration)   # kill somewhere around the write
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        data = atomic_env.read_auth()                     # always parses
        assert data["groq"]["key"] in (previous, "gsk-generation-%d" % generation)
        assert all(data[k] == v for k, v in bulk.items() if k != "groq")
        assert atomic_env.mode(atomic_env.auth_path) == 0o600
        outcomes["old" if data["groq"]["key"] == previous else "new"] += 1
        outcomes["debris"] += any(n.endswith(".tmp") or n == "auth.json.lock"
                                  for n in os.listdir(atomic_env.agent_dir))
    print("SIGKILL outcomes:", outcomes)
    # After the crashes (temp files, the lock folder of a dead atomic), everything works.
    r = atomic_env.run("key", "groq")
    assert r.returncode == 0 and r.stdout.startswith("gsk-generation-")
    r = atomic_env.run("login", "groq", input="gsk-after-the-crashes\n", env={"ATOMIC_LOCK_TIMEOUT": "3"})
    assert r.returncode == 0, r.stderr
    assert atomic_env.read_auth()["groq"]["key"] == "gsk-after-the-crashes"
    assert len(atomic_env.read_auth()) == len(bulk)
    assert "auth.json.lock" not in os.listdir(atomic_env.agent_dir)


def test_leftover_temp_files_do_not_break_reading_or_writing(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk-real-0000000001"}})
    leftovers = {".auth.json.abc123.tmp": b'{"groq": {"type": "api_key", "key": "gsk-tmp',
                 ".auth.json.zzz.tmp": b"", "auth.json.tmp": b"[]"}
    for name, content in leftovers.items():
        with open(os.path.join(atomic_env.agent_dir, name), "wb") as f:
            f.write(content)
    assert atomic_env.run("key", "groq").stdout == "gsk-real-0000000001\n"
    r = atomic_env.run("login", "openai", input="sk-another-000000000001\n")
    assert r.returncode == 0, r.stderr
    assert set(atomic_env.read_auth()) == {"groq", "openai"}
    assert atomic_env.run("status").returncode == 0
    assert set(leftovers) <= set(os.listdir(atomic_env.agent_dir))   # fresh ones: maybe in use


def test_old_temp_files_of_crashed_writers_are_cleaned_up_on_write(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk-real-0000000001"}})
    old, fresh, other = (os.path.join(atomic_env.agent_dir, n)
                         for n in (".auth.json.old1.tmp", ".auth.json.new1.tmp", "notes.tmp"))
    for path in (old, fresh, other):
        with open(path, "wb") as f:
            f.write(b'{"partial')
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    os.utime(other, (hour_ago, hour_ago))
    atomic_env.run("key", "groq")
    assert os.path.exists(old)                       # a read never deletes anything
    assert atomic_env.run("login", "openai", input="sk-another-000000000001\n").returncode == 0
    assert not os.path.exists(old)
    assert os.path.exists(fresh) and os.path.exists(other)


# Modes and the umask -------------------------------------------------------------------------

@pytest.mark.parametrize("umask", [0o000, 0o077, 0o022])
def test_modes_whatever_the_umask_default_location(tmp_path, umask):
    home = str(tmp_path)
    env = clean_env(home)          # no ATOMIC_CODING_AGENT_DIR: ~/.atomic/agent
    r = run_atomic(["login", "groq"], env=env, input="gsk-umask-0000000001\n",
                   preexec_fn=lambda: os.umask(umask))
    assert r.returncode == 0, r.stderr
    mode = lambda *p: os.stat(os.path.join(home, *p)).st_mode & 0o777  # noqa: E731
    assert mode(".atomic") == 0o700
    assert mode(".atomic", "agent") == 0o700
    assert mode(".atomic", "agent", "auth.json") == 0o600
    assert mode(".atomic", "agent", "auth.json.flock") == 0o600
    r = run_atomic(["logout", "groq"], env=env, preexec_fn=lambda: os.umask(umask))
    assert r.returncode == 0, r.stderr
    assert mode(".atomic", "agent", "auth.json") == 0o600


@pytest.mark.parametrize("umask", [0o000, 0o077])
def test_modes_whatever_the_umask_nested_override(tmp_path, umask):
    agent = tmp_path / "a" / "b" / "agent"
    env = clean_env(tmp_path, agent)
    r = run_atomic(["login", "groq"], env=env, input="gsk-umask-0000000001\n",
                   preexec_fn=lambda: os.umask(umask))
    assert r.returncode == 0, r.stderr
    for path in (tmp_path / "a", tmp_path / "a" / "b", agent):
        assert path.stat().st_mode & 0o777 == 0o700, path
    assert (agent / "auth.json").stat().st_mode & 0o777 == 0o600


def test_loose_folder_is_tightened_on_write(atomic_env):
    atomic_env.make_agent_dir(0o755)
    r = atomic_env.run("login", "groq", input="gsk-0000000000000001\n")
    assert r.returncode == 0
    assert "warning" in r.stderr and atomic_env.agent_dir in r.stderr
    assert atomic_env.mode(atomic_env.agent_dir) == 0o700


def test_loose_file_warns_names_chmod_and_still_works(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk-loose-00000000001"}}, mode=0o644)
    r = atomic_env.run("key", "groq")
    assert r.returncode == 0
    assert r.stdout == "gsk-loose-00000000001\n"
    assert r.stderr.startswith("atomic: warning: ")
    assert "chmod 600 %s" % atomic_env.auth_path in r.stderr
    assert "gsk-loose" not in r.stderr
    assert atomic_env.mode(atomic_env.auth_path) == 0o644       # a read never changes anything
    r = atomic_env.run("login", "openai", input="sk-000000000000000001\n")
    assert r.returncode == 0
    assert atomic_env.mode(atomic_env.auth_path) == 0o600       # the next write corrects it


# Symlinks ------------------------------------------------------------------------------------

def test_symlinked_auth_json_is_refused_and_left_alone(atomic_env, tmp_path):
    real = tmp_path / "real-auth.json"
    real.write_bytes(GOOD)
    real.chmod(0o600)
    atomic_env.make_agent_dir()
    os.symlink(str(real), atomic_env.auth_path)
    for args in (("key", "openai"), ("status",), ("login", "groq"), ("logout", "openai"), ("logout", "--all")):
        r = atomic_env.run(*args, input="gsk-0000000000000001\n")
        assert_fails(r, 7, atomic_env.auth_path, "symbolic link")
        assert os.readlink(atomic_env.auth_path) == str(real)
        assert real.read_bytes() == GOOD


def test_dangling_symlink_is_refused_not_replaced(atomic_env, tmp_path):
    atomic_env.make_agent_dir()
    target = tmp_path / "elsewhere.json"
    os.symlink(str(target), atomic_env.auth_path)
    r = atomic_env.run("login", "groq", input="gsk-0000000000000001\n")
    assert_fails(r, 7, "symbolic link")
    assert os.path.islink(atomic_env.auth_path) and not target.exists()


# Read-only commands never write --------------------------------------------------------------

@pytest.mark.parametrize("with_override", [True, False])
def test_read_only_commands_create_nothing(tmp_path, with_override):
    home = tmp_path / "home"
    home.mkdir()
    env = clean_env(home, home / "agent" if with_override else None)
    for args in (("key", "openai"), ("key", "openai", "--explain"), ("status",), ("status", "--json"),
                 ("logout", "openai"), ("logout", "--all")):
        r = run_atomic(list(args), env=env)
        assert r.returncode in (0, 3), r.stderr
        assert tree(str(home)) == set(), args
    r = run_atomic(["status"], env=env)
    assert r.returncode == 0 and "No credentials" in r.stderr
    r = run_atomic(["logout", "openai"], env=env)
    assert r.returncode == 0 and "No stored credential" in r.stderr


def test_key_and_status_take_no_lock(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk-0000000000000001"}})
    for args in (("key", "groq"), ("status",), ("key", "openai")):
        atomic_env.run(*args)
        assert sorted(os.listdir(atomic_env.agent_dir)) == ["auth.json"]


def _read_only_agent(shared_tmp):
    """HOME with an agent dir the child (uid 65534 when we are root) cannot write."""
    env = AtomicEnv(shared_tmp)
    os.chmod(env.home, 0o755)
    env.write_auth({"groq": {"type": "api_key", "key": "gsk-read-only-000000001"}})
    python, preexec = as_unprivileged()
    if preexec is not None:
        for path in (env.agent_dir, env.auth_path):
            os.chown(path, NOBODY, NOBODY)
    os.chmod(env.agent_dir, 0o500)
    return env, dict(python=python, preexec_fn=preexec)


def test_key_works_in_a_read_only_agent_dir(shared_tmp):
    env, child = _read_only_agent(shared_tmp)
    r = env.run("key", "groq", **child)
    assert (r.returncode, r.stdout, r.stderr) == (0, "gsk-read-only-000000001\n", "")
    r = env.run("status", "--json", **child)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["providers"][0]["id"] == "groq"
    assert sorted(os.listdir(env.agent_dir)) == ["auth.json"]


def test_login_in_a_read_only_agent_dir_is_refused_cleanly(shared_tmp):
    env, child = _read_only_agent(shared_tmp)
    before = env.auth_bytes()
    r = env.run("login", "openai", input="sk-000000000000000001\n", **child)
    assert_fails(r, 7, env.agent_dir)
    assert env.auth_bytes() == before
    assert sorted(os.listdir(env.agent_dir)) == ["auth.json"]


def test_key_from_environment_with_a_read_only_home(shared_tmp):
    home = os.path.join(shared_tmp, "home")
    os.mkdir(home, 0o555)
    python, preexec = as_unprivileged()
    env = clean_env(home, OPENAI_API_KEY="sk-env-read-only-home-01")
    r = run_atomic(["key", "openai"], env=env, python=python, preexec_fn=preexec)
    assert (r.returncode, r.stdout, r.stderr) == (0, "sk-env-read-only-home-01\n", "")
    r = run_atomic(["status"], env=env, python=python, preexec_fn=preexec)
    assert r.returncode == 0, r.stderr
    r = run_atomic(["login", "groq"], env=env, input="gsk-0000000000000001\n", python=python,
                   preexec_fn=preexec)
    assert_fails(r, 7, "cannot write in", home)
    assert os.listdir(home) == []


def test_file_of_another_user_is_read_with_a_warning_but_never_written(shared_tmp):
    if os.geteuid() != 0:
        pytest.skip("needs root to create a file owned by another user")
    env = AtomicEnv(shared_tmp)
    env.write_auth({"groq": {"type": "api_key", "key": "gsk-other-user-0000001"}})
    os.chown(env.auth_path, NOBODY, NOBODY)
    r = env.run("key", "groq")
    assert r.returncode == 0 and r.stdout == "gsk-other-user-0000001\n"
    assert "belongs to uid %d" % NOBODY in r.stderr
    before = env.auth_bytes()
    assert_fails(env.run("login", "openai", input="sk-000000000000000001\n"), 7,
                 "belongs to uid", warnings=True)
    assert env.auth_bytes() == before


# HOME and the agent directory ----------------------------------------------------------------

@pytest.mark.parametrize("home", ["", "relative/home"])
def test_empty_or_relative_home_is_refused(tmp_path, home):
    env = clean_env(tmp_path, OPENAI_API_KEY=None)
    env["HOME"] = home
    assert_fails(run_atomic(["status"], env=env, cwd=str(tmp_path)), 2, "HOME")
    assert tree(str(tmp_path)) == set()


def test_agent_dir_override_expands_tilde(tmp_path):
    env = clean_env(tmp_path, "~/custom-agent")
    r = run_atomic(["login", "groq"], env=env, input="gsk-0000000000000001\n")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "custom-agent" / "auth.json").exists()
    assert str(tmp_path / "custom-agent" / "auth.json") in r.stderr


def test_agent_dir_path_is_a_file(atomic_env):
    with open(atomic_env.agent_dir, "w") as f:
        f.write("not a folder")
    assert_fails(atomic_env.run("login", "groq", input="gsk-0000000000000001\n"), 7,
                 atomic_env.agent_dir, "not a directory")
    assert_fails(atomic_env.run("key", "groq"), 3)   # nothing there to read: not logged in
    r = atomic_env.run("status")                      # but status says why
    assert r.returncode == 11 and "the agent directory %s is not a folder" % atomic_env.agent_dir in r.stderr


def test_a_read_only_agent_dir_that_is_open_to_others_stays_read_only(shared_tmp):
    # 0555: atomic tightens loose bits, but only by taking bits away, never by adding write.
    env, child = _read_only_agent(shared_tmp)
    os.chmod(env.agent_dir, 0o555)
    before = env.auth_bytes()
    r = env.run("login", "openai", input="sk-000000000000000001\n", **child)
    assert_fails(r, 7, env.agent_dir)
    assert not os.stat(env.agent_dir).st_mode & 0o200   # no write bit was added
    assert env.auth_bytes() == before
