"""Asking people things: a line on a terminal, a hidden secret, a key from stdin or a file."""
from .._core.errors import LoginFailed, UsageError

MAX_KEY_BYTES = 16384


def read_secret(ctx, prompt):
    """A secret from a hidden prompt on a terminal, or from stdin otherwise; never from argv."""
    if ctx.stdin is None:  # started with stdin closed (`<&-`)
        raise UsageError("stdin is closed; pipe the key in: printf %s \"$KEY\" | atomic login PROVIDER")
    if interactive(ctx):
        import getpass
        value = getpass.getpass(prompt, stream=ctx.stderr)
    else:
        raw = ctx.stdin.buffer.read(MAX_KEY_BYTES + 1) if hasattr(ctx.stdin, "buffer") else ctx.stdin.read().encode()
        if len(raw) > MAX_KEY_BYTES:
            raise UsageError("stdin holds more than %d bytes; pipe in only the key" % MAX_KEY_BYTES)
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError("the key on stdin is not UTF-8 text")
    return check_key(value, "the key on stdin" if not interactive(ctx) else "the key")


def read_key_file(path):
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_KEY_BYTES + 1)
    except OSError as exc:
        raise UsageError("--api-key-file %s: %s" % (path, exc.strerror))
    if len(raw) > MAX_KEY_BYTES:
        raise UsageError("--api-key-file %s is larger than %d bytes; it should hold only the key" % (path, MAX_KEY_BYTES))
    return check_key(raw.decode("utf-8", "replace"), "--api-key-file %s" % path)


def check_key(value, where):
    lines = [line.strip() for line in value.strip().splitlines() if line.strip()]
    if not lines:
        raise UsageError("%s is empty; paste the key, or pipe it in: printf %%s \"$KEY\" | atomic login PROVIDER" % where)
    if len(lines) > 1:
        raise UsageError("%s has %d lines; give only the key, on one line" % (where, len(lines)))
    key = lines[0]
    from .._core.text import has_control_chars

    if has_control_chars(key):
        raise UsageError("%s contains control characters; give only the key" % where)
    return key


def interactive(ctx):
    try:
        return ctx.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def ask(ctx, question):
    ctx.stderr.write(question)
    ctx.stderr.flush()
    line = ctx.stdin.readline()
    if not line:
        raise LoginFailed("no answer (end of input)")
    return line.strip()
