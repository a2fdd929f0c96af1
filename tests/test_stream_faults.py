"""What real servers send that is not the happy path: errors in the stream (llama.cpp's `error:`
field, a busy Anthropic before any text), refusals, blocked prompts, UTF-16 surrogates split
across deltas, a close that fails after the last event, a large error page."""
import json

from conftest import assert_fails
from llmfakes import Model, anthropic_events, completions_events
from netfakes import sse
from test_ask import run, summary  # noqa: F401  (the fixture, and the summary line)

GROQ = dict(GROQ_API_KEY="gsk_test0000000000001")
GROQ_MODEL = ("-m", "groq/llama-3.3-70b-versatile")
GROQ_PATH = ("POST", "api.groq.com", "/openai/v1/chat/completions")


def chunk(delta, finish=None):
    return {"id": "c1", "object": "chat.completion.chunk", "model": "llama-3.3-70b-versatile",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def test_a_llama_cpp_error_field_is_the_answer_s_error_not_an_empty_success(run, net):
    body = ('error: {"code":400,"message":"the request exceeds the available context size",'
            '"type":"exceed_context_size_error"}\n\ndata: [DONE]\n\n')
    Model(net, *GROQ_PATH, body)
    line = assert_fails(run("ask", *GROQ_MODEL, "hi", **GROQ), 6, "api.groq.com", "before answering",
                        "exceeds the available context size")
    assert "middle" not in line


def test_a_surrogate_pair_split_across_deltas_arrives_whole(run, net):
    # JSON may escape an emoji as two UTF-16 halves, and a server may cut between them.
    body = ('data: {"choices":[{"delta":{"content":"A \\ud83d"}}]}\n\n'
            'data: {"choices":[{"delta":{"content":"\\ude00 B \\udc00"},"finish_reason":"stop"}]}\n\n'
            'data: [DONE]\n\n')
    Model(net, *GROQ_PATH, body)
    r = run("ask", *GROQ_MODEL, "hi", **GROQ)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "A \U0001F600 B \ufffd\n"          # a lone half, which nothing can print, is U+FFFD


def test_an_event_nested_beyond_reason_is_the_server_s_error(run, net):
    Model(net, *GROQ_PATH, "data: " + "[" * 100000 + "]" * 100000 + "\n\n")
    line = assert_fails(run("ask", *GROQ_MODEL, "hi", **GROQ), 6, "api.groq.com sent an event that is not JSON")
    assert "internal error" not in line


def test_a_refusal_is_shown_and_is_the_stop_reason(run, net):
    body = sse(chunk({"role": "assistant", "content": None, "refusal": "I can't help with that."}),
               chunk({}, "stop"), "[DONE]")
    Model(net, *GROQ_PATH, body)
    r = run("ask", "--json", *GROQ_MODEL, "hi", **GROQ)
    doc = json.loads(r.stdout)
    assert (doc["text"], doc["stopReason"]) == ("I can't help with that.", "refused"), r.stderr


def test_a_responses_answer_stopped_by_the_content_filter_is_refused(run, net):
    body = sse(("response.output_text.delta", {"type": "response.output_text.delta", "delta": "Part"}),
               ("response.incomplete", {"type": "response.incomplete", "response": {
                   "id": "resp_1", "status": "incomplete", "model": "gpt-4o",
                   "incomplete_details": {"reason": "content_filter"},
                   "usage": {"input_tokens": 3, "output_tokens": 1}}}))
    Model(net, "POST", "api.openai.com", "/v1/responses", body)
    r = run("ask", "--json", "-m", "openai/gpt-4o", "hi", OPENAI_API_KEY="sk-test-openai-000001")
    doc = json.loads(r.stdout)
    assert (doc["text"], doc["stopReason"]) == ("Part", "refused"), r.stdout + r.stderr


def test_a_prompt_gemini_blocks_is_said_so_not_called_a_cut_off(run, net):
    body = sse({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": {"promptTokenCount": 5},
                "modelVersion": "gemini-2.5-flash"})
    Model(net, "POST", "generativelanguage.googleapis.com", "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
          body)
    r = run("ask", "-m", "google/gemini-2.5-flash", "hi", GEMINI_API_KEY="AIzaSyTest-000000000000000")
    assert r.returncode == 0 and r.stdout == "", r.stderr
    assert "blocked.PROHIBITED_CONTENT" in summary(r) and "cut off" not in r.stderr


def test_a_busy_anthropic_before_any_text_is_asked_again(run, net):
    busy = sse(("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))
    api = Model(net, "POST", "api.anthropic.com", "/v1/messages", anthropic_events("Hello after a wait"))
    api.replies = [(200, {"Content-Type": "text/event-stream"}, busy)]
    r = run("ask", "-m", "anthropic/claude-sonnet-4-5", "hi", ANTHROPIC_API_KEY="sk-ant-api03-test-000000000001")
    assert r.returncode == 0 and r.stdout == "Hello after a wait\n", r.stderr
    assert len(api.requests) == 2 and "overloaded_error" in r.stderr and "trying again" in r.stderr


def test_a_busy_error_after_text_is_not_asked_again(run, net):
    events = anthropic_events("Half an answer")
    cut = events.index("event: content_block_stop")
    busy = sse(("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))
    api = Model(net, "POST", "api.anthropic.com", "/v1/messages", events[:cut] + busy)
    r = run("ask", "-m", "anthropic/claude-sonnet-4-5", "hi", ANTHROPIC_API_KEY="sk-ant-api03-test-000000000001")
    assert r.returncode == 6 and r.stdout == "Half an answer\n", r.stderr   # what arrived was printed
    last = r.stderr.splitlines()[-1]
    assert "in the middle of the answer" in last and "overloaded_error" in last
    assert len(api.requests) == 1                                  # the printed half is never repeated


def test_a_close_that_fails_after_the_last_event_keeps_the_answer(run, net):
    body = completions_events("Hello there friend").replace("data: [DONE]\n\n", "")
    Model(net, *GROQ_PATH, body, cut=True)
    r = run("ask", *GROQ_MODEL, "hi", **GROQ)
    assert r.returncode == 0 and r.stdout == "Hello there friend\n", r.stderr


def test_a_large_error_page_keeps_its_status_and_is_retried(run, net):
    page = "<html>" + "x" * 70000 + "</html>"
    api = Model(net, *GROQ_PATH, completions_events("ok"), replies=[(503, {"Content-Type": "text/html"}, page)])
    r = run("ask", *GROQ_MODEL, "hi", **GROQ)
    assert r.returncode == 0 and r.stdout == "ok\n", r.stderr
    assert len(api.requests) == 2 and "HTTP 503" in r.stderr
