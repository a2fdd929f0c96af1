"""The model catalogue: the built-in data, with models.json / models.toml applied, and queries.

Only `atomic models` (and whatever else needs model data) imports this; `atomic key`, `login`,
`logout` and `--help` never load the catalogue.
"""
from .. import (aliased, all_providers, builtin, builtins, custom_provider, extension, extension_ids,
                extension_providers, find, unknown_provider)
from .._core import errors

CATALOG_FILE = "catalog.json"  # package data beside this module (in a zip, inside the archive)

# Defaults of a model defined in models.json (the reference's).
DEFAULT_CONTEXT_WINDOW = 128000
DEFAULT_MAX_TOKENS = 16384
_MERGED_FIELDS = ("headers", "compat", "thinkingLevelMap", "samplingParams")


_SHIPPED = []  # the catalogue as parsed, once per process: a gateway routes every request through it


def builtin_catalog():
    """{provider id: [model, ...]} as shipped in providers/_models/catalog.json: a new dict of new
    lists at each call, the model records shared (apply_config copies one before changing it)."""
    if not _SHIPPED:
        _SHIPPED.append(_read_catalog())
    return {pid: list(models) for pid, models in _SHIPPED[0].items()}


def _read_catalog():
    import os

    from .._core.jsonread import loads  # the C scanner alone: neither json nor re is imported

    try:
        # What pkgutil.get_data does, asked of this module's own loader: it reads from a folder
        # or a zip (zipapp) alike, on 3.8 too, without the 13 ms of importing pkgutil (and typing).
        raw = __loader__.get_data(os.path.join(os.path.dirname(__file__), CATALOG_FILE))
        return loads(raw.decode("utf-8"), trusted=True)
    except (OSError, ValueError) as exc:
        raise errors.AtomicError("the built-in model catalogue providers/_models/%s cannot be read (%s); reinstall "
                          "atomic, keeping providers/ beside atomic.py" % (CATALOG_FILE, exc), errors.Exit.BUG)


def builtin_models(provider_id):
    """The shipped catalogue's models of one provider (models.json not applied)."""
    return list(builtin_catalog().get(provider_id, ()))


def load_catalog(ctx, only=None, extensions=True):
    """The catalogue with the extensions' models and custom providers merged in; BadFile listing
    every problem in the files. only: the provider (id or alias) a command is about, so that no
    other extension is imported; an extension that fails is then that command's error.
    extensions=False: without the extensions' models, so that none is imported (completion)."""
    from .._config.models_files import read_models_files

    rows = _extension_rows(ctx, only) if extensions else ()
    memo = ctx.memo
    if rows or memo is None:  # an extension's models() is asked each time: they are its to change
        return _catalog(ctx, only, rows)
    # Without extension models, the catalogue is the same for any `only`: made from the models
    # files alone (the same object while they are unchanged), kept, and handed out as a copy.
    key = (read_models_files(ctx)[0],)
    kept = memo.kept("catalogue", key) or memo.keep("catalogue", key, _catalog(ctx, only, ()))
    return {pid: list(models) for pid, models in kept.items()}


def _catalog(ctx, only, extension_rows):
    from .._config.models_files import read_models_files

    catalog = builtin_catalog()
    rows = {}
    for provider in extension_rows:
        try:
            catalog[provider.id] = extension_models(provider, ctx)
        except errors.AtomicError as exc:
            if only is not None:
                raise
            ctx.warn("%s (its models are left out)" % exc.message)
            continue
        rows[provider.id] = provider
    configs, origin = read_models_files(ctx)
    if configs:
        from .schema import check_models_config

        known = {p.id for p in builtins()} | set(extension_ids(ctx)) | set(rows)  # their entries are overrides
        problems, warnings = check_models_config(configs, origin, known, env=ctx.env)
        for warning in warnings:
            ctx.warn(warning)
        if problems:
            raise errors.BadFile(_summary(problems, origin))
    for pid, config in configs.items():
        before = catalog.get(pid, ())
        catalog[pid] = apply_config(pid, config, before, row=rows.get(pid))
        row = rows.get(pid) or builtin(pid)
        if isinstance(config, dict) and config.get("modelOverrides") and not (row and serves_models(row)):
            warn_unknown_overrides(pid, config, before, ctx)  # a server's models are checked once listed
    return catalog


def _extension_rows(ctx, only):
    if only is None:
        return extension_providers(ctx)
    if builtin(only) is not None or aliased(only) is not None:
        return []
    found = extension(only, ctx)
    return [found] if found is not None else []


def extension_models(provider, ctx):
    """An extension provider's models(ctx), checked as models.json's models are and completed the
    same way (its row gives api and baseUrl); BadFile naming the extension when they do not check."""
    hook = provider.hook("models")
    raw = list(hook(ctx)) if hook is not None else []
    from .schema import check_models_config

    own_wire = provider.hook("wire") is not None  # api ids of its own: atomic's table does not know them
    shown = [{k: v for k, v in m.items() if not (own_wire and k == "api")} for m in raw]
    where = provider.extension.where
    problems, _warnings = check_models_config({provider.id: {"models": shown}}, {provider.id: where},
                                              {provider.id})
    if problems:  # "file: providers.ID.models[0].field: message" -> "models[0].field: message"
        found = [p.split(": ", 1)[1].replace("providers.%s." % provider.id, "", 1) for p in problems]
        raise errors.BadFile("the %s extension's models(): %s; fix it, or move it out of the extensions folder"
                             % (provider.id, "; ".join(found)))
    defaults = {"api": provider.api, "baseUrl": provider.base_url}
    return [custom_model(provider.id, defaults, model, row=provider) for model in raw]


def _summary(problems, origin):
    files = sorted(set(origin.values()).union(*getattr(origin, "files", {}).values()))
    fix = "fix %s; atomic has not changed %s" % ("them" if len(problems) > 1 else "it",
                                                 "the files" if len(files) > 1 else "the file")
    if len(problems) == 1:
        return "%s (%s)" % (problems[0], fix)
    return "%d problems in %s (%s):\n%s" % (len(problems), " and ".join(files), fix,
                                           "\n".join("  " + p for p in problems))


def apply_config(pid, config, builtin, row=None):
    """A provider's models after its models.json entry: re-pointed, patched, then upserted
    (row: the provider's registry row when it is not built in, e.g. an extension's)."""
    models = [dict(m) for m in builtin]
    shared = {name: config[name] for name in ("baseUrl", "headers", "compat") if name in config}
    for model in models:
        if "baseUrl" in shared:
            model["baseUrl"] = shared["baseUrl"]
        for name in ("headers", "compat"):
            if name in shared:  # the model's own values win over the provider's
                model[name] = dict(shared[name], **model.get(name, {}))
    overrides = config.get("modelOverrides") or {}
    for model in models:
        if model["id"] in overrides:  # other ids change nothing, as in the reference (load_catalog warns)
            patch_model(model, overrides[model["id"]])
    index = {m["id"]: n for n, m in enumerate(models)}
    for raw in config.get("models") or ():
        model = custom_model(pid, config, raw, row=row)
        if model["id"] in index:
            models[index[model["id"]]] = model  # the same id replaces the built-in model
        else:
            index[model["id"]] = len(models)
            models.append(model)
    return models


def patch_model(model, patch):
    """Apply a modelOverrides entry: plain fields replace, objects (cost, headers, ...) merge."""
    for name, value in patch.items():
        if name == "cost":
            model["cost"] = dict(model.get("cost", {}), **value)
        elif name in _MERGED_FIELDS:
            model[name] = dict(model.get(name) or {}, **value)
        else:
            model[name] = value


def custom_model(pid, config, raw, row=None):
    """A model from models.json with the reference's defaults filled in."""
    row = row or builtin(pid)
    model = {
        "id": raw["id"],
        "name": raw.get("name") or raw["id"],
        "api": raw.get("api") or config.get("api") or (row.api if row else None),
        "provider": pid,
        "baseUrl": raw.get("baseUrl") or config.get("baseUrl") or (row.base_url if row else ""),
    }
    for name in ("headers", "compat"):
        merged = dict(config.get(name) or {}, **raw.get(name, {}))
        if merged:
            model[name] = merged
    model["reasoning"] = raw.get("reasoning", False)
    if "thinkingLevelMap" in raw:
        model["thinkingLevelMap"] = raw["thinkingLevelMap"]
    model["input"] = list(raw.get("input", ["text"]))
    model["cost"] = dict({"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0}, **raw.get("cost", {}))
    model["contextWindow"] = raw.get("contextWindow", DEFAULT_CONTEXT_WINDOW)
    model["maxTokens"] = raw.get("maxTokens", DEFAULT_MAX_TOKENS)
    if "samplingParams" in raw:
        model["samplingParams"] = raw["samplingParams"]
    return model


def usable_catalog(catalog, ctx, ask_servers=True):
    """{provider id: the models its account may use} for the providers that have a credential,
    found without running commands or refreshing tokens, in the catalogue's order.

    A custom provider without an apiKey (Ollama, LM Studio, vLLM on this machine) needs none. A
    provider whose models come from its own server (llama.cpp) is there whenever it has a
    credential, with the models its server lists now when ask_servers (one that does not answer
    is named in a warning), else with what the files say so far (often none).
    """
    from .._auth.chain import resolve
    from .._auth.store import current_auth

    current_auth(ctx)  # a corrupt auth.json is this command's error, not one per provider
    providers = {p.id: p for p in all_providers(ctx)}
    found = {}
    for pid in list(catalog) + [pid for pid in providers if pid not in catalog]:
        provider = providers.get(pid) or custom_provider(pid, {})
        if provider.takes_no_key(ctx):
            found[pid] = catalog[pid]
            continue
        try:
            credential = resolve(provider, ctx, run_commands=False, refresh=False)
        except errors.NotLoggedIn:
            continue
        except errors.AtomicError as exc:
            ctx.warn("%s: %s" % (pid, exc.message))
            continue
        models = account_models(provider, catalog.get(pid, []), credential.entry)
        if serves_models(provider):
            if ask_servers:
                models = _with_served(models, provider, credential, ctx)
            found[pid] = models
        elif models:
            found[pid] = models
    return found


def serves_models(provider):
    """Whether the provider's models come from its own server (its `served_models` hook)."""
    return (provider.module_name is not None or provider.extension is not None) and \
        provider.hook("served_models") is not None


def _with_served(models, provider, credential, ctx):
    """models plus the ones the provider's server lists now; a server that does not answer is
    named in a warning, and its models are left out."""
    catalog = {provider.id: models}
    try:
        add_served_models(catalog, provider, ctx, credential)
    except errors.NetworkError as exc:
        ctx.warn("%s (its models are left out)" % exc.message)
    return catalog[provider.id]


def stored_entry(provider, ctx, profile=None):
    """The auth.json entry of the login a request to provider would use (profile, else --profile
    and the folder rules), found as listings find it: no token refreshed, no !command run, no
    other tool asked (a linked login has no entry here). None when that credential is not a
    stored login, or there is none usable (the request says why)."""
    from .._auth.chain import resolve
    from .._auth.store import layers

    prefix = provider.id + ":"
    try:
        if not any(k == provider.id or k.startswith(prefix) for auth in layers(ctx) for k in auth.data):
            return None  # nothing stored: a linked login (another tool's, asked only when used) has no entry
        entry = resolve(provider, ctx, run_commands=False, refresh=False, profile=profile, links=False).entry
    except errors.AtomicError:
        return None
    return entry if isinstance(entry, dict) else None


def account_models(provider, models, entry):
    """The models an account may use where its login stored the list (GitHub Copilot's
    availableModelIds, from the account's GET /models): the shipped catalogue's other models go,
    those models.json adds stay. All of them when the entry has no such list. Each as the account
    serves it (the provider's account_model hook); one it refuses is left out."""
    allowed = entry.get("availableModelIds") if isinstance(entry, dict) else None
    if isinstance(allowed, list) and allowed:
        shipped = {m["id"] for m in builtin_models(provider.id)}
        models = [m for m in models if m["id"] in allowed or m["id"] not in shipped]
    hook = provider.hook("account_model")
    return models if hook is None else _served_as(hook, models, entry)


def _served_as(hook, models, entry):
    served = []
    for model in models:
        try:
            served.append(hook(model, entry))
        except errors.UsageError:
            continue
    return served


def add_served_models(catalog, provider, ctx, credential=None):
    """Add the models the provider's own server lists now (its `served_models` hook: llama.cpp)
    after those models.json defines, with models.json's modelOverrides applied to them; False,
    and nothing asked, for a provider without the hook. credential: the one to ask with (else
    the chain's, resolved now)."""
    hook = provider.hook("served_models")
    if hook is None:
        return False
    from .._auth.chain import resolve

    served = [dict(m) for m in hook(credential or resolve(provider, ctx), ctx)]
    config, _path = provider.config(ctx)
    overrides = (config or {}).get("modelOverrides") or {}
    for model in served:
        if model["id"] in overrides:
            patch_model(model, overrides[model["id"]])
    have = {m["id"] for m in catalog.get(provider.id, ())}
    catalog[provider.id] = list(catalog.get(provider.id, ())) + [m for m in served if m["id"] not in have]
    warn_unknown_overrides(provider.id, config, catalog[provider.id], ctx)
    return True


def warn_unknown_overrides(pid, config, models, ctx):
    """A modelOverrides entry for a model the provider does not have changes nothing: most often
    a misspelt id, so say so (with the closest ids)."""
    overrides = (config or {}).get("modelOverrides") if isinstance(config, dict) else None
    if not isinstance(overrides, dict):
        return
    ids = [m["id"] for m in models]
    missing = [model_id for model_id in overrides if model_id not in ids]
    if not missing:
        return
    from .._core.text import did_you_mean
    from .._config.models_files import field_file

    where = field_file(ctx, pid, "modelOverrides") or "models.json"
    for model_id in missing:
        ctx.warn("%s: providers.%s.modelOverrides: %s has no model %r to override, so this entry changes "
                 "nothing%s" % (where, pid, pid, model_id, did_you_mean(model_id, ids)))


def custom_origins(models, ctx):
    """[(custom provider id, the models files that define it, the winning one first)] for the
    providers of these models, in their order (for `atomic models` to say where each came from)."""
    from .._config.models_files import defining_files

    seen = []
    for model in models:
        if builtin(model["provider"]) is None and model["provider"] not in seen:
            seen.append(model["provider"])
    return [(pid, defining_files(ctx, pid)) for pid in seen if defining_files(ctx, pid)]


def select_models(ctx, target=None, every=False, search=None, reasoning=False, images=False):
    """(models, why-empty hint) for `atomic models`; UsageError for an unknown provider or model."""
    catalog = load_catalog(ctx, only=target.partition("/")[0] if target else None)
    if target:
        pid, model_id = split_target(target, catalog, ctx)
        provider = find(pid, ctx)
        served = add_served_models(catalog, provider, ctx)
        models = catalog[pid] if every or model_id else account_models(provider, catalog[pid], stored_entry(provider, ctx))
        if model_id is not None:
            models = [m for m in models if m["id"] == model_id]
            if not models:
                from .._core.text import did_you_mean
                raise errors.UsageError("unknown model %r for %s%s; `atomic models %s` lists them"
                                 % (model_id, pid, did_you_mean(model_id, [m["id"] for m in catalog[pid]]), pid))
        empty = ("the %s server lists no models; load one into it" % pid if served else
                 "%s has no models in the catalogue; add some under providers.%s.models in models.json" % (pid, pid))
    elif every:
        models = [m for pid in catalog for m in catalog[pid]]
        empty = "the catalogue is empty"
    else:
        usable = usable_catalog(catalog, ctx)
        models = [m for found in usable.values() for m in found]
        empty = no_models_reason(usable)
    chosen = [m for m in models if matches(m, search, reasoning, images)]
    if models and not chosen:
        empty = "no model matches %s; try fewer filters%s" % (
            _describe_filters(search, reasoning, images), "" if every or target else ", or --all")
    return chosen, empty


def no_models_reason(usable):
    """Why a list of the usable models is empty: no credential at all, or credentials whose
    servers list no models now (never the first when there is one)."""
    if usable:
        return ("%s, which you have a credential for, %s no models now; load one into %s, or see every "
                "known model with `atomic models --all`" % (", ".join(usable), "lists" if len(usable) == 1 else "list",
                                                             "its server" if len(usable) == 1 else "their servers"))
    return ("no provider has a credential yet: run `atomic login` to sign in, "
            "or `atomic models --all` to see every known model")


def split_target(target, catalog, ctx=None):
    """(provider id, model id or None) from PROVIDER or PROVIDER/MODEL (model ids may hold '/');
    PROVIDER may be an alias (claude/claude-sonnet-4-5), an extension's too when ctx is given."""
    pid, _slash, model_id = target.partition("/")
    if pid not in catalog and builtin(pid) is None:
        found = extension(pid, ctx) if ctx is not None and aliased(pid) is None else None
        if found is not None:
            return found.id, (model_id or None)
        if aliased(pid) is None:
            custom = [custom_provider(p, {}) for p in catalog if builtin(p) is None]
            raise unknown_provider(pid, custom, "`atomic models --all` lists every provider and model")
        pid = aliased(pid).id
    if pid not in catalog:
        catalog[pid] = []  # a known provider without catalogue models (together)
    return pid, (model_id or None)


def matches(model, search, reasoning, images):
    if reasoning and not model.get("reasoning"):
        return False
    if images and "image" not in model.get("input", ()):
        return False
    if search:
        needle = search.lower()
        haystack = "%s/%s %s" % (model["provider"], model["id"], model.get("name", ""))
        return needle in haystack.lower()
    return True


def _describe_filters(search, reasoning, images):
    parts = (["--search %r" % search] if search else []) + (["--reasoning"] if reasoning else []) \
        + (["--images"] if images else [])
    return " ".join(parts)


def public_records(models):
    """Copies safe to print: header values from models.json may be secrets, so mask those.

    A reference (`!command`, `$VAR`, a variable name) says where a secret lives, not what it
    is, and is shown as written.
    """
    out = []
    for model in models:
        if model.get("headers"):
            model = dict(model, headers={k: _shown_header(k, v) for k, v in model["headers"].items()})
        out.append(model)
    return out


def _shown_header(name, value):
    from .._auth.keys import needs_resolving
    from .._core.mask import is_secret_header, mask_text, mask_value

    if needs_resolving(value):
        return value
    if is_secret_header(name):
        return mask_value(value)
    return mask_text(value)
