"""Logins atomic uses from another tool (`atomic login P --from codex|gh`): where they are, never the tokens.

`linked-logins.json` in the agent directory maps an entry id (`openai-codex`, `github-copilot:work`)
to a reference such as {"from": "codex", "home": "/home/me/.codex"}. It is not auth.json: the
readers of auth.json (pi, the Atomic agent) accept only credentials there, and a reference is none.

The other tool stays the only owner of its login. The provider module's `linked` hook reads the
token from the tool at every use and never keeps a copy; when the token has expired, or the
provider refused it, the module reads again and, if the tool still holds that token, asks the tool
to refresh its own login (Codex) or says what to run. Those asks are single-flight among atomic
processes (this file's lock, never one of the other tool's), so twenty processes that meet an
expired token ask once.
"""
import os

from .._core import errors
from .store import LINKED_FILE, command

FIX = "fix it by hand, or move it aside and run `atomic login P --from …` again; atomic has not changed it"
MARGIN_MS = 5 * 60 * 1000  # as the tools themselves: a token this close to its end is refreshed first


class LinkedFile:
    """linked-logins.json as read: its path, {entry id: reference}, and its owner and mode."""

    def __init__(self, path, data, uid=None, mode=None):
        self.path, self.data, self.uid, self.mode = path, data, uid, mode


def linked_path(ctx):
    return os.path.join(ctx.agent_dir, LINKED_FILE)


def read_linked(ctx):
    """The command's snapshot of linked-logins.json (empty when there is none)."""
    if ctx.linked is None:
        from .._core.files import parse_json_object, read_capped

        import stat

        path = linked_path(ctx)
        raw, st = read_capped(path, ctx, FIX)
        if raw is None:
            ctx.linked = LinkedFile(path, {})
        else:
            ctx.linked = LinkedFile(path, parse_json_object(raw, path, FIX), st.st_uid, stat.S_IMODE(st.st_mode))
    return ctx.linked


def get_link(ctx, entry_id):
    """The reference stored for an entry id, or None; a malformed one is an error naming it."""
    linked = read_linked(ctx)
    record = linked.data.get(entry_id)
    if record is None:
        return None
    from .._core.files import controlled_by_others

    others = controlled_by_others(linked.path, linked.uid, linked.mode)
    if others:  # another user could point atomic at a login of theirs, and read what it is sent
        raise errors.Unsafe("%s: not using the link %s, because %s; run `chmod 700` on the folder and `chmod 600` "
                            "on the file (and make them yours)" % (linked.path, entry_id, others))
    if not (isinstance(record, dict) and isinstance(record.get("from"), str) and record["from"]):
        raise errors.BadFile("%s: %s: expected {\"from\": \"codex\", ...}; run `atomic logout` for it and link it "
                             "again" % (linked.path, entry_id))
    return record


def update_linked(ctx, change):
    """Apply change(data) -> new data (or None: no write) to the file as read again under its lock,
    as every small file of atomic's own is written (_core/jsonfile.py); the next read sees the result."""
    from .._core.jsonfile import update_json

    new = update_json(ctx, LINKED_FILE, change, FIX)
    ctx.linked = None
    return new


def credential(provider, ctx, entry_id, record, refresh=True):
    """The Credential the other tool holds now, asked to refresh first when it has (nearly) run out."""
    hook = provider.hook("linked")
    if hook is None:
        raise errors.BadFile("%s: %s links a login from %s, which %s cannot use; run `%s`"
                             % (linked_path(ctx), entry_id, record["from"], provider.id, command("logout", entry_id)))
    found = _mark(hook(record, ctx, None), entry_id, record)
    expires = found.expires_at
    if refresh and expires is not None and ctx.now() * 1000 >= expires - MARGIN_MS:
        try:
            return renew(provider, ctx, found)
        except errors.AtomicError as exc:
            if expires <= ctx.now() * 1000 or isinstance(exc, errors.NotLoggedIn):
                raise
            ctx.warn("%s could not be refreshed (%s); using the current token, valid for %d more minute(s)"
                     % (found.source, exc.message, max(1, (expires - ctx.now() * 1000) // 60000)))
    return found


def renew(provider, ctx, stale):
    """The tool's login after `stale` (a Credential) expired or was refused: read again, and if the tool
    still holds the same token, let it refresh its own login. One process at a time asks."""
    from .._core.lock import FileLock
    from .._core.writes import ensure_private_dir

    hook = provider.hook("linked")
    directory = ensure_private_dir(ctx.agent_dir, ctx, ctx.agent_dir_base)
    with FileLock(directory, LINKED_FILE, ctx):
        return _mark(hook(stale.linked, ctx, stale.value), stale.entry_id, stale.linked)


def _mark(found, entry_id, record):
    found.entry_id, found.linked = entry_id, record
    return found
