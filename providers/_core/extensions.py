"""Extensions: provider modules that live outside atomic, found lazily and loaded in isolation.

Where they come from, in this order (docs/extensions.md):
  <agent dir>/extensions/NAME.py and <project>/.atomic/extensions/NAME.py  (id: NAME, `_` read as `-`)
  installed distributions' entry points in the group `atomic.providers`   (id: the entry point's name)

discover() lists ids without importing anything; load() imports one extension, under a module
name of its own (atomic_extension_NAME for a file, the entry point's module otherwise), never
into providers.*. What goes wrong while loading is that extension's error, kept on it and raised
again whenever it is asked for: BadFile (exit 4) for code that does not load or rows that do not
check, Unsafe (exit 7) for a file other users can change. Calls into a loaded extension go
through Guarded, so an exception from its code is reported as the extension's, with its name.
"""
import os
import sys

from . import errors

GROUP = "atomic.providers"
FOLDER = "extensions"
MODULE_PREFIX = "atomic_extension_"
MAX_SOURCE = 1 << 20
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_FIX = "fix it, or move it out of the extensions folder"


def valid_id(text):
    """A provider id as atomic spells them: lower-case letters and digits in words joined by single hyphens."""
    return isinstance(text, str) and all(part and set(part) <= _ID_CHARS for part in text.split("-"))


class Extension:
    """One extension as discovered: its id, where it is, and (once loaded) its module and rows,
    or the error that keeps it from loading."""
    __slots__ = ("id", "kind", "path", "folder", "value", "dist", "module", "rows", "error")

    def __init__(self, id, kind, path=None, folder=None, value=None, dist=None):
        self.id, self.kind, self.path, self.folder, self.value, self.dist = id, kind, path, folder, value, dist
        self.module = self.rows = self.error = None

    @property
    def where(self):
        """The file, or the entry point and its distribution, as people look for it."""
        if self.kind == "file":
            return self.path
        return "entry point %s = %s%s" % (self.id, self.value, " of %s" % self.dist if self.dist else "")

    def __repr__(self):
        return "Extension(%r, %r)" % (self.id, self.where)


# Discovery: names only ----------------------------------------------------------------------

def discover(ctx):
    """{id: Extension} of every extension there is, nothing imported; read once per command."""
    if ctx.extensions is None:
        ctx.extensions = _discover(ctx)
    return ctx.extensions


def folders(ctx):
    """The extension folders: the agent directory's, then the project's (the current folder's .atomic)."""
    found = [os.path.join(ctx.agent_dir, FOLDER)]
    try:
        found.append(os.path.join(ctx.cwd, ".atomic", FOLDER))
    except OSError:  # the current folder was removed
        pass
    return found


def _discover(ctx):
    found = {}
    seen = set()
    for folder in folders(ctx):
        real = os.path.realpath(folder)
        if real in seen:
            continue  # the project is the home folder's .atomic itself
        seen.add(real)
        for ext in _files(folder, ctx):
            _add(found, ext)
    for ext in _entry_points(ctx):
        _add(found, ext)
    return found


def _add(found, ext):
    first = found.get(ext.id)
    if first is None:
        found[ext.id] = ext
    elif first.error is None:  # the same id twice: neither is the one meant, so both are refused
        first.error = errors.BadFile("the extension id %s is defined twice, by %s and by %s; keep one of them"
                                     % (ext.id, first.where, ext.where))


def _files(folder, ctx):
    try:
        names = sorted(os.listdir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        ctx.warn("cannot read the extensions folder %s (%s); its extensions are left out" % (folder, exc.strerror))
        return []
    out = []
    for name in names:
        if not name.endswith(".py") or name.startswith(("_", ".")):
            continue  # helpers, editors' backups and caches
        stem = name[:-3]
        ext = Extension(stem.replace("_", "-"), "file", os.path.join(folder, name), folder)
        if not valid_id(ext.id):
            ext.id = stem
            ext.error = errors.BadFile("%s: the file's name is the provider id, so it must be lower-case letters "
                                       "and digits joined by _ or - (e.g. my_provider.py); rename it" % ext.path)
        out.append(ext)
    return out


def _entry_points(ctx):
    """Extensions installed as distributions, first on sys.path winning (as 3.10+ do and 3.8/3.9 do not)."""
    try:
        from importlib import metadata
        try:
            points = metadata.entry_points(group=GROUP)
        except TypeError:  # 3.8, 3.9: a plain dict of group -> tuple, no keyword arguments
            points = metadata.entry_points().get(GROUP, ())
        points = list(points)
    except Exception as exc:  # a broken distribution's metadata must not stop atomic
        ctx.warn("could not read the entry points of installed packages (%s: %s); extensions installed "
                 "with pip are left out" % (type(exc).__name__, exc))
        return []
    out, seen = [], set()
    for point in points:
        if point.name in seen:
            continue
        seen.add(point.name)
        dist = getattr(getattr(point, "dist", None), "name", None)  # .dist is 3.10+
        ext = Extension(point.name, "entry point", value=point.value.strip(), dist=dist)
        if not valid_id(point.name):
            ext.error = errors.BadFile("%s: an entry point's name is the provider id, so it must be lower-case "
                                       "letters and digits joined by hyphens" % ext.where)
        out.append(ext)
    return out


# Loading ------------------------------------------------------------------------------------

def load(ext, ctx):
    """The extension's module (through Guarded), imported on first use; its error if it cannot be."""
    if ext.module is None and ext.error is None:
        try:
            target = _import_file(ext) if ext.kind == "file" else _import_entry_point(ext)
            ext.module = Guarded(target, ext)
        except errors.AtomicError as exc:
            ext.error = exc
    if ext.error is not None:
        raise ext.error
    return ext.module


def _import_file(ext):
    """Check that nobody else can change the file or its folder, then run it as module
    atomic_extension_NAME. The file is read once, and what was checked is what runs."""
    import stat

    from .files import commands_allowed, commands_allowed_at

    if not commands_allowed_at(ext.folder):
        raise errors.Unsafe("refusing the extensions in %s: the folder %s; atomic runs extension files as "
                            "code, so only you may be able to change them (chmod go-w, or chown it)"
                            % (ext.folder, _why_unsafe(ext.folder)))
    try:
        fd = os.open(ext.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise errors.BadFile("cannot read the extension %s: %s" % (ext.path, exc.strerror))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise errors.BadFile("the extension %s is not a regular file; %s" % (ext.path, _FIX))
        real = os.path.realpath(ext.path)
        if not commands_allowed(real, st.st_uid, st.st_mode):
            raise errors.Unsafe("refusing the extension %s: it %s; atomic runs extension files as code, so only "
                                "you may be able to change them (chmod go-w, or chown it)"
                                % (ext.path, _why_unsafe(real, st)))
        if st.st_size > MAX_SOURCE:
            raise errors.BadFile("the extension %s is over 1 MiB; %s" % (ext.path, _FIX))
        chunks = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    try:
        code = compile(b"".join(chunks), ext.path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:  # ValueError: a NUL byte
        where = " line %d" % exc.lineno if getattr(exc, "lineno", None) else ""
        raise errors.BadFile("the extension %s%s: %s: %s; %s" % (ext.path, where, type(exc).__name__,
                                                               getattr(exc, "msg", exc), _FIX))
    import types

    name = MODULE_PREFIX + ext.id.replace("-", "_")
    module = types.ModuleType(name)
    module.__file__ = ext.path
    sys.modules[name] = module  # as an import would: the module's own classes can find it
    try:
        exec(code, module.__dict__)
    except (Exception, SystemExit) as exc:
        sys.modules.pop(name, None)
        raise errors.BadFile("the extension %s did not load: %s%s; %s" % (ext.path, _describe(exc),
                                                                         _line_in(exc, ext.path), _FIX))
    return module


def _why_unsafe(path, st=None):
    """What makes a file or folder one that others can change, in words."""
    try:
        st = st or os.stat(path)
    except OSError as exc:
        return "cannot be checked (%s)" % exc.strerror
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        return "belongs to uid %d, not you" % st.st_uid
    if st.st_mode & 0o022:
        return "can be changed by other users (mode %03o)" % (st.st_mode & 0o777)
    return "is in %s, which other users can change" % os.path.dirname(path)


def _import_entry_point(ext):
    """Import an installed extension's module (`module` or `module:attribute`)."""
    import importlib

    module_name, _colon, attribute = ext.value.partition(":")
    module_name, attribute = module_name.strip(), attribute.split("[")[0].strip()
    if module_name == "providers" or module_name.startswith("providers."):
        raise errors.BadFile("%s: an extension's module must be its own, not part of providers.*" % ext.where)
    try:
        module = importlib.import_module(module_name)
        target = getattr(module, attribute) if attribute else module
    except (Exception, SystemExit) as exc:
        raise errors.BadFile("the extension %s did not load: %s%s; fix it, or uninstall %s"
                             % (ext.where, _describe(exc), _line_in(exc, None), ext.dist or "its distribution"))
    ext.path = getattr(module, "__file__", None)
    return target


def _describe(exc):
    text = str(exc)
    return "%s: %s" % (type(exc).__name__, text) if text else type(exc).__name__


def _line_in(exc, path):
    """` (file line N)` for the last frame of exc's traceback in the extension's own file."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if path is None and frames:
        path = frames[-1].filename
    for frame in reversed(frames):
        if frame.filename == path:
            return " (%s line %d)" % (os.path.basename(path), frame.lineno)
    return ""


# The rows an extension declares --------------------------------------------------------------

def rows(ext, ctx, row_type, taken):
    """The extension's PROVIDERS, checked and tied to it; BadFile (kept on the extension) if any fails.

    row_type is the registry's Provider; taken(name) says which built-in provider already answers
    to a name, or None."""
    if ext.rows is None:
        module = load(ext, ctx)
        try:
            ext.rows = _checked_rows(ext, module, row_type, taken)
        except errors.AtomicError as exc:
            ext.error = exc
            raise
    return ext.rows


def _checked_rows(ext, module, row_type, taken):
    declared = getattr(module, "PROVIDERS", None)
    if not isinstance(declared, (list, tuple)) or not declared or not all(isinstance(r, row_type) for r in declared):
        raise errors.BadFile("the extension %s declares no PROVIDERS = [api.Provider(%r, ...)]; %s"
                             % (ext.where, ext.id, _FIX))
    problems, names = [], {}
    for n, row in enumerate(declared):
        where = "PROVIDERS[%d]" % n
        problems += ["%s: %s" % (where, p) for p in row_problems(row, module)]
        if row.id != ext.id and not row.id.startswith(ext.id + "-"):
            problems.append("%s: id %r does not match the %s name %r: rename %s"
                            % (where, row.id, "file" if ext.kind == "file" else "entry point", ext.id,
                               "the file to %s.py" % row.id.replace("-", "_") if ext.kind == "file" else "one of them"))
        if row.module_name is not None:
            problems.append("%s: leave out module=: an extension's provider is the extension's own module" % where)
        for name in (row.id,) + row.aliases:
            owner = taken(name)
            if owner is not None:
                problems.append("%s: %r is already the built-in provider %s's name; choose another" % (where, name, owner))
            elif name in names:
                problems.append("%s: %r is also %s's name" % (where, name, names[name]))
            names.setdefault(name, row.id)
    if problems:
        raise errors.BadFile("the extension %s: %s; %s" % (ext.where, "; ".join(problems), _FIX))
    for row in declared:
        row.extension, row.module_name = ext, getattr(module, "__name__", None)
    return list(declared)


def row_problems(row, module=None):
    """What is wrong with a registry row, as the registry's own rows are held to it: [] when nothing.
    With the module, also that it has what the row promises (login for OAuth, wire for its API)."""
    from .apis import APIS

    problems = []
    if not valid_id(row.id):
        problems.append("id %r: use lower-case letters and digits joined by single hyphens" % (row.id,))
    if not isinstance(row.name, str) or not row.name.strip() or row.name != row.name.strip():
        problems.append("name: a display name without surrounding spaces")
    for field, names in (("env", row.env), ("settings", row.settings)):
        bad = [n for n in names if not _variable_name(n)]
        if bad:
            problems.append("%s: %r are not environment variable names (A_NAME_LIKE_THIS)" % (field, bad))
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
    if not set(row.login_options) <= {"device", "enterprise_domain"}:
        problems.append("login_options: only \"device\" and \"enterprise_domain\" (the `atomic login` options)")
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
                                     "%s, not in atomic: %s" % (ext.id, name, _describe(exc), _line_in(exc, ext.path),
                                                                ext.where, _FIX), errors.Exit.BUG)
        wrong = _wrong_answer(name, result)
        if wrong:
            raise errors.AtomicError("the %s extension failed: %s() returned %s; the fault is in the extension %s, "
                                     "not in atomic: %s" % (ext.id, name, wrong, ext.where, _FIX), errors.Exit.BUG)
        if name == "wire" and result is not None:
            return Guarded(result, ext)  # its build() and read() are the extension's code too
        return result
    call.__name__ = getattr(function, "__name__", name)
    call.__wrapped__ = function
    return call


def _debug_traceback():
    if os.environ.get("ATOMIC_DEBUG"):
        import traceback

        from .mask import mask_text
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
    return (isinstance(value, dict) and value.get("type") == "oauth" and isinstance(value.get("access"), str)
            and isinstance(value.get("refresh"), str) and _number(value.get("expires")))


def _fields(value):
    return isinstance(value, dict) and isinstance(value.get("access"), str) and _number(value.get("expires"))


def _variables(value):
    return value is None or (isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()))


def _models(value):
    return isinstance(value, (list, tuple)) and all(isinstance(m, dict) and isinstance(m.get("id"), str) for m in value)


def _wire(value):
    return value is None or (callable(getattr(value, "build", None)) and callable(getattr(value, "read", None)))


def _request(value):
    return value is None or all(hasattr(value, name) for name in ("method", "url", "headers"))


_ANSWERS = {"login": _record, "refresh": _fields, "account": _text_or_none, "headers": _pairs,
            "base_url": _text_or_none, "error_hint": _text_or_none, "export": _variables, "models": _models,
            "wire": _wire, "probe": _request}
_EXPECTED = {"login": "the auth.json record {\"type\": \"oauth\", \"access\", \"refresh\", \"expires\"}",
             "refresh": "{\"access\", \"expires\", ...}", "account": "a string or None",
             "headers": "a list of (name, value) pairs or None", "base_url": "a string or None",
             "error_hint": "a string or None", "export": "a dict of NAME: value strings or None",
             "models": "a list of model records, each with an \"id\"",
             "wire": "an object with build() and read(), or None", "probe": "an api.ApiRequest or None"}
