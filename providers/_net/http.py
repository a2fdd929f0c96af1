"""The one HTTP helper every provider uses (urllib only), in two halves.

open_stream() sends a request and returns as soon as the status and headers arrive; the body is
then read as it comes (read1, one chunk at a time), with a first-byte deadline, an idle timeout
that each chunk resets (each event, read through Stream.events: keep-alives do not) and, if
asked, a limit for the whole exchange. request() is the whole-body form built on it: an overall
deadline and a size cap. Both honour HTTPS_PROXY / HTTP_PROXY / NO_PROXY, verify TLS against SSL_CERT_FILE,
REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE or certifi plus the system store, bound the connection, the
proxy's CONNECT and the TLS handshake by the same deadline (urllib's timeout is per socket
operation: a trickling server defeats it), follow no redirect (a 3xx is the answer, reported as a
redirect: no header, whatever its name, reaches another host or plain HTTP), and turn every
failure into a NetworkError that names the host and never the secret. One reaper thread keeps the
deadlines of every request in the process (deadline.py), so N requests in flight cost N + 1 threads;
the openers are made once, and a connection whose answer was read whole is kept for the next
request to the same host (pool.py).

Every secret a request carries (secret headers, secret-named form, JSON or query fields, and any
the caller names) is masked by its exact value in all text derived from the answer: a server that
quotes the refresh token, code or verifier back in an error does not get it printed. A failure
after the request was sent is marked `answer_lost` (the server may have acted on it).
"""
import _thread
import os

from .._core.version import __version__
from .._core.errors import NetworkError
from .._core.mask import excerpt, is_secret_name, mask_text
from .._core.text import printable
from . import pool
from .deadline import Deadline

DEADLINE = 30.0          # seconds for a whole request: connect, send, headers and body
CONNECT_TIMEOUT = 10.0   # seconds for any single socket operation of a whole-body request
FIRST_BYTE = 120.0       # seconds a stream may take to connect and send its first body bytes
IDLE = 120.0             # seconds a stream may go without sending anything
MAX_BODY = 1 << 20       # bytes; token and model-list responses are far smaller
ONE_WRITE = 64 * 1024    # bytes of a body written in one piece with the request's head
USER_AGENT = "atomic/" + __version__
# The contract's order. SSL_CERT_DIR is not listed: many images set it to the system store, which
# would hide a corporate bundle named below; OpenSSL still reads it for the default context.
CA_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


class _Exchange:
    """What a whole response and a stream share: the status and the host it came from."""

    @property
    def host(self):
        return host_of(self.url)

    @property
    def ok(self):
        return 200 <= self.status < 300


class Response(_Exchange):
    """A finished HTTP exchange; any status, the caller decides what it means."""

    def __init__(self, status, headers, body, url, secrets=()):
        self.status, self.headers, self.body, self.url = status, headers, body, url
        self.secrets = secrets  # what the request carried, masked in every text made from the answer

    def json_or_none(self, default=None):
        """The body as JSON, or `default` when it is not JSON (error bodies are often HTML or text)."""
        import json

        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: [[[[... a million deep
            return default

    def json(self):
        """The body as JSON; a NetworkError (with a masked excerpt) if it is not."""
        doc = self.json_or_none(_NOT_JSON)
        if doc is _NOT_JSON:
            raise NetworkError("%s answered HTTP %d with something that is not JSON: %s"
                               % (self.host, self.status, self.body_excerpt() or "(empty)"))
        return doc

    def body_excerpt(self):
        """The body for a message: one line, capped, every secret of the request masked."""
        return excerpt(self.body.decode("utf-8", "replace"), secrets=self.secrets)

    def error_text(self):
        """A short, masked description of an error response, for messages."""
        if 300 <= self.status < 400:
            return self._redirect_text()
        doc = self.json_or_none()
        if isinstance(doc, dict):
            err = doc.get("error")
            if isinstance(err, dict):
                err = err.get("message") or err.get("type") or err.get("code")
            parts = [str(p) for p in (err, doc.get("error_description"), doc.get("message")) if p]
            if parts:
                return excerpt(": ".join(parts), secrets=self.secrets)
        return self.body_excerpt() or "(empty body)"

    def _redirect_text(self):
        import urllib.parse

        location = self.headers.get("location") or ""
        target = urllib.parse.urljoin(self.url, location.strip()).split("#")[0].split("?")[0] if location else ""
        if not target:
            return "a redirect without a Location, which atomic does not follow: check the address"
        return "a redirect to %s, which atomic does not follow: check the address" % excerpt(target, secrets=self.secrets)


_NOT_JSON = object()  # tells a body that is not JSON from one that is JSON null


class Stream(_Exchange):
    """An HTTP response whose body is still arriving. Use as a context manager.

    status, headers (lower-case names) and url are known; chunks() yields the body as it comes,
    read() returns the rest of it (capped, for error bodies). Every failure is a NetworkError.
    on_wait: called before a read that would wait for the network (nothing more has arrived yet),
    so that a reader that holds its output back (a terminal's flush) shows what it has.
    """

    def __init__(self, resp, url, watchdog, idle, secrets):
        self._resp, self.url, self._watchdog, self._idle, self._secrets = resp, url, watchdog, idle, secrets
        self.status = resp.status if hasattr(resp, "status") else resp.code
        self.headers = {k.lower(): v for k, v in resp.headers.items()}
        self._started = False
        self.on_wait = None
        self._whole = False  # every byte of the body was read: the connection may serve another request

    def chunks(self, size=65536):
        """The body, one chunk per read: whatever the server has sent, never waiting for `size`.
        Each chunk is progress: the idle time starts again."""
        return self._chunks(size, True)

    def events(self, framing, keepalive=None):
        """The body as events, framing(chunks) making them (SSE, the AWS event-stream). Only an
        event is progress, and not one that keepalive(event) calls a keep-alive: a server that
        sends nothing but SSE comments or pings still meets the first-byte and idle deadlines."""
        for event in framing(self._chunks(65536, False)):
            if keepalive is None or not keepalive(event):
                self._progress()
            yield event

    def _progress(self):
        self._started = True
        if self._idle:
            self._watchdog.extend(self._idle)

    def _chunks(self, size, progress):
        reader = getattr(self._resp, "read1", None) or self._resp.read
        try:
            while True:
                if self.on_wait is not None and not self._arrived():
                    self.on_wait()
                chunk = reader(size)
                if not chunk:
                    self._whole = not self._watchdog.fired
                    break
                if progress:
                    self._progress()
                yield chunk
        except NetworkError:
            raise
        except Exception as exc:
            raise self._failure(exc)
        if self._watchdog.fired:  # the shut-down socket read as the end of the body: it was not
            raise self._failure(None)

    def _arrived(self):
        """Whether more of the body has reached this machine (so the next read will not wait): one
        select() of the socket, and what TLS has decrypted already. Unsure is False."""
        import select

        sock = getattr(getattr(getattr(self._resp, "fp", None), "raw", None), "_sock", None)
        if sock is None:
            return False
        try:
            if getattr(sock, "pending", None) and sock.pending():
                return True
            return bool(select.select([sock], [], [], 0)[0])
        except (OSError, ValueError):
            return False

    def read(self, max_bytes=MAX_BODY, truncate=False):
        """The rest of the body, up to max_bytes (beyond: NetworkError, or with truncate the first
        max_bytes, the rest left unread)."""
        parts, size = [], 0
        for chunk in self.chunks():
            size += len(chunk)
            if size > max_bytes:
                if truncate:
                    parts.append(chunk[:len(chunk) - (size - max_bytes)])
                    break
                raise NetworkError("%s sent more than %d bytes; refusing the response" % (self.host, max_bytes))
            parts.append(chunk)
        return b"".join(parts)

    def response(self, max_bytes=MAX_BODY, truncate=False):
        """The whole exchange as a Response (truncate: see read)."""
        return Response(self.status, self.headers, self.read(max_bytes, truncate), self.url, self._secrets)

    def _failure(self, exc):
        if self._watchdog.fired:
            error = self._watchdog.error(self.host, self._started and bool(self._idle))
        else:
            error = describe(exc, self.url, None, self._secrets)
        error.answer_lost = True  # the status came, the rest of the answer did not
        return error

    def close(self):
        self._watchdog.cancel()
        try:
            self._resp.close()
        except Exception:
            pass
        pool.give_back(self._resp, self._whole)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def open_stream(method, url, ctx, headers=None, secret_headers=None, json_body=None, form=None, body=None,
                first_byte=None, idle=None, accept="application/json", secrets=(), total=None):
    """Send one request; the Stream as soon as the status and headers have arrived.

    first_byte: seconds for connecting, the proxy, TLS, sending, the headers and the first body
    chunk (or event: see Stream.events); idle: seconds allowed between them after that; total:
    seconds for all of it (None: no such limit; its error has `whole` set). `body` is ready-made
    bytes (a signed request), sent as they are. `secret_headers` carry credentials: masked in
    messages. `secrets`: more values to mask, each as given (request_secrets() makes such a list;
    the secret fields of the form, JSON body and query are found by name).
    """
    first_byte = first_byte or FIRST_BYTE
    idle = idle or IDLE
    return _open(method, url, ctx, headers, secret_headers, json_body, form, body, accept, secrets,
                 deadline=first_byte, op_timeout=max(first_byte, idle, CONNECT_TIMEOUT), idle=idle, total=total)


def request(method, url, ctx, headers=None, secret_headers=None, json_body=None, form=None, body=None,
            deadline=None, max_bytes=MAX_BODY, secrets=()):
    """Send one request and read the whole response within `deadline` seconds (None: DEADLINE)."""
    deadline = deadline or DEADLINE
    stream = _open(method, url, ctx, headers, secret_headers, json_body, form, body, "application/json", secrets,
                   deadline=deadline, op_timeout=min(CONNECT_TIMEOUT, deadline), idle=None)
    with stream:
        return stream.response(max_bytes)


def _open(method, url, ctx, headers, secret_headers, json_body, form, body, accept, extra_secrets,
          deadline, op_timeout, idle, total=None):
    import urllib.error
    import urllib.request

    data, all_headers = _encode_body(json_body, form, body)
    all_headers["Accept"] = accept
    all_headers["User-Agent"] = USER_AGENT
    all_headers.update(headers or {})
    req = urllib.request.Request(url, data=data, headers=all_headers, method=method)
    for name, value in (secret_headers or {}).items():
        req.add_unredirected_header(name, value)
    secrets = _joined(request_secrets(url, secret_headers, json_body, form), extra_secrets)
    watchdog = Deadline(deadline, total)
    _current.watchdog, _current.op_timeout = watchdog, op_timeout  # for the connections it opens
    opener = _opener(url, ctx)
    watchdog.start()  # after the opener: loading the CA bundle is not the server's time
    try:
        try:
            resp = opener.open(req, timeout=op_timeout)
        except urllib.error.HTTPError as err:
            resp = err
    except Exception as exc:  # URLError, ssl errors, socket errors, http.client errors
        watchdog.cancel()
        error = watchdog.error(host_of(url), False) if watchdog.fired else describe(exc, url, ctx, secrets)
        error.answer_lost = watchdog.sent  # sent, and then no answer came: the server may have acted
        raise error
    return Stream(resp, url, watchdog, idle, secrets)  # idle None: one overall deadline, never extended


def request_secrets(url, secret_headers, json_body, form, extra=()):
    """Every secret value a request carries, as it may come back in an answer: the secret headers
    (and the credential after `Bearer `), the secret-named fields of the form, JSON object and
    query string, and `extra`; each also URL-encoded, as a server may quote the form body."""
    import urllib.parse

    values = list(extra)
    for value in (secret_headers or {}).values():
        values.append(value)
        values.append(value.split(" ", 1)[-1])
    fields = []
    for source in (form, json_body):
        if isinstance(source, dict):
            fields.extend(source.items())
    if "?" in url:
        fields.extend(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    values.extend(value for name, value in fields if isinstance(value, str) and is_secret_name(name))
    secrets = []
    for value in values:
        if _UNRESERVED.issuperset(value):  # URL-encoding leaves it as it is (most keys and tokens)
            forms = (value,)
        elif _UNRESERVED_OR_SPACE.issuperset(value):  # `Bearer KEY`: only its spaces change
            forms = (value, value.replace(" ", "+"), value.replace(" ", "%20"))
        else:
            forms = (value, urllib.parse.quote_plus(value), urllib.parse.quote(value, safe=""))
        for form_ in forms:
            if form_ and form_ not in secrets:
                secrets.append(form_)
    secrets.sort(key=len, reverse=True)  # the longest first: a secret's encoded form may contain it
    return secrets


def _joined(secrets, more):
    """secrets and the values of more not among them, the longest first."""
    if not more:
        return secrets
    return sorted(secrets + [value for value in more if value and value not in secrets], key=len, reverse=True)


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_UNRESERVED_OR_SPACE = _UNRESERVED | {" "}


def _encode_body(json_body, form, body):
    headers = {}
    if body is not None:
        return body, headers  # ready-made: the caller set Content-Type
    if json_body is not None:
        import json

        headers["Content-Type"] = "application/json"
        return json.dumps(json_body).encode("utf-8"), headers
    if form is not None:
        import urllib.parse

        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return urllib.parse.urlencode(form).encode("ascii"), headers
    return None, headers


def _opener(url, ctx):
    """The urllib opener for this URL's proxy and TLS context, made once and kept: the request's
    deadline is the thread's (_current.watchdog, _current.op_timeout), and its connections are
    kept alive between requests (pool.py)."""
    import urllib.request

    proxies = proxies_for(url, ctx)
    tls = ssl_context(ctx) if url.startswith("https:") else None
    key = (tuple(sorted(proxies.items())), id(tls))
    opener = _openers.get(key)
    if opener is None:
        kinds = _handlers()
        handlers = [urllib.request.ProxyHandler(proxies), kinds.Plain(), kinds.NoRedirect()]
        if tls is not None:
            handlers.append(kinds.TLS(context=tls))
        opener = _openers[key] = urllib.request.build_opener(*handlers)
    return opener


_openers = {}
_classes = []
_current = _thread._local()  # the request this thread is opening: its deadline and socket timeout


def _handlers():
    """The handler classes, made once: connections bounded by the request's deadline, kept alive."""
    if _classes:
        return _classes[0]
    import http.client
    import socket
    import urllib.request

    from .response import Response

    def connected(address, *rest):
        # Watched from the start, so the proxy's CONNECT answer and the TLS handshake are bounded too.
        sock = socket.create_connection(address, min(_current.op_timeout, CONNECT_TIMEOUT))
        sock.settimeout(_current.op_timeout)
        _current.watchdog.watch(sock)
        return sock

    def reuse(conn):
        """A kept connection taken for this thread's request: its deadline and timeout."""
        conn.watchdog = _current.watchdog
        conn.sock.settimeout(_current.op_timeout)
        _current.watchdog.watch(conn.sock)

    class OneWrite:
        """Writes a request's head and a small body at once: one packet, and one wake-up of the
        server, where http.client writes them one after the other."""
        _held = None

        def request(self, method, url, body=None, headers=None, **kwargs):
            headers = {} if headers is None else headers
            if body is not None and (not isinstance(body, bytes) or len(body) > ONE_WRITE):
                return super().request(method, url, body, headers, **kwargs)
            self._held = []
            try:
                super().request(method, url, body, headers, **kwargs)
                whole = b"".join(self._held)
            finally:
                self._held = None
            self.send(whole)  # connects first when it must (a proxy's CONNECT is written on its own)

        def send(self, data):
            if self._held is not None:
                self._held.append(data)
            else:
                super().send(data)

    class Connection(OneWrite, http.client.HTTPConnection):
        response_class = Response  # its head read without the email package

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = connected
            self.watchdog = _current.watchdog

        def getresponse(self):
            self.watchdog.sent = True  # urllib asks for the answer once the request is written
            return super().getresponse()

    class TLSConnection(OneWrite, http.client.HTTPSConnection):
        response_class = Response

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = connected
            self.watchdog = _current.watchdog

        def getresponse(self):
            self.watchdog.sent = True
            return super().getresponse()

        def connect(self):
            http.client.HTTPConnection.connect(self)  # TCP, and the proxy's CONNECT tunnel
            host = self._tunnel_host or self.host
            self.sock = self._context.wrap_socket(self.sock, server_hostname=host, do_handshake_on_connect=False)
            self.watchdog.watch(self.sock)
            self.sock.do_handshake()

    class Plain(urllib.request.HTTPHandler):
        def http_open(self, req):
            return pool.open_response(Connection, req, req.timeout, reuse)

    class TLS(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return pool.open_response(TLSConnection, req, req.timeout, reuse, context=self._context)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None  # the 3xx comes back as the answer, as it is

    kinds = type("Handlers", (), {"Plain": Plain, "TLS": TLS, "NoRedirect": NoRedirect})
    _classes.append(kinds)
    return kinds


def proxies_for(url, ctx):
    """The proxy for this URL from the environment (lower case wins, as in curl), minus NO_PROXY."""
    import urllib.request

    env = ctx.environ
    scheme = url.split(":", 1)[0]
    names = ("%s_proxy" % scheme, "%s_PROXY" % scheme.upper())
    if scheme == "http" and "REQUEST_METHOD" in env:
        names = names[:1]  # httpoxy: in a CGI context HTTP_PROXY comes from the client
    proxy = next((env[n] for n in names if env.get(n)), None)
    if not proxy:
        return {}
    no_proxy = env.get("no_proxy") or env.get("NO_PROXY") or ""
    if no_proxy and urllib.request.proxy_bypass_environment(host_of(url), {"no": no_proxy}):
        return {}
    if proxy.startswith("https:"):
        ctx.warn("the proxy %s is reached over plain TCP (urllib does not speak TLS to proxies); "
                 "use an http:// proxy URL" % mask_text(proxy))
    elif "://" in proxy and not proxy.lower().startswith("http://"):
        # urllib would send a SOCKS proxy HTTP's CONNECT, and the failure would name the server.
        from .._core.errors import UsageError

        raise UsageError("%s_PROXY is %s: atomic talks to HTTP proxies only (http://HOST:PORT); use one, or "
                         "unset it" % (scheme.upper(), mask_text(proxy.split("://", 1)[0] + "://…")))
    return {scheme: proxy}


_ssl_cache = {}


def ssl_context(ctx):
    """One verifying TLS context: the CA named by the environment, else certifi + the system store."""
    import ssl

    env = ctx.environ
    for name in CA_VARIABLES:
        path = env.get(name)
        if not path:
            continue
        key = (name, path)
        if key not in _ssl_cache:
            if not os.path.exists(path):
                raise NetworkError("%s=%s does not exist; point it at your organisation's CA bundle or unset it"
                                   % (name, path))
            try:
                if os.path.isdir(path):
                    _ssl_cache[key] = ssl.create_default_context(capath=path)
                else:
                    _ssl_cache[key] = ssl.create_default_context(cafile=path)
            except (ssl.SSLError, OSError, ValueError) as exc:
                raise NetworkError("%s=%s could not be loaded as CA certificates (%s); fix or unset it"
                                   % (name, path, exc))
        return _ssl_cache[key]
    if "default" not in _ssl_cache:
        context = ssl.create_default_context()  # the system store, where corporate CAs live
        try:
            import certifi

            context.load_verify_locations(certifi.where())
        except (ImportError, OSError, ssl.SSLError):
            pass
        _ssl_cache["default"] = context
    return _ssl_cache["default"]


def describe(exc, url, ctx, secrets):
    """One line naming the host and what went wrong, for any transport failure."""
    import socket
    import ssl

    host = host_of(url)
    reason = getattr(exc, "reason", exc)
    proxy = proxies_for(url, ctx).get(url.split(":", 1)[0]) if ctx is not None else None
    if proxy and isinstance(reason, (ConnectionRefusedError, socket.gaierror)):
        # The connection that failed was the one to the proxy, not to the provider.
        return NetworkError(mask_text("could not reach the proxy %s (for %s): %s; check HTTPS_PROXY"
                                      % (proxy, host, getattr(reason, "strerror", None) or reason), secrets))
    if isinstance(reason, ssl.SSLCertVerificationError):
        text = ("the TLS certificate of %s could not be verified (%s); set SSL_CERT_FILE to your "
                "organisation's CA bundle" % (host, getattr(reason, "verify_message", reason)))
    elif isinstance(reason, ssl.SSLError):
        text = "TLS with %s failed (%s)" % (host, reason)
    elif isinstance(reason, (socket.timeout, TimeoutError)):
        text = "%s stopped answering (a read waited longer than allowed); check your network or proxy" % host
    elif isinstance(reason, ConnectionRefusedError):
        text = "could not connect to %s (connection refused)" % host
    elif isinstance(reason, socket.gaierror):
        text = "could not resolve %s (%s); check your network or HTTPS_PROXY" % (host, reason.strerror)
    elif type(reason).__name__ == "IncompleteRead":  # http.client's: the body ended before its length
        text = "%s closed the connection in the middle of its answer" % host
    elif "Tunnel connection failed" in str(reason):
        text = "the proxy would not connect to %s (%s); check HTTPS_PROXY" % (host, str(reason).split(":", 1)[-1].strip())
    else:
        text = "request to %s failed (%s: %s)" % (host, type(reason).__name__, reason)
    return NetworkError(mask_text(printable(text), secrets))  # a reason may quote what a server sent


def host_of(url):
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0].split("@")[-1]
