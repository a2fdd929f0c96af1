"""GitLab Duo for atomic: Claude and GPT models through GitLab's AI gateway, with your GitLab login.

Install (the file's name becomes the provider id, gitlab-duo):

    mkdir -p ~/.atomic/agent/extensions && cp examples/extensions/custom_provider_gitlab_duo.py ~/.atomic/agent/extensions/gitlab_duo.py

Then `atomic login gitlab-duo --oauth` (gitlab.com, or `--enterprise-domain gitlab.example.com` for
a self-managed instance), or set GITLAB_TOKEN to a personal access token (scope `api`; GITLAB_HOST
for a self-managed instance), and `atomic ask -m gitlab-duo/claude-sonnet-4-6 "..."`.

How it works: the GitLab token (OAuth, 2 hours, refreshed by atomic; or a PAT) is exchanged at
`POST https://<gitlab>/api/v4/ai/third_party_agents/direct_access` for a short-lived gateway token
and the headers that go with it. That grant is kept in memory, per GitLab token, until shortly
before it expires, and every request goes to cloud.gitlab.com with it: Claude models through the
Anthropic Messages route, GPT models through the OpenAI Responses route. The GitLab token itself
never goes to cloud.gitlab.com. Facts: reference-pi.md §11.6 and notes/extensions-facts.md.
"""
from providers import api

GITLAB = "gitlab.com"
# The application pi registered on gitlab.com (public, PKCE, scope api, this redirect URI). A
# self-managed instance has its own, which the login asks for and stores with the tokens.
GITLAB_COM_APPLICATION = "da4edff2e6ebd2bc3208611e2768bc1c1dd7be791dc5ff26ca34ca9ee44f7d4b"
PORT = 8080
CALLBACK_PATH = "/callback"
REDIRECT_URI = "http://127.0.0.1:%d%s" % (PORT, CALLBACK_PATH)
SCOPE = "api"
MARGIN_MS = 5 * 60 * 1000               # stored expiry is 5 minutes early (access tokens last 2 hours)
GATEWAY = "https://cloud.gitlab.com/ai/v1/proxy"
ANTHROPIC_ROUTE = GATEWAY + "/anthropic"  # + /v1/messages
OPENAI_ROUTE = GATEWAY + "/openai/v1"     # + /responses
DIRECT_ACCESS_BODY = {"feature_flags": {"DuoAgentPlatformNext": True}}
GRANT_LIFETIME = 25 * 60                # seconds a grant is used when GitLab says nothing of its expiry
GRANT_MARGIN = 60                       # seconds before a stated expiry that it is fetched again
_NOT_FORWARDED = ("authorization", "x-api-key")  # the grant's token goes as the bearer; no key header

DENIED_HINT = ("GitLab Duo access denied: ensure GitLab Duo (with the Agent Platform) is enabled for your "
               "account and its top-level group, and that you have a Duo seat")
SSH_HINT = ("You are connected over SSH: sign in with a browser on your own computer. Either forward the "
            "callback port first (ssh -L %d:127.0.0.1:%d this-host), or paste the address the browser ends "
            "up on, as below." % (PORT, PORT))

PROVIDERS = [api.Provider(
    "gitlab-duo", "GitLab Duo", env="GITLAB_TOKEN", base_url="https://gitlab.com", api="openai-responses",
    auth="key oauth", subscription="GitLab Duo (gitlab.com or self-managed GitLab)",
    login_options=("enterprise_domain",), settings=("GITLAB_HOST",), aliases="duo", key_prefixes="glpat-")]


def _claude(model_id, name, context):
    return {"id": model_id, "name": name, "api": "anthropic-messages", "baseUrl": ANTHROPIC_ROUTE,
            "reasoning": True, "input": ["text", "image"], "contextWindow": context, "maxTokens": 64000,
            "thinkingLevelMap": {"xhigh": "max"}}


def _gpt(model_id, name, context):
    return {"id": model_id, "name": name, "api": "openai-responses", "baseUrl": OPENAI_ROUTE,
            "reasoning": True, "input": ["text", "image"], "contextWindow": context, "maxTokens": 128000}


MODELS = (
    _claude("claude-opus-4-8", "Claude Opus 4.8 (GitLab Duo)", 1000000),
    _claude("claude-sonnet-4-6", "Claude Sonnet 4.6 (GitLab Duo)", 1000000),
    _claude("claude-opus-4-5-20251101", "Claude Opus 4.5 (GitLab Duo)", 200000),
    _claude("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5 (GitLab Duo)", 200000),
    _claude("claude-haiku-4-5-20251001", "Claude Haiku 4.5 (GitLab Duo)", 200000),
    _gpt("gpt-5.5-2026-04-23", "GPT-5.5 (GitLab Duo)", 272000),
    _gpt("gpt-5.1-2025-11-13", "GPT-5.1 (GitLab Duo)", 128000),
    _gpt("gpt-5-mini-2025-08-07", "GPT-5 Mini (GitLab Duo)", 128000),
    _gpt("gpt-5-codex", "GPT-5-Codex (GitLab Duo)", 128000),
)


def models(ctx):
    """The models GitLab's gateway serves (Duo is paid by seat: no per-token cost)."""
    return [dict(model) for model in MODELS]


# Signing in ---------------------------------------------------------------------------------

def login(ctx, options):
    """PKCE in the browser against gitlab.com or a self-managed instance; the auth.json record."""
    host = _choose_host(options, ctx)
    application = GITLAB_COM_APPLICATION if host == GITLAB else _ask_application(host, ctx)
    code, verifier, _state = api.browser_login(ctx, "GitLab (%s)" % host,
                                               lambda challenge, state: _authorize_url(host, application, challenge, state),
                                               PORT, CALLBACK_PATH, SSH_HINT, host="127.0.0.1")
    doc = api.token_request("https://%s/oauth/token" % host, ctx, {
        "client_id": application,
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": REDIRECT_URI,
    }, as_json=False, refused=api.LoginFailed, what="the authorization code")
    # The lifetime counts from now on this machine's clock, not from GitLab's created_at, so a
    # clock that is off does not make a token look valid longer than it is.
    access, refresh_token, expires = api.token_fields(doc, host, ctx, want_refresh=True, margin_ms=MARGIN_MS)
    record = {"type": "oauth", "access": access, "refresh": refresh_token, "expires": expires}
    if host != GITLAB:
        record.update(instanceUrl=host, clientId=application)
    _check_access(access, host, ctx)
    return record


def _authorize_url(host, application, challenge, state):
    import urllib.parse

    return "https://%s/oauth/authorize?%s" % (host, urllib.parse.urlencode([
        ("client_id", application),
        ("redirect_uri", REDIRECT_URI),
        ("response_type", "code"),
        ("scope", SCOPE),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("state", state),
    ]))


def _check_access(token, host, ctx):
    """Say now, not at the first question, when the account has no Duo; the login stands either way."""
    try:
        _grant(token, host, ctx)
    except api.NetworkError as exc:
        ctx.warn("signed in, but %s" % exc.message)
    except api.LoginAgain as exc:
        ctx.warn("signed in, but the new token was not accepted for GitLab Duo: %s" % exc.message)


def _choose_host(options, ctx):
    """--enterprise-domain; else a question on a terminal; else a line of stdin (empty: gitlab.com)."""
    given = options.get("enterprise_domain")
    if given is not None:
        return _host(given, "--enterprise-domain")
    if api.interactive(ctx):
        return _host(api.ask(ctx, "Press Enter for gitlab.com, or enter your self-managed GitLab domain: "),
                     "the GitLab domain")
    ctx.say("Reading the GitLab domain from stdin (empty or no input: gitlab.com; or pass --enterprise-domain)")
    return _host(_line(ctx, "the GitLab domain"), "the GitLab domain on stdin")


def _ask_application(host, ctx):
    """The Application ID of this instance's OAuth application (a terminal question, else a line of stdin)."""
    where = ("Application ID of the OAuth application on %s (register one at https://%s/-/user_settings/applications, "
             "or ask an administrator for an instance-wide one: redirect URI %s, scope api, not confidential)"
             % (host, host, REDIRECT_URI))
    if api.interactive(ctx):
        answer = api.ask(ctx, where + ": ")
    else:
        ctx.say("Reading the " + where + " from stdin")
        answer = _line(ctx, "the Application ID")
    answer = answer.strip()
    if not answer or len(answer) > 256 or any(ch.isspace() for ch in answer) or api.has_control_chars(answer):
        raise api.UsageError("the Application ID of %s is a single word (64 hexadecimal characters on GitLab); "
                             "copy it from the application's page" % host)
    return answer


def _line(ctx, what):
    try:
        return ctx.stdin.readline(4096) if ctx.stdin is not None else ""
    except (OSError, ValueError):
        raise api.UsageError("could not read %s from stdin; pass --enterprise-domain DOMAIN, or redirect stdin "
                             "from /dev/null for gitlab.com" % what)


def _host(text, where):
    """The host of a domain or URL; gitlab.com when empty; UsageError when it is neither."""
    if not (text or "").strip():
        return GITLAB
    host = api.domain_host(text)
    if host is None:
        raise api.UsageError("%s %r is not a domain or URL; give the instance's address, e.g. gitlab.example.com "
                             "(empty for gitlab.com)" % (where, text.strip()[:100]))
    return host


def refresh(entry, ctx):
    """New tokens from the stored refresh token (GitLab spends it; a reply without a new one keeps it)."""
    host = _stored_host(entry)
    application = entry.get("clientId") if host != GITLAB else GITLAB_COM_APPLICATION
    if not isinstance(application, str) or not application:
        raise api.LoginAgain("the stored gitlab-duo login for %s has no clientId (the Application ID)" % host)
    doc = api.token_request("https://%s/oauth/token" % host, ctx, {
        "client_id": application,
        "grant_type": "refresh_token",
        "refresh_token": entry["refresh"],
        "redirect_uri": REDIRECT_URI,  # GitLab's documentation sends it, and it must match the login's
    }, as_json=False, refused=api.LoginAgain, what="the refresh token", deadline=ctx.refresh_deadline)
    access, new_refresh, expires = api.token_fields(doc, host, ctx, want_refresh=False, margin_ms=MARGIN_MS)
    return {"access": access, "expires": expires, "refresh": new_refresh}  # None keeps the stored one


def _stored_host(entry):
    stored = entry.get("instanceUrl") if isinstance(entry, dict) else None
    if stored is None or stored == "":
        return GITLAB
    host = api.domain_host(stored) if isinstance(stored, str) else None
    if host is None:
        raise api.BadFile("auth.json: gitlab-duo.instanceUrl %r is not a domain; correct it (e.g. gitlab.example.com) "
                          "or run `atomic login gitlab-duo --oauth` again" % (str(stored)[:100],))
    return host


def _credential_host(credential):
    """The GitLab instance a credential belongs to: the login's, else the GITLAB_HOST setting (stored
    with a key by `atomic login gitlab-duo --env GITLAB_HOST=...`, or exported), else gitlab.com."""
    if credential.is_oauth:
        return _stored_host(credential.entry)
    return _host(credential.settings.get("GITLAB_HOST", ""), "GITLAB_HOST")


# The direct-access grant ----------------------------------------------------------------------

_GRANTS = {}  # (host, sha256 of the GitLab token) -> (expires, gateway token, [(header, value)]), this process only


def _grant(token, host, ctx):
    """(gateway token, header lines) for a GitLab token, fetched again shortly before it expires."""
    import hashlib

    key = (host, hashlib.sha256(token.encode("utf-8")).hexdigest())
    cached = _GRANTS.get(key)
    if cached is not None and ctx.now() < cached[0]:
        return cached[1], cached[2]
    resp = api.request("POST", "https://%s/api/v4/ai/third_party_agents/direct_access" % host, ctx,
                       secret_headers={"Authorization": "Bearer " + token}, json_body=DIRECT_ACCESS_BODY)
    if resp.status == 401:
        raise api.LoginAgain("%s did not accept the GitLab token (HTTP 401: %s); run `atomic login gitlab-duo "
                             "--oauth`, or set GITLAB_TOKEN to a valid personal access token" % (host, resp.error_text()))
    if resp.status == 403:
        raise api.NetworkError("%s refused GitLab Duo access (HTTP 403: %s). %s" % (host, resp.error_text(), DENIED_HINT))
    if not resp.ok:
        raise api.NetworkError("%s answered HTTP %d to the GitLab Duo direct-access request (%s); try again later"
                               % (host, resp.status, resp.error_text()))
    doc = resp.json_or_none()
    gateway_token = doc.get("token") if isinstance(doc, dict) else None
    if not isinstance(gateway_token, str) or not _header_safe(gateway_token):
        raise api.NetworkError("%s answered the GitLab Duo direct-access request without a usable token" % host)
    lines = _forwarded(doc.get("headers"))
    now = ctx.now()
    expires = now + GRANT_LIFETIME
    stated = doc.get("expires_at")
    if isinstance(stated, (int, float)) and not isinstance(stated, bool) and now < stated < 1e11:
        expires = stated - GRANT_MARGIN  # GitLab's word, when it gives it, over the assumed lifetime
    _GRANTS[key] = (expires, gateway_token, lines)
    return gateway_token, lines


def _forwarded(headers):
    """The grant's headers (x-gitlab-*: who, which instance, which feature), all of them as GitLab
    sends them but a key or authorization of their own and anything unfit for a header line."""
    lines = []
    for name, value in (headers.items() if isinstance(headers, dict) else ()):
        if (isinstance(name, str) and isinstance(value, str) and name.lower() not in _NOT_FORWARDED
                and name and all(ch.isalnum() or ch in "-_" for ch in name) and not api.has_control_chars(value)):
            lines.append((name, value))
    return lines


def _header_safe(value):
    return bool(value) and not any(ch.isspace() for ch in value) and not api.has_control_chars(value)


# Requests -----------------------------------------------------------------------------------

def headers(credential):
    """The GitLab token as a bearer (what `atomic key gitlab-duo --header` prints; GitLab's API takes it)."""
    return [("Authorization", "Bearer " + credential.value)]


def prepare(request, credential, model, ctx):
    """Swap the GitLab token for the gateway's grant: its headers, and its token as the bearer.
    `atomic status --check` (model None) makes the direct-access exchange itself instead, which
    needs both a working GitLab token and Duo."""
    host = _credential_host(credential)
    if model is None:
        request.method, request.url = "POST", "https://%s/api/v4/ai/third_party_agents/direct_access" % host
        request.json = DIRECT_ACCESS_BODY
        request.headers.set("Content-Type", "application/json")
        return
    gateway_token, lines = _grant(credential.value, host, ctx)
    for name, value in lines:
        request.headers.set(name, value)
    request.headers.remove("x-api-key")
    request.headers.set("Authorization", "Bearer " + gateway_token)


def error_hint(status, message):
    """What to do when the gateway refuses; a 401 also drops the grants, so the next request fetches a new one."""
    if status == 401:
        _GRANTS.clear()
        return None
    if status == 403:
        return DENIED_HINT
    if "unsupported model" in str(message).lower():
        return "GitLab's AI gateway does not serve this model; `atomic models gitlab-duo` lists the ones it does"
    return None


def export(credential, ctx):
    """GITLAB_TOKEN (and GITLAB_HOST for a self-managed instance), as glab and GitLab's tools read them."""
    variables = {"GITLAB_TOKEN": credential.value}
    host = _credential_host(credential)
    if host != GITLAB:
        variables["GITLAB_HOST"] = host
    return variables


def account(entry):
    """The GitLab instance the login belongs to."""
    return _stored_host(entry) if isinstance(entry, dict) and entry.get("type") == "oauth" else None
