"""GitHub Copilot: GitHub's device flow (github.com or Enterprise Server), then a Copilot token;
a GitHub token given as it is (--with-token); or gh's own login, linked (--from gh).

The GitHub token from the device flow is long-lived and stored as `refresh`; the Copilot token
made from it lives about 30 minutes and is stored as `access`. Refreshing is asking GitHub for a
new Copilot token with the GitHub token, so a revoked GitHub token means logging in again.

Who signed in is GitHub's GET /user (login, e-mail) with the GitHub token; the plan is the `sku`
the Copilot token answer names. GitHub revokes an OAuth app's token only for the app's owner (its
client secret, DELETE /applications/{client_id}/token), so `logout --revoke` is refused here:
revoke it on github.com, Settings → Applications.
"""
from providers import api

_CLIENT_ID = "Iv1.b507a08c87ecfe98"      # the VS Code Copilot Chat OAuth app
_SCOPE = "read:user"
_GITHUB = "github.com"
_DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_EXPIRY_MARGIN_MS = 5 * 60 * 1000          # stored `expires` is 5 minutes early, as pi stores it
_DEFAULT_BASE = "https://api.individual.githubcopilot.com"
_PUBLIC_HUB = "https://api.githubcopilot.com"  # for a token given as it is: routes each plan to its host
_LATEST_EXPIRY = 1e11                      # unix seconds (year 5138): beyond is not a real expiry
_TRANSIENT_POLL_FAILURES = 3               # network blips tolerated while the person approves
_API_VERSION = "2026-06-01"                # the X-GitHub-Api-Version of the model list
_LIST_DEADLINE = 5.0                       # seconds per model-list or policy request
_MIN_LIST_TIME = 0.5                       # seconds a refresh must have left to read the model list
_RATE_LIMIT_BUDGET = 5.0                   # seconds a 429 may make one of them wait, in all
_RATE_LIMIT_RETRIES = 2
# Where /models says Copilot serves each model (`supported_endpoints`, in Copilot's words; GitHub's
# own SDK lists "/chat/completions", "/v1/messages", "/responses" and "ws:/responses"), and the wire
# API atomic speaks there: in the order a model goes to them when its catalogue api is not among
# them. Messages first (Copilot offers it for Claude models, their own API, with thinking), then
# Responses (where Copilot moves the GPT models it retires from Chat Completions), then Chat.
_ENDPOINT_APIS = (("/v1/messages", "anthropic-messages"), ("/responses", "openai-responses"),
                  ("/chat/completions", "openai-completions"))

# Copilot serves only requests that look like they come from its editor plugin.
_EDITOR_HEADERS = (
    ("User-Agent", "GitHubCopilotChat/0.35.0"),
    ("Editor-Version", "vscode/1.107.0"),
    ("Editor-Plugin-Version", "copilot-chat/0.35.0"),
    ("Copilot-Integration-Id", "vscode-chat"),
)

REVOKE_ELSEWHERE = ("GitHub lets only an app's owner revoke its tokens: revoke it on GitHub, Settings → Applications "
                    "→ Authorized OAuth Apps")

NOT_SUPPORTED_HINT = ("GitHub Copilot does not serve this model to your account until it is enabled: "
                      "open Copilot Chat in VS Code, pick the model in the model picker and enable it "
                      "(or ask your organisation's Copilot admin to allow it), then try again")

OTHER_API_HINT = ("Copilot serves this model on another API: `atomic login github-copilot` keeps where it serves "
                  "each model, and atomic then uses that; or set the model's \"api\" in models.json")


def login(ctx, options):
    """Device-flow sign-in; a GitHub token as it is (--with-token); or gh's login, linked (--from
    gh). Returns the record to save (nothing is written here)."""
    if options.get("from"):
        return _link(options, ctx)
    if options.get("token") is not None:
        return _token_login(options, ctx)
    domain = _choose_domain(options, ctx)
    github_token = _device_flow(domain, ctx)
    record = {"type": "oauth"}
    record.update(_exchange(github_token, domain, ctx, refused=api.LoginFailed))
    record["refresh"] = github_token
    if domain != _GITHUB:
        record["enterpriseUrl"] = domain
    identity = dict(_user(github_token, domain, ctx), **record.pop("identity", {}))
    if identity:
        record["identity"] = identity
    _enable_models(record, ctx)
    return record


def refresh(entry, ctx):
    """A new Copilot token from the stored GitHub token: {"access", "expires"}."""
    github_token = entry.get("refresh")
    if not isinstance(github_token, str) or not github_token.strip():
        raise api.LoginAgain("the stored GitHub Copilot entry has no GitHub token")
    started = ctx.now()
    fresh = _exchange(github_token.strip(), _stored_domain(entry), ctx, refused=api.LoginAgain,
                      deadline=ctx.refresh_deadline)
    # The account's models may have changed since login: read the list again, once, in what is
    # left of the refresh's time, no waiting out a 429 and no enabling. When it does not answer
    # or names no model, the stored list stays.
    left = _LIST_DEADLINE if ctx.refresh_deadline is None else ctx.refresh_deadline - (ctx.now() - started)
    if left >= _MIN_LIST_TIME:
        record = dict(entry, **fresh)
        listed, _problem = _model_list(record, ctx, deadline=min(left, _LIST_DEADLINE))
        available = _account_models(listed or [], set(), individual=api_base(record) == _DEFAULT_BASE)[0]
        if available:
            fresh["availableModelIds"] = available
            fresh["modelEndpoints"] = _endpoints(listed, available)
    return fresh


def headers(credential):
    """Header lines for a Copilot API request; only Authorization for a plain token (env, --api-key),
    as a bearer whatever the model's wire API (Claude models too)."""
    lines = [("Authorization", "Bearer " + credential.value)]
    return lines + list(_EDITOR_HEADERS) if credential.is_oauth else lines


def prepare(request, credential, model, ctx):
    """Copilot wants to know who started the turn and what the request is for; a raw GitHub
    token (not one made by the Copilot exchange) is accepted from the Copilot CLI's integration."""
    body = request.json if isinstance(request.json, dict) else {}
    request.headers.set("X-Initiator", _initiator(body))
    request.headers.set("Openai-Intent", "conversation-edits")
    if _has_image(body):
        request.headers.set("Copilot-Vision-Request", "true")  # Copilot refuses an image without it
    if not credential.is_oauth and not any(p.startswith("tid=") for p in (credential.value or "").split(";")):
        request.headers.set("Copilot-Integration-Id", "copilot-developer-cli")


def _initiator(body):
    """X-Initiator, which is billing (a `user` turn costs a premium request, an `agent` one does not),
    from the conversation itself, never from a caller's header: `user` when the turn starts with
    the person's message, `agent` when it follows a tool's result (the model asked for the tool,
    the tool answered). The body is any of the APIs Copilot takes: Chat Completions messages,
    Responses input, Anthropic messages (whose tool results sit in a user message)."""
    turns = body.get("messages") or body.get("input") or []
    if isinstance(turns, str):
        return "user"  # Responses' input as one string: the person's message
    last = turns[-1] if isinstance(turns, list) and turns else None
    if not isinstance(last, dict) or last.get("role") != "user":
        return "agent"  # a tool message, a function_call_output item, or nothing the person said
    content = last.get("content")
    results = ("tool_result", "function_call_output")
    if isinstance(content, list) and any(isinstance(part, dict) and part.get("type") in results for part in content):
        return "agent"
    return "user"


_IMAGE_PARTS = frozenset(("image_url", "input_image", "image"))  # Chat Completions, Responses, Messages


def _has_image(body):
    """Whether any message of the conversation carries an image, in a tool's result too (Messages'
    tool_result content, Chat Completions' tool content, Responses' function_call_output)."""
    turns = body.get("messages") or body.get("input") or []
    return isinstance(turns, list) and any(_holds_image(turn) for turn in turns)


def _holds_image(item, depth=0):
    if isinstance(item, list):
        return depth < 4 and any(_holds_image(part, depth + 1) for part in item)
    if not isinstance(item, dict):
        return False
    kind = item.get("type")
    if isinstance(kind, str) and kind in _IMAGE_PARTS:  # a caller's body: its type may be an object
        return True
    return any(_holds_image(item.get(name), depth + 1) for name in ("content", "output") if isinstance(item.get(name), list))


def export(credential, ctx):
    """The GitHub token as COPILOT_GITHUB_TOKEN, not the half-hour Copilot token made from it:
    Copilot tools make their own from the GitHub token."""
    github_token = (credential.entry or {}).get("refresh") if credential.is_oauth else credential.value
    return {"COPILOT_GITHUB_TOKEN": github_token.strip()} if github_token else {}


def account(entry):
    """Where the account lives: the Enterprise Server domain, or github.com."""
    domain = entry.get("enterpriseUrl") if isinstance(entry, dict) else None
    return domain if isinstance(domain, str) and domain.strip() else _GITHUB


def base_url(credential):
    """The Copilot API base URL: a stored login's (api_base), else a plain token's (token_base)."""
    if credential.is_oauth:
        return api_base(credential.entry)
    return token_base(credential.value, credential.settings, credential.entry or credential.details)


def api_base(entry):
    """The Copilot API base URL for an auth.json entry.

    The Copilot token names its proxy (`proxy-ep=proxy.X`); the API is at api.X. Without one, an
    Enterprise Server's Copilot API is at copilot-api.<domain>; otherwise the individual endpoint.
    """
    token = entry.get("access") if isinstance(entry, dict) else None
    return _proxy_host(token) or _enterprise_host(entry) or _DEFAULT_BASE


def token_base(token, settings, entry=None):
    """The Copilot API base URL for a token given as it is (COPILOT_GITHUB_TOKEN, --api-key), in
    the reference's order (§11.1): COPILOT_API_TARGET / GITHUB_COPILOT_BASE_URL; the token's
    proxy-ep; the entry's enterprise domain; GITHUB_SERVER_URL of a <tenant>.ghe.com; else the
    public hub, which routes each plan to its host (a Business token sent to the individual
    host gets HTTP 421)."""
    for name in ("COPILOT_API_TARGET", "GITHUB_COPILOT_BASE_URL"):
        given = (settings.get(name) or "").strip().rstrip("/")
        if given:
            return given if "://" in given else "https://" + given
    return _proxy_host(token) or _enterprise_host(entry) or _tenant_host(settings.get("GITHUB_SERVER_URL")) \
        or _PUBLIC_HUB


def _proxy_host(token):
    """https://api.X for a Copilot token that names its proxy (`proxy-ep=proxy.X`), else None."""
    import re

    match = re.search(r"(?:^|;)\s*proxy-ep=([A-Za-z0-9.-]+(?::\d+)?)", token or "")
    if not match:
        return None
    host = match.group(1)
    if host.startswith("proxy."):
        host = "api." + host[len("proxy."):]
    return "https://" + host


def _enterprise_host(entry):
    """https://copilot-api.<domain> for an entry of an Enterprise Server (its domain checked as a
    host name: a "/" or "#" in it would send the token elsewhere), else None."""
    domain = entry.get("enterpriseUrl") if isinstance(entry, dict) else None
    if not isinstance(domain, str) or not domain.strip():
        return None
    return "https://copilot-api." + _stored_domain(entry)


def _tenant_host(server_url):
    """https://copilot-api.<tenant>.ghe.com for GITHUB_SERVER_URL on GHE.com (data residency), else None."""
    import urllib.parse

    raw = (server_url or "").strip()
    try:
        host = (urllib.parse.urlsplit(raw if "://" in raw else "https://" + raw).hostname or "").lower()
    except ValueError:
        return None
    if host.endswith(".ghe.com"):
        tenant = host[:-len(".ghe.com")].split(".")[-1]
        return "https://copilot-api.%s.ghe.com" % tenant if tenant else None
    return None


def account_model(model, entry):
    """The model on a wire API its account's /models entry supports (modelEndpoints, kept beside
    availableModelIds): its own api when Copilot serves it there, else the first of _ENDPOINT_APIS
    that it does; as it is when the entry names no endpoints for it (an older entry, a login whose
    /models never answered, a token from the environment). UsageError when Copilot serves it
    nowhere atomic speaks."""
    stored = entry.get("modelEndpoints") if isinstance(entry, dict) else None
    endpoints = stored.get(model["id"]) if isinstance(stored, dict) else None
    if not isinstance(endpoints, list) or not endpoints:
        return model
    served = [wire for endpoint, wire in _ENDPOINT_APIS if endpoint in endpoints]
    if not served:
        raise api.UsageError("github-copilot/%s: Copilot serves it to this account only at %s, none of which atomic "
                             "speaks (it speaks /chat/completions, /responses and /v1/messages); choose another "
                             "model: `atomic models github-copilot` lists them"
                             % (model["id"], " and ".join(str(e)[:60] for e in endpoints[:5])))
    return model if model.get("api") in served else dict(model, api=served[0])


def error_hint(status, message):
    """NOT_SUPPORTED_HINT when a Copilot API error says the model is not supported; OTHER_API_HINT
    when it says the model is served on another endpoint (unsupported_api_for_model); else None."""
    text = str(message).lower()
    if "not accessible via the" in text:
        return OTHER_API_HINT
    return NOT_SUPPORTED_HINT if "not supported" in text else None


# Enabling the account's models at login (reference §11.2) -----------------------------------

def _enable_models(record, ctx):
    """Turn on, one at a time, the account's models that wait for a yes (policy "unconfigured")
    and that atomic knows; store what the account may use as availableModelIds. Best effort:
    the login stands whatever this answers."""
    listed, problem = _model_list(record, ctx, patient=True)
    if listed is None:
        ctx.warn(problem)
        return
    base = api_base(record)
    auth = {"Authorization": "Bearer " + record["access"]}
    headers = _list_headers()
    known = {m.get("id") for m in api.catalog_models("github-copilot")}
    available, waiting = _account_models(listed, known, individual=base == _DEFAULT_BASE)
    enabled = []
    if waiting:
        ctx.say("Enabling %d Copilot model(s) for this account: %s" % (len(waiting), ", ".join(waiting)))
    policy_headers = dict(headers, **{"openai-intent": "chat-policy", "x-interaction-type": "chat-policy"})
    for model_id in waiting:
        try:
            answer = _patiently(lambda: api.request("POST", "%s/models/%s/policy" % (base, model_id), ctx,
                                                    headers=policy_headers, secret_headers=auth,
                                                    json_body={"state": "enabled"}, deadline=_LIST_DEADLINE), ctx)
        except api.NetworkError:
            continue
        if answer.status == 429:
            ctx.warn("GitHub Copilot is limiting requests; %d model(s) were not enabled (%s): %s"
                     % (len(waiting) - len(enabled), ", ".join(m for m in waiting if m not in enabled),
                        NOT_SUPPORTED_HINT[NOT_SUPPORTED_HINT.index("open"):]))
            break
        if answer.ok:
            enabled.append(model_id)
    record["availableModelIds"] = available + [m for m in enabled if m not in available]
    record["modelEndpoints"] = _endpoints(listed, record["availableModelIds"])


def _list_headers():
    headers = dict(_EDITOR_HEADERS)
    headers["X-GitHub-Api-Version"] = _API_VERSION
    return headers


def _model_list(record, ctx, patient=False, deadline=_LIST_DEADLINE):
    """(the items of the account's GET /models, None) or (None, what went wrong, for a warning);
    patient: wait out a short 429, as login does."""
    send = lambda: api.request("GET", api_base(record) + "/models", ctx, headers=_list_headers(),  # noqa: E731
                               secret_headers={"Authorization": "Bearer " + record["access"]}, deadline=deadline)
    try:
        resp = _patiently(send, ctx) if patient else send()
    except api.NetworkError as exc:
        return None, ("could not read this account's Copilot models (%s); a model Copilot calls \"not supported\" "
                      "may need enabling in VS Code" % exc.message)
    doc = resp.json_or_none() if resp.ok else None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        return None, ("%s answered the model list with HTTP %d (%s); models were not enabled"
                      % (resp.host, resp.status, resp.error_text()))
    return doc["data"], None


def _account_models(items, known, individual):
    """(ids the account may use, ids to enable) from the /models answer."""
    models = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        supports = (item.get("capabilities") or {}).get("supports") if isinstance(item.get("capabilities"), dict) else {}
        if isinstance(supports, dict) and supports.get("tool_calls") is False:
            continue
        policy = item.get("policy") if isinstance(item.get("policy"), dict) else {}
        models.append((item["id"], item.get("model_picker_enabled") is True, policy.get("state")))
    picker = [mid for mid, shown, state in models if shown and state != "disabled"]
    # Some individual accounts mark no model for the picker despite enabled policies.
    fallback = individual and not picker
    available = picker or ([mid for mid, _shown, state in models if state == "enabled"] if fallback else [])
    waiting = [mid for mid, shown, state in models
               if state == "unconfigured" and mid in known and (shown or fallback)]
    return available, waiting


def _endpoints(items, ids):
    """{model id: its supported_endpoints} from the /models answer, for the ids given and only
    where the answer lists some (each a short string, as Copilot names them)."""
    found = {}
    for item in items:
        if not isinstance(item, dict) or item.get("id") not in ids or item["id"] in found:
            continue
        listed = item.get("supported_endpoints")
        named = [e for e in listed if isinstance(e, str) and 0 < len(e) <= 100] if isinstance(listed, list) else []
        if named:
            found[item["id"]] = named
    return found


def _patiently(send, ctx):
    """send() again after a 429, as often and as long as the Retry-After allows within a few seconds."""
    import time

    spent = 0.0
    for attempt in range(_RATE_LIMIT_RETRIES + 1):
        resp = send()
        if resp.status != 429 or attempt == _RATE_LIMIT_RETRIES:
            return resp
        wait = api.retry_after(resp.headers, ctx.now())
        wait = 0.5 * 2 ** attempt if wait is None else wait
        if spent + wait > _RATE_LIMIT_BUDGET:
            return resp
        time.sleep(wait)
        spent += wait
    return resp


# Choosing the server --------------------------------------------------------------------------

def _choose_domain(options, ctx):
    """--enterprise-domain; else a prompt on a terminal; else one line of stdin (empty = github.com)."""
    flag = options.get("enterprise_domain")
    if flag is not None:
        return _normalize_domain(flag, "--enterprise-domain")
    if api.interactive(ctx):
        answer = api.ask(ctx, "Press Enter for github.com, or enter your GitHub Enterprise Server domain: ")
        return _normalize_domain(answer, "the GitHub Enterprise Server domain")
    # A script either pipes the domain in or gives no input at all (stdin from /dev/null or
    # closed): end of input means github.com, so `atomic login github-copilot </dev/null` works.
    ctx.say("Reading the GitHub Enterprise Server domain from stdin (empty or no input: github.com; "
            "or pass --enterprise-domain)")
    try:
        line = ctx.stdin.readline(4096) if ctx.stdin is not None else ""
    except (OSError, ValueError):  # stdin closed, or not UTF-8 text
        raise api.UsageError("could not read the GitHub Enterprise Server domain from stdin; pass "
                         "--enterprise-domain DOMAIN, or redirect stdin from /dev/null for github.com")
    return _normalize_domain(line, "the GitHub Enterprise Server domain on stdin")


def _normalize_domain(text, where):
    """The host name of a domain or URL (github.com when blank); UsageError when it is neither."""
    raw = (text or "").strip()
    if not raw:
        return _GITHUB
    host = api.domain_host(raw)
    if host is None:
        raise api.UsageError("%s %r is not a domain or URL; give the server's address, e.g. "
                         "github.example.com or https://github.example.com (empty for github.com)"
                         % (where, raw[:100]))
    return host


def _stored_domain(entry):
    domain = entry.get("enterpriseUrl")
    if domain is None or domain == "":
        return _GITHUB
    try:
        if not isinstance(domain, str):
            raise api.UsageError("not text")
        return _normalize_domain(domain, "enterpriseUrl")
    except api.UsageError:
        raise api.BadFile("auth.json: github-copilot.enterpriseUrl %r is not a domain; correct it (e.g. "
                      "github.example.com) or run `atomic login github-copilot` again" % (str(domain)[:100],))


# The device flow ------------------------------------------------------------------------------

def _device_headers():
    return {"Accept": "application/json", "User-Agent": dict(_EDITOR_HEADERS)["User-Agent"]}


def _device_flow(domain, ctx):
    """The GitHub (not Copilot) access token, once the person has approved the code."""
    resp = api.request("POST", "https://%s/login/device/code" % domain, ctx, headers=_device_headers(),
                   form={"client_id": _CLIENT_ID, "scope": _SCOPE})
    if resp.status == 429 or resp.status >= 500:
        raise api.NetworkError("%s answered HTTP %d to the device-code request (%s); try again later"
                           % (domain, resp.status, resp.error_text()))
    if not resp.ok:
        raise api.LoginFailed("%s refused the device-code request (HTTP %d: %s); check the domain, and that "
                          "it is a GitHub server with device flow enabled" % (domain, resp.status, resp.error_text()))
    doc = resp.json()
    device_code = doc.get("device_code") if isinstance(doc, dict) else None
    if not isinstance(device_code, str) or not device_code:
        raise api.LoginFailed("%s answered the device-code request without a device_code (%s)"
                          % (domain, resp.error_text()))
    api.show_device_code(ctx, doc.get("verification_uri"), doc.get("user_code"), "GitHub Copilot (%s)" % domain)
    failures = []

    def attempt():
        try:
            answer = _poll_once(domain, device_code, ctx)
        except api.NetworkError as exc:
            failures.append(exc)
            if len(failures) >= _TRANSIENT_POLL_FAILURES:
                raise
            ctx.warn("%s; still waiting" % exc.message)
            return ("pending", None)
        del failures[:]
        return answer

    return api.poll_device(attempt, doc.get("interval"), doc.get("expires_in"), ctx)


def _poll_once(domain, device_code, ctx):
    """One token-endpoint poll as an _device.poll answer; terminal outcomes raise LoginFailed."""
    resp = api.request("POST", "https://%s/login/oauth/access_token" % domain, ctx, headers=_device_headers(),
                   form={"client_id": _CLIENT_ID, "device_code": device_code, "grant_type": _DEVICE_GRANT})
    if resp.status == 429 or resp.status >= 500:
        raise api.NetworkError("%s answered HTTP %d while waiting for approval (%s)" % (domain, resp.status, resp.error_text()))
    doc = resp.json()
    if not isinstance(doc, dict):
        raise api.NetworkError("%s answered the token poll with JSON that is not an object" % domain)
    token = doc.get("access_token")
    if isinstance(token, str) and token.strip():
        if not api.token_safe(token.strip()):
            raise api.LoginFailed("%s sent a GitHub token with spaces or control characters; not storing it" % domain)
        return ("ok", token.strip())
    error = doc.get("error")
    if error == "authorization_pending":
        return ("pending", None)
    if error == "slow_down":
        return ("slow_down", doc.get("interval"))
    if error == "expired_token":
        raise api.LoginFailed("the code expired before it was approved; run `atomic login github-copilot` again")
    if error == "access_denied":
        raise api.LoginFailed("the sign-in was denied on %s (Cancel was pressed); run `atomic login "
                          "github-copilot` again to retry" % domain)
    raise api.LoginFailed("device flow failed: %s (HTTP %d: %s)" % (domain, resp.status, resp.error_text()))


# The Copilot token ----------------------------------------------------------------------------

def _exchange(github_token, domain, ctx, refused, deadline=None):
    """{"access", "expires"} from api.<domain>/copilot_internal/v2/token; `refused` for 401/403."""
    api_host = "api." + domain
    headers = dict(_EDITOR_HEADERS)
    headers["Accept"] = "application/json"
    resp = api.request("GET", "https://%s/copilot_internal/v2/token" % api_host, ctx, headers=headers,
                   secret_headers={"Authorization": "Bearer " + github_token}, deadline=deadline)
    if resp.status == 401:
        raise refused("%s did not accept the GitHub token (HTTP 401: %s); it was revoked or has expired"
                      % (api_host, resp.error_text()))
    if resp.status == 403:
        raise refused("%s refused a Copilot token for this GitHub account (HTTP 403: %s); check that the "
                      "account has a Copilot subscription and that Copilot is allowed by its organisation"
                      % (api_host, resp.error_text()))
    if not resp.ok:
        raise api.NetworkError("%s answered HTTP %d to the Copilot token request (%s); try again later"
                           % (api_host, resp.status, resp.error_text()))
    doc = resp.json()
    token = doc.get("token") if isinstance(doc, dict) else None
    expires_at = doc.get("expires_at") if isinstance(doc, dict) else None
    if (not isinstance(token, str) or not api.token_safe(token)
            or isinstance(expires_at, bool) or not isinstance(expires_at, (int, float))
            or not 0 < expires_at < _LATEST_EXPIRY):  # also rejects NaN and Infinity
        raise api.NetworkError("%s answered the Copilot token request without a usable token and expires_at"
                           % api_host)
    fresh = {"access": token, "expires": int(expires_at * 1000) - _EXPIRY_MARGIN_MS}
    sku = doc.get("sku") if isinstance(doc.get("sku"), str) else _token_field(token, "sku")
    if sku:
        fresh["identity"] = {"plan": sku}
    return fresh


def _token_field(token, name):
    """A `name=value` field of a Copilot token (tid=…;exp=…;sku=…;…), or None."""
    for part in token.split(";"):
        key, equals, value = part.partition("=")
        if equals and key.strip() == name and value.strip():
            return value.strip()
    return None


def _user(github_token, domain, ctx):
    """{"user", "email"} of the GitHub account (GET /user); {} when it does not answer."""
    try:
        resp = _ask_user(github_token, domain, ctx)
    except api.NetworkError:
        return {}
    return _account(resp)


def _ask_user(github_token, domain, ctx):
    """GitHub's answer to GET /user with this token; NetworkError when none arrives."""
    headers = {"Accept": "application/vnd.github+json", "User-Agent": dict(_EDITOR_HEADERS)["User-Agent"]}
    return api.request("GET", "https://api.%s/user" % domain, ctx, headers=headers,
                       secret_headers={"Authorization": "Bearer " + github_token}, deadline=_LIST_DEADLINE)


def _account(resp):
    """{"user", "email"} of a GET /user answer; {} for any other."""
    doc = resp.json_or_none() if resp.ok else None
    if not isinstance(doc, dict):
        return {}
    values = {"user": doc.get("login"), "email": doc.get("email")}
    return {k: v for k, v in values.items() if isinstance(v, str) and v}


# A GitHub token as it is (--with-token), and gh's login (--from gh) -------------------------------
# Such a token does not rotate: it is sent to Copilot as it is, never refreshed. A `ghr_` token is
# a refresh token, another tool's to spend: atomic never takes one.

def _token_login(options, ctx):
    """The record of a GitHub token given on stdin: a key, with the account GitHub names for it."""
    token = options["token"].strip()
    domain = _normalize_domain(options.get("enterprise_domain") or "", "--enterprise-domain")
    _check_token(token, "the token given")
    resp = _ask_user(token, domain, ctx)  # a network failure is exit 6, not a refused token
    if resp.status in (401, 403):
        raise api.LoginFailed("%s did not accept the GitHub token (GET /user: HTTP %d); check it, and that it is "
                              "for %s" % ("api." + domain, resp.status, domain))
    identity = _account(resp)
    if not identity:
        raise api.NetworkError("%s answered HTTP %d to GET /user without the account (%s); nothing was saved; "
                               "try again later" % ("api." + domain, resp.status, resp.error_text()))
    record = {"type": "api_key", "key": token, "identity": identity}
    if domain != _GITHUB:
        record["enterpriseUrl"] = domain
    return record


def _check_token(token, what):
    if token.startswith("ghr_"):
        raise api.UsageError("%s is a GitHub refresh token (ghr_), which belongs to the tool that holds it: atomic "
                             "never spends one; give the access token instead (gh auth token)" % what)
    if not api.token_safe(token):
        raise api.UsageError("%s has spaces or control characters; give the token alone" % what)


def _link(options, ctx):
    if options["from"] != "gh":
        raise api.UsageError("--from %s: github-copilot can use gh's login: --from gh" % options["from"])
    host = _normalize_domain(options.get("enterprise_domain") or "", "--enterprise-domain")
    token = _gh_token(host, ctx)
    record = {"type": "linked", "from": "gh", "host": host}
    identity = _user(token, host, ctx)
    if identity:
        record["identity"] = identity
    return record


def linked(record, ctx, stale):
    """The GitHub token gh holds now (`gh auth token`), read at each use and never kept. stale: a
    token GitHub refused; gh does not rotate its tokens, so a refused one means signing gh in again."""
    host = record.get("host") if isinstance(record.get("host"), str) and record.get("host") else _GITHUB
    token = _gh_token(host, ctx)
    if stale is not None and token == stale:
        raise api.LoginAgain("GitHub refused the token gh holds for %s; sign gh in again: gh auth login --hostname %s"
                             % (host, host))
    details = {"identity": dict(record.get("identity") or {})}
    if host != _GITHUB:
        details["enterpriseUrl"] = host
    return api.Credential(token, "from gh", details=details)


def _gh_token(host, ctx):
    """What `gh auth token --hostname HOST` prints (gh reads its keyring or hosts.yml itself)."""
    import shutil
    import subprocess

    program = shutil.which("gh", path=ctx.environ.get("PATH") or None)
    if program is None:
        raise api.LoginAgain("gh is not on PATH here, so its login cannot be read; install gh, or sign in to atomic "
                             "itself: atomic login github-copilot")
    try:
        done = subprocess.run([program, "auth", "token", "--hostname", host], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=15, env=dict(ctx.environ))
    except subprocess.TimeoutExpired:
        raise api.LoginAgain("`gh auth token` did not answer within 15 s")
    except OSError as exc:
        raise api.LoginAgain("could not run gh (%s)" % exc.strerror)
    token = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode != 0 or not token:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise api.LoginAgain("gh is not signed in to %s (gh auth token: %s); run `gh auth login --hostname %s`"
                             % (host, api.mask_text(said[0])[:200] if said else "no token", host))
    _check_token(token, "the token gh printed")
    return token
