"""Codex fast mode as the Atomic agent defines it: the priority service tier for OpenAI models,
switched separately for chat and for workflow stages.

settings.json holds {"codexFastMode": {"chat": bool, "workflow": bool}} (default off; a project's
file overrides the global one field by field). ATOMIC_CODEX_FAST_MODE=chat=1;workflow=0 overrides
either for one process tree. Eligible: provider openai or openai-codex, or any model whose wire
API is openai-codex-responses; never Copilot, Azure, OpenRouter or other compatible servers.
"""
from .._core.errors import BadFile, UsageError

SCOPES = ("chat", "workflow")
ENV = "ATOMIC_CODEX_FAST_MODE"
SETTING = "codexFastMode"
PROVIDERS = ("openai", "openai-codex")
FAN_OUT_WARNING = ("workflow fast mode is on: every workflow stage uses the priority tier, and parallel "
                   "stages multiply that usage (and its price)")
_TRUE, _FALSE = ("1", "true", "on", "yes"), ("0", "false", "off", "no")


def all_off():
    """The flags when nothing turns fast mode on: {"chat": False, "workflow": False}."""
    return dict.fromkeys(SCOPES, False)


def eligible(model):
    """Whether fast mode applies to a model record (provider, api)."""
    return model.get("provider") in PROVIDERS or model.get("api") == "openai-codex-responses"


def stored(ctx):
    """{"chat": bool, "workflow": bool} from settings.json (global, then the project's over it)."""
    from .._config.settings import read_settings

    value = read_settings(ctx).get(SETTING)
    if value is None:
        return all_off()
    problem = first_problem(ctx)
    if problem:
        raise BadFile(problem[1])
    return {scope: value.get(scope, False) for scope in SCOPES}


def first_problem(ctx):
    """(the file, what is wrong with its codexFastMode, with a fix that works there: atomic writes
    only the global file), or None when the setting is sound."""
    from .._config.settings import global_path, setting_files

    for path, data in setting_files(ctx):
        value = data.get(SETTING)
        if value is None:
            continue
        if path == global_path(ctx):
            fix = "fix the file, or run `atomic fast off`"
        else:
            fix = "fix it there: this project's file overrides the global one, and atomic writes only the global one"
        if not isinstance(value, dict):
            return path, "%s: %s must be an object like {\"chat\": false, \"workflow\": false}; %s" % (
                path, SETTING, fix)
        for name in SCOPES:
            if not isinstance(value.get(name, False), bool):
                fix = fix.replace("`atomic fast off`", "`atomic fast off --%s`" % name)
                return path, "%s: %s.%s must be true or false; %s" % (path, SETTING, name, fix)
    return None


def overrides(ctx):
    """The scopes ATOMIC_CODEX_FAST_MODE sets, e.g. {"chat": True}; {} when it is unset."""
    raw = ctx.env(ENV)
    if raw is None:
        return {}
    out = {}
    for part in raw.replace(",", ";").split(";"):
        if not part.strip():
            continue
        scope, _eq, value = part.partition("=")
        scope, value = scope.strip().lower(), value.strip().lower()
        if scope not in SCOPES or value not in _TRUE + _FALSE:
            from .._core.context import setting_name
            raise UsageError("%s=%s: expected chat=1;workflow=0 (each scope 1 or 0); fix or unset it"
                             % (setting_name(ctx.environ, ENV), raw.strip()[:80]))
        out[scope] = value in _TRUE
    return out


def state(ctx):
    """The flags in force for this process: settings.json with the environment over it."""
    flags = stored(ctx)
    flags.update(overrides(ctx))
    return flags


def for_children(ctx):
    """ATOMIC_CODEX_FAST_MODE's value carrying the stored settings to another program, e.g.
    "chat=1;workflow=0"; None when nothing is stored."""
    from .._config.settings import read_settings

    if read_settings(ctx).get(SETTING) is None:
        return None
    flags = stored(ctx)
    return ";".join("%s=%d" % (scope, flags[scope]) for scope in SCOPES)


def applies(ctx, model, scope):
    """Fast mode for this request: an eligible model and the scope's flag on."""
    return eligible(model) and state(ctx)[scope]


def store(ctx, scope, on):
    """Set codexFastMode.<scope> in the global settings.json (warning once when workflow fast mode
    is turned on); the flags now stored."""
    from .._config.settings import global_path, update_settings

    problem = first_problem(ctx)
    if problem and problem[0] != global_path(ctx):
        raise BadFile(problem[1])  # a project's file this command cannot mend: write nothing
    try:
        before = stored(ctx)
    except BadFile:  # the global setting this command is about to write over (the fix the error names)
        before = all_off()

    def change(settings):
        current = settings.get(SETTING)
        flags = dict(current) if isinstance(current, dict) else {}
        flags[scope] = bool(on)
        new = dict(settings)
        new[SETTING] = flags
        return new

    update_settings(ctx, change)
    after = stored(ctx)
    if scope == "workflow" and on and not before["workflow"]:
        ctx.warn(FAN_OUT_WARNING)
    return after


def describe(ctx):
    """A line for people: both flags and where an override comes from."""
    flags, env = state(ctx), overrides(ctx)
    parts = ["%s %s%s" % (scope, "on" if flags[scope] else "off", " (from %s)" % ENV if scope in env else "")
             for scope in SCOPES]
    return "Codex fast mode: " + ", ".join(parts)
