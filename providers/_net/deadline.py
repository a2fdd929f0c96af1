"""The deadlines of HTTP requests: each request's sockets are shut down when its time is up.

A Deadline has no thread of its own. One reaper thread (_Reaper) keeps the time of every request
and stream in the process: a heap of deadlines under one Condition, so N requests in flight cost
N + 1 threads (the gateway's case), and the CLI's one request two.
"""
from .._core.errors import NetworkError


class Deadline:
    """Shuts the request's sockets down when its time is up; extend() moves the time (streams).
    The shared reaper keeps the time: no thread of its own."""

    def __init__(self, seconds, total=None):
        self.fired = False
        self.sent = False  # the whole request went out (urllib asked for the response)
        self.seconds = seconds
        self.total = total  # seconds for the whole exchange, never extended; None: no such limit
        self.until = None   # monotonic time it fires at; only ever read unlocked by the reaper
        self.end = None     # monotonic time of `total`
        self.done = False
        self.queued = None  # the time of its live entry in the reaper's heap
        self._sockets = []

    def start(self):
        import time

        now = time.monotonic()
        self.end = now + self.total if self.total else None
        _REAPER.schedule(self, self._capped(now + self.seconds))

    def extend(self, seconds):
        """The time is now `seconds` from now (never past `total`). Called per event: a later time
        needs no lock (the reaper finds it when the old one comes due), an earlier one is queued."""
        import time

        until = self._capped(time.monotonic() + seconds)
        self.seconds = seconds
        if until >= self.until:
            self.until = until
        else:
            _REAPER.schedule(self, until)

    def _capped(self, until):
        return until if self.end is None else min(until, self.end)

    def watch(self, sock):
        self._sockets.append(sock)
        if self.fired:
            self.fire()

    def fire(self):
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
        if not self.done:
            self.done = True
            self._sockets = []  # its entry may wait in the heap a while: it holds no socket meanwhile
            _REAPER.forget()

    def error(self, host, started):
        """The NetworkError for a request whose time ran out (started: the answer had begun)."""
        if self.end is not None and self.until >= self.end:
            error = NetworkError("%s did not finish answering within %g s, the time allowed for the whole answer"
                                 % (host, self.total))
            error.whole = True  # the caller may name the setting that chose the limit
            return error
        if started:
            return NetworkError("%s stopped sending for %g s in the middle of its answer; try again later"
                                % (host, self.seconds))
        return NetworkError("%s did not finish answering within %g s; try again later" % (host, self.seconds))


class _Reaper:
    """One thread for the deadlines of every request in the process: a heap of (time, n,
    deadline) under one Condition. A process with N requests in flight has N + 1 threads, not 2N.

    A deadline moved later keeps its old entry: when that comes due the reaper sees the later
    time and queues it again. One moved earlier gets a new entry; the old one is then stale (its
    time is no longer the deadline's `queued`) and is dropped when it comes up, as are the entries
    of finished requests; the heap is swept when those outnumber the live ones."""

    def __init__(self):
        import threading

        self._wake = threading.Condition()
        self._heap = []
        self._count = 0
        self._stale = 0
        self._thread = None

    def schedule(self, deadline, until):
        import heapq
        import threading

        with self._wake:
            if deadline.queued is not None:
                self._stale += 1
            deadline.until = deadline.queued = until
            self._count += 1
            heapq.heappush(self._heap, (until, self._count, deadline))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="atomic-deadline", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is deadline:
                self._wake.notify()  # earlier than what the reaper sleeps until

    def forget(self):
        """One more entry is stale (its request finished); sweep when most are."""
        import heapq

        with self._wake:
            self._stale += 1
            if self._stale > 64 and self._stale * 2 > len(self._heap):
                self._heap = [entry for entry in self._heap if self._live(entry)]
                heapq.heapify(self._heap)
                self._stale = 0

    @staticmethod
    def _live(entry):
        until, _n, deadline = entry
        return not deadline.done and until == deadline.queued

    def _run(self):
        import heapq
        import time

        with self._wake:
            while True:
                if not self._heap:
                    self._wake.wait()
                    continue
                until, _n, deadline = self._heap[0]
                if not self._live(self._heap[0]):
                    heapq.heappop(self._heap)
                    self._stale = max(self._stale - 1, 0)
                    continue
                remaining = until - time.monotonic()
                if remaining > 0:
                    self._wake.wait(remaining)
                    continue
                heapq.heappop(self._heap)
                later = deadline.until
                if later > until:  # moved later meanwhile: wait for the new time
                    deadline.queued = later
                    self._count += 1
                    heapq.heappush(self._heap, (later, self._count, deadline))
                    continue
                deadline.done = True
                deadline.fire()


_REAPER = _Reaper()
