"""What a key may look like: the check every key passes before it is sent or saved. A leaf, on
`atomic key`'s path: the credential chain, the store, prompts and OAuth all use it."""


def plain_key(value):
    """Printable ASCII without spaces: what key_problem accepts, and what almost every key is,
    checked without importing text.py."""
    return value.isascii() and value.isprintable() and " " not in value


def key_problem(key):
    """Why key cannot be sent as a credential ("has whitespace inside it", ...), or None."""
    if plain_key(key):
        return None  # every sound key, found without importing text.py
    from .text import has_control_chars

    if has_control_chars(key, c1=True):
        return "holds a control character (a line break, NUL or escape), which would break the header line"
    if any(ch.isspace() for ch in key):
        return "has whitespace inside it"
    odd = next((ch for ch in key if ord(ch) > 126), None)
    if odd is not None:
        return "holds the character U+%04X; keys are plain ASCII, and headers cannot carry it" % ord(odd)
    return None
