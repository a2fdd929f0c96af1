"""Loopback stand-ins for the real provider hosts, reached the way a corporate network is.

A test CA (trustme) signs one certificate for every host name the fakes answer for; a small
CONNECT proxy on 127.0.0.1 tunnels every connection to one TLS server that dispatches on the
Host header. The product under test only sees HTTPS_PROXY and SSL_CERT_FILE, so no endpoint
has a test-only switch.
"""
import json
import select
import socket
import ssl
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOSTS = [
    "claude.ai", "platform.claude.com", "api.anthropic.com",
    "auth.openai.com", "chatgpt.com", "api.openai.com",
    "github.com", "api.github.com", "*.githubcopilot.com", "api.individual.githubcopilot.com", "api.business.githubcopilot.com",
    "ghe.example.com", "api.ghe.example.com", "copilot-api.ghe.example.com",
    "slow.example.com", "big.example.com", "redirect.example.com", "other.example.com", "*.other.example.com",
    "generativelanguage.googleapis.com", "api.mistral.ai", "api.groq.com", "openrouter.ai", "api.deepseek.com",
    # The cloud providers (tests/cloudfakes.py).
    "myres.openai.azure.com", "myres.cognitiveservices.azure.com", "apim.example.com",
    "bedrock-runtime.us-east-1.amazonaws.com", "bedrock-runtime.eu-west-3.amazonaws.com",
    "bedrock-runtime.us-west-2.amazonaws.com", "bedrock-runtime.eu-central-1.amazonaws.com",
    "bedrock.us-west-2.amazonaws.com", "bedrock.us-east-1.amazonaws.com", "vpce.example.com",
    "oauth2.googleapis.com", "us-central1-aiplatform.googleapis.com", "aiplatform.googleapis.com",
    "aiplatform.eu.rep.googleapis.com",
    "gateway.ai.cloudflare.com", "api.cloudflare.com", "gw.example.com",
    # GitLab Duo and the extension of tests/test_extensions.py.
    "gitlab.com", "cloud.gitlab.com", "gitlab.example.com", "acme.example.com", "api.acme.example.com",
    # The attacker's host of tests/test_trust.py, which nothing may reach.
    "evil.example.com",
]


class Request:
    """What the fake server received."""

    def __init__(self, method, host, path, headers, body):
        self.method, self.host, self.headers, self.body = method, host, headers, body
        parsed = urllib.parse.urlsplit(path)
        self.path = parsed.path
        self.query = dict(urllib.parse.parse_qsl(parsed.query))

    @property
    def content_type(self):
        return self.headers.get("Content-Type", "").split(";")[0].strip()

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def form(self):
        return dict(urllib.parse.parse_qsl(self.body.decode("ascii"), keep_blank_values=True))

    def __repr__(self):
        return "Request(%s %s%s)" % (self.method, self.host, self.path)


def reply(status=200, body=None, headers=None):
    """A response triple; dicts and lists are sent as JSON."""
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode("utf-8")
    return status, headers, body or b""


def stream(req, parts, status=200, headers=None, between=None, cut=False):
    """Answer `req` with the byte strings in `parts`, one HTTP chunk each and flushed at once
    (chunked transfer encoding, as streaming servers send it). between(n) runs before part n;
    cut=True drops the connection after the last part instead of ending the body."""
    handler = req.handler
    handler.send_response(status)
    headers = dict({"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}, **(headers or {}))
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    try:
        for n, part in enumerate(parts):
            if between is not None:
                between(n)
            if isinstance(part, str):
                part = part.encode("utf-8")
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            handler.wfile.flush()
        if not cut:
            handler.wfile.write(b"0\r\n\r\n")
            handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass  # the client went away (Ctrl-C)
    handler.close_connection = True
    return None


def sse(*events):
    """SSE text for events given as dicts/strings (data) or (event name, data) pairs."""
    out = []
    for event in events:
        name, data = event if isinstance(event, tuple) else (None, event)
        if not isinstance(data, str):
            data = json.dumps(data, ensure_ascii=False)  # raw UTF-8, as servers send it
        out.append(("event: %s\n" % name if name else "") + "data: %s\n\n" % data)
    return "".join(out)


class FakeHosts:
    """One TLS server answering for many host names; routes are (method, host, path) -> handler.
    Without a CA: a plain-HTTP server on 127.0.0.1 (a server on this machine, such as llama.cpp)."""

    def __init__(self, ca):
        self.routes = {}
        self.requests = []
        self.lock = threading.Lock()
        context = None
        if ca is not None:
            cert = ca.issue_cert(*HOSTS)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(context)
        fakes = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                host = (self.headers.get("Host") or "").split(":")[0]
                req = Request(self.command, host, self.path, self.headers, body)
                req.handler = self  # lets a route write a slow or odd response itself
                with fakes.lock:
                    fakes.requests.append(req)
                handler = fakes.routes.get((self.command, host, req.path))
                if handler is None:
                    status, headers, payload = reply(404, {"error": "not_found"})
                else:
                    result = handler(req)
                    if result is None:  # the handler wrote the response itself
                        return
                    status, headers, payload = result
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = handle_one

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if context is not None:
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def route(self, method, host, path):
        def register(handler):
            self.routes[(method, host, path)] = handler
            return handler
        return register

    def seen(self, host=None, path=None):
        with self.lock:
            return [r for r in self.requests if (host is None or r.host == host) and (path is None or r.path == path)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class ConnectProxy:
    """An HTTP CONNECT proxy on 127.0.0.1 that tunnels every target to one local port."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.targets = []
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method, target, _version = line.split(" ", 2)
            if method != "CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            self.targets.append(target)
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _pipe(client, upstream)
        except OSError:
            pass
        finally:
            client.close()

    def close(self):
        close_listener(self.listener)


def close_listener(listener):
    """Close a listening socket whose accept() another thread is blocked in. close() alone leaves
    that accept() running in the kernel, still taking connections for a port a later listener may
    be given: shutdown() first wakes it."""
    try:
        listener.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    listener.close()


def _pipe(a, b):
    sockets = [a, b]
    try:
        while True:
            readable, _, _ = select.select(sockets, [], [], 60)
            if not readable:
                return
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                (b if sock is a else a).sendall(data)
    finally:
        b.close()


class Network:
    """CA + fake hosts + proxy, and the environment a child process needs to use them."""

    def __init__(self, tmp_path):
        import trustme

        self.ca = trustme.CA()
        self.ca_file = str(tmp_path / "test-ca.pem")
        self.ca.cert_pem.write_to_path(self.ca_file)
        self.hosts = FakeHosts(self.ca)
        self.proxy = ConnectProxy(self.hosts.port)

    def env(self):
        """Variables that send a child's HTTPS through the proxy and trust the test CA."""
        return {"HTTPS_PROXY": self.proxy.url, "SSL_CERT_FILE": self.ca_file}

    def close(self):
        self.proxy.close()
        self.hosts.close()


CLEARED = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy",
           "ALL_PROXY", "all_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def without_network_env(env):
    """A copy of env with every proxy and CA variable removed."""
    return {k: v for k, v in env.items() if k not in CLEARED}
