"""The wire APIs atomic knows, as data: how each carries a key, and the protocol headers that go
with every request. `atomic key --header`, the request pipeline and the models.json schema all
read this one table; what is special to one provider lives in its module's hooks.
"""


class Api:
    """One wire API: its key header (name, template with {key}), its protocol headers, and
    whether a custom provider of models.json may speak it."""
    __slots__ = ("id", "key_header", "headers", "custom")

    def __init__(self, id, key_header=("Authorization", "Bearer {key}"), headers=(), custom=False):
        self.id, self.key_header, self.headers, self.custom = id, key_header, headers, custom


APIS = {api.id: api for api in (
    Api("openai-completions", custom=True),
    Api("openai-responses", custom=True),
    Api("anthropic-messages", ("x-api-key", "{key}"), (("anthropic-version", "2023-06-01"),), custom=True),
    Api("google-generative-ai", ("x-goog-api-key", "{key}"), custom=True),
    Api("azure-openai-responses", ("api-key", "{key}")),
    Api("openai-codex-responses"),
    Api("bedrock-converse-stream"),
    Api("google-vertex", ("x-goog-api-key", "{key}")),
    Api("mistral-conversations"),
)}

CUSTOM_APIS = tuple(pid for pid, api in APIS.items() if api.custom)
DEFAULT_API = "openai-completions"  # what a custom provider without "api" is taken to speak
