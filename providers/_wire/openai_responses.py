"""OpenAI Responses (`POST {base}/responses`, SSE of typed events), with `store: false`.

The ChatGPT Codex backend speaks the same events (openai_codex_responses builds its request);
the answer ends with `response.completed` (or `.incomplete`, or Codex's `response.done`), and
`response.failed` or an `error` event is the server's error, never a silent end.
"""
from .common import ProviderError, as_int, error_text, join, json_event, stream_error
from .request import ApiRequest

MIN_OUTPUT_TOKENS = 16  # the API refuses max_output_tokens below this
_TERMINAL = ("response.completed", "response.incomplete", "response.done")


def build(model, base_url, headers, turn):
    body = {"model": model["id"], "input": input_items(turn, model, system=True), "stream": True, "store": False}
    max_tokens = model.get("maxTokens")
    if isinstance(max_tokens, int) and max_tokens > 0:
        body["max_output_tokens"] = max(max_tokens, MIN_OUTPUT_TOKENS)
    if model.get("reasoning") and model.get("provider") != "github-copilot":
        body["reasoning"] = {"summary": "auto"}  # without it the stream carries no reasoning text
    if turn.fast:
        body["service_tier"] = "priority"
    if turn.session_id:
        body["prompt_cache_key"] = turn.session_id
    body.update(model.get("samplingParams") or {})
    headers.setdefault("Content-Type", "application/json")
    return ApiRequest("POST", join(base_url, "responses"), headers, json=body)


def input_items(turn, model, system):
    items = []
    if system and turn.system:
        flags = model.get("compat") if isinstance(model.get("compat"), dict) else {}
        developer = model.get("reasoning") and flags.get("supportsDeveloperRole") is not False
        items.append({"role": "developer" if developer else "system", "content": turn.system})
    for message in turn.messages:
        kind = "input_text" if message["role"] == "user" else "output_text"
        items.append({"type": "message", "role": message["role"],
                      "content": [{"type": kind, "text": message["content"]}]})
    return items


def read(events, answer):
    new_part = False
    for event in events:
        if event.data == "[DONE]":
            return
        doc = json_event(event, "the server")
        kind = doc.get("type") or event.event
        if kind in ("response.output_text.delta", "response.refusal.delta"):
            answer.text(_text(doc.get("delta")))
        elif kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            delta = _text(doc.get("delta"))
            if delta and new_part and answer.reasoning_parts:
                answer.reasoning("\n\n")
            new_part = False
            answer.reasoning(delta)
        elif kind == "response.reasoning_summary_part.done":
            new_part = True
        elif kind == "response.created":
            response = doc.get("response") if isinstance(doc.get("response"), dict) else {}
            answer.model = response.get("model") or answer.model
        elif kind in _TERMINAL:
            _finish(doc.get("response") if isinstance(doc.get("response"), dict) else {}, answer)
            return
        elif kind == "response.failed":
            response = doc.get("response") if isinstance(doc.get("response"), dict) else {}
            raise ProviderError("reported that the answer failed: %s"
                                % error_text(response.get("error") or response.get("incomplete_details") or doc))
        elif kind == "error":
            raise stream_error(answer, error_text(doc))


def _text(value):
    return value if isinstance(value, str) else ""


def _finish(response, answer):
    usage = response.get("usage") if isinstance(response.get("usage"), dict) else {}
    details = usage.get("input_tokens_details") if isinstance(usage.get("input_tokens_details"), dict) else {}
    out_details = usage.get("output_tokens_details") if isinstance(usage.get("output_tokens_details"), dict) else {}
    total_in = as_int(usage.get("input_tokens"))
    cached = min(total_in, as_int(details.get("cached_tokens")))
    answer.usage.update(input=total_in - cached, output=as_int(usage.get("output_tokens")), cacheRead=cached,
                        reasoning=as_int(out_details.get("reasoning_tokens")))
    if isinstance(response.get("service_tier"), str):
        answer.service_tier = response["service_tier"]
    answer.model = response.get("model") or answer.model
    status = response.get("status")
    reason = (response.get("incomplete_details") or {}).get("reason") if isinstance(
        response.get("incomplete_details"), dict) else None
    if status == "incomplete":
        answer.stop({"max_output_tokens": "length", "content_filter": "refused"}.get(reason, "error"),
                    "incomplete.%s" % reason)
    elif status in ("failed", "cancelled"):
        answer.stop("error", status)
    else:
        answer.stop("stop", status or "completed")
    answer.finished = True
