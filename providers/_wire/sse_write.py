"""The server-sent-events writer, beside the reader (sse.py): one event as the bytes a client reads.

A JSON document is written compactly on one `data:` line (JSON escapes every line break inside a
string, so one line always holds it); a text value (Chat Completions' `[DONE]`) is written as it
is, one `data:` line per line of it. The event ends with a blank line.
"""


def frame(data, event=None):
    """The bytes of one event: `event: NAME` when a name is given, then the data (a dict or a list
    is written as JSON, a str as it is)."""
    if not isinstance(data, str):
        import json

        data = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    lines = ["event: " + event] if event else []
    lines += ["data: " + line for line in data.split("\n")]
    return ("\n".join(lines) + "\n\n").encode("utf-8")
