"""The ChatGPT Codex backend (`POST {base}/codex/responses`): OpenAI Responses events, a request of
its own (reference-pi.md §2.2; fast mode §11.3; gateway.md §0 fact 8 and §2.1).

The backend is not the public Responses API. The system prompt travels as `instructions` (which
it requires), `store` must be false and `stream` true, and it refuses by name `temperature`,
`top_p`, `max_output_tokens`, `prompt_cache_retention` and the other sampling fields: a request's
options of that kind are not sent (sampling hints, not meaning), while stop sequences, which the
Responses API cannot say, are refused. The conversation goes as the public API's input items
(openai_responses), with the model's encrypted reasoning asked for and sent back.

The transport identifies itself with `originator`. In fast mode (a final body whose service_tier
is priority) the request says so twice more, as the Codex CLI does: `originator: codex_cli_rs` and
`x-codex-routing-hint: model=<id>;tier=priority`. The account header comes with the credential.
"""
from .convert import cache_key, effort
from .ir import FEATURES
from .openai_responses import ENCRYPTED, input_items, options, read, tools  # noqa: F401  (the same events)
from .request import ApiRequest

FAMILY = "openai-responses"
CARRIES = frozenset(FEATURES)
DEFAULT_INSTRUCTIONS = "You are a helpful assistant."
ORIGINATOR = "pi"                   # what the Atomic agent sends outside fast mode
FAST_ORIGINATOR = "codex_cli_rs"
ROUTING_HEADER = "x-codex-routing-hint"
PRIORITY_TIERS = ("priority", "fast")  # OpenAI renamed "priority processing" to "fast mode"


def url(base_url):
    """{base}/codex/responses; a base that already ends in /codex or /codex/responses is kept."""
    base = base_url.rstrip("/")
    if base.endswith("/codex/responses"):
        return base
    return base + ("/responses" if base.endswith("/codex") else "/codex/responses")


def build(model, base_url, headers, request):
    body = {
        "model": model["id"],
        "store": False,
        "stream": True,
        "instructions": request.system or DEFAULT_INSTRUCTIONS,
        "input": input_items(request, model, system=False),
        "text": {"verbosity": "medium"},
        "include": [ENCRYPTED],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
    }
    options(body, request, sampling_too=False)
    tools(body, request)
    if model.get("reasoning"):
        body["reasoning"] = {"effort": effort(request) or "medium", "summary": "auto"}
    key = cache_key(model, base_url, request)
    if key:
        body["prompt_cache_key"] = key
    if request.session_id:
        headers.set("session-id", request.session_id)
        headers.set("x-client-request-id", request.session_id)
    if request.fast:
        body["service_tier"] = "priority"
    body.update(model.get("samplingParams") or {})
    headers.set("OpenAI-Beta", "responses=experimental")
    headers.setdefault("Content-Type", "application/json")
    if body.get("service_tier") in PRIORITY_TIERS:
        headers.set("originator", FAST_ORIGINATOR)
        headers.set(ROUTING_HEADER, "model=%s;tier=priority" % body["model"])
    else:
        headers.set("originator", ORIGINATOR)
        headers.remove(ROUTING_HEADER)
    return ApiRequest("POST", url(base_url), headers, json=body)
