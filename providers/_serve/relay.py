"""One API request, from the caller's body to the answer's last byte (docs/design.md §7.2).

The model the body names is routed within the client token's scope. When the caller's API and
the model's are one family (Codex CLI to the ChatGPT backend, Claude Code to Anthropic, a Chat
Completions SDK to any compatible server) the body passes through with only the model, the
credential and the provider's own rules changed, and the answer's bytes come back as they came;
otherwise the caller's face parses the body into the IR, the client sends it, and the face
renders the answer in the caller's API. Failures before the answer begins are one table
(refusal() below), in the caller's shape; after it has begun, the caller's in-stream error event.
"""
import json

# Imported here once, not in each function as elsewhere: they run for every request a gateway
# answers, and an import inside a function costs about 1.5 µs each time it runs.
from .._client.credentials import credential_for
from .._client.exchange import send
from .._client.passthrough import relay
from .._client.policy import SERVE
from .._client.route import route as route_for
from .._core.errors import AtomicError
from .._wire import faces
from .._wire.ir import Sink

# Caller headers that travel on to a same-family upstream: the API's own (Claude Code's
# anthropic-version and anthropic-beta must arrive unchanged), its session ids, and the client's
# own name; never a credential, a browser's header or a billing header (X-Initiator is computed).
PASSED_ON = frozenset(("anthropic-version", "anthropic-beta", "user-agent", "x-app", "x-claude-code-session-id",
                       "openai-beta", "session-id", "x-client-request-id", "originator", "version"))


class Refusal(Exception):
    """An answer that is an error: status, kind (one of the faces' KINDS, None: the status's own),
    a sentence, Retry-After seconds, the field at fault; `raw`: (headers, body) of an upstream's
    own error, passed on as it came to a caller of its API."""

    def __init__(self, status, kind, message, retry_after=None, field=None, raw=None, headers=()):
        super().__init__(message)
        self.status, self.kind, self.message, self.retry_after = status, kind, message, retry_after
        self.field, self.raw, self.headers = field, raw, list(headers)


class Reply:
    """The answer's bytes to the caller: the head goes with the first write of a stream (chunked),
    or with the whole body at the end, so a failure before either can still be a clean error.
    The end is sent once (a passed-through answer ends as soon as its last byte came, before the
    upstream request is put away); nothing is written after it."""

    def __init__(self, conn, entry, stream):
        self.conn, self.entry, self.stream = conn, entry, stream
        self.content_type = "text/event-stream" if stream else "application/json"
        self.begun = self.ended = False
        self._parts = []

    def write(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not data or self.ended:
            return
        if not self.stream:
            self._parts.append(data)
            return
        if not self.begun:
            self.begun = True
            self.entry.mark_first_byte()
            self.conn.start(200, [("Content-Type", self.content_type), ("Cache-Control", "no-cache")])
        self.conn.write(data)

    def end(self):
        if self.ended:
            return
        self.ended = True
        if self.stream:
            if not self.begun:  # an answer with no bytes at all: still a well-formed empty stream
                self.write(b"\n")
            self.conn.finish()
            return
        self.begun = True
        self.entry.mark_first_byte()
        self.conn.respond(200, [("Content-Type", self.content_type)], b"".join(self._parts))


def answer(app, conn, request, family, body, entry):
    """Answer one POST of an API route (its JSON body read); Refusal for what fails before the
    answer begins; conn.Gone when the caller goes away (the upstream request is closed with it)."""
    face = faces.load(family)
    ctx = app.fork()
    route = _route(ctx, body, request.client, entry)
    _lend(ctx, route, request)
    reply, sink, call = _exchange(face, ctx, route, conn, request, body, entry)
    try:
        call()
    except AtomicError as exc:
        _remember_secret(app, ctx, route)  # before the log line that quotes the failure
        if not reply.begun:
            raise refusal(exc, entry.mode == "pass")
        entry.error = exc.message
        _fail_in_stream(face, sink, reply, exc)
        return
    finally:
        _tally(entry, sink)
    reply.end()
    entry.status = 200


def _exchange(face, ctx, route, conn, request, body, entry):
    """(the Reply, the sink the answer goes into, the call that sends the request): passed
    through as it came, or translated through the caller's face."""
    if _passes_through(face, route, body):
        entry.mode = "pass"
        reply = Reply(conn, entry, bool(body.get("stream")))
        sink = _raw_sink(reply)
        return reply, sink, _relay(ctx, route, body, sink, _caller_headers(request))
    entry.mode = "translate"
    inbound = _parse(face, body)
    reply = Reply(conn, entry, inbound.stream)
    sink = face.Renderer(reply.write, inbound.stream, inbound.model, inbound)
    return reply, sink, _send(ctx, route, inbound, sink)


def count_tokens(app, conn, request, body, entry):
    """POST /v1/messages/count_tokens: Anthropic's own count for an Anthropic model, else an
    estimate (about four characters a token) that the log marks as one."""
    ctx = app.fork()
    route = _route(ctx, body, request.client, entry)
    _lend(ctx, route, request)
    if route.provider.id == "anthropic" and route.api == "anthropic-messages":
        entry.mode = "pass"
        reply = Reply(conn, entry, False)
        try:
            _counted(ctx, route, dict(body), _raw_sink(reply), _caller_headers(request))
        except AtomicError as exc:
            raise refusal(exc, True)
        reply.end()
    else:
        entry.mode, entry.error = "estimate", "count_tokens estimated: %s counts no tokens" % route.label
        text = json.dumps({k: body.get(k) for k in ("system", "messages", "tools")}, ensure_ascii=False)
        reply = Reply(conn, entry, False)
        reply.write(json.dumps({"input_tokens": max(1, len(text) // 4)}))
        reply.end()
    entry.status = 200


# -- choosing ---------------------------------------------------------------------------------------

def _route(ctx, body, client, entry):
    target = body.get("model")
    if not isinstance(target, str) or not target.strip():
        raise Refusal(400, "invalid_request", "the body names no model: set model to PROVIDER/MODEL (GET /v1/models "
                      "lists the ones this client token may use)", field="model")
    entry.model = target[:200]
    try:
        found = route_for(ctx, target, scope=client, profile=client.profile)
    except AtomicError as exc:
        if "may use" in exc.message:
            raise Refusal(403, "permission", "%s; the client token %s may use %s" % (exc.message, client.name,
                                                                                      client.scope_text()))
        if exc.message.startswith("unknown "):  # a model or provider of no such name
            raise Refusal(404, "not_found", exc.message + " (GET /v1/models lists the models this token may use)",
                          field="model")
        raise refusal(exc, False)
    entry.model = found.label
    return found


def _passes_through(face, route, body):
    """The same family, and an upstream that answers the way the caller asked: the ChatGPT
    backend streams only, so a caller that wants one JSON answer has the stream gathered."""
    if face.FAMILY != route.family:
        return False
    return bool(body.get("stream")) or not getattr(route.wire, "STREAMS_ONLY", False)


def _lend(ctx, route, request):
    """Whether the provider lends its credential to this program (its module's lend hook): a
    Claude subscription serves Claude Code's own requests only."""
    hook = route.provider.hook("lend")
    if hook is None:
        return
    try:
        credential = credential_for(route.provider, ctx, profile=route.profile, refresh=False, warn=False)
    except AtomicError:
        return  # no credential: the request's own path says so
    why = hook(credential, request.header("user-agent")) if credential is not None else None
    if why:
        raise Refusal(403, "permission", "%s: %s" % (route.label, why))


def _caller_headers(request):
    return [(name, value) for name, value in request.headers.items() if name in PASSED_ON]


# -- asking -------------------------------------------------------------------------------------------

def _parse(face, body):
    from .._wire.faces import FaceError

    try:
        return face.parse(body)
    except FaceError as exc:
        raise Refusal(exc.status, None, exc.message, field=exc.field)


def _relay(ctx, route, body, sink, headers):
    return lambda: relay(ctx, route, body, sink, SERVE, headers=headers)


def _send(ctx, route, inbound, sink):
    return lambda: send(ctx, route, inbound, sink, SERVE)


def _counted(ctx, route, body, sink, headers):
    """Anthropic's count_tokens for the body, relayed as a message is (same credential, same
    rules, the caller's API headers), its answer passed on."""
    from .._client.route import Route

    counting = Route(route.provider, route.model, _CountTokens(route.wire), route.api, route.family, route.profile)
    relay(ctx, counting, body, sink, SERVE, headers=headers)


class _CountTokens:
    """The Messages wire module with count_tokens for its address: what relay() builds and sends."""

    def __init__(self, wire):
        self.wire = wire

    def build(self, model, base_url, headers, request):
        built = self.wire.build(model, base_url, headers, request)
        built.url = built.url.split("?")[0].rstrip("/") + "/count_tokens"
        return built

    def read(self, events, sink):
        self.wire.read(events, sink)


def _raw_sink(reply):
    """The passthrough's sink: the upstream's bytes to the caller as they come."""
    sink = _Raw()
    sink.reply = reply
    return sink


class _Raw(Sink):
    def raw(self, chunk):
        self.reply.write(chunk)

    def ended(self):
        self.reply.end()  # the caller has it all: the upstream request is put away after


# -- what became of it ------------------------------------------------------------------------------------

def refusal(exc, passthrough):
    """The Refusal for a failure before any of the answer went out (design §7.2):

    an upstream HTTP error    to a caller of its own API as it came (masked), else in the
                              caller's shape: 401/403 as 502 upstream_auth (the client token was
                              fine), 429 and 5xx with their Retry-After, other 4xx as they were
    usage, unsupported field  400
    no credential             503 naming `atomic login PROVIDER`
    a dead login              502 upstream_auth naming `atomic login PROVIDER`
    the lock is busy          503 with Retry-After
    a broken file of atomic's 500, naming the file and the fix
    anything else (network)   502
    """
    from .._client.exchange import UpstreamError
    from .._core import errors

    if isinstance(exc, UpstreamError):
        return _upstream(exc, passthrough)
    if isinstance(exc, errors.UsageError):
        return Refusal(400, "invalid_request", exc.message)
    if isinstance(exc, errors.NotLoggedIn):
        return Refusal(503, "overloaded", exc.message)
    if isinstance(exc, errors.LockTimeout):
        return Refusal(503, "overloaded", exc.message, retry_after=1)
    if isinstance(exc, errors.LoginAgain):
        return Refusal(502, "api_error", "upstream_auth: " + exc.message)
    if isinstance(exc, (errors.BadFile, errors.Unsafe)):
        return Refusal(500, "api_error", exc.message)  # atomic's own files: the message names the one and the fix
    return Refusal(502, "api_error", exc.message)


def _upstream(exc, passthrough):
    status = exc.status
    if status in (401, 403):
        return Refusal(502, "api_error", "upstream_auth: " + exc.message)
    if passthrough and exc.body:
        headers = [("Content-Type", exc.headers.get("content-type") or "application/json")]
        if exc.headers.get("retry-after"):
            headers.append(("Retry-After", exc.headers["retry-after"]))
        return Refusal(status, None, exc.message, raw=(headers, exc.body))
    kind = "rate_limit" if status == 429 else "overloaded" if status in (503, 529) else None
    return Refusal(status if 400 <= status < 600 else 502, kind, exc.message, retry_after=exc.retry_after)


def _fail_in_stream(face, sink, reply, exc):
    """The answer had begun: end it with the caller's own in-stream error."""
    from .conn import Gone

    try:
        if hasattr(sink, "fail"):
            sink.fail(502, "api_error", exc.message)
        else:
            reply.write(_stream_error(face.FAMILY, exc.message))
        reply.end()
    except Gone:
        pass


def _stream_error(family, message):
    """An error event in a passed-through stream, in its family's own form."""
    if family == "anthropic-messages":
        return "event: error\ndata: %s\n\n" % json.dumps({"type": "error", "error": {"type": "api_error",
                                                                                      "message": message}})
    if family == "openai-responses":
        return "event: error\ndata: %s\n\n" % json.dumps({"type": "error", "code": "api_error", "message": message,
                                                          "param": None})
    return "data: %s\n\n" % json.dumps({"error": {"message": message, "type": "server_error"}})


def _remember_secret(app, ctx, route):
    """Tell the log the credential a failed request went with (as it is now, after any refresh), so
    that its line shows it nowhere, even where it has no known shape (the client has masked its
    message by the request's own secrets already; this is the log's own net)."""
    try:
        credential = credential_for(route.provider, ctx, profile=route.profile, refresh=False, warn=False)
    except AtomicError:
        return
    if credential is not None and credential.value:
        app.log.secret(credential.value)


def _tally(entry, sink):
    usage = getattr(sink, "usage", None) or {}
    if any(usage.values()):
        entry.tokens_in = usage.get("input", 0) + usage.get("cacheRead", 0) + usage.get("cacheWrite", 0)
        entry.tokens_out = usage.get("output", 0)
