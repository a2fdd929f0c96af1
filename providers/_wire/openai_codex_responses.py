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
