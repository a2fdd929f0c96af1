"""`atomic key --header` / `--json` render what a request would carry: the wire API's key header and
protocol headers, models.json `headers` and `authHeader` (values resolved), and the base URL with
its placeholders filled."""
import json
import os

from conftest import assert_fails

CF_KEY = "cf-token-0000000000000001"
UPSTREAM = "sk-upstream-byok-00000001"


def _key_json(atomic_env, provider, env=None):
    r = atomic_env.run("key", provider, "--json", env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_an_overridden_built_in_carries_its_models_json_headers(atomic_env):
    atomic_env.write_models({"providers": {"openai": {
        "baseUrl": "https://llm-gateway.corp.example/openai/v1",
        "headers": {"X-Corp-Team": "search", "X-Gateway-Key": "$CORP_GATEWAY_KEY"}}}})
    env = {"OPENAI_API_KEY": "sk-openai-000000000001", "CORP_GATEWAY_KEY": "gw-secret-1"}
    r = atomic_env.run("key", "openai", "--header", env=env)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.splitlines() == ["Authorization: Bearer sk-openai-000000000001",
                                     "X-Corp-Team: search", "X-Gateway-Key: gw-secret-1"]
    doc = _key_json(atomic_env, "openai", env)
    assert doc["headers"] == r.stdout.splitlines()
    assert doc["baseUrl"] == "https://llm-gateway.corp.example/openai/v1"


def test_auth_header_adds_a_bearer_line(atomic_env):
    atomic_env.write_models({"providers": {"gateway": {
        "baseUrl": "https://gw.example/anthropic", "api": "anthropic-messages", "apiKey": "$GW_KEY",
        "authHeader": True, "models": [{"id": "m1"}]}}})
    r = atomic_env.run("key", "gateway", "--header", env={"GW_KEY": "gw-key-000000000001"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["x-api-key: gw-key-000000000001", "anthropic-version: 2023-06-01",
                                     "Authorization: Bearer gw-key-000000000001"]


def test_a_models_json_header_replaces_the_same_header_of_the_api(atomic_env):
    atomic_env.write_models({"providers": {"anthropic": {"headers": {"Anthropic-Version": "2024-01-01"}}}})
    r = atomic_env.run("key", "anthropic", "--header", env={"ANTHROPIC_API_KEY": "sk-ant-api03-000000000001"})
    assert r.stdout.splitlines() == ["x-api-key: sk-ant-api03-000000000001", "anthropic-version: 2024-01-01"]


def test_cloudflare_gateway_byok_and_the_filled_base_url(atomic_env):
    # The gateway's own token in cf-aig-authorization; an upstream key (inline BYOK) by models.json.
    atomic_env.write_auth({"cloudflare-ai-gateway": {"type": "api_key", "key": CF_KEY,
                                                     "env": {"CLOUDFLARE_ACCOUNT_ID": "acct-123"}}})
    atomic_env.write_models({"providers": {"cloudflare-ai-gateway": {
        "headers": {"Authorization": "Bearer $UPSTREAM_OPENAI_KEY"}}}})
    env = {"UPSTREAM_OPENAI_KEY": UPSTREAM, "CLOUDFLARE_GATEWAY_ID": "gw-9"}
    doc = _key_json(atomic_env, "cloudflare-ai-gateway", env)
    assert doc["headers"] == ["cf-aig-authorization: Bearer " + CF_KEY, "Authorization: Bearer " + UPSTREAM]
    # account id from the entry's env, gateway id from the environment
    assert doc["baseUrl"] == "https://gateway.ai.cloudflare.com/v1/acct-123/gw-9/compat"


def test_a_placeholder_set_nowhere_is_named_with_the_fix(atomic_env):
    atomic_env.write_auth({"cloudflare-workers-ai": {"type": "api_key", "key": CF_KEY}})
    r = atomic_env.run("key", "cloudflare-workers-ai", "--json")
    line = assert_fails(r, 3, "CLOUDFLARE_ACCOUNT_ID", "--env CLOUDFLARE_ACCOUNT_ID=")
    assert CF_KEY not in line
    r = atomic_env.run("key", "cloudflare-workers-ai", "--json", env={"CLOUDFLARE_ACCOUNT_ID": "a1"})
    assert json.loads(r.stdout)["baseUrl"] == "https://api.cloudflare.com/client/v4/accounts/a1/ai/v1"


def test_header_values_run_commands_and_name_unset_variables(atomic_env):
    atomic_env.write_models({"providers": {"openai": {"headers": {
        "X-From-Command": "!printf cmd-value", "X-From-Var": "$NOT_SET_ANYWHERE"}}}})
    r = atomic_env.run("key", "openai", "--header", env={"OPENAI_API_KEY": "sk-openai-000000000001"})
    assert_fails(r, 3, "providers.openai.headers.X-From-Var", "NOT_SET_ANYWHERE")
    atomic_env.write_models({"providers": {"openai": {"headers": {"X-From-Command": "!printf cmd-value"}}}})
    r = atomic_env.run("key", "openai", "--header", env={"OPENAI_API_KEY": "sk-openai-000000000001"})
    assert r.stdout.splitlines()[-1] == "X-From-Command: cmd-value", r.stderr


def test_a_header_command_from_a_file_others_can_write_is_refused(atomic_env):
    atomic_env.write_models({"providers": {"openai": {"headers": {"X-From-Command": "!printf cmd-value"}}}},
                            mode=0o666)
    os.chmod(atomic_env.models_path, 0o666)
    r = atomic_env.run("key", "openai", "--header", env={"OPENAI_API_KEY": "sk-openai-000000000001"})
    assert_fails(r, 7, "providers.openai.headers.X-From-Command", warnings=True)


def test_plain_key_output_reads_no_models_file(atomic_env):
    # Only --header and --json need models.json: a broken one never stops `atomic key` itself.
    atomic_env.write_models("{ not json")
    r = atomic_env.run("key", "openai", env={"OPENAI_API_KEY": "sk-openai-000000000001"})
    assert (r.returncode, r.stdout) == (0, "sk-openai-000000000001\n")
    assert_fails(atomic_env.run("key", "openai", "--header", env={"OPENAI_API_KEY": "sk-openai-000000000001"}),
                 4, "models.json")
