"""OpenAI Chat Completions (`POST {base}/chat/completions`, SSE), as most compatible servers speak it.

The compat flags of models.json (reference-pi.md §5) say where a server departs from OpenAI's;
without them the usual quirks are recognised from the provider and the host, as the reference
does. Reasoning arrives as `reasoning_content` (DeepSeek, vLLM), `reasoning` (OpenRouter, Groq)
or `reasoning_text`; Mistral's list-of-chunks content is read here too.
"""
from .common import as_int, error_text, join, json_event, stream_error
from .request import ApiRequest

_FINISH = {"stop": "stop", "length": "length", "model_length": "length", "tool_calls": "toolUse",
           "function_call": "toolUse", "content_filter": "refused"}
_REASONING_FIELDS = ("reasoning_content", "reasoning", "reasoning_text")

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
    }
    given = model.get("compat") if isinstance(model.get("compat"), dict) else {}
    detected.update({k: v for k, v in given.items() if v is not None})
    return detected


def build(model, base_url, headers, turn, path="chat/completions"):
    flags = compat(model)
    body = {"model": model["id"], "messages": messages(turn, model, flags), "stream": True}
    if flags.get("supportsUsageInStreaming") is not False:
        body["stream_options"] = {"include_usage": True}
    if flags.get("supportsStore"):
        body["store"] = False
    max_tokens = model.get("maxTokens")
    if isinstance(max_tokens, int) and max_tokens > 0:
        body["max_tokens" if flags.get("maxTokensField") == "max_tokens" else "max_completion_tokens"] = max_tokens
    if turn.fast:
        body["service_tier"] = "priority"
    if turn.session_id and "api.openai.com" in base_url:
        body["prompt_cache_key"] = turn.session_id
    if flags.get("sendSessionAffinityHeaders") and turn.session_id:
        headers.set("x-session-affinity", turn.session_id)
    if isinstance(flags.get("openRouterRouting"), dict) and flags["openRouterRouting"]:
        body["provider"] = flags["openRouterRouting"]
    body.update(model.get("samplingParams") or {})  # last: the person's own fields win
    headers.setdefault("Content-Type", "application/json")
    return ApiRequest("POST", join(base_url, path), headers, json=body)


def messages(turn, model, flags):
    out = []
    if turn.system:
        role = "developer" if model.get("reasoning") and flags.get("supportsDeveloperRole") else "system"
        out.append({"role": role, "content": turn.system})
    out.extend({"role": m["role"], "content": m["content"]} for m in turn.messages)
    return out


def read(events, answer):
    for event in events:
        if event.data == "[DONE]":
            answer.finished = True
            return
        chunk = json_event(event, "the server")
        if chunk.get("error") or event.event == "error":  # llama.cpp: an `error:` field, then [DONE]
            raise stream_error(answer, error_text(chunk))
        answer.model = chunk.get("model") or answer.model
        if isinstance(chunk.get("service_tier"), str):
            answer.service_tier = chunk["service_tier"]
        if isinstance(chunk.get("usage"), dict):
            _usage(chunk["usage"], answer)
        choices = chunk.get("choices")
        choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
        delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
        for field in _REASONING_FIELDS:
            if isinstance(delta.get(field), str):
                answer.reasoning(delta[field])
                break
        _content(delta.get("content"), answer)
        if isinstance(delta.get("refusal"), str):  # OpenAI streams a refusal beside the content
            answer.text(delta["refusal"])
            answer.stop("refused", "refusal")
        reason = choice.get("finish_reason")
        if isinstance(reason, str) and reason:
            if answer.stop_reason != "refused":
                answer.stop(_FINISH.get(reason, "error"), reason)
            answer.finished = True  # some servers end here without [DONE]; usage may still follow


def _content(content, answer):
    if isinstance(content, str):
        answer.text(content)
    elif isinstance(content, list):  # Mistral: [{"type": "text", "text"}, {"type": "thinking", ...}]
        for part in content:
            if isinstance(part, str):
                answer.text(part)
            elif isinstance(part, dict) and part.get("type") == "text":
                answer.text(part.get("text") or "")
            elif isinstance(part, dict) and part.get("type") == "thinking":
                for piece in part.get("thinking") or ():
                    if isinstance(piece, dict):
                        answer.reasoning(piece.get("text") or "")


def _usage(usage, answer):
    prompt = as_int(usage.get("prompt_tokens"))
    details = usage.get("prompt_tokens_details") if isinstance(usage.get("prompt_tokens_details"), dict) else {}
    cached = min(prompt, as_int(details.get("cached_tokens")))
    out_details = (usage.get("completion_tokens_details")
                   if isinstance(usage.get("completion_tokens_details"), dict) else {})
    answer.usage.update(input=prompt - cached, output=as_int(usage.get("completion_tokens")), cacheRead=cached,
                        reasoning=as_int(out_details.get("reasoning_tokens")))
