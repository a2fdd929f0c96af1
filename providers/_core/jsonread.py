"""Reading JSON without importing the json package on the hot path.

`import json` pulls in `re` and `enum`, and even the C scanner behind it (`_json`) is a shared
library whose loading costs a fifth of `atomic key`'s start-up. So a small document (auth.json,
settings.json) is read by the strict parser below, in plain Python; a large one (the catalogue,
a big models.json) by the C scanner alone. Anything either rejects goes to json.loads, whose
error says where the document went wrong. tests/test_jsonread.py holds both to json.loads.

The parser is functions of (text, position) -> (value, next position), raising ValueError or
IndexError at the first fault: no classes, which cost start-up time to create.
"""

SMALL = 65536            # characters: below this the plain parser is faster than loading _json
MAX_DEPTH = 100          # nesting the plain parser takes; deeper documents go to json.loads
_WHITESPACE = " \t\n\r"
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_DIGITS = "0123456789"
_HEX = "0123456789abcdefABCDEF"
_WORDS = (("true", True), ("false", False), ("null", None))


def loads(text, trusted=False, repeated=None):
    """Strict json.loads: no NaN or Infinity, no number that overflows to infinity. Importing
    json only to report an error. trusted=True (data we ship) skips the per-number check.
    repeated: a list to which the names the top-level object holds twice are added (with the
    offset of the later one), which json.loads would take silently, the last one winning."""
    if repeated is not None:
        return _loads_noting_repeats(text, repeated)
    try:
        if len(text) < SMALL and not trusted:
            value, end = _value(text, _skip_space(text, 0), 0)
            if _skip_space(text, end) == len(text):
                return value
        else:
            value, end = _scanner(trusted)(text, _skip_space(text, 0))
            if _skip_space(text, end) == len(text):
                return value
    except (ImportError, StopIteration, ValueError, SystemError, IndexError, RecursionError):
        # SystemError: the C scanner reports a syntax error through json.decoder, which is not
        # loaded yet, and fails without a message. json.loads below gives the real one.
        pass
    import json  # let the full parser find and describe the problem

    return json.loads(text, parse_float=_finite, parse_constant=_not_json)


def _loads_noting_repeats(text, repeated):
    """loads() for a document whose top-level names must be told apart (auth.json)."""
    start = _skip_space(text, 0)
    if len(text) < SMALL and text[start:start + 1] == "{":
        try:
            value, end = _object(text, start, 0, repeated)
            if _skip_space(text, end) == len(text):
                return value
        except (ValueError, IndexError, RecursionError):
            pass
        del repeated[:]
    import json  # a large document, or one with a fault for json.loads to describe

    seen = []  # the hook sees the innermost objects first and the whole document last

    def pairs(items):
        names = set()
        seen[:] = []
        for name, _value_ in items:
            if name in names:
                seen.append((name, None))
            names.add(name)
        return dict(items)
    value = json.loads(text, parse_float=_finite, parse_constant=_not_json, object_pairs_hook=pairs)
    if isinstance(value, dict):
        repeated.extend(seen)
    return value


def _value(text, at, depth):
    char = text[at]
    if char == '"':
        return _string(text, at)
    if char == "{" or char == "[":
        if depth >= MAX_DEPTH:
            raise ValueError("nested too deeply for the plain parser")
        return _object(text, at, depth) if char == "{" else _array(text, at, depth)
    for word, meaning in _WORDS:
        if text.startswith(word, at):
            return meaning, at + len(word)
    return _number(text, at)


def _object(text, at, depth, repeated=None):
    result = {}
    at = _skip_space(text, at + 1)
    if text[at] == "}":
        return result, at + 1
    while True:
        if text[at] != '"':
            raise ValueError("expected a name")
        if repeated is not None:
            begin = at
        name, at = _string(text, at)
        if repeated is not None and name in result:
            repeated.append((name, begin))
        at = _skip_space(text, at)
        if text[at] != ":":
            raise ValueError("expected ':'")
        result[name], at = _value(text, _skip_space(text, at + 1), depth + 1)
        at = _skip_space(text, at)
        if text[at] == "}":
            return result, at + 1
        if text[at] != ",":
            raise ValueError("expected ',' or '}'")
        at = _skip_space(text, at + 1)


def _array(text, at, depth):
    result = []
    at = _skip_space(text, at + 1)
    if text[at] == "]":
        return result, at + 1
    while True:
        item, at = _value(text, at, depth + 1)
        result.append(item)
        at = _skip_space(text, at)
        if text[at] == "]":
            return result, at + 1
        if text[at] != ",":
            raise ValueError("expected ',' or ']'")
        at = _skip_space(text, at + 1)


def _string(text, at):
    at += 1
    parts = []
    while True:
        quote = text.index('"', at)  # ValueError if unterminated
        backslash = text.find("\\", at, quote)
        end = quote if backslash == -1 else backslash
        segment = text[at:end]
        if segment and min(segment) < " ":
            raise ValueError("control character in a string")
        parts.append(segment)
        if end == quote:
            return "".join(parts), quote + 1
        escape = text[end + 1]
        if escape == "u":
            code, at = _code_unit(text, end + 2), end + 6
            if 0xD800 <= code <= 0xDBFF and text.startswith("\\u", at):
                low = _code_unit(text, at + 2)
                if 0xDC00 <= low <= 0xDFFF:  # a surrogate pair is one character, as json reads it
                    code, at = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00), at + 6
            parts.append(chr(code))
        elif escape in _ESCAPES:
            parts.append(_ESCAPES[escape])
            at = end + 2
        else:
            raise ValueError("invalid escape")


def _code_unit(text, at):
    digits = text[at:at + 4]
    if len(digits) != 4 or not all(d in _HEX for d in digits):
        raise ValueError("invalid \\u escape")
    return int(digits, 16)


def _number(text, start):
    at = start + (text[start] == "-")
    if text[at:at + 1] == "0":
        at += 1
    elif text[at:at + 1] and text[at] in _DIGITS:
        at = _skip_digits(text, at)
    else:
        raise ValueError("not a JSON value")
    integer = True
    if text[at:at + 1] == "." and text[at + 1:at + 2] and text[at + 1] in _DIGITS:
        at, integer = _skip_digits(text, at + 1), False
    if text[at:at + 1] in ("e", "E"):
        mark = at + 1 + (text[at + 1:at + 2] in ("+", "-") and text[at + 1:at + 2] != "")
        if not (text[mark:mark + 1] and text[mark] in _DIGITS):
            raise ValueError("bad exponent")
        at, integer = _skip_digits(text, mark), False
    literal = text[start:at]
    return (int(literal) if integer else _finite(literal)), at


def _skip_digits(text, at):
    while at < len(text) and text[at] in _DIGITS:
        at += 1
    return at


def _skip_space(text, index):
    while index < len(text) and text[index] in _WHITESPACE:
        index += 1
    return index


def _finite(literal):
    value = float(literal)
    if value in (float("inf"), float("-inf")):
        # Python would read it as infinity and write it back as `Infinity`, which is not JSON.
        raise ValueError("the number %s is too large for JSON" % literal)
    return value


def _not_json(name):
    raise ValueError("%s is not JSON" % name)


def _scanner(trusted):
    """The C scanner behind json.loads, set up as strict json.loads sets it up."""
    import _json

    class Settings:
        # The attributes the C scanner reads from json.JSONDecoder.
        strict = True
        object_hook = None
        object_pairs_hook = None
        parse_float = float if trusted else staticmethod(_finite)  # ours is shipped data: no check
        parse_int = int
        parse_constant = staticmethod(_not_json)
        memo = None

    return _json.make_scanner(Settings())
