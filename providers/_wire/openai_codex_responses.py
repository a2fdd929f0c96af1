"""The ChatGPT Codex backend (`POST {base}/codex/responses`): OpenAI Responses events, a request of
its own (reference-pi.md §2.2; fast mode §11.3).

The system prompt travels as `instructions`, `store` is false, and the transport identifies
itself with `originator`. In fast mode (a final body whose service_tier is priority) the
request says so twice more, as the Codex CLI does: `originator: codex_cli_rs` and
`x-codex-routing-hint: model=<id>;tier=priority`. The account header comes with the credential.
"""
from .request import ApiRequest
from .openai_responses import input_items, read  # noqa: F401  (the same events)

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


def build(model, base_url, headers, turn):
    body = {
        "model": model["id"],
        "store": False,
        "stream": True,
        "instructions": turn.system or DEFAULT_INSTRUCTIONS,
        "input": input_items(turn, model, system=False),
        "text": {"verbosity": "medium"},
        "include": ["reasoning.encrypted_content"],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
    }
    if model.get("reasoning"):
        body["reasoning"] = {"effort": "medium", "summary": "auto"}
    if turn.session_id:
        body["prompt_cache_key"] = turn.session_id
        headers.set("session-id", turn.session_id)
        headers.set("x-client-request-id", turn.session_id)
    if turn.fast:
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
