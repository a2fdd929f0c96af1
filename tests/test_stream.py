"""open_stream: the body as it arrives, a first-byte deadline, an idle timeout that each chunk
resets, and the connection, proxy CONNECT and TLS handshake bounded by the same deadline."""
import json
import os
import socket
import subprocess
import sys
import threading
import time

from netfakes import reply, without_network_env

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A child that streams one response and prints each chunk's arrival, then the outcome, as JSON lines.
DRIVER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from providers._core.context import Context
from providers._core.errors import AtomicError
from providers._net.http import open_stream, request
spec = json.loads(sys.argv[2])
ctx = Context()
try:
    if spec.get("whole"):
        r = request(spec.get("method", "GET"), spec["url"], ctx, body=spec.get("body", "").encode() or None,
                    headers=spec.get("headers"), deadline=spec.get("deadline"))
        print(json.dumps({"status": r.status, "body": r.body.decode()}))
    else:
        with open_stream("GET", spec["url"], ctx, first_byte=spec.get("first_byte"), idle=spec.get("idle")) as s:
            print(json.dumps({"status": s.status}), flush=True)
            for n, chunk in enumerate(s.chunks()):
                print(json.dumps({"chunk": chunk.decode()}), flush=True)
                if n == 0 and spec.get("ack"):
                    request("GET", spec["ack"], ctx)  # tell the server this chunk arrived on its own
        print(json.dumps({"done": True}))
except AtomicError as e:
    print(json.dumps({"error": e.message, "code": e.exit_code}))
"""


def stream(spec, env):
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", DRIVER, REPO, json.dumps(spec)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    events = [json.loads(line) for line in out.stdout.splitlines()]
    return events, time.monotonic() - started


def child_env(net=None):
    env = without_network_env(os.environ)
    if net is not None:
        env.update(net.env())
    return env


def _chunked(handler, parts, pause=None, wait=None):
    """Send a chunked 200 response; between parts, pause seconds or wait for an event."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    try:
        for n, part in enumerate(parts):
            data = part.encode()
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            handler.wfile.flush()
            if n < len(parts) - 1:
                if wait is not None:
                    wait.wait(10)
                elif pause:
                    time.sleep(pause)
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
    except OSError:
        pass


def test_each_chunk_is_delivered_as_soon_as_it_arrives(net):
    acked = threading.Event()
    net.hosts.route("GET", "api.openai.com", "/ack")(lambda req: (acked.set(), reply(200, "ok"))[1])

    @net.hosts.route("GET", "api.openai.com", "/stream")
    def events(req):
        # The second part is sent only once the client has seen the first: a reader that waited
        # for 64 KiB or the end would never ask /ack, and this test would fail after 10 s.
        _chunked(req.handler, ["data: one\n\n", "data: two\n\n"], wait=acked)

    got, _seconds = stream({"url": "https://api.openai.com/stream", "ack": "https://api.openai.com/ack"},
                           child_env(net))
    assert acked.is_set()
    assert got == [{"status": 200}, {"chunk": "data: one\n\n"}, {"chunk": "data: two\n\n"}, {"done": True}]


def test_a_stream_may_outlast_its_first_byte_deadline_while_chunks_keep_coming(net):
    @net.hosts.route("GET", "api.openai.com", "/steady")
    def steady(req):
        _chunked(req.handler, ["a", "b", "c", "d", "e", "f"], pause=0.3)

    got, seconds = stream({"url": "https://api.openai.com/steady", "first_byte": 1, "idle": 1}, child_env(net))
    assert [e.get("chunk") for e in got[1:-1]] == list("abcdef")
    assert got[-1] == {"done": True} and seconds > 1.5


def test_no_first_byte_in_time_is_a_network_error(net):
    @net.hosts.route("GET", "slow.example.com", "/late")
    def late(req):
        time.sleep(3)
        _chunked(req.handler, ["too late"])

    got, seconds = stream({"url": "https://slow.example.com/late", "first_byte": 1, "idle": 5}, child_env(net))
    assert got[-1]["code"] == 6 and "slow.example.com" in got[-1]["error"] and "within 1 s" in got[-1]["error"]
    assert seconds < 3


def test_a_stream_that_goes_quiet_is_cut_off_and_keeps_what_arrived(net):
    @net.hosts.route("GET", "slow.example.com", "/stall")
    def stall(req):
        _chunked(req.handler, ["data: first\n\n", "data: never\n\n"], pause=5)

    got, seconds = stream({"url": "https://slow.example.com/stall", "first_byte": 5, "idle": 1}, child_env(net))
    assert got[1] == {"chunk": "data: first\n\n"}
    assert got[-1]["code"] == 6 and "stopped sending for 1 s" in got[-1]["error"]
    assert seconds < 4


def _listen():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    return server, server.getsockname()[1]


def test_a_tls_handshake_that_never_finishes_is_bounded_by_the_deadline():
    # Accepts the connection, then says nothing: the per-read timeout (10 s) alone would wait.
    server, port = _listen()
    held = []
    threading.Thread(target=lambda: held.append(server.accept()), daemon=True).start()
    try:
        got, seconds = stream({"url": "https://127.0.0.1:%d/x" % port, "whole": True, "deadline": 1.5}, child_env())
    finally:
        server.close()
    assert got[-1]["code"] == 6 and "127.0.0.1:%d" % port in got[-1]["error"]
    assert seconds < 5


def test_a_proxy_that_trickles_its_connect_answer_is_bounded_by_the_deadline():
    server, port = _listen()

    def trickle():
        conn, _addr = server.accept()
        conn.recv(4096)
        try:
            for byte in b"HTTP/1.1 200 Connection established, eventually" * 10:
                conn.sendall(bytes([byte]))
                time.sleep(0.2)
        except OSError:
            pass

    threading.Thread(target=trickle, daemon=True).start()
    env = child_env()
    env["HTTPS_PROXY"] = "http://127.0.0.1:%d" % port
    try:
        got, seconds = stream({"url": "https://api.openai.com/v1/models", "whole": True, "deadline": 1.5}, env)
    finally:
        server.close()
    assert got[-1]["code"] == 6 and "api.openai.com" in got[-1]["error"]
    assert seconds < 5


def test_ready_made_body_bytes_are_sent_as_they_are(net):
    @net.hosts.route("POST", "api.openai.com", "/signed")
    def signed(req):
        return reply(200, {"type": req.headers.get("Content-Type"), "body": req.body.decode()})

    body = '{"b":1,  "a":2}'  # not what json.dumps would write: the bytes a signature covers
    got, _seconds = stream({"url": "https://api.openai.com/signed", "whole": True, "method": "POST", "body": body,
                            "headers": {"Content-Type": "application/x-amz-json-1.1"}}, child_env(net))
    assert json.loads(got[-1]["body"]) == {"type": "application/x-amz-json-1.1", "body": body}
