"""The wire layer: one module per streaming protocol, chosen per model by the api it names.

A wire module has two functions:

    build(model, base_url, headers, turn) -> ApiRequest
        The request for one turn of a conversation: URL, the headers (the credential's lines
        are already in `headers`, a HeaderList) and the JSON body.
    read(events, answer)
        Consume the answer's server-sent events (providers._net.sse.Event), feeding `answer`;
        return at the protocol's last event. ProviderError for an error the server reports.

and may say how its answer is framed when that is not server-sent events:

    events(chunks) -> iterator of messages, for read(); ACCEPT: the Accept header to send.

It never imports a provider module. What is special to one provider (Copilot's host, a Claude
subscription's system block) reaches the request through that provider's prepare() hook.
"""
from .._core.errors import NetworkError, UsageError

# api id -> dotted path of the module that speaks it.
MODULES = {
    "openai-completions": "providers._wire.openai_completions",
    "openai-responses": "providers._wire.openai_responses",
    "openai-codex-responses": "providers._wire.openai_codex_responses",
    "anthropic-messages": "providers._wire.anthropic_messages",
    "google-generative-ai": "providers._wire.google_generative_ai",
    "mistral-conversations": "providers._wire.mistral_conversations",
    "azure-openai-responses": "providers._wire.openai_responses",   # the provider module adds Azure's URL
    "google-vertex": "providers._wire.google_generative_ai",         # the same JSON; Vertex's URL and auth
    "bedrock-converse-stream": "providers._wire.bedrock_converse",
}


def module_for(api):
    """The wire module for an api id; UsageError for one atomic cannot speak yet."""
    import importlib

    path = MODULES.get(api)
    if path is None:
        raise UsageError("atomic cannot talk the %r wire API yet (%s are supported); pick another model "
                         "with -m" % (api, ", ".join(sorted(MODULES))))
    return importlib.import_module(path)


class ApiRequest:
    """A request being built: the wire module fills it, prepare() hooks may change any part.

    headers is a HeaderList (set / setdefault / remove by name, order kept); json is the body as
    an object, or body the ready-made bytes (a signed request); secret_names are the headers that
    carry credentials, sent only to the first host and masked in messages.
    """

    def __init__(self, method, url, headers, json=None, body=None, secret_names=()):
        self.method, self.url, self.headers = method, url, headers
        self.json, self.body, self.secret_names = json, body, set(n.lower() for n in secret_names)

    def payload(self):
        """The bytes to send: the ready-made body, else the JSON one encoded (None for no body).
        A signer signs these, and these are what is sent."""
        if self.body is None and self.json is not None:
            import json

            return json.dumps(self.json).encode("utf-8")
        return self.body


class Turn:
    """What one request asks: the system prompt (or None), the messages so far as
    [{"role": "user" | "assistant", "content": text}], whether fast mode (the priority service
    tier) is on for it, and the session id (for prompt caching)."""

    def __init__(self, system, messages, fast=False, session_id=None):
        self.system, self.messages, self.fast, self.session_id = system, messages, fast, session_id


class Answer:
    """An answer as it arrives: text and reasoning deltas go to the sinks at once and are kept.

    usage counts tokens: input (not from cache), output, cacheRead, cacheWrite, reasoning.
    stop_reason is one of stop, length, toolUse, refused, error (raw_stop keeps the server's
    word); finished is set by the protocol's last event, so an answer without it was cut off.
    """

    def __init__(self, on_text=None, on_reasoning=None, clock=None):
        import time

        self._on_text, self._on_reasoning = on_text, on_reasoning
        self._clock = clock or time.monotonic
        self.started = self._clock()
        self.first_token = None
        self.text_parts, self.reasoning_parts = [], []
        self.usage = {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "reasoning": 0}
        self.stop_reason = self.raw_stop = self.service_tier = self.model = None
        self.finished = False
        self._held = {"text": "", "reasoning": ""}

    def text(self, delta):
        self._add("text", delta, self.text_parts, self._on_text)

    def reasoning(self, delta):
        self._add("reasoning", delta, self.reasoning_parts, self._on_reasoning)

    def _add(self, kind, delta, parts, sink):
        delta = self._whole(kind, delta)
        if delta:
            if self.first_token is None:
                self.first_token = self._clock()
            parts.append(delta)
            if sink:
                sink(delta)

    def _whole(self, kind, delta):
        """delta with UTF-16 surrogates made whole: a server that escapes JSON as UTF-16 may
        split a pair across two deltas (the high half is held for the next one), and a lone
        half, which no output can carry, becomes U+FFFD."""
        if not delta:
            return delta
        delta, self._held[kind] = self._held[kind] + delta, ""
        if not any("\ud800" <= ch <= "\udfff" for ch in delta):
            return delta
        if "\ud800" <= delta[-1] <= "\udbff":
            delta, self._held[kind] = delta[:-1], delta[-1]
        return delta.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")

    def stop(self, reason, raw=None):
        self.stop_reason, self.raw_stop = reason, raw

    @property
    def full_text(self):
        return "".join(self.text_parts)

    @property
    def full_reasoning(self):
        return "".join(self.reasoning_parts)

    @property
    def time_to_first_token(self):
        return None if self.first_token is None else self.first_token - self.started


class ProviderError(NetworkError):
    """The server reported an error inside a stream it had started (exit 6). retryable: it said
    it was busy before any of the answer arrived, so asking again repeats nothing."""
    retryable = False


# Words of the errors a busy server sends in a stream (Anthropic's overloaded_error, the streamed
# form of HTTP 529; rate limits; Bedrock's throttlingException and serviceUnavailableException).
_BUSY = ("overloaded", "rate_limit", "ratelimit", "throttl", "serviceunavailable", "service_unavailable",
         "server_error", "resource_exhausted", "too_many_requests")


def stream_error(answer, detail):
    """The ProviderError for an error event whose text is `detail`: worded by whether any of the
    answer had arrived, and retryable when none had and the server said it was busy."""
    started = bool(answer.text_parts or answer.reasoning_parts)
    error = ProviderError("reported an error %s: %s" % ("in the middle of the answer" if started else
                                                         "before answering", detail))
    error.retryable = not started and any(word in detail.lower() for word in _BUSY)
    return error


def json_event(event, what):
    """The JSON object an event carries; ProviderError when it is not JSON (the pipeline puts the
    host in front of the message; `what` is no longer shown)."""
    import json

    try:
        doc = json.loads(event.data)
    except (ValueError, RecursionError):  # RecursionError: thousands of nested brackets
        from .._core.mask import excerpt
        raise ProviderError("sent an event that is not JSON: %s" % excerpt(event.data))  # the host goes first
    return doc if isinstance(doc, dict) else {}


def error_text(doc):
    """The message of an error object as providers shape it: {"error": {"message", "type" or
    "code"}}, or those fields at the top (an `error` event of the Responses API)."""
    from .._core.mask import excerpt

    err = doc.get("error", doc) if isinstance(doc, dict) else doc
    if not isinstance(err, dict):
        return excerpt(str(err))
    kind = next((err[k] for k in ("code", "type", "status")
                 if isinstance(err.get(k), str) and err[k] and err[k] != "error"), None)
    message = err.get("message") if isinstance(err.get("message"), str) else None
    text = ": ".join(part for part in (kind, message) if part)
    return excerpt(text or json_text(err))


def json_text(value):
    import json

    return json.dumps(value, ensure_ascii=False)


def join(base, path):
    """base URL + path, with exactly one slash between them."""
    return base.rstrip("/") + "/" + path.lstrip("/")


def as_int(value):
    """A token count from JSON (numbers only; anything else counts as 0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e15:
        return 0  # also NaN
    return int(value)
