"""Cloudflare AI Gateway: one gateway, a route per kind of model.

Facts from reference-pi.md §8.3 and /work/notes/cloud-facts.md §5. Under
https://gateway.ai.cloudflare.com/v1/<account>/<gateway> the Unified API (`/compat`, OpenAI chat
completions, ids such as `workers-ai/@cf/…`), OpenAI (`/openai`, Responses) and Anthropic
(`/anthropic`, Messages) each have their own route, picked by the model's wire API: a models.json
`baseUrl` for the provider names the gateway, and never sends every model down one route. The
Cloudflare token travels as `cf-aig-authorization` (the registry row's key header); no upstream
key is sent (unified billing, or keys stored in the gateway), unless models.json adds an
`Authorization` header (bring your own key inline).
"""
from providers import api  # noqa: F401  (the public surface, as every provider module)

# wire API -> (route under the gateway, the path the wire module puts after the base URL)
ROUTES = {
    "openai-completions": ("compat", "/chat/completions"),
    "openai-responses": ("openai", "/responses"),
    "anthropic-messages": ("anthropic", "/v1/messages"),
}


def prepare(request, credential, model, ctx):
    """Send the request down its model's route, whatever base URL it was built on."""
    if model is None or model.get("api") not in ROUTES:
        return
    route, path = ROUTES[model["api"]]
    url, query = request.url.split("?", 1) if "?" in request.url else (request.url, None)
    if not url.endswith(path):
        return
    gateway = _without_route(url[:-len(path)].rstrip("/"))
    request.url = "%s/%s%s%s" % (gateway, route, path, "?" + query if query else "")


def _without_route(base):
    """The gateway's address without the route it was built on (/compat, /openai, /anthropic).
    On Cloudflare's own host the route comes after /v1/ACCOUNT/GATEWAY, so a gateway that is
    itself named `openai` keeps its name."""
    routes = {route for route, _path in ROUTES.values()}
    head, _slash, last = base.rpartition("/")
    if last not in routes:
        return base
    segments = base.split("://", 1)[-1].split("/")[1:]  # the path's segments
    if "v1" in segments and len(segments) - segments.index("v1") - 1 <= 2:
        return base  # only /v1/ACCOUNT/GATEWAY: the last one is the gateway, not a route
    return head
