"""Whether a file changed since it was read, so that a long-lived process (atomic serve) makes
what it needs of its files (parsed, merged, checked) again only when one of them changed: a
login, a refresh or an edit elsewhere is seen at the next request, and nothing else is redone.

A file's stamp is (device, inode, size, mtime_ns, ctime_ns), or None when there is no file.
File times are only as fine as the kernel's clock tick (a second on some file systems), so a
file written twice within one tick at one size could keep its stamp (git's "racy" files): a
stamp is kept only once the file's last change (ctime, or mtime if later) is SETTLE seconds
old, and a fresher file is read again at every use until it settles. ctime is the kernel's
alone (`touch -d` sets mtime only), so a file changed back to a former size and mtime still
shows a new stamp.
"""
import errno
import os
import time

SETTLE = 2.0           # seconds a file's ctime must be old before its stamp is believed
RACY = object()        # the stamp of a file that may still change unseen: matches no kept stamp
_SETTLE_NS = int(SETTLE * 1e9)


def stamp(path):
    """The stamp of the file at path (a link counts as its target); None for no file, RACY for
    one that changed just now or cannot be looked at (its reader then says why)."""
    return stamps((path,))[0]


def stamps(paths):
    """(stamp, ...) of the files at paths (see stamp())."""
    now = time.time_ns()
    found = []
    for path in paths:
        try:
            found.append(_stamp(os.stat(path), now))
        except OSError as exc:
            found.append(None if exc.errno in (errno.ENOENT, errno.ENOTDIR) else RACY)
    return tuple(found)


def of(st):
    """The stamp of a stat result (RACY when it changed within SETTLE seconds; the later of
    mtime and ctime counts, as Windows' ctime is the file's creation)."""
    return _stamp(st, time.time_ns())


def _stamp(st, now):
    if now - max(st.st_mtime_ns, st.st_ctime_ns) < _SETTLE_NS:
        return RACY
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class Memo:
    """What a process made of its files, each thing under a name with the stamps (and any other
    inputs) it was made from: kept() gives it back while they are the same. Shared by every
    fork of a Context (Context.memo); a dict assignment is atomic, so threads need no lock."""

    def __init__(self):
        self._kept = {}

    def kept(self, name, key):
        """What was made under name from key, or None."""
        found = self._kept.get(name)
        return found[1] if found is not None and found[0] == key else None

    def keep(self, name, key, value):
        """Keep value for name, made from key; not when a stamp in key is RACY."""
        if RACY not in key:
            self._kept[name] = (key, value)
        return value
