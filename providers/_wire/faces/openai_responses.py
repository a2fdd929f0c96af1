"""The Responses face (`POST /v1/responses`): the caller's body into the IR, and the IR's answer
back as the Responses event lifecycle (`response.created`, `response.in_progress`, per item
`response.output_item.added` ... `response.output_item.done`, then `response.completed`, or
`response.incomplete` when the answer was cut at its token cap or refused) or one `response` object.

The contract is the package's (faces/__init__.py). Particular to this API:
- translation keeps nothing between requests, so `store: true`, `previous_response_id` and item
  references are refused: the caller sends the whole conversation with `store: false`, as Codex does;
- `instructions` and system or developer items, wherever they stand, become the system prompt;
- assistant-side items in a row (reasoning, messages, function calls) are one assistant turn;
- a reasoning item's `encrypted_content` is opaque state: another family's comes back to it through
  ir.pack/ir.unpack, never to anyone else; it is written when `include` asks for
  `reasoning.encrypted_content` (or when the Renderer has no request to go by);
- `namespace` tools (Codex's multi_agent_v1, say) are flattened to `NAMESPACE__NAME` functions, since
  no other API groups tools, and a call of one comes back with its namespace again;
- built-in tools (web_search, file_search, computer use, code interpreter, custom tools ...) run on
  OpenAI's servers or need grammars no other API takes: refused, naming the fix (Codex:
  `web_search = "disabled"` in config.toml);
- usage counts cached tokens inside input_tokens, as OpenAI does.
"""
from .. import ir
from . import Inbound
from . import common
from .common import want
from ..sse_write import json_string

FAMILY = "openai-responses"
API = "Responses"
SEPARATOR = "__"  # between a namespace and a tool's name, once flattened

TRANSLATED = frozenset((
    "model", "input", "instructions", "stream", "include", "tools", "tool_choice", "parallel_tool_calls",
    "max_output_tokens", "temperature", "top_p", "reasoning", "text", "user", "safety_identifier",
    "prompt_cache_key", "service_tier"))
IGNORABLE = frozenset(("metadata", "prompt_cache_retention", "prompt_cache_options", "context_management",
                       "stream_options", "client_metadata", "truncation"))
_STATELESS = "atomic keeps no responses when it translates; send the whole conversation in input with store: false"
REFUSED = {
    "store": ((False,), _STATELESS),
    "previous_response_id": ((), _STATELESS),
    "conversation": ((), _STATELESS),
    "background": ((False,), "atomic answers while the caller waits; leave background out"),
    "background_options": ((), "atomic answers while the caller waits; leave background_options out"),
    "prompt": ((), "stored prompt templates live on OpenAI's servers; send instructions and input instead"),
    "max_tool_calls": ((), "not every model takes a cap on tool calls; leave max_tool_calls out"),
    "top_logprobs": ((0,), "token log probabilities cannot be carried to every model; leave top_logprobs out"),
    "moderation": ((), "moderation runs on OpenAI's servers only; leave it out"),
    "image": ((), "atomic answers in text only; leave image out"),
    "access_programs": ((), "access programs are OpenAI's own; leave access_programs out"),
}
_BUILTIN = ("is a tool that runs on OpenAI's servers, which atomic cannot run for this model; leave it out of "
            "tools (Codex: web_search = \"disabled\" in config.toml)")
_ASSISTANT_ITEMS = ("reasoning", "function_call")
_TEXTS = ("input_text", "text", "output_text")
_OUTPUT_TEXTS = ("output_text", "refusal", "text")


# -- parse ---------------------------------------------------------------------------------------------------
def parse(body):
    """The caller's Responses body as an Inbound (an ir.Request); FaceError when it cannot be carried."""
    body = common.load(body)
    ignored = common.sort_fields(body, TRANSLATED, IGNORABLE, REFUSED, API)
    model = common.string(body, "model", "model", required=True)
    system = [common.string(body, "instructions", "instructions")] if body.get("instructions") else []
    tools, names = _tools(body, ignored)
    turns = _turns(body.get("input"), system, ignored)
    reasoning = common.obj(body, "reasoning", "reasoning")
    if reasoning.get("summary") is not None or reasoning.get("generate_summary") is not None:
        ignored.append("reasoning.summary")
    include = common.items(body, "include", "include")
    want(all(isinstance(name, str) for name in include), "include", "must be a list of strings")
    want("message.output_text.logprobs" not in include, "include",
         "token log probabilities cannot be carried to every model; leave message.output_text.logprobs out")
    if set(include) - {"reasoning.encrypted_content"}:
        ignored.append("include")
    options = ir.Options(
        max_tokens=common.number(body, "max_output_tokens", "max_output_tokens", whole=True, low=1),
        temperature=common.number(body, "temperature", "temperature"), top_p=common.number(body, "top_p", "top_p"),
        reasoning=None if reasoning.get("effort") is None else common.effort(reasoning["effort"], "reasoning.effort"),
        output_schema=_schema(common.obj(body, "text", "text")),
        parallel_tools=common.flag(body, "parallel_tool_calls", "parallel_tool_calls"),
        user=common.string(body, "user", "user") or common.string(body, "safety_identifier", "safety_identifier"))
    if body.get("service_tier") not in (None, "auto", "default", "priority"):
        ignored.append("service_tier")
    echo = {"encrypted": "reasoning.encrypted_content" in include,
            "namespaces": {flat: pair for flat, pair in names.items() if pair[0]}}
    return Inbound(model, bool(common.flag(body, "stream", "stream")), ignored, echo,
                   system="\n\n".join(system) or None, turns=turns, tools=tools,
                   tool_choice=_choice(body.get("tool_choice")), options=options,
                   fast=body.get("service_tier") == "priority",
                   session_id=common.string(body, "prompt_cache_key", "prompt_cache_key"))


def _schema(text):
    want(text.get("verbosity") in (None, "medium"), "text.verbosity", "not every model takes a verbosity; leave it out")
    fmt = common.obj(text, "format", "text.format")
    return common.output_schema(fmt.get("type"), fmt, "text.format", "text.format")


def _tools(body, ignored):
    """(tools, {name the model sees: (namespace or None, name)})."""
    tools, names = [], {}
    for i, tool in enumerate(common.items(body, "tools", "tools")):
        where = "tools[%d]" % i
        want(isinstance(tool, dict), where, "must be an object")
        if tool.get("type") == "namespace":
            namespace = common.string(tool, "name", where + ".name", required=True)
            for j, inner in enumerate(common.items(tool, "tools", where + ".tools")):
                _tool(inner, "%s.tools[%d]" % (where, j), namespace, tool.get("description"), tools, names, ignored)
        else:
            _tool(tool, where, None, None, tools, names, ignored)
    return tools, names


def _tool(tool, where, namespace, about, tools, names, ignored):
    kind = tool.get("type") if isinstance(tool, dict) else None
    want(kind != "custom", where + ".type", "'custom' tools take free-form text that no other API carries; "
         "send function tools")
    want(kind == "function", where + ".type", "%s %s" % (common.shown(kind), _BUILTIN))
    for extra in ("strict", "defer_loading"):
        if tool.get(extra) is not None:
            ignored.append("tools[].%s" % extra)
    name = common.string(tool, "name", where + ".name", required=True)
    flat = namespace + SEPARATOR + name if namespace else name
    want(flat not in names, where + ".name",
         "%s is the name of another tool too; give each tool its own" % common.shown(flat))
    names[flat] = (namespace, name)
    description = common.string(tool, "description", where + ".description") or ""
    if namespace and about:
        description = "%s (%s: %s)" % (description, namespace, about) if description else "%s: %s" % (namespace, about)
    tools.append(ir.Tool(flat, description, common.obj(tool, "parameters", where + ".parameters") or None))


def _choice(choice):
    def name_of(function):
        name = common.string(function, "name", "tool_choice.name", required=True)
        namespace = function.get("namespace")
        return namespace + SEPARATOR + name if isinstance(namespace, str) and namespace else name

    return common.openai_choice(choice, name_of)


def _turns(value, system, ignored):
    if isinstance(value, str):
        return [ir.Message("user", [ir.Text(value)])]
    want(isinstance(value, list) and value, "input", "must be a string or a list of items")
    turns = []
    for i, item in enumerate(value):
        where = "input[%d]" % i
        want(isinstance(item, dict), where, "must be an object")
        kind = item.get("type") or ("message" if "role" in item else None)
        if kind == "message":
            role = item.get("role")
            if role in ("system", "developer"):
                system.append(common.text_of(item.get("content"), where + ".content", _TEXTS))
                continue
            want(role in ("user", "assistant"), where + ".role", "must be user, assistant, system or developer")
            _join(turns, role, _parts(item.get("content"), where + ".content", ignored) if role == "user"
                  else _said(item, where))
        elif kind in _ASSISTANT_ITEMS:
            _join(turns, "assistant", _assistant_item(item, kind, where))
        elif kind == "function_call_output":
            call = common.string(item, "call_id", where + ".call_id", required=True)
            _join(turns, "tool", [ir.ToolResult(call, _parts(item.get("output"), where + ".output", ignored))])
        else:
            want(False, where + ".type", "%s items are not carried (item_reference needs stored responses; built-in "
                 "tools run on OpenAI's servers); send messages, function calls and their outputs" % common.shown(kind))
    return turns


def _join(turns, role, blocks):
    """Items of one side in a row are one turn (an assistant's reasoning, text and calls; results)."""
    if turns and turns[-1].role == role and role != "user":
        turns[-1].blocks.extend(blocks)
    else:
        turns.append(ir.Message(role, blocks))


def _said(item, where):
    """An assistant message item's text (none when empty), keeping its id for a Responses upstream."""
    text = common.text_of(item.get("content"), where + ".content", _OUTPUT_TEXTS)
    return [ir.Text(text, native=_native(item))] if text else []


def _native(item):
    return {FAMILY: {"id": item["id"]}} if isinstance(item.get("id"), str) else None


def _assistant_item(item, kind, where):
    if kind == "function_call":
        name = common.string(item, "name", where + ".name", required=True)
        namespace = item.get("namespace")
        if isinstance(namespace, str) and namespace:
            name = namespace + SEPARATOR + name
        return [ir.ToolCall(common.string(item, "call_id", where + ".call_id", required=True), name,
                            common.string(item, "arguments", where + ".arguments") or "", native=_native(item))]
    text = "\n\n".join(_summary(item, key, where) for key in ("summary", "content") if item.get(key))
    thinking = common.unseal(common.string(item, "encrypted_content", where + ".encrypted_content"), FAMILY, text)
    if thinking is not None:
        thinking.native = _native(item)
    return [thinking] if thinking is not None else []


def _summary(item, key, where):
    texts = []
    for i, part in enumerate(common.items(item, key, "%s.%s" % (where, key))):
        want(isinstance(part, dict) and isinstance(part.get("text"), str), "%s.%s[%d]" % (where, key, i),
             "must be a text part")
        texts.append(part["text"])
    return "\n\n".join(texts)


def _parts(content, field, ignored):
    def read(part, kind, where):
        if kind in _TEXTS:
            return ir.Text(common.string(part, "text", where + ".text", required=True))
        want(kind == "input_image", where + ".type", "must be input_text or input_image (files and audio are "
             "not carried)")
        want(part.get("file_id") is None, where + ".file_id", "files live on OpenAI's servers; send the image "
             "as a data: or https: image_url")
        if part.get("detail") is not None:
            ignored.append("input_image.detail")
        return common.image(part.get("image_url"), where + ".image_url")

    return common.blocks_of(content, field, read)


# -- render ----------------------------------------------------------------------------------------------------
class Renderer(common.Renderer):
    """The Responses event lifecycle (or one response object) from the IR's events."""
    PREFIX = "resp_"

    def prologue(self):
        self.sequence, self.items, self.open = 0, [], {}
        shell = self.response("in_progress")
        self.event("response.created", response=shell)
        self.event("response.in_progress", response=shell)

    def response(self, status=None):
        return _response(self.reply_id, self.shown_model(), self.created, self, status, self.items)

    def event(self, kind, **fields):
        doc = {"type": kind, "sequence_number": self.sequence}
        doc.update(fields)
        self.sequence += 1
        self.emit(doc, kind)

    def start_block(self, block):
        if block.kind == "thinking":
            self.open[block.index] = None  # written at its first text, or at its end (§3.11 #13)
            return
        item = _item(block, _item_id(self.reply_id, block, len(self.items)), self.echo, "in_progress")
        self.add_item(block, item)

    def add_item(self, block, item):
        self.open[block.index] = index = len(self.items)
        self.items.append(item)
        self.event("response.output_item.added", output_index=index, item=item)
        if block.kind == "text":
            self.event("response.content_part.added", item_id=item["id"], output_index=index, content_index=0,
                       part=_text_part(""))
        elif block.kind == "thinking" and block.text:
            self.event("response.reasoning_summary_part.added", item_id=item["id"], output_index=index,
                       summary_index=0, part={"type": "summary_text", "text": ""})

    def delta(self, block, text):
        if self.open.get(block.index) is None:
            self.add_item(block, _item(block, _item_id(self.reply_id, block, len(self.items)), self.echo,
                                       "in_progress", text=""))
        index = self.open[block.index]
        kind, where = _DELTAS[block.kind]
        # The commonest event by far, written as event() would write it without making a dict of
        # it and encoding that: {"type", "sequence_number", "item_id", "output_index", "delta", where}.
        self.emit_json('{"type":"%s","sequence_number":%d,"item_id":%s,"output_index":%d,"delta":%s%s}' % (
            kind, self.sequence, json_string(self.items[index]["id"]), index, json_string(text), where), kind)
        self.sequence += 1

    def stop_block(self, block):
        index = self.open.pop(block.index, None)
        if index is None:
            if not (block.signature or block.redacted):
                return  # an empty thinking block: nothing to show or keep
            self.add_item(block, _item(block, _item_id(self.reply_id, block, len(self.items)), self.echo,
                                       "in_progress", text=""))
            index = self.open.pop(block.index)
        item = self.items[index] = _item(block, self.items[index]["id"], self.echo)
        if block.kind == "text":
            self.event("response.output_text.done", item_id=item["id"], output_index=index, content_index=0,
                       text=block.text, logprobs=[])
            self.event("response.content_part.done", item_id=item["id"], output_index=index, content_index=0,
                       part=_text_part(block.text))
        elif block.kind == "thinking" and block.text:
            self.event("response.reasoning_summary_text.done", item_id=item["id"], output_index=index,
                       summary_index=0, text=block.text)
            self.event("response.reasoning_summary_part.done", item_id=item["id"], output_index=index,
                       summary_index=0, part={"type": "summary_text", "text": block.text})
        elif block.kind == "tool_call":
            self.event("response.function_call_arguments.done", item_id=item["id"], output_index=index,
                       name=item["name"], arguments=block.arguments)
        self.event("response.output_item.done", output_index=index, item=item)

    def epilogue(self):
        response = self.response()
        self.event("response." + response["status"], response=response)

    def fail(self, status, kind, message):
        """An error inside the stream: response.failed (after response.created, which every reader
        of this stream needs first), with the error's code."""
        self.begin()
        doc = common.openai_error_doc(status, kind, message)
        response = self.response("failed")
        response.update(error={"code": doc["code"] or doc["type"], "message": message}, usage=None)
        self.event("response.failed", response=response)

    def body(self):
        return whole(self, self.shown_model(), reply_id=self.reply_id, echo=self.echo)


# The delta event of each kind of block, and the field after its delta.
_DELTAS = {"text": ("response.output_text.delta", ',"content_index":0'),
           "thinking": ("response.reasoning_summary_text.delta", ',"summary_index":0'),
           "tool_call": ("response.function_call_arguments.delta", "")}


def _item_id(reply_id, block, n):
    """An output item's id: the one a Responses upstream gave the block, or one made for it."""
    native = (block.native or {}).get(FAMILY)
    if isinstance(native, dict) and isinstance(native.get("id"), str):
        return native["id"]
    return common.derive({"text": "msg_", "thinking": "rs_", "tool_call": "fc_"}[block.kind], "%s:%d" % (reply_id, n))


def _item(block, item_id, echo, status="completed", text=None):
    """The output item of a block (as it is when added: status in_progress, text empty)."""
    if block.kind == "text":
        content = [] if status == "in_progress" else [_text_part(block.text)]
        return {"id": item_id, "type": "message", "status": status, "role": "assistant", "content": content}
    if block.kind == "tool_call":
        namespace, name = echo.get("namespaces", {}).get(block.name, (None, block.name))
        item = {"id": item_id, "type": "function_call", "status": status, "call_id": common.call_id(block),
                "name": name, "arguments": "" if status == "in_progress" else block.arguments}
        if namespace:
            item["namespace"] = namespace
        return item
    summary = block.text if text is None else text
    item = {"id": item_id, "type": "reasoning",
            "summary": [{"type": "summary_text", "text": summary}] if summary else []}
    sealed = common.seal(block, FAMILY) if status == "completed" and echo.get("encrypted", True) else None
    if sealed:
        item["encrypted_content"] = sealed
    return item


def _text_part(text):
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _response(reply_id, model, created, answer, status=None, output=()):
    """The response object; status None: the finished answer's (completed, or incomplete with why)."""
    incomplete = None
    if status is None:
        reason = {"length": "max_output_tokens", "refused": "content_filter"}.get(common.stop_of(answer))
        status, incomplete = ("incomplete", {"reason": reason}) if reason else ("completed", None)
    done = status in ("completed", "incomplete")
    return {"id": reply_id, "object": "response", "created_at": created, "status": status, "model": model,
            "output": list(output), "usage": usage(answer.usage) if done else None, "error": None,
            "incomplete_details": incomplete, "instructions": None, "metadata": {}, "parallel_tool_calls": True,
            "tool_choice": "auto", "tools": [], "temperature": None, "top_p": None, "max_output_tokens": None,
            "previous_response_id": None, "store": False, "text": {"format": {"type": "text"}},
            "truncation": "disabled", "service_tier": answer.service_tier or "default"}


def whole(answer, model=None, request=None, reply_id=None, echo=None):
    """The response object of a finished answer."""
    import time

    echo = echo if echo is not None else getattr(request, "echo", None) or {}
    reply_id = reply_id or common.derive("resp_", answer.id)
    output = []
    for block in answer.blocks:
        if block.kind == "thinking" and not (block.text or block.signature or block.redacted):
            continue
        output.append(_item(block, _item_id(reply_id, block, len(output)), echo))
    return _response(reply_id, model or answer.model or "unknown", int(time.time()), answer, None, output)


def usage(counts):
    """The IR's usage as OpenAI counts it: input_tokens include the cache."""
    prompt, cached, output, reasoning = common.openai_usage(counts)
    return {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": cached}, "output_tokens": output,
            "output_tokens_details": {"reasoning_tokens": reasoning}, "total_tokens": prompt + output}


# -- errors and models -------------------------------------------------------------------------------------------
def error(status, kind, message, field=None, retry_after=None):
    """(status, headers, body) of an error the openai SDK raises as its own class."""
    return common.openai_error(status, kind, message, field, retry_after)


def models(records):
    """The model list in OpenAI's shape (the same as Chat Completions')."""
    from .openai_completions import models as openai_models

    return openai_models(records)
