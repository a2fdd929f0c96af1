"""`atomic status --check`: does each credential really work?

The credentials are resolved one by one (a refresh takes the lock, a !command may be slow, and
both may talk to the person), then every provider gets one cheap authenticated request at the
same time: its model list, with exactly the header lines `atomic key --header` prints, to the
address `atomic key --json` names. Each answer becomes ✓ or ✗ with the reason. The credential,
the request's headers (the provider's prepare() and the signer included) and the renewal of a
refused token are the client layer's, as for every request (providers._client).
"""
import sys
import threading

from .. import all_providers, find_each
from .._core.errors import AtomicError, Exit, NetworkError, NotLoggedIn

DEFAULT_TIMEOUT = 10.0  # seconds for all the requests together (ATOMIC_CHECK_TIMEOUT)
NO_KEY = "no key needed"  # the source shown for a server of one's own that takes none


def check(names, ctx, json_output=False, refresh=True):
    """Check the named providers' credentials (or every one there is); the exit code: 0 when
    every one passed, 11 when one was refused (or is missing, expired, broken), else 6 when some
    could not be checked for network or provider trouble."""
    from .._client.credentials import credential_for
    from .._core.errors import NothingFound

    named = bool(names)
    providers = find_each(names, ctx) if named else all_providers(ctx)
    timeout = ctx.seconds("ATOMIC_CHECK_TIMEOUT", DEFAULT_TIMEOUT)
    checks = []
    for provider in providers:
        try:
            credential = credential_for(provider, ctx, refresh=refresh, keyless=False, warn=False)
        except NothingFound as exc:
            if provider.takes_no_key(ctx):  # a server of one's own: does it answer, with its model list?
                checks.append(Check(provider, None, keyless=True))
            elif named:
                checks.append(Check(provider, None, reason=exc.message))
            continue
        except AtomicError as exc:
            checks.append(Check(provider, None, reason=exc.message,
                                failure="network" if isinstance(exc, NetworkError) else "credential"))
            continue
        checks.append(Check(provider, credential))
    if not checks:
        raise NotLoggedIn("no credentials to check; `atomic login` signs you in, `atomic status` shows what there is")
    for item in checks:
        item.plan(ctx, refresh)
    _run_all([c for c in checks if c.url], ctx, timeout)
    if refresh:
        for item in checks:
            item.retry_after_refresh(ctx, timeout)
    rows = [item.row(ctx.now()) for item in checks]
    if json_output:
        import json

        sys.stdout.write(json.dumps({"ok": all(r["ok"] for r in rows), "providers": rows}, indent=2,
                                    ensure_ascii=False) + "\n")
    else:
        _render(rows)
    refused = [r["id"] for r in rows if r["failure"] == "credential"]
    unreachable = [r["id"] for r in rows if r["failure"] == "network"]
    of = "%d credential%s" % (len(rows), "s" if len(rows) > 1 else "")
    untold = "could not be checked (network or provider trouble, not a refusal): %s" % ", ".join(unreachable)
    if refused:
        ctx.say("atomic: %d of %s failed the check: %s%s" % (len(refused), of, ", ".join(refused),
                                                          "; %d %s" % (len(unreachable), untold) if unreachable else ""))
        return Exit.CHECK_FAILED
    if unreachable:
        ctx.say("atomic: %d of %s %s; try again later" % (len(unreachable), of, untold))
        return Exit.NETWORK
    return Exit.OK


class Check:
    """One provider's check: the request to make, then its outcome."""

    def __init__(self, provider, credential, reason=None, keyless=False, failure="credential"):
        self.provider, self.credential, self.keyless = provider, credential, keyless
        self.url, self.request, self.key_field = None, None, None
        self.ok, self.status, self.reason = False, None, reason
        self.usage = []  # the usage windows the answer reported (_wire/limits.py)
        self.failure = failure  # why it did not pass: "credential" (exit 11) or "network" (exit 6)

    def plan(self, ctx, refresh):
        """Work out the request, or the reason there is none."""
        from .._client.authorize import base_url, prepares

        if self.reason is not None:
            return
        credential, provider = self.credential, self.provider
        if credential is not None and credential.is_oauth and credential.entry["expires"] <= ctx.now() * 1000:
            from .._auth.profiles import command

            login = credential.entry_id or provider.id
            self.reason = ("expired login, not refreshed (--no-refresh); `%s` refreshes it" % command("key", login)
                           if not refresh else "expired login; run `%s`" % command("login", login))
            return
        from .._wire.apis import APIS

        row = APIS.get(provider.api)
        path = row.probe if row is not None else None
        try:
            base = base_url(provider, ctx, credential)
            if path is None:
                self.reason = "not checked: atomic knows no cheap request for the %s API" % provider.api
            elif not base and not prepares(provider):  # a module may know the address (Azure's settings)
                self.reason = "not checked: no address for %s; set its baseUrl in models.json" % provider.id
            else:
                self.request = _probe_request(provider, credential, path, ctx)
                self.url = self.request.url
                if credential is not None and credential.source == "models.json":
                    self.key_field = "providers.%s.apiKey in %s" % (provider.id, provider.config_file(ctx, "apiKey"))
        except AtomicError as exc:
            self.reason = exc.message

    def probe(self, ctx, timeout):
        """Send the request; (ok, HTTP status or None, reason). Runs in a thread of its own."""
        from .._net.http import request

        probe = self.request
        body = probe.payload()
        try:
            response = request(probe.method, probe.url, ctx, secret_headers=dict(probe.headers.items()), body=body,
                               deadline=timeout)
        except NetworkError as exc:
            return False, None, "network: " + exc.message
        except Exception as exc:  # a bug must not hang the others; it is reported on the row
            return False, None, "internal error (a bug): %s: %s" % (type(exc).__name__, exc)
        from .._wire.limits import windows

        self.usage = windows(response.headers)
        return _judge(response, self.credential, self.keyless, self.key_field)

    def record(self, outcome):
        self.ok, self.status, self.reason = outcome
        # Nothing came back, or the provider could not tell (no model list, busy, rate limited):
        # not a verdict on the credential.
        self.failure = "network" if self.status is None or self.status in (404, 408, 429) or self.status >= 500 \
            else "credential"

    def retry_after_refresh(self, ctx, timeout):
        """A credential the provider refused gets one renewal (an OAuth token refreshed, a !command
        key run again) and one more try."""
        from .._client.credentials import renew

        if self.status != 401 or self.credential is None:
            return
        try:
            fresh = renew(ctx, self.provider, self.credential)
        except AtomicError as exc:
            self.reason += "; refreshing it failed: " + exc.message
            return
        if fresh is None:
            return
        self.credential = fresh
        self.url, self.reason = None, None
        self.plan(ctx, True)
        if self.url:
            self.record(self.probe(ctx, timeout))

    def row(self, now):
        from .._wire.limits import describe

        row = {"id": self.provider.id, "name": self.provider.name,
               "source": self.credential.source if self.credential else NO_KEY if self.keyless else None,
               "ok": self.ok, "status": self.status, "reason": self.reason,
               "failure": None if self.ok else self.failure}
        if self.credential is not None and self.credential.profile is not None:
            row["profile"] = self.credential.profile
        if self.usage:
            row["usage"] = self.usage
            row["reason"] = "%s; %s" % (self.reason, describe(self.usage, now))
        return row


def _probe_request(provider, credential, path, ctx):
    """The check's request with the credential's header lines (those `atomic key --header` prints),
    as the provider module prepares it and the credential signs it."""
    from .._client.authorize import prepared
    from .._wire.request import ApiRequest

    return prepared(ctx, provider, None, credential,
                    lambda base, headers: ApiRequest("GET", base.rstrip("/") + path, headers))


def _judge(response, credential, keyless=False, key_field=None):
    """(ok, status, reason) for the answer to a model-list request; key_field: where the key is
    written, when it comes from a file the person edits (models.json)."""
    status = response.status
    if response.ok:
        doc = response.json_or_none()
        models = next((doc[k] for k in ("data", "models", "modelSummaries")
                       if isinstance(doc, dict) and isinstance(doc.get(k), list)),
                      None)
        if models is None:
            return True, status, "ok"
        return True, status, "ok (%d model%s)" % (len(models), "" if len(models) == 1 else "s")
    text = "HTTP %d: %s" % (status, response.error_text())
    if status == 401 and keyless:
        reason = ("the server wants a key (%s); set apiKey for it in models.json, or `atomic login` it" % text)
    elif status == 401 and key_field:
        reason = "rejected key: fix %s (%s)" % (key_field, text)
    elif status == 401:
        reason = ("expired or revoked login (%s)" if credential.is_oauth else "rejected key (%s)") % text
    elif status == 403:
        reason = "refused: no such account, or no access (%s)" % text
    elif status == 404:
        reason = "no model list at %s (%s); the credential could not be checked" % (response.url, text)
    elif status == 429:
        reason = "rate limited or out of quota (%s)" % text
    else:
        reason = "%s answered %s" % (response.host, text)
    return False, status, reason


def _run_all(checks, ctx, timeout):
    """Probe every check at once, showing on a terminal which are still pending."""
    import time

    from .._core.progress import StatusLine

    if any(c.url.startswith("https:") for c in checks):
        from .._net.http import ssl_context

        ssl_context(ctx)  # once, here: a CA bundle that does not load is the command's error
    done = threading.Condition()
    pending = list(checks)

    def work(item):
        outcome = item.probe(ctx, timeout)
        with done:
            if item in pending:  # not already given up on
                pending.remove(item)
                item.record(outcome)
                done.notify()

    started = time.monotonic()
    for item in checks:
        threading.Thread(target=work, args=(item,), name="atomic-check-" + item.provider.id, daemon=True).start()
    with StatusLine(ctx) as line, done:
        # request() ends every exchange by its deadline; the margin only covers thread start-up.
        while pending and time.monotonic() - started < timeout + 5:
            line.show("checking %s (%ds)" % (", ".join(c.provider.id for c in pending), time.monotonic() - started))
            done.wait(0.25)
        for item in pending:
            item.record((False, None, "network: no answer within %g s" % timeout))
        del pending[:]


def _render(rows):
    from .._auth.profiles import entry_id

    good, bad = _marks(sys.stdout)
    table = [(good if r["ok"] else bad, entry_id(r["id"], r.get("profile")), r["source"] or "-", r["reason"] or "")
             for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(3)]
    for r in table:
        sys.stdout.write("  ".join(c.ljust(w) for c, w in zip(r[:3], widths)) + "  " + r[3] + "\n")


def _marks(stream):
    """✓ and ✗ where the output can show them, else + and x."""
    try:
        "✓✗".encode(stream.encoding or "ascii")
        return "✓", "✗"
    except (UnicodeEncodeError, LookupError):
        return "+", "x"

