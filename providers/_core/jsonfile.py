"""A small JSON file of atomic's own in the agent directory (settings.json, trust.json,
linked-logins.json, serve-tokens.json), changed the way auth.json is: under its lock, read again
there, written atomically, 0600.

auth.json keeps a writer of its own (_auth/store.update_auth): it has layers, and
reserves room on disk before a refresh token is spent.
"""
import os

from . import errors


def update_json(ctx, name, change, fix, private=True):
    """Apply change(the file's object, {} when there is none) -> new object (or None: no write)
    to the file `name` in the agent directory, and return what change returned.

    The file is read again under its lock, so keys another program wrote meanwhile survive; one
    that does not parse is an error (exit 4, `fix` says what to do) and is never overwritten, and
    one that belongs to another user is never written (exit 7). private: whether others may read
    it without a warning (settings.json may be shared; trust.json should not be).
    """
    from .files import parse_json_object, read_capped
    from .lock import FileLock
    from .writes import ensure_private_dir, write_json_atomic

    directory = ensure_private_dir(ctx.agent_dir, ctx, ctx.agent_dir_base)
    path = os.path.join(directory, name)
    with FileLock(directory, name, ctx):
        raw, st = read_capped(path, ctx, fix, private=private)
        if st is not None and hasattr(os, "geteuid") and st.st_uid != os.geteuid():
            raise errors.Unsafe("%s belongs to uid %d, not you; atomic will not write it" % (path, st.st_uid))
        new = change({} if raw is None else parse_json_object(raw, path, fix))
        if new is not None:
            write_json_atomic(path, new)
    return new
