"""llama.cpp: llama-server on your own machine (or network), speaking OpenAI Chat Completions.

Facts from reference-pi.md §11.1. The address is LLAMA_BASE_URL (default http://127.0.0.1:8080;
a trailing / or /v1 is dropped, then /v1 added for inference); LLAMA_API_KEY is optional, and
without one the literal "local" is sent, as upstream does. The models are the ones the server
lists (`GET /v1/models`), not the catalogue's. `atomic login llama.cpp` asks for the address,
checks that a server answers there, and asks for an optional key.

Facts from llama.cpp's tools/server (README and server-http.cpp): GET /v1/models is public even
when the server was started with --api-key, so a key is checked with GET /props, which is not;
/props also says the context a request really gets (default_generation_settings.n_ctx, the
server's -c), where /v1/models gives only the model's training context (meta.n_ctx_train), and
a router serving several models gives each loaded one's own as meta.n_ctx.
"""
from providers import api

ID = "llama.cpp"
DEFAULT_ADDRESS = "http://127.0.0.1:8080"
LIST_DEADLINE = 5.0            # seconds: a server on this machine answers at once, or is not running
_DEFAULT_CONTEXT = 128000
_DEFAULT_MAX_TOKENS = 16384
# llama-server takes max_tokens, and neither `store`, the developer role nor reasoning_effort.
COMPAT = {"supportsStore": False, "supportsDeveloperRole": False, "supportsReasoningEffort": False,
          "maxTokensField": "max_tokens"}
NOT_AN_ADDRESS = ("is not a server address (an address has a scheme, a dot or a port, like %s)" % DEFAULT_ADDRESS)


def looks_like_address(text):
    """Whether text can be a server's address: a scheme, a dot or a port, and nothing a key has
    instead (spaces, control characters). A bare word (a key piped in first) never is."""
    import urllib.parse

    text = (text or "").strip()
    if not text or any(ch.isspace() for ch in text) or api.has_control_chars(text):
        return False
    try:
        parts = urllib.parse.urlsplit(text if "://" in text else "http://" + text)
        port = parts.port
    except ValueError:  # a port that is not a number: a key with a colon in it
        return False
    return bool(parts.hostname) and ("://" in text or "." in parts.hostname or port is not None)


def inference_base(address, what="LLAMA_BASE_URL"):
    """The /v1 address requests go to, from the address people give (with or without /v1), held
    to the rule for every address (api.check_address); `what` names where it came from."""
    import urllib.parse

    given = (address or "").strip() or DEFAULT_ADDRESS
    if not looks_like_address(given):  # not echoed: it may be a key given in the wrong place
        raise api.UsageError("%s %s; set it to the server's address" % (what, NOT_AN_ADDRESS))
    api.check_address(given, what, ID)
    parts = urllib.parse.urlsplit(given if "://" in given else "http://" + given)
    if parts.query:  # /v1/models and the rest are added to the path
        raise api.UsageError("%s=%s is not a server address; give it like %s"
                             % (what, api.mask_text(given), DEFAULT_ADDRESS))
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):
        path = path[:-len("/v1")]
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path.rstrip("/") + "/v1", "", ""))


def base_url(credential):
    """LLAMA_BASE_URL (stored with the login, or exported) as the /v1 address, else the default's."""
    return inference_base(credential.settings.get("LLAMA_BASE_URL"))


def served_models(credential, ctx):
    """The models the server lists now, as catalogue records; NetworkError (one line) when no
    server answers at the address."""
    base = base_url(credential)
    resp = _list(base, credential.value, ctx)
    if resp.status in (401, 403):
        raise api.NetworkError("the llama.cpp server at %s refused the key (HTTP %d: %s); run `atomic login "
                              "llama.cpp` with the key it was started with (--api-key), or set LLAMA_API_KEY"
                              % (base, resp.status, resp.error_text()))
    if not resp.ok:
        raise api.NetworkError("the llama.cpp server at %s answered HTTP %d to GET /v1/models (%s)"
                               % (base, resp.status, resp.error_text()))
    doc = resp.json()
    items = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise api.NetworkError("%s/models answered without a \"data\" list of models; is it a llama.cpp server?" % base)
    items = [item for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)]
    # One model: the server's own -c is in /props. A router's models each say theirs once loaded.
    served_context = _props_context(base, credential.value, ctx) if len(items) == 1 else None
    return [_record(item, base, served_context) for item in items]


def prepare(request, credential, model, ctx):
    """For `status --check` (model None) with a key: GET /props, which the key guards; /v1/models
    answers anyone, so it would pass a wrong key."""
    if model is None and credential.value and credential.value != "local":
        request.url = _root(request.url.rsplit("/models", 1)[0]) + "/props"


def login(ctx, options):
    """Ask for the server's address (checking that a server answers GET <address>/v1/models) and an
    optional key; returns {"type": "api_key", "key": … (when given), "env": {"LLAMA_BASE_URL": …}}."""
    settings = dict(options.get("settings") or {})
    given = settings.get("LLAMA_BASE_URL")
    base = inference_base(*((given, "--env LLAMA_BASE_URL") if given else _ask_address(ctx)))
    settings["LLAMA_BASE_URL"] = base[:-len("/v1")]  # the address as given, written the one way
    first = _list(base, None, ctx)
    if not first.ok and first.status not in (401, 403):
        raise api.LoginFailed("%s answered HTTP %d to GET /v1/models (%s); is it a llama.cpp server?"
                              % (base, first.status, first.error_text()))
    wants_key = first.status in (401, 403) or _guarded(base, None, ctx)[0] in (401, 403)
    ctx.say("A llama.cpp server answers at %s%s." % (base, " and wants an API key" if wants_key else ""))
    record = {"type": "api_key"}
    key = _ask_key(base, wants_key, ctx)
    if key is not None:
        record["key"] = key
    record["env"] = settings
    return record


def _ask_key(base, wants_key, ctx):
    """The key, checked with the server when it wants one; on a terminal a wrong or missing one
    is asked for again, elsewhere it ends the login."""
    prompt = ("API key the server was started with (--api-key; input is hidden)%s: "
              % ("" if wants_key else ", or press Enter for none"))
    while True:
        key = api.read_secret(ctx, prompt, optional=True, pipe="atomic login llama.cpp --env LLAMA_BASE_URL=%s"
                              % base[:-len("/v1")])
        if key is None and not wants_key:
            return None
        if key is None:
            problem = "the server at %s takes only requests with its API key" % base
        elif api.is_reference(key):
            return key
        else:
            status, text = _guarded(base, key, ctx)
            if status not in (401, 403):
                return key
            problem = "the server at %s refused that key (HTTP %d: %s)" % (base, status, text)
        if not api.interactive(ctx):
            raise api.LoginFailed(problem + "; not saved: run `atomic login llama.cpp` again with the key it was "
                                            "started with (--api-key)")
        ctx.say(problem + "; give the key it was started with (--api-key), or press Ctrl-C to stop.")


def _guarded(base, key, ctx):
    """(status, error text) of GET /props with the key (if any): 401 when the server wants
    another; a server too old to have /props is asked for its model list instead."""
    resp = _get(_root(base) + "/props", key, ctx)
    if resp.status == 404:
        resp = _list(base, key, ctx)
    return resp.status, resp.error_text()


def _props_context(base, key, ctx):
    """The context a request gets on this server (/props: default_generation_settings.n_ctx),
    or None when it does not say."""
    try:
        resp = _get(_root(base) + "/props", key, ctx)
    except api.NetworkError:
        return None
    doc = resp.json_or_none() if resp.ok else None
    settings = doc.get("default_generation_settings") if isinstance(doc, dict) else None
    return _count(settings.get("n_ctx")) if isinstance(settings, dict) else None


def _list(base, key, ctx):
    """GET <base>/models, the key (if any) as a bearer token; a server that is not there is one line."""
    return _get(base + "/models", key, ctx)


def _get(url, key, ctx):
    secret = {"Authorization": "Bearer " + (key or "local")}
    try:
        return api.request("GET", url, ctx, secret_headers=secret, deadline=LIST_DEADLINE)
    except api.NetworkError as exc:
        raise api.NetworkError("no llama.cpp server answers at %s (%s); start llama-server, or set its address "
                               "with LLAMA_BASE_URL or `atomic login llama.cpp`" % (url.rsplit("/", 1)[0], exc.message))


def _root(base):
    """The server's own address (where /props is) from its /v1 address."""
    return base[:-len("/v1")] if base.endswith("/v1") else base


def _ask_address(ctx):
    """(the address, where it came from): typed on a terminal (Enter: LLAMA_BASE_URL, else the
    default); elsewhere LLAMA_BASE_URL when it is exported, else the first line of stdin, which
    must be an address."""
    exported = ctx.env("LLAMA_BASE_URL")
    if api.interactive(ctx):
        default = exported or DEFAULT_ADDRESS
        while True:
            answer = api.ask(ctx, "llama.cpp server address [%s]: " % default) or default
            if looks_like_address(answer):
                return answer, "the address typed"
            ctx.say("That %s; type it again." % NOT_AN_ADDRESS)
    if exported:
        ctx.say("Using the llama.cpp server address in LLAMA_BASE_URL; reading an optional API key from stdin")
        return exported, "LLAMA_BASE_URL"
    ctx.say("Reading the llama.cpp server address from stdin (an empty line: %s), then an optional API key on "
            "the next line; or give the address with --env LLAMA_BASE_URL=… and pipe only the key" % DEFAULT_ADDRESS)
    if ctx.stdin is None:
        return DEFAULT_ADDRESS, "the default address"
    # One line from the byte stream itself, so the key after it is still there for read_secret.
    stream = getattr(ctx.stdin, "buffer", None)
    line = stream.readline(4096).decode("utf-8", "replace") if stream is not None else ctx.stdin.readline(4096)
    if line.strip() and not looks_like_address(line):
        raise api.UsageError("the first line on stdin %s; pipe the address first and the key on the next line, "
                             "or give the address with --env LLAMA_BASE_URL=… and pipe only the key" % NOT_AN_ADDRESS)
    return line.strip() or DEFAULT_ADDRESS, "the address on stdin"


def _count(value):
    """A positive token count, or None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _record(item, base, served_context=None):
    """A catalogue record for one model the server lists, with the context a request really gets
    where the server says (a router's meta.n_ctx, a server's /props), else its training context."""
    meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
    context = (_count(meta.get("n_ctx")) or served_context or _count(meta.get("n_ctx_train"))
               or _DEFAULT_CONTEXT)
    return {"id": item["id"], "name": item["id"], "api": "openai-completions", "provider": "llama.cpp",
            "baseUrl": base, "reasoning": False, "input": ["text"],
            "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
            "contextWindow": context, "maxTokens": min(_DEFAULT_MAX_TOKENS, context), "compat": dict(COMPAT)}
