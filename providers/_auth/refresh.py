"""OAuth tokens kept fresh: single-flight across processes, never losing a stored credential.

Advisory window (under 5 minutes left): a failed refresh is a warning and the current token is
used, and neither the refresh nor the wait for another process's lock takes longer than
ADVISORY_DEADLINE (a stopped or hung holder must not hold up every `atomic key`). Mandatory
window (expired): a failed refresh is the command's error. A request the
provider refused (HTTP 401) forces one refresh: refresh_now(..., rejected=access).

Provider modules' refresh(entry, ctx) read ctx.refresh_deadline (seconds, or None for the HTTP
helper's default) for their requests, and return the fields to update; a "refresh" that is
missing or None keeps the stored refresh token.
"""
import _thread

from .._core import errors
from .._core.errors import AtomicError, BadFile, LoginAgain, NetworkError, NotLoggedIn
from .store import find_entry, get_entry, update_auth

MARGIN_MS = 5 * 60 * 1000
ADVISORY_DEADLINE = 5.0  # seconds for a refresh while the current token still works


def needs_refresh(entry, ctx):
    return ctx.now() * 1000 >= entry["expires"] - MARGIN_MS


def can_refresh(provider):
    module = provider.module()
    return module is not None and hasattr(module, "refresh")


def stored_elsewhere_expired(provider):
    """What is wrong with an expired token that another tool stored for a provider atomic cannot refresh."""
    return ("the stored %s token has expired and atomic cannot refresh it; sign in again with the tool that "
            "stored it" % provider.id)


def ensure_fresh(provider, entry, ctx, entry_id=None):
    """The entry itself while fresh; otherwise the entry after a refresh (or the old one, with a
    warning, while it is still valid). entry_id: the login's key (`anthropic:work`), else the provider's."""
    if not needs_refresh(entry, ctx):
        return entry
    if not can_refresh(provider):
        # An entry another tool stored for a provider atomic cannot refresh: use it while it lasts.
        if entry["expires"] <= ctx.now() * 1000:
            raise LoginAgain(stored_elsewhere_expired(provider))
        return entry
    # While the current token works, a server that does not answer must not hold every
    # `atomic key` for the full HTTP deadline before the warning and the fallback below.
    ctx.refresh_deadline = ADVISORY_DEADLINE if entry["expires"] > ctx.now() * 1000 else None
    try:
        return refresh_now(provider, ctx, entry_id=entry_id)
    except AtomicError as exc:
        left_ms = entry["expires"] - ctx.now() * 1000
        if left_ms <= 0 or isinstance(exc, NotLoggedIn):
            raise
        ctx.warn("could not refresh the %s token (%s); using the current one, valid for %d more "
                 "minute(s)" % (provider.name, exc.message, max(1, left_ms // 60000)))
        return entry
    finally:
        ctx.refresh_deadline = None


def refresh_now(provider, ctx, rejected=None, entry_id=None):
    """Refresh under the lock: re-read the file, skip if another process already did, merge, write.

    entry_id: the login to refresh (`anthropic:work`; the provider's own entry by default). Each
    login is refreshed alone: the lock is the file's, the check and the write are the entry's.
    Threads of one process wait for each other in front of the file lock (an in-process lock per
    entry): twenty requests on one expired token make one refresh and wait for it, instead of
    polling the file lock in turn; across processes the file lock does the same.

    The file is the layer the entry came from (atomic's, or pi's ~/.pi/agent/auth.json under its
    own lock): a rotating refresh token is never copied into a second file.
    rejected: an access token the provider refused; the entry is refreshed even if it looks fresh,
    unless the stored token already differs from it (another process refreshed meanwhile).
    The room for the new document is reserved before the provider is asked: a refresh token is
    never spent where its successor could not be saved.
    """
    entry_id = entry_id or provider.id
    if not can_refresh(provider):
        raise LoginAgain("%s refused the stored token and atomic cannot refresh it; run `%s`"
                         % (provider.name, _login_command(entry_id)))
    with _entry_lock(provider, ctx, entry_id):
        return _refresh_locked(provider, ctx, rejected, entry_id)


_entry_locks = {}                 # (agent directory, entry id) -> its threading.Lock
_guard = _thread.allocate_lock()  # guards the table


def _entry_lock(provider, ctx, entry_id):
    """The in-process lock of one stored entry, taken within the lock timeout as the file lock is."""
    import threading

    from .._core.lock import DEFAULT_TIMEOUT

    with _guard:
        lock = _entry_locks.setdefault((ctx.agent_dir, entry_id), threading.Lock())
    return _Held(lock, ctx.seconds("ATOMIC_LOCK_TIMEOUT", DEFAULT_TIMEOUT), entry_id)


class _Held:
    def __init__(self, lock, timeout, entry_id):
        self.lock, self.timeout, self.entry_id = lock, timeout, entry_id

    def __enter__(self):
        if not self.lock.acquire(timeout=self.timeout):
            raise errors.LockTimeout("another request of this process has been refreshing the %s token for %g s; "
                                     "try again later" % (self.entry_id, self.timeout))

    def __exit__(self, *exc_info):
        self.lock.release()


def _refresh_locked(provider, ctx, rejected, entry_id):
    module = provider.module()
    outcome = {}

    def change(auth):
        current = get_entry(auth, entry_id)
        if current is None or current.get("type") != "oauth":
            raise NotLoggedIn("you were logged out of %s while refreshing; run `%s`"
                              % (_named(provider, entry_id), _login_command(entry_id)))
        due = needs_refresh(current, ctx) if rejected is None else current["access"] == rejected
        if not due:
            outcome["entry"] = current  # another process refreshed while we waited for the lock
            return None
        if not current["refresh"].strip():
            raise BadFile("%s: %s.refresh is empty, so the token cannot be refreshed; run `%s` "
                          "to log in again" % (auth.path, entry_id, _login_command(entry_id)))
        outcome["tried"] = current
        try:
            fresh = module.refresh(current, ctx)
        except AtomicError as exc:
            # A 2xx answer we could not use may still carry a rotated refresh token, the stored
            # one already spent: save what the error keeps, then raise it once written.
            keep = getattr(exc, "keep", None)
            if not keep:
                raise
            outcome["error"], fresh = exc, keep
        merged = dict(current)
        merged.update(fresh)
        merged["type"] = "oauth"
        if not fresh.get("refresh"):
            merged["refresh"] = current["refresh"]  # a response that omits it keeps the old one
        if isinstance(current.get("identity"), dict) and isinstance(fresh.get("identity"), dict):
            merged["identity"] = dict(current["identity"], **fresh["identity"])  # what this answer lacks stays
        data = dict(auth.data)
        data[entry_id] = merged
        outcome["entry"] = merged
        return data

    try:
        # While the current token works (refresh_deadline set), the lock is waited for no longer
        # than the refresh itself may take.
        update_auth(ctx, change, reserve=True, directory=_layer_dir(entry_id, ctx), lock_timeout=ctx.refresh_deadline)
    except LoginAgain as exc:
        theirs = "tried" in outcome and _saved_meanwhile(entry_id, outcome["tried"], ctx)
        if theirs:
            return theirs
        raise _explained(exc, entry_id)
    except NetworkError as exc:
        raise _explained(exc, entry_id)
    if "error" in outcome:
        raise _explained(outcome["error"], entry_id)
    return outcome["entry"]


def _layer_dir(entry_id, ctx):
    """The folder of the auth.json that holds the entry now."""
    import os

    auth, _entry = find_entry(ctx, entry_id)
    return os.path.dirname(auth.path)


def _login_command(entry_id):
    from .profiles import login_command  # error messages only: not on the way of a fresh token

    return login_command(entry_id)


def _named(provider, entry_id):
    """The provider's name, with the login's name when it is a named one: `Anthropic (work)`."""
    return provider.name if ":" not in entry_id else "%s (%s)" % (provider.name, entry_id.partition(":")[2])


def _saved_meanwhile(entry_id, tried, ctx):
    """After a refused refresh: the entry another program saved meanwhile, if it holds other,
    still valid tokens (rule 5: re-read before telling the user to log in again); else None."""
    ctx.auth = ctx.lower_auth = None  # every layer read again: pi may have refreshed its own entry
    try:
        entry = get_entry(find_entry(ctx, entry_id)[0], entry_id)
    except AtomicError:
        return None
    if entry is None or entry.get("type") != "oauth":
        return None
    if (entry["access"], entry["refresh"]) == (tried["access"], tried["refresh"]):
        return None
    return entry if entry["expires"] > ctx.now() * 1000 else None


def _explained(exc, entry_id):
    """The error of a failed refresh, saying what the user can do."""
    if isinstance(exc, LoginAgain) and "atomic login" not in exc.message:
        return LoginAgain("%s; run `%s`" % (exc.message, _login_command(entry_id)))
    if isinstance(exc, NetworkError) and getattr(exc, "answer_lost", False):
        # The server may have rotated the refresh token and the answer with its successor is gone.
        return NetworkError("%s; the answer to the refresh was lost, so the refresh token may be used up: "
                            "if the next try fails too, run `%s`" % (exc.message, _login_command(entry_id)))
    return exc
