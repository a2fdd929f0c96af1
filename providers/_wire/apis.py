"""The wire APIs atomic knows, as one table: the module that speaks each, its family (the inbound
API whose bodies can pass through to it unchanged), how it carries a key, the protocol headers
that go with every request, whether a custom provider of models.json may speak it, and its
cheapest authenticated request (`atomic status --check`). `atomic key --header`, the request
pipeline, the check and the models.json schema all read this one table; what is special to one
provider lives in its module's hooks.
"""

# The Codex backend lists models only for a client version it knows; the Codex CLI sends its own.
CODEX_CLIENT_VERSION = "0.98.0"


class Api:
    """One wire API. module: dotted path of the module that speaks it; family: the inbound API of
    the same shape (openai-completions, openai-responses, anthropic-messages) or its own id;
    key_header: (name, template with {key}); probe: the path of its model list after the base URL
    (a provider's prepare() may change that request)."""
    __slots__ = ("id", "module", "family", "key_header", "headers", "custom", "probe")

    def __init__(self, id, module, family=None, key_header=("Authorization", "Bearer {key}"), headers=(),
                 custom=False, probe="/models"):
        self.id, self.module, self.family = id, "providers._wire." + module, family or id
        self.key_header, self.headers, self.custom, self.probe = key_header, headers, custom, probe


APIS = {api.id: api for api in (
    Api("openai-completions", "openai_completions", custom=True),
    Api("openai-responses", "openai_responses", custom=True),
    Api("anthropic-messages", "anthropic_messages", key_header=("x-api-key", "{key}"),
        headers=(("anthropic-version", "2023-06-01"),), custom=True, probe="/v1/models"),
    Api("google-generative-ai", "google_generative_ai", key_header=("x-goog-api-key", "{key}"), custom=True),
    # The provider module adds Azure's URL; the body is the Responses API's.
    Api("azure-openai-responses", "openai_responses", family="openai-responses", key_header=("api-key", "{key}")),
    Api("openai-codex-responses", "openai_codex_responses", family="openai-responses",
        probe="/codex/models?client_version=" + CODEX_CLIENT_VERSION),
    Api("bedrock-converse-stream", "bedrock_converse", probe="/foundation-models"),
    # The same JSON as Google's API; Vertex's URL and auth come from its provider module.
    Api("google-vertex", "google_generative_ai", family="google-generative-ai", key_header=("x-goog-api-key", "{key}")),
    Api("mistral-conversations", "mistral_conversations", probe="/v1/models"),
)}

CUSTOM_APIS = tuple(pid for pid, api in APIS.items() if api.custom)
DEFAULT_API = "openai-completions"  # what a custom provider without "api" is taken to speak


def module_for(api):
    """The wire module for an api id; UsageError for one atomic cannot speak yet."""
    import importlib

    from .._core.errors import UsageError

    row = APIS.get(api)
    if row is None:
        raise UsageError("atomic cannot talk the %r wire API yet (%s are supported); pick another model "
                         "with -m" % (api, ", ".join(sorted(APIS))))
    return importlib.import_module(row.module)
