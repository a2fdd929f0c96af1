"""Checks on text that comes from outside (keys, command output, server answers), and suggestions
for names people mistype.

Kept apart from mask.py, whose patterns are compiled on import: `atomic key` checks every
`!command` output with this and should not pay for masking it does not do.
"""


def has_control_chars(text, c1=False):
    """True if text holds a C0 control character or DEL (and, with c1=True, a C1 control
    U+0080-U+009F, which terminals also obey): nothing a key, token or address may contain."""
    if text.isascii() and text.isprintable():  # the common case, at C speed: a listing checks 100k characters
        return False
    return any(ord(ch) < 32 or ord(ch) == 127 or (c1 and 127 < ord(ch) < 160) for ch in text)


def printable(text, lines=False):
    """text with every control character (C0, DEL, C1: what terminals obey) replaced by `?`, and
    tabs and line breaks by spaces (lines=True keeps "\n", for reports made of several lines): a
    server or a file must not be able to move the cursor, recolour the screen or add a line."""
    if not has_control_chars(text, c1=True):
        return text
    return "".join(ch if ch == "\n" and lines else " " if ch in "\r\n\t" else "?" if ord(ch) < 32 or 127 <= ord(ch) < 160
                   else ch for ch in text)


def did_you_mean(name, choices, means=None, most=3):
    """' (did you mean 'x' or 'y'?)' for the choices closest to name (at most `most`), or ''.

    means maps a choice to what to suggest for it (a display name to its id); suggestions that
    mean the same are given once."""
    import difflib

    by_lower = {c.lower(): c for c in choices}  # "OpenAI" should still find "openai"
    lower = name.lower()
    if lower in by_lower:
        close = [by_lower[lower]]  # the same but for case: that one, not its neighbours too
    else:
        close = [by_lower[c] for c in difflib.get_close_matches(lower, list(by_lower), n=most, cutoff=0.6)]
    if not close:
        close = [c for c in choices if lower and (lower in c.lower() or c.lower() in lower)][:most]
    shown = []
    for choice in close:
        meant = (means or {}).get(choice, choice)
        if meant not in shown:
            shown.append(meant)
    return " (did you mean %s?)" % " or ".join(repr(c) for c in shown) if shown else ""


_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text):
    """Seconds in `90s`, `30m`, `2h`, `1h30m` (units ms, s, m, h, d); ValueError saying what is wrong."""
    rest, total = text.strip().lower(), 0.0
    if not rest:
        raise ValueError("empty duration; give a number with a unit, e.g. 30m")
    while rest:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        unit = next((u for u in ("ms", "s", "m", "h", "d") if rest[digits:].startswith(u)), None)
        if not digits or unit is None:
            raise ValueError("%r is not a duration; give a number with a unit (ms, s, m, h, d), e.g. 90s, "
                             "30m, 2h or 1h30m" % text)
        total += int(rest[:digits]) * _UNITS[unit]
        rest = rest[digits + len(unit):]
    return total


def format_duration(seconds):
    """`45s`, `12m`, `3h 05m`, `4d`: a remaining lifetime as people read it (`never expires` for
    a lifetime of centuries: pi's mark for a key that does not expire)."""
    if seconds > 100 * 365 * 86400:
        return "never expires"
    seconds = int(seconds)
    if seconds < 60:
        return "%ds" % max(seconds, 0)
    minutes = seconds // 60
    if minutes < 60:
        return "%dm" % minutes
    hours, minutes = divmod(minutes, 60)
    return "%dh %02dm" % (hours, minutes) if hours < 48 else "%dd" % (hours // 24)


_HOST_LABEL = r"^(?!-)[a-z0-9-]{1,63}(?<!-)$"  # one label of a host name


def domain_host(text):
    """The host name in a domain or URL people type (`ghe.example.com`, `https://gitlab.example.com/`),
    lower-cased; None when it is neither."""
    import re
    import urllib.parse

    raw = (text or "").strip()
    try:
        host = urllib.parse.urlsplit(raw if "://" in raw else "https://" + raw).hostname
    except ValueError:
        host = None
    host = (host or "").rstrip(".")
    if not host or not all(re.match(_HOST_LABEL, label) for label in host.split(".")):
        return None
    return host
