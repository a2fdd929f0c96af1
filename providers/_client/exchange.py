"""One request to a model, end to end: credential, request, stream, renew, retries.

credential (the chain; an OAuth token refreshed when due) -> the wire module builds the request
(or, for a relay, the caller's body is adapted) -> authorize (credential headers, the provider's
prepare(), the signer) -> open_stream -> the answer read into the caller's sink.

Failures: 401/403 force one OAuth refresh (or one new run of a !command key) and one retry,
then UpstreamError naming `atomic login`; 429 and 5xx before any of the answer reached the
sink are retried as the Policy says, honouring Retry-After up to its bound; a stream that stops
before its last event is StreamCut, and what arrived is the sink's. Every message raised from
here is masked by the exact values the request carried (a key of no known shape included).
"""
import time

from .._core.context import setting_name
from .._core.errors import AtomicError, NetworkError, UsageError
from .._core.mask import is_secret_header
# Imported here once, not in each function: they run for every request (a gateway's many), and an
# import inside a function costs about 1.5 µs each time it runs.
from .._net.http import open_stream, request_secrets
from .._net.retry import RETRYABLE, retry_after
from .._wire.common import ProviderError
from .._wire.ir import Sink
from .._wire.sse import events, is_keepalive
from .credentials import credential_for, renew
from .policy import CLI, backoff, seconds_text

MAX_ERROR_BODY = 64 * 1024  # bytes of an error answer read for its message
_REQUEST_ID = ("request-id", "x-request-id", "x-amzn-requestid", "x-goog-request-id", "x-github-request-id")
_FEATURE_WORDS = {"tools": "tool definitions, calls or results", "images": "images", "thinking": "signed thinking"}


class StreamCut(NetworkError):
    """The stream ended, or failed, before the protocol's last event (exit 6)."""


class UpstreamError(NetworkError):
    """The provider answered with an HTTP error (exit 6). status, headers (lower-case names),
    body (its first bytes, masked), retry_after (seconds, or None), host: for a gateway that
    hands the error back to its own caller."""

    def __init__(self, message, status, headers=None, body=b"", retry_after=None, host=None):
        super().__init__(message)
        self.status, self.headers, self.body = status, headers or {}, body
        self.retry_after, self.host = retry_after, host


class AnswerLimit:
    """ATOMIC_TIMEOUT (or PI_TIMEOUT): seconds for a whole answer, every try and every wait between
    them included; unset, no limit."""

    def __init__(self, ctx):
        self.name = setting_name(ctx.environ, "ATOMIC_TIMEOUT")
        self.seconds = ctx.seconds("ATOMIC_TIMEOUT", None)
        self.end = time.monotonic() + self.seconds if self.seconds else None

    def left(self):
        """Seconds left (at least a little: the try itself then says it is too late), or None."""
        return None if self.end is None else max(self.end - time.monotonic(), 0.001)

    def allows(self, wait):
        """Whether a wait of that many seconds still fits."""
        return self.end is None or wait < self.left()

    def passed(self, host, sink):
        """The error for an answer that took longer than the limit (what arrived is the sink's)."""
        if sink.started:
            return StreamCut("the answer from %s took longer than %s allows; what arrived was kept" % (host, self))
        return NetworkError("%s did not answer within %s; try again, or allow more time" % (host, self))

    def __str__(self):
        return "%s (%g s)" % (self.name, self.seconds)


class Outcome:
    """How an exchange went. host, status: of the last try; tries: requests sent; renewed: a
    refused credential was renewed; first_byte_at: monotonic time of the answer's first bytes;
    upstream_request_id: the provider's id for the request (for its support); headers: the last
    answer's (lower-case names). An exception raised by send() or relay() carries one as .outcome."""
    __slots__ = ("host", "status", "tries", "renewed", "first_byte_at", "upstream_request_id", "headers")

    def __init__(self):
        self.host = self.status = self.first_byte_at = self.upstream_request_id = None
        self.tries, self.renewed, self.headers = 0, False, {}

    def __repr__(self):
        return "Outcome(%s, status=%s, tries=%d%s)" % (self.host, self.status, self.tries,
                                                       ", renewed" if self.renewed else "")


def send(ctx, route, request, sink, policy=None):
    """Send an ir.Request to the route's model and read the answer into `sink` (an ir.Sink, e.g.
    an Answer); the Outcome. UsageError for a request the route cannot carry (refused, never
    trimmed); AtomicError for every other failure."""
    refuse_uncarried(route, request)
    from .authorize import prepared

    def build(credential):
        return prepared(ctx, route.provider, route.model, credential,
                        lambda base, headers: route.wire.build(route.model, base, headers, request))

    return exchange(ctx, route, build, translated(route.wire), sink, policy or CLI)


def new_session_id():
    """An id for one conversation, sent where an API uses it for prompt caching."""
    import uuid

    return str(uuid.uuid4())


def refuse_uncarried(route, request):
    """UsageError naming the model and what it lacks, for a request that needs features (tools,
    images, signed thinking) its wire module does not carry or its catalogue entry lacks."""
    from .._wire import ir

    needs = ir.needs(request)
    accepted = route.model.get("input") or ["text"]
    if "images" in needs and "image" not in accepted:
        raise UsageError("%s takes no images (its catalogue entry lists %s input only); pick a model that does "
                         "(`atomic models --images` lists them)" % (route.label, "/".join(accepted)))
    missing = sorted(needs - ir.carries(route.wire))
    if missing:
        raise UsageError("%s cannot be sent %s yet: atomic's %s wire module carries %s only; pick another model"
                         % (route.label, _words(missing), route.api, _words(sorted(ir.carries(route.wire)))))


def _words(features):
    return " and ".join(_FEATURE_WORDS.get(f, f) for f in features)


def exchange(ctx, route, build, read, sink, policy):
    """The loop every request goes through: build(credential) -> ApiRequest, sent, and the
    answer read by read(stream, sink, outcome); renewals and retries as `policy` says. Every
    error raised is masked by the request's secret values and carries the Outcome."""
    outcome, secrets, limit = Outcome(), [], AnswerLimit(ctx)
    try:
        return _loop(ctx, route, build, read, sink, policy, outcome, secrets, limit)
    except NetworkError as exc:
        if getattr(exc, "whole", False):  # the transport's deadline for the whole answer
            from .._net.http import host_of

            exc = limit.passed(outcome.host or host_of(route.model.get("baseUrl") or route.provider.base_url), sink)
        exc.outcome = outcome
        exc.message = _masked(exc.message, secrets)
        exc.args = (exc.message,)
        raise exc
    except AtomicError as exc:
        exc.outcome = outcome
        exc.message = _masked(exc.message, secrets)
        exc.args = (exc.message,)
        raise


def _loop(ctx, route, build, read, sink, policy, outcome, secrets, limit):
    sink.provider = route.provider.id
    credential = credential_for(route.provider, ctx, profile=route.profile)
    while True:
        request = build(credential)
        plain, secret, secrets[:] = split_headers(request, credential)
        outcome.tries += 1
        if getattr(sink, "sent_at", None) is not None:
            sink.sent_at = time.monotonic()  # time to first token counts from this try
        try:
            failure = _once(ctx, request, plain, secret, secrets, route.wire, read, sink, outcome, limit)
        except NetworkError as exc:  # a busy server's error event before any of the answer: as a 529
            if not getattr(exc, "retryable", False) or not _may_retry(policy, outcome, sink):
                raise
            _pause(ctx, policy, limit, _masked(exc.message, secrets), backoff(ctx, outcome.tries - 1))
            continue
        if failure is None:
            return outcome
        if failure[0] in (401, 403) and policy.renew and not outcome.renewed and not sink.started:
            outcome.renewed = True
            fresh = renew(ctx, route.provider, credential, route.profile)
            if fresh is not None:
                credential = fresh
                continue
        _wait_or_raise(ctx, route.provider, credential, failure, policy, outcome, sink, limit)


def _pause(ctx, policy, limit, why, wait):
    """The policy's pause before the next try, unless the wait would pass ATOMIC_TIMEOUT."""
    if not limit.allows(wait):
        raise NetworkError("%s, and trying again after %s would pass %s" % (why, seconds_text(wait), limit))
    policy.pause(ctx, why, wait)


def _wait_or_raise(ctx, provider, credential, failure, policy, outcome, sink, limit):
    """Wait before the next try of a 429 or 5xx the policy retries; else raise the UpstreamError."""
    status, headers, text, body = failure
    wait = retry_after(headers, ctx.now())
    if not (status in RETRYABLE and _may_retry(policy, outcome, sink)):
        raise refused(ctx, provider, credential, failure, outcome, wait)
    wait = backoff(ctx, outcome.tries - 1) if wait is None else wait
    if wait > policy.bound(ctx):
        raise UpstreamError("%s asked to wait %s before trying again (HTTP %d: %s); atomic waits at most %g s "
                            "(ATOMIC_RETRY_MAX_WAIT): try again later"
                            % (outcome.host, seconds_text(wait), status, text, policy.bound(ctx)),
                            status, headers, body, wait, outcome.host)
    _pause(ctx, policy, limit, "%s answered HTTP %d" % (outcome.host, status), wait)


def _may_retry(policy, outcome, sink):
    return policy.pause is not None and outcome.tries <= policy.retries and not sink.started


def split_headers(request, credential):
    """(plain headers, secret headers, every secret value the request carries) of a request: a
    header is secret when it was marked so, its name says so, or it holds the credential."""
    plain, secret = {}, {}
    value = credential.value if credential is not None else None
    for name, line in request.headers.items():
        is_secret = name.lower() in request.secret_names or is_secret_header(name) or (value and value in line)
        (secret if is_secret else plain)[name] = line
    extra = [value] if value else []
    return plain, secret, request_secrets(request.url, secret, request.json, None, extra)


def _once(ctx, request, plain, secret, secrets, wire, read, sink, outcome, limit):
    """Send the request; None once the answer has been read into the sink, else the error's
    (status, headers, text, body) for the loop to decide on."""
    stream = open_stream(request.method, request.url, ctx, headers=plain, secret_headers=secret,
                         body=request.payload(), first_byte=ctx.seconds("ATOMIC_FIRST_BYTE_TIMEOUT", 120.0),
                         idle=ctx.seconds("ATOMIC_IDLE_TIMEOUT", 120.0),
                         accept=getattr(wire, "ACCEPT", "text/event-stream"), secrets=secrets, total=limit.left())
    with stream:
        if type(sink).flush is not Sink.flush:  # one that holds output back shows it before each wait
            stream.on_wait = sink.flush
        outcome.host, outcome.status, outcome.headers = stream.host, stream.status, stream.headers
        outcome.upstream_request_id = next((stream.headers[n] for n in _REQUEST_ID if stream.headers.get(n)), None)
        if not stream.ok:  # a proxy's 503 page may be large: its start is enough for the message
            resp = stream.response(MAX_ERROR_BODY, truncate=True)
            return resp.status, resp.headers, resp.error_text(), _masked_bytes(resp.body, secrets)
        read(stream, sink, outcome)
    return None


def timed(stream, outcome):
    """The stream's chunks, noting when the first one came."""
    return _noting_first(stream.chunks(), outcome)


def _noting_first(items, outcome):
    for item in items:
        if outcome.first_byte_at is None:
            outcome.first_byte_at = time.monotonic()
        yield item


def translated(wire):
    """The reader of a translated answer: the wire module's events read into the sink."""
    framing = getattr(wire, "events", None) or events  # SSE, unless the protocol frames otherwise

    def read(stream, sink, outcome):
        if stream.headers.get("content-type", "").startswith("application/json"):
            resp = stream.response(MAX_ERROR_BODY, truncate=True)
            raise NetworkError("%s answered with JSON instead of a stream: %s" % (stream.host, resp.error_text()))
        # Only events are progress: keep-alive comments and pings hold off no deadline.
        finish(stream, sink, lambda: wire.read(_noting_first(stream.events(framing, is_keepalive), outcome), sink))

    return read


def finish(stream, sink, reading):
    """Run reading(), then hold the answer to the protocol: its last event must have come."""
    try:
        reading()
    except ProviderError as exc:
        named = ProviderError("%s %s" % (stream.host, exc.message))
        named.retryable = exc.retryable
        raise named
    except NetworkError as exc:
        if not sink.finished:  # when the protocol's last event had come, a failing close loses nothing
            if getattr(exc, "whole", False):
                raise  # ATOMIC_TIMEOUT: the exchange says so
            raise cut(stream.host, sink, exc.message)
    if not sink.finished:
        raise cut(stream.host, sink, "the stream ended before its last event")
    sink.done()


def cut(host, sink, why):
    if why.startswith(host + " "):
        why = why[len(host) + 1:]  # "api.x.com stopped sending…": the host is named once
    if sink.started:
        return StreamCut("the answer from %s was cut off (%s); what arrived was kept; ask again" % (host, why))
    return StreamCut("%s stopped before answering (%s); try again" % (host, why))


def refused(ctx, provider, credential, failure, outcome, wait):
    """The UpstreamError for an HTTP error atomic does not retry (any more)."""
    status, headers, text, body = failure
    host = outcome.host

    def error(message):
        return UpstreamError(message, status, headers, body, wait, host)

    hook = provider.hook("error_hint")
    hint = hook(status, text) if hook is not None else None
    if hint:
        return error("%s answered HTTP %d: %s. %s" % (host, status, text, hint))
    if status in (401, 403):
        if credential is None:
            return error("%s refused the request (HTTP %d: %s); %s takes a key: set apiKey in models.json or run "
                         "`atomic login %s`" % (host, status, text, provider.id, provider.id))
        ctx.forget_commands()  # the next turn of a chat runs a !command key again
        from .._auth.chain import from_ambient
        from .._auth.profiles import login_command

        if credential.source == "models.json":  # the file and field first: that is where the key is
            return error("%s refused the key in %s: providers.%s.apiKey (HTTP %d: %s); fix it there, or run "
                         "`atomic login %s` to store one, which comes before it"
                         % (provider.name, provider.config_file(ctx, "apiKey") or "models.json", provider.id,
                            status, text, provider.id))
        fix = ("check those credentials (`atomic status` shows them)" if credential.step is from_ambient
               else "run `%s`" % login_command(credential.entry_id or provider.id))
        return error("%s refused the credential from %s (HTTP %d: %s); %s"
                     % (provider.name, credential.source, status, text, fix))
    if status in RETRYABLE and outcome.tries > 1:
        return error("%s answered HTTP %d (%s), %d times; try again later" % (host, status, text, outcome.tries))
    return error("%s answered HTTP %d: %s" % (host, status, text))


def _masked(message, secrets):
    from .._core.mask import mask_text

    return mask_text(message, secrets)


def _masked_bytes(body, secrets):
    """An error body with every secret of the request masked (it may be handed on as it is)."""
    if not secrets or not body:
        return body
    from .._core.mask import mask_values

    text = body.decode("utf-8", "replace")
    masked = mask_values(text, secrets)
    return body if masked == text else masked.encode("utf-8")
