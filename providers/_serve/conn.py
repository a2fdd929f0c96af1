"""HTTP/1.1 on one accepted connection: requests read under deadlines, responses written whole or
as a chunked stream.

The deadlines are for the whole of each part, not per socket read, so a client that trickles
one byte at a time (slow loris) is cut off all the same: the next request must begin within
`idle` seconds, its head arrive within `head` seconds of its first byte, and its body within
`body` seconds. A write that the client does not take within `send` seconds ends the connection.
Only what a JSON API needs is accepted: no obsolete line folding, no duplicate Host,
Content-Length or credential headers, no Content-Length beside Transfer-Encoding.
"""
import socket
import time

MAX_HEAD = 64 * 1024
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
           404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout", 411: "Length Required",
           413: "Content Too Large", 415: "Unsupported Media Type", 421: "Misdirected Request",
           426: "Upgrade Required", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
           500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
           504: "Gateway Timeout", 505: "HTTP Version Not Supported", 529: "Overloaded"}
# Headers a request may carry once only: two values would leave the reader to guess which counts.
SINGLE = frozenset(("host", "content-length", "content-type", "authorization", "x-api-key", "transfer-encoding",
                    "origin", "upgrade"))
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class Limits:
    """Seconds and bytes a connection is held to."""

    def __init__(self, idle=30.0, head=10.0, body=60.0, send=60.0, max_body=32 * 1024 * 1024):
        self.idle, self.head, self.body, self.send, self.max_body = idle, head, body, send, max_body

    @classmethod
    def from_env(cls, ctx):
        """The defaults, each changeable by a variable (ATOMIC_SERVE_IDLE_TIMEOUT, ...)."""
        base = cls()
        return cls(*(ctx.seconds("ATOMIC_SERVE_%s_TIMEOUT" % name.upper(), getattr(base, name))
                     for name in ("idle", "head", "body", "send")))


class BadRequest(Exception):
    """A request that cannot be served: its status and a sentence; the connection ends after it."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


class Gone(Exception):
    """The client went away, or stopped taking what was written to it."""


class Request:
    __slots__ = ("method", "target", "path", "query", "version", "headers", "body", "keep_alive", "client")

    def __init__(self, method, target, version, headers):
        self.method, self.target, self.version, self.headers = method, target, version, headers
        self.path, _, self.query = target.partition("?")
        self.body = None      # bytes once read
        self.client = None    # who sent it (tokens.Client), once the token is checked
        connection = headers.get("connection", "").lower()
        self.keep_alive = version == "HTTP/1.1" and "close" not in connection

    def header(self, name, default=""):
        return self.headers.get(name, default)

    @property
    def unread(self):
        """Whether a body is on its way that has not been read (then the connection cannot go on)."""
        return self.body is None and (self.headers.get("content-length", "0").strip() not in ("", "0")
                                      or "transfer-encoding" in self.headers)


class Conn:
    """One client connection: next_request(), read_body(), then respond() or start()/write()/finish()."""

    def __init__(self, sock, limits, peer=""):
        self.sock, self.limits, self.peer = sock, limits, peer
        self.buffer = bytearray()
        self.started = False     # response head sent
        self.chunked = False
        self.closing = False     # close after this response
        self.timeout = None      # the socket's timeout as last set (setting it is a system call)

    # -- reading ----------------------------------------------------------------------------
    def next_request(self):
        """The next request's head, or None when the client closed or stayed idle too long."""
        self.started = False
        deadline = None
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(self.buffer[:end])
                del self.buffer[:end + 4]
                return _parse_head(head)
            if len(self.buffer) > MAX_HEAD:
                raise BadRequest(431, "the request head is over %d KiB" % (MAX_HEAD // 1024))
            if deadline is None and self.buffer.strip():
                deadline = time.monotonic() + self.limits.head
            if deadline is None:
                if not self._fill(time.monotonic() + self.limits.idle, idle=True):
                    return None
            elif not self._fill(deadline):
                raise BadRequest(408, "the request head did not arrive within %g s" % self.limits.head)

    def read_body(self, request):
        """The body, by Content-Length or chunked, at most limits.max_body bytes."""
        deadline = time.monotonic() + self.limits.body
        if request.header("transfer-encoding"):
            if request.header("transfer-encoding").lower() != "chunked":
                raise BadRequest(501, "Transfer-Encoding %s is not supported; send the body with Content-Length"
                                 % request.header("transfer-encoding")[:40])
            request.body = self._read_chunked(deadline)
            return request.body
        raw = request.header("content-length", "0").strip()
        if not raw.isdigit():
            raise BadRequest(400, "Content-Length %r is not a number" % raw[:40])
        length = int(raw)
        if length > self.limits.max_body:
            raise BadRequest(413, "the body is %d bytes, over the limit of %d" % (length, self.limits.max_body))
        request.body = self._take(length, deadline)
        return request.body

    def _read_chunked(self, deadline):
        out = bytearray()
        while True:
            line = self._line(deadline)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise BadRequest(400, "a chunk size of the body is not a number")
            if size == 0:
                while self._line(deadline):  # trailers, up to the empty line
                    pass
                return bytes(out)
            if len(out) + size > self.limits.max_body:
                raise BadRequest(413, "the body is over the limit of %d bytes" % self.limits.max_body)
            out += self._take(size, deadline)
            if self._take(2, deadline) != b"\r\n":
                raise BadRequest(400, "a chunk of the body does not end with CRLF")

    def _line(self, deadline):
        while True:
            at = self.buffer.find(b"\r\n")
            if at >= 0:
                line = bytes(self.buffer[:at])
                del self.buffer[:at + 2]
                return line
            if len(self.buffer) > 4096:
                raise BadRequest(400, "a chunk header of the body is too long")
            if not self._fill(deadline):
                raise BadRequest(408, "the body did not arrive within %g s" % self.limits.body)

    def _take(self, count, deadline):
        while len(self.buffer) < count:
            if not self._fill(deadline):
                raise BadRequest(408, "the body did not arrive within %g s" % self.limits.body)
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def _fill(self, deadline, idle=False):
        """Read what the socket has by the deadline; False on timeout or end of stream."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        try:
            self.sock.settimeout(left)
            self.timeout = left
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            if idle:
                return False
            raise Gone()
        if not data:
            if idle and not self.buffer:
                return False
            raise Gone()
        self.buffer += data
        return True

    # -- writing ----------------------------------------------------------------------------
    def respond(self, status, headers, body=b""):
        """A whole response."""
        head = self._head(status, headers, [("Content-Length", str(len(body)))])
        self._send(head + body)

    def start(self, status, headers):
        """The head of a streamed (chunked) response; write() each part, then finish()."""
        self._send(self._head(status, headers, [("Transfer-Encoding", "chunked")]))
        self.chunked = True

    def write(self, data):
        if data:
            self._send(b"%x\r\n%s\r\n" % (len(data), data))

    def finish(self):
        if self.chunked:
            self._send(b"0\r\n\r\n")
            self.chunked = False

    def _head(self, status, headers, framing):
        self.started = True
        lines = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, "Status"))]
        lines += ["%s: %s" % pair for pair in list(headers) + framing]
        if self.closing:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(self, data):
        try:
            if self.timeout != self.limits.send:  # a stream's writes: set once, not at each event
                self.sock.settimeout(self.limits.send)
                self.timeout = self.limits.send
            self.sock.sendall(data)
        except OSError:  # socket.timeout included: a client that stopped reading
            self.closing = True
            raise Gone()

    def close(self, linger=2.0):
        """End the connection. Whatever the client may still be sending (a body that was refused)
        is read and dropped for up to `linger` seconds first: closing with unread data would reset
        the connection and could lose the answer before the client reads it."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + linger
            taken = 0
            while taken < self.limits.max_body:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.sock.settimeout(left)
                data = self.sock.recv(65536)
                if not data:
                    break
                taken += len(data)
        except OSError:
            pass
        finally:
            self.sock.close()


def _parse_head(head):
    """A Request from the bytes before the blank line; BadRequest for anything malformed."""
    lines = head.decode("latin-1").split("\r\n")  # latin-1: each byte one character, as it came
    while lines and not lines[0]:  # stray CRLFs before a request are allowed (RFC 9112 §2.2)
        lines.pop(0)
    if not lines:
        raise BadRequest(400, "an empty request")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise BadRequest(400, "a malformed request line")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise BadRequest(505, "only HTTP/1.1 is served")
    if not _TOKEN_CHARS.issuperset(method) or not target.startswith("/"):
        raise BadRequest(400, "a malformed request line")
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or not _TOKEN_CHARS.issuperset(name):
            raise BadRequest(400, "a malformed header line (line folding is not accepted)")
        key = name.lower()
        text = value.strip(" \t")
        if key in headers:
            if key in SINGLE:
                raise BadRequest(400, "the %s header is given twice" % key)
            text = headers[key] + ", " + text
        headers[key] = text
    if "content-length" in headers and "transfer-encoding" in headers:
        raise BadRequest(400, "Content-Length and Transfer-Encoding together")
    return Request(method, target, version, headers)
