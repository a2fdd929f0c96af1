"""The one rule for a value that becomes part of where a request (and its credential) goes.

Two kinds, named by the provider's row (Provider.address_parts, Provider.url_settings; every
{NAME} placeholder of its base URL is a part too), and by provider modules for values of their
own (through providers.api):

- a part (a resource name, a region, a project, an account id), put into a host name or a path:
  letters, digits and . _ ~ - only, and not "." or "..". A "/", "#", "?", "@" or ":" there would
  move the request, and the key with it, to another host or path.
- a whole address (a base URL people set): http(s)://HOST[:PORT][/PATH][?QUERY] (the scheme
  may be left out), with a plain host name or IP address, and no user name, fragment, backslash,
  space or control character: with those, the host a reader (or another URL parser, such as the
  SDK `atomic exec` hands the address to) sees can differ from the one that gets the request.

Checked where a value is taken (login's --env and prompts) and where it is used (the provider's
settings as the chain reads them, placeholders as they are filled, a module's own values).
"""
from .._core.errors import UsageError

_PART = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-")
_HOST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_")
ADDRESS_FORM = "https://HOST[:PORT][/PATH]"


def url_safe(value):
    """Whether a value may become part of an address (see the module's rule)."""
    return bool(value) and all(ch in _PART for ch in value) and value not in (".", "..")


def placeholders(url):
    """The upper-case {NAME}s an address is filled in from."""
    import re

    return re.findall(r"\{([A-Z_][A-Z0-9_]*)\}", url or "")


def address_problem(value):
    """Why `value` may not be used as a whole address, or None when it may."""
    from .._core.text import has_control_chars

    if any(ch.isspace() for ch in value) or has_control_chars(value, c1=True):
        return "it holds a space or a control character"
    scheme, sep, rest = value.partition("://")
    if not sep:
        scheme, rest = "https", value
    if scheme.lower() not in ("https", "http"):
        return "it is not an https:// or http:// address"
    if "\\" in rest:
        return "it holds a backslash"
    if "#" in rest:
        return "it holds a #: what atomic adds to an address would be cut off there"
    authority = rest.split("/", 1)[0]
    if "?" in authority:
        return "a ? comes before the path"
    if "@" in authority:
        return "it names a user before the host (@)"
    return _authority_problem(authority)


def _authority_problem(authority):
    if authority.startswith("["):  # an IPv6 address
        host, bracket, port = authority[1:].partition("]")
        if not bracket or not host or not all(ch in "0123456789abcdefABCDEF:." for ch in host):
            return "its IPv6 host is not one"
        port = port[1:] if port.startswith(":") else port if not port else None
    else:
        host, _colon, port = authority.partition(":")
        if not host:
            return "it has no host"
        if not all(ch in _HOST for ch in host) or ".." in host:
            return "its host holds characters a host name has not"
    if port is None or (port and not (port.isdigit() and 0 < int(port) < 65536)):
        return "its port is not a number from 1 to 65535"
    return None


def check_part(value, what, provider_id, error=UsageError):
    """`value` if it may be put into the provider's address; else `error` naming `what` (e.g.
    "AWS_REGION (environment)") and the rule."""
    if url_safe(value):
        return value
    raise error("%s may hold only letters, digits and . _ ~ -, and not be . or .. alone, as it becomes part of "
                "the %s address; fix it" % (what, provider_id))


def check_address(value, what, provider_id, error=UsageError):
    """`value` if it may be used as the provider's whole address; else `error` naming `what`."""
    problem = address_problem(value)
    if problem is None:
        return value
    from .._core.mask import excerpt

    raise error("%s is not an address atomic sends the %s credential to: %s (%s); give it as %s"
                % (what, provider_id, problem, excerpt(value, 100), ADDRESS_FORM))


def check_setting(provider, name, value, stored=False, what=None, whole=None):
    """`value` of the provider's setting `name`, checked by its kind: a whole address, a part of
    one, or neither (whole=None: as the row says). `stored`: it came from auth.json (a bad one is
    BadFile, else UsageError); `what` names it and where it came from (default: by `stored`)."""
    from .._core.errors import BadFile

    if whole is None:
        whole = True if name in provider.url_settings else False if (
            name in provider.address_parts or name in placeholders(provider.base_url)) else None
    if whole is None:
        return value
    if what is None:
        what = "%s (%s)" % (name, "stored with the %s entry in auth.json" % provider.id if stored else "environment")
    check = check_address if whole else check_part
    return check(value, what, provider.id, BadFile if stored else UsageError)
