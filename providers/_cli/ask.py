"""`atomic ask`: one question, the answer streamed to stdout, a summary on stderr."""
import sys

from .._core.errors import UsageError

MAX_PROMPT_BYTES = 8 << 20


def ask(args, ctx):
    from .._client import fast
    from .._client.answer import Answer
    from .._client.attach import question
    from .._client.exchange import StreamCut, new_session_id, send
    from .._client.route import route
    from .._wire import ir
    from .._wire.common import ProviderError
    from .output import print_json
    from .render import Printer, is_fast, record, summary

    prompt = read_prompt(args.prompt, ctx)
    target = route(ctx, args.model)
    asked_fast = fast.applies(ctx, target.model, "workflow" if args.workflow else "chat")
    options = ir.Options(max_tokens=answer_cap(args.max_tokens, ctx))
    request = ir.Request(args.system, [question(prompt, args.attach or ())], options=options, fast=asked_fast,
                         session_id=new_session_id())
    printer = None if args.json else Printer(sys.stdout, show_thinking=args.show_thinking)
    waiting = Waiting(ctx, target.label)
    # Printed as it comes, an answer is not kept: a long one would otherwise stay in memory whole.
    answer = Answer(on_text=waiting.then(printer.text if printer else None),
                    on_reasoning=waiting.then(printer.reasoning if printer else None), keep=printer is None,
                    on_flush=printer.flush if printer else None)
    waiting.start()
    try:
        send(ctx, target, request, answer)
    except (StreamCut, ProviderError) as exc:
        waiting.stop()
        if not printer and (answer.text_parts or answer.reasoning_parts or answer.tool_calls
                            or isinstance(exc, StreamCut)):
            # What arrived, for a script, with the reason it stopped.
            print_json(record(target.provider, target.model, answer, asked_fast, error=exc.message))
        raise
    finally:
        waiting.stop()
        if printer:
            printer.finish()
    shown_fast = is_fast(answer, asked_fast, target.api)
    if args.json:
        print_json(record(target.provider, target.model, answer, shown_fast))
    ctx.say(summary(target.provider, target.model, answer, shown_fast))
    return 0


def answer_cap(given, ctx):
    """The most tokens an answer may take: `given` (--max-tokens), else settings.json maxTokens,
    else None (the model's own limit, as the wire module sends it)."""
    if given is not None:
        return given
    from .._config.settings import read_settings, setting_files
    from .._core.errors import BadFile

    value = read_settings(ctx).get("maxTokens")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        path = next((path for path, data in setting_files(ctx) if "maxTokens" in data), "settings.json")
        raise BadFile("%s: maxTokens: expected a whole number of tokens above 0, found %r; fix it, or remove it to "
                      "let each model use its own limit" % (path, value))
    return value


def read_prompt(words, ctx):
    """The prompt: the words on the command line, followed by what is piped in (`git diff | atomic
    ask "review this"`); stdin alone for `-`, or when no words are given and stdin is no terminal."""
    from .._core.prompts import interactive

    if words and words != ["-"]:
        # Bytes of argv that are not UTF-8 became lone surrogates, which no JSON body may carry:
        # shown as U+FFFD, as undecodable stdin is.
        text = " ".join(words).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        piped = _read_stdin(ctx) if _piped(ctx) else ""
        if piped.strip():
            text += "\n\n" + piped
    elif words == ["-"] or not interactive(ctx):
        if ctx.stdin is None:
            raise UsageError("stdin is closed; give the prompt as an argument: atomic ask \"...\"")
        text = _read_stdin(ctx)
    else:
        raise UsageError("give a prompt: atomic ask \"your question\", or pipe one in (atomic ask - < file); "
                         "`atomic` alone starts a conversation")
    if not text.strip():
        raise UsageError("the prompt is empty; give a question as an argument or on stdin")
    return text


def _piped(ctx):
    """Whether stdin is a pipe or a file: something sent on purpose. A terminal, /dev/null or a
    closed stdin (cron, a service) is not read, so giving the words alone never waits."""
    import os
    import stat

    try:
        mode = os.fstat(ctx.stdin.fileno()).st_mode
    except (AttributeError, ValueError, OSError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


def _read_stdin(ctx):
    stream = getattr(ctx.stdin, "buffer", None)
    raw = stream.read(MAX_PROMPT_BYTES + 1) if stream is not None else ctx.stdin.read().encode("utf-8")
    if len(raw) > MAX_PROMPT_BYTES:
        raise UsageError("the prompt on stdin is over %d MiB; send less" % (MAX_PROMPT_BYTES >> 20))
    return raw.decode("utf-8", "replace")


class Waiting:
    """On a terminal, `waiting for MODEL (3s)` on stderr from the first second until the first
    token arrives (a slow model, a long prompt), then gone; nothing when stderr is piped."""

    def __init__(self, ctx, label):
        import threading

        from .._core.progress import StatusLine

        self.line, self.label = StatusLine(ctx), label
        self.done, self.lock = threading.Event(), threading.Lock()

    def start(self):
        import threading

        if self.line.live:
            threading.Thread(target=self._run, name="atomic-waiting", daemon=True).start()

    def _run(self):
        import time

        started = time.monotonic()
        while not self.done.wait(1.0):
            with self.lock:
                if not self.done.is_set():
                    self.line.show("waiting for %s (%ds)" % (self.label, time.monotonic() - started))

    def stop(self):
        if not self.done.is_set():
            with self.lock:
                self.done.set()
                self.line.clear()

    def then(self, sink):
        """sink, called once the line is gone (it shares the terminal with the answer)."""
        def shown(delta):
            self.stop()
            if sink is not None:
                sink(delta)
        return shown
