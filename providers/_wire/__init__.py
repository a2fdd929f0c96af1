"""The wire layer: one module per streaming protocol, chosen per model by the api it names.

A wire module builds an ApiRequest from a conversation and reads the provider's answer; it never
imports a provider module. What is special to one provider (Copilot's host, a Claude
subscription's system block) reaches the request through that provider's prepare() hook.
"""
# api id -> dotted path of the module that speaks it (filled in as protocols arrive).
MODULES = {}


class ApiRequest:
    """A request being built: the wire module fills it, prepare() hooks may change any part.

    headers is a HeaderList (set / setdefault / remove by name, order kept); json is the body as
    an object, or body the ready-made bytes (a signed request); secret_names are the headers that
    carry credentials, sent only to the first host and masked in messages.
    """

    def __init__(self, method, url, headers, json=None, body=None, secret_names=()):
        self.method, self.url, self.headers = method, url, headers
        self.json, self.body, self.secret_names = json, body, set(n.lower() for n in secret_names)
