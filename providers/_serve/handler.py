"""What every request passes before it reaches a model, and the routes.

In order, each refusal answered in the shape of the API the path belongs to:
1. Host names this machine (127.0.0.1, localhost, [::1] and the port; on a socket, any loopback
   name or the socket's file name): a DNS-rebinding page names its own domain (403).
2. No Origin header, no Sec-Fetch-Site other than `none`: web pages are refused (403). No CORS
   header is ever sent and OPTIONS is no preflight (405).
3. The route: POST /v1/chat/completions, /v1/responses, /v1/messages (?beta=true too),
   /v1/messages/count_tokens; GET /v1/models; GET /health (no token, says only "ok"); a
   WebSocket upgrade of /v1/responses is 426, so the Codex CLI falls back to HTTP at once.
4. POST bodies are application/json (415): a browser's "simple" content types never are.
5. The client token, from `Authorization: Bearer` or `x-api-key` (both, when different: 401).
6. A place among --max-concurrent requests (503 with Retry-After).
7. The body within its cap (413), JSON (400); then the relay answers it.
"""
import json
import threading

from .conn import BadRequest, Conn, Gone
from . import relay
from .log import Entry
from .relay import Refusal

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")

# path: (method, api, family): the family shapes errors; the api names the log's column.
OPENAI, RESPONSES, ANTHROPIC = "openai-completions", "openai-responses", "anthropic-messages"
ROUTES = {
    "/v1/chat/completions": ("POST", "chat", OPENAI),
    "/v1/responses": ("POST", "responses", RESPONSES),
    "/v1/messages": ("POST", "messages", ANTHROPIC),
    "/v1/messages/count_tokens": ("POST", "count_tokens", ANTHROPIC),
    "/v1/models": ("GET", "models", None),   # the family follows the caller's headers
    "/health": ("GET", "health", OPENAI),
}
RETRY_AFTER = 1  # seconds, on a 503 for a full house


class App:
    """The request handler of one `atomic serve`: what it checks, with which tokens and limits."""

    def __init__(self, ctx, verifier, log, limits, max_concurrent, server=None):
        self.ctx, self.verifier, self.log, self.limits = ctx, verifier, log, limits
        self.slots = threading.BoundedSemaphore(max_concurrent)
        self.server = server
        self.exposed = None      # the --host value the user insisted on, if any

    # -- a connection ---------------------------------------------------------------------------
    def connection(self, sock, listener):
        """Serve the requests of one connection until it closes, idles or misbehaves."""
        conn = Conn(sock, self.limits)
        linger = 0.0
        try:
            while True:
                request = conn.next_request()
                if request is None:
                    break
                conn.closing = not request.keep_alive or self.stopping()
                with self._busy():  # drain() waits for the answer and its log line
                    self.request(conn, request, listener)
                if conn.closing:
                    linger = 2.0 if request.unread else 0.0
                    break
        except BadRequest as exc:
            conn.closing = True
            linger = 2.0
            entry = Entry()
            entry.status, entry.error = exc.status, exc.message
            self._send_error(conn, OPENAI, Refusal(exc.status, None, exc.message))
            self.log.write(entry)
        except Gone:
            pass
        finally:
            conn.close(linger)

    def refuse_connection(self, sock):
        """A connection over the cap: 503, and closed."""
        import socket

        import select

        try:  # what the client sends first is read, so that closing does not reset the connection
            if select.select([sock], [], [], 0.2)[0]:
                sock.setblocking(False)
                while sock.recv(65536):
                    pass
        except OSError:
            pass
        try:
            sock.settimeout(1.0)
            body = json.dumps({"error": {"message": "atomic serve has too many connections; try again",
                                         "type": "server_error", "param": None, "code": "overloaded"}}).encode()
            sock.sendall(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: %d\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (RETRY_AFTER, len(body), body))
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            sock.close()

    def stopping(self):
        return self.server is not None and self.server.stopping.is_set()

    # -- one request ----------------------------------------------------------------------------
    def request(self, conn, request, listener):
        route = ROUTES.get(request.path)
        method, api, family = route or (None, "-", OPENAI)
        if api == "models":
            family = ANTHROPIC if request.header("anthropic-version") else OPENAI
        entry = Entry(api)
        try:
            self._check(conn, request, listener, route, family, entry)
            if api == "health":
                self._json(conn, entry, 200, {"status": "ok"})
            elif api == "models":
                self._models(conn, request, family, entry)
            else:
                self._answer(conn, request, api, family, entry)
        except Refusal as refused:
            entry.status, entry.error = refused.status, refused.message
            if request.unread:
                conn.closing = True  # the body was not read: the connection cannot carry another request
            self._send_error(conn, family, refused)
        except Gone:
            entry.status = entry.status or 499
            entry.error = entry.error or "the client went away"
            raise
        except Exception as exc:  # a bug: this request fails, the server and every other request go on
            entry.status, entry.error = 500, "atomic serve failed: %s: %s" % (type(exc).__name__, exc)
            conn.closing = True
            self._send_error(conn, family, Refusal(500, "api_error", "atomic serve failed on this request (%s); "
                                                   "its log says more" % type(exc).__name__))
            self._report(exc)
        finally:
            self.log.write(entry)

    def _check(self, conn, request, listener, route, family, entry):
        if not self._host_ok(request.header("host"), listener):
            raise Refusal(403, "permission", "atomic serve answers only requests addressed to this machine "
                          "(Host 127.0.0.1, localhost or [::1] with its port); this one names %r"
                          % request.header("host")[:80])
        if "origin" in request.headers or request.header("sec-fetch-site", "none").lower() != "none":
            raise Refusal(403, "permission", "requests from web pages are refused: atomic serve is for programs "
                          "on this machine (the request carried an Origin or Sec-Fetch-Site header)")
        if request.method == "OPTIONS":
            raise Refusal(405, "invalid_request", "OPTIONS is not answered: atomic serve allows no cross-origin "
                          "requests", headers=[("Allow", "GET, POST")])
        if route is None:
            raise Refusal(404, "not_found", _not_found(request.path))
        if request.path == "/v1/responses" and request.header("upgrade"):
            raise Refusal(426, "invalid_request", "WebSocket is not served; send the request over HTTP "
                          "(POST /v1/responses)")
        if request.method != route[0]:
            raise Refusal(405, "invalid_request", "%s %s: use %s" % (request.method, request.path, route[0]),
                          headers=[("Allow", route[0])])
        if route[1] == "health":
            return
        if request.method == "POST" and _media_type(request.header("content-type")) != "application/json":
            raise Refusal(415, "invalid_request", "the body must be JSON, sent with Content-Type: "
                          "application/json")
        entry.token = self._client(request).name

    def _client(self, request):
        """The Client the request's token belongs to; Refusal(401) otherwise."""
        bearer = request.header("authorization")
        scheme, _, value = bearer.partition(" ")
        from_bearer = value.strip() if scheme.lower() == "bearer" else None
        if bearer and from_bearer is None:
            raise Refusal(401, "authentication", "the Authorization header must hold the scheme Bearer, then a "
                          "client token (`atomic serve token create NAME` makes one)")
        from_key = request.header("x-api-key").strip() if "x-api-key" in request.headers else None
        if from_bearer is not None and from_key is not None and from_bearer != from_key:
            raise Refusal(401, "authentication", "the request carries two different tokens (Authorization "
                          "and x-api-key); send one client token (unset ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN)")
        presented = from_bearer if from_bearer is not None else from_key
        if not presented:
            raise Refusal(401, "authentication", "no client token: send one in the Authorization header (as "
                          "Bearer) or in x-api-key; `atomic serve token create NAME` makes one")
        client = self.verifier.check(presented)
        if client is None:
            raise Refusal(401, "authentication", "this client token is not valid (unknown, revoked or "
                          "expired); `atomic serve token list` shows the tokens, `atomic serve token create NAME` "
                          "makes a new one")
        request.client = client
        return client

    def _host_ok(self, host, listener):
        name, port = _split_host(host.lower())
        if name is None:
            return False
        if listener.path is not None:   # a Unix socket: no browser reaches it, but keep to local names
            import os

            return name in LOOPBACK_NAMES or name == os.path.basename(listener.path).lower()
        if port is not None and port != listener.port:
            return False
        if name in LOOPBACK_NAMES:
            return True
        # Exposed on purpose (--host with --expose): an address, never another DNS name.
        return self.exposed is not None and (name == self.exposed.lower() or _is_address(name))

    # -- answers ------------------------------------------------------------------------------------
    def _models(self, conn, request, family, entry):
        """The models the caller's token may use, of the providers with a credential now."""
        from .._models.catalog import select_models
        from .._wire import faces

        client = request.client
        records = [m for m in select_models(self.fork())[0] if client.allows(m["provider"], m["id"])]
        self._json(conn, entry, 200, faces.load(family).models(records))

    def _answer(self, conn, request, api, family, entry):
        if not self.slots.acquire(blocking=False):
            raise Refusal(503, "overloaded", "atomic serve is answering as many requests as --max-concurrent "
                          "allows; try again", retry_after=RETRY_AFTER)
        try:
            body = self._read_json(conn, request)
            if api == "count_tokens":
                relay.count_tokens(self, conn, request, body, entry)
            else:
                relay.answer(self, conn, request, family, body, entry)
        finally:
            self.slots.release()

    def fork(self):
        """A context for one request: the files read afresh, the rest (warnings given, extensions
        found, !command results) shared with every other request."""
        return self.ctx.fork()

    def _busy(self):
        import contextlib

        return self.server.busy() if self.server is not None else contextlib.nullcontext()

    def _read_json(self, conn, request):
        try:
            conn.read_body(request)
        except BadRequest as exc:
            conn.closing = True
            raise Refusal(exc.status, None, exc.message)
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise Refusal(400, "invalid_request", "the body is not JSON (%s)" % str(exc)[:120])
        if not isinstance(body, dict):
            raise Refusal(400, "invalid_request", "the body must be a JSON object")
        return body

    def _json(self, conn, entry, status, doc, headers=()):
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        entry.status = status
        entry.mark_first_byte()
        conn.respond(status, [("Content-Type", "application/json")] + list(headers), body)

    def _send_error(self, conn, family, refused):
        """A refusal in the caller's shape (or an upstream's own error as it came); nothing when
        the answer had begun (the relay ends a stream in its own way)."""
        if conn.started:
            return
        if refused.raw is not None:
            status, (headers, body) = refused.status, refused.raw
            body = self._masked(body)
        else:
            status, headers, body = _error_response(family, refused)
        try:
            conn.respond(status, list(headers) + refused.headers, body)
        except Gone:
            pass

    def _masked(self, body):
        """An upstream's error body with every secret the log knows masked (the client has masked
        the request's own already)."""
        from .._core.mask import mask_text

        text = body.decode("utf-8", "replace")
        masked = mask_text(text, self.log.secrets())
        return body if masked == text else masked.encode("utf-8")

    def _report(self, exc):
        import traceback

        from .._core.mask import mask_text

        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.log.note("atomic serve: a request failed with a bug; please report it:\n" + mask_text(text, self.log.secrets()))


def _error_response(family, refused):
    """(status, headers, body) of a refusal in the family's shape (faces' error())."""
    from .._wire import faces

    return faces.load(family).error(refused.status, refused.kind, refused.message, refused.field,
                                    refused.retry_after)


def _not_found(path):
    if not path.startswith("/v1/") and "/v1" + path in ROUTES:
        return ("no route %s: atomic serve's paths start with /v1 (set the base URL to end in /v1 for OpenAI "
                "clients, or to the bare address for Anthropic clients)" % path[:100])
    return "no route %s; atomic serve answers %s" % (path[:100], ", ".join(sorted(p for p in ROUTES)))


def _media_type(value):
    return value.split(";", 1)[0].strip().lower()


def _split_host(host):
    """(name, port or None) of a Host header value; (None, None) when it is not one."""
    host = host.strip()
    if not host:
        return None, None
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return None, None
        name, rest = host[:end + 1], host[end + 1:]
        if rest and not rest.startswith(":"):
            return None, None
        port_text = rest[1:] if rest else None
    else:
        name, colon, port_text = host.partition(":")
        port_text = port_text if colon else None
    if port_text is not None:
        if not port_text.isdigit() or not port_text.isascii():
            return None, None
        return name, int(port_text)
    return name, None


def _is_address(name):
    import ipaddress

    try:
        ipaddress.ip_address(name.strip("[]"))
        return True
    except ValueError:
        return False
