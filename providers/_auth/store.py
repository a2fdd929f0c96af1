"""auth.json: strict reading, per-entry validation, and atomic writes under the shared lock.

Reading never writes or creates anything. Writing re-reads the file under the lock, refuses to
touch a file that does not parse, and replaces it with temp file + fsync + rename (writes.py).
A command reads the file once (ctx.auth); every write replaces that snapshot, so a long-lived
process (chat) sees its own logins at the next request.

Layers: without a directory override, pi's ~/.pi/agent/auth.json is read below atomic's own
file (as the Atomic agent reads it): an entry in atomic's file wins per provider, and pi's file
is read only for a provider atomic's file does not have, so a corrupt pi file stops only those.
An entry is refreshed in the file it came from, under that file's lock; `atomic login` writes
only atomic's file; `atomic logout` removes a provider from every layer.
"""
import os
import stat

from .._core import errors
from .._core.files import commands_allowed, controlled_by_others, json_type, parse_json_object, read_capped

AUTH_FILE = "auth.json"
LINKED_FILE = "linked-logins.json"  # references to other tools' logins (_auth/linked.py): not credentials
FIX = "fix it by hand, or move it aside and run `atomic login` again; atomic has not changed it"
PI_LAYER = "~/.pi/agent"  # how a source in pi's file is named: `auth.json (~/.pi/agent)`


class AuthFile:
    """A parsed auth.json: the data plus what we learned about the file while reading it.
    `layer` is None for atomic's own file, PI_LAYER for pi's."""

    def __init__(self, path, data, exists, uid=None, mode=None, size=0):
        self.path, self.data, self.exists, self.uid, self.mode = path, data, exists, uid, mode
        self.size = size  # bytes, as read
        self.layer = None
        self.repeated = {}  # {provider id given twice in the file: the line of the later one, or None}

    def named(self, detail=None):
        """How a credential from this file is named: `auth.json`, `auth.json (oauth)`, and for
        pi's file `auth.json (~/.pi/agent)`, `auth.json (~/.pi/agent, oauth)`."""
        words = [w for w in (self.layer, detail) if w]
        return "%s (%s)" % (AUTH_FILE, ", ".join(words)) if words else AUTH_FILE

    @property
    def ours(self):
        """Whether the file belongs to us (so we may write it or run its !commands)."""
        return not self.exists or self.uid == os.geteuid()

    @property
    def commands_allowed(self):
        return self.exists and commands_allowed(self.path, self.uid, self.mode)

    def controlled_by_others(self):
        """Why another user could have chosen the credentials in the file, or None."""
        return controlled_by_others(self.path, self.uid, self.mode) if self.exists else None


DEFAULT = "default"  # the name of the login without a suffix


def entry_id(provider_id, profile):
    """The key of a login in auth.json: `provider` for the default, `provider:NAME` for a named one."""
    return provider_id if profile in (None, DEFAULT) else "%s:%s" % (provider_id, profile)


def split(entry):
    """(provider id, profile name or None) of an entry id."""
    provider_id, _colon, name = entry.partition(":")
    return provider_id, name or None


def command(verb, entry):
    """`atomic VERB PROVIDER [--profile NAME]`: the command line that acts on the login an entry id
    names (`login` makes it again, `key` refreshes and prints it, `logout` removes it)."""
    provider_id, name = split(entry)
    return "atomic %s %s%s" % (verb, provider_id, " --profile " + name if name else "")


def login_command(entry):
    """The `atomic login` line that makes the entry again."""
    return command("login", entry)


def auth_path(ctx, directory=None):
    return os.path.join(directory or ctx.agent_dir, AUTH_FILE)


def has_links(ctx):
    """Whether linked-logins.json is there (one lstat): without it, nothing of _auth/linked.py is needed."""
    return os.path.lexists(os.path.join(ctx.agent_dir, LINKED_FILE))


def read_auth(ctx, directory=None, memo=None):
    """Read and parse the auth.json in directory (the agent directory unless given); a missing
    file is an empty store, a broken one an error. memo (a serving process's stamps.Memo): the
    file is opened and checked as ever, but read and parsed again only when its stamp changed;
    what it held is shared, never changed in place (writers copy it)."""
    path = auth_path(ctx, directory)
    held = {}
    raw, st = read_capped(path, ctx, FIX, unchanged=None if memo is None else _kept_in(memo, path, held))
    if st is None:
        auth = AuthFile(path, {}, exists=False)
    else:
        size = st.st_size
        if raw is None:
            data, repeated = held["parsed"]
        else:
            size = len(raw)
            found = []
            data = parse_json_object(raw, path, FIX, found)
            repeated = dict(found)
            if memo is not None:
                memo.keep(path, (held["stamp"],), (data, repeated))
        auth = AuthFile(path, data, exists=True, uid=st.st_uid, mode=stat.S_IMODE(st.st_mode), size=size)
        auth.repeated = repeated
    if directory is not None and directory == ctx.pi_agent_dir:
        auth.layer = PI_LAYER
    return auth


def _kept_in(memo, path, held):
    """read_capped's unchanged(): whether memo holds the file as parsed at this stamp (into held)."""
    from .._core.stamps import of

    def unchanged(st):
        held["stamp"] = of(st)
        held["parsed"] = memo.kept(path, (held["stamp"],))
        return held["parsed"] is not None
    return unchanged


def current_auth(ctx):
    """The command's snapshot of auth.json: read on first use, replaced by every write."""
    if ctx.auth is None:
        ctx.auth = read_auth(ctx, memo=ctx.memo)
    return ctx.auth


def lower_auth(ctx):
    """pi's auth.json, read on first use (None when a variable chose the agent directory);
    a broken file is this command's error each time it is needed."""
    if ctx.pi_agent_dir is None:
        return None
    if ctx.lower_auth is None:
        try:
            ctx.lower_auth = read_auth(ctx, ctx.pi_agent_dir, memo=ctx.memo)
        except errors.AtomicError as exc:
            ctx.lower_auth = exc
    if isinstance(ctx.lower_auth, errors.AtomicError):
        raise ctx.lower_auth
    return ctx.lower_auth


def find_entry(ctx, provider_id):
    """(the AuthFile holding the provider's entry, the raw entry): atomic's file first, then pi's;
    (atomic's file, None) when no layer has one. Pi's file is read only when atomic's lacks it."""
    auth = current_auth(ctx)
    if provider_id in auth.data:
        return auth, auth.data[provider_id]
    lower = lower_auth(ctx)
    if lower is not None and provider_id in lower.data:
        return lower, lower.data[provider_id]
    return auth, None


def layers(ctx):
    """Every auth.json atomic reads, highest first: atomic's, then pi's when it exists (one stat)."""
    found = [current_auth(ctx)]
    if ctx.pi_agent_dir is not None and os.path.lexists(auth_path(ctx, ctx.pi_agent_dir)):
        found.append(lower_auth(ctx))
    return found


def get_entry(auth, provider_id):
    """The validated entry for a provider, or None; a malformed entry is an error naming its field."""
    entry = auth.data.get(provider_id)
    if entry is None:
        return None
    where = "%s: %s" % (auth.path, provider_id)
    fix = "; run `atomic login %s` to replace it, or fix the file by hand" % provider_id
    if provider_id in auth.repeated:
        raise errors.BadFile("%s: the entry is there twice%s, and JSON readers would take only the last one; keep "
                             "the one you mean and remove the other (atomic has not changed the file)"
                             % (where, _again(auth.repeated[provider_id])))
    if not isinstance(entry, dict):
        raise errors.BadFile("%s: expected an object like {\"type\": \"api_key\", \"key\": \"…\"}, found %s%s"
                      % (where, json_type(entry), fix))
    kind = entry.get("type")
    if kind == "api_key":
        _check_field(entry, "key", where, fix, required=False)
        env = entry.get("env")
        if env is not None and not (isinstance(env, dict) and all(isinstance(v, str) for v in env.values())):
            raise errors.BadFile("%s.env: expected an object of NAME: \"value\" strings%s" % (where, fix))
    elif kind == "oauth":
        _check_field(entry, "access", where, fix)
        _check_field(entry, "refresh", where, fix)
        from .._core.keyform import key_problem

        problem = entry["access"] and key_problem(entry["access"])
        if problem:
            raise errors.BadFile("%s.access: the token %s%s" % (where, problem, fix))
        _check_expires(entry.get("expires"), where, fix)
    else:
        raise errors.BadFile("%s.type: expected \"api_key\" or \"oauth\", found %s%s"
                      % (where, json_type(kind) if not isinstance(kind, str) else repr(kind), fix))
    return entry


def _again(line):
    return " (again on line %d)" % line if line else ""


# pi's OpenRouter login keeps its API key as an OAuth entry that never expires, with JavaScript's
# Number.MAX_SAFE_INTEGER as `expires` (reference-pi.md §2.4); any other date this far out is junk.
NEVER_EXPIRES = 9007199254740991
LONGEST_LOGIN_MS = 10 * 365 * 86400 * 1000  # the longest-lived tokens (a year, Claude's setup-token) with room


def _check_expires(expires, where, fix):
    """`expires` of an OAuth entry: epoch milliseconds, at most ten years from now (or pi's
    never-expiring mark): a date centuries away would keep a token from ever being refreshed."""
    import time

    if isinstance(expires, bool) or not isinstance(expires, (int, float)) or expires != expires:
        raise errors.BadFile("%s.expires: expected a number (epoch milliseconds)%s" % (where, fix))
    if expires == NEVER_EXPIRES:
        return
    now_ms = time.time() * 1000
    if expires > now_ms + LONGEST_LOGIN_MS or expires < -1e15:
        years = (expires - now_ms) / (365.25 * 86400 * 1000)
        raise errors.BadFile("%s.expires: %s is %s, which no login lasts; it is not a real expiry (epoch "
                             "milliseconds)%s" % (where, _short_number(expires),
                                                  "%.0f years from now" % years if years > 0 else "long past", fix))


def _short_number(value):
    text = repr(value)
    return text if len(text) <= 24 else text[:20] + "…"


def _check_field(entry, name, where, fix, required=True):
    value = entry.get(name)
    if value is None and not required:
        return
    if not isinstance(value, str):
        raise errors.BadFile("%s.%s: expected a string, found %s%s"
                      % (where, name, "nothing" if value is None else json_type(value), fix))


def update_auth(ctx, change, reserve=False, directory=None, lock_timeout=None):
    """Apply change(auth) -> new data (or None: no write) to the freshly read file, under the lock.

    directory: the layer to write (its folder; the agent directory unless given), e.g. pi's
    for an entry refreshed where it came from. Returns what change returned. The file is re-read
    under the lock so a concurrent writer's update is never lost, and a file that does not parse
    is never overwritten. Afterwards ctx.auth (or ctx.lower_auth) is what the file now holds.
    lock_timeout: seconds to wait for the lock (None: ATOMIC_LOCK_TIMEOUT's).
    reserve=True takes the room for the new document on disk before change runs (a refresh
    spends its token in there): a full disk fails first.
    """
    import contextlib

    from .._core.lock import FileLock

    from .._core.writes import RESERVE_EXTRA, PendingWrite, ensure_private_dir, write_json_atomic

    if directory is None or directory == ctx.agent_dir:
        directory = ensure_private_dir(ctx.agent_dir, ctx, ctx.agent_dir_base)
    else:
        directory = ensure_private_dir(directory, ctx, directory)  # pi's folder: never created here
    with FileLock(directory, AUTH_FILE, ctx, timeout=lock_timeout):
        auth = _read_own_auth(ctx, directory)
        with PendingWrite(auth.path, auth.size + RESERVE_EXTRA) if reserve else contextlib.nullcontext() as reserved:
            new_data = change(auth)
            if new_data is not None:
                write_json_atomic(auth.path, new_data, reserved)
                layer = auth.layer
                auth = AuthFile(auth.path, new_data, exists=True, uid=os.geteuid(), mode=0o600)
                auth.layer = layer
        if auth.layer is None:
            ctx.auth = auth
        else:
            ctx.lower_auth = auth
        return new_data


def check_writable(ctx):
    """Fail now if a login's result could not be saved: a broken auth.json, a file or folder that
    is not ours, a folder we cannot write, or a home directory that is missing. Called before
    asking for a key or opening a browser."""
    from .._core.writes import check_base, write_refused

    _read_own_auth(ctx)
    check_base(ctx.agent_dir_base)
    probe = ctx.agent_dir
    while not os.path.isdir(probe) and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)  # the folder atomic would create the agent directory in
    if not os.access(probe, os.W_OK):
        import errno

        read_only = hasattr(os, "statvfs") and os.statvfs(probe).f_flag & getattr(os, "ST_RDONLY", 1)
        raise write_refused(probe, OSError(errno.EROFS, "Read-only file system") if read_only
                            else PermissionError(errno.EACCES, "Permission denied"))


def _read_own_auth(ctx, directory=None):
    """auth.json as read_auth gives it, refusing one that belongs to another user."""
    auth = read_auth(ctx, directory)
    if not auth.ours:
        raise errors.Unsafe("%s belongs to uid %d, not you; atomic will not write it" % (auth.path, auth.uid))
    if auth.repeated:  # rewriting it would keep only the last of each: a credential lost without a word
        pid = sorted(auth.repeated)[0]
        raise errors.BadFile("%s: the %s entry is there twice%s; atomic will not rewrite the file, which would keep "
                             "only the last one: keep the one you mean and remove the other by hand"
                             % (auth.path, pid, _again(auth.repeated[pid])))
    return auth
