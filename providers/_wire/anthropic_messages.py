"""Anthropic Messages (`POST {base}/v1/messages`, SSE of typed events).

The key header (x-api-key, or a bearer for a Claude subscription) and `anthropic-version` come
with the credential; the subscription's identity headers and system block are added by the
anthropic provider's prepare() hook. The answer ends with `message_stop`; an `error` event
(overloaded, say) is the server's error.

Requests carry content blocks: text, images (base64 or by URL), `tool_use` in the assistant's
turn and `tool_result` in the user's next one (runs of one role are made one message), and the
model's own thinking with its `signature` (or a `redacted_thinking` block's data). Prompt caching
marks blocks with `cache_control` where the Atomic agent does: the system prompt, the last tool,
and the last block of the conversation when the user spoke last; `ttl: 1h` for the long retention.
Answers stream tool input as `input_json_delta` fragments and thinking signatures as
`signature_delta`.
"""
from .common import as_int, error_text, join, json_event, stream_error
from .convert import (MIN_BUDGET, CannotCarry, arguments, budget, compat, effort, inline, max_tokens, merged,
                      retention, sampling, thinking_as)
from .ir import FEATURES, safe_call_id
from .request import ApiRequest

FAMILY = "anthropic-messages"
CARRIES = frozenset(FEATURES)
DEFAULT_MAX_TOKENS = 4096  # the API requires max_tokens; used when the catalogue gives none
_STOP = {"end_turn": "stop", "stop_sequence": "stop", "pause_turn": "stop", "max_tokens": "length",
         "model_context_window_exceeded": "length", "tool_use": "toolUse", "refusal": "refused",
         "sensitive": "refused"}
_TOOL_CHOICE = {"auto": "auto", "any": "any", "none": "none"}
_CACHED_KINDS = ("text", "image", "tool_result")


def build(model, base_url, headers, request):
    flags, mark = compat(model), cache_control(model, request)
    cap = max_tokens(model, request) or DEFAULT_MAX_TOKENS
    body = {"model": model["id"], "max_tokens": cap, "stream": True,
            "messages": messages(request, mark, flags.get("allowEmptySignature") is True)}
    if request.system:
        body["system"] = [_marked({"type": "text", "text": request.system}, mark)] if mark else request.system
    _tools(body, request, mark if flags.get("supportsCacheControlOnTools") is not False else None)
    thinking = _thinking(body, request, model, flags, cap)
    _options(body, request, sampling_too=not thinking and flags.get("supportsTemperature") is not False)
    sampling(body, model)
    headers.setdefault("Content-Type", "application/json")
    return ApiRequest("POST", join(base_url, "v1/messages"), headers, json=body)


def cache_control(model, request):
    """The cache_control mark for this request, or None when caching is off: ephemeral, with
    `ttl: 1h` for the long retention (unless compat.supportsLongCacheRetention is false)."""
    kept = retention(request)
    if kept == "none":
        return None
    long = kept == "long" and compat(model).get("supportsLongCacheRetention") is not False
    return {"type": "ephemeral", "ttl": "1h"} if long else {"type": "ephemeral"}


def _marked(block, mark):
    if mark:
        block["cache_control"] = dict(mark)
    return block


def _tools(body, request, mark):
    if request.tools:
        body["tools"] = [{"name": t.name, "description": t.description, "input_schema": t.schema}
                         for t in request.tools]
        _marked(body["tools"][-1], mark)
    choice, parallel = request.tool_choice, request.options.parallel_tools
    if isinstance(choice, dict):
        body["tool_choice"] = {"type": "tool", "name": choice.get("name")}
    elif choice in _TOOL_CHOICE:
        body["tool_choice"] = {"type": _TOOL_CHOICE[choice]}
    if parallel is False and request.tools:
        body.setdefault("tool_choice", {"type": "auto"})["disable_parallel_tool_use"] = True


def _thinking(body, request, model, flags, cap):
    """Extended thinking when the request asks for it: adaptive with an effort where the model
    thinks that way (compat.forceAdaptiveThinking), else a budget below max_tokens."""
    level = effort(request)
    if not level or not model.get("reasoning"):
        return False
    if flags.get("forceAdaptiveThinking"):
        body["thinking"] = {"type": "adaptive", "display": "summarized"}
        body.setdefault("output_config", {})["effort"] = level if level != "minimal" else "low"
    else:
        if cap <= MIN_BUDGET:
            raise CannotCarry("thinking needs max_tokens above %d on %s (it is %d); raise it or ask for no "
                              "reasoning" % (MIN_BUDGET, model["id"], cap))
        body["thinking"] = {"type": "enabled", "budget_tokens": budget(request, cap), "display": "summarized"}
    return True


def _options(body, request, sampling_too):
    """Stop sequences, the end user, structured output; temperature and top_p unless thinking is
    on (the API refuses them then) or the model takes none."""
    opts = request.options
    if sampling_too:
        for field, value in (("temperature", opts.temperature), ("top_p", opts.top_p)):
            if value is not None:
                body[field] = value
    if opts.stop:
        body["stop_sequences"] = list(opts.stop)
    if opts.user:
        body["metadata"] = {"user_id": opts.user}
    if opts.output_schema:
        body.setdefault("output_config", {})["format"] = {"type": "json_schema",
                                                          "schema": opts.output_schema.get("schema") or {}}


def messages(request, mark=None, empty_signature=False):
    """The conversation as Messages turns: tool results in the user's turn, runs of one role
    joined, and the last block marked for the cache when the user spoke last."""
    out = []
    for message in request.turns:
        if message.role == "assistant":
            content = [b for b in (_said(block, empty_signature) for block in message.blocks) if b]
        else:
            content = [b for b in (_heard(block) for block in message.blocks) if b]
        if content:
            out.append({"role": "assistant" if message.role == "assistant" else "user", "content": content})
    out = merged(out)
    if mark and out and out[-1]["role"] == "user" and out[-1]["content"][-1]["type"] in _CACHED_KINDS:
        _marked(out[-1]["content"][-1], mark)
    for turn in out:
        only = turn["content"][0]
        if len(turn["content"]) == 1 and only["type"] == "text" and "cache_control" not in only:
            turn["content"] = only["text"]  # the plain form, as simple requests have always been sent
    return out


def _heard(block):
    if block.kind == "text":  # the API refuses a text block of only white space
        return {"type": "text", "text": block.text} if block.text.strip() else None
    if block.kind == "image":
        return image(block)
    if block.kind == "tool_result":
        result = {"type": "tool_result", "tool_use_id": safe_call_id(block.call_id)}
        content = [b for b in (_heard(part) for part in block.blocks) if b]
        if content:
            result["content"] = content
        if block.is_error:
            result["is_error"] = True
        return result
    return None


def image(block):
    """An image block: base64 data, or the image's URL."""
    found = inline(block)
    if found is not None:
        return {"type": "image", "source": {"type": "base64", "media_type": found[0], "data": found[1]}}
    return {"type": "image", "source": {"type": "url", "url": block.url}}


def _said(block, empty_signature):
    if block.kind == "text":
        return {"type": "text", "text": block.text} if block.text.strip() else None
    if block.kind == "tool_call":
        return {"type": "tool_use", "id": safe_call_id(block.id), "name": block.name,
                "input": arguments(block, "Anthropic Messages")}
    if block.kind != "thinking":
        return None
    how = thinking_as(block, FAMILY)
    if how == "own" and block.redacted:
        return {"type": "redacted_thinking", "data": block.redacted}
    if how == "own" and (block.signature or empty_signature):
        return {"type": "thinking", "thinking": block.text, "signature": block.signature or ""}
    # Foreign thinking, or the API's own cut off before its signature came: plain text.
    return {"type": "text", "text": block.text} if block.text and block.text.strip() else None


# -- reading ---------------------------------------------------------------------------------------

def read(events, answer):
    state = _Stream()
    for event in events:
        if event.event == "ping":
            continue
        doc = json_event(event, "the server")
        kind = doc.get("type") or event.event
        if kind == "content_block_delta":
            _delta(doc.get("delta") if isinstance(doc.get("delta"), dict) else {}, state, answer)
        elif kind == "content_block_start":
            _start(doc.get("content_block") if isinstance(doc.get("content_block"), dict) else {}, state, answer)
        elif kind == "content_block_stop":
            _stop_block(state, answer)
        elif kind == "message_start":
            message = doc.get("message") if isinstance(doc.get("message"), dict) else {}
            answer.start(_text(message.get("model")) or None, _text(message.get("id")) or None)
            _usage(message.get("usage"), answer)
        elif kind == "message_delta":
            _message_delta(doc, answer)
        elif kind == "message_stop":
            answer.finished = True
            return
        elif kind == "error" or event.event == "error":
            raise stream_error(answer, error_text(doc))


class _Stream:
    """The content block open (its type) and the signature its signature_deltas have built."""
    __slots__ = ("kind", "signature")

    def __init__(self):
        self.kind, self.signature = None, ""


def _start(block, state, answer):
    state.kind, state.signature = block.get("type"), _text(block.get("signature"))
    if state.kind == "text":
        answer.block_end()
        answer.text(_text(block.get("text")))
    elif state.kind == "thinking":
        answer.block_end()
        answer.reasoning(_text(block.get("thinking")))
    elif state.kind == "redacted_thinking":
        answer.reasoning_end(None, FAMILY, redacted=_text(block.get("data")) or None)
    elif state.kind == "tool_use":
        answer.tool_call(_text(block.get("id")), _text(block.get("name")))
        given = block.get("input")
        if isinstance(given, dict) and given:  # a server that sends the input whole at the start
            import json

            answer.tool_args(json.dumps(given, ensure_ascii=False))


def _delta(delta, state, answer):
    kind = delta.get("type")
    if kind == "text_delta":
        answer.text(_text(delta.get("text")))
    elif kind == "thinking_delta":
        answer.reasoning(_text(delta.get("thinking")))
    elif kind == "signature_delta":
        state.signature += _text(delta.get("signature"))
    elif kind == "input_json_delta" and state.kind == "tool_use":
        answer.tool_args(_text(delta.get("partial_json")))


def _stop_block(state, answer):
    if state.kind == "thinking":
        answer.reasoning_end(state.signature or None, FAMILY)
    elif state.kind != "redacted_thinking":
        answer.block_end()
    state.kind, state.signature = None, ""


def _message_delta(doc, answer):
    delta = doc.get("delta") if isinstance(doc.get("delta"), dict) else {}
    reason = delta.get("stop_reason")
    if isinstance(reason, str):
        answer.stop(_STOP.get(reason, "error"), reason)
    _usage(doc.get("usage"), answer)


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
    details = usage.get("output_tokens_details")
    if isinstance(details, dict) and details.get("thinking_tokens") is not None:
        answer.usage["reasoning"] = as_int(details["thinking_tokens"])
