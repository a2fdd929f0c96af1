"""A real `atomic serve` process for tests, and plain HTTP to it.

    served = Served(atomic_env.env)           # atomic serve --port 0, waits until it listens
    status, headers, body = served.call("GET", "/health")
    served.stop()                             # SIGTERM; its exit code

Its stderr is read all along: `served.log()` gives the request lines logged so far.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time

from conftest import start_atomic

READY = "atomic serve: listening on "


class Served:
    def __init__(self, env, *args, port="0", wait=True, cwd=None):
        self.args = ["serve"] + (["--port", port] if port is not None else []) + list(args)
        self.proc = start_atomic(self.args, env, stdin=subprocess.DEVNULL, cwd=cwd)
        self.lines = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = None
        if wait:
            self.wait_ready()

    def _read(self):
        for raw in self.proc.stderr:
            with self._changed:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self.lines.append(None)  # end of stderr
            self._changed.notify_all()

    def wait_for(self, test, timeout=30):
        """The first stderr line for which test(line) holds; AssertionError after timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if line is not None and test(line):
                        return line
                if None in self.lines:
                    raise AssertionError("atomic serve ended: %r" % self.lines)
                left = deadline - time.monotonic()
                assert left > 0, "nothing like that on stderr: %r" % self.lines
                self._changed.wait(left)

    def wait_ready(self):
        line = self.wait_for(lambda l: l.startswith(READY))
        first = line[len(READY):].split(" ")[0]
        if first.startswith("http://"):
            self.port = int(first.rsplit(":", 1)[1])
        return line

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def log(self):
        """The request lines logged so far (after the start-up line)."""
        with self._changed:
            lines = [l for l in self.lines if l is not None]
        start = next(i for i, l in enumerate(lines) if l.startswith(READY)) + 1
        return [l for l in lines[start:] if not l.startswith("atomic serve:")]

    def wait_log(self, count, timeout=10):
        deadline = time.monotonic() + timeout
        while len(self.log()) < count:
            assert time.monotonic() < deadline, self.log()
            with self._changed:
                self._changed.wait(0.05)
        return self.log()

    def stderr(self):
        with self._changed:
            return "\n".join(l for l in self.lines if l is not None)

    def call(self, method, path, body=None, headers=None, host=None, token=None, timeout=30):
        """(status, {lower-case header: value}, body bytes) of one request on a fresh connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        return _exchange(conn, method, path, body, headers, host, token)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        self._reader.join(timeout)
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def call_unix(path, method, url, body=None, headers=None, token=None):
    return _exchange(UnixConnection(path), method, url, body, headers, None, token)


def _exchange(conn, method, path, body, headers, host, token):
    headers = dict(headers or {})
    if token is not None:
        headers.setdefault("Authorization", "Bearer " + token)
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    try:
        conn.putrequest(method, path, skip_host=host is not None, skip_accept_encoding=True)
        if host is not None:
            conn.putheader("Host", host)
        for name, value in headers.items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def make_token(atomic_env, name="t", *args):
    r = atomic_env.run("serve", "token", "create", name, *args)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def raw_socket(port, host="127.0.0.1"):
    return socket.create_connection((host, port), timeout=30)


def mode_of(path):
    return os.stat(path).st_mode
