"""Key values: `!command`, `$NAME` / `${NAME}` / `$$`, a bare upper-case NAME, a literal."""
import os
import signal
import time

import pytest

from conftest import assert_fails, start_atomic


def _store(atomic_env, key, provider="openai", mode=0o600, env=None):
    entry = {"type": "api_key", "key": key}
    if env is not None:
        entry["env"] = env
    atomic_env.write_auth({provider: entry}, mode=mode)


def _gone(pid):
    """True when pid no longer runs (reaped, or a zombie waiting for a reaper)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def _wait_gone(pids, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(_gone(p) for p in pids):
            return True
        time.sleep(0.02)
    return False


def _read_pids(path):
    with open(path) as f:
        return [int(word) for word in f.read().split()]


# !command ------------------------------------------------------------------------------------

def test_command_output_is_the_key(atomic_env):
    _store(atomic_env, "!printf '  sk-from-command-1234567\\n\\n'")
    r = atomic_env.run("key", "openai")
    assert (r.returncode, r.stdout, r.stderr) == (0, "sk-from-command-1234567\n", "")


def test_command_runs_with_sh_and_sees_the_environment(atomic_env):
    _store(atomic_env, "!echo \"$SECRET_SOURCE\" | tr a-z A-Z")
    r = atomic_env.run("key", "openai", env={"SECRET_SOURCE": "abc-def"})
    assert r.stdout == "ABC-DEF\n"


def test_command_stdin_is_closed_not_ours(atomic_env):
    # stdin of atomic carries data; the command must read /dev/null, not it.
    _store(atomic_env, "!cat")
    r = atomic_env.run("key", "openai", input="sk-this-is-not-for-the-command\n")
    assert_fails(r, 8, "printed nothing")


def test_command_failure_shows_status_and_masked_first_stderr_line(atomic_env):
    _store(atomic_env, "!echo 'vault: token sk-proj-abcdefghijklmnop9876 refused' >&2; "
                       "echo 'second line' >&2; exit 3")
    r = atomic_env.run("key", "openai")
    line = assert_fails(r, 8, "exit status 3", "vault: token", "refused", atomic_env.auth_path)
    assert "sk-proj-abcdefghijklmnop9876" not in line
    assert "9876" in line          # masked to prefix…last4, still recognisable
    assert "second line" not in line


def test_command_not_found(atomic_env):
    _store(atomic_env, "!no-such-password-manager-xyz read key")
    assert_fails(atomic_env.run("key", "openai"), 8, "command not found")


def test_command_that_prints_the_secret_then_fails_never_shows_it(atomic_env):
    # No known shape, so masking must come from the value; built at run time so the command
    # text (which the message quotes) does not contain it.
    secret = "plainsecretvalue7788abcd"
    _store(atomic_env, "!s=plainsecret; s=${s}value7788abcd; echo $s; "
                       "echo \"could not verify $s\" >&2; exit 1")
    r = atomic_env.run("key", "openai")
    assert_fails(r, 8, "exit status 1", "could not verify")
    assert secret not in r.stderr and secret not in r.stdout


def test_command_with_empty_output(atomic_env):
    _store(atomic_env, "!true")
    assert_fails(atomic_env.run("key", "openai"), 8, "printed nothing")
    _store(atomic_env, "!printf '   \\n\\n'")
    assert_fails(atomic_env.run("key", "openai"), 8, "printed nothing")


def test_command_with_multi_line_output(atomic_env):
    _store(atomic_env, "!printf 'sk-line-one-aaaaaaaaaa\\nsk-line-two-bbbbbbbbbbb\\n'")
    r = atomic_env.run("key", "openai")
    assert_fails(r, 8, "2 lines")
    assert "sk-line-one-aaaaaaaaaa" not in r.stderr and "sk-line-two-bbbbbbbbbbb" not in r.stderr


def test_command_with_control_characters(atomic_env):
    _store(atomic_env, "!printf 'sk-abc\\033[2Jdef'")
    assert_fails(atomic_env.run("key", "openai"), 8, "control characters")


def test_command_timeout_kills_the_whole_process_group(atomic_env, tmp_path):
    pidfile = tmp_path / "pids"
    # The shell starts a background grandchild and waits: both must die at the timeout.
    _store(atomic_env, "!sleep 300 & echo $! >> %s; echo $$ >> %s; wait" % (pidfile, pidfile))
    started = time.monotonic()
    r = atomic_env.run("key", "openai", env={"ATOMIC_COMMAND_TIMEOUT": "0.5"})
    elapsed = time.monotonic() - started
    assert_fails(r, 8, "did not finish within 0.5 s", "ATOMIC_COMMAND_TIMEOUT")
    assert elapsed < 10
    pids = _read_pids(pidfile)
    assert len(pids) == 2
    assert _wait_gone(pids), "the command's processes survived the timeout"


def test_command_timeout_also_kills_a_grandchild_holding_stdout(atomic_env, tmp_path):
    # The grandchild keeps the stdout pipe open: atomic must not wait for it to close.
    pidfile = tmp_path / "pids"
    _store(atomic_env, "!(sleep 300; echo late) & echo $! > %s; exit 0" % pidfile)
    started = time.monotonic()
    r = atomic_env.run("key", "openai", env={"ATOMIC_COMMAND_TIMEOUT": "0.5"})
    assert time.monotonic() - started < 10
    assert_fails(r, 8, "did not finish")
    assert _wait_gone(_read_pids(pidfile))


@pytest.mark.parametrize("value", ["abc", "0", "-1", "inf", "99999999999999999999", "86401"])
def test_bad_command_timeout_setting(atomic_env, value):
    _store(atomic_env, "!echo sk-never-run-0000000000")
    r = atomic_env.run("key", "openai", env={"ATOMIC_COMMAND_TIMEOUT": value})
    assert_fails(r, 2, "ATOMIC_COMMAND_TIMEOUT")


def test_a_timeout_too_long_for_the_clock_is_a_usage_error_everywhere(atomic_env):
    atomic_env.write_auth({"openai": {"type": "api_key", "key": "sk-test-openai-000000000001"}})
    for name in ("ATOMIC_CHECK_TIMEOUT", "PI_CHECK_TIMEOUT"):
        r = atomic_env.run("status", "--check", "openai", env={name: "1e20", "HTTPS_PROXY": "http://127.0.0.1:9"})
        assert_fails(r, 2, name + "=1e20", "at most 86400")


def test_command_runs_once_per_process(atomic_env, tmp_path):
    counter = tmp_path / "runs"
    _store(atomic_env, "!echo run >> %s; echo sk-counted-key-000000000" % counter)
    for expected in (1, 2):
        r = atomic_env.run("key", "openai", "--header", "--explain")
        assert r.stdout == "Authorization: Bearer sk-counted-key-000000000\n"
        assert counter.read_text().count("run") == expected   # once per `atomic key`, not per use


def test_status_does_not_run_commands(atomic_env, tmp_path):
    counter = tmp_path / "runs"
    _store(atomic_env, "!echo run >> %s; echo sk-counted-key-000000000" % counter)
    r = atomic_env.run("status")
    assert r.returncode == 0
    assert "!command" in r.stdout
    assert not counter.exists()


def test_sigint_during_a_hanging_command(atomic_env, tmp_path):
    pidfile = tmp_path / "pids"
    _store(atomic_env, "!sleep 300 & echo $! >> %s; echo $$ >> %s; wait" % (pidfile, pidfile))
    proc = start_atomic(["key", "openai"], atomic_env.env, stdin=open(os.devnull))
    try:
        deadline = time.monotonic() + 10
        while not (pidfile.exists() and len(pidfile.read_text().split()) == 2):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)       # only atomic: the command has its own session
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = err.decode()
    assert proc.returncode == 130
    assert out == b""
    assert "Traceback" not in err
    assert err.splitlines() == ["atomic: interrupted"]
    assert _wait_gone(_read_pids(pidfile))


def test_command_refused_in_a_file_others_can_write(atomic_env, tmp_path):
    marker = tmp_path / "ran"
    _store(atomic_env, "!touch %s; echo sk-should-not-run-000000" % marker, mode=0o620)
    r = atomic_env.run("key", "openai")
    assert_fails(r, 7, "!command", "chmod 600", warnings=True)
    assert not marker.exists()
    _store(atomic_env, "!touch %s; echo sk-should-not-run-000000" % marker, mode=0o602)
    assert_fails(atomic_env.run("key", "openai"), 7, warnings=True)
    assert not marker.exists()


def test_command_refused_in_a_folder_others_can_write(atomic_env, tmp_path):
    # Whoever can write the folder can replace auth.json with their own !command.
    marker = tmp_path / "ran"
    _store(atomic_env, "!touch %s; echo sk-should-not-run-000000" % marker)
    os.chmod(atomic_env.agent_dir, 0o777)
    assert_fails(atomic_env.run("key", "openai"), 7, "!command", atomic_env.agent_dir)
    assert not marker.exists()


def test_command_refused_in_models_json_others_can_write(atomic_env, tmp_path):
    marker = tmp_path / "ran"
    atomic_env.write_models({"providers": {"openai": {
        "apiKey": "!touch %s; echo sk-should-not-run-000000" % marker}}}, mode=0o666)
    assert_fails(atomic_env.run("key", "openai"), 7, "!command", warnings=True)
    assert not marker.exists()
    os.chmod(atomic_env.models_path, 0o600)
    r = atomic_env.run("key", "openai")
    assert r.stdout == "sk-should-not-run-000000\n" and marker.exists()


def test_models_json_command_failure_is_exit_8(atomic_env):
    atomic_env.write_models({"providers": {"openai": {"apiKey": "!exit 4"}}})
    assert_fails(atomic_env.run("key", "openai"), 8, atomic_env.models_path, "apiKey", "exit status 4")


# Environment references ----------------------------------------------------------------------

def test_dollar_name(atomic_env):
    _store(atomic_env, "$MY_OPENAI_KEY")
    r = atomic_env.run("key", "openai", env={"MY_OPENAI_KEY": "sk-via-dollar-name-00001"})
    assert r.stdout == "sk-via-dollar-name-00001\n"


def test_referenced_values_are_trimmed_and_blank_entry_env_falls_back(atomic_env):
    _store(atomic_env, "$MY_OPENAI_KEY", env={"MY_OPENAI_KEY": "   "})
    r = atomic_env.run("key", "openai", "--header", env={"MY_OPENAI_KEY": " sk-padded-0000000001\n"})
    assert r.stdout == "Authorization: Bearer sk-padded-0000000001\n"


def test_braced_name_inside_a_value_and_dollar_dollar(atomic_env):
    _store(atomic_env, "sk-${KEY_PART}-$SUFFIX-cost$$5")
    r = atomic_env.run("key", "openai", env={"KEY_PART": "middle", "SUFFIX": "end"})
    assert r.stdout == "sk-middle-end-cost$5\n"


def test_lower_case_reference(atomic_env):
    _store(atomic_env, "${my_key}")
    assert atomic_env.run("key", "openai", env={"my_key": "lower-case-var-value"}).stdout == \
        "lower-case-var-value\n"


@pytest.mark.parametrize("value", ["$MISSING_KEY_VAR", "${MISSING_KEY_VAR}", "pre-${MISSING_KEY_VAR}-post"])
def test_unset_reference_is_exit_3_naming_the_variable(atomic_env, value):
    _store(atomic_env, value)
    r = atomic_env.run("key", "openai", env={"OPENAI_API_KEY": "sk-env-must-not-be-used-1"})
    assert_fails(r, 3, "MISSING_KEY_VAR")


def test_bare_upper_case_name_is_that_variable(atomic_env):
    _store(atomic_env, "MY_VAULT_KEY")
    r = atomic_env.run("key", "openai", env={"MY_VAULT_KEY": "sk-bare-name-value-00001"})
    assert r.stdout == "sk-bare-name-value-00001\n"


@pytest.mark.parametrize("value", [None, "", "  "])
def test_bare_name_unset_or_empty_is_an_error_never_the_name(atomic_env, value):
    _store(atomic_env, "MY_VAULT_KEY")
    r = atomic_env.run("key", "openai", env={"MY_VAULT_KEY": value})
    assert_fails(r, 3, "MY_VAULT_KEY", "not set")   # stdout empty: the name is never the key
    r = atomic_env.run("key", "openai", "--header", env={"MY_VAULT_KEY": value})
    assert_fails(r, 3, "MY_VAULT_KEY")
    assert "Bearer MY_VAULT_KEY" not in r.stdout + r.stderr


def test_entry_env_is_consulted_before_the_process_environment(atomic_env):
    _store(atomic_env, "$GATEWAY_TOKEN", env={"GATEWAY_TOKEN": "from-entry-env-0001"})
    r = atomic_env.run("key", "openai", env={"GATEWAY_TOKEN": "from-process-env-0002"})
    assert r.stdout == "from-entry-env-0001\n"


def test_models_json_api_key_reference(atomic_env):
    atomic_env.write_models({"providers": {"groq": {"apiKey": "${GROQ_VAULT}"}}})
    r = atomic_env.run("key", "groq", env={"GROQ_VAULT": "gsk-from-models-json-ref"})
    assert r.stdout == "gsk-from-models-json-ref\n"


# Literals ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["sk-literal-key-1234567890", "lower_case_name", "Mixed_Case",
                                   "ends-with-dollar$", "a$-b", "${unterminated", "1ABC"])
def test_literal_values(atomic_env, value):
    _store(atomic_env, value)
    r = atomic_env.run("key", "openai")
    assert (r.returncode, r.stdout) == (0, value + "\n"), r.stderr


def test_the_chain_s_quick_key_check_agrees_with_key_problem():
    # keyform.plain_key spares `atomic key` importing text.py; it must accept exactly what key_problem does.
    import random

    from providers._core.keyform import key_problem, plain_key

    rng = random.Random(7)
    alphabet = [chr(c) for c in range(0, 0x250)] + ["\u2028", "\u00a0", "\ufeff", "\U0001f600"]
    samples = ["sk-abc", "gsk_123", "a b", "a\tb", "", "x\x7f", "x\x85", "é", "key\n"]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 12))) for _ in range(3000)]
    samples += ["".join(chr(rng.randrange(0x21, 0x7f)) for _ in range(rng.randrange(1, 40))) for _ in range(500)]
    for key in samples:
        assert plain_key(key) == (key_problem(key) is None), repr(key)
