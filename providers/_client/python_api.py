"""atomic for Python scripts: a working credential for a provider, and a prompt sent to a model,
on the same pipeline as `atomic key` and `atomic ask` (the same logins, refreshes, retries and
errors). Scripts use it as `import atomic` (atomic.key, atomic.ask, ...); nothing here is needed
to run the command line.

    import atomic

    key = atomic.key("openai")                  # a working key or token (refreshed when due)
    lines = atomic.headers("anthropic")         # {name: value}: what `atomic key --header` prints
    reply = atomic.ask("openai/gpt-4o", "Say hi", on_text=print)
    chunks = atomic.stream("anthropic/claude-sonnet-4-6", "Count to 3")
    for text in chunks:                         # the text as it arrives
        ...
    chunks.reply.usage                          # after the last chunk

Every failure is an atomic.AtomicError (its .message is one line, its .exit_code the command
line's). Threads may share the module: each call has its own snapshot of the files, a token
that is due is refreshed once (one thread refreshes, the others wait for it, and a concurrent
`atomic key` in another process as well), and a !command key runs once.
"""
import threading

from .._core.errors import AtomicError  # noqa: F401  (atomic.AtomicError: what every failure is)

_base = []      # the one Context the calls of this process fork from, made on first use
_made = threading.Lock()


class Login:
    """A credential as a request uses it. key: the key or token (None for one that signs each
    request instead, such as AWS's); headers: {name: value} a request carries (the key in the
    header its API uses, the API's and models.json's headers); base_url: where requests go;
    source: where it was found (auth.json, env OPENAI_API_KEY, ...); expires: epoch ms, or None."""
    __slots__ = ("provider", "key", "headers", "base_url", "source", "expires")

    def __init__(self, provider, key, headers, base_url, source, expires):
        self.provider, self.key, self.headers, self.base_url = provider, key, headers, base_url
        self.source, self.expires = source, expires

    def __repr__(self):
        return "Login(%r, source=%r)" % (self.provider, self.source)


class Reply:
    """A model's answer. text, reasoning: as they came; tool_calls: [{"id", "name", "arguments"}];
    usage: tokens {input, output, cacheRead, cacheWrite, reasoning} (input without cached ones);
    cost: USD {input, output, cacheRead, cacheWrite, total} at the catalogue's prices;
    stop_reason: stop, length, toolUse, refused or error; provider, model: who answered."""
    __slots__ = ("provider", "model", "text", "reasoning", "tool_calls", "usage", "cost", "stop_reason")

    def __init__(self, route, answer):
        from .._models.pricing import cost

        self.provider, self.model = route.provider.id, route.model["id"]
        self.text, self.reasoning = answer.full_text, answer.full_reasoning
        self.tool_calls = answer.calls()
        self.usage, self.stop_reason = dict(answer.usage), answer.stop_reason
        self.cost = cost(route.model, answer.usage, False)

    def __repr__(self):
        return "Reply(%s/%s, %r)" % (self.provider, self.model, self.text[:40])


def credential(provider):
    """The Login for a provider (an id or alias), as `atomic key PROVIDER --json` finds it: the
    first source of the resolution order, an OAuth token refreshed when due."""
    from .. import find
    from .authorize import base_url, credential_headers
    from .credentials import credential_for

    ctx = _context()
    row = find(provider, ctx)
    found = credential_for(row, ctx, keyless=False, warn=False)
    return Login(row.id, found.value, dict(credential_headers(row, found, ctx)), base_url(row, ctx, found),
                 found.source, found.expires_at)


def key(provider):
    """A working key or token for a provider; AtomicError when there is none (or none as text)."""
    found = credential(provider)
    if found.key is None:
        from .._core.errors import NotLoggedIn

        raise NotLoggedIn("the %s credential (%s) signs each request and has no key to hand out; use "
                          "atomic.ask, or the provider's own SDK" % (found.provider, found.source))
    return found.key


def headers(provider):
    """{name: value}: the header lines a request to the provider carries."""
    return credential(provider).headers


def ask(target, prompt, system=None, attach=(), max_tokens=None, on_text=None, on_reasoning=None):
    """Send a prompt to a model and return its Reply. target: "provider/model", a provider (its
    everyday model), a model id, or None (settings.json's default, else the first provider with
    a credential). attach: paths of images or text files. on_text(chunk) / on_reasoning(chunk):
    called with each piece as it arrives."""
    from .answer import Answer
    from .exchange import send

    ctx = _context()
    route, request = _request(ctx, target, prompt, system, attach, max_tokens)
    answer = Answer(on_text=on_text, on_reasoning=on_reasoning)
    send(ctx, route, request, answer)
    return Reply(route, answer)


def stream(target, prompt, system=None, attach=(), max_tokens=None):
    """ask() as an iterator of text chunks; its .reply is the Reply once the last chunk is read.
    Leaving the loop early stops the answer."""
    return Stream(target, prompt, system, attach, max_tokens)


class Stream:
    """The text of an answer, chunk by chunk, as it arrives (read in a thread of its own)."""

    def __init__(self, target, prompt, system, attach, max_tokens):
        import queue

        self.reply = None
        self._queue = queue.Queue(maxsize=256)
        self._stopped = threading.Event()
        args = (target, prompt, system, attach, max_tokens)
        self._thread = threading.Thread(target=self._run, args=args, name="atomic-stream", daemon=True)
        self._thread.start()

    def _run(self, *args):
        try:
            self._put("reply", ask(*args, on_text=lambda chunk: self._put("text", chunk)))
        except _Stopped:
            pass
        except BaseException as exc:  # raised again in the reader's thread, where the caller sees it
            self._put("error", exc)

    def _put(self, kind, value):
        """Hand a piece to the reader; _Stopped once the reader has left (the answer then ends)."""
        import queue

        while not self._stopped.is_set():
            try:
                return self._queue.put((kind, value), timeout=0.1)
            except queue.Full:
                continue
        raise _Stopped()

    def __iter__(self):
        try:
            while True:
                kind, value = self._queue.get()
                if kind == "text":
                    yield value
                elif kind == "reply":
                    self.reply = value
                    return
                else:
                    raise value
        finally:
            self.close()

    def close(self):
        """Stop the answer, if it is still arriving: the connection closes at its next chunk."""
        self._stopped.set()


class _Stopped(BaseException):
    """Raised inside the answer's callback to end it when the reader left the loop."""


def _request(ctx, target, prompt, system, attach, max_tokens):
    from .attach import question
    from .exchange import new_session_id
    from .route import route
    from .._wire import ir

    chosen = route(ctx, target)
    return chosen, ir.Request(system, [question(prompt, attach)], options=ir.Options(max_tokens=max_tokens),
                              session_id=new_session_id())


def _context():
    """A fork of the process's Context: the environment as it is now, and the files read afresh."""
    with _made:
        if not _base:
            from .._core.context import Context

            _base.append(Context())
    return _base[0].fork()
