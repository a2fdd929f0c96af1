"""atomic ask against an independently written server: LLMock (PyPI `llmock`, MIT), a mock of
the OpenAI (Chat Completions and Responses), Anthropic, Gemini and Mistral APIs with scripted
faults, started here as its own process on 127.0.0.1. Our stand-ins in llmfakes.py are shaped
after the APIs' documentation; this one was written by other people from the same documents, so
a misreading of either side shows up here.

Why this one: the registries were searched for a real program that speaks these protocols
without downloading model weights at run time. Debian's and PyPI's llama.cpp servers need a
GGUF model file, and none small enough ships inside a registry package we could find; the
mock servers looked at were `mockllm` and `fakellm` (OpenAI and Anthropic only, no fault
injection), `llm-mock-api` (OpenAI, Responses, Anthropic) and `llmock` (all five protocols atomic
speaks with custom providers, and a control API for Retry-After 429s and cut-off streams). It
needs Python 3.10 or newer, so on older interpreters this module is skipped (pyproject's test
extra does not install it there); everywhere else a missing llmock is an error, not a skip.
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import assert_fails

if sys.version_info < (3, 10):
    pytest.skip("llmock needs Python 3.10+", allow_module_level=True)

import llmock  # noqa: E402,F401  (installed by the test extra; its absence must fail, not skip)

START = "import sys; from llmock.cli import app; sys.argv[0] = 'llmock'; app()"


@pytest.fixture(scope="module")
def server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMOCK_")}
    proc = subprocess.Popen([sys.executable, "-c", START, "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--response-style", "echo", "--log-level", "warning"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/_llmock/scenario", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("llmock did not start: %s" % proc.stderr.read().decode()[-2000:])
            time.sleep(0.1)
    yield base
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def control(base, method, path, doc=None):
    data = json.dumps(doc).encode() if doc is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"{}")


@pytest.fixture
def mock(server, atomic_env):
    """The server, reset, with models.json pointing custom providers (and Mistral) at it."""
    control(server, "POST", "/_llmock/reset")
    atomic_env.write_models({"providers": {
        "mock-chat": {"baseUrl": server + "/v1", "api": "openai-completions", "models": [{"id": "gpt-4o"}]},
        "mock-responses": {"baseUrl": server + "/v1", "api": "openai-responses", "models": [{"id": "gpt-4o"}]},
        "mock-claude": {"baseUrl": server + "/anthropic", "api": "anthropic-messages",
                        "apiKey": "sk-ant-api03-mock-000000000001", "models": [{"id": "claude-sonnet-4-5"}]},
        "mock-gemini": {"baseUrl": server + "/gemini/v1beta", "api": "google-generative-ai",
                        "apiKey": "AIzaSyMock-0000000000000", "models": [{"id": "gemini-2.5-flash"}]},
        "mistral": {"baseUrl": server + "/mistral", "apiKey": "mistral-mock-key-0001"},
    }})
    return server


def ask(atomic_env, *args):
    return atomic_env.run("ask", *args, env={"ATOMIC_RETRY_BACKOFF": "0.05"})


@pytest.mark.parametrize("model", ["mock-chat/gpt-4o", "mock-responses/gpt-4o", "mock-claude/claude-sonnet-4-5",
                                   "mock-gemini/gemini-2.5-flash", "mistral/mistral-small-latest"])
def test_each_protocol_streams_the_scripted_answer(mock, atomic_env, model):
    control(mock, "POST", "/_llmock/scenario", {"behaviors": [{"type": "reply", "text": "Grüße aus der Ferne, 世界!"}]})
    r = ask(atomic_env, "-m", model, "--system", "be kind", "Hallo")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Grüße aus der Ferne, 世界!\n"
    assert r.stderr.splitlines()[-1].startswith(model + "  ")
    seen = control(mock, "GET", "/_llmock/requests")["requests"]
    assert len(seen) == 1


def test_echo_shows_the_prompt_reached_the_model(mock, atomic_env):
    r = ask(atomic_env, "-m", "mock-chat/gpt-4o", "what did I say")
    assert r.returncode == 0 and "what did I say" in r.stdout, r.stderr


def test_a_429_with_retry_after_is_waited_out_and_llmock_judges_the_client_well(mock, atomic_env):
    control(mock, "POST", "/_llmock/scenario", {"behaviors": [
        {"type": "fail", "status": 429, "retry_after": 1},
        {"type": "reply", "text": "after the wait"}]})
    started = time.monotonic()
    r = ask(atomic_env, "-m", "mock-claude/claude-sonnet-4-5", "Hi")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "after the wait\n" and time.monotonic() - started >= 1.0
    verdict = control(mock, "GET", "/_llmock/verdict")
    assert verdict["passed"] is True, verdict


def test_a_truncated_stream_is_exit_6_with_what_arrived_kept(mock, atomic_env):
    control(mock, "POST", "/_llmock/scenario", {"behaviors": [
        {"type": "reply", "text": "one two three four five six seven"},
        {"type": "stream_fault", "kind": "truncate", "after_chunks": 3}]})
    r = ask(atomic_env, "-m", "mock-chat/gpt-4o", "Hi")
    assert r.returncode == 6
    assert r.stdout.startswith("one") and not r.stdout.startswith("one two three four five six seven")
    assert "cut off" in r.stderr.splitlines()[-1]


def test_a_dropped_connection_is_exit_6(mock, atomic_env):
    control(mock, "POST", "/_llmock/scenario", {"behaviors": [
        {"type": "stream_fault", "kind": "disconnect", "after_chunks": 2}]})
    r = ask(atomic_env, "-m", "mock-chat/gpt-4o", "Hi")
    assert r.returncode == 6 and "127.0.0.1" in r.stderr.splitlines()[-1], r.stderr


def test_an_error_that_no_retry_can_fix_is_not_retried(mock, atomic_env):
    control(mock, "POST", "/_llmock/scenario", {"behaviors": [{"type": "fail", "status": 400, "message": "bad input"}]})
    assert_fails(ask(atomic_env, "-m", "mock-gemini/gemini-2.5-flash", "Hi"), 6, "HTTP 400")
    assert len(control(mock, "GET", "/_llmock/requests")["requests"]) == 1


# Tools: llmock reads the tools of atomic's request with its own parsers, calls the one that fits
# the prompt with arguments valid against its schema, and answers in text once the request holds
# the tool's result; atomic's readers take its streams apart. Two independent readings of each
# protocol's tool calls, in both directions.

TOOL_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
               "required": ["city", "days"]}


@pytest.mark.parametrize("api, base, model_id", [
    ("openai_completions", "/v1", "gpt-4o"),
    ("openai_responses", "/v1", "gpt-4o"),
    ("anthropic_messages", "/anthropic", "claude-sonnet-4-5"),
    ("google_generative_ai", "/gemini/v1beta", "gemini-2.5-flash"),
    ("mistral_conversations", "/mistral", "mistral-small-latest"),
])
def test_a_tool_call_and_its_result_round_trip_through_llmock(server, api, base, model_id, monkeypatch):
    import importlib

    from llmfakes import exchange
    from providers._wire import ir

    monkeypatch.delenv("ATOMIC_CACHE_RETENTION", raising=False)
    control(server, "POST", "/_llmock/reset")
    module = importlib.import_module("providers._wire." + api)
    model = {"id": model_id, "baseUrl": server + base, "api": api.replace("_", "-"), "maxTokens": 1024}
    tools = [ir.Tool("lookup_forecast", "The weather forecast for a city", TOOL_SCHEMA),
             ir.Tool("send_email", "Send an email to someone", {"type": "object", "properties": {}})]
    request = ir.Request("be kind", [ir.Message("user", [ir.Text("What is the weather forecast for Paris?")])], tools,
                         session_id="s-1")
    answer = exchange(None, module, model, server + base, request)
    [call] = answer.tool_calls
    assert call.name == "lookup_forecast" and answer.stop_reason == "toolUse", (answer.blocks, answer.raw_stop)
    arguments = json.loads(call.arguments)
    assert isinstance(arguments["city"], str) and isinstance(arguments["days"], int)

    request.turns += [ir.Message("assistant", answer.blocks),
                      ir.Message("tool", [ir.ToolResult(call.id, [ir.Text("Sunny, 22 C")], name=call.name)])]
    answer = exchange(None, module, model, server + base, request)
    assert answer.tool_calls == [] and answer.full_text and answer.stop_reason == "stop", answer.blocks
