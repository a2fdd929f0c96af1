"""Stand-ins for a GitLab instance (gitlab.com, or a self-managed one) and for GitLab's AI gateway
at cloud.gitlab.com, holding the GitLab Duo example extension to the real protocol
(notes/extensions-facts.md): PKCE S256 and exact form fields at /oauth/token, single-use codes,
refresh tokens that GitLab spends on use, the direct-access exchange (bearer, JSON body, 201 with
a token and x-gitlab-* headers, 403 without Duo), and a gateway that serves only allow-listed
paths and models to a live gateway token with its headers."""
import secrets
import time
import urllib.parse

from llmfakes import anthropic_events, responses_events
from netfakes import reply, stream
from oauthfakes import oauth_error, query_of, s256

PI_APPLICATION = "da4edff2e6ebd2bc3208611e2768bc1c1dd7be791dc5ff26ca34ca9ee44f7d4b"
REDIRECT = "http://127.0.0.1:8080/callback"
DIRECT_ACCESS = "/api/v4/ai/third_party_agents/direct_access"
CLAUDE = {"claude-opus-4-8", "claude-sonnet-4-6", "claude-opus-4-5-20251101", "claude-sonnet-4-5-20250929",
          "claude-haiku-4-5-20251001"}
GPT = {"gpt-5.5-2026-04-23", "gpt-5.1-2025-11-13", "gpt-5-mini-2025-08-07", "gpt-5-codex"}
# What the grant's headers look like (clients' fixtures); the last two must never be forwarded.
GRANT_HEADERS = {"x-gitlab-global-user-id": "uid-42", "x-gitlab-instance-id": "inst-7", "x-gitlab-realm": "saas",
                 "x-gitlab-unit-primitive": "ai_gateway_model_provider_proxy",
                 "x-gitlab-authentication-type": "oidc", "x-api-key": "gateway-internal-key",
                 "Authorization": "Bearer not-for-clients"}


class FakeGitLab:
    """One GitLab instance: authorize (played by the test), /oauth/token, direct access."""

    def __init__(self, net, gateway, host="gitlab.com", application=PI_APPLICATION):
        self.net, self.gateway, self.host, self.application = net, gateway, host, application
        self.codes = {}
        self.access, self.refresh = set(), set()   # live tokens: GitLab spends both on a refresh
        self.pats = set()
        self.omit_refresh = False                   # a refresh answer without refresh_token
        self.duo = True                             # False: direct access answers 403
        self.expires_at = None                      # seconds from now, sent with the grant when set
        self.clock = time.time
        net.hosts.route("POST", host, "/oauth/token")(self.token)
        net.hosts.route("POST", host, DIRECT_ACCESS)(self.direct_access)

    def authorize(self, url, state=None):
        """Approve the authorize URL as GitLab would; the redirect address (to 127.0.0.1:8080)."""
        assert url.startswith("https://%s/oauth/authorize?" % self.host), url
        q = query_of(url)
        assert q["client_id"] == self.application and q["redirect_uri"] == REDIRECT, q
        assert q["response_type"] == "code" and q["scope"] == "api" and q["code_challenge_method"] == "S256", q
        assert len(q["code_challenge"]) == 43 and len(q["state"]) >= 22 and "code_verifier" not in q, q
        code = "glc-" + secrets.token_hex(12)
        self.codes[code] = q["code_challenge"]
        return REDIRECT + "?" + urllib.parse.urlencode({"code": code, "state": q["state"] if state is None else state})

    def tokens(self, with_refresh=True):
        access = "glo-" + secrets.token_hex(16)
        self.access.add(access)
        doc = {"access_token": access, "token_type": "Bearer", "expires_in": 7200, "scope": "api",
               "created_at": int(time.time())}
        if with_refresh:
            doc["refresh_token"] = "glr-" + secrets.token_hex(16)
            self.refresh.add(doc["refresh_token"])
        return reply(200, doc)

    def token(self, req):
        if req.content_type != "application/x-www-form-urlencoded":
            return oauth_error(400, "invalid_request", "form-encoded body expected")
        form = req.form()
        if form.get("client_id") != self.application:
            return oauth_error(401, "invalid_client", "Client authentication failed due to unknown client")
        if form.get("redirect_uri") != REDIRECT:
            return oauth_error(400, "invalid_grant", "The redirect URI included is not valid.")
        if form.get("grant_type") == "authorization_code":
            if set(form) != {"client_id", "grant_type", "code", "code_verifier", "redirect_uri"}:
                return oauth_error(400, "invalid_request", "unexpected fields %s" % sorted(form))
            challenge = self.codes.pop(form["code"], None)  # single use
            if challenge is None or s256(form["code_verifier"]) != challenge:
                return oauth_error(400, "invalid_grant", "The provided authorization grant is invalid")
            return self.tokens()
        if form.get("grant_type") == "refresh_token":
            if set(form) != {"client_id", "grant_type", "refresh_token", "redirect_uri"}:
                return oauth_error(400, "invalid_request", "unexpected fields %s" % sorted(form))
            if form["refresh_token"] not in self.refresh:
                return oauth_error(400, "invalid_grant", "The provided authorization grant is invalid")
            if not self.omit_refresh:
                self.refresh.discard(form["refresh_token"])
            return self.tokens(with_refresh=not self.omit_refresh)
        return oauth_error(400, "unsupported_grant_type", "grant_type")

    def direct_access(self, req):
        bearer = req.headers.get("Authorization", "")
        if not bearer.startswith("Bearer ") or bearer[7:] not in self.access | self.pats:
            return reply(401, {"message": "401 Unauthorized"})
        if req.content_type != "application/json" or req.json() != {"feature_flags": {"DuoAgentPlatformNext": True}}:
            return reply(400, {"message": "400 Bad request"})
        if not self.duo:
            return reply(403, {"message": "403 Forbidden - Duo is not available for this user"})
        doc = {"token": self.gateway.issue(), "headers": dict(GRANT_HEADERS, **{"x-gitlab-host-name": self.host})}
        if self.expires_at is not None:
            doc["expires_at"] = int(self.clock()) + self.expires_at
        return reply(201, doc)

    def grants(self):
        return self.net.hosts.seen(self.host, DIRECT_ACCESS)


class FakeGateway:
    """cloud.gitlab.com: the Anthropic Messages and OpenAI Responses proxy routes."""

    def __init__(self, net):
        self.net = net
        self.live = set()
        self.dead = 0  # how many of the next tokens issued the gateway will not take (revoked meanwhile)
        net.hosts.route("POST", "cloud.gitlab.com", "/ai/v1/proxy/anthropic/v1/messages")(self.anthropic)
        net.hosts.route("POST", "cloud.gitlab.com", "/ai/v1/proxy/openai/v1/responses")(self.openai)

    def issue(self):
        token = "gw-" + secrets.token_hex(16)
        if self.dead:
            self.dead -= 1
        else:
            self.live.add(token)
        return token

    def _refused(self, req, models):
        if req.headers.get("Authorization", "")[7:] not in self.live:
            return reply(401, {"detail": "Forbidden by auth provider"})
        if "x-api-key" in {k.lower() for k in req.headers}:
            return reply(400, {"detail": "unexpected x-api-key"})
        if not req.headers.get("x-gitlab-unit-primitive") or not req.headers.get("x-gitlab-host-name"):
            return reply(403, {"detail": "Unauthorized to access unit primitive"})
        try:
            body = req.json()
        except ValueError:
            return reply(400, {"detail": "Invalid JSON"})
        if body.get("model") not in models:
            return reply(400, {"detail": "Unsupported model"})
        if body.get("stream") is not True:
            return reply(400, {"detail": "stream expected"})
        return None

    def anthropic(self, req):
        refused = self._refused(req, CLAUDE)
        if refused or req.headers.get("anthropic-version") != "2023-06-01":
            return refused or reply(400, {"detail": "anthropic-version"})
        body = req.json()
        return stream(req, [anthropic_events("Claude via Duo", model=body["model"])])

    def openai(self, req):
        refused = self._refused(req, GPT)
        if refused:
            return refused
        return stream(req, [responses_events("GPT via Duo", model=req.json()["model"])])

    def requests(self):
        return self.net.hosts.seen("cloud.gitlab.com")
