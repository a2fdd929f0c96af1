"""The deadlines of many requests in one process (the gateway's case): one shared reaper thread,
not one watchdog per request, and every deadline still fires on time. Real sockets on 127.0.0.1:
the server is a child process, so its threads are not counted here."""
import subprocess
import sys
import threading
import time

from providers._core.context import Context
from providers._core.errors import NetworkError
from providers._net.http import open_stream

STREAMS = 12

# Answers every connection with the head of a chunked stream, then says nothing more.
SILENT_SERVER = r"""
import socket, sys
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(64)
print(server.getsockname()[1], flush=True)
held = []
while True:
    conn, _addr = server.accept()
    head = b""
    while b"\r\n\r\n" not in head:
        data = conn.recv(4096)
        if not data:
            break
        head += data
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
    held.append(conn)
"""


def _silent_server():
    proc = subprocess.Popen([sys.executable, "-c", SILENT_SERVER], stdout=subprocess.PIPE)
    return proc, int(proc.stdout.readline())


def _deadline_threads():
    return [t for t in threading.enumerate() if t.name.startswith("atomic-deadline")]


def test_many_streams_share_one_reaper_thread_and_each_deadline_fires_on_time():
    proc, port = _silent_server()
    before = set(threading.enumerate())
    opened = threading.Barrier(STREAMS + 1)
    outcomes = {}

    def one(n):
        seconds = 0.6 + 0.1 * n  # each its own deadline, so each must fire by itself
        started = time.monotonic()
        try:
            with open_stream("GET", "http://127.0.0.1:%d/%d" % (port, n), Context(environ={}),
                             first_byte=seconds, idle=30) as stream:
                opened.wait(10)
                for _chunk in stream.chunks():
                    pass
            outcomes[n] = ("ended", None, seconds)
        except NetworkError as exc:
            outcomes[n] = (exc.message, time.monotonic() - started, seconds)

    workers = [threading.Thread(target=one, args=(n,)) for n in range(STREAMS)]
    try:
        for worker in workers:
            worker.start()
        opened.wait(10)  # every stream has its status and headers and is waiting for its body
        during = set(threading.enumerate())
        new = during - before
        assert len(_deadline_threads()) == 1, _deadline_threads()
        # The workers, plus the reaper unless an earlier test of this process started it.
        assert len(new) == STREAMS + (0 if any(t in before for t in _deadline_threads()) else 1), new
        for worker in workers:
            worker.join(30)
    finally:
        proc.kill()
        proc.wait()
    assert sorted(outcomes) == list(range(STREAMS))
    for n, (message, elapsed, seconds) in sorted(outcomes.items()):
        assert "127.0.0.1:%d did not finish answering within %g s" % (port, seconds) in message, message
        assert seconds <= elapsed < seconds + 2.0, (n, elapsed, seconds)


def test_a_deadline_moved_earlier_wakes_the_reaper():
    # A stream whose idle time is shorter than its first-byte time: the first chunk moves its
    # deadline earlier, under a reaper that was sleeping until the later one.
    server = r"""
import socket, sys
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(4)
print(server.getsockname()[1], flush=True)
conn, _addr = server.accept()
conn.recv(4096)
conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
sys.stdin.read()
"""
    proc = subprocess.Popen([sys.executable, "-c", server], stdout=subprocess.PIPE, stdin=subprocess.PIPE)
    port = int(proc.stdout.readline())
    started = time.monotonic()
    chunks = []
    try:
        with open_stream("GET", "http://127.0.0.1:%d/" % port, Context(environ={}), first_byte=20, idle=0.5) as stream:
            try:
                for chunk in stream.chunks():
                    chunks.append(chunk)
            except NetworkError as exc:
                message = exc.message
    finally:
        proc.kill()
        proc.wait()
    assert chunks == [b"first"]
    assert "stopped sending for 0.5 s" in message, message
    assert time.monotonic() - started < 5
