"""A loopback server that answers the official SDKs through atomic's faces (providers/_wire/faces).

Each request is parsed by the face of its path into the IR (kept in `server.requests` for the test
to look at), then answered by replaying a scripted sequence of IR events into that face's
Renderer, whose bytes go onto the socket as they are written (HTTP/1.1 chunked, one chunk per
write). A FaceError from parse is answered with the face's error(). So the SDK reads exactly what
a gateway built on the faces would send.

A script is a list of steps, each the name of a Sink method and its arguments:
    ("start", model, id), ("text", delta), ("reasoning", delta), ("reasoning_end", signature, origin),
    ("tool_call", id, name), ("tool_args", fragment), ("block_end",), ("stop", reason),
plus ("usage", {...}) to set counts, ("service_tier", "priority"), ("fail", status, kind, message)
to end with an in-stream error, ("cut",) to end without the stream's proper end, and ("retry",) to drop the attempt so far when nothing was written
(what the client layer does before the first byte). After the last step the stream is finished.
`server.answer` is the script, or ("error", status, kind, message, retry_after) for an error reply.
"""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from providers._wire import faces

PATHS = {"/v1/chat/completions": "openai-completions", "/v1/responses": "openai-responses",
         "/v1/messages": "anthropic-messages"}


def replay(sink, script):
    """Push a script's events into a sink, then end the stream properly."""
    for name, *args in script:
        if name == "usage":
            sink.usage.update(args[0])
        elif name == "service_tier":
            sink.service_tier = args[0]
        elif name == "fail":
            sink.fail(*args)
            return
        elif name == "cut":
            return  # the upstream stopped before its last event: no done()
        elif name == "retry":
            assert not sink.started, "a retry after content reached the caller"
        else:
            getattr(sink, name)(*args)
    sink.finished = True
    sink.done()


class FaceServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        ThreadingHTTPServer.__init__(self, ("127.0.0.1", 0), _Handler)
        self.reset()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def reset(self):
        """Forget the requests, the answer and what was written (between tests)."""
        self.requests, self.answer, self.records, self.raw = [], [], [], []

    def handle_error(self, request, client_address):
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):  # a client hanging up is no news
            ThreadingHTTPServer.handle_error(self, request, client_address)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        family = "anthropic-messages" if self.headers.get("anthropic-version") else "openai-completions"
        body = json.dumps(faces.load(family).models(self.server.records)).encode()
        self._send(200, [("Content-Type", "application/json")], body)

    def do_POST(self):
        face = faces.load(PATHS[self.path.split("?")[0]])
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            request = face.parse(body)
        except faces.FaceError as exc:
            return self._send(*face.error(exc.status, None, exc.message, exc.field))
        self.server.requests.append(request)
        answer = self.server.answer
        if answer and answer[0] == "error":
            status, kind, message, retry_after = answer[1:]
            return self._send(*face.error(status, kind, message, retry_after=retry_after))
        self._stream(face, request, answer)

    def _stream(self, face, request, script):
        chunks = []

        def write(data):
            if not chunks:  # the status line waits for the first byte the renderer writes
                self.send_response(200)
                self.send_header("Content-Type", renderer.content_type)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
            chunks.append(data)
            self.server.raw.append(data)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        renderer = face.Renderer(write, request.stream, request.model, request)
        replay(renderer, script)
        if chunks:
            self.wfile.write(b"0\r\n\r\n")
        else:  # nothing was written: what a gateway sends for an error before the first byte
            self._send(*face.error(529, "overloaded", "the upstream was busy before it answered"))

    def _send(self, status, headers, body):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
