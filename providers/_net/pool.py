"""Connections kept alive between requests to one host (through the same proxy, with the same TLS
settings): a process that sends many requests (atomic serve) skips the TCP and TLS handshakes of
all but the first. urllib closes every connection after its response; this opens them instead.

A connection goes back to the pool only when its whole response was read and the server did not
say it would close; a kept connection waits at most IDLE seconds. One that the server closed
meanwhile fails at once (the request cannot have been answered): the request is sent again, once,
on a new connection.
"""
import _thread
import time

IDLE = 30.0          # seconds a kept connection waits for its next request
PER_HOST = 32        # connections kept per host

_idle = {}           # key -> [(when it was given back, HTTPConnection)]
_lock = _thread.allocate_lock()


def open_response(http_class, req, timeout, reuse, **conn_args):
    """What urllib's do_open does, keeping the connection: the response, with `.pooled` set to
    (key, connection) for give_back(). reuse(conn): readies a kept connection for this request."""
    import urllib.error

    if not req.host:
        raise urllib.error.URLError("no host given")
    key = (http_class, req.host, req._tunnel_host, id(conn_args.get("context")))
    headers, tunnel = _headers(req)
    while True:
        conn = _take(key)
        kept = conn is not None
        if kept:
            reuse(conn)
        else:
            conn = http_class(req.host, timeout=timeout, **conn_args)
            if req._tunnel_host:
                conn.set_tunnel(req._tunnel_host, headers=tunnel)
        try:
            resp = _ask(conn, req, headers, kept)
        except _Stale:
            conn.close()
            continue  # the server had closed it while it waited: once more, on a new one
        except BaseException:
            conn.close()
            raise
        resp.url, resp.msg, resp.pooled = req.get_full_url(), resp.reason, (key, conn)
        return resp


def _headers(req):
    """(the request's headers, as urllib sends them but for Connection: close; the proxy's own)."""
    headers = dict(req.unredirected_hdrs)
    headers.update({k: v for k, v in req.headers.items() if k not in headers})
    headers = {name.title(): value for name, value in headers.items()}
    tunnel = {}
    if req._tunnel_host and "Proxy-Authorization" in headers:
        tunnel["Proxy-Authorization"] = headers.pop("Proxy-Authorization")  # for the proxy alone
    return headers, tunnel


def _ask(conn, req, headers, kept):
    """Send the request and read the answer's head; _Stale when a kept connection had been closed
    (nothing can have been answered on it)."""
    import http.client
    import urllib.error

    try:
        conn.request(req.get_method(), req.selector, req.data, headers,
                     encode_chunked=req.has_header("Transfer-encoding"))
    except OSError as exc:
        if kept:
            raise _Stale()
        raise urllib.error.URLError(exc)
    try:
        return conn.getresponse()
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        if kept:
            raise _Stale()
        raise


def give_back(resp, whole):
    """After a response: its connection back to the pool when `whole` (every byte of the body was
    read) and the server keeps it open; else closed."""
    if getattr(resp, "pooled", None) is None:
        resp = getattr(resp, "fp", None)  # an HTTPError: the response is inside
    if getattr(resp, "pooled", None) is None:
        return
    key, conn = resp.pooled
    resp.pooled = None
    if not whole or resp.will_close or conn.sock is None:
        conn.close()
        return
    with _lock:
        kept = _idle.setdefault(key, [])
        if len(kept) < PER_HOST:
            kept.append((time.monotonic(), conn))
            return
    conn.close()


def _take(key):
    now = time.monotonic()
    stale = []
    found = None
    with _lock:
        kept = _idle.get(key)
        while kept:
            when, conn = kept.pop()
            if now - when < IDLE:
                found = conn
                break
            stale.append(conn)
    for conn in stale:
        conn.close()
    return found


class _Stale(Exception):
    """A kept connection the server had closed."""
