"""`atomic exec`: run a command with credentials in the variables its tools read, never on argv.

atomic replaces itself with the command (execve), so the command's exit status and the signals
sent to it are its own, and no atomic process stays behind holding the secrets.

What a provider exports: its module's export(credential, ctx) hook if it has one; else its
registry row's first variable (OPENAI_API_KEY, GROQ_API_KEY, ...); else, for a custom provider
of models.json, the key variable of the SDK of its wire API. An auth.json entry's `env` settings
(CLOUDFLARE_ACCOUNT_ID, ...) go along, and so does the SDK's base-URL variable when models.json
gives the provider an address of its own.
"""
import os
import sys

from .. import all_providers, find_each
from .._core.errors import AtomicError, Exit, NotLoggedIn, UsageError

# The variables the official SDKs of a wire API read: (key variable, base-URL variable). A base
# URL goes along only with a key variable of the same SDK: GROQ_API_KEY is nothing to OpenAI's.
SDK_VARIABLES = {
    "openai-completions": ("OPENAI_API_KEY", "OPENAI_BASE_URL"),
    "openai-responses": ("OPENAI_API_KEY", "OPENAI_BASE_URL"),
    "anthropic-messages": ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
    "google-generative-ai": ("GEMINI_API_KEY", None),
}


def exec_with_credentials(words, ctx):
    """Replace this process with the command after `--`; returns only by raising."""
    names, command = split_command(words)
    providers = find_each(names, ctx) if names else all_providers(ctx)
    variables = collect(names, providers, ctx)
    env = dict(ctx.environ)
    for name in shadowed_variables(variables, providers, ctx):
        # The provider's other variable, which atomic did not choose (`key --explain` calls it
        # shadowed): an SDK reading it would use a credential other than the one atomic gives.
        del env[name]
    env.update(variables)
    run(command, env)


def shadowed_variables(variables, providers, ctx):
    """Variables of the environment that belong to one of the providers whose credential atomic
    exports under another of its names (ANTHROPIC_API_KEY beside the ANTHROPIC_OAUTH_TOKEN of a
    subscription)."""
    out = []
    for provider in providers:
        if provider.env and any(name in variables for name in provider.env):
            out.extend(name for name in provider.env if name not in variables and name in ctx.environ)
    return out


def split_command(words):
    """(provider names, command) from `[PROVIDER…] -- COMMAND [ARG…]`."""
    if "--" not in words:
        raise UsageError("put -- before the command: atomic exec [PROVIDER…] -- COMMAND [ARG…]")
    at = words.index("--")
    names, command = words[:at], words[at + 1:]
    if not command:
        raise UsageError("nothing to run after --: atomic exec [PROVIDER…] -- COMMAND [ARG…]")
    return names, command


def collect(names, providers, ctx):
    """{NAME: value} for the providers (those named, or every one there is), from each that has a
    credential.

    A provider named is resolved strictly (its failure is the command's); without names, one that
    fails, or whose variable another provider already set to a different value, is named and skipped.
    """
    from .._auth.chain import resolve
    from .._core.errors import NothingFound
    from .._auth.store import current_auth

    named = bool(names)
    current_auth(ctx)  # a broken auth.json is this command's error (exit 4), not a warning per provider
    exported, owner = {}, {}
    for provider in providers:
        try:
            credential = resolve(provider, ctx)
            variables = provider_variables(provider, credential, ctx)  # a cloud chain may fail here
        except NothingFound:
            if named:
                raise
            continue
        except AtomicError as exc:
            if named:
                raise
            ctx.warn("%s skipped: %s" % (provider.id, exc.message))
            continue
        if not variables:
            ctx.warn("%s has nothing standard to export (no tool reads its %s credential from the "
                     "environment); skipped" % (provider.id, credential.source))
            continue
        clash = next((n for n, v in variables.items() if n in exported and exported[n] != v), None)
        if clash is not None:
            if named:
                raise UsageError("%s and %s both set %s; name the one you want: atomic exec %s -- …"
                                 % (owner[clash], provider.id, clash, owner[clash]))
            ctx.warn("%s skipped: %s is already set for %s (name it to use it instead: atomic exec %s -- …)"
                     % (provider.id, clash, owner[clash], provider.id))
            continue
        for name, value in variables.items():
            exported[name] = value
            owner.setdefault(name, provider.id)
    if not exported:
        raise NotLoggedIn("no credential to put in the environment%s; `atomic status` shows what you have"
                          % (" for " + ", ".join(p.id for p in providers) if named else ""))
    fast = _fast_mode([p for p in providers if p.id in set(owner.values())], ctx)
    if fast:
        exported["ATOMIC_CODEX_FAST_MODE"] = fast
    return exported


def provider_variables(provider, credential, ctx):
    """{NAME: value} a provider's tools read for this credential ({} for nothing standard)."""
    hook = provider.hook("export")
    variables = hook(credential, ctx) if hook is not None else None
    if variables is None:
        name = provider.env[0] if provider.env else SDK_VARIABLES.get(provider.api, (None,))[0]
        variables = {name: credential.value} if name and credential.value is not None else {}
    variables = dict(variables)
    if not variables:
        return variables
    for name, value in ((credential.entry or {}).get("env") or {}).items():
        variables.setdefault(name, value)
    base_variable = SDK_VARIABLES.get(provider.api, (None, None))[1]
    prefix = base_variable.split("_", 1)[0] + "_" if base_variable else None
    if prefix and any(name.startswith(prefix) for name in variables):
        address = _configured_address(provider, credential, ctx)
        if address:
            variables[base_variable] = address
    for name, value in variables.items():
        if not isinstance(value, str) or "\0" in value or "=" in name:
            raise AtomicError("%s: the value for %s cannot go into an environment variable; run "
                              "`atomic login %s` again" % (provider.id, name, provider.id), Exit.BAD_FILE)
    return variables


def _configured_address(provider, credential, ctx):
    """The provider's base URL when models.json sets one (or defines the provider), else None."""
    from .._client.authorize import base_url

    config, _path = provider.config(ctx)
    if provider.custom or (config and isinstance(config.get("baseUrl"), str)):
        return base_url(provider, ctx, credential) or None
    return None


def _fast_mode(providers, ctx):
    """ATOMIC_CODEX_FAST_MODE from settings.json, for a command that gets an OpenAI credential;
    None when the environment already carries it (it is passed on as it is) or nothing is set."""
    from .._client import fast

    if ctx.env(fast.ENV) or not any(p.id in fast.PROVIDERS for p in providers):
        return None
    return fast.for_children(ctx)


def run(command, env):
    """execvpe the command (PATH from env); only an error that keeps it from starting returns here."""
    import signal

    from providers._core.text import printable

    program = printable(command[0])  # for messages: a newline in it must not make two lines
    if not command[0]:
        raise AtomicError("the command after -- is an empty word; name the program to run", Exit.USAGE)
    sys.stdout.flush()
    sys.stderr.flush()
    # Python ignores SIGPIPE (and SIGXFSZ); an ignored signal stays ignored across exec, and
    # `atomic exec -- yes | head` should end as `yes | head` does.
    restore = {}
    for name in ("SIGPIPE", "SIGXFSZ"):
        number = getattr(signal, name, None)
        if number is not None:
            restore[number] = signal.signal(number, signal.SIG_DFL)
    try:
        os.execvpe(command[0], command, env)
    except OSError as exc:
        for number, handler in restore.items():
            signal.signal(number, handler)
        if isinstance(exc, FileNotFoundError):
            if os.sep in command[0] and os.path.exists(command[0]):  # found: what it starts with is missing
                raise AtomicError("%s: bad interpreter: the program its #! line names does not exist; fix that "
                                  "line" % program, Exit.NOT_FOUND)
            raise AtomicError("%s: command not found; check the name, or give its path" % program, Exit.NOT_FOUND)
        raise AtomicError("%s: cannot run it (%s)" % (program, exc.strerror or exc), Exit.CANNOT_RUN)
