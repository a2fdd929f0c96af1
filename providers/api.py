"""The public surface for provider modules and extensions: import this, and nothing else of atomic.

A provider module (providers/anthropic.py, an extension file) is plain functions with fixed
names; atomic calls each hook only if the module has it, except `login` for a provider that
signs in with OAuth (and `refresh` if its tokens expire).

An extension is such a module outside atomic (docs/extensions.md says where atomic finds them).
It also declares its registry rows, written as the built-in rows of providers/__init__.py are:

    PROVIDERS = [api.Provider(id, name, env=(), base_url="", api="openai-completions", auth="key",
                              key_header=None, settings=(), subscription=None, login_options=(),
                              aliases="", key_prefixes="", no_key=None, default_model=None,
                              address_parts=(), url_settings=())]

The id of the first row is the file's name (gitlab_duo.py: gitlab-duo) or the entry point's;
other rows' ids start with it and a hyphen. No row may take a built-in provider's id or alias.
auth is "key", "oauth", "cloud" (credentials from the cloud's own chain: the ambient hook), or
several ("oauth" needs login, and a subscription label for the login menu); address_parts and
url_settings name the settings that go into its address (a host or path part; a whole base
URL), which atomic then checks wherever they are given or used; no_key is the value
sent when a server takes no key; api is the wire API of the provider's models unless a model names its own. A minimal
complete extension, ~/.atomic/agent/extensions/acme.py:

    # --- minimal extension ---
    from providers import api

    PROVIDERS = [api.Provider("acme", "Acme AI", env="ACME_API_KEY", base_url="https://api.acme.example.com/v1",
                              api="openai-completions", aliases="roadrunner")]


    def models(ctx):
        return [{"id": "acme-large", "name": "Acme Large", "contextWindow": 131072, "maxTokens": 8192}]


    def prepare(request, credential, model, ctx):
        request.headers.set("Acme-Client", "atomic")  # what this provider wants on every request
    # --- end ---

The hooks, for built-in modules and extensions alike:

    login(ctx, options) -> entry
        Sign in; return the auth.json record, e.g. {"type": "oauth", "access": ..., "refresh": ...,
        "expires": <epoch ms>, "identity": {"email", "account", "plan", ...}, ...extras}. options:
        {"device": bool, "enterprise_domain": str or None, "settings": {NAME: value} from --env}
        (the `atomic login` options the provider's row lists), and "token" (a non-rotating token
        given with --with-token: return {"type": "api_key", "key": ...}) or "from" (another tool
        whose login to use, --from: return {"type": "linked", "from": ..., ...where to find it},
        the reference atomic keeps; see linked). A provider without OAuth whose module has login() asks its own questions there
        instead of the usual key prompt (llama.cpp: its server's address, then an optional key)
        and returns an {"type": "api_key", ...} record; a "key" in it is stored as a pasted key
        is. Write nothing: atomic saves the record under the lock. Raise LoginFailed (exit 10)
        when the person or the server says no.
    refresh(entry, ctx) -> fields
        New tokens for a stored entry: {"access", "expires", "refresh" (None or missing: keep the
        stored one), ...extras}. Use ctx.refresh_deadline for the request. Raise LoginAgain when
        the refresh token is refused; a usable-looking 2xx without a token is NetworkError, and
        keeping(error, refresh) saves a rotated refresh token before the error is raised.
    account(entry) -> str or None
        Who the login belongs to, for `atomic status` (when its record has no "identity").
    revoke(entry, ctx)
        End the stored login at the provider (`atomic logout --revoke`): revoke its refresh token.
        Raise NetworkError when the provider does not confirm; atomic then keeps the entry.
    linked(record, ctx, stale) -> Credential
        The credential of another tool's login that `atomic login --from` linked (record: what
        login returned with "type": "linked"), read from that tool now: never a copy, never its
        refresh token spent, never its files written. stale: None, or a token that ran out or that
        the provider refused; read again, and if the tool still holds it, have the tool refresh
        its own login where it can, else raise LoginAgain saying what to run.
    headers(credential) -> [(name, value), ...] or None
        The header lines this credential travels in, replacing the wire API's key header (e.g. a
        Claude subscription token: Authorization plus anthropic-beta). None: the usual key header.
        credential.value is the token or key, credential.entry the auth.json entry (or None).
    base_url(credential) -> str or None
        A base URL that depends on the credential (Copilot's host from its token), else None.
    prepare(request, credential, model, ctx)
        Change a request just before it is sent: request.url, request.headers (set/remove by
        name), request.json (the body), for what is special to this provider. model is the
        catalogue record (id, api, baseUrl, ...), or None for the one cheap request of `atomic
        status --check` (a GET of the model list at the base URL; change it where the provider's
        cheapest authenticated request is another). A provider that signs requests sets
        request.body to the final bytes (they are sent as they are) and may change request.url;
        a credential's signer, if it has one, is applied after prepare().
    error_hint(status, message) -> str or None
        A sentence to add when the provider refuses a request (HTTP status, its error text),
        e.g. how to enable a model; None when there is nothing to add.
    export(credential, ctx) -> {NAME: value} or None
        The environment variables `atomic exec` gives a command for this credential, as the
        provider's own tools read them (e.g. {"ANTHROPIC_OAUTH_TOKEN": ...}); {} when no tool reads
        it from the environment (the provider is named and skipped). None: the provider's first
        registry variable. atomic adds the entry's `env` settings and, where models.json sets an
        address, the SDK's base-URL variable.
    models(ctx) -> [model, ...]
        The provider's models when atomic's catalogue has none for it (an extension): records as
        models.json's "models" takes them ({"id", "name", "api", "baseUrl", "reasoning", "input",
        "contextWindow", "maxTokens", "cost", "headers", ...}; api and baseUrl default to the row's).
        Called whenever the catalogue is read, so no requests and nothing slow. models.json's
        entry for the provider applies on top (baseUrl, modelOverrides, more models).
    wire(api) -> module or None
        The protocol of a wire API atomic does not speak, for a model whose "api" is that id: an
        object with build(model, base_url, headers, request) -> ApiRequest and read(events, sink)
        like the modules of providers/_wire (see providers/_wire/__init__.py). Written to the
        text-only contract, it reads request.system and request.messages and is only given
        text; one that sets CARRIES (a subset of "text", "tools", "images", "thinking") reads the
        whole request (request.turns, tools, options) and is given what it declares. None:
        atomic's own.
    served_models(credential, ctx) -> [model record, ...]
        The models the provider's own server lists now (llama.cpp's GET /v1/models), asked of it
        with the credential: unlike models(ctx), this makes a request, so atomic calls it only
        where models are listed or chosen (`atomic models`, /model in chat, `atomic ask` without
        a model or with one the catalogue lacks), and only when the provider has a credential:
        a provider with this hook and a credential is usable with the models its server lists.
        Records have the catalogue's full shape (id, name, api, provider, baseUrl, contextWindow,
        maxTokens, ...); models.json's modelOverrides apply to them. Raise NetworkError (one
        line) when the server does not answer.
    account_model(model, entry) -> model record
        The model as this login's account serves it, where the account says more than the
        catalogue: e.g. another "api" (GitHub Copilot: the wire API its /models entry supports, kept
        in the entry at login and refresh). entry: the auth.json entry of the login a request would
        use (None: a credential without one, e.g. from the environment). Return the model, or a
        changed copy; raise UsageError with a sentence when the account cannot use it at all.
        Applied wherever a model is routed (`atomic ask`, `chat`, `serve` alike) and to the
        account's models that `atomic models` lists (a refused one is left out there), so no
        requests and nothing slow.
    lend(credential, user_agent) -> str or None
        Whether atomic serve may send a program's request on with this credential: None when it
        may, else a sentence saying why not and what to use instead. user_agent is the program's
        own User-Agent. (A Claude subscription is lent to Claude Code alone: any other program
        would have to be presented as Claude Code, which atomic serve never does.)
    ambient(ctx) -> Credential or None
        A credential from the cloud's own chain, for a provider whose row lists "cloud" in its
        auth (Google Application Default Credentials, the AWS chain): asked after every other
        source. Return Credential(value, source, expires=, signer=, fetch=, note=, details=), or
        None when none is set up (the function's first docstring line says, for --explain, what
        was looked for). Touch no network here: fetch() -> (value, expires epoch ms) makes a
        token when a command uses it; signer(request) signs an ApiRequest instead of a value.
        Raise NotLoggedIn (or MissingSetting) for a source that is there but cannot work.

A credential has .value, .source, .entry, .expires_at (epoch ms or None), .signer, .settings (the
row's `settings` names as found: the auth.json entry's env, then the environment, those in
address_parts and url_settings already checked) and .details (what the provider module put
there). settings(ctx, provider_id) gives the same for a module's own use before there is a
credential. A value of the module's own that goes into an address (one read from a file, or
another variable) is held to the same rule with check_part(value, what, provider_id, error) or
check_address(...) (what: the value's name and where it came from; error: UsageError by default).

An extension's hook that raises anything but the errors below is reported as that extension's
failure (exit 1, naming it), as is an answer of the wrong shape; the errors below keep their
meaning and exit codes.

Everything a module needs is below: errors (each carries its exit code), the HTTP helper,
OAuth and device-code helpers, and prompts. Names are loaded on first use, so importing this
module costs almost nothing.
"""
HOOKS = ("login", "refresh", "account", "revoke", "linked", "headers", "base_url", "prepare", "error_hint", "export",
         "ambient", "models", "wire", "served_models", "account_model", "lend")

ERRORS = ("AtomicError", "UsageError", "NotLoggedIn", "BadFile", "LoginAgain", "NetworkError", "Unsafe",
          "CommandFailed", "LoginFailed")

# name -> (module, attribute): imported when first asked for.
_LAZY = {name: ("._core.errors", name) for name in ERRORS}
_LAZY.update({
    "request": ("._net.http", "request"),
    "open_stream": ("._net.http", "open_stream"),
    "browser_login": ("._net.oauth", "browser_login"),
    "token_request": ("._net.oauth", "token_request"),
    "token_fields": ("._net.oauth", "token_fields"),
    "keeping": ("._net.oauth", "keeping"),
    "token_safe": ("._net.oauth", "token_safe"),
    "poll_device": ("._net.device", "poll"),
    "show_device_code": ("._net.device", "show_code"),
    "ask": ("._core.prompts", "ask"),
    "interactive": ("._core.prompts", "interactive"),
    "read_secret": ("._core.prompts", "read_secret"),
    "is_reference": ("._auth.keys", "is_reference"),
    "has_control_chars": ("._core.text", "has_control_chars"),
    "mask_text": ("._core.mask", "mask_text"),
    "HeaderList": ("._wire.request", "HeaderList"),
    "retry_after": ("._net.retry", "retry_after"),
    "catalog_models": ("._models.catalog", "builtin_models"),
    "Credential": ("._auth.chain", "Credential"),
    "MissingSetting": ("._core.errors", "MissingSetting"),
    "sign_jwt": ("._auth.jwt", "sign_jwt"),
    "Provider": (".", "Provider"),
    "ApiRequest": ("._wire.request", "ApiRequest"),
    "ProviderError": ("._wire.common", "ProviderError"),
    "json_event": ("._wire.common", "json_event"),
    "domain_host": ("._core.text", "domain_host"),
    "check_part": ("._net.address", "check_part"),
    "check_address": ("._net.address", "check_address"),
})

__all__ = ["HOOKS", "settings"] + sorted(_LAZY)


def settings(ctx, provider_id):
    """{NAME: value} of a provider's settings: its auth.json entry's env, then the environment."""
    from . import find
    from ._auth.chain import provider_settings

    return provider_settings(find(provider_id, ctx), ctx)


def __getattr__(name):
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError("providers.api has no %r" % name) from None
    import importlib

    value = getattr(importlib.import_module(module_name, __package__), attribute)
    globals()[name] = value  # the next lookup is a plain attribute
    return value
