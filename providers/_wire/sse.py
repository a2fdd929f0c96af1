"""The one server-sent-events reader every wire protocol uses (the WHATWG event-stream format).

Lines end in LF, CRLF or CR, in any mix, and a line ending may be split across two chunks; a
blank line ends an event; `data:` lines of one event are joined with a newline; lines that start
with `:` are comments (keep-alives); an `id:` or `retry:` field and unknown fields are ignored,
but for `error:` (llama.cpp's server reports a failure that way, then sends `[DONE]`), which
becomes an event named "error" carrying the value as its data.
Lines are cut at byte boundaries and decoded whole, so a UTF-8 character split across chunks
arrives intact. A UTF-8 byte order mark at the very start of the stream is dropped, as the format
says (kept, it would make the first field name unknown and the first event would be lost).
`[DONE]` is an ordinary data value here: the protocol decides what it means.
"""


class Event:
    """One event: its `event:` name ("" when none was given) and its data."""
    __slots__ = ("event", "data")

    def __init__(self, event, data):
        self.event, self.data = event, data

    def __repr__(self):
        return "Event(%r, %r)" % (self.event, self.data[:60])


MAX_EVENT = 4 << 20  # bytes in one line or one event: far more than a model API ever sends


def events(chunks):
    """Yield an Event for each one in the byte chunks. An event the stream ends in the middle of
    (no blank line after it) is dropped, as the format says: it may be half a JSON document, and
    the protocol then sees a stream that stopped before its last event. A line or an event over
    MAX_EVENT bytes is a NetworkError: a stream is not capped as a whole, but no part of it may
    grow without end."""
    name, data, size, after_cr = "", [], 0, False
    held, held_size = [], 0  # the start of a line still arriving, kept as chunks (joined once, not per chunk)
    for chunk in _without_bom(chunks):
        if after_cr and chunk[:1] == b"\n":
            chunk = chunk[1:]  # the LF of a CRLF whose CR ended the previous chunk
        after_cr = False
        if b"\n" not in chunk and b"\r" not in chunk:
            held.append(chunk)
            held_size += len(chunk)
            if held_size > MAX_EVENT:
                raise _too_big("a line")
            continue
        buffer = b"".join(held + [chunk]) if held else chunk
        if b"\r" in buffer:
            after_cr = buffer.endswith(b"\r")
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buffer.split(b"\n")
        carry = lines.pop()  # after the last line ending: a line still arriving
        held, held_size = ([carry], len(carry)) if carry else ([], 0)
        for line in lines:
            if line:
                if line.startswith(b"data: "):  # the commonest lines, read here: a call each costs
                    data.append(line[6:].decode("utf-8", "replace"))
                elif line.startswith(b"event: "):
                    name = line[7:].decode("utf-8", "replace")
                else:
                    name, data = _field(line, name, data)
                size += len(line)
                if size > MAX_EVENT:
                    raise _too_big("an event")
            elif data:
                yield Event(name, "\n".join(data))
                name, data, size = "", [], 0
            else:
                name, size = "", 0


BOM = b"\xef\xbb\xbf"


def _without_bom(chunks):
    """The chunks with a leading byte order mark removed, even one split across the first chunks."""
    chunks = iter(chunks)
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= len(BOM) or not BOM.startswith(head):
            break
    yield head[len(BOM):] if head.startswith(BOM) else head
    for chunk in chunks:
        yield chunk


KEEPALIVES = ("ping", "keepalive")  # Anthropic's `event: ping`; OpenAI Responses' {"type": "keepalive"}


def is_keepalive(event):
    """Whether an event only keeps the connection open (a ping), so is no progress of the answer."""
    if getattr(event, "event", None) in KEEPALIVES:
        return True
    data = getattr(event, "data", "")
    if len(data) > 200 or ("ping" not in data and "keepalive" not in data):  # KEEPALIVES, at C speed
        return False
    import json

    try:
        doc = json.loads(data)
    except ValueError:
        return False
    return isinstance(doc, dict) and doc.get("type") in KEEPALIVES


def _too_big(what):
    from .._core.errors import NetworkError

    return NetworkError("the stream sent %s of over %d MiB; that is not an answer, refusing it" % (what, MAX_EVENT >> 20))


def _field(line, name, data):
    if line[:1] == b":":
        return name, data  # a comment: servers send these to keep the connection alive
    text = line.decode("utf-8", "replace")
    field, colon, value = text.partition(":")
    if colon and value[:1] == " ":
        value = value[1:]
    if field == "data":
        data.append(value)
    elif field == "event":
        name = value
    elif field == "error":
        name = "error"
        data.append(value)
    return name, data
