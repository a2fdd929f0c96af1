"""The one server-sent-events reader every wire protocol uses (the WHATWG event-stream format).

Lines end in LF, CRLF or CR, in any mix, and a line ending may be split across two chunks; a
blank line ends an event; `data:` lines of one event are joined with a newline; lines that start
with `:` are comments (keep-alives); an `id:` or `retry:` field and unknown fields are ignored.
Lines are cut at byte boundaries and decoded whole, so a UTF-8 character split across chunks
arrives intact. `[DONE]` is an ordinary data value here: the protocol decides what it means.
"""


class Event:
    """One event: its `event:` name ("" when none was given) and its data."""
    __slots__ = ("event", "data")

    def __init__(self, event, data):
        self.event, self.data = event, data

    def __repr__(self):
        return "Event(%r, %r)" % (self.event, self.data[:60])


def events(chunks):
    """Yield an Event for each one in the byte chunks. An event the stream ends in the middle of
    (no blank line after it) is dropped, as the format says: it may be half a JSON document, and
    the protocol then sees a stream that stopped before its last event."""
    name, data, carry, after_cr = "", [], b"", False
    for chunk in chunks:
        if after_cr and chunk[:1] == b"\n":
            chunk = chunk[1:]  # the LF of a CRLF whose CR ended the previous chunk
        buffer = carry + chunk if carry else chunk
        after_cr = False
        if b"\r" in buffer:
            after_cr = buffer.endswith(b"\r")
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buffer.split(b"\n")
        carry = lines.pop()  # after the last line ending: a line still arriving
        for line in lines:
            if line:
                name, data = _field(line, name, data)
            elif data:
                yield Event(name, "\n".join(data))
                name, data = "", []
            else:
                name = ""


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
    return name, data
