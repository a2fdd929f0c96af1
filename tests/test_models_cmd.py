"""`atomic models`: what it lists, how it shows it, and what it never does."""
import json
import os
import subprocess

from conftest import ATOMIC_PY, PYTHON, REPO, assert_fails, tree
from helpers_catalog import by_key, models_json, shipped_catalog

OLLAMA = {"baseUrl": "http://localhost:11434/v1", "api": "openai-completions",
          "models": [{"id": "llama3.1:8b"}, {"id": "qwen2.5-coder:32b", "reasoning": True}]}


# Which providers are listed by default ---------------------------------------------------------

def test_default_listing_shows_only_providers_with_a_credential(atomic_env):
    records = models_json(atomic_env, env={"GROQ_API_KEY": "gsk_test_000000000000000000000000"})
    assert {m["provider"] for m in records} == {"groq"}
    assert [m["id"] for m in records] == [m["id"] for m in shipped_catalog()["groq"]]


def test_each_source_of_the_chain_makes_a_provider_available(atomic_env):
    atomic_env.write_auth({"anthropic": {"type": "api_key", "key": "sk-ant-api03-stored-000000000000"},
                           "openai-codex": {"type": "oauth", "access": "eyJ.a.b", "refresh": "rt",
                                            "expires": 1}})
    atomic_env.write_models({"providers": {"mistral": {"apiKey": "$MY_MISTRAL_KEY"}}})
    env = {"XAI_API_KEY": "xai-000000000000", "MY_MISTRAL_KEY": "m-000000000000"}
    assert {m["provider"] for m in models_json(atomic_env, env=env)} == {"anthropic", "openai-codex", "xai", "mistral"}
    # A models.json key that refers to an unset variable is no credential.
    del env["MY_MISTRAL_KEY"]
    assert {m["provider"] for m in models_json(atomic_env, env=env)} == {"anthropic", "openai-codex", "xai"}


def test_keyless_local_servers_are_available_without_a_dummy_key(atomic_env):
    atomic_env.write_models({"providers": {
        "ollama": OLLAMA,
        "vllm": {"baseUrl": "http://localhost:8000/v1", "api": "openai-completions", "apiKey": "$VLLM_KEY",
                 "models": [{"id": "Qwen/Qwen3-8B"}]}}})
    records = models_json(atomic_env)
    assert [(m["provider"], m["id"]) for m in records] == [("ollama", "llama3.1:8b"), ("ollama", "qwen2.5-coder:32b")]
    records = models_json(atomic_env, env={"VLLM_KEY": "token-abc-000000"})
    assert ("vllm", "Qwen/Qwen3-8B") in [(m["provider"], m["id"]) for m in records]


def test_listing_never_runs_commands_refreshes_tokens_or_writes_files(atomic_env, tmp_path):
    marker = tmp_path / "ran"
    atomic_env.write_auth({
        "groq": {"type": "api_key", "key": "!touch %s; echo gsk_0000" % marker},
        # Expired, with a token endpoint nobody could reach: a refresh attempt would fail loudly.
        "anthropic": {"type": "oauth", "access": "sk-ant-oat01-old", "refresh": "sk-ant-ort01-x", "expires": 1},
    })
    atomic_env.write_models({"providers": {"openrouter": {"apiKey": "!touch %s" % marker}}})
    before_files = tree(atomic_env.agent_dir)
    before_auth = atomic_env.auth_bytes()
    r = atomic_env.run("models", "--json", env={"HTTPS_PROXY": "http://127.0.0.1:9"})
    assert r.returncode == 0, r.stderr
    assert {m["provider"] for m in json.loads(r.stdout)} == {"groq", "anthropic", "openrouter"}
    assert not marker.exists()
    assert atomic_env.auth_bytes() == before_auth
    assert tree(atomic_env.agent_dir) == before_files


def test_nothing_is_created_when_there_is_no_agent_dir(atomic_env):
    r = atomic_env.run("models", "--all")
    assert r.returncode == 0 and r.stdout
    assert not os.path.exists(atomic_env.agent_dir)


def test_a_corrupt_auth_json_is_reported_not_skipped(atomic_env):
    atomic_env.write_auth('{"groq": ')
    assert_fails(atomic_env.run("models"), 4, atomic_env.auth_path)
    assert atomic_env.run("models", "--all").returncode == 0  # --all needs no credentials


# Empty results ---------------------------------------------------------------------------------

def test_no_credential_at_all_says_so_on_stderr_with_hints(atomic_env):
    r = atomic_env.run("models")
    assert (r.returncode, r.stdout) == (0, "")
    assert "atomic login" in r.stderr and "--all" in r.stderr
    assert len(r.stderr.splitlines()) == 1


def test_filters_that_match_nothing_say_so(atomic_env):
    r = atomic_env.run("models", "--all", "--search", "no-such-model-anywhere")
    assert (r.returncode, r.stdout) == (0, "")
    assert "--search 'no-such-model-anywhere'" in r.stderr
    r = atomic_env.run("models", "--all", "--search", "no-such-model-anywhere", "--json")
    assert (r.returncode, json.loads(r.stdout)) == (0, [])


def test_a_known_provider_without_models_says_how_to_add_some(atomic_env):
    r = atomic_env.run("models", "together")
    assert (r.returncode, r.stdout) == (0, "")
    assert "together has no models" in r.stderr and "models.json" in r.stderr


# Naming a provider or a model ------------------------------------------------------------------

def test_a_named_provider_is_listed_whether_or_not_it_has_a_credential(atomic_env):
    records = models_json(atomic_env, "anthropic")
    assert [m["id"] for m in records] == [m["id"] for m in shipped_catalog()["anthropic"]]


def test_provider_slash_model_shows_one_model_even_when_the_id_has_slashes(atomic_env):
    (record,) = models_json(atomic_env, "openrouter/anthropic/claude-sonnet-4.5")
    assert (record["provider"], record["id"]) == ("openrouter", "anthropic/claude-sonnet-4.5")
    r = atomic_env.run("models", "openrouter/anthropic/claude-sonnet-4.5")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "openrouter/anthropic/claude-sonnet-4.5"
    text = r.stdout
    assert "openai-completions" in text and "https://openrouter.ai/api/v1" in text
    assert "1M (1000000 tokens)" in text and "input 3, output 15" in text
    trailing = atomic_env.run("models", "openai/")                  # a slash alone: the provider's table
    assert trailing.returncode == 0 and trailing.stdout == atomic_env.run("models", "openai").stdout
    assert trailing.stdout.splitlines()[0].split()[0] == "MODEL"


def test_unknown_provider_exits_2_with_a_suggestion(atomic_env):
    assert_fails(atomic_env.run("models", "antropic"), 2, "unknown provider 'antropic'", "did you mean 'anthropic'")
    assert_fails(atomic_env.run("models", "antropic/claude-sonnet-4-5"), 2, "did you mean 'anthropic'")


def test_unknown_model_exits_2_with_a_suggestion(atomic_env):
    assert_fails(atomic_env.run("models", "openai/gpt-4oo"), 2, "unknown model 'gpt-4oo' for openai",
                 "did you mean 'gpt-4o'")


def test_custom_providers_are_suggested_too(atomic_env):
    atomic_env.write_models({"providers": {"ollama": OLLAMA}})
    assert_fails(atomic_env.run("models", "olama"), 2, "did you mean 'ollama'")
    assert_fails(atomic_env.run("models", "ollama/llama3.1:7b"), 2, "did you mean 'llama3.1:8b'")


# Filters ---------------------------------------------------------------------------------------

def test_search_reasoning_and_images_filters(atomic_env):
    catalog = [m for models in shipped_catalog().values() for m in models]
    found = models_json(atomic_env, "--all", "--search", "SONNET")
    assert found and len(found) == sum(1 for m in catalog if "sonnet" in ("%s/%s %s" % (m["provider"], m["id"], m["name"])).lower())
    reasoning = models_json(atomic_env, "--all", "--reasoning")
    assert len(reasoning) == sum(1 for m in catalog if m["reasoning"]) and all(m["reasoning"] for m in reasoning)
    both = models_json(atomic_env, "--all", "--reasoning", "--images", "--search", "openai/gpt-5")
    expected = [m for m in catalog if m["reasoning"] and "image" in m["input"]
                and "openai/gpt-5" in "%s/%s" % (m["provider"], m["id"])]
    assert both == expected and "openai/gpt-5" in by_key(both)


# The table -------------------------------------------------------------------------------------

def _on_terminal(atomic_env, args, columns, env=None):
    """stdout of `atomic ARGS` run on a pseudo-terminal `columns` wide."""
    from terminal import Terminal

    with Terminal(args, dict(atomic_env.env, **(env or {})), rows=50, columns=columns, stdout_too=True) as term:
        code, output = term.finish(timeout=60)
    assert code == 0, output
    return output.replace("\r\n", "\n")


def test_the_table_fits_the_terminal_width_and_abbreviates_numbers(atomic_env):
    for width in (60, 80, 120):
        lines = _on_terminal(atomic_env, ["models", "--all"], width).splitlines()
        assert len(lines) == 970  # header + every model
        assert max(len(line) for line in lines) <= width, width
    wide = _on_terminal(atomic_env, ["models", "anthropic"], 200).splitlines()
    assert wide[0].split() == ["MODEL", "CONTEXT", "MAX", "OUT", "IMG", "THINK", "$IN/M", "$OUT/M"]
    row = [line for line in wide if line.startswith("anthropic/claude-opus-4-5-20251101 ")][0]
    assert row.split() == ["anthropic/claude-opus-4-5-20251101", "200K", "64K", "yes", "yes", "5", "25"]


def test_columns_narrows_the_table_on_a_terminal_only(atomic_env, tmp_path):
    lines = _on_terminal(atomic_env, ["models", "--all"], 200, env={"COLUMNS": "60"}).splitlines()
    assert max(len(line) for line in lines) <= 60
    # Redirected to a file (or a pipe), every id stays whole whatever COLUMNS says.
    ids = ["%s/%s" % (m["provider"], m["id"]) for m in models_json(atomic_env, "--all")]
    with open(str(tmp_path / "out.txt"), "w+") as out:   # `COLUMNS=60 atomic models --all > out.txt`
        code = subprocess.call([PYTHON, ATOMIC_PY, "models", "--all"], env=dict(atomic_env.env, COLUMNS="60"),
                               stdout=out, stdin=subprocess.DEVNULL)
        out.seek(0)
        listed = [line.split()[0] for line in out.read().splitlines()[1:]]
    assert code == 0
    assert listed == ids and not any("…" in name for name in listed)


def test_a_narrow_terminal_shortens_long_names_in_the_middle(atomic_env):
    names = [line.split()[0] for line in _on_terminal(atomic_env, ["models", "openrouter"], 70).splitlines()[1:]]
    assert any("…" in name for name in names)
    assert all(name.startswith("openrouter/") or "…" in name for name in names)


def test_a_pipe_without_columns_gets_full_names(atomic_env):
    r = atomic_env.run("models", "openrouter")
    assert "…" not in r.stdout
    assert "openrouter/anthropic/claude-sonnet-4.5 " in r.stdout


def test_json_output_parses_back_into_full_records(atomic_env):
    atomic_env.write_models({"providers": {"ollama": OLLAMA}})
    records = models_json(atomic_env, "--all")
    assert len(records) == 969 + 2
    assert by_key(records)["ollama/qwen2.5-coder:32b"]["reasoning"] is True
    assert all(set(m) >= {"id", "name", "api", "provider", "baseUrl", "reasoning", "input", "cost",
                          "contextWindow", "maxTokens"} for m in records)


def test_help_lists_the_command_and_its_options(atomic_env):
    r = atomic_env.run("--help")
    assert r.returncode == 0 and "models" in r.stdout
    r = atomic_env.run("models", "--help")
    for option in ("--all", "--json", "--search", "--reasoning", "--images", "PROVIDER/MODEL"):
        assert option in r.stdout


# `atomic key` is not affected by models.json problems it does not need --------------------------

def test_key_works_with_an_unparseable_models_json_when_the_env_has_the_key(atomic_env):
    atomic_env.write_models('{"providers": {"broken": ')
    r = atomic_env.run("key", "openai", env={"OPENAI_API_KEY": "sk-env-000000000000000001"})
    assert (r.returncode, r.stdout) == (0, "sk-env-000000000000000001\n")
    assert_fails(atomic_env.run("models"), 4, "not valid JSON")


def test_key_reads_a_provider_from_a_models_json_with_problems_elsewhere(atomic_env):
    atomic_env.write_models({"providers": {
        "lab": {"baseUrl": "http://10.0.0.5:8000/v1", "api": "openai-completions",
                "apiKey": "lab-key-0000000000000001", "models": [{"id": "m"}]},
        "ollama": {"models": [{"id": "x", "contextWindow": "huge"}]},
        "openai": {"baseUrl": "not a url", "apiKey": "sk-from-models-json-000000001"},
    }})
    r = atomic_env.run("key", "lab")
    assert (r.returncode, r.stdout) == (0, "lab-key-0000000000000001\n"), r.stderr
    r = atomic_env.run("key", "openai")
    assert (r.returncode, r.stdout) == (0, "sk-from-models-json-000000001\n"), r.stderr
    assert atomic_env.run("models", "--all").returncode == 4


MODULES = r"""
import sys
sys.argv = ["atomic"] + sys.argv[1:]
sys.path.insert(0, %r)
import atomic
try:
    code = atomic.main()
except SystemExit as exc:  # --help ends inside argparse
    code = exc.code
sys.stdout.flush()
sys.stderr.write("MODULES " + " ".join(sorted(sys.modules)) + "\n")
sys.exit(code)
""" % REPO


def _modules_after(atomic_env, *args, env=None):
    full = dict(atomic_env.env, **(env or {}))
    r = subprocess.run([PYTHON, "-c", MODULES] + list(args), env=full, capture_output=True, text=True, timeout=60)
    line = [l for l in r.stderr.splitlines() if l.startswith("MODULES ")][0]
    return r, set(line.split()[1:])


def test_key_login_logout_and_help_never_load_the_catalogue(atomic_env):
    atomic_env.write_models({"providers": {"ollama": OLLAMA}})
    r, modules = _modules_after(atomic_env, "key", "openai", env={"OPENAI_API_KEY": "sk-env-000000000000000001"})
    assert r.returncode == 0 and r.stdout == "sk-env-000000000000000001\n"
    assert "providers._models.catalog" not in modules and "providers._models.schema" not in modules
    r, modules = _modules_after(atomic_env, "key", "ollama")  # reads models.json, validates nothing
    assert "providers._config.models_files" in modules and "providers._models.catalog" not in modules
    for args in (("--help",), ("logout", "openai")):
        r, modules = _modules_after(atomic_env, *args)
        assert "providers._models.catalog" not in modules, args
    r, modules = _modules_after(atomic_env, "models", "--all")
    assert r.returncode == 0 and "providers._models.catalog" in modules  # the probe itself works


# Mistakes in models.json that look like something else ------------------------------------------

def test_a_misspelt_built_in_provider_is_an_error_with_a_suggestion(atomic_env):
    atomic_env.write_models({"providers": {"opnai": {"baseUrl": "https://llm-gateway.corp.example/openai/v1"}}})
    before = open(atomic_env.models_path, "rb").read()
    line = assert_fails(atomic_env.run("models", "--all"), 4, "providers.opnai: not a built-in provider",
                        "(did you mean 'openai'?)", "add \"api\" and \"models\"")
    assert "atomic has not changed the file" in line
    assert open(atomic_env.models_path, "rb").read() == before
    atomic_env.write_models({"providers": {"claude": {"baseUrl": "https://llm-gateway.corp.example/anthropic"}}})
    assert_fails(atomic_env.run("models"), 4, "'claude' is an alias", "rename it to 'anthropic'")
    # A custom provider with its wire API and models is no mistake, whatever its name.
    atomic_env.write_models({"providers": {"opnai": dict(OLLAMA)}})
    assert atomic_env.run("models", "opnai").returncode == 0


def test_a_header_reading_an_unset_variable_is_a_warning_naming_it(atomic_env):
    atomic_env.write_models({"providers": {
        "openai": {"headers": {"X-Gateway-Key": "$CORP_GATEWAY_KEY", "X-Team": "SEARCH", "X-Plain": "a$$b",
                               "X-Cmd": "!echo x"}},
        "ollama": dict(OLLAMA, models=[{"id": "m", "headers": {"X-Model": "${MODEL_TOKEN}"}}])}})
    r = atomic_env.run("models", "--all", "--search", "gpt-4o")
    assert r.returncode == 0, r.stderr
    warnings = sorted(r.stderr.splitlines())
    assert warnings == [
        "atomic: warning: models.json: providers.ollama.models[0].headers.X-Model: reads the environment "
        "variable MODEL_TOKEN, which is not set; export it (until then requests with this header fail)",
        "atomic: warning: models.json: providers.openai.headers.X-Gateway-Key: reads the environment "
        "variable CORP_GATEWAY_KEY, which is not set; export it (until then requests with this header fail)",
        "atomic: warning: models.json: providers.openai.headers.X-Team: reads the environment variable "
        "SEARCH, which is not set; export it (until then requests with this header fail)"]
    r = atomic_env.run("models", "--all", "--search", "gpt-4o",
                       env={"CORP_GATEWAY_KEY": "k", "SEARCH": "s", "MODEL_TOKEN": "t"})
    assert r.returncode == 0 and r.stderr == ""


def test_escape_sequences_in_a_models_json_never_reach_the_terminal(atomic_env):
    # A project's .atomic/models.json comes with any cloned repository.
    atomic_env.write_models({"providers": {"x\u001b[31m": {"api": "openai-completions", "baseUrl": "http://l",
                                                           "models": [{"id": "a\u001b[2J", "name": "\u001b]0;pwn\u0007"}]}}})
    for args in (["models", "--all"], ["models", "x\u001b[31m/a\u001b[2J"], ["providers"], ["status"]):
        shown = _on_terminal(atomic_env, args, 120)
        assert "\x1b" not in shown and "\x07" not in shown, args
    assert "x?[31m/a?[2J" in _on_terminal(atomic_env, ["models", "--all"], 120)
    listed = atomic_env.run("models", "--all", "--json")                # data for programs: JSON escapes it
    assert "\\u001b[2J" in listed.stdout and "\x1b" not in listed.stdout
