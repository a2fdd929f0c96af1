"""The loopback callback server of a browser OAuth login (RFC 8252 §7.3): the browser's redirect
to http://localhost:PORT/PATH brings the authorization code back to atomic.

It only receives: it checks `state` and puts ("code", code) or ("denied", detail) on the queue the
waiting login reads (oauth.py). Nothing is exchanged or written here.
"""
import hmac
import os

from .._core.mask import excerpt

HANDLER_TIMEOUT = 5      # seconds a browser connection may sit idle on the callback server


def first_value(params, name):
    """The first value of a parse_qs result's field, or None."""
    values = params.get(name)
    return values[0] if values else None


def same_secret(given, expected):
    """Compare a returned `state` with ours in constant time."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class CallbackServer:
    """Loopback HTTP servers (127.0.0.1 and, when possible, ::1) for one OAuth redirect.

    Only GET on the exact path is handled; everything else is 404. The first request with the right
    state ends the wait; one with a wrong or missing state gets a 400 page and the wait goes on.
    Raises OSError when 127.0.0.1:port cannot be bound.
    """

    def __init__(self, port, path, state, service, events):
        import socket
        import threading
        from http.server import ThreadingHTTPServer

        handler = _handler_class(path, state, service, events, threading.Lock())

        class IPv4(ThreadingHTTPServer):
            daemon_threads = True
            # POSIX: rebinding past TIME_WAIT only. On Windows SO_REUSEADDR would let two sockets
            # share the port, so a busy port would go unnoticed (and could be hijacked).
            allow_reuse_address = os.name == "posix"

            def handle_error(self, request, client_address):
                pass  # a tab closed mid-request, a port scanner: nothing for the person to read

        class IPv6(IPv4):
            address_family = socket.AF_INET6

        self.servers = [IPv4(("127.0.0.1", port), handler)]
        # The redirect URI says "localhost", which some browsers resolve to ::1 first (RFC 8252 §8.3).
        if socket.has_ipv6:
            try:
                self.servers.append(IPv6(("::1", port), handler))
            except OSError:
                pass  # no IPv6 loopback here, or the port is taken there: 127.0.0.1 still answers
        for server in self.servers:
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                             name="atomic-callback", daemon=True).start()

    def close(self):
        for server in self.servers:
            server.shutdown()
            server.server_close()


def _handler_class(path, state, service, events, lock):
    import html
    import urllib.parse
    from http.server import BaseHTTPRequestHandler

    finished = []

    class Handler(BaseHTTPRequestHandler):
        timeout = HANDLER_TIMEOUT
        def version_string(self):
            return "atomic"

        def log_message(self, *args):
            pass  # the default logs the query string, which holds the code

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path != path:
                return self._page(404, "Not found", "This address is not part of the sign-in.")
            params = urllib.parse.parse_qs(url.query)
            given = first_value(params, "state")
            if not given or not same_secret(given, state):
                return self._page(400, "Sign-in not accepted",
                                  "This request does not belong to the sign-in atomic is waiting for "
                                  "(wrong or missing state). atomic is still waiting; finish the sign-in "
                                  "from the address atomic printed.")
            error = first_value(params, "error")
            with lock:
                done = bool(finished)
                if not done and (error or first_value(params, "code")):
                    finished.append(True)
            if done:
                return self._page(409, "Already finished", "This sign-in has already been handled; you can close this tab.")
            if error:
                detail = " ".join(filter(None, (error, first_value(params, "error_description"))))
                self._page(400, "Sign-in failed", "%s said: %s. You can close this tab." % (service, detail))
                events.put(("denied", excerpt(detail)))
                return None
            code = first_value(params, "code")
            if not code:
                return self._page(400, "Sign-in not accepted", "The address has no authorization code; atomic is still waiting.")
            self._page(200, "Sign-in received", "atomic received your %s sign-in. You can close this tab "
                                                "and return to the terminal." % service)
            events.put(("code", code))
            return None

        def _page(self, status, title, text):
            body = ("<!doctype html><html><head><meta charset=\"utf-8\"><title>%s</title></head>"
                    "<body style=\"font-family: sans-serif; margin: 3em\"><h1>%s</h1><p>%s</p></body></html>"
                    % (html.escape(title), html.escape(title), html.escape(text))).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

    return Handler
