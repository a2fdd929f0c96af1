"""One turn of a conversation, end to end: credential, request, stream, retries.

credential (the chain; OAuth refreshed when due) -> the model's wire module builds the request ->
the provider's prepare() hook adds what is special to it -> open_stream -> SSE events -> the wire
module feeds the Answer, whose sinks print as text arrives.

Failures: 401/403 force one OAuth refresh (or one new run of a !command key) and one retry, then
exit 6 naming `atomic login`; 429 and 5xx before the answer starts are retried a few times,
honouring Retry-After up to a bound; a stream that stops before its last event is exit 6, and
what arrived has already been printed. ATOMIC_TIMEOUT bounds the whole answer, tries and waits
between them included.
"""
import time

from .._core.errors import NetworkError
from .._net.retry import RETRYABLE, retry_after

RETRIES = 2                 # tries after the first, for 429 and 5xx
MAX_ERROR_BODY = 64 * 1024  # bytes of an error answer read for its message
_SECRET_NAME = ("auth", "key", "token", "secret", "cookie")


class StreamCut(NetworkError):
    """The stream ended, or failed, before the protocol's last event (exit 6)."""


def send(ctx, provider, model, turn, answer, sleep=time.sleep, profile=None):
    """Send one turn to model and read the answer into `answer`; AtomicError on failure.
    profile: the named login to use, as the caller chose it (None: --profile, ATOMIC_PROFILE and
    the folder rules choose, in the chain)."""
    wire = _wire(provider, model)
    limit = _Limit(ctx)
    credential = _credential(provider, ctx, profile)
    renewed, tries = False, 0
    while True:
        request = _request(ctx, provider, model, turn, wire, credential)
        answer.sent_at = time.monotonic()
        try:
            status, headers, text, host = _exchange(ctx, request, credential, wire, answer, limit)
        except NetworkError as exc:  # a busy server's error event before any of the answer: as a 529
            if not getattr(exc, "retryable", False) or tries >= RETRIES:
                raise
            _pause(ctx, exc.message, _backoff(ctx, tries), sleep, limit)
            tries += 1
            continue
        if status is None:
            return answer
        if status in (401, 403) and not renewed:
            renewed = True
            fresh = _renew(ctx, provider, credential)
            if fresh is not None:
                credential = fresh
                continue
        if status in RETRYABLE and tries < RETRIES:
            wait = retry_after(headers, ctx.now())
            if wait is None:
                wait = _backoff(ctx, tries)
            bound = ctx.seconds("ATOMIC_RETRY_MAX_WAIT", 30.0)
            if wait > bound:
                raise NetworkError("%s asked to wait %s before trying again (HTTP %d: %s); atomic waits at most "
                                   "%g s (ATOMIC_RETRY_MAX_WAIT): try again later"
                                   % (host, _seconds(wait), status, text, bound))
            _pause(ctx, "%s answered HTTP %d" % (host, status), wait, sleep, limit)
            tries += 1
            continue
        raise _refused(ctx, provider, credential, status, text, host, tries)


def _backoff(ctx, tries):
    """Seconds before try number tries + 2 when the server named none: doubling each time."""
    return ctx.seconds("ATOMIC_RETRY_BACKOFF", 1.0) * 2 ** tries


def _pause(ctx, why, wait, sleep, limit):
    if limit.left() is not None and wait >= limit.left():
        raise NetworkError("%s, and trying again after %s would pass %s" % (why, _seconds(wait), limit))
    ctx.say("atomic: warning: %s; trying again in %s" % (why, _seconds(wait)))
    sleep(wait)


class _Limit:
    """ATOMIC_TIMEOUT (or PI_TIMEOUT): seconds for the whole answer, every try and wait included;
    unset, no limit."""

    def __init__(self, ctx):
        from .._core.context import setting_name

        self.name = setting_name(ctx.environ, "ATOMIC_TIMEOUT")
        self.seconds = ctx.seconds("ATOMIC_TIMEOUT", None)
        self.end = time.monotonic() + self.seconds if self.seconds else None

    def left(self):
        """Seconds left (at least a little: the try itself then says it is too late), or None."""
        return None if self.end is None else max(self.end - time.monotonic(), 0.001)

    def passed(self, host, answer):
        """The error for an answer that took longer than the limit."""
        if answer.text_parts or answer.reasoning_parts:
            return StreamCut("the answer from %s took longer than %s allows; what arrived was kept" % (host, self))
        return NetworkError("%s did not answer within %s; try again, or allow more time" % (host, self))

    def __str__(self):
        return "%s (%g s)" % (self.name, self.seconds)


def new_session_id():
    """An id for one conversation, sent where an API uses it for prompt caching."""
    import uuid

    return str(uuid.uuid4())


def _wire(provider, model):
    """The protocol module of the model's wire API: the provider's own (its wire() hook), else atomic's."""
    from .._wire.apis import module_for

    api = model.get("api") or provider.api
    hook = provider.hook("wire")
    own = hook(api) if hook is not None else None
    return own if own is not None else module_for(api)


def _credential(provider, ctx, profile=None):
    from .._auth.chain import resolve, warn_shadowed

    if provider.takes_no_key(ctx):
        return None  # a server on this machine that takes no key
    credential = resolve(provider, ctx, profile=profile)
    warn_shadowed(provider, ctx, credential)  # a stored key beating a newer one: the billing surprise
    return credential


def _renew(ctx, provider, credential):
    """A credential to try once more after a refusal, or None when there is nothing new to try."""
    from .._auth.chain import resolve
    from .._auth.refresh import can_refresh, refresh_now

    if credential is None:
        return None
    profile = credential.profile or ("default" if credential.entry_id else None)  # the same login again
    if credential.linked is not None:  # another tool's: read it again; if unchanged, the tool refreshes it
        from .._auth.linked import renew

        return renew(provider, ctx, credential)
    if credential.is_oauth and can_refresh(provider):
        refresh_now(provider, ctx, rejected=credential.value, entry_id=credential.entry_id)  # forced: it looked fresh
        return resolve(provider, ctx, profile=profile)
    if _from_command(provider, credential, ctx):
        ctx.forget_commands()  # a password manager may hand out a new key
        fresh = resolve(provider, ctx, profile=profile)
        return fresh if fresh.value != credential.value else None
    return None


def _from_command(provider, credential, ctx):
    if credential.entry is not None:
        return str(credential.entry.get("key", "")).startswith("!")
    if credential.source == "models.json":
        config, _path = provider.config(ctx)
        return str((config or {}).get("apiKey", "")).startswith("!")
    return False


def _request(ctx, provider, model, turn, wire, credential):
    from .._client.authorize import base_url, credential_headers, model_headers
    from .._wire.request import HeaderList

    headers = HeaderList(credential_headers(provider, credential, ctx, api=model.get("api")))
    for name, value in model_headers(model, provider, ctx):
        headers.set(name, value)
    base = base_url(provider, ctx, credential, url=model.get("baseUrl") or None)
    request = wire.build(model, base, headers, turn)
    hook = provider.hook("prepare")
    if hook is not None and credential is not None:
        hook(request, credential, model, ctx)
    if credential is not None and credential.signer is not None:
        credential.signer(request)  # last: the signature covers the final URL, headers and body
    return request


def _exchange(ctx, request, credential, wire, answer, limit):
    """Send the request; (None, ...) once the answer has been read, else the error's
    (status, headers, text, host) for the caller to decide on."""
    try:
        return _exchange_once(ctx, request, credential, wire, answer, limit)
    except NetworkError as exc:
        if getattr(exc, "whole", False):  # the transport's deadline for the whole answer
            from .._net.http import host_of

            raise limit.passed(host_of(request.url), answer)
        raise


def _exchange_once(ctx, request, credential, wire, answer, limit):
    from .._net.http import open_stream

    body = request.payload()
    plain, secret = {}, {}
    for name, value in request.headers.items():
        is_secret = (name.lower() in request.secret_names or any(w in name.lower() for w in _SECRET_NAME)
                     or (credential is not None and credential.value and credential.value in value))
        (secret if is_secret else plain)[name] = value
    stream = open_stream(request.method, request.url, ctx, headers=plain, secret_headers=secret, body=body,
                         first_byte=ctx.seconds("ATOMIC_FIRST_BYTE_TIMEOUT", 120.0),
                         idle=ctx.seconds("ATOMIC_IDLE_TIMEOUT", 120.0),
                         accept=getattr(wire, "ACCEPT", "text/event-stream"), total=limit.left())
    with stream:
        if not stream.ok:  # a proxy's 503 page may be large: its start is enough for the message
            resp = stream.response(MAX_ERROR_BODY, truncate=True)
            return resp.status, resp.headers, resp.error_text(), stream.host
        if stream.headers.get("content-type", "").startswith("application/json"):
            resp = stream.response(MAX_ERROR_BODY, truncate=True)
            raise NetworkError("%s answered with JSON instead of a stream: %s" % (stream.host, resp.error_text()))
        _read(stream, wire, answer)
    return None, None, None, stream.host


def _read(stream, wire, answer):
    from .._wire.sse import events, is_keepalive
    from .._wire.common import ProviderError

    framing = getattr(wire, "events", None) or events  # SSE, unless the protocol frames otherwise
    try:
        # Only events are progress: keep-alive comments and pings hold off no deadline.
        wire.read(stream.events(framing, is_keepalive), answer)
    except ProviderError as exc:
        named = ProviderError("%s %s" % (stream.host, exc.message))
        named.retryable = exc.retryable
        raise named
    except NetworkError as exc:
        if not answer.finished:  # when the protocol's last event had come, a failing close loses nothing
            if getattr(exc, "whole", False):
                raise
            raise _cut(stream.host, answer, exc.message)
    if not answer.finished:
        raise _cut(stream.host, answer, "the stream ended before its last event")
    answer.done()


def _cut(host, answer, why):
    if why.startswith(host + " "):
        why = why[len(host) + 1:]  # "api.x.com stopped sending…": the host is named once
    if answer.started:
        return StreamCut("the answer from %s was cut off (%s); what arrived was kept; ask again" % (host, why))
    return StreamCut("%s stopped before answering (%s); try again" % (host, why))


def _refused(ctx, provider, credential, status, text, host, tries):
    hook = provider.hook("error_hint")
    hint = hook(status, text) if hook is not None else None
    if hint:
        return NetworkError("%s answered HTTP %d: %s. %s" % (host, status, text, hint))
    if status in (401, 403):
        if credential is None:
            return NetworkError("%s refused the request (HTTP %d: %s); %s takes a key: set apiKey in "
                                "models.json or run `atomic login %s`" % (host, status, text, provider.id, provider.id))
        ctx.forget_commands()  # the next turn of a chat runs a !command key again
        from .._auth.chain import from_ambient

        if credential.source == "models.json":  # the file and field first: that is where the key is
            return NetworkError("%s refused the key in %s: providers.%s.apiKey (HTTP %d: %s); fix it there, or run "
                                "`atomic login %s` to store one, which comes before it"
                                % (provider.name, provider.config_file(ctx, "apiKey") or "models.json", provider.id,
                                   status, text, provider.id))
        from .._auth.profiles import login_command

        fix = ("check those credentials (`atomic status` shows them)" if credential.step is from_ambient
               else "run `%s`" % login_command(credential.entry_id or provider.id))
        return NetworkError("%s refused the credential from %s (HTTP %d: %s); %s"
                            % (provider.name, credential.source, status, text, fix))
    if status in RETRYABLE:
        return NetworkError("%s answered HTTP %d (%s), %d times; try again later" % (host, status, text, tries + 1))
    return NetworkError("%s answered HTTP %d: %s" % (host, status, text))


def _seconds(value):
    return "%g s" % round(value, 1)
