"""Names people type: aliases wherever a provider id goes, words that could mean several
providers, suggestions from display names, and `atomic providers`."""
import json
import os

import pytest

from conftest import assert_fails

from providers import builtins

# The aliases issue 8 asks for, at least.
ALIASES = {
    "claude": "anthropic", "chatgpt": "openai-codex", "codex": "openai-codex", "copilot": "github-copilot",
    "gemini": "google", "vertex": "google-vertex", "bedrock": "amazon-bedrock", "aws": "amazon-bedrock",
    "azure": "azure-openai-responses", "grok": "xai", "kimi": "kimi-coding", "moonshot": "moonshotai",
    "hf": "huggingface", "zen": "opencode",
}
KEY = "key-for-an-alias-0000000001"


def test_every_alias_is_on_its_row_and_names_no_other_provider():
    rows = {alias: p.id for p in builtins() for alias in p.aliases}
    assert {alias: rows.get(alias) for alias in ALIASES} == ALIASES
    ids = {p.id for p in builtins()}
    assert not ids & set(rows) and len(rows) == sum(len(p.aliases) for p in builtins())


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_key_takes_an_alias(atomic_env, tmp_path, alias):
    key_file = tmp_path / "key"
    key_file.write_text(KEY)
    r = atomic_env.run("key", alias, "--json", "--api-key-file", str(key_file))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["provider"] == ALIASES[alias]


def test_the_plain_key_command_takes_an_alias(atomic_env):
    r = atomic_env.run("key", "claude", env={"ANTHROPIC_API_KEY": "sk-ant-api03-from-env-0001"})
    assert (r.returncode, r.stdout, r.stderr) == (0, "sk-ant-api03-from-env-0001\n", "")
    r = atomic_env.run("key", "claude", "--explain", env={"ANTHROPIC_API_KEY": "sk-ant-api03-from-env-0001"})
    assert "provider anthropic (Anthropic)" in r.stderr
    # No credential: the message names the provider's id, which is what `atomic login` wants.
    assert_fails(atomic_env.run("key", "chatgpt"), 3, "atomic login openai-codex")


def test_login_and_logout_take_an_alias(atomic_env):
    r = atomic_env.run("login", "claude", input="sk-ant-api03-alias-login-0001\n")
    assert r.returncode == 0, r.stderr
    assert atomic_env.read_auth() == {"anthropic": {"type": "api_key", "key": "sk-ant-api03-alias-login-0001"}}
    # An OAuth-only provider named by its alias: the flag check speaks of its id.
    assert_fails(atomic_env.run("login", "copilot", "--key"), 2, "github-copilot signs in only with OAuth")
    r = atomic_env.run("logout", "claude")
    assert r.returncode == 0, r.stderr
    assert "Removed the stored credential for Anthropic" in r.stderr
    assert atomic_env.read_auth() == {}


def test_models_takes_an_alias(atomic_env):
    r = atomic_env.run("models", "claude")
    assert r.returncode == 0, r.stderr
    rows = r.stdout.splitlines()[1:]
    assert rows and all(row.startswith("anthropic/") for row in rows)
    r = atomic_env.run("models", "claude/claude-opus-4-5-20251101")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "anthropic/claude-opus-4-5-20251101"
    r = atomic_env.run("models", "gemini", "--json")
    assert {m["provider"] for m in json.loads(r.stdout)} == {"google"}


def test_a_custom_provider_named_like_an_alias_keeps_its_name(atomic_env):
    # Someone's models.json had `claude` before atomic knew the alias: it still means theirs.
    atomic_env.write_models({"providers": {"claude": {"baseUrl": "http://127.0.0.1:9/v1", "api": "openai-completions",
                                                      "apiKey": "proxy-key-000000000001", "models": [{"id": "m"}]}}})
    r = atomic_env.run("key", "claude", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["provider"] == "claude"
    assert [m["provider"] for m in json.loads(atomic_env.run("models", "claude", "--json").stdout)] == ["claude"]


def test_a_broken_models_json_does_not_stop_an_alias(atomic_env):
    atomic_env.write_models("{broken")
    r = atomic_env.run("key", "claude", env={"ANTHROPIC_API_KEY": "sk-ant-api03-from-env-0001"})
    assert (r.returncode, r.stdout) == (0, "sk-ant-api03-from-env-0001\n")


@pytest.mark.parametrize("word, candidates", [
    ("cloudflare", ["cloudflare-workers-ai", "cloudflare-ai-gateway"]),
    ("xiaomi-token-plan", ["xiaomi-token-plan-cn", "xiaomi-token-plan-ams", "xiaomi-token-plan-sgp"]),
    ("mimo", ["xiaomi", "xiaomi-token-plan-cn", "xiaomi-token-plan-ams", "xiaomi-token-plan-sgp"]),
])
@pytest.mark.parametrize("command", ["key", "login", "models"])
def test_a_word_that_could_mean_several_providers_lists_them(atomic_env, word, candidates, command):
    line = assert_fails(atomic_env.run(command, word, input=KEY), 2, "%r could be any of" % word, "name one")
    named = line.split("could be any of: ")[1].split(";")[0]
    assert [part.split(" (")[0] for part in named.split(", ")] == candidates
    assert not os.path.exists(atomic_env.agent_dir)


@pytest.mark.parametrize("typed, meant", [
    ("gemni", "google"),                 # close to an alias: the alias's provider
    ("Hugging Face", "huggingface"),     # a display name
    ("togther", "together"),
    ("MiniMax", "minimax"),              # an id but for case: that one only
    ("amazon", "amazon-bedrock"),        # one word of one display name
])
def test_did_you_mean_knows_aliases_and_display_names(atomic_env, typed, meant):
    line = assert_fails(atomic_env.run("key", typed), 2, "unknown provider")
    assert line.split("(did you mean ")[1].split("?)")[0] == repr(meant)


def test_gemini_no_longer_suggests_minimax(atomic_env):
    r = atomic_env.run("key", "gemini", env={"GEMINI_API_KEY": "AIza-gemini-key-00000001"})
    assert (r.returncode, r.stdout) == (0, "AIza-gemini-key-00000001\n")


def test_help_shows_the_aliases(atomic_env):
    for command in ("key", "login", "providers"):
        r = atomic_env.run(command, "--help")
        assert r.returncode == 0
        text = " ".join(r.stdout.split())
        for alias in ("claude=anthropic", "chatgpt/codex=openai-codex", "copilot=github-copilot", "hf=huggingface"):
            assert alias in text, (command, alias)


# atomic providers -----------------------------------------------------------------------------

def test_providers_json_lists_every_provider_and_where_its_credential_is(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk_stored-key-000000001"},
                           "mistral": {"type": "api_key", "key": "!echo never-run"}})
    atomic_env.write_models({"providers": {
        "ollama": {"baseUrl": "http://localhost:11434/v1", "api": "openai-completions", "models": [{"id": "llama3"}]},
        "my-proxy": {"baseUrl": "http://127.0.0.1:9/v1", "api": "openai-completions", "apiKey": "$PROXY_KEY",
                     "models": [{"id": "m"}]}}})
    r = atomic_env.run("providers", "--json", env={"OPENAI_API_KEY": "sk-env-openai-000000001"})
    assert r.returncode == 0 and r.stderr == "", r.stderr
    rows = json.loads(r.stdout)
    assert [row["id"] for row in rows] == [p.id for p in builtins()] + ["ollama", "my-proxy"]
    by_id = {row["id"]: row for row in rows}
    assert by_id["anthropic"] == {
        "id": "anthropic", "name": "Anthropic", "aliases": ["claude"],
        "env": ["ANTHROPIC_OAUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_API_KEY"], "auth": ["key", "oauth"], "custom": False,
        "source": None, "defaultModel": "claude-sonnet-4-6"}
    assert by_id["openai-codex"]["aliases"] == ["chatgpt", "codex"] and by_id["openai-codex"]["env"] == ["CODEX_ACCESS_TOKEN"]
    assert by_id["openai"]["source"] == "env OPENAI_API_KEY"
    assert by_id["groq"]["source"] == "auth.json"
    assert by_id["mistral"]["source"] == "auth.json (!command, not run)"
    assert by_id["ollama"]["custom"] is True and by_id["ollama"]["noKeyNeeded"] is True
    assert "PROXY_KEY" in by_id["my-proxy"]["problem"] and by_id["my-proxy"]["source"] is None
    assert "gsk_stored" not in r.stdout and "sk-env-openai" not in r.stdout   # where, never what


def test_providers_table(atomic_env):
    r = atomic_env.run("providers", env={"GROQ_API_KEY": "gsk_env-key-0000000001"})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "ALIASES", "ENVIRONMENT", "AUTH", "CREDENTIAL"]
    assert len(lines) == 1 + len(builtins())
    (groq,) = [line for line in lines if line.startswith("groq ")]
    assert groq.split() == ["groq", "Groq", "GROQ_API_KEY", "key", "env", "GROQ_API_KEY"]
    (claude,) = [line for line in lines if line.startswith("anthropic ")]
    assert "claude" in claude.split() and claude.split()[-1] == "-"


def test_providers_with_a_broken_models_json_lists_the_built_in_ones(atomic_env):
    atomic_env.write_models("{broken")
    r = atomic_env.run("providers", "--json")
    assert r.returncode == 0
    assert len(json.loads(r.stdout)) == len(builtins())
    assert r.stderr.startswith("atomic: warning: ") and "not valid JSON" in r.stderr
