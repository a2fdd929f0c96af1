"""A caller's body passed through to a model of the same API family (a gateway's relay), with only
the model, the credential and the provider's own rules changed; the answer's bytes go back as
they came.

What changes: `model` becomes the route's; the wire module's adapt(model, request) hook applies
that API's own rules to a same-family body (the Codex backend's: store false, stream true,
instructions, no parameters it refuses); the credential's headers, the provider's prepare()
and the signer, as for every request (authorize.py). Headers the caller sends along (its
`anthropic-version`, `anthropic-beta`, session ids) are kept, but never one that carries a
credential of ours, which always wins.

What is read: the Tap copies each chunk to sink.raw() and decodes only the events that say
usage, stop and error, into the same sink, for the log and to know a cut-off answer. Bytes are
held back while only a prologue has come (message_start, response.created): a busy error
before any content can still be asked again, and nothing is asked again after the caller got a
byte (sink.started).
"""
import json
import time

# Imported here once, not in each function: they run for every request a gateway relays.
from .._wire.common import as_int
from .._wire.ir import Turn
from .._wire.sse import events
from .authorize import prepared
from .exchange import exchange, finish, timed
from .policy import SERVE

# Events that come before any content, per family: held back, so a retry stays possible.
_PROLOGUE = {"anthropic-messages": ("message_start", "ping"),
             "openai-responses": ("response.created", "response.in_progress")}
# The events worth decoding, per family (others are passed on unread).
_WANTED = {"anthropic-messages": ("message_start", "message_delta", "message_stop", "error"),
           "openai-responses": ("response.created", "response.completed", "response.incomplete", "response.done",
                                "response.failed", "error")}
# Lists of names a caller's header and ours are joined in, rather than one replacing the other.
_JOINED = ("anthropic-beta",)
MAX_WHOLE = 64 << 20  # bytes of a whole (not streamed) answer: far beyond any real one


def relay(ctx, route, body, sink, policy=SERVE, headers=()):
    """Send the caller's JSON body (a dict, of the route's family) to the route's model and pass
    the answer's bytes to sink.raw(chunk); the Outcome (see exchange.Outcome). headers: the
    caller's (name, value) lines to send along. sink: an ir.Sink with raw(); its usage, stop
    and finished are set from the events the Tap reads."""
    def build(credential):
        return prepared(ctx, route.provider, route.model, credential,
                        lambda base, lines: _adapted(route, body, base, lines, headers))

    return exchange(ctx, route, build, _tap(route), sink, policy)


def adapt(route, body, request):
    """The caller's body as the route's model takes it: the model named, then the wire module's
    own rules for same-family bodies (its adapt hook, if it has one) on request.json."""
    body = dict(body)
    if "model" in body:
        body["model"] = route.model["id"]
    request.json, request.body = body, None
    hook = getattr(route.wire, "adapt", None)
    if hook is not None:
        hook(route.model, request)
    return request


def _adapted(route, body, base, lines, caller_headers):
    """The request: the wire module's own for a one-word text request (its URL and protocol
    headers), the caller's headers merged in, and the caller's body in place of that body."""
    for name, value in caller_headers:
        lower = name.lower()
        if lower in _NEVER or any(word in lower for word in _SECRET_WORDS):
            continue  # the caller's own credential (a gateway token) never travels on
        ours = next((v for n, v in lines.items() if n.lower() == lower), None)
        lines.set(name, _join_lists(value, ours) if lower in _JOINED and ours else value)
    template = route.wire.build(route.model, base, lines, Turn(None, [{"role": "user", "content": "."}]))
    return adapt(route, body, template)


# Caller headers never sent on: credentials (ours replace them) and what the transport sets itself.
_NEVER = ("authorization", "proxy-authorization", "cookie", "host", "content-length", "transfer-encoding",
          "connection", "accept-encoding", "origin")
_SECRET_WORDS = ("auth", "key", "token", "secret", "cookie")


def _join_lists(first, second):
    seen, out = set(), []
    for item in (first + "," + second).split(","):
        item = item.strip()
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return ",".join(out)


def _tap(route):
    """The relay's reader: bytes to sink.raw(), the usage, stop and error events decoded."""
    wire, family = route.wire, route.family
    framing = getattr(wire, "events", None) or events
    prologue = _PROLOGUE.get(family, ())
    wanted = _wanted(family)

    def read(stream, sink, outcome):
        if stream.headers.get("content-type", "").startswith("application/json"):
            return _whole(stream, sink, outcome)
        held = []

        def chunks():
            for chunk in timed(stream, outcome):
                if sink.started:
                    sink.raw(chunk)
                else:
                    held.append(chunk)
                yield chunk

        def chosen():
            for event in framing(chunks()):
                if not sink.started and _kind(event) not in prologue and not _is_error(event):
                    _flow(sink, held)
                if wanted(event):
                    yield event

        def reading():
            events_ = chosen()
            wire.read(events_, sink)
            for _event in events_:  # the rest of the stream passes on unread
                pass
            if sink.finished and not sink.started:
                _flow(sink, held)  # an answer that was all prologue: the caller gets it whole

        finish(stream, sink, reading)

    return read


def _flow(sink, held):
    """From here on the caller gets the bytes: those held back first."""
    sink.started = True
    for chunk in held:
        sink.raw(chunk)
    del held[:]


def _whole(stream, sink, outcome):
    """A whole JSON answer (a caller that asked for no stream): passed on, its usage read."""
    body = stream.read(MAX_WHOLE)
    if outcome.first_byte_at is None:
        outcome.first_byte_at = time.monotonic()
    sink.started = True
    sink.raw(body)
    sink.finished = True
    sink.done()  # a gateway answers its caller here; the usage, for its log, is read after
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        doc = None
    usage = doc.get("usage") if isinstance(doc, dict) else None
    if isinstance(usage, dict):
        _whole_usage(usage, sink)


def _whole_usage(usage, sink):
    given = as_int(usage.get("input_tokens", usage.get("prompt_tokens")))
    details = usage.get("input_tokens_details") or usage.get("prompt_tokens_details") or {}
    cached = as_int(details.get("cached_tokens")) if isinstance(details, dict) else 0
    cached = cached or as_int(usage.get("cache_read_input_tokens"))
    openai_shape = "prompt_tokens" in usage or "input_tokens_details" in usage
    sink.usage.update(input=max(0, given - cached) if openai_shape else given, cacheRead=cached,
                      output=as_int(usage.get("output_tokens", usage.get("completion_tokens"))),
                      cacheWrite=as_int(usage.get("cache_creation_input_tokens")))


def _kind(event):
    """The event's type: its `event:` name, else the "type" its JSON starts with (found without parsing it)."""
    if event.event:
        return event.event
    data = event.data
    at = data.find('"type"')
    if at < 0 or at > 16:
        return ""
    start = data.find('"', data.find(":", at) + 1)
    end = data.find('"', start + 1)
    return data[start + 1:end] if start >= 0 and end > start else ""


def _is_error(event):
    return event.event == "error" or _kind(event) in ("error", "response.failed") or '"error"' in event.data[:40]


def _wanted(family):
    names = _WANTED.get(family)
    if names is not None:
        return lambda event: _kind(event) in names
    if family == "openai-completions":
        return _completions_wanted
    return lambda event: True


def _completions_wanted(event):
    """A Chat Completions chunk that ends the answer or says usage or an error: most chunks say
    `"finish_reason": null` and `"usage": null`, and are passed on unread."""
    data = event.data
    return (data == "[DONE]" or event.event == "error" or '"error"' in data
            or _set(data, '"finish_reason"') or _set(data, '"usage"'))


def _set(data, field):
    at = data.find(field)
    if at < 0:
        return False
    rest = data[at + len(field):at + len(field) + 12].lstrip(" :")
    return not rest.startswith("null")
