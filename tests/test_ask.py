"""`atomic ask` through the real CLI against loopback stand-ins of each provider's API (reached
through HTTPS_PROXY with a test CA), speaking each wire protocol's real stream shapes: the exact
request each provider gets, the exact text printed, the stderr summary, and the failures."""
import json
import os
import re
import subprocess
import time

import pytest

from conftest import assert_fails
from llmfakes import (Model, anthropic_events, completions_events, crlf, gemini_events, mistral_events,
                      responses_events, split_data_lines, split_in_a_character, with_keepalives)
from oauthfakes import make_jwt

HOUR_MS = 3600 * 1000


@pytest.fixture
def run(atomic_env, net):
    """run(*args, input=None, **env): atomic ARGS with the fake network and fast retries."""
    def go(*args, input=None, **env):
        full = dict(net.env(), ATOMIC_RETRY_BACKOFF="0.05", ATOMIC_FIRST_BYTE_TIMEOUT="20", ATOMIC_IDLE_TIMEOUT="20")
        full.update(env)
        return atomic_env.run(*args, input=input, env=full)
    return go


def summary(result):
    lines = result.stderr.splitlines()
    assert lines, result.stderr
    return lines[-1]


def oauth(access, **extra):
    entry = {"type": "oauth", "access": access, "refresh": "refresh-1", "expires": int(time.time() * 1000) + HOUR_MS}
    entry.update(extra)
    return entry


# One provider per wire protocol: the request, the text, the summary -------------------------

def test_openai_responses_request_text_and_summary(run, net):
    api = Model(net, "POST", "api.openai.com", "/v1/responses", responses_events("Hello, wörld!", usage=(12, 5)))
    r = run("ask", "-m", "openai/gpt-4o", "--system", "Be brief.", "Say hi", OPENAI_API_KEY="sk-test-openai-000001")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello, wörld!\n"
    req = api.last
    assert req.headers["Authorization"] == "Bearer sk-test-openai-000001"
    assert req.headers["Accept"] == "text/event-stream" and req.content_type == "application/json"
    body = api.body_of()
    assert body["model"] == "gpt-4o" and body["stream"] is True and body["store"] is False
    assert body["input"] == [{"role": "system", "content": "Be brief."},
                             {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Say hi"}]}]
    assert body["max_output_tokens"] == 16384 and "service_tier" not in body and "reasoning" not in body
    # gpt-4o: $2.5 in, $10 out per million tokens -> 12*2.5e-6 + 5*10e-6
    assert re.match(r"openai/gpt-4o  12 in / 5 out tokens  \$0\.00008  first token \d+\.\d\d s\Z", summary(r)), r.stderr


def test_completions_stream_quirks_crlf_keepalives_split_data_and_a_split_character(run, net):
    text = completions_events("Grüße, 世界", reasoning="thinking…", usage=(9, 4))
    raw = crlf(with_keepalives(split_data_lines(text))).encode("utf-8")
    api = Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", parts=split_in_a_character(raw, "世"))
    r = run("ask", "-m", "groq/llama-3.3-70b-versatile", "hi", GROQ_API_KEY="gsk_test0000000000001")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Grüße, 世界\n"          # the reasoning is left out when piped
    body = api.body_of()
    assert body["messages"] == [{"role": "user", "content": "hi"}]
    assert body["stream_options"] == {"include_usage": True} and body["store"] is False
    assert body["max_completion_tokens"] == 32768
    assert summary(r).startswith("groq/llama-3.3-70b-versatile  9 in / 4 out tokens  $0.000008")

    shown = run("ask", "--show-thinking", "-m", "groq/llama-3.3-70b-versatile", "hi", GROQ_API_KEY="gsk_test0000000000001")
    assert shown.stdout == "thinking…\n\nGrüße, 世界\n", shown.stdout


def test_anthropic_api_key_request_with_thinking_and_ping(run, net):
    api = Model(net, "POST", "api.anthropic.com", "/v1/messages", anthropic_events("Bonjour", thinking="Hmm."))
    r = run("ask", "-m", "anthropic/claude-sonnet-4-5", "--system", "French only", "Hello",
            ANTHROPIC_API_KEY="sk-ant-api03-test-000000000001")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Bonjour\n"
    req = api.last
    assert req.headers["x-api-key"] == "sk-ant-api03-test-000000000001" and "Authorization" not in req.headers
    assert req.headers["anthropic-version"] == "2023-06-01"
    body = api.body_of()
    # Prompt caching as the Atomic agent asks for it: the system prompt and the last user block.
    mark = {"type": "ephemeral"}
    assert body == {"model": "claude-sonnet-4-5", "max_tokens": 64000, "stream": True,
                    "system": [{"type": "text", "text": "French only", "cache_control": mark}],
                    "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello", "cache_control": mark}]}]}
    assert summary(r).startswith("anthropic/claude-sonnet-4-5  20 in / 7 out tokens  $0.000165")

    # With caching off, the plain request of old.
    r = run("ask", "-m", "anthropic/claude-sonnet-4-5", "--system", "French only", "Hello",
            ANTHROPIC_API_KEY="sk-ant-api03-test-000000000001", ATOMIC_CACHE_RETENTION="none")
    assert r.returncode == 0, r.stderr
    assert api.body_of() == {"model": "claude-sonnet-4-5", "max_tokens": 64000, "stream": True, "system": "French only",
                             "messages": [{"role": "user", "content": "Hello"}]}


def test_a_claude_subscription_sends_claude_code_headers_and_system_block(run, net, atomic_env):
    atomic_env.write_auth({"anthropic": oauth("sk-ant-oat01-subscription-token-0001")})
    api = Model(net, "POST", "api.anthropic.com", "/v1/messages", anthropic_events("ok"))
    r = run("ask", "-m", "anthropic/claude-sonnet-4-5", "--system", "Be terse.", "Hello")
    assert r.returncode == 0, r.stderr
    req = api.last
    assert req.headers["Authorization"] == "Bearer sk-ant-oat01-subscription-token-0001"
    assert "x-api-key" not in req.headers
    assert req.headers["anthropic-beta"] == "claude-code-20250219,oauth-2025-04-20"
    assert req.headers["User-Agent"] == "claude-cli/2.1.75" and req.headers["x-app"] == "cli"
    assert api.body_of()["system"] == [
        {"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude."},
        {"type": "text", "text": "Be terse.", "cache_control": {"type": "ephemeral"}}]


def test_gemini_request_url_key_header_and_thought_parts(run, net):
    api = Model(net, "POST", "generativelanguage.googleapis.com", "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
                gemini_events("Ciao!", thought="Greeting."))
    r = run("ask", "--show-thinking", "-m", "google/gemini-2.5-flash", "--system", "Italian", "Hi",
            GEMINI_API_KEY="AIzaSyTest-000000000000000")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Greeting.\n\nCiao!\n"
    req = api.last
    assert req.query == {"alt": "sse"} and req.headers["x-goog-api-key"] == "AIzaSyTest-000000000000000"
    body = api.body_of()
    assert body["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]
    assert body["systemInstruction"] == {"parts": [{"text": "Italian"}]}
    assert body["generationConfig"] == {"maxOutputTokens": 65536, "thinkingConfig": {"includeThoughts": True}}
    assert summary(r).startswith("google/gemini-2.5-flash  8 in / 9 out tokens")   # thoughts count as output


def test_mistral_list_content_with_thinking(run, net):
    api = Model(net, "POST", "api.mistral.ai", "/v1/chat/completions", mistral_events("Salut", thinking="Think."))
    r = run("ask", "--show-thinking", "-m", "mistral/magistral-medium-latest", "Hi", MISTRAL_API_KEY="mistral-test-key-0001")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Think.\n\nSalut\n"
    assert api.last.headers["Authorization"] == "Bearer mistral-test-key-0001"
    body = api.body_of()
    # Prompt caching as the Atomic agent asks Mistral for it: the conversation's id, in the body and a header.
    assert body == {"model": "magistral-medium-latest", "messages": [{"role": "user", "content": "Hi"}],
                    "stream": True, "max_tokens": 16384, "prompt_cache_key": api.last.headers["x-affinity"]}
    assert summary(r).startswith("mistral/magistral-medium-latest  10 in / 3 out tokens")


# ChatGPT (Codex) and fast mode -------------------------------------------------------------

def codex_entry():
    access = make_jwt({"https://api.openai.com/auth": {"chatgpt_account_id": "acct-42"}, "exp": 9999999999})
    return oauth(access, accountId="acct-42")


def test_codex_request_shape_without_fast_mode(run, net, atomic_env):
    atomic_env.write_auth({"openai-codex": codex_entry()})
    api = Model(net, "POST", "chatgpt.com", "/backend-api/codex/responses", responses_events("Hi!", model="gpt-5.1"))
    r = run("ask", "-m", "openai-codex/gpt-5.1", "--system", "Sys", "Q")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hi!\n"
    req = api.last
    assert req.headers["chatgpt-account-id"] == "acct-42" and req.headers["OpenAI-Beta"] == "responses=experimental"
    assert req.headers["originator"] == "pi" and "x-codex-routing-hint" not in req.headers
    assert req.headers["session-id"] == req.headers["x-client-request-id"]
    body = api.body_of()
    assert body["instructions"] == "Sys" and body["store"] is False and body["stream"] is True
    assert body["input"] == [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Q"}]}]
    assert body["prompt_cache_key"] == req.headers["session-id"]
    assert "service_tier" not in body and "max_output_tokens" not in body
    assert summary(r).startswith("openai-codex/gpt-5.1  12 in / 5 out tokens")


def test_codex_fast_mode_sends_the_priority_tier_and_routing_headers(run, net, atomic_env):
    atomic_env.write_auth({"openai-codex": codex_entry()})
    api = Model(net, "POST", "chatgpt.com", "/backend-api/codex/responses",
                responses_events("Fast!", model="gpt-5.1", tier="fast"))
    r = run("ask", "-m", "openai-codex/gpt-5.1", "Q", ATOMIC_CODEX_FAST_MODE="chat=1;workflow=0")
    assert r.returncode == 0, r.stderr
    req = api.last
    assert api.body_of()["service_tier"] == "priority"
    assert req.headers["originator"] == "codex_cli_rs"
    assert req.headers["x-codex-routing-hint"] == "model=gpt-5.1;tier=priority"
    assert summary(r).startswith("openai-codex/gpt-5.1 fast  ")       # the answer's tier "fast" counts

    # A workflow stage follows the workflow setting, which is off here.
    r = run("ask", "--workflow", "-m", "openai-codex/gpt-5.1", "Q", ATOMIC_CODEX_FAST_MODE="chat=1;workflow=0")
    assert r.returncode == 0, r.stderr
    assert "service_tier" not in api.body_of() and api.last.headers["originator"] == "pi"
    assert "x-codex-routing-hint" not in api.last.headers


def test_fast_mode_for_openai_uses_settings_json_and_never_reaches_copilot(run, net, atomic_env):
    r = run("fast", "on")
    assert r.returncode == 0 and "chat on, workflow off" in r.stdout, r.stderr
    settings = json.loads(open(atomic_env.agent_dir + "/settings.json").read())
    assert settings == {"codexFastMode": {"chat": True}}
    api = Model(net, "POST", "api.openai.com", "/v1/responses", responses_events("x", tier="priority"))
    r = run("ask", "-m", "openai/gpt-4o", "Q", OPENAI_API_KEY="sk-test-openai-000001")
    assert r.returncode == 0 and api.body_of()["service_tier"] == "priority", r.stderr
    assert "originator" not in api.last.headers and "x-codex-routing-hint" not in api.last.headers
    assert summary(r).startswith("openai/gpt-4o fast  ")
    # gpt-4o priority: twice the price
    assert "$0.00016" in summary(r)

    atomic_env.write_auth({"github-copilot": oauth("tid=1;exp=9;proxy-ep=proxy.individual.githubcopilot.com;")})
    copilot = Model(net, "POST", "api.individual.githubcopilot.com", "/responses", responses_events("y"))
    r = run("ask", "-m", "github-copilot/gpt-5", "Q")
    assert r.returncode == 0, r.stderr
    assert "service_tier" not in copilot.body_of() and " fast" not in summary(r)


def test_atomic_fast_sets_each_scope_and_warns_about_workflow_fan_out(run, atomic_env):
    r = run("fast")
    assert (r.returncode, r.stdout) == (0, "Codex fast mode: chat off, workflow off\n")
    r = run("fast", "on", "--workflow")
    assert r.returncode == 0 and r.stdout == "Codex fast mode: chat off, workflow on\n"
    assert "parallel stages multiply" in r.stderr
    again = run("fast", "on", "--workflow")
    assert "parallel stages multiply" not in again.stderr          # warned when it was turned on
    r = run("fast", "off", "--workflow", ATOMIC_CODEX_FAST_MODE="workflow=1")
    assert "workflow on (from ATOMIC_CODEX_FAST_MODE)" in r.stdout and "overrides it" in r.stderr
    assert json.loads(open(atomic_env.agent_dir + "/settings.json").read()) == {
        "codexFastMode": {"workflow": False}}
    assert_fails(run("fast", "maybe"), 2)
    assert_fails(run("fast", ATOMIC_CODEX_FAST_MODE="chat=yes please"), 2, "ATOMIC_CODEX_FAST_MODE")
    assert_fails(run("fast", PI_CODEX_FAST_MODE="bogus"), 2, "PI_CODEX_FAST_MODE=bogus")   # the one that is set


# GitHub Copilot: the route each model's API names -----------------------------------------

@pytest.mark.parametrize("model, path, events", [
    ("claude-sonnet-4.5", "/v1/messages", anthropic_events("c")),
    ("gpt-5", "/responses", responses_events("c")),
    ("gpt-4o", "/chat/completions", completions_events("c")),
])
def test_copilot_routes_by_the_models_api_with_editor_headers(run, net, atomic_env, model, path, events):
    token = "tid=t1;exp=9;proxy-ep=proxy.business.githubcopilot.com;"
    atomic_env.write_auth({"github-copilot": oauth(token)})
    api = Model(net, "POST", "api.business.githubcopilot.com", path, events)
    r = run("ask", "-m", "github-copilot/" + model, "Q")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "c\n"
    req = api.last
    assert req.headers["Authorization"] == "Bearer " + token and "x-api-key" not in req.headers
    assert req.headers["Editor-Version"] == "vscode/1.107.0" and req.headers["Copilot-Integration-Id"] == "vscode-chat"
    assert req.headers["X-Initiator"] == "user" and req.headers["Openai-Intent"] == "conversation-edits"
    if path == "/v1/messages":
        assert "system" not in api.body_of()          # no Claude Code identity on Copilot


def test_copilot_is_told_when_the_question_carries_an_image(run, net, atomic_env, tmp_path):
    # Copilot refuses an image without Copilot-Vision-Request: true (HTTP 400 "missing required
    # Copilot-Vision-Request header for vision requests"); a question without one never sends it.
    token = "tid=t1;exp=9;proxy-ep=proxy.individual.githubcopilot.com;"
    atomic_env.write_auth({"github-copilot": oauth(token)})
    api = Model(net, "POST", "api.individual.githubcopilot.com", "/chat/completions", completions_events("c"))
    picture = tmp_path / "chart.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    r = run("ask", "-m", "github-copilot/gpt-4o", "-a", str(picture), "What is this?")
    assert r.returncode == 0, r.stderr
    assert api.last.headers["Copilot-Vision-Request"] == "true"
    assert any(part.get("type") == "image_url" for part in api.body_of()["messages"][-1]["content"])
    assert run("ask", "-m", "github-copilot/gpt-4o", "What is this?").returncode == 0
    assert "Copilot-Vision-Request" not in api.last.headers


@pytest.mark.parametrize("target", [["-m", "copilot"], []])
def test_copilot_named_alone_or_chosen_by_default_picks_a_model_the_account_may_use(run, net, atomic_env, target):
    # gpt-5-mini is Copilot's everyday model, but this account's list (from its login) lacks it.
    atomic_env.write_auth({"github-copilot": oauth("tid=t1;exp=9;proxy-ep=proxy.individual.githubcopilot.com;",
                                                   availableModelIds=["gpt-4.1"])})
    api = Model(net, "POST", "api.individual.githubcopilot.com", "/chat/completions", completions_events("ok"))
    r = run("ask", *target, "Q")
    assert r.returncode == 0, r.stderr
    assert api.body_of()["model"] == "gpt-4.1"


def test_a_named_copilot_login_s_own_account_list_picks_the_model_and_the_listing(run, net, atomic_env):
    # Two Copilot accounts that may use different models: the one a command uses decides both.
    atomic_env.write_auth({
        "github-copilot": oauth("tid=t1;exp=9;proxy-ep=proxy.individual.githubcopilot.com;", availableModelIds=["gpt-4.1"]),
        "github-copilot:work": oauth("tid=t2;exp=9;proxy-ep=proxy.business.githubcopilot.com;",
                                     availableModelIds=["gpt-4o"])})
    home = Model(net, "POST", "api.individual.githubcopilot.com", "/chat/completions", completions_events("a"))
    work = Model(net, "POST", "api.business.githubcopilot.com", "/chat/completions", completions_events("b"))
    r = run("ask", "-m", "copilot", "--profile", "work", "Q")
    assert (r.returncode, r.stdout) == (0, "b\n"), r.stderr
    assert work.body_of()["model"] == "gpt-4o" and home.requests == []
    assert run("ask", "-m", "copilot", "Q").returncode == 0
    assert home.body_of()["model"] == "gpt-4.1"
    for env, ids in (({}, ["gpt-4.1"]), ({"ATOMIC_PROFILE": "work"}, ["gpt-4o"])):
        listed = run("models", "copilot", "--json", **env)
        assert listed.returncode == 0, listed.stderr
        assert [m["id"] for m in json.loads(listed.stdout)] == ids, env


def test_copilot_model_not_supported_prints_how_to_enable_it(run, net, atomic_env):
    atomic_env.write_auth({"github-copilot": oauth("tid=t1;exp=9;proxy-ep=proxy.individual.githubcopilot.com;")})
    Model(net, "POST", "api.individual.githubcopilot.com", "/chat/completions",
          replies=[(400, {}, {"error": {"message": "The requested model is not supported.",
                                        "code": "model_not_supported"}})])
    line = assert_fails(run("ask", "-m", "github-copilot/gpt-4o", "Q"), 6, "not supported", "VS Code")
    assert "Enable" in line or "enable" in line


# Failures ---------------------------------------------------------------------------------

def test_an_error_event_mid_stream_is_reported_and_what_arrived_is_kept(run, net):
    text = responses_events("Partial answer")
    cut_at = text.index("event: response.completed")
    error = 'event: error\ndata: {"type":"error","code":"server_error","message":"The server had an error"}\n\n'
    Model(net, "POST", "api.openai.com", "/v1/responses", text[:cut_at] + error)
    r = run("ask", "-m", "openai/gpt-4o", "Q", OPENAI_API_KEY="sk-test-openai-000001")
    assert r.returncode == 6
    assert r.stdout == "Partial answer\n"
    assert r.stderr.splitlines()[-1] == ("atomic: api.openai.com reported an error in the middle of the answer: "
                                         "server_error: The server had an error")


def test_a_stream_cut_off_midway_is_exit_6_with_the_text_kept(run, net):
    text = anthropic_events("Half of it")
    parts = [text[:text.index("event: content_block_stop")].encode()]
    Model(net, "POST", "api.anthropic.com", "/v1/messages", parts=parts, cut=True)
    r = run("ask", "-m", "anthropic/claude-sonnet-4-5", "Q", ANTHROPIC_API_KEY="sk-ant-api03-test-000000000001")
    assert r.returncode == 6
    assert r.stdout == "Half of it\n"
    line = r.stderr.splitlines()[-1]
    assert line.startswith("atomic: the answer from api.anthropic.com was cut off") and "Traceback" not in r.stderr


def test_a_stream_that_ends_without_its_last_event_is_cut_off_too(run, net):
    text = completions_events("abc")
    Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", text[:text.index('"finish_reason": "stop"') - 200])
    r = run("ask", "-m", "groq/llama-3.3-70b-versatile", "Q", GROQ_API_KEY="gsk_test0000000000001")
    assert r.returncode == 6 and "cut off" in r.stderr.splitlines()[-1], r.stderr


def test_a_stream_that_stalls_is_cut_at_the_idle_timeout(run, net):
    import threading

    release = threading.Event()
    text = responses_events("Slow")
    parts = [text[:text.index("event: response.completed")].encode(), text[text.index("event: response.completed"):].encode()]
    Model(net, "POST", "api.openai.com", "/v1/responses", parts=parts, between=lambda n: n and release.wait(10))
    try:
        r = run("ask", "-m", "openai/gpt-4o", "Q", OPENAI_API_KEY="sk-test-openai-000001", ATOMIC_IDLE_TIMEOUT="0.5")
    finally:
        release.set()
    assert r.returncode == 6 and r.stdout == "Slow\n"
    assert "stopped sending for 0.5 s" in r.stderr.splitlines()[-1]


def test_401_refreshes_the_oauth_token_once_and_retries(run, net, atomic_env, claude):
    refresh = claude.add_refresh_token("sk-ant-ort01-live-refresh-token")
    atomic_env.write_auth({"anthropic": oauth("sk-ant-oat01-revoked-but-fresh", refresh=refresh)})
    api = Model(net, "POST", "api.anthropic.com", "/v1/messages", anthropic_events("after refresh"),
                replies=[(401, {}, {"type": "error", "error": {"type": "authentication_error", "message": "invalid"}})])
    r = run("ask", "-m", "anthropic/claude-sonnet-4-5", "Q")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "after refresh\n"
    assert len(claude.token_requests()) == 1 and len(api.requests) == 2
    stored = atomic_env.read_auth()["anthropic"]["access"]
    assert stored != "sk-ant-oat01-revoked-but-fresh"
    assert api.requests[1].headers["Authorization"] == "Bearer " + stored


def test_401_after_the_refresh_is_exit_6_naming_atomic_login(run, net, atomic_env, claude):
    refresh = claude.add_refresh_token("sk-ant-ort01-live-refresh-token")
    atomic_env.write_auth({"anthropic": oauth("sk-ant-oat01-revoked-but-fresh", refresh=refresh)})
    denied = (401, {}, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})
    api = Model(net, "POST", "api.anthropic.com", "/v1/messages", replies=[denied, denied, denied])
    line = assert_fails(run("ask", "-m", "anthropic/claude-sonnet-4-5", "Q"), 6, "HTTP 401", "atomic login anthropic")
    assert "Anthropic refused the credential from auth.json (oauth)" in line
    assert len(api.requests) == 2 and len(claude.token_requests()) == 1


def test_an_api_key_refused_is_not_retried(run, net):
    api = Model(net, "POST", "api.openai.com", "/v1/responses",
                replies=[(401, {}, {"error": {"message": "Incorrect API key provided: sk-test-...0001", "code": "invalid_api_key"}})])
    line = assert_fails(run("ask", "-m", "openai/gpt-4o", "Q", OPENAI_API_KEY="sk-test-openai-000001"), 6,
                        "from env OPENAI_API_KEY", "atomic login openai")
    assert len(api.requests) == 1 and "sk-test-openai-000001" not in line


def test_429_honours_retry_after_then_succeeds(run, net):
    api = Model(net, "POST", "api.openai.com", "/v1/responses", responses_events("ok"),
                replies=[(429, {"Retry-After": "1"}, {"error": {"message": "Rate limit reached"}})])
    started = time.monotonic()
    r = run("ask", "-m", "openai/gpt-4o", "Q", OPENAI_API_KEY="sk-test-openai-000001")
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - started >= 1.0 and len(api.requests) == 2
    assert "atomic: warning: api.openai.com answered HTTP 429; trying again in 1 s" in r.stderr


def test_a_retry_after_longer_than_the_bound_is_an_error_that_names_it(run, net):
    api = Model(net, "POST", "api.openai.com", "/v1/responses",
                replies=[(429, {"Retry-After": "120"}, {"error": {"message": "Rate limit reached"}})])
    assert_fails(run("ask", "-m", "openai/gpt-4o", "Q", OPENAI_API_KEY="sk-test-openai-000001",
                     ATOMIC_RETRY_MAX_WAIT="10"),
                 6, "asked to wait 120 s", "ATOMIC_RETRY_MAX_WAIT")
    assert len(api.requests) == 1


def test_5xx_is_retried_a_bounded_number_of_times(run, net):
    busy = (503, {"Content-Type": "text/html"}, "<h1>overloaded</h1>")
    api = Model(net, "POST", "api.openai.com", "/v1/responses", replies=[busy, busy, busy, busy])
    assert_fails(run("ask", "-m", "openai/gpt-4o", "Q", OPENAI_API_KEY="sk-test-openai-000001"), 6,
                 "HTTP 503", "3 times", warnings=True)
    assert len(api.requests) == 3


def test_unknown_model_and_provider_are_usage_errors_with_suggestions(run, net):
    assert_fails(run("ask", "-m", "openai/gpt-4oo", "Q", OPENAI_API_KEY="sk-test-openai-000001"), 2,
                 "unknown model 'gpt-4oo'", "did you mean")
    assert_fails(run("ask", "-m", "opnai/gpt-4o", "Q"), 2, "did you mean 'openai'")
    assert net.hosts.requests == []


def test_no_credential_is_exit_3(run):
    assert_fails(run("ask", "-m", "openai/gpt-4o", "Q"), 3, "atomic login openai")


# Choosing the model, the prompt, --json ------------------------------------------------------

def test_without_m_the_first_provider_with_a_credential_in_menu_order_and_its_default_model(run, net, atomic_env):
    groq = Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", completions_events("from groq"))
    r = run("ask", "Q", GROQ_API_KEY="gsk_test0000000000001", OPENAI_API_KEY="sk-test-openai-000001")
    assert r.returncode == 0 and r.stdout == "from groq\n", r.stderr   # Groq sorts before OpenAI
    assert groq.body_of()["model"] == "llama-3.3-70b-versatile"   # the row's default, not the oldest in the catalogue
    r = run("ask", "-m", "groq", "Q", GROQ_API_KEY="gsk_test0000000000001")   # a provider alone: its default too
    assert r.returncode == 0 and groq.body_of()["model"] == "llama-3.3-70b-versatile", r.stderr

    with open(atomic_env.make_agent_dir() + "/settings.json", "w") as f:
        json.dump({"defaultProvider": "openai", "defaultModel": "gpt-4o"}, f)
    api = Model(net, "POST", "api.openai.com", "/v1/responses", responses_events("from settings"))
    r = run("ask", "Q", GROQ_API_KEY="gsk_test0000000000001", OPENAI_API_KEY="sk-test-openai-000001")
    assert r.stdout == "from settings\n" and api.body_of()["model"] == "gpt-4o", r.stderr
    settings = atomic_env.agent_dir + "/settings.json"
    for bad, needle in (({"defaultProvider": 5}, "defaultProvider: expected an id"),
                        ({"defaultProvider": "nope"}, "defaultProvider: unknown provider 'nope'"),
                        ({"defaultProvider": "openai", "defaultModel": ["gpt-4o"]}, "defaultModel: expected an id")):
        with open(settings, "w") as f:
            json.dump(bad, f)
        assert_fails(run("ask", "Q", OPENAI_API_KEY="sk-test-openai-000001"), 4, settings, needle)


def test_the_prompt_comes_from_stdin_when_absent_or_dash(run, net):
    api = Model(net, "POST", "api.openai.com", "/v1/responses", responses_events("ok"))
    for args in ((), ("-",)):
        r = run("ask", "-m", "openai/gpt-4o", *args, input="question from stdin\n", OPENAI_API_KEY="sk-test-openai-000001")
        assert r.returncode == 0, r.stderr
        assert api.body_of()["input"][-1]["content"][0]["text"] == "question from stdin\n"
    assert_fails(run("ask", "-m", "openai/gpt-4o", input="  \n", OPENAI_API_KEY="sk-test-openai-000001"), 2, "empty")


def test_json_output_is_one_object(run, net):
    Model(net, "POST", "api.openai.com", "/v1/responses",
          responses_events("Four.", reasoning="2+2", usage=(30, 10), model="gpt-5-2025-08-07"))
    r = run("ask", "--json", "-m", "openai/gpt-5", "2+2?", OPENAI_API_KEY="sk-test-openai-000001")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["text"] == "Four." and doc["reasoning"] == "2+2" and doc["stopReason"] == "stop"
    assert doc["usage"] == {"input": 30, "output": 10, "cacheRead": 0, "cacheWrite": 0, "reasoning": 0, "total": 40}
    assert doc["cost"]["total"] == pytest.approx(30 * 1.25e-6 + 10 * 10e-6)
    assert doc["provider"] == "openai" and doc["model"] == "gpt-5" and doc["fast"] is False


def test_a_length_stop_is_named_in_the_summary(run, net):
    Model(net, "POST", "api.openai.com", "/v1/responses", responses_events("cut", status="incomplete"))
    r = run("ask", "-m", "openai/gpt-4o", "Q", OPENAI_API_KEY="sk-test-openai-000001")
    # The word --json gives (stopReason), not the server's own (issue 22).
    assert r.returncode == 0 and summary(r).endswith("stopped: length (the output token limit)"), r.stderr


def test_a_stored_key_that_beats_the_environment_is_said_once(run, net, atomic_env):
    # The billing surprise: auth.json's key is used although OPENAI_API_KEY is set too.
    api = Model(net, "POST", "api.openai.com", "/v1/responses", responses_events("ok", usage=(1, 1)))
    atomic_env.write_auth({"openai": {"type": "api_key", "key": "sk-stored-openai-000001"}})
    r = run("ask", "-m", "openai/gpt-4o", "hi", OPENAI_API_KEY="sk-env-openai-0000000002")
    assert r.returncode == 0, r.stderr
    assert api.last.headers["Authorization"] == "Bearer sk-stored-openai-000001"
    warnings = [line for line in r.stderr.splitlines() if "also found, not used" in line]
    assert len(warnings) == 1 and "env OPENAI_API_KEY" in warnings[0] and "auth.json" in warnings[0]
    assert "sk-env-openai" not in r.stderr and "sk-stored-openai" not in r.stderr


def test_words_and_piped_input_are_one_prompt(run, net):
    # `git diff | atomic ask "Review this change"`: the question, then what was piped in.
    api = Model(net, "POST", "api.openai.com", "/v1/responses", responses_events("ok"))
    r = run("ask", "-m", "openai/gpt-4o", "Review this change", input="--- a\n+++ b\n+new line\n",
            OPENAI_API_KEY="sk-test-openai-000001")
    assert r.returncode == 0, r.stderr
    assert api.body_of()["input"][-1]["content"][0]["text"] == "Review this change\n\n--- a\n+++ b\n+new line\n"
    # stdin from /dev/null (cron, a service) is not a pipe: the words alone, without waiting.
    r = run("ask", "-m", "openai/gpt-4o", "Just this", OPENAI_API_KEY="sk-test-openai-000001")
    assert r.returncode == 0 and api.body_of()["input"][-1]["content"][0]["text"] == "Just this"


def test_gemini_sampling_params_go_into_its_generation_config(run, net, atomic_env):
    atomic_env.write_models({"providers": {"google": {"modelOverrides": {
        "gemini-2.5-flash": {"samplingParams": {"temperature": 0.2, "generationConfig": {"topK": 5},
                                                "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT",
                                                                    "threshold": "BLOCK_NONE"}]}}}}}})
    api = Model(net, "POST", "generativelanguage.googleapis.com", "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
                gemini_events("ok"))
    r = run("ask", "-m", "google/gemini-2.5-flash", "Hi", GEMINI_API_KEY="AIzaSyTest-000000000000000")
    assert r.returncode == 0, r.stderr
    body = api.body_of()
    assert body["generationConfig"] == {"maxOutputTokens": 65536, "thinkingConfig": {"includeThoughts": True},
                                        "temperature": 0.2, "topK": 5}
    assert "temperature" not in body and "topK" not in body
    # A field of the request itself stays where Gemini reads it; a generationConfig given whole merges in.
    assert body["safetySettings"] == [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]


def test_json_keeps_what_arrived_before_an_error_event(run, net):
    text = responses_events("Partial answer")
    cut_at = text.index("event: response.completed")
    error = 'event: error\ndata: {"type":"error","code":"server_error","message":"The server had an error"}\n\n'
    Model(net, "POST", "api.openai.com", "/v1/responses", text[:cut_at] + error)
    r = run("ask", "--json", "-m", "openai/gpt-4o", "Q", OPENAI_API_KEY="sk-test-openai-000001")
    assert r.returncode == 6
    doc = json.loads(r.stdout)
    assert doc["text"] == "Partial answer" and "server_error" in doc["error"]


def test_atomic_fast_off_mends_a_broken_setting_as_its_error_says(run, atomic_env):
    path = atomic_env.make_agent_dir() + "/settings.json"
    with open(path, "w") as f:
        json.dump({"codexFastMode": "yes", "theme": "dark"}, f)
    assert_fails(run("fast"), 4, "atomic fast off")
    r = run("fast", "off")
    assert r.returncode == 0, r.stderr
    with open(path) as f:
        assert json.load(f) == {"codexFastMode": {"chat": False}, "theme": "dark"}


def test_a_broken_project_fast_setting_is_named_and_nothing_is_written(atomic_env, net, tmp_path):
    project = tmp_path / "proj"
    (project / ".atomic").mkdir(parents=True)
    (project / ".atomic" / "settings.json").write_text('{"codexFastMode": {"chat": "x"}}')
    atomic_env.trust(project)  # a broken file may be trusted: the problem is then reported where it is read
    global_file = os.path.join(atomic_env.make_agent_dir(), "settings.json")
    r = atomic_env.run("fast", "off", "--chat", cwd=str(project))
    line = assert_fails(r, 4, str(project / ".atomic" / "settings.json"), "codexFastMode.chat must be true or false",
                        "fix it there")
    assert "atomic fast off" not in line and not os.path.exists(global_file)


def test_a_stream_line_without_end_is_refused_not_held_without_limit(run, net):
    # A server (or a proxy gone wrong) that never ends its line: refused past 4 MiB, quickly.
    Model(net, "POST", "api.openai.com", "/v1/responses", parts=[b"data: " + b"x" * 65536] * 80)
    started = time.monotonic()
    r = run("ask", "-m", "openai/gpt-4o", "Q", OPENAI_API_KEY="sk-test-openai-000001")
    assert r.returncode == 6 and "over 4 MiB" in r.stderr.splitlines()[-1], r.stderr
    assert time.monotonic() - started < 20


def test_escape_sequences_in_an_answer_are_shown_not_obeyed_on_a_terminal(run, net, atomic_env):
    from terminal import Terminal

    hostile = "Hi\x1b]0;pwned\x07 there\x1b]52;c;ZXZpbA==\x07\x1b[2J\tdone"
    Model(net, "POST", "api.openai.com", "/v1/responses", responses_events(hostile))
    env = dict(atomic_env.env, **net.env(), OPENAI_API_KEY="sk-test-openai-000001")
    with Terminal(["ask", "-m", "openai/gpt-4o", "Q"], env, stdout_too=True) as term:
        code, shown = term.finish(timeout=60)
    assert code == 0, shown
    assert "\x1b]" not in shown and "\x07" not in shown and "\x1b[2J" not in shown
    assert "Hi?]0;pwned? there?]52;c;ZXZpbA==??[2J" in shown
    piped = run("ask", "-m", "openai/gpt-4o", "Q", OPENAI_API_KEY="sk-test-openai-000001")
    assert piped.stdout == hostile + "\n"                               # data for a program: as it came


def test_no_credential_anywhere_is_exit_3_and_argv_that_is_not_utf8_is_sent_as_replacement(run, net, atomic_env):
    assert_fails(run("ask", "hi"), 3, "no provider has a credential yet", "atomic login")
    import subprocess
    from conftest import ATOMIC_PY, PYTHON

    api = Model(net, "POST", "api.openai.com", "/v1/responses", responses_events("ok"))
    env = dict(atomic_env.env, **net.env(), OPENAI_API_KEY="sk-test-openai-000001")
    r = subprocess.run([PYTHON.encode(), ATOMIC_PY.encode(), b"ask", b"-m", b"openai/gpt-4o", b"x\xffy"], env=env,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 0, r.stderr
    assert api.body_of()["input"][-1]["content"][0]["text"] == "x\ufffdy"


def test_what_came_in_a_burst_is_on_stdout_before_atomic_waits_for_more(atomic_env, net):
    # Deltas that arrive together are written together (one flush, not one each: most of a fast
    # stream's cost), but nothing waits behind the network: all of the burst is shown before the
    # next read, here while the server holds the rest until the test has seen the burst.
    import threading

    from conftest import start_atomic

    burst = "".join("word%d " % n for n in range(40))
    text = completions_events(burst)
    cut = text.rindex("data:", 0, text.index('"finish_reason": "stop"'))  # every delta, then the end
    seen, waited = threading.Event(), []
    Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions",
          parts=[text[:cut].encode(), text[cut:].encode()], between=lambda n: n and waited.append(seen.wait(5)))
    env = dict(atomic_env.env, **net.env())
    proc = start_atomic(["ask", "-m", "groq/llama-3.3-70b-versatile", "Q"], dict(env, GROQ_API_KEY="gsk_test0000000000001"),
                        stdin=subprocess.DEVNULL)
    shown = b""
    try:
        while burst.encode() not in shown:
            piece = proc.stdout.read1(4096)
            assert piece, (shown, proc.stderr.read())
            shown += piece
        seen.set()
        out, err = proc.communicate(timeout=30)
    finally:
        seen.set()
        proc.kill()
    assert proc.returncode == 0, err
    assert waited == [True], "the burst reached stdout only after the server sent the rest"
    assert (shown + out).decode() == burst + "\n"
