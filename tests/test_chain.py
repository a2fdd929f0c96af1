"""The resolution order: --api-key, auth.json, environment, models.json; first found wins."""
import json

import pytest

from conftest import assert_fails

CLI_KEY = "sk-from-cli-option-0000000001"
AUTH_KEY = "sk-from-auth-json-0000000002"
ENV_KEY = "sk-from-environment-000000003"
MODELS_KEY = "sk-from-models-json-00000004"


def _using(stderr):
    """The words of --explain's `using` line."""
    (line,) = [line for line in stderr.splitlines() if line.split()[:1] == ["using"]]
    return line.split()


def _all_sources(atomic_env):
    atomic_env.write_auth({"openai": {"type": "api_key", "key": AUTH_KEY}})
    atomic_env.write_models({"providers": {"openai": {"apiKey": MODELS_KEY}}})
    atomic_env.env["OPENAI_API_KEY"] = ENV_KEY


def test_every_source_present_then_removed_one_at_a_time(atomic_env):
    _all_sources(atomic_env)
    r = atomic_env.run("key", "openai", "--api-key", CLI_KEY)
    assert r.returncode == 0, r.stderr
    assert r.stdout == CLI_KEY + "\n"

    r = atomic_env.run("key", "openai")
    assert (r.returncode, r.stdout, r.stderr) == (0, AUTH_KEY + "\n", "")

    atomic_env.write_auth({})
    r = atomic_env.run("key", "openai")
    assert (r.returncode, r.stdout, r.stderr) == (0, ENV_KEY + "\n", "")

    del atomic_env.env["OPENAI_API_KEY"]
    r = atomic_env.run("key", "openai")
    assert (r.returncode, r.stdout, r.stderr) == (0, MODELS_KEY + "\n", "")

    atomic_env.write_models({"providers": {}})
    r = atomic_env.run("key", "openai")
    assert_fails(r, 3, "atomic login openai", "OPENAI_API_KEY")


def test_explain_names_the_winner_and_why_earlier_sources_did_not_answer(atomic_env):
    _all_sources(atomic_env)
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk-other-provider-000001"}})
    r = atomic_env.run("key", "openai", "--explain")
    assert r.returncode == 0
    assert r.stdout == ENV_KEY + "\n"           # explanations never reach stdout
    lines = r.stderr.splitlines()
    assert "--api-key: not given" in lines[0]
    assert "auth.json: no entry for openai" in lines[1] and atomic_env.auth_path in lines[1]
    assert _using(r.stderr) == ["using", "env", "OPENAI_API_KEY"]
    assert lines[-1] == "  shadowed models.json: also has a credential, not used (env OPENAI_API_KEY comes first)"
    assert ENV_KEY not in r.stderr and AUTH_KEY not in r.stderr and MODELS_KEY not in r.stderr

    atomic_env.write_auth({})
    del atomic_env.env["OPENAI_API_KEY"]
    r = atomic_env.run("key", "openai", "--explain")
    assert r.stdout == MODELS_KEY + "\n"
    assert "environment: OPENAI_API_KEY not set" in r.stderr
    assert r.stderr.splitlines()[-1].split() == ["using", "models.json"]   # nothing below it

    r = atomic_env.run("key", "openai", "--explain", "--api-key", CLI_KEY)
    assert r.stdout == CLI_KEY + "\n"
    assert "using    --api-key" in r.stderr
    assert "skipped" not in r.stderr   # the first source answered: nothing was skipped
    assert "shadowed models.json" in r.stderr and "auth.json" not in r.stderr   # auth.json is empty now


def test_explain_with_auth_json_winner(atomic_env):
    _all_sources(atomic_env)
    r = atomic_env.run("key", "openai", "--explain")
    assert r.stdout == AUTH_KEY + "\n"
    assert _using(r.stderr) == ["using", "auth.json"]
    # Every source that loses is named, in chain order.
    assert r.stderr.splitlines()[-2:] == [
        "  shadowed env OPENAI_API_KEY: also has a credential, not used (auth.json comes first)",
        "  shadowed models.json: also has a credential, not used (auth.json comes first)"]


def test_json_output(atomic_env):
    _all_sources(atomic_env)
    r = atomic_env.run("key", "openai", "--json")
    assert r.returncode == 0 and r.stderr == ""
    doc = json.loads(r.stdout)
    assert doc == {"provider": "openai", "source": "auth.json", "key": AUTH_KEY,
                   "headers": ["Authorization: Bearer " + AUTH_KEY], "baseUrl": "https://api.openai.com/v1"}
    atomic_env.write_auth({})
    doc = json.loads(atomic_env.run("key", "openai", "--json").stdout)
    assert (doc["source"], doc["key"]) == ("env OPENAI_API_KEY", ENV_KEY)


def test_api_key_on_argv_warns_and_safer_forms_do_not(atomic_env, tmp_path):
    r = atomic_env.run("key", "openai", "--api-key", CLI_KEY)
    assert r.stdout == CLI_KEY + "\n"
    assert "warning" in r.stderr and "--api-key -" in r.stderr
    assert CLI_KEY not in r.stderr

    r = atomic_env.run("key", "openai", "--api-key", "-", input=CLI_KEY + "\n")
    assert (r.returncode, r.stdout, r.stderr) == (0, CLI_KEY + "\n", "")

    key_file = tmp_path / "key.txt"
    key_file.write_text(CLI_KEY + "\n")
    r = atomic_env.run("key", "openai", "--api-key-file", key_file, "--json")
    assert r.returncode == 0 and r.stderr == ""
    assert json.loads(r.stdout)["source"] == "--api-key-file"

    assert_fails(atomic_env.run("key", "openai", "--api-key-file", tmp_path / "missing"),
                 2, "--api-key-file", "missing")
    line = assert_fails(atomic_env.run("key", "openai", "--api-key", "-", input=""), 2, "empty", "--api-key -")
    assert "atomic login" not in line


def test_empty_api_key_option_is_an_error_not_a_fall_through(atomic_env):
    # `--api-key "$KEY"` with KEY unset must not quietly print another credential.
    atomic_env.env["OPENAI_API_KEY"] = ENV_KEY
    r = atomic_env.run("key", "openai", "--api-key", "")
    assert_fails(r, 2, "--api-key")


def test_broken_auth_json_does_not_fall_through_to_the_environment(atomic_env):
    atomic_env.env["OPENAI_API_KEY"] = ENV_KEY
    atomic_env.write_auth('{"openai": {"type": "api_key", "key": ')
    assert_fails(atomic_env.run("key", "openai"), 4, atomic_env.auth_path)


def test_failing_command_does_not_fall_through(atomic_env):
    atomic_env.env["OPENAI_API_KEY"] = ENV_KEY
    atomic_env.write_auth({"openai": {"type": "api_key", "key": "!exit 1"}})
    assert_fails(atomic_env.run("key", "openai"), 8, "exit status 1")
    atomic_env.write_auth({"openai": {"type": "api_key", "key": "$UNSET_VARIABLE_X"}})
    assert_fails(atomic_env.run("key", "openai"), 3, "UNSET_VARIABLE_X")


def test_corrupt_models_json_is_reported_when_reached(atomic_env):
    atomic_env.write_models("{not json")
    assert_fails(atomic_env.run("key", "openai"), 4, atomic_env.models_path)
    # ...but a source before it answers first, so models.json is never read.
    r = atomic_env.run("key", "openai", env={"OPENAI_API_KEY": ENV_KEY})
    assert r.stdout == ENV_KEY + "\n"


@pytest.mark.parametrize("provider, variables, winner", [
    ("anthropic", {"ANTHROPIC_OAUTH_TOKEN": "sk-ant-oat01-oauth-token-1", "ANTHROPIC_API_KEY": "sk-ant-api03-api-key-2"},
     "ANTHROPIC_OAUTH_TOKEN"),
    ("anthropic", {"ANTHROPIC_API_KEY": "sk-ant-api03-api-key-2"}, "ANTHROPIC_API_KEY"),
    ("github-copilot", {"COPILOT_GITHUB_TOKEN": "ghu_copilot1"}, "COPILOT_GITHUB_TOKEN"),  # GH_TOKEN alone: test_pi.py
    ("together", {"TOGETHER_API_KEY": "tg-key-1"}, "TOGETHER_API_KEY"),
    ("google", {"GEMINI_API_KEY": "AIza-key"}, "GEMINI_API_KEY"),
])
def test_environment_variable_order(atomic_env, provider, variables, winner):
    r = atomic_env.run("key", provider, "--explain", env=variables)
    assert r.returncode == 0, r.stderr
    assert r.stdout == variables[winner] + "\n"
    assert _using(r.stderr) == ["using", "env", winner]
    losers = [name for name in variables if name != winner]
    assert [line.split()[2].rstrip(":") for line in r.stderr.splitlines() if "shadowed" in line] == losers


def test_blank_environment_variable_counts_as_unset(atomic_env):
    r = atomic_env.run("key", "groq", env={"GROQ_API_KEY": "   "})
    assert_fails(r, 3, "GROQ_API_KEY")
    r = atomic_env.run("key", "groq", env={"GROQ_API_KEY": " gsk-padded-value-1 "})
    assert r.stdout == "gsk-padded-value-1\n"


def test_openai_codex_takes_no_environment_variable(atomic_env):
    r = atomic_env.run("key", "openai-codex", "--explain", env={"OPENAI_API_KEY": ENV_KEY})
    assert_fails(r, 3, "atomic login openai-codex")


def test_custom_provider_from_models_json(atomic_env):
    atomic_env.write_models({"providers": {"my-proxy": {
        "baseUrl": "http://127.0.0.1:9/v1", "api": "anthropic-messages", "apiKey": "$PROXY_TOKEN"}}})
    r = atomic_env.run("key", "my-proxy", "--header", env={"PROXY_TOKEN": "proxy-secret-1"})
    # The key as the Messages API takes it, and the protocol header every such request carries.
    assert (r.returncode, r.stdout) == (0, "x-api-key: proxy-secret-1\nanthropic-version: 2023-06-01\n"), r.stderr
    # a stored key for the custom provider outranks models.json
    atomic_env.write_auth({"my-proxy": {"type": "api_key", "key": "stored-secret-2"}})
    r = atomic_env.run("key", "my-proxy", env={"PROXY_TOKEN": "proxy-secret-1"})
    assert r.stdout == "stored-secret-2\n"


@pytest.mark.parametrize("provider, line", [
    ("openai", "Authorization: Bearer {k}"),
    ("google", "x-goog-api-key: {k}"),
    ("kimi-coding", "x-api-key: {k}\nanthropic-version: 2023-06-01"),
    ("azure-openai-responses", "api-key: {k}"),
    ("cloudflare-ai-gateway", "cf-aig-authorization: Bearer {k}"),
])
def test_header_lines(atomic_env, provider, line):
    key = "sk-header-test-value-0099"
    atomic_env.write_auth({provider: {"type": "api_key", "key": key}})
    r = atomic_env.run("key", provider, "--header")
    assert (r.returncode, r.stdout, r.stderr) == (0, line.format(k=key) + "\n", "")


def test_warn_shadowed_tells_a_command_that_spends_the_credential_once(atomic_env):
    # For `atomic ask` and chat (issue 10): the function they call, in a process of their own.
    import io

    from providers import builtin
    from providers._auth.chain import resolve, warn_shadowed
    from providers._core.context import Context

    _all_sources(atomic_env)
    err = io.StringIO()
    ctx = Context(environ=dict(atomic_env.env), stderr=err)
    provider = builtin("openai")
    found = resolve(provider, ctx)
    for _ in range(2):
        assert warn_shadowed(provider, ctx, found) == ["env OPENAI_API_KEY", "models.json"]
    assert err.getvalue() == ("atomic: warning: openai: using the credential from auth.json; also found, not used: "
                              "env OPENAI_API_KEY, models.json (`atomic key openai --explain`)\n")
    assert ENV_KEY not in err.getvalue() and MODELS_KEY not in err.getvalue()
    atomic_env.write_models({"providers": {}})
    del atomic_env.env["OPENAI_API_KEY"]
    quiet = Context(environ=dict(atomic_env.env), stderr=io.StringIO())
    assert warn_shadowed(provider, quiet, resolve(provider, quiet)) == [] and quiet.stderr.getvalue() == ""
