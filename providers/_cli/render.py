"""How an answer is shown: text on stdout as it arrives, reasoning dimmed on a terminal (left out
when piped unless asked for), and a one-line summary on stderr; or one JSON object with --json."""
import sys
import time

from .._models.pricing import cost

FLUSH_EVERY = 0.02  # seconds: what arrives in a burst reaches the terminal at least this often
DIM, RESET = "\x1b[2m", "\x1b[0m"


class Printer:
    """The Answer's sinks for one answer: writes each delta at once, and flushes the first at once,
    then whenever the answer stops arriving for now (flush(), the Answer's on_flush), at least every
    FLUSH_EVERY seconds, and at its end: a burst of deltas that came together is a few writes to
    the terminal, not one each (most of a fast stream's cost was those writes)."""

    def __init__(self, out=None, show_thinking=False, tty=None):
        self.out = out or sys.stdout
        self.tty = self.out.isatty() if tty is None else tty
        self.show_reasoning = self.tty or show_thinking
        self._mode = None  # what was written last: "reasoning" or "text"
        self.wrote_any = self._unflushed = False
        self._flushed_at = float("-inf")
        self.ends_with_newline = True

    def text(self, delta):
        delta = self._shown(delta)
        if self._mode == "reasoning":
            self._write((RESET if self.tty else "") + "\n\n")
        self._mode = "text"
        self._write(delta)

    def reasoning(self, delta):
        if not self.show_reasoning:
            return
        delta = self._shown(delta)
        if self._mode != "reasoning":
            self._write(DIM if self.tty else "")
        self._mode = "reasoning"
        self._write(delta)

    def finish(self):
        """End the answer on a line of its own (and leave dim mode on a terminal)."""
        if self._mode == "reasoning" and self.tty:
            self._write(RESET)
        if self.wrote_any and not self.ends_with_newline:
            self._write("\n")
        self._mode = None
        self.flush()

    def _shown(self, delta):
        # A model's text may hold escape sequences (a window title, the clipboard: OSC 52): on a
        # terminal they are shown as `?`, not obeyed. Piped, the text goes on as it came.
        if not self.tty:
            return delta
        from providers._core.text import printable
        return printable(delta.replace("\t", "    "), lines=True)

    def flush(self):
        if self._unflushed:
            self._unflushed = False
            self._flushed_at = time.monotonic()
            self.out.flush()

    def _write(self, text):
        if text:
            self.out.write(text)
            self._unflushed = self.wrote_any = True
            self.ends_with_newline = text.endswith("\n")
            if time.monotonic() - self._flushed_at >= FLUSH_EVERY:
                self.flush()


def is_fast(answer, asked, api):
    """Whether the answer came from the priority tier (OpenAI now calls it "fast"). The Codex
    backend may echo "default" for a priority request; the request is trusted there, as the
    reference does, and wherever the answer names no tier."""
    tier = answer.service_tier
    if tier in ("priority", "fast"):
        return True
    return asked and (tier is None or (tier == "default" and api == "openai-codex-responses"))


def summary(provider, model, answer, fast):
    """The one line for stderr: model, tokens, cost, time to first token (and fast, stop)."""
    usage = answer.usage
    tokens_in = usage["input"] + usage["cacheRead"] + usage["cacheWrite"]
    parts = ["%s/%s" % (provider.id, model["id"]) + (" fast" if fast else ""),
             "%d in / %d out tokens" % (tokens_in, usage["output"])]
    if usage["cacheRead"]:
        parts[-1] += " (%d cached)" % usage["cacheRead"]
    parts.append("$%s" % _money(cost(model, usage, fast)["total"]))
    if answer.time_to_first_token is not None:
        parts.append("first token %.2f s" % answer.time_to_first_token)
    if answer.stop_reason not in (None, "stop"):  # the word --json gives, and why where the server says
        why = ("the output token limit" if answer.stop_reason == "length"
               else answer.raw_stop if answer.raw_stop and answer.raw_stop != answer.stop_reason else None)
        parts.append("stopped: %s%s" % (answer.stop_reason, " (%s)" % why if why else ""))
    return "  ".join(parts)


def _money(value):
    if value == 0:
        return "0"
    return ("%.6f" % value).rstrip("0").rstrip(".") if value < 1 else "%.2f" % value


def record(provider, model, answer, fast, error=None):
    """The --json object for an answer (error: the message when it was cut off): its text,
    reasoning, tool calls (id, name, arguments as the JSON text sent), usage and cost."""
    usage = dict(answer.usage)
    usage["total"] = usage["input"] + usage["cacheRead"] + usage["cacheWrite"] + usage["output"]
    doc = {
        "provider": provider.id,
        "model": model["id"],
        "text": answer.full_text,
        "reasoning": answer.full_reasoning,
        "toolCalls": answer.calls(),
        "usage": usage,
        "cost": cost(model, answer.usage, fast),
        "stopReason": answer.stop_reason,
        "rawStopReason": answer.raw_stop,
        "serviceTier": answer.service_tier,
        "fast": fast,
        "timeToFirstToken": answer.time_to_first_token,
    }
    if error is not None:
        doc["error"] = error
    return doc
