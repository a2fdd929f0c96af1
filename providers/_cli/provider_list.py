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


DROP_ORDER = ("AUTH", "ALIASES", "ENVIRONMENT")  # given up, in this order, on a narrow terminal
MIN_NAME = 12


def provider_lines(rows, width=None):
    """(the rows as an aligned table, the columns left out): with a width (a terminal's), columns
    are left out, then names shortened, until every line fits."""
    table = [HEADERS] + [(r["id"], r["name"], ", ".join(r["aliases"]), ", ".join(r["env"]),
                          ",".join(r["auth"]), _credential(r)) for r in rows]
    columns = list(range(len(HEADERS)))
    widths = [max(len(r[i]) for r in table) for i in columns]
    dropped = []
    for name in DROP_ORDER:
        if not width or _total(widths, columns) <= width:
            break
        columns.remove(HEADERS.index(name))
        dropped.append(name)
    name_column = HEADERS.index("NAME")
    if width and _total(widths, columns) > width:
        widths[name_column] = max(MIN_NAME, widths[name_column] - (_total(widths, columns) - width))
    lines = ["  ".join(_cut(r[c], widths[c]).ljust(widths[c]) for c in columns).rstrip() for r in table]
    return lines, dropped


def _total(widths, columns):
    return sum(widths[c] for c in columns) + 2 * (len(columns) - 1)


def _cut(text, width):
    return text if len(text) <= width else text[:width - 1] + "…"


def _credential(row):
    if row.get("broken"):
        return "broken extension (see `atomic status`)"
    if row.get("problem"):
        return "broken (see `atomic status`)"
    if row.get("noKeyNeeded"):
        return "no key needed"
    return row["source"] or "-"
