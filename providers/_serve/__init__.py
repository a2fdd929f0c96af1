"""`atomic serve`: a local gateway that lets any tool speaking the OpenAI or Anthropic API use the
logins atomic keeps (docs/design.md §7). Floor 7: it stands on the client layer and the wire faces.

server.py    listeners (loopback or a 0600 socket), one thread per connection, limits, shutdown
conn.py      HTTP/1.1 on one connection: a request's head and body under deadlines, responses
handler.py   the checks every request passes (Host, Origin, content type, client token) and routes
tokens.py    client tokens: made once, kept as hashes, scoped, expiring, revocable
log.py       one line per request on stderr, secrets masked
clients.py   what each client (Codex CLI, Claude Code, the SDKs) needs to be pointed here
"""
