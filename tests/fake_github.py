"""A loopback stand-in for GitHub's device flow and Copilot token endpoint (github.com or an
Enterprise Server), speaking the real protocol: form bodies, JSON answers with HTTP 200 for the
device-flow errors (as GitHub sends them), Bearer GitHub tokens on the Copilot exchange; and for
the Copilot API: its /models list and, with serve_models(), its three inference endpoints."""
import json
import threading
import time

from netfakes import reply, stream

CLIENT_ID = "Iv1.b507a08c87ecfe98"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
EDITOR_HEADERS = {
    "User-Agent": "GitHubCopilotChat/0.35.0",
    "Editor-Version": "vscode/1.107.0",
    "Editor-Plugin-Version": "copilot-chat/0.35.0",
    "Copilot-Integration-Id": "vscode-chat",
}

# Where Copilot serves a model: each /models item's `supported_endpoints`, in Copilot's own words
# (GitHub's SDK, github/copilot-sdk-java@2e100d3e AssistantUsageApiEndpoint: "/chat/completions",
# "/v1/messages", "/responses", "ws:/responses"). The GPT-5 family is on /responses only (on
# /chat/completions Copilot answers unsupported_api_for_model); Claude models on /v1/messages and
# /chat/completions; the older GPT and Gemini models on /chat/completions.
ENDPOINTS = {
    "gpt-5.2": ["/responses", "ws:/responses"],
    "gpt-5.6": ["/responses", "ws:/responses"],          # newer than atomic's catalogue
    "claude-sonnet-4.5": ["/v1/messages", "/chat/completions"],
    "claude-opus-5": ["/v1/messages", "/chat/completions"],   # newer than atomic's catalogue
    "gpt-4o": ["/chat/completions"],
    "gemini-2.5-pro": ["/chat/completions"],
    "text-embedding-3-small": ["/embeddings"],
}


def copilot_model(mid, state="enabled", picker=True, tools=True, endpoints=None):
    """One item of Copilot's GET /models answer, in its shape (endpoints: ENDPOINTS' unless given;
    False: an item without supported_endpoints, as older answers were)."""
    item = {"id": mid, "name": mid, "object": "model", "vendor": "Anthropic" if mid.startswith("claude") else "OpenAI",
            "model_picker_enabled": picker, "policy": {"state": state, "terms": ""},
            "capabilities": {"family": mid, "type": "chat", "supports": {"tool_calls": tools, "streaming": True}},
            "billing": {"is_premium": mid.startswith("claude"), "multiplier": 1}}
    endpoints = ENDPOINTS.get(mid) if endpoints is None else endpoints
    if endpoints is not False and endpoints is not None:
        item["supported_endpoints"] = list(endpoints)
    return item


def unsupported_api(path, model, endpoints=ENDPOINTS):
    """Copilot's refusal (HTTP 400 body) of a model on an endpoint its /models entry does not list,
    or None where it serves it (a model it does not list is served anywhere here)."""
    listed = endpoints.get(model)
    if listed is None or path in listed:
        return None
    return {"error": {"message": "model \"%s\" is not accessible via the %s endpoint" % (model, path),
                      "code": "unsupported_api_for_model"}}


VISION_REFUSAL = {"error": {"message": "missing required Copilot-Vision-Request header for vision requests", "code": ""}}


def refuses_unseen_image(body, headers):
    """Copilot's 400 to a request with an image in it and no Copilot-Vision-Request: true."""
    text = json.dumps(body.get("messages") or body.get("input") or [])
    image = any('"type": "%s"' % kind in text for kind in ("image_url", "input_image", "image"))
    return VISION_REFUSAL if image and headers.get("Copilot-Vision-Request") != "true" else None


class FakeGitHub:
    """Routes on `domain` and `api.<domain>`. `answers` is the script of poll outcomes:
    "pending", ("slow_down", interval or None), "ok", "expired", "denied" or "500" (a 502
    HTML page); the last answer repeats."""

    def __init__(self, net, domain="github.com", answers=("ok",), interval=1, expires_in=900,
                 github_token="gho_github-token-1234567890", copilot_lifetime=1800,
                 verification_uri=None, models=(), policy_answers=()):
        self.domain, self.api = domain, "api." + domain
        self.answers = list(answers)
        self.interval, self.expires_in = interval, expires_in
        self.github_token = github_token
        self.valid_github_tokens = {github_token}
        self.copilot_lifetime = copilot_lifetime
        self.verification_uri = verification_uri or "https://%s/login/device" % domain
        self.device_code = "dc-%s-0001" % domain
        self.models = list(models)            # the account's /models "data" items
        self.policy_answers = list(policy_answers)  # (status, headers) per policy POST; then 200
        self.policy_posts = []
        self.model_lists = []
        self.device_requested_at = None
        self.poll_times = []
        self.exchanges = []
        self.issued = []
        self.lock = threading.Lock()
        self.net, hosts = net, net.hosts
        hosts.route("POST", domain, "/login/device/code")(self._device_code)
        hosts.route("POST", domain, "/login/oauth/access_token")(self._access_token)
        hosts.route("GET", self.api, "/copilot_internal/v2/token")(self._copilot_token)
        hosts.route("GET", self.api, "/user")(self._user)
        self.login = "octocat"                 # the account GET /user names for a valid GitHub token
        # The Copilot API: where the issued tokens' proxy-ep points on github.com; an Enterprise
        # Server's tokens name none, so its copilot-api host.
        copilot = self.copilot_host = ("api.individual.githubcopilot.com" if domain == "github.com"
                                       else "copilot-api." + domain)
        hosts.route("GET", copilot, "/models")(self._models)
        for item in self.models:
            hosts.route("POST", copilot, "/models/%s/policy" % item["id"])(self._policy)

    def serve_models(self):
        """Copilot's inference endpoints on the API host: each answers `<path> <model>` in its own
        API's stream, and refuses a model its /models entry lists elsewhere, as Copilot does.
        Requests are kept in self.inference as (path, model)."""
        from llmfakes import anthropic_events, completions_events, responses_events

        self.inference = []
        events = {"/chat/completions": completions_events, "/responses": responses_events,
                  "/v1/messages": anthropic_events}

        def answer(req):
            model = req.json().get("model")
            self.inference.append((req.path, model))
            if not req.headers.get("Authorization", "").startswith("Bearer tid="):
                return reply(401, {"error": {"message": "unauthorized: token expired or invalid"}})
            served = {item["id"]: item["supported_endpoints"] for item in self.models if "supported_endpoints" in item}
            refused = unsupported_api(req.path, model, served)
            if refused is not None:
                return reply(400, refused)
            return stream(req, [events[req.path]("%s %s" % (req.path, model)).encode("utf-8")])

        for path in events:
            self.net.hosts.route("POST", self.copilot_host, path)(answer)

    def _copilot_headers_missing(self, req):
        missing = [name for name, value in EDITOR_HEADERS.items() if req.headers.get(name) != value]
        token = req.headers.get("Authorization", "")[len("Bearer "):]
        if not any(token == issued for issued, _exp in self.issued):
            missing.append("Authorization")
        return missing

    def _models(self, req):
        self.model_lists.append(req)
        missing = self._copilot_headers_missing(req)
        if missing or req.headers.get("X-GitHub-Api-Version") != "2026-06-01":
            return reply(400, {"message": "bad model-list request %s" % missing})
        return reply(200, {"data": self.models, "object": "list"})

    def _policy(self, req):
        self.policy_posts.append(req)
        missing = self._copilot_headers_missing(req)
        if (missing or req.headers.get("openai-intent") != "chat-policy"
                or req.headers.get("x-interaction-type") != "chat-policy" or req.json() != {"state": "enabled"}):
            return reply(400, {"message": "bad policy request %s" % missing})
        if self.policy_answers:
            status, headers = self.policy_answers.pop(0)
            return reply(status, {"message": "rate limited"}, headers)
        return reply(200, {"state": "enabled"})

    def _check_form_request(self, req):
        problems = []
        if req.content_type != "application/x-www-form-urlencoded":
            problems.append("content type %r" % req.content_type)
        if "application/json" not in req.headers.get("Accept", ""):
            problems.append("Accept %r" % req.headers.get("Accept"))
        if req.headers.get("User-Agent") != EDITOR_HEADERS["User-Agent"]:
            problems.append("User-Agent %r" % req.headers.get("User-Agent"))
        return problems

    def _device_code(self, req):
        problems = self._check_form_request(req)
        form = req.form() if not problems else {}
        if form.get("client_id") != CLIENT_ID or form.get("scope") != "read:user":
            problems.append("form %r" % form)
        if problems:
            return reply(400, {"error": "bad_request", "error_description": "; ".join(problems)})
        self.device_requested_at = time.monotonic()
        body = {"device_code": self.device_code, "user_code": "ABCD-1234",
                "verification_uri": self.verification_uri}
        if self.interval is not None:
            body["interval"] = self.interval
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return reply(200, body)

    def _access_token(self, req):
        with self.lock:
            self.poll_times.append(time.monotonic())
        problems = self._check_form_request(req)
        form = req.form() if not problems else {}
        if form.get("client_id") != CLIENT_ID or form.get("grant_type") != DEVICE_GRANT:
            problems.append("form %r" % form)
        if problems:
            return reply(400, {"error": "bad_request", "error_description": "; ".join(problems)})
        if form.get("device_code") != self.device_code:
            return reply(200, {"error": "incorrect_device_code",
                               "error_description": "The device_code provided is not valid."})
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if answer == "500":
            return reply(502, "<html>bad gateway</html>", {"Content-Type": "text/html"})
        if answer == "pending":
            return reply(200, {"error": "authorization_pending",
                               "error_description": "The authorization request is still pending."})
        if isinstance(answer, tuple) and answer[0] == "slow_down":
            body = {"error": "slow_down", "error_description": "Too many requests have been made in the same timeframe."}
            if answer[1] is not None:
                body["interval"] = answer[1]
            return reply(200, body)
        if answer == "expired":
            return reply(200, {"error": "expired_token", "error_description": "The device_code has expired."})
        if answer == "denied":
            return reply(200, {"error": "access_denied", "error_description": "The authorization request was denied."})
        assert answer == "ok", answer
        return reply(200, {"access_token": self.github_token, "token_type": "bearer", "scope": "read:user"})

    def _user(self, req):
        token = req.headers.get("Authorization", "")[len("Bearer "):]
        if token not in self.valid_github_tokens:
            return reply(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
        return reply(200, {"login": self.login, "id": 583231, "email": self.login + "@users.example.com"})

    def _copilot_token(self, req):
        auth = req.headers.get("Authorization", "")
        with self.lock:
            self.exchanges.append(req)
        missing = [name for name, value in EDITOR_HEADERS.items() if req.headers.get(name) != value]
        if missing or "application/json" not in req.headers.get("Accept", ""):
            return reply(400, {"message": "missing editor headers %s" % missing})
        if not auth.startswith("Bearer ") or auth[len("Bearer "):] not in self.valid_github_tokens:
            return reply(401, {"message": "Bad credentials",
                               "documentation_url": "https://docs.github.com/rest"})
        expires_at = int(time.time()) + self.copilot_lifetime
        token = "tid=t%d;exp=%d;sku=copilot_for_individuals;%s8kp=1:abcdef" % (
            len(self.exchanges), expires_at,
            "proxy-ep=proxy.individual.githubcopilot.com;" if self.domain == "github.com" else "")
        self.issued.append((token, expires_at))
        return reply(200, {"token": token, "expires_at": expires_at, "refresh_in": 1500,
                           "endpoints": {"api": "https://api.individual.githubcopilot.com"}})

    def gaps(self):
        """Seconds between the device-code answer and the first poll, then between polls."""
        times = [self.device_requested_at] + self.poll_times
        return [b - a for a, b in zip(times, times[1:])]
