"""How the pipeline answers a refusal or a busy server: the retry policy of a front door.

A person at a terminal (CLI) is told, waits a bounded while, and atomic asks again; a gateway
(SERVE) asks again for nothing but a refused credential and hands a 429 with its Retry-After
back to its caller, whose own SDK retries. "Before the first byte" is the sink's to say: nothing
is asked again once any of the answer reached the caller (sink.started).
"""
import time


class Policy:
    """retries: tries after the first for 429, 5xx and a busy error before any content;
    pause(ctx, why, seconds): tells and waits (None: no retries are made); max_wait: the
    longest Retry-After obeyed (None: ATOMIC_RETRY_MAX_WAIT, else 30 s); renew: one forced
    refresh (or one new run of a !command key) after a 401/403."""
    __slots__ = ("retries", "pause", "max_wait", "renew")

    def __init__(self, retries=2, pause=None, max_wait=None, renew=True):
        self.retries = retries if pause is not None else 0
        self.pause, self.max_wait, self.renew = pause, max_wait, renew

    def bound(self, ctx):
        """The longest wait obeyed, in seconds."""
        return self.max_wait if self.max_wait is not None else ctx.seconds("ATOMIC_RETRY_MAX_WAIT", 30.0)


def say_and_sleep(ctx, why, seconds):
    """The terminal's pause: one warning line, then the wait."""
    ctx.say("atomic: warning: %s; trying again in %s" % (why, seconds_text(seconds)))
    time.sleep(seconds)


def seconds_text(value):
    return "%g s" % round(value, 1)


def backoff(ctx, tries):
    """Seconds before try number tries + 2 when the server named none: doubling each time."""
    return ctx.seconds("ATOMIC_RETRY_BACKOFF", 1.0) * 2 ** tries


CLI = Policy(retries=2, pause=say_and_sleep)
SERVE = Policy(retries=0, pause=None)
