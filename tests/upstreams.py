"""Stand-ins of the model APIs behind atomic serve, each speaking its own wire format in both
directions: they read the request as that API would (and refuse what it refuses), and answer as
it does, streamed or whole, with a text answer or a tool call.

What they answer, so that a client on the far side of the gateway can tell what arrived:
- a request that offers tools and holds no tool result yet: a call of its first tool with
  {"city": "Paris"} (the arguments streamed in two pieces);
- otherwise text saying what the request held: `model=<id>; tool=<the tool result's text>;
  image=<media type>/<bytes of base64>; system=<system text>; said=<the last user text>`.
Every request is kept (`.requests`: (path, headers, body) as received).

An upstream may be told to fail instead: `fail(status, body, headers)` for the next requests,
`stall()` (headers, then nothing), `reset()` (the connection closed after the headers),
`malformed()` (a stream with an event that is not JSON).
"""
import base64
import json
import threading
import time

from fake_github import refuses_unseen_image, unsupported_api
from netfakes import reply, sse, stream

TOOL_ARGS = '{"city": "Paris"}'
# The shell tools of the real clients, and what the stand-ins have them run.
SHELL_TOOLS = {"exec_command": '{"cmd": "echo atomic-tool-ran"}',                                 # Codex CLI
               "Bash": '{"command": "echo atomic-tool-ran", "description": "Print a word"}'}  # Claude Code


class Upstream:
    """One API on one host and path; `kind` is its wire API."""

    def __init__(self, net, kind, host, path, method="POST", refuses=None):
        self.kind, self.host, self.path = kind, host, path
        self.refuses = refuses      # (body, headers) -> an error body (answered 400) or None: what this host refuses itself
        self.requests = []
        self.faults = []
        self.lock = threading.Lock()
        self.released = threading.Event()
        self.open_streams = 0       # streams being written now
        net.hosts.route(method, host, path)(self._answer)

    # -- what a test asks for ------------------------------------------------------------------
    def fail(self, status, body, headers=None, times=1):
        self.faults.extend([("status", (status, body, headers or {}))] * times)

    def stall(self):
        self.faults.append(("stall", None))

    def reset(self):
        self.faults.append(("reset", None))

    def malformed(self):
        self.faults.append(("malformed", None))

    def slow(self, pieces=50, gap=0.1):
        """The next answer streamed in many pieces, gap seconds apart (a long answer)."""
        self.faults.append(("slow", (pieces, gap)))

    def body_of(self, n=-1):
        return self.requests[n][2]

    def headers_of(self, n=-1):
        return self.requests[n][1]

    # -- the server side ---------------------------------------------------------------------------
    def _answer(self, req):
        body = req.json() if req.body else {}
        with self.lock:
            self.requests.append((req.path, req.headers, body))
            fault = self.faults.pop(0) if self.faults else (None, None)
        kind, detail = fault
        if kind == "status":
            status, payload, headers = detail
            return reply(status, payload, headers)
        refused = (self.refuses or (lambda b, h: None))(body, req.headers) or REFUSALS.get(self.kind, lambda b, h: None)(body, req.headers)
        if refused is not None:
            return reply(400, refused)
        streamed = self.kind in ("google", "codex", "bedrock") or bool(body.get("stream"))
        seen = SEEN[self.kind](body)
        call = seen["tools"] and not seen["tool"]
        text = describe(seen, body.get("model") or _model_of_path(req.path))
        if kind == "stall":  # the head, then nothing until the test ends
            return stream(req, [": stalled\n\n"], between=lambda n: self.released.wait(60))
        if kind == "reset":
            req.handler.send_response(200)
            req.handler.send_header("Content-Type", "text/event-stream")
            req.handler.end_headers()
            req.handler.wfile.flush()
            req.handler.connection.close()
            req.handler.close_connection = True
            return None
        if not streamed:
            return reply(200, WHOLE[self.kind](text, call, seen))
        events = STREAMS[self.kind](text, call, seen)
        if kind == "malformed":
            events = events[:len(events) // 2] + ['data: {"type": "response.output_text.delta", "delta": oops\n\n']
        gap = 0
        if kind == "slow":
            pieces, gap = detail
            events = _slowed(self.kind, pieces, seen)
        with self.lock:
            self.open_streams += 1
        kind_headers = {"Content-Type": "application/vnd.amazon.eventstream"} if self.kind == "bedrock" else None
        try:
            return stream(req, [e.encode("utf-8") if isinstance(e, str) else e for e in events], headers=kind_headers,
                          between=(lambda n: time.sleep(gap)) if gap else None)
        finally:
            with self.lock:
                self.open_streams -= 1


def _model_of_path(path):
    """The model a Gemini or Bedrock address names (it is not in the body there)."""
    import urllib.parse

    if "/models/" in path:
        return path.split("/models/")[-1].split(":")[0]
    return urllib.parse.unquote(path.split("/model/")[-1].split("/")[0])


def describe(seen, model):
    parts = ["model=%s" % model]
    if seen["tool"] is not None:
        parts.append("tool=%s" % seen["tool"])
    if seen["image"]:
        parts.append("image=%s" % seen["image"])
    if seen["system"]:
        parts.append("system=%s" % seen["system"])
    parts.append("said=%s" % seen["said"])
    return "; ".join(parts)


def _slowed(kind, pieces, seen):
    text = "".join("w%d " % n for n in range(pieces))
    events = STREAMS[kind](text, False, seen, size=3)
    return events


# -- reading each API's request ---------------------------------------------------------------------

def _seen(tools=(), tool=None, image="", system="", said=""):
    return {"tools": list(tools), "tool": tool, "image": image, "system": system, "said": said}


def _data_url(url):
    head, _, data = url.partition(";base64,")
    return "%s/%d" % (head[len("data:"):], len(data))


def _completions_seen(body):
    seen = _seen(tools=[t["function"]["name"] for t in body.get("tools") or []])
    for message in body.get("messages", []):
        content = message.get("content")
        if message["role"] in ("system", "developer"):
            seen["system"] += content if isinstance(content, str) else "".join(p.get("text", "") for p in content)
        elif message["role"] == "tool":
            seen["tool"] = content if isinstance(content, str) else "".join(p.get("text", "") for p in content)
        elif message["role"] == "user":
            for part in ([{"type": "text", "text": content}] if isinstance(content, str) else content or []):
                if part["type"] == "text":
                    seen["said"] = part["text"]
                elif part["type"] == "image_url":
                    seen["image"] = _data_url(part["image_url"]["url"])
    return seen


def _responses_seen(body):
    seen = _seen(tools=[t.get("name") for t in body.get("tools") or [] if t.get("type") == "function"],
                 system=body.get("instructions") or "")
    items = body.get("input")
    items = [{"role": "user", "content": items}] if isinstance(items, str) else items or []
    for item in items:
        if item.get("type") == "function_call_output":
            seen["tool"] = item["output"] if isinstance(item["output"], str) else json.dumps(item["output"])
            continue
        content = item.get("content")
        parts = [{"type": "input_text", "text": content}] if isinstance(content, str) else content or []
        if item.get("role") in ("system", "developer"):
            seen["system"] += "".join(p.get("text", "") for p in parts)
        elif item.get("role") == "user":
            for part in parts:
                if part["type"] == "input_text":
                    seen["said"] = part["text"]
                elif part["type"] == "input_image":
                    seen["image"] = _data_url(part["image_url"])
    return seen


def _anthropic_seen(body):
    system = body.get("system") or ""
    seen = _seen(tools=[t.get("name") for t in body.get("tools") or []],
                 system=system if isinstance(system, str) else "".join(b.get("text", "") for b in system))
    for message in body.get("messages", []):
        content = message["content"]
        for block in [{"type": "text", "text": content}] if isinstance(content, str) else content:
            if block["type"] == "tool_result":
                inner = block.get("content")
                seen["tool"] = inner if isinstance(inner, str) else "".join(b.get("text", "") for b in inner or [])
            elif block["type"] == "text" and message["role"] == "user":
                seen["said"] = block["text"]
            elif block["type"] == "image":
                seen["image"] = "%s/%d" % (block["source"]["media_type"], len(block["source"]["data"]))
    return seen


def _google_seen(body):
    system = "".join(p.get("text", "") for p in (body.get("systemInstruction") or {}).get("parts", []))
    seen = _seen(tools=[d["name"] for t in body.get("tools") or [] for d in t.get("functionDeclarations", [])],
                 system=system)
    for content in body.get("contents", []):
        for part in content.get("parts", []):
            if "functionResponse" in part:
                response = part["functionResponse"]["response"]
                seen["tool"] = response.get("output", response.get("content", json.dumps(response))) \
                    if isinstance(response, dict) else str(response)
                if not isinstance(seen["tool"], str):
                    seen["tool"] = json.dumps(seen["tool"])
            elif "inlineData" in part:
                seen["image"] = "%s/%d" % (part["inlineData"]["mimeType"], len(part["inlineData"]["data"]))
            elif "text" in part and content.get("role") == "user":
                seen["said"] = part["text"]
    return seen


def _bedrock_seen(body):
    seen = _seen(tools=[t["toolSpec"]["name"] for t in (body.get("toolConfig") or {}).get("tools", []) if "toolSpec" in t],
                 system="".join(b.get("text", "") for b in body.get("system") or []))
    for message in body.get("messages", []):
        for block in message["content"]:
            if "toolResult" in block:
                seen["tool"] = "".join(part.get("text", "") for part in block["toolResult"]["content"])
            elif "image" in block:
                seen["image"] = "image/%s/%d" % (block["image"]["format"], len(block["image"]["source"]["bytes"]))
            elif "text" in block and message["role"] == "user":
                seen["said"] = block["text"]
    return seen


SEEN = {"completions": _completions_seen, "openrouter": _completions_seen, "bedrock": _bedrock_seen, "responses": _responses_seen, "codex": _responses_seen,
        "anthropic": _anthropic_seen, "google": _google_seen}


# -- what each API refuses ------------------------------------------------------------------------------

def _codex_refuses(body, headers):
    """The ChatGPT backend's own rules (gateway.md §2.1)."""
    for name in ("temperature", "top_p", "max_output_tokens", "max_completion_tokens", "metadata", "seed"):
        if name in body:
            return {"detail": "Unsupported parameter: %s" % name}
    if body.get("store") is not False:
        return {"detail": "Store must be set to false"}
    if body.get("stream") is not True:
        return {"detail": "Stream must be set to true"}
    if not body.get("instructions"):
        return {"detail": "Instructions are required"}
    if any(isinstance(i, dict) and i.get("role") == "system" for i in body.get("input") or []):
        return {"detail": "System messages are not allowed"}
    if not headers.get("chatgpt-account-id"):
        return {"detail": "Missing chatgpt-account-id"}
    return None


def _anthropic_refuses(body, headers):
    """Tool results must follow their calls, ids must fit Anthropic's pattern (gateway.md §3.3)."""
    import re

    for message in body.get("messages", []):
        for block in message["content"] if isinstance(message["content"], list) else []:
            ident = block.get("id") if block["type"] == "tool_use" else block.get("tool_use_id")
            if block["type"] in ("tool_use", "tool_result") and not re.match(r"^[a-zA-Z0-9_-]{1,64}$", ident or ""):
                return {"type": "error", "error": {"type": "invalid_request_error",
                                                   "message": "messages: tool id %r does not match" % ident}}
    if not headers.get("anthropic-version"):
        return {"type": "error", "error": {"type": "invalid_request_error", "message": "anthropic-version: required"}}
    return None


# OpenRouter's signed reasoning (reasoning_details) before a tool call: Claude behind it refuses the
# call's follow-up unless the assistant message brings them back whole.
OPENROUTER_DETAILS = [{"type": "reasoning.text", "text": "I should ask the tool.", "signature": "EqMBCkgIARAB",
                       "format": "anthropic-claude-v1", "index": 0},
                      {"type": "reasoning.encrypted", "data": "gAAAAABpUpstream", "format": "anthropic-claude-v1",
                       "index": 1}]


def _openrouter_refuses(body, headers):
    for message in body.get("messages", []):
        if message.get("role") == "assistant" and message.get("tool_calls") \
                and message.get("reasoning_details") != OPENROUTER_DETAILS:
            return {"error": {"code": 400, "message": "Provider returned error", "metadata": {
                "provider_name": "Anthropic", "raw": "messages.1.content.0.type: Expected `thinking` or "
                "`redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message "
                "must start with a thinking block"}}}
    return None


REFUSALS = {"codex": _codex_refuses, "anthropic": _anthropic_refuses, "openrouter": _openrouter_refuses}


# -- answering: streams ---------------------------------------------------------------------------------

def _split(text, size=None):
    size = size or max(1, len(text) // 3)
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def completions_stream(text, call, seen, size=None):
    def chunk(delta, finish=None):
        return {"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1, "model": "up-model",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    events = [chunk({"role": "assistant", "content": ""})]
    if call:
        events.append(chunk({"tool_calls": [{"index": 0, "id": "call_up1", "type": "function",
                                             "function": {"name": seen_tool_name(seen), "arguments": ""}}]}))
        events += [chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
                   for piece in _split(tool_args(seen), 9)]
        events.append(chunk({}, "tool_calls"))
    else:
        events += [chunk({"content": piece}) for piece in _split(text, size)]
        events.append(chunk({}, "stop"))
    events.append({"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1, "model": "up-model",
                   "choices": [], "usage": {"prompt_tokens": 30, "completion_tokens": 7, "total_tokens": 37,
                                            "prompt_tokens_details": {"cached_tokens": 10}}})
    events.append("[DONE]")
    return [sse(e) for e in events]


def openrouter_stream(text, call, seen, size=None):
    """Chat Completions as OpenRouter streams a reasoning model: before a tool call, its reasoning as
    text and as reasoning_details."""
    events = completions_stream(text, call, seen, size)
    if call:
        delta = {"reasoning": OPENROUTER_DETAILS[0]["text"], "reasoning_details": OPENROUTER_DETAILS}
        events.insert(1, sse({"id": "gen-up", "object": "chat.completion.chunk", "created": 1, "model": "up-model",
                              "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}))
    return events


def responses_stream(text, call, seen, size=None):
    out = [_responses_item(text, call, seen)]
    response = {"id": "resp_up", "object": "response", "status": "in_progress", "model": "up-model", "output": []}
    events = [{"type": "response.created", "response": response},
              {"type": "response.in_progress", "response": response}]
    item = out[0]
    if call:
        events.append({"type": "response.output_item.added", "output_index": 0,
                       "item": dict(item, arguments="", status="in_progress")})
        events += [{"type": "response.function_call_arguments.delta", "item_id": item["id"], "output_index": 0,
                    "delta": piece} for piece in _split(tool_args(seen), 9)]
        events.append({"type": "response.function_call_arguments.done", "item_id": item["id"], "output_index": 0,
                       "arguments": tool_args(seen)})
    else:
        events.append({"type": "response.output_item.added", "output_index": 0,
                       "item": dict(item, content=[], status="in_progress")})
        events.append({"type": "response.content_part.added", "item_id": item["id"], "output_index": 0,
                       "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}})
        events += [{"type": "response.output_text.delta", "item_id": item["id"], "output_index": 0, "content_index": 0,
                    "delta": piece} for piece in _split(text, size)]
        events.append({"type": "response.output_text.done", "item_id": item["id"], "output_index": 0,
                       "content_index": 0, "text": text})
        events.append({"type": "response.content_part.done", "item_id": item["id"], "output_index": 0,
                       "content_index": 0, "part": item["content"][0]})
    events.append({"type": "response.output_item.done", "output_index": 0, "item": item})
    events.append({"type": "response.completed", "response": _responses_whole(out)})
    return [sse((e["type"], dict(e, sequence_number=n))) for n, e in enumerate(events)]


def _responses_item(text, call, seen):
    if call:
        return {"type": "function_call", "id": "fc_up1", "call_id": "call_up1", "name": seen_tool_name(seen),
                "arguments": tool_args(seen), "status": "completed"}
    return {"type": "message", "id": "msg_up1", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def _responses_whole(output):
    return {"id": "resp_up", "object": "response", "created_at": 1, "status": "completed", "model": "up-model",
            "output": output, "usage": {"input_tokens": 30, "input_tokens_details": {"cached_tokens": 10},
                                        "output_tokens": 7, "output_tokens_details": {"reasoning_tokens": 0},
                                        "total_tokens": 37}}


def anthropic_stream(text, call, seen, size=None):
    events = [("message_start", {"type": "message_start", "message": {
        "id": "msg_up", "type": "message", "role": "assistant", "model": "up-model", "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 20, "cache_read_input_tokens": 10, "cache_creation_input_tokens": 0,
                  "output_tokens": 1}}}), ("ping", {"type": "ping"})]
    if call:
        events.append(("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {
            "type": "tool_use", "id": "toolu_up1", "name": seen_tool_name(seen), "input": {}}}))
        events += [("content_block_delta", {"type": "content_block_delta", "index": 0,
                                            "delta": {"type": "input_json_delta", "partial_json": piece}})
                   for piece in _split(tool_args(seen), 9)]
    else:
        events.append(("content_block_start", {"type": "content_block_start", "index": 0,
                                               "content_block": {"type": "text", "text": ""}}))
        events += [("content_block_delta", {"type": "content_block_delta", "index": 0,
                                            "delta": {"type": "text_delta", "text": piece}})
                   for piece in _split(text, size)]
    events += [("content_block_stop", {"type": "content_block_stop", "index": 0}),
               ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use" if call else "end_turn",
                                                                     "stop_sequence": None},
                                  "usage": {"output_tokens": 7}}),
               ("message_stop", {"type": "message_stop"})]
    return [sse(e) for e in events]


def google_stream(text, call, seen, size=None):
    usage = {"promptTokenCount": 30, "candidatesTokenCount": 7, "totalTokenCount": 37, "cachedContentTokenCount": 10}
    if call:
        return [sse({"candidates": [{"content": {"role": "model", "parts": [
            {"functionCall": {"name": seen_tool_name(seen), "args": json.loads(tool_args(seen))}}]}, "finishReason": "STOP",
            "index": 0}], "usageMetadata": usage, "modelVersion": "up-model"})]
    pieces = _split(text, size)
    return [sse({"candidates": [dict({"content": {"role": "model", "parts": [{"text": piece}]}, "index": 0},
                                     **({"finishReason": "STOP"} if n == len(pieces) - 1 else {}))],
                 "usageMetadata": usage, "modelVersion": "up-model"}) for n, piece in enumerate(pieces)]


def bedrock_stream(text, call, seen, size=None):
    from cloudfakes import event

    frames = [event("messageStart", {"role": "assistant"})]
    if call:
        frames.append(event("contentBlockStart", {"contentBlockIndex": 0, "start": {
            "toolUse": {"toolUseId": "tooluse_up1", "name": seen_tool_name(seen)}}}))
        frames += [event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"toolUse": {"input": piece}}})
                   for piece in _split(tool_args(seen), 9)]
    else:
        frames += [event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}})
                   for piece in _split(text, size)]
    frames.append(event("contentBlockStop", {"contentBlockIndex": 0}))
    frames.append(event("messageStop", {"stopReason": "tool_use" if call else "end_turn"}))
    frames.append(event("metadata", {"usage": {"inputTokens": 20, "outputTokens": 7, "totalTokens": 37,
                                               "cacheReadInputTokens": 10, "cacheWriteInputTokens": 0},
                                     "metrics": {"latencyMs": 5}}))
    return frames


STREAMS = {"completions": completions_stream, "openrouter": openrouter_stream, "bedrock": bedrock_stream, "responses": responses_stream, "codex": responses_stream,
           "anthropic": anthropic_stream, "google": google_stream}


# -- answering: whole ----------------------------------------------------------------------------------------

def completions_whole(text, call, seen):
    message = {"role": "assistant", "content": None if call else text}
    if call:
        message["tool_calls"] = [{"id": "call_up1", "type": "function",
                                  "function": {"name": seen_tool_name(seen), "arguments": tool_args(seen)}}]
    return {"id": "chatcmpl-up", "object": "chat.completion", "created": 1, "model": "up-model",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if call else "stop"}],
            "usage": {"prompt_tokens": 30, "completion_tokens": 7, "total_tokens": 37,
                      "prompt_tokens_details": {"cached_tokens": 10}}}


def responses_whole(text, call, seen):
    return _responses_whole([_responses_item(text, call, seen)])


def anthropic_whole(text, call, seen):
    content = ([{"type": "tool_use", "id": "toolu_up1", "name": seen_tool_name(seen), "input": json.loads(tool_args(seen))}]
               if call else [{"type": "text", "text": text}])
    return {"id": "msg_up", "type": "message", "role": "assistant", "model": "up-model", "content": content,
            "stop_reason": "tool_use" if call else "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 20, "cache_read_input_tokens": 10, "cache_creation_input_tokens": 0,
                      "output_tokens": 7}}


WHOLE = {"completions": completions_whole, "openrouter": completions_whole, "responses": responses_whole, "anthropic": anthropic_whole}


def seen_tool_name(seen):
    """The tool the stand-ins call: a real client's shell tool, else the first one offered."""
    return next((name for name in seen["tools"] if name in SHELL_TOOLS), seen["tools"][0])


def tool_args(seen):
    return SHELL_TOOLS.get(seen_tool_name(seen), TOOL_ARGS)


# -- the set behind one atomic serve --------------------------------------------------------------------------

class Upstreams:
    """Every upstream the serve tests reach, on the fake network, and the auth.json that signs in
    to each (keys and a ChatGPT login; no Claude subscription)."""

    def __init__(self, net):
        self.openai = Upstream(net, "responses", "api.openai.com", "/v1/responses")
        self.groq = Upstream(net, "completions", "api.groq.com", "/openai/v1/chat/completions")
        self.openrouter = Upstream(net, "openrouter", "openrouter.ai", "/api/v1/chat/completions")
        self.anthropic = Upstream(net, "anthropic", "api.anthropic.com", "/v1/messages")
        self.anthropic_count = Upstream(net, "count", "api.anthropic.com", "/v1/messages/count_tokens")
        self.google = Upstream(net, "google", "generativelanguage.googleapis.com",
                               "/v1beta/models/gemini-2.5-flash:streamGenerateContent")
        self.codex = Upstream(net, "codex", "chatgpt.com", "/backend-api/codex/responses")
        self.bedrock = Upstream(net, "bedrock", "bedrock-runtime.us-east-1.amazonaws.com",
                                "/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/converse-stream")
        # Copilot refuses a model on an endpoint its /models entry does not list (unsupported_api_for_model),
        # and an image sent without its vision header.
        copilot = "api.individual.githubcopilot.com"
        self.copilot_chat, self.copilot_messages, self.copilot_responses = (
            Upstream(net, kind, copilot, path, refuses=lambda body, headers, path=path: (
                unsupported_api(path, body.get("model")) or refuses_unseen_image(body, headers)))
            for kind, path in (("completions", "/chat/completions"), ("anthropic", "/v1/messages"),
                               ("responses", "/responses")))

    # A model of each upstream wire API, and who answers it.
    MODELS = {"openai-completions": "groq/llama-3.3-70b-versatile", "openai-responses": "openai/gpt-4o",
              "anthropic-messages": "anthropic/claude-sonnet-4-5", "google-generative-ai": "google/gemini-2.5-flash",
              "openai-codex-responses": "openai-codex/gpt-5.2-codex",
              "bedrock-converse-stream": "amazon-bedrock/anthropic.claude-haiku-4-5-20251001-v1:0"}

    def clear(self):
        """No fault left for the next test."""
        for upstream in vars(self).values():
            del upstream.faults[:]

    def of(self, api):
        return {"openai-completions": self.groq, "openai-responses": self.openai, "anthropic-messages": self.anthropic,
                "google-generative-ai": self.google, "openai-codex-responses": self.codex,
                "bedrock-converse-stream": self.bedrock}[api]


SECRETS = {"openai": "sk-proj-upstreamOPENAIsecret0000000001", "groq": "gsk_upstreamGROQsecret000000000000001",
           "openrouter": "sk-or-v1-upstreamOPENROUTERsecret000000000001",
           "anthropic": "sk-ant-api03-upstreamANTHROPICsecret00001", "google": "AIzaUpstreamGOOGLEsecret000000000000001",
           "codex_refresh": "rt_upstreamCODEXrefresh0000000001", "bedrock": "ABSKupstreamBEDROCKbearerKey000000001", "copilot": "ghu_upstreamCOPILOTgithubToken000001",
           "copilot_access": "tid=upstreamCOPILOTaccess0001;exp=%d;proxy-ep=proxy.individual.githubcopilot.com;"
                      % (int(time.time()) + 30 * 86400)}


def auth_json():
    from oauthfakes import make_jwt

    month = int(time.time()) + 30 * 86400
    access = make_jwt({"https://api.openai.com/auth": {"chatgpt_account_id": "acct-42"}, "exp": month})
    return {"openai": {"type": "api_key", "key": SECRETS["openai"]},
            "groq": {"type": "api_key", "key": SECRETS["groq"]},
            "openrouter": {"type": "api_key", "key": SECRETS["openrouter"]},
            "anthropic": {"type": "api_key", "key": SECRETS["anthropic"]},
            "google": {"type": "api_key", "key": SECRETS["google"]},
            "openai-codex": {"type": "oauth", "access": access, "refresh": SECRETS["codex_refresh"],
                             "expires": month * 1000, "accountId": "acct-42"},
            "github-copilot": {"type": "oauth", "access": SECRETS["copilot_access"], "refresh": SECRETS["copilot"],
                               "expires": month * 1000}}


def png(size=64):
    """A small PNG's bytes, base64 (what a client attaches)."""
    import struct
    import zlib

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * size for _ in range(size))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return base64.b64encode(data).decode("ascii")
