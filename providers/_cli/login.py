"""`atomic login` and `atomic logout`: choosing how to sign in, checking what was pasted, and
saving or removing entries, never replacing one silently."""
import os

from .. import builtin, builtins, extension_providers, find, key_owner, siblings
from .._core.errors import BadFile, LoginFailed, UsageError
from .._auth.keys import is_variable_name
from .._auth.store import check_writable, current_auth, get_entry, read_auth, update_auth
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
    _check_login_flags(provider, method, args, ctx)
    settings = _parse_settings(args.env)
    _check_settings(provider, settings)
    check_writable(ctx)  # before the browser or the prompt: a login that cannot be saved is wasted
    _check_replacing(provider, method, args, ctx)
    options = {"device": args.device, "enterprise_domain": args.enterprise_domain, "settings": settings}
    if method == "oauth":
        if settings:
            raise UsageError("--env is for API-key logins; %s signs in with OAuth" % provider.id)
        record = provider.module().login(ctx, options)
        saved = _save(ctx, provider, lambda old: record)
        ctx.say("Signed in to %s; saved to %s%s" % (provider.name, os.path.join(ctx.agent_dir, "auth.json"),
                                                    _replaced(saved)))
        return provider
    own = provider.hook("login") if "oauth" not in provider.auth else None
    if own is not None:  # a provider that asks its own questions (llama.cpp: where its server is)
        record = own(ctx, options)
        if isinstance(record.get("key"), str):
            record["key"] = stored_form(record["key"], ctx)
        saved = _save(ctx, provider, lambda old: record)
        what = ", ".join(sorted(record.get("env") or {})) or "entry"
        ctx.say("Saved the %s %s%s to %s%s" % (provider.name, what, " and API key" if "key" in record else "",
                                               os.path.join(ctx.agent_dir, "auth.json"), _replaced(saved)))
        return provider
    pasted = _read_key(provider, settings, ctx)
    if pasted is not None:
        _check_shape(provider, pasted, args, ctx)
    key = stored_form(pasted, ctx) if pasted is not None else None
    settings.update(_ask_settings(provider, settings, ctx))

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

    saved = _save(ctx, provider, entry)
    what = "API key" if key is not None else "settings (%s)" % ", ".join(sorted(settings))
    ctx.say("Saved the %s %s to %s%s" % (provider.name, what, os.path.join(ctx.agent_dir, "auth.json"), _replaced(saved)))
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


def _read_key(provider, settings, ctx):
    """The pasted key; for a cloud provider, None when nothing is pasted and settings are given:
    its own credentials (ADC, the AWS chain) are used, with the settings stored."""
    pipe = "atomic login %s" % provider.id
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


def _ask_settings(provider, given, ctx):
    """On a terminal, ask for each setting the provider's address needs ({NAME} in it) that is
    neither given with --env nor stored, as the reference's /login does (Cloudflare's account and
    gateway ids); elsewhere, warn about each one set nowhere."""
    import re

    try:
        stored = (get_entry(current_auth(ctx), provider.id) or {}).get("env") or {}
    except BadFile:
        stored = {}
    asked = {}
    for name in re.findall(r"\{([A-Z_][A-Z0-9_]*)\}", provider.base_url):
        if name in given:
            continue
        have = stored.get(name) or ctx.env(name)
        if interactive(ctx):
            answer = ask(ctx, "%s for %s%s: " % (name, provider.name, " [%s]" % have if have else ""))
            if answer:
                asked[name] = answer
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
    name = _variable_named(key)
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


def _variable_named(key):
    """The environment variable a whole value stands for ($NAME, ${NAME} or an upper-case NAME),
    or None when it is a key (see _core/keys.py)."""
    name = key[2:-1] if key.startswith("${") and key.endswith("}") else key[1:] if key.startswith("$") else key
    return name if is_variable_name(name) or (name is not key and name.isidentifier()) else None


def _save(ctx, provider, make_entry):
    """Write the provider's new entry under the lock; returns what `_replaced` says of the entry it
    replaced (nothing when there was none)."""
    replaced = []

    def change(auth):
        old = auth.data.get(provider.id)
        old = old if isinstance(old, dict) else None
        data = dict(auth.data)
        data[provider.id] = make_entry(old)
        replaced.append((old, data[provider.id]))
        return None if old == data[provider.id] else data  # the same entry again: nothing to write
    update_auth(ctx, change)
    return replaced[-1]


def _kind(entry):
    """What an auth.json entry is, in words, or None for an entry of no known type."""
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
    return ", replacing %s stored before" % (_kind(old) or "the entry")


def _shown_key(key):
    """A stored key as it may be shown: a reference as written, a literal masked."""
    if key.startswith("!"):
        return "a !command"
    if _variable_named(key):
        return key
    from .._core.mask import mask_value
    return mask_value(key)


def _check_replacing(provider, method, args, ctx):
    """A subscription login replaced by an API key, or the reverse, is asked about on a terminal
    and needs --force otherwise; checked before any browser or prompt."""
    try:
        old = get_entry(current_auth(ctx), provider.id)
    except BadFile:
        return  # a malformed entry: replacing it is the fix its error message gives
    new = "oauth" if method == "oauth" else "api_key"
    if _kind(old) is None or old.get("type") == new or args.force:
        return
    what, instead = _kind(old), "a subscription login" if method == "oauth" else "an API key"
    if not interactive(ctx):
        raise UsageError("%s already has %s in auth.json; add --force to replace it with %s, or run "
                         "`atomic logout %s` first" % (provider.id, what, instead, provider.id))
    ctx.say("%s already has %s in auth.json." % (provider.name, what))
    if not confirm(ctx, "Replace it with %s?" % instead):
        raise LoginFailed("not replaced; auth.json is unchanged")


def _check_shape(provider, key, args, ctx):
    """A key shaped like another provider's (sk-ant- given to openai) is a mistake more often than
    not: asked about on a terminal, refused otherwise unless --force. Custom providers (proxies
    that take anyone's keys) and references are not checked."""
    hit = None if provider.custom or key.startswith("!") or _variable_named(key) else key_owner(key)
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
    """--device and --enterprise-domain only where they do something: ignored, they mislead."""
    if args.enterprise_domain is not None and "enterprise_domain" not in provider.login_options:
        takers = [p.id for p in builtins() + extension_providers(ctx, warn=False) if "enterprise_domain" in p.login_options]
        raise UsageError("--enterprise-domain is only for %s; leave it out for %s" % (", ".join(takers), provider.id))
    if args.device and method != "oauth":
        takers = [p.id for p in builtins() + extension_providers(ctx, warn=False) if "device" in p.login_options]
        raise UsageError("--device is only for subscription logins (%s); the %s login takes an API key"
                         % (", ".join(takers), provider.id))


def _choose_method(provider, args, ctx):
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
    ~/.pi/agent one below it); the environment and models.json keep working."""
    if args.all == bool(args.provider):
        raise UsageError("name one provider, or use --all; see `atomic logout --help`")
    files = [read_auth(ctx)]
    if ctx.pi_agent_dir is not None and os.path.lexists(os.path.join(ctx.pi_agent_dir, "auth.json")):
        files.append(read_auth(ctx, ctx.pi_agent_dir))  # a broken pi file stops here, before anything is removed
    stored = [pid for auth in files for pid in auth.data]
    if args.all:
        targets = list(dict.fromkeys(stored))
        if targets and not args.yes and not _confirm_all(targets, files, ctx):
            ctx.say("Nothing removed.")
            return 0
    else:
        pid = args.provider if args.provider in stored else find(args.provider, ctx).id
        targets = [pid] if pid in stored else []
    if not targets:
        ctx.say("No stored credential%s to remove. logout only removes what `atomic login` saved; "
                "environment variables and models.json are unchanged."
                % ("" if args.all else " for " + pid))
        return 0

    changed = {}  # provider id -> the files it was removed from
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
    for pid in targets:
        provider = builtin(pid)
        still = [name for name in (provider.env if provider else ()) if ctx.env(name)]
        name = provider.name if provider else pid
        done = ("Removed the stored credential for %s from %s." % (name, " and ".join(changed[pid]))
                if changed.get(pid) else "The stored credential for %s was already gone (another "
                                         "program removed it meanwhile)." % name)
        ctx.say(done + (" %s is still set and will be used." % still[0] if still else ""))
    ctx.say("Environment variables and models.json are unchanged.")
    return 0


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
    from .._client.authorize import placeholders, url_safe
    from .._core.text import has_control_chars

    own = set(provider.settings) | set(provider.env)
    in_address = set(placeholders(provider.base_url))
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
        if name in in_address and not url_safe(value.strip()):
            raise UsageError("--env %s: may hold only letters, digits and . _ ~ -, as it becomes part of the %s "
                             "address" % (name, provider.id))


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
