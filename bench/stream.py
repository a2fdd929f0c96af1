#!/usr/bin/env python3
"""What streaming costs: `atomic ask` reading 20,000 small chunks, against the official `openai`
SDK and a bare urllib client reading the same stream in the same run, and atomic's relay (the
gateway's passthrough: the bytes copied to stdout, only the usage and stop events decoded).

    python3 bench/stream.py [--chunks N] [--runs N]

A loopback server (plain HTTP on 127.0.0.1, chunked transfer encoding, one SSE event per chunk,
OpenAI Chat Completions shape) streams N chunks of one word each. Each client runs as its own
process with stdout to a pipe that this script drains; the figures are the medians over the runs:

- CPU time (user + system) and peak RSS of the client process, as ratios to the SDK's
  (targets for `atomic ask`: <= 0.1x CPU, <= 0.5x RSS);
- time from the request reaching the server to the first answer byte on the client's stdout,
  minus the same for a raw socket read of the stream in this process (target: under 5 ms added);
- start-up: from starting `atomic ask` to its request reaching the server, against the whole
  run of `python -c pass`.

Needs the SDK for the comparison: pip install '.[bench]' (or just openai).
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SDK_CLIENT = """
import sys
from openai import OpenAI
client = OpenAI(base_url=sys.argv[1], api_key="bench", max_retries=0)
stream = client.chat.completions.create(model="bench", messages=[{"role": "user", "content": "go"}], stream=True)
out = sys.stdout
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        out.write(chunk.choices[0].delta.content)
        out.flush()
"""

# The floor: about the least a Python client can do with the same stream.
URLLIB_CLIENT = """
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/chat/completions", method="POST",
                             data=json.dumps({"model": "bench", "stream": True,
                                              "messages": [{"role": "user", "content": "go"}]}).encode(),
                             headers={"Content-Type": "application/json"})
out = sys.stdout
with urllib.request.urlopen(req) as resp:
    for line in resp:
        if line.startswith(b"data: {"):
            delta = json.loads(line[6:])["choices"]
            if delta and delta[0]["delta"].get("content"):
                out.write(delta[0]["delta"]["content"])
                out.flush()
"""


# atomic's relay, as `atomic serve` passes a same-family body through: the caller's body goes
# upstream, the answer's bytes come back as they are.
RELAY_CLIENT = """
import sys
sys.path.insert(0, %r)
from providers._client.passthrough import relay
from providers._client.route import route
from providers._core.context import Context
from providers._wire.ir import Sink

out = sys.stdout.buffer


class Raw(Sink):
    def raw(self, chunk):
        out.write(chunk)
        out.flush()


ctx = Context()
body = {"model": "bench", "stream": True, "messages": [{"role": "user", "content": "go"}]}
relay(ctx, route(ctx, "bench/bench"), body, Raw())
""" % REPO


def serve(chunks):
    """The server process: prints its port, then the perf_counter time of each request's arrival
    (CLOCK_MONOTONIC, the same clock in every process), one a line."""
    head = b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"bench","choices":[{"index":0,'
    events = [head + b'"delta":{"content":"w%d "},"finish_reason":null}]}\n\n' % (n % 10) for n in range(chunks)]
    events.append(head + b'"delta":{},"finish_reason":"stop"}]}\n\n')
    events.append(b"data: [DONE]\n\n")
    framed = [b"%x\r\n%s\r\n" % (len(e), e) for e in events] + [b"0\r\n\r\n"]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            sys.stdout.write("%r\n" % time.perf_counter())
            sys.stdout.flush()
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            for piece in framed:  # one write per chunk: the client sees them one by one
                self.wfile.write(piece)
            self.wfile.flush()
            self.close_connection = True

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    sys.stdout.write("%d\n" % httpd.server_address[1])
    sys.stdout.flush()
    httpd.serve_forever()


class Server:
    """The server process, and the arrival times it reports."""

    def __init__(self, chunks):
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve", str(chunks)], stdout=subprocess.PIPE)
        self.port = int(self.proc.stdout.readline())
        self.base = "http://127.0.0.1:%d/v1" % self.port
        self.arrivals = []
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self):
        for line in self.proc.stdout:
            self.arrivals.append(float(line))

    def arrival(self, n, timeout=30):
        deadline = time.monotonic() + timeout
        while len(self.arrivals) <= n:
            if time.monotonic() > deadline:
                raise SystemExit("the server saw no request")
            time.sleep(0.001)
        return self.arrivals[n]

    def close(self):
        self.proc.kill()
        self.proc.wait()


# Runs a client's code, then closes stdout and waits for a byte on a pipe of its own (fd in
# BENCH_SYNC_FD) before exiting, so that its peak RSS can be read from /proc (VmHWM belongs to the
# program; ru_maxrss would also count the memory of the process it was forked from). Not stdin:
# `atomic ask` reads a piped stdin as part of the prompt, and stdin is /dev/null here.
WRAPPER = """
import os, sys
code = sys.argv.pop(1)
try:
    exec(compile(code, "<client>", "exec"), {"__name__": "__main__"})
except SystemExit as done:
    if done.code:
        raise
sys.stdout.flush()
os.close(1)
os.read(int(os.environ["BENCH_SYNC_FD"]), 1)
"""
ATOMIC_CODE = "import sys; sys.path.insert(0, %r); import atomic; sys.exit(atomic.main())" % REPO


def run_client(argv, env, server):
    """(cpu seconds, peak RSS KiB, seconds from request arrival to first stdout byte, start-up s)."""
    before = len(server.arrivals)
    started = time.perf_counter()
    sync_read, sync_write = os.pipe()
    proc = subprocess.Popen([sys.executable, "-c", WRAPPER] + argv, env=dict(env, BENCH_SYNC_FD=str(sync_read)),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                            pass_fds=(sync_read,))
    os.close(sync_read)
    first = proc.stdout.read(1)
    first_at = time.perf_counter()
    while proc.stdout.read(65536):
        pass
    with open("/proc/%d/status" % proc.pid) as f:
        peak = int(next(line for line in f if line.startswith("VmHWM:")).split()[1])
    os.write(sync_write, b"x")
    os.close(sync_write)
    _pid, status, usage = os.wait4(proc.pid, 0)
    if status != 0 or not first:
        raise SystemExit("client failed (status %d): %s" % (status, argv[0][:60]))
    arrival = server.arrival(before)
    return usage.ru_utime + usage.ru_stime, peak, first_at - arrival, arrival - started


def raw_first_byte(server):
    """Seconds from the request's arrival to the first answer event, read from a plain socket."""
    body = json.dumps({"model": "bench", "stream": True, "messages": []}).encode()
    before = len(server.arrivals)
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        seen = b""
        while b'"content"' not in seen:
            seen += sock.recv(65536)
        at = time.perf_counter()
        while sock.recv(1 << 20):
            pass
    return at - server.arrival(before)


def python_pass():
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve)
    if subprocess.run([sys.executable, "-c", "import openai"], stderr=subprocess.DEVNULL).returncode:
        raise SystemExit("the comparison needs the OpenAI SDK: pip install '.[bench]'")
    server = Server(args.chunks)
    home = tempfile.mkdtemp(prefix="atomic-bench-")
    try:
        agent = os.path.join(home, "agent")
        os.mkdir(agent, 0o700)
        with open(os.path.join(agent, "models.json"), "w") as f:
            json.dump({"providers": {"bench": {"baseUrl": server.base, "api": "openai-completions",
                                               "models": [{"id": "bench"}]}}}, f)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "ATOMIC_CODING_AGENT_DIR": agent}
        clients = {
            "atomic ask": [ATOMIC_CODE, "ask", "-m", "bench/bench", "go"],
            "openai SDK": [SDK_CLIENT, server.base],
            "urllib, 20 lines": [URLLIB_CLIENT, server.base],
            "atomic relay": [RELAY_CLIENT],
        }
        for argv in clients.values():  # warm the page cache and .pyc files
            run_client(argv, env, server)
        results = {name: [] for name in clients}
        raw, baseline = [], []
        for _ in range(args.runs):
            for name, argv in clients.items():
                results[name].append(run_client(argv, env, server))
            raw.append(raw_first_byte(server))
            baseline.append(python_pass())
    finally:
        shutil.rmtree(home, ignore_errors=True)
        server.close()

    med = {name: [statistics.median(r[i] for r in rows) for i in range(4)] for name, rows in results.items()}
    sdk_cpu, sdk_rss = med["openai SDK"][0], med["openai SDK"][1]
    raw_ms = statistics.median(raw) * 1000
    print("Python %s, %d chunks, %d runs, medians" % (sys.version.split()[0], args.chunks, args.runs))
    print("%-18s %9s %9s %10s %9s %16s" % ("client", "CPU s", "x SDK", "peak RSS", "x SDK", "first byte +ms"))
    for name, (cpu, rss, first, _startup) in med.items():
        print("%-18s %9.3f %8.2fx %7.1f MB %8.2fx %16.2f" % (name, cpu, cpu / sdk_cpu, rss / 1024.0, rss / sdk_rss,
                                                           first * 1000 - raw_ms))
    print("raw socket read: first event %.2f ms after the request arrived" % raw_ms)
    print("atomic ask start-up to its request reaching the server: %.1f ms; python -c pass: %.1f ms (%.1fx)"
          % (med["atomic ask"][3] * 1000, statistics.median(baseline) * 1000,
             med["atomic ask"][3] / statistics.median(baseline)))
    print("targets: atomic ask <= 0.1x SDK CPU, <= 0.5x SDK RSS, first byte < 5 ms added")
    return 0


if __name__ == "__main__":
    sys.exit(main())
