"""Faces: the three APIs callers speak to atomic (docs/design.md §6.3), each parsed into the IR
(providers/_wire/ir.py) and rendered back from it. One module per API, chosen by FAMILY:

    openai_completions   POST /v1/chat/completions   "openai-completions"
    openai_responses     POST /v1/responses          "openai-responses"
    anthropic_messages   POST /v1/messages           "anthropic-messages"

Every face module has the same public names:

    FAMILY
        The wire-API family it speaks (a row's `family` in _wire/apis.py): a body of that family
        passes through to an upstream of the same family unchanged; any other upstream gets it
        translated through parse() and Renderer.
    TRANSLATED, IGNORABLE, REFUSED
        The request's top-level fields: carried into the IR; set aside because leaving them out
        changes cost or speed, not meaning (each reported in Inbound.ignored, for the log); refused
        with a 400 that names the field and the fix (REFUSED maps a field to its harmless values,
        which pass, and that sentence). Any other field is refused as unknown.
    parse(body) -> Inbound
        The caller's body (bytes, str or a decoded dict) as an ir.Request; FaceError for one
        atomic cannot carry faithfully.
    Renderer(write, stream=True, model=None, request=None)
        An ir.Sink that writes the caller's answer through write(bytes) as the events arrive:
        the API's whole server-sent-event lifecycle when stream, else one JSON body at the end.
        model: the model name the answer shows (the caller's; else the upstream's). request: the
        Inbound that parse() gave, whose options the answer honours (usage chunk, namespaces).
        Nothing is written before the first content or the end, so an attempt that fails before
        any content can be retried unseen (`renderer.started` says whether one may). content_type
        is the header to send; fail(status, kind, message) writes an error inside a stream that
        has begun (before its first byte, and for stream: false, answer with error() instead).
    whole(answer, model=None, request=None) -> dict
        The non-streaming answer body for any finished Sink that keeps `blocks` (the Renderer, or
        _client's Answer).
    error(status, kind, message, field=None, retry_after=None) -> (status, headers, body)
        An error response in the shape the API's SDKs turn into their own exception classes; kind
        is one of KINDS (None: the status's own); 429 and 503 keep Retry-After.
    models(records) -> dict
        The model list in the API's shape, for records {"id", "provider"?, "name"?}.

A gateway, per request: `face = faces.load(family)`; `request = face.parse(body)` (a FaceError
becomes `face.error(exc.status, None, exc.message, exc.field)`); route and send with
`face.Renderer(write, request.stream, request.model, request)` as the sink.
"""
from ..ir import Request

FAMILIES = {"openai-completions": "openai_completions", "openai-responses": "openai_responses",
            "anthropic-messages": "anthropic_messages"}

# The kinds of error a face shapes, with the status each goes with when none is given.
KINDS = {"invalid_request": 400, "authentication": 401, "billing": 402, "permission": 403, "not_found": 404,
         "timeout": 504, "conflict": 409, "too_large": 413, "rate_limit": 429, "api_error": 500,
         "overloaded": 503}
_BY_STATUS = {400: "invalid_request", 401: "authentication", 402: "billing", 403: "permission", 404: "not_found",
              408: "timeout", 409: "conflict", 413: "too_large", 422: "invalid_request", 429: "rate_limit",
              503: "overloaded", 504: "timeout", 529: "overloaded"}


class FaceError(Exception):
    """A request a face will not translate: the HTTP status, the field at fault (a dotted path, or
    None) and a sentence naming the field and the fix."""

    def __init__(self, status, field, message):
        Exception.__init__(self, message)
        self.status, self.field, self.message = status, field, message


class Inbound(Request):
    """A Request as a caller's body asked it: also the caller's model string, whether it wants a
    stream, the fields set aside (`ignored`, sorted dotted names for the log) and `echo`, what the
    face's Renderer needs to answer in kind."""

    def __init__(self, model, stream, ignored=(), echo=None, **request):
        Request.__init__(self, **request)
        self.model, self.stream, self.ignored, self.echo = model, stream, sorted(set(ignored)), echo or {}


def load(family):
    """The face module for a family; KeyError for a family no face speaks."""
    import importlib

    return importlib.import_module(__name__ + "." + FAMILIES[family])


def kind_of(status, kind=None):
    """The kind of an error: the one given, else the status's own."""
    return kind if kind in KINDS else _BY_STATUS.get(status, "api_error" if status >= 500 else "invalid_request")
