"""Azure OpenAI, Cloudflare AI Gateway and Cloudflare Workers AI through the real CLI, against
loopback stand-ins reached through HTTPS_PROXY: the exact URL, headers and body each gets, and
each missing setting named before any request is made."""
import json

import pytest

from conftest import assert_fails
from llmfakes import Model, anthropic_events, completions_events, responses_events
from netfakes import reply
from test_ask import run  # noqa: F401  (the fixture: atomic with the fake network, fast retries)
from terminal import Terminal

AZURE_KEY = "0123456789abcdef0123456789abcdef"
CF_TOKEN = "cf-token-0123456789abcdefghijklmnop"
GATEWAY = "/v1/acct123/gw456"


# Azure OpenAI -----------------------------------------------------------------------------------

def test_azure_url_key_header_api_version_and_deployment(run, net):
    azure = Model(net, "POST", "myres.openai.azure.com", "/openai/v1/responses", responses_events("Azure says hi"))
    r = run("ask", "-m", "azure/gpt-4.1", "hi", AZURE_OPENAI_API_KEY=AZURE_KEY, AZURE_OPENAI_RESOURCE_NAME="myres",
            AZURE_OPENAI_DEPLOYMENT_NAME_MAP="gpt-4o=prod-4o, gpt-4.1 = team-41=extra ,broken")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Azure says hi\n"
    req = azure.last
    assert req.query == {"api-version": "v1"}
    assert req.headers["api-key"] == AZURE_KEY and "Authorization" not in req.headers
    body = azure.body_of()
    assert body["model"] == "team-41" and body["store"] is False and "service_tier" not in body


@pytest.mark.parametrize("base", ["https://myres.cognitiveservices.azure.com", "https://myres.cognitiveservices.azure.com/openai/",
                                  "https://myres.cognitiveservices.azure.com/openai/v1/responses?x=1"])
def test_azure_base_urls_are_normalised_and_settings_may_be_stored(run, net, atomic_env, base):
    azure = Model(net, "POST", "myres.cognitiveservices.azure.com", "/openai/v1/responses", responses_events("ok"))
    stored = run("login", "azure", "--env", "AZURE_OPENAI_BASE_URL=" + base, "--env", "AZURE_OPENAI_API_VERSION=preview",
                 input=AZURE_KEY)
    assert stored.returncode == 0, stored.stderr
    r = run("ask", "-m", "azure-openai-responses/gpt-4o", "hi")
    assert r.returncode == 0, r.stderr
    assert azure.last.query == {"api-version": "preview"} and azure.body_of()["model"] == "gpt-4o"


def test_azure_keeps_a_proxy_address_as_given(run, net):
    proxy = Model(net, "POST", "apim.example.com", "/azure/openai/responses", responses_events("via APIM"))
    r = run("ask", "-m", "azure/gpt-4o", "hi", AZURE_OPENAI_API_KEY=AZURE_KEY,
            AZURE_OPENAI_BASE_URL="https://apim.example.com/azure/openai/")
    assert r.returncode == 0, r.stderr
    assert proxy.last.query == {"api-version": "v1"}


def test_azure_without_an_address_is_named_before_any_request(run, net):
    r = run("ask", "-m", "azure/gpt-4o", "hi", AZURE_OPENAI_API_KEY=AZURE_KEY)
    assert_fails(r, 3, "AZURE_OPENAI_BASE_URL", "AZURE_OPENAI_RESOURCE_NAME", "atomic login azure-openai-responses --env")
    assert net.hosts.requests == []


def test_azure_status_check_lists_the_resources_models(run, net):
    @net.hosts.route("GET", "myres.openai.azure.com", "/openai/v1/models")
    def models(req):
        assert req.headers["api-key"] == AZURE_KEY and req.query == {"api-version": "v1"}
        return reply(200, {"object": "list", "data": [{"id": "gpt-4o"}]})

    r = run("status", "--check", "azure", AZURE_OPENAI_API_KEY=AZURE_KEY, AZURE_OPENAI_RESOURCE_NAME="myres")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ok (1 model)" in r.stdout


# Cloudflare AI Gateway --------------------------------------------------------------------------

IDS = {"CLOUDFLARE_ACCOUNT_ID": "acct123", "CLOUDFLARE_GATEWAY_ID": "gw456"}


@pytest.mark.parametrize("model, path, events", [
    ("claude-sonnet-4-5", "/anthropic/v1/messages", anthropic_events("via anthropic")),
    ("gpt-5.1", "/openai/responses", responses_events("via openai")),
    ("workers-ai/@cf/moonshotai/kimi-k2.6", "/compat/chat/completions", completions_events("via compat")),
])
def test_gateway_routes_each_model_with_the_gateway_token_and_no_upstream_key(run, net, model, path, events):
    gateway = Model(net, "POST", "gateway.ai.cloudflare.com", GATEWAY + path, events)
    r = run("ask", "-m", "cloudflare-ai-gateway/" + model, "hi", CLOUDFLARE_API_KEY=CF_TOKEN, **IDS)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("via ")
    headers = gateway.last.headers
    assert headers["cf-aig-authorization"] == "Bearer " + CF_TOKEN
    assert "Authorization" not in headers and "x-api-key" not in headers
    assert gateway.body_of()["model"] == model


@pytest.mark.parametrize("named", ["openai", "anthropic", "compat"])
def test_a_gateway_named_like_a_route_keeps_its_name(run, net, named):
    anthropic = Model(net, "POST", "gateway.ai.cloudflare.com", "/v1/acct123/%s/anthropic/v1/messages" % named,
                      anthropic_events("kept"))
    r = run("ask", "-m", "cloudflare-ai-gateway/claude-sonnet-4-5", "hi", CLOUDFLARE_API_KEY=CF_TOKEN,
            CLOUDFLARE_ACCOUNT_ID="acct123", CLOUDFLARE_GATEWAY_ID=named)
    assert (r.returncode, r.stdout) == (0, "kept\n"), r.stderr
    assert anthropic.requests


def test_a_provider_base_url_names_the_gateway_and_keeps_the_routes(run, net, atomic_env):
    atomic_env.write_models({"providers": {"cloudflare-ai-gateway": {
        "baseUrl": "https://gw.example.com/v1/acct123/gw456/compat",
        "headers": {"Authorization": "Bearer $ANTHROPIC_KEY_FOR_BYOK"}}}})
    anthropic = Model(net, "POST", "gw.example.com", GATEWAY + "/anthropic/v1/messages", anthropic_events("byok"))
    openai = Model(net, "POST", "gw.example.com", GATEWAY + "/openai/responses", responses_events("routed"))
    env = dict(CLOUDFLARE_API_KEY=CF_TOKEN, ANTHROPIC_KEY_FOR_BYOK="sk-ant-api03-byok-000000001")
    r = run("ask", "-m", "cloudflare-ai-gateway/claude-sonnet-4-5", "hi", **env)
    assert r.returncode == 0, r.stderr
    # Inline BYOK: the upstream key from models.json beside the gateway token.
    assert anthropic.last.headers["Authorization"] == "Bearer sk-ant-api03-byok-000000001"
    assert anthropic.last.headers["cf-aig-authorization"] == "Bearer " + CF_TOKEN
    r = run("ask", "-m", "cloudflare-ai-gateway/gpt-5.1", "hi", **env)
    assert r.returncode == 0, r.stderr
    assert openai.requests


@pytest.mark.parametrize("missing", ["CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_GATEWAY_ID"])
def test_a_missing_gateway_setting_is_named_before_any_request(run, net, missing):
    env = dict(IDS)
    del env[missing]
    r = run("ask", "-m", "cloudflare-ai-gateway/gpt-5.1", "hi", CLOUDFLARE_API_KEY=CF_TOKEN, **env)
    assert_fails(r, 3, missing, "atomic login cloudflare-ai-gateway --env %s=" % missing)
    assert net.hosts.requests == []


def test_gateway_login_on_a_terminal_asks_for_the_account_and_gateway(atomic_env):
    with Terminal(["login", "cloudflare-ai-gateway"], atomic_env.env) as term:
        term.expect("API key (input is hidden): ")
        term.write(CF_TOKEN + "\r")
        term.expect("CLOUDFLARE_ACCOUNT_ID for Cloudflare AI Gateway: ")
        term.write("acct123\r")
        term.expect("CLOUDFLARE_GATEWAY_ID for Cloudflare AI Gateway: ")
        term.write("gw456\r")
        code, output = term.finish()
    assert code == 0, output
    assert atomic_env.read_auth() == {"cloudflare-ai-gateway": {"type": "api_key", "key": CF_TOKEN, "env": IDS}}
    doc = json.loads(atomic_env.run("key", "cloudflare-ai-gateway", "--json").stdout)
    assert doc["baseUrl"] == "https://gateway.ai.cloudflare.com/v1/acct123/gw456/compat"


# Cloudflare Workers AI --------------------------------------------------------------------------

def test_workers_ai_url_bearer_and_session_affinity(run, net, atomic_env):
    workers = Model(net, "POST", "api.cloudflare.com", "/client/v4/accounts/acct123/ai/v1/chat/completions",
                    completions_events("from workers"))
    stored = run("login", "cloudflare-workers-ai", "--env", "CLOUDFLARE_ACCOUNT_ID=acct123", input=CF_TOKEN)
    assert stored.returncode == 0, stored.stderr
    r = run("ask", "-m", "cloudflare-workers-ai/@cf/moonshotai/kimi-k2.6", "hi")
    assert r.returncode == 0, r.stderr
    headers = workers.last.headers
    assert headers["Authorization"] == "Bearer " + CF_TOKEN
    assert headers["x-session-affinity"]  # the conversation's id: prefix caching on one instance
    again = run("ask", "-m", "cloudflare-workers-ai/@cf/moonshotai/kimi-k2.6", "hi")
    assert again.returncode == 0 and workers.last.headers["x-session-affinity"] != headers["x-session-affinity"]


def test_workers_ai_without_an_account_is_named_and_login_warns(run, net):
    r = run("login", "cloudflare-workers-ai", input=CF_TOKEN)
    assert r.returncode == 0 and "CLOUDFLARE_ACCOUNT_ID is not set" in r.stderr
    r = run("ask", "-m", "cloudflare-workers-ai/@cf/moonshotai/kimi-k2.6", "hi")
    assert_fails(r, 3, "CLOUDFLARE_ACCOUNT_ID is not set")
    assert net.hosts.requests == []


def test_a_named_login_is_warned_about_a_setting_only_the_default_login_holds(run, net, atomic_env):
    # The default login's stored account is not the named login's: its requests could not go anywhere.
    assert run("login", "cloudflare-workers-ai", "--env", "CLOUDFLARE_ACCOUNT_ID=acct123", input=CF_TOKEN).returncode == 0
    r = run("login", "cloudflare-workers-ai", "--profile", "work", input=CF_TOKEN)
    assert r.returncode == 0 and "CLOUDFLARE_ACCOUNT_ID is not set" in r.stderr, r.stderr
    assert "env" not in atomic_env.read_auth()["cloudflare-workers-ai:work"]


def test_azure_status_check_without_an_address_names_the_setting(run, net):
    r = run("status", "--check", "azure", "--json", AZURE_OPENAI_API_KEY=AZURE_KEY)
    assert r.returncode == 11, r.stderr
    [row] = json.loads(r.stdout)["providers"]
    assert not row["ok"] and "AZURE_OPENAI_BASE_URL" in row["reason"]
    assert net.hosts.requests == []
