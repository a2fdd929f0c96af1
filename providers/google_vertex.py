"""Google Vertex AI: an API key (express mode), or Application Default Credentials with a project
and location.

Facts from reference-pi.md §8.5 and /work/notes/cloud-facts.md §3. ADC is the file named by
GOOGLE_APPLICATION_CREDENTIALS, else the one `gcloud auth application-default login` writes. An
`authorized_user` file is exchanged for an access token with its refresh token; a
`service_account` key signs an RS256 token request (RFC 7523) with the standard library. Access
tokens stay in this process's memory until shortly before they expire (or the file holds other
credentials), and are never stored.
Requests speak the Gemini JSON (the google-generative-ai wire module) at Vertex's addresses.
"""
from providers import api

ID = "google-vertex"
TOKEN_URL = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
API_VERSION = "v1"
EXPRESS_ROOT = "https://aiplatform.googleapis.com/" + API_VERSION   # an API key: no project, no location
MULTI_REGIONS = ("us", "eu")
PROBE_MODEL = "gemini-2.5-flash"   # status --check counts tokens with it (free, and authenticated)
REUSE_MARGIN = 225.0               # seconds: a token closer to its end is made again (google-auth's)
_TOKENS = {}                        # ADC file -> (its credentials' digest, (access token, expires epoch ms))


def ambient(ctx):
    """Google Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, or the gcloud ADC file)"""
    settings = api.settings(ctx, ID)
    path, variable = _adc_file(ctx, settings)
    if path is None:
        return None
    info = _read_adc(path, variable)
    kind = info.get("type")
    if kind == "authorized_user":
        _require(info, ("client_id", "client_secret", "refresh_token"), path)
        who, fetch = "user credentials", lambda: _cached(path, info, ctx, lambda: _refresh_user(info, ctx))
    elif kind == "service_account":
        _require(info, ("client_email", "private_key"), path)
        who = "service account %s" % info["client_email"]
        fetch = lambda: _cached(path, info, ctx, lambda: _service_account_token(info, path, ctx))  # noqa: E731
    else:
        raise api.NotLoggedIn("%s holds %s credentials, which atomic cannot use for Vertex AI; use `gcloud auth "
                              "application-default login` or a service-account key file" % (path, kind or "untyped"))
    project = _project(settings, info, path, ctx)
    if not project:
        raise api.MissingSetting("Vertex AI needs a project for these credentials: export GOOGLE_CLOUD_PROJECT, or "
                                 "store it: atomic login google-vertex --env GOOGLE_CLOUD_PROJECT=…")
    location = settings.get("GOOGLE_CLOUD_LOCATION")
    if not location:
        raise api.MissingSetting("Vertex AI needs a location: export GOOGLE_CLOUD_LOCATION (us-central1, or global), "
                                 "or store it: atomic login google-vertex --env GOOGLE_CLOUD_LOCATION=…")
    quota = (ctx.env("GOOGLE_CLOUD_QUOTA_PROJECT") or "").strip() or info.get("quota_project_id")
    source = "Google ADC, %s (%s)" % (who, variable or path)
    return api.Credential(None, source, fetch=fetch, note="access token, made when used",
                          details={"adc": path, "root": _root(project, location), "quota_project": quota,
                                   "project": project, "location": location, "variable": variable})


def _project(settings, info, path, ctx):
    """The project: GOOGLE_CLOUD_PROJECT (checked with the settings), GCLOUD_PROJECT, or the
    credentials file's; it goes into every request's path, so it is held to the address rule."""
    if settings.get("GOOGLE_CLOUD_PROJECT"):
        return settings["GOOGLE_CLOUD_PROJECT"]
    legacy = (ctx.env("GCLOUD_PROJECT") or "").strip()
    if legacy:
        return api.check_part(legacy, "GCLOUD_PROJECT (environment)", ID)
    for field in ("project_id", "quota_project_id"):
        if isinstance(info.get(field), str) and info[field].strip():
            return api.check_part(info[field].strip(), "%s: %s" % (path, field), ID, api.BadFile)
    return None


def _adc_file(ctx, settings):
    """(path, the variable that named it or None), or (None, None) when there is no ADC file."""
    import os

    named = settings.get("GOOGLE_APPLICATION_CREDENTIALS")
    if named:
        if not os.path.isfile(named):
            raise api.BadFile("GOOGLE_APPLICATION_CREDENTIALS=%s: no such file; point it at your credentials "
                              "file, or unset it" % named)
        return named, "GOOGLE_APPLICATION_CREDENTIALS"
    config = (ctx.env("CLOUDSDK_CONFIG") or "").strip()
    if not config:
        home = ctx.env("HOME") or os.path.expanduser("~")
        config = os.path.join(home, ".config", "gcloud")
    path = os.path.join(config, "application_default_credentials.json")
    return (path, None) if os.path.isfile(path) else (None, None)


def _read_adc(path, variable):
    import json

    try:
        with open(path, "rb") as f:
            raw = f.read(1 << 20)
        info = json.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise api.BadFile("%s cannot be read (%s)" % (path, exc.strerror or exc))
    except (UnicodeDecodeError, ValueError) as exc:
        raise api.BadFile("%s is not JSON (%s); run `gcloud auth application-default login` again, or fix %s"
                          % (path, exc, variable or "the file"))
    if not isinstance(info, dict):
        raise api.BadFile("%s: expected a JSON object of Google credentials" % path)
    return info


def _require(info, fields, path):
    for field in fields:
        if not isinstance(info.get(field), str) or not info[field].strip():
            raise api.BadFile("%s: %s is missing or empty; download the credentials again" % (path, field))


def _cached(path, info, ctx, make):
    """The token made earlier in this process from this file while it lasts, if the file still
    holds the credentials it was made from (info); else a new one (another account's login, or a
    new key, written there since: a long-lived process, atomic serve, goes as it at once)."""
    import hashlib
    import json

    digest = hashlib.sha256(json.dumps(info, sort_keys=True).encode("utf-8")).hexdigest()
    held = _TOKENS.get(path)
    if held is None or held[0] != digest or held[1][1] / 1000.0 - ctx.now() < REUSE_MARGIN:
        held = _TOKENS[path] = (digest, make())
    return held[1]


def _refresh_user(info, ctx):
    """An access token for `gcloud auth application-default login` credentials (a refresh grant)."""
    doc = api.token_request(TOKEN_URL, ctx, {
        "grant_type": "refresh_token",
        "client_id": info["client_id"],
        "client_secret": info["client_secret"],
        "refresh_token": info["refresh_token"],
    }, as_json=False, refused=api.LoginAgain, what="the Application Default Credentials")
    access, _refresh, expires = api.token_fields(doc, "oauth2.googleapis.com", ctx, want_refresh=False)
    return access, expires


def _service_account_token(info, path, ctx):
    """An access token for a service-account key: a signed token request (RFC 7523)."""
    now = int(ctx.now())
    claims = {"iss": info["client_email"], "scope": SCOPE, "aud": TOKEN_URL, "iat": now, "exp": now + 3600}
    assertion = api.sign_jwt(claims, info["private_key"], info.get("private_key_id"), where="%s: private_key" % path)
    token_uri = info.get("token_uri") if isinstance(info.get("token_uri"), str) else TOKEN_URL
    if not token_uri.startswith("https://"):
        raise api.BadFile("%s: token_uri must be an https address, not %r" % (path, token_uri))
    api.check_address(token_uri, "%s: token_uri" % path, ID, api.BadFile)  # the signed assertion goes there
    doc = api.token_request(token_uri, ctx, {"grant_type": JWT_GRANT, "assertion": assertion}, as_json=False,
                            refused=api.NotLoggedIn, what="the service account's signed token request")
    access, _refresh, expires = api.token_fields(doc, api.mask_text(token_uri.split("/")[2]), ctx, want_refresh=False)
    return access, expires


def _root(project, location):
    """https://<host>/v1/projects/<p>/locations/<l>: `global` has no region in its host, us and eu
    are multi-regions of their own."""
    if location == "global":
        host = "aiplatform.googleapis.com"
    elif location in MULTI_REGIONS:
        host = "aiplatform.%s.rep.googleapis.com" % location
    else:
        host = "%s-aiplatform.googleapis.com" % location
    return "https://%s/%s/projects/%s/locations/%s" % (host, API_VERSION, project, location)


def _is_adc(credential):
    return bool(credential.details.get("adc"))


def headers(credential):
    """ADC: the access token as a bearer (and the quota project); an API key as x-goog-api-key."""
    if not _is_adc(credential):
        return None
    lines = [("Authorization", "Bearer " + credential.value)]
    if credential.details.get("quota_project"):
        lines.append(("x-goog-user-project", credential.details["quota_project"]))
    return lines


def base_url(credential):
    """Google's publisher models under the project and location (ADC), or express mode's (a key)."""
    root = credential.details.get("root") if _is_adc(credential) else EXPRESS_ROOT
    return root + "/publishers/google"


def prepare(request, credential, model, ctx):
    """status --check counts the tokens of a word (free); a model id naming its publisher
    (`anthropic/claude-…`, `publishers/…`, `projects/…`) gets the path it names."""
    root = credential.details.get("root") if _is_adc(credential) else EXPRESS_ROOT
    if model is None:
        request.method = "POST"
        request.url = "%s/publishers/google/models/%s:countTokens" % (root, PROBE_MODEL)
        request.json = {"contents": [{"role": "user", "parts": [{"text": "ping"}]}]}
        request.headers.set("Content-Type", "application/json")
        return
    model_id = model["id"]
    if model_id.startswith(("publishers/", "projects/", "models/")):
        path = model_id
    elif "/" in model_id:
        publisher, name = model_id.split("/", 1)
        path = "publishers/%s/models/%s" % (publisher, name)
    else:
        return
    request.url = "%s/%s:streamGenerateContent?alt=sse" % (root, path)


def export(credential, ctx):
    """An API key as GOOGLE_CLOUD_API_KEY; for ADC, what the Google SDKs need to find the same
    project (they make their own tokens): the project, the location, the credentials file."""
    if not _is_adc(credential):
        return {"GOOGLE_CLOUD_API_KEY": credential.value}
    details = credential.details
    variables = {"GOOGLE_CLOUD_PROJECT": details["project"], "GOOGLE_CLOUD_LOCATION": details["location"],
                 "GOOGLE_GENAI_USE_VERTEXAI": "true"}
    if details.get("variable"):
        variables["GOOGLE_APPLICATION_CREDENTIALS"] = details["adc"]
    return variables


def error_hint(status, message):
    if status == 403 and "aiplatform" in (message or "").lower():
        return "The account needs the Vertex AI User role (roles/aiplatform.user) on the project"
    return None
