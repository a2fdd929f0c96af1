"""The credential chain: plain functions tried in order; the first that finds a credential wins.

Each step takes (provider, ctx, res) and returns a Credential, or None to let the next step
answer (after noting why with res.skip). `res` is this one resolution: the modes it runs in and
the trail of skipped steps. A step that finds a broken source raises: a corrupt auth.json or a
failing !command is an error, never a reason to fall through to another account's key.
"""
from .errors import NotLoggedIn, Unsafe, UsageError
from .keys import key_problem, resolve_key


class NothingFound(NotLoggedIn):
    """No step of the chain had a credential (as opposed to a source that is there but broken)."""

    def __init__(self, message, trail=()):
        super().__init__(message)
        self.trail = list(trail)


class Credential:
    """A credential, where it came from, and (for --explain) why earlier sources did not answer.

    `value` is None for a !command that this resolution was asked not to run.
    """
    __slots__ = ("value", "source", "entry", "trail")

    def __init__(self, value, source, entry=None):
        self.value, self.source, self.entry, self.trail = value, source, entry, []

    @property
    def is_oauth(self):
        return bool(self.entry and self.entry.get("type") == "oauth")


class Resolution:
    """One walk down the chain: whether it may run !commands and refresh tokens, and its trail."""

    def __init__(self, run_commands=True, refresh=True):
        self.run_commands, self.refresh, self.trail = run_commands, refresh, []

    def skip(self, why):
        self.trail.append(why)


def from_cli_option(provider, ctx, res):
    """the --api-key option (or --api-key-file, or --api-key - for stdin)"""
    if ctx.cli_key is None:
        return res.skip("--api-key: not given")
    value, source = ctx.cli_key
    problem = key_problem(value)
    if problem:
        raise UsageError("%s: the key %s; give the key alone" % (source, problem))
    return Credential(value, source)


def from_auth_file(provider, ctx, res):
    """the auth.json entry saved by `atomic login` (an API key, or an OAuth token refreshed when due)"""
    from .store import current_auth, get_entry

    auth = current_auth(ctx)
    entry = get_entry(auth, provider.id)
    if entry is None:
        return res.skip("auth.json: no entry for %s in %s" % (provider.id, auth.path))
    if entry["type"] == "oauth":
        from .refresh import ensure_fresh, needs_refresh

        if not res.refresh and needs_refresh(entry, ctx):
            return Credential(entry["access"], "auth.json (oauth, refresh due)", entry)
        entry = ensure_fresh(provider, entry, ctx)
        return Credential(entry["access"], "auth.json (oauth)", entry)
    key = entry.get("key")
    if not key:
        return res.skip("auth.json: the %s entry has no key" % provider.id)
    if key.startswith("!") and not res.run_commands:
        return Credential(None, "auth.json (!command, not run)", entry)
    origin = "%s: %s.key" % (auth.path, provider.id)
    if not key.startswith("!"):  # a !command's refusal names the !command (keys.py)
        refuse_if_others_control(auth.controlled_by_others(), origin)
    return Credential(resolve_key(key, ctx, origin, env=entry.get("env"), allow_commands=auth.commands_allowed),
                      "auth.json", entry)


def refuse_if_others_control(reason, origin):
    """Unsafe (exit 7) for a key in a file another user could have written: their key would
    carry our prompts to their account."""
    if reason:
        raise Unsafe("%s: not using this key, because %s; run `chmod 700` on the folder and `chmod 600` "
                     "on the file (and make them yours), or store the key elsewhere" % (origin, reason))


def from_environment(provider, ctx, res):
    """the provider's environment variable(s)"""
    for name in provider.env:
        value = ctx.env(name)
        if value:
            problem = key_problem(value.strip())
            if problem:
                raise UsageError("the environment variable %s: the key %s; export the key alone" % (name, problem))
            return Credential(value.strip(), "env " + name)
    if provider.env:
        return res.skip("environment: %s not set" % " / ".join(provider.env))
    return res.skip("environment: %s takes no key from the environment" % provider.id)


def from_models_json(provider, ctx, res):
    """the apiKey of that provider in models.json (or models.toml)"""
    from .files import commands_allowed_at, controlled_by_others_at

    config, path = provider.config(ctx)
    key = config.get("apiKey") if config else None
    if not isinstance(key, str) or not key:
        return res.skip("models.json: no apiKey for %s" % provider.id)
    if key.startswith("!") and not res.run_commands:
        return Credential(None, "models.json (!command, not run)")
    origin = "%s: providers.%s.apiKey" % (path, provider.id)
    if not key.startswith("!"):
        refuse_if_others_control(controlled_by_others_at(path), origin)
    return Credential(resolve_key(key, ctx, origin, allow_commands=key.startswith("!") and commands_allowed_at(path)),
                      "models.json")


CHAIN = (from_cli_option, from_auth_file, from_environment, from_models_json)


def describe_order():
    """The resolution order as people read it, generated from CHAIN so the two cannot drift."""
    return "\n".join("  %d. %s" % (n, step.__doc__) for n, step in enumerate(CHAIN, 1))


def resolve(provider, ctx, run_commands=True, refresh=True):
    """The first credential the chain finds for a provider; NothingFound if none does.

    run_commands=False shows a !command key as found without running it; refresh=False uses an
    OAuth token that is due without refreshing it (both for listings such as `atomic models`).
    """
    res = Resolution(run_commands, refresh)
    for step in CHAIN:
        found = step(provider, ctx, res)
        if found is not None:
            found.trail = res.trail
            return found
    raise NothingFound("no credential for %s; run `atomic login %s`%s"
                       % (provider.name, provider.id, " or set " + provider.env[0] if provider.env else ""),
                       res.trail)
