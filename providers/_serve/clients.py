"""`atomic serve env CLIENT`: exactly what each client needs to talk to atomic serve.

- codex: a profile file, ~/.codex/atomic.config.toml (Codex 0.169 keeps each profile in a file
  of its own, used with `codex --profile atomic`), holding a provider entry with
  `wire_api = "responses"` (Codex speaks only the Responses API, and no longer reads
  OPENAI_BASE_URL) and the token in the environment variable its `env_key` names.
- claude: ANTHROPIC_BASE_URL (without /v1: Claude Code adds /v1/messages) and
  ANTHROPIC_AUTH_TOKEN (sent as `Authorization: Bearer`), and ANTHROPIC_API_KEY unset, since
  Claude Code would send that one too.
- openai: OPENAI_BASE_URL (with /v1) and OPENAI_API_KEY, which the openai SDKs read.
- anthropic: ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY, which the anthropic SDKs read.
"""
DEFAULT_PORT = 2866        # A-T-O-M on a telephone keypad
TOKEN_VARIABLE = "ATOMIC_SERVE_TOKEN"
CLIENTS = ("codex", "claude", "openai", "anthropic")


def base_url(port, host="127.0.0.1"):
    return "http://%s:%d" % ("[%s]" % host if ":" in host else host, port)


SEARCH_OFF = 'web_search = "disabled"'
SEARCH_WHY = "OpenAI's server-side web search runs only on OpenAI's Responses models"


def setup(client, port, model=None, family=None):
    """(text for stdout, a note for stderr) for one client. The token is never in the text: every
    client reads it from $ATOMIC_SERVE_TOKEN (Codex by name, the others through the lines).
    family: the wire-API family of `model` (Codex's web search tool cannot reach another)."""
    root = base_url(port)
    token = '"$%s"' % TOKEN_VARIABLE
    if client == "codex":
        if model is None:
            search = ["# %s  # for a model that is not OpenAI's: %s" % (SEARCH_OFF, SEARCH_WHY)]
        else:
            search = [] if family == "openai-responses" else ["%s  # %s" % (SEARCH_OFF, SEARCH_WHY)]
        lines = ['model_provider = "atomic"'] + (["model = %s" % _toml_string(model)] if model else []) + search + [
            '', '[model_providers.atomic]', 'name = "atomic serve"', 'base_url = "%s/v1"' % root,
            'env_key = "%s"' % TOKEN_VARIABLE, 'wire_api = "responses"']
        note = ("save this as ~/.codex/atomic.config.toml (or in $CODEX_HOME), then run `codex --profile atomic%s`"
                % ("" if model else " -m PROVIDER/MODEL"))
    elif client == "claude":
        lines = ["export ANTHROPIC_BASE_URL=%s" % root, "export ANTHROPIC_AUTH_TOKEN=%s" % token,
                 "unset ANTHROPIC_API_KEY"]
        if model:
            lines.append("export ANTHROPIC_MODEL=%s" % _quoted(model))
        note = "run these lines in the shell you start `claude` from (eval \"$(atomic serve env claude)\")"
    elif client == "openai":
        lines = ["export OPENAI_BASE_URL=%s/v1" % root, "export OPENAI_API_KEY=%s" % token]
        note = "the openai SDKs (Python, TypeScript) read these two variables"
    else:
        lines = ["export ANTHROPIC_BASE_URL=%s" % root, "export ANTHROPIC_API_KEY=%s" % token]
        note = "the anthropic SDKs (Python, TypeScript) read these two variables"
    note += "; %s holds a token from `atomic serve token create NAME`" % TOKEN_VARIABLE
    return "\n".join(lines) + "\n", note


def _quoted(value):
    import shlex

    return shlex.quote(value)


def _toml_string(value):
    import json

    return json.dumps(value)  # a JSON string is a TOML basic string for what model ids hold
