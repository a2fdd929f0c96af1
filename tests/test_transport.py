"""What the transport does under a model's answer, through the real CLI: no redirect is ever
followed (a 3xx is reported as such, and no header reaches the other host), only events count as
progress (keep-alive comments and pings do not hold the first-byte or idle deadline off), and
ATOMIC_TIMEOUT bounds a whole answer."""
import threading
import time

import pytest

from conftest import assert_fails
from llmfakes import Model, anthropic_events, completions_events, responses_events
from netfakes import FakeHosts, sse
from test_ask import run  # noqa: F401  (the fixture)

GATEWAY_SECRET = "gw-credential-not-shaped-like-a-key-0001"
OPENAI = dict(OPENAI_API_KEY="sk-test-openai-000001")


def _gateway(atomic_env):
    """A custom provider of the user's own models.json whose credential is a header with a name
    that does not look secret."""
    atomic_env.write_models({"providers": {"gateway": {
        "baseUrl": "https://api.acme.example.com/v1", "api": "openai-completions",
        "apiKey": "gw-key-0001", "headers": {"X-Gateway-Credential": GATEWAY_SECRET},
        "models": [{"id": "m1"}]}}})


@pytest.mark.parametrize("downgrade", [False, True], ids=["to another host", "to plain http"])
def test_a_redirect_is_reported_and_not_followed_with_the_credential_header(run, net, atomic_env, downgrade):
    _gateway(atomic_env)
    plain = FakeHosts(None)  # a plain-HTTP server on 127.0.0.1 that records what reaches it
    target = "http://127.0.0.1:%d/steal" % plain.port if downgrade else "https://other.example.com/steal"
    try:
        net.hosts.route("POST", "api.acme.example.com", "/v1/chat/completions")(
            lambda req: (302, {"Location": target, "Content-Length": "0"}, b""))
        r = run("ask", "-m", "gateway/m1", "hi")
        line = assert_fails(r, 6, "api.acme.example.com", "HTTP 302", target.split("/")[2])
        assert GATEWAY_SECRET not in r.stderr
        assert net.hosts.seen(host="other.example.com") == [] and plain.requests == [], line
    finally:
        plain.close()


def test_a_redirect_of_the_status_check_is_reported_and_not_followed(net, atomic_env):
    _gateway(atomic_env)
    net.hosts.route("GET", "api.acme.example.com", "/v1/models")(
        lambda req: (307, {"Location": "https://other.example.com/steal", "Content-Length": "0"}, b""))
    r = atomic_env.run("status", "--check", "gateway", env=net.env())
    assert r.returncode == 11, r.stdout + r.stderr
    assert "HTTP 307" in r.stdout and "other.example.com" in r.stdout, r.stdout
    assert net.hosts.seen(host="other.example.com") == []


def test_a_redirect_of_the_token_endpoint_is_reported_and_not_followed(atomic_env, net):
    net.hosts.route("POST", "platform.claude.com", "/v1/oauth/token")(
        lambda req: (301, {"Location": "https://other.example.com/steal", "Content-Length": "0"}, b""))
    atomic_env.write_auth({"anthropic": {"type": "oauth", "access": "sk-ant-oat01-old-0001",
                                         "refresh": "rt-not-shaped-0001", "expires": int(time.time() * 1000) - 1000}})
    r = atomic_env.run("key", "anthropic", env=net.env())
    assert_fails(r, 6, "platform.claude.com", "HTTP 301", "other.example.com")
    assert net.hosts.seen(host="other.example.com") == []


# Only events are progress ---------------------------------------------------------------------

def _paced(stop, seconds=0.1):
    """between(n) for llmfakes.Model: the parts after the first come `seconds` apart, until stop."""
    return lambda n: n and stop.wait(seconds)


def test_keep_alive_comments_before_the_first_event_do_not_hold_off_the_first_byte_deadline(run, net):
    stop = threading.Event()
    Model(net, "POST", "api.openai.com", "/v1/responses", parts=[": keep-alive\n\n"] * 200, between=_paced(stop))
    try:
        started = time.monotonic()
        r = run("ask", "-m", "openai/gpt-4o", "Q", ATOMIC_FIRST_BYTE_TIMEOUT="1", **OPENAI)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
    assert_fails(r, 6, "api.openai.com stopped before answering", "within 1 s")
    assert elapsed < 8, elapsed  # the comments go on for 20 s


@pytest.mark.parametrize("keepalive", ["anthropic ping", "openai keepalive"])
def test_pings_in_the_middle_of_an_answer_do_not_hold_off_the_idle_timeout(run, net, keepalive):
    stop = threading.Event()
    if keepalive == "anthropic ping":
        text = anthropic_events("Started")
        head = text[:text.index("event: content_block_stop")]
        ping = sse(("ping", {"type": "ping"}))
        model, path, env = "anthropic/claude-sonnet-4-5", ("api.anthropic.com", "/v1/messages"), {
            "ANTHROPIC_API_KEY": "sk-ant-api03-test-000000001"}
    else:
        text = responses_events("Started")
        head = text[:text.index("event: response.completed")]
        ping = sse(("keepalive", {"type": "keepalive", "sequence_number": 7}))
        model, path, env = "openai/gpt-4o", ("api.openai.com", "/v1/responses"), OPENAI
    Model(net, "POST", *path, parts=[head] + [ping] * 200, between=_paced(stop))
    try:
        started = time.monotonic()
        r = run("ask", "-m", model, "Q", ATOMIC_IDLE_TIMEOUT="1", **env)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
    assert r.returncode == 6 and r.stdout == "Started\n", r.stderr
    assert "cut off" in r.stderr and "stopped sending for 1 s" in r.stderr.splitlines()[-1], r.stderr
    assert elapsed < 8, elapsed


# ATOMIC_TIMEOUT: the whole answer -------------------------------------------------------------

def _endless(net, stop):
    """An answer whose text keeps coming, a word every 0.1 s, and never ends."""
    text = completions_events("x")
    head = text[:text.index("data: {", text.index("data: {") + 1)]  # the role chunk alone
    word = sse({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "llama-3.3-70b-versatile",
                "choices": [{"index": 0, "delta": {"content": "word "}, "finish_reason": None}]})
    Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", parts=[head] + [word] * 300,
          between=_paced(stop))


@pytest.mark.parametrize("variable", ["ATOMIC_TIMEOUT", "PI_TIMEOUT"])
def test_an_answer_that_never_ends_stops_at_the_whole_answer_timeout(run, net, variable):
    stop = threading.Event()
    _endless(net, stop)
    try:
        started = time.monotonic()
        r = run("ask", "-m", "groq/llama-3.3-70b-versatile", "Q", GROQ_API_KEY="gsk_test0000000000001",
                **{variable: "1.5"})
        elapsed = time.monotonic() - started
    finally:
        stop.set()
    assert r.returncode == 6, r.stderr
    assert r.stdout.startswith("word word ") and "Traceback" not in r.stderr
    last = r.stderr.splitlines()[-1]
    assert last.startswith("atomic: ") and variable in last and "1.5 s" in last and "kept" in last, last
    assert 1.5 <= elapsed < 8, elapsed


def test_the_whole_answer_timeout_bounds_a_server_that_sends_no_headers(run, net):
    stop = threading.Event()
    net.hosts.route("POST", "api.groq.com", "/openai/v1/chat/completions")(lambda req: stop.wait(20) and None)
    try:
        started = time.monotonic()
        r = run("ask", "-m", "groq/llama-3.3-70b-versatile", "Q", GROQ_API_KEY="gsk_test0000000000001",
                ATOMIC_TIMEOUT="1")
        elapsed = time.monotonic() - started
    finally:
        stop.set()
    assert_fails(r, 6, "api.groq.com", "ATOMIC_TIMEOUT", "1 s")
    assert elapsed < 8, elapsed


def test_a_retry_wait_beyond_the_whole_answer_timeout_is_not_waited(run, net):
    busy = Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", completions_events("late"),
                 replies=[(503, {"Retry-After": "20"}, {"error": {"message": "busy"}})])
    started = time.monotonic()
    r = run("ask", "-m", "groq/llama-3.3-70b-versatile", "Q", GROQ_API_KEY="gsk_test0000000000001",
            ATOMIC_TIMEOUT="2", ATOMIC_RETRY_MAX_WAIT="60")
    assert_fails(r, 6, "api.groq.com", "ATOMIC_TIMEOUT", "HTTP 503", warnings=False)
    assert time.monotonic() - started < 8 and len(busy.requests) == 1


def test_a_bad_whole_answer_timeout_is_a_usage_error(run, net):
    assert_fails(run("ask", "-m", "groq/llama-3.3-70b-versatile", "Q", GROQ_API_KEY="gsk_test0000000000001",
                     ATOMIC_TIMEOUT="soon"), 2, "ATOMIC_TIMEOUT")
