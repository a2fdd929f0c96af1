"""OpenAI Codex: ChatGPT Plus/Pro subscription login (browser PKCE or device code) and refresh.

Facts from reference-pi.md §2.2. The stored record carries `accountId`, the ChatGPT account the
access token belongs to, which every Codex request sends as `chatgpt-account-id`.
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

# auth.openai.com checks `originator` against a list tied to this client id and fails at the
# consent step ("missing_required_parameter") for names not on it; third-party names such as
# "pi" have been reported refused. The Codex CLI's own value is the one known to be accepted.
ORIGINATOR = "codex_cli_rs"

SSH_HINT = ("You are connected over SSH. On a machine without a browser, `atomic login openai-codex "
            "--device` is simpler: it shows a code to enter on any device. Otherwise forward the port "
            "first (ssh -L %d:127.0.0.1:%d this-host), or paste the address the browser ends up on, "
            "as below." % (PORT, PORT))


def login(ctx, options):
    """ChatGPT Plus/Pro in the browser, or with a device code (--device); returns the auth.json record."""
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
    return {"type": "oauth", "access": access, "refresh": refresh_token,
            "expires": expires, "accountId": account_id}


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
    return {"access": access, "expires": expires, "accountId": account_id, "refresh": new_refresh}


def _account_id_from_token(token):
    """chatgpt_account_id from the access token's JWT payload, or None."""
    import base64
    import json

    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    claim = payload.get(AUTH_CLAIM) if isinstance(payload, dict) else None
    account_id = claim.get("chatgpt_account_id") if isinstance(claim, dict) else None
    return account_id if isinstance(account_id, str) and account_id else None


def headers(credential):
    """Bearer token plus the ChatGPT account the Codex backend needs."""
    lines = [("Authorization", "Bearer " + credential.value)]
    account_id = (credential.entry or {}).get("accountId") or _account_id_from_token(credential.value)
    if account_id:
        lines.append(("chatgpt-account-id", account_id))
    return lines


def export(credential, ctx):
    """Nothing: a ChatGPT token is good only for the Codex backend, and no tool reads one from
    the environment (the Codex CLI keeps its own login)."""
    return {}


def account(entry):
    """The ChatGPT account id stored at login."""
    value = entry.get("accountId") if entry else None
    return value if isinstance(value, str) and value else None
