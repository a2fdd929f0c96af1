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
from .convert import cache_fields, effort
from .ir import FEATURES
from .openai_responses import ENCRYPTED, input_items, options, read, tools  # noqa: F401  (the same events)
from .request import ApiRequest

FAMILY = "openai-responses"
CARRIES = frozenset(FEATURES)
DEFAULT_INSTRUCTIONS = "You are a helpful assistant."
STREAMS_ONLY = True                 # it answers only in a stream: a caller wanting one answer has it gathered
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
    cache_fields(body, model, base_url, request, retention=False)
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


# A Responses body from a caller of the same family (a gateway's relay), as the backend takes it
# (docs/gateway.md §2.1): it refuses these parameters by name, and requires store false, stream
# true and instructions.
REFUSED = ("temperature", "top_p", "max_output_tokens", "max_completion_tokens", "presence_penalty",
           "frequency_penalty", "seed", "metadata", "top_logprobs", "truncation", "previous_response_id",
           "prompt_cache_retention", "safety_identifier", "stream_options", "user", "context_management")


def adapt(model, request):
    """The backend's rules applied to a caller's Responses body in request.json (and the headers
    that follow from it): what it refuses removed, what it requires set; nothing else changed."""
    body = request.json
    for name in REFUSED:
        body.pop(name, None)
    if body.get("service_tier") not in PRIORITY_TIERS:
        body.pop("service_tier", None)
    body["store"], body["stream"] = False, True
    if not isinstance(body.get("instructions"), str) or not body["instructions"]:
        body["instructions"] = DEFAULT_INSTRUCTIONS
    include = body.get("include") if isinstance(body.get("include"), list) else []
    body["include"] = include + [i for i in ("reasoning.encrypted_content",) if i not in include]
    if isinstance(body.get("input"), str):
        body["input"] = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": body["input"]}]}]
    if isinstance(body.get("input"), list):  # the backend takes no system items
        body["input"] = [dict(item, role="developer") if isinstance(item, dict) and item.get("role") == "system"
                         else item for item in body["input"]]
    if body.get("service_tier") in PRIORITY_TIERS:
        request.headers.set("originator", FAST_ORIGINATOR)
        request.headers.set(ROUTING_HEADER, "model=%s;tier=priority" % body.get("model", model["id"]))
    return request
