"""Which model a conversation talks to: `-m PROVIDER/MODEL`, else settings.json's defaultProvider /
defaultModel, else the first provider with a credential (in login-menu order) and its default model.
"""
from .. import all_providers, find, in_menu_order
from .._core.errors import BadFile, NetworkError, NotLoggedIn, UsageError


def choose(ctx, target=None, catalog=None, profile=None):
    """(provider, model record) for a target such as "openai/gpt-4o", "anthropic" or None.
    profile: the named login a request would use (None: --profile and the folder rules choose),
    whose account's model list (where its login kept one) a provider's everyday model comes from."""
    from .catalog import add_served_models, load_catalog, no_models_reason, serves_models

    if target:
        name, _slash, model_id = target.partition("/")
        if catalog is None and model_id and ctx.memo is not None:
            return _named(ctx, name, model_id)
        catalog = load_catalog(ctx, only=name) if catalog is None else catalog  # no other extension imported
        return _pick(ctx, catalog, find(name, ctx), model_id or None, profile=profile)
    from .._config.settings import read_settings

    settings = read_settings(ctx)
    pid, model_id = settings.get("defaultProvider"), settings.get("defaultModel")
    for name, value in (("defaultProvider", pid), ("defaultModel", model_id)):
        if value is not None and not (isinstance(value, str) and value.strip()):
            raise BadFile("%s: %s: expected an id such as \"openai\" or \"gpt-4o\", found %r; fix it, or remove "
                          "it to use the first provider with a credential" % (_holding(ctx, name), name, value))
    has_default = pid is not None
    catalog = load_catalog(ctx, only=pid if has_default else None) if catalog is None else catalog
    if has_default:
        try:
            provider = find(pid, ctx)
        except UsageError as exc:
            raise BadFile("%s: defaultProvider: %s" % (_holding(ctx, "defaultProvider"), exc.message))
        return _pick(ctx, catalog, provider, model_id, where="settings.json defaultModel", profile=profile)
    providers, have = _usable(ctx, catalog, ask_servers=False)
    for provider in providers:
        models = have[provider.id]
        if not models and serves_models(provider):  # asked only now: a server of one's own lists its models
            try:
                add_served_models(catalog, provider, ctx)
            except NetworkError as exc:  # the first choice is not there: said, never skipped for another
                raise NetworkError("%s; or name a model with -m PROVIDER/MODEL" % exc.message)
            models = catalog[provider.id]
        if models:
            return provider, default_model(provider, models)
    if have:
        raise UsageError("%s; or name a model with -m PROVIDER/MODEL" % no_models_reason(have))
    raise NotLoggedIn("no provider has a credential yet: run `atomic login`, or name a model with "
                     "-m PROVIDER/MODEL (`atomic models --all` lists them)")


def _named(ctx, name, model_id):
    """(provider, model) for NAME/MODEL in a serving process: kept (ctx.memo) while the models
    files are the same, when the catalogue had it (one its server lists is asked for each time,
    and an extension's provider each time too: its models are its own to change)."""
    from .._config.models_files import read_models_files
    from .catalog import load_catalog

    key = (read_models_files(ctx)[0],)
    found = ctx.memo.kept("model %s/%s" % (name, model_id), key)
    if found is not None:
        return found
    catalog = load_catalog(ctx, only=name)
    provider = find(name, ctx)
    listed = any(m["id"] == model_id for m in catalog.get(provider.id) or ())
    found = _pick(ctx, catalog, provider, model_id)
    if listed and provider.extension is None:
        ctx.memo.keep("model %s/%s" % (name, model_id), key, found)
    return found


def _holding(ctx, name):
    """The settings.json whose `name` is in force (the project's, when it sets one)."""
    from .._config.settings import setting_files

    return next((path for path, data in setting_files(ctx) if name in data), "settings.json")


def _pick(ctx, catalog, provider, model_id, where="-m", profile=None):
    models = catalog.get(provider.id) or []
    if model_id not in [m["id"] for m in models] and not (model_id is None and models):
        from .catalog import add_served_models

        if add_served_models(catalog, provider, ctx):  # a server of one's own: its models are its own
            models = catalog[provider.id]
    if model_id is None:
        from .catalog import account_models, stored_entry

        models = account_models(provider, models, stored_entry(provider, ctx, profile))  # its account's, if it says
        if not models:
            raise UsageError("%s has no models in the catalogue; name one with -m %s/MODEL, or add it under "
                             "providers.%s.models in models.json" % (provider.id, provider.id, provider.id))
        return provider, default_model(provider, models)
    for model in models:
        if model["id"] == model_id:
            return provider, model
    from .._core.text import did_you_mean
    raise UsageError("unknown model %r for %s (%s)%s; `atomic models %s` lists them"
                     % (model_id, provider.id, where, did_you_mean(model_id, [m["id"] for m in models]), provider.id))


def default_model(provider, models):
    """The provider's everyday model (its row's default_model) when the catalogue has it, else the
    first: the catalogue is sorted by id, and its first is often the oldest."""
    chosen = [m for m in models if m["id"] == provider.default_model]
    return chosen[0] if chosen else models[0]


def _usable(ctx, catalog, ask_servers=True):
    """(providers that have a credential now, in the login menu's order: subscriptions, then the
    others by name; {their id: the models their accounts may use}), found without running
    commands or refreshing tokens (servers of one's own asked for theirs when ask_servers)."""
    from .catalog import usable_catalog

    have = usable_catalog(catalog, ctx, ask_servers)
    subscriptions, others = in_menu_order(p for p in all_providers(ctx) if p.id in have)
    return subscriptions + others, have


def usable_models(ctx, catalog=None):
    """Every model the accounts with a credential may use, in the login menu's order."""
    from .catalog import load_catalog

    providers, have = _usable(ctx, load_catalog(ctx) if catalog is None else catalog)
    return [model for provider in providers for model in have[provider.id]]
