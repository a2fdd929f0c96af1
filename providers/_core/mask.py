"""Masking of secrets, by shape for text from anywhere and by value for strings we know."""
import re

# Shapes of credentials seen in the wild; a backstop for server text and command stderr.
_SHAPES = re.compile(
    r"sk-ant-[a-z0-9]+-[A-Za-z0-9_-]+"
    r"|sk-[A-Za-z0-9_-]{8,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}"
    r"|github_pat_[A-Za-z0-9_]{20,}"
    r"|glpat-[A-Za-z0-9_-]{20,}"
    r"|(?<![A-Za-z0-9-])at-[A-Za-z0-9_-]{24,}"  # a ChatGPT personal access token (CODEX_ACCESS_TOKEN)
    r"|(?:gsk|hf|r8)_[A-Za-z0-9]{20,}|(?:xai|csk)-[A-Za-z0-9]{20,}|AIza[0-9A-Za-z_-]{30,}|AKIA[0-9A-Z]{16}"
    r"|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
    r"|(?<=Bearer )\S+"
)
# user:password@ in a URL (a proxy's): the password is short and says nothing, so none of it shows.
_USERINFO = re.compile(r"(?<=://)[^/@\s:]+:[^/@\s]+(?=@)")
SECRET_NAMES = ("access", "refresh", "key", "token", "code", "code_verifier", "client_secret", "access_token",
                "refresh_token", "id_token", "device_code", "authorization_code", "apiKey", "api_key",
                "password", "client_assertion", "assertion")
_SECRET_FIELDS = "(?:%s)" % "|".join(sorted(SECRET_NAMES, key=len, reverse=True))
# Secret-named fields in JSON ("token": "…") and in forms or URLs (token=…). A value starts the
# way tokens do, so atomic's own hints (`it contains code=)`, `key=…`) are left as written.
_FIELDS = re.compile(r'("%s"\s*:\s*"|\b%s=)([A-Za-z0-9_.~+/%%-][^"&\s,}]*)' % (_SECRET_FIELDS, _SECRET_FIELDS),
                     re.IGNORECASE)


# Words in a header's name that say its value is a credential, as APIs, proxies and gateways name
# them (x-api-key, X-Auth-Token, Cookie, x-gateway-credential, ...).
SECRET_HEADER_WORDS = ("auth", "key", "token", "secret", "cookie", "credential", "password", "session", "signature")


def is_secret_header(name):
    """Whether a header of this name carries a credential, by its name alone."""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_HEADER_WORDS)


def is_secret_name(name):
    """Whether a form, JSON or query field of this name holds a secret (google-auth's _SENSITIVE_FIELDS idea)."""
    return name.lower() in _LOWER_NAMES


_LOWER_NAMES = frozenset(n.lower() for n in SECRET_NAMES)


def mask_value(value):
    """Show at most a recognisable prefix and the last four characters of a secret."""
    value = str(value)
    if len(value) < 12:
        return "****"
    if len(value) < 20:
        return "…" + value[-4:]
    # A known vendor's prefix says which key it is; anything else (a random token, whose first
    # "-" or "_" may fall anywhere) shows at most three characters.
    vendor = _VENDOR_PREFIX.match(value)
    prefix = vendor.group(0) if vendor else value[:3]
    return "%s…%s" % (prefix, value[-4:])


# The providers' documented key prefixes (the registry's key_prefixes and a few more), longest first.
_VENDOR_PREFIX = re.compile(
    r"(?:sk-ant-|sk-proj-|sk-svcacct-|sk-admin-|sk-or-v1-|sk-or-|sk_live_|sk_test_|sk-|github_pat_"
    r"|gh[pousr]_|glpat-|gsk[-_]|csk-|xai-|hf_|pypi-|xox[abpr]-)(?=.{16})")


def mask_values(text, secrets):
    """text with each of the given secrets masked wherever it stands (one under 4 characters would
    mask ordinary words: it is left)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, mask_value(secret))
    return text


def mask_text(text, secrets=()):
    """Redact the given secrets, then anything shaped like one, then secret-named fields."""
    text = mask_values(str(text), secrets)
    text = _SHAPES.sub(lambda m: mask_value(m.group(0)), text)
    text = _USERINFO.sub("****", text)
    return _FIELDS.sub(lambda m: m.group(1) + mask_value(m.group(2)), text)


def excerpt(text, limit=200, secrets=()):
    """A masked, single-line, length-capped excerpt of a server body for an error message, with
    the given secrets masked by value and control characters (terminal escapes) shown as `?`."""
    from .text import printable

    one_line = printable(" ".join(str(text).split()))
    masked = mask_text(one_line, secrets)
    return masked if len(masked) <= limit else masked[:limit] + "…"


def shown(text):
    """Text from anywhere (a server, an extension, a path) as atomic shows it to people or puts it
    in --json: masked, and with no control character a terminal would obey."""
    from .text import printable

    return mask_text(printable(str(text)))
