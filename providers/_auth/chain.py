"""The credential chain: plain functions tried in order; the first that finds a credential wins.

Each step takes (provider, ctx, res) and returns a Credential, or None to let the next step
answer (after noting why with res.skip). `res` is this one resolution: the modes it runs in and
the trail of skipped steps. A step that finds a broken source raises: a corrupt auth.json or a
failing !command is an error, never a reason to fall through to another account's key.
"""
from .._core import errors
from .._core.keyform import key_problem, plain_key


class Credential:
    """A credential, where it came from, and (for --explain) why earlier sources did not answer.

    `value` is None for a !command that this resolution was asked not to run, for a token an
    ambient source makes only when it is used (`fetch`), and for a credential that signs each
    request instead (`signer`, AWS SigV4); `note` then says what it is. `expires` is when the
    value stops working (epoch ms), when known; `signer(request)` signs an ApiRequest just before
    it is sent; `fetch()` -> (value, expires) makes the token. `settings` are the provider's
    settings (its row's `settings` names) as found for this credential; `details` are the
    provider module's own notes. `step` is the chain step that found it. A stored login also has
    its `entry_id` (`anthropic`, `anthropic:work`), `profile` (the name of a named login, else
    None) and, for another tool's login (`--from`), `linked` (the reference).
    """
    __slots__ = ("value", "source", "entry", "trail", "step", "expires", "signer", "fetch", "note",
                 "settings", "details", "entry_id", "profile", "linked")

    def __init__(self, value, source, entry=None, expires=None, signer=None, fetch=None, note=None, details=None):
        self.value, self.source, self.entry, self.trail, self.step = value, source, entry, [], None
        self.expires, self.signer, self.fetch, self.note = expires, signer, fetch, note
        self.settings, self.details = {}, dict(details or {})
        self.entry_id = self.profile = self.linked = None

    @property
    def is_oauth(self):
        return bool(self.entry and self.entry.get("type") == "oauth")

    @property
    def expires_at(self):
        """Epoch ms when the credential stops working (an OAuth entry's, or its source's), or None."""
        return self.entry["expires"] if self.is_oauth else self.expires

    @property
    def identity(self):
        """Who the login belongs to ({"email", "account", "plan", ...}), as stored or read; {} if unknown."""
        found = (self.entry or {}).get("identity") or self.details.get("identity")
        return dict(found) if isinstance(found, dict) else {}

    @property
    def shown(self):
        """What a listing shows for a credential without a value: how it works instead."""
        return None if self.value is not None else (self.note or "!command")


class Resolution:
    """One walk down the chain: whether it may run !commands, refresh tokens and ask another tool
    for a linked login, the named login asked for (None: as --profile, ATOMIC_PROFILE and the
    folder rules choose), and its trail."""

    def __init__(self, run_commands=True, refresh=True, profile=None, links=True):
        self.run_commands, self.refresh, self.links, self.trail = run_commands, refresh, links, []
        self.profile, self.choice = profile, None

    @property
    def named(self):
        """Whether a named login was chosen (it must exist: no other source stands in for it)."""
        return self.choice is not None and not self.choice.is_default

    def skip(self, why):
        self.trail.append(why)


def from_cli_option(provider, ctx, res):
    """the --api-key option (or --api-key-file, or --api-key - for stdin)"""
    if ctx.cli_key is None:
        return res.skip("--api-key: not given")
    value, source = ctx.cli_key
    if not plain_key(value):
        raise errors.UsageError("%s: the key %s; give the key alone" % (source, key_problem(value)))
    return Credential(value, source)


def from_auth_file(provider, ctx, res):
    """the login saved by `atomic login`: its auth.json entry (an API key, or an OAuth token refreshed when due), or a link to another tool's (--from)"""
    from .store import find_entry, get_entry, layers

    entry_id = _entry_id(provider, ctx, res)
    auth, _raw = find_entry(ctx, entry_id)
    entry = get_entry(auth, entry_id)
    if entry is None:
        found = _from_linked(provider, ctx, res, entry_id)
        if found is not None:
            return found
        if res.named:
            raise _no_such_login(provider, ctx, res, entry_id)
        return res.skip("auth.json: no entry for %s in %s" % (entry_id, " or ".join(a.path for a in layers(ctx))))
    origin = "%s: %s.%s" % (auth.path, entry_id, "access" if entry["type"] == "oauth" else "key")
    if not str(entry.get("key", "")).startswith("!"):  # a !command's refusal names the !command (keys.py)
        # Every credential, a subscription's too: another user's would carry our prompts to their account.
        refuse_if_others_control(auth.controlled_by_others(), origin, "login" if entry["type"] == "oauth" else "key")
    if entry["type"] == "oauth":
        from .refresh import ensure_fresh, needs_refresh, refresh_now

        due = needs_refresh(entry, ctx) or not entry["access"]
        if not res.refresh and due:
            return _stored(Credential(entry["access"], _named(auth, entry_id, "oauth, refresh due"), entry), entry_id, res)
        if not entry["access"]:
            # No token at all (a login another tool left half-written): made from the refresh token.
            entry = refresh_now(provider, ctx, rejected="", entry_id=entry_id)
        entry = ensure_fresh(provider, entry, ctx, entry_id)
        return _stored(Credential(entry["access"], _named(auth, entry_id, "oauth"), entry), entry_id, res)
    key = entry.get("key")
    if not key and provider.no_key:
        # A server of one's own (llama.cpp) that was set up without a key: it is sent a placeholder.
        return _stored(Credential(provider.no_key, _named(auth, entry_id, "no key"), entry), entry_id, res)
    if not key:
        if res.named:
            from .profiles import login_command

            raise errors.NotLoggedIn("%s: the %s entry has no key; run `%s`" % (auth.path, entry_id, login_command(entry_id)))
        return res.skip("auth.json: the %s entry has no key" % entry_id)
    if key.startswith("!") and not res.run_commands:
        return _stored(Credential(None, _named(auth, entry_id, "!command, not run"), entry), entry_id, res)
    from .keys import resolve_key

    value = resolve_key(key, ctx, origin, env=entry.get("env"), allow_commands=auth.commands_allowed)
    return _stored(Credential(value, _named(auth, entry_id), entry), entry_id, res)


def _entry_id(provider, ctx, res):
    """The provider's id, or `provider:NAME` when a named login is chosen. profiles.py is imported
    only when a choice can apply: asked for, ATOMIC_PROFILE set, or a named login stored."""
    from .store import current_auth, has_links

    explicit = res.profile if res.profile is not None else ctx.profile
    if (explicit is None and not ctx.env("ATOMIC_PROFILE") and not any(":" in k for k in current_auth(ctx).data)
            and not has_links(ctx)):
        return provider.id
    from .profiles import chosen, entry_id

    res.choice = chosen(provider, ctx, explicit)
    if res.named:
        res.skip("the default login and other sources: the login named %s is chosen (%s)" % (res.choice.name, res.choice.why))
        return entry_id(provider.id, res.choice.name)
    return provider.id


def _from_linked(provider, ctx, res, entry_id):
    """Another tool's login, when `atomic login --from` linked one under this entry id."""
    from .store import has_links

    if not has_links(ctx):
        return None
    from .linked import credential, get_link

    record = get_link(ctx, entry_id)
    if record is None:
        return None
    if not res.links:  # the tool (`gh auth token` is a program run) is asked only when its login is used
        found = Credential(None, "from %s" % record["from"], note="%s's login, not asked" % record["from"])
        found.linked = record
        return _stored(found, entry_id, res)
    return _stored(credential(provider, ctx, entry_id, record, refresh=res.refresh), entry_id, res)


def _stored(found, entry_id, res):
    found.entry_id = entry_id
    if res.named:
        found.profile = res.choice.name
    return found


def _named(auth, entry_id, detail=None):
    """How a credential from the file is named: `auth.json (oauth)`, `auth.json (anthropic:work, oauth)`."""
    return auth.named(", ".join(w for w in (entry_id if ":" in entry_id else None, detail) if w) or None)


def _no_such_login(provider, ctx, res, entry_id):
    """The error for a named login that is not there: which, who chose it, and what there is."""
    from .profiles import login_command, named

    have = named(provider.id, ctx)
    there = ("its named logins: %s" % ", ".join(have)) if have else "it has no named logins"
    return errors.NothingFound("no %s login named %s (%s, chosen by %s); %s; run `%s` to add it"
                               % (provider.id, res.choice.name, entry_id, res.choice.why, there,
                                  login_command(entry_id)))


def refuse_if_others_control(reason, origin, what="key"):
    """Unsafe (exit 7) for a credential (a key, a login) in a file another user could have
    written: their credential would carry our prompts to their account."""
    if reason:
        raise errors.Unsafe("%s: not using this %s, because %s; run `chmod 700` on the folder and `chmod 600` "
                            "on the file (and make them yours), or store the %s elsewhere" % (origin, what, reason, what))


def from_environment(provider, ctx, res):
    """the provider's environment variable(s)"""
    for name in _set_variables(provider, ctx):
        value = ctx.env(name).strip()
        if not plain_key(value):
            raise errors.UsageError("the environment variable %s: the key %s; export the key alone"
                                    % (name, key_problem(value)))
        return Credential(value, "env " + name)
    if provider.no_key:
        for name in provider.settings:
            if ctx.env(name):  # its server's address alone sets it up: no key, the placeholder is sent
                return Credential(provider.no_key, "env %s (no key)" % name)
    if provider.env:
        return res.skip("environment: %s not set" % " / ".join(provider.env))
    return res.skip("environment: %s takes no key from the environment" % provider.id)


def from_models_json(provider, ctx, res):
    """the apiKey of that provider in models.json (or models.toml)"""
    from .._core.files import commands_allowed_at, controlled_by_others_at
    from .keys import resolve_key

    config, path = provider.config(ctx)
    key = config.get("apiKey") if config else None
    if not isinstance(key, str) or not key:
        return res.skip("models.json: no apiKey for %s" % provider.id)
    path = provider.config_file(ctx, "apiKey")  # a project file's field is judged by that file
    if key.startswith("!") and not res.run_commands:
        return Credential(None, "models.json (!command, not run)")
    origin = "%s: providers.%s.apiKey" % (path, provider.id)
    if not key.startswith("!"):
        refuse_if_others_control(controlled_by_others_at(path), origin)
    return Credential(resolve_key(key, ctx, origin, allow_commands=key.startswith("!") and commands_allowed_at(path)),
                      "models.json")


def _set_variables(provider, ctx):
    return [name for name in provider.env if ctx.env(name)]


def from_ambient(provider, ctx, res):
    """the cloud's own credentials, for a cloud provider (Google Application Default Credentials, the AWS credential chain)"""
    hook = provider.hook("ambient") if "cloud" in provider.auth else None
    if hook is None:
        return res.skip("cloud credentials: %s has no credential chain of its own" % provider.id)
    found = hook(ctx)
    if found is None:
        what = (hook.__doc__ or "").strip().splitlines()
        return res.skip("cloud credentials: none found (%s)" % (what[0].rstrip(".") if what else provider.id))
    if found.fetch is not None and res.run_commands:
        # Making the token is a request to the cloud: for commands that use it, not for listings.
        found.value, found.expires = found.fetch()
    return found


CHAIN = (from_cli_option, from_auth_file, from_environment, from_models_json, from_ambient)
# What a step that failed was reading, for a report that names the source of a problem.
SOURCES = {from_cli_option: "--api-key", from_auth_file: "auth.json", from_environment: "environment",
           from_models_json: "models.json", from_ambient: "cloud credentials"}


def provider_settings(provider, ctx, entry=None, entry_id=None):
    """{NAME: value} for the provider's settings (its row's `settings`): the auth.json entry's `env`
    (the credential's own, else the one stored under entry_id: by default the provider's own
    login), then the environment; blank is unset. A named login never takes another's."""
    if not provider.settings:
        return {}
    if entry is None:
        from .store import find_entry, get_entry

        entry_id = entry_id or provider.id
        try:
            entry = get_entry(find_entry(ctx, entry_id)[0], entry_id)
        except errors.AtomicError:
            entry = None  # a broken auth.json is reported where a credential is read from it
    stored = (entry or {}).get("env") or {}
    found = {}
    for name in provider.settings:
        value = (stored.get(name) or "").strip()
        from_file = bool(value)
        value = value or (ctx.env(name) or "").strip()
        if value:
            found[name] = _in_address(provider, name, value, from_file)
    return found


def _in_address(provider, name, value, stored):
    """value, held to the address rule (_net/address.py) if it goes into the provider's address."""
    if name not in provider.address_parts + provider.url_settings and "{" not in provider.base_url:
        return value
    from .._net.address import check_setting

    return check_setting(provider, name, value, stored=stored)


def describe_order():
    """The resolution order as people read it, generated from CHAIN so the two cannot drift."""
    return "\n".join("  %d. %s" % (n, step.__doc__) for n, step in enumerate(CHAIN, 1))


def resolve(provider, ctx, run_commands=True, refresh=True, profile=None, links=True):
    """The first credential the chain finds for a provider; NothingFound if none does.

    run_commands=False shows a !command key as found without running it; refresh=False uses an
    OAuth token that is due without refreshing it (both for listings such as `atomic models`).
    run_commands=False also finds an ambient cloud credential without asking the cloud for a token.
    profile: the named login to use (`default` for the unnamed one), as a caller chooses it (a
    route of `atomic serve`); None lets --profile (ctx.profile), ATOMIC_PROFILE and the folder
    rules choose (_auth/profiles.py). A named login that is missing is NothingFound naming it.
    links=False finds another tool's linked login without asking that tool (it has no entry here).
    """
    res = Resolution(run_commands, refresh, profile, links)
    for step in CHAIN:
        try:
            found = step(provider, ctx, res)
        except errors.AtomicError as exc:
            if getattr(exc, "source", None) is None:  # a provider module may name the source itself
                exc.source = SOURCES[step]
            raise
        if found is not None:
            found.trail, found.step = res.trail, step
            found.settings = provider_settings(provider, ctx, found.entry, found.entry_id)
            return found
    # NothingFound: no source had a credential (as opposed to a source that is there but broken).
    hook = provider.hook("ambient") if "cloud" in provider.auth else None
    own = (hook.__doc__ or "").strip().splitlines() if hook is not None else []
    # A server of one's own is set up by its address; its key is optional.
    variable = provider.settings[0] if provider.no_key and provider.settings else " or ".join(provider.env)
    missing = errors.NothingFound("no credential for %s; run `atomic login %s`%s%s"
                                  % (provider.name, provider.id, " or set " + variable if variable else "",
                                     ", or set up " + own[0].rstrip(".") if own else ""))
    missing.trail = res.trail
    raise missing


def shadowed(provider, ctx, found):
    """The sources after the winner that also hold a credential, which lose to it (a stored key
    over a newer OPENAI_API_KEY; a subscription over ANTHROPIC_API_KEY). Found as listings find
    credentials: no !command is run, no token refreshed; a broken lower source is not counted."""
    if found.step not in CHAIN:
        return []
    res = Resolution(run_commands=False, refresh=False)
    losers = []
    for step in CHAIN[CHAIN.index(found.step):]:
        if step is from_auth_file and step is found.step:
            losers += _lower_layers(provider, ctx, found)
        elif step is from_environment:
            names = _set_variables(provider, ctx)
            losers += ["env " + name for name in names if "env " + name != found.source]
        elif step is not found.step:
            try:
                hit = step(provider, ctx, res)
            except errors.AtomicError:
                continue
            if hit is not None:
                losers.append(hit.source)
    return losers


def _lower_layers(provider, ctx, found):
    """pi's file, when it also holds an entry for a provider whose winning entry is atomic's."""
    from .store import find_entry, layers

    entry_id = found.entry_id or provider.id
    try:
        winner, lower = find_entry(ctx, entry_id)[0], layers(ctx)[1:]
    except errors.AtomicError:
        return []  # a broken pi file is reported where a credential is read from it
    return [auth.named() for auth in lower if auth is not winner and entry_id in auth.data]


def warn_shadowed(provider, ctx, found):
    """Say once per process which credential is used when others would also have answered:
    the billing surprise (for commands that spend the credential, such as `atomic ask`)."""
    losers = shadowed(provider, ctx, found)
    if losers:
        ctx.warn("%s: using the credential from %s; also found, not used: %s (`atomic key %s --explain`)"
                 % (provider.id, found.source, ", ".join(losers), provider.id))
    return losers
