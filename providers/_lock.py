"""The auth.json lock: a kernel flock among atomic processes, plus the Atomic agent's lock directory.

The agent (proper-lockfile) locks by creating the directory `auth.json.lock`, refreshes its
mtime while held and treats it as stale after 30 s. atomic takes that directory too, so the two
exclude each other. A crashed atomic leaves the directory behind, so atomic first takes an
flock on `auth.json.flock` (released by the kernel when a process dies) and marks the directories
it creates: holding the flock, a marked directory can only be a crashed atomic's, and goes.
"""
import errno
import os
import time

from ._errors import LockTimeout, Unsafe

STALE_AFTER = 30.0    # seconds, proper-lockfile's `stale` as the agent uses it
TOUCH_EVERY = 5.0     # keep our directory fresh while a slow refresh holds it
MARKER = "atomic.pid"
DEFAULT_TIMEOUT = 10.0


class AuthLock:
    """Context manager holding both locks for the agent directory."""

    def __init__(self, directory, ctx, timeout=None):
        self.directory = directory
        self.ctx = ctx
        self.flock_path = os.path.join(directory, "auth.json.flock")
        self.dir_path = os.path.join(directory, "auth.json.lock")
        self.timeout = timeout if timeout is not None else _timeout_setting(ctx)
        self._fd = None
        self._stop = None

    def __enter__(self):
        deadline = time.monotonic() + self.timeout
        self._take_flock(deadline)
        try:
            self._take_dir(deadline)
        except BaseException:
            self._drop_flock()
            raise
        self._start_touching()
        return self

    def __exit__(self, *exc_info):
        if self._stop is not None:
            self._stop.set()
        for remove, path in ((os.unlink, os.path.join(self.dir_path, MARKER)), (os.rmdir, self.dir_path)):
            try:
                remove(path)
            except OSError:
                pass
        self._drop_flock()

    def _take_flock(self, deadline):
        try:
            import fcntl
        except ImportError:  # Windows: only the directory lock is available
            return
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            self._fd = os.open(self.flock_path, flags, 0o600)
        except OSError as exc:
            raise _not_writable(self.directory, exc)
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
            if time.monotonic() >= deadline:
                self._drop_flock()
                raise LockTimeout("another atomic process has held %s for %.0f s; try again when it "
                                  "finishes" % (self.flock_path, self.timeout))
            time.sleep(0.01)

    def _drop_flock(self):
        if self._fd is not None:
            os.close(self._fd)  # closing releases the flock
            self._fd = None

    def _take_dir(self, deadline):
        while True:
            try:
                os.mkdir(self.dir_path, 0o700)
                _write_marker(self.dir_path)
                return
            except FileExistsError:
                if self._is_abandoned():
                    _remove_tree(self.dir_path)
                    continue
            except OSError as exc:
                raise _not_writable(self.directory, exc)
            if time.monotonic() >= deadline:
                raise LockTimeout("%s is held by another program (the Atomic agent?); try again, or "
                                  "if nothing is running remove that directory" % self.dir_path)
            time.sleep(0.05)

    def _is_abandoned(self):
        """Left by a crashed atomic (we hold the flock, so no live atomic has it), or stale."""
        if self._fd is not None and os.path.exists(os.path.join(self.dir_path, MARKER)):
            return True
        try:
            age = time.time() - os.stat(self.dir_path).st_mtime
        except FileNotFoundError:
            return False
        return age > STALE_AFTER

    def _start_touching(self):
        import threading

        self._stop = threading.Event()
        stop, path = self._stop, self.dir_path

        def touch():
            while not stop.wait(TOUCH_EVERY):
                try:
                    os.utime(path)
                except OSError:
                    return

        threading.Thread(target=touch, name="atomic-lock-touch", daemon=True).start()


def _write_marker(dir_path):
    fd = os.open(os.path.join(dir_path, MARKER), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, str(os.getpid()).encode())
    finally:
        os.close(fd)


def _remove_tree(path):
    try:
        for name in os.listdir(path):
            os.unlink(os.path.join(path, name))
        os.rmdir(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise LockTimeout("cannot remove the stale lock %s (%s); remove it by hand" % (path, exc.strerror))


def _not_writable(directory, exc):
    return Unsafe("cannot write in %s (%s); atomic needs it writable to save credentials: fix its "
                  "permissions or set ATOMIC_CODING_AGENT_DIR" % (directory, exc.strerror))


def _timeout_setting(ctx):
    raw = ctx.environ.get("ATOMIC_LOCK_TIMEOUT", "")
    try:
        return float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        from ._errors import UsageError
        raise UsageError("ATOMIC_LOCK_TIMEOUT=%r is not a number of seconds; unset it or set e.g. 10" % raw)
