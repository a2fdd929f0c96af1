"""The registry beyond its built-in ids: custom providers of models.json, aliases, extensions'
providers, suggestions for a mistyped name, and the lists of every provider. providers/__init__.py
hands these out (its find() and attributes); they live here so that `atomic key openai` does not
load them.
"""
from .. import Provider, aliased, builtin, builtins, find


def find_beyond_builtins(name, ctx, hint=None):
    """find() for a name that is not a built-in id: a custom provider of models.json, else an
    alias, else an extension's provider (id, then alias); else the usage error."""
    from .._core import errors
    from .._config.models_files import read_models_files

    try:
        configs, _origin = read_models_files(ctx)
    except errors.BadFile:
        if aliased(name) is not None:
            return aliased(name)  # a broken models.json stops a custom provider, not `atomic key claude`
        provider = extension(name, ctx)
        if provider is not None:
            return provider  # nor an extension's
        raise
    if name in configs:
        # An extension's provider keeps its code when models.json has an entry for it: an override.
        return extension(name, ctx, aliases=False) or custom_provider(name, configs[name])
    if aliased(name) is not None:  # after models.json: a custom provider named like an alias keeps its name
        return aliased(name)
    provider = extension(name, ctx)
    if provider is not None:
        return provider
    from .._config.project import left_out

    refused = left_out(ctx, name)  # a provider the start folder's project defines, but is not used
    if refused is not None:
        raise refused
    custom = [custom_provider(pid, c) for pid, c in configs.items() if builtin(pid) is None]
    raise unknown_provider(name, custom + extension_names(ctx), hint)


def unknown_provider(name, custom=(), hint=None):
    """The UsageError for a name that is no provider: the candidates a word could mean
    (`cloudflare`), else the closest ids, aliases and display names; then `hint`."""
    from .._core import errors

    hint = hint or "`atomic providers` lists them all"
    if not name:  # `-m /gpt-4o`, `key ''`: say what is missing, not "unknown provider ''"
        return errors.UsageError("the provider name is empty (in PROVIDER/MODEL it comes before the /, as in "
                                 "openai/gpt-4o); %s" % hint)
    candidates = _candidates(name, builtins() + list(custom))
    if len(candidates) > 1:
        return errors.UsageError("%r could be any of: %s; name one (%s)"
                                 % (name, ", ".join("%s (%s)" % (p.id, p.name) for p in candidates), hint))
    return errors.UsageError("unknown provider %r%s; %s" % (name, suggest(name, custom), hint))


def suggest(name, custom=()):
    """' (did you mean 'x'?)' naming the providers whose ids, aliases or names are closest, or ''."""
    from .._core.text import did_you_mean

    means = {}
    for p in reversed(builtins() + list(custom)):  # an id wins over another provider's name or alias
        for label in (p.name,) + p.aliases + (p.id,):
            means[label] = p.id
    return did_you_mean(name, list(means), means)


def _candidates(word, known):
    """Providers a bare word may mean: its id starts with `word-`, or `word` is a word of its
    name. None when the word is an id or alias but for case (did-you-mean names that one)."""
    word = word.lower()
    if any(word == p.id.lower() or word in p.aliases for p in known):
        return []
    return [p for p in known if p.id.startswith(word + "-") or word in _words(p.name)]


def _words(text):
    return "".join(ch if ch.isalnum() else " " for ch in text.lower()).split()


def siblings(provider):
    """Built-in providers whose ids extend this one's (minimax -> minimax-cn), which people
    easily confuse with it."""
    return [p for p in builtins() if p.id.startswith(provider.id + "-")]


def key_owner(key):
    """(built-in provider, prefix) when a key starts the way that provider's keys do (gsk_ ->
    groq), else None."""
    best = None
    for p in builtins():
        for prefix in p.key_prefixes:
            if key.startswith(prefix) and (best is None or len(prefix) > len(best[1])):
                best = (p, prefix)
    return best


def alias_summary():
    """`claude=anthropic, chatgpt/codex=openai-codex, ...` for help texts."""
    return ", ".join("%s=%s" % ("/".join(p.aliases), p.id) for p in builtins() if p.aliases)


def in_menu_order(providers):
    """(subscriptions, the rest): providers with a subscription login in registry order, then every
    other one by name, as the login menu lists them (and `atomic ask` picks its default by)."""
    providers = list(providers)
    subscriptions = [p for p in providers if p.subscription and "oauth" in p.auth]
    return subscriptions, sorted((p for p in providers if p not in subscriptions), key=lambda p: p.name.lower())


def all_providers(ctx, warn=True):
    """Built-in providers, then the extensions' (each imported now; a broken one is left out, with
    a warning unless warn=False), then the custom providers of models.json (BadFile if it is broken)."""
    customs = custom_providers(ctx)
    loaded = extension_providers(ctx, warn)
    declared = {row.id for row in loaded}  # foo-cn of foo.py: its entry is an override too
    return builtins() + loaded + [p for p in customs if p.id not in declared]


def custom_providers(ctx):
    """The providers models.json defines (BadFile if it is broken); an entry for a built-in or an
    extension's provider is an override of that one, not a provider of its own."""
    from .._config.models_files import read_models_files

    configs, _origin = read_models_files(ctx)
    taken = {p.id for p in builtins()} | set(extension_ids(ctx))
    return [custom_provider(pid, config) for pid, config in configs.items() if pid not in taken]


# Extensions (providers/_registry/extensions.py finds and loads them) -------------------------------

def extension_ids(ctx):
    """The ids of every extension there is, from file and entry-point names: nothing is imported."""
    from .extensions import discover

    return list(discover(ctx))


def extension(name, ctx, aliases=True):
    """The extension's provider called `name` (its module imported now), or None; the extension's
    error when the one of that id cannot be used. Ids are matched by name first (an extension of
    id foo declares foo and foo-*); aliases=True then matches the aliases each extension's source
    declares, read without running it, and imports only the one that declares `name`."""
    from .._core import errors
    from .extensions import aliases as declared, discover

    found = discover(ctx)
    for ext_id in sorted(found, key=len, reverse=True):  # foo-bar.py before foo.py for foo-bar
        if name == ext_id or name.startswith(ext_id + "-"):
            try:
                rows = _rows(found[ext_id], ctx)
            except errors.AtomicError:
                if name == ext_id:
                    raise
                continue
            for row in rows:
                if row.id == name:
                    return row
    if aliases:
        for ext in found.values():
            words = declared(ext)
            if words is not None and name not in words:
                continue  # None: the source cannot be read without an import, so it is imported
            try:
                rows = _rows(ext, ctx)
            except errors.AtomicError:
                continue
            for row in rows:
                if name in row.aliases:
                    return row
    return None


def extension_names(ctx):
    """Rows standing for every extension, for suggestions: its id and the aliases its source
    declares, or its rows when it is loaded already; none is imported."""
    from .extensions import aliases as declared, discover

    out = []
    for ext in discover(ctx).values():
        if ext.rows:
            out.extend(ext.rows)
        else:
            out.append(Provider(ext.id, ext.id, aliases=" ".join(sorted(declared(ext) or ()))))
    return out


def extension_providers(ctx, warn=True):
    """The rows of every extension that loads, in discovery order; with warn, a broken one is
    named with its error (once per process)."""
    from .._core import errors
    from .extensions import discover

    rows = []
    for ext in discover(ctx).values():
        try:
            rows.extend(_rows(ext, ctx))
        except errors.AtomicError as exc:
            if warn:
                ctx.warn("%s (the %s extension is left out)" % (exc.message, ext.id))
    return rows


def broken_extensions(ctx):
    """[(extension, its error)] for every extension that cannot be used, each tried now."""
    from .._core import errors
    from .extensions import discover

    broken = []
    for ext in discover(ctx).values():
        try:
            _rows(ext, ctx)
        except errors.AtomicError as exc:
            broken.append((ext, exc))
    return broken


def _rows(ext, ctx):
    from .extensions import rows

    return rows(ext, ctx, Provider, _built_in_owner)


def _built_in_owner(name):
    provider = builtin(name) or aliased(name)
    return provider.id if provider is not None else None


def custom_provider(pid, config):
    """A provider defined only in models.json: its key travels as its wire API says."""
    from .._wire.apis import DEFAULT_API

    config = config if isinstance(config, dict) else {}
    api = config.get("api") if isinstance(config.get("api"), str) else DEFAULT_API
    base_url = config.get("baseUrl") if isinstance(config.get("baseUrl"), str) else ""
    name = config.get("name") if isinstance(config.get("name"), str) and config["name"].strip() else pid
    return Provider(pid, name, (), base_url, api, custom=True)


def find_each(names, ctx):
    """The providers called `names`, in order, each once (two names for one provider count once)."""
    found = {}
    for name in names:
        provider = find(name, ctx)
        found.setdefault(provider.id, provider)
    return list(found.values())
