"""Checks on text that comes from outside (keys, command output, server answers).

Kept apart from _mask.py, whose patterns are compiled on import: `atomic key` checks every
`!command` output with this and should not pay for masking it does not do.
"""


def has_control_chars(text, c1=False):
    """True if text holds a C0 control character or DEL (and, with c1=True, a C1 control
    U+0080-U+009F, which terminals also obey): nothing a key, token or address may contain."""
    return any(ord(ch) < 32 or ord(ch) == 127 or (c1 and 127 < ord(ch) < 160) for ch in text)
