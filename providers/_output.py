"""How credentials are shown: HTTP header lines for scripts, masked forms for people."""


def header_lines(provider, found):
    """The header line(s) a request to this provider carries for this credential."""
    module = provider.module()
    if module is not None:
        return module.headers(found.value, found.entry)
    return [provider.header.replace("{key}", found.value)]
