"""A request being built: its header lines and the request itself, filled by a wire module and
changed by prepare() hooks and signers."""


class ApiRequest:
    """A request being built: the wire module fills it, prepare() hooks may change any part.

    headers is a HeaderList (set / setdefault / remove by name, order kept); json is the body as
    an object, or body the ready-made bytes (a signed request); secret_names are the headers that
    carry credentials, sent only to the first host and masked in messages.
    """

    def __init__(self, method, url, headers, json=None, body=None, secret_names=()):
        self.method, self.url, self.headers = method, url, headers
        self.json, self.body, self.secret_names = json, body, set(n.lower() for n in secret_names)

    def payload(self):
        """The bytes to send: the ready-made body, else the JSON one encoded (None for no body).
        A signer signs these, and these are what is sent."""
        if self.body is None and self.json is not None:
            import json

            return json.dumps(self.json).encode("utf-8")
        return self.body


class HeaderList:
    """Header lines in order, names compared without case, a later set() replacing the value."""

    def __init__(self, lines=()):
        self._lines = []
        for name, value in lines:
            self.set(name, value)

    def _index(self, name):
        lower = name.lower()
        return next((n for n, (have, _v) in enumerate(self._lines) if have.lower() == lower), None)

    def set(self, name, value):
        at = self._index(name)
        if at is None:
            self._lines.append((name, value))
        else:
            self._lines[at] = (self._lines[at][0], value)

    def setdefault(self, name, value):
        if self._index(name) is None:
            self._lines.append((name, value))

    def remove(self, name):
        at = self._index(name)
        if at is not None:
            del self._lines[at]

    def items(self):
        return list(self._lines)
