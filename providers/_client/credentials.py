"""The one rule for the credential a request carries, on every path (ask, chat, status --check,
the gateway, scripts): the chain first; no credential only when the chain finds none and the
provider is a server that takes no key. A key stored with `atomic login vllm` for a custom
provider without apiKey is therefore sent, as `atomic key vllm --header` prints it.
"""
from .._auth.chain import resolve, warn_shadowed
from .._core.errors import NothingFound


def credential_for(provider, ctx, *, profile=None, refresh=True, keyless=True, warn=True):
    """The credential for a request to provider (None: a server that takes no key); NothingFound
    when there is none and one is needed. profile: the named login (None: --profile,
    ATOMIC_PROFILE and the folder rules choose). keyless=False: NothingFound even for a keyless
    server (a check has nothing to check there). warn: say once which credential wins over others."""
    try:
        credential = resolve(provider, ctx, refresh=refresh, profile=profile)
    except NothingFound:
        if keyless and provider.takes_no_key(ctx):
            return None
        raise
    if warn:
        warn_shadowed(provider, ctx, credential)  # a stored key beating a newer one: the billing surprise
    return credential


def renew(ctx, provider, credential, profile=None):
    """A credential to try once more after the provider refused this one (HTTP 401/403), or None
    when there is nothing new to try: another tool's login read again (or that tool asked to
    refresh it), an OAuth token forced through a refresh (single-flight, in this process and
    across processes), or a !command key run again. The same login is asked for again."""
    from .._auth.refresh import can_refresh, refresh_now

    if credential is None:
        return None
    if profile is None:  # the login that was refused, not whatever the choice would be now
        profile = credential.profile or ("default" if credential.entry_id else None)
    if credential.linked is not None:
        from .._auth.linked import renew as renew_linked

        return renew_linked(provider, ctx, credential)
    if credential.is_oauth and can_refresh(provider):
        refresh_now(provider, ctx, rejected=credential.value, entry_id=credential.entry_id)  # forced: it looked fresh
        return resolve(provider, ctx, profile=profile)
    if from_command(provider, credential, ctx):
        ctx.forget_commands()  # a password manager may hand out a new key
        fresh = resolve(provider, ctx, profile=profile)
        return fresh if fresh.value != credential.value else None
    return None


def from_command(provider, credential, ctx):
    """Whether the credential's value came from a !command."""
    if credential.entry is not None:
        return str(credential.entry.get("key", "")).startswith("!")
    if credential.source == "models.json":
        config, _path = provider.config(ctx)
        return str((config or {}).get("apiKey", "")).startswith("!")
    return False
