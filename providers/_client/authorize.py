"""Where a request with a credential goes and what it carries: the resolved base URL, and the
header lines, built the same way for `atomic key --header` / `--json` and for every request.

Headers, in order: the credential's own lines (the provider module's headers() hook, else the
key header of the wire API, or the provider's own key_header), the API's protocol headers,
then the provider's models.json `headers` (values resolved as keys are: $VAR, !command) and
`authHeader`. A later line with the same name replaces an earlier one.
"""
from .._core import errors
from .._wire.apis import APIS, DEFAULT_API
from .._core.text import has_control_chars
from .._wire.request import HeaderList


def credential_headers(provider, credential, ctx, api=None):
    """[(name, value), ...] for a request to provider with this credential (None: a server that
    takes no key, so only the API's and models.json's headers)."""
    return header_lines(provider, credential, ctx, api)[0].items()


def header_lines(provider, credential, ctx, api=None):
    """(HeaderList, names of the lines that carry a credential) for credential_headers. Secret:
    the credential's own lines, `authHeader`, and models.json headers whose value is a
    reference ($VAR, !command): a name such as X-Gateway-Credential need not look secret."""
    wire = APIS.get(api or provider.api) or APIS[DEFAULT_API]
    hook = provider.hook("headers") if credential is not None else None
    lines = hook(credential) if hook is not None else None
    if credential is None or (lines is None and credential.value is None):
        lines = []  # no key, or a credential that signs the request instead
    elif lines is None:
        name, template = provider.key_header or wire.key_header
        lines = [(name, template.replace("{key}", credential.value))]
    headers = HeaderList(lines)
    secret = set(name.lower() for name, _value in lines)
    for name, value in wire.headers:
        headers.setdefault(name, value)
    config, _path = provider.config(ctx)
    if config:
        for name, value in configured_headers(config, provider.config_file(ctx, "headers"), provider.id, ctx):
            headers.set(name, value)
        secret.update(_references(config.get("headers")))
        if config.get("authHeader") is True and credential is not None and credential.value is not None:
            headers.set("Authorization", "Bearer " + credential.value)
            secret.add("authorization")
    return headers, secret


def _references(headers):
    """The lower-case names of the header values that stand for a value kept elsewhere."""
    from .._auth.keys import needs_resolving

    if not isinstance(headers, dict):
        return set()
    return set(name.lower() for name, value in headers.items() if isinstance(value, str) and needs_resolving(value))


def prepared(ctx, provider, model, credential, build):
    """The request build(base_url, headers) makes, with all a credential brings: the credential's
    header lines, the API's and models.json's headers and the model's, then authorize(). model
    None: a request that is no model's (the check's model list)."""
    headers, secret = header_lines(provider, credential, ctx, api=(model or {}).get("api"))
    if model is not None:
        for name, value in model_headers(model, provider, ctx):
            headers.set(name, value)
        secret.update(_references(model.get("headers")))
    request = build(base_url(provider, ctx, credential, url=(model or {}).get("baseUrl") or None), headers)
    request.secret_names |= secret
    authorize(request, provider, model, credential, ctx)
    return request


def prepares(provider):
    """Whether the provider's module changes requests (has a prepare() hook): such a module may
    know an address that models.json does not give (Azure's from its settings)."""
    return provider.hook("prepare") is not None


def authorize(request, provider, model, credential, ctx):
    """The last changes to a request before it is sent: the provider's prepare() hook (what is
    special to it), then the credential's signer, whose signature covers the final URL, headers
    and body. The only caller of either (docs/design.md: one owner)."""
    if credential is None:
        return request  # a server that takes no key: nothing of a credential to add
    hook = provider.hook("prepare")
    if hook is not None:
        hook(request, credential, model, ctx)
    if credential.signer is not None:
        credential.signer(request)
    return request


def configured_headers(config, path, pid, ctx, where="headers"):
    """The `headers` of a models.json entry with each value resolved (`where`: its field path)."""
    from .._core.files import commands_allowed_at
    from .._auth.keys import resolve_header_value

    headers = config.get("headers")
    if not isinstance(headers, dict):
        return []
    out = []
    for name, value in headers.items():
        if not _is_header_name(name):
            raise errors.BadFile("%s: providers.%s.%s: %r is not a header name (letters, digits and !#$%%&'*+-.^_`|~ "
                          "only)" % (path, pid, where, name))
        if not isinstance(value, str):
            raise errors.BadFile("%s: providers.%s.%s.%s: expected a string" % (path, pid, where, name))
        origin = "%s: providers.%s.%s.%s" % (path, pid, where, name)
        out.append((name, resolve_header_value(value, ctx, origin,
                                               allow_commands=value.startswith("!") and commands_allowed_at(path))))
    return out


def model_headers(model, provider, ctx):
    """The `headers` of a model record (the catalogue's, and models.json's merged in by the
    catalogue), each value resolved as key values are when it is a reference ($VAR, !command)."""
    from .._core.files import commands_allowed_at
    from .._auth.keys import needs_resolving, resolve_header_value

    headers = model.get("headers")
    if not isinstance(headers, dict):
        return []
    _config, path = provider.config(ctx)
    # A model's headers may come from any file that defines its provider: each must be safe.
    files = provider.config_files(ctx) if path else []
    out = []
    for name, value in headers.items():
        if not isinstance(value, str):
            continue
        if needs_resolving(value):
            origin = "%s: providers.%s model %s headers.%s" % (path or "models.json", provider.id, model.get("id"), name)
            value = resolve_header_value(value, ctx, origin, allow_commands=value.startswith("!") and bool(files)
                                         and all(commands_allowed_at(f) for f in files))
        out.append((name, value))
    return out


_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _is_header_name(name):
    """An HTTP field name (RFC 9110 token): nothing that could end the line or the name early."""
    return bool(name) and all(ch in _TOKEN_CHARS for ch in name)


def base_url(provider, ctx, credential=None, url=None):
    """The provider's base URL (a models.json baseUrl over the registry's, or `url` when given),
    with {NAME} placeholders filled from the credential's env settings or the environment.
    The provider module's base_url(credential) hook, if it answers, wins (Copilot's per-token host)."""
    hook = provider.hook("base_url")
    if hook is not None and credential is not None:
        special = hook(credential)
        if special:
            return special
    config, _path = provider.config(ctx)
    if url is None:
        url = config.get("baseUrl") if config and isinstance(config.get("baseUrl"), str) else provider.base_url
    if not (url.isprintable() and " " not in url) and (any(ch.isspace() for ch in url)
                                                     or has_control_chars(url, c1=True)):
        # A line break would end the request line and start a header of the file's choosing.
        raise errors.BadFile("the base URL of %s (models.json or models.toml baseUrl) holds a space or a control "
                             "character; fix it" % provider.id)
    if url[:7].lower() == "http://" and (credential is not None or (config or {}).get("headers")):
        _refuse_plain_project_address(provider, ctx, url)
    return fill_placeholders(url, provider, ctx, credential)


def _refuse_plain_project_address(provider, ctx, url):
    """BadFile naming the field when a project's file sends a credential over plain http to
    another machine (a trusted folder may re-point a provider, but not to the open network)."""
    import urllib.parse

    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost") or host == "::1" or host.startswith("127."):
        return
    from .._config.models_files import project_addresses

    for _pid, _model, address, path, field in project_addresses(ctx, [provider.id]):
        if address == url:
            raise errors.BadFile("%s: %s: %s is plain http to another machine: the %s credential would cross the "
                                 "network unencrypted; use https:// (a project's files may use http:// only for "
                                 "this machine: localhost, 127.0.0.1, ::1)" % (path, field, url, provider.id))


def fill_placeholders(url, provider, ctx, credential=None):
    """url with every upper-case {NAME} replaced; MissingSetting naming the first one set nowhere.
    Lower-case placeholders ({location}) belong to the provider module and are left as they are."""
    if "{" not in url:
        return url
    import re

    from .._net.address import check_setting

    env = (credential.entry or {}).get("env") if credential is not None else None

    def value(match):
        name = match.group(1)
        stored = ((env or {}).get(name) or "").strip()
        found = stored or (ctx.env(name) or "").strip()
        if not found:
            raise errors.MissingSetting("%s is not set, and the %s address needs it: run `atomic login %s "
                                 "--env %s=…` to store it with the key, or export %s"
                                 % (name, provider.id, provider.id, name, name))
        return check_setting(provider, name, found, stored=bool(stored), whole=False)

    return re.sub(r"\{([A-Z_][A-Z0-9_]*)\}", value, url)
