"""One line per request on stderr: when, who (the client token's name), which API, which model,
what came of it, how fast, and how many tokens.

    2026-12-08T10:04:31Z codex responses openai-codex/gpt-5.2-codex pass 200 first=412ms 3.91s in=1843 out=215

With --log-json each line is one JSON object with the same fields (time, client, api, model, mode,
status, first_byte_ms, duration_ms, tokens_in, tokens_out, error). Nothing a client or an
upstream sent is copied in unmasked: every upstream secret atomic used is masked by its exact
value, and anything shaped like a credential by its shape.
"""
import threading
import time


class Entry:
    """What one request's log line says; the handler fills it in as the request goes."""
    __slots__ = ("started", "token", "api", "model", "mode", "status", "first_byte", "tokens_in", "tokens_out",
                 "error")

    def __init__(self, api="-"):
        self.started = time.monotonic()
        self.api, self.token, self.model, self.mode = api, "-", "-", "-"
        self.status = 0
        self.first_byte = None          # monotonic time of the first answer byte sent
        self.tokens_in = self.tokens_out = None
        self.error = None

    def mark_first_byte(self):
        if self.first_byte is None:
            self.first_byte = time.monotonic()


class Log:
    """Writes entries to a stream, one line each, masking every secret it has been told of."""

    def __init__(self, stream, as_json=False, now=time.time):
        self.stream, self.as_json, self.now = stream, as_json, now
        self._secrets = ()  # longest first, sorted as each is added (not at every line)
        self._lock = threading.Lock()

    def secret(self, value):
        """A value no line may show (an upstream key or token atomic sent)."""
        if value and len(value) >= 4:
            with self._lock:
                if value not in self._secrets:
                    self._secrets = tuple(sorted(self._secrets + (value,), key=len, reverse=True))

    def secrets(self):
        """Every secret told of so far, longest first (a key that contains another is masked whole)."""
        return self._secrets

    def note(self, text):
        """A line that is no request's (a bug report), masked like the rest."""
        from .._core.mask import mask_text

        self._put(mask_text(text, self.secrets()))

    def write(self, entry):
        self._put(self.line(entry))

    def _put(self, line):
        with self._lock:
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # stderr closed: the answer matters more than its log line
                pass

    def line(self, entry):
        from .._core.mask import mask_text
        from .._core.text import printable

        done = time.monotonic()
        fields = self.fields(entry, done)
        if self.as_json:
            import json

            text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
        else:
            text = "%s %s %s %s %s %s first=%s %.2fs in=%s out=%s" % (
                fields["time"], fields["client"], fields["api"], fields["model"], fields["mode"], fields["status"],
                _ms(fields["first_byte_ms"]), fields["duration_ms"] / 1000.0, _count(fields["tokens_in"]),
                _count(fields["tokens_out"]))
            if fields["error"]:
                text += " error=" + " ".join(fields["error"].split())
            text = printable(text)  # a model name is the client's: no line breaks or escapes of its own
        return mask_text(text, self.secrets())

    def fields(self, entry, done):
        return {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.now())),
                "client": entry.token, "api": entry.api, "model": entry.model, "mode": entry.mode,
                "status": entry.status,
                "first_byte_ms": None if entry.first_byte is None else round((entry.first_byte - entry.started) * 1000),
                "duration_ms": round((done - entry.started) * 1000), "tokens_in": entry.tokens_in,
                "tokens_out": entry.tokens_out, "error": entry.error}


def _ms(value):
    return "-" if value is None else "%dms" % value


def _count(value):
    return "-" if value is None else value
