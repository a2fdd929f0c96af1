"""The lock of a shared file (auth.json, settings.json): a kernel flock among atomic processes, plus
the Atomic agent's lock directory.

The agent (proper-lockfile) locks by creating the directory `auth.json.lock`, refreshes its
mtime while held and treats it as stale after 30 s. atomic takes that directory too, so the two
exclude each other. A crashed atomic leaves the directory behind, so atomic first takes an
flock on `auth.json.flock` (released by the kernel when a process dies) and marks the directories
it creates: holding the flock, a marked directory can only be a crashed atomic's, and goes.
A process killed between its mkdir and writing the mark (or between removing the mark and the
directory) would leave an unmarked directory, so around those steps atomic also notes "busy
now" (pid and time) in the flock file and clears the note after: the next atomic, holding the
flock, knows an empty directory last changed at the noted moment is that dead process's.
"""
import errno
import os
import time

from .errors import LockTimeout, Unsafe

STALE_AFTER = 30.0    # seconds, proper-lockfile's `stale` as the agent uses it
TOUCH_EVERY = 5.0     # keep our directory fresh while a slow refresh holds it
MARKER = "atomic.pid"
DEFAULT_TIMEOUT = 45.0  # longer than a refresh's 30 s HTTP deadline, so waiters outlast a slow refresh
NOTE_WINDOW_NS = (-1 * 10**9, 2 * 10**9)  # a directory's ctime vs the note: coarse fs clocks, slow machines


class FileLock:
    """Context manager holding both locks for the file `name` (e.g. auth.json) in directory."""

    def __init__(self, directory, name, ctx, timeout=None):
        self.directory = directory
        self.ctx = ctx
        self.flock_path = os.path.join(directory, name + ".flock")
        self.dir_path = os.path.join(directory, name + ".lock")
        self.timeout = timeout if timeout is not None else ctx.seconds("ATOMIC_LOCK_TIMEOUT", DEFAULT_TIMEOUT)
        self._fd = None
        self._stop = None
        self._inherited_note = None   # the note a process that died creating the folder left

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
        self._note(busy=True)  # a death between the two removals leaves an unmarked folder
        for remove, path in ((os.unlink, os.path.join(self.dir_path, MARKER)), (os.rmdir, self.dir_path)):
            try:
                remove(path)
            except OSError:
                pass
        self._note(busy=False)
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
            raise not_writable(self.directory, exc)
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._inherited_note = _read_note(self._fd)
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
            self._note(busy=True)
            try:
                os.mkdir(self.dir_path, 0o700)
            except FileExistsError:
                self._note(busy=False)
                if self._is_abandoned():
                    _remove_tree(self.dir_path)
                    self._inherited_note = None
                    continue
            except OSError as exc:
                self._note(busy=False)
                raise not_writable(self.directory, exc)
            else:
                try:
                    _write_marker(self.dir_path)
                except OSError as exc:
                    _remove_tree(self.dir_path)
                    raise not_writable(self.directory, exc)
                finally:
                    self._note(busy=False)
                return
            if time.monotonic() >= deadline:
                raise LockTimeout("%s is held by another program (the Atomic agent?); try again, or "
                                  "if nothing is running remove that directory" % self.dir_path)
            time.sleep(0.05)

    def _is_abandoned(self):
        """Left by a crashed atomic (we hold the flock, so no live atomic has it), or stale."""
        try:
            st = os.stat(self.dir_path)
        except FileNotFoundError:
            return False
        if self._fd is not None:
            if os.path.exists(os.path.join(self.dir_path, MARKER)):
                return True
            if self._inherited_note is not None and _made_at(self.dir_path, st, self._inherited_note):
                return True
        return time.time() - st.st_mtime > STALE_AFTER

    def _note(self, busy):
        """Note in the flock file (which only we may touch now) that we are creating or removing
        the folder, or clear the note."""
        if self._fd is None:
            return
        text = "%d %d\n" % (os.getpid(), time.time_ns()) if busy else ""
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, text.encode(), 0)
        except OSError:
            pass  # without the note a crash in that instant costs a wait, as before

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


def _read_note(fd):
    """The creation time (ns) noted in the flock file by a process that died creating the folder."""
    try:
        words = os.pread(fd, 64, 0).split()
        return int(words[1]) if len(words) == 2 else None
    except (OSError, ValueError):
        return None


def _made_at(dir_path, st, noted_ns):
    """An empty folder whose last change is the noted moment: the dead process's mkdir."""
    low, high = NOTE_WINDOW_NS
    if not noted_ns + low <= st.st_ctime_ns <= noted_ns + high:
        return False
    try:
        return os.listdir(dir_path) == []
    except OSError:
        return False


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


def not_writable(directory, exc=None):
    """The error for an agent directory atomic cannot write in (exc: the OSError that showed it)."""
    reason = " (%s)" % exc.strerror if exc is not None else ""
    return Unsafe("cannot write in %s%s; atomic needs it writable to save credentials: fix its "
                  "permissions or set ATOMIC_CODING_AGENT_DIR" % (directory, reason))
