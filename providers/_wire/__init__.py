"""The wire layer: one module per streaming protocol, chosen per model by the api it names.

A wire module has two functions:

    build(model, base_url, headers, request) -> ApiRequest
        The request for one turn of a conversation: URL, the headers (the credential's lines
        are already in `headers`, a HeaderList) and the JSON body. `request` is an ir.Request
        (providers/_wire/ir.py): the system prompt, the turns as content blocks, tools and
        tool_choice, options, fast mode and the session id.
    read(events, sink)
        Consume the answer's server-sent events (providers._wire.sse.Event), feeding `sink` (an
        ir.Sink; the client's is providers._client.answer.Answer); return at the protocol's last
        event. ProviderError for an error the server reports.

and may say how its answer is framed when that is not server-sent events:

    events(chunks) -> iterator of messages, for read(); ACCEPT: the Accept header to send.

Two generations of the contract, both served:

  v1 (text only; extension modules written before tools and images): build reads
  `request.system` (a string or None), `request.messages` ([{"role": "user" | "assistant",
  "content": text}]), `request.fast` and `request.session_id`; read calls the sink's text(),
  reasoning() and stop(), sets usage, model, service_tier and finished. A module without
  CARRIES is such a module: the client layer refuses, with a sentence, any request that needs
  more than text of it, so `request.messages` is always there for it.

  v2 (the modules here): CARRIES, a subset of ir.FEATURES, says what the module can send both
  ways (text, tools, images, thinking: see ir.py for what each means), and build reads
  `request.turns`, `request.tools`, `request.tool_choice` and `request.options`. read also
  calls start(model, id), tool_call(id, name) and tool_args(fragment) as a call's arguments
  stream, reasoning_end(signature, origin) when a thinking block's opaque state is known, and
  block_end(); the stop reason is toolUse when the model called tools, and usage keeps cached
  tokens out of `input`. Something the request asks that the API has no way to say (an image
  by URL on Bedrock, stop sequences on Responses) raises convert.CannotCarry (exit 2, a
  gateway's 400) rather than being dropped. convert.py holds what the modules share: the
  thinking rule (a block's opaque state goes back only to its own family; another family's
  reasoning goes as text), tool arguments as objects, images as data, the options every API
  reads alike, and prompt caching's rules.

The package holds the formats only (no I/O, no credentials): request.py (ApiRequest, HeaderList),
common.py (errors and helpers every module shares), apis.py (the one table of wire APIs), the
framings (sse.py, eventstream.py; sse_write.py writes events), ir.py (what a request asks and
what an answer says), convert.py, and faces/ (the APIs callers speak to atomic, parsed into the IR
and rendered back from it). A wire module never imports a provider module. What is special to
one provider (Copilot's host, a Claude subscription's system block, Bedrock's cache points)
reaches the request through that provider's prepare() hook.
"""
