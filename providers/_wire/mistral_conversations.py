"""Mistral's own chat API (`POST {base}/v1/chat/completions`): OpenAI's stream shape, with content
that may be a list of text and thinking chunks (read by openai_completions.read)."""
from .common import join
from .request import ApiRequest
from .openai_completions import read  # noqa: F401  (the same events)


def build(model, base_url, headers, turn):
    messages = [{"role": "system", "content": turn.system}] if turn.system else []
    messages.extend({"role": m["role"], "content": m["content"]} for m in turn.messages)
    body = {"model": model["id"], "messages": messages, "stream": True}
    max_tokens = model.get("maxTokens")
    if isinstance(max_tokens, int) and max_tokens > 0:
        body["max_tokens"] = max_tokens
    body.update(model.get("samplingParams") or {})
    headers.setdefault("Content-Type", "application/json")
    return ApiRequest("POST", join(base_url, "v1/chat/completions"), headers, json=body)
