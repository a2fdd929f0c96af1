"""The commands as a person or script meets them: login, logout, status, errors, signals, TTYs."""
import json
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import ATOMIC_PY, PYTHON, REPO, assert_fails, clean_env, run_atomic, tree
from terminal import Terminal as _Terminal

FAR_FUTURE_MS = int(time.time() * 1000) + 30 * 86400000   # a month on: a login that is valid (not centuries: issue 22)
KEY = "gsk-login-test-key-0123456789"


# login -------------------------------------------------------------------------------------

def test_login_reads_the_key_from_stdin(atomic_env):
    r = atomic_env.run("login", "groq", input="  " + KEY + "\n")
    assert r.returncode == 0 and r.stdout == ""
    assert "Saved the Groq API key to %s" % atomic_env.auth_path in r.stderr
    assert KEY not in r.stderr                       # the key is never echoed
    assert atomic_env.read_auth() == {"groq": {"type": "api_key", "key": KEY}}
    assert atomic_env.run("key", "groq").stdout == KEY + "\n"


def test_login_with_settings(atomic_env):
    r = atomic_env.run("login", "cloudflare-ai-gateway", "--env", "CLOUDFLARE_ACCOUNT_ID=acc123",
                       "--env", "CLOUDFLARE_GATEWAY_ID=gw1", "--env", "TEAM_NOTE=a=with=equals",
                       input="cf-key-000000000001\n")
    assert r.returncode == 0, r.stderr
    assert atomic_env.read_auth()["cloudflare-ai-gateway"] == {
        "type": "api_key", "key": "cf-key-000000000001",
        "env": {"CLOUDFLARE_ACCOUNT_ID": "acc123", "CLOUDFLARE_GATEWAY_ID": "gw1", "TEAM_NOTE": "a=with=equals"}}
    # A new key keeps the stored settings; a new --env replaces only its own name.
    r = atomic_env.run("login", "cloudflare-ai-gateway", "--env", "CLOUDFLARE_GATEWAY_ID=gw2",
                       input="cf-key-000000000002\n")
    assert r.returncode == 0, r.stderr
    assert atomic_env.read_auth()["cloudflare-ai-gateway"]["env"] == {
        "CLOUDFLARE_ACCOUNT_ID": "acc123", "CLOUDFLARE_GATEWAY_ID": "gw2", "TEAM_NOTE": "a=with=equals"}


@pytest.mark.parametrize("pair", ["NOEQUALS", "lower=x", "=value", "1ABC=x", "WITH SPACE=x"])
def test_login_with_a_bad_setting_is_a_usage_error(atomic_env, pair):
    r = atomic_env.run("login", "groq", "--env", pair, input=KEY)
    assert_fails(r, 2, "--env", "NAME=VALUE")
    assert not os.path.exists(atomic_env.agent_dir)


def test_settings_are_for_api_key_logins_only(atomic_env):
    r = atomic_env.run("login", "anthropic", "--oauth", "--env", "X_SETTING=1")
    assert_fails(r, 2, "--env")
    assert not os.path.exists(atomic_env.agent_dir)


@pytest.mark.parametrize("stdin, needle", [
    ("", "empty"), ("  \n\n", "empty"), ("sk-one\nsk-two\n", "2 lines"),
    ("sk-with\x07bell", "control characters"), (b"sk-\xff\xfe", "UTF-8"), ("k" * 20000, "bytes"),
])
def test_login_with_bad_stdin(atomic_env, stdin, needle):
    r = atomic_env.run("login", "groq", input=stdin)
    line = assert_fails(r, 2, needle)
    assert "sk-one" not in line and "sk-two" not in line
    assert not os.path.exists(atomic_env.agent_dir)


def test_an_empty_key_for_a_provider_with_a_subscription_names_the_subscription_login_too(atomic_env):
    # `ssh server atomic login claude` has no terminal: it was taken for a key login, and said only "pipe a key".
    assert_fails(atomic_env.run("login", "claude", input=""), 2, "empty", "| atomic login anthropic",
                 "for the subscription: atomic login anthropic --oauth")
    line = assert_fails(atomic_env.run("login", "claude", "--key", input=""), 2, "empty")
    assert "--oauth" not in line, line
    assert "--oauth" not in assert_fails(atomic_env.run("login", "groq", input=""), 2, "empty")
    assert not os.path.exists(atomic_env.agent_dir)


def test_login_with_stdin_closed(atomic_env):
    # `atomic login groq <&-` (stdin closed outright, as under some cron setups)
    r = atomic_env.run("login", "groq", preexec_fn=lambda: os.close(0), stdin=None)
    assert_fails(r, 2, "stdin")
    assert not os.path.exists(atomic_env.agent_dir)


def test_login_without_provider_and_without_a_terminal(atomic_env):
    assert_fails(atomic_env.run("login", input=KEY), 2, "atomic login PROVIDER", "not a terminal")


@pytest.mark.parametrize("command", [("login", "opnai"), ("key", "opnai"), ("logout", "opnai"),
                                     ("key", "gihub-copilot"), ("login", "OpenAI")])
def test_misspelt_provider(atomic_env, command):
    r = atomic_env.run(*command, input=KEY)
    line = assert_fails(r, 2, "unknown provider", "did you mean")
    assert re.search(r"did you mean '(openai|github-copilot)'", line), line
    assert not os.path.exists(atomic_env.agent_dir)


def test_provider_suggestions_include_custom_providers(atomic_env):
    atomic_env.write_models({"providers": {"my-proxy": {"baseUrl": "http://127.0.0.1:9/v1"}}})
    assert_fails(atomic_env.run("key", "my-prox"), 2, "did you mean 'my-proxy'")


def test_login_method_mismatches(atomic_env):
    assert_fails(atomic_env.run("login", "groq", "--oauth"), 2, "no subscription login")
    assert_fails(atomic_env.run("login", "openai-codex", "--key", input=KEY), 2, "only with OAuth")
    assert_fails(atomic_env.run("login", "groq", "--oauth", "--key"), 2, "not allowed with")


def test_login_to_an_oauth_provider_with_a_key_from_stdin(atomic_env):
    # Without a terminal there is no question to ask: a provider that takes both gets the key.
    r = atomic_env.run("login", "anthropic", input="sk-ant-api03-stdin-key-0001\n")
    assert r.returncode == 0, r.stderr
    assert atomic_env.read_auth()["anthropic"] == {"type": "api_key", "key": "sk-ant-api03-stdin-key-0001"}


def test_keys_never_reach_argv_or_output(atomic_env):
    secret = "sk-never-on-argv-000000000042"
    proc = subprocess.Popen([PYTHON, ATOMIC_PY, "login", "openai"], env=atomic_env.env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with open("/proc/%d/cmdline" % proc.pid, "rb") as f:
        assert secret.encode() not in f.read()
    out, err = proc.communicate(secret.encode() + b"\n", timeout=30)
    assert proc.returncode == 0
    assert secret.encode() not in out + err
    r = atomic_env.run("status", "--json")
    assert secret not in r.stdout + r.stderr


# logout ------------------------------------------------------------------------------------

def test_logout_removes_only_that_entry(atomic_env):
    stored = {
        "openai": {"type": "api_key", "key": "sk-000000000000000001"},
        "groq": {"type": "api_key", "key": "gsk-0000000000000001", "note": "keep", "env": {"X_Y": "1"}},
        "agent-only-provider": {"type": "oauth", "access": "a", "refresh": "r", "expires": 1, "x": [1]},
    }
    atomic_env.write_auth(stored)
    atomic_env.write_models({"providers": {"openai": {"apiKey": "sk-models-json-000000001"}}})
    models_before = open(atomic_env.models_path, "rb").read()
    r = atomic_env.run("logout", "openai", env={"OPENAI_API_KEY": "sk-env-0000000000000001"})
    assert r.returncode == 0 and r.stdout == ""
    assert "Removed the stored credential for OpenAI" in r.stderr
    assert "OPENAI_API_KEY is still set" in r.stderr
    assert "Environment variables and models.json are unchanged." in r.stderr
    after = atomic_env.read_auth()
    assert after == {k: v for k, v in stored.items() if k != "openai"}
    assert open(atomic_env.models_path, "rb").read() == models_before
    assert atomic_env.mode(atomic_env.auth_path) == 0o600
    # models.json still answers for openai
    assert atomic_env.run("key", "openai").stdout == "sk-models-json-000000001\n"


def test_logout_of_a_provider_only_the_agent_knows(atomic_env):
    atomic_env.write_auth({"agent-only-provider": {"type": "oauth", "access": "a", "refresh": "r", "expires": 1}})
    r = atomic_env.run("logout", "agent-only-provider")
    assert r.returncode == 0, r.stderr
    assert atomic_env.read_auth() == {}


def test_logout_all(atomic_env):
    atomic_env.write_auth({"openai": {"type": "api_key", "key": "sk-000000000000000001"},
                           "groq": {"type": "api_key", "key": "gsk-0000000000000001"}})
    before = atomic_env.auth_bytes()
    # Without a terminal there is no one to ask: --yes says it.
    assert_fails(atomic_env.run("logout", "--all"), 2, "2 stored credential(s) (openai, groq)", "--yes")
    assert atomic_env.auth_bytes() == before
    r = atomic_env.run("logout", "--all", "--yes")
    assert r.returncode == 0, r.stderr
    assert "OpenAI" in r.stderr and "Groq" in r.stderr
    assert "Environment variables and models.json are unchanged." in r.stderr
    assert atomic_env.read_auth() == {}
    r = atomic_env.run("logout", "--all")
    assert r.returncode == 0 and "No stored credential to remove" in r.stderr     # nothing to ask about


def test_logout_with_nothing_stored_creates_nothing(atomic_env):
    r = atomic_env.run("logout", "openai", env={"OPENAI_API_KEY": "sk-env-0000000000000001"})
    assert r.returncode == 0 and r.stdout == ""
    assert "No stored credential for openai" in r.stderr and "unchanged" in r.stderr
    assert tree(atomic_env.home) == set()
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk-0000000000000001"}})
    before = atomic_env.auth_bytes()
    assert atomic_env.run("logout", "openai").returncode == 0
    assert atomic_env.auth_bytes() == before
    assert sorted(os.listdir(atomic_env.agent_dir)) == ["auth.json"]


@pytest.mark.parametrize("args", [("logout",), ("logout", "openai", "--all")])
def test_logout_needs_exactly_one_target(atomic_env, args):
    assert_fails(atomic_env.run(*args), 2, "--all")


# status ------------------------------------------------------------------------------------

def test_status_json(atomic_env):
    secrets = {"groq": "gsk_Q3tZ8wLmN5vB2xKp7RfY0aHcJdabcd",
               "openai": "sk-proj-T7kP2mXq9LrW4vZn8BcY1sDfGhwxyz",
               "mistral": "Zr8Kq2LmW7pX4tN9vB3cY6hJ1fDqrst"}
    atomic_env.write_auth({"groq": {"type": "api_key", "key": secrets["groq"]}})
    atomic_env.write_models({"providers": {"mistral": {"apiKey": secrets["mistral"]}}})
    r = atomic_env.run("status", "--json", env={"OPENAI_API_KEY": secrets["openai"]})
    assert r.returncode == 0 and r.stderr == ""
    report = json.loads(r.stdout)
    assert report["agentDir"] == atomic_env.agent_dir
    assert report["authFile"] == atomic_env.auth_path
    assert report["problems"] == []
    rows = {row["id"]: row for row in report["providers"]}
    assert set(rows) == {"groq", "openai", "mistral"}
    assert rows["groq"]["source"] == "auth.json"
    assert rows["openai"]["source"] == "env OPENAI_API_KEY"
    assert rows["mistral"]["source"] == "models.json"
    # a recognisable prefix and the last four, nothing more
    assert rows["groq"]["credential"] == "gsk_…abcd"
    assert rows["openai"]["credential"] == "sk-proj-…wxyz"
    assert rows["mistral"]["credential"] == "Zr8…qrst"
    for pid, secret in secrets.items():
        assert secret not in r.stdout
        assert secret[:-4] not in rows[pid]["credential"]


def test_status_human_output_masks_everything(atomic_env):
    secret = "gsk_H7tZ8wLmN5vB2xKp7RfY0aHcJdwxyz"
    atomic_env.write_auth({"groq": {"type": "api_key", "key": secret}})
    r = atomic_env.run("status")
    assert r.returncode == 0
    assert r.stdout.splitlines()[0].split() == ["PROVIDER", "SOURCE", "CREDENTIAL", "EXPIRES", "ACCOUNT"]
    assert r.stdout.splitlines()[1].split() == ["groq", "auth.json", "gsk_…wxyz"]
    assert secret not in r.stdout + r.stderr


def test_status_oauth_expiry_for_a_custom_provider(atomic_env):
    atomic_env.write_models({"providers": {"my-oauth": {"baseUrl": "http://127.0.0.1:9/v1"}}})
    atomic_env.write_auth({"my-oauth": {"type": "oauth", "access": "access-token-000000000007",
                                        "refresh": "refresh-token-00000009", "expires": FAR_FUTURE_MS}})
    report = json.loads(atomic_env.run("status", "--json").stdout)
    (row,) = report["providers"]
    assert row["source"] == "auth.json (oauth)"
    assert row["expires"] == FAR_FUTURE_MS
    assert row["expiresIn"].endswith("d")
    assert "access-token-000000000007" not in json.dumps(report)


def test_status_oauth_entry_of_a_builtin_provider(atomic_env):
    atomic_env.write_auth({"openai-codex": {"type": "oauth", "access": "eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl",
                                            "refresh": "rt-000000000000000001", "expires": FAR_FUTURE_MS,
                                            "accountId": "acct-1234"}})
    r = atomic_env.run("status", "--json")
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)["providers"]
    assert (row["id"], row["source"], row["expires"], row["account"]) == \
        ("openai-codex", "auth.json (oauth)", FAR_FUTURE_MS, "acct-1234")
    assert "eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl" not in r.stdout
    r = atomic_env.run("status")
    assert r.stdout.splitlines()[1].split()[-1] == "acct-1234"


def test_status_reports_an_expired_token_it_cannot_refresh_and_writes_nothing(atomic_env):
    # A custom provider has no refresh flow: the expired entry is a problem, kept as it is.
    atomic_env.write_models({"providers": {"my-oauth": {"baseUrl": "http://127.0.0.1:9/v1"}}})
    atomic_env.write_auth({"my-oauth": {"type": "oauth", "access": "access-token-000000000007",
                                        "refresh": "refresh-token-00000009", "expires": 1000}})
    before = atomic_env.auth_bytes()
    r = atomic_env.run("status", "--json")
    assert r.returncode == 11 and r.stderr == "atomic: status found 1 problem (in the report)\n", r.stderr
    (row,) = json.loads(r.stdout)["providers"]
    assert row["id"] == "my-oauth" and "expired" in row["problem"] and "sign in again" in row["problem"]
    assert atomic_env.auth_bytes() == before
    assert sorted(os.listdir(atomic_env.agent_dir)) == ["auth.json", "models.json"]


def test_status_reports_problems(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk-0000000000000001"},
                           "openai": {"type": "api_key"},
                           "mistral": {"type": "api_key", "key": "$MISTRAL_VAULT_VAR"},
                           "xai": ["not", "an", "entry"]}, mode=0o640)
    r = atomic_env.run("status", "--json")
    assert r.returncode == 11   # the report is printed, and its problems are the exit status
    report = json.loads(r.stdout)
    assert any("chmod 600 %s" % atomic_env.auth_path in p for p in report["problems"])
    rows = {row["id"]: row for row in report["providers"]}
    assert "xai: expected an object" in rows["xai"]["problem"]
    assert "MISTRAL_VAULT_VAR" in rows["mistral"]["problem"]   # a broken reference, not "no credential"
    assert rows["groq"]["source"] == "auth.json"
    assert "openai" not in rows                                 # an entry with no key: nothing to show

    r = atomic_env.run("status")
    assert r.returncode == 11 and r.stderr.endswith("atomic: status found 3 problems (above)\n"), r.stderr
    # Every provider with a credential keeps its row, a broken one with its problem below.
    table = {line.split()[0]: line.split()[1:] for line in r.stdout.splitlines()[1:]}
    assert table["groq"] == ["auth.json", "gsk-…0001"]
    assert table["xai"] == table["mistral"] == ["auth.json", "-", "problem", "(below)"]
    assert "problem: xai:" in r.stderr and "problem: mistral:" in r.stderr
    assert r.stderr.count("chmod 600") == 1   # the warning, not repeated as a problem


def test_status_names_the_sources_that_lose(atomic_env):
    # A stored key beats a newer OPENAI_API_KEY; a subscription beats ANTHROPIC_API_KEY: say so.
    atomic_env.write_auth({"openai": {"type": "api_key", "key": "sk-proj-stored-000000000001"},
                           "anthropic": {"type": "oauth", "access": "sk-ant-oat01-stored-0000001",
                                         "refresh": "rt-0000000000000001", "expires": FAR_FUTURE_MS}})
    atomic_env.write_models({"providers": {"openai": {"apiKey": "!echo never-run-here"}}})
    env = {"OPENAI_API_KEY": "sk-proj-env-0000000000000002", "ANTHROPIC_API_KEY": "sk-ant-api03-env-000000003",
           "GROQ_API_KEY": "gsk_env-only-00000000000004"}
    r = atomic_env.run("status", "--json", env=env)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)["providers"]}
    assert rows["openai"]["source"] == "auth.json"
    assert rows["openai"]["shadowed"] == ["env OPENAI_API_KEY", "models.json (!command, not run)"]
    assert rows["anthropic"]["shadowed"] == ["env ANTHROPIC_API_KEY"]
    assert rows["groq"]["shadowed"] == []
    assert "sk-proj-env" not in r.stdout and "sk-ant-api03-env" not in r.stdout

    r = atomic_env.run("status", env=env)
    lines = {line.split()[0]: line for line in r.stdout.splitlines()}
    assert lines["PROVIDER"].split()[-1] == "NOTE"
    assert lines["openai"].endswith("shadowed: env OPENAI_API_KEY, models.json (!command, not run)")
    assert lines["anthropic"].endswith("shadowed: env ANTHROPIC_API_KEY")
    assert "shadowed" not in lines["groq"]


def test_status_lists_keyless_custom_providers(atomic_env):
    atomic_env.write_models({"providers": {"ollama": {"baseUrl": "http://localhost:11434/v1", "api": "openai-completions",
                                                      "models": [{"id": "llama3.1:8b"}]}}})
    (row,) = json.loads(atomic_env.run("status", "--json").stdout)["providers"]
    assert (row["id"], row["source"], row["credential"], row["noKeyNeeded"]) == ("ollama", None, None, True)
    r = atomic_env.run("status")
    assert r.stdout.splitlines()[1].split() == ["ollama", "-", "no", "key", "needed", "from", atomic_env.models_path]
    assert row["definedIn"] == [atomic_env.models_path]
    assert "No credentials found" not in r.stderr


def test_status_with_no_credentials(atomic_env):
    r = atomic_env.run("status")
    assert r.returncode == 0 and r.stdout == ""
    assert "No credentials found" in r.stderr and "atomic login" in r.stderr
    report = json.loads(atomic_env.run("status", "--json").stdout)
    assert report["providers"] == [] and report["problems"] == []


# Errors, signals, pipes --------------------------------------------------------------------

def test_every_failure_is_one_line_without_traceback(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "!exit 2"}})
    cases = [
        (("frobnicate",), 2), (("key",), 2), (("key", "openai", "--bogus"), 2),
        (("key", "openai"), 3), (("key", "groq"), 8), (("status", "extra"), 2),
    ]
    for args, code in cases:
        assert_fails(atomic_env.run(*args), code)


def test_no_command_without_a_terminal_prints_the_short_help(atomic_env):
    r = atomic_env.run()                     # stdin is /dev/null: no conversation to start
    assert r.returncode == 2 and r.stdout == ""
    assert "atomic ask" in r.stderr and "atomic login" in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.splitlines()[-1].startswith("atomic: ")


def test_version_and_help_go_to_stdout(atomic_env):
    r = atomic_env.run("--version")
    assert r.returncode == 0 and re.match(r"atomic \d+\.\d+\.\d+\n\Z", r.stdout)
    r = atomic_env.run("--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: atomic") and r.stderr == ""
    for sub in ("key", "login", "logout", "status"):
        r = atomic_env.run(sub, "--help")
        assert r.returncode == 0 and r.stdout.startswith("usage: atomic " + sub)


def test_run_as_a_module_from_the_checkout(atomic_env):
    r = run_atomic(["key", "openai"], env=dict(atomic_env.env, OPENAI_API_KEY="sk-module-run-0000001"),
                   module=True)
    assert (r.returncode, r.stdout, r.stderr) == (0, "sk-module-run-0000001\n", "")
    r = run_atomic(["status", "--json"], env=atomic_env.env, module=True)
    assert r.returncode == 0 and json.loads(r.stdout)["providers"] == []
    r = run_atomic(["key", "opnai"], env=atomic_env.env, module=True)
    assert_fails(r, 2, "did you mean")


def test_atomic_py_without_its_providers_folder(tmp_path):
    shutil.copy(ATOMIC_PY, str(tmp_path / "atomic.py"))
    # -S: no site-packages, where an installed (or editable) atomic-cli would supply providers/
    r = subprocess.run([PYTHON, "-S", str(tmp_path / "atomic.py"), "status"], env=clean_env(tmp_path),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(tmp_path))
    assert r.returncode == 1 and r.stdout == b""
    assert r.stderr.decode().startswith("atomic: cannot import providers/")
    assert b"Traceback" not in r.stderr


DEBUG_RUN = """
import sys
sys.path.insert(0, {repo!r})
import atomic

class BrokenStdout:
    # A stream that fails the way no OS error does: the catcher must still hold.
    def write(self, text):
        raise RuntimeError("stdout exploded near token sk-proj-debugsecret0000000099")
    def flush(self):
        pass

sys.stdout = BrokenStdout()
sys.exit(atomic.main(["key", "openai"]))
"""


@pytest.mark.parametrize("debug", [None, "1"])
def test_internal_error_is_one_line_and_debug_shows_a_masked_traceback(atomic_env, debug):
    env = dict(atomic_env.env, OPENAI_API_KEY="sk-env-0000000000000001")
    if debug:
        env["ATOMIC_DEBUG"] = debug
    r = subprocess.run([PYTHON, "-c", DEBUG_RUN.format(repo=REPO)], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = r.stderr.decode()
    assert r.returncode == 1
    last = err.splitlines()[-1]
    assert last.startswith("atomic: internal error (a bug): RuntimeError") and "ATOMIC_DEBUG=1" in last
    assert "sk-proj-debugsecret0000000099" not in err
    if debug:
        assert "Traceback (most recent call last)" in err and "cmd_key" in err
    else:
        assert "Traceback" not in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("args, env", [
    (("key", "openai"), {"OPENAI_API_KEY": "sk-pipe-0000000000000001"}),
    (("key", "openai", "--json"), {"OPENAI_API_KEY": "sk-pipe-0000000000000001"}),
    (("status",), {"OPENAI_API_KEY": "sk-pipe-0000000000000001"}),
    (("--help",), {}),
])
def test_closed_pipe_ends_quietly(atomic_env, args, env):
    read_end, write_end = os.pipe()
    os.close(read_end)                    # the reader is already gone, as with `| head -0`
    try:
        r = subprocess.run([PYTHON, ATOMIC_PY] + list(args), env=dict(atomic_env.env, **env),
                           stdin=subprocess.DEVNULL, stdout=write_end, stderr=subprocess.PIPE, timeout=30)
    finally:
        os.close(write_end)
    assert r.returncode in (0, 141), r.stderr    # --help: argparse may finish before noticing
    heading = b"Agent directory: " if args[0] == "status" else b""  # status says, first, which files it read
    assert r.stderr == b"" or (heading and r.stderr.startswith(heading) and len(r.stderr.splitlines()) == 1), r.stderr
    if args[0] != "--help":
        assert r.returncode == 141


def test_ctrl_c_at_a_prompt_is_quiet(atomic_env):
    with _Terminal(["login", "groq"], atomic_env.env) as term:
        term.expect("API key")
        term.write("\x03")                   # ^C on the terminal: SIGINT to the foreground group
        code, output = term.finish()
    assert code == 130
    assert "Traceback" not in output
    assert output.strip().endswith("atomic: interrupted")
    assert not os.path.exists(atomic_env.auth_path)


# A real terminal (pty): hidden prompts and the menu --------------------------------------------

def test_hidden_prompt_on_a_terminal(atomic_env):
    with _Terminal(["login", "groq"], atomic_env.env) as term:
        term.expect("Paste your Groq API key (input is hidden): ")
        term.write(KEY + "\r")
        code, output = term.finish()
        stdout = term.proc.stdout.read()
    assert code == 0, output
    assert KEY not in output                       # not echoed
    assert stdout == b""
    assert atomic_env.read_auth() == {"groq": {"type": "api_key", "key": KEY}}


def test_provider_with_both_methods_asks_which_on_a_terminal(atomic_env):
    with _Terminal(["login", "anthropic"], atomic_env.env) as term:
        term.expect("Choice [1]: ")
        term.write("2\r")
        term.expect("Paste your Anthropic API key")
        term.write("sk-ant-api03-terminal-key-000001\r")
        code, output = term.finish()
    assert code == 0, output
    assert atomic_env.read_auth()["anthropic"] == {"type": "api_key", "key": "sk-ant-api03-terminal-key-000001"}


# What a pasted key becomes ---------------------------------------------------------------

@pytest.mark.parametrize("pasted, stored, printed", [
    ("sk-abc$def-0123456789", "sk-abc$$def-0123456789", "sk-abc$def-0123456789"),   # $ inside a key
    ("sk-plain-0123456789", "sk-plain-0123456789", "sk-plain-0123456789"),
    ("$VAULT_GROQ", "$VAULT_GROQ", "gsk-from-vault-000001"),                          # a reference
    ("VAULT_GROQ", "VAULT_GROQ", "gsk-from-vault-000001"),
])
def test_a_pasted_key_reads_back_as_meant(atomic_env, pasted, stored, printed):
    env = {"VAULT_GROQ": "gsk-from-vault-000001"}
    r = atomic_env.run("login", "groq", input=pasted + "\n", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(atomic_env.auth_bytes())["groq"]["key"] == stored
    r = atomic_env.run("key", "groq", env=env)
    assert (r.returncode, r.stdout) == (0, printed + "\n")


def test_an_all_capitals_key_whose_variable_is_unset_is_refused_without_echoing_it(atomic_env):
    secret = "ABCDEF0123456789XYZ0"
    r = atomic_env.run("login", "groq", input=secret + "\n")
    assert_fails(r, 2, "environment variable")
    assert secret not in r.stderr
    assert not os.path.exists(atomic_env.auth_path)


def test_a_login_that_could_not_be_saved_fails_before_asking(atomic_env):
    # A corrupt auth.json: the OAuth login must not open a browser or wait for a paste first.
    atomic_env.write_auth(b"{broken")
    r = atomic_env.run("login", "anthropic", "--oauth", env={"ATOMIC_LOGIN_TIMEOUT": "30"}, timeout=20)
    assert_fails(r, 4, atomic_env.auth_path)
    assert "claude.ai" not in r.stderr
    assert atomic_env.auth_bytes() == b"{broken"


def test_a_malformed_env_setting_is_named_without_its_value(atomic_env):
    r = atomic_env.run("login", "groq", "--env", "aws_secret=wJalrXUtnFEMI-K7MDENG-bPxRfiCY", input="gsk_x\n")
    line = assert_fails(r, 2, "--env 'aws_secret'", "NAME=VALUE")
    assert "wJalrXUtnFEMI" not in line


def test_no_command_with_stdin_closed_is_the_short_help(atomic_env):
    from conftest import ATOMIC_PY, PYTHON

    r = subprocess.run([PYTHON, ATOMIC_PY], env=atomic_env.env, stdin=subprocess.DEVNULL, close_fds=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=lambda: os.close(0))
    assert r.returncode == 2 and r.stdout == b"", r.stderr
    assert r.stderr.decode().splitlines()[-1].startswith("atomic: name a command")


def test_a_removed_working_folder_means_no_project(atomic_env, tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    r = atomic_env.run("fast", cwd=str(gone), preexec_fn=lambda: os.rmdir(str(gone)))
    assert (r.returncode, r.stdout) == (0, "Codex fast mode: chat off, workflow off\n"), r.stderr


@pytest.mark.parametrize("key", ["gsk_abcdEFGH1234567890xyzQ", "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv",
                                 "xai-abcdEFGH1234567890xyzQwerty", "hf_abcdEFGH1234567890xyzQwe",
                                 "AKIAIOSFODNN7EXAMPLE", "sk-proj-abcdefghijklmnopqrstuvwxyz0123"])
def test_a_key_typed_where_a_word_goes_is_masked_in_the_error(atomic_env, key):
    for args in (["key", "openai", key], ["key", key]):
        r = atomic_env.run(*args)
        assert r.returncode == 2 and r.stdout == "", r.stderr
        assert key not in r.stderr, r.stderr
        assert (key[-4:] in r.stderr) == (args[1] == key), r.stderr   # a word too many is not even masked: counted


@pytest.mark.parametrize("setting, needle", [
    ("PATH=/evil", "decides what programs run or load"),
    ("LD_PRELOAD=/x.so", "decides what programs run or load"),
    ("PYTHONPATH=/x", "decides what programs run or load"),
    ("OPENAI_API_KEY=sk-other-key-000000000001", "openai's key variable"),
    ("NOTE=a\x01b", "control character"),
])
def test_login_env_refuses_what_is_not_the_provider_s_to_keep(atomic_env, setting, needle):
    r = atomic_env.run("login", "groq", "--env", setting, input="gsk_test-key-000000000001")
    line = assert_fails(r, 2, "--env " + setting.partition("=")[0], needle)
    assert "sk-other-key" not in line
    assert not os.path.exists(atomic_env.auth_path)


def test_login_env_checks_an_address_part_before_storing_it(atomic_env):
    r = atomic_env.run("login", "cloudflare-ai-gateway", "--env", "CLOUDFLARE_ACCOUNT_ID=x@evil.com/",
                       "--env", "CLOUDFLARE_GATEWAY_ID=gw", input="cf-token-000000000000000001")
    assert_fails(r, 2, "--env CLOUDFLARE_ACCOUNT_ID", "letters, digits")
    assert not os.path.exists(atomic_env.auth_path)
    ok = atomic_env.run("login", "groq", "--env", "GROQ_ORG=team-1", input="gsk_test-key-000000000001")
    assert ok.returncode == 0, ok.stderr                    # a setting of one's own is kept
