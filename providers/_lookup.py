"""Finding a provider by id: the registry first, then custom providers from models.json."""
from . import BEARER, PROVIDERS, Provider
from ._errors import UsageError

# How a custom provider's key travels, by wire API.
_HEADER_BY_API = {
    "anthropic-messages": "x-api-key: {key}",
    "google-generative-ai": "x-goog-api-key: {key}",
    "azure-openai-responses": "api-key: {key}",
}


def find_provider(name, ctx, custom=True):
    """The Provider called `name`; a usage error with "did you mean" when there is none."""
    provider = PROVIDERS.get(name)
    if provider is not None:
        return provider
    known = list(PROVIDERS)
    if custom:
        from ._models_file import read_models_files

        configs, _origin = read_models_files(ctx)
        if name in configs:
            return custom_provider(name, configs[name])
        known += list(configs)
    raise UsageError("unknown provider %r%s; `atomic login` lists them all" % (name, did_you_mean(name, known)))


def custom_provider(pid, config):
    config = config if isinstance(config, dict) else {}
    api = config.get("api") if isinstance(config.get("api"), str) else "openai-completions"
    base_url = config.get("baseUrl") if isinstance(config.get("baseUrl"), str) else ""
    return Provider(pid, pid, (), base_url, api, "key", None, _HEADER_BY_API.get(api, BEARER))


def did_you_mean(name, choices):
    import difflib

    by_lower = {c.lower(): c for c in choices}  # "OpenAI" should still find "openai"
    lower = name.lower()
    close = [by_lower[c] for c in difflib.get_close_matches(lower, list(by_lower), n=3, cutoff=0.6)]
    if not close:
        close = [c for c in choices if lower and (lower in c.lower() or c.lower() in lower)][:3]
    return " (did you mean %s?)" % " or ".join(repr(c) for c in close) if close else ""
