"""The client layer through the real CLI: one rule for the credential a request carries, errors
masked by the exact values a request carried, an answer streamed without being kept, files
attached and refused by capability, --max-tokens, --json's tool calls, and how a target is
routed. Stand-ins speak the real formats, over loopback."""
import base64
import json
import os
import subprocess
import textwrap

import pytest

from conftest import PYTHON, REPO, assert_fails
from llmfakes import Model, completions_events, responses_events
from netfakes import FakeHosts, reply, sse, stream

VLLM_KEY = "vllm-stored-key-0000000001"
UNSHAPED = "zq7Unshaped0Credential1Value2X"  # a key of no vendor's shape: masked only by its value
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


@pytest.fixture
def run(atomic_env, net):
    def go(*args, input=None, **env):
        full = dict(net.env(), ATOMIC_RETRY_BACKOFF="0.05")
        full.update(env)
        return atomic_env.run(*args, input=input, env=full)
    return go


@pytest.fixture
def local():
    """A plain-HTTP server on 127.0.0.1: a model server of one's own (vLLM, Ollama)."""
    server = FakeHosts(None)
    yield server
    server.close()


def vllm(atomic_env, local, denied=False, **config):
    models = {"providers": {"vllm": dict({"baseUrl": local.url + "/v1", "api": "openai-completions",
                                          "models": [{"id": "m1"}]}, **config)}}
    atomic_env.write_models(models)
    seen = []

    @local.route("POST", "127.0.0.1", "/v1/chat/completions")
    def chat(req):
        seen.append(req)
        if denied or req.headers.get("Authorization") not in (None, "Bearer " + VLLM_KEY):
            return reply(401, {"error": {"message": "invalid api key", "type": "invalid_request_error"}})
        return stream(req, [completions_events("served", model="m1")])

    @local.route("GET", "127.0.0.1", "/v1/models")
    def model_list(req):
        seen.append(req)
        return reply(200, {"object": "list", "data": [{"id": "m1"}]})

    return seen


# Issue 18 item 7: a credential anywhere in the chain is sent, on every path ------------------------

def test_a_custom_provider_logged_in_without_apikey_gets_its_stored_key_on_every_path(atomic_env, local):
    seen = vllm(atomic_env, local)
    login = atomic_env.run("login", "vllm", input=VLLM_KEY + "\n")
    assert login.returncode == 0, login.stderr
    r = atomic_env.run("ask", "-m", "vllm/m1", "hi")
    assert r.returncode == 0 and r.stdout == "served\n", r.stderr
    assert seen[-1].headers.get("Authorization") == "Bearer " + VLLM_KEY
    header = atomic_env.run("key", "vllm", "--header")
    assert header.stdout == "Authorization: Bearer %s\n" % VLLM_KEY
    check = atomic_env.run("status", "--check", "vllm")
    assert check.returncode == 0, check.stdout + check.stderr
    assert seen[-1].path == "/v1/models" and seen[-1].headers.get("Authorization") == "Bearer " + VLLM_KEY


def test_a_keyless_server_is_sent_no_key_and_its_refusal_says_how_to_give_one(atomic_env, local):
    seen = vllm(atomic_env, local, denied=True)
    line = assert_fails(atomic_env.run("ask", "-m", "vllm/m1", "hi"), 6, "127.0.0.1", "HTTP 401", "invalid api key",
                        "vllm takes a key", "atomic login vllm")
    assert "Authorization" not in seen[-1].headers, line


# Issue 18 item 8: masked by the exact values the request carried ---------------------------------------

def test_an_in_stream_error_quoting_a_key_of_no_known_shape_is_masked_on_stderr_and_in_json(atomic_env, local):
    vllm(atomic_env, local, apiKey=UNSHAPED)
    error = {"error": {"message": "key %s is over its quota" % UNSHAPED, "type": "insufficient_quota"}}

    @local.route("POST", "127.0.0.1", "/v1/chat/completions")
    def chat(req):
        assert req.headers["Authorization"] == "Bearer " + UNSHAPED
        text = completions_events("partial")
        return stream(req, [text[:text.rindex("data: ", 0, text.index('"finish_reason": "stop"'))] + sse(error)])

    r = atomic_env.run("ask", "-m", "vllm/m1", "hi")
    assert r.returncode == 6 and r.stdout == "partial\n", r.stderr
    assert "reported an error in the middle of the answer: insufficient_quota: key " in r.stderr
    assert UNSHAPED not in r.stderr and UNSHAPED[-4:] in r.stderr
    r = atomic_env.run("ask", "--json", "-m", "vllm/m1", "hi")
    assert r.returncode == 6
    doc = json.loads(r.stdout)
    assert "insufficient_quota" in doc["error"] and UNSHAPED not in doc["error"] and UNSHAPED not in r.stderr


def test_a_busy_error_quoting_the_key_is_masked_in_the_retry_warning_too(atomic_env, local):
    vllm(atomic_env, local, apiKey=UNSHAPED)
    busy = [sse({"error": {"message": "overloaded for %s" % UNSHAPED, "type": "overloaded_error"}})]

    @local.route("POST", "127.0.0.1", "/v1/chat/completions")
    def chat(req):
        return stream(req, [busy.pop()] if busy else [completions_events("after the wait", model="m1")])

    r = atomic_env.run("ask", "-m", "vllm/m1", "hi", env={"ATOMIC_RETRY_BACKOFF": "0.01"})
    assert r.returncode == 0 and r.stdout == "after the wait\n", r.stderr
    assert "overloaded for" in r.stderr and "trying again" in r.stderr and UNSHAPED not in r.stderr


def test_an_http_error_quoting_a_credential_header_whose_name_says_nothing_is_masked(atomic_env, local):
    # models.json headers that come from a credential source ($VAR) are secrets whatever their name.
    gateway = "gw7Plain8Looking9Credential0Z"
    vllm(atomic_env, local, headers={"X-Gateway-Credential": "$GATEWAY_CREDENTIAL"})

    @local.route("POST", "127.0.0.1", "/v1/chat/completions")
    def chat(req):
        quoted = req.headers["X-Gateway-Credential"]
        return reply(403, {"error": {"message": "gateway credential %s is revoked" % quoted}})

    r = atomic_env.run("ask", "-m", "vllm/m1", "hi", env={"GATEWAY_CREDENTIAL": gateway})
    line = assert_fails(r, 6, "HTTP 403", "is revoked")
    assert gateway not in r.stderr, line


# Issue 18 item 13: an answer printed as it comes is not kept ----------------------------------------------

PEAK = """
import sys
sys.path.insert(0, %r)
import atomic
code = atomic.main(sys.argv[2:])
sys.stdout.flush()
with open("/proc/self/status") as f, open(sys.argv[1], "w") as out:
    out.write(next(line for line in f if line.startswith("VmHWM:")).split()[1])
sys.exit(code)
""" % REPO


def _peak_kib(atomic_env, tmp_path, *args):
    out, sink = tmp_path / "peak", tmp_path / "stdout"
    with open(sink, "wb") as stdout:
        r = subprocess.run([PYTHON, "-c", PEAK, str(out)] + list(args), env=atomic_env.env, stdout=stdout,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    return int(out.read_text()), os.path.getsize(sink)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="peak memory is read from /proc")
def test_a_long_answer_printed_by_ask_is_not_kept_in_memory(atomic_env, local, tmp_path):
    piece = "0123456789abcdef" * 4096  # 64 KiB of text per event
    events = 768                          # 48 MiB in all
    vllm(atomic_env, local)
    head = '{"id":"c","object":"chat.completion.chunk","model":"m1","choices":[{"index":0,"delta":{"content":"'
    event = ("data: " + head + piece + '"},"finish_reason":null}]}\n\n').encode()
    tail = ("data: " + head + '"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n').encode()

    @local.route("POST", "127.0.0.1", "/v1/chat/completions")
    def answer(req):
        count = events if req.json()["messages"][-1]["content"] == "long" else 1
        return stream(req, [event] * count + [tail])

    small, size = _peak_kib(atomic_env, tmp_path, "ask", "-m", "vllm/m1", "short")
    assert size == len(piece) + 1
    large, size = _peak_kib(atomic_env, tmp_path, "ask", "-m", "vllm/m1", "long")
    assert size == events * len(piece) + 1
    assert large - small < 16 * 1024, (small, large)  # 48 MiB went through; far less stayed


# Attachments, refused by capability ---------------------------------------------------------------------

# An extension with two wire protocols of its own, one that carries images and one written to the
# text-only contract, and three models: one of each, and one whose catalogue entry takes no image.
LENS = '''
import json
from providers import api

PROVIDERS = [api.Provider("lens", "Lens", env="LENS_API_KEY", base_url="https://api.acme.example.com/v1",
                          api="lens-vision")]


def models(ctx):
    return [{"id": "vision-1", "api": "lens-vision", "input": ["text", "image"], "cost": {"input": 1, "output": 2}},
            {"id": "blind-1", "api": "lens-text", "input": ["text", "image"]},
            {"id": "words-1", "api": "lens-vision", "input": ["text"]}]


class Vision:
    """POST {base}/lens: the request's blocks as they are; its answer: text, reasoning, a tool call."""
    CARRIES = {"text", "images"}

    @staticmethod
    def build(model, base_url, headers, request):
        blocks = [{"role": m.role, "kind": b.kind, "text": getattr(b, "text", None),
                   "media_type": getattr(b, "media_type", None), "data": getattr(b, "data", None)}
                  for m in request.turns for b in m.blocks]
        headers.setdefault("Content-Type", "application/json")
        return api.ApiRequest("POST", base_url + "/lens", headers, json={
            "model": model["id"], "max_tokens": request.options.max_tokens, "blocks": blocks})

    @staticmethod
    def read(events, sink):
        for event in events:
            doc = api.json_event(event, "Lens")
            if "thought" in doc:
                sink.reasoning(doc["thought"])
            if "text" in doc:
                sink.text(doc["text"])
            if "call" in doc:
                sink.tool_call(doc["call"]["id"], doc["call"]["name"])
                for fragment in doc["call"]["args"]:
                    sink.tool_args(fragment)
            if doc.get("done"):
                sink.usage["input"], sink.usage["output"] = doc["usage"]
                sink.stop("toolUse" if "call" in doc else "stop", doc.get("why"))
                sink.finished = True
                return


class Text:
    @staticmethod
    def build(model, base_url, headers, turn):
        return api.ApiRequest("POST", base_url + "/lens-text", headers, json={"prompt": turn.messages[-1]["content"]})

    read = Vision.read


def wire(api_id):
    return {"lens-vision": Vision, "lens-text": Text}.get(api_id)
'''


@pytest.fixture
def lens(atomic_env, net):
    atomic_env.make_agent_dir()
    folder = os.path.join(atomic_env.agent_dir, "extensions")
    os.makedirs(folder, 0o700)
    with open(os.path.join(folder, "lens.py"), "w") as f:
        f.write(textwrap.dedent(LENS))
    requests = []

    @net.hosts.route("POST", "api.acme.example.com", "/v1/lens")
    def answer(req):
        requests.append(req)
        return stream(req, [sse({"thought": "Looking."}, {"text": "A red dot."},
                                {"call": {"id": "call_1", "name": "zoom", "args": ['{"factor"', ': 2}']},
                                 "done": True, "usage": [1000, 20], "why": "tool_calls"})])

    return requests


def test_an_image_goes_to_a_model_that_takes_images_and_json_reports_the_whole_answer(run, atomic_env, lens, tmp_path):
    picture = tmp_path / "dot.png"
    picture.write_bytes(PNG)
    notes = tmp_path / "notes.txt"
    notes.write_text("the dot is red\n")
    r = run("ask", "--json", "-m", "lens/vision-1", "-a", str(picture), "-a", str(notes), "--max-tokens", "300",
            "What is it?", LENS_API_KEY="lens-key-000000000001")
    assert r.returncode == 0, r.stderr
    body = lens[-1].json()
    assert body["max_tokens"] == 300
    assert body["blocks"] == [
        {"role": "user", "kind": "image", "text": None, "media_type": "image/png",
         "data": base64.b64encode(PNG).decode()},
        {"role": "user", "kind": "text", "text": '<file name="%s">\nthe dot is red\n</file>\n' % notes,
         "media_type": None, "data": None},
        {"role": "user", "kind": "text", "text": "What is it?", "media_type": None, "data": None}]
    doc = json.loads(r.stdout)
    assert doc["text"] == "A red dot." and doc["reasoning"] == "Looking."
    assert doc["toolCalls"] == [{"id": "call_1", "name": "zoom", "arguments": '{"factor": 2}'}]
    assert doc["stopReason"] == "toolUse" and doc["rawStopReason"] == "tool_calls"
    assert doc["usage"]["input"] == 1000 and doc["usage"]["output"] == 20
    assert doc["cost"]["total"] == pytest.approx(1000 * 1e-6 + 20 * 2e-6)


def test_an_image_for_a_model_or_a_wire_api_without_image_input_is_refused_with_a_sentence(run, net, lens, tmp_path):
    picture = tmp_path / "dot.png"
    picture.write_bytes(PNG)
    key = {"LENS_API_KEY": "lens-key-000000000001"}
    assert_fails(run("ask", "-m", "lens/words-1", "-a", str(picture), "What?", **key), 2,
                 "lens/words-1 takes no images", "atomic models --images")
    assert_fails(run("ask", "-m", "lens/blind-1", "-a", str(picture), "What?", **key), 2,
                 "lens/blind-1 cannot be sent images", "lens-text wire module carries text only")
    assert_fails(run("ask", "-m", "groq/llama-3.3-70b-versatile", "-a", str(picture), "What?",
                     GROQ_API_KEY="gsk_test0000000000001"), 2, "groq/llama-3.3-70b-versatile takes no images")
    assert net.hosts.requests == []


def test_a_file_that_is_neither_an_image_nor_text_is_refused(run, net, tmp_path):
    blob = tmp_path / "data.bin"
    blob.write_bytes(b"\x00\x01\x02binary\xff")
    assert_fails(run("ask", "-m", "openai/gpt-4o", "-a", str(blob), "Q", OPENAI_API_KEY="sk-test-openai-000001"), 2,
                 str(blob), "neither an image", "nor UTF-8 text")
    assert_fails(run("ask", "-m", "openai/gpt-4o", "-a", str(tmp_path / "nope.png"), "Q",
                     OPENAI_API_KEY="sk-test-openai-000001"), 2, "cannot attach", "nope.png")
    assert net.hosts.requests == []


def test_a_text_file_rides_along_on_any_model(run, net, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# Plan\nship it\n")
    api = Model(net, "POST", "api.openai.com", "/v1/responses", responses_events("ok"))
    r = run("ask", "-m", "openai/gpt-4o", "-a", str(notes), "Summarise", OPENAI_API_KEY="sk-test-openai-000001")
    assert r.returncode == 0, r.stderr
    parts = api.body_of()["input"][-1]["content"]  # the file, then the question: text parts of one message
    assert [p["type"] for p in parts] == ["input_text", "input_text"]
    assert "".join(p["text"] for p in parts) == '<file name="%s">\n# Plan\nship it\n</file>\nSummarise' % notes


# --max-tokens and settings.json maxTokens -----------------------------------------------------------------

def test_max_tokens_comes_from_the_flag_else_settings_json(run, atomic_env, lens):
    key = {"LENS_API_KEY": "lens-key-000000000001"}
    assert run("ask", "-m", "lens/vision-1", "Q", **key).returncode == 0
    assert lens[-1].json()["max_tokens"] is None  # the wire module's own default
    settings = os.path.join(atomic_env.agent_dir, "settings.json")
    with open(settings, "w") as f:
        json.dump({"maxTokens": 512}, f)
    assert run("ask", "-m", "lens/vision-1", "Q", **key).returncode == 0
    assert lens[-1].json()["max_tokens"] == 512
    assert run("ask", "-m", "lens/vision-1", "--max-tokens", "64", "Q", **key).returncode == 0
    assert lens[-1].json()["max_tokens"] == 64
    with open(settings, "w") as f:
        json.dump({"maxTokens": "lots"}, f)
    assert_fails(run("ask", "-m", "lens/vision-1", "Q", **key), 4, settings, "maxTokens", "whole number")
    assert_fails(run("ask", "-m", "lens/vision-1", "--max-tokens", "0", "Q", **key), 2, "--max-tokens", "above 0")


def test_chat_caps_each_answer_and_keeps_only_the_text_of_each_answer_for_the_next_turn(atomic_env, net, lens):
    from test_chat import Terminal

    env = dict(atomic_env.env, TERM="dumb", LENS_API_KEY="lens-key-000000000001", **net.env())
    t = Terminal(["chat", "-m", "lens/vision-1", "--max-tokens", "42"], env)
    try:
        t.expect(r"lens/vision-1> ")
        t.type("first\r")
        assert "A red dot." in t.expect(r"lens/vision-1> ")
        t.type("second\r")
        t.expect(r"lens/vision-1> ")
        t.type("/quit\r")
        assert t.wait() == 0
    finally:
        t.close()
    body = lens[-1].json()
    assert body["max_tokens"] == 42
    # The reasoning and the tool call of the first answer are not sent back: its text is.
    assert [(b["role"], b["text"]) for b in body["blocks"]] == [
        ("user", "first"), ("assistant", "A red dot."), ("user", "second")]


# Routing ---------------------------------------------------------------------------------------------------

def test_a_bare_model_id_goes_to_the_first_provider_with_a_credential_that_has_it(run, net):
    api = Model(net, "POST", "api.openai.com", "/v1/responses", responses_events("from openai"))
    r = run("ask", "-m", "gpt-4o", "Q", OPENAI_API_KEY="sk-test-openai-000001")
    assert r.returncode == 0 and r.stdout == "from openai\n", r.stderr
    assert api.body_of()["model"] == "gpt-4o"
    assert_fails(run("ask", "-m", "gpt-4oo", "Q", OPENAI_API_KEY="sk-test-openai-000001"), 2,
                 "unknown provider 'gpt-4oo'")
