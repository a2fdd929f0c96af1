"""Extensions: provider modules that live outside atomic, found lazily and loaded in isolation.

Where they come from, in this order (docs/extensions.md):
  <agent dir>/extensions/NAME.py and <project>/.atomic/extensions/NAME.py  (id: NAME, `_` read as `-`)
  installed distributions' entry points in the group `atomic.providers`   (id: the entry point's name)
A project's extension files are used only once its folder is trusted, and only those the trust
record covers, as the bytes the trust gate checked (_config/project.py).

discover() lists ids without importing anything, and aliases() reads an extension's aliases from
its source without running it, so that a name is matched (or a typo told apart) with no
extension imported; load() imports one extension, under a module
name of its own (atomic_extension_NAME for a file, the entry point's module otherwise), never
into providers.*. What goes wrong while loading is that extension's error, kept on it and raised
again whenever it is asked for: BadFile (exit 4) for code that does not load or rows that do not
check, Unsafe (exit 7) for a file other users can change. Calls into a loaded extension go
through Guarded, so an exception from its code is reported as the extension's, with its name.
"""
import os
import sys

from .._core import errors
from .contract import FIX, Guarded, describe, line_in, row_problems, valid_id

GROUP = "atomic.providers"
FOLDER = "extensions"
MODULE_PREFIX = "atomic_extension_"
MAX_SOURCE = 1 << 20


class Extension:
    """One extension as discovered: its id, where it is, and (once loaded) its module and rows,
    or the error that keeps it from loading."""
    __slots__ = ("id", "kind", "path", "folder", "value", "dist", "module", "rows", "error", "source", "aliases")

    def __init__(self, id, kind, path=None, folder=None, value=None, dist=None, source=None):
        self.id, self.kind, self.path, self.folder, self.value, self.dist = id, kind, path, folder, value, dist
        self.source = source  # a project's file: the bytes the trust gate checked, which are what runs
        self.module = self.rows = self.error = self.aliases = None

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
    """{id: Extension} of every extension there is, nothing imported; read once per command, and
    again in a serving process when the project's trusted extension files are no longer those it
    found (`atomic untrust` takes a project's providers away from the next request; a module
    already imported stays in memory, unused)."""
    found = ctx.extensions
    if found is None:
        found = ctx.extensions = _discover(ctx)
    elif ctx.memo is not None and _project_changed(ctx, found):
        found = ctx.extensions = _discover(ctx)
    return found


def _project_changed(ctx, found):
    from .._config.project import extension_files

    return getattr(found, "project", None) != extension_files(ctx)


class _Found(dict):
    """The extensions discovered, and the project's trusted files they were found among."""
    __slots__ = ("project",)


def _discover(ctx):
    from .._config.project import extension_files

    found = _Found()
    for ext in _files(os.path.join(ctx.agent_dir, FOLDER), ctx):
        _add(found, ext)
    found.project = extension_files(ctx)
    for path, source in found.project:  # a trusted project's, as recorded
        _add(found, _file_extension(path, source))
    for ext in _entry_points(ctx):
        _add(found, ext)
    return found


def own_ids(ctx):
    """The ids of the user's own extensions (the agent directory's files, installed entry points),
    whatever the start folder holds: nothing imported, the trust gate not asked."""
    return [ext.id for ext in _files(os.path.join(ctx.agent_dir, FOLDER), ctx) + _entry_points(ctx)]


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
    from .._config.project import is_extension_name

    # Not the other names: helpers, editors' backups and caches.
    return [_file_extension(os.path.join(folder, name)) for name in names if is_extension_name(name)]


def _file_extension(path, source=None):
    stem = os.path.basename(path)[:-3]
    ext = Extension(stem.replace("_", "-"), "file", path, os.path.dirname(path), source=source)
    if not valid_id(ext.id):
        ext.id = stem
        ext.error = errors.BadFile("%s: the file's name is the provider id, so it must be lower-case letters "
                                   "and digits joined by _ or - (e.g. my_provider.py); rename it" % ext.path)
    return ext


def _entry_points(ctx):
    """Extensions installed as distributions, first on sys.path winning (as 3.10+ do and 3.8/3.9 do not)."""
    if not _may_declare_entry_points():
        return []
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


def _may_declare_entry_points():
    """False only when no distribution on sys.path can declare the group, so that importlib.metadata
    (25-80 ms to import, then a parse of every distribution's entry points) is spared to
    `atomic key my-custom-provider`. Whatever this cannot be sure of is a maybe: a zip on sys.path,
    a finder of distributions other than the standard one, any mention of the group."""
    standard = _standard_path_finder()
    if any(hasattr(finder, "find_distributions") and finder is not standard for finder in sys.meta_path):
        return True
    marker = GROUP.encode("ascii")
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except NotADirectoryError:
            return True  # a zip (an egg, a zipapp): importlib.metadata looks inside
        except OSError:
            continue
        for name in names:
            if name.lower().endswith((".dist-info", ".egg-info")):
                try:
                    with open(os.path.join(entry or ".", name, "entry_points.txt"), "rb") as f:
                        if marker in f.read():
                            return True
                except OSError:
                    continue
    return False


def _standard_path_finder():
    """importlib.machinery.PathFinder, without importing importlib (and warnings) to name it:
    CPython has it loaded from the start as _frozen_importlib_external."""
    loaded = sys.modules.get("_frozen_importlib_external")
    if loaded is not None and hasattr(loaded, "PathFinder"):
        return loaded.PathFinder
    import importlib.machinery

    return importlib.machinery.PathFinder


# Aliases, read without running anything -------------------------------------------------------

def aliases(ext):
    """The aliases the extension's api.Provider(...) rows declare, read from its source without
    running it: the strings written as aliases="..." in those calls. None when the source cannot
    be had without an import (an entry point in a zip, or found by a finder of its own)."""
    if ext.aliases is None:
        source = ext.source if ext.source is not None else _source_of(ext)
        ext.aliases = False if source is None else _declared_aliases(source)
    return ext.aliases if ext.aliases is not False else None


def _source_of(ext):
    path = ext.path if ext.kind == "file" else _entry_point_file(ext)
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            return f.read(MAX_SOURCE + 1)
    except OSError:
        return None


def _entry_point_file(ext):
    """The .py file of an entry point's module, found as the import system finds it on sys.path,
    but without importing anything (not even its packages' __init__)."""
    from importlib.machinery import PathFinder

    spec, path, name = None, None, ""
    for part in ext.value.partition(":")[0].strip().split("."):
        name = name + "." + part if name else part
        try:
            spec = PathFinder.find_spec(name, path)
        except (ImportError, ValueError):
            return None
        if spec is None:
            return None
        path = spec.submodule_search_locations
    origin = getattr(spec, "origin", None)
    return origin if origin and origin.endswith(".py") else None


def _declared_aliases(source):
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()  # it will not load either; its own error says why
    found = set()
    for node in ast.walk(tree):
        func = getattr(node, "func", None)
        if isinstance(node, ast.Call) and getattr(func, "attr", getattr(func, "id", None)) == "Provider":
            for keyword in node.keywords:
                value = getattr(keyword.value, "value", None)
                if keyword.arg == "aliases" and isinstance(value, str):
                    found.update(value.split())
    return found


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
    atomic_extension_NAME. The file is read once, and what was checked is what runs (a
    project's: the bytes the trust gate checked and the record covers)."""
    code = _compile(ext.source if ext.source is not None else _read_source(ext), ext)
    import types

    name = MODULE_PREFIX + ext.id.replace("-", "_")
    module = types.ModuleType(name)
    module.__file__ = ext.path
    sys.modules[name] = module  # as an import would: the module's own classes can find it
    try:
        exec(code, module.__dict__)
    except (Exception, SystemExit) as exc:
        sys.modules.pop(name, None)
        raise errors.BadFile("the extension %s did not load: %s%s; %s" % (ext.path, describe(exc),
                                                                         line_in(exc, ext.path), FIX))
    return module


def _read_source(ext):
    """An extension file's bytes, once nobody else can change it or its folder."""
    import stat

    from .._core.files import commands_allowed, commands_allowed_at, read_fd

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
            raise errors.BadFile("the extension %s is not a regular file; %s" % (ext.path, FIX))
        real = os.path.realpath(ext.path)
        if not commands_allowed(real, st.st_uid, st.st_mode):
            raise errors.Unsafe("refusing the extension %s: it %s; atomic runs extension files as code, so only "
                                "you may be able to change them (chmod go-w, or chown it)"
                                % (ext.path, _why_unsafe(real, st)))
        source = read_fd(fd, MAX_SOURCE)
        if st.st_size > MAX_SOURCE or len(source) > MAX_SOURCE:
            raise errors.BadFile("the extension %s is over 1 MiB; %s" % (ext.path, FIX))
    finally:
        os.close(fd)
    return source


def _compile(source, ext):
    try:
        return compile(source, ext.path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:  # ValueError: a NUL byte
        where = " line %d" % exc.lineno if getattr(exc, "lineno", None) else ""
        raise errors.BadFile("the extension %s%s: %s: %s; %s" % (ext.path, where, type(exc).__name__,
                                                               getattr(exc, "msg", exc), FIX))


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
                             % (ext.where, describe(exc), line_in(exc, None), ext.dist or "its distribution"))
    ext.path = getattr(module, "__file__", None)
    return target


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
                             % (ext.where, ext.id, FIX))
    problems, names = [], {}
    written = aliases(ext)
    for n, row in enumerate(declared):
        where = "PROVIDERS[%d]" % n
        problems += ["%s: %s" % (where, p) for p in row_problems(row, module)]
        unwritten = [a for a in row.aliases if written is not None and a not in written]
        if unwritten:
            problems.append("%s: write the aliases %s as a string in the api.Provider(...) call (aliases=\"...\"): "
                            "atomic reads them from the file without running it" % (where, " ".join(unwritten)))
        if row.id != ext.id and (n == 0 or not row.id.startswith(ext.id + "-")):  # the first is the name's
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
        raise errors.BadFile("the extension %s: %s; %s" % (ext.where, "; ".join(problems), FIX))
    for row in declared:
        row.extension, row.module_name = ext, getattr(module, "__name__", None)
    return list(declared)
