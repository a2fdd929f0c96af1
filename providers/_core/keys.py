"""Key values: `!command`, `$NAME` / `${NAME}`, a bare upper-case variable name, or a literal."""
import os

from .errors import BadFile, CommandFailed, NotLoggedIn, Unsafe

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
            raise Unsafe("%s is a !command in a file other users can change; atomic will not run it: "
                         "run `chmod 600` on that file (and `chmod 700` on its folder)" % origin)
        return run_command(value[1:], ctx, origin)
    if is_variable_name(value):
        return _variable(value, ctx, origin, env)
    if "$" in value:
        import re
        return re.sub(_REFERENCE_PATTERN, lambda m: "$" if m.group(0) == "$$"
                      else _variable(m.group(1) or m.group(2), ctx, origin, env), value)
    return value


def resolve_key(value, ctx, origin, env=None, allow_commands=True):
    """resolve_value for a key: surrounding whitespace trimmed; whitespace inside, or a control
    character (which could end a header line and start another), makes it a bad entry."""
    key = resolve_value(value, ctx, origin, env, allow_commands).strip()
    problem = key_problem(key)
    if problem:
        error = CommandFailed if value.startswith("!") else BadFile
        raise error("%s: the key %s; store the key alone" % (origin, problem))
    return key


def key_problem(key):
    """Why key cannot be sent as a credential ("has whitespace inside it", ...), or None."""
    from .text import has_control_chars

    if has_control_chars(key, c1=True):
        return "holds a control character (a line break, NUL or escape), which would break the header line"
    if any(ch.isspace() for ch in key):
        return "has whitespace inside it"
    return None


def resolve_header_value(value, ctx, origin, allow_commands=True):
    """resolve_value for a header value: spaces are fine, a control character is a bad entry."""
    from .text import has_control_chars

    resolved = resolve_value(value, ctx, origin, allow_commands=allow_commands)
    if has_control_chars(resolved, c1=True):
        raise BadFile("%s holds a control character (a line break, NUL or escape), which would break the "
                      "header line; fix the value" % origin)
    return resolved


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
        raise NotLoggedIn("%s refers to the environment variable %s, which is not set; export %s, "
                          "or store the key itself with `atomic login`" % (origin, name, name))
    return value


def run_command(command, ctx, origin):
    """Run a key command with /bin/sh; its trimmed stdout is the key. Kept in ctx.command_results,
    so it runs once per process (a chat session forgets it when the key is refused)."""
    if command in ctx.command_results:
        return ctx.command_results[command]
    import signal
    import subprocess

    shown = _shown_command(command)
    timeout = ctx.seconds("ATOMIC_COMMAND_TIMEOUT", DEFAULT_COMMAND_TIMEOUT)
    try:
        proc = subprocess.Popen(["/bin/sh", "-c", command], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True, close_fds=True, env=dict(ctx.environ))
    except OSError as exc:
        raise CommandFailed("%s: could not start %s: %s" % (origin, shown, exc.strerror))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc, signal)
        raise CommandFailed("%s: %s did not finish within %g s and was stopped; make it faster or "
                            "set ATOMIC_COMMAND_TIMEOUT" % (origin, shown, timeout))
    except BaseException:  # Ctrl-C: take the whole group down with us
        _kill_group(proc, signal)
        raise
    value = _check_output(proc.returncode, out, err, origin, shown)
    ctx.command_results[command] = value
    return value


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
        from .mask import mask_text  # only failures need it; its patterns cost start-up time
        hint = ": " + mask_text(detail[0], secrets)[:200] if detail else ""
        raise CommandFailed("%s: %s failed (%s)%s" % (origin, shown, reason, hint))
    try:
        text = out.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise CommandFailed("%s: %s printed bytes that are not UTF-8; it must print only the key" % (origin, shown))
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise CommandFailed("%s: %s printed nothing; it must print the key on stdout" % (origin, shown))
    if len(lines) > 1:
        raise CommandFailed("%s: %s printed %d lines; it must print only the key, on one line"
                            % (origin, shown, len(lines)))
    from .text import has_control_chars

    if has_control_chars(text):
        raise CommandFailed("%s: %s printed control characters; it must print only the key" % (origin, shown))
    return text


def _shown_command(command):
    from .mask import mask_text
    short = command if len(command) <= 60 else command[:57] + "..."
    return "the command `%s`" % mask_text(short)
