"""Checks on text that comes from outside (keys, command output, server answers), and suggestions
for names people mistype.

Kept apart from mask.py, whose patterns are compiled on import: `atomic key` checks every
`!command` output with this and should not pay for masking it does not do.
"""


def has_control_chars(text, c1=False):
    """True if text holds a C0 control character or DEL (and, with c1=True, a C1 control
    U+0080-U+009F, which terminals also obey): nothing a key, token or address may contain."""
    return any(ord(ch) < 32 or ord(ch) == 127 or (c1 and 127 < ord(ch) < 160) for ch in text)


def printable(text, lines=False):
    """text with every control character (C0, DEL, C1: what terminals obey) replaced by `?`, and
    tabs and line breaks by spaces (lines=True keeps "\n", for reports made of several lines): a
    server or a file must not be able to move the cursor, recolour the screen or add a line."""
    if not has_control_chars(text, c1=True):
        return text
    return "".join(ch if ch == "\n" and lines else " " if ch in "\r\n\t" else "?" if ord(ch) < 32 or 127 <= ord(ch) < 160
                   else ch for ch in text)


def did_you_mean(name, choices):
    """' (did you mean 'x' or 'y'?)' for the choices closest to name, or ''."""
    import difflib

    by_lower = {c.lower(): c for c in choices}  # "OpenAI" should still find "openai"
    lower = name.lower()
    close = [by_lower[c] for c in difflib.get_close_matches(lower, list(by_lower), n=3, cutoff=0.6)]
    if not close:
        close = [c for c in choices if lower and (lower in c.lower() or c.lower() in lower)][:3]
    return " (did you mean %s?)" % " or ".join(repr(c) for c in close) if close else ""
