"""Amazon Bedrock ConverseStream (`POST {base}/model/<modelId>/converse-stream`), answered in the AWS
event-stream framing (providers._wire.eventstream), not server-sent events.

Each event message names its event in `:event-type`, and its payload is that event's body:
contentBlockDelta carries `delta.text` (or `delta.reasoningContent.text`), messageStop the stop
reason, and metadata, the last event, the usage. A message of type `exception` (throttling,
validation, a model error mid-stream) or `error` is the server's error. Where the request goes
and how it is signed is the amazon-bedrock provider module's business.
"""
import json

from .common import ProviderError, as_int, join, stream_error
from .request import ApiRequest
from .._core.mask import excerpt
from .eventstream import messages as events  # noqa: F401  (the framing talk.py reads)

ACCEPT = "application/vnd.amazon.eventstream"
_STOP = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
         "model_context_window_exceeded": "length", "tool_use": "toolUse",
         "guardrail_intervened": "refused", "content_filtered": "refused"}


def model_path(model_id):
    """model/<id>/converse-stream with the id percent-encoded as botocore does (only -._~ kept):
    ARNs and ids with a version (`…-v1:0`) travel as one path segment."""
    import urllib.parse

    return "model/%s/converse-stream" % urllib.parse.quote(model_id, safe="-._~")


INFERENCE_FIELDS = ("maxTokens", "temperature", "topP", "stopSequences")
# ConverseStream's request fields beside the messages, which samplingParams may also set.
REQUEST_FIELDS = ("guardrailConfig", "performanceConfig", "promptVariables", "requestMetadata",
                  "additionalModelResponseFieldPaths")


def build(model, base_url, headers, turn):
    body = {"messages": [{"role": m["role"], "content": [{"text": m["content"]}]} for m in turn.messages]}
    if turn.system:
        body["system"] = [{"text": turn.system}]
    max_tokens = model.get("maxTokens")
    inference = {"maxTokens": max_tokens} if isinstance(max_tokens, int) and max_tokens > 0 else {}
    # samplingParams: Converse's own settings go in inferenceConfig, anything else is the model's
    # (additionalModelRequestFields, e.g. top_k), but a section given whole is merged into its
    # own and Converse's other request fields (guardrailConfig, ...) stay at the top.
    extra = {}
    for name, value in (model.get("samplingParams") or {}).items():
        if name == "inferenceConfig" and isinstance(value, dict):
            inference.update(value)
        elif name == "additionalModelRequestFields" and isinstance(value, dict):
            extra.update(value)
        elif name in REQUEST_FIELDS:
            body[name] = value
        else:
            (inference if name in INFERENCE_FIELDS else extra)[name] = value
    if inference:
        body["inferenceConfig"] = inference
    if extra:
        body["additionalModelRequestFields"] = extra
    headers.setdefault("Content-Type", "application/json")
    return ApiRequest("POST", join(base_url, model_path(model["id"])), headers, json=body)


def read(messages, answer):
    for message in messages:
        kind = message.headers.get(":message-type")
        if kind == "exception":
            raise stream_error(answer, "%s: %s" % (message.headers.get(":exception-type") or "an exception",
                                                   _message(message.payload)))
        if kind == "error":
            raise ProviderError("reported %s: %s" % (message.headers.get(":error-code") or "an error",
                                                     excerpt(str(message.headers.get(":error-message") or ""))))
        event = message.headers.get(":event-type")
        doc = _json(message.payload) if event else {}
        if event == "contentBlockDelta":
            delta = doc.get("delta") if isinstance(doc.get("delta"), dict) else {}
            if isinstance(delta.get("text"), str):
                answer.text(delta["text"])
            reasoning = delta.get("reasoningContent")
            if isinstance(reasoning, dict) and isinstance(reasoning.get("text"), str):
                answer.reasoning(reasoning["text"])
        elif event == "messageStop":
            reason = doc.get("stopReason") if isinstance(doc.get("stopReason"), str) else None
            answer.stop(_STOP.get(reason, "error"), reason)
            answer.finished = True  # metadata (the usage) normally follows
        elif event == "metadata":
            usage = doc.get("usage") if isinstance(doc.get("usage"), dict) else {}
            answer.usage.update(input=as_int(usage.get("inputTokens")), output=as_int(usage.get("outputTokens")),
                                cacheRead=as_int(usage.get("cacheReadInputTokens")),
                                cacheWrite=as_int(usage.get("cacheWriteInputTokens")))
            if answer.finished:
                return
        # messageStart, contentBlockStart/Stop and events atomic does not know carry nothing to show.


def _json(payload):
    try:
        doc = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ProviderError("sent an event that is not JSON: %s" % excerpt(payload.decode("utf-8", "replace")))
    return doc if isinstance(doc, dict) else {}


def _message(payload):
    doc = _json(payload) if payload else {}
    text = doc.get("message") or doc.get("Message")
    return excerpt(text if isinstance(text, str) else payload.decode("utf-8", "replace"))
