"""`atomic login` and `atomic logout`: the menu, choosing how to sign in, saving entries."""
import os

from .. import builtin, builtins, find
from .._core.errors import UsageError
from .._core.keys import is_variable_name
from .._core.store import check_writable, read_auth, update_auth
from .prompts import ask, interactive, read_secret


def login(args, ctx):
    """Sign in to one provider (or pick one from the menu) and save the credential."""
    if args.provider:
        provider = find(args.provider, ctx)
        method = _choose_method(provider, args, ctx)
    else:
        provider, method = _menu(ctx)
    _check_login_flags(provider, method, args)
    settings = _parse_settings(args.env)
    check_writable(ctx)  # before the browser or the prompt: a login that cannot be saved is wasted
    if method == "oauth":
        if settings:
            raise UsageError("--env is for API-key logins; %s signs in with OAuth" % provider.id)
        options = {"device": args.device, "enterprise_domain": args.enterprise_domain}
        record = provider.module().login(ctx, options)
        _save(ctx, provider, lambda old: record)
        ctx.say("Signed in to %s; saved to %s" % (provider.name, os.path.join(ctx.agent_dir, "auth.json")))
        return 0
    key = stored_form(read_secret(ctx, "Paste your %s API key (input is hidden): " % provider.name), ctx)

    def entry(old):
        # Keep the settings of the entry being replaced, unless they were malformed.
        env = old.get("env") if old and old.get("type") == "api_key" else None
        env = dict(env) if isinstance(env, dict) and all(isinstance(v, str) for v in env.values()) else {}
        env.update(settings)
        record = {"type": "api_key", "key": key}
        if env:
            record["env"] = env
        return record

    _save(ctx, provider, entry)
    ctx.say("Saved the %s API key to %s" % (provider.name, os.path.join(ctx.agent_dir, "auth.json")))
    return 0


def stored_form(key, ctx):
    """The auth.json value for what was pasted, so that it reads back as meant (see _keys).

    `!command` and a whole `$NAME` / `${NAME}` / NAME are kept as references, and said to be; a
    `$` anywhere else is part of the key and is stored as `$$`.
    """
    if key.startswith("!"):
        ctx.say("Saving a command: atomic will run it (once per process) to get the key.")
        return key
    name = key[2:-1] if key.startswith("${") and key.endswith("}") else key[1:] if key.startswith("$") else key
    if is_variable_name(name) or (name is not key and name.isidentifier()):
        if not ctx.env(name):
            # Not echoed: an all-capitals key would be the secret itself.
            raise UsageError("what you gave is read as the name of an environment variable, which "
                             "is not set here; export it first, or give the key itself")
        ctx.say("Saving a reference to the environment variable %s (read each time, not copied)." % name)
        return key
    return key.replace("$", "$$")


def _save(ctx, provider, make_entry):
    def change(auth):
        old = auth.data.get(provider.id)
        data = dict(auth.data)
        data[provider.id] = make_entry(old if isinstance(old, dict) else None)
        return data
    update_auth(ctx, change)


def _check_login_flags(provider, method, args):
    """--device and --enterprise-domain only where they do something: ignored, they mislead."""
    if args.enterprise_domain is not None and "enterprise_domain" not in provider.login_options:
        takers = [p.id for p in builtins() if "enterprise_domain" in p.login_options]
        raise UsageError("--enterprise-domain is only for %s; leave it out for %s" % (", ".join(takers), provider.id))
    if args.device and method != "oauth":
        raise UsageError("--device is only for subscription logins (openai-codex, github-copilot); "
                         "the %s login takes an API key" % provider.id)


def _choose_method(provider, args, ctx):
    if args.oauth and "oauth" not in provider.auth:
        raise UsageError("%s has no subscription login; run `atomic login %s` for an API key" % (provider.id, provider.id))
    if args.key and "key" not in provider.auth:
        raise UsageError("%s signs in only with OAuth; run `atomic login %s`" % (provider.id, provider.id))
    if args.oauth or provider.auth == ("oauth",):
        return "oauth"
    if args.key or "oauth" not in provider.auth or not interactive(ctx):
        return "key"
    answer = ask(ctx, "Sign in to %s with\n  1) the subscription (OAuth)\n  2) an API key\nChoice [1]: "
                  % provider.name)
    if answer in ("", "1"):
        return "oauth"
    if answer == "2":
        return "key"
    raise UsageError("%r is not a choice; answer 1 or 2" % answer)


def _menu(ctx):
    if not interactive(ctx):
        raise UsageError("name the provider: `atomic login PROVIDER` (stdin is not a terminal, so "
                         "there is no menu); `atomic login --help` shows examples")
    subscriptions = [p for p in builtins() if p.subscription]
    choices = [(p, "oauth", p.subscription) for p in subscriptions]
    keyed = sorted((p for p in builtins() if "key" in p.auth), key=lambda p: p.name.lower())
    choices += [(p, "key", "%s (API key)" % p.name) for p in keyed]
    lines = ["Subscriptions:"]
    for n, (_p, _m, label) in enumerate(choices, 1):
        if n == len(subscriptions) + 1:
            lines.append("API keys:")
        lines.append("  %2d) %s" % (n, label))
    answer = ask(ctx, "\n".join(lines) + "\nSign in to which (number or provider id)? ")
    if answer.isdigit() and 1 <= int(answer) <= len(choices):
        provider, method, _label = choices[int(answer) - 1]
        return provider, method
    if builtin(answer) is not None:
        provider = builtin(answer)
        return provider, ("oauth" if provider.auth == ("oauth",) else "key")
    raise UsageError("%r is not on the menu; give a number from 1 to %d" % (answer, len(choices)))


def logout(args, ctx):
    """Remove stored entries only; the environment and models.json keep working."""
    if args.all == bool(args.provider):
        raise UsageError("name one provider, or use --all; see `atomic logout --help`")
    auth = read_auth(ctx)
    if args.all:
        targets = list(auth.data)
    else:
        if args.provider not in auth.data:
            find(args.provider, ctx)  # an unknown name is a usage error with a suggestion
        targets = [args.provider] if args.provider in auth.data else []
    if not targets:
        ctx.say("No stored credential%s to remove. logout only removes what `atomic login` saved; "
                "environment variables and models.json are unchanged."
                % ("" if args.all else " for " + args.provider))
        return 0

    def change(fresh):
        data = dict(fresh.data)
        for pid in targets:
            data.pop(pid, None)
        return data

    update_auth(ctx, change)
    for pid in targets:
        provider = builtin(pid)
        still = [name for name in (provider.env if provider else ()) if ctx.env(name)]
        ctx.say("Removed the stored credential for %s from %s.%s"
                % (provider.name if provider else pid, auth.path,
                   " %s is still set and will be used." % still[0] if still else ""))
    ctx.say("Environment variables and models.json are unchanged.")
    return 0


def _parse_settings(pairs):
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not is_variable_name(name):
            raise UsageError("--env %r: expected NAME=VALUE with an upper-case NAME, e.g. "
                             "--env CLOUDFLARE_ACCOUNT_ID=abc123" % pair)
        settings[name] = value
    return settings
