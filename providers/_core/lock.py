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
import stat
import time

from .errors import LockTimeout, Unsafe
from .writes import remove_stale_temp_files, write_refused

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
        self.path = os.path.join(directory, name)
        self.flock_path = self.path + ".flock"
        self.dir_path = self.path + ".lock"
        self.timeout = timeout if timeout is not None else ctx.seconds("ATOMIC_LOCK_TIMEOUT", DEFAULT_TIMEOUT)
        self._fd = None
        self._dir_fd = None           # our own lock folder, opened when we made it
        self._dir_id = None           # (st_dev, st_ino) of that folder
        self._stop = None
        self._toucher = None
        self._inherited_note = None   # the note a process that died creating the folder left
        self._busy = None             # what held the lock folder's name at the last look, for the timeout message

    def __enter__(self):
        deadline = time.monotonic() + self.timeout
        self._take_flock(deadline)
        try:
            # Writers hold the flock, so our temp files older than a minute are dead writers'; they
            # go first, as on a full disk their room may be what this write needs.
            remove_stale_temp_files(self.path)
            self._take_dir(deadline)
        except BaseException:
            self._drop_flock()
            raise
        self._start_touching()
        return self

    def __exit__(self, *exc_info):
        if self._stop is not None:
            self._stop.set()
            self._toucher.join()  # it wakes at once; after this nothing touches what is closed next
        self._note(busy=True)  # a death between the two removals leaves an unmarked folder
        self._remove_own_dir()
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
            if exc.errno in (errno.ELOOP, errno.EISDIR):
                raise _refused(self.flock_path, "is a symbolic link" if exc.errno == errno.ELOOP else "is a folder")
            raise write_refused(self.directory, exc, self.path)
        st = os.fstat(self._fd)
        # The note truncates and rewrites this file: it must be ours alone, not a link into another one.
        problem = ("is not a regular file" if not stat.S_ISREG(st.st_mode)
                   else "has other hard links" if st.st_nlink != 1
                   else "belongs to uid %d" % st.st_uid if hasattr(os, "geteuid") and st.st_uid != os.geteuid()
                   else None)
        if problem:
            self._drop_flock()
            raise _refused(self.flock_path, problem)
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._inherited_note = _read_note(self._fd)
                return
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    # No locks on this file system (NFS without lockd, some FUSE mounts): writing
                    # without one could lose another process's update, so atomic does not write.
                    self._drop_flock()
                    raise _refused(self.flock_path, "cannot be locked on this file system (%s)" % exc.strerror,
                                   "set ATOMIC_CODING_AGENT_DIR to a folder on a local disk")
            if time.monotonic() >= deadline:
                holder = self._holder()
                self._drop_flock()
                who = "another atomic process (pid %d)" % holder if holder else "another atomic process"
                stuck = "; if it is stuck (stopped, or hung), end it: kill %d" % holder if holder else ""
                raise LockTimeout("%s held %s for the whole %g s atomic waited; try again when it finishes%s"
                                  % (who, self.flock_path, self.timeout, stuck))
            time.sleep(0.01)

    def _holder(self):
        """The pid of the atomic that holds the flock, as far as it says: the mark in the lock
        folder it made, else the note it keeps while making or removing that folder; or None."""
        try:
            fd = os.open(os.path.join(self.dir_path, MARKER), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                         | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
            try:
                words = os.read(fd, 32).split()
            finally:
                os.close(fd)
        except OSError:
            words = os.pread(self._fd, 64, 0).split() if self._fd is not None and hasattr(os, "pread") else []
        try:
            return int(words[0]) if words else None
        except ValueError:
            return None

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
                if self._clear_leftover():
                    continue
            except OSError as exc:
                self._note(busy=False)
                raise write_refused(self.directory, exc, self.path)
            else:
                self._inherited_note = None  # the name was free: what the note spoke of is gone
                try:
                    self._dir_fd, st = _open_dir(self.dir_path)
                    self._dir_id = (st.st_dev, st.st_ino)
                    _write_marker(self._dir_fd, self.dir_path)
                except OSError as exc:
                    self._remove_own_dir()
                    raise write_refused(self.directory, exc, self.path)
                finally:
                    self._note(busy=False)
                return
            if time.monotonic() >= deadline:
                raise self._timeout()
            time.sleep(0.05)

    def _timeout(self):
        if self._busy == "file":
            return LockTimeout("%s is a file, not the lock folder atomic and the Atomic agent use, and it "
                               "may be in use (another program's lock?); if no program is using it, "
                               "delete it: rm %s" % (self.dir_path, self.dir_path))
        return LockTimeout("%s is held by another program (the Atomic agent?); try again, or if nothing "
                           "is running remove that folder: rmdir %s" % (self.dir_path, self.dir_path))

    def _clear_leftover(self):
        """Look at what holds the lock folder's name, without following it; remove it if it is
        provably abandoned. True when the name is free to try again."""
        try:
            st = os.lstat(self.dir_path)
        except FileNotFoundError:
            return True
        if stat.S_ISLNK(st.st_mode):
            raise _refused(self.dir_path, "is a symbolic link", "remove the link (rm %s); what it points to "
                           "is not touched" % self.dir_path)
        if stat.S_ISREG(st.st_mode):
            self._busy = "file"
            return self._clear_lock_file(st)
        if not stat.S_ISDIR(st.st_mode):
            raise _refused(self.dir_path, "is neither a folder nor a file")
        self._busy = "folder"
        if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
            raise _refused(self.dir_path, "belongs to uid %d" % st.st_uid)
        try:
            fd, opened = _open_dir(self.dir_path)
        except OSError:
            return False  # changed since the lstat: look again
        try:
            if (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino):
                return False
            names = os.listdir(fd if fd is not None else self.dir_path)
            if not self._is_abandoned(opened, names):
                return False
            strangers = [n for n in names if n != MARKER]
            if strangers or (names and not _is_regular(MARKER, fd, self.dir_path)):
                raise _refused(self.dir_path, "holds files atomic did not put there (%s)" % ", ".join(sorted(names)[:3]),
                               "it is not a lock folder of atomic or the Atomic agent: move it aside")
            if names:
                # Dying between this and the rmdir leaves an unmarked folder: the note says whose.
                self._note(busy=True)
                _unlink_in(MARKER, fd, self.dir_path)
        finally:
            if fd is not None:
                os.close(fd)
        try:
            os.rmdir(self.dir_path)  # never follows a link, and fails if anything was added meanwhile
        except FileNotFoundError:
            pass
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                return False
            raise LockTimeout("cannot remove the stale lock %s (%s); remove it by hand" % (self.dir_path, exc.strerror))
        self._inherited_note = None
        self._note(busy=False)
        return True

    def _is_abandoned(self, st, names):
        """Left by a crashed atomic (we hold the flock, so no live atomic has it), or stale."""
        if self._fd is not None:
            if MARKER in names:
                return True
            if self._inherited_note is not None and not names and _made_at(st, self._inherited_note):
                return True
        return time.time() - st.st_mtime > STALE_AFTER

    def _clear_lock_file(self, st):
        """Remove an `auth.json.lock` file that nothing holds and that has not changed for a while."""
        try:
            import fcntl
        except ImportError:
            return False  # no way to tell whether it is held: the timeout message says what to delete
        if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
            raise _refused(self.dir_path, "is a file that belongs to uid %d" % st.st_uid)
        if time.time() - st.st_mtime <= STALE_AFTER:
            return False
        try:
            fd = os.open(self.dir_path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return False
        try:
            opened = os.fstat(fd)
            if (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino):
                return False
            try:  # held by a program that locks with flock, or with fcntl/lockf record locks
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return False
            if os.lstat(self.dir_path).st_ino != st.st_ino:
                return False
            os.unlink(self.dir_path)
        except OSError:
            return False
        finally:
            os.close(fd)
        self.ctx.warn("removed the old lock file %s, which no program held and which had not changed "
                      "for %d minute(s)" % (self.dir_path, max(1, (time.time() - st.st_mtime) // 60)))
        return True

    def _remove_own_dir(self):
        """Remove the folder we made, and only it: the marker through our descriptor, the folder
        only if the name still leads to it."""
        if self._dir_id is None:
            return
        try:
            _unlink_in(MARKER, self._dir_fd, self.dir_path)
        except OSError:
            pass
        try:
            st = os.lstat(self.dir_path)
            if (st.st_dev, st.st_ino) == self._dir_id:
                os.rmdir(self.dir_path)
        except OSError:
            pass
        if self._dir_fd is not None:
            os.close(self._dir_fd)
        self._dir_fd = self._dir_id = None

    def _note(self, busy):
        """Note in the flock file (which only we may touch now) that we are creating or removing
        the folder; else clear the note, or put back the one a dead process left while the
        folder it spoke of is still there (dying now must not lose what proves it abandoned)."""
        if self._fd is None:
            return
        if busy:
            text = "%d %d\n" % (os.getpid(), time.time_ns())
        else:
            text = "" if self._inherited_note is None else "0 %d\n" % self._inherited_note
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, text.encode(), 0)
        except OSError:
            pass  # without the note a crash in that instant costs a wait, as before

    def _start_touching(self):
        import threading

        self._stop = threading.Event()
        stop, target = self._stop, self._dir_fd
        if target is None or os.utime not in getattr(os, "supports_fd", ()):
            target = self.dir_path

        def touch():
            while not stop.wait(TOUCH_EVERY):
                try:
                    os.utime(target)
                except OSError:
                    return

        self._toucher = threading.Thread(target=touch, name="atomic-lock-touch", daemon=True)
        self._toucher.start()


def _refused(path, problem, fix=None):
    return Unsafe("%s %s; atomic does not use it as a lock: %s" % (path, problem, fix or "move it aside"))


def _open_dir(path):
    """(descriptor, fstat) of the folder at path, never through a link. Where folders cannot be
    opened (Windows), (None, lstat)."""
    if not hasattr(os, "O_DIRECTORY"):
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", path)
        return None, st
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", path)
        return fd, st
    except BaseException:
        os.close(fd)
        raise


def _in_dir(name, dir_fd, dir_path):
    """(path, dir_fd) arguments for a name inside a folder we hold open, where dir_fd works."""
    if dir_fd is not None and os.open in os.supports_dir_fd:
        return name, dir_fd
    return os.path.join(dir_path, name), None


def _is_regular(name, dir_fd, dir_path):
    path, fd = _in_dir(name, dir_fd, dir_path)
    try:
        return stat.S_ISREG(os.stat(path, dir_fd=fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _unlink_in(name, dir_fd, dir_path):
    path, fd = _in_dir(name, dir_fd, dir_path)
    try:
        os.unlink(path, dir_fd=fd)
    except FileNotFoundError:
        pass


def _write_marker(dir_fd, dir_path):
    path, fd_arg = _in_dir(MARKER, dir_fd, dir_path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o600, dir_fd=fd_arg)
    try:
        os.write(fd, str(os.getpid()).encode())
    finally:
        os.close(fd)


def _read_note(fd):
    """The creation time (ns) noted in the flock file by a process that died creating the folder."""
    try:
        words = os.pread(fd, 64, 0).split()
        return int(words[1]) if len(words) == 2 else None
    except (OSError, ValueError):
        return None


def _made_at(st, noted_ns):
    """An empty folder whose last change is the noted moment: the dead process's mkdir."""
    low, high = NOTE_WINDOW_NS
    return noted_ns + low <= st.st_ctime_ns <= noted_ns + high
