"""Anthropic: Claude Pro/Max subscription login (OAuth, PKCE) and the headers for either kind of key.

Facts from reference-pi.md §2.1. Third-party use of a Claude subscription draws from the
account's extra usage, billed per token (README, "Claude Pro/Max").

Who signed in: the token endpoint's answer carries `account` {uuid, email_address} and
`organization` {uuid, name}; the plan is the organization's `organization_type` (claude_pro,
claude_max, claude_team, ...) and `rate_limit_tier` from GET api.anthropic.com/api/oauth/profile
(beta oauth-2025-04-20, scope user:profile), as Claude Code and usage monitors read them.
Anthropic publishes no endpoint to revoke these tokens, so `logout --revoke` is refused here.
"""
from providers import api

CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
AUTHORIZE_URL = "https://claude.ai/oauth/authorize"
TOKEN_URL = "https://platform.claude.com/v1/oauth/token"
PORT = 53692
CALLBACK_PATH = "/callback"
REDIRECT_URI = "http://localhost:%d%s" % (PORT, CALLBACK_PATH)
SCOPES = ("org:create_api_key user:profile user:inference user:sessions:claude_code "
          "user:mcp_servers user:file_upload")
MARGIN_MS = 5 * 60 * 1000  # stored expiry is 5 minutes early, as the Atomic agent stores it

# The token endpoint answers 429 (or 404) to some clients by User-Agent prefix: "claude-cli/"
# and later "claude-code/" were both blocked there in 2026, while the Claude Code CLI itself
# calls this endpoint through a plain axios client. So the token calls identify as that client;
# change it here if the endpoint starts refusing it.
TOKEN_USER_AGENT = "axios/1.7.9"
PROFILE_URL = "https://api.anthropic.com/api/oauth/profile"
PROFILE_BETA = "oauth-2025-04-20"
SETUP_TOKEN_PREFIX = "sk-ant-oat"

OAUTH_BETAS = "claude-code-20250219,oauth-2025-04-20"
# What the Messages API expects of a request made with a subscription token (reference §2.1).
CLAUDE_CODE_USER_AGENT = "claude-cli/2.1.75"
CLAUDE_CODE_AGENTS = ("claude-cli/", "claude-code/")   # how Claude Code names itself
CLAUDE_CODE_SYSTEM = "You are Claude Code, Anthropic's official CLI for Claude."

BILLING_NOTE = ("Note: third-party use of a Claude Pro/Max subscription (atomic's too) draws from the account's "
                "extra usage, billed per token, not from the plan's included usage.")
SSH_HINT = ("You are connected over SSH: sign in with a browser on your own computer. Either forward "
            "the callback port first (ssh -L %d:127.0.0.1:%d this-host) so the browser reaches atomic "
            "here, or paste the address the browser ends up on, as below." % (PORT, PORT))


def login(ctx, options):
    """Claude Pro/Max in the browser, or a long-lived token of `claude setup-token` (--with-token);
    returns the auth.json record."""
    if options.get("from"):
        raise api.UsageError("Claude Code's login is not shared: its refresh protocol is private and changes, a "
                             "refresh token spent by another program logs every Claude Code session out, and "
                             "Anthropic reserves those tokens for Claude Code. Make a one-year token with `claude "
                             "setup-token` and give it to atomic (CLAUDE_CODE_OAUTH_TOKEN, or `atomic login anthropic "
                             "--with-token`), or run `atomic serve` as Claude Code's gateway")
    if options.get("token") is not None:
        return _token_login(options["token"])
    if options.get("device"):
        raise api.UsageError("Claude has no device-code login; over SSH, paste the redirect address, or "
                         "forward the port: ssh -L %d:127.0.0.1:%d HOST" % (PORT, PORT))
    # The menu row says so too; people typing `atomic login claude --oauth` see it here.
    code, verifier, state = api.browser_login(ctx, "Claude", _authorize_url, PORT, CALLBACK_PATH, SSH_HINT,
                                              note=BILLING_NOTE)
    doc = api.token_request(TOKEN_URL, ctx, {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "code": code,
        "state": state,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }, as_json=True, refused=api.LoginFailed, what="the authorization code", headers={"User-Agent": TOKEN_USER_AGENT})
    access, refresh, expires = api.token_fields(doc, "platform.claude.com", ctx, want_refresh=True,
                                                   margin_ms=MARGIN_MS)
    record = {"type": "oauth", "access": access, "refresh": refresh, "expires": expires}
    identity = dict(_identity(doc), **_plan(access, ctx))
    if identity:
        record["identity"] = identity
    return record


def _token_login(token):
    """A token of `claude setup-token`: inference only, a year long, never refreshed; stored as a key."""
    if not token.startswith(SETUP_TOKEN_PREFIX):
        raise api.UsageError("a Claude Code token (from `claude setup-token`) starts with %s; for an API key, run "
                             "`atomic login anthropic --key`" % SETUP_TOKEN_PREFIX)
    return {"type": "api_key", "key": token}


def _identity(doc):
    """{"email", "user", "account", "accountName"} from a token answer's account and organization."""
    account = doc.get("account") if isinstance(doc.get("account"), dict) else {}
    org = doc.get("organization") if isinstance(doc.get("organization"), dict) else {}
    values = {"email": account.get("email_address"), "user": account.get("uuid"), "account": org.get("uuid"),
              "accountName": org.get("name")}
    return {k: v for k, v in values.items() if isinstance(v, str) and v}


def _plan(access, ctx):
    """{"plan"} from the OAuth profile (the organization's type and rate-limit tier); {} when it does
    not answer: the login stands without it."""
    try:
        resp = api.request("GET", PROFILE_URL, ctx, headers={"anthropic-beta": PROFILE_BETA},
                           secret_headers={"Authorization": "Bearer " + access}, deadline=5.0)
    except api.NetworkError:
        return {}
    doc = resp.json_or_none() if resp.ok else None
    org = doc.get("organization") if isinstance(doc, dict) and isinstance(doc.get("organization"), dict) else {}
    kind, tier = org.get("organization_type"), org.get("rate_limit_tier")
    plan = " ".join(v for v in (kind, "(%s)" % tier if isinstance(tier, str) and tier else None)
                    if isinstance(v, str) and v)
    return {"plan": plan} if plan else {}


def _authorize_url(challenge, state):
    import urllib.parse

    return AUTHORIZE_URL + "?" + urllib.parse.urlencode([
        ("code", "true"),
        ("client_id", CLIENT_ID),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", SCOPES),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("state", state),
    ])


def refresh(entry, ctx):
    """New access token (and refresh token when rotated) for a stored Claude login."""
    doc = api.token_request(TOKEN_URL, ctx, {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "refresh_token": entry["refresh"],
    }, as_json=True, refused=api.LoginAgain, what="the refresh token", headers={"User-Agent": TOKEN_USER_AGENT},
        deadline=ctx.refresh_deadline)
    access, new_refresh, expires = api.token_fields(doc, "platform.claude.com", ctx, want_refresh=False,
                                                       margin_ms=MARGIN_MS)
    fresh = {"access": access, "expires": expires, "refresh": new_refresh}  # None: _refresh keeps the stored one
    identity = _identity(doc)
    if identity:
        fresh["identity"] = identity
    return fresh


def is_subscription(credential):
    """A Claude subscription token (stored by the OAuth login, or any sk-ant-oat token)."""
    return credential.is_oauth or "sk-ant-oat" in (credential.value or "")


def headers(credential):
    """A subscription token goes as a bearer with the OAuth betas; an API key as the API says."""
    if is_subscription(credential):
        return [("Authorization", "Bearer " + credential.value), ("anthropic-beta", OAUTH_BETAS)]
    return None


def prepare(request, credential, model, ctx):
    """A subscription token is served only to requests that look like Claude Code's: its
    identity headers, and a system prompt whose first block is Claude Code's line. A request that
    is Claude Code's own already (atomic serve passing it on) is left as it came: serve never
    presents one program as another."""
    if not is_subscription(credential):
        return
    agent = next((value for name, value in request.headers.items() if name.lower() == "user-agent"), "")
    if agent.startswith(CLAUDE_CODE_AGENTS):
        return
    request.headers.set("user-agent", CLAUDE_CODE_USER_AGENT)
    request.headers.set("x-app", "cli")
    request.headers.set("anthropic-dangerous-direct-browser-access", "true")
    body = request.json
    if isinstance(body, dict):
        system = body.get("system")
        blocks = [{"type": "text", "text": system}] if isinstance(system, str) else list(system or [])
        if not (blocks and blocks[0].get("text") == CLAUDE_CODE_SYSTEM):
            blocks.insert(0, {"type": "text", "text": CLAUDE_CODE_SYSTEM})
        body["system"] = [b for b in blocks if b.get("text")]


def lend(credential, user_agent):
    """atomic serve lends a subscription token to Claude Code's own requests alone; an API key to
    anyone the client token allows."""
    if not is_subscription(credential) or user_agent.startswith(CLAUDE_CODE_AGENTS):
        return None
    return ("it is signed in with a Claude subscription, which atomic serve lends to Claude Code alone (another "
            "program would have to pass as Claude Code, and Anthropic bills such use as extra usage): use an "
            "Anthropic API key (`atomic login anthropic --key`) or a model of another provider")


def export(credential, ctx):
    """A subscription token as ANTHROPIC_OAUTH_TOKEN (what pi and the Atomic agent read first),
    an API key as ANTHROPIC_API_KEY. A long-lived token of `claude setup-token` also goes as
    CLAUDE_CODE_OAUTH_TOKEN, where Claude Code reads it."""
    if not is_subscription(credential):
        return {"ANTHROPIC_API_KEY": credential.value}
    found = {"ANTHROPIC_OAUTH_TOKEN": credential.value}
    if not credential.is_oauth:
        found["CLAUDE_CODE_OAUTH_TOKEN"] = credential.value
    return found


def account(entry):
    """The e-mail of the login, when the token endpoint named it (the Atomic agent stores none)."""
    identity = entry.get("identity") if isinstance(entry, dict) else None
    email = identity.get("email") if isinstance(identity, dict) else None
    return email if isinstance(email, str) and email else None
