"""Mistral's own chat API (`POST {base}/v1/chat/completions`): OpenAI's stream shape, with content
that may be a list of text and thinking chunks (read by openai_completions.read).

The request is Chat Completions' with Mistral's rules: tool-call ids of exactly nine letters and
digits (others are refused), tool results that name their tool, the model's own earlier thinking
sent back as a `thinking` chunk, and prompt caching by `prompt_cache_key` with the `x-affinity`
header, as the Atomic agent sends them. A reasoning model thinks when asked with `prompt_mode:
"reasoning"`; the few that take an effort get `reasoning_effort`.
"""
from . import openai_completions as completions
from .common import join
from .convert import effort, max_tokens, retention, sampling
from .ir import FEATURES
from .request import ApiRequest

FAMILY = "mistral-conversations"
CARRIES = frozenset(FEATURES)
ID_LENGTH = 9
_EFFORT_MODELS = ("mistral-small-2603", "mistral-small-latest", "mistral-medium-3.5")  # pi's list
_FLAGS = {"requiresToolResultName": True}


def build(model, base_url, headers, request):
    messages = completions.messages(request, model, _FLAGS, call_id=call_id, family=FAMILY)
    body = {"model": model["id"], "messages": [_mistral(m) for m in messages], "stream": True}
    cap = max_tokens(model, request)
    if cap:
        body["max_tokens"] = cap
    completions.options(body, request)
    completions.tools(body, request)
    level = effort(request)
    if level and model.get("reasoning"):
        body.update({"reasoning_effort": level} if model["id"] in _EFFORT_MODELS else {"prompt_mode": "reasoning"})
    if request.session_id and retention(request) != "none":
        body["prompt_cache_key"] = request.session_id
        headers.setdefault("x-affinity", request.session_id)
    sampling(body, model)
    headers.setdefault("Content-Type", "application/json")
    return ApiRequest("POST", join(base_url, "v1/chat/completions"), headers, json=body)


def read(events, answer):
    return completions.read(events, answer, family=FAMILY)


def call_id(id):
    """A tool-call id as Mistral takes it: nine letters and digits (one that is, is kept)."""
    import hashlib

    if id and len(id) == ID_LENGTH and id.isascii() and id.isalnum():
        return id
    digest = int(hashlib.sha256((id or "").encode("utf-8")).hexdigest(), 16)
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    for _ in range(ID_LENGTH):
        digest, at = divmod(digest, len(alphabet))
        out += alphabet[at]
    return out


def _mistral(message):
    """Mistral takes the model's own reasoning back as a thinking chunk of the content, and an
    assistant turn of tool calls alone without a content field."""
    thought = message.pop("reasoning_content", None)
    if thought:
        text = message.get("content")
        message["content"] = [{"type": "thinking", "thinking": [{"type": "text", "text": thought}]}] + (
            [{"type": "text", "text": text}] if text else [])
    if message.get("content", "") is None:
        del message["content"]
    return message
