"""Client tokens of `atomic serve`: made here at random, shown once, kept only as hashes.

serve-tokens.json in the agent directory (0600, changed under its lock by _core/jsonfile.py;
not auth.json, whose every top-level entry pi reads as a provider credential):

    {"tokens": {NAME: {"sha256": hex digest, "prefix": "atm_Ab12", "providers": [ids],
                       "models": [PROVIDER/MODEL or MODEL], "expires": ms or null, "created": ms}}}

A token is `atm_` and 43 URL-safe characters (256 random bits), so SHA-256 is enough to keep it:
nothing short enough to guess is ever made. A presented value of any other shape (empty, a
placeholder such as `<token>` or `sk-...` left in a config file) matches nothing, and so does a
record whose digest is not one. The serving process looks at the file before each request and
reads it again when it changed, so a revoke or an expiry takes effect at the next request.
"""
import os
import threading

from .._core.stamps import RACY, stamp

TOKENS_FILE = "serve-tokens.json"
PREFIX = "atm_"
SECRET_CHARS = 43   # secrets.token_urlsafe(32)
SHOWN = 8           # characters of a token kept to tell tokens apart in `token list`
FIX = ("fix it by hand, or move it aside and make new tokens with `atomic serve token create NAME`; "
       "atomic has not changed it")
_URLSAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_HEX = frozenset("0123456789abcdef")
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def tokens_path(ctx):
    return os.path.join(ctx.agent_dir, TOKENS_FILE)


def well_formed(value):
    """Whether a presented value has the shape of a token atomic makes."""
    return (isinstance(value, str) and len(value) == len(PREFIX) + SECRET_CHARS and value.startswith(PREFIX)
            and _URLSAFE.issuperset(value[len(PREFIX):]))


def digest(token):
    import hashlib

    return hashlib.sha256(token.encode("ascii")).hexdigest()


def check_name(name):
    """A UsageError unless name is 1-64 letters, digits, `.`, `_` or `-`, starting with a letter or digit."""
    if not (0 < len(name) <= 64 and set(name) <= _NAME_CHARS and name[0].isalnum()):
        from .._core.errors import UsageError

        raise UsageError("token name %r: use 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter "
                         "or digit, e.g. codex or claude-code" % name[:80])


def create(ctx, name, providers=(), models=(), lifetime=None, profile=None):
    """Make the token NAME with its scope, store its hash, and return the token (shown once).
    profile: the named login (`atomic login P --profile NAME`) its requests use, whatever the
    server's own choice; None: the server's (--profile, ATOMIC_PROFILE, its folder rules)."""
    import secrets

    from .._core.errors import UsageError
    from .._core.jsonfile import update_json

    check_name(name)
    token = PREFIX + secrets.token_urlsafe(32)
    now = int(ctx.now() * 1000)
    record = {"sha256": digest(token), "prefix": token[:SHOWN], "providers": sorted(set(providers)),
              "models": sorted(set(models)), "expires": None if lifetime is None else now + int(lifetime * 1000),
              "created": now}
    if profile is not None:
        from .._auth.profiles import check_name as check_profile

        record["profile"] = check_profile(profile, "--profile")

    def add(doc):
        table = _table(doc, tokens_path(ctx))
        if name in table:
            raise UsageError("a token named %s exists already; revoke it first (`atomic serve token revoke %s`) "
                             "or choose another name" % (name, name))
        table[name] = record
        doc["tokens"] = table
        return doc

    update_json(ctx, TOKENS_FILE, add, FIX)
    return token


def revoke(ctx, name):
    """Remove the token NAME; a UsageError naming the tokens there are when it does not exist."""
    from .._core.errors import UsageError
    from .._core.jsonfile import update_json

    def remove(doc):
        table = _table(doc, tokens_path(ctx))
        if name not in table:
            have = ", ".join(sorted(table)) or "none"
            raise UsageError("no token named %r (tokens: %s; `atomic serve token list` shows them)" % (name, have))
        del table[name]
        doc["tokens"] = table
        return doc

    update_json(ctx, TOKENS_FILE, remove, FIX)


def read(ctx):
    """{name: record} as stored now (records checked: a broken one is left out with a warning);
    Unsafe for a file another user could have written (their token would spend your logins)."""
    from .._core.files import parse_json_object, read_capped

    path = tokens_path(ctx)
    raw, st = read_capped(path, ctx, FIX)
    if raw is None:
        return {}
    _refuse_others(path, st)
    table = _table(parse_json_object(raw, path, FIX), path)
    return {name: record for name, record in table.items() if _usable(name, record, path, ctx)}


def _refuse_others(path, st):
    from .._core.errors import Unsafe
    from .._core.files import controlled_by_others

    reason = ("it belongs to uid %d, not you" % st.st_uid if hasattr(os, "geteuid") and st.st_uid != os.geteuid()
              else controlled_by_others(path, st.st_uid, st.st_mode))
    if reason:
        raise Unsafe("%s: no client token is believed, because %s; run `chmod 600` on it and `chmod 700` on its "
                     "folder (and make them yours)" % (path, reason))


def _table(doc, path):
    table = doc.get("tokens", {})
    if not isinstance(table, dict):
        from .._core.errors import BadFile

        raise BadFile("%s: \"tokens\" must be an object of NAME: {...}; %s" % (path, FIX))
    return table


def _usable(name, record, path, ctx):
    """Whether a stored record can ever match: a 64-hex digest and lists where lists go."""
    ok = (isinstance(record, dict) and isinstance(record.get("sha256"), str) and len(record["sha256"]) == 64
          and set(record["sha256"]) <= _HEX
          and all(isinstance(record.get(k, []), list) and all(isinstance(v, str) for v in record.get(k, []))
                  for k in ("providers", "models"))
          and (record.get("expires") is None or isinstance(record.get("expires"), (int, float)))
          and (record.get("profile") is None or isinstance(record.get("profile"), str)))
    if not ok:
        ctx.warn("%s: the token %r is not one atomic made (no digest, or a scope of the wrong kind): it matches "
                 "nothing; revoke it with `atomic serve token revoke %s`" % (path, name, name))
    return ok


class Client:
    """Who a request comes from: the token's name and scope (providers, models, expiry), and the
    named login its requests use (profile; None: the server's choice)."""
    __slots__ = ("name", "providers", "models", "expires", "profile")

    def __init__(self, name, record):
        self.name = name
        self.providers = frozenset(record.get("providers") or ())
        self.models = frozenset(record.get("models") or ())
        self.expires = record.get("expires")
        self.profile = record.get("profile")

    def expired(self, now):
        return self.expires is not None and now * 1000 >= self.expires

    def allows(self, provider_id, model_id=None):
        """Whether the scope reaches the provider (and its model, when given): an empty list is
        everything; a model is named PROVIDER/MODEL, or MODEL for that id at any allowed provider."""
        if self.providers and provider_id not in self.providers:
            return False
        if not self.models or model_id is None:
            return True
        return "%s/%s" % (provider_id, model_id) in self.models or model_id in self.models

    def scope_text(self):
        parts = ["providers: " + (", ".join(sorted(self.providers)) or "any"),
                 "models: " + (", ".join(sorted(self.models)) or "any")]
        if self.profile is not None:
            parts.append("login: " + self.profile)
        return "; ".join(parts)


class Verifier:
    """The tokens as the serving process sees them: the file is looked at (its stamp, stamps.py)
    before each check and read again when it changed."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.path = tokens_path(ctx)
        self._lock = threading.Lock()
        self._seen = None
        self._clients = []   # [(digest, Client)]

    def count(self):
        self._refresh()
        return len(self._clients)

    def check(self, presented):
        """The Client a presented token belongs to, or None (expired, revoked, unknown, malformed).
        Every stored digest is compared, in constant time, whatever the value."""
        import hmac

        clients = self._refresh()
        if not well_formed(presented):
            return None
        wanted = digest(presented)
        found = None
        for stored, client in clients:
            if hmac.compare_digest(stored, wanted):
                found = client
        if found is None or found.expired(self.ctx.now()):
            return None
        return found

    def _refresh(self):
        # The folder's owner and mode too: a folder others may write lets them replace the file.
        seen = (stamp(self.path), _owner_and_mode(os.path.dirname(self.path)))
        with self._lock:
            if seen[0] is RACY or seen != self._seen:  # RACY: changed just now, and may again unseen
                self._clients = self._load() if seen[0] is not None else []
                self._seen = seen
            return self._clients

    def _load(self):
        from .._core.errors import AtomicError
        from .._core.mask import shown

        try:
            table = read(self.ctx)
        except AtomicError as exc:  # a broken file lets no one in, and says why once per change
            self.ctx.warn(shown(exc.message))
            return []
        return [(record["sha256"], Client(name, record)) for name, record in table.items()]


def _owner_and_mode(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_uid, st.st_mode
