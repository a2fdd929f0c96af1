"""Which provider, model and wire module a request goes to: the one place that decides.

A target is `PROVIDER/MODEL`, a provider alone (its everyday model), a bare model id (the first
provider with a credential that has it, in login-menu order), or nothing (settings.json's
default, else the first provider with a credential). Names are ids or aliases.
"""
from .._core.errors import UsageError
from .._models.catalog import stored_entry
from .._models.choose import choose  # here once: every request of a gateway is routed
from .._wire.apis import APIS, module_for


class Route:
    """Where a request goes. provider: the registry row; model: the catalogue record; wire: the
    module that speaks its API; api: the wire-API id; family: the inbound API whose bodies pass
    through to it unchanged (or the api id itself); profile: the account chosen, or None."""
    __slots__ = ("provider", "model", "wire", "api", "family", "profile")

    def __init__(self, provider, model, wire, api, family, profile=None):
        self.provider, self.model, self.wire, self.api, self.family = provider, model, wire, api, family
        self.profile = profile

    @property
    def label(self):
        """provider/model, as people name it."""
        return "%s/%s" % (self.provider.id, self.model["id"])

    def __repr__(self):
        return "Route(%s)" % self.label


class Scope:
    """What a caller may reach (a gateway's client token): provider ids and PROVIDER/MODEL ids,
    None for any. Anything else with allows(provider_id, model_id) serves as well."""

    def __init__(self, providers=None, models=None):
        self.providers = None if providers is None else frozenset(providers)
        self.models = None if models is None else frozenset(models)

    def allows(self, provider_id, model_id):
        return ((self.providers is None or provider_id in self.providers)
                and (self.models is None or "%s/%s" % (provider_id, model_id) in self.models))


def route(ctx, target=None, *, profile=None, scope=None):
    """The Route for a target (see the module's docstring); UsageError for a name that is
    nothing known, or a model the scope does not allow."""
    target = (target or "").strip() or None
    try:
        provider, model = choose(ctx, target, profile=profile)
    except UsageError as exc:
        if target is None or "/" in target:
            raise
        provider, model = _by_model_id(ctx, target, scope, exc)
    if scope is not None and not scope.allows(provider.id, model["id"]):
        raise UsageError("%s/%s is not among the models this caller may use" % (provider.id, model["id"]))
    return for_model(ctx, provider, model, profile)


def for_model(ctx, provider, model, profile=None):
    """The Route to a model record of a provider already chosen, as the login's account serves it."""
    model = account_model(ctx, provider, model, profile)
    api = model.get("api") or provider.api
    own = wire_hook(provider, api)
    if own is not None:  # a protocol of the provider's own: no other API's bodies are its
        return Route(provider, model, own, api, api, profile)
    return Route(provider, model, module_for(api), api, APIS[api].family, profile)


def account_model(ctx, provider, model, profile=None):
    """The model as the account of the login a request would use serves it (the provider's
    account_model hook, given that login's stored entry), else as it is."""
    hook = provider.hook("account_model")
    return model if hook is None else hook(model, stored_entry(provider, ctx, profile))


def wire_hook(provider, api):
    """The provider's own module for `api` (its wire() hook), or None: atomic's then."""
    hook = provider.hook("wire")
    return hook(api) if hook is not None else None


def _by_model_id(ctx, model_id, scope, not_a_provider):
    """(provider, model) of the first usable provider, in login-menu order, whose models include
    model_id; the error for the name as a provider when none does."""
    from .. import find
    from .._models.choose import usable_models

    for model in usable_models(ctx):
        if model["id"] == model_id and (scope is None or scope.allows(model["provider"], model_id)):
            return find(model["provider"], ctx), model
    raise not_a_provider
