"""The auth.json lock: the agent's `auth.json.lock` folder and atomic's own flock."""
import os
import subprocess
import sys
import time

from conftest import assert_fails, start_atomic

KEY = "gsk-lock-test-0000000001\n"

# A stand-in for another atomic process: holds the flock until its stdin closes.
HOLD_FLOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


def _lock_dir(atomic_env, age=0.0, marker=False):
    path = os.path.join(atomic_env.make_agent_dir(), "auth.json.lock")
    os.mkdir(path)
    if marker:
        with open(os.path.join(path, "atomic.pid"), "w") as f:
            f.write("999999")
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


def _hold_flock(atomic_env):
    path = os.path.join(atomic_env.make_agent_dir(), "auth.json.flock")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_FLOCK, path], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
    assert holder.stdout.readline() == b"held\n"
    return holder


def _release(holder):
    holder.stdin.close()
    holder.wait(timeout=10)
    holder.stdout.close()


def test_stale_lock_folder_is_taken_over(atomic_env):
    atomic_env.write_auth({})
    path = _lock_dir(atomic_env, age=60)
    started = time.monotonic()
    r = atomic_env.run("login", "groq", input=KEY, env={"ATOMIC_LOCK_TIMEOUT": "20"})
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - started < 10
    assert atomic_env.read_auth()["groq"]["key"] == KEY.strip()
    assert not os.path.exists(path)


def test_fresh_lock_folder_of_the_agent_makes_login_wait_then_exit_9(atomic_env):
    atomic_env.write_auth({"openai": {"type": "api_key", "key": "sk-000000000000000001"}})
    before = atomic_env.auth_bytes()
    path = _lock_dir(atomic_env, age=20)          # held by a live agent: not yet stale
    started = time.monotonic()
    r = atomic_env.run("login", "groq", input=KEY, env={"ATOMIC_LOCK_TIMEOUT": "0.6"})
    elapsed = time.monotonic() - started
    assert_fails(r, 9, path)
    assert elapsed >= 0.6
    assert atomic_env.auth_bytes() == before
    assert os.path.isdir(path)                     # someone else's lock is left alone
    r = atomic_env.run("logout", "openai", env={"ATOMIC_LOCK_TIMEOUT": "0.3"})
    assert_fails(r, 9)
    assert atomic_env.auth_bytes() == before


def test_login_succeeds_when_the_agent_releases_its_lock_in_time(atomic_env):
    atomic_env.write_auth({})
    path = _lock_dir(atomic_env)
    proc_env = dict(atomic_env.env, ATOMIC_LOCK_TIMEOUT="10")
    proc = start_atomic(["login", "groq"], proc_env)
    proc.stdin.write(KEY.encode())
    proc.stdin.close()
    time.sleep(0.5)
    assert proc.poll() is None                     # still waiting
    os.rmdir(path)
    assert proc.wait(timeout=10) == 0, proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert atomic_env.read_auth()["groq"]["key"] == KEY.strip()


def test_lock_folder_left_by_a_crashed_atomic_does_not_block(atomic_env):
    atomic_env.write_auth({})
    path = _lock_dir(atomic_env, age=1, marker=True)
    started = time.monotonic()
    r = atomic_env.run("login", "groq", input=KEY, env={"ATOMIC_LOCK_TIMEOUT": "5"})
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - started < 4
    assert not os.path.exists(path)


def test_flock_held_by_another_process_gives_exit_9(atomic_env):
    atomic_env.write_auth({})
    before = atomic_env.auth_bytes()
    holder = _hold_flock(atomic_env)
    try:
        started = time.monotonic()
        r = atomic_env.run("login", "groq", input=KEY, env={"ATOMIC_LOCK_TIMEOUT": "0.5"})
        assert time.monotonic() - started >= 0.5
        assert_fails(r, 9, "auth.json.flock", "another atomic process")
        assert atomic_env.auth_bytes() == before
        # A read does not need the lock.
        r = atomic_env.run("key", "groq", env={"GROQ_API_KEY": "gsk-env-000000000001"})
        assert r.returncode == 0
    finally:
        _release(holder)
    r = atomic_env.run("login", "groq", input=KEY, env={"ATOMIC_LOCK_TIMEOUT": "0.5"})
    assert r.returncode == 0, r.stderr


def test_login_waits_for_the_flock_and_then_succeeds(atomic_env):
    atomic_env.write_auth({})
    holder = _hold_flock(atomic_env)
    proc = start_atomic(["login", "groq"], dict(atomic_env.env, ATOMIC_LOCK_TIMEOUT="10"))
    proc.stdin.write(KEY.encode())
    proc.stdin.close()
    time.sleep(0.5)
    assert proc.poll() is None
    _release(holder)
    assert proc.wait(timeout=10) == 0, proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    assert atomic_env.read_auth()["groq"]["key"] == KEY.strip()


def test_key_and_status_ignore_a_held_lock(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk-stored-0000000001"}})
    _lock_dir(atomic_env, age=1)
    holder = _hold_flock(atomic_env)
    try:
        r = atomic_env.run("key", "groq", env={"ATOMIC_LOCK_TIMEOUT": "0.2"})
        assert (r.returncode, r.stdout) == (0, "gsk-stored-0000000001\n")
        assert atomic_env.run("status", env={"ATOMIC_LOCK_TIMEOUT": "0.2"}).returncode == 0
    finally:
        _release(holder)


def test_bad_lock_timeout_setting(atomic_env):
    r = atomic_env.run("login", "groq", input=KEY, env={"ATOMIC_LOCK_TIMEOUT": "soon"})
    assert_fails(r, 2, "ATOMIC_LOCK_TIMEOUT")
    assert not os.path.exists(atomic_env.auth_path)


def test_lock_folder_that_is_a_file_is_not_deleted_blindly(atomic_env):
    atomic_env.write_auth({})
    path = os.path.join(atomic_env.agent_dir, "auth.json.lock")
    with open(path, "w") as f:
        f.write("not ours")
    r = atomic_env.run("login", "groq", input=KEY, env={"ATOMIC_LOCK_TIMEOUT": "0.3"})
    assert_fails(r, 9, path)
    with open(path) as f:
        assert f.read() == "not ours"


def _note_in_flock_file(atomic_env, ns):
    """What an atomic writes to auth.json.flock just before it creates (or removes) the folder."""
    with open(os.path.join(atomic_env.make_agent_dir(), "auth.json.flock"), "w") as f:
        f.write("999999 %d\n" % ns)


def test_folder_of_an_atomic_killed_right_after_mkdir_does_not_block(atomic_env):
    # The state a SIGKILL between mkdir and writing atomic.pid leaves: a fresh, empty folder
    # and the note saying an atomic was creating it at that moment.
    atomic_env.write_auth({})
    _note_in_flock_file(atomic_env, time.time_ns())
    path = _lock_dir(atomic_env)
    started = time.monotonic()
    r = atomic_env.run("login", "groq", input=KEY, env={"ATOMIC_LOCK_TIMEOUT": "5"})
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - started < 4
    assert not os.path.exists(path)
    with open(os.path.join(atomic_env.agent_dir, "auth.json.flock")) as f:
        assert f.read() == ""                     # our own note was cleared


def test_an_old_note_does_not_take_a_later_folder(atomic_env):
    # The note is from long before the folder was made: the folder is someone else's (the agent's).
    atomic_env.write_auth({})
    _note_in_flock_file(atomic_env, time.time_ns() - 10 * 10**9)
    path = _lock_dir(atomic_env)
    assert_fails(atomic_env.run("login", "groq", input=KEY, env={"ATOMIC_LOCK_TIMEOUT": "0.5"}), 9, path)
    assert os.path.isdir(path)


def test_a_note_does_not_take_a_folder_with_something_in_it(atomic_env):
    atomic_env.write_auth({})
    _note_in_flock_file(atomic_env, time.time_ns())
    path = _lock_dir(atomic_env)
    with open(os.path.join(path, "owner"), "w") as f:
        f.write("someone")
    assert_fails(atomic_env.run("login", "groq", input=KEY, env={"ATOMIC_LOCK_TIMEOUT": "0.5"}), 9, path)
    assert os.path.exists(os.path.join(path, "owner"))


# atomic as a SIGKILL finds it at one instant: the process dies as it calls rmdir on the lock
# folder, after everything before that call was done (a crash injected at the system call).
DIE_AT_RMDIR = """
import os, runpy, signal, sys
rmdir = os.rmdir
def dying_rmdir(path, *args, **kwargs):
    if os.fspath(path).endswith("auth.json.lock"):
        os.kill(os.getpid(), signal.SIGKILL)
    return rmdir(path, *args, **kwargs)
os.rmdir = dying_rmdir
sys.argv = [sys.argv[1]] + sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_an_atomic_killed_while_clearing_a_crashed_one_s_folder_leaves_it_clearable(atomic_env):
    # A crashed atomic's marked folder; the next atomic dies between removing the mark and the
    # folder, and the one after that dies removing the now unmarked folder: the note in the flock
    # file says whose it is each time, so the fourth takes the lock at once.
    from conftest import ATOMIC_PY, PYTHON

    atomic_env.write_auth({})
    path = _lock_dir(atomic_env, age=1, marker=True)
    for _ in range(2):
        dying = subprocess.run([PYTHON, "-c", DIE_AT_RMDIR, ATOMIC_PY, "login", "groq"], input=KEY.encode(),
                               env=dict(atomic_env.env, ATOMIC_LOCK_TIMEOUT="5"), capture_output=True)
        assert dying.returncode == -9, dying.stderr
        assert os.path.isdir(path) and os.listdir(path) == []
    started = time.monotonic()
    r = atomic_env.run("login", "groq", input=KEY, env={"ATOMIC_LOCK_TIMEOUT": "2"})
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - started < 2
    assert not os.path.exists(path)
    with open(os.path.join(atomic_env.agent_dir, "auth.json.flock")) as f:
        assert f.read() == ""
