"""Named logins ("profiles"): which login of a provider a command uses, and their entry ids.

A named login is an ordinary credential stored under `provider:NAME` (auth.json, or the file of
linked logins); the entry without a suffix is the default login. Which one a command uses is
chosen per process, never stored: the first of

  1. --profile NAME (or the caller's choice: `atomic serve` passes a route's),
  2. ATOMIC_PROFILE: `work` for every provider, `anthropic=work;openai-codex=personal` per
     provider, or both (`work;openai-codex=personal`),
  3. the folder rules of the user's settings.json: `"profiles": [{"folder": "~/work", "use": "work"}]`,
     the longest folder holding the real working directory winning; `use` takes ATOMIC_PROFILE's forms.

A name given for one provider (`--profile`, `anthropic=work`) must exist: a missing one is an
error naming it, never a fall-through to someone else's key. A name for every provider (a bare
ATOMIC_PROFILE, a folder rule) applies to the providers that have named logins; the others keep
their default login. `default` names the login without a suffix.

The chain imports this module only when a choice can apply (a flag, ATOMIC_PROFILE, or a named
login in the files), so `atomic key` without profiles pays nothing for it.
"""
from .._core import errors
from .store import DEFAULT, command, entry_id, login_command, split  # noqa: F401 (the names of logins, here too)

VARIABLE = "ATOMIC_PROFILE"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def check_name(name, where="--profile"):
    """The name, if it can name a login; UsageError naming `where` otherwise."""
    if not (isinstance(name, str) and 0 < len(name) <= 64 and set(name) <= _NAME_CHARS
            and name[0] not in "._-"):
        raise errors.UsageError("%s %r: a profile name is letters, digits and . _ - (up to 64, starting with a letter "
                                "or digit), e.g. work" % (where, str(name)[:80]))
    return name


def named(provider_id, ctx):
    """The names of the provider's named logins, in auth.json (atomic's file) and the linked logins."""
    from .store import current_auth

    prefix = provider_id + ":"
    keys = list(current_auth(ctx).data) + list(linked_keys(ctx))
    return sorted({k[len(prefix):] for k in keys if k.startswith(prefix) and k != prefix})


def any_named(ctx):
    """Whether any named login exists: only then are the folder rules of settings.json read."""
    from .store import current_auth

    return any(":" in k for k in current_auth(ctx).data) or any(":" in k for k in linked_keys(ctx))


def linked_keys(ctx):
    """The entry ids of the linked logins (`atomic login --from`), [] without the file."""
    from .linked import read_linked

    return read_linked(ctx).data.keys()


class Choice:
    """A chosen login: its name (DEFAULT for the unnamed one) and what chose it, for messages."""

    def __init__(self, name, why):
        self.name, self.why = name, why

    @property
    def is_default(self):
        return self.name == DEFAULT

    def __repr__(self):
        return "Choice(%r, %r)" % (self.name, self.why)


def chosen(provider, ctx, explicit=None):
    """The login of `provider` this command uses: a Choice, or None for "no choice" (the default
    login and every other source, as without profiles). explicit: --profile or the caller's."""
    if explicit is not None:
        return Choice(check_name(explicit), "--profile")
    have = None
    for source, text in _ambient(ctx):
        rule = parse_rule(text, source)
        name = _rule_for(rule, provider)
        if name is None and rule.get("*") is not None:
            have = named(provider.id, ctx) if have is None else have
            name = rule["*"] if have else None
        if name is not None:
            return Choice(name, source)
    return None


def _ambient(ctx):
    """(source, rule text) of ATOMIC_PROFILE, then of the folder rule that applies here, lazily."""
    text = ctx.env(VARIABLE)
    if text is not None:
        from .._core.context import setting_name

        yield setting_name(ctx.environ, VARIABLE), text
    if any_named(ctx):
        found = folder_rule(ctx)
        if found is not None:
            yield found


def _rule_for(rule, provider):
    for name in (provider.id,) + tuple(provider.aliases):
        if name in rule:
            return rule[name]
    return None


def parse_rule(text, source):
    """{provider id or "*": name} from `work`, `anthropic=work;openai-codex=personal` or a mix."""
    rule = {}
    for part in text.replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        target, equals, name = part.rpartition("=")
        target = target.strip() if equals else "*"
        if equals and not target:
            raise errors.UsageError("%s: %r names no provider before '='; write PROVIDER=NAME, e.g. anthropic=work"
                                    % (source, part))
        rule[target] = check_name(name.strip(), source)
    return rule


def folder_rule(ctx):
    """(source, rule text) of the user's settings.json rule whose folder holds the working
    directory most closely, or None."""
    import os

    from .._config.project import start_folder
    from .._config.settings import global_path, setting_files

    # Only the user's own settings.json chooses: a rule is about folders, and a project's
    # .atomic/settings.json (even a trusted one) would be choosing the account for itself.
    path = global_path(ctx)
    settings = next((data for where, data in setting_files(ctx) if where == path), {})
    rules = settings.get("profiles")
    if rules is None:
        return None
    here = _real(start_folder(ctx))
    if here is None:
        return None
    best = None
    for n, rule in enumerate(_checked_rules(rules, path)):
        folder = _real(_expand(rule["folder"], ctx))
        if folder and (here == folder or here.startswith(folder.rstrip(os.sep) + os.sep)):
            if best is None or len(folder) > len(best[0]):
                best = (folder, "%s profiles[%d] (%s)" % (path, n, rule["folder"]), rule["use"])
    return (best[1], best[2]) if best else None


def _checked_rules(rules, path):
    fix = "; write \"profiles\": [{\"folder\": \"~/work\", \"use\": \"work\"}]"
    if not isinstance(rules, list):
        raise errors.BadFile("%s: profiles: expected a list of {\"folder\", \"use\"}%s" % (path, fix))
    for n, rule in enumerate(rules):
        if not (isinstance(rule, dict) and isinstance(rule.get("folder"), str) and rule["folder"].strip()
                and isinstance(rule.get("use"), str) and rule["use"].strip()):
            raise errors.BadFile("%s: profiles[%d]: expected {\"folder\": \"~/work\", \"use\": \"work\"}%s"
                                 % (path, n, fix))
        try:
            parse_rule(rule["use"], "%s: profiles[%d].use" % (path, n))
        except errors.UsageError as exc:  # a bad name there is the file's error
            raise errors.BadFile(exc.message)
    return rules


def _expand(folder, ctx):
    import os

    folder = folder.strip()
    if folder == "~" or folder.startswith("~/"):
        home = ctx.environ.get("HOME") or os.path.expanduser("~")
        folder = os.path.join(home, folder[2:])
    return folder if os.path.isabs(folder) else None


def _real(path):
    import os

    return os.path.realpath(path) if path else None
