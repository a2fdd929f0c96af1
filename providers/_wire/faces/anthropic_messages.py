"""The Messages face (`POST /v1/messages`): the caller's body into the IR, and the IR's answer back
as Anthropic's typed events, each with its `event:` line (the anthropic SDK and Claude Code skip
data without one): `message_start`, per block `content_block_start` / `content_block_delta`
(text_delta, thinking_delta, signature_delta, input_json_delta) / `content_block_stop`, then
`message_delta` (stop reason, usage) and `message_stop`; or one `message` object.

The contract is the package's (faces/__init__.py). Particular to this API:
- a `role: "system"` entry inside `messages` (Claude Code sends one) joins the system prompt, and
  Claude Code's `x-anthropic-billing-header:` system block, which changes with every conversation
  and is Anthropic's alone, is left out (it would spoil another provider's prompt cache; §3.11 #11);
- a user message's tool_result blocks become the IR's tool turn, before the rest of that message;
- a thinking block's `signature` is opaque state: Anthropic's own goes back as it is, another
  family's through ir.pack/ir.unpack; an empty thinking block with no state is neither read nor
  written (§3.11 #13);
- tool ids are written `toolu_...`: an upstream id of another shape is hashed into one (§3.11 #10);
- usage: input_tokens exclude the cache, as the IR's do; message_delta repeats every count, since
  an upstream of another family knows its input only at the end.
"""
from .. import ir
from . import Inbound, kind_of
from . import common
from .common import want

FAMILY = "anthropic-messages"
API = "Messages"

TRANSLATED = frozenset((
    "model", "max_tokens", "messages", "system", "stream", "temperature", "top_p", "stop_sequences", "tools",
    "tool_choice", "thinking", "output_config", "output_format", "speed"))
IGNORABLE = frozenset(("metadata", "context_management", "service_tier", "cache_control", "diagnostics",
                       "user_profile_id", "workspace_id"))
REFUSED = {
    "top_k": ((), "not every model takes top_k; leave it out"),
    "container": ((), "containers run on Anthropic's servers only; leave container out"),
    "mcp_servers": ((), "atomic does not connect models to MCP servers; leave mcp_servers out"),
    "inference_geo": ((), "atomic cannot hold another provider to an inference region; leave inference_geo out"),
}
BILLING_HEADER = "x-anthropic-billing-header:"
_STOP = {"stop": "end_turn", "length": "max_tokens", "toolUse": "tool_use", "refused": "refusal"}


# -- parse ---------------------------------------------------------------------------------------------------
def parse(body):
    """The caller's Messages body as an Inbound (an ir.Request); FaceError when it cannot be carried."""
    body = common.load(body)
    ignored = common.sort_fields(body, TRANSLATED, IGNORABLE, REFUSED, API)
    model = common.string(body, "model", "model", required=True)
    want(body.get("max_tokens") is not None, "max_tokens", "is required")
    system = _system(body.get("system"), "system", ignored)
    turns = []
    for i, message in enumerate(common.items(body, "messages", "messages")):
        _message(message, "messages[%d]" % i, system, turns, ignored)
    want(body.get("messages"), "messages", "must hold at least one message")
    tools = _tools(body, ignored)
    choice, parallel = _choice(common.obj(body, "tool_choice", "tool_choice"))
    options = ir.Options(
        max_tokens=common.number(body, "max_tokens", "max_tokens", whole=True, low=1),
        temperature=common.number(body, "temperature", "temperature"), top_p=common.number(body, "top_p", "top_p"),
        stop=common.stops(body.get("stop_sequences"), "stop_sequences"), reasoning=_reasoning(body, ignored),
        output_schema=_schema(body), parallel_tools=parallel)
    return Inbound(model, bool(common.flag(body, "stream", "stream")), ignored, {},
                   system="\n\n".join(system) or None, turns=turns, tools=tools, tool_choice=choice,
                   options=options, fast=body.get("speed") == "fast")


def _reasoning(body, ignored):
    thinking = common.obj(body, "thinking", "thinking")
    effort = common.obj(body, "output_config", "output_config").get("effort")
    effort = None if effort is None else common.effort(effort, "output_config.effort")
    if thinking.get("display") is not None:
        ignored.append("thinking.display")
    kind = thinking.get("type")
    if kind == "enabled":
        return common.number(thinking, "budget_tokens", "thinking.budget_tokens", whole=True, low=1) or effort
    want(kind in (None, "adaptive", "disabled"), "thinking.type", "must be enabled, adaptive or disabled")
    return effort or ("high" if kind == "adaptive" else None)  # adaptive's own default is high


def _schema(body):
    """Structured output: output_config.format, or the older output_format."""
    field = "output_config.format"
    fmt = common.obj(common.obj(body, "output_config", "output_config"), "format", field)
    if not fmt:
        field, fmt = "output_format", common.obj(body, "output_format", "output_format")
    if not fmt:
        return None
    want(fmt.get("type") == "json_schema", field + ".type", "must be json_schema")
    return {"name": "output", "schema": common.obj(fmt, "schema", field + ".schema"), "strict": True}


def _system(value, field, ignored):
    """The system prompt's texts, without Claude Code's billing header."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    texts = []
    for i, block in enumerate(_blocks(value, field)):
        want(block.get("type") == "text", "%s[%d].type" % (field, i), "must be text")
        text = common.string(block, "text", "%s[%d].text" % (field, i), required=True)
        _cache(block, ignored)
        if text.startswith(BILLING_HEADER):
            ignored.append("system[].%s" % BILLING_HEADER[:-1])
        elif text:
            texts.append(text)
    return texts


def _blocks(value, field):
    want(isinstance(value, list) and all(isinstance(b, dict) for b in value), field,
         "must be a string or a list of content blocks")
    return value


def _cache(block, ignored):
    if block.get("cache_control") is not None:
        ignored.append("cache_control")


def _message(message, field, system, turns, ignored):
    want(isinstance(message, dict), field, "must be an object")
    role = message.get("role")
    content = message.get("content")
    if role == "system":
        system.extend(_system(content, field + ".content", ignored))
        return
    want(role in ("user", "assistant"), field + ".role", "must be user, assistant or system")
    if isinstance(content, str):
        turns.append(ir.Message(role, [ir.Text(content)]))
        return
    results, blocks = [], []
    for i, block in enumerate(_blocks(content, field + ".content")):
        where = "%s.content[%d]" % (field, i)
        _cache(block, ignored)
        read = _block(block, role, where, ignored)
        if read is not None:
            (results if read.kind == "tool_result" else blocks).append(read)
    if results:
        turns.append(ir.Message("tool", results))
    if blocks or not results:
        turns.append(ir.Message(role, blocks))


def _block(block, role, where, ignored):
    """The IR block of one content block (None for one that carries nothing)."""
    kind = block.get("type")
    if kind == "text":
        return ir.Text(common.string(block, "text", where + ".text", required=True))
    if kind == "image" and role == "user":
        return _image(block, where)
    if kind == "tool_result" and role == "user":
        return _result(block, where, ignored)
    if kind == "tool_use" and role == "assistant":
        return ir.ToolCall(common.string(block, "id", where + ".id", required=True),
                           common.string(block, "name", where + ".name", required=True),
                           common.arguments(block.get("input", {}), where + ".input"))
    if kind == "thinking" and role == "assistant":
        return common.unseal(common.string(block, "signature", where + ".signature"), FAMILY,
                             common.string(block, "thinking", where + ".thinking") or "")
    if kind == "redacted_thinking" and role == "assistant":
        return ir.Thinking(redacted=common.string(block, "data", where + ".data", required=True), origin=FAMILY)
    want(False, where + ".type", "%s blocks are not carried in a %s message (documents, search results and "
         "server tools are Anthropic's own); send text, images, tool_use and tool_result" % (common.shown(kind), role))


def _image(block, where):
    source = common.obj(block, "source", where + ".source")
    if source.get("type") == "base64":
        return ir.Image(common.string(source, "media_type", where + ".source.media_type", required=True),
                        data=common.string(source, "data", where + ".source.data", required=True))
    want(source.get("type") == "url", where + ".source.type", "must be base64 or url (files live on "
         "Anthropic's servers)")
    return common.image(source.get("url"), where + ".source.url")


def _result(block, where, ignored):
    content = block.get("content")
    if content is None or isinstance(content, str):
        blocks = [ir.Text(content)] if content else []
    else:
        blocks = []
        for i, part in enumerate(_blocks(content, where + ".content")):
            inner = "%s.content[%d]" % (where, i)
            _cache(part, ignored)
            want(part.get("type") in ("text", "image"), inner + ".type", "must be text or image")
            blocks.append(_block(part, "user", inner, ignored))
    return ir.ToolResult(common.string(block, "tool_use_id", where + ".tool_use_id", required=True), blocks,
                         is_error=bool(common.flag(block, "is_error", where + ".is_error")))


def _tools(body, ignored):
    tools = []
    for i, tool in enumerate(common.items(body, "tools", "tools")):
        where = "tools[%d]" % i
        want(isinstance(tool, dict), where, "must be an object")
        want(tool.get("type") in (None, "custom"), where + ".type", "%s is a tool that runs on Anthropic's "
             "servers, which atomic cannot run for this model; leave it out of tools" % common.shown(tool.get("type")))
        _cache(tool, ignored)
        for extra in ("defer_loading", "strict", "eager_input_streaming", "input_examples"):
            if tool.get(extra) is not None:
                ignored.append("tools[].%s" % extra)
        tools.append(ir.Tool(common.string(tool, "name", where + ".name", required=True),
                             common.string(tool, "description", where + ".description"),
                             common.obj(tool, "input_schema", where + ".input_schema") or None))
    return tools


def _choice(choice):
    """(tool_choice, parallel_tools) of Anthropic's tool_choice."""
    parallel = None if choice.get("disable_parallel_tool_use") is None else not choice["disable_parallel_tool_use"]
    kind = choice.get("type")
    if kind is None:
        return None, parallel
    want(kind in ("auto", "any", "none", "tool"), "tool_choice.type", "must be auto, any, tool or none")
    if kind == "tool":
        return {"name": common.string(choice, "name", "tool_choice.name", required=True)}, parallel
    return kind, parallel


# -- render ----------------------------------------------------------------------------------------------------
class Renderer(common.Renderer):
    """Anthropic's typed events (or one message object) from the IR's events."""
    PREFIX = "msg_"

    def prologue(self):
        self.index, self.written = {}, 0
        self.event("message_start", message={
            "id": self.reply_id, "type": "message", "role": "assistant", "model": self.shown_model(), "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": usage(self.usage)})

    def event(self, kind, **fields):
        doc = {"type": kind}
        doc.update(fields)
        self.emit(doc, kind)

    def start_block(self, block):
        if block.kind != "thinking":  # a thinking block waits for its text or its state (§3.11 #13)
            self.write_start(block)

    def write_start(self, block):
        self.index[block.index] = index = self.written
        self.written += 1
        if block.kind == "text":
            start = {"type": "text", "text": ""}
        elif block.kind == "tool_call":
            start = {"type": "tool_use", "id": tool_use_id(common.call_id(block)), "name": block.name, "input": {}}
        elif block.redacted and block.origin == FAMILY:
            start = {"type": "redacted_thinking", "data": block.redacted}
        else:
            start = {"type": "thinking", "thinking": "", "signature": ""}
        self.event("content_block_start", index=index, content_block=start)

    def delta(self, block, text):
        if block.index not in self.index:
            self.write_start(block)
        kind, key = {"text": ("text_delta", "text"), "thinking": ("thinking_delta", "thinking"),
                     "tool_call": ("input_json_delta", "partial_json")}[block.kind]
        self.event("content_block_delta", index=self.index[block.index], delta={"type": kind, key: text})

    def stop_block(self, block):
        if block.index not in self.index:
            if not (block.signature or block.redacted):
                return
            self.write_start(block)
        index = self.index[block.index]
        if block.kind == "thinking" and not (block.redacted and block.origin == FAMILY):
            signature = _signature(block)
            if signature:
                self.event("content_block_delta", index=index,
                           delta={"type": "signature_delta", "signature": signature})
        self.event("content_block_stop", index=index)

    def epilogue(self):
        self.event("message_delta", delta={"stop_reason": _STOP[common.stop_of(self)], "stop_sequence": None},
                   usage=usage(self.usage))
        self.event("message_stop")

    def fail(self, status, kind, message):
        """An error inside the stream (`event: error`): the anthropic SDK raises on it."""
        self.event("error", error={"type": _TYPES[kind_of(status, kind)], "message": message})

    def body(self):
        return whole(self, self.shown_model(), reply_id=self.reply_id)


def _signature(block):
    """A thinking block's signature for this caller: Anthropic's own, or another family's packed."""
    return common.seal(block, FAMILY) or ""


def tool_use_id(call_id):
    """A tool call's id as Anthropic writes them: toolu_ ids kept, any other hashed into one (the
    same id gives the same one, so a call and its result keep agreeing)."""
    if call_id and call_id.startswith("toolu_") and ir.safe_call_id(call_id) == call_id:
        return call_id
    return common.derive("toolu_", call_id)


def whole(answer, model=None, request=None, reply_id=None):
    """The message object of a finished answer."""
    content = []
    for block in answer.blocks:
        if block.kind == "text" and block.text:
            content.append({"type": "text", "text": block.text})
        elif block.kind == "tool_call":
            content.append({"type": "tool_use", "id": tool_use_id(block.id), "name": block.name,
                            "input": common.json_object(block.arguments)})
        elif block.kind == "thinking" and block.redacted and block.origin == FAMILY:
            content.append({"type": "redacted_thinking", "data": block.redacted})
        elif block.kind == "thinking" and (block.text or _signature(block)):
            content.append({"type": "thinking", "thinking": block.text, "signature": _signature(block)})
    return {"id": reply_id or common.derive("msg_", answer.id), "type": "message", "role": "assistant",
            "model": model or answer.model or "unknown", "content": content,
            "stop_reason": _STOP[common.stop_of(answer)], "stop_sequence": None, "usage": usage(answer.usage)}


def usage(counts):
    """The IR's usage as Anthropic counts it (the same meaning: input without the cache)."""
    return {"input_tokens": common.count(counts, "input"),
            "cache_creation_input_tokens": common.count(counts, "cacheWrite"),
            "cache_read_input_tokens": common.count(counts, "cacheRead"),
            "output_tokens": common.count(counts, "output")}


# -- errors and models -------------------------------------------------------------------------------------------
_TYPES = {"invalid_request": "invalid_request_error", "authentication": "authentication_error",
          "billing": "billing_error", "permission": "permission_error", "not_found": "not_found_error",
          "timeout": "timeout_error", "conflict": "conflict_error", "too_large": "request_too_large",
          "rate_limit": "rate_limit_error", "api_error": "api_error", "overloaded": "overloaded_error"}


def error(status, kind, message, field=None, retry_after=None):
    """(status, headers, body) of an error the anthropic SDK raises as its own class (by status:
    529 OverloadedError, 503 ServiceUnavailableError, ...)."""
    return common.json_error(status, {"type": "error", "error": {"type": _TYPES[kind_of(status, kind)],
                                                                 "message": message}, "request_id": None},
                             retry_after)


def models(records):
    """The model list in Anthropic's shape."""
    data = [{"type": "model", "id": common.model_id(r), "display_name": r.get("name") or r["id"],
             "created_at": "1970-01-01T00:00:00Z"} for r in records]
    return {"data": data, "has_more": False, "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None}
