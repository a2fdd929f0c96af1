"""The server-sent-events writer, beside the reader (sse.py): one event as the bytes a client reads.

A JSON document is written compactly on one `data:` line (JSON escapes every line break inside a
string, so one line always holds it); a text value (Chat Completions' `[DONE]`) is written as it
is, one `data:` line per line of it. The event ends with a blank line.
"""
import json
# A text as a JSON string, as frame() writes strings (for an event written piece by piece): json's
# own string encoder, which `ensure_ascii=False` uses.
from json.encoder import encode_basestring as json_string

# The JSON encoder, made once: json.dumps with options makes one at every call.
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def frame(data, event=None):
    """The bytes of one event: `event: NAME` when a name is given, then the data (a dict or a list
    is written as JSON, a str as it is)."""
    if not isinstance(data, str):
        return frame_json(_compact(data), event)
    lines = ["event: " + event] if event else []
    lines += ["data: " + line for line in data.split("\n")]
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def frame_json(text, event=None):
    """The bytes of one event whose data is JSON already written compactly (so one line)."""
    return (("event: %s\ndata: %s\n\n" % (event, text)) if event else ("data: %s\n\n" % text)).encode("utf-8")
