"""OpenAI Chat Completions (`POST {base}/chat/completions`, SSE), as most compatible servers speak it.

The compat flags of models.json (reference-pi.md §5) say where a server departs from OpenAI's;
without them the usual quirks are recognised from the provider and the host, as the reference
does. Reasoning arrives as `reasoning_content` (DeepSeek, vLLM), `reasoning` (OpenRouter, Groq)
or `reasoning_text`; Mistral's list-of-chunks content is read here too. OpenRouter's
`reasoning_details` (signed or encrypted reasoning, which Claude and Gemini need back beside their
tool calls) are kept in order as the thinking block's signature, with the id of the provider that
sent them, and go back as the assistant message's `reasoning_details` (in place of its plain
reasoning text) to that provider only: another server would refuse a field it does not know.

Requests carry the whole conversation: images as `image_url` parts (a data URL or the image's
own URL), tool definitions, `tool_choice`, the assistant's `tool_calls` and `role: "tool"`
results (their images follow in a user message: a tool message takes text only). Answers stream
tool calls as argument fragments by `index`. The request asks for one choice: a chunk of another
(a server answering `n` > 1 anyway, or samplingParams asking for it) is refused, not interleaved.
"""
import json

from .common import ProviderError, as_int, error_text, join, json_event, json_text, stream_error
from .convert import (CannotCarry, cache_fields, data_url, effort, max_tokens, sampling, text_of,
                      thinking_as)
from .ir import FEATURES, safe_call_id
from .request import ApiRequest

FAMILY = "openai-completions"
CARRIES = frozenset(FEATURES)
ID_LIMIT = 40  # OpenAI's longest tool-call id

_FINISH = {"stop": "stop", "length": "length", "model_length": "length", "tool_calls": "toolUse",
           "function_call": "toolUse", "content_filter": "refused"}
_REASONING_FIELDS = ("reasoning_content", "reasoning", "reasoning_text")
_TOOL_CHOICE = {"auto": "auto", "none": "none", "any": "required"}

# Hosts and providers whose servers do not take OpenAI's newer request fields.
_NON_STANDARD = ("cerebras", "xai", "together", "deepseek", "zai", "moonshotai", "moonshotai-cn", "opencode",
                 "opencode-go", "cloudflare-workers-ai", "cloudflare-ai-gateway", "nvidia")
_NON_STANDARD_HOSTS = ("cerebras.ai", "api.x.ai", "together.", "deepseek.com", "api.z.ai", "bigmodel.cn",
                       "moonshot.", "opencode.ai", "cloudflare.com", "nvidia.com", "chutes.ai")
_MAX_TOKENS_HOSTS = ("deepseek.com", "moonshot.", "gateway.ai.cloudflare.com", "together.", "nvidia.com",
                     "api.z.ai", "bigmodel.cn", "chutes.ai")


def compat(model):
    """The model's compat flags over what its provider and host suggest."""
    provider, url = model.get("provider", ""), (model.get("baseUrl") or "").lower()
    non_standard = provider in _NON_STANDARD or any(h in url for h in _NON_STANDARD_HOSTS)
    openrouter = provider == "openrouter" or "openrouter.ai" in url
    detected = {
        "supportsStore": not non_standard,
        "supportsDeveloperRole": not non_standard and (not openrouter or model.get("id", "").startswith(("openai/", "anthropic/"))),
        "supportsUsageInStreaming": True,
        "maxTokensField": "max_tokens" if any(h in url for h in _MAX_TOKENS_HOSTS) else "max_completion_tokens",
        "sendSessionAffinityHeaders": False,
        "thinkingFormat": "openrouter" if openrouter else "openai",
    }
    given = model.get("compat") if isinstance(model.get("compat"), dict) else {}
    detected.update({k: v for k, v in given.items() if v is not None})
    return detected


def build(model, base_url, headers, request, path="chat/completions"):
    flags = compat(model)
    body = {"model": model["id"], "messages": messages(request, model, flags), "stream": True}
    if flags.get("supportsUsageInStreaming") is not False:
        body["stream_options"] = {"include_usage": True}
    if flags.get("supportsStore"):
        body["store"] = False
    cap = max_tokens(model, request)
    if cap:
        body["max_tokens" if flags.get("maxTokensField") == "max_tokens" else "max_completion_tokens"] = cap
    options(body, request)
    tools(body, request)
    _reasoning(body, request, model, flags)
    if request.fast:
        body["service_tier"] = "priority"
    _caching(body, headers, model, base_url, request, flags)
    if isinstance(flags.get("openRouterRouting"), dict) and flags["openRouterRouting"]:
        body["provider"] = flags["openRouterRouting"]
    sampling(body, model)
    headers.setdefault("Content-Type", "application/json")
    return ApiRequest("POST", join(base_url, path), headers, json=body)


def options(body, request):
    """The sampling options and structured output, as Chat Completions names them (Mistral's too)."""
    opts = request.options
    for field, value in (("temperature", opts.temperature), ("top_p", opts.top_p), ("stop", opts.stop),
                         ("user", opts.user)):
        if value is not None:
            body[field] = value
    schema = opts.output_schema
    if schema:
        body["response_format"] = {"type": "json_schema", "json_schema": {
            "name": schema.get("name") or "answer", "schema": schema.get("schema") or {},
            "strict": bool(schema.get("strict"))}}


def tools(body, request):
    """Tool definitions, tool_choice and parallel_tool_calls (Mistral's are the same)."""
    if request.tools:
        body["tools"] = [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                           "parameters": t.schema}} for t in request.tools]
        if request.options.parallel_tools is not None:
            body["parallel_tool_calls"] = bool(request.options.parallel_tools)
    choice = request.tool_choice
    if isinstance(choice, dict):
        body["tool_choice"] = {"type": "function", "function": {"name": choice.get("name")}}
    elif choice in _TOOL_CHOICE:
        body["tool_choice"] = _TOOL_CHOICE[choice]


def _reasoning(body, request, model, flags):
    level = effort(request)
    if not level or not model.get("reasoning") or flags.get("supportsReasoningEffort") is False:
        return
    form = flags.get("thinkingFormat") or "openai"
    if form == "openai":
        body["reasoning_effort"] = level
    elif form == "openrouter":
        body["reasoning"] = {"effort": level}
    elif form in ("deepseek", "zai"):
        body["thinking"] = {"type": "enabled"}
    elif form == "qwen":
        body["enable_thinking"] = True
    else:
        raise CannotCarry("atomic cannot ask %s for a reasoning effort in the %r thinking format yet; leave "
                          "the effort out, or set compat.thinkingFormat" % (model.get("id"), form))


def _caching(body, headers, model, base_url, request, flags):
    cache_fields(body, model, base_url, request)
    if flags.get("sendSessionAffinityHeaders") and request.session_id:
        headers.set("x-session-affinity", request.session_id)


def messages(request, model, flags, call_id=None, family=FAMILY):
    """The conversation as Chat Completions messages. call_id: how a tool-call id is made safe;
    family: whose thinking goes back as reasoning (Mistral's rules differ in both)."""
    call_id = call_id or (lambda id: safe_call_id(id, ID_LIMIT))
    out = []
    if request.system:
        role = "developer" if model.get("reasoning") and flags.get("supportsDeveloperRole") else "system"
        out.append({"role": role, "content": request.system})
    after_tools = False
    for message in request.turns:
        if message.role == "tool":
            out.extend(_results(message, request, flags, call_id))
            after_tools = out[-1]["role"] == "tool"
            continue
        if after_tools and message.role == "user" and flags.get("requiresAssistantAfterToolResult"):
            out.append({"role": "assistant", "content": "I have processed the tool results."})
        after_tools = False
        turn = user(message) if message.role == "user" else _assistant(message, model, flags, call_id, family)
        if turn is not None:
            out.append(turn)
    return out


def user(message):
    """A user message: its text as a string, or text and image parts."""
    blocks = [b for b in message.blocks if b.kind in ("text", "image")]
    if all(b.kind == "text" for b in blocks):
        return {"role": "user", "content": "".join(b.text for b in blocks)}
    return {"role": "user", "content": parts(blocks)}


def parts(blocks):
    return [{"type": "text", "text": b.text} if b.kind == "text" else
            {"type": "image_url", "image_url": {"url": data_url(b)}} for b in blocks]


def _assistant(message, model, flags, call_id, family):
    text, reasoning, calls, mine = [], [], [], []
    for block in message.blocks:
        if block.kind == "text":
            text.append(block.text)
        elif block.kind == "tool_call":
            calls.append({"id": call_id(block.id), "type": "function",
                          "function": {"name": block.name, "arguments": block.arguments or "{}"}})
        elif block.kind == "thinking":
            how = thinking_as(block, family)
            if how == "own":
                mine.append(block)
                if block.text:
                    reasoning.append(block)
            elif how == "text":
                text.append(block.text + "\n\n")
    turn = {"role": "assistant", "content": "".join(text) or None}
    if calls:
        turn["tool_calls"] = calls
    details = [d for b in mine for d in _details(b.signature, model.get("provider"))]
    if details:  # the structured form: the plain reasoning text would say the same twice
        turn["reasoning_details"] = details
    elif reasoning:
        field = ((reasoning[0].native or {}).get(family) or {}).get("field")
        turn[field if field in _REASONING_FIELDS else "reasoning_content"] = "\n".join(b.text for b in reasoning)
    elif flags.get("requiresReasoningContentOnAssistantMessages") and model.get("reasoning"):
        turn["reasoning_content"] = ""
    if turn["content"] is None and not calls:
        return None  # an empty turn (an answer that was cut off): servers refuse it
    return turn


def _results(message, request, flags, call_id):
    out, images = [], []
    for result in message.blocks:
        text = text_of(result.blocks)
        found = [b for b in result.blocks if b.kind == "image"]
        images.extend(found)
        turn = {"role": "tool", "tool_call_id": call_id(result.call_id),
                "content": text or ("(see the attached image)" if found else "(no output)")}
        if flags.get("requiresToolResultName"):
            turn["name"] = result.name or _name(request, result.call_id)
        out.append(turn)
    if images:  # a tool message carries text only: its images follow as the user's
        out.append({"role": "user", "content": [{"type": "text", "text": "The tool results' images:"}] + parts(images)})
    return out


def _name(request, call_id):
    from .ir import tool_name

    return tool_name(request, call_id) or ""


# -- reading ---------------------------------------------------------------------------------------

def read(events, answer, family=FAMILY):
    """Feed `answer` from the stream; family: whose reasoning it is (Mistral reads with this too)."""
    state = _Stream(family)
    for event in events:
        if event.data == "[DONE]":
            answer.finished = True
            _sign_thinking(answer, state)
            _close_thinking(answer, state.family)
            return
        chunk = json_event(event, "the server")
        if chunk.get("error") or event.event == "error":  # llama.cpp: an `error:` field, then [DONE]
            raise stream_error(answer, error_text(chunk))
        _chunk(chunk, state, answer)


class _Stream:
    """What a Chat Completions stream has said so far: the last tool call (its index and id), the
    indexes and ids of every call, whether the model refused, and whether it called a tool."""
    __slots__ = ("family", "call", "indexes", "ids", "refused", "called", "started", "details")

    def __init__(self, family):
        self.family, self.call, self.indexes, self.ids = family, None, set(), set()
        self.refused = self.called = self.started = False
        self.details = []  # reasoning_details since the last thinking block closed


def _chunk(chunk, state, answer):
    if not state.started:
        state.started = True
        answer.start(_text(chunk.get("model")) or None, _text(chunk.get("id")) or None)
    answer.model = chunk.get("model") or answer.model
    if isinstance(chunk.get("service_tier"), str):
        answer.service_tier = chunk["service_tier"]
    if isinstance(chunk.get("usage"), dict):
        _usage(chunk["usage"], answer)
    choices = chunk.get("choices")
    for choice in choices if isinstance(choices, list) else ():
        if isinstance(choice, dict) and _first(choice):
            _choice(choice, state, answer)


def _first(choice):
    """Whether a choice is the answer's; a chunk of another choice is refused (see the module)."""
    index = choice.get("index", 0)
    if index in (0, None):
        return True
    delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
    if any(value not in (None, "", []) for name, value in delta.items() if name != "role") or choice.get("finish_reason"):
        raise ProviderError("sent a second answer (choice %s) beside the first, which atomic did not ask for and "
                            "cannot show apart; leave `n` out of the model's samplingParams" % (index,))
    return False


def _choice(choice, state, answer):
    delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
    for field in _REASONING_FIELDS:
        if isinstance(delta.get(field), str) and delta[field]:
            answer.reasoning(delta[field])
            if answer.block is not None and field != "reasoning_content":
                answer.block.native = {state.family: {"field": field}}
            break
    if isinstance(delta.get("reasoning_details"), list):
        state.details.extend(d for d in delta["reasoning_details"] if _is_detail(d))
    if state.details and (delta.get("content") or delta.get("refusal") or delta.get("tool_calls")
                          or choice.get("finish_reason")):
        _sign_thinking(answer, state)
    content(delta.get("content"), answer, state.family)
    if isinstance(delta.get("refusal"), str) and delta["refusal"]:  # OpenAI streams a refusal beside the content
        _close_thinking(answer, state.family)
        answer.text(delta["refusal"])
        state.refused = True
    if isinstance(delta.get("tool_calls"), list):
        for call in delta["tool_calls"]:
            if isinstance(call, dict):
                _tool_call(call, state, answer)
    _finish(choice.get("finish_reason"), state, answer)


def content(value, answer, family=FAMILY):
    """A delta's content: a string, or Mistral's list of text and thinking chunks."""
    if isinstance(value, str):
        if value:
            _close_thinking(answer, family)
            answer.text(value)
    elif isinstance(value, list):
        for part in value:
            if isinstance(part, str) or (isinstance(part, dict) and part.get("type") == "text"):
                content(part if isinstance(part, str) else _text(part.get("text")), answer, family)
            elif isinstance(part, dict) and part.get("type") == "thinking":
                for piece in part.get("thinking") or ():
                    if isinstance(piece, dict):
                        answer.reasoning(_text(piece.get("text")))


_DETAIL_FIELD = {"reasoning.text": "text", "reasoning.summary": "summary", "reasoning.encrypted": "data"}


def _is_detail(detail):
    """Whether an item of reasoning_details is one OpenRouter documents (text, summary, encrypted)."""
    kind = detail.get("type") if isinstance(detail, dict) else None
    field = _DETAIL_FIELD.get(kind) if isinstance(kind, str) else None  # an object is no key: never a TypeError
    return field is not None and isinstance(detail.get(field), str)


def _details(signature, provider):
    """The reasoning_details a thinking block's signature holds for provider ([] for none, for
    another provider's, or for another shape)."""
    try:
        found = json.loads(signature) if signature and signature.startswith("{") else {}
    except (ValueError, RecursionError):  # a caller's made-up state: thousands of nested brackets
        return []
    if not isinstance(found, dict) or found.get("provider") not in (None, provider):
        return []
    details = found.get("reasoning_details")
    return [d for d in details if _is_detail(d)] if isinstance(details, list) else []


def _sign_thinking(answer, state):
    """Close the thinking block with the reasoning_details that came with it (one is opened empty
    when they came alone: encrypted reasoning has no text to show)."""
    if state.details:
        native = answer.block.native if answer.block is not None and answer.block.kind == "thinking" else None
        signed = {"provider": answer.provider, "reasoning_details": state.details}
        answer.reasoning_end(json_text(signed), state.family, native=native)
        state.details = []


def _close_thinking(answer, family=FAMILY):
    """End an open thinking block, marking it as this family's (it may go back to the same API)."""
    if answer.block is not None and answer.block.kind == "thinking":
        answer.reasoning_end(None, family, native=answer.block.native)


def _tool_call(call, state, answer):
    index, id = call.get("index"), _text(call.get("id"))
    function = call.get("function") if isinstance(call.get("function"), dict) else {}
    if not _same_call(index, id, state, answer):
        if index is not None and index in state.indexes and not (id and id not in state.ids):
            raise ProviderError("sent more of tool call %s after another had begun; atomic reads tool calls one "
                                "after another" % index)
        _close_thinking(answer, state.family)
        id = id or "call_%d_%s" % (len(state.ids), _short_id())
        state.call, state.called = (index, id), True
        state.indexes.add(index)
        state.ids.add(id)
        answer.tool_call(id, _text(function.get("name")))
    elif function.get("name") and not answer.block.name:
        answer.block.name = function["name"]
    arguments = function.get("arguments")
    if isinstance(arguments, dict):  # some servers send the arguments as an object, whole
        arguments = json_text(arguments)
    answer.tool_args(_text(arguments))


def _same_call(index, id, state, answer):
    """Whether a tool-call delta continues the call that is open (same index, no other id)."""
    if state.call is None or answer.block is None or answer.block.kind != "tool_call":
        return False
    return (index is None or index == state.call[0]) and (not id or id == state.call[1])


def _short_id():
    import uuid

    return uuid.uuid4().hex[:12]


def _finish(reason, state, answer):
    if not isinstance(reason, str) or not reason:
        return
    mapped = "refused" if state.refused else _FINISH.get(reason, "error")
    if mapped == "stop" and state.called:
        mapped = "toolUse"  # servers that say `stop` after calling tools (vLLM, Ollama)
    answer.stop(mapped, reason)
    _close_thinking(answer, state.family)
    answer.finished = True  # some servers end here without [DONE]; usage may still follow


def _text(value):
    return value if isinstance(value, str) else ""


def _usage(usage, answer):
    prompt = as_int(usage.get("prompt_tokens"))
    details = usage.get("prompt_tokens_details") if isinstance(usage.get("prompt_tokens_details"), dict) else {}
    # DeepSeek counts its cache hits apart, in prompt_cache_hit_tokens.
    cached = min(prompt, as_int(details.get("cached_tokens")) or as_int(usage.get("prompt_cache_hit_tokens")))
    out_details = (usage.get("completion_tokens_details")
                   if isinstance(usage.get("completion_tokens_details"), dict) else {})
    answer.usage.update(input=prompt - cached, output=as_int(usage.get("completion_tokens")), cacheRead=cached,
                        reasoning=as_int(out_details.get("reasoning_tokens")))
