"""llama.cpp: llama-server on your own machine (or network), speaking OpenAI Chat Completions.

Facts from reference-pi.md §11.1. The address is LLAMA_BASE_URL (default http://127.0.0.1:8080;
a trailing / or /v1 is dropped, then /v1 added for inference); LLAMA_API_KEY is optional, and
without one the literal "local" is sent, as upstream does. The models are the ones the server
lists (`GET /v1/models`), not the catalogue's. `atomic login llama.cpp` asks for the address,
checks that a server answers there, and asks for an optional key.
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


def inference_base(address):
    """The /v1 address requests go to, from the address people give (with or without /v1)."""
    import urllib.parse

    given = (address or "").strip() or DEFAULT_ADDRESS
    parts = urllib.parse.urlsplit(given if "://" in given else "http://" + given)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise api.UsageError("LLAMA_BASE_URL=%s is not a server address; give it like %s"
                             % (api.mask_text(given), DEFAULT_ADDRESS))
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
    return [_record(item, base) for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)]


def login(ctx, options):
    """Ask for the server's address (checking that a server answers GET <address>/v1/models) and an
    optional key; returns {"type": "api_key", "key": … (when given), "env": {"LLAMA_BASE_URL": …}}."""
    settings = dict(options.get("settings") or {})
    address = settings.get("LLAMA_BASE_URL") or _ask_address(ctx)
    base = inference_base(address)
    settings["LLAMA_BASE_URL"] = base[:-len("/v1")]  # the address as given, written the one way
    first = _list(base, None, ctx)
    wants_key = first.status in (401, 403)
    if not first.ok and not wants_key:
        raise api.LoginFailed("%s answered HTTP %d to GET /v1/models (%s); is it a llama.cpp server?"
                              % (base, first.status, first.error_text()))
    ctx.say("A llama.cpp server answers at %s%s." % (base, " and wants an API key" if wants_key else ""))
    key = api.read_secret(ctx, "API key the server was started with (--api-key; input is hidden)%s: "
                          % ("" if wants_key else ", or press Enter for none"), optional=True)
    if wants_key and key is None:
        raise api.LoginFailed("the server at %s takes only requests with its API key; run `atomic login "
                              "llama.cpp` again and give it" % base)
    if wants_key and not api.is_reference(key):
        second = _list(base, key, ctx)
        if not second.ok:
            raise api.LoginFailed("the server at %s refused that key (HTTP %d: %s); not saved"
                                  % (base, second.status, second.error_text()))
    record = {"type": "api_key"}
    if key is not None:
        record["key"] = key
    record["env"] = settings
    return record


def _list(base, key, ctx):
    """GET <base>/models, the key (if any) as a bearer token; a server that is not there is one line."""
    secret = {"Authorization": "Bearer " + (key or "local")}
    try:
        return api.request("GET", base + "/models", ctx, secret_headers=secret, deadline=LIST_DEADLINE)
    except api.NetworkError as exc:
        raise api.NetworkError("no llama.cpp server answers at %s (%s); start llama-server, or set its address "
                               "with LLAMA_BASE_URL or `atomic login llama.cpp`" % (base, exc.message))


def _ask_address(ctx):
    """The address typed on a terminal (Enter: the default), else the first line of stdin."""
    if api.interactive(ctx):
        answer = api.ask(ctx, "llama.cpp server address [%s]: " % DEFAULT_ADDRESS) or DEFAULT_ADDRESS
        return api.check_address(answer.strip(), "the address typed", ID)
    ctx.say("Reading the llama.cpp server address from stdin (an empty line: %s; or pass --env "
            "LLAMA_BASE_URL=…), then an optional API key on the next line" % DEFAULT_ADDRESS)
    if ctx.stdin is None:
        return DEFAULT_ADDRESS
    # One line from the byte stream itself, so the key after it is still there for read_secret.
    stream = getattr(ctx.stdin, "buffer", None)
    line = stream.readline(4096).decode("utf-8", "replace") if stream is not None else ctx.stdin.readline(4096)
    return api.check_address(line.strip(), "the address on stdin", ID) if line.strip() else DEFAULT_ADDRESS


def _record(item, base):
    """A catalogue record for one model the server lists (its training context when it says)."""
    meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
    context = meta.get("n_ctx_train")
    if isinstance(context, bool) or not isinstance(context, int) or context <= 0:
        context = _DEFAULT_CONTEXT
    return {"id": item["id"], "name": item["id"], "api": "openai-completions", "provider": "llama.cpp",
            "baseUrl": base, "reasoning": False, "input": ["text"],
            "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
            "contextWindow": context, "maxTokens": min(_DEFAULT_MAX_TOKENS, context), "compat": dict(COMPAT)}
