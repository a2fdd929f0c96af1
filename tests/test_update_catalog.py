"""scripts/update_catalog.py: rebuilding the catalogue from models.dev's api.json format."""
import json
import os
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import PYTHON, REPO, clean_env
from helpers_catalog import by_key, shipped_catalog

SCRIPT = os.path.join(REPO, "scripts", "update_catalog.py")
FIXTURES = os.path.join(REPO, "tests", "fixtures")
API = os.path.join(FIXTURES, "models_dev_api.json")
BASE = os.path.join(FIXTURES, "models_dev_base_catalog.json")


def run_script(tmp_path, *args, env=None):
    return subprocess.run([PYTHON, SCRIPT] + list(args), env=env or clean_env(tmp_path),
                          capture_output=True, text=True, timeout=120)


def rebuild(tmp_path, source=API, base=BASE, env=None):
    out = str(tmp_path / "catalog.json")
    r = run_script(tmp_path, source, "--base", base, "--output", out, env=env)
    assert r.returncode == 0, r.stderr
    with open(out, encoding="utf-8") as handle:
        text = handle.read()
    return r, json.loads(text), text


def test_tool_capable_models_are_mapped_to_atomic_providers_and_wire_apis(tmp_path):
    r, catalog, _text = rebuild(tmp_path)
    models = by_key(m for ms in catalog.values() for m in ms)
    # tool_call false and deprecated models are left out; unknown models.dev providers ignored.
    assert "anthropic/claude-instant-1" not in models and "anthropic/claude-2-old" not in models
    assert not any(key.startswith("some-new-gateway/") for key in models)
    # One models.dev provider can feed several atomic providers.
    assert set(catalog["openai"][i]["id"] for i in range(2)) == {"gpt-4o", "o3"}
    assert [m["api"] for m in catalog["azure-openai-responses"]] == ["azure-openai-responses"] * 2
    assert {p for p in catalog if p.startswith("xiaomi")} == {
        "xiaomi", "xiaomi-token-plan-cn", "xiaomi-token-plan-ams", "xiaomi-token-plan-sgp"}
    assert models["xiaomi-token-plan-sgp/mimo-v2-flash"]["baseUrl"] == "https://token-plan-sgp.xiaomimimo.com/anthropic"
    assert models["kimi-coding/kimi-for-coding"]["api"] == "anthropic-messages"
    # Gateways with several wire APIs pick one per model.
    routes = {k: (m["api"], m["baseUrl"]) for k, m in models.items()}
    assert routes["opencode/claude-haiku-4-5"] == ("anthropic-messages", "https://opencode.ai/zen")
    assert routes["opencode/gpt-5"] == ("openai-responses", "https://opencode.ai/zen/v1")
    assert routes["opencode/gemini-3-flash"] == ("google-generative-ai", "https://opencode.ai/zen/v1")
    assert routes["opencode/glm-5"] == ("openai-completions", "https://opencode.ai/zen/v1")
    gateway = "https://gateway.ai.cloudflare.com/v1/{CLOUDFLARE_ACCOUNT_ID}/{CLOUDFLARE_GATEWAY_ID}"
    assert routes["cloudflare-ai-gateway/claude-haiku-4-5"] == ("anthropic-messages", gateway + "/anthropic")
    assert routes["cloudflare-ai-gateway/gpt-4o"] == ("openai-responses", gateway + "/openai")
    assert routes["cloudflare-ai-gateway/workers-ai/@cf/zai-org/glm-4.7-flash"] == ("openai-completions", gateway + "/compat")
    assert routes["github-copilot/claude-sonnet-4.5"][0] == "anthropic-messages"
    assert routes["github-copilot/gpt-5.2"][0] == "openai-responses"
    assert routes["github-copilot/gemini-9-pro"][0] == "openai-completions"
    # Bedrock: EU inference profiles live in eu-central-1; jamba is left out as the reference does.
    assert routes["amazon-bedrock/eu.anthropic.claude-sonnet-4-5-v1:0"][1] == "https://bedrock-runtime.eu-central-1.amazonaws.com"
    assert "amazon-bedrock/ai21.jamba-1-5-large-v1:0" not in models


def test_fields_are_converted_with_the_references_fallbacks(tmp_path):
    _r, catalog, _text = rebuild(tmp_path)
    models = by_key(m for ms in catalog.values() for m in ms)
    assert models["openai/gpt-4o"] == {
        "id": "gpt-4o", "name": "GPT-4o", "api": "openai-responses", "provider": "openai",
        "baseUrl": "https://api.openai.com/v1", "reasoning": False, "input": ["text", "image"],
        "cost": {"input": 2.5, "output": 10, "cacheRead": 1.25, "cacheWrite": 0},
        "contextWindow": 128000, "maxTokens": 16384}
    nova = models["amazon-bedrock/amazon.nova-pro-v1:0"]  # no cost, no limits published
    assert nova["cost"] == {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0}
    assert (nova["contextWindow"], nova["maxTokens"]) == (4096, 4096)


def test_known_models_keep_their_routing_and_new_ones_share_the_providers_headers(tmp_path):
    _r, catalog, _text = rebuild(tmp_path)
    base = json.load(open(BASE))
    old = by_key(base["github-copilot"])["github-copilot/gpt-4o"]
    copilot = by_key(catalog["github-copilot"])
    new_gpt4o = copilot["github-copilot/gpt-4o"]
    for field in ("api", "baseUrl", "headers", "compat"):
        assert new_gpt4o[field] == old[field], field
    assert (new_gpt4o["contextWindow"], new_gpt4o["maxTokens"]) == (64000, 4096)  # fresh limits
    assert copilot["github-copilot/gpt-5.2"]["headers"] == old["headers"]
    assert "github-copilot/gpt-3.5-turbo" not in copilot  # gone from the source: dropped
    sonnet = catalog["anthropic"][0]
    assert sonnet["thinkingLevelMap"] == {"xhigh": "max"} and sonnet["name"] == "Claude Sonnet 4.5"


def test_providers_the_source_does_not_feed_are_kept_and_counts_are_reported(tmp_path):
    r, catalog, _text = rebuild(tmp_path)
    base = json.load(open(BASE))
    assert catalog["openrouter"] == base["openrouter"] and catalog["openai-codex"] == base["openai-codex"]
    out = r.stdout.splitlines()
    assert any(line.split()[:3] == ["github-copilot", "4", "models"] and "(3 new, 1 dropped)" in line for line in out)
    assert any(line.split()[:2] == ["openrouter", "1"] and "kept from the base catalogue" in line for line in out)
    assert out[-1].endswith(": 14 providers, 25 models")


def test_against_the_shipped_catalogue_only_the_fed_providers_change(tmp_path):
    _r, catalog, _text = rebuild(tmp_path, base=os.path.join(REPO, "providers", "_models", "catalog.json"))
    shipped = shipped_catalog()
    fed = {"amazon-bedrock", "anthropic", "azure-openai-responses", "cloudflare-ai-gateway", "github-copilot",
           "kimi-coding", "openai", "opencode", "xiaomi", "xiaomi-token-plan-cn", "xiaomi-token-plan-ams",
           "xiaomi-token-plan-sgp"}
    assert set(catalog) == set(shipped)
    for pid in set(shipped) - fed:
        assert catalog[pid] == shipped[pid], pid
    # A model the catalogue already had keeps its hand-checked routing.
    old = by_key(shipped["opencode"])["opencode/gpt-5"]
    new = by_key(catalog["opencode"])["opencode/gpt-5"]
    assert (new["api"], new["baseUrl"]) == (old["api"], old["baseUrl"])


def test_the_output_is_compact_one_model_a_line(tmp_path):
    _r, catalog, text = rebuild(tmp_path)
    lines = text.splitlines()
    assert len(lines) == 2 + 2 * len(catalog) + sum(len(ms) for ms in catalog.values())
    assert all(line.startswith('{"id":') for line in lines if '"provider":' in line)


def test_the_shipped_file_is_in_the_format_the_script_writes(tmp_path):
    # Rebuilding with a source that feeds nothing rewrites the shipped catalogue byte for byte.
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    _r, _catalog, text = rebuild(tmp_path, source=str(empty), base=os.path.join(REPO, "providers", "_models", "catalog.json"))
    with open(os.path.join(REPO, "providers", "_models", "catalog.json"), encoding="utf-8") as handle:
        assert text == handle.read()


class _ApiServer:
    """A loopback HTTP server answering GET /api.json with the fixture, or with `status`."""

    def __init__(self, status=200):
        with open(API, "rb") as handle:
            body = handle.read()
        self.requests = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                owner.requests.append(self.path)
                payload = body if status == 200 else b'{"error": "upstream down"}'
                self.send_response(status if self.path == "/api.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/api.json" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api_server():
    servers = []

    def start(status=200):
        servers.append(_ApiServer(status))
        return servers[-1]
    yield start
    for server in servers:
        server.close()


def test_a_url_source_is_fetched_and_gives_the_same_catalogue(tmp_path, api_server):
    server = api_server()
    (tmp_path / "file").mkdir()
    (tmp_path / "url").mkdir()
    _r, from_file, _ = rebuild(tmp_path / "file")
    _r, from_url, _ = rebuild(tmp_path / "url", source=server.url)
    assert from_url == from_file
    assert server.requests == ["/api.json"]


def test_a_failing_url_is_reported_and_nothing_is_written(tmp_path, api_server):
    server = api_server(status=503)
    out = tmp_path / "catalog.json"
    r = run_script(tmp_path, server.url, "--base", BASE, "--output", str(out))
    assert r.returncode == 1 and "HTTP 503" in r.stderr and "upstream down" in r.stderr
    assert "Traceback" not in r.stderr and not out.exists()


def test_bad_sources_are_reported_and_nothing_is_written(tmp_path):
    out = tmp_path / "catalog.json"
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    for source, needle in ((str(tmp_path / "missing.json"), "No such file"),
                           (str(listed), "not in the models.dev api.json format")):
        r = run_script(tmp_path, source, "--base", BASE, "--output", str(out))
        assert r.returncode == 1 and needle in r.stderr, r.stderr
        assert "Traceback" not in r.stderr and not out.exists()


def test_a_file_source_never_touches_the_network(tmp_path):
    trap = socket.socket()
    trap.bind(("127.0.0.1", 0))
    trap.listen(1)
    trap.settimeout(0.2)
    proxy = "http://127.0.0.1:%d" % trap.getsockname()[1]
    try:
        env = clean_env(tmp_path, HTTPS_PROXY=proxy, HTTP_PROXY=proxy, https_proxy=proxy, http_proxy=proxy)
        rebuild(tmp_path, env=env)
        with pytest.raises(socket.timeout):
            trap.accept()
    finally:
        trap.close()
