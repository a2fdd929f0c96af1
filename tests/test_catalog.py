"""The model catalogue: the shipped data, and models.json / models.toml merged into it."""
import json

import pytest

from conftest import assert_fails
from helpers_catalog import by_key, models_json, problem_lines, shipped_catalog, write_toml
from providers import builtins

PROVIDERS = {p.id: p for p in builtins()}
from providers._models.schema import BUILTIN_APIS

REQUIRED = {"id": str, "name": str, "api": str, "provider": str, "baseUrl": str, "reasoning": bool,
            "input": list, "cost": dict, "contextWindow": int, "maxTokens": int}
OPTIONAL = {"headers": dict, "compat": dict, "thinkingLevelMap": dict}


# The shipped data ------------------------------------------------------------------------------

def test_every_registry_provider_but_together_has_models_and_nothing_else_is_there():
    catalog = shipped_catalog()
    assert set(catalog) == set(PROVIDERS) - {"together", "llama.cpp"}  # llama.cpp: its server's models
    assert all(catalog[pid] for pid in catalog)
    assert len(catalog) == 31 and sum(len(models) for models in catalog.values()) == 969


def test_every_model_has_its_fields_typed_and_belongs_to_its_provider():
    for pid, models in shipped_catalog().items():
        ids = [m["id"] for m in models]
        assert len(ids) == len(set(ids)), "duplicate ids in %s" % pid
        for model in models:
            where = "%s/%s" % (pid, model.get("id"))
            assert model["provider"] == pid, where
            for name, kind in REQUIRED.items():
                assert isinstance(model[name], kind) and not (kind is int and isinstance(model[name], bool)), (where, name)
            assert set(model) <= set(REQUIRED) | set(OPTIONAL), (where, set(model) - set(REQUIRED))
            for name, kind in OPTIONAL.items():
                assert name not in model or isinstance(model[name], kind), (where, name)
            assert model["api"] in BUILTIN_APIS, where
            assert model["input"] in (["text"], ["text", "image"]), where
            assert set(model["cost"]) == {"input", "output", "cacheRead", "cacheWrite"}, where
            assert model["contextWindow"] > 0 and model["maxTokens"] > 0, where


def test_all_lists_exactly_the_shipped_models_with_every_field(atomic_env):
    records = models_json(atomic_env, "--all")
    shipped = [m for models in shipped_catalog().values() for m in models]
    assert records == shipped


# Custom providers and their defaults -----------------------------------------------------------

def test_custom_model_gets_the_reference_defaults(atomic_env):
    atomic_env.write_models({"providers": {"ollama": {
        "baseUrl": "http://localhost:11434/v1", "api": "openai-completions",
        "models": [{"id": "llama3.1:8b"}]}}})
    (model,) = models_json(atomic_env, "ollama")
    assert model == {"id": "llama3.1:8b", "name": "llama3.1:8b", "api": "openai-completions",
                     "provider": "ollama", "baseUrl": "http://localhost:11434/v1", "reasoning": False,
                     "input": ["text"], "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
                     "contextWindow": 128000, "maxTokens": 16384}


def test_model_level_api_base_url_headers_and_compat_win_over_the_providers(atomic_env):
    atomic_env.write_models({"providers": {"lab": {
        "baseUrl": "http://10.0.0.5:8000/v1", "api": "openai-completions",
        "headers": {"X-Team": "ml", "X-Route": "default"}, "compat": {"supportsDeveloperRole": False},
        "models": [{"id": "a"},
                   {"id": "b", "api": "anthropic-messages", "baseUrl": "http://10.0.0.6:9000",
                    "headers": {"X-Route": "b"}, "compat": {"supportsStore": False},
                    "cost": {"input": 1.5}, "reasoning": True, "input": ["text", "image"],
                    "thinkingLevelMap": {"off": None, "high": "max"}}]}}})
    models = by_key(models_json(atomic_env, "lab"))
    a, b = models["lab/a"], models["lab/b"]
    assert (a["api"], a["baseUrl"], a["headers"]) == ("openai-completions", "http://10.0.0.5:8000/v1",
                                                      {"X-Team": "ml", "X-Route": "default"})
    assert (b["api"], b["baseUrl"]) == ("anthropic-messages", "http://10.0.0.6:9000")
    assert b["headers"] == {"X-Team": "ml", "X-Route": "b"}
    assert b["compat"] == {"supportsDeveloperRole": False, "supportsStore": False}
    assert b["cost"] == {"input": 1.5, "output": 0, "cacheRead": 0, "cacheWrite": 0}
    assert b["thinkingLevelMap"] == {"off": None, "high": "max"}
    assert (b["reasoning"], b["input"]) == (True, ["text", "image"])


# Overriding built-in providers -----------------------------------------------------------------

def test_base_url_override_repoints_every_model_and_keeps_the_stored_login(atomic_env):
    atomic_env.write_auth({"openai": {"type": "api_key", "key": "sk-stored-login-000000000001"}})
    atomic_env.write_models({"providers": {"openai": {
        "baseUrl": "https://llm-proxy.corp.example/openai/v1", "headers": {"X-Corp-Team": "search"}}}})
    records = models_json(atomic_env, "openai")
    assert len(records) == len(shipped_catalog()["openai"])
    assert {m["baseUrl"] for m in records} == {"https://llm-proxy.corp.example/openai/v1"}
    assert all(m["headers"] == {"X-Corp-Team": "search"} for m in records)
    # The default listing (providers with a credential) still finds openai through auth.json.
    assert {m["provider"] for m in models_json(atomic_env)} == {"openai"}
    r = atomic_env.run("key", "openai")
    assert (r.returncode, r.stdout) == (0, "sk-stored-login-000000000001\n")


def test_provider_headers_add_to_a_built_in_models_own_headers_which_win(atomic_env):
    atomic_env.write_models({"providers": {"github-copilot": {
        "headers": {"X-Extra": "1", "User-Agent": "mine/1.0"}}}})
    model = by_key(models_json(atomic_env, "github-copilot/gpt-4o"))["github-copilot/gpt-4o"]
    assert model["headers"]["X-Extra"] == "1"
    assert model["headers"]["User-Agent"] == "GitHubCopilotChat/0.35.0"


def test_a_custom_model_with_a_built_in_id_replaces_it_in_place(atomic_env):
    before = [m["id"] for m in shipped_catalog()["anthropic"]]
    atomic_env.write_models({"providers": {"anthropic": {"models": [
        {"id": "claude-sonnet-4-5", "name": "Sonnet via gateway", "contextWindow": 100000},
        {"id": "claude-private-1", "reasoning": True}]}}})
    records = models_json(atomic_env, "anthropic")
    assert [m["id"] for m in records] == before + ["claude-private-1"]
    sonnet = by_key(records)["anthropic/claude-sonnet-4-5"]
    assert (sonnet["name"], sonnet["contextWindow"], sonnet["maxTokens"]) == ("Sonnet via gateway", 100000, 16384)
    # A built-in provider lends its wire API and base URL to the models added to it.
    private = by_key(records)["anthropic/claude-private-1"]
    assert (private["api"], private["baseUrl"]) == ("anthropic-messages", "https://api.anthropic.com")


def test_model_overrides_patch_fields_merge_cost_and_ignore_unknown_ids(atomic_env):
    shipped = by_key(shipped_catalog()["openai"])["openai/gpt-4o"]
    atomic_env.write_models({"providers": {"openai": {"modelOverrides": {
        "gpt-4o": {"name": "GPT-4o (team)", "contextWindow": 64000, "cost": {"input": 1},
                   "compat": {"supportsStore": False}},
        "gpt-does-not-exist": {"maxTokens": 5}}}}})
    records = models_json(atomic_env, "openai")
    patched = by_key(records)["openai/gpt-4o"]
    assert patched["name"] == "GPT-4o (team)" and patched["contextWindow"] == 64000
    assert patched["cost"] == dict(shipped["cost"], input=1)
    assert patched["maxTokens"] == shipped["maxTokens"] and patched["compat"] == {"supportsStore": False}
    assert "openai/gpt-does-not-exist" not in by_key(records)
    assert len(records) == len(shipped_catalog()["openai"])


def test_overrides_apply_before_custom_models_replace(atomic_env):
    atomic_env.write_models({"providers": {"openai": {
        "modelOverrides": {"gpt-4o": {"name": "patched"}},
        "models": [{"id": "gpt-4o", "name": "replaced"}]}}})
    assert by_key(models_json(atomic_env, "openai/gpt-4o"))["openai/gpt-4o"]["name"] == "replaced"


# models.toml, and both files side by side ------------------------------------------------------

TOML = """\
# Local models, with comments
[providers.ollama]
baseUrl = "http://localhost:11434/v1"
api = "openai-completions"

[[providers.ollama.models]]
id = "llama3.1:8b"
contextWindow = 131072

[providers.openai.modelOverrides."gpt-4.1"]
name = "GPT-4.1 (from toml)"
"""


def test_models_toml_is_read_like_models_json(atomic_env):
    write_toml(atomic_env, TOML)
    models = by_key(models_json(atomic_env, "--all"))
    assert models["ollama/llama3.1:8b"]["contextWindow"] == 131072
    assert models["openai/gpt-4.1"]["name"] == "GPT-4.1 (from toml)"


def test_models_json_and_models_toml_side_by_side_merge(atomic_env):
    write_toml(atomic_env, TOML)
    atomic_env.write_models({"providers": {"lmstudio": {
        "baseUrl": "http://localhost:1234/v1", "api": "openai-completions", "models": [{"id": "qwen3-8b"}]}}})
    models = by_key(models_json(atomic_env, "--all"))
    assert "ollama/llama3.1:8b" in models and "lmstudio/qwen3-8b" in models


def test_the_same_provider_in_both_files_is_an_error_naming_both(atomic_env):
    write_toml(atomic_env, TOML)
    atomic_env.write_models({"providers": {"ollama": {"baseUrl": "http://localhost:11434/v1"}}})
    line = assert_fails(atomic_env.run("models", "--all"), 4, "ollama")
    assert atomic_env.models_path in line and atomic_env.models_path.replace(".json", ".toml") in line


def test_a_models_toml_that_does_not_parse_is_reported(atomic_env):
    write_toml(atomic_env, "[providers.ollama\nbaseUrl = 1\n")
    assert_fails(atomic_env.run("models", "--all"), 4, "models.toml", "not valid TOML")
    write_toml(atomic_env, "a = " + "[" * 5000 + "]" * 5000 + "\n")      # the parser's recursion runs out
    assert_fails(atomic_env.run("models", "--all"), 4, "models.toml", "nested too deeply")
    status = atomic_env.run("status")                                   # status reports it among the rest
    assert status.returncode == 11 and "models.toml is nested too deeply" in status.stderr
    assert "Traceback" not in status.stderr


def test_toml_problems_name_models_toml(atomic_env):
    write_toml(atomic_env, '[providers.ollama]\nbaseUrl = "http://x"\napi = "openai-completions"\n'
                           '[[providers.ollama.models]]\nid = "m"\nmaxTokens = -1\n')
    assert problem_lines(atomic_env.run("models", "--all"))[0].startswith(
        "models.toml: providers.ollama.models[0].maxTokens: expected a positive integer")


# Validation: every problem at once -------------------------------------------------------------

OLLAMA = {"baseUrl": "http://localhost:11434/v1", "api": "openai-completions"}

CASES = [
    ({"ollama": dict(OLLAMA, models=[{"id": "a"}, {"id": "b"}, {"id": "c", "contextWindow": "128k"}])},
     "providers.ollama.models[2].contextWindow: expected a positive integer"),
    ({"ollama": dict(OLLAMA, models=[{"id": "a", "maxTokens": 0}])},
     "providers.ollama.models[0].maxTokens: expected a positive integer, found 0"),
    ({"ollama": dict(OLLAMA, models=[{"id": "a", "contextWindow": 1.5}])},
     "providers.ollama.models[0].contextWindow: expected a positive integer, found 1.5"),
    ({"ollama": dict(OLLAMA, models=[{"name": "no id"}])},
     "providers.ollama.models[0].id: required"),
    ({"ollama": dict(OLLAMA, models=[{"id": "a"}, {"id": "a"}])},
     "providers.ollama.models[1].id: duplicate id 'a' (also models[0])"),
    ({"ollama": dict(OLLAMA, models=[{"id": "a", "input": ["text", "video"]}])},
     "providers.ollama.models[0].input: expected [\"text\"] or [\"text\", \"image\"]"),
    ({"ollama": dict(OLLAMA, models=[{"id": "a", "reasoning": "yes"}])},
     "providers.ollama.models[0].reasoning: expected true or false"),
    ({"ollama": dict(OLLAMA, models=[{"id": "a", "cost": {"input": -1}}])},
     "providers.ollama.models[0].cost.input: expected a number of USD per million tokens"),
    ({"ollama": dict(OLLAMA, models=[{"id": "a", "cost": 3}])},
     "providers.ollama.models[0].cost: expected an object"),
    ({"ollama": dict(OLLAMA, models=[{"id": "a", "thinkingLevelMap": {"ultra": "x"}}])},
     "providers.ollama.models[0].thinkingLevelMap: 'ultra' is not a thinking level"),
    ({"ollama": dict(OLLAMA, models={"id": "a"})},
     "providers.ollama.models: expected a list of models"),
    ({"ollama": dict(OLLAMA, models=["llama3"])},
     "providers.ollama.models[0]: expected an object"),
    ({"ollama": {"api": "openai-completions", "models": [{"id": "a"}]}},
     "providers.ollama.baseUrl: required when defining custom models"),
    ({"ollama": {"baseUrl": "http://localhost:11434/v1", "models": [{"id": "a"}]}},
     "providers.ollama.api: no wire API; set \"api\" on the provider or the model"),
    ({"ollama": {"baseUrl": "http://localhost:11434/v1", "models": [{"id": "a", "api": "openai-completions"}, {"id": "b"}]}},
     "providers.ollama.models[1].api: no wire API"),
    ({"ollama": dict(OLLAMA, api="ollama")},
     "providers.ollama.api: 'ollama' is not a wire API atomic knows here; use one of openai-completions"),
    ({"ollama": dict(OLLAMA, api="bedrock-converse-stream")},
     "providers.ollama.api: 'bedrock-converse-stream' is not a wire API"),
    ({"ollama": dict(OLLAMA, baseUrl="localhost:11434")},
     "providers.ollama.baseUrl: expected an http:// or https:// URL"),
    ({"ollama": dict(OLLAMA, apiKey="")},
     "providers.ollama.apiKey: expected a non-empty string"),
    ({"ollama": dict(OLLAMA, apiKey=12345678901234)},
     "providers.ollama.apiKey: expected a non-empty string (the key, $VAR or !command), found a number"),
    ({"ollama": dict(OLLAMA, headers={"Authorization: Bearer": "x"})},
     "providers.ollama.headers: 'Authorization: Bearer' is not an HTTP header name"),
    ({"ollama": dict(OLLAMA, headers={"X-Key": 5})},
     "providers.ollama.headers: the value of X-Key must be a string, found a number"),
    ({"ollama": dict(OLLAMA, authHeader="true")},
     "providers.ollama.authHeader: expected true or false"),
    ({"ollama": dict(OLLAMA, compat=[])},
     "providers.ollama.compat: expected an object"),
    ({"ollama": "http://localhost:11434/v1"},
     "providers.ollama: expected an object"),
    ({"ollama": {}},
     "providers.ollama: empty; set at least one of"),
    ({"my/ollama": OLLAMA},
     'providers["my/ollama"]: a provider id must be non-empty, without spaces or \'/\''),
    ({"openai": {"modelOverrides": {"gpt-4.1": {"maxTokens": "lots"}}}},
     'providers.openai.modelOverrides["gpt-4.1"].maxTokens: expected a positive integer'),
    ({"openai": {"modelOverrides": ["gpt-4o"]}},
     "providers.openai.modelOverrides: expected an object of model id: changes"),
    ({"openai": {"api": "carrier-pigeon"}},
     "providers.openai.api: 'carrier-pigeon' is not a wire API atomic knows here; use one of "
     "openai-completions, openai-responses, anthropic-messages, google-generative-ai, azure-openai-responses"),
]


@pytest.mark.parametrize("providers,expected", CASES, ids=[c[1].split(":")[0] + ":" + str(n) for n, c in enumerate(CASES)])
def test_each_validation_problem_is_reported_with_file_and_field(atomic_env, providers, expected):
    atomic_env.write_models({"providers": providers})
    problems = problem_lines(atomic_env.run("models", "--all"))
    assert len(problems) == 1, problems
    assert problems[0].startswith("models.json: " + expected), problems[0]


def test_a_built_in_provider_may_use_its_own_wire_apis_and_needs_no_base_url_for_new_models(atomic_env):
    atomic_env.write_models({"providers": {"amazon-bedrock": {"models": [
        {"id": "my.private-model-v1:0", "api": "bedrock-converse-stream"}]}}})
    model = by_key(models_json(atomic_env, "amazon-bedrock"))["amazon-bedrock/my.private-model-v1:0"]
    assert model["baseUrl"] == "https://bedrock-runtime.us-east-1.amazonaws.com"


def test_every_problem_in_the_file_is_reported_at_once_and_the_file_is_untouched(atomic_env):
    written = atomic_env.write_models({"providers": {
        "ollama": dict(OLLAMA, models=[{"id": "a", "contextWindow": 0}, {"id": "b", "maxTokens": "x"}]),
        "vllm": {"models": [{"id": "m"}]},
        "openai": {"baseUrl": "proxy.corp"},
    }})
    r = atomic_env.run("models", "--all")
    problems = problem_lines(r)
    first = [line for line in r.stderr.splitlines() if not line.startswith("atomic: warning:")][0]
    assert first.startswith("atomic: 5 problems in %s" % atomic_env.models_path)
    assert problems == [
        "models.json: providers.ollama.models[0].contextWindow: expected a positive integer, found 0",
        "models.json: providers.ollama.models[1].maxTokens: expected a positive integer, found a string",
        "models.json: providers.vllm.api: no wire API; set \"api\" on the provider or the model (one of "
        "openai-completions, openai-responses, anthropic-messages, google-generative-ai)",
        "models.json: providers.vllm.baseUrl: required when defining custom models, e.g. \"http://localhost:11434/v1\"",
        "models.json: providers.openai.baseUrl: expected an http:// or https:// URL, found a string",
    ]
    with open(atomic_env.models_path, "rb") as handle:
        assert handle.read() == written


def test_a_secret_in_a_wrong_place_is_never_echoed(atomic_env):
    secret = "sk-live-secret-0000000000000000"
    atomic_env.write_models({"providers": {"ollama": dict(OLLAMA, headers={"X-Key": secret},
                                                          apiKey=["sk-live-secret-list-00000000"])}})
    r = atomic_env.run("models", "--all")
    problem_lines(r)
    assert "sk-live" not in r.stderr


def test_unknown_fields_are_warned_about_with_a_suggestion_and_ignored(atomic_env):
    atomic_env.write_models({"providers": {"ollama": dict(OLLAMA, baseURL="http://typo", models=[
        {"id": "a", "contextwindow": 5}])}})
    r = atomic_env.run("models", "ollama", "--json")
    assert r.returncode == 0, r.stderr
    assert ("atomic: warning: models.json: providers.ollama.baseURL: unknown field, ignored "
            "(did you mean 'baseUrl'?)") in r.stderr
    assert "providers.ollama.models[0].contextwindow: unknown field, ignored (did you mean 'contextWindow'?)" in r.stderr
    assert json.loads(r.stdout)[0]["contextWindow"] == 128000


def test_a_models_json_that_does_not_parse_stops_atomic_models(atomic_env):
    atomic_env.write_models('{"providers": {"ollama": }')
    assert_fails(atomic_env.run("models", "--all"), 4, atomic_env.models_path, "not valid JSON", "line 1")


def test_header_values_that_may_be_secrets_are_masked_in_output_and_references_shown(atomic_env):
    atomic_env.write_models({"providers": {"proxy": dict(OLLAMA, headers={
        "Authorization": "Bearer sk-proxy-literal-000000000000abcd", "X-Portkey-Api-Key": "$PORTKEY_API_KEY",
        "X-Secret": "!op read op://vault/proxy/key", "X-Team": "search"}, models=[{"id": "m"}])}})
    for args in (("proxy", "--json"), ("proxy/m",)):
        r = atomic_env.run("models", *args)
        assert r.returncode == 0, r.stderr
        assert "sk-proxy-literal-000000000000abcd" not in r.stdout
        assert "abcd" in r.stdout  # masked, still recognisable
        assert "$PORTKEY_API_KEY" in r.stdout and "!op read op://vault/proxy/key" in r.stdout
        assert "search" in r.stdout


# The README's examples are valid ---------------------------------------------------------------

def _readme_examples(fence):
    import os
    import re

    with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md"),
              encoding="utf-8") as handle:
        text = handle.read()
    section = text.split("## Models and custom providers", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```%s\n(.*?)```" % fence, section, re.S)


def test_the_readme_models_json_examples_are_accepted(atomic_env):
    examples = _readme_examples("json")
    assert len(examples) == 3
    for example in examples:
        atomic_env.write_models(example)
        r = atomic_env.run("models", "--all", "--json", env={"VLLM_API_KEY": "x", "CORP_GATEWAY_KEY": "y"})
        assert r.returncode == 0 and "warning" not in r.stderr, (example, r.stderr)
    atomic_env.write_models(examples[0])
    models = by_key(models_json(atomic_env, env={"VLLM_API_KEY": "token-0000000000"}))
    assert {"ollama/llama3.1:8b", "lmstudio/qwen/qwen3-8b", "vllm/Qwen/Qwen3-32B"} <= set(models)


def test_the_readme_models_toml_example_is_accepted(atomic_env):
    (example,) = _readme_examples("toml")
    write_toml(atomic_env, example)
    models = by_key(models_json(atomic_env, "--all"))
    assert models["ollama/qwen2.5-coder:32b"]["contextWindow"] == 32768
    assert models["openai/gpt-4.1"]["name"] == "GPT-4.1 (team default)"


def test_compat_flags_are_checked_by_name_and_type(atomic_env):
    atomic_env.write_models({"providers": {"vllm": {
        "baseUrl": "http://127.0.0.1:8000/v1", "api": "openai-completions",
        "compat": {"supportsDeveloperRoles": False, "supportsStore": "no", "maxTokensField": "tokens"},
        "models": [{"id": "m", "compat": {"thinkingFormat": "qwen", "chatTemplateKwargs": 3}}]}}})
    r = atomic_env.run("models", "--all")
    problems = problem_lines(r)
    assert any("providers.vllm.compat.supportsStore: expected true or false, found a string" in p for p in problems)
    assert any("compat.maxTokensField: expected one of max_completion_tokens, max_tokens, found 'tokens'" in p
               for p in problems)
    assert any("models[0].compat.chatTemplateKwargs: expected an object" in p for p in problems)
    assert not any("thinkingFormat" in p for p in problems)                  # a word it takes
    # A typo is no error, but is not ignored in silence either.
    assert "compat.supportsDeveloperRoles: unknown field, ignored (did you mean 'supportsDeveloperRole'?)" in r.stderr
