"""`atomic key --min-valid`: a credential that lasts at least so long. A stored login is refreshed
first (forced, unless another process did it meanwhile), another tool's login is refreshed by that
tool, a token of known expiry that atomic does not refresh (a cloud's, just made) is only checked;
when none of that makes it last, TooShort (exit 12) says how long it has left and why."""
from .._core import errors


def lasting(provider, found, seconds, ctx):
    """found (the chain's Credential), made to last `seconds` more; a key that does not expire as it is."""
    if found.is_oauth:
        found.entry = _stored_login(provider, found.entry, seconds, ctx, found.entry_id)
        found.value = found.entry["access"]
        return found
    if found.expires_at is None:
        return found
    if found.linked is not None:
        return _linked_login(provider, found, seconds, ctx)
    left = _left(found.expires_at, ctx)
    if left < seconds:
        raise _too_short("the %s token (%s)" % (provider.id, found.source), left, seconds,
                         "it was just made, and the cloud makes none that last longer")
    return found


def _stored_login(provider, entry, seconds, ctx, entry_id):
    """An OAuth entry of auth.json, refreshed first if it would expire within `seconds`."""
    from .refresh import can_refresh, refresh_now

    if _left(entry["expires"], ctx) >= seconds:
        return entry
    why = "atomic cannot refresh %s tokens" % provider.id
    if can_refresh(provider):
        try:
            # Forced, as for a token the provider refused: unless another process refreshed meanwhile.
            entry = refresh_now(provider, ctx, rejected=entry["access"], entry_id=entry_id)
            why = "a fresh token from %s lasts only that long" % provider.name
        except errors.AtomicError as exc:
            why = "could not refresh it: " + exc.message
    left = _left(entry["expires"], ctx)
    if left >= seconds:
        return entry
    raise _too_short("the %s token" % provider.id, left, seconds, why)


def _linked_login(provider, found, seconds, ctx):
    """Another tool's login (`login --from`), after the tool refreshed it if it would not last."""
    from .linked import renew

    why = "%s's fresh token lasts only that long" % found.linked["from"]
    if _left(found.expires_at, ctx) < seconds:
        try:
            found = renew(provider, ctx, found)
        except errors.AtomicError as exc:
            why = "could not have it refreshed: " + exc.message
    left = _left(found.expires_at, ctx)
    if left >= seconds:
        return found
    raise _too_short("the %s token (%s)" % (provider.id, found.source), left, seconds, why)


def _left(expires_ms, ctx):
    return expires_ms / 1000.0 - ctx.now()


def _too_short(what, left, seconds, why):
    from .._core.text import format_duration

    return errors.TooShort("%s is valid for %s, less than the %s asked for (--min-valid); %s"
                           % (what, format_duration(left) if left > 0 else "no time (expired)",
                              format_duration(seconds), why))
