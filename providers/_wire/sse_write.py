"""The server-sent-events writer, beside the reader (sse.py): one event as the bytes a client reads.

A JSON document is written compactly on one `data:` line (JSON escapes every line break inside a
string, so one line always holds it); a text value (Chat Completions' `[DONE]`) is written as it
is, one `data:` line per line of it. The event ends with a blank line.
"""
_compact = []  # the JSON encoder, made once: json.dumps with options makes one at every call
_strings = []  # json's string encoder (the C one), found once


def frame(data, event=None):
    """The bytes of one event: `event: NAME` when a name is given, then the data (a dict or a list
    is written as JSON, a str as it is)."""
    if not isinstance(data, str):
        return frame_json(_encoder()(data), event)
    lines = ["event: " + event] if event else []
    lines += ["data: " + line for line in data.split("\n")]
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def frame_json(text, event=None):
    """The bytes of one event whose data is JSON already written compactly (so one line)."""
    return (("event: %s\ndata: %s\n\n" % (event, text)) if event else ("data: %s\n\n" % text)).encode("utf-8")


def json_string(text):
    """text as a JSON string, as frame() writes strings (for an event written piece by piece)."""
    if not _strings:
        from json.encoder import encode_basestring

        _strings.append(encode_basestring)
    return _strings[0](text)


def _encoder():
    if not _compact:
        import json

        _compact.append(json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode)
    return _compact[0]
