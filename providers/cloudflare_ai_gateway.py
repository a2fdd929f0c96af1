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
    gateway = url[:-len(path)].rstrip("/")
    for other, _path in ROUTES.values():
        if gateway.endswith("/" + other):
            gateway = gateway[:-len(other) - 1]
            break
    request.url = "%s/%s%s%s" % (gateway, route, path, "?" + query if query else "")
