"""`atomic exec` as a script meets it: the variables a command gets, its exit status, its signals,
and a key that never reaches a command line."""
import json
import os
import signal
import subprocess
import time

from conftest import PYTHON, assert_fails, start_atomic

FAR_FUTURE_MS = int(time.time() * 1000) + 30 * 86400000   # a month on: a login that is valid (not centuries: issue 22)
OPENAI_KEY = "sk-exec-openai-000000000001"
GROQ_KEY = "gsk_exec-groq-000000000001"
CLAUDE_TOKEN = "sk-ant-oat01-exec-subscription-token-0001"
GITHUB_TOKEN = "gho_exec-github-token-0123456789abcdef"
WATCHED = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "GROQ_API_KEY", "ANTHROPIC_API_KEY", "ANTHROPIC_OAUTH_TOKEN",
           "ANTHROPIC_BASE_URL", "COPILOT_GITHUB_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_ACCOUNT_ID",
           "ATOMIC_CODEX_FAST_MODE")

# A command that prints the variables atomic exports as JSON, then exits with the status it is given.
SHOW = ("import json, os, sys; print(json.dumps({n: os.environ[n] for n in %r if n in os.environ})); "
        "sys.exit(int(sys.argv[1]))" % (WATCHED,))


def show(atomic_env, *providers, status=0, env=None):
    r = atomic_env.run("exec", *providers, "--", PYTHON, "-c", SHOW, str(status), env=env)
    seen = json.loads(r.stdout) if r.stdout else None
    return r, seen


def store(atomic_env, **entries):
    atomic_env.write_auth(entries)


def oauth(access, refresh="r-unused", **extra):
    return dict({"type": "oauth", "access": access, "refresh": refresh, "expires": FAR_FUTURE_MS}, **extra)


def test_each_provider_in_its_own_variables_and_the_exit_status_passed_through(atomic_env):
    store(atomic_env, openai={"type": "api_key", "key": OPENAI_KEY},
          anthropic=oauth(CLAUDE_TOKEN),
          **{"github-copilot": oauth("tid=copilot-short-lived;proxy-ep=proxy.individual.githubcopilot.com;",
                                     refresh=GITHUB_TOKEN)})
    r, seen = show(atomic_env, "openai", "anthropic", "github-copilot", status=7)
    assert r.returncode == 7, r.stderr
    assert seen == {"OPENAI_API_KEY": OPENAI_KEY, "ANTHROPIC_OAUTH_TOKEN": CLAUDE_TOKEN,
                    "COPILOT_GITHUB_TOKEN": GITHUB_TOKEN}     # the GitHub token, not the Copilot one
    assert r.stderr == ""


def test_a_subscription_token_takes_the_place_of_a_shadowed_api_key(atomic_env):
    # auth.json's subscription wins over ANTHROPIC_API_KEY (`key --explain` says so); an SDK in the
    # command would read the API key first, so it is not passed on.
    store(atomic_env, anthropic=oauth(CLAUDE_TOKEN))
    r, seen = show(atomic_env, "anthropic", env={"ANTHROPIC_API_KEY": "sk-ant-api03-shadowed-000000000001"})
    assert r.returncode == 0, r.stderr
    assert seen == {"ANTHROPIC_OAUTH_TOKEN": CLAUDE_TOKEN}


def test_an_anthropic_api_key_goes_in_anthropic_api_key(atomic_env):
    r, seen = show(atomic_env, "anthropic", env={"ANTHROPIC_API_KEY": "sk-ant-api03-exec-key-000000000001"})
    assert r.returncode == 0 and seen == {"ANTHROPIC_API_KEY": "sk-ant-api03-exec-key-000000000001"}


def test_without_providers_every_credential_goes_and_codex_is_named_and_skipped(atomic_env):
    store(atomic_env, openai={"type": "api_key", "key": OPENAI_KEY}, groq={"type": "api_key", "key": GROQ_KEY},
          **{"openai-codex": oauth("codex-access-token-not-for-tools", accountId="acct-1"),
             "cloudflare-workers-ai": {"type": "api_key", "key": "cf-exec-key-000000000001",
                                       "env": {"CLOUDFLARE_ACCOUNT_ID": "acc-123"}}})
    r, seen = show(atomic_env)
    assert r.returncode == 0, r.stderr
    assert seen == {"OPENAI_API_KEY": OPENAI_KEY, "GROQ_API_KEY": GROQ_KEY,
                    "CLOUDFLARE_API_KEY": "cf-exec-key-000000000001", "CLOUDFLARE_ACCOUNT_ID": "acc-123"}
    assert r.stderr.count("\n") == 1 and "openai-codex has nothing standard to export" in r.stderr
    assert "codex-access-token" not in r.stderr


def test_an_address_from_models_json_goes_along_with_the_key(atomic_env):
    store(atomic_env, openai={"type": "api_key", "key": OPENAI_KEY})
    atomic_env.write_models({"providers": {
        "openai": {"baseUrl": "https://llm-gateway.corp.example/openai/v1"},
        "corp": {"baseUrl": "https://corp.example/v1", "api": "openai-completions", "apiKey": "$CORP_KEY",
                 "models": [{"id": "corp-large"}]},
        "claude-proxy": {"baseUrl": "https://claude-proxy.example", "api": "anthropic-messages",
                         "apiKey": "proxy-key-0000000001", "models": [{"id": "claude-x"}]}}})
    r, seen = show(atomic_env, "openai")
    assert seen == {"OPENAI_API_KEY": OPENAI_KEY, "OPENAI_BASE_URL": "https://llm-gateway.corp.example/openai/v1"}
    r, seen = show(atomic_env, "corp", "claude-proxy", env={"CORP_KEY": "corp-key-0000000001"})
    assert r.returncode == 0, r.stderr
    assert seen == {"OPENAI_API_KEY": "corp-key-0000000001", "OPENAI_BASE_URL": "https://corp.example/v1",
                    "ANTHROPIC_API_KEY": "proxy-key-0000000001", "ANTHROPIC_BASE_URL": "https://claude-proxy.example"}
    # Asked for both, openai and corp cannot share OPENAI_API_KEY: a usage error, nothing run.
    r, seen = show(atomic_env, "openai", "corp", env={"CORP_KEY": "corp-key-0000000001"})
    assert_fails(r, 2, "openai and corp both set OPENAI_API_KEY", "atomic exec openai --")
    # Not named, the built-in keeps its variables and the custom one is named and left out.
    r, seen = show(atomic_env, env={"CORP_KEY": "corp-key-0000000001"})
    assert seen["OPENAI_API_KEY"] == OPENAI_KEY
    assert seen["OPENAI_BASE_URL"] == "https://llm-gateway.corp.example/openai/v1"
    assert "corp skipped: OPENAI_API_KEY is already set for openai" in r.stderr


def test_codex_fast_mode_is_passed_on(atomic_env):
    store(atomic_env, openai={"type": "api_key", "key": OPENAI_KEY}, groq={"type": "api_key", "key": GROQ_KEY})
    with open(os.path.join(atomic_env.agent_dir, "settings.json"), "w") as f:
        json.dump({"codexFastMode": {"chat": True, "workflow": False}}, f)
    _r, seen = show(atomic_env, "openai")
    assert seen["ATOMIC_CODEX_FAST_MODE"] == "chat=1;workflow=0"
    _r, seen = show(atomic_env, "openai", env={"ATOMIC_CODEX_FAST_MODE": "chat=0;workflow=1"})
    assert seen["ATOMIC_CODEX_FAST_MODE"] == "chat=0;workflow=1"   # the caller's choice wins
    _r, seen = show(atomic_env, "groq")
    assert "ATOMIC_CODEX_FAST_MODE" not in seen                    # fast mode is for OpenAI only
    store(atomic_env, groq={"type": "api_key", "key": GROQ_KEY})
    _r, seen = show(atomic_env)                                    # every provider, none of them OpenAI's
    assert seen["GROQ_API_KEY"] == GROQ_KEY and "ATOMIC_CODEX_FAST_MODE" not in seen


def test_a_provider_whose_export_fails_is_left_out_when_none_is_named(atomic_env):
    # AWS_PROFILE names a profile that does not exist: the Bedrock export fails, the rest still runs.
    store(atomic_env, openai={"type": "api_key", "key": OPENAI_KEY})
    env = {"AWS_PROFILE": "no-such-profile", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    r, seen = show(atomic_env, env=env)
    assert r.returncode == 0, r.stderr
    assert seen["OPENAI_API_KEY"] == OPENAI_KEY and "amazon-bedrock skipped" in r.stderr
    r, _seen = show(atomic_env, "amazon-bedrock", env=env)
    assert r.returncode != 0 and "no-such-profile" in r.stderr      # named: its failure is the command's


def test_an_oauth_token_is_refreshed_before_the_command_starts(atomic_env, net, claude):
    refresh = claude.add_refresh_token("sk-ant-ort01-exec-refresh-0001")
    store(atomic_env, anthropic=dict(oauth("sk-ant-oat01-expired-000001", refresh=refresh), expires=1000))
    r, seen = show(atomic_env, "anthropic", env=net.env())
    assert r.returncode == 0, r.stderr
    fresh = atomic_env.read_auth()["anthropic"]["access"]
    assert fresh != "sk-ant-oat01-expired-000001" and seen == {"ANTHROPIC_OAUTH_TOKEN": fresh}
    assert len(claude.token_requests()) == 1


def test_the_key_stays_off_the_command_line_and_signals_reach_the_command(atomic_env):
    store(atomic_env, openai={"type": "api_key", "key": OPENAI_KEY})
    child = ("import os, signal, sys, time\n"
             "def stop(number, frame):\n"
             "    os.write(1, b'got %d\\n' % number)\n"
             "    os._exit(42)\n"
             "signal.signal(signal.SIGTERM, stop)\n"
             "print('ready', flush=True)\n"
             "time.sleep(60)\n")
    proc = start_atomic(["exec", "openai", "--", PYTHON, "-c", child], atomic_env.env, stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout.readline() == b"ready\n", proc.stderr.read()
        with open("/proc/%d/cmdline" % proc.pid, "rb") as f:
            argv = f.read().split(b"\0")
        with open("/proc/%d/environ" % proc.pid, "rb") as f:
            environ = f.read().split(b"\0")
        # The same process is now the command itself (exec, no atomic wrapper), and the key is
        # in its environment only.
        assert argv == [PYTHON.encode(), b"-c", child.encode(), b""]  # (the path may name a checkout "atomic")
        assert not any(OPENAI_KEY.encode() in word for word in argv)
        assert ("OPENAI_API_KEY=" + OPENAI_KEY).encode() in environ
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 42, proc.stderr.read()
        assert proc.stdout.read() == b"got 15\n"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_command_dies_of_a_closed_pipe_as_it_would_alone(atomic_env):
    # Python ignores SIGPIPE and an ignored signal survives exec: atomic puts it back first.
    store(atomic_env, openai={"type": "api_key", "key": OPENAI_KEY})
    proc = start_atomic(["exec", "openai", "--", "yes"], atomic_env.env, stdin=subprocess.DEVNULL)
    proc.stdout.read(4096)
    proc.stdout.close()
    assert proc.wait(timeout=20) == -signal.SIGPIPE
    assert proc.stderr.read() == b""
    r = atomic_env.run("exec", "openai", "--", "cat", "/proc/self/status")
    ignored = int(next(line for line in r.stdout.splitlines() if line.startswith("SigIgn:")).split()[1], 16)
    assert not ignored & (1 << (signal.SIGPIPE - 1)), r.stdout


def test_mistakes_are_one_line_and_run_nothing(atomic_env, tmp_path):
    store(atomic_env, openai={"type": "api_key", "key": OPENAI_KEY})
    marker = tmp_path / "ran"
    touch = ["touch", str(marker)]
    assert_fails(atomic_env.run("exec", "openai", *touch), 2, "put -- before the command")
    assert_fails(atomic_env.run("exec", "openai", "--"), 2, "nothing to run after --")
    assert_fails(atomic_env.run("exec", "opneai", "--", *touch), 2, "unknown provider", "openai")
    assert_fails(atomic_env.run("exec", "groq", "--", *touch), 3, "no credential for Groq")
    assert_fails(atomic_env.run("exec", "openai", "--", "no-such-command-here"), 127, "no-such-command-here",
                 "command not found")
    not_executable = tmp_path / "script.sh"
    not_executable.write_text("#!/bin/sh\ntouch %s\n" % marker)
    assert_fails(atomic_env.run("exec", "openai", "--", str(not_executable)), 126, "cannot run it")
    assert_fails(atomic_env.run("exec", "openai", "--", ""), 2, "empty word")
    assert_fails(atomic_env.run("exec", "openai", "--", "no\nsuch"), 127, "no such: command not found")
    no_interpreter = tmp_path / "bad.sh"
    no_interpreter.write_text("#!/nonexistent/interp\ntouch %s\n" % marker)
    no_interpreter.chmod(0o755)
    assert_fails(atomic_env.run("exec", "openai", "--", str(no_interpreter)), 127, "bad interpreter", "#! line")
    assert not marker.exists()


def test_nothing_to_export_is_an_error(atomic_env, tmp_path):
    store(atomic_env, **{"openai-codex": oauth("codex-access-token-not-for-tools", accountId="acct-1")})
    r = atomic_env.run("exec", "--", "touch", str(tmp_path / "ran"))
    assert_fails(r, 3, "no credential to put in the environment", warnings=True)
    assert "openai-codex has nothing standard to export" in r.stderr
    assert not (tmp_path / "ran").exists()


def test_a_broken_source_of_a_named_provider_stops_and_of_another_is_named(atomic_env):
    store(atomic_env, openai={"type": "api_key", "key": OPENAI_KEY}, groq={"type": "api_key", "key": "!exit 3"})
    assert_fails(atomic_env.run("exec", "groq", "--", "true"), 8, "groq")
    r, seen = show(atomic_env)
    assert r.returncode == 0 and seen == {"OPENAI_API_KEY": OPENAI_KEY}
    assert "groq skipped:" in r.stderr



def test_a_broken_auth_json_is_one_error_not_a_warning_per_provider(atomic_env, tmp_path):
    atomic_env.write_auth(b'{"groq": {"type": "api_key", "key": "gsk_x')
    r = atomic_env.run("exec", "--", "touch", str(tmp_path / "ran"), env={"GROQ_API_KEY": "gsk_env-key-0000000001"})
    assert_fails(r, 4, "auth.json", "not valid JSON")
    assert not (tmp_path / "ran").exists()
