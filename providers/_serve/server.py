"""The listeners and the threads: one thread per connection, a cap on connections and on requests
being served at once, and a shutdown that lets running answers finish.

Listeners are 127.0.0.1 and ::1 (or a host the user insisted on), or a Unix socket made 0600 by
the umask before it exists. A connection beyond the cap is answered 503 and closed; a request
beyond --max-concurrent is the handler's 503. stop() (SIGINT, SIGTERM) closes the listeners at
once; drain() then waits a few seconds for requests in progress, and idle keep-alive connections
are simply dropped when the process exits.
"""
import os
import socket
import threading

LOOPBACK = ("127.0.0.1", "::1")
STACK = 512 * 1024       # bytes of stack per thread: connection threads need little
DRAIN = 5.0              # seconds running answers get to finish after SIGINT/SIGTERM


class Listener:
    """A bound, listening socket and how to name it."""

    def __init__(self, sock, url, host=None, port=None, path=None):
        self.sock, self.url, self.host, self.port, self.path = sock, url, host, port, path


def bind_tcp(host, port):
    """A listening socket on host:port (port 0: any free port); OSError when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name == "posix":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    bound = sock.getsockname()[1]
    shown = "[%s]" % host if family == socket.AF_INET6 else host
    return Listener(sock, "http://%s:%d" % (shown, bound), host=host, port=bound)


def bind_unix(path):
    """A listening Unix socket at path, 0600 from the start. A socket file left by a server that
    is gone is replaced; a live one, or any other file, is an error."""
    import stat

    from .._core.errors import Unsafe

    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None:
        if not stat.S_ISSOCK(st.st_mode):
            raise Unsafe("%s exists and is not a socket; atomic will not replace it: choose another --socket path"
                         % path)
        if _answers(path):
            raise Unsafe("another server is listening on %s; stop it or choose another --socket path" % path)
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(path)
    except OSError:
        sock.close()
        raise
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(128)
    return Listener(sock, "unix:" + path, path=path)


def _answers(path):
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1.0)
        probe.connect(path)
        return True
    except OSError:
        return False
    finally:
        probe.close()


class Server:
    """Accepts on every listener and runs handle(sock, listener) on a thread per connection."""

    def __init__(self, listeners, handle, max_connections, refuse):
        self.listeners = listeners
        self.handle = handle
        self.refuse = refuse            # refuse(sock): answer a connection over the cap
        self._refused = None            # the queue of connections to refuse, on one thread
        self.max_connections = max_connections
        self.stopping = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._lock = threading.Lock()
        self._connections = 0
        self._busy = 0                  # requests being answered (not idle keep-alive connections)
        self._idle = threading.Condition(self._lock)

    def serve(self):
        """Accept until stop(); then the listeners are closed."""
        import selectors

        threading.stack_size(STACK)
        selector = selectors.DefaultSelector()
        for listener in self.listeners:
            listener.sock.setblocking(False)
            selector.register(listener.sock, selectors.EVENT_READ, listener)
        selector.register(self._wake_r, selectors.EVENT_READ, None)
        try:
            while not self.stopping.is_set():
                for key, _events in selector.select():
                    if key.data is not None:
                        self._accept(key.data)
        finally:
            selector.close()
            for listener in self.listeners:
                listener.sock.close()
                if listener.path:
                    try:
                        os.unlink(listener.path)
                    except OSError:
                        pass

    def stop(self):
        """Stop accepting (safe from a signal handler)."""
        self.stopping.set()
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def drain(self, seconds=DRAIN):
        """Wait up to `seconds` for the requests being answered; True when none is left."""
        import time

        deadline = time.monotonic() + seconds
        with self._idle:
            while self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def busy(self):
        """A context manager marking one request as being answered (drain() waits for it)."""
        return _Busy(self)

    def _accept(self, listener):
        try:
            sock, _addr = listener.sock.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # out of file descriptors: the client may try again
            return
        sock.setblocking(True)
        if listener.path is None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            over = self._connections >= self.max_connections
            if not over:
                self._connections += 1
        if over:
            self._refuse_later(sock)
            return
        thread = threading.Thread(target=self._run, args=(sock, listener), daemon=True)
        try:
            thread.start()
        except RuntimeError:  # no thread could be made: the client gets a closed connection
            self._leave()
            sock.close()

    def _refuse_later(self, sock):
        """Connections over the cap are answered one after another on a single thread; when even
        that falls behind, they are closed unanswered."""
        import queue

        if self._refused is None:
            self._refused = queue.Queue(64)
            threading.Thread(target=self._refuser, daemon=True).start()
        try:
            self._refused.put_nowait(sock)
        except queue.Full:
            sock.close()

    def _refuser(self):
        while True:
            self.refuse(self._refused.get())

    def _run(self, sock, listener):
        try:
            self.handle(sock, listener)
        finally:
            self._leave()

    def _leave(self):
        with self._lock:
            self._connections -= 1


class _Busy:
    def __init__(self, server):
        self.server = server

    def __enter__(self):
        with self.server._lock:
            self.server._busy += 1

    def __exit__(self, *exc_info):
        with self.server._idle:
            self.server._busy -= 1
            self.server._idle.notify_all()
