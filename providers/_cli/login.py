"""`atomic login` and `atomic logout`: choosing how to sign in, checking what was pasted, and
saving or removing entries, never replacing one silently."""
import os

from .. import builtin, builtins, extension_providers, find, key_owner, siblings
from .._core.errors import BadFile, LoginAgain, LoginFailed, NetworkError, UsageError
from .._auth.keys import is_reference, is_variable_name, variable_named
from .._auth.profiles import command
from .._auth.store import (LINKED_FILE, auth_path, check_writable, current_auth, get_entry, has_links, read_auth,
                           update_auth)
from .._core.prompts import ask, confirm, interactive, read_secret


def login(args, ctx):
    """Sign in to one provider (or pick one from the menu) and save the credential; exit 0."""
    sign_in(args, ctx)
    return 0


def sign_in(args, ctx):
    """login()'s work; the provider signed in to."""
    if args.provider:
        provider = _named(args, ctx)
        _mention_siblings(provider, ctx)
        method = _choose_method(provider, args, ctx)
    else:
        from .menu import choose

        if not interactive(ctx):
            raise UsageError("name the provider: `atomic login PROVIDER` (stdin is not a terminal, so "
                             "there is no menu); `atomic login --help` shows examples")
        provider, method = choose(ctx)
        method = method or _choose_method(provider, args, ctx)
    entry_id = _entry_id(provider, args)
    _check_login_flags(provider, method, args, ctx)
    settings = _parse_settings(args.env)
    _check_settings(provider, settings)
    check_writable(ctx)  # before the browser or the prompt: a login that cannot be saved is wasted
    _check_replacing(provider, method, args, ctx, entry_id)
    options = {"device": args.device, "enterprise_domain": args.enterprise_domain, "settings": settings}
    if method in ("token", "from"):
        return _login_elsewhere(provider, method, args, ctx, entry_id, options)
    if method == "oauth":
        if settings:
            raise UsageError("--env is for API-key logins; %s signs in with OAuth" % provider.id)
        record = provider.module().login(ctx, options)
        saved = _save(ctx, entry_id, lambda old: record)
        ctx.say("Signed in to %s%s; saved%s" % (provider.name, _as_who(record.get("identity")),
                                               _saved_to(ctx, entry_id, saved)))
        return provider
    own = provider.hook("login") if "oauth" not in provider.auth else None
    if own is not None:  # a provider that asks its own questions (llama.cpp: where its server is)
        record = own(ctx, options)
        if isinstance(record.get("key"), str):
            record["key"] = stored_form(record["key"], ctx)
        saved = _save(ctx, entry_id, lambda old: record)
        what = ", ".join(sorted(record.get("env") or {})) or "entry"
        ctx.say("Saved the %s %s%s%s" % (provider.name, what, " and API key" if "key" in record else "",
                                         _saved_to(ctx, entry_id, saved)))
        return provider
    pasted = _read_key(provider, settings, ctx, chosen=args.key)
    if pasted is not None:
        _check_shape(provider, pasted, args, ctx)
    key = stored_form(pasted, ctx) if pasted is not None else None
    settings.update(_ask_settings(provider, entry_id, settings, ctx))

    def entry(old):
        # Keep the settings of the entry being replaced, unless they were malformed.
        env = old.get("env") if old and old.get("type") == "api_key" else None
        env = dict(env) if isinstance(env, dict) and all(isinstance(v, str) for v in env.values()) else {}
        env.update(settings)
        record = {"type": "api_key"}
        if key is not None:
            record["key"] = key
        if env:
            record["env"] = env
        return record

    saved = _save(ctx, entry_id, entry)
    what = "API key" if key is not None else "settings (%s)" % ", ".join(sorted(settings))
    ctx.say("Saved the %s %s%s" % (provider.name, what, _saved_to(ctx, entry_id, saved)))
    return provider


def _named(args, ctx):
    """The provider named on the command line; a key given there instead (`login --key sk-…`)
    is refused without being repeated."""
    try:
        return find(args.provider, ctx)
    except UsageError as exc:
        # A misspelt provider has a near name (did you mean); a key has none, or a key's shape.
        if key_owner(args.provider) or ((args.key or len(args.provider) >= 20) and "did you mean" not in exc.message):
            from .parser import login_takes_no_key
            raise UsageError(login_takes_no_key())
        raise


def _entry_id(provider, args):
    """Where the login goes: the provider's own entry, or `provider:NAME` with --profile NAME."""
    if args.profile is None:
        return provider.id
    from .._auth.profiles import check_name, entry_id

    return entry_id(provider.id, check_name(args.profile))


def _saved_to(ctx, entry_id, saved):
    """` to ~/.atomic/agent/auth.json as anthropic:work, replacing ...`: where a login was saved
    (saved: what _save returned)."""
    return " to %s%s%s" % (auth_path(ctx), _under(entry_id), _replaced(saved))


def _under(entry_id):
    return " as %s" % entry_id if ":" in entry_id else ""


def _as_who(identity):
    """` as alice@example.com (workspace acct-1, plus)` for the message after a login, or ""."""
    shown = describe_identity(identity)
    return " as " + shown if shown else ""


def describe_identity(identity):
    """Who a login belongs to, in words: `alice@example.com (account acct-1, plan plus)`; "" if unknown."""
    if not isinstance(identity, dict):
        return ""
    who = identity.get("email") or identity.get("user") or ""
    more = ["%s %s" % (label, identity[name]) for name, label in (("accountName", "org"), ("account", "account"),
                                                                  ("plan", "plan")) if identity.get(name)]
    if not who:
        return ", ".join(more)
    return "%s (%s)" % (who, ", ".join(more)) if more else who


def _login_elsewhere(provider, method, args, ctx, entry_id, options):
    """--with-token (a non-rotating token on stdin, stored as a key) or --from TOOL (a link to the
    tool's own login, kept in linked-logins.json: never a copy of its tokens)."""
    if method == "token":
        options["token"] = read_secret(ctx, "Paste the %s token (input is hidden): " % provider.name,
                                       pipe="atomic login %s --with-token" % provider.id)
        record = provider.module().login(ctx, options)
        saved = _save(ctx, entry_id, lambda old: record)
        ctx.say("Saved the %s token%s%s; it does not rotate, and atomic never refreshes it"
                % (provider.name, _as_who(record.get("identity")), _saved_to(ctx, entry_id, saved)))
        return provider
    from .._auth.linked import credential, linked_path, update_linked

    options["from"] = args.from_tool
    record = {k: v for k, v in provider.module().login(ctx, options).items() if k != "type"}
    shown = credential(provider, ctx, entry_id, record, refresh=False)  # read once: who it is, and that it works
    update_linked(ctx, lambda data: dict(data, **{entry_id: record}))
    old = _remove_stored(ctx, entry_id)
    ctx.say("Linked %s%s to %s's own login%s (read at each use, never copied); saved in %s%s%s"
            % (provider.name, _under(entry_id), record["from"], _as_who(shown.identity),
               linked_path(ctx), "" if old is None else "; removed %s stored before" % (_kind(old) or "the entry"),
               "" if old is None or old.get("type") != "oauth" else
               " (still valid at the provider: log in again and `atomic logout --revoke` ends it there)"))
    return provider


def _remove_stored(ctx, entry_id):
    """Take the entry out of atomic's auth.json (a link replaced it); the entry removed, or None."""
    removed = []

    def change(auth):
        if entry_id not in auth.data:
            return None
        removed.append(auth.data[entry_id])
        return {k: v for k, v in auth.data.items() if k != entry_id}
    update_auth(ctx, change)
    return removed[0] if removed and isinstance(removed[0], dict) else None


def _read_key(provider, settings, ctx, chosen=False):
    """The pasted key; for a cloud provider, None when nothing is pasted and settings are given:
    its own credentials (ADC, the AWS chain) are used, with the settings stored. chosen: --key was
    given; without it, a provider that also has a subscription login names --oauth in the errors
    (`ssh server atomic login claude` has no terminal, so it was taken for a key login)."""
    pipe = "atomic login %s" % provider.id
    if "oauth" in provider.auth and not chosen:
        pipe += "; or, for the subscription: atomic login %s --oauth" % provider.id
    if "cloud" not in provider.auth:
        return read_secret(ctx, "Paste your %s API key (input is hidden): " % provider.name, pipe=pipe)
    ambient = provider.hook("ambient")
    what = (ambient.__doc__ or "its own credentials").strip().splitlines()[0] if ambient else "its own credentials"
    key = read_secret(ctx, "Paste your %s API key (input is hidden), or press Enter to use %s: "
                      % (provider.name, what), optional=True, pipe=pipe)
    if key is None and not settings and not interactive(ctx):
        raise UsageError("nothing to save: give a key on stdin, or settings for %s's own credentials with "
                         "--env (e.g. %s=…)" % (provider.id, provider.settings[0]))
    return key


def _ask_settings(provider, entry_id, given, ctx):
    """On a terminal, ask for each setting the provider's address needs ({NAME} in it) that is
    neither given with --env nor stored with this login, as the reference's /login does
    (Cloudflare's account and gateway ids); elsewhere, warn about each one set nowhere."""
    from .._net.address import check_setting, placeholders

    try:
        stored = (get_entry(current_auth(ctx), entry_id) or {}).get("env") or {}
    except BadFile:
        stored = {}
    asked = {}
    for name in placeholders(provider.base_url):
        if name in given:
            continue
        have = stored.get(name) or ctx.env(name)
        if interactive(ctx):
            answer = ask(ctx, "%s for %s%s: " % (name, provider.name, " [%s]" % have if have else ""))
            if answer:
                asked[name] = check_setting(provider, name, answer.strip(), what="the %s typed" % name, whole=False)
            elif not have:
                raise UsageError("%s is needed to reach %s; run `atomic login %s` again and give it"
                                 % (name, provider.name, provider.id))
        elif not have:
            ctx.warn("%s is not set; %s needs it: store it with `--env %s=…`, or export it"
                     % (name, provider.id, name))
    return asked


def stored_form(key, ctx):
    """The auth.json value for what was pasted, so that it reads back as meant (see _keys).

    `!command` and a whole `$NAME` / `${NAME}` / NAME are kept as references, and said to be; a
    `$` anywhere else is part of the key and is stored as `$$`.
    """
    if key.startswith("!"):
        ctx.say("Saving a command: atomic will run it (once per process) to get the key.")
        return key
    name = variable_named(key)
    if name:
        if not ctx.env(name):
            # Not echoed: an all-capitals key would be the secret itself.
            raise UsageError("what you gave is read as the name of an environment variable, which "
                             "is not set here; export it first, or give the key itself")
        ctx.say("Saving a reference to the environment variable %s (read each time, not copied)." % name)
        return key
    if "$" in key:
        ctx.say("The $ in the key is stored as typed; `$NAME` references are written as `$NAME` in "
                "auth.json by hand.")
    return key.replace("$", "$$")


def _save(ctx, entry_id, make_entry):
    """Write the login's new entry under the lock; returns (the entry it replaced or None, the new
    one), which `_replaced` words. The same entry again writes nothing. A link to another tool's
    login under the same name goes: the entry replaces it."""
    replaced = []

    def change(auth):
        old = auth.data.get(entry_id)
        old = old if isinstance(old, dict) else None
        data = dict(auth.data)
        data[entry_id] = make_entry(old)
        replaced.append((old, data[entry_id]))
        return None if old == data[entry_id] else data  # the same entry again: nothing to write
    update_auth(ctx, change)
    old, new = replaced[-1]
    if old is None and _unlink(ctx, entry_id):
        return {"from": True}, new
    return old, new


def _unlink(ctx, entry_id):
    """Remove the link stored under entry_id, if there is one; whether there was."""
    from .._auth.linked import get_link, update_linked

    if not has_links(ctx) or get_link(ctx, entry_id) is None:
        return False
    gone = []

    def change(data):
        gone.append(data.pop(entry_id, None))
        return data if gone[-1] is not None else None
    update_linked(ctx, change)
    return gone[-1] is not None


def _kind(entry):
    """What an auth.json entry (or a link) is, in words, or None for an entry of no known type."""
    if isinstance(entry, dict) and entry.get("from"):
        return "a link to another tool's login"
    kind = entry.get("type") if isinstance(entry, dict) else None
    return {"oauth": "a subscription (OAuth) login", "api_key": "an API key"}.get(kind)


def _replaced(saved):
    """`, replacing ...` for the message after a save, so a replaced credential is never silent
    (saved: what _save returned, the old entry and the new)."""
    old, new = saved
    if old is None:
        return ""
    if old == new:
        return " (it was stored already: nothing changed)"
    if old.get("type") == "api_key" and isinstance(old.get("key"), str):
        if old["key"] == new.get("key"):
            return ", keeping the same API key; its settings changed"
        return ", replacing the API key stored before (%s)" % _shown_key(old["key"])
    if old.get("type") == "api_key" and "key" not in old:
        return ", replacing the settings stored before"
    who = describe_identity(old.get("identity"))  # another workspace of the same e-mail, say
    return ", replacing %s stored before%s" % (_kind(old) or "the entry", " (%s)" % who if who else "")


def _shown_key(key):
    """A stored key as it may be shown: a reference as written, a literal masked."""
    if key.startswith("!"):
        return "a !command"
    if variable_named(key):
        return key
    from .._core.mask import mask_value
    return mask_value(key)


def _check_replacing(provider, method, args, ctx, entry_id):
    """A subscription login replaced by an API key, a link by a login, or the reverse, is asked
    about on a terminal and needs --force otherwise; checked before any browser or prompt."""
    from .._auth.linked import get_link

    try:
        old = get_entry(current_auth(ctx), entry_id) or get_link(ctx, entry_id)
    except BadFile:
        return  # a malformed entry: replacing it is the fix its error message gives
    new = {"oauth": "oauth", "from": "linked"}.get(method, "api_key")
    was = "linked" if old and old.get("from") else (old or {}).get("type")
    if _kind(old) is None or was == new or args.force:
        return
    what = "%s in %s" % (_kind(old), LINKED_FILE if was == "linked" else "auth.json")
    instead = {"oauth": "a subscription login", "linked": "a link to %s's login" % args.from_tool}.get(new, "an API key")
    if not interactive(ctx):
        raise UsageError("%s already has %s; add --force to replace it with %s, or run `%s` first"
                         % (entry_id, what, instead, command("logout", entry_id)))
    ctx.say("%s already has %s." % (provider.name + ("" if entry_id == provider.id else " (%s)" % args.profile), what))
    if not confirm(ctx, "Replace it with %s?" % instead):
        raise LoginFailed("not replaced; auth.json is unchanged")


def _check_shape(provider, key, args, ctx):
    """A key shaped like another provider's (sk-ant- given to openai) is a mistake more often than
    not: asked about on a terminal, refused otherwise unless --force. Custom providers (proxies
    that take anyone's keys) and references are not checked."""
    hit = None if provider.custom or is_reference(key) else key_owner(key)
    if hit is None or hit[0] is provider or key.startswith(provider.key_prefixes):
        return
    owner, prefix = hit
    message = "this looks like a key for %s (it starts with %s), not for %s" % (owner.name, prefix, provider.name)
    if args.force:
        ctx.warn(message + "; saving it anyway (--force)")
    elif not interactive(ctx):
        raise UsageError("%s; run `atomic login %s` to store it for %s, or add --force to store it for %s anyway"
                         % (message, owner.id, owner.name, provider.id))
    else:
        ctx.warn(message)
        if not confirm(ctx, "Save it for %s anyway?" % provider.name):
            raise LoginFailed("not saved; run `atomic login %s` to store it for %s" % (owner.id, owner.name))


def _mention_siblings(provider, ctx):
    """On a terminal, name the providers easily taken for this one (minimax and minimax-cn)."""
    others = siblings(provider)
    if others and interactive(ctx):
        ctx.say("Signing in to %s (%s). Also available: %s."
                % (provider.name, provider.id, "; ".join("`atomic login %s` for %s" % (p.id, p.name) for p in others)))


def _check_login_flags(provider, method, args, ctx):
    """--device, --enterprise-domain, --with-token and --from only where they do something: ignored, they mislead."""
    def takers(option):
        return ", ".join(p.id for p in builtins() + extension_providers(ctx, warn=False) if option in p.login_options)

    for option, given in (("with_token", args.with_token), ("from", args.from_tool is not None)):
        if given and option not in provider.login_options:
            raise UsageError("--%s is only for %s; %s takes %s" % (option.replace("_", "-"), takers(option), provider.id,
                                                                  "an API key" if "key" in provider.auth else "its own login"))
    if args.enterprise_domain is not None and "enterprise_domain" not in provider.login_options:
        raise UsageError("--enterprise-domain is only for %s; leave it out for %s" % (takers("enterprise_domain"), provider.id))
    if args.device and method != "oauth":
        raise UsageError("--device is only for subscription logins (%s); the %s login %s"
                         % (takers("device"), provider.id, "takes an API key" if method == "key" else
                            "goes without a browser"))
    if args.env and method in ("token", "from"):
        raise UsageError("--env is for API-key logins; leave it out with --with-token and --from")


def _choose_method(provider, args, ctx):
    if args.with_token:
        return "token"
    if args.from_tool is not None:
        return "from"
    if args.oauth and "oauth" not in provider.auth:
        raise UsageError("%s has no subscription login; run `atomic login %s` for an API key" % (provider.id, provider.id))
    if args.key and "key" not in provider.auth:
        raise UsageError("%s signs in only with OAuth; run `atomic login %s`" % (provider.id, provider.id))
    if args.oauth or provider.auth == ("oauth",):
        return "oauth"
    if args.key or "oauth" not in provider.auth or not interactive(ctx):
        return "key"
    question = "Sign in to %s with\n  1) the subscription (OAuth)\n  2) an API key\nChoice [1]: " % provider.name
    while True:
        answer = ask(ctx, question)
        if answer in ("", "1"):
            return "oauth"
        if answer == "2":
            return "key"
        ctx.say("%r is not a choice; answer 1 or 2." % answer)
        question = "Choice [1]: "


def logout(args, ctx):
    """Remove stored entries only, from every auth.json atomic reads (atomic's, and pi's
    ~/.pi/agent one below it) and the links to other tools' logins; the environment and
    models.json keep working. --revoke ends the login at the provider first."""
    if args.all == bool(args.provider):
        raise UsageError("name one provider, or use --all; see `atomic logout --help`")
    if args.all and (args.profile is not None or args.revoke):
        raise UsageError("--%s goes with one PROVIDER, not --all" % ("revoke" if args.revoke else "profile"))
    files = [read_auth(ctx)]
    if ctx.pi_agent_dir is not None and os.path.lexists(auth_path(ctx, ctx.pi_agent_dir)):
        files.append(read_auth(ctx, ctx.pi_agent_dir))  # a broken pi file stops here, before anything is removed
    links = _links(ctx)
    stored = [eid for auth in files for eid in auth.data] + list(links)
    if args.all:
        targets = list(dict.fromkeys(stored))
        if targets and not args.yes and not _confirm_all(targets, files, ctx):
            ctx.say("Nothing removed.")
            return 0
    else:
        pid = args.provider if args.provider in stored else find(args.provider, ctx).id
        if args.profile is not None:
            from .._auth.profiles import check_name, entry_id

            pid = entry_id(pid, check_name(args.profile))
        targets = [pid] if pid in stored else []
    if not targets:
        ctx.say("No stored credential%s to remove%s. logout only removes what `atomic login` saved; "
                "environment variables and models.json are unchanged."
                % ("" if args.all else " for " + pid, "" if args.all else _named_hint(pid, stored)))
        return 0
    if args.revoke:
        return _revoke(targets[0], files, links, ctx)
    changed = _remove(targets, files, links, ctx)
    for pid in targets:
        provider = builtin(pid.partition(":")[0])
        still = [name for name in (provider.env if provider else ()) if ctx.env(name)]
        name = (provider.name if provider else pid) + (" (%s)" % pid.partition(":")[2] if ":" in pid else "")
        if pid in links and changed.get(pid):
            done = ("Removed the link to %s's login for %s; %s's own login is unchanged."
                    % (links[pid].get("from"), name, links[pid].get("from")))
        else:
            done = ("Removed the stored credential for %s from %s." % (name, " and ".join(changed[pid]))
                    if changed.get(pid) else "The stored credential for %s was already gone (another "
                                             "program removed it meanwhile)." % name)
        ctx.say(done + (" %s is still set and will be used." % still[0] if still and ":" not in pid else ""))
    ctx.say("Environment variables and models.json are unchanged.%s" % (
        "" if args.revoke or not any(_was_oauth(files, pid) for pid in targets) else
        " A subscription login removed this way stays valid at the provider until it expires; "
        "`atomic logout PROVIDER --revoke` ends it there."))
    return 0


def _links(ctx):
    """{entry id: link} of linked-logins.json ({} without one)."""
    if not has_links(ctx):
        return {}
    from .._auth.linked import read_linked

    return dict(read_linked(ctx).data)


def _named_hint(pid, stored):
    provider_id = pid.partition(":")[0]
    names = sorted(eid.partition(":")[2] for eid in stored if eid.startswith(provider_id + ":"))
    return "; its named logins: %s (--profile NAME)" % ", ".join(names) if names else ""


def _was_oauth(files, pid):
    return any(isinstance(auth.data.get(pid), dict) and auth.data[pid].get("type") == "oauth" for auth in files)


def _remove(targets, files, links, ctx):
    """Take the targets out of every file that holds them; {entry id: [files it left]}."""
    changed = {}  # entry id -> the files it was removed from
    for auth in files:
        if any(pid in auth.data for pid in targets):
            removed = []

            def change(fresh, removed=removed):
                removed.extend(pid for pid in targets if pid in fresh.data)
                # Nothing to remove any more (another process did): the file is left as it is.
                return {n: e for n, e in fresh.data.items() if n not in targets} if removed else None

            update_auth(ctx, change, directory=os.path.dirname(auth.path))
            for pid in removed:
                changed.setdefault(pid, []).append(auth.path)
    if any(pid in links for pid in targets):
        from .._auth.linked import linked_path, update_linked

        gone = []

        def unlink(data):
            gone.extend(pid for pid in targets if pid in data)
            return {n: e for n, e in data.items() if n not in targets} if gone else None
        update_linked(ctx, unlink)
        for pid in gone:
            changed.setdefault(pid, []).append(linked_path(ctx))
    return changed


def _revoke(entry_id, files, links, ctx):
    """End the login at the provider (its revoke hook), then remove it: only after the provider
    confirmed, and in the same hold of the lock, so no refresh can slip in between."""
    provider = find(entry_id.partition(":")[0], ctx)
    if entry_id in links:
        tool = links[entry_id].get("from")
        raise UsageError("%s is a link to %s's own login: atomic only removes its link (`%s` without --revoke); "
                         "ending that login is %s's to do" % (entry_id, tool, command("logout", entry_id), tool))
    auth = next(a for a in files if entry_id in a.data)
    _check_revocable(get_entry(auth, entry_id), entry_id)
    hook = provider.hook("revoke")
    if hook is None:
        elsewhere = getattr(provider.module(), "REVOKE_ELSEWHERE", None) if provider.module_name else None
        raise UsageError("%s offers no way for atomic to revoke a login%s; `%s` removes it here, and the "
                         "token stays valid at %s until it expires" % (provider.name, "; " + elsewhere if elsewhere
                                                                       else "", command("logout", entry_id), provider.name))
    done = []

    def change(fresh):
        entry = get_entry(fresh, entry_id)
        if entry is None:
            return None
        _check_revocable(entry, entry_id)
        hook(entry, ctx)  # a provider that does not confirm raises: the entry stays
        done.append(entry_id)
        return {n: e for n, e in fresh.data.items() if n != entry_id}

    try:
        update_auth(ctx, change, directory=os.path.dirname(auth.path))
    except (NetworkError, LoginAgain) as exc:
        raise type(exc)("%s; nothing was removed: try again, or `%s` without --revoke removes it here "
                        "only" % (exc.message, command("logout", entry_id)))
    if not done:
        ctx.say("The login %s was already gone (another program removed it meanwhile); nothing was revoked." % entry_id)
        return 0
    ctx.say("Revoked the %s login at %s and removed it from %s." % (entry_id, provider.name, auth.path))
    return 0


def _check_revocable(entry, entry_id):
    """Only a subscription login is revoked at the provider: a key has no expiry to wait for, and
    ends where it was made."""
    if entry is not None and entry["type"] != "oauth":
        raise UsageError("%s is %s, not a subscription login: revoke a key in the provider's console, then run "
                         "`%s`" % (entry_id, _kind(entry), command("logout", entry_id)))


def _confirm_all(targets, files, ctx):
    """`logout --all` removes logins that take a browser to get back: asked on a terminal, and
    refused without --yes elsewhere."""
    listed = ", ".join(targets)
    if len(files) > 1:
        listed += "; from %s" % " and ".join(auth.path for auth in files if auth.data)
    if not interactive(ctx):
        raise UsageError("logout --all would remove %d stored credential(s) (%s); add --yes to confirm"
                         % (len(targets), listed))
    return confirm(ctx, "Remove %d stored credential(s) (%s)?" % (len(targets), listed))


# Variables that decide what a program runs or loads: `atomic exec` hands an entry's settings to
# the command, so a setting must never be one of these.
_STEERING = frozenset(("PATH", "HOME", "SHELL", "IFS", "ENV", "BASH_ENV", "CDPATH", "TMPDIR", "PS4",
                       "PROMPT_COMMAND", "NODE_OPTIONS", "PERL5OPT", "RUBYOPT", "JAVA_TOOL_OPTIONS"))
_STEERING_PREFIXES = ("LD_", "DYLD_", "PYTHON", "GIT_", "SSL_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")


def _check_settings(provider, settings):
    """Refuse --env settings that are not the provider's to keep: ones that steer programs, another
    provider's key, control characters, or an address part that would re-route the request."""
    from .._net.address import check_setting
    from .._core.text import has_control_chars

    own = set(provider.settings) | set(provider.env)
    others = {name: p.id for p in builtins() if p.id != provider.id for name in p.env}
    for name, value in settings.items():
        if name not in own and (name in _STEERING or name.startswith(_STEERING_PREFIXES)):
            raise UsageError("--env %s: that variable decides what programs run or load, not a %s setting; "
                             "leave it out" % (name, provider.id))
        if name not in own and name in others:
            raise UsageError("--env %s: that is %s's key variable; log in to %s for it: atomic login %s"
                             % (name, others[name], others[name], others[name]))
        if has_control_chars(value, c1=True):
            raise UsageError("--env %s: the value holds a control character (a line break?); give it on one "
                             "line" % name)
        check_setting(provider, name, value.strip(), what="--env " + name)  # one that goes into its address


def _parse_settings(pairs):
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not is_variable_name(name):
            # The name alone: the value may be a secret.
            raise UsageError("--env %r: expected NAME=VALUE with an upper-case NAME, e.g. "
                             "--env CLOUDFLARE_ACCOUNT_ID=abc123" % (name if sep else "…"))
        settings[name] = value
    return settings
