"""`atomic providers`: every provider atomic knows, the names it answers to, and where its
credential comes from now (found as listings find it: no !command run, no token refreshed)."""
from .. import all_providers, broken_extensions, builtins, extension_providers
from .._core.errors import AtomicError
from .._core.mask import shown

HEADERS = ("ID", "NAME", "ALIASES", "ENVIRONMENT", "AUTH", "CREDENTIAL")


def collect_providers(ctx):
    """[{id, name, aliases, env, auth, custom, source, ...}] for built-in providers, extensions'
    (each with `extension`: where it is; a broken one with `broken` and its problem), then custom ones."""
    from .._auth.chain import resolve
    from .._core.errors import NothingFound

    try:
        providers = all_providers(ctx, warn=False)  # a broken extension gets a row of its own, below
    except AtomicError as exc:  # a broken models.json: still list the built-in providers
        ctx.warn("%s; listing the built-in providers and extensions only" % exc.message)
        providers = builtins() + extension_providers(ctx, warn=False)
    rows = []
    for provider in providers:
        row = {"id": provider.id, "name": provider.name, "aliases": list(provider.aliases),
               "env": list(provider.env), "auth": list(provider.auth), "custom": provider.custom,
               "source": None}
        if provider.default_model:
            row["defaultModel"] = provider.default_model
        if provider.extension is not None:
            row["extension"] = provider.extension.where
        try:
            row["source"] = resolve(provider, ctx, run_commands=False, refresh=False).source
        except NothingFound:
            if provider.takes_no_key(ctx):
                row["noKeyNeeded"] = True
        except AtomicError as exc:
            row["problem"] = shown(exc.message)
        rows.append(row)
    for ext, exc in broken_extensions(ctx):
        rows.append({"id": ext.id, "name": "", "aliases": [], "env": [], "auth": [], "custom": False, "source": None,
                     "extension": ext.where, "broken": True, "problem": shown(exc.message)})
    return rows


def provider_lines(rows):
    """The rows as an aligned table."""
    table = [HEADERS] + [(r["id"], r["name"], ", ".join(r["aliases"]), ", ".join(r["env"]),
                          ",".join(r["auth"]), _credential(r)) for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADERS))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in table]


def _credential(row):
    if row.get("broken"):
        return "broken extension (see `atomic status`)"
    if row.get("problem"):
        return "broken (see `atomic status`)"
    if row.get("noKeyNeeded"):
        return "no key needed"
    return row["source"] or "-"
