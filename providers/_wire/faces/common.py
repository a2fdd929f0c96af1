"""What the three faces share: reading a caller's body field by field, images, efforts, opaque
state in the caller's own field, ids, usage in OpenAI's counting, stop reasons, and the Renderer
base that holds the prologue until the first content."""
import time

from .. import ir
from ..sse_write import frame, frame_json
from . import FaceError, kind_of

REDACTED = "redacted:"  # marks a redacted thinking block's data inside a packed opaque string


# -- reading a body -------------------------------------------------------------------------------------
def load(body):
    """The request body as a dict: bytes and str are decoded as JSON."""
    if isinstance(body, (bytes, bytearray, str)):
        import json

        try:
            body = json.loads(body)
        except (ValueError, RecursionError):
            raise FaceError(400, None, "the body is not JSON; send one JSON object")
    if not isinstance(body, dict):
        raise FaceError(400, None, "the body must be a JSON object")
    return body


def want(ok, field, message):
    """FaceError(400) naming the field, unless ok."""
    if not ok:
        raise FaceError(400, field, "%s: %s" % (field, message))


def sort_fields(body, translated, ignorable, refused, api):
    """The body's fields that are ignorable (and set); FaceError for a refused or unknown one."""
    ignored = []
    for name, value in body.items():
        if name in translated:
            continue
        if name in ignorable:
            if value is not None:
                ignored.append(name)
            continue
        harmless, fix = refused.get(name, ((), None))
        if fix is None:
            raise FaceError(400, name, "%s: atomic does not know this field of the %s API; leave it out"
                            % (name, api))
        if value is not None and not any(value == ok and type(value) is type(ok) for ok in harmless):
            raise FaceError(400, name, "%s: %s" % (name, fix))
    return ignored


def shown(value, limit=60):
    """A caller's value quoted in an error sentence, cut short (the sentence may reach a log)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def items(doc, key, field):
    """doc[key] as a list (missing: empty)."""
    value = doc.get(key)
    want(value is None or isinstance(value, list), field, "must be a list")
    return value or []


def string(doc, key, field, required=False):
    value = doc.get(key)
    want(isinstance(value, str) if required else value is None or isinstance(value, str), field,
         "must be a string" + ("" if not required or key in doc else " (it is required)"))
    return value


def number(doc, key, field, whole=False, low=None):
    value = doc.get(key)
    if value is None:
        return None
    ok = isinstance(value, int) if whole else isinstance(value, (int, float)) and value - value == 0  # not NaN or inf
    want(ok and not isinstance(value, bool) and (low is None or value >= low), field,
         "must be %s%s" % ("a whole number" if whole else "a number", "" if low is None else " of %s or more" % low))
    return value


def flag(doc, key, field):
    value = doc.get(key)
    want(value is None or isinstance(value, bool), field, "must be true or false")
    return value


def obj(doc, key, field):
    value = doc.get(key)
    want(value is None or isinstance(value, dict), field, "must be an object")
    return value or {}


def text_of(content, field, kinds=("text",)):
    """The text of a content that holds text only: a string, or parts of these kinds joined (a
    refusal part's text is its `refusal`)."""
    if isinstance(content, str):
        return content
    want(isinstance(content, list), field, "must be a string or a list of text parts")
    texts = []
    for i, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        want(kind in kinds, "%s[%d].type" % (field, i), "must be %s" % " or ".join(kinds))
        key = "refusal" if kind == "refusal" else "text"
        texts.append(string(part, key, "%s[%d].%s" % (field, i, key), required=True))
    return "".join(texts)


def blocks_of(content, field, read):
    """The IR blocks of a content: a string is one Text; each part of a list is read(part, its type,
    its field)."""
    if isinstance(content, str):
        return [ir.Text(content)]
    want(isinstance(content, list), field, "must be a string or a list of parts")
    return [read(part, part.get("type") if isinstance(part, dict) else None, "%s[%d]" % (field, i))
            for i, part in enumerate(content)]


def stops(value, field):
    """Stop sequences: a string or a list of strings, as a list (None when none)."""
    if value is None:
        return None
    value = [value] if isinstance(value, str) else value
    want(isinstance(value, list) and all(isinstance(s, str) for s in value), field,
         "must be a string or a list of strings")
    return value or None


def openai_choice(choice, name_of):
    """The IR's tool_choice of an OpenAI one: auto, none, required (any), or a function, whose name
    name_of(choice) reads."""
    if choice is None or choice in ("auto", "none"):
        return choice
    if choice == "required":
        return "any"
    want(isinstance(choice, dict) and choice.get("type") == "function", "tool_choice",
         "must be auto, none, required or a function")
    return {"name": name_of(choice)}


def output_schema(kind, spec, field, spec_field):
    """The IR's output_schema of an OpenAI format: text (None), json_object, or json_schema with
    spec holding its name, schema and strict."""
    if kind in (None, "text"):
        return None
    if kind == "json_object":
        return {"name": "json_object", "schema": {"type": "object"}, "strict": False}
    want(kind == "json_schema", field + ".type", "must be text, json_object or json_schema")
    return {"name": spec.get("name") or "output", "schema": obj(spec, "schema", spec_field + ".schema"),
            "strict": bool(spec.get("strict"))}


def effort(value, field):
    """A reasoning effort: one of ir.EFFORTS ("none" asks for the least, "max" for the most)."""
    value = {"none": "minimal", "max": "xhigh"}.get(value, value)
    want(value in ir.EFFORTS, field, "must be one of %s" % ", ".join(ir.EFFORTS))
    return value


def image(url, field):
    """An ir.Image from a data: URL (base64) or an https: URL."""
    want(isinstance(url, str) and url, field, "must be a data: or https: URL")
    if url.startswith("data:"):
        head, sep, data = url[5:].partition(",")
        want(sep and head.endswith(";base64"), field, "a data: URL must be base64 (data:image/png;base64,...)")
        return ir.Image(head[:-len(";base64")] or None, data=data)
    want(url.lower().startswith("https://"), field, "must be a data: or https: URL (an http: image is not fetched)")
    return ir.Image(url=url)


def arguments(value, field):
    """A tool call's input object as JSON text, keys in the order they came."""
    import json

    want(isinstance(value, dict), field, "must be an object")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_object(text):
    """A tool call's arguments as an object for a caller that wants one ({} when empty or not one)."""
    import json

    try:
        value = json.loads(text) if text else {}
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


# -- opaque state in the caller's own field -----------------------------------------------------------------
def seal(block, own):
    """The string a caller of family `own` keeps for a thinking block's opaque state: its own state
    as it is, another family's packed (ir.pack); None when there is none or its maker is unknown."""
    value = REDACTED + block.redacted if block.redacted else block.signature
    if not value or not block.origin:
        return None
    return value if block.origin == own and not block.redacted else ir.pack(block.origin, value)


def unseal(value, own, text=""):
    """The ir.Thinking a caller's opaque string stands for (its text beside it), or None when there
    is nothing left to send: damaged state is dropped, and an empty block with it."""
    origin, state = ir.unpack(value) if value else (None, None)
    if not state:
        return ir.Thinking(text) if text else None
    if origin and state.startswith(REDACTED):
        return ir.Thinking(text, origin=origin, redacted=state[len(REDACTED):])
    return ir.Thinking(text, signature=state, origin=origin or own)


# -- ids -------------------------------------------------------------------------------------------------
def derive(prefix, seed, length=24):
    """prefix + `length` characters made from seed (the same seed, the same id), or random ones."""
    import hashlib
    import os

    raw = seed.encode("utf-8") if isinstance(seed, str) and seed else os.urandom(16)
    return prefix + hashlib.sha256(raw).hexdigest()[:length]


def call_id(block):
    """A tool call's id: the upstream's, or one made (once: the caller echoes it back) when it sent none."""
    if not block.id:
        block.id = derive("call_", None)
    return block.id


def model_id(record):
    """The id a caller names a model by: provider/model, as `atomic ask -m` takes it."""
    provider, name = record.get("provider"), record["id"]
    return "%s/%s" % (provider, name) if provider and not name.startswith(provider + "/") else name


# -- usage and stop reasons ---------------------------------------------------------------------------------
def openai_usage(usage):
    """(input with the cache counted in, cached, output, reasoning): OpenAI's input counts include
    cached tokens, the IR's (Anthropic's) do not."""
    cached = count(usage, "cacheRead")
    return (count(usage, "input") + cached + count(usage, "cacheWrite"), cached, count(usage, "output"),
            count(usage, "reasoning"))


def count(usage, name):
    """A token count of the IR's usage (0 when unknown)."""
    return int(usage.get(name) or 0)


def stop_of(answer):
    """The answer's stop reason for a caller: a tool call turns a plain stop into toolUse (some
    upstreams say stop beside one), and an unknown word ends like stop (its content arrived)."""
    reason = answer.stop_reason
    if reason in (None, "stop", "error"):
        return "toolUse" if any(b.kind == "tool_call" for b in answer.blocks) else "stop"
    return reason


# -- errors in OpenAI's shape (both OpenAI faces) ---------------------------------------------------------
_OPENAI_TYPES = {
    "invalid_request": ("invalid_request_error", None), "authentication": ("authentication_error", "invalid_api_key"),
    "billing": ("insufficient_quota", "insufficient_quota"), "permission": ("permission_error", None),
    "not_found": ("not_found_error", "model_not_found"), "timeout": ("timeout", None),
    "conflict": ("conflict_error", None), "too_large": ("invalid_request_error", "request_too_large"),
    "rate_limit": ("rate_limit_error", "rate_limit_exceeded"), "api_error": ("server_error", None),
    "overloaded": ("server_error", "server_is_overloaded")}


def openai_error_doc(status, kind, message, field=None):
    """{"message", "type", "param", "code"}: OpenAI's error object."""
    kind_type, code = _OPENAI_TYPES[kind_of(status, kind)]
    return {"message": message, "type": kind_type, "param": field, "code": code}


def openai_error(status, kind, message, field=None, retry_after=None):
    """(status, headers, body) of an error the openai SDK raises as its own class, chosen by status
    (529, which OpenAI does not send, goes as 503)."""
    status = 503 if status == 529 else status
    return json_error(status, {"error": openai_error_doc(status, kind, message, field)}, retry_after,
                       [("retry-after-ms", str(int(max(0, retry_after or 0) * 1000)))])


def json_error(status, doc, retry_after, extra=()):
    """An error response: JSON, with Retry-After (rounded up) on a 429, 503 or 529."""
    import json

    headers = [("Content-Type", "application/json")]
    if retry_after is not None and status in (429, 503, 529):
        headers.append(("Retry-After", str(int(max(0, retry_after) + 0.999))))
        headers.extend(extra)
    return status, headers, json.dumps(doc, ensure_ascii=False).encode("utf-8")


# -- rendering ------------------------------------------------------------------------------------------------
class Renderer(ir.Sink):
    """The base of the faces' renderers: writes frames when streaming, keeps the closed blocks
    (for whole()), and holds the prologue until the first content or the end. A face defines
    prologue(), start_block(block), delta(block, text), stop_block(block), epilogue(), body() and
    fail(status, kind, message)."""
    PREFIX = ""

    def __init__(self, write, stream=True, model=None, request=None):
        ir.Sink.__init__(self)
        self._write, self.stream, self.shown = write, bool(stream), model
        self.echo = getattr(request, "echo", None) or {}
        self.blocks = []
        self.begun = False
        self.created = int(time.time())
        self.reply_id = None

    @property
    def content_type(self):
        return "text/event-stream" if self.stream else "application/json"

    def emit(self, data, event=None):
        if self.stream:
            self._write(frame(data, event))

    def emit_json(self, text, event=None):
        """emit() for data already written as compact JSON (an event made piece by piece)."""
        if self.stream:
            self._write(frame_json(text, event))

    def begin(self):
        if not self.begun:
            self.begun = True
            self.reply_id = derive(self.PREFIX, self.id)
            self.prologue()

    def shown_model(self):
        return self.shown or self.model or "unknown"

    # the Sink's hooks
    def opened(self, block):
        self.begin()
        self.start_block(block)

    def added(self, block, delta):
        self.delta(block, delta)

    def closed(self, block):
        self.blocks.append(block.block)
        self.stop_block(block)

    def ended(self):
        self.begin()
        if self.stream:
            self.epilogue()
        else:
            import json

            self._write(json.dumps(self.body(), ensure_ascii=False).encode("utf-8"))
