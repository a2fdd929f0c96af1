"""Google Gemini (`POST {base}/models/<id>:streamGenerateContent?alt=sse`).

Each event is a whole GenerateContentResponse: candidates[0].content.parts hold the text (a part
with `thought: true` is reasoning) and whole function calls, usageMetadata the running token
counts, and finishReason arrives with the last chunk. An `error` object in an event is the
server's error.

Requests carry the conversation as contents of parts: text, images (`inlineData`, or `fileData`
by URL), `functionCall` parts in the model's turn and `functionResponse` parts (which need the
function's name, found from the call) in the user's. A `thoughtSignature` may ride on any part
of the model's answer and must go back on the same part: the reader puts it in a thinking block
just before the part that carried it (a thought part keeps its own), and the request puts it
back on the part that follows that block.
"""
from .common import as_int, error_text, join, json_event, stream_error
from .convert import CannotCarry, arguments, budget, effort, inline, max_tokens, text_of, thinking_as
from .ir import FEATURES, safe_call_id, tool_name
from .request import ApiRequest

FAMILY = "google-generative-ai"
CARRIES = frozenset(FEATURES)
_FINISH = {"STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "refused", "RECITATION": "refused",
           "BLOCKLIST": "refused", "PROHIBITED_CONTENT": "refused", "SPII": "refused"}
_MODES = {"auto": "AUTO", "none": "NONE", "any": "ANY"}
_LEVELS = {"minimal": "MINIMAL", "low": "LOW", "medium": "MEDIUM", "high": "HIGH", "xhigh": "HIGH"}

# GenerateContentRequest's own fields, which samplingParams may also set.
REQUEST_FIELDS = ("safetySettings", "toolConfig", "tools", "cachedContent", "labels")


def build(model, base_url, headers, request):
    import urllib.parse

    body = {"contents": contents(request, model)}
    if request.system:
        body["systemInstruction"] = {"parts": [{"text": request.system}]}
    _tools(body, request)
    config = _config(model, request)
    # samplingParams (temperature, topP, ...) are generation settings: Gemini takes them in
    # generationConfig, next to the limits set above. A field of the request itself
    # (safetySettings, ...) stays at the top, and a generationConfig given whole is merged in.
    for name, value in (model.get("samplingParams") or {}).items():
        if name == "generationConfig" and isinstance(value, dict):
            config.update(value)
        elif name in REQUEST_FIELDS:
            body[name] = value
        else:
            config[name] = value
    if config:
        body["generationConfig"] = config
    headers.setdefault("Content-Type", "application/json")
    path = "models/%s:streamGenerateContent?alt=sse" % urllib.parse.quote(model["id"], safe="")
    return ApiRequest("POST", join(base_url, path), headers, json=body)


def _config(model, request):
    config, opts = {}, request.options
    cap = max_tokens(model, request)
    if cap:
        config["maxOutputTokens"] = cap
    if model.get("reasoning"):
        config["thinkingConfig"] = _thinking(model, request)
    for field, value in (("temperature", opts.temperature), ("topP", opts.top_p), ("stopSequences", opts.stop)):
        if value is not None:
            config[field] = value
    if opts.output_schema:
        config["responseMimeType"] = "application/json"
        config["responseJsonSchema"] = opts.output_schema.get("schema") or {}
    return config


def _thinking(model, request):
    """Thoughts shown; a level for Gemini 3 (and Gemma 4), a budget in tokens for the others."""
    thinking, level = {"includeThoughts": True}, effort(request)
    if level:
        if _major(model["id"]) >= 3 or "gemma-4" in model["id"].lower() or "gemma4" in model["id"].lower():
            thinking["thinkingLevel"] = _LEVELS.get(level, "HIGH")
        else:
            thinking["thinkingBudget"] = budget(request)
    return thinking


def _major(model_id):
    """Gemini's major version from a model id (gemini-2.5-flash: 2), 0 for other models."""
    import re

    found = re.match(r"gemini(?:-live)?-(\d+)", model_id.lower())
    return int(found.group(1)) if found else 0


def _ids(model_id):
    """Whether function calls and responses carry their ids: Gemini 3 and the other makers'
    models served through Google (pi's rule)."""
    return _major(model_id) >= 3 or model_id.startswith(("claude-", "gpt-oss-"))


def _tools(body, request):
    if request.tools:
        body["tools"] = [{"functionDeclarations": [
            {"name": t.name, "description": t.description, "parametersJsonSchema": t.schema} for t in request.tools]}]
    choice = request.tool_choice
    if isinstance(choice, dict):
        config = {"mode": "ANY", "allowedFunctionNames": [choice.get("name")]}
    elif choice in _MODES:
        config = {"mode": _MODES[choice]}
    else:
        return
    body["toolConfig"] = {"functionCallingConfig": config}


def contents(request, model):
    """The conversation as contents, runs of one role joined."""
    out, ids = [], _ids(model["id"])
    for message in request.turns:
        if message.role == "assistant":
            parts = _model_parts(message.blocks, ids)
        elif message.role == "tool":
            parts = _responses(message.blocks, request, model["id"])
        else:
            parts = [part(block) for block in message.blocks if block.kind in ("text", "image")]
        if parts:
            role = "model" if message.role == "assistant" else "user"
            if out and out[-1]["role"] == role:
                out[-1]["parts"].extend(parts)
            else:
                out.append({"role": role, "parts": parts})
    return out


def part(block):
    """A text or image part: inline data, or the image's URL as fileData."""
    if block.kind == "text":
        return {"text": block.text}
    found = inline(block)
    if found is not None:
        return {"inlineData": {"mimeType": found[0], "data": found[1]}}
    data = {"fileUri": block.url}
    if block.media_type:
        data["mimeType"] = block.media_type
    return {"fileData": data}


def _model_parts(blocks, ids):
    parts, pending = [], None
    for block in blocks:
        if block.kind == "thinking":
            how = thinking_as(block, FAMILY)
            if how == "own" and block.text:
                parts.append(_signed({"thought": True, "text": block.text}, block.signature))
            elif how == "own":
                pending = block.signature or pending  # the signature of the part that follows
            elif how == "text":
                parts.append({"text": block.text})
            continue
        if block.kind == "text" and (block.text or pending):
            parts.append(_signed({"text": block.text}, pending))
        elif block.kind == "tool_call":
            call = {"name": block.name, "args": arguments(block, "Google Gemini")}
            if ids:
                call["id"] = safe_call_id(block.id)
            parts.append(_signed({"functionCall": call}, pending))
        else:
            continue
        pending = None
    if pending:
        parts.append({"text": "", "thoughtSignature": pending})
    return parts


def _signed(part, signature):
    if signature:
        part["thoughtSignature"] = signature
    return part


def _responses(blocks, request, model_id):
    """functionResponse parts; their images inside them where the model takes that (Gemini 3 and
    models other than Gemini), else after them in the same turn."""
    parts, apart = [], []
    for block in blocks:
        name = block.name or tool_name(request, block.call_id)
        if not name:
            raise CannotCarry("Google Gemini needs the function's name with its result, and no call %s is in this "
                              "conversation to take it from; send the call with its result" % block.call_id)
        images = [part(b) for b in block.blocks if b.kind == "image"]
        text = text_of(block.blocks) or ("(see the attached image)" if images else "")
        response = {"name": name, "response": {"error" if block.is_error else "output": text}}
        if _ids(model_id):
            response["id"] = safe_call_id(block.call_id)
        if images and _major(model_id) in (1, 2):
            apart.extend(images)
        elif images:
            response["parts"] = images
        parts.append({"functionResponse": response})
    return parts + ([{"text": "The tool results' images:"}] + apart if apart else [])


def read(events, answer):
    state = _Stream()
    for event in events:
        if event.data == "[DONE]":
            break
        chunk = json_event(event, "the server")
        if chunk.get("error"):
            raise stream_error(answer, error_text(chunk))
        if not state.started:
            state.started = True
            answer.start(_text(chunk.get("modelVersion")) or None, _text(chunk.get("responseId")) or None)
        feedback = chunk.get("promptFeedback") if isinstance(chunk.get("promptFeedback"), dict) else {}
        if isinstance(feedback.get("blockReason"), str):  # the prompt itself was refused: no candidates come
            answer.stop("refused", "blocked.%s" % feedback["blockReason"])
            answer.finished = True
        answer.model = chunk.get("modelVersion") or answer.model
        candidates = chunk.get("candidates")
        candidate = candidates[0] if isinstance(candidates, list) and candidates and isinstance(candidates[0], dict) else {}
        content = candidate.get("content") if isinstance(candidate.get("content"), dict) else {}
        parts = content.get("parts")
        for piece in parts if isinstance(parts, list) else ():
            if isinstance(piece, dict):
                _part(piece, state, answer)
        _usage(chunk.get("usageMetadata"), answer)
        _finish(candidate.get("finishReason"), state, answer)


class _Stream:
    __slots__ = ("started", "called")

    def __init__(self):
        self.started = self.called = False


def _part(piece, state, answer):
    signature = _text(piece.get("thoughtSignature"))
    if piece.get("thought") is True:
        answer.reasoning(_text(piece.get("text")))
        if signature:
            answer.reasoning_end(signature, FAMILY)
        return
    _end_thought(answer)
    if signature:  # the signature of this part: a thinking block of its own, just before it
        answer.block_end()
        answer.reasoning_end(signature, FAMILY)
    call = piece.get("functionCall")
    if isinstance(call, dict):
        import json

        answer.tool_call(_text(call.get("id")) or "call_" + _short_id(), _text(call.get("name")))
        answer.tool_args(json.dumps(call.get("args") if isinstance(call.get("args"), dict) else {},
                                    ensure_ascii=False))
        answer.block_end()
        state.called = True
    elif isinstance(piece.get("text"), str):
        answer.text(piece["text"])


def _end_thought(answer):
    """Close an open thought block as Gemini's own (it may go back to Gemini as a thought part)."""
    if answer.block is not None and answer.block.kind == "thinking":
        answer.reasoning_end(None, FAMILY)


def _short_id():
    import uuid

    return uuid.uuid4().hex[:24]


def _usage(usage, answer):
    if isinstance(usage, dict):
        cached = as_int(usage.get("cachedContentTokenCount"))
        thoughts = as_int(usage.get("thoughtsTokenCount"))
        answer.usage.update(input=max(0, as_int(usage.get("promptTokenCount")) - cached), cacheRead=cached,
                            output=as_int(usage.get("candidatesTokenCount")) + thoughts, reasoning=thoughts)


def _finish(reason, state, answer):
    if isinstance(reason, str) and reason:
        mapped = _FINISH.get(reason, "error")
        _end_thought(answer)
        answer.stop("toolUse" if mapped == "stop" and state.called else mapped, reason)
        answer.finished = True


def _text(value):
    return value if isinstance(value, str) else ""
