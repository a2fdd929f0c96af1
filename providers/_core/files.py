"""Small files read safely and written atomically: auth.json, settings.json, models.json.

Reading never writes or creates anything and refuses what is not a small regular file. Writing
goes to a temp file in the same folder, then fsync, rename and an fsync of the folder, so a file
is always either the old document or the new one.
"""
import errno
import os
import stat

from . import errors

MAX_BYTES = 1 << 20  # our files are small; anything bigger is not ours
CONFIG_FIX = "fix it by hand; atomic never writes this file"


def commands_allowed(path, uid, mode):
    """Whether !commands from the file at path may run: neither it nor its folder can be changed
    by another user (git's safe.directory idea: never execute configuration others can edit)."""
    if os.name != "posix":
        return True
    if uid != os.geteuid() or mode & 0o022:
        return False
    try:
        st = os.stat(os.path.dirname(path))
    except OSError:
        return False
    # A sticky folder (like /tmp) lets others add files but not replace ours.
    others_write = st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX
    return st.st_uid in (os.geteuid(), 0) and not others_write


def commands_allowed_at(path):
    """commands_allowed for the file at path; a link (models.json may be one) counts as its target."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return commands_allowed(os.path.realpath(path), st.st_uid, st.st_mode)

def read_capped(path, ctx, fix, private=True):
    """(bytes, stat) of a small file; (None, None) if absent.

    A private file (auth.json) is opened without following links and should be readable by us
    alone. Configuration (models.json) may be a link, as dotfile managers make it, and readable
    by others. `fix` is the advice that ends a message about a file that cannot be used.
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
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_BYTES:
            raise errors.BadFile("%s grew past the 1 MiB limit while being read: %s" % (path, fix))
        return b"".join(chunks), st
    finally:
        os.close(fd)


def check_private(path, st, ctx, private=True):
    """Warn (once) about a file that belongs to someone else or, if private, that others may read."""
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        ctx.warn("%s belongs to uid %d, not you; atomic will read it but not write it or run "
                 "its !commands" % (path, st.st_uid))
    if private and os.name == "posix" and st.st_mode & 0o077:
        ctx.warn("%s can be read by other users (mode %03o); run `chmod 600 %s`"
                 % (path, stat.S_IMODE(st.st_mode), path))


def parse_json_object(raw, path, fix):
    """Parse bytes as a JSON object, naming the file, the place and the fix on failure."""
    from .jsonread import loads

    raw = strip_bom(raw)
    if not raw.strip():
        raise errors.BadFile("%s is empty: %s" % (path, fix))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.BadFile("%s is not valid UTF-8 (byte %d): %s" % (path, exc.start, fix))
    try:
        data = loads(text)
    except ValueError as exc:
        detail = ("line %d, column %d: %s" % (exc.lineno, exc.colno, exc.msg)) if hasattr(exc, "lineno") else str(exc)
        raise errors.BadFile("%s is not valid JSON (%s): %s" % (path, detail, fix))
    except RecursionError:  # thousands of nested brackets: valid JSON, but no credential file
        raise errors.BadFile("%s is nested too deeply to be ours: %s" % (path, fix))
    if not isinstance(data, dict):
        raise errors.BadFile("%s must hold a JSON object, not %s: %s" % (path, json_type(data), fix))
    return data


def strip_bom(raw):
    """raw without a leading UTF-8 byte order mark, which Windows editors add and the Atomic agent
    ignores (pi #8337); atomic never writes one."""
    return raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw


def json_type(value):
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def remove_stale_temp_files(path, older_than=60.0):
    """Delete our temp files that a killed writer left behind (ours, and over a minute old)."""
    import time

    directory, prefix = os.path.dirname(path), "." + os.path.basename(path) + "."
    try:
        names = [n for n in os.listdir(directory) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        temp = os.path.join(directory, name)
        try:
            st = os.lstat(temp)
            ours = not hasattr(os, "geteuid") or st.st_uid == os.geteuid()
            if stat.S_ISREG(st.st_mode) and ours and time.time() - st.st_mtime > older_than:
                os.unlink(temp)
        except OSError:
            pass


def ensure_private_dir(path, ctx):
    """Create the agent directory one level at a time, each 0700 whatever the umask."""
    missing = []
    probe = path
    while not os.path.isdir(probe):
        if os.path.lexists(probe):
            raise errors.Unsafe("%s exists but is not a directory; move it aside or set "
                         "ATOMIC_CODING_AGENT_DIR" % probe)
        missing.append(probe)
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            pass
        except OSError as exc:
            raise errors.Unsafe("cannot create %s: %s; fix the permissions of %s or set "
                         "ATOMIC_CODING_AGENT_DIR to a folder you can write"
                         % (directory, exc.strerror, os.path.dirname(directory)))
        os.chmod(directory, 0o700)
    st = os.stat(path)
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        raise errors.Unsafe("%s belongs to uid %d, not you; atomic will not write credentials there"
                     % (path, st.st_uid))
    if os.name == "posix" and st.st_mode & 0o077:
        # Only ever take bits away: a read-only folder must stay read-only.
        ctx.warn("%s was open to other users (mode %03o); atomic set it to %03o"
                 % (path, stat.S_IMODE(st.st_mode), stat.S_IMODE(st.st_mode) & 0o700))
        os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
    return path


def write_json_atomic(path, data):
    """Write a JSON document: temp file in the same folder, fsync, rename, fsync the folder."""
    import json
    import tempfile

    try:
        text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        payload = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from \ud800-style escapes: keep them escaped
        payload = (json.dumps(data, indent=2, allow_nan=False) + "\n").encode("ascii")
    if os.path.islink(path):
        raise errors.Unsafe("%s is a symbolic link; atomic will not replace it with a regular file: "
                     "replace the link with the file it points to" % path)
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        _replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def _replace(src, dst):
    if os.name != "nt":
        os.replace(src, dst)
        return
    import time
    for attempt in range(10):  # virus scanners and readers briefly hold the old file open
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if attempt == 9:
                raise
            time.sleep(0.05 * (attempt + 1))


def _fsync_dir(directory):
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
