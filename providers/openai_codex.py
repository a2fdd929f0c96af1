"""OpenAI Codex: ChatGPT Plus/Pro subscription login (browser PKCE or device code) and refresh;
a ChatGPT personal access token (`at-…`); and the Codex CLI's own login, linked (`--from codex`).

Facts from reference-pi.md §2.2 and sharing-logins.md §1. The stored record carries `accountId`,
the ChatGPT account (workspace) the access token belongs to, which every Codex request sends as
`chatgpt-account-id`, and `identity`: who signed in, read from the id_token's claims as the Codex
CLI reads them (openai/codex codex-rs/login/src/token_data.rs): `email` (or the profile claim's),
and in the `https://api.openai.com/auth` claim `chatgpt_account_id`, `chatgpt_user_id`,
`chatgpt_plan_type`.
"""
from providers import api

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
ISSUER = "https://auth.openai.com"
AUTHORIZE_URL = ISSUER + "/oauth/authorize"
TOKEN_URL = ISSUER + "/oauth/token"
PORT = 1455
CALLBACK_PATH = "/auth/callback"
REDIRECT_URI = "http://localhost:%d%s" % (PORT, CALLBACK_PATH)
SCOPE = "openid profile email offline_access"
DEVICE_CODE_URL = ISSUER + "/api/accounts/deviceauth/usercode"
DEVICE_TOKEN_URL = ISSUER + "/api/accounts/deviceauth/token"
DEVICE_PAGE = ISSUER + "/codex/device"
DEVICE_REDIRECT_URI = ISSUER + "/deviceauth/callback"
AUTH_CLAIM = "https://api.openai.com/auth"
PROFILE_CLAIM = "https://api.openai.com/profile"
# Revocation as `codex logout` does it (codex-rs/login/src/auth/revoke.rs): JSON {token,
# token_type_hint: "refresh_token", client_id}.
REVOKE_URL = ISSUER + "/oauth/revoke"
# What a personal access token (`at-…`) belongs to (codex-rs/login/src/auth/personal_access_token.rs).
WHOAMI_URL = ISSUER + "/api/accounts/v1/user-auth-credential/whoami"
PAT_PREFIX = "at-"

# auth.openai.com checks `originator` against a list tied to this client id and fails at the
# consent step ("missing_required_parameter") for names not on it; third-party names such as
# "pi" have been reported refused. The Codex CLI's own value is the one known to be accepted.
ORIGINATOR = "codex_cli_rs"

SSH_HINT = ("You are connected over SSH. On a machine without a browser, `atomic login openai-codex "
            "--device` is simpler: it shows a code to enter on any device. Otherwise forward the port "
            "first (ssh -L %d:127.0.0.1:%d this-host), or paste the address the browser ends up on, "
            "as below." % (PORT, PORT))


def login(ctx, options):
    """ChatGPT Plus/Pro in the browser, or with a device code (--device); a personal access token
    (--with-token); or a link to the Codex CLI's login (--from codex). Returns the record to save."""
    if options.get("from"):
        return _link(options["from"], ctx)
    if options.get("token") is not None:
        return _token_login(options["token"], ctx)
    if options.get("device"):
        return _device_login(ctx)
    code, verifier, _state = api.browser_login(ctx, "ChatGPT", _authorize_url, PORT, CALLBACK_PATH, SSH_HINT)
    return _exchange(ctx, code, verifier, REDIRECT_URI)


def _authorize_url(challenge, state):
    import urllib.parse

    return AUTHORIZE_URL + "?" + urllib.parse.urlencode([
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT_URI),
        ("scope", SCOPE),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("state", state),
        ("id_token_add_organizations", "true"),
        ("codex_cli_simplified_flow", "true"),
        ("originator", ORIGINATOR),
    ])


def _exchange(ctx, code, verifier, redirect_uri):
    doc = api.token_request(TOKEN_URL, ctx, {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": redirect_uri,
    }, as_json=False, refused=api.LoginFailed, what="the authorization code")
    access, refresh_token, expires = api.token_fields(doc, "auth.openai.com", ctx, want_refresh=True)
    account_id = _account_id_from_token(access)
    if not account_id:
        raise api.LoginFailed("the ChatGPT token names no ChatGPT account (claim %s, chatgpt_account_id); "
                          "sign in with an account that has a ChatGPT Plus or Pro plan" % AUTH_CLAIM)
    record = {"type": "oauth", "access": access, "refresh": refresh_token,
              "expires": expires, "accountId": account_id}
    identity = identity_of(doc.get("id_token"), access)
    if identity:
        record["identity"] = identity
    return record


def _device_login(ctx):
    """Device-code login for machines without a browser (show a code, poll, then exchange)."""
    resp = api.request("POST", DEVICE_CODE_URL, ctx, json_body={"client_id": CLIENT_ID})
    if resp.status == 404:
        raise api.LoginFailed("auth.openai.com does not offer device-code login for this client right now; "
                          "use `atomic login openai-codex` without --device and paste the redirect address")
    if not resp.ok:
        raise api.NetworkError("auth.openai.com answered HTTP %d when asked for a device code (%s); try again later"
                           % (resp.status, resp.error_text()))
    doc = resp.json()
    device_auth_id = doc.get("device_auth_id") if isinstance(doc, dict) else None
    user_code = (doc.get("user_code") or doc.get("usercode")) if isinstance(doc, dict) else None
    if not isinstance(device_auth_id, str) or not device_auth_id or not isinstance(user_code, str):
        raise api.NetworkError("auth.openai.com answered the device-code request without device_auth_id or user_code")
    api.show_device_code(ctx, DEVICE_PAGE, user_code, "ChatGPT")

    def attempt():
        poll = api.request("POST", DEVICE_TOKEN_URL, ctx, json_body={"device_auth_id": device_auth_id,
                                                                  "user_code": user_code})
        return _poll_outcome(poll)

    granted = api.poll_device(attempt, doc.get("interval"), doc.get("expires_in"), ctx)
    return _exchange(ctx, granted["authorization_code"], granted["code_verifier"], DEVICE_REDIRECT_URI)


def _poll_outcome(resp):
    """One device-token poll as ("ok", grant) | ("pending", None) | ("slow_down", interval)."""
    doc = resp.json_or_none()
    if resp.ok:
        if (isinstance(doc, dict) and isinstance(doc.get("authorization_code"), str)
                and isinstance(doc.get("code_verifier"), str)):
            return "ok", doc
        raise api.NetworkError("auth.openai.com approved the device code but sent no authorization_code "
                           "and code_verifier; try again")
    error = doc.get("error") if isinstance(doc, dict) else None
    if isinstance(error, dict):
        error = error.get("code") or error.get("type")
    if error == "slow_down" or resp.status == 429:
        return "slow_down", doc.get("interval") if isinstance(doc, dict) else None
    if resp.status in (403, 404) or error in ("deviceauth_authorization_pending", "authorization_pending"):
        return "pending", None
    if error in ("access_denied", "expired_token", "deviceauth_expired", "deviceauth_denied"):
        raise api.LoginFailed("the device sign-in was %s; run `atomic login openai-codex --device` again"
                          % ("denied" if "denied" in error else "not approved in time"))
    if resp.status >= 500:
        raise api.NetworkError("auth.openai.com answered HTTP %d while waiting for the device sign-in (%s); "
                           "try again later" % (resp.status, resp.error_text()))
    raise api.LoginFailed("auth.openai.com refused the device sign-in (HTTP %d: %s)" % (resp.status, resp.error_text()))


def refresh(entry, ctx):
    """New tokens for a stored ChatGPT login (form-encoded, as the Codex CLI sends them)."""
    doc = api.token_request(TOKEN_URL, ctx, {
        "grant_type": "refresh_token",
        "refresh_token": entry["refresh"],
        "client_id": CLIENT_ID,
    }, as_json=False, refused=api.LoginAgain, what="the refresh token",
        deadline=ctx.refresh_deadline)
    access, new_refresh, expires = api.token_fields(doc, "auth.openai.com", ctx, want_refresh=False)
    # The refresh token may already be rotated and spent, so keep this answer even when the new
    # token's claim is missing: the account does not change with a refresh.
    account_id = _account_id_from_token(access) or entry.get("accountId")
    if not account_id:
        raise api.keeping(api.LoginAgain("the refreshed ChatGPT token names no ChatGPT account"), new_refresh)
    fresh = {"access": access, "expires": expires, "accountId": account_id, "refresh": new_refresh}
    identity = identity_of(doc.get("id_token"), access)
    if identity:
        fresh["identity"] = identity
    return fresh


def revoke(entry, ctx):
    """Revoke the stored refresh token at auth.openai.com, as `codex logout` does."""
    resp = api.request("POST", REVOKE_URL, ctx, json_body={
        "token": entry["refresh"], "token_type_hint": "refresh_token", "client_id": CLIENT_ID})
    if not resp.ok:
        raise api.NetworkError("auth.openai.com answered HTTP %d to the revocation (%s)" % (resp.status, resp.error_text()))


def _claims(token):
    """The payload of a JWT as a dict ({} for anything else)."""
    import base64
    import json

    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        return {}
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _account_id_from_token(token):
    """chatgpt_account_id from the access token's JWT payload, or None."""
    return identity_of(None, token).get("account")


def identity_of(id_token, access=None):
    """{"email", "account", "user", "plan"}: who a ChatGPT login belongs to, from the id_token's
    claims (the access token's where the id_token says nothing)."""
    found = {}
    for token in (access, id_token):  # the id_token's claims win
        claims = _claims(token)
        auth = claims.get(AUTH_CLAIM) if isinstance(claims.get(AUTH_CLAIM), dict) else {}
        profile = claims.get(PROFILE_CLAIM) if isinstance(claims.get(PROFILE_CLAIM), dict) else {}
        values = {"email": claims.get("email") or profile.get("email"), "account": auth.get("chatgpt_account_id"),
                  "user": auth.get("chatgpt_user_id") or auth.get("user_id"), "plan": auth.get("chatgpt_plan_type")}
        found.update((k, v) for k, v in values.items() if isinstance(v, str) and v)
    return found


def headers(credential):
    """Bearer token plus the ChatGPT account the Codex backend needs."""
    lines = [("Authorization", "Bearer " + credential.value)]
    account_id = _account_id(credential)
    if account_id:
        lines.append(("chatgpt-account-id", account_id))
    return lines


def _account_id(credential):
    return ((credential.entry or {}).get("accountId") or credential.details.get("accountId")
            or _account_id_from_token(credential.value))


_WHOAMI = {}  # token -> its identity, asked once per process


def prepare(request, credential, model, ctx):
    """A personal access token from the environment (CODEX_ACCESS_TOKEN) names no account in
    itself: auth.openai.com says which, once per process."""
    token = credential.value or ""
    if token.startswith(PAT_PREFIX) and not _account_id(credential):
        if token not in _WHOAMI:
            _WHOAMI[token] = _whoami(token, ctx, api.LoginAgain)
        request.headers.set("chatgpt-account-id", _WHOAMI[token]["account"])


# A personal access token (`atomic login openai-codex --with-token`) ----------------------------

def _token_login(token, ctx):
    """The auth.json record of a ChatGPT personal access token: never refreshed, so it is stored as
    a key, with the account and identity auth.openai.com gives for it."""
    if not token.startswith(PAT_PREFIX):
        raise api.UsageError("a ChatGPT personal access token starts with at- (Business and Enterprise "
                             "workspaces make them; CODEX_ACCESS_TOKEN); this is not one")
    identity = _whoami(token, ctx, api.LoginFailed)
    return {"type": "api_key", "key": token, "accountId": identity["account"], "identity": identity}


def _whoami(token, ctx, refused):
    """{"email", "account", "user", "plan"} of a personal access token, from auth.openai.com."""
    resp = api.request("GET", WHOAMI_URL, ctx, secret_headers={"Authorization": "Bearer " + token})
    if resp.status in (401, 403):
        raise refused("auth.openai.com did not accept the ChatGPT access token (HTTP %d: %s); it was revoked "
                      "or has expired: make a new one in the ChatGPT admin console" % (resp.status, resp.error_text()))
    doc = resp.json_or_none() if resp.ok else None
    if not isinstance(doc, dict) or not isinstance(doc.get("chatgpt_account_id"), str) or not doc["chatgpt_account_id"]:
        raise api.NetworkError("auth.openai.com answered HTTP %d when asked whose access token this is (%s)"
                               % (resp.status, resp.error_text()))
    values = {"email": doc.get("email"), "account": doc["chatgpt_account_id"], "user": doc.get("chatgpt_user_id"),
              "plan": doc.get("chatgpt_plan_type")}
    return {k: v for k, v in values.items() if isinstance(v, str) and v}


def export(credential, ctx):
    """Nothing: a ChatGPT token is good only for the Codex backend, and no tool reads one from
    the environment (the Codex CLI keeps its own login)."""
    return {}


def account(entry):
    """The ChatGPT account id stored at login."""
    value = entry.get("accountId") if entry else None
    return value if isinstance(value, str) and value else None


# The Codex CLI's own login (`atomic login openai-codex --from codex`) ----------------------------
# A link, never a copy (sharing-logins.md §1, §5): $CODEX_HOME/auth.json is read at every use and
# after every refusal, never written, none of Codex's lock files is taken, and Codex's refresh
# token is never spent by atomic. When the access token has run out, Codex is asked to refresh its
# own login through its app server (`account/read` with refreshToken: true, §1.7); where that
# cannot be done, the message says what to run.

CODEX_REFRESH_DEADLINE = 30.0  # seconds for Codex's app server to refresh and answer


def _link(source, ctx):
    if source != "codex":
        raise api.UsageError("--from %s: openai-codex can use the Codex CLI's login: --from codex" % source)
    home = _codex_home(ctx)
    _codex_tokens(home)  # what is wrong with it is said now, not at its first use
    return {"type": "linked", "from": "codex", "home": home}


def linked(record, ctx, stale):
    """The token the Codex CLI holds now, read from its auth.json. stale: a token that ran out or
    was refused; if Codex still holds it, Codex is asked to refresh its own login first."""
    home = record.get("home")
    if not isinstance(home, str) or not home:
        raise api.BadFile("the link to the Codex login names no folder (\"home\"); run `atomic login openai-codex "
                          "--from codex` again")
    tokens = _codex_tokens(home)
    if stale is not None and tokens["access_token"] == stale:
        _ask_codex_to_refresh(home, ctx)
        tokens = _codex_tokens(home)
        if tokens["access_token"] == stale:
            raise api.LoginAgain("Codex answered but still holds the same token in %s; run `codex login`"
                                 % _codex_file(home))
    access = tokens["access_token"]
    identity = identity_of(tokens.get("id_token"), access)
    if isinstance(tokens.get("account_id"), str) and tokens["account_id"]:
        identity["account"] = tokens["account_id"]  # the workspace Codex signed in to
    exp = _claims(access).get("exp")
    expires = int(exp * 1000) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None
    return api.Credential(access, "from codex", expires=expires,
                          details={"accountId": identity.get("account"), "identity": identity, "file": _codex_file(home)})


def _codex_home(ctx):
    import os

    home = ctx.env("CODEX_HOME") or os.path.join(ctx.environ.get("HOME") or os.path.expanduser("~"), ".codex")
    return os.path.abspath(os.path.expanduser(home.strip()))


def _codex_file(home):
    import os

    return os.path.join(home, "auth.json")


def _codex_tokens(home):
    """Codex's `tokens` object ({access_token, refresh_token, id_token, account_id}), read without
    any lock; LoginAgain saying what to run when there is no ChatGPT login to read."""
    import json
    import time

    path = _codex_file(home)
    for attempt in range(3):
        try:
            with open(path, "rb") as f:
                raw = f.read(1 << 20)
        except FileNotFoundError:
            raise _no_codex_file(home)
        except OSError as exc:
            raise api.LoginAgain("cannot read the Codex login %s (%s); atomic reads it with your rights"
                                 % (path, exc.strerror))
        try:
            doc = json.loads(raw.decode("utf-8"))
            break
        except (ValueError, UnicodeDecodeError):
            if attempt == 2:  # older Codex versions wrote in place: a half-written file is retried first
                raise api.LoginAgain("the Codex login %s is not valid JSON; run `codex login`" % path)
            time.sleep(0.1)
    tokens = doc.get("tokens") if isinstance(doc, dict) else None
    if not isinstance(tokens, dict) or not isinstance(tokens.get("access_token"), str) or not tokens["access_token"]:
        if isinstance(doc, dict) and doc.get("OPENAI_API_KEY"):
            raise api.LoginAgain("Codex is signed in with an API key, not with ChatGPT (%s); use `atomic login "
                                 "openai` for a key, or run `codex login` with ChatGPT" % path)
        raise api.LoginAgain("Codex holds no ChatGPT login in %s; run `codex login`" % path)
    if not api.token_safe(tokens["access_token"]):
        raise api.LoginAgain("the Codex login %s holds an access token atomic cannot send; run `codex login`" % path)
    return tokens


def _no_codex_file(home):
    """Why there is no $CODEX_HOME/auth.json: Codex keeps its login in the keyring, or is not signed in."""
    import os
    import re

    mode = None
    try:
        with open(os.path.join(home, "config.toml"), encoding="utf-8", errors="replace") as f:
            found = re.search(r"(?m)^\s*cli_auth_credentials_store\s*=\s*[\"']?(\w+)", f.read(1 << 20))
            mode = found.group(1) if found else None
    except OSError:
        pass
    if mode in ("keyring", "auto"):
        return api.LoginAgain("Codex keeps its login in the system keyring (cli_auth_credentials_store = \"%s\" in "
                              "%s/config.toml), and atomic reads only its file: set it to \"file\" and run `codex "
                              "login` again, or sign in to atomic itself: atomic login openai-codex" % (mode, home))
    return api.LoginAgain("Codex is not signed in here (no %s); run `codex login`, or set CODEX_HOME to its "
                          "folder before `atomic login openai-codex --from codex`" % _codex_file(home))


def _ask_codex_to_refresh(home, ctx):
    """Have the installed Codex refresh its own login: `codex app-server`, initialize, then
    account/read {"refreshToken": true}. Codex spends its refresh token and writes its file itself."""
    import shutil
    import subprocess

    ran_out = "the ChatGPT token of the Codex CLI (%s) has run out, and Codex refreshes it itself" % _codex_file(home)
    program = shutil.which("codex", path=ctx.environ.get("PATH") or None)
    if program is None:
        raise api.LoginAgain("%s; Codex is not on PATH here: open Codex once (`codex`) so it refreshes its login, "
                             "or run `codex login`" % ran_out)
    env = dict(ctx.environ, CODEX_HOME=home)
    try:
        proc = subprocess.Popen([program, "app-server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env, start_new_session=True, close_fds=True)
    except OSError as exc:
        raise api.LoginAgain("%s; could not start `codex app-server` (%s): open Codex once (`codex`), or run "
                             "`codex login`" % (ran_out, exc.strerror))
    try:
        problem = _refresh_over_rpc(proc)
    finally:
        _stop(proc)
    if problem:
        raise api.LoginAgain("%s; `codex app-server` did not refresh it (%s): open Codex once (`codex`), or run "
                             "`codex login`" % (ran_out, problem))


def _refresh_over_rpc(proc):
    """None once Codex answered account/read with a refresh; else what went wrong, in words."""
    import json

    lines = _lines(proc.stdout, CODEX_REFRESH_DEADLINE)

    def call(number, method, params):
        _send(proc, {"method": method, "id": number, "params": params})
        for line in lines:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict) and message.get("id") == number:
                error = message.get("error")
                return (error.get("message") if isinstance(error, dict) else str(error)) if error else None
        return "no answer to %s within %g s" % (method, CODEX_REFRESH_DEADLINE)

    try:
        problem = call(1, "initialize", {"clientInfo": {"name": "atomic", "title": "atomic", "version": "1"}})
        if problem:
            return problem
        _send(proc, {"method": "initialized"})
        return call(2, "account/read", {"refreshToken": True})
    except OSError as exc:
        return "it stopped (%s)" % (exc.strerror or exc)


def _send(proc, message):
    import json

    proc.stdin.write((json.dumps(message) + "\n").encode("utf-8"))
    proc.stdin.flush()


def _lines(stream, seconds):
    """The lines of stream as they come, until it ends or `seconds` have passed."""
    import os
    import selectors
    import time

    deadline, pending = time.monotonic() + seconds, b""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(max(0.0, deadline - time.monotonic())):
                continue
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                return
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                yield line.decode("utf-8", "replace")


def _stop(proc):
    import os
    import signal
    import subprocess

    for stream in (proc.stdin, proc.stdout):
        try:
            stream.close()
        except OSError:
            pass
    try:
        proc.wait(2)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait()
