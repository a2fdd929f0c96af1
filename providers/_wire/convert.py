"""What the upstream wire modules share when they turn a Request (providers/_wire/ir.py) into a
body: the rule for thinking blocks, images as data URLs, tool arguments as objects, the options
every API reads alike, prompt caching's retention and OpenAI's prompt_cache_key rule.

Thinking blocks follow one rule everywhere (pi's, from transformMessages):
  - a block whose `origin` is the target's own family goes back in the target's own form, with its
    opaque state (a signature, encrypted_content, a redacted payload);
  - any other block that has text goes as plain text in its place, untagged (the model should not
    learn to imitate tags), because what the model thought still shaped what it said next;
  - a block with no text and no state the target can use (foreign redacted or signature-only
    reasoning) is dropped: opaque state never travels to another API.
"""
from .._core.errors import UsageError

# Tokens of thinking for an effort, where an API takes a budget (pi's defaults; xhigh as high).
BUDGETS = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 16384, "xhigh": 16384}
MIN_BUDGET = 1024                # the smallest thinking budget Anthropic and Bedrock's Claude take
CACHE_KEY_LIMIT = 64             # OpenAI's longest prompt_cache_key
RETENTIONS = ("short", "long", "none")

# Where prompt_cache_key is sent without being asked, for Chat Completions and Responses alike:
# OpenAI's own servers (its API, Azure OpenAI, the Codex backend) and Cloudflare's gateway route to
# OpenAI. The field is OpenAI's; other compatible servers refuse a field they do not know with a
# 400 (NVIDIA's `Unsupported parameter(s): prompt_cache_key`, Azure AI Foundry's `Unrecognized
# request argument supplied: prompt_cache_key` for its other models), so a models.json model that
# takes it says so with compat.supportsPromptCacheKey (and one that does not, with false).
_CACHE_KEY_PROVIDERS = ("openai", "azure-openai-responses", "openai-codex")
_CACHE_KEY_HOSTS = ("//api.openai.com/", "//chatgpt.com/")
_CLOUDFLARE_TO_OPENAI = ("//gateway.ai.cloudflare.com/", "/openai")

class CannotCarry(UsageError):
    """The request asks for something this wire API has no way to say (exit 2; a face's 400)."""


def thinking_as(block, family):
    """"own" (send in the family's own form), "text" (send block.text as text) or None (drop)."""
    if block.origin == family:
        return "own"
    return "text" if block.text and block.text.strip() else None


def text_of(blocks):
    """The text blocks' text, joined by newlines (a tool result where only text fits)."""
    return "\n".join(b.text for b in blocks if b.kind == "text")


def data_url(image):
    """The image as one URL: its own (https: or data:), or a data URL made from its base64."""
    if image.data is not None:
        return "data:%s;base64,%s" % (image.media_type or "application/octet-stream", image.data)
    return image.url


def inline(image):
    """(media_type, base64 data) of an image given as data or as a data: URL, else None."""
    if image.data is not None:
        return image.media_type, image.data
    url = image.url or ""
    if url.startswith("data:") and ";base64," in url:
        head, data = url[5:].split(";base64,", 1)
        return head or image.media_type, data
    return None


def only_inline(image, api):
    """(media_type, data) of an image that `api` takes only as data; CannotCarry for a URL."""
    found = inline(image)
    if found is None:
        raise CannotCarry("%s takes images only as data, not by URL (%s); download the image and send "
                          "its bytes instead" % (api, _short(image.url)))
    return found


def arguments(call, api):
    """A tool call's arguments as the JSON object an API that wants an object takes."""
    import json

    text = (call.arguments or "").strip()
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise CannotCarry("the arguments of tool call %s (%s) are not a JSON object, and %s takes only one; "
                          "send the call's arguments as a JSON object" % (call.id, call.name, api))
    return value


def max_tokens(model, request):
    """The answer's cap: the request's own, else the catalogue's maxTokens, else None."""
    for value in (request.options.max_tokens, model.get("maxTokens")):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def budget(request, cap=None):
    """The thinking budget in tokens the request asks for (an effort counts as pi's budget for
    it), at least MIN_BUDGET and leaving MIN_BUDGET for the answer under `cap`; None for none."""
    reasoning = request.options.reasoning
    tokens = reasoning if isinstance(reasoning, int) and not isinstance(reasoning, bool) else BUDGETS.get(reasoning)
    if not tokens:
        return None
    if cap:
        tokens = min(tokens, cap - MIN_BUDGET)
    return max(tokens, MIN_BUDGET)


def effort(request):
    """The effort the request asks for (a budget in tokens counts as the nearest effort), or None."""
    reasoning = request.options.reasoning
    if isinstance(reasoning, int) and not isinstance(reasoning, bool):
        return next((name for name in ("low", "medium") if reasoning <= BUDGETS[name]), "high")
    return reasoning or None


def retention(request):
    """Prompt caching asked for: the request's options.cache, else ATOMIC_CACHE_RETENTION (or
    PI_CACHE_RETENTION) from the environment, else "short". A word other than short, long or
    none counts as short (the client layer warns about it)."""
    value = request.options.cache
    if value is None:
        import os

        from .._core.context import setting_name

        value = os.environ.get(setting_name(os.environ, "ATOMIC_CACHE_RETENTION"), "")
    value = (value or "").strip().lower()
    return value if value in RETENTIONS else "short"


def cache_key(model, base_url, request):
    """The prompt_cache_key to send, or None: the session id (at most 64 characters, OpenAI's
    limit) where the server takes the field (compat.supportsPromptCacheKey, else its host) and
    caching is not turned off."""
    if not request.session_id or retention(request) == "none" or not takes_cache_key(model, base_url):
        return None
    return request.session_id[:CACHE_KEY_LIMIT]


def takes_cache_key(model, base_url):
    """Whether the server at base_url takes prompt_cache_key (the one rule of both OpenAI APIs)."""
    given = compat(model).get("supportsPromptCacheKey")
    if given is not None:
        return given is True
    url = (base_url or model.get("baseUrl") or "").lower().rstrip("/") + "/"
    cloudflare, route = _CLOUDFLARE_TO_OPENAI
    return (model.get("provider") in _CACHE_KEY_PROVIDERS or any(host in url for host in _CACHE_KEY_HOSTS)
            or (cloudflare in url and url.endswith(route + "/")))


def cache_fields(body, model, base_url, request, retention=True):
    """prompt_cache_key in an OpenAI body where the server takes it (cache_key), with the day-long
    prompt_cache_retention when asked for (retention=False: an API that refuses the field)."""
    key = cache_key(model, base_url, request)
    if key:
        body["prompt_cache_key"] = key
        if retention and long_cache(model, request):
            body["prompt_cache_retention"] = "24h"


def long_cache(model, request):
    """Whether to ask for the long retention (an hour, a day) the API offers: asked for, and not
    turned off by compat.supportsLongCacheRetention."""
    return retention(request) == "long" and compat(model).get("supportsLongCacheRetention") is not False


def compat(model):
    """The model's compat flags (models.json), {} when it has none."""
    flags = model.get("compat")
    return flags if isinstance(flags, dict) else {}


def merged(messages):
    """Messages (dicts with "role" and a "content" list) with each run of one role made one
    message: formats that require turns to alternate (tool results, then the user's next words)."""
    out = []
    for message in messages:
        if out and out[-1]["role"] == message["role"]:
            out[-1]["content"].extend(message["content"])
        else:
            out.append(message)
    return out


def sampling(body, model):
    """The model's samplingParams over the body (last: the person's own fields win)."""
    body.update(model.get("samplingParams") or {})
    return body


def _short(url):
    url = url or ""
    return url if len(url) <= 60 else url[:57] + "..."
