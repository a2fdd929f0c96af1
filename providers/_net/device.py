"""The device-authorization grant's waiting part (RFC 8628 §3.4-3.5), shared by every device login.

The provider module talks to its own endpoints; this module only decides when to ask again and
when to give up: never faster than the server's interval (nor more than a minute apart), slower
after each slow_down, and not after the device code has expired or ATOMIC_LOGIN_TIMEOUT (1 h unless
set) has passed. A server's times that are not numbers of seconds end the login with one line.
"""
import time

from .._core.context import setting_name
from .._core.errors import LoginFailed
from .._core.progress import StatusLine, countdown
from .._core.text import has_control_chars, printable

DEFAULT_INTERVAL = 5      # seconds, when the server names none (RFC 8628 §3.2)
SLOW_DOWN_STEP = 5        # seconds added by each slow_down (RFC 8628 §3.5)
DEFAULT_EXPIRES = 900     # seconds the user has to enter the code, when the server names none
MIN_INTERVAL = 1          # never hammer a server that answers "interval": 0
MAX_INTERVAL = 60         # a longer wait between polls would only make the person wait
MAX_LIFETIME = 3600       # the longest atomic waits for a code, unless ATOMIC_LOGIN_TIMEOUT says


def poll(attempt, interval, expires_in, ctx):
    """Call attempt() until it returns ("ok", value); return value.

    attempt() returns ("ok", value) | ("pending", None) | ("slow_down", new_interval_or_None);
    terminal failures raise LoginFailed (exit 10) from inside attempt().
    Waits `interval` seconds before each poll (1 to 60 s; 5 s when the server names none),
    slow_down uses the server's new interval if given else +5 s (RFC 8628 §3.5); gives up after
    expires_in seconds (default 900), or ATOMIC_LOGIN_TIMEOUT (default 1 h) when that is sooner,
    with LoginFailed naming the timeout (and clock drift in a VM/WSL if any slow_down was seen).
    A time that is not a number of seconds is LoginFailed. Ctrl-C propagates.
    """
    wait = _seconds(interval, DEFAULT_INTERVAL, "interval", MAX_INTERVAL)
    limit = ctx.seconds("ATOMIC_LOGIN_TIMEOUT", MAX_LIFETIME)
    lifetime = _seconds(expires_in, DEFAULT_EXPIRES, "expires_in", limit)
    ours = setting_name(ctx.environ, "ATOMIC_LOGIN_TIMEOUT") if lifetime >= limit else None
    # A monotonic clock: a wall clock stepped by NTP must not end (or stretch) the wait.
    deadline = time.monotonic() + lifetime
    slowed = 0
    line = StatusLine(ctx)  # a countdown on a terminal; nothing when stderr is piped
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            line.clear()
            raise LoginFailed(_timeout_message(lifetime, slowed, ours))
        _wait(min(wait, remaining), deadline, line)  # KeyboardInterrupt from here reaches the one catcher
        line.clear()  # attempt() may warn, on a line of its own
        status, value = attempt()
        if status == "ok":
            return value
        if status == "slow_down":
            slowed += 1
            # The server's new interval if it gave one (GitHub does), else the RFC's +5 s; and
            # never faster than we were already going.
            given = _seconds(value, None, "interval", MAX_INTERVAL)
            wait = min(max(wait + SLOW_DOWN_STEP if given is None else given, wait), MAX_INTERVAL)
        elif status != "pending":
            raise ValueError("attempt() returned %r" % (status,))


def _wait(seconds, deadline, line):
    """Sleep, redrawing the time left on the code once a second when there is a terminal."""
    if not line.live:
        time.sleep(seconds)
        return
    until = time.monotonic() + seconds
    while True:
        now = time.monotonic()
        if now >= until:
            return
        line.show("  %s left to enter the code" % countdown(deadline - now))
        time.sleep(min(until - now, (deadline - now) % 1 or 1))  # wake when the second shown changes


def show_code(ctx, verification_uri, user_code, service):
    """Tell the person where to go and what to type (stderr), after checking the server's answer."""
    # A hostile server could send terminal escape sequences (C0, DEL, C1): show only plain text.
    uri = str(verification_uri or "").strip()
    if not uri.lower().startswith(("https://", "http://")) or has_control_chars(uri, c1=True):
        raise LoginFailed("%s sent a verification address that is not an http(s) URL; not showing it"
                          % service)
    code = str(user_code or "").strip()
    if not code or has_control_chars(code, c1=True):
        raise LoginFailed("%s sent no usable user code; try again" % service)
    ctx.say("To sign in to %s, open %s in a browser and enter the code: %s" % (service, uri, code))
    ctx.say("Waiting for you to approve the sign-in (Ctrl-C to cancel)...")


def _seconds(value, default, field, longest):
    """A number of seconds from a server field (int, float or numeric string) between
    MIN_INTERVAL and `longest`; `default` when the field is absent; LoginFailed when it is there
    and not a number of seconds (text, negative, NaN, true)."""
    if value is None or value == "":
        return default
    try:
        number = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        number = float("nan")
    if number != number or number < 0:  # NaN (and what is not a number), or negative
        raise LoginFailed("the sign-in server sent %s %s, which is not a number of seconds; try again later, "
                          "and if it persists the server is at fault" % (field, _shown(value)))
    return min(max(number, MIN_INTERVAL), longest)  # "interval": 0 still waits a second; 1e300 does not overflow


def _shown(value):
    import json

    try:
        text = json.dumps(value)
    except ValueError:
        text = repr(value)
    return printable(text[:40])


def _timeout_message(lifetime, slowed, ours):
    """ours: the variable whose limit ended the wait, when it was atomic's and not the code's."""
    if ours:
        text = ("timed out after %d s (%s) without the code being approved; run the login again and enter "
                "the code sooner, or raise %s" % (lifetime, ours, ours))
    else:
        text = ("timed out: the sign-in code expired after %d s without being approved; run the login again and "
                "enter the code sooner" % lifetime)
    if slowed:
        text += ("; the server asked us %d time(s) to poll more slowly, which often means this "
                 "machine's clock drifts (common in VMs and WSL): sync it, e.g. `sudo hwclock -s`"
                 % slowed)
    return text
