"""The one HTTP helper every provider uses (urllib only).

It honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY, verifies TLS against SSL_CERT_FILE,
REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE or certifi plus the system store, enforces an overall
deadline (urllib's timeout is per socket operation: a trickling server defeats it), caps the
response size, sends credentials with add_unredirected_header so a redirect never carries them,
and turns every failure into a NetworkError that names the host and never the secret.
"""
import os

from ._errors import NetworkError
from ._mask import excerpt, mask_text

DEADLINE = 30.0          # seconds for a whole request: connect, send, headers and body
CONNECT_TIMEOUT = 10.0   # seconds for any single socket operation
MAX_BODY = 1 << 20       # bytes; token and model-list responses are far smaller
USER_AGENT = "atomic/0.1"
# The contract's order. SSL_CERT_DIR is not listed: many images set it to the system store, which
# would hide a corporate bundle named below; OpenSSL still reads it for the default context.
CA_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


class Response:
    """A finished HTTP exchange; any status, the caller decides what it means."""

    def __init__(self, status, headers, body, url):
        self.status, self.headers, self.body, self.url = status, headers, body, url

    @property
    def host(self):
        return _host(self.url)

    @property
    def ok(self):
        return 200 <= self.status < 300

    def json_or_none(self, default=None):
        """The body as JSON, or `default` when it is not JSON (error bodies are often HTML or text)."""
        import json

        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return default

    def json(self):
        """The body as JSON; a NetworkError (with a masked excerpt) if it is not."""
        doc = self.json_or_none(_NOT_JSON)
        if doc is _NOT_JSON:
            raise NetworkError("%s answered HTTP %d with something that is not JSON: %s"
                               % (self.host, self.status, excerpt(self.body.decode("utf-8", "replace")) or "(empty)"))
        return doc

    def error_text(self):
        """A short, masked description of an error response, for messages."""
        doc = self.json_or_none()
        if isinstance(doc, dict):
            err = doc.get("error")
            if isinstance(err, dict):
                err = err.get("message") or err.get("type") or err.get("code")
            parts = [str(p) for p in (err, doc.get("error_description"), doc.get("message")) if p]
            if parts:
                return excerpt(": ".join(parts))
        return excerpt(self.body.decode("utf-8", "replace")) or "(empty body)"


_NOT_JSON = object()  # tells a body that is not JSON from one that is JSON null


def request(method, url, ctx, headers=None, secret_headers=None, json_body=None, form=None,
            deadline=None, max_bytes=MAX_BODY):
    """Send one request and read the whole response within `deadline` seconds (None: DEADLINE).

    `secret_headers` carry credentials: they are masked in messages and never follow redirects.
    """
    import urllib.error
    import urllib.request

    deadline = deadline or DEADLINE
    body, all_headers = _encode_body(json_body, form)
    all_headers["User-Agent"] = USER_AGENT
    all_headers.update(headers or {})
    req = urllib.request.Request(url, data=body, headers=all_headers, method=method)
    secrets = []
    for name, value in (secret_headers or {}).items():
        req.add_unredirected_header(name, value)
        secrets.append(value)
    watchdog = _Deadline(deadline)
    opener = _opener(url, ctx, watchdog)
    try:
        try:
            resp = opener.open(req, timeout=min(CONNECT_TIMEOUT, deadline))
        except urllib.error.HTTPError as err:
            resp = err
        with resp:
            payload = _read_capped(resp, max_bytes, watchdog, url)
            return Response(resp.status if hasattr(resp, "status") else resp.code,
                            {k.lower(): v for k, v in resp.headers.items()}, payload, url)
    except NetworkError:
        raise
    except Exception as exc:  # URLError, ssl errors, socket errors, http.client errors
        if watchdog.fired:
            raise watchdog.error(url)
        raise _describe(exc, url, ctx, secrets)
    finally:
        watchdog.cancel()


def _encode_body(json_body, form):
    headers = {"Accept": "application/json"}
    if json_body is not None:
        import json

        headers["Content-Type"] = "application/json"
        return json.dumps(json_body).encode("utf-8"), headers
    if form is not None:
        import urllib.parse

        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return urllib.parse.urlencode(form).encode("ascii"), headers
    return None, headers


def _read_capped(resp, max_bytes, watchdog, url):
    chunks, size = [], 0
    while True:
        chunk = resp.read(65536)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise NetworkError("%s sent more than %d bytes; refusing the response" % (_host(url), max_bytes))
        chunks.append(chunk)
    if watchdog.fired:
        raise watchdog.error(url)
    return b"".join(chunks)


class _Deadline:
    """Shuts the request's sockets down when the overall deadline passes."""

    def __init__(self, seconds):
        import threading

        self.fired = False
        self.seconds = seconds
        self._sockets = []
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock):
        self._sockets.append(sock)
        if self.fired:
            self._fire()

    def _fire(self):
        import socket

        self.fired = True
        for sock in self._sockets:
            try:
                # The plain socket's shutdown, even for TLS: it wakes a blocked read in the other
                # thread without touching the TLS object that thread is using.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self):
        self._timer.cancel()

    def error(self, url):
        return NetworkError("%s did not finish answering within %g s; try again later" % (_host(url), self.seconds))


def _opener(url, ctx, watchdog):
    import http.client
    import urllib.request

    class Connection(http.client.HTTPConnection):
        def connect(self):
            super().connect()
            watchdog.watch(self.sock)

    class TLSConnection(http.client.HTTPSConnection):
        def connect(self):
            super().connect()
            watchdog.watch(self.sock)

    class Plain(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(Connection, req)

    class TLS(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(TLSConnection, req, context=self._context)

    handlers = [urllib.request.ProxyHandler(proxies_for(url, ctx)), Plain()]
    if url.startswith("https:"):
        handlers.append(TLS(context=ssl_context(ctx)))
    return urllib.request.build_opener(*handlers)


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
    if no_proxy and urllib.request.proxy_bypass_environment(_host(url), {"no": no_proxy}):
        return {}
    if proxy.startswith("https:"):
        ctx.warn("the proxy %s is reached over plain TCP (urllib does not speak TLS to proxies); "
                 "use an http:// proxy URL" % mask_text(proxy))
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


def _describe(exc, url, ctx, secrets):
    """One line naming the host and what went wrong, for any transport failure."""
    import socket
    import ssl

    host = _host(url)
    reason = getattr(exc, "reason", exc)
    proxy = proxies_for(url, ctx).get(url.split(":", 1)[0])
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
        text = "%s did not answer within %g s; check your network or proxy" % (host, CONNECT_TIMEOUT)
    elif isinstance(reason, ConnectionRefusedError):
        text = "could not connect to %s (connection refused)" % host
    elif isinstance(reason, socket.gaierror):
        text = "could not resolve %s (%s); check your network or HTTPS_PROXY" % (host, reason.strerror)
    elif "Tunnel connection failed" in str(reason):
        text = "the proxy would not connect to %s (%s); check HTTPS_PROXY" % (host, str(reason).split(":", 1)[-1].strip())
    else:
        text = "request to %s failed (%s: %s)" % (host, type(reason).__name__, reason)
    return NetworkError(mask_text(text, secrets))


def _host(url):
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0].split("@")[-1]
