"""Key values: `!command`, `$NAME` / `${NAME}`, a bare upper-case variable name, or a literal."""
import os

from .._core import errors
from .._core.keyform import key_problem

# `re` is imported only for values that contain "$": importing it is a large share of the
# start-up time of `atomic key`.
_REFERENCE_PATTERN = r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))"
DEFAULT_COMMAND_TIMEOUT = 10.0


def resolve_value(value, ctx, origin, env=None, allow_commands=True):
    """The secret a stored value stands for; `origin` names where it came from, for messages.

    `env` holds provider-scoped settings (an auth.json entry's "env"), consulted before the
    process environment.
    """
    if value.startswith("!"):
        if not allow_commands:
            raise errors.Unsafe("%s is a !command in a file other users can change; atomic will not run it: "
                         "run `chmod 600` on that file (and `chmod 700` on its folder)" % origin)
        return run_command(value[1:], ctx, origin)
    if is_variable_name(value):
        return _variable(value, ctx, origin, env)
    if "$" in value:
        import re
        return re.sub(_REFERENCE_PATTERN, lambda m: "$" if m.group(0) == "$$"
                      else _variable(m.group(1) or m.group(2), ctx, origin, env), value)
    return value


def needs_resolving(value):
    """Whether resolve_value may change a stored value: a !command, a $ (a reference, or $$), or
    a bare upper-case NAME. Anything else is used as it is written."""
    return value.startswith("!") or "$" in value or is_variable_name(value)


def variables_read(value):
    """The environment variables a value reads when resolved: a bare NAME, or each $NAME / ${NAME}."""
    if value.startswith("!"):
        return []
    if is_variable_name(value):
        return [value]
    if "$" not in value:
        return []
    import re
    return [m.group(1) or m.group(2) for m in re.finditer(_REFERENCE_PATTERN, value) if m.group(0) != "$$"]


def resolve_key(value, ctx, origin, env=None, allow_commands=True):
    """resolve_value for a key: surrounding whitespace trimmed; whitespace inside, or a control
    character (which could end a header line and start another), makes it a bad entry."""
    key = resolve_value(value, ctx, origin, env, allow_commands).strip()
    problem = key_problem(key)
    if problem:
        error = errors.CommandFailed if value.startswith("!") else errors.BadFile
        raise error("%s: the key %s; store the key alone" % (origin, problem))
    return key


def resolve_header_value(value, ctx, origin, allow_commands=True):
    """resolve_value for a header value: spaces are fine, a control character is a bad entry."""
    from .._core.text import has_control_chars

    resolved = resolve_value(value, ctx, origin, allow_commands=allow_commands)
    if has_control_chars(resolved, c1=True):
        raise errors.BadFile("%s holds a control character (a line break, NUL or escape), which would break the "
                      "header line; fix the value" % origin)
    odd = next((ch for ch in resolved if ord(ch) > 255), None)
    if odd is not None:  # header values travel as ISO-8859-1
        raise errors.BadFile("%s holds the character U+%04X, which a header cannot carry; fix the value" % (origin, ord(odd)))
    return resolved


def is_reference(value):
    """Whether a stored value stands for a key kept elsewhere: a !command, or a whole $NAME,
    ${NAME} or upper-case NAME (a key to check must be resolved first, not sent as it is)."""
    return value.startswith("!") or variable_named(value) is not None


def variable_named(value):
    """The environment variable a whole value stands for ($NAME, ${NAME} or an upper-case NAME),
    or None when it stands for no variable."""
    name = value[2:-1] if value.startswith("${") and value.endswith("}") else value[1:] if value.startswith("$") else value
    return name if is_variable_name(name) or (name is not value and name.isidentifier()) else None


_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_REST = _NAME_START | frozenset("0123456789")


def is_variable_name(value):
    """Whether value is exactly an upper-case environment variable name ([A-Z_][A-Z0-9_]*)."""
    return bool(value) and value[0] in _NAME_START and all(ch in _NAME_REST for ch in value)


def _variable(name, ctx, origin, env):
    # Blank counts as unset, and surrounding whitespace is never part of a key (as for the
    # provider's own variables).
    value = ((env or {}).get(name) or "").strip() or (ctx.env(name) or "").strip()
    if not value:
        raise errors.NotLoggedIn("%s refers to the environment variable %s, which is not set; export %s, "
                          "or store the key itself with `atomic login`" % (origin, name, name))
    return value


def run_command(command, ctx, origin):
    """Run a key command with /bin/sh; its trimmed stdout is the key. Kept in ctx.command_results,
    so it runs once per process, however many threads ask at once (a chat session forgets it
    when the key is refused)."""
    return ctx.command_results.once(command, lambda: _run_command(command, ctx, origin))


def _run_command(command, ctx, origin):
    import signal
    import subprocess

    shown = _shown_command(command)
    timeout = ctx.seconds("ATOMIC_COMMAND_TIMEOUT", DEFAULT_COMMAND_TIMEOUT)
    try:
        proc = subprocess.Popen(["/bin/sh", "-c", command], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True, close_fds=True, env=dict(ctx.environ))
    except OSError as exc:
        raise errors.CommandFailed("%s: could not start %s: %s" % (origin, shown, exc.strerror))
    try:
        out, err = _collect(proc, timeout, subprocess)
    except subprocess.TimeoutExpired:
        _kill_group(proc, signal)
        raise errors.CommandFailed("%s: %s did not finish within %g s and was stopped; make it faster or "
                            "set ATOMIC_COMMAND_TIMEOUT" % (origin, shown, timeout))
    except _TooMuch:
        _kill_group(proc, signal)
        raise errors.CommandFailed("%s: %s printed more than %d KiB and was stopped; it must print only the key"
                            % (origin, shown, MAX_OUTPUT // 1024))
    except BaseException:  # Ctrl-C: take the whole group down with us
        _kill_group(proc, signal)
        raise
    return _check_output(proc.returncode, out, err, origin, shown)


MAX_OUTPUT = 64 * 1024  # bytes of stdout; a key is far shorter, and `yes` must not fill the memory


class _TooMuch(Exception):
    pass


def _collect(proc, timeout, subprocess):
    """(stdout, stderr) as communicate(timeout) gives them, but _TooMuch once stdout passes
    MAX_OUTPUT; stderr beyond that is read and dropped, so the command is never blocked on it."""
    if os.name != "posix":
        return proc.communicate(timeout=timeout)
    import selectors
    import time

    deadline = time.monotonic() + timeout
    chunks = {proc.stdout: bytearray(), proc.stderr: bytearray()}
    with selectors.DefaultSelector() as selector:
        for stream in chunks:
            selector.register(stream, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(proc.args, timeout)
            for key, _events in selector.select(left):
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                kept = chunks[key.fileobj]
                kept += data[:MAX_OUTPUT + 1 - len(kept)]
                if key.fileobj is proc.stdout and len(kept) > MAX_OUTPUT:
                    raise _TooMuch()
    try:
        proc.wait(max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise subprocess.TimeoutExpired(proc.args, timeout)
    return bytes(chunks[proc.stdout]), bytes(chunks[proc.stderr])


def _kill_group(proc, signal):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    for stream in (proc.stdout, proc.stderr):
        stream.close()  # a grandchild that escaped the group may still hold the pipe
    proc.wait()


def _check_output(status, out, err, origin, shown):
    secrets = out.decode("utf-8", "replace").split()
    if status != 0:
        if status == 127:
            reason = "command not found (exit status 127)"
        elif status < 0:
            reason = "killed by signal %d" % -status
        else:
            reason = "exit status %d" % status
        detail = err.decode("utf-8", "replace").strip().splitlines()
        from .._core.mask import mask_text  # only failures need it; its patterns cost start-up time
        hint = ": " + mask_text(detail[0], secrets)[:200] if detail else ""
        raise errors.CommandFailed("%s: %s failed (%s)%s" % (origin, shown, reason, hint))
    try:
        text = out.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise errors.CommandFailed("%s: %s printed bytes that are not UTF-8; it must print only the key" % (origin, shown))
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise errors.CommandFailed("%s: %s printed nothing; it must print the key on stdout" % (origin, shown))
    if len(lines) > 1:
        raise errors.CommandFailed("%s: %s printed %d lines; it must print only the key, on one line"
                            % (origin, shown, len(lines)))
    from .._core.text import has_control_chars

    if has_control_chars(text):
        raise errors.CommandFailed("%s: %s printed control characters; it must print only the key" % (origin, shown))
    return text


def _shown_command(command):
    from .._core.mask import mask_text
    short = command if len(command) <= 60 else command[:57] + "..."
    return "the command `%s`" % mask_text(short)
