"""Anthropic Messages (`POST {base}/v1/messages`, SSE of typed events).

The key header (x-api-key, or a bearer for a Claude subscription) and `anthropic-version` come
with the credential; the subscription's identity headers and system block are added by the
anthropic provider's prepare() hook. The answer ends with `message_stop`; an `error` event
(overloaded, say) is the server's error.
"""
from .common import as_int, error_text, join, json_event, stream_error
from .request import ApiRequest

DEFAULT_MAX_TOKENS = 4096  # the API requires max_tokens; used when the catalogue gives none
_STOP = {"end_turn": "stop", "stop_sequence": "stop", "pause_turn": "stop", "max_tokens": "length",
         "model_context_window_exceeded": "length", "tool_use": "toolUse", "refusal": "refused"}


def build(model, base_url, headers, turn):
    max_tokens = model.get("maxTokens")
    body = {
        "model": model["id"],
        "max_tokens": max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else DEFAULT_MAX_TOKENS,
        "stream": True,
        "messages": [{"role": m["role"], "content": m["content"]} for m in turn.messages],
    }
    if turn.system:
        body["system"] = turn.system
    body.update(model.get("samplingParams") or {})
    headers.setdefault("Content-Type", "application/json")
    return ApiRequest("POST", join(base_url, "v1/messages"), headers, json=body)


def read(events, answer):
    for event in events:
        if event.event == "ping":
            continue
        doc = json_event(event, "the server")
        kind = doc.get("type") or event.event
        if kind == "content_block_delta":
            delta = doc.get("delta") if isinstance(doc.get("delta"), dict) else {}
            if delta.get("type") == "text_delta":
                answer.text(_text(delta.get("text")))
            elif delta.get("type") == "thinking_delta":
                answer.reasoning(_text(delta.get("thinking")))
        elif kind == "content_block_start":
            block = doc.get("content_block") if isinstance(doc.get("content_block"), dict) else {}
            if block.get("type") == "text":
                answer.text(_text(block.get("text")))
            elif block.get("type") == "thinking":
                answer.reasoning(_text(block.get("thinking")))
        elif kind == "message_start":
            message = doc.get("message") if isinstance(doc.get("message"), dict) else {}
            answer.model = message.get("model") or answer.model
            _usage(message.get("usage"), answer)
        elif kind == "message_delta":
            delta = doc.get("delta") if isinstance(doc.get("delta"), dict) else {}
            reason = delta.get("stop_reason")
            if isinstance(reason, str):
                answer.stop(_STOP.get(reason, "error"), reason)
            _usage(doc.get("usage"), answer)
        elif kind == "message_stop":
            answer.finished = True
            return
        elif kind == "error" or event.event == "error":
            raise stream_error(answer, error_text(doc))


def _text(value):
    return value if isinstance(value, str) else ""


def _usage(usage, answer):
    if not isinstance(usage, dict):
        return
    # message_delta repeats only what changed; keep message_start's counts for the rest.
    for field, name in (("input_tokens", "input"), ("output_tokens", "output"),
                        ("cache_read_input_tokens", "cacheRead"), ("cache_creation_input_tokens", "cacheWrite")):
        if usage.get(field) is not None:
            answer.usage[name] = as_int(usage.get(field))
