"""Small files read safely: auth.json, settings.json, models.json, and whether others control them.

Reading never writes or creates anything and refuses what is not a small regular file. Writing
is writes.py's, kept apart so that `atomic key`, which only reads, does not load it.
"""
import errno
import os
import stat

from . import errors

MAX_BYTES = 1 << 20  # our files are small; anything bigger is not ours
CONFIG_FIX = "fix it by hand; atomic never writes this file"


def controlled_by_others(path, uid, mode):
    """Why another user could have chosen what the file at path says, or None: the file or its
    folder can be changed by someone else (git's safe.directory idea). uid, mode: the file's."""
    if os.name != "posix":
        return None  # the profile folder's ACLs decide there
    if mode & 0o022:
        return "%s can be changed by other users (mode %03o)" % (path, stat.S_IMODE(mode))
    folder = os.path.dirname(path)
    try:
        st = os.stat(folder)
    except OSError as exc:
        return "its folder %s cannot be checked (%s)" % (folder, exc.strerror)
    if st.st_uid not in (os.geteuid(), 0):
        return "its folder %s belongs to uid %d" % (folder, st.st_uid)
    if st.st_mode & 0o022:
        # A sticky folder (like /tmp) lets others add files but not replace ours.
        if not st.st_mode & stat.S_ISVTX:
            return "its folder %s can be changed by other users (mode %03o)" % (folder, stat.S_IMODE(st.st_mode))
        if uid != os.geteuid():
            return "%s belongs to uid %d, in a folder others can write" % (path, uid)
    return None


def commands_allowed(path, uid, mode):
    """Whether !commands from the file at path may run: it is ours and no one else can change it."""
    if os.name != "posix":
        return True
    return uid == os.geteuid() and controlled_by_others(path, uid, mode) is None


def commands_allowed_at(path):
    """commands_allowed for the file at path; a link (models.json may be one) counts as its target."""
    st = _stat_or_none(path)
    return st is not None and commands_allowed(os.path.realpath(path), st.st_uid, st.st_mode)


def controlled_by_others_at(path):
    """controlled_by_others for the file at path (a link counts as its target); None if absent."""
    st = _stat_or_none(path)
    if not st:
        return None
    # Unless the file itself is a link, its folder as named is its target's folder (stat follows
    # the links on the way): the real path, costly to find, is needed only to name that folder.
    if not os.path.islink(path) and controlled_by_others(path, st.st_uid, st.st_mode) is None:
        return None
    return controlled_by_others(os.path.realpath(path), st.st_uid, st.st_mode)


def _stat_or_none(path):
    try:
        return os.stat(path)
    except OSError:
        return None


def read_capped(path, ctx, fix, private=True, unchanged=None):
    """(bytes, stat) of a small file; (None, None) if absent.

    A private file (auth.json) is opened without following links and should be readable by us
    alone. Configuration (models.json) may be a link, as dotfile managers make it, and readable
    by others. `fix` is the advice that ends a message about a file that cannot be used.
    unchanged(stat): whether the caller holds what the file says already (by its stamp); then,
    every check made, (None, stat) is returned without reading it.
    """
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    if private:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None, None
        if exc.errno == errno.ELOOP:
            raise errors.Unsafe("%s is a symbolic link; atomic does not follow links to credential files: "
                         "replace the link with the file it points to" % path)
        raise errors.BadFile("cannot read %s: %s; check its owner and run `chmod 600 %s`"
                      % (path, exc.strerror, path))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise errors.BadFile("%s is not a regular file: %s" % (path, fix))
        if st.st_size > MAX_BYTES:
            raise errors.BadFile("%s is %d bytes, over the 1 MiB limit: %s" % (path, st.st_size, fix))
        check_private(path, st, ctx, private)
        if unchanged is not None and unchanged(st):
            return None, st
        raw = read_fd(fd)
        if len(raw) > MAX_BYTES:
            raise errors.BadFile("%s grew past the 1 MiB limit while being read: %s" % (path, fix))
        return raw, st
    finally:
        os.close(fd)


def read_fd(fd, limit=MAX_BYTES):
    """What an open file holds, read up to one byte past limit (so that a caller sees it is over)."""
    chunks, size = [], 0
    while size <= limit:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def check_private(path, st, ctx, private=True):
    """Warn (once) about a file that belongs to someone else or, if private, that others may read."""
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        ctx.warn("%s belongs to uid %d, not you; atomic will read it but not write it or run "
                 "its !commands" % (path, st.st_uid))
    if private and os.name == "posix" and st.st_mode & 0o077:
        ctx.warn("%s can be read by other users (mode %03o); run `chmod 600 %s`"
                 % (path, stat.S_IMODE(st.st_mode), path))


def parse_json_object(raw, path, fix, repeated=None):
    """Parse bytes as a JSON object, naming the file, the place and the fix on failure.
    repeated: a list to which {top-level name: its line} is added for each name given twice
    (JSON readers silently keep the last one, so the file would not mean what it seems to)."""
    from .jsonread import loads

    raw = strip_bom(raw)
    if not raw.strip():
        raise errors.BadFile("%s is empty: %s" % (path, fix))
    text = decode_utf8(raw, path, fix)
    found = [] if repeated is not None else None
    try:
        data = loads(text, repeated=found)
    except ValueError as exc:
        detail = ("line %d, column %d: %s" % (exc.lineno, exc.colno, exc.msg)) if hasattr(exc, "lineno") else str(exc)
        raise errors.BadFile("%s is not valid JSON (%s): %s" % (path, detail, fix))
    except RecursionError:  # thousands of nested brackets: valid JSON, but no credential file
        raise errors.BadFile("%s is nested too deeply to be ours: %s" % (path, fix))
    if not isinstance(data, dict):
        raise errors.BadFile("%s must hold a JSON object, not %s: %s" % (path, json_type(data), fix))
    for name, offset in found or ():
        repeated.append((name, text.count("\n", 0, offset) + 1 if offset is not None else None))
    return data


def parse_config(raw, path, fix):
    """Parse a file of settings as its name says: TOML for `.toml`, else a JSON object."""
    return parse_toml(raw, path, fix) if path.endswith(".toml") else parse_json_object(raw, path, fix)


def parse_toml(raw, path, fix):
    """Parse TOML with tomllib (3.11+) or tomli, naming the file, the place and the fix on failure."""
    try:
        import tomllib  # novermin (3.11+; tomli below)
    except ImportError:
        try:
            import tomli as tomllib
        except ImportError:
            raise errors.BadFile("%s needs the tomli package on Python < 3.11: pip install tomli (or write it as "
                                 "JSON, in %s)" % (path, os.path.splitext(path)[0] + ".json"))
    text = decode_utf8(strip_bom(raw), path, fix)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise errors.BadFile("%s is not valid TOML (%s): %s" % (path, exc, fix))
    except RecursionError:  # thousands of nested brackets: the parser gives up, and no file of settings needs them
        raise errors.BadFile("%s is nested too deeply to be ours: %s" % (path, fix))


def decode_utf8(raw, path, fix):
    """raw as UTF-8 text; BadFile naming where it is not (line, column and byte, counted from 1),
    or that the file is UTF-16, as some Windows editors save it."""
    # UTF-16 has a byte order mark, or a NUL beside each ASCII character, which no JSON or TOML has.
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:4]:
        raise errors.BadFile("%s is saved as UTF-16; save it as UTF-8 (in Notepad: Save As, Encoding UTF-8): %s"
                             % (path, fix))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise errors.BadFile("%s is not valid UTF-8 (line %d, column %d: byte %d of the file): %s"
                             % (path, line, column, exc.start + 1, fix))


def strip_bom(raw):
    """raw without a leading UTF-8 byte order mark, which Windows editors add and the Atomic agent
    ignores (pi #8337); atomic never writes one."""
    return raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw


def json_type(value):
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")
