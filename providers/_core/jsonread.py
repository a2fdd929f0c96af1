"""Reading JSON without importing the json package on the hot path.

`import json` pulls in `re` and `enum` (about 5 ms on a bare interpreter), a third of the start-up
budget of `atomic key`. The C scanner behind json.loads is importable on its own as `_json`; it
parses a well-formed document here, and anything it rejects goes to json.loads, whose error says
where the document went wrong.
"""

_WHITESPACE = " \t\n\r"


def _finite(literal):
    value = float(literal)
    if value in (float("inf"), float("-inf")):
        # Python would read it as infinity and write it back as `Infinity`, which is not JSON.
        raise ValueError("the number %s is too large for JSON" % literal)
    return value


def _not_json(name):
    raise ValueError("%s is not JSON" % name)


class _Settings:
    # The attributes the C scanner reads from json.JSONDecoder.
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = staticmethod(_finite)
    parse_int = int
    parse_constant = staticmethod(_not_json)
    memo = None


def loads(text):
    """Strict json.loads (no NaN or Infinity, no number that overflows to infinity), importing
    json only to report an error."""
    try:
        import _json

        scan = _json.make_scanner(_Settings())
        start = _skip_space(text, 0)
        value, end = scan(text, start)
        if _skip_space(text, end) == len(text):
            return value
    except (ImportError, StopIteration, ValueError, SystemError):
        # SystemError: the C scanner reports a syntax error through json.decoder, which is not
        # loaded yet, and fails without a message. json.loads below gives the real one.
        pass
    import json  # let the full parser find and describe the problem

    return json.loads(text, parse_float=_finite, parse_constant=_not_json)


def _skip_space(text, index):
    while index < len(text) and text[index] in _WHITESPACE:
        index += 1
    return index
