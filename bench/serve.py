#!/usr/bin/env python3
"""What atomic serve costs: beside no gateway at all (the client talking to the upstream itself)
and beside the LiteLLM proxy, in the same run, against the same loopback upstream.

    python3 bench/serve.py [--litellm PATH] [--requests 300] [--chunks 10000] [--streams 100]

LiteLLM is a peer for this script alone, never a dependency of atomic; install it pinned, in a
venv of its own (1.106.12 is the last release that installs from the registry here, and 1.82.7/8
were compromised, gateway.md §4):

    python3 -m venv /tmp/litellm-venv && /tmp/litellm-venv/bin/pip install 'litellm[proxy]==1.106.12'

Without it the atomic serve and direct figures are still printed. What is measured (medians;
CPU and memory of the gateway's whole process tree, from /proc):

- added latency per non-streaming request: the median round trip through the gateway minus the
  median straight to the upstream, one keep-alive client, `--requests` requests each
  (target: at most 1 ms for atomic serve, and below LiteLLM's);
- added time to the first streamed byte (first content event), the same way;
- CPU time per 10,000 chunks streamed through, passed through (Chat Completions to a Chat
  Completions upstream; target <= 0.2x LiteLLM's) and translated (Responses in, an Anthropic
  Messages upstream; target <= 0.4x LiteLLM's, and <= 2x atomic's own passthrough). The CPU
  clock ticks in 10 ms: --chunks below 10,000 make these figures coarse;
- peak RSS while `--streams` streams run at once (target <= 0.25x LiteLLM's), with the RSS at rest.

atomic serve keeps what it made of the user's files only once they are 2 s old (a fresher file
may still change unseen, and is read at every request), so the measuring starts after that, as
on a server that has been running.

The upstream is this script in another role (--upstream): plain HTTP on 127.0.0.1, a Chat
Completions and a Messages API whose answers have as many chunks as the request's max_tokens
(max_output_tokens through a Responses face), one event per HTTP chunk; model "bench-slow"
spaces its chunks 20 ms apart so that streams overlap.
"""
import argparse
import http.client
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

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UPSTREAM_KEY = "sk-bench-upstream-key-000000000001"
MASTER = "sk-bench-master-000000000000000001"
LITELLM = "/tmp/litellm-venv/bin/litellm"


# -- the upstream -------------------------------------------------------------------------------------------------

def upstream(port_file):
    """Serve the two APIs until killed; the chosen port goes to port_file."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # small writes go at once (no 40 ms delayed-ACK stalls)

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            count = int(body.get("max_tokens") or body.get("max_completion_tokens") or 1)
            gap = 0.02 if str(body.get("model", "")).endswith("slow") else 0
            anthropic = self.path.endswith("/messages")
            if not body.get("stream"):
                doc = _whole_message(count) if anthropic else _whole_chat(count)
                data = json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for event in (_message_events(count) if anthropic else _chat_events(count)):
                if gap:
                    time.sleep(gap)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            # A gateway's kept connections are reset when it stops: no fault of anyone's.
            if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
                ThreadingHTTPServer.handle_error(self, request, client_address)

    server = Server(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


def _chat_events(count):
    head = b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"bench","choices":[{"index":0,'
    yield head + b'"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n'
    for n in range(count):
        yield head + b'"delta":{"content":"w%d "},"finish_reason":null}]}\n\n' % (n % 10)
    yield head + b'"delta":{},"finish_reason":"stop"}]}\n\n'
    yield (b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"bench","choices":[],'
           b'"usage":{"prompt_tokens":5,"completion_tokens":%d,"total_tokens":%d}}\n\n' % (count, count + 5))
    yield b"data: [DONE]\n\n"


def _message_events(count):
    yield (b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message",'
           b'"role":"assistant","model":"bench","content":[],"stop_reason":null,"usage":{"input_tokens":5,'
           b'"output_tokens":1}}}\n\n')
    yield b'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
    for n in range(count):
        yield (b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
               b'"delta":{"type":"text_delta","text":"w%d "}}\n\n' % (n % 10))
    yield b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
    yield (b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},'
           b'"usage":{"output_tokens":%d}}\n\n' % count)
    yield b'event: message_stop\ndata: {"type":"message_stop"}\n\n'


def _whole_chat(count):
    return {"id": "c", "object": "chat.completion", "created": 1, "model": "bench",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}


def _whole_message(count):
    return {"id": "m", "type": "message", "role": "assistant", "model": "bench", "content": [{"type": "text",
            "text": "ok"}], "stop_reason": "end_turn", "usage": {"input_tokens": 5, "output_tokens": 1}}


# -- the gateways ------------------------------------------------------------------------------------------------

class Process:
    """A server process: where it listens, its pid, and what its whole process tree uses."""

    def __init__(self, name, proc, port, headers, models):
        self.name, self.proc, self.port, self.headers, self.models = name, proc, port, headers, models

    def tree(self):
        pids, found = [self.proc.pid], True
        while found:
            found = False
            for entry in os.listdir("/proc"):
                if entry.isdigit() and int(entry) not in pids:
                    try:
                        with open("/proc/%s/stat" % entry) as f:
                            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                    except (OSError, ValueError, IndexError):
                        continue
                    if ppid in pids:
                        pids.append(int(entry))
                        found = True
        return pids

    def cpu(self):
        """User + system seconds of the process tree so far."""
        total = 0.0
        for pid in self.tree():
            try:
                with open("/proc/%d/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, ValueError):
                pass
        return total

    def rss(self):
        """Resident MB of the process tree now."""
        total = 0
        for pid in self.tree():
            try:
                with open("/proc/%d/status" % pid) as f:
                    total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
            except (OSError, StopIteration, ValueError):
                pass
        return total / 1024.0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_upstream(scratch):
    port_file = os.path.join(scratch, "upstream.port")
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--upstream", port_file])
    port = int(_wait_for_file(port_file))
    return Process("upstream", proc, port, {}, {"chat": "bench", "slow": "bench-slow", "messages": "bench"})


def start_atomic(scratch, upstream_port):
    home = os.path.join(scratch, "home")
    agent = os.path.join(home, ".atomic", "agent")
    os.makedirs(agent, mode=0o700)
    with open(os.path.join(agent, "models.json"), "w") as f:
        json.dump({"providers": {
            "bench": {"baseUrl": "http://127.0.0.1:%d/v1" % upstream_port, "api": "openai-completions",
                      "apiKey": UPSTREAM_KEY, "models": [{"id": "bench"}, {"id": "bench-slow"}]},
            "benchant": {"baseUrl": "http://127.0.0.1:%d" % upstream_port, "api": "anthropic-messages",
                         "apiKey": UPSTREAM_KEY, "models": [{"id": "bench", "maxTokens": 100000}]}}}, f)
    env = {"HOME": home, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    atomic = [sys.executable, os.path.join(REPO, "atomic.py")]
    token = subprocess.run(atomic + ["serve", "token", "create", "bench"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, check=True).stdout.decode().strip()
    token_file = os.path.join(agent, "serve-tokens.json")  # the last file written
    log = open(os.path.join(scratch, "atomic-serve.log"), "w")
    proc = subprocess.Popen(atomic + ["serve", "--port", "0", "--host", "127.0.0.1", "--max-concurrent", "256"],
                            env=env, stdout=subprocess.DEVNULL, stderr=log)
    port = int(_wait_for(lambda: _listening(os.path.join(scratch, "atomic-serve.log"))))
    # atomic serve keeps what it made of a file (parsed, merged) only once the file is 2 s old
    # (a fresher one may still change unseen): a server's files have long settled.
    time.sleep(max(0.0, 2.1 - (time.time() - os.stat(token_file).st_mtime)))
    return Process("atomic serve", proc, port, {"Authorization": "Bearer " + token},
                   {"chat": "bench/bench", "slow": "bench/bench-slow", "messages": "benchant/bench"})


def start_litellm(scratch, upstream_port, litellm):
    folder = os.path.join(scratch, "litellm")
    os.makedirs(folder)
    base = "http://127.0.0.1:%d" % upstream_port
    config = {"model_list": [
        {"model_name": "bench", "litellm_params": {"model": "openai/bench", "api_base": base + "/v1",
                                                   "api_key": UPSTREAM_KEY}},
        {"model_name": "bench-slow", "litellm_params": {"model": "openai/bench-slow", "api_base": base + "/v1",
                                                        "api_key": UPSTREAM_KEY}},
        {"model_name": "benchant", "litellm_params": {"model": "anthropic/bench", "api_base": base,
                                                      "api_key": UPSTREAM_KEY}}],
        "litellm_settings": {"telemetry": False, "drop_params": True},
        "router_settings": {"disable_cooldowns": True},
        "general_settings": {"master_key": MASTER}}
    with open(os.path.join(folder, "config.yaml"), "w") as f:
        json.dump(config, f)  # JSON is YAML
    port = _free_port()
    env = dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_TELEMETRY="False", HOME=folder)
    proc = subprocess.Popen([litellm, "--config", "config.yaml", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(folder, "log"), "w"))

    def ready():
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health/liveliness")
            return conn.getresponse().status == 200
        except OSError:
            return False
    _wait_for(ready, timeout=120)
    return Process("LiteLLM", proc, port, {"Authorization": "Bearer " + MASTER},
                   {"chat": "bench", "slow": "bench-slow", "messages": "benchant"})


def _listening(log_path):
    with open(log_path) as f:
        for line in f:
            if "listening on http://127.0.0.1:" in line:
                return line.split("http://127.0.0.1:")[1].split()[0]
    return None


def _wait_for_file(path):
    return _wait_for(lambda: open(path).read() if os.path.exists(path) else None)


def _wait_for(probe, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit("a server did not start in %d s" % timeout)


def _free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# -- the client ---------------------------------------------------------------------------------------------------

def chat(server, model_kind, count, stream):
    path = "/v1/chat/completions"
    body = {"model": server.models[model_kind], "max_tokens": count, "stream": stream,
            "messages": [{"role": "user", "content": "go"}]}
    return path, body


def responses(server, count):
    return "/v1/responses", {"model": server.models["messages"], "max_output_tokens": count, "stream": True,
                             "input": "go", "store": False}


def exchange(conn, server, path, body, first=b'"content":"w'):
    """(seconds to the response's end, seconds to the first content byte or None) on a kept connection."""
    headers = dict(server.headers, **{"Content-Type": "application/json"})
    data = json.dumps(body).encode()
    started = time.perf_counter()
    conn.request("POST", path, data, headers)
    resp = conn.getresponse()
    first_at, seen = None, b""
    while True:
        piece = resp.read1(65536)
        if not piece:
            break
        if first_at is None:
            seen = (seen + piece)[-200:]
            if first in seen or b'"delta":"w' in seen or b'"text":"w' in seen:
                first_at = time.perf_counter() - started
    resp.close()  # done with it: the connection takes the next request
    if resp.status != 200:
        raise SystemExit("%s answered HTTP %d for %s" % (server.name, resp.status, path))
    return time.perf_counter() - started, first_at


def medians(server, requests):
    """(median seconds of a whole non-streaming request, median seconds to a stream's first content)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    whole, first = [], []
    for _ in range(10):  # warm-up
        exchange(conn, server, *chat(server, "chat", 1, False))
        exchange(conn, server, *chat(server, "chat", 5, True))
    for _ in range(requests):
        whole.append(exchange(conn, server, *chat(server, "chat", 1, False))[0])
        first.append(exchange(conn, server, *chat(server, "chat", 5, True))[1])
    conn.close()
    return statistics.median(whole), statistics.median(first)


def cpu_per_chunks(server, chunks, translated):
    """Gateway CPU seconds for one stream of `chunks` chunks (median of 5: how the upstream's
    writes and the gateway's reads interleave on a shared machine moves a single figure a lot)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    request = responses(server, chunks) if translated else chat(server, "chat", chunks, True)
    exchange(conn, server, *(responses(server, 10) if translated else chat(server, "chat", 10, True)))
    spent = []
    for _ in range(5):
        before = server.cpu()
        exchange(conn, server, *request)
        spent.append(server.cpu() - before)
    conn.close()
    return statistics.median(spent)


def peak_rss(server, streams):
    """(MB at rest, peak MB while `streams` slow streams run at once)."""
    rest = server.rss()
    peak, done = [rest], threading.Event()

    def sample():
        while not done.is_set():
            peak.append(server.rss())
            time.sleep(0.02)

    def one():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
        exchange(conn, server, *chat(server, "slow", 100, True))
        conn.close()

    watcher = threading.Thread(target=sample)
    watcher.start()
    threads = [threading.Thread(target=one) for _ in range(streams)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    watcher.join()
    return rest, max(peak)


# -- the run ----------------------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--litellm", default=LITELLM, help="the litellm command (default %s)" % LITELLM)
    parser.add_argument("--requests", type=int, default=300, help="requests per latency figure (default 300)")
    parser.add_argument("--chunks", type=int, default=10000, help="chunks in the CPU streams (default 10000)")
    parser.add_argument("--streams", type=int, default=100, help="streams at once for peak RSS (default 100)")
    parser.add_argument("--upstream", metavar="PORT_FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.upstream:
        return upstream(args.upstream)
    scratch = tempfile.mkdtemp(prefix="atomic-bench-serve-")
    servers = []
    try:
        up = start_upstream(scratch)
        servers.append(up)
        gateways = [start_atomic(scratch, up.port)]
        if os.access(args.litellm, os.X_OK):
            gateways.append(start_litellm(scratch, up.port, args.litellm))
        else:
            print("LiteLLM not found at %s: only atomic serve is measured (see --help to install it)" % args.litellm)
        servers.extend(gateways)
        results = {"direct": {"latency": medians(up, args.requests)}}
        for gateway in gateways:
            results[gateway.name] = {"latency": medians(gateway, args.requests),
                                     "cpu": cpu_per_chunks(gateway, args.chunks, False),
                                     "cpu_translated": cpu_per_chunks(gateway, args.chunks, True),
                                     "rss": peak_rss(gateway, args.streams)}
        report(results, args)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def report(results, args):
    direct_whole, direct_first = results["direct"]["latency"]
    print("Python %s, %s; medians; CPU and RSS of each gateway's process tree." % (
        sys.version.split()[0], os.uname().machine))
    print("direct to the upstream: %.2f ms a non-streaming request, %.2f ms to a stream's first content"
          % (direct_whole * 1000, direct_first * 1000))
    rows = []
    for name in ("atomic serve", "LiteLLM"):
        if name not in results:
            continue
        r = results[name]
        rows.append((name, (r["latency"][0] - direct_whole) * 1000, (r["latency"][1] - direct_first) * 1000,
                     r["cpu"] * 10000 / args.chunks, r["cpu_translated"] * 10000 / args.chunks, r["rss"][0], r["rss"][1]))
    print("")
    print("| gateway | added latency, non-streaming | added to first streamed byte | CPU / 10k chunks passed through "
          "| CPU / 10k chunks Responses -> Messages | RSS at rest | peak RSS, %d streams |" % args.streams)
    print("|---|---|---|---|---|---|---|")
    for name, whole, first, cpu, cpu_t, rest, peak in rows:
        print("| %s | %.2f ms | %.2f ms | %.2f s | %.2f s | %.1f MB | %.1f MB |" % (name, whole, first, cpu, cpu_t, rest, peak))
    if len(rows) == 2:
        a, b = rows
        print("| atomic / LiteLLM | %.2fx | %.2fx | %.2fx (target <= 0.2x) | %.2fx (target <= 0.4x) | %.2fx | "
              "%.2fx (target <= 0.25x) |" % (a[1] / b[1] if b[1] else float("nan"), a[2] / b[2] if b[2] else float("nan"),
                                             a[3] / b[3], a[4] / b[4], a[5] / b[5], a[6] / b[6]))
    print("")
    atomic = rows[0] if rows and rows[0][0] == "atomic serve" else None
    if atomic is not None and atomic[3]:
        print("atomic serve: a translated stream costs %.2fx the CPU of one passed through (target <= 2x)"
              % (atomic[4] / atomic[3]))
    print("targets: atomic serve adds at most 1 ms median on loopback, below LiteLLM's")


if __name__ == "__main__":
    main()
