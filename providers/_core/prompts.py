"""Asking people things: a line on a terminal, a hidden secret, a key from stdin or a file."""
from .errors import LoginFailed, UsageError
from .text import has_control_chars

MAX_KEY_BYTES = 16384


def read_secret(ctx, prompt, optional=False, pipe="atomic login PROVIDER"):
    """A secret from a hidden prompt on a terminal, or from stdin otherwise; never from argv.
    optional: None when nothing is given (an empty line, or no input), instead of an error;
    pipe: the command the errors suggest piping the key into."""
    if ctx.stdin is None:  # started with stdin closed (`<&-`)
        raise UsageError("stdin is closed; pipe the key in: printf %%s \"$KEY\" | %s" % pipe)
    if interactive(ctx):
        while True:  # an empty answer or a bad paste is said, and asked again, as the menu does
            value = _hidden(ctx, prompt)
            if optional and not value.strip():
                return None
            try:
                return check_key(value, "the key", pipe)
            except UsageError as exc:
                ctx.say("%s; paste it again, or press Ctrl-C to stop." % exc.message.split("; paste")[0])
    else:
        raw = ctx.stdin.buffer.read(MAX_KEY_BYTES + 1) if hasattr(ctx.stdin, "buffer") else ctx.stdin.read().encode()
        if len(raw) > MAX_KEY_BYTES:
            raise UsageError("stdin holds more than %d bytes; pipe in only the key" % MAX_KEY_BYTES)
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError("the key on stdin is not UTF-8 text")
    if optional and not value.strip():
        return None
    return check_key(value, "the key on stdin", pipe)


def _hidden(ctx, prompt):
    """One answer typed at a hidden prompt; Ctrl-D is LoginFailed, and Ctrl-C ends the line first."""
    import getpass
    try:
        return getpass.getpass(prompt, stream=ctx.stderr)
    except EOFError:  # Ctrl-D: as at the menu, not an internal error
        ctx.stderr.write("\n")
        raise LoginFailed("no answer (end of input)")
    except KeyboardInterrupt:  # "interrupted" goes on a line of its own, not after the prompt
        ctx.stderr.write("\n")
        raise


def read_key_file(path):
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_KEY_BYTES + 1)
    except OSError as exc:
        raise UsageError("--api-key-file %s: %s" % (path, exc.strerror))
    if len(raw) > MAX_KEY_BYTES:
        raise UsageError("--api-key-file %s is larger than %d bytes; it should hold only the key" % (path, MAX_KEY_BYTES))
    return check_key(raw.decode("utf-8", "replace"), "--api-key-file %s" % path)


def check_key(value, where, pipe="atomic login PROVIDER"):
    """The key in what was pasted or read: surrounding whitespace and quotes trimmed; a value
    that holds more than a key (`Bearer `, `export NAME=`, a header line, spaces) refused with
    the fix, without echoing it."""
    lines = [line.strip() for line in value.strip().splitlines() if line.strip()]
    if not lines:
        raise UsageError("%s is empty; paste the key, or pipe it in: printf %%s \"$KEY\" | %s" % (where, pipe))
    if len(lines) > 1:
        raise UsageError("%s has %d lines; give only the key, on one line" % (where, len(lines)))
    key = _unquoted(lines[0])
    if key.startswith("!"):
        if has_control_chars(key):
            raise UsageError("%s contains control characters; give only the key" % where)
        return key  # a command: spaces and all
    problem = _extra_text(key)
    if problem:
        raise UsageError("%s %s" % (where, problem))
    from .keyform import key_problem

    problem = key_problem(key)  # what every later read would refuse (a character beyond ASCII)
    if problem:
        raise UsageError("%s: the key %s; paste it again" % (where, problem))
    return key


def _unquoted(text):
    """text without one pair of surrounding quotes (as copied from a shell line or a .env file)."""
    for quote in "\"'`":
        if len(text) >= 2 and text[0] == quote and text[-1] == quote:
            return text[1:-1].strip()
    return text


def _extra_text(key):
    """What, besides the key, a pasted value holds (and how to fix it), or None."""
    import re

    if re.match(r"(?i)bearer\s", key):
        return "starts with the word Bearer; give only the key, without it (atomic adds it where needed)"
    if re.match(r"(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*=[^=\s]", key) and (  # not base64's == padding
            key.startswith("export") or re.match(r"[A-Z_][A-Z0-9_]*=", key)):
        return "looks like a shell assignment (NAME=…); give only the value after the ="
    if re.match(r"[A-Za-z][A-Za-z0-9-]*:\s", key):
        return "looks like a header line (Name: value); give only the key"
    if has_control_chars(key):
        return "contains control characters; give only the key"
    if any(ch.isspace() for ch in key):
        return "has a space inside; give only the key, which has none"
    return None


def interactive(ctx):
    try:
        return ctx.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def ask(ctx, question):
    """One line typed in answer to question (stripped); Ctrl-D is LoginFailed, exit 10."""
    ctx.stderr.write(question)
    ctx.stderr.flush()
    try:
        line = ctx.stdin.readline()
    except KeyboardInterrupt:  # "interrupted" goes on a line of its own, not after the question
        ctx.stderr.write("\n")
        raise
    if not line:
        if interactive(ctx):
            ctx.stderr.write("\n")  # the error goes on a line of its own, not after the question
        raise LoginFailed("no answer (end of input)")
    return line.strip()


def confirm(ctx, question):
    """A yes/no question on the terminal; no is the default, anything else is asked again."""
    while True:
        answer = ask(ctx, question + " [y/N] ").lower()
        if answer in ("y", "yes"):
            return True
        if answer in ("", "n", "no"):
            return False
        ctx.say("Answer y or n.")
