"""Small files written atomically: a temp file in the same folder, fsync, rename and an fsync of the
folder, so a file is always either the old document or the new one. A write whose outcome must
not fail for want of space (a refresh, which spends a token first) reserves its room before:
PendingWrite. Also the private agent directory, and the one error for a write the system refuses.
"""
import errno
import os
import stat

from . import errors

RESERVE_EXTRA = 64 * 1024  # bytes reserved beyond the current document: far more than new tokens need


def remove_stale_temp_files(path, older_than=60.0):
    """Delete our temp files that a killed writer left behind (ours, and over a minute old)."""
    import time

    directory, prefix = os.path.dirname(path), temp_prefix(path)
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


def ensure_private_dir(path, ctx, base):
    """Create the agent directory one level at a time below `base`, each 0700 whatever the umask.

    `base` (the home directory, say) must exist already: atomic never creates a home directory,
    or a folder above one that is missing, which is how a typo or an unmounted disk would look.
    """
    check_base(base)
    missing = []
    probe = path
    while not os.path.isdir(probe):
        if os.path.lexists(probe):
            raise errors.Unsafe("%s exists but is not a directory; move it aside or set "
                         "ATOMIC_CODING_AGENT_DIR" % probe)
        missing.append(probe)
        if os.path.dirname(probe) == probe:
            break
        probe = os.path.dirname(probe)
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            pass
        except OSError as exc:
            raise write_refused(os.path.dirname(directory), exc)
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


def check_base(base):
    """Unsafe (exit 7) unless the folder the agent directory is created in exists."""
    if not os.path.isdir(base):
        raise errors.Unsafe("%s does not exist, and atomic does not create it (a home directory, or the folder "
                     "that holds the agent directory): set HOME to your home directory, create the "
                     "folder, or set ATOMIC_CODING_AGENT_DIR to a folder whose parent exists" % base)


def write_refused(directory, exc, path=None):
    """The error (exit 7) for a write the system refused: what happened, and what to do about it.
    A full disk, a quota, a file-size limit or a read-only disk is the user's situation, not a bug.
    `path`: the file being saved, named in the message."""
    code = getattr(exc, "errno", None)
    saving = " to save %s" % os.path.basename(path) if path else ""
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return errors.Unsafe("no space left in %s%s (%s); free some space there, or set ATOMIC_CODING_AGENT_DIR "
                      "to a folder on another disk, and try again" % (directory, saving, exc.strerror))
    if code == errno.EFBIG:
        return errors.Unsafe("cannot write %s: it would pass the file-size limit (ulimit -f); raise the limit "
                      "and try again" % (path or directory))
    if code == errno.EROFS:
        return errors.Unsafe("%s is on a read-only file system, so atomic cannot write there%s: set "
                      "ATOMIC_CODING_AGENT_DIR to a writable folder" % (directory, saving))
    reason = " (%s)" % exc.strerror if getattr(exc, "strerror", None) else ""
    return errors.Unsafe("cannot write in %s%s%s; atomic needs it writable to save credentials: fix its "
                  "permissions or set ATOMIC_CODING_AGENT_DIR" % (directory, saving, reason))


def encode_json(data):
    """The bytes atomic writes for a document: 2-space JSON and a newline."""
    import json

    try:
        return (json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from \ud800-style escapes: keep them escaped
        return (json.dumps(data, indent=2, allow_nan=False) + "\n").encode("ascii")


def write_json_atomic(path, data, reserved=None):
    """Write a JSON document: temp file in the same folder, fsync, rename, fsync the folder.
    `reserved`: the PendingWrite for path made earlier, whose room the document goes into."""
    payload = encode_json(data)  # serialised first: if that fails, nothing has been touched
    if os.path.islink(path):
        raise errors.Unsafe("%s is a symbolic link; atomic will not replace it with a regular file: "
                     "replace the link with the file it points to" % path)
    with reserved or PendingWrite(path) as pending:
        pending.commit(payload)


def temp_prefix(path):
    """How our temp files for path begin (`.auth.json.`); they end with `.tmp`."""
    return "." + os.path.basename(path) + "."


class PendingWrite:
    """The temp file that will replace `path`, made now: commit(payload) fills it and renames it
    over path. With `reserve`, that many bytes of disk are taken at once, so a commit later cannot
    fail for want of space (a full disk, a quota, a file-size limit) once a refresh token is spent.
    As a context manager, a temp file that was not committed is removed."""

    def __init__(self, path, reserve=0):
        import tempfile

        self.path, self.directory = path, os.path.dirname(path)
        self._fd = self._tmp = None
        try:
            self._fd, self._tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=self.directory)
            os.fchmod(self._fd, 0o600)
            if reserve:
                _reserve(self._fd, reserve)
        except BaseException as exc:
            self.discard()
            if isinstance(exc, OSError):
                raise write_refused(self.directory, exc, path) from None
            raise

    def commit(self, payload):
        try:
            os.lseek(self._fd, 0, os.SEEK_SET)  # over the reserved zeros, if any
            view = memoryview(payload)
            while view:
                view = view[os.write(self._fd, view):]
            os.ftruncate(self._fd, len(payload))
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            _replace(self._tmp, self.path)
            self._tmp = None
        except BaseException as exc:
            self.discard()
            if isinstance(exc, OSError):
                raise write_refused(self.directory, exc, self.path) from None
            raise
        try:
            _fsync_dir(self.directory)
        except OSError:
            pass  # the new document is in place and every reader sees it; only its durability is unsure

    def discard(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._tmp is not None:
            try:
                os.unlink(self._tmp)
            except OSError:
                pass
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.discard()


def _reserve(fd, size):
    """Take `size` bytes of disk for the file: posix_fallocate, else zeros written and synced.
    (On copy-on-write file systems the later overwrite may still need new blocks; most home
    directories are on ext4, xfs or tmpfs, where the reservation holds.)"""
    try:
        os.posix_fallocate(fd, 0, size)
        return
    except AttributeError:  # macOS, Windows
        pass
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EOPNOTSUPP, getattr(errno, "ENOSYS", errno.EINVAL)):
            raise
    zeros = bytes(min(size, 65536))
    written = 0
    while written < size:
        written += os.write(fd, zeros[:size - written])
    os.fsync(fd)


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
