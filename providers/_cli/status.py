"""`atomic status`: every provider with a credential, the winning source, what it shadows, and
problems found. A provider whose credential is there but broken (a refresh that failed, a
reference to an unset variable) keeps its row, with the problem."""
import os
import sys

from .. import all_providers, broken_extensions, builtins, extension_providers
from .._core.errors import AtomicError
from .._core.mask import mask_value, shown
from .._core.text import printable


def collect_status(ctx):
    """A report: {"agentDir", "agentDirWhy", "authFiles", "providers": [row...], "problems": [...]};
    !commands are not run."""
    from .._auth.chain import resolve, shadowed
    from .._core.context import agent_dir_reason
    from .._core.errors import NothingFound
    from .._auth.store import current_auth, layers

    auth = current_auth(ctx)  # a corrupt auth.json stops here: it is the command's error
    problems = []
    if os.path.lexists(ctx.agent_dir) and not os.path.isdir(ctx.agent_dir):
        problems.append("the agent directory %s is not a folder, so no auth.json can be there; point "
                        "ATOMIC_CODING_AGENT_DIR at a folder, or move the file aside" % ctx.agent_dir)
    try:
        files = [a.path for a in layers(ctx)]
    except AtomicError as exc:  # pi's file is broken: it stops only the providers atomic's file lacks
        problems.append(exc.message)
        files = [auth.path]
    try:
        providers = all_providers(ctx, warn=False)  # a broken extension gets a row of its own, below
    except AtomicError as exc:
        problems.append(exc.message)
        providers = builtins() + extension_providers(ctx, warn=False)
    rows = []
    for provider in providers:
        names = _logins(provider, ctx)
        for name in names:
            try:
                # Read-only: a token due for refresh is shown as due, never refreshed (issue 22).
                found = resolve(provider, ctx, run_commands=False, refresh=False, profile=name or "default")
            except NothingFound:
                if provider.takes_no_key(ctx) and name is None:
                    rows.append({"id": provider.id, "name": provider.name, "source": None, "credential": None,
                                 "noKeyNeeded": True, "shadowed": []})
                continue
            except AtomicError as exc:
                if exc.message in problems:
                    continue  # a broken models.json, already reported once above
                rows.append(_problem_row(provider, exc, auth, ctx, name))
                continue
            row = _row(provider, found, ctx)
            row["shadowed"] = shadowed(provider, ctx, found)
            rows.append(row)
        if len(names) > 1:
            _mark_chosen([r for r in rows if r["id"] == provider.id], provider, ctx)
    for ext, exc in broken_extensions(ctx):
        rows.append({"id": ext.id, "name": ext.id, "source": None, "credential": None, "problem": shown(exc.message),
                     "shadowed": [], "extension": ext.where, "broken": True})
    for row in rows:
        defined = _defined_in(row["id"], ctx)
        if defined:
            row["definedIn"] = defined
    addresses = _project_addresses([p.id for p in providers if not p.custom], ctx)
    problems.extend(ctx.warnings)
    return {"agentDir": ctx.agent_dir, "agentDirWhy": agent_dir_reason(ctx.environ), "authFile": auth.path,
            "authFiles": files, "providers": rows, "projectAddresses": addresses, "problems": problems}


def _project_addresses(pids, ctx):
    """[{provider, model, baseUrl, file, field}] where a trusted project re-points a provider that
    is not its own (a built-in or an extension's)."""
    from .._config.models_files import project_addresses

    try:
        found = project_addresses(ctx, pids)
    except AtomicError:
        return []  # a broken models file is reported once, as a problem
    return [{"provider": pid, "model": model, "baseUrl": url, "file": path, "field": field}
            for pid, model, url, path, field in found]


def _defined_in(pid, ctx):
    """The models files that define a custom provider, the one that wins first; [] for a built-in."""
    from .. import builtin
    from .._config.models_files import defining_files

    if builtin(pid) is not None:
        return []
    try:
        return defining_files(ctx, pid)
    except AtomicError:
        return []  # a broken models file is reported once, as a problem


def _logins(provider, ctx):
    """The logins of a provider to list: None (its default one) and the names of its named logins;
    with --profile NAME only that one."""
    from .._auth.profiles import any_named, check_name, named

    if ctx.profile is not None:
        return [None] if ctx.profile == "default" else [check_name(ctx.profile)]
    return [None] + (named(provider.id, ctx) if any_named(ctx) else [])


def _mark_chosen(rows, provider, ctx):
    """Mark the row of the login this terminal uses now for the provider, and what chose it."""
    from .._auth.profiles import chosen

    try:
        choice = chosen(provider, ctx, ctx.profile)
    except AtomicError as exc:
        for row in rows:
            row.setdefault("problem", shown(exc.message))
        return
    name = None if choice is None or choice.is_default else choice.name
    for row in rows:
        if row.get("profile") == name:
            row["usedHere"] = choice.why if choice is not None else "the default"


def _row(provider, found, ctx):
    row = {"id": provider.id, "name": provider.name, "source": found.source,
           "credential": found.shown if found.value is None else mask_value(found.value)}
    if provider.no_key and found.value == provider.no_key and found.source.endswith("(no key)"):
        row.update(credential=None, noKeyNeeded=True)  # a server of one's own set up without a key
    if found.profile is not None:
        row["profile"] = found.profile
    if found.linked is not None:
        row["from"] = found.linked["from"]
    identity = found.identity
    if identity:
        row["identity"] = identity
        row["account"] = _who(identity)
    if _non_rotating(provider, found):
        row["nonRotating"] = True
    if found.expires_at is not None:
        row["expires"] = found.expires_at
        row["expiresIn"] = _duration(found.expires_at / 1000 - ctx.now())
    if found.is_oauth and found.source.endswith("refresh due)"):
        _due(row, provider, found, ctx)
    if found.is_oauth and not identity:
        hook = provider.hook("account")
        try:
            account = hook(found.entry) if hook is not None else None
        except AtomicError as exc:  # an extension's account() that fails: the credential still shows
            account, row["problem"] = None, shown(exc.message)
        if account:
            row["account"] = account
    return row


def _who(identity):
    from .login import describe_identity

    return describe_identity(identity)


def _non_rotating(provider, found):
    """A subscription token given as it is (CLAUDE_CODE_OAUTH_TOKEN, CODEX_ACCESS_TOKEN, a GitHub
    token; or stored with --with-token): atomic never refreshes it."""
    if "oauth" not in provider.auth or found.is_oauth or found.linked is not None or found.value is None:
        return False
    subscription = getattr(provider.module(), "is_subscription", None)
    return subscription(found) if subscription is not None else True


def _due(row, provider, found, ctx):
    """A token due for refresh: the next command that uses it refreshes it (status does not:
    it writes nothing), unless atomic cannot, and then an expired one is a problem."""
    from .._auth.refresh import can_refresh, stored_elsewhere_expired

    if can_refresh(provider):
        row["refreshDue"] = True
    elif found.entry["expires"] <= ctx.now() * 1000:
        row["problem"] = stored_elsewhere_expired(provider)


def _problem_row(provider, exc, auth, ctx, name=None):
    """The row of a credential that is there but does not work: where it is, and the problem."""
    from .._auth.profiles import entry_id as login_id
    from .._auth.store import get_entry

    entry_id = login_id(provider.id, name)
    row = {"id": provider.id, "name": provider.name, "source": getattr(exc, "source", None),
           "credential": None, "problem": shown(exc.message), "shadowed": []}
    if name is not None:
        row["profile"] = name
    if row["source"] == "auth.json":
        from .._auth.store import find_entry

        try:
            holder = find_entry(ctx, entry_id)[0]
            entry = get_entry(holder, entry_id)
        except AtomicError:
            holder, entry = auth, None  # the malformed entry (or pi's broken file) is the problem itself
        if entry and entry["type"] == "oauth":
            row.update(source=holder.named("oauth"), expires=entry["expires"],
                       expiresIn=_duration(entry["expires"] / 1000 - ctx.now()))
        elif holder.layer is not None:
            row["source"] = holder.named()
    return row


def _duration(seconds):
    from .._core.text import format_duration

    return "expired" if seconds <= 0 else format_duration(seconds)


def render_status(report, ctx):
    rows = report["providers"]
    lower = report["authFiles"][1:]
    ctx.say("Agent directory: %s (%s)%s" % (report["agentDir"], report["agentDirWhy"],
                                            "; also read: %s" % ", ".join(lower) if lower else ""))
    if not rows:
        ctx.say("No credentials found in %s or the environment. Run `atomic login` to sign in."
                % " or ".join(report["authFiles"]))
    table = [("PROVIDER", "SOURCE", "CREDENTIAL", "EXPIRES", "ACCOUNT", "NOTE")]
    for row in rows:
        table.append((_login_name(row), row["source"] or "-", _shown_credential(row), row.get("expiresIn", ""),
                      row.get("account", ""), _note(row)))
    if len(table) > 1:
        if not any(r[-1] for r in table[1:]):
            table = [r[:-1] for r in table]  # no notes: no NOTE column
        widths = [max(len(str(r[i])) for r in table) for i in range(len(table[0]))]
        for r in table:
            sys.stdout.write(printable("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()) + "\n")
    for row in rows:
        if row.get("problem"):
            ctx.say("problem: %s: %s" % (_login_name(row), row["problem"]))
    if report["projectAddresses"]:
        from .._config.models_files import address_notes

        pids = sorted({found["provider"] for found in report["projectAddresses"]})
        for note in address_notes(ctx, pids):
            ctx.say("project: " + note)
    for problem in report["problems"]:
        if problem in ctx.warnings:
            continue  # already printed as a warning when it was found
        if not problem.startswith(tuple(r["id"] + ":" for r in rows)):
            ctx.say("problem: " + problem)


def _shown_credential(row):
    if row.get("noKeyNeeded"):
        return "no key needed"
    return row["credential"] or "-"


def _login_name(row):
    """`anthropic`, or `anthropic:work` for a named login."""
    from .._auth.profiles import entry_id

    return entry_id(row["id"], row.get("profile"))


def _note(row):
    notes = []
    if row.get("usedHere"):
        notes.append("used here (%s)" % row["usedHere"])
    if row.get("nonRotating"):
        notes.append("non-rotating, never refreshed")
    if row.get("problem"):
        notes.append("problem (below)")
    elif row.get("refreshDue"):
        from .._auth.profiles import command

        notes.append("refresh due: `%s` refreshes it" % command("key", _login_name(row)))
    elif row.get("shadowed"):
        notes.append("shadowed: " + ", ".join(row["shadowed"]))
    if row.get("definedIn"):
        more = len(row["definedIn"]) - 1
        notes.append("from " + row["definedIn"][0] + (" (and %d more)" % more if more else ""))
    return "; ".join(notes)
