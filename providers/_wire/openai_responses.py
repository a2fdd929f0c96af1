"""OpenAI Responses (`POST {base}/responses`, SSE of typed events), with `store: false`.

The ChatGPT Codex backend speaks the same events (openai_codex_responses builds its request);
the answer ends with `response.completed` (or `.incomplete`, or Codex's `response.done`), and
`response.failed` or an `error` event is the server's error, never a silent end.

Nothing is stored on the server, so every request carries the whole conversation as input items:
messages (text and `input_image`), `function_call` and `function_call_output` items, and the
model's own reasoning items with their `encrypted_content` (asked for with `include`), which is
the thinking block's signature (its item id rides in the block's native extras). Answers stream
function calls as argument deltas; a server that sends the arguments only whole, in `.done` or in
the finished item, is read too.
"""
from .common import ProviderError, as_int, error_text, join, json_event, stream_error
from .convert import (CannotCarry, cache_fields, data_url, effort, max_tokens, sampling, text_of,
                      thinking_as)
from .ir import FEATURES, safe_call_id
from .request import ApiRequest

FAMILY = "openai-responses"
CARRIES = frozenset(FEATURES)
MIN_OUTPUT_TOKENS = 16  # the API refuses max_output_tokens below this
ENCRYPTED = "reasoning.encrypted_content"
_TERMINAL = ("response.completed", "response.incomplete", "response.done")
_TOOL_CHOICE = {"auto": "auto", "none": "none", "any": "required"}


def build(model, base_url, headers, request):
    body = {"model": model["id"], "input": input_items(request, model, system=True), "stream": True, "store": False}
    cap = max_tokens(model, request)
    if cap:
        body["max_output_tokens"] = max(cap, MIN_OUTPUT_TOKENS)
    if model.get("reasoning") and model.get("provider") != "github-copilot":
        body["reasoning"] = {"summary": "auto"}  # without it the stream carries no reasoning text
        body["include"] = [ENCRYPTED]             # the reasoning's state, to send back next turn
    level = effort(request)
    if level and model.get("reasoning"):
        body.setdefault("reasoning", {})["effort"] = level
    options(body, request, sampling_too=True)
    tools(body, request)
    if request.fast:
        body["service_tier"] = "priority"
    cache_fields(body, model, base_url, request)
    sampling(body, model)
    headers.setdefault("Content-Type", "application/json")
    return ApiRequest("POST", join(base_url, "responses"), headers, json=body)


def options(body, request, sampling_too):
    """Structured output, and (where the server takes them) temperature, top_p and user. The
    Responses API has no stop sequences: a request with them is refused."""
    opts = request.options
    if opts.stop:
        raise CannotCarry("the OpenAI Responses API takes no stop sequences; leave them out")
    if sampling_too:
        for field, value in (("temperature", opts.temperature), ("top_p", opts.top_p), ("user", opts.user)):
            if value is not None:
                body[field] = value
    schema = opts.output_schema
    if schema:
        body.setdefault("text", {})["format"] = {"type": "json_schema", "name": schema.get("name") or "answer",
                                                 "schema": schema.get("schema") or {},
                                                 "strict": bool(schema.get("strict"))}


def tools(body, request):
    """Function tools (flat, strict off: a schema need not be written for strict mode), tool_choice
    and parallel_tool_calls."""
    if request.tools:
        body["tools"] = [{"type": "function", "name": t.name, "description": t.description,
                          "parameters": t.schema, "strict": False} for t in request.tools]
    if request.options.parallel_tools is not None:
        body["parallel_tool_calls"] = bool(request.options.parallel_tools)
    choice = request.tool_choice
    if isinstance(choice, dict):
        body["tool_choice"] = {"type": "function", "name": choice.get("name")}
    elif choice in _TOOL_CHOICE:
        body["tool_choice"] = _TOOL_CHOICE[choice]


def input_items(request, model, system):
    items = []
    if system and request.system:
        flags = model.get("compat") if isinstance(model.get("compat"), dict) else {}
        developer = model.get("reasoning") and flags.get("supportsDeveloperRole") is not False
        items.append({"role": "developer" if developer else "system", "content": request.system})
    for message in request.turns:
        if message.role == "user":
            items.append({"type": "message", "role": "user", "content": _content(message.blocks)})
        elif message.role == "assistant":
            items.extend(_assistant(message.blocks))
        else:
            items.extend(_result(block) for block in message.blocks)
    return items


def _content(blocks):
    return [{"type": "input_text", "text": b.text} if b.kind == "text" else
            {"type": "input_image", "image_url": data_url(b)} for b in blocks if b.kind in ("text", "image")]


def _assistant(blocks):
    items, text = [], []
    for block in blocks:
        if block.kind == "text":
            text.append(block.text)
            continue
        if block.kind == "thinking":
            how = thinking_as(block, FAMILY)
            if how == "text":
                text.append(block.text + "\n\n")
            # The family's own reasoning without its encrypted_content cannot be sent back (nothing
            # is stored on the server to find it by): it is left out, as the Atomic agent does.
            if how != "own" or not block.signature:
                continue
        elif block.kind != "tool_call":
            continue
        if text:
            items.append(_said("".join(text)))
            text = []
        items.append(_call(block) if block.kind == "tool_call" else _reasoning(block))
    if text:
        items.append(_said("".join(text)))
    return items


def _said(text):
    return {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}


def _call(block):
    item = {"type": "function_call", "call_id": safe_call_id(block.id), "name": block.name,
            "arguments": block.arguments or "{}"}
    own = _native(block).get("id")
    if isinstance(own, str) and own.startswith("fc"):  # the API checks that an item id is its own kind
        item["id"] = own
    return item


def _reasoning(block):
    item = {"type": "reasoning", "summary": [{"type": "summary_text", "text": block.text}] if block.text else [],
            "encrypted_content": block.signature}
    own = _native(block).get("id")
    if isinstance(own, str) and own:
        item["id"] = own
    return item


def _native(block):
    return (block.native or {}).get(FAMILY) or {}


def _result(block):
    images = [b for b in block.blocks if b.kind == "image"]
    output = _content(block.blocks) if images else text_of(block.blocks)
    return {"type": "function_call_output", "call_id": safe_call_id(block.call_id), "output": output}


# -- reading ---------------------------------------------------------------------------------------

def read(events, answer):
    state = _Stream()
    for event in events:
        if event.data == "[DONE]":
            return
        doc = json_event(event, "the server")
        kind = doc.get("type") or event.event
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(doc, state, answer)
        elif kind in _TERMINAL:
            _finish(doc.get("response") if isinstance(doc.get("response"), dict) else {}, state, answer)
            return
        elif kind == "response.failed":
            response = doc.get("response") if isinstance(doc.get("response"), dict) else {}
            raise ProviderError("reported that the answer failed: %s"
                                % error_text(response.get("error") or response.get("incomplete_details") or doc))
        elif kind == "error":
            raise stream_error(answer, error_text(doc))


class _Stream:
    """What a Responses stream has said so far, by output item id: the items that have streamed
    text, reasoning or arguments (so that the finished item is not read twice), the reasoning part
    last streamed (item id, summary index), and whether the model refused or called a function."""
    __slots__ = ("streamed", "part", "refused", "called")

    def __init__(self):
        self.streamed, self.part, self.refused, self.called = set(), None, False, False


def _created(doc, state, answer):
    response = doc.get("response") if isinstance(doc.get("response"), dict) else {}
    answer.start(_text(response.get("model")) or None, _text(response.get("id")) or None)


def _text_delta(doc, state, answer):
    delta = _text(doc.get("delta"))
    if delta:
        state.streamed.add(doc.get("item_id"))
        state.refused = state.refused or doc.get("type") == "response.refusal.delta"
        answer.text(delta)


def _reasoning_delta(doc, state, answer):
    delta = _text(doc.get("delta"))
    if not delta:
        return
    where = (doc.get("item_id"), doc.get("summary_index"))
    if state.part is not None and where != state.part and answer.block is not None and answer.block.kind == "thinking":
        answer.reasoning("\n\n")  # a new summary part: the parts read as paragraphs
    state.part = where
    state.streamed.add(doc.get("item_id"))
    answer.reasoning(delta)


def _item_added(doc, state, answer):
    item = doc.get("item") if isinstance(doc.get("item"), dict) else {}
    if item.get("type") == "function_call":
        _open_call(item, state, answer)


def _open_call(item, state, answer):
    native = {FAMILY: {"id": item["id"]}} if isinstance(item.get("id"), str) else None
    answer.tool_call(_text(item.get("call_id")) or _text(item.get("id")), _text(item.get("name")), native=native)
    state.called = True
    if _text(item.get("arguments")):  # a server that announces the call with its arguments whole
        state.streamed.add(item.get("id"))
        answer.tool_args(item["arguments"])


def _arguments_delta(doc, state, answer):
    if _text(doc.get("delta")) and answer.block is not None and answer.block.kind == "tool_call":
        state.streamed.add(doc.get("item_id"))
        answer.tool_args(doc["delta"])


def _arguments_done(doc, state, answer):
    """Backends that send the arguments only here, never as deltas (gateway-facts §3.4)."""
    if doc.get("item_id") not in state.streamed and answer.block is not None and answer.block.kind == "tool_call":
        state.streamed.add(doc.get("item_id"))
        answer.tool_args(_text(doc.get("arguments")))


def _item_done(doc, state, answer):
    item = doc.get("item") if isinstance(doc.get("item"), dict) else {}
    kind, seen = item.get("type"), item.get("id") in state.streamed
    if kind == "reasoning":
        if not seen:
            summary = [_text(p.get("text")) for p in item.get("summary") or () if isinstance(p, dict)]
            answer.reasoning("\n\n".join(s for s in summary if s))
        signature = _text(item.get("encrypted_content")) or None
        if signature or (answer.block is not None and answer.block.kind == "thinking"):
            native = {FAMILY: {"id": item["id"]}} if isinstance(item.get("id"), str) else None
            answer.reasoning_end(signature, FAMILY, native=native)
    elif kind == "function_call":
        if answer.block is None or answer.block.kind != "tool_call":
            _open_call(item, state, answer)  # a call that was never announced
        elif not seen:
            answer.tool_args(_text(item.get("arguments")))
        answer.block_end()
    elif kind == "message":
        if not seen:  # a server that sends the text only in the finished item
            for part in item.get("content") or ():
                if isinstance(part, dict) and part.get("type") in ("output_text", "refusal"):
                    answer.text(_text(part.get("text") or part.get("refusal")))
        answer.block_end()


_HANDLERS = {
    "response.created": _created,
    "response.output_text.delta": _text_delta,
    "response.refusal.delta": _text_delta,
    "response.reasoning_summary_text.delta": _reasoning_delta,
    "response.reasoning_text.delta": _reasoning_delta,
    "response.output_item.added": _item_added,
    "response.function_call_arguments.delta": _arguments_delta,
    "response.function_call_arguments.done": _arguments_done,
    "response.output_item.done": _item_done,
}


def _text(value):
    return value if isinstance(value, str) else ""


def _finish(response, state, answer):
    usage = response.get("usage") if isinstance(response.get("usage"), dict) else {}
    details = usage.get("input_tokens_details") if isinstance(usage.get("input_tokens_details"), dict) else {}
    out_details = usage.get("output_tokens_details") if isinstance(usage.get("output_tokens_details"), dict) else {}
    total_in = as_int(usage.get("input_tokens"))
    cached = min(total_in, as_int(details.get("cached_tokens")))
    answer.usage.update(input=total_in - cached, output=as_int(usage.get("output_tokens")), cacheRead=cached,
                        reasoning=as_int(out_details.get("reasoning_tokens")))
    if isinstance(response.get("service_tier"), str):
        answer.service_tier = response["service_tier"]
    answer.start(_text(response.get("model")) or None, _text(response.get("id")) or None)
    answer.stop(*_stop(response, state))
    answer.finished = True


def _stop(response, state):
    status = response.get("status")
    reason = (response.get("incomplete_details") or {}).get("reason") if isinstance(
        response.get("incomplete_details"), dict) else None
    if status == "incomplete":
        return {"max_output_tokens": "length", "content_filter": "refused"}.get(reason, "error"), "incomplete.%s" % reason
    if status in ("failed", "cancelled"):
        return "error", status
    called = state.called or any(isinstance(i, dict) and i.get("type") == "function_call"
                                 for i in response.get("output") or ())
    return ("refused" if state.refused else "toolUse" if called else "stop"), status or "completed"
