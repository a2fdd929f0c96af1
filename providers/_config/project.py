"""The folder atomic was started in, and the gate every project file passes: the one module that
reads ctx.cwd (tests/test_layers.py holds every other module to that).

A project is what atomic reads from the start folder: `.atomic/models.json`, `.atomic/models.toml`,
`.atomic/settings.json`, `.atomic/extensions/*.py`, `.pi/models.json` and `.pi/models.toml`.
Those files can change where a credential goes and run code as you, so they are used only when
  - lstat shows each of them, and its folder, owned by you, no symbolic link, and writable by
    no one else; otherwise that folder is ignored, with a warning naming it and why; and
  - `atomic trust` recorded the folder with these very contents (_config/trust.py); otherwise
    they are left out, with one notice per command.
The bytes checked are the bytes used: readers take a project file's content from here, never
from the disk a second time. Without `.atomic` or `.pi` in the start folder this is two lstat
calls, and the trust record is neither imported nor read.
"""
import os
import stat

from .._core.files import MAX_BYTES, read_fd

ATOMIC, PI = ".atomic", ".pi"
EXTENSIONS = "extensions"
# The files atomic reads in each project folder, with the kind of reader that reads them.
READ = {ATOMIC: (("models.json", "models"), ("models.toml", "models"), ("settings.json", "settings")),
        PI: (("models.json", "models"), ("models.toml", "models"))}
KINDS = ("models", "settings", "extensions")  # the order files are named in
TRUST_HINT = "review it, then run: atomic trust"
SAFE_RULE = "atomic uses a project's files only when they are yours and no one else can change them"


class Project:
    """The project files of one folder as found: `root` (the folder), `files` {relative path:
    bytes} and `kinds` {relative path: "models", "settings" or "extensions"} of its safe folders,
    `unsafe` {".atomic" or ".pi": why it is ignored}, and `state`: "trusted", "untrusted",
    "changed" (since it was trusted), or None when there is nothing to trust."""

    def __init__(self, root):
        self.root, self.files, self.kinds, self.unsafe, self.state = root, {}, {}, {}, None


class _Refused(Exception):
    pass


# The gate ------------------------------------------------------------------------------------

def folders(ctx, kind):
    """The start folder's project folders whose `kind` files ("models", "settings", "extensions")
    atomic may read now, `.atomic` before `.pi`: [] unless the folder is trusted as it is. Says
    once per command what is left out, and why."""
    project = found(ctx)
    for name, why in sorted(project.unsafe.items()):
        ctx.warn("ignoring %s: %s; %s" % (os.path.join(project.root, name), why, SAFE_RULE))
    mine = [rel for rel, k in project.kinds.items() if k == kind]
    if not mine:
        return []
    if project.state != "trusted":
        ctx.notice("not using %s (%s)" % (listed(in_order(project)), left_out_because(project)))
        return []
    return [os.path.join(project.root, name) for name in (ATOMIC, PI)
            if any(rel.startswith(name + "/") for rel in mine)]


def content(ctx, path):
    """The checked bytes of a file in a folder folders() gave, or None when there is no such file."""
    project = found(ctx)
    if project.state != "trusted":
        return None
    return project.files.get(os.path.relpath(path, project.root).replace(os.sep, "/"))


def extension_files(ctx):
    """[(path, checked source)] of the trusted project's extension files, by name."""
    if not folders(ctx, "extensions"):
        return []
    project = found(ctx)
    return [(os.path.join(project.root, *rel.split("/")), project.files[rel])
            for rel in sorted(project.files) if project.kinds[rel] == "extensions"]


def start_folder(ctx):
    """The folder atomic was started in, or None when it is gone (then there is no project)."""
    return ctx.cwd


def found(ctx):
    """The start folder's project, looked at once per command (ctx.project)."""
    if ctx.project is None:
        root = start_folder(ctx)
        project = scan(root, ctx) if root else Project(None)
        if project.files:
            project.state = _state(ctx, project)
        ctx.project = project
    return ctx.project


def _state(ctx, project):
    from .._core.errors import AtomicError
    from . import trust

    try:
        return trust.state(ctx, os.path.realpath(project.root), project.files)
    except AtomicError as exc:  # a broken record trusts nothing, and stops nothing else
        ctx.warn("%s; no project folder is trusted until it is fixed" % exc.message)
        return "untrusted"


def in_order(project):
    """The project's files, models files first, then settings, then extensions."""
    return sorted(project.files, key=lambda rel: (KINDS.index(project.kinds[rel]), rel))


def left_out_because(project):
    """Why a project's files are not used, in words that end with what to do."""
    if project.state == "changed":
        return "its files changed since you trusted this folder; " + TRUST_HINT
    return "this folder is not trusted; " + TRUST_HINT


def listed(names, most=4):
    """`a, b and c`, at most `most` names (then `and N more files`)."""
    names = list(names)
    if len(names) > most:
        names = names[:most - 1] + ["%d more files" % (len(names) - most + 1)]
    return names[0] if len(names) == 1 else "%s and %s" % (", ".join(names[:-1]), names[-1])


def shown(ctx, path):
    """A path as messages show it: `./.atomic/models.json` inside the start folder, else whole."""
    project = found(ctx)
    if project.root and (path + os.sep).startswith(os.path.join(project.root, "")):
        return "./" + os.path.relpath(path, project.root).replace(os.sep, "/")
    return path


# What a project holds, read and checked (the record is trust.py's) ---------------------------

def scan(root, ctx):
    """The project files under root, read and checked; the user's own folders (the agent
    directory, pi's) are not a project even where the start folder holds them."""
    project = Project(root)
    own = None
    for name in (ATOMIC, PI):
        folder = os.path.join(root, name)
        try:
            st = os.lstat(folder)
        except OSError:
            continue  # no such folder, or one we may not look at: no project there
        if own is None:
            own = _own_folders(ctx)
        if os.path.realpath(folder) in own:
            continue
        files, kinds = {}, {}
        try:
            _read_folder(name, folder, st, files, kinds)
        except _Refused as exc:
            if _holds_any(folder, name):
                project.unsafe[name] = str(exc)
            continue
        project.files.update(files)
        project.kinds.update(kinds)
    return project


def _own_folders(ctx):
    from .._core.errors import AtomicError

    try:
        mine = [ctx.agent_dir, ctx.pi_agent_dir]
    except AtomicError:  # HOME unusable: that is reported where the agent directory is needed
        return set()
    return {os.path.realpath(path) for path in mine if path}


def _read_folder(name, folder, st, files, kinds):
    """Read the files atomic uses in one project folder; _Refused for the first that is unsafe."""
    if not stat.S_ISDIR(st.st_mode) or stat.S_ISLNK(st.st_mode):
        raise _Refused(_why(folder, st, folder=True) or "it is not a folder")
    _check(folder, st, folder=True)
    for file_name, kind in READ[name]:
        raw = _read(os.path.join(folder, file_name))
        if raw is not None:
            files[name + "/" + file_name], kinds[name + "/" + file_name] = raw, kind
    if name == ATOMIC:
        for file_name, raw in _extensions(os.path.join(folder, EXTENSIONS)):
            rel = "%s/%s/%s" % (name, EXTENSIONS, file_name)
            files[rel], kinds[rel] = raw, "extensions"


def _extensions(folder):
    try:
        st = os.lstat(folder)
    except OSError:
        return []
    _check(folder, st, folder=True)
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        raise _Refused("%s cannot be read (%s)" % (folder, exc.strerror))
    found = []
    for name in names:
        if is_extension_name(name):
            raw = _read(os.path.join(folder, name))
            if raw is not None:
                found.append((name, raw))
    return found


def is_extension_name(name):
    """Whether a file in an extensions folder is an extension (not a helper, backup or cache)."""
    return name.endswith(".py") and not name.startswith(("_", "."))


def _read(path):
    """The bytes of a project file, or None when there is none; _Refused for one that is unsafe."""
    import errno

    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        if exc.errno == errno.ELOOP:
            raise _Refused("%s is a symbolic link" % path)
        raise _Refused("%s cannot be read (%s)" % (path, exc.strerror))
    try:
        _check(path, os.fstat(fd))
        raw = read_fd(fd)
        if len(raw) > MAX_BYTES:
            raise _Refused("%s is over 1 MiB, too big to be a project file" % path)
        return raw
    finally:
        os.close(fd)


def _check(path, st, folder=False):
    why = _why(path, st, folder)
    if why:
        raise _Refused(why)


def _why(path, st, folder=False):
    """Why a project file or folder may not be used, or None."""
    if stat.S_ISLNK(st.st_mode):
        return "%s is a symbolic link" % path
    if not (stat.S_ISDIR(st.st_mode) if folder else stat.S_ISREG(st.st_mode)):
        return "%s is not a %s" % (path, "folder" if folder else "regular file")
    if os.name != "posix":
        return None  # the profile folder's ACLs decide there
    if st.st_uid != os.geteuid():
        return "%s belongs to uid %d, not you" % (path, st.st_uid)
    if st.st_mode & 0o022:
        return "%s can be changed by other users (mode %03o; chmod go-w)" % (path, stat.S_IMODE(st.st_mode))
    return None


def _holds_any(folder, name):
    """Whether an unsafe project folder holds a file atomic would read (else it is nothing to us)."""
    paths = [os.path.join(folder, file_name) for file_name, _kind in READ[name]]
    if any(os.path.lexists(path) for path in paths):
        return True
    try:
        return name == ATOMIC and any(is_extension_name(n) for n in os.listdir(os.path.join(folder, EXTENSIONS)))
    except OSError:
        return False


# What an unused project would have given, for the error of a command that needed it ---------

def left_out(ctx, pid):
    """The Unsafe error (exit 7) for a provider id only the start folder's unused project defines
    (in a models file, or as an extension file), naming the file and why it is not used; else None."""
    from .._core.errors import Unsafe

    project = found(ctx)
    if project.state == "trusted" and not project.unsafe:
        return None
    candidates = [] if project.state == "trusted" else [(rel, project.files[rel]) for rel in in_order(project)]
    for name in sorted(project.unsafe):
        candidates += _peek(project.root, name)
    for rel, raw in candidates:
        if _defines(rel, raw, pid):
            folder = rel.split("/")[0]
            why = ("%s; %s" % (project.unsafe[folder], SAFE_RULE) if folder in project.unsafe
                   else left_out_because(project))
            return Unsafe("%s is defined in %s, which atomic does not use: %s" % (pid, shown(ctx, os.path.join(
                project.root, *rel.split("/"))), why))
    return None


def _peek(root, name):
    """[(relative path, bytes)] of an unsafe folder's files, read for a message only (never used)."""
    folder = os.path.join(root, name)
    paths = [file_name for file_name, _kind in READ[name]]
    try:
        if name == ATOMIC:
            paths += [EXTENSIONS + "/" + n for n in os.listdir(os.path.join(folder, EXTENSIONS)) if is_extension_name(n)]
    except OSError:
        pass
    out = []
    for rel in paths:
        try:
            with open(os.path.join(folder, rel), "rb") as f:
                out.append((name + "/" + rel, f.read(MAX_BYTES)))
        except OSError:
            continue
    return out


def _defines(rel, raw, pid):
    """Whether a project file (as bytes) defines the provider id: a models file's providers entry,
    or an extension file of that name."""
    base = rel.rsplit("/", 1)[-1]
    if rel.split("/")[-2:-1] == [EXTENSIONS]:
        stem = base[:-3].replace("_", "-")
        return pid == stem or pid.startswith(stem + "-")
    if base == "settings.json":
        return False
    from .._core.errors import BadFile
    from .._core.files import parse_config

    try:
        doc = parse_config(raw, rel, "")
    except BadFile:
        return False
    section = doc.get("providers")
    return isinstance(section, dict) and pid in section
