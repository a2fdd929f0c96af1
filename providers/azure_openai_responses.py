"""Azure OpenAI: the OpenAI Responses API of one Azure resource, with its own address rules.

Facts from reference-pi.md §8.1 and /work/notes/cloud-facts.md §4. The address is
AZURE_OPENAI_BASE_URL (normalised as the reference does), else the resource name's; the key goes
in `api-key`; every request carries `api-version` (AZURE_OPENAI_API_VERSION, default v1); the
model travels as its deployment name (AZURE_OPENAI_DEPLOYMENT_NAME_MAP, `model=deployment,…`).
Each setting may also be stored with the key (`atomic login azure-openai-responses --env …`).
There is no fast mode on Azure.
"""
from providers import api

DEFAULT_API_VERSION = "v1"
_AZURE_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com", ".ai.azure.com")
_SHORT_PATHS = ("", "/", "/openai", "/openai/v1/responses")


def endpoint(settings):
    """The resource's /openai/v1 address; MissingSetting when neither setting gives one."""
    import urllib.parse

    given = (settings.get("AZURE_OPENAI_BASE_URL") or "").strip().rstrip("/")
    if not given:
        resource = (settings.get("AZURE_OPENAI_RESOURCE_NAME") or "").strip()
        if not resource:
            raise api.MissingSetting("Azure OpenAI needs the address of your resource: export AZURE_OPENAI_BASE_URL "
                                     "(https://<resource>.openai.azure.com/openai/v1) or AZURE_OPENAI_RESOURCE_NAME, "
                                     "or store one: atomic login azure-openai-responses --env AZURE_OPENAI_RESOURCE_NAME=…")
        return "https://%s.openai.azure.com/openai/v1" % resource
    parts = urllib.parse.urlsplit(given)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise api.UsageError("AZURE_OPENAI_BASE_URL=%s is not an address; set it like "
                             "https://<resource>.openai.azure.com/openai/v1" % api.mask_text(given))
    host = parts.hostname or ""
    if host.endswith(_AZURE_HOSTS) and parts.path.rstrip("/") in _SHORT_PATHS:
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/openai/v1", "", ""))
    return given  # a proxy or an API Management address: as given


def deployment(model_id, settings):
    """The deployment name for a model: AZURE_OPENAI_DEPLOYMENT_NAME_MAP's entry, else the id."""
    for pair in (settings.get("AZURE_OPENAI_DEPLOYMENT_NAME_MAP") or "").split(","):
        pieces = pair.strip().split("=")
        if len(pieces) >= 2 and pieces[0].strip() == model_id and pieces[1].strip():
            return pieces[1].strip()
    return model_id


def base_url(credential):
    """The resource's address from the settings, or None while there is none (prepare() says so)."""
    try:
        return endpoint(credential.settings)
    except api.MissingSetting:
        return None


def prepare(request, credential, model, ctx):
    """The resource's address (MissingSetting, before any request, when none is set), api-version
    on every request, and the deployment in place of the model id."""
    import urllib.parse

    path = "/models" if model is None else "/responses"
    version = (credential.settings.get("AZURE_OPENAI_API_VERSION") or "").strip() or DEFAULT_API_VERSION
    request.url = "%s%s?%s" % (endpoint(credential.settings), path, urllib.parse.urlencode({"api-version": version}))
    if model is not None and isinstance(request.json, dict):
        request.json["model"] = deployment(model["id"], credential.settings)


def error_hint(status, message):
    if status == 404 and "deployment" in (message or "").lower():
        return ("Name the deployment for this model: AZURE_OPENAI_DEPLOYMENT_NAME_MAP=<model>=<deployment>, "
                "or stored with `atomic login azure-openai-responses --env AZURE_OPENAI_DEPLOYMENT_NAME_MAP=…`")
    return None
