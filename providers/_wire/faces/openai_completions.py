"""The Chat Completions face (`POST /v1/chat/completions`): the caller's body into the IR, and the
IR's answer back as `chat.completion.chunk` events (no `event:` lines; the usage chunk when
`stream_options.include_usage` asks for it; `data: [DONE]` last) or one `chat.completion`.

The contract is the package's (faces/__init__.py). Particular to this API:
- system and developer messages, wherever they stand, become the system prompt (in order);
- reasoning travels as `reasoning_content` (the field vLLM and DeepSeek use), both ways; its opaque
  state has no field here and is not kept;
- an answer is always one choice: text blocks split by reasoning or tool calls are joined in it;
- usage counts cached tokens inside prompt_tokens, as OpenAI does.
"""
from .. import ir
from . import Inbound
from . import common
from .common import want

FAMILY = "openai-completions"
API = "Chat Completions"

TRANSLATED = frozenset((
    "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "temperature", "top_p",
    "stop", "tools", "tool_choice", "parallel_tool_calls", "reasoning_effort", "response_format", "user",
    "safety_identifier", "prompt_cache_key", "service_tier"))
IGNORABLE = frozenset(("metadata", "seed", "prompt_cache_retention", "prompt_cache_options", "prediction"))
REFUSED = {
    "n": ((1,), "atomic answers with one choice; leave n out or set it to 1"),
    "logprobs": ((False,), "token log probabilities cannot be carried to every model; leave logprobs out"),
    "top_logprobs": ((0,), "token log probabilities cannot be carried to every model; leave top_logprobs out"),
    "frequency_penalty": ((0, 0.0), "not every model takes a frequency penalty; leave it out"),
    "presence_penalty": ((0, 0.0), "not every model takes a presence penalty; leave it out"),
    "logit_bias": (({},), "not every model takes a logit bias; leave it out"),
    "store": ((False,), "atomic keeps nothing on a provider's servers; leave store out or set it to false"),
    "modalities": ((["text"],), "atomic answers in text only; leave modalities out"),
    "audio": ((), "atomic answers in text only; leave audio out"),
    "functions": ((), "the legacy functions field is not carried; send tools instead"),
    "function_call": ((), "the legacy function_call field is not carried; send tool_choice instead"),
    "web_search_options": ((), "web search is a tool of OpenAI's servers that atomic cannot run for every model; "
                               "leave it out"),
    "verbosity": (("medium",), "not every model takes a verbosity; leave it out"),
    "moderation": ((), "moderation runs on OpenAI's servers only; leave it out"),
}
_FINISH = {"stop": "stop", "length": "length", "toolUse": "tool_calls", "refused": "content_filter"}


# -- parse ---------------------------------------------------------------------------------------------------
def parse(body):
    """The caller's Chat Completions body as an Inbound (an ir.Request); FaceError when it cannot be carried."""
    body = common.load(body)
    ignored = common.sort_fields(body, TRANSLATED, IGNORABLE, REFUSED, API)
    model = common.string(body, "model", "model", required=True)
    system, turns = [], []
    for i, message in enumerate(common.items(body, "messages", "messages")):
        _message(message, "messages[%d]" % i, system, turns, ignored)
    want(body.get("messages"), "messages", "must hold at least one message")
    stream_options = common.obj(body, "stream_options", "stream_options")
    include_usage = common.flag(stream_options, "include_usage", "stream_options.include_usage")
    if stream_options.get("include_obfuscation") is not None:
        ignored.append("stream_options.include_obfuscation")
    tools, choice, parallel = _tools(body, ignored)
    return Inbound(model, bool(common.flag(body, "stream", "stream")), ignored,
                   {"include_usage": bool(include_usage)},
                   system="\n\n".join(system) or None, turns=turns, tools=tools, tool_choice=choice,
                   options=_options(body, parallel, ignored), fast=body.get("service_tier") == "priority",
                   session_id=common.string(body, "prompt_cache_key", "prompt_cache_key"))


def _options(body, parallel, ignored):
    cap = common.number(body, "max_completion_tokens", "max_completion_tokens", whole=True, low=1)
    if cap is None:
        cap = common.number(body, "max_tokens", "max_tokens", whole=True, low=1)
    effort = body.get("reasoning_effort")
    tier = common.string(body, "service_tier", "service_tier")
    if tier not in (None, "auto", "default", "priority"):
        ignored.append("service_tier")
    return ir.Options(
        max_tokens=cap, temperature=common.number(body, "temperature", "temperature"),
        top_p=common.number(body, "top_p", "top_p"), stop=common.stops(body.get("stop"), "stop"),
        reasoning=None if effort is None else common.effort(effort, "reasoning_effort"),
        output_schema=_schema(common.obj(body, "response_format", "response_format")), parallel_tools=parallel,
        user=common.string(body, "user", "user") or common.string(body, "safety_identifier", "safety_identifier"))


def _schema(fmt):
    spec = common.obj(fmt, "json_schema", "response_format.json_schema")
    return common.output_schema(fmt.get("type"), spec, "response_format", "response_format.json_schema")


def _message(message, field, system, turns, ignored):
    want(isinstance(message, dict), field, "must be an object")
    role = message.get("role")
    if message.get("name") is not None:
        ignored.append("messages[].name")
    if role in ("system", "developer"):
        system.append(common.text_of(message.get("content"), field + ".content"))
    elif role == "user":
        turns.append(ir.Message("user", _parts(message.get("content"), field + ".content", ignored)))
    elif role == "assistant":
        turns.append(ir.Message("assistant", _assistant(message, field)))
    elif role == "tool":
        call = common.string(message, "tool_call_id", field + ".tool_call_id", required=True)
        result = ir.ToolResult(call, _parts(message.get("content"), field + ".content", ignored, images=False))
        if turns and turns[-1].role == "tool":
            turns[-1].blocks.append(result)  # one turn holds the results of one round of calls
        else:
            turns.append(ir.Message("tool", [result]))
    else:
        want(False, field + ".role", "must be system, developer, user, assistant or tool")


def _assistant(message, field):
    for legacy in ("function_call", "audio"):
        want(message.get(legacy) is None, field + "." + legacy, "is not carried; send tool_calls and text")
    blocks = []
    reasoning = common.string(message, "reasoning_content", field + ".reasoning_content")
    if reasoning:
        blocks.append(ir.Thinking(reasoning))
    content = message.get("content")
    if content is not None:
        text = common.text_of(content, field + ".content", ("text", "refusal"))
        if text:
            blocks.append(ir.Text(text))
    if message.get("refusal"):
        blocks.append(ir.Text(common.string(message, "refusal", field + ".refusal")))
    for i, call in enumerate(common.items(message, "tool_calls", field + ".tool_calls")):
        where = "%s.tool_calls[%d]" % (field, i)
        want(isinstance(call, dict) and call.get("type", "function") == "function", where, "must be a function call")
        function = common.obj(call, "function", where + ".function")
        blocks.append(ir.ToolCall(common.string(call, "id", where + ".id", required=True),
                                  common.string(function, "name", where + ".function.name", required=True),
                                  common.string(function, "arguments", where + ".function.arguments") or ""))
    return blocks


def _parts(content, field, ignored, images=True):
    def read(part, kind, where):
        if kind == "text":
            return ir.Text(common.string(part, "text", where + ".text", required=True))
        want(kind == "image_url" and images, where + ".type", "must be text%s (files and audio are not carried)"
             % (" or image_url" if images else "; a tool result carries text only"))
        url = common.obj(part, "image_url", where + ".image_url")
        if url.get("detail") is not None:
            ignored.append("image_url.detail")
        return common.image(url.get("url"), where + ".image_url.url")

    return common.blocks_of(content, field, read)


def _tools(body, ignored):
    tools = []
    for i, tool in enumerate(common.items(body, "tools", "tools")):
        where = "tools[%d]" % i
        want(isinstance(tool, dict) and tool.get("type") == "function", where + ".type",
             "must be function (custom tools are not carried)")
        function = common.obj(tool, "function", where + ".function")
        if function.get("strict") is not None:
            ignored.append("tools[].function.strict")
        tools.append(ir.Tool(common.string(function, "name", where + ".function.name", required=True),
                             common.string(function, "description", where + ".function.description"),
                             common.obj(function, "parameters", where + ".function.parameters") or None))
    return tools, _choice(body.get("tool_choice")), common.flag(body, "parallel_tool_calls", "parallel_tool_calls")


def _choice(choice):
    return common.openai_choice(choice, lambda c: common.string(
        common.obj(c, "function", "tool_choice.function"), "name", "tool_choice.function.name", required=True))


# -- render ----------------------------------------------------------------------------------------------------
class Renderer(common.Renderer):
    """Chat Completions chunks (or one chat.completion) from the IR's events."""
    PREFIX = "chatcmpl-"

    def prologue(self):
        self.tool_index = {}
        self.chunk({"role": "assistant", "content": ""})

    def chunk(self, delta, finish=None):
        self.emit({"id": self.reply_id, "object": "chat.completion.chunk", "created": self.created,
                   "model": self.shown_model(), "system_fingerprint": None,
                   "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]})

    def start_block(self, block):
        if block.kind == "tool_call":  # the id and name once, on the call's first delta (§3.11 #9)
            index = self.tool_index[block.index] = len(self.tool_index)
            self.chunk({"tool_calls": [{"index": index, "id": common.call_id(block), "type": "function",
                                        "function": {"name": block.name, "arguments": ""}}]})

    def delta(self, block, text):
        if block.kind == "text":
            self.chunk({"content": text})
        elif block.kind == "thinking":
            self.chunk({"reasoning_content": text})
        else:
            self.chunk({"tool_calls": [{"index": self.tool_index[block.index], "function": {"arguments": text}}]})

    def stop_block(self, block):
        pass

    def epilogue(self):
        self.chunk({}, _FINISH[common.stop_of(self)])
        if self.echo.get("include_usage"):
            self.emit({"id": self.reply_id, "object": "chat.completion.chunk", "created": self.created,
                       "model": self.shown_model(), "system_fingerprint": None, "choices": [],
                       "usage": usage(self.usage)})
        self.emit("[DONE]")

    def fail(self, status, kind, message):
        """An error inside the stream: the openai SDK raises APIError on it."""
        self.emit({"error": common.openai_error_doc(status, kind, message)})

    def body(self):
        return whole(self, self.shown_model(), reply_id=self.reply_id)


def whole(answer, model=None, request=None, reply_id=None):
    """The chat.completion body of a finished answer: one choice."""
    import time

    message = {"role": "assistant", "content": "".join(b.text for b in answer.blocks if b.kind == "text") or None,
               "refusal": None}
    reasoning = "".join(b.text for b in answer.blocks if b.kind == "thinking")
    if reasoning:
        message["reasoning_content"] = reasoning
    calls = [{"id": common.call_id(b), "type": "function", "function": {"name": b.name, "arguments": b.arguments}}
             for b in answer.blocks if b.kind == "tool_call"]
    if calls:
        message["tool_calls"] = calls
    return {"id": reply_id or common.derive("chatcmpl-", answer.id), "object": "chat.completion",
            "created": int(time.time()), "model": model or answer.model or "unknown", "system_fingerprint": None,
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": _FINISH[common.stop_of(answer)]}],
            "usage": usage(answer.usage)}


def usage(counts):
    """The IR's usage as OpenAI counts it: prompt_tokens include the cache."""
    prompt, cached, output, reasoning = common.openai_usage(counts)
    return {"prompt_tokens": prompt, "completion_tokens": output, "total_tokens": prompt + output,
            "prompt_tokens_details": {"cached_tokens": cached},
            "completion_tokens_details": {"reasoning_tokens": reasoning}}


# -- errors and models -------------------------------------------------------------------------------------------
def error(status, kind, message, field=None, retry_after=None):
    """(status, headers, body) of an error the openai SDK raises as its own class."""
    return common.openai_error(status, kind, message, field, retry_after)


def models(records):
    """The model list in OpenAI's shape."""
    return {"object": "list", "data": [{"id": common.model_id(r), "object": "model", "created": 0,
                                        "owned_by": r.get("provider") or "atomic"} for r in records]}
