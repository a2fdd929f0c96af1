"""auth.json: strict reading, per-entry validation, and atomic writes under the shared lock.

Reading never writes or creates anything. Writing re-reads the file under the lock, refuses to
touch a file that does not parse, and replaces it with temp file + fsync + rename.
"""
import errno
import os
import stat

from ._errors import BadFile, Unsafe
from ._lock import AuthLock, not_writable

MAX_BYTES = 1 << 20  # a credential file is small; anything bigger is not ours
AUTH_FILE = "auth.json"
_FIX = "fix it by hand, or move it aside and run `atomic login` again; atomic has not changed it"
CONFIG_FIX = "fix it by hand; atomic never writes this file"


class AuthFile:
    """A parsed auth.json: the data plus what we learned about the file while reading it."""

    def __init__(self, path, data, exists, uid=None, mode=None):
        self.path, self.data, self.exists, self.uid, self.mode = path, data, exists, uid, mode

    @property
    def ours(self):
        """Whether the file belongs to us (so we may write it or run its !commands)."""
        return not self.exists or self.uid == os.geteuid()

    @property
    def commands_allowed(self):
        return self.exists and commands_allowed(self.path, self.uid, self.mode)


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


def auth_path(ctx):
    return os.path.join(ctx.agent_dir, AUTH_FILE)


def read_auth(ctx):
    """Read and parse auth.json; a missing file is an empty store, a broken one an error."""
    path = auth_path(ctx)
    raw, st = read_capped(path, ctx)
    if raw is None:
        return AuthFile(path, {}, exists=False)
    data = parse_json_object(raw, path)
    return AuthFile(path, data, exists=True, uid=st.st_uid, mode=stat.S_IMODE(st.st_mode))


def read_auth_once(ctx):
    """read_auth, once per command: every provider a command asks about sees the same file."""
    auth = getattr(ctx, "_auth", None)
    if auth is None:
        auth = ctx._auth = read_auth(ctx)
    return auth


def read_capped(path, ctx, private=True, fix=None):
    """(bytes, stat) of a small file; (None, None) if absent.

    A private file (auth.json) is opened without following links and should be readable by us
    alone. Configuration (models.json) may be a link, as dotfile managers make it, and readable
    by others. `fix` is the advice that ends a message about a file that cannot be used.
    """
    fix = fix or _FIX
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    if private:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None, None
        if exc.errno == errno.ELOOP:
            raise Unsafe("%s is a symbolic link; atomic does not follow links to credential files: "
                         "replace the link with the file it points to" % path)
        raise BadFile("cannot read %s: %s; check its owner and run `chmod 600 %s`"
                      % (path, exc.strerror, path))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise BadFile("%s is not a regular file: %s" % (path, fix))
        if st.st_size > MAX_BYTES:
            raise BadFile("%s is %d bytes, over the 1 MiB limit: %s" % (path, st.st_size, fix))
        check_private(path, st, ctx, private)
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_BYTES:
            raise BadFile("%s grew past the 1 MiB limit while being read: %s" % (path, fix))
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


def parse_json_object(raw, path, fix=None):
    """Parse bytes as a JSON object, naming the file, the place and the fix on failure."""
    from ._jsonread import loads

    fix = fix or _FIX
    if not raw.strip():
        raise BadFile("%s is empty: %s" % (path, fix))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadFile("%s is not valid UTF-8 (byte %d): %s" % (path, exc.start, fix))
    try:
        data = loads(text)
    except ValueError as exc:
        detail = ("line %d, column %d: %s" % (exc.lineno, exc.colno, exc.msg)) if hasattr(exc, "lineno") else str(exc)
        raise BadFile("%s is not valid JSON (%s): %s" % (path, detail, fix))
    except RecursionError:  # thousands of nested brackets: valid JSON, but no credential file
        raise BadFile("%s is nested too deeply to be ours: %s" % (path, fix))
    if not isinstance(data, dict):
        raise BadFile("%s must hold a JSON object, not %s: %s" % (path, _json_type(data), fix))
    return data


def _json_type(value):
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def get_entry(auth, provider_id):
    """The validated entry for a provider, or None; a malformed entry is an error naming its field."""
    entry = auth.data.get(provider_id)
    if entry is None:
        return None
    where = "%s: %s" % (auth.path, provider_id)
    fix = "; run `atomic login %s` to replace it, or fix the file by hand" % provider_id
    if not isinstance(entry, dict):
        raise BadFile("%s: expected an object like {\"type\": \"api_key\", \"key\": \"…\"}, found %s%s"
                      % (where, _json_type(entry), fix))
    kind = entry.get("type")
    if kind == "api_key":
        _check_field(entry, "key", str, where, fix, required=False)
        env = entry.get("env")
        if env is not None and not (isinstance(env, dict) and all(isinstance(v, str) for v in env.values())):
            raise BadFile("%s.env: expected an object of NAME: \"value\" strings%s" % (where, fix))
    elif kind == "oauth":
        _check_field(entry, "access", str, where, fix)
        _check_field(entry, "refresh", str, where, fix)
        expires = entry.get("expires")
        # The bounds (year ±33000) reject 1e999, which parses as infinity, and NaN-like junk.
        if isinstance(expires, bool) or not isinstance(expires, (int, float)) or not -1e15 < expires < 1e15:
            raise BadFile("%s.expires: expected a number (epoch milliseconds)%s" % (where, fix))
    else:
        raise BadFile("%s.type: expected \"api_key\" or \"oauth\", found %s%s"
                      % (where, _json_type(kind) if not isinstance(kind, str) else repr(kind), fix))
    return entry


def _check_field(entry, name, kind, where, fix, required=True):
    value = entry.get(name)
    if value is None and not required:
        return
    if not isinstance(value, kind):
        raise BadFile("%s.%s: expected a string, found %s%s"
                      % (where, name, "nothing" if value is None else _json_type(value), fix))


def update_auth(ctx, change):
    """Apply change(auth) -> new data (or None: no write) to the freshly read file, under the lock.

    Returns what change returned. The file is re-read under the lock so a concurrent writer's
    update is never lost, and a file that does not parse is never overwritten.
    """
    directory = ensure_private_dir(ctx.agent_dir, ctx)
    with AuthLock(directory, ctx):
        auth = _read_own_auth(ctx)
        new_data = change(auth)
        if new_data is not None:
            write_json_atomic(auth.path, new_data)
            remove_stale_temp_files(auth.path)
        return new_data


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


def check_writable(ctx):
    """Fail now if a login's result could not be saved: a broken auth.json, a file or folder that
    is not ours, or a folder we cannot write. Called before asking for a key or opening a browser."""
    _read_own_auth(ctx)
    probe = ctx.agent_dir
    while not os.path.isdir(probe) and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)  # the folder atomic would create the agent directory in
    if not os.access(probe, os.W_OK):
        raise not_writable(probe)


def _read_own_auth(ctx):
    """auth.json as read_auth gives it, refusing one that belongs to another user."""
    auth = read_auth(ctx)
    if not auth.ours:
        raise Unsafe("%s belongs to uid %d, not you; atomic will not write it" % (auth.path, auth.uid))
    return auth


def ensure_private_dir(path, ctx):
    """Create the agent directory one level at a time, each 0700 whatever the umask."""
    missing = []
    probe = path
    while not os.path.isdir(probe):
        if os.path.lexists(probe):
            raise Unsafe("%s exists but is not a directory; move it aside or set "
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
            raise Unsafe("cannot create %s: %s; fix the permissions of %s or set "
                         "ATOMIC_CODING_AGENT_DIR to a folder you can write"
                         % (directory, exc.strerror, os.path.dirname(directory)))
        os.chmod(directory, 0o700)
    st = os.stat(path)
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        raise Unsafe("%s belongs to uid %d, not you; atomic will not write credentials there"
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
        raise Unsafe("%s is a symbolic link; atomic will not replace it with a regular file: "
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
