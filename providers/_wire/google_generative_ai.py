"""Google Gemini (`POST {base}/models/<id>:streamGenerateContent?alt=sse`).

Each event is a whole GenerateContentResponse: candidates[0].content.parts hold the text (a part
with `thought: true` is reasoning), usageMetadata the running token counts, and finishReason
arrives with the last chunk. An `error` object in an event is the server's error.
"""
from .common import as_int, error_text, join, json_event, stream_error
from .request import ApiRequest

_FINISH = {"STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "refused", "RECITATION": "refused",
           "BLOCKLIST": "refused", "PROHIBITED_CONTENT": "refused", "SPII": "refused"}

# GenerateContentRequest's own fields, which samplingParams may also set.
REQUEST_FIELDS = ("safetySettings", "toolConfig", "tools", "cachedContent", "labels")


def build(model, base_url, headers, turn):
    import urllib.parse

    body = {"contents": [{"role": "model" if m["role"] == "assistant" else "user", "parts": [{"text": m["content"]}]}
                         for m in turn.messages]}
    if turn.system:
        body["systemInstruction"] = {"parts": [{"text": turn.system}]}
    config = {}
    max_tokens = model.get("maxTokens")
    if isinstance(max_tokens, int) and max_tokens > 0:
        config["maxOutputTokens"] = max_tokens
    if model.get("reasoning"):
        config["thinkingConfig"] = {"includeThoughts": True}
    # samplingParams (temperature, topP, ...) are generation settings: Gemini takes them in
    # generationConfig, next to the limits set above. A field of the request itself
    # (safetySettings, ...) stays at the top, and a generationConfig given whole is merged in.
    for name, value in (model.get("samplingParams") or {}).items():
        if name == "generationConfig" and isinstance(value, dict):
            config.update(value)
        elif name in REQUEST_FIELDS:
            body[name] = value
        else:
            config[name] = value
    if config:
        body["generationConfig"] = config
    headers.setdefault("Content-Type", "application/json")
    path = "models/%s:streamGenerateContent?alt=sse" % urllib.parse.quote(model["id"], safe="")
    return ApiRequest("POST", join(base_url, path), headers, json=body)


def read(events, answer):
    for event in events:
        if event.data == "[DONE]":
            break
        chunk = json_event(event, "the server")
        if chunk.get("error"):
            raise stream_error(answer, error_text(chunk))
        feedback = chunk.get("promptFeedback") if isinstance(chunk.get("promptFeedback"), dict) else {}
        if isinstance(feedback.get("blockReason"), str):  # the prompt itself was refused: no candidates come
            answer.stop("refused", "blocked.%s" % feedback["blockReason"])
            answer.finished = True
        answer.model = chunk.get("modelVersion") or answer.model
        candidates = chunk.get("candidates")
        candidate = candidates[0] if isinstance(candidates, list) and candidates and isinstance(candidates[0], dict) else {}
        content = candidate.get("content") if isinstance(candidate.get("content"), dict) else {}
        parts = content.get("parts")
        for part in parts if isinstance(parts, list) else ():
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                (answer.reasoning if part.get("thought") is True else answer.text)(part["text"])
        usage = chunk.get("usageMetadata")
        if isinstance(usage, dict):
            cached = as_int(usage.get("cachedContentTokenCount"))
            thoughts = as_int(usage.get("thoughtsTokenCount"))
            answer.usage.update(input=max(0, as_int(usage.get("promptTokenCount")) - cached), cacheRead=cached,
                                output=as_int(usage.get("candidatesTokenCount")) + thoughts, reasoning=thoughts)
        reason = candidate.get("finishReason")
        if isinstance(reason, str) and reason:
            answer.stop(_FINISH.get(reason, "error"), reason)
            answer.finished = True
