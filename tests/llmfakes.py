"""Loopback stand-ins of the model APIs, streaming the event shapes each real API sends.

Each `*_events` function returns the SSE text a real server sends for an answer with some
reasoning, the given text and usage; `Model` serves it on a host and path through the fake
network (tests/netfakes.py) and records every request. Quirks of real streams are switched on
per test: keep-alive comments, CRLF line ends, JSON split over several `data:` lines, a UTF-8
character split across two HTTP chunks, an error event, a stream cut off.
"""
import json

from netfakes import reply, sse, stream


def responses_events(text, reasoning="", usage=(12, 5), model="gpt-4o-2024-08-06", tier="default", status="completed"):
    events = [("response.created", {"type": "response.created", "sequence_number": 0, "response": {
        "id": "resp_1", "object": "response", "status": "in_progress", "model": model, "output": []}})]
    if reasoning:
        events += [
            ("response.output_item.added", {"type": "response.output_item.added", "output_index": 0,
                                            "item": {"type": "reasoning", "id": "rs_1", "summary": []}}),
            ("response.reasoning_summary_text.delta", {"type": "response.reasoning_summary_text.delta",
                                                       "item_id": "rs_1", "output_index": 0, "summary_index": 0,
                                                       "delta": reasoning}),
            ("response.reasoning_summary_part.done", {"type": "response.reasoning_summary_part.done",
                                                      "item_id": "rs_1", "output_index": 0, "summary_index": 0}),
        ]
    events.append(("response.output_item.added", {"type": "response.output_item.added", "output_index": 1, "item": {
        "type": "message", "id": "msg_1", "role": "assistant", "status": "in_progress", "content": []}}))
    for piece in _pieces(text):
        events.append(("response.output_text.delta", {"type": "response.output_text.delta", "item_id": "msg_1",
                                                      "output_index": 1, "content_index": 0, "delta": piece}))
    events.append(("response.completed", {"type": "response.completed", "response": {
        "id": "resp_1", "object": "response", "status": status, "model": model, "service_tier": tier,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "usage": {"input_tokens": usage[0], "input_tokens_details": {"cached_tokens": 0},
                  "output_tokens": usage[1], "output_tokens_details": {"reasoning_tokens": 0},
                  "total_tokens": usage[0] + usage[1]}}}))
    return sse(*events)


def completions_events(text, reasoning="", usage=(9, 4), model="llama-3.3-70b-versatile", field="reasoning_content"):
    def chunk(delta, finish=None, **extra):
        doc = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
               "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        doc.update(extra)
        return doc

    events = [chunk({"role": "assistant", "content": ""})]
    if reasoning:
        events.append(chunk({field: reasoning}))
    events += [chunk({"content": piece}) for piece in _pieces(text)]
    events.append(chunk({}, "stop"))
    events.append({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
                   "choices": [], "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                                            "total_tokens": sum(usage)}})
    events.append("[DONE]")
    return sse(*events)


def anthropic_events(text, thinking="", usage=(20, 7), model="claude-sonnet-4-5-20250929", stop="end_turn"):
    events = [("message_start", {"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "model": model, "content": [],
        "stop_reason": None, "usage": {"input_tokens": usage[0], "cache_read_input_tokens": 0,
                                       "cache_creation_input_tokens": 0, "output_tokens": 1}}}),
              ("ping", {"type": "ping"})]
    index = 0
    if thinking:
        events += [("content_block_start", {"type": "content_block_start", "index": 0,
                                            "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
                   ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                            "delta": {"type": "thinking_delta", "thinking": thinking}}),
                   ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                            "delta": {"type": "signature_delta", "signature": "EqQB"}}),
                   ("content_block_stop", {"type": "content_block_stop", "index": 0})]
        index = 1
    events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                           "content_block": {"type": "text", "text": ""}}))
    events += [("content_block_delta", {"type": "content_block_delta", "index": index,
                                        "delta": {"type": "text_delta", "text": piece}}) for piece in _pieces(text)]
    events += [("content_block_stop", {"type": "content_block_stop", "index": index}),
               ("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                  "usage": {"output_tokens": usage[1]}}),
               ("message_stop", {"type": "message_stop"})]
    return sse(*events)


def gemini_events(text, thought="", usage=(8, 6, 3), model="gemini-2.5-flash"):
    chunks = []
    if thought:
        chunks.append({"candidates": [{"content": {"parts": [{"text": thought, "thought": True}], "role": "model"},
                                       "index": 0}], "modelVersion": model})
    pieces = _pieces(text)
    for n, piece in enumerate(pieces):
        doc = {"candidates": [{"content": {"parts": [{"text": piece}], "role": "model"}, "index": 0}],
               "usageMetadata": {"promptTokenCount": usage[0], "candidatesTokenCount": usage[1],
                                 "thoughtsTokenCount": usage[2], "totalTokenCount": sum(usage)},
               "modelVersion": model}
        if n == len(pieces) - 1:
            doc["candidates"][0]["finishReason"] = "STOP"
        chunks.append(doc)
    return sse(*chunks)


def mistral_events(text, thinking="", usage=(10, 3), model="magistral-medium-latest"):
    def chunk(delta, finish=None, **extra):
        doc = {"id": "cmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        doc.update(extra)
        return doc

    events = [chunk({"role": "assistant", "content": ""})]
    if thinking:
        events.append(chunk({"content": [{"type": "thinking", "thinking": [{"type": "text", "text": thinking}]}]}))
    events += [chunk({"content": [{"type": "text", "text": piece}]}) for piece in _pieces(text)]
    events.append(chunk({"content": ""}, "stop", usage={"prompt_tokens": usage[0], "completion_tokens": usage[1],
                                                         "total_tokens": sum(usage)}))
    events.append("[DONE]")
    return sse(*events)


# Answers that call tools: each call is (id, name, arguments JSON text), its arguments streamed in
# a few fragments, as the APIs send them. usage is (input, output, cached) as each API counts.

def completions_tool_events(calls, text="", reasoning="", usage=(30, 12, 8), model="gpt-4.1", finish="tool_calls",
                            reasoning_field="reasoning_content"):
    def chunk(delta, finish_reason=None):
        return {"id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
                "system_fingerprint": "fp_1", "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                                           "finish_reason": finish_reason}]}

    events = [chunk({"role": "assistant", "content": None})]
    if reasoning:
        events.append(chunk({reasoning_field: reasoning}))
    events += [chunk({"content": piece}) for piece in (_pieces(text) if text else ())]
    for n, (id, name, arguments) in enumerate(calls):
        events.append(chunk({"tool_calls": [{"index": n, "id": id, "type": "function",
                                             "function": {"name": name, "arguments": ""}}]}))
        events += [chunk({"tool_calls": [{"index": n, "function": {"arguments": piece}}]})
                   for piece in _pieces(arguments)]
    events.append(chunk({}, finish))
    events.append({"id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
                   "choices": [], "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                                            "total_tokens": usage[0] + usage[1],
                                            "prompt_tokens_details": {"cached_tokens": usage[2]},
                                            "completion_tokens_details": {"reasoning_tokens": 0}}})
    events.append("[DONE]")
    return sse(*events)


def responses_tool_events(calls, text="", reasoning="", encrypted="", usage=(40, 15, 10), model="gpt-5.1-2025-11-13",
                          deltas=True):
    """A Responses stream: a reasoning item (its summary, then encrypted_content when `encrypted`),
    a message, function calls. deltas=False: the arguments only in `.done`, as some servers send."""
    seq = iter(range(1000))
    events, output = [], []

    def add(kind, **fields):
        fields.update(type=kind, sequence_number=next(seq))
        events.append((kind, fields))

    response = {"id": "resp_7", "object": "response", "created_at": 1700000000, "status": "in_progress",
                "model": model, "output": [], "usage": None}
    add("response.created", response=dict(response))
    add("response.in_progress", response=dict(response))
    if reasoning or encrypted:
        item = {"id": "rs_7", "type": "reasoning", "summary": []}
        add("response.output_item.added", output_index=len(output), item=item)
        if reasoning:
            add("response.reasoning_summary_part.added", item_id="rs_7", output_index=0, summary_index=0,
                part={"type": "summary_text", "text": ""})
            for piece in _pieces(reasoning):
                add("response.reasoning_summary_text.delta", item_id="rs_7", output_index=0, summary_index=0,
                    delta=piece)
            add("response.reasoning_summary_text.done", item_id="rs_7", output_index=0, summary_index=0, text=reasoning)
            add("response.reasoning_summary_part.done", item_id="rs_7", output_index=0, summary_index=0,
                part={"type": "summary_text", "text": reasoning})
        done = {"id": "rs_7", "type": "reasoning", "summary": [{"type": "summary_text", "text": reasoning}] if reasoning
                else []}
        if encrypted:
            done["encrypted_content"] = encrypted
        add("response.output_item.done", output_index=len(output), item=done)
        output.append(done)
    if text:
        at = len(output)
        add("response.output_item.added", output_index=at, item={"id": "msg_7", "type": "message", "role": "assistant",
                                                                 "status": "in_progress", "content": []})
        add("response.content_part.added", item_id="msg_7", output_index=at, content_index=0,
            part={"type": "output_text", "text": "", "annotations": []})
        for piece in _pieces(text):
            add("response.output_text.delta", item_id="msg_7", output_index=at, content_index=0, delta=piece,
                logprobs=[])
        add("response.output_text.done", item_id="msg_7", output_index=at, content_index=0, text=text, logprobs=[])
        part = {"type": "output_text", "text": text, "annotations": []}
        add("response.content_part.done", item_id="msg_7", output_index=at, content_index=0, part=part)
        message = {"id": "msg_7", "type": "message", "role": "assistant", "status": "completed", "content": [part]}
        add("response.output_item.done", output_index=at, item=message)
        output.append(message)
    for n, (call_id, name, arguments) in enumerate(calls):
        at, item_id = len(output), "fc_7%d" % n
        add("response.output_item.added", output_index=at, item={"id": item_id, "type": "function_call",
                                                                 "status": "in_progress", "call_id": call_id,
                                                                 "name": name, "arguments": ""})
        if deltas:
            for piece in _pieces(arguments):
                add("response.function_call_arguments.delta", item_id=item_id, output_index=at, delta=piece)
        add("response.function_call_arguments.done", item_id=item_id, output_index=at, arguments=arguments)
        item = {"id": item_id, "type": "function_call", "status": "completed", "call_id": call_id, "name": name,
                "arguments": arguments}
        add("response.output_item.done", output_index=at, item=item)
        output.append(item)
    add("response.completed", response=dict(response, status="completed", output=output, usage={
        "input_tokens": usage[0], "input_tokens_details": {"cached_tokens": usage[2]}, "output_tokens": usage[1],
        "output_tokens_details": {"reasoning_tokens": 3}, "total_tokens": usage[0] + usage[1]}))
    return sse(*events)


def anthropic_tool_events(calls, text="", thinking="", signature="", usage=(50, 20, 30, 5),
                          model="claude-sonnet-4-5-20250929", stop="tool_use", redacted=""):
    """usage: (input, output, cache read, cache write), as Anthropic counts them (input without the cache)."""
    events = [("message_start", {"type": "message_start", "message": {
        "id": "msg_017", "type": "message", "role": "assistant", "model": model, "content": [], "stop_reason": None,
        "stop_sequence": None, "usage": {"input_tokens": usage[0], "cache_read_input_tokens": usage[2],
                                         "cache_creation_input_tokens": usage[3], "output_tokens": 1}}})]
    blocks = []
    if redacted:
        blocks.append(([{"type": "redacted_thinking", "data": redacted}], []))
    if thinking:
        blocks.append(({"type": "thinking", "thinking": "", "signature": ""},
                       [{"type": "thinking_delta", "thinking": p} for p in _pieces(thinking)]
                       + [{"type": "signature_delta", "signature": signature}]))
    if text:
        blocks.append(({"type": "text", "text": ""}, [{"type": "text_delta", "text": p} for p in _pieces(text)]))
    for id, name, arguments in calls:
        blocks.append(({"type": "tool_use", "id": id, "name": name, "input": {}},
                       [{"type": "input_json_delta", "partial_json": p} for p in _pieces(arguments)]))
    for index, (start, deltas) in enumerate(blocks):
        start = start[0] if isinstance(start, list) else start
        events.append(("content_block_start", {"type": "content_block_start", "index": index, "content_block": start}))
        if index == 0:
            events.append(("ping", {"type": "ping"}))
        events += [("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d}) for d in deltas]
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events += [("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                  "usage": {"output_tokens": usage[1]}}),
               ("message_stop", {"type": "message_stop"})]
    return sse(*events)


def gemini_tool_events(calls, thought="", signature="", text="", usage=(25, 9, 4, 6), model="gemini-2.5-flash"):
    """Gemini sends each function call whole; `signature` rides on the first call's part (or, with no
    call, on the last text part). usage: (prompt, candidates, thoughts, cached)."""
    chunks = []
    if thought:
        chunks.append({"candidates": [{"content": {"parts": [{"text": thought, "thought": True}], "role": "model"},
                                       "index": 0}], "modelVersion": model, "responseId": "gem-7"})
    parts = [{"text": piece} for piece in (_pieces(text) if text else ())]
    for n, (id, name, arguments) in enumerate(calls):
        call = {"name": name, "args": json.loads(arguments)}
        if id:
            call["id"] = id
        parts.append({"functionCall": call})
    if signature:
        target = next((p for p in parts if "functionCall" in p), parts[-1] if parts else None)
        if target is None:
            parts.append({"text": "", "thoughtSignature": signature})
        else:
            target["thoughtSignature"] = signature
    for n, part in enumerate(parts):
        doc = {"candidates": [{"content": {"parts": [part], "role": "model"}, "index": 0}], "modelVersion": model,
               "responseId": "gem-7", "usageMetadata": {
                   "promptTokenCount": usage[0], "candidatesTokenCount": usage[1], "thoughtsTokenCount": usage[2],
                   "cachedContentTokenCount": usage[3], "totalTokenCount": usage[0] + usage[1] + usage[2]}}
        if n == len(parts) - 1:
            doc["candidates"][0]["finishReason"] = "STOP"
        chunks.append(doc)
    return sse(*chunks)


def _pieces(text):
    """The text in a few deltas, as servers send it."""
    size = max(1, len(text) // 3)
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def crlf(text):
    return text.replace("\n", "\r\n")


def with_keepalives(text):
    """A comment line before every event, as servers send to keep proxies from closing."""
    return "".join(": keep-alive\n\n" + event + "\n\n" for event in text.split("\n\n") if event)


def split_data_lines(text):
    """Each JSON data line spread over two `data:` lines (a reader joins them with a newline)."""
    out = []
    for line in text.split("\n"):
        if line.startswith("data: {") and ", " in line:
            head, tail = line[len("data: "):].split(", ", 1)
            out.append("data: %s,\ndata: %s" % (head, tail))
        else:
            out.append(line)
    return "\n".join(out)


def split_in_a_character(raw, char):
    """raw (bytes) in two HTTP chunks, cut inside the UTF-8 encoding of `char`."""
    encoded = char.encode("utf-8")
    at = raw.index(encoded) + 1
    return [raw[:at], raw[at:]]


class Model:
    """A model API on one host and path: answers with `body` (SSE text, or parts to stream), or
    with each of `replies` in turn, or each of `answers` (SSE text, or a list of parts) in turn,
    and keeps every request."""

    def __init__(self, net, method, host, path, body=None, parts=None, replies=(), cut=False, between=None,
                 answers=(), headers=None):
        self.body, self.parts, self.replies = body, parts, list(replies)
        self.cut, self.between, self.answers, self.headers = cut, between, list(answers), headers
        self.allowed = None  # a check of each request (its key); a refused one is answered 401
        self.requests = []
        net.hosts.route(method, host, path)(self._answer)

    def _answer(self, req):
        self.requests.append(req)
        if self.allowed is not None and not self.allowed(req):
            return reply(401, {"error": {"code": 401, "message": "Invalid API Key", "type": "authentication_error"}})
        if self.replies:
            answer = self.replies.pop(0)
            if answer is not None:
                status, headers, body = answer
                return reply(status, body, headers)
        if self.answers:
            answer = self.answers.pop(0)
            parts = answer if isinstance(answer, list) else [answer.encode("utf-8")]
        else:
            parts = self.parts if self.parts is not None else [self.body.encode("utf-8")]
        return stream(req, parts, cut=self.cut, between=self.between, headers=self.headers)

    @property
    def last(self):
        return self.requests[-1]

    def body_of(self, n=-1):
        return json.loads(self.requests[n].body.decode("utf-8"))


def exchange(net, module, model, base_url, request, headers=()):
    """One request of a wire module, as the client makes it: built from an ir.Request, sent over a
    real socket through the fake network (HTTPS_PROXY, the test CA), its stream read by the
    module into a providers._client.answer.Answer, which is returned."""
    from providers._client.answer import Answer
    from providers._core.context import Context
    from providers._net.http import open_stream
    from providers._wire.request import HeaderList
    from providers._wire.sse import events

    ctx = Context(environ=dict(net.env()) if net is not None else {})  # None: a server on 127.0.0.1
    built = module.build(model, base_url, HeaderList(headers), request)
    answer = Answer()
    answer.provider = model.get("provider")  # as the client's exchange says who was asked
    with open_stream(built.method, built.url, ctx, headers=dict(built.headers.items()), body=built.payload(),
                     accept=getattr(module, "ACCEPT", "text/event-stream")) as response:
        assert response.ok, response.response(65536).error_text()
        module.read((getattr(module, "events", None) or events)(response.chunks()), answer)
    assert answer.finished
    answer.done()
    return answer


class LlamaServer:
    """llama-server on 127.0.0.1 (plain HTTP), as llama.cpp's tools/server serves it: GET /v1/models
    (and /models) is public even when the server was started with --api-key; every other endpoint
    (GET /props, POST /v1/chat/completions) wants `Authorization: Bearer <key>` then, and answers
    401 {"error": {"code": 401, "message": "Invalid API Key", ...}} otherwise. /props reports the
    context a request really gets (default_generation_settings.n_ctx, the server's -c), /v1/models
    only the model's training context (meta.n_ctx_train)."""

    MODELS = [
        {"id": "qwen3-8b-q4_k_m.gguf", "object": "model", "created": 1760000000, "owned_by": "llamacpp",
         "meta": {"vocab_type": 2, "n_vocab": 151936, "n_ctx_train": 40960, "n_embd": 4096, "n_params": 8190735360}},
        {"id": "gemma-3-4b.gguf", "object": "model", "created": 1760000000, "owned_by": "llamacpp"}]

    def __init__(self, key=None, models=None, n_ctx=None):
        from netfakes import FakeHosts

        self.hosts, self.key, self.n_ctx = FakeHosts(None), key, n_ctx
        self.models = self.MODELS if models is None else models
        self.url = self.hosts.url
        self.hosts.route("GET", "127.0.0.1", "/v1/models")(self._models)
        self.hosts.route("GET", "127.0.0.1", "/models")(self._models)
        self.hosts.route("GET", "127.0.0.1", "/props")(self._props)
        self.chat = Model(self, "POST", "127.0.0.1", "/v1/chat/completions", completions_events(
            "Hello from llama.cpp", model="qwen3-8b-q4_k_m.gguf"))
        self.chat.allowed = self._allowed

    def _allowed(self, req):
        return not self.key or req.headers.get("Authorization") == "Bearer " + self.key

    def _refused(self):
        return reply(401, {"error": {"code": 401, "message": "Invalid API Key", "type": "authentication_error"}})

    def _models(self, req):
        return reply(200, {"object": "list", "data": self.models})

    def _props(self, req):
        if not self._allowed(req):
            return self._refused()
        settings = {"id": 0, "id_task": -1, "n_ctx": self.n_ctx or 4096, "is_processing": False,
                    "params": {"n_predict": -1, "max_tokens": -1, "temperature": 0.8}}
        return reply(200, {"default_generation_settings": settings, "total_slots": 1,
                           "model_path": "/models/" + self.models[0]["id"] if self.models else "",
                           "modalities": {"vision": False, "audio": False}, "build_info": "b6000-test"})

    def listings(self):
        return self.hosts.seen(path="/v1/models")

    def close(self):
        self.hosts.close()
