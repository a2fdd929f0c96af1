"""Defects found by feeding atomic's SSE reader, event-stream decoder and readers the same bytes as
the SDKs, httpx-sse and botocore (issue 19): each is pinned here where a user sees it, through
the real CLI against the stand-ins, and where an independent parser exists, beside it."""
import json
import struct
import zlib

import pytest

from llmfakes import Model, completions_events, gemini_events, sse

from providers._core.errors import NetworkError
from providers._wire.eventstream import messages
from providers._wire.sse import events


@pytest.fixture
def run(atomic_env, net):
    def go(*args, **env):
        full = dict(net.env(), ATOMIC_RETRY_BACKOFF="0.05", ATOMIC_FIRST_BYTE_TIMEOUT="20", ATOMIC_IDLE_TIMEOUT="20")
        full.update(env)
        return atomic_env.run(*args, env=full)
    return go


# (2) A byte order mark at the start of a stream ---------------------------------------------------

BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize("cut", [0, 1, 2, 3, 5], ids=lambda n: "first chunk of %d bytes" % n if n else "one chunk")
def test_a_leading_byte_order_mark_is_dropped_even_split_across_chunks(cut):
    raw = BOM + b"data: one\n\ndata: two\n\n"
    chunks = [raw[:cut], raw[cut:]] if cut else [raw]
    assert [e.data for e in events(chunks)] == ["one", "two"]
    # Only at the very start: later, the same bytes are part of a field's name, as the format says.
    assert [e.data for e in events([b"data: one\n\n" + BOM + b"data: two\n\n"])] == ["one"]


def test_gemini_s_first_chunk_after_a_byte_order_mark_is_shown(run, net):
    body = gemini_events("Ciao, mondo!").encode("utf-8")
    Model(net, "POST", "generativelanguage.googleapis.com", "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
          parts=[BOM[:1], BOM[1:] + body[:40], body[40:]])
    r = run("ask", "-m", "google/gemini-2.5-flash", "Hi", GEMINI_API_KEY="AIzaSyTest-000000000000000")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Ciao, mondo!\n"  # the first text chunk used to vanish, with exit 0


# (4) Event-stream headers: one name twice, a UUID cut short -------------------------------------

def _header(name, kind, value):
    name = name.encode()
    if kind == 7:
        value = struct.pack(">H", len(value)) + value.encode()
    return bytes([len(name)]) + name + bytes([kind]) + value


def _frame(headers, payload=b"{}"):
    prelude = struct.pack(">II", 16 + len(headers) + len(payload), len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + headers + payload
    return body + struct.pack(">I", zlib.crc32(body))


def test_a_header_named_twice_is_refused_as_botocore_refuses_it():
    # The last value used to win: an exception frame could be read as an event and its text shown.
    raw = _frame(_header(":message-type", 7, "exception") + _header(":exception-type", 7, "throttlingException")
                 + _header(":message-type", 7, "event") + _header(":event-type", 7, "contentBlockDelta"),
                 b'{"delta": {"text": "not an answer"}}')
    with pytest.raises(NetworkError, match="':message-type' twice"):
        list(messages([raw]))
    from botocore.eventstream import DuplicateHeader, EventStreamBuffer

    buffer = EventStreamBuffer()
    buffer.add_data(raw)
    with pytest.raises(DuplicateHeader):
        list(buffer)


def test_a_uuid_header_shorter_than_16_bytes_is_refused():
    raw = _frame(_header(":event-type", 7, "messageStop") + _header("id", 9, bytes(10)))
    with pytest.raises(NetworkError, match="UUID of 10 bytes"):
        list(messages([raw]))
    # botocore takes the 10 bytes as the UUID; a value shorter than its type's size is a frame that
    # does not parse, whatever its CRC says, so atomic stops there rather than guess.
    from botocore.eventstream import EventStreamBuffer

    buffer = EventStreamBuffer()
    buffer.add_data(raw)
    assert [m.headers["id"] for m in buffer] == [bytes(10)]
    whole = _frame(_header(":event-type", 7, "messageStop") + _header("id", 9, bytes(range(16))))
    assert [m.headers["id"] for m in messages([whole])] == [bytes(range(16))]


# (1) Chat Completions choices are read by their index -------------------------------------------

def _chunk(index, delta, finish=None):
    return {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1, "model": "llama-3.3-70b-versatile",
            "choices": [{"index": index, "delta": delta, "finish_reason": finish}]}


def test_a_second_choice_is_refused_with_a_sentence_not_interleaved(run, net):
    body = sse(_chunk(0, {"role": "assistant", "content": ""}), _chunk(1, {"role": "assistant", "content": ""}),
               _chunk(0, {"content": "Hello"}), _chunk(1, {"content": "Bonjour"}), _chunk(0, {}, "stop"),
               _chunk(1, {}, "length"), "[DONE]")
    Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", body=body)
    r = run("ask", "-m", "groq/llama-3.3-70b-versatile", "hi", GROQ_API_KEY="gsk_test0000000000001")
    assert r.returncode == 6 and r.stdout == "Hello\n"  # what arrived of the first, never the two mixed
    assert "second answer (choice 1)" in r.stderr and "leave `n` out of the model's samplingParams" in r.stderr


def test_choice_0_alone_is_read_whatever_else_a_chunk_holds(run, net):
    # A choice with an index of 0 in any position of the list, and an empty choice 1 (only its role).
    body = sse({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [
        {"index": 1, "delta": {"role": "assistant"}, "finish_reason": None},
        {"index": 0, "delta": {"content": "Only me"}, "finish_reason": None}]},
        _chunk(0, {}, "stop"), "[DONE]")
    Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", body=body)
    r = run("ask", "-m", "groq/llama-3.3-70b-versatile", "hi", GROQ_API_KEY="gsk_test0000000000001")
    assert r.returncode == 0 and r.stdout == "Only me\n", r.stderr


# (3) The server's own stop word ----------------------------------------------------------------------

def test_a_refusal_keeps_the_server_s_stop_word(run, net):
    body = sse(_chunk(0, {"role": "assistant", "content": None, "refusal": ""}),
               _chunk(0, {"refusal": "I can't help with that."}), _chunk(0, {}, "stop"), "[DONE]")
    Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", body=body)
    r = run("ask", "--json", "-m", "groq/llama-3.3-70b-versatile", "hi", GROQ_API_KEY="gsk_test0000000000001")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["text"] == "I can't help with that."
    assert (doc["stopReason"], doc["rawStopReason"]) == ("refused", "stop")  # it said `refusal`, a word no server sent


def test_a_plain_answer_still_reads_as_before(run, net):
    Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", body=completions_events("Fine."))
    r = run("ask", "--json", "-m", "groq/llama-3.3-70b-versatile", "hi", GROQ_API_KEY="gsk_test0000000000001")
    doc = json.loads(r.stdout)
    assert (doc["text"], doc["stopReason"], doc["rawStopReason"]) == ("Fine.", "stop", "stop")
