"""atomic serve under load and faults: many streams at once, a client that leaves, an upstream that
stalls, resets or sends nonsense, a full house, a stop while answers are running. Real processes
and sockets; the SDKs as clients."""
import http.client
import json
import signal
import threading
import time

import pytest

from gateway import ask, gateway_fixture, no_sdk_variables  # noqa: F401 (an autouse fixture)
from serving import Served, raw_socket

anthropic = pytest.importorskip("anthropic")
openai = pytest.importorskip("openai")


gw = gateway_fixture("faults")
# A gateway that gives an upstream 2 s to start answering and 2 s between its events.
short = gateway_fixture("short", ATOMIC_FIRST_BYTE_TIMEOUT="2", ATOMIC_IDLE_TIMEOUT="2")


@pytest.fixture(autouse=True)
def _fresh(request):
    yield
    for name in ("gw", "short"):
        if name in request.fixturenames:
            request.getfixturevalue(name).up.clear()


def stream_body(model, said, family="chat"):
    if family == "messages":
        return "/v1/messages", {"model": model, "max_tokens": 100, "stream": True,
                                "messages": [{"role": "user", "content": said}]}
    return "/v1/chat/completions", {"model": model, "stream": True, "messages": [{"role": "user", "content": said}]}


def post(gw, path, body, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", gw.served.port, timeout=timeout)
    conn.request("POST", path, json.dumps(body), {"Authorization": "Bearer " + gw.token,
                                                  "Content-Type": "application/json", "anthropic-version": "2023-06-01"})
    return conn, conn.getresponse()


# -- many at once ----------------------------------------------------------------------------------------

def test_a_hundred_streams_at_once_each_get_their_own_answer_whole(gw):
    results, errors = {}, []
    # One client of each SDK for all threads (as an application would have), with room for all.
    pool = dict(max_connections=100, max_keepalive_connections=100)
    oa = gw.openai(http_client=openai.DefaultHttpxClient(limits=_limits(openai, pool), timeout=60))
    an = gw.anthropic(http_client=anthropic.DefaultHttpxClient(limits=_limits(anthropic, pool), timeout=60))

    def one(n):
        family = "messages" if n % 2 else "chat"
        model = "openai/gpt-4o" if n % 3 else "groq/llama-3.3-70b-versatile"
        try:
            if family == "chat":
                events = oa.chat.completions.create(model=model, stream=True,
                                                        messages=[{"role": "user", "content": "question %d" % n}])
                results[n] = "".join(c.choices[0].delta.content or "" for c in events if c.choices)
            else:
                with an.messages.stream(model=model, max_tokens=50,
                                                    messages=[{"role": "user", "content": "question %d" % n}]) as s:
                    results[n] = s.get_final_text()
        except Exception as exc:  # noqa: BLE001 - every failure is reported below
            errors.append((n, repr(exc)))

    threads = [threading.Thread(target=one, args=(n,)) for n in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    for n in range(100):
        assert results[n].endswith("said=question %d" % n), (n, results[n])


def _limits(sdk, pool):
    """The Limits of the HTTP library the SDK's own client is built on."""
    import importlib

    base = next(k for k in type(sdk.DefaultHttpxClient()).__mro__ if not k.__module__.startswith(sdk.__name__))
    return importlib.import_module(base.__module__.split(".")[0]).Limits(**pool)


def test_more_than_max_concurrent_gets_503_with_retry_after(gw):
    full = Served(dict(gw.env.env, **gw.net.env()), "--max-concurrent", "1")
    try:
        gw.up.groq.slow(pieces=20, gap=0.1)
        conn = http.client.HTTPConnection("127.0.0.1", full.port, timeout=30)
        conn.request("POST", "/v1/chat/completions", json.dumps({"model": "groq/llama-3.3-70b-versatile",
                                                                 "stream": True, "messages": [{"role": "user", "content": "x"}]}),
                     {"Authorization": "Bearer " + gw.token, "Content-Type": "application/json"})
        first = conn.getresponse()
        assert first.status == 200 and first.read1(10)
        client = anthropic.Anthropic(base_url="http://127.0.0.1:%d" % full.port, api_key=gw.token, max_retries=0)
        with pytest.raises(anthropic.APIStatusError) as caught:
            client.messages.create(model="anthropic/claude-sonnet-4-5", max_tokens=5,
                                   messages=[{"role": "user", "content": "y"}])
        assert caught.value.status_code == 503 and caught.value.response.headers["retry-after"] == "1"
        assert caught.value.body["error"]["type"] == "overloaded_error"
        first.read()
        # The place is given back just after the answer's last byte went: the SDK's own retry
        # (Retry-After: 1) finds it free.
        patient = anthropic.Anthropic(base_url="http://127.0.0.1:%d" % full.port, api_key=gw.token, max_retries=2)
        assert patient.messages.create(model="anthropic/claude-sonnet-4-5", max_tokens=5,
                                       messages=[{"role": "user", "content": "y"}]).content
    finally:
        full.kill()


# -- a client that leaves -----------------------------------------------------------------------------------

@pytest.mark.parametrize("family, model", [("chat", "groq/llama-3.3-70b-versatile"), ("messages", "openai/gpt-4o")])
def test_a_client_that_leaves_mid_stream_frees_its_upstream_connection(gw, family, model):
    upstream = gw.up.groq if model.startswith("groq") else gw.up.openai
    upstream.slow(pieces=100, gap=0.05)  # five seconds of answer
    conn, resp = post(gw, *stream_body(model, "leave", family))
    assert resp.status == 200 and resp.read1(100)
    deadline = time.monotonic() + 3
    while upstream.open_streams == 0:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    conn.sock.shutdown(2)
    conn.close()
    left = time.monotonic()
    while upstream.open_streams:
        assert time.monotonic() - left < 2, "the upstream is still being read"
        time.sleep(0.02)
    line = gw.served.wait_for(lambda l: " 499 " in l and model in l)
    assert "went away" in line
    assert gw.anthropic().messages.create(model=model, max_tokens=5, messages=[{"role": "user", "content": "again"}])


# -- an upstream that fails -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fault", ["stall", "reset"])
@pytest.mark.parametrize("inbound, model", [("chat", "groq/llama-3.3-70b-versatile"), ("messages", "openai/gpt-4o"),
                                            ("responses", "anthropic/claude-sonnet-4-5")])
def test_an_upstream_that_stalls_or_resets_before_answering_is_a_clean_502(short, inbound, model, fault):
    gw = short
    upstream = {"groq": gw.up.groq, "openai": gw.up.openai, "anthropic": gw.up.anthropic}[model.split("/")[0]]
    getattr(upstream, fault)()
    started = time.monotonic()
    with pytest.raises((openai.APIStatusError, anthropic.APIStatusError)) as caught:
        ask(gw, inbound, model, stream=True, tools=False)
    assert caught.value.status_code == 502
    assert time.monotonic() - started < 10
    assert ask(gw, inbound, model, stream=True, tools=False)[0].endswith("said=What is the weather in Paris?")


@pytest.mark.parametrize("inbound, model", [("messages", "openai/gpt-4o"), ("chat", "openai/gpt-4o"),
                                            ("responses", "anthropic/claude-sonnet-4-5")])
def test_a_malformed_event_after_the_answer_began_is_the_caller_s_in_stream_error(gw, inbound, model):
    upstream = gw.up.openai if model.startswith("openai") else gw.up.anthropic
    upstream.malformed()
    if inbound == "responses":  # the Responses API's own end of a failed answer
        events = list(gw.openai().responses.create(model=model, input="hi", stream=True))
        assert events[0].type == "response.created" and events[-1].type == "response.failed"
        assert events[-1].response.error.message
    else:
        with pytest.raises((openai.APIError, anthropic.APIError)):
            ask(gw, inbound, model, stream=True, tools=False)
    gw.served.wait_for(lambda l: " %s %s " % (inbound, model) in l and "error=" in l and "JSON" in l.upper())


# -- stopping -------------------------------------------------------------------------------------------------

def test_sigterm_lets_a_running_stream_finish_and_refuses_new_connections(gw):
    served = Served(dict(gw.env.env, **gw.net.env()))
    try:
        gw.up.groq.slow(pieces=20, gap=0.05)
        gw.served, kept = served, gw.served
        conn, resp = post(gw, *stream_body("groq/llama-3.3-70b-versatile", "finish"))
        assert resp.status == 200 and resp.read1(10)
        served.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        while True:  # the listener closes at once
            try:
                raw_socket(served.port).close()
            except OSError:
                break
            assert time.monotonic() < deadline
            time.sleep(0.02)
        rest = resp.read().decode()
        assert "w19" in rest and "[DONE]" in rest
        assert served.proc.wait(10) == 0
    finally:
        gw.served = kept
        served.kill()


def test_a_token_revoked_while_its_stream_runs_is_refused_at_its_next_request(gw):
    from serving import make_token

    token = make_token(gw.env, "brief")
    gw.up.groq.slow(pieces=20, gap=0.05)
    conn = http.client.HTTPConnection("127.0.0.1", gw.served.port, timeout=30)
    conn.request("POST", "/v1/chat/completions", json.dumps({"model": "groq/llama-3.3-70b-versatile", "stream": True,
                                                             "messages": [{"role": "user", "content": "x"}]}),
                 {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    resp = conn.getresponse()
    assert resp.status == 200 and resp.read1(10)
    assert gw.env.run("serve", "token", "revoke", "brief").returncode == 0
    client = openai.OpenAI(base_url=gw.served.url + "/v1", api_key=token, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="groq/llama-3.3-70b-versatile", messages=[{"role": "user", "content": "y"}])
    assert "[DONE]" in resp.read().decode()  # the answer that had begun ends as it should


def test_a_provider_connection_is_kept_for_the_next_request_and_replaced_once_closed(gw):
    """Whole answers leave the connection open: the next request goes on it (one CONNECT through
    the proxy for three requests). A streamed answer here ends with the server closing the
    connection without saying so: the next request finds it closed and goes on a new one."""
    def connects():
        return len([t for t in gw.net.proxy.targets if t.startswith("api.groq.com")])

    client = gw.openai()
    chat = dict(model="groq/llama-3.3-70b-versatile", messages=[{"role": "user", "content": "kept"}])
    client.chat.completions.create(**chat)
    before = connects()
    for _ in range(3):
        assert client.chat.completions.create(**chat).choices[0].message.content.endswith("said=kept")
    assert connects() == before
    assert "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(stream=True, **chat)
                   if c.choices).endswith("said=kept")
    assert client.chat.completions.create(**chat).choices[0].message.content.endswith("said=kept")
    assert connects() == before + 1
