"""Amazon Bedrock: a Bedrock API key sent as a bearer token (the standard library alone), or AWS
credentials from the AWS chain signing each request with SigV4 (botocore, the `bedrock` extra).

Facts from reference-pi.md §1.2 and §8.2. Without botocore the AWS sources are still recognised
(so `atomic status` names the one that would be used), and using one says how to install it.
botocore is imported here and nowhere else, and only when a request is signed.
"""
from providers import api

ID = "amazon-bedrock"
EXTRA = "pip install 'atomic-cli[bedrock]'"
DEFAULT_REGION = "us-east-1"
SIGNING_NAME = "bedrock"          # the service name in the signature (the host says bedrock-runtime)
CACHE_POINT = {"cachePoint": {"type": "default"}}
# Claude models that take cache points (reference §8.2).
_CACHING_CLAUDES = ("fable-5", "opus-5", "sonnet-5", "-4-", "claude-3-7-sonnet", "claude-3-5-haiku")
# Those of them whose cache points may last an hour (CachePointBlock ttl "1h"): 4.5 and later.
_HOUR_CLAUDES = ("fable-5", "opus-5", "sonnet-5", "haiku-5", "-4-5", "-4-6", "-4-7", "-4-8", "-4-9")
_STANDARD_HOST = r"^https://bedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/?$"
_ARN_REGION = r"^arn:aws(?:-[a-z-]+)?:bedrock:([a-z0-9-]+):"


def ambient(ctx):
    """the AWS credential chain: AWS_PROFILE, access keys, container credentials, web identity (IRSA)"""
    settings = api.settings(ctx, ID)
    source = _aws_source(ctx, settings)
    if source is None:
        return None
    if not _have_botocore():
        error = api.NotLoggedIn("found AWS credentials (%s), but signing requests with them needs botocore: %s, "
                                "or use a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK)" % (source, EXTRA))
        error.source = "AWS " + source
        raise error
    return api.Credential(None, "AWS %s (SigV4)" % source, signer=_Signer(ctx, settings),
                          note="signs each request (SigV4)", details={"aws_source": source})


def _aws_source(ctx, settings):
    """Which AWS source botocore would use, from the environment alone (no files, no network)."""
    if settings.get("AWS_PROFILE"):
        return "profile %s (AWS_PROFILE)" % settings["AWS_PROFILE"]
    if ctx.env("AWS_ACCESS_KEY_ID") and ctx.env("AWS_SECRET_ACCESS_KEY"):
        return "access key %s (AWS_ACCESS_KEY_ID%s)" % (_short(ctx.env("AWS_ACCESS_KEY_ID")),
                                                        ", AWS_SESSION_TOKEN" if ctx.env("AWS_SESSION_TOKEN") else "")
    for name in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        if ctx.env(name):
            return "container credentials (%s)" % name
    if ctx.env("AWS_WEB_IDENTITY_TOKEN_FILE"):
        return "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, role %s)" % (ctx.env("AWS_ROLE_ARN") or "from the profile")
    # Nothing names a source: a [default] profile or an instance role is not assumed (as the
    # reference does); AWS_PROFILE=default says to use the default profile.
    return None


def _short(key_id):
    key_id = key_id.strip()
    return key_id[:4] + "…" + key_id[-4:] if len(key_id) > 8 else key_id


def _have_botocore():
    import importlib.util

    return importlib.util.find_spec("botocore") is not None


class _Signer:
    """Signs requests with the AWS chain's credentials; the botocore session is made on first use."""

    def __init__(self, ctx, settings):
        self.ctx, self.settings, self._credentials = ctx, settings, None

    def __call__(self, request):
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        request.body = request.payload()  # the bytes signed are the bytes sent
        content_type = _header(request, "Content-Type")
        signed = AWSRequest(method=request.method, url=request.url, data=request.body or b"",
                            headers={"Content-Type": content_type} if content_type else {})
        region = getattr(request, "aws_region", None) or region_for(None, self.settings, request.url)
        SigV4Auth(self.frozen(), SIGNING_NAME, region).add_auth(signed)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in signed.headers:
                request.headers.set(name, signed.headers[name])
        request.secret_names.update(("authorization", "x-amz-security-token"))

    def frozen(self):
        """(access key, secret key, token) as botocore resolved them; refreshed when they expire."""
        if self._credentials is None:
            self._credentials = _chain_credentials(self.settings)
        try:
            return self._credentials.get_frozen_credentials()
        except Exception as exc:  # a refresh (SSO, web identity, container) that failed
            raise _aws_error(exc, self.settings)

    def environment(self):
        """The variables an AWS SDK reads for these credentials (for `atomic exec`)."""
        frozen = self.frozen()
        variables = {"AWS_ACCESS_KEY_ID": frozen.access_key, "AWS_SECRET_ACCESS_KEY": frozen.secret_key}
        if frozen.token:
            variables["AWS_SESSION_TOKEN"] = frozen.token
        return variables


def _header(request, name):
    return next((v for n, v in request.headers.items() if n.lower() == name.lower()), None)


def _chain_credentials(settings):
    import botocore.session

    try:
        # A profile chosen explicitly wins over access keys in the environment, as in the AWS CLI.
        session = botocore.session.Session(profile=settings.get("AWS_PROFILE") or None)
        credentials = session.get_credentials()
    except Exception as exc:
        raise _aws_error(exc, settings)
    if credentials is None:
        raise api.NotLoggedIn("botocore found no AWS credentials; set AWS_PROFILE (and run `aws sso login` for "
                              "an SSO profile), or use a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK)")
    return credentials


def _aws_error(exc, settings):
    """botocore's exception as the AtomicError of the same meaning."""
    name = type(exc).__name__
    text = api.mask_text(str(exc))
    profile = settings.get("AWS_PROFILE")
    if "SSO" in name or "sso" in text.lower():
        return api.LoginAgain("the AWS SSO login has expired or is missing (%s); run `aws sso login%s`"
                              % (text, " --profile " + profile if profile else ""))
    if name in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "CredentialRetrievalError",
                "ConnectionClosedError"):
        return api.NetworkError("could not get AWS credentials (%s); check the network and try again" % text)
    if name == "ProfileNotFound":
        return api.NotLoggedIn("%s; check AWS_PROFILE and ~/.aws/config" % text)
    return api.NotLoggedIn("AWS credentials could not be used (%s: %s)" % (name, text))


def region_for(model_id, settings, base_url=None):
    """The region: an ARN model id's, then AWS_REGION, AWS_DEFAULT_REGION, a standard base URL's
    (when no profile is chosen), then us-east-1."""
    import re

    match = re.match(_ARN_REGION, model_id or "")
    if match:
        return match.group(1)
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if settings.get(name):
            return settings[name]
    host = re.match(_STANDARD_HOST, (base_url or "").split("/model/")[0])
    if host and not settings.get("AWS_PROFILE"):
        return host.group(1)
    return _profile_region(settings) or DEFAULT_REGION


def _profile_region(settings):
    """The region of the chosen AWS profile, when botocore can tell (it reads ~/.aws/config)."""
    if not settings.get("AWS_PROFILE") or not _have_botocore():
        return None
    import botocore.session

    try:
        region = botocore.session.Session(profile=settings["AWS_PROFILE"]).get_config_variable("region")
    except Exception:
        return None
    if not isinstance(region, str) or not region.strip():
        return None
    # It goes into the host name, as AWS_REGION does: held to the same rule.
    return api.check_part(region.strip(), "the region of AWS profile %s (~/.aws/config)" % settings["AWS_PROFILE"],
                          ID, api.BadFile)


def headers(credential):
    """A signing credential sends no key header (the signature is added last); a key goes as a bearer."""
    return [] if credential.signer is not None else None


def base_url(credential):
    """AWS_ENDPOINT_URL_BEDROCK_RUNTIME, or the runtime host of the region set, else the catalogue's."""
    settings = credential.settings
    if settings.get("AWS_ENDPOINT_URL_BEDROCK_RUNTIME"):
        return settings["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"].rstrip("/")
    region = settings.get("AWS_REGION") or settings.get("AWS_DEFAULT_REGION")
    return "https://bedrock-runtime.%s.amazonaws.com" % region if region else None


def prepare(request, credential, model, ctx):
    """The request's address (the region's runtime host, or the endpoint set), and cache points."""
    import re

    settings = credential.settings
    if model is None:  # status --check: the model list of the control plane, which Bedrock keys may read
        region = region_for(None, settings, request.url)
        request.aws_region = region
        request.url = "https://bedrock.%s.amazonaws.com/foundation-models" % region
        return
    configured = model.get("baseUrl") or ""
    region = region_for(model["id"], settings, configured)
    request.aws_region = region
    if settings.get("AWS_ENDPOINT_URL_BEDROCK_RUNTIME"):
        endpoint = settings["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"].rstrip("/")
    elif configured and not re.match(_STANDARD_HOST, configured):
        endpoint = configured.rstrip("/")  # a proxy or VPC endpoint of models.json: used as it is
    else:
        endpoint = "https://bedrock-runtime.%s.amazonaws.com" % region
    request.url = endpoint + "/model/" + request.url.split("/model/", 1)[1]
    retention = _cache_retention(settings, ctx)
    if retention != "none" and _takes_cache_points(model, settings):
        _add_cache_points(request.json, ttl="1h" if retention == "long" and _keeps_an_hour(model) else None)


def _takes_cache_points(model, settings):
    words = ("%s %s" % (model.get("id", ""), model.get("name", ""))).lower()
    if "claude" in words:
        return any(marker in words for marker in _CACHING_CLAUDES)
    return (settings.get("AWS_BEDROCK_FORCE_CACHE") or "").strip() == "1"


def _keeps_an_hour(model):
    """Whether the model takes a one-hour cache point: Bedrock's Claude 4.5 models and later (an
    id that hides the model, AWS_BEDROCK_FORCE_CACHE's case, is taken at its word)."""
    words = ("%s %s" % (model.get("id", ""), model.get("name", ""))).lower()
    return "claude" not in words or any(marker in words for marker in _HOUR_CLAUDES)


def _cache_retention(settings, ctx):
    """ATOMIC_CACHE_RETENTION (or pi's PI_CACHE_RETENTION; stored with the key, or exported):
    none, short (the default: Bedrock's 5 minutes) or long (an hour, at a higher price for
    writing the cache)."""
    value = (settings.get("ATOMIC_CACHE_RETENTION") or ctx.env("ATOMIC_CACHE_RETENTION") or "").strip().lower()
    if value in ("", "short", "none", "long"):
        return value or "short"
    ctx.warn("ATOMIC_CACHE_RETENTION (or PI_CACHE_RETENTION) is %r, not none, short or long; caching for "
             "the usual 5 minutes" % value[:20])
    return "short"


def _add_cache_points(body, ttl=None):
    """A cache point after the system prompt and at the end of the last user message (both with
    the same ttl: Bedrock refuses a later point that outlives an earlier one)."""
    if not isinstance(body, dict):
        return
    point = {"cachePoint": dict(CACHE_POINT["cachePoint"], **({"ttl": ttl} if ttl else {}))}
    if body.get("system"):
        body["system"].append(point)
    users = [m for m in body.get("messages") or () if m.get("role") == "user"]
    if users:
        users[-1]["content"].append(dict(point))


def export(credential, ctx):
    """A key as AWS_BEARER_TOKEN_BEDROCK (what the AWS SDKs read); signing credentials as the
    access key, secret and session token they resolved to, with the region."""
    region = region_for(None, credential.settings)
    if credential.signer is None:
        return {"AWS_BEARER_TOKEN_BEDROCK": credential.value, "AWS_REGION": region}
    variables = credential.signer.environment()
    variables["AWS_REGION"] = region
    return variables


def error_hint(status, message):
    if status == 403 and "bearer" in (message or "").lower():
        return "A Bedrock API key needs the IAM permission bedrock:CallWithBearerToken"
    if status in (400, 404) and "model" in (message or "").lower():
        return ("Check that the model is enabled for your account in this region (AWS_REGION), or use an "
                "inference profile id such as us.<model id>")
    return None
