"""What every wire module shares: the in-stream error, reading an event's JSON and an error's text,
joining a URL, reading a token count."""
import json

from .._core.errors import NetworkError


class ProviderError(NetworkError):
    """The server reported an error inside a stream it had started (exit 6). retryable: it said
    it was busy before any of the answer arrived, so asking again repeats nothing."""
    retryable = False


# Words of the errors a busy server sends in a stream (Anthropic's overloaded_error, the streamed
# form of HTTP 529; rate limits; Bedrock's throttlingException and serviceUnavailableException).
_BUSY = ("overloaded", "rate_limit", "ratelimit", "throttl", "serviceunavailable", "service_unavailable",
         "server_error", "resource_exhausted", "too_many_requests")


def stream_error(answer, detail):
    """The ProviderError for an error event whose text is `detail`: worded by whether any of the
    answer had arrived, and retryable when none had and the server said it was busy."""
    started = answer.started
    error = ProviderError("reported an error %s: %s" % ("in the middle of the answer" if started else
                                                         "before answering", detail))
    error.retryable = not started and any(word in detail.lower() for word in _BUSY)
    return error


def json_event(event, what):
    """The JSON object an event carries; ProviderError when it is not JSON (the pipeline puts the
    host in front of the message; `what` is no longer shown)."""
    data = event.data
    try:
        # json's C scanner alone: every event of a stream comes here, and json.loads' checks around
        # it cost as much again. What it does not take whole, json.loads judges (and names the fault).
        doc, end = _scan(data, 0)
    except (StopIteration, ValueError, RecursionError):
        end = None
    if end != len(data):
        doc = _loads(data)
    return doc if isinstance(doc, dict) else {}


def _loads(data):
    try:
        return json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: thousands of nested brackets
        from .._core.mask import excerpt
        raise ProviderError("sent an event that is not JSON: %s" % excerpt(data))  # the host goes first


_scan = json.decoder.JSONDecoder().scan_once


def error_text(doc):
    """The message of an error object as providers shape it: {"error": {"message", "type" or
    "code"}}, or those fields at the top (an `error` event of the Responses API)."""
    from .._core.mask import excerpt

    err = doc.get("error", doc) if isinstance(doc, dict) else doc
    if not isinstance(err, dict):
        return excerpt(str(err))
    kind = next((err[k] for k in ("code", "type", "status")
                 if isinstance(err.get(k), str) and err[k] and err[k] != "error"), None)
    message = err.get("message") if isinstance(err.get("message"), str) else None
    text = ": ".join(part for part in (kind, message) if part)
    return excerpt(text or json_text(err))


def json_text(value):
    return json.dumps(value, ensure_ascii=False)


def join(base, path):
    """base URL + path, with exactly one slash between them."""
    return base.rstrip("/") + "/" + path.lstrip("/")


def as_int(value):
    """A token count from JSON (numbers only; anything else counts as 0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e15:
        return 0  # also NaN
    return int(value)
