"""`atomic status --check`: one real request per provider, all at once, to loopback stand-ins of the
providers reached through HTTPS_PROXY; one accepts, one rejects its key, one never answers."""
import json
import re
import threading
import time

import pytest

from conftest import assert_fails, stderr_on_a_terminal, tree
from fake_github import EDITOR_HEADERS
from netfakes import reply

FAR_FUTURE_MS = int(time.time() * 1000) + 30 * 86400000   # a month on: a login that is valid (not centuries: issue 22)
OPENAI_KEY = "sk-check-openai-000000000001"
ANTHROPIC_KEY = "sk-ant-api03-check-rejected-0001"
COPILOT_TOKEN = "tid=check;exp=1;proxy-ep=proxy.individual.githubcopilot.com;"
CODEX_TOKEN = "codex-check-access-token-0001"
SLOW_KEY = "slow-check-key-000000001"


class Providers:
    """The model-list endpoints of four providers, each checking what atomic sends. The ones
    that answer wait at a barrier for each other first: only requests sent at the same time
    get through it (one at a time, each would break it and get a 500)."""

    def __init__(self, net, answering=4):
        self.barrier = threading.Barrier(answering, timeout=3)
        self.release = threading.Event()
        hosts = net.hosts
        hosts.route("GET", "api.openai.com", "/v1/models")(self.together(self.openai))
        hosts.route("GET", "api.anthropic.com", "/v1/models")(self.together(self.anthropic))
        hosts.route("GET", "api.individual.githubcopilot.com", "/models")(self.together(self.copilot))
        hosts.route("GET", "chatgpt.com", "/backend-api/codex/models")(self.together(self.codex))
        hosts.route("GET", "slow.example.com", "/v1/models")(self.slow)

    def together(self, handler):
        def wrapped(req):
            try:
                self.barrier.wait()
            except threading.BrokenBarrierError:
                return reply(500, {"error": {"message": "requests came one at a time"}})
            return handler(req)
        return wrapped

    def openai(self, req):
        if req.headers.get("Authorization") != "Bearer " + OPENAI_KEY:
            return reply(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
        return reply(200, {"object": "list", "data": [{"id": "gpt-4o"}, {"id": "gpt-4.1"}, {"id": "o3"}]})

    def anthropic(self, req):
        assert req.headers.get("anthropic-version") == "2023-06-01"
        assert req.headers.get("x-api-key") == ANTHROPIC_KEY
        return reply(401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})

    def copilot(self, req):
        wrong = {n: req.headers.get(n) for n, v in EDITOR_HEADERS.items() if req.headers.get(n) != v}
        if req.headers.get("Authorization") != "Bearer " + COPILOT_TOKEN or wrong:
            return reply(400, {"message": "unexpected headers %s" % wrong})
        return reply(200, {"data": [{"id": "gpt-4o"}, {"id": "claude-sonnet-4"}], "object": "list"})

    def codex(self, req):
        if (req.headers.get("Authorization") != "Bearer " + CODEX_TOKEN
                or req.headers.get("chatgpt-account-id") != "acct-check" or "client_version" not in req.query):
            return reply(403, {"detail": "no such account"})
        return reply(200, {"models": [{"slug": "gpt-5.5-codex"}]})

    def slow(self, req):
        self.release.wait(30)  # longer than any check deadline; let go when the test ends
        return None            # and then say nothing: atomic stopped listening long ago


@pytest.fixture
def providers(net):
    fakes = Providers(net)
    yield fakes
    fakes.release.set()


def setup_all(atomic_env):
    atomic_env.write_auth({
        "openai": {"type": "api_key", "key": OPENAI_KEY},
        "anthropic": {"type": "api_key", "key": ANTHROPIC_KEY},
        "github-copilot": {"type": "oauth", "access": COPILOT_TOKEN, "refresh": "gho_check-github-token-000000001",
                           "expires": FAR_FUTURE_MS},
        "openai-codex": {"type": "oauth", "access": CODEX_TOKEN, "refresh": "rt-check", "expires": FAR_FUTURE_MS,
                         "accountId": "acct-check"},
    })
    atomic_env.write_models({"providers": {"slowcorp": {
        "baseUrl": "https://slow.example.com/v1", "api": "openai-completions", "apiKey": SLOW_KEY,
        "models": [{"id": "slow-1"}]}}})


def check(atomic_env, net, *args, env=None, **popen):
    full = dict(net.env(), ATOMIC_CHECK_TIMEOUT="1.5")
    full.update(env or {})
    return atomic_env.run("status", "--check", *args, env=full, **popen)


def rows(stdout):
    """{id: (mark, source, reason)} from the human table."""
    table = {}
    for line in stdout.splitlines():
        mark, pid, source, reason = re.split(r" {2,}", line, 3)
        table[pid] = (mark, source, reason)
    return table


def test_each_provider_is_tried_at_once_and_marked_with_the_reason(atomic_env, net, providers):
    setup_all(atomic_env)
    r = check(atomic_env, net)
    assert r.returncode == 11, r.stderr
    table = rows(r.stdout)
    assert set(table) == {"openai", "anthropic", "github-copilot", "openai-codex", "slowcorp"}
    assert table["openai"] == ("✓", "auth.json", "ok (3 models)")
    assert table["github-copilot"] == ("✓", "auth.json (oauth)", "ok (2 models)")
    assert table["openai-codex"] == ("✓", "auth.json (oauth)", "ok (1 model)")
    assert table["anthropic"][0] == "✗" and table["anthropic"][2] == "rejected key (HTTP 401: invalid x-api-key)"
    assert table["slowcorp"][0] == "✗" and "network" in table["slowcorp"][2] and "1.5 s" in table["slowcorp"][2]
    assert r.stderr == ("atomic: 1 of 5 credentials failed the check: anthropic; 1 could not be checked (network or "
                        "provider trouble, not a refusal): slowcorp\n")
    for secret in (OPENAI_KEY, ANTHROPIC_KEY, COPILOT_TOKEN, CODEX_TOKEN, SLOW_KEY):
        assert secret not in r.stdout + r.stderr


def test_json_and_only_the_providers_named(atomic_env, net):
    fakes = Providers(net, answering=2)
    try:
        setup_all(atomic_env)
        r = check(atomic_env, net, "openai", "anthropic", "openai", "--json")
    finally:
        fakes.release.set()
    assert r.returncode == 11
    doc = json.loads(r.stdout)
    assert doc["ok"] is False
    assert [(p["id"], p["ok"], p["status"], p["source"]) for p in doc["providers"]] == [
        ("openai", True, 200, "auth.json"), ("anthropic", False, 401, "auth.json")]
    assert doc["providers"][1]["reason"] == "rejected key (HTTP 401: invalid x-api-key)"


def test_all_passing_is_exit_0(atomic_env, net):
    fakes = Providers(net, answering=1)
    atomic_env.write_auth({"openai": {"type": "api_key", "key": OPENAI_KEY}})
    r = check(atomic_env, net)
    fakes.release.set()
    assert r.returncode == 0, r.stderr
    assert rows(r.stdout) == {"openai": ("✓", "auth.json", "ok (3 models)")} and r.stderr == ""


def test_a_refused_oauth_token_is_refreshed_once_and_tried_again(atomic_env, net, claude):
    refresh = claude.add_refresh_token("sk-ant-ort01-check-refresh-0001")
    atomic_env.write_auth({"anthropic": {"type": "oauth", "access": "sk-ant-oat01-revoked-but-fresh-looking",
                                         "refresh": refresh, "expires": FAR_FUTURE_MS}})
    seen = []

    @net.hosts.route("GET", "api.anthropic.com", "/v1/models")
    def models(req):
        seen.append(req.headers.get("Authorization"))
        assert req.headers.get("anthropic-beta") == "claude-code-20250219,oauth-2025-04-20"
        if req.headers.get("Authorization") == "Bearer sk-ant-oat01-revoked-but-fresh-looking":
            return reply(401, {"type": "error", "error": {"type": "authentication_error", "message": "token revoked"}})
        return reply(200, {"data": [{"id": "claude-sonnet-4-5"}]})

    r = check(atomic_env, net)
    assert r.returncode == 0, r.stdout + r.stderr
    fresh = atomic_env.read_auth()["anthropic"]["access"]
    assert seen == ["Bearer sk-ant-oat01-revoked-but-fresh-looking", "Bearer " + fresh]
    assert rows(r.stdout)["anthropic"][2] == "ok (1 model)"
    assert len(claude.token_requests()) == 1


def test_no_refresh_refreshes_nothing_and_writes_nothing(atomic_env, net, claude):
    refresh = claude.add_refresh_token("sk-ant-ort01-check-refresh-0002")
    before = atomic_env.write_auth({"anthropic": {"type": "oauth", "access": "sk-ant-oat01-expired-0000000001",
                                                  "refresh": refresh, "expires": 1000}})
    files = tree(atomic_env.agent_dir)
    r = check(atomic_env, net, "--no-refresh")
    assert r.returncode == 11
    assert rows(r.stdout)["anthropic"][2].startswith("expired login, not refreshed (--no-refresh)")
    assert claude.token_requests() == [] and net.hosts.seen(host="api.anthropic.com") == []
    assert atomic_env.auth_bytes() == before and tree(atomic_env.agent_dir) == files


def test_a_provider_named_without_a_credential_fails_its_row(atomic_env, net):
    fakes = Providers(net, answering=1)
    atomic_env.write_auth({"openai": {"type": "api_key", "key": OPENAI_KEY}})
    r = check(atomic_env, net, "openai", "groq")
    fakes.release.set()
    assert r.returncode == 11
    table = rows(r.stdout)
    assert table["openai"][0] == "✓" and table["groq"][:2] == ("✗", "-")
    assert table["groq"][2].startswith("no credential for Groq; run `atomic login groq`")


def test_nothing_to_check_is_exit_3(atomic_env, net):
    assert_fails(check(atomic_env, net), 3, "no credentials to check", "atomic login")
    assert_fails(check(atomic_env, net, "nosuch"), 2, "unknown provider 'nosuch'")
    assert_fails(atomic_env.run("status", "openai"), 2, "--check")


def test_pending_providers_are_shown_on_a_terminal_only(atomic_env, net):
    fakes = Providers(net, answering=1)
    try:
        _pending_on_a_terminal(atomic_env, net)
    finally:
        fakes.release.set()


def _pending_on_a_terminal(atomic_env, net):
    setup_all(atomic_env)
    env = dict(atomic_env.env, ATOMIC_CHECK_TIMEOUT="1.5", **net.env())
    code, text, stdout = stderr_on_a_terminal(["status", "--check", "slowcorp", "openai"], env)
    assert code == 6   # the network, not a refusal
    assert "checking slowcorp, openai (0s)" in text or "checking slowcorp (" in text, text
    assert "checking slowcorp (1s)" in text, text
    assert text.rstrip().endswith("atomic: 1 of 2 credentials could not be checked (network or provider trouble, not "
                                  "a refusal): slowcorp; try again later")
    assert stdout.decode().count("\n") == 2
    # Piped, stderr has the summary line alone.
    piped = check(atomic_env, net, "slowcorp", env={"ATOMIC_CHECK_TIMEOUT": "0.5"})
    assert piped.returncode == 6 and piped.stderr == (
        "atomic: 1 of 1 credential could not be checked (network or provider trouble, not a refusal): slowcorp; "
        "try again later\n")
