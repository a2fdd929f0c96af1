"""What atomic holds an extension to: its registry rows (checked as the built-in rows are), and
the answers of its hooks, which go through a guard that names the extension when its code fails.

The contract itself is written in providers/api.py's docstring; this is its enforcement.
"""
import os
import sys

from .._core import errors

_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
FIX = "fix it, or move it out of the extensions folder"


def valid_id(text, dots=False):
    """A provider id as atomic spells them: lower-case letters and digits in words joined by single
    hyphens (dots=True: or dots, as in the registry's llama.cpp; a file or module name has none)."""
    if not isinstance(text, str):
        return False
    return all(part and set(part) <= _ID_CHARS for part in (text.replace(".", "-") if dots else text).split("-"))


def describe(exc):
    text = str(exc)
    return "%s: %s" % (type(exc).__name__, text) if text else type(exc).__name__


def line_in(exc, path):
    """` (file line N)` for the last frame of exc's traceback in the extension's own file."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if path is None and frames:
        path = frames[-1].filename
    for frame in reversed(frames):
        if frame.filename == path:
            return " (%s line %d)" % (os.path.basename(path), frame.lineno)
    return ""


def row_problems(row, module=None):
    """What is wrong with a registry row, as the registry's own rows are held to it: [] when nothing.
    With the module, also that it has what the row promises (login for OAuth, wire for its API)."""
    from .._wire.apis import APIS

    problems = []
    if not valid_id(row.id, dots=True):
        problems.append("id %r: use lower-case letters and digits joined by single hyphens (or dots)" % (row.id,))
    if not isinstance(row.name, str) or not row.name.strip() or row.name != row.name.strip():
        problems.append("name: a display name without surrounding spaces")
    for field, names in (("env", row.env), ("settings", row.settings)):
        bad = [n for n in names if not _variable_name(n)]
        if bad:
            problems.append("%s: %r are not environment variable names (A_NAME_LIKE_THIS)" % (field, bad))
    stray = [n for n in row.address_parts + row.url_settings if n not in row.settings]
    if stray:
        problems.append("address_parts, url_settings: %r are not among its settings" % stray)
    if not row.auth or not set(row.auth) <= {"key", "oauth", "cloud"}:
        problems.append("auth: %r; use \"key\", \"oauth\", \"cloud\" or several, space-separated" % " ".join(row.auth))
    if not isinstance(row.base_url, str) or (row.base_url and not row.base_url.startswith(("https://", "http://"))):
        problems.append("base_url: an http:// or https:// URL, or \"\"")
    wire = module is not None and callable(getattr(module, "wire", None))
    if not isinstance(row.api, str) or (row.api not in APIS and not wire):
        problems.append("api %r is not a wire API atomic speaks (%s); name one, or give the module a wire(api) hook"
                        % (row.api, ", ".join(sorted(APIS))))
    if row.key_header is not None and not (
            isinstance(row.key_header, tuple) and len(row.key_header) == 2
            and all(isinstance(part, str) for part in row.key_header) and "{key}" in row.key_header[1]):
        problems.append("key_header: (header name, template with {key}), e.g. (\"Authorization\", \"Bearer {key}\")")
    if not set(row.login_options) <= {"device", "enterprise_domain", "with_token", "from"}:
        problems.append("login_options: only \"device\", \"enterprise_domain\", \"with_token\" and \"from\" (the `atomic "
                        "login` options)")
    if bool(row.subscription) != ("oauth" in row.auth):
        problems.append("subscription: the login menu's label, given exactly when auth includes \"oauth\"")
    bad = [a for a in row.aliases if not valid_id(a)]
    if bad:
        problems.append("aliases: %r are not names like a provider id" % bad)
    if module is not None and "oauth" in row.auth and not callable(getattr(module, "login", None)):
        problems.append("auth includes \"oauth\" but the module has no login(ctx, options)")
    return problems


def _variable_name(name):
    return (isinstance(name, str) and bool(name) and not name[0].isdigit()
            and all(ch.isupper() or ch.isdigit() or ch == "_" for ch in name))


# Calls into an extension ----------------------------------------------------------------------

class Guarded:
    """An extension's module as the rest of atomic sees it: every public function it has is
    called through a guard, so an exception from its code (anything but atomic's own errors,
    which it may raise on purpose) or an answer of the wrong shape becomes an error that names
    the extension, not an internal error of atomic."""

    def __init__(self, target, ext):
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_ext", ext)

    def __getattr__(self, name):
        value = getattr(self._target, name)
        if callable(value) and not name.startswith("_") and not isinstance(value, type):
            return _guard(value, name, self._ext)
        return value


def _guard(function, name, ext):
    def call(*args, **kwargs):
        try:
            result = function(*args, **kwargs)
        except errors.AtomicError:
            raise
        except (Exception, SystemExit) as exc:
            _debug_traceback()
            raise errors.AtomicError("the %s extension failed: %s() raised %s%s; the fault is in the extension "
                                     "%s, not in atomic: %s" % (ext.id, name, describe(exc), line_in(exc, ext.path),
                                                                ext.where, FIX), errors.Exit.BUG)
        wrong = _wrong_answer(name, result)
        if wrong:
            raise errors.AtomicError("the %s extension failed: %s() returned %s; the fault is in the extension %s, "
                                     "not in atomic: %s" % (ext.id, name, wrong, ext.where, FIX), errors.Exit.BUG)
        if name == "wire" and result is not None:
            return Guarded(result, ext)  # its build() and read() are the extension's code too
        if name == "ambient" and result is not None:
            # The token maker and the signer it hands back are the extension's code as well.
            for part in ("fetch", "signer"):
                if getattr(result, part, None) is not None:
                    setattr(result, part, _guard(getattr(result, part), part, ext))
        return result
    call.__name__ = getattr(function, "__name__", name)
    call.__wrapped__ = function
    return call


def _debug_traceback():
    if os.environ.get("ATOMIC_DEBUG"):
        import traceback

        from .._core.mask import mask_text
        print(mask_text(traceback.format_exc()), file=sys.stderr, end="")


def _wrong_answer(hook, value):
    """What is wrong with a hook's answer, in words (None when it is what atomic expects)."""
    check = _ANSWERS.get(hook)
    return None if check is None or check(value) else "%s, not %s" % (_kind(value), _EXPECTED[hook])


def _kind(value):
    return "None" if value is None else "a %s" % type(value).__name__


def _text_or_none(value):
    return value is None or isinstance(value, str)


def _pairs(value):
    return value is None or (isinstance(value, (list, tuple)) and all(
        isinstance(p, tuple) and len(p) == 2 and all(isinstance(s, str) for s in p) for p in value))


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _record(value):
    if isinstance(value, dict) and value.get("type") == "linked":  # another tool's login (--from)
        return isinstance(value.get("from"), str) and bool(value["from"])
    if isinstance(value, dict) and value.get("type") == "api_key":  # a login of its own questions (llama.cpp's)
        return (value.get("key") is None or isinstance(value.get("key"), str)) and _variables(value.get("env"))
    return (isinstance(value, dict) and value.get("type") == "oauth" and isinstance(value.get("access"), str)
            and isinstance(value.get("refresh"), str) and _number(value.get("expires")))


def _fields(value):
    return isinstance(value, dict) and isinstance(value.get("access"), str) and _number(value.get("expires"))


def _variables(value):
    return value is None or (isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()))


def _model(value):
    return isinstance(value, dict) and isinstance(value.get("id"), str)


def _models(value):
    return isinstance(value, (list, tuple)) and all(_model(m) for m in value)


def _credential(value):
    return value is None or (hasattr(value, "source") and hasattr(value, "value") and hasattr(value, "fetch"))


def _token(value):
    return (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and bool(value[0])
            and (value[1] is None or _number(value[1])))


def _wire(value):
    return value is None or (callable(getattr(value, "build", None)) and callable(getattr(value, "read", None)))


_ANSWERS = {"login": _record, "refresh": _fields, "account": _text_or_none, "headers": _pairs,
            "base_url": _text_or_none, "error_hint": _text_or_none, "export": _variables, "models": _models,
            "wire": _wire, "served_models": _models, "account_model": _model, "ambient": _credential, "fetch": _token,
            "linked": lambda value: value is not None and _credential(value)}
_EXPECTED = {"login": "the auth.json record {\"type\": \"oauth\", \"access\", \"refresh\", \"expires\"} "
                      "(or {\"type\": \"api_key\", ...} for a provider without OAuth)",
             "refresh": "{\"access\", \"expires\", ...}", "account": "a string or None",
             "headers": "a list of (name, value) pairs or None", "base_url": "a string or None",
             "error_hint": "a string or None", "export": "a dict of NAME: value strings or None",
             "models": "a list of model records, each with an \"id\"",
             "served_models": "a list of model records, each with an \"id\"",
             "account_model": "a model record with an \"id\"",
             "wire": "an object with build() and read(), or None",
             "ambient": "an api.Credential or None", "linked": "an api.Credential",
             "fetch": "a (token, expires epoch ms or None) pair"}
