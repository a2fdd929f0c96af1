"""The credential chain: plain functions tried in order; the first that finds a credential wins.

Each step takes (provider, ctx) and returns a Found, or None to let the next step answer (after
noting why in ctx.trail). A step that finds a broken source raises: a corrupt auth.json or a
failing !command is an error, never a reason to fall through to another account's key.
"""
from ._errors import NotLoggedIn
from ._keys import resolve_value


class NothingFound(NotLoggedIn):
    """No step of the chain had a credential (as opposed to a source that is there but broken)."""


class Found:
    """A credential and where it came from."""
    __slots__ = ("value", "source", "entry")

    def __init__(self, value, source, entry=None):
        self.value, self.source, self.entry = value, source, entry

    @property
    def is_oauth(self):
        return bool(self.entry and self.entry.get("type") == "oauth")


def from_cli_option(provider, ctx):
    """the --api-key option (or --api-key-file, or --api-key - for stdin)"""
    if ctx.cli_key is None:
        ctx.trail.append("--api-key: not given")
        return None
    value, source = ctx.cli_key
    return Found(value, source)


def from_auth_file(provider, ctx):
    """the auth.json entry saved by `atomic login` (an API key, or an OAuth token refreshed when due)"""
    from ._store import get_entry, read_auth_once

    auth = read_auth_once(ctx)
    entry = get_entry(auth, provider.id)
    if entry is None:
        ctx.trail.append("auth.json: no entry for %s in %s" % (provider.id, auth.path))
        return None
    if entry["type"] == "oauth":
        from ._refresh import ensure_fresh, needs_refresh

        if not ctx.refresh_tokens and needs_refresh(entry, ctx):
            return Found(entry["access"], "auth.json (oauth, refresh due)", entry)
        entry = ensure_fresh(provider, entry, ctx)
        return Found(entry["access"], "auth.json (oauth)", entry)
    key = entry.get("key")
    if not key:
        ctx.trail.append("auth.json: the %s entry has no key" % provider.id)
        return None
    origin = "%s: %s.key" % (auth.path, provider.id)
    if key.startswith("!") and not ctx.run_commands:
        return Found(None, "auth.json (!command, not run)", entry)
    return Found(resolve_value(key, ctx, origin, env=entry.get("env"), allow_commands=auth.commands_allowed),
                 "auth.json", entry)


def from_environment(provider, ctx):
    """the provider's environment variable(s)"""
    for name in provider.env:
        value = ctx.env(name)
        if value:
            return Found(value.strip(), "env " + name)
    if provider.env:
        ctx.trail.append("environment: %s not set" % " / ".join(provider.env))
    else:
        ctx.trail.append("environment: %s takes no key from the environment" % provider.id)
    return None


def from_models_json(provider, ctx):
    """the apiKey of that provider in models.json (or models.toml)"""
    from ._models_file import read_models_files

    providers, origin = read_models_files(ctx)
    config = providers.get(provider.id)
    key = config.get("apiKey") if isinstance(config, dict) else None
    if not isinstance(key, str) or not key:
        ctx.trail.append("models.json: no apiKey for %s" % provider.id)
        return None
    path = origin[provider.id]
    if key.startswith("!") and not ctx.run_commands:
        return Found(None, "models.json (!command, not run)")
    return Found(resolve_value(key, ctx, "%s: providers.%s.apiKey" % (path, provider.id),
                               allow_commands=key.startswith("!") and _commands_allowed(path)),
                 "models.json")


CHAIN = (from_cli_option, from_auth_file, from_environment, from_models_json)


def describe_order():
    """The resolution order as people read it, generated from CHAIN so the two cannot drift."""
    return "\n".join("  %d. %s" % (n, step.__doc__) for n, step in enumerate(CHAIN, 1))


def resolve(provider, ctx):
    """The first credential the chain finds for a provider; NotLoggedIn if none does."""
    for step in CHAIN:
        found = step(provider, ctx)
        if found is not None:
            return found
    raise NothingFound("no credential for %s; run `atomic login %s`%s"
                      % (provider.name, provider.id,
                         " or set " + provider.env[0] if provider.env else ""))


def _commands_allowed(path):
    import os
    from ._store import commands_allowed

    try:
        st = os.stat(path)  # a models.json link: what counts is the file it points to
    except OSError:
        return False
    return commands_allowed(os.path.realpath(path), st.st_uid, st.st_mode)
