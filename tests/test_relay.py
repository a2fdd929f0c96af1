"""The client layer as a gateway uses it, in a process of its own: relay() passes a caller's body
through to a stand-in upstream with only the model, the credential and the provider's rules
changed, and the answer's bytes back unchanged; the SERVE policy hands a 429 back; a busy error
before any content is asked again only when the policy says so; twenty threads on one expired
token make one refresh (with an `atomic key` in another process); forked contexts run a
!command once."""
import json
import subprocess
import time

from conftest import ATOMIC_PY, PYTHON, REPO
from llmfakes import Model, anthropic_events, completions_events, responses_events
from netfakes import sse, stream
from oauthfakes import make_jwt

HOUR_MS = 3600 * 1000
GROQ_KEY = "gsk_relay0000000000000001"

PRELUDE = """
import json, sys, threading
sys.path.insert(0, %r)
from providers._client.policy import CLI, SERVE, Policy
from providers._client.route import route, Scope
from providers._client.passthrough import relay
from providers._client.exchange import send, UpstreamError
from providers._client.answer import Answer
from providers._core.context import Context
from providers._core.errors import AtomicError
from providers._wire import ir


class Raw(ir.Sink):
    def __init__(self):
        super().__init__()
        self.bytes = b""

    def raw(self, chunk):
        self.bytes += chunk


def out(doc):
    print(json.dumps(doc))
""" % REPO


def run_script(script, env):
    r = subprocess.run([PYTHON, "-c", PRELUDE + script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=90)
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(r.stdout.decode().splitlines()[-1])


def env_of(atomic_env, net, **extra):
    return dict(atomic_env.env, ATOMIC_RETRY_BACKOFF="0.01", **net.env(), **extra)


def test_a_completions_body_is_relayed_with_only_model_and_credential_changed_and_its_bytes_come_back(atomic_env, net):
    upstream = completions_events("Hello through the relay", usage=(11, 6))
    api = Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", upstream)
    caller = {"model": "whatever-the-caller-said", "stream": True, "temperature": 0.3,
              "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
              "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]}
    doc = run_script("""
ctx = Context()
sink = Raw()
outcome = relay(ctx, route(ctx, "groq/llama-3.3-70b-versatile"), %r, sink,
                headers=[("Authorization", "Bearer atm_the_callers_gateway_token"), ("X-Trace", "t-1"),
                         ("x-api-key", "atm_other")])
out({"bytes": sink.bytes.decode(), "usage": sink.usage, "stop": sink.stop_reason, "finished": sink.finished,
     "status": outcome.status, "tries": outcome.tries, "host": outcome.host,
     "first": outcome.first_byte_at is not None})
""" % caller, env_of(atomic_env, net, GROQ_API_KEY=GROQ_KEY))
    assert doc["bytes"] == upstream
    assert doc["usage"]["input"] == 11 and doc["usage"]["output"] == 6 and doc["stop"] == "stop" and doc["finished"]
    assert (doc["status"], doc["tries"], doc["host"], doc["first"]) == (200, 1, "api.groq.com", True)
    sent = api.last
    assert sent.headers["Authorization"] == "Bearer " + GROQ_KEY and "x-api-key" not in sent.headers
    assert sent.headers["X-Trace"] == "t-1"
    assert api.body_of() == dict(caller, model="llama-3.3-70b-versatile")


def test_a_body_that_asks_for_no_stream_gets_the_whole_answer_back_with_its_usage_read(atomic_env, net):
    whole = {"id": "chatcmpl-2", "object": "chat.completion", "model": "llama-3.3-70b-versatile",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": "Whole."}, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 30, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": 10}}}
    api = Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", replies=[(200, {}, whole)])
    doc = run_script("""
ctx = Context()
sink = Raw()
relay(ctx, route(ctx, "groq/llama-3.3-70b-versatile"), {"model": "x", "messages": [], "stream": False}, sink)
out({"bytes": sink.bytes.decode(), "usage": sink.usage, "finished": sink.finished})
""", env_of(atomic_env, net, GROQ_API_KEY=GROQ_KEY))
    assert json.loads(doc["bytes"]) == whole and doc["finished"]
    assert (doc["usage"]["input"], doc["usage"]["cacheRead"], doc["usage"]["output"]) == (20, 10, 3)
    assert api.body_of()["stream"] is False


def test_a_busy_error_before_any_content_is_asked_again_only_when_the_policy_says_so(atomic_env, net):
    answer = anthropic_events("fine now")
    start = answer[:answer.index("event: ping")]
    busy = start + sse(("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))
    first, requests = [busy], []

    @net.hosts.route("POST", "api.anthropic.com", "/v1/messages")
    def serve(req):
        requests.append(req)
        return stream(req, [first.pop() if first else answer])

    script = """
ctx = Context()
target = route(ctx, "anthropic/claude-sonnet-4-5")
body = {"model": "claude-sonnet-4-5", "max_tokens": 100, "stream": True,
        "messages": [{"role": "user", "content": "hi"}]}
sink = Raw()
try:
    outcome = relay(ctx, target, body, sink, policy=%s)
    out({"bytes": sink.bytes.decode(), "tries": outcome.tries, "usage": sink.usage})
except AtomicError as exc:
    out({"error": exc.message, "retryable": exc.retryable, "started": sink.started, "bytes": sink.bytes.decode(),
         "tries": exc.outcome.tries})
"""
    env = env_of(atomic_env, net, ANTHROPIC_API_KEY="sk-ant-api03-relay-000000000001")
    served = run_script(script % "SERVE", env)
    assert served == {"error": "api.anthropic.com reported an error before answering: overloaded_error: Overloaded",
                      "retryable": True, "started": False, "bytes": "", "tries": 1}
    first.append(busy)
    retried = run_script(script % "Policy(retries=2, pause=lambda ctx, why, wait: None)", env)
    assert retried["bytes"] == answer and retried["tries"] == 2  # the caller never saw the first try
    assert retried["usage"]["input"] == 20 and retried["usage"]["output"] == 7
    assert len(requests) == 3


def test_the_serve_policy_hands_a_429_back_with_its_retry_after_and_the_body_masked(atomic_env, net):
    api = Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", replies=[
        (429, {"Retry-After": "7"}, {"error": {"message": "rate limited for key %s" % GROQ_KEY,
                                               "type": "rate_limit"}})])
    doc = run_script("""
ctx = Context()
request = ir.Request(None, [ir.Message("user", [ir.Text("hi")])])
try:
    send(ctx, route(ctx, "groq/llama-3.3-70b-versatile"), request, Answer(), policy=SERVE)
except UpstreamError as exc:
    out({"status": exc.status, "retry_after": exc.retry_after, "body": exc.body.decode(), "message": exc.message,
         "tries": exc.outcome.tries})
""", env_of(atomic_env, net, GROQ_API_KEY=GROQ_KEY))
    assert doc["status"] == 429 and doc["retry_after"] == 7 and doc["tries"] == 1 and len(api.requests) == 1
    assert GROQ_KEY not in doc["body"] and GROQ_KEY not in doc["message"] and "rate limited for key" in doc["body"]
    assert doc["message"].startswith("api.groq.com answered HTTP 429")


def test_a_responses_body_relayed_to_the_codex_backend_follows_the_backend_s_rules(atomic_env, net):
    access = make_jwt({"https://api.openai.com/auth": {"chatgpt_account_id": "acct-9"}, "exp": 9999999999})
    atomic_env.write_auth({"openai-codex": {"type": "oauth", "access": access, "refresh": "rt-1", "accountId": "acct-9",
                                            "expires": int(time.time() * 1000) + HOUR_MS}})
    upstream = responses_events("Codex says hi", model="gpt-5.1")
    api = Model(net, "POST", "chatgpt.com", "/backend-api/codex/responses", upstream)
    caller = {"model": "gpt-5.1", "stream": True, "store": True, "temperature": 0.2, "max_output_tokens": 99,
              "service_tier": "auto", "include": ["message.output_text.logprobs"],
              "input": [{"role": "system", "content": "Be kind."},
                        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}]}
    doc = run_script("""
ctx = Context()
sink = Raw()
outcome = relay(ctx, route(ctx, "openai-codex/gpt-5.1"), %r, sink)
out({"bytes": sink.bytes.decode(), "usage": sink.usage, "family": route(ctx, "openai-codex/gpt-5.1").family})
""" % caller, env_of(atomic_env, net))
    assert doc["bytes"] == upstream and doc["family"] == "openai-responses" and doc["usage"]["input"] == 12
    sent = api.body_of()
    assert sent == {"model": "gpt-5.1", "stream": True, "store": False, "instructions": "You are a helpful assistant.",
                    "include": ["message.output_text.logprobs", "reasoning.encrypted_content"],
                    "input": [{"role": "developer", "content": "Be kind."}, caller["input"][1]]}
    headers = api.last.headers
    assert headers["chatgpt-account-id"] == "acct-9" and headers["Authorization"] == "Bearer " + access
    assert headers["OpenAI-Beta"] == "responses=experimental" and headers["originator"] == "pi"


def test_a_refused_token_is_renewed_before_the_first_byte_of_a_relay(atomic_env, net, claude):
    refresh = claude.add_refresh_token("sk-ant-ort01-relay-refresh-00001")
    atomic_env.write_auth({"anthropic": {"type": "oauth", "access": "sk-ant-oat01-revoked-relay-000001",
                                         "refresh": refresh, "expires": int(time.time() * 1000) + HOUR_MS}})
    answer = anthropic_events("renewed")
    api = Model(net, "POST", "api.anthropic.com", "/v1/messages", answer, replies=[
        (401, {}, {"type": "error", "error": {"type": "authentication_error", "message": "revoked"}})])
    doc = run_script("""
ctx = Context()
sink = Raw()
body = {"model": "x", "max_tokens": 10, "stream": True, "messages": [{"role": "user", "content": "hi"}],
        "system": [{"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude."}]}
outcome = relay(ctx, route(ctx, "anthropic/claude-sonnet-4-5"), body, sink,
                headers=[("anthropic-beta", "interleaved-thinking-2025-05-14")])
out({"bytes": sink.bytes.decode(), "renewed": outcome.renewed, "tries": outcome.tries})
""", env_of(atomic_env, net))
    assert doc == {"bytes": answer, "renewed": True, "tries": 2}
    fresh = atomic_env.read_auth()["anthropic"]["access"]
    assert api.last.headers["Authorization"] == "Bearer " + fresh and len(claude.token_requests()) == 1
    assert set(api.last.headers["anthropic-beta"].split(",")) == {
        "interleaved-thinking-2025-05-14", "claude-code-20250219", "oauth-2025-04-20"}


def test_route_takes_a_scope(atomic_env, net):
    doc = run_script("""
ctx = Context()
scope = Scope(providers=["groq"])
found = route(ctx, "llama-3.3-70b-versatile", scope=scope)
try:
    route(ctx, "openai/gpt-4o", scope=scope)
    refused = None
except AtomicError as exc:
    refused = exc.message
out({"found": found.label, "family": found.family, "refused": refused})
""", env_of(atomic_env, net, GROQ_API_KEY=GROQ_KEY, OPENAI_API_KEY="sk-test-openai-000001"))
    assert doc == {"found": "groq/llama-3.3-70b-versatile", "family": "openai-completions",
                   "refused": "openai/gpt-4o is not among the models this caller may use"}


# Concurrency (docs/design.md §5) ----------------------------------------------------------------------------

def test_twenty_threads_on_an_expired_token_make_one_refresh_with_atomic_key_in_another_process(atomic_env, net,
                                                                                                  claude):
    refresh = claude.add_refresh_token("sk-ant-ort01-threads-refresh-001")
    atomic_env.write_auth({"anthropic": {"type": "oauth", "access": "sk-ant-oat01-expired-threads-0001",
                                         "refresh": refresh, "expires": int(time.time() * 1000) - HOUR_MS}})
    api = Model(net, "POST", "api.anthropic.com", "/v1/messages", anthropic_events("ok"))
    env = env_of(atomic_env, net)
    key = subprocess.Popen([PYTHON, ATOMIC_PY, "key", "anthropic"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    doc = run_script("""
base = Context()
target = route(base, "anthropic/claude-sonnet-4-5")
request = ir.Request(None, [ir.Message("user", [ir.Text("hi")])])
results, start = [], threading.Barrier(20)

def one():
    answer = Answer()
    start.wait()
    try:
        send(base.fork(), target, request, answer)
        results.append(answer.full_text)
    except AtomicError as exc:
        results.append("error: " + exc.message)

threads = [threading.Thread(target=one) for _ in range(20)]
for t in threads:
    t.start()
for t in threads:
    t.join()
out(results)
""", env)
    printed, errors = key.communicate(timeout=60)
    assert doc == ["ok"] * 20
    assert len(claude.token_requests()) == 1
    stored = atomic_env.read_auth()["anthropic"]["access"]
    assert key.returncode == 0 and printed.decode() == stored + "\n", errors
    assert {r.headers["Authorization"] for r in api.requests} == {"Bearer " + stored} and len(api.requests) == 20


def test_forked_contexts_run_a_slow_key_command_once(atomic_env, tmp_path):
    runs = tmp_path / "runs"
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "!sleep 0.3; echo x >> %s; printf gsk_cmd000000000001"
                                                                % runs}})
    doc = run_script("""
from providers import find
from providers._auth.chain import resolve
base = Context()
values, start = [], threading.Barrier(20)

def one():
    start.wait()
    ctx = base.fork()
    values.append(resolve(find("groq", ctx), ctx).value)

threads = [threading.Thread(target=one) for _ in range(20)]
for t in threads:
    t.start()
for t in threads:
    t.join()
base.fork().forget_commands()
values.append(resolve(find("groq", base), base).value)
out(values)
""", atomic_env.env)
    assert doc == ["gsk_cmd000000000001"] * 21
    assert runs.read_text().count("x") == 2  # once for the twenty, once after forget_commands()
