"""The neutral form of a conversation: what a request asks and what an answer says, whatever wire
API carries them (docs/design.md §6.1; the vocabulary is pi-ai's, which the catalogue and the
reference already follow).

A request is a system prompt, turns of content blocks, tools and options. An upstream wire module
builds its body from a Request (`build(model, base_url, headers, request)`) and reads its stream
into a Sink (`read(events, sink)`); a face (providers/_wire/faces/) parses a caller's body into a
Request and renders Sink events back as that caller's API. Nothing here does I/O.

Blocks (each has .kind, and .native: None or {api id: {field: value}} for same-origin extras such
as a Responses item id, that a module of that api may put back):
    Text(text)                                     kind "text"
    Image(media_type, data=None, url=None)         kind "image"; data is base64, or url (https: or data:)
    Thinking(text, signature=None, origin=None, redacted=None)
                                                   kind "thinking"; signature is opaque and belongs to
                                                   `origin` (the wire API family that made it);
                                                   redacted: an opaque block with no text
    ToolCall(id, name, arguments)                  kind "tool_call"; arguments is the JSON text as sent
    ToolResult(call_id, blocks, is_error=False, name=None)
                                                   kind "tool_result"; blocks are Text and Image; name
                                                   is the tool's (Gemini needs it: see tool_name())

Messages: Message(role, blocks) with role "user", "assistant" or "tool" (a tool message holds
ToolResult blocks only; wire formats that carry results in a user message merge them there).

Where each family's opaque state lives (the upstream readers write it, their builders read it):
    anthropic-messages       Thinking.signature (signature_delta); redacted_thinking's data in .redacted
    openai-responses         Thinking.signature = the reasoning item's encrypted_content, its item id
                             in .native["openai-responses"]["id"]; a function_call item's id likewise
                             on the ToolCall
    google-generative-ai     a thoughtSignature: on a thought part, that Thinking's .signature; on any
                             other part, an empty Thinking with the signature just before that part
    bedrock-converse-stream  Thinking.signature (reasoningContent), redactedContent in .redacted
    openai-completions, mistral-conversations
                             no state: their reasoning has origin set and no signature
A Thinking block's origin is set by the reader even when there is no signature (reasoning the
family may take back as it is, such as Chat Completions' reasoning_content).

Usage keeps Answer's meaning of old: `input` EXCLUDES cached tokens, with cacheRead and cacheWrite
beside it (Anthropic's meaning). Readers of OpenAI shapes subtract cached tokens; faces of OpenAI
shapes add them back, because there prompt_tokens / input_tokens include the cache.

Stop reasons: stop, length, toolUse, refused, error (raw keeps the server's own word).
"""

# What a request may need of a wire module; each module declares what it carries in CARRIES.
# A module without CARRIES (an extension written to the text-only contract) carries text only.
# "tools": definitions, tool_choice, calls and results; "images": image blocks, in user turns and
# in tool results; "thinking": thinking blocks with opaque state (a signature, redacted data),
# which the module sends back to its own family and treats by the one rule otherwise (its text
# as text, its state dropped: providers/_wire/convert.py), so carrying thinking never means
# sending another API's state anywhere.
FEATURES = ("text", "tools", "images", "thinking")
TEXT_ONLY = frozenset(("text",))
STOP_REASONS = ("stop", "length", "toolUse", "refused", "error")
EFFORTS = ("minimal", "low", "medium", "high", "xhigh")


class Block:
    __slots__ = ("native",)
    kind = None

    def __repr__(self):
        fields = ", ".join("%s=%r" % (name, getattr(self, name)) for name in self.__slots__ if name != "native")
        return "%s(%s)" % (type(self).__name__, fields)

    def __eq__(self, other):
        return type(other) is type(self) and all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None


class Text(Block):
    __slots__ = ("text",)
    kind = "text"

    def __init__(self, text, native=None):
        self.text, self.native = text, native


class Image(Block):
    __slots__ = ("media_type", "data", "url")
    kind = "image"

    def __init__(self, media_type=None, data=None, url=None, native=None):
        self.media_type, self.data, self.url, self.native = media_type, data, url, native


class Thinking(Block):
    __slots__ = ("text", "signature", "origin", "redacted")
    kind = "thinking"

    def __init__(self, text="", signature=None, origin=None, redacted=None, native=None):
        self.text, self.signature, self.origin, self.redacted, self.native = text, signature, origin, redacted, native


class ToolCall(Block):
    __slots__ = ("id", "name", "arguments")
    kind = "tool_call"

    def __init__(self, id, name, arguments="", native=None):
        self.id, self.name, self.arguments, self.native = id, name, arguments, native


class ToolResult(Block):
    __slots__ = ("call_id", "blocks", "is_error", "name")
    kind = "tool_result"

    def __init__(self, call_id, blocks, is_error=False, name=None, native=None):
        self.call_id, self.blocks, self.is_error, self.name, self.native = call_id, list(blocks), is_error, name, native


class Message:
    __slots__ = ("role", "blocks")

    def __init__(self, role, blocks):
        self.role, self.blocks = role, list(blocks)

    def __repr__(self):
        return "Message(%r, %r)" % (self.role, self.blocks)

    def __eq__(self, other):
        return isinstance(other, Message) and (self.role, self.blocks) == (other.role, other.blocks)

    __hash__ = None

    @property
    def text(self):
        """The message's text blocks joined (what a text-only format can carry)."""
        return "".join(b.text for b in self.blocks if b.kind == "text")


class Tool:
    """A function the model may call: its name, what it does, and its parameters' JSON Schema."""
    __slots__ = ("name", "description", "schema")

    def __init__(self, name, description="", schema=None):
        self.name, self.description = name, description or ""
        self.schema = schema if isinstance(schema, dict) else {"type": "object", "properties": {}}

    def __repr__(self):
        return "Tool(%r)" % self.name

    def __eq__(self, other):
        return isinstance(other, Tool) and (self.name, self.description, self.schema) == (
            other.name, other.description, other.schema)

    __hash__ = None


class Options:
    """The usual request options; None means the wire module's (or the model's) default.

    max_tokens: an answer's cap. temperature, top_p: sampling. stop: a list of stop sequences.
    reasoning: an effort (one of EFFORTS) or a budget in tokens (int), or None. output_schema:
    {"name", "schema", "strict"} for structured output. parallel_tools: whether the model may call
    several tools at once (None: the API's default). cache: "short" (the default), "long" (an hour
    where the API offers it) or "none", for prompt caching. user: an end-user id some APIs take.
    """
    __slots__ = ("max_tokens", "temperature", "top_p", "stop", "reasoning", "output_schema", "parallel_tools",
                 "cache", "user")

    def __init__(self, max_tokens=None, temperature=None, top_p=None, stop=None, reasoning=None,
                 output_schema=None, parallel_tools=None, cache=None, user=None):
        self.max_tokens, self.temperature, self.top_p, self.stop = max_tokens, temperature, top_p, stop
        self.reasoning, self.output_schema, self.parallel_tools = reasoning, output_schema, parallel_tools
        self.cache, self.user = cache, user


class Request:
    """What one request asks of a model.

    system: the system prompt (text) or None. turns: [Message]. tools: [Tool]. tool_choice: None
    (the API's default), "auto", "none", "any" (some tool), or {"name": NAME} (that tool).
    options: Options. fast: the priority service tier. session_id: the conversation's id, for
    prompt caching (prompt_cache_key, session headers).

    The v1 view that extension wire modules written to the text-only contract read: `system` (a
    string) and `messages` ([{"role": "user" | "assistant", "content": text}]), and `fast`,
    `session_id` as before.
    """

    def __init__(self, system=None, turns=(), tools=(), tool_choice=None, options=None, fast=False, session_id=None):
        self.system, self.turns, self.tools, self.tool_choice = system, list(turns), list(tools), tool_choice
        self.options = options or Options()
        self.fast, self.session_id = fast, session_id

    @property
    def messages(self):
        """The v1 text view of the turns. Only a text-only request has one (the client refuses any
        other for a module that does not carry more), so anything else is a ValueError here."""
        if needs(self) - TEXT_ONLY:
            raise ValueError("this request carries %s; it has no text-only view" % ", ".join(sorted(needs(self) - TEXT_ONLY)))
        return [{"role": m.role, "content": m.text} for m in self.turns]


def Turn(system, messages, fast=False, session_id=None):
    """A text-only Request from the v1 arguments: messages as [{"role", "content": text}]."""
    return Request(system, [Message(m["role"], [Text(m["content"])]) for m in messages], fast=fast,
                   session_id=session_id)


def needs(request):
    """The FEATURES a request uses."""
    found = {"text"}
    if request.tools or request.tool_choice not in (None, "auto", "none"):
        found.add("tools")
    for message in request.turns:
        for block in message.blocks:
            if block.kind in ("tool_call", "tool_result"):
                found.add("tools")
                if block.kind == "tool_result" and any(b.kind == "image" for b in block.blocks):
                    found.add("images")
            elif block.kind == "image":
                found.add("images")
            elif block.kind == "thinking" and (block.signature or block.redacted):
                found.add("thinking")
    return found


def carries(module):
    """What a wire module carries: its CARRIES, or text only for a module written before them."""
    return frozenset(getattr(module, "CARRIES", TEXT_ONLY))


def tool_name(request, call_id):
    """The name of the tool a call id belongs to in this request's history, or None."""
    for message in request.turns:
        for block in message.blocks:
            if block.kind == "tool_call" and block.id == call_id:
                return block.name
    return None


def safe_call_id(call_id, limit=64):
    """A tool-call id as the strictest formats take it (Anthropic: ^[a-zA-Z0-9_-]{1,64}$): other
    characters become _, and a long id is cut and given a short hash of the whole, so that one
    request's calls and results still agree and two ids never become one."""
    ok = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "_-") else "_" for ch in call_id or "")
    if ok and len(ok) <= limit and ok == call_id:
        return ok
    import hashlib

    digest = hashlib.sha256((call_id or "").encode("utf-8")).hexdigest()[:12]
    return (ok[:limit - 13] + "_" + digest) if ok else "call_" + digest


# Opaque state (a thinking signature, a Responses reasoning item's encrypted_content) travels in the
# caller's own opaque field, tagged with the family that made it, so that it goes back only there.
_PACK_PREFIX = "atomic1."
_BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def pack(origin, value):
    """value, made by `origin`, as one opaque string for a caller of another family to keep."""
    import base64

    raw = value.encode("utf-8") if isinstance(value, str) else value
    return "%s%s.%s" % (_PACK_PREFIX, origin, base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="))


def unpack(packed):
    """(origin, value) of a packed string, or (None, packed) when it is not one of ours (then it is
    the caller's family's own state)."""
    if not isinstance(packed, str) or not packed.startswith(_PACK_PREFIX):
        return None, packed
    import base64
    import binascii

    origin, _, data = packed[len(_PACK_PREFIX):].partition(".")
    if not data or data.strip(_BASE64URL):  # a character outside the alphabet: damaged, not ours to guess
        return None, None
    try:
        value = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        return None, None  # damaged: dropped, never sent anywhere
    return (origin, value) if origin else (None, None)


class Sink:
    """Where a wire module's reader pushes an answer as it arrives, and what a face renders from.

    Blocks arrive one after another (at most one is open): text() and reasoning() add to an open
    text or thinking block, opening one when another kind (or none) is open; tool_call() opens a
    tool call, tool_args() adds to its arguments; reasoning_end() gives the open thinking block its
    signature and closes it; block_end() closes whatever is open. Readers also set model, id,
    service_tier, usage (a dict: input, output, cacheRead, cacheWrite, reasoning), call stop(), and
    set `finished` at the protocol's last event. The client calls done() when the stream has ended
    properly (after finished), which closes the open block.

    A subclass overrides the hooks: opened(block), added(block, delta) (text, thinking text or
    argument fragments), closed(block), ended(), and raw(chunk) for the bytes of an answer passed
    through unchanged (the client's relay; `started` is then set by the relay before the first
    chunk). `started` turns true at the first content: after that nothing may be retried, because
    the caller may already have it.

    keeps_text = False: an open block's text is not kept (a sink that shows each delta and needs
    nothing after, as `atomic ask` printing to a terminal): the block's text stays "".
    """
    keeps_text = True

    def __init__(self):
        self.usage = {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "reasoning": 0}
        self.stop_reason = self.raw_stop = self.service_tier = self.model = self.id = None
        self.provider = None  # the id of the provider asked (set by the client): opaque state may name it
        self.finished = False
        self.started = False
        self.block = None   # the open block, or None
        self.count = 0      # blocks opened so far: the next one's index
        self._held = ""     # a high surrogate waiting for its pair (see _whole)

    # -- what readers call --------------------------------------------------------------------
    def start(self, model=None, id=None):
        """The answer's model and id, when the server says them before any content."""
        self.model, self.id = model or self.model, id or self.id

    def text(self, delta):
        self._add_text(Text, delta)

    def reasoning(self, delta):
        self._add_text(Thinking, delta)

    def reasoning_end(self, signature=None, origin=None, redacted=None, native=None):
        """The open thinking block's signature (or a redacted block's data), and its end. With no
        thinking block open, one is opened empty first (a server that sends only the signature).
        origin may be given without a signature: reasoning the family can take back unsigned.
        native: the block's same-origin extras ({api: {field: value}}, a Responses item id)."""
        if self.block is None or self.block.kind != "thinking":
            self._open(Thinking())
        self.block.signature, self.block.origin, self.block.redacted = signature, origin, redacted
        if native:
            self.block.native = native
        self.block_end()

    def tool_call(self, id, name, native=None):
        """A tool call opens; native: its same-origin extras (a Responses function_call item id)."""
        self._open(ToolCall(id, name, native=native))

    def tool_args(self, fragment):
        if not fragment:
            return
        if self.block is None or self.block.kind != "tool_call":
            raise ValueError("tool arguments with no tool call open")
        self.block.arguments += fragment
        self.added(self.block, fragment)

    def block_end(self):
        if self.block is not None:
            block, self.block = self.block, None
            self.closed(block)

    def stop(self, reason, raw=None):
        self.stop_reason, self.raw_stop = reason, raw

    def done(self):
        """The stream ended properly: close the open block, then ended()."""
        self.block_end()
        self.started = True
        self.ended()

    # -- what subclasses override -----------------------------------------------------------------
    def opened(self, block):
        pass

    def added(self, block, delta):
        pass

    def closed(self, block):
        pass

    def ended(self):
        pass

    def flush(self):
        """Called when the answer has stopped arriving for now (the next read would wait): a sink
        that holds output back shows it here."""

    def raw(self, chunk):
        pass

    # -- the bookkeeping ------------------------------------------------------------------------------
    def _open(self, block):
        self.block_end()
        self.block = _Open(block, self.count)
        self.count += 1
        self.started = True
        self.opened(self.block)

    def _add_text(self, kind, delta):
        delta = self._whole(delta)
        if not delta:
            return
        if self.block is None or not isinstance(self.block.kind_of, kind):
            self._open(kind(""))
        if self.keeps_text:
            self.block.keep(delta)
        self.added(self.block, delta)

    def _whole(self, delta):
        """delta with UTF-16 surrogates made whole: a server that escapes JSON as UTF-16 may split a
        pair across two deltas (the high half is held for the next one), and a lone half, which no
        output can carry, becomes U+FFFD."""
        if not delta or (not self._held and delta.isascii()):
            return delta  # the common case, at once
        delta, self._held = self._held + delta, ""
        if not any("\ud800" <= ch <= "\udfff" for ch in delta):
            return delta
        if "\ud800" <= delta[-1] <= "\udbff":
            delta, self._held = delta[:-1], delta[-1]
        return delta.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class _Open:
    """A block while it streams: the block itself, its index in the answer, and pass-through
    attributes (kind, text, signature, id, name, arguments, ...).

    Text deltas are kept as a list and joined when the text is read: `text += delta` on an
    attribute copies the whole text at every delta, which is quadratic in a long answer."""
    __slots__ = ("_block", "index", "_parts")

    def __init__(self, block, index):
        object.__setattr__(self, "_block", block)
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "_parts", [])

    @property
    def block(self):
        """The block, its text up to date."""
        parts = self._parts
        if parts:
            self._block.text += "".join(parts)
            del parts[:]
        return self._block

    @property
    def kind_of(self):
        """The block, for an isinstance() test (its text may lag behind)."""
        return self._block

    @property
    def kind(self):
        return self._block.kind

    def keep(self, delta):
        self._parts.append(delta)

    def __getattr__(self, name):
        return getattr(self.block, name)

    def __setattr__(self, name, value):
        setattr(self.block, name, value)
