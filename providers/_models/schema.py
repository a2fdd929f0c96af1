"""Validation of models.json / models.toml: every problem at once, each naming file and field.

Only `atomic models` validates the whole file; `atomic key` reads just the apiKey of the
provider it was asked for, so a mistake elsewhere in the file never stops a script.
"""
import os
import re

from .._wire.apis import APIS, CUSTOM_APIS

# Wire APIs a custom provider may speak (CUSTOM_APIS), and every one a built-in provider may use.
BUILTIN_APIS = tuple(APIS)

PROVIDER_FIELDS = ("baseUrl", "api", "apiKey", "headers", "authHeader", "compat", "models",
                   "modelOverrides", "name", "oauth")
# What modelOverrides may patch; a model in `models` may also set id, api, baseUrl (and
# `provider`, so a record copied from `atomic models --json` is accepted as it is).
OVERRIDE_FIELDS = ("name", "reasoning", "thinkingLevelMap", "input", "cost", "contextWindow",
                   "maxTokens", "samplingParams", "headers", "compat")
MODEL_FIELDS = ("id", "api", "baseUrl", "provider") + OVERRIDE_FIELDS
COST_FIELDS = ("input", "output", "cacheRead", "cacheWrite")
THINKING_LEVELS = ("off", "minimal", "low", "medium", "high", "xhigh", "max")

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")


def check_models_config(configs, origin, builtin_ids, env=None):
    """(problems, warnings) for the merged provider configs; each a "file: path: message" line.

    env(name) -> value or None, when given, lets header values that read an unset variable be
    warned about."""
    problems, warnings = [], []
    # One global file read: problems name it as models.json; several, or a project's
    # (<project>/.atomic/models.json, not where people look first): by path.
    read = set(origin.values()) | {f for files in getattr(origin, "files", {}).values() for f in files}
    by_path = len(read) > 1 or any(os.path.basename(os.path.dirname(f)) in (".atomic", ".pi") for f in read)
    label = (lambda f: f) if by_path else os.path.basename
    for pid, config in configs.items():
        path = _path("providers", pid)
        fields = {name: label(f) for name, f in getattr(origin, "fields", {}).get(pid, {}).items()}
        check = _Checker(label(origin[pid]), problems, warnings, path, fields)
        builtin = pid in builtin_ids
        _check_provider(check, path, pid, config, builtin)
        if isinstance(config, dict):
            if (not builtin and "api" not in config and "models" not in config
                    and any(name in config for name in PROVIDER_FIELDS)):  # (an empty one is reported as such)
                _not_a_provider(check, path, pid)
            if env is not None:
                _check_header_variables(check, path, config, env)
    return problems, warnings


def _not_a_provider(check, path, pid):
    """An entry that changes nothing built-in and defines no models: most often a misspelt id."""
    from .. import aliased, suggest

    if aliased(pid) is not None:
        check.problem(path, "%r is an alias; entries in models.json use the provider id: rename it to %r"
                      % (pid, aliased(pid).id))
        return
    check.problem(path, "not a built-in provider%s, and without \"api\" and \"models\" it defines no "
                        "custom one; fix the id, or add \"api\" and \"models\"" % suggest(pid))


def _check_header_variables(check, path, config, env):
    """Warn about header values that read an environment variable which is not set."""
    from .._auth.keys import variables_read

    places = [(path, config)] + [("%s.models[%d]" % (path, n), m) for n, m in enumerate(config.get("models") or [])
                                 if isinstance(m, dict)]
    overrides = config.get("modelOverrides")
    if isinstance(overrides, dict):
        places += [(_path(_path(path, "modelOverrides"), mid), m) for mid, m in overrides.items()
                   if isinstance(m, dict)]
    for where, obj in places:
        headers = obj.get("headers")
        for name, value in (headers.items() if isinstance(headers, dict) else ()):
            for variable in (variables_read(value) if isinstance(value, str) else ()):
                if not env(variable):
                    check.warn(_path(_path(where, "headers"), name),
                               "reads the environment variable %s, which is not set; export it (until then "
                               "requests with this header fail)" % variable)


class _Checker:
    """Collects problems (errors) and warnings for one provider, each naming the file its field
    came from (fields: {field: file} below the provider's path `base`; else `filename`)."""

    def __init__(self, filename, problems, warnings, base="", fields=None):
        self.filename, self.problems, self.warnings = filename, problems, warnings
        self.base, self.fields = base, fields or {}

    def problem(self, path, message):
        self.problems.append("%s: %s: %s" % (self._file(path), path, message))

    def warn(self, path, message):
        self.warnings.append("%s: %s: %s" % (self._file(path), path, message))

    def _file(self, path):
        rest = path[len(self.base):] if self.base and path.startswith(self.base) else ""
        match = re.match(r'\.([A-Za-z0-9_-]+)|\["([^"]*)"\]', rest)
        field = (match.group(1) or match.group(2)) if match else None
        return self.fields.get(field, self.filename)

    def unknown_fields(self, path, obj, known):
        from .._core.text import did_you_mean

        for name in obj:
            if name not in known:
                self.warn(_path(path, name), "unknown field, ignored%s" % did_you_mean(name, list(known), most=1))


def _check_provider(check, path, pid, config, builtin):
    if not pid or "/" in pid or any(ch.isspace() for ch in pid):
        check.problem(path, "a provider id must be non-empty, without spaces or '/'; rename it")
    if not isinstance(config, dict):
        check.problem(path, "expected an object (baseUrl, api, apiKey, models, ...), found %s" % _kind(config))
        return
    if not any(name in config for name in PROVIDER_FIELDS):
        check.problem(path, "empty; set at least one of baseUrl, headers, compat, models, modelOverrides, apiKey")
    check.unknown_fields(path, config, PROVIDER_FIELDS)
    apis = BUILTIN_APIS if builtin else CUSTOM_APIS
    _field(check, path, config, "baseUrl", _url)
    _field(check, path, config, "api", lambda v: _api(v, apis))
    _field(check, path, config, "apiKey", _secret)
    _field(check, path, config, "name", _text)
    _field(check, path, config, "authHeader", _boolean)
    _field(check, path, config, "headers", _headers)
    if "compat" in config:
        _check_compat(check, _path(path, "compat"), config["compat"])
    models = config.get("models")
    if models is not None:
        if not isinstance(models, list):
            check.problem(_path(path, "models"), "expected a list of models, found %s" % _kind(models))
        else:
            _check_models(check, path, config, models, builtin, apis)
    overrides = config.get("modelOverrides")
    if overrides is not None:
        if not isinstance(overrides, dict):
            check.problem(_path(path, "modelOverrides"), "expected an object of model id: changes, found %s"
                          % _kind(overrides))
        else:
            for model_id, patch in overrides.items():
                _check_model(check, _path(_path(path, "modelOverrides"), model_id), patch, OVERRIDE_FIELDS, apis)


def _check_models(check, path, config, models, builtin, apis):
    seen, without_api, without_url = {}, [], []
    for n, model in enumerate(models):
        where = "%s.models[%d]" % (path, n)
        if not _check_model(check, where, model, MODEL_FIELDS, apis):
            continue
        model_id = model.get("id")
        if not isinstance(model_id, str) or not model_id.strip():
            check.problem(_path(where, "id"), "required: the model id the server expects, e.g. \"llama3.1:8b\"")
        elif model_id in seen:
            check.problem(_path(where, "id"), "duplicate id %r (also models[%d]); keep one" % (model_id, seen[model_id]))
        else:
            seen[model_id] = n
        if "api" not in model:
            without_api.append(where)
        if "baseUrl" not in model:
            without_url.append(where)
    if builtin:
        return  # a built-in provider supplies the wire API and base URL
    if without_api and "api" not in config:
        # One line when no model names its API, else one per model that does not.
        for place in ([path] if len(without_api) == len(models) else without_api):
            check.problem(_path(place, "api"),
                          "no wire API; set \"api\" on the provider or the model (one of %s)" % ", ".join(apis))
    if without_url and "baseUrl" not in config:
        check.problem(_path(path, "baseUrl"), "required when defining custom models, e.g. "
                                              "\"http://localhost:11434/v1\"")


def _check_model(check, where, model, known, apis):
    """Check one model (or override); False when it is not even an object."""
    if not isinstance(model, dict):
        check.problem(where, "expected an object, found %s" % _kind(model))
        return False
    check.unknown_fields(where, model, known)
    for name, test in (("name", _text), ("api", lambda v: _api(v, apis)), ("baseUrl", _url),
                       ("provider", _text), ("reasoning", _boolean), ("input", _input),
                       ("contextWindow", _positive_int), ("maxTokens", _positive_int),
                       ("headers", _headers), ("samplingParams", _object), ("thinkingLevelMap", _thinking_map)):
        if name in known:
            _field(check, where, model, name, test)
    if "compat" in known and "compat" in model:
        _check_compat(check, _path(where, "compat"), model["compat"])
    if "cost" in model:
        _check_cost(check, _path(where, "cost"), model["cost"])
    return True


def _check_cost(check, where, cost):
    if not isinstance(cost, dict):
        check.problem(where, "expected an object of USD per million tokens (input, output, cacheRead, "
                             "cacheWrite), found %s" % _kind(cost))
        return
    check.unknown_fields(where, cost, COST_FIELDS + ("tiers",))
    for name in COST_FIELDS:
        _field(check, where, cost, name, _price)
    _field(check, where, cost, "tiers", lambda v: None if isinstance(v, list) else "expected a list")


# The compat flags of reference §5 (OpenAI completions, Anthropic, Responses) and what each takes:
# a boolean unless listed with its words or as an object. Unknown ones are warned about, as a typo
# (supportsDeveloperRoles) would otherwise be ignored without a word.
_COMPAT_WORDS = {
    "maxTokensField": ("max_completion_tokens", "max_tokens"),
    "thinkingFormat": ("openai", "openrouter", "deepseek", "together", "baseten", "zai", "qwen", "chat-template",
                       "qwen-chat-template", "string-thinking", "ant-ling"),
    "cacheControlFormat": ("anthropic",),
    "sessionAffinityFormat": ("openai", "openai-nosession", "openrouter"),
    "deferredToolsMode": ("kimi",),
}
_COMPAT_OBJECTS = ("chatTemplateKwargs", "chatTemplateArgs", "openRouterRouting", "vercelGatewayRouting")
_COMPAT_FLAGS = (
    "supportsStore", "supportsDeveloperRole", "supportsReasoningEffort", "supportsUsageInStreaming",
    "supportsFinishReason", "requiresToolResultName", "requiresAssistantAfterToolResult", "requiresThinkingAsText",
    "requiresReasoningContentOnAssistantMessages", "supportsStrictMode", "supportsOpenAIGrammarTools",
    "sendSessionAffinityHeaders", "supportsLongCacheRetention", "supportsEagerToolInputStreaming",
    "supportsCacheControlOnTools", "supportsTemperature", "forceAdaptiveThinking", "allowEmptySignature",
    "supportsStrictTools", "supportsToolReferences", "supportsToolSearch", "zaiToolStream",
    "supportsPromptCacheKey")  # atomic's own: whether an OpenAI-compatible server takes prompt_cache_key
COMPAT_FIELDS = _COMPAT_FLAGS + tuple(_COMPAT_WORDS) + _COMPAT_OBJECTS


def _check_compat(check, path, compat):
    if not isinstance(compat, dict):
        check.problem(path, "expected an object of compat flags, found %s" % _kind(compat))
        return
    check.unknown_fields(path, compat, COMPAT_FIELDS)
    for name, value in compat.items():
        if name in _COMPAT_FLAGS and not isinstance(value, bool):
            check.problem(_path(path, name), "expected true or false, found %s" % _kind(value))
        elif name in _COMPAT_WORDS and value not in _COMPAT_WORDS[name]:
            check.problem(_path(path, name), "expected one of %s, found %s"
                          % (", ".join(_COMPAT_WORDS[name]), repr(value) if isinstance(value, str) else _kind(value)))
        elif name in _COMPAT_OBJECTS and not isinstance(value, dict):
            check.problem(_path(path, name), "expected an object, found %s" % _kind(value))


def _field(check, path, obj, name, test):
    if name in obj:
        message = test(obj[name])
        if message:
            check.problem(_path(path, name), message)


# Field tests: None when the value is fine, else what was expected.

def _text(value):
    if not isinstance(value, str) or not value.strip():
        return "expected a non-empty string, found %s" % _kind(value)
    return None


def _secret(value):
    if not isinstance(value, str) or not value.strip():
        return "expected a non-empty string (the key, $VAR or !command), found %s" % _kind(value, secret=True)
    return None


def _url(value):
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        return "expected an http:// or https:// URL, found %s" % _kind(value)
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "a URL holds no spaces, line breaks or control characters"
    return None


def _api(value, apis):
    if not isinstance(value, str):
        return "expected one of %s, found %s" % (", ".join(apis), _kind(value))
    if value not in apis:
        from .._core.text import did_you_mean
        return "%r is not a wire API atomic knows here%s; use one of %s" % (value, did_you_mean(value, apis),
                                                                           ", ".join(apis))
    return None


def _boolean(value):
    return None if isinstance(value, bool) else "expected true or false, found %s" % _kind(value)


def _object(value):
    return None if isinstance(value, dict) else "expected an object, found %s" % _kind(value)


def _positive_int(value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return "expected a positive integer, found %s" % _kind(value)
    return None


def _price(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != value:
        return "expected a number of USD per million tokens (0 or more), found %s" % _kind(value)
    return None


def _input(value):
    if (not isinstance(value, list) or "text" not in value
            or any(kind not in ("text", "image") for kind in value)):
        return "expected [\"text\"] or [\"text\", \"image\"], found %s" % _kind(value)
    return None


def _headers(value):
    if not isinstance(value, dict):
        return "expected an object of header name: value strings, found %s" % _kind(value)
    for name, text in value.items():
        if not _HEADER_NAME.match(name):
            return "%r is not an HTTP header name (no spaces or ':'; the value goes on the right)" % name
        if not isinstance(text, str):
            return "the value of %s must be a string, found %s" % (name, _kind(text, secret=True))
        if any(ord(ch) < 32 and ch != "\t" or ord(ch) == 127 for ch in text):
            # A line break would end the header and start another one of the file's choosing.
            return "the value of %s holds a line break or control character; put it on one line" % name
    return None


def _thinking_map(value):
    if not isinstance(value, dict):
        return "expected an object of thinking level: value, found %s" % _kind(value)
    for level, sent in value.items():
        if level not in THINKING_LEVELS:
            return "%r is not a thinking level; use %s" % (level, ", ".join(THINKING_LEVELS))
        if sent is not None and not isinstance(sent, str):
            return "the value for %s must be a string or null, found %s" % (level, _kind(sent))
    return None


def _kind(value, secret=False):
    """A value's type in words; a number is shown unless it may be a secret."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number" if secret else repr(value)
    if isinstance(value, str):
        return "an empty string" if not value.strip() else "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "a %s" % type(value).__name__


def _path(parent, key):
    """parent.key, or parent["key"] when the key has dots or other characters."""
    return "%s.%s" % (parent, key) if _PLAIN_KEY.match(key) else '%s["%s"]' % (parent, key)
