"""The wire layer: one module per streaming protocol, chosen per model by the api it names.

A wire module has two functions:

    build(model, base_url, headers, turn) -> ApiRequest
        The request for one turn of a conversation: URL, the headers (the credential's lines
        are already in `headers`, a HeaderList) and the JSON body.
    read(events, answer)
        Consume the answer's server-sent events (providers._wire.sse.Event), feeding `answer`;
        return at the protocol's last event. ProviderError for an error the server reports.

and may say how its answer is framed when that is not server-sent events:

    events(chunks) -> iterator of messages, for read(); ACCEPT: the Accept header to send.

The package holds the formats only (no I/O, no credentials): request.py (ApiRequest, HeaderList),
common.py (errors and helpers every module shares), apis.py (the one table of wire APIs), the
framings (sse.py, eventstream.py; sse_write.py writes events), ir.py (what a request asks) and
faces/ (the APIs callers speak to atomic, parsed into the IR and rendered back from it). A wire
module never imports a provider module. What is special to one provider (Copilot's host, a Claude
subscription's system block) reaches the request through that provider's prepare() hook.
"""
