"""Amazon Bedrock ConverseStream (`POST {base}/model/<modelId>/converse-stream`), answered in the AWS
event-stream framing (providers._wire.eventstream), not server-sent events.

Each event message names its event in `:event-type`, and its payload is that event's body:
contentBlockStart opens a tool call (`start.toolUse`), contentBlockDelta carries `delta.text`,
`delta.toolUse.input` fragments or `delta.reasoningContent` (text, then its signature, or
redactedContent), contentBlockStop ends the block, messageStop gives the stop reason, and
metadata, the last event, the usage. A message of type `exception` (throttling, validation, a
model error mid-stream) or `error` is the server's error. Where the request goes, how it is
signed and where its cache points go are the amazon-bedrock provider module's business.

Requests carry content blocks: text, images (as bytes: Converse takes no image URL, so one is
refused), `toolUse` and `toolResult` (runs of one role are one message: Converse wants turns
to alternate), and the model's own reasoning with its signature. Thinking is asked of Claude
models as Anthropic's `thinking` in additionalModelRequestFields.
"""
import json

from .common import ProviderError, as_int, join, stream_error
from .convert import CannotCarry, arguments, budget, max_tokens, merged, only_inline, thinking_as
from .eventstream import messages as events  # noqa: F401  (the framing the exchange reads)
from .ir import FEATURES, safe_call_id
from .request import ApiRequest
from .._core.mask import excerpt

FAMILY = "bedrock-converse-stream"
CARRIES = frozenset(FEATURES)
ACCEPT = "application/vnd.amazon.eventstream"
_STOP = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
         "model_context_window_exceeded": "length", "tool_use": "toolUse",
         "guardrail_intervened": "refused", "content_filtered": "refused"}
_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif", "image/webp": "webp"}


def model_path(model_id):
    """model/<id>/converse-stream with the id percent-encoded as botocore does (only -._~ kept):
    ARNs and ids with a version (`…-v1:0`) travel as one path segment."""
    import urllib.parse

    return "model/%s/converse-stream" % urllib.parse.quote(model_id, safe="-._~")


INFERENCE_FIELDS = ("maxTokens", "temperature", "topP", "stopSequences")
# ConverseStream's request fields beside the messages, which samplingParams may also set.
REQUEST_FIELDS = ("guardrailConfig", "performanceConfig", "promptVariables", "requestMetadata",
                  "additionalModelResponseFieldPaths")


def build(model, base_url, headers, request):
    body = {"messages": conversation(request)}
    if request.system:
        body["system"] = [{"text": request.system}]
    _tools(body, request)
    inference, extra = _inference(model, request), _thinking(model, request)
    # samplingParams: Converse's own settings go in inferenceConfig, anything else is the model's
    # (additionalModelRequestFields, e.g. top_k), but a section given whole is merged into its
    # own and Converse's other request fields (guardrailConfig, ...) stay at the top.
    for name, value in (model.get("samplingParams") or {}).items():
        if name == "inferenceConfig" and isinstance(value, dict):
            inference.update(value)
        elif name == "additionalModelRequestFields" and isinstance(value, dict):
            extra.update(value)
        elif name in REQUEST_FIELDS:
            body[name] = value
        else:
            (inference if name in INFERENCE_FIELDS else extra)[name] = value
    if inference:
        body["inferenceConfig"] = inference
    if extra:
        body["additionalModelRequestFields"] = extra
    headers.setdefault("Content-Type", "application/json")
    return ApiRequest("POST", join(base_url, model_path(model["id"])), headers, json=body)


def _inference(model, request):
    opts, cap = request.options, max_tokens(model, request)
    if opts.output_schema:
        raise CannotCarry("Bedrock Converse takes no output schema; describe the JSON in the prompt instead")
    inference = {"maxTokens": cap} if cap else {}
    for field, value in (("temperature", opts.temperature), ("topP", opts.top_p), ("stopSequences", opts.stop)):
        if value is not None:
            inference[field] = value
    return inference


def _thinking(model, request):
    """Anthropic's thinking for a Claude model that reasons, when asked; other models' reasoning
    settings differ by maker and are left to samplingParams."""
    words = ("%s %s" % (model.get("id", ""), model.get("name", ""))).lower()
    if not request.options.reasoning or not model.get("reasoning") or "claude" not in words:
        return {}
    return {"thinking": {"type": "enabled", "budget_tokens": budget(request, max_tokens(model, request))}}


def _tools(body, request):
    specs = [{"toolSpec": {"name": t.name, "description": t.description or t.name, "inputSchema": {"json": t.schema}}}
             for t in request.tools]
    choice = request.tool_choice
    if choice == "none":
        if _has_tool_blocks(request):
            raise CannotCarry("Bedrock Converse cannot be told to call no tool in a conversation that has tool "
                              "calls; leave tool_choice out")
        return  # no tools offered: none can be called
    if not specs and _has_tool_blocks(request):
        # Converse refuses toolUse and toolResult blocks without a toolConfig: the calls' tools, undescribed.
        names = sorted({b.name for m in request.turns for b in m.blocks if b.kind == "tool_call"})
        specs = [{"toolSpec": {"name": n, "description": n, "inputSchema": {"json": {"type": "object"}}}}
                 for n in names]
    if not specs:
        return
    body["toolConfig"] = {"tools": specs}
    if isinstance(choice, dict):
        body["toolConfig"]["toolChoice"] = {"tool": {"name": choice.get("name")}}
    elif choice in ("auto", "any"):
        body["toolConfig"]["toolChoice"] = {choice: {}}


def _has_tool_blocks(request):
    return any(b.kind in ("tool_call", "tool_result") for m in request.turns for b in m.blocks)


def conversation(request):
    """The turns as Converse messages, runs of one role made one."""
    out = []
    for message in request.turns:
        said = message.role == "assistant"
        content = [c for c in ((_said if said else _heard)(b) for b in message.blocks) if c]
        if content:
            out.append({"role": "assistant" if said else "user", "content": content})
    return merged(out)


def _image(block):
    media_type, data = only_inline(block, "Bedrock Converse")
    kind = _FORMATS.get((media_type or "").lower())
    if kind is None:
        raise CannotCarry("Bedrock Converse takes png, jpeg, gif and webp images, not %s" % (media_type or "this one"))
    return {"image": {"format": kind, "source": {"bytes": data}}}


def _heard(block):
    if block.kind == "text":
        return {"text": block.text} if block.text else None
    if block.kind == "image":
        return _image(block)
    if block.kind == "tool_result":
        content = [{"text": b.text} if b.kind == "text" else _image(b) for b in block.blocks
                   if b.kind == "image" or b.text]
        return {"toolResult": {"toolUseId": safe_call_id(block.call_id), "content": content or [{"text": "(no output)"}],
                               "status": "error" if block.is_error else "success"}}
    return None


def _said(block):
    if block.kind == "text":
        return {"text": block.text} if block.text else None
    if block.kind == "tool_call":
        return {"toolUse": {"toolUseId": safe_call_id(block.id), "name": block.name,
                            "input": arguments(block, "Bedrock Converse")}}
    if block.kind != "thinking":
        return None
    how = thinking_as(block, FAMILY)
    if how == "own" and block.redacted:
        return {"reasoningContent": {"redactedContent": block.redacted}}
    if how == "own" and block.signature:
        return {"reasoningContent": {"reasoningText": {"text": block.text, "signature": block.signature}}}
    return {"text": block.text} if block.text and block.text.strip() else None


def read(messages, answer):
    state = _Stream()
    for message in messages:
        kind = message.headers.get(":message-type")
        if kind == "exception":
            raise stream_error(answer, "%s: %s" % (message.headers.get(":exception-type") or "an exception",
                                                   _message(message.payload)))
        if kind == "error":
            raise ProviderError("reported %s: %s" % (message.headers.get(":error-code") or "an error",
                                                     excerpt(str(message.headers.get(":error-message") or ""))))
        event = message.headers.get(":event-type")
        doc = _json(message.payload) if event else {}
        if event == "contentBlockStart":
            _start(doc, state, answer)
        elif event == "contentBlockDelta":
            _delta(doc, state, answer)
        elif event == "contentBlockStop":
            _end_block(state, answer)
        elif event == "messageStop":
            _end_block(state, answer)
            reason = doc.get("stopReason") if isinstance(doc.get("stopReason"), str) else None
            mapped = _STOP.get(reason, "error")
            answer.stop("toolUse" if mapped == "stop" and state.called else mapped, reason)
            answer.finished = True  # metadata (the usage) normally follows
        elif event == "metadata":
            usage = doc.get("usage") if isinstance(doc.get("usage"), dict) else {}
            answer.usage.update(input=as_int(usage.get("inputTokens")), output=as_int(usage.get("outputTokens")),
                                cacheRead=as_int(usage.get("cacheReadInputTokens")),
                                cacheWrite=as_int(usage.get("cacheWriteInputTokens")))
            if answer.finished:
                return
        # messageStart and events atomic does not know carry nothing to show.


class _Stream:
    """The content block open (its contentBlockIndex and kind), the reasoning's signature or
    redacted data so far, and whether the model called a tool."""
    __slots__ = ("index", "kind", "signature", "redacted", "called")

    def __init__(self):
        self.index = self.kind = None
        self.signature, self.redacted, self.called = "", "", False


def _start(doc, state, answer):
    start = doc.get("start") if isinstance(doc.get("start"), dict) else {}
    tool = start.get("toolUse")
    _end_block(state, answer)
    state.index = doc.get("contentBlockIndex")
    if isinstance(tool, dict):
        state.kind, state.called = "tool", True
        answer.tool_call(_text(tool.get("toolUseId")), _text(tool.get("name")))


def _delta(doc, state, answer):
    delta = doc.get("delta") if isinstance(doc.get("delta"), dict) else {}
    if doc.get("contentBlockIndex") != state.index:
        _end_block(state, answer)  # a new block that had no contentBlockStart (text and reasoning have none)
        state.index = doc.get("contentBlockIndex")
    reasoning = delta.get("reasoningContent")
    if isinstance(delta.get("text"), str):
        state.kind = "text"
        answer.text(delta["text"])
    elif isinstance(delta.get("toolUse"), dict) and state.kind == "tool":
        answer.tool_args(_text(delta["toolUse"].get("input")))
    elif isinstance(reasoning, dict):
        state.kind = "reasoning"
        answer.reasoning(_text(reasoning.get("text")))
        state.signature += _text(reasoning.get("signature"))
        state.redacted += _text(reasoning.get("redactedContent"))


def _end_block(state, answer):
    if state.kind == "reasoning":
        answer.reasoning_end(state.signature or None, FAMILY, redacted=state.redacted or None)
    elif state.kind is not None:
        answer.block_end()
    state.index = state.kind = None
    state.signature = state.redacted = ""


def _text(value):
    return value if isinstance(value, str) else ""


def _json(payload):
    try:
        doc = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ProviderError("sent an event that is not JSON: %s" % excerpt(payload.decode("utf-8", "replace")))
    return doc if isinstance(doc, dict) else {}


def _message(payload):
    doc = _json(payload) if payload else {}
    text = doc.get("message") or doc.get("Message")
    return excerpt(text if isinstance(text, str) else payload.decode("utf-8", "replace"))
