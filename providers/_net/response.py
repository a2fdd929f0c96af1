"""An HTTP response's head read without the email package: http.client hands every header block
to email.parser, which costs more than all the rest of a request to a server on this machine.

Response is http.client's HTTPResponse with its own begin(): the status line and the header
lines as RFC 9112 has them (names case-insensitive, obsolete line folding joined with a space,
the same limits of 65,536 bytes a line and 100 lines), and then what begin() decides from them
(chunked or not, the length, whether the connection closes), so that reading the body is
http.client's as before. Headers answers what callers ask of HTTPMessage: get(), get_all(),
[], `in`, items(), keys() and values().
"""
import http.client

MAX_LINE = 65536
MAX_HEADERS = 100
_DIGITS = frozenset("0123456789")


class Headers:
    """A response's header lines, in the order they came; names are matched in any case, and
    get() gives the first value of a name (as HTTPMessage does)."""
    __slots__ = ("_lines", "_first")

    def __init__(self, lines):
        self._lines = lines
        self._first = {}
        for name, value in lines:
            self._first.setdefault(name.lower(), value)

    def get(self, name, default=None):
        return self._first.get(name.lower(), default)

    def get_all(self, name, failobj=None):
        wanted = name.lower()
        found = [value for key, value in self._lines if key.lower() == wanted]
        return found or failobj

    def __getitem__(self, name):
        return self._first.get(name.lower())  # None when absent, as HTTPMessage answers

    def __contains__(self, name):
        return name.lower() in self._first

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self._lines)

    def items(self):
        return list(self._lines)

    def keys(self):
        return [name for name, _value in self._lines]

    def values(self):
        return [value for _name, value in self._lines]

    def __str__(self):
        return "".join("%s: %s\r\n" % line for line in self._lines) + "\r\n"


def read_headers(fp):
    """Headers from the lines up to the blank one; http.client's errors for too long a line or
    too many of them."""
    lines = []
    while True:
        raw = fp.readline(MAX_LINE + 1)
        if len(raw) > MAX_LINE:
            raise http.client.LineTooLong("header line")
        if raw in (b"\r\n", b"\n", b""):
            return Headers(lines)
        if len(lines) >= MAX_HEADERS:
            raise http.client.HTTPException("got more than %d headers" % MAX_HEADERS)
        text = raw.decode("iso-8859-1").rstrip("\r\n")
        if text[:1] in (" ", "\t"):  # obsolete line folding: the previous value goes on
            if lines:
                name, value = lines[-1]
                lines[-1] = (name, value + " " + text.strip(" \t"))
            continue
        name, colon, value = text.partition(":")
        if colon:
            lines.append((name.strip(" \t"), value.strip(" \t")))


class Response(http.client.HTTPResponse):
    """http.client's response, its head read by read_headers()."""

    def begin(self):
        if self.headers is not None:
            return  # read already
        while True:
            version, status, reason = self._status_line()
            if status != http.client.CONTINUE:
                break
            read_headers(self.fp)  # a 100 Continue's own headers, for nothing
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = read_headers(self.fp)
        coding = self.headers.get("transfer-encoding")
        self.chunked = bool(coding) and coding.lower() == "chunked"
        self.chunk_left = None
        self.will_close = self._check_close()
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                pass
            if self.length is not None and self.length < 0:
                self.length = None
        if status in (http.client.NO_CONTENT, http.client.NOT_MODIFIED) or 100 <= status < 200 \
                or self._method == "HEAD":
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True  # the body ends when the connection does

    def _status_line(self):
        """(version, status, reason) of the status line; BadStatusLine or RemoteDisconnected."""
        raw = self.fp.readline(MAX_LINE + 1)
        if len(raw) > MAX_LINE:
            raise http.client.LineTooLong("status line")
        if not raw:
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        line = raw.decode("iso-8859-1")
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or len(parts[1]) != 3 \
                or not set(parts[1]) <= _DIGITS or parts[1][0] == "0":
            self._close_conn()
            raise http.client.BadStatusLine(line)
        return parts[0], int(parts[1]), parts[2] if len(parts) > 2 else ""
