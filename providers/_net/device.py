"""The device-authorization grant's waiting part (RFC 8628 §3.4-3.5), shared by every device login.

The provider module talks to its own endpoints; this module only decides when to ask again and
when to give up: never faster than the server's interval, slower after each slow_down, and not
after the device code has expired.
"""
import time

from .._core.errors import LoginFailed
from .._core.progress import StatusLine, countdown
from .._core.text import has_control_chars

DEFAULT_INTERVAL = 5      # seconds, when the server names none (RFC 8628 §3.2)
SLOW_DOWN_STEP = 5        # seconds added by each slow_down (RFC 8628 §3.5)
DEFAULT_EXPIRES = 900     # seconds the user has to enter the code, when the server names none
MIN_INTERVAL = 1          # never hammer a server that answers "interval": 0


def poll(attempt, interval, expires_in, ctx):
    """Call attempt() until it returns ("ok", value); return value.

    attempt() returns ("ok", value) | ("pending", None) | ("slow_down", new_interval_or_None);
    terminal failures raise LoginFailed (exit 10) from inside attempt().
    Waits `interval` seconds before each poll (at least 1 s; 5 s when interval is None/invalid),
    slow_down uses the server's new interval if given else +5 s (RFC 8628 §3.5),
    deadline = expires_in seconds (default 900) -> LoginFailed naming the timeout
    (mention clock drift in a VM/WSL if any slow_down was seen). Ctrl-C propagates.
    """
    wait = _seconds(interval, DEFAULT_INTERVAL)
    lifetime = _seconds(expires_in, DEFAULT_EXPIRES)
    # A monotonic clock: a wall clock stepped by NTP must not end (or stretch) the wait.
    deadline = time.monotonic() + lifetime
    slowed = 0
    line = StatusLine(ctx)  # a countdown on a terminal; nothing when stderr is piped
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            line.clear()
            raise LoginFailed(_timeout_message(lifetime, slowed))
        _wait(min(wait, remaining), deadline, line)  # KeyboardInterrupt from here reaches the one catcher
        line.clear()  # attempt() may warn, on a line of its own
        status, value = attempt()
        if status == "ok":
            return value
        if status == "slow_down":
            slowed += 1
            # The server's new interval if it gave one (GitHub does), else the RFC's +5 s; and
            # never faster than we were already going.
            given = _seconds(value, None)
            wait = max(wait + SLOW_DOWN_STEP if given is None else given, wait)
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


def _seconds(value, default):
    """A positive number of seconds from a server field (int, float or numeric string)."""
    if isinstance(value, bool):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    if number != number or number < 0 or number == float("inf"):  # NaN, negative, infinite
        return default
    return max(number, MIN_INTERVAL)  # "interval": 0 still waits a second


def _timeout_message(lifetime, slowed):
    text = ("timed out: the sign-in code expired after %d s without being approved; run the login again and "
            "enter the code sooner" % lifetime)
    if slowed:
        text += ("; the server asked us %d time(s) to poll more slowly, which often means this "
                 "machine's clock drifts (common in VMs and WSL): sync it, e.g. `sudo hwclock -s`"
                 % slowed)
    return text
