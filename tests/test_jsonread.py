"""auth.json is read without the json package (start-up time): held to json.loads on generated
documents and on every corruption of them, so the two never read a file differently."""
import json
import random

import pytest

from providers._core.jsonread import loads

NUMBERS = ["0", "-0", "1", "-12", "3.25", "1e3", "1E-3", "-2.5e+10", "12345678901234567890", "0.000001",
           "1e308", "-0.0", "10"]
BAD = ["", " ", "{", "}", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1", "1e", "1e+", "--1", "NaN", "Infinity",
       "-Infinity", "[NaN]", "1e999", "[1e999]", "tru", "nul", "{\"a\" 1}", "{1:2}", "[1 2]", "\"\\x\"",
       "\"\\u12\"", "\"\\u12G4\"", "\"a\nb\"", "\"tab\there\"", "\"unterminated", "[\"a\"]]", "{} {}",
       "\"\\\"", "[", "{\"a\":}", "\u00a0{}", "{}\u00a0"]


def _value(rng, depth):
    kind = rng.randrange(9 if depth < 6 else 6)
    if kind == 0:
        return rng.choice([True, False, None])
    if kind == 1:
        return rng.randint(-10 ** 20, 10 ** 20)
    if kind == 2:
        return rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-20, 20)
    if kind in (3, 4, 5):
        alphabet = "abc XYZ09\"\\/\b\f\n\r\t\u00e9\u20ac\U0001f600\ud800\udfff\x7f"
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
    if kind in (6, 7):
        return {_value(rng, 9) if False else "k%d%s" % (n, rng.choice(["", "\u00fc", "\"", "\\"])): _value(rng, depth + 1)
                for n in range(rng.randrange(5))}
    return [_value(rng, depth + 1) for _ in range(rng.randrange(5))]


def _texts(seed, count):
    rng = random.Random(seed)
    for _ in range(count):
        doc = {"p%d" % n: _value(rng, 1) for n in range(rng.randrange(1, 5))}
        indent = rng.choice([None, 0, 2, "\t"])
        yield json.dumps(doc, indent=indent, ensure_ascii=rng.random() < 0.5)


def _strict_float(literal):
    value = float(literal)
    if value in (float("inf"), float("-inf")):
        raise ValueError("infinite")
    return value


def _refuse(name):
    raise ValueError(name)


def _same(text):
    """Assert that loads() reads text exactly as strict json.loads does; whether it was JSON."""
    try:
        expected = json.loads(text, parse_float=_strict_float, parse_constant=_refuse)
    except (ValueError, RecursionError):
        with pytest.raises((ValueError, RecursionError)):
            loads(text)
        return False
    got = loads(text)
    assert got == expected and json.dumps(got) == json.dumps(expected), text
    return True


def test_generated_documents_read_as_json_loads_reads_them():
    from providers._core.jsonread import _value

    texts = list(_texts(1, 400))
    assert sum(_same(text) for text in texts) == 400
    # ...and by the plain parser itself, not by the json.loads it falls back on.
    assert all(_value(text, 0, 0)[0] == json.loads(text) for text in texts)


def test_every_corruption_is_judged_as_json_loads_judges_it():
    rng = random.Random(2)
    accepted = rejected = 0
    for text in _texts(3, 60):
        for _ in range(25):
            at = rng.randrange(len(text))
            mutated = rng.choice([text[:at] + text[at + 1:], text[:at] + rng.choice("{}[],:\"\\0.e-+ tn\x01") + text[at:],
                                  text[:at]])
            if _same(mutated):
                accepted += 1
            else:
                rejected += 1
    assert accepted > 50 and rejected > 500  # both sides were exercised


@pytest.mark.parametrize("literal", NUMBERS)
def test_numbers(literal):
    assert _same('{"n": %s}' % literal)


@pytest.mark.parametrize("text", BAD)
def test_what_is_not_json_is_refused(text):
    assert not _same(text)


def test_escapes_and_surrogates():
    for text in ['"\\ud83d\\ude00"', '"\\ud800"', '"\\udc00\\ud800"', '"\\ud800\\u0041"', '"\\u00e9\\/\\b\\f\\n\\r\\t"',
                 '"\\ud800\\ud800\\udc00"', '{"\\u0000": 1}', '"\\uDBFF\\uDFFF"']:
        assert _same(text), text


def test_duplicate_names_keep_the_last_and_deep_nesting_still_reads():
    assert _same('{"a": 1, "a": 2}')
    assert _same("[" * 300 + "]" * 300)  # beyond the plain parser's depth: json.loads reads it
    assert loads('{"a": ' * 50 + "1" + "}" * 50) is not None
