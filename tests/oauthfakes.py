"""Stand-ins for the OAuth servers of Claude and ChatGPT, and a driver for `atomic login` runs.

The stand-ins answer at the real host names through tests/netfakes.py (CONNECT proxy + test CA)
and hold the real protocol to account: the authorize parameters, PKCE S256, JSON vs form
bodies, required fields, single-use codes, rotating refresh tokens refused on reuse. The
"browser" is the test itself: it reads the authorize URL from atomic's stderr, approves it here,
and either calls the loopback callback or pastes the redirect address on atomic's stdin.
"""
import base64
import hashlib
import http.client
import json
import re
import secrets
import threading
import time
import urllib.parse

from conftest import start_atomic
from netfakes import reply

CLAUDE_CLIENT = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
CLAUDE_REDIRECT = "http://localhost:53692/callback"
CLAUDE_SCOPES = {"org:create_api_key", "user:profile", "user:inference", "user:sessions:claude_code",
                 "user:mcp_servers", "user:file_upload"}
CODEX_CLIENT = "app_EMoamEEZ73f0CkXaXp7hrann"
CODEX_REDIRECT = "http://localhost:1455/auth/callback"
CODEX_DEVICE_REDIRECT = "https://auth.openai.com/deviceauth/callback"
CODEX_ORIGINATORS = {"codex_cli_rs", "codex_vscode", "codex_sdk_ts"}
AUTH_CLAIM = "https://api.openai.com/auth"


def s256(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def oauth_error(status, error, description):
    return reply(status, {"error": error, "error_description": description})


def query_of(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True))


class _AuthServer:
    """What the Claude and OpenAI stand-ins share: issued codes and live refresh tokens."""

    expires_in = 28800

    def __init__(self, net):
        self.net = net
        self.codes = {}          # code -> {"challenge", "redirect_uri", "state"}
        self.live = set()        # refresh tokens that may still be used
        self.spent = set()
        self.rotate = True       # refresh answers carry a new refresh token (else omit it)
        self.refresh_reply = None  # a fixed answer for refresh requests (500, HTML, ...)
        self.omit = set()        # fields left out of token answers (a server answering 200 but incomplete)
        self.verifiers = []      # every code_verifier received, for tests about PKCE/state
        self.issued = []         # every token answer sent

    def issue_code(self, challenge, redirect_uri, state):
        code = "code-" + secrets.token_urlsafe(16)
        self.codes[code] = {"challenge": challenge, "redirect_uri": redirect_uri, "state": state}
        return code

    def add_refresh_token(self, token):
        self.live.add(token)
        return token

    def redeem(self, body):
        """Check an authorization_code grant; an error reply, or None when valid."""
        grant = self.codes.pop(body.get("code"), None)  # single use, whatever the outcome
        self.verifiers.append(body.get("code_verifier"))
        if grant is None:
            return oauth_error(400, "invalid_grant", "authorization code not found or already used")
        if body.get("redirect_uri") != grant["redirect_uri"]:
            return oauth_error(400, "invalid_grant", "redirect_uri does not match the authorization request")
        if s256(body.get("code_verifier") or "") != grant["challenge"]:
            return oauth_error(400, "invalid_grant", "code_verifier does not match the code_challenge")
        return None

    def extra_fields(self):
        """What the provider's token answers carry beside the tokens (who signed in)."""
        return {}

    def tokens(self, access, with_refresh=True):
        doc = {"access_token": access, "token_type": "Bearer", "expires_in": self.expires_in}
        doc.update(self.extra_fields())
        if with_refresh:
            doc["refresh_token"] = self.add_refresh_token(self.refresh_prefix + secrets.token_urlsafe(24))
        for name in self.omit:
            doc.pop(name, None)
        self.issued.append(doc)
        return reply(200, doc)

    def use_refresh_token(self, token):
        """True if the token is live; rotation spends it."""
        if token not in self.live:
            return False
        if self.rotate:
            self.live.discard(token)
            self.spent.add(token)
        return True


class FakeClaude(_AuthServer):
    """claude.ai (authorize, played by the test) and platform.claude.com (token endpoint)."""

    refresh_prefix = "sk-ant-ort01-"

    def __init__(self, net, email="claude-user@example.com", org="org-uuid-0001"):
        super().__init__(net)
        self.email, self.org = email, org
        net.hosts.route("POST", "platform.claude.com", "/v1/oauth/token")(self.token)
        net.hosts.route("GET", "api.anthropic.com", "/api/oauth/profile")(self.profile)

    def profile(self, req):
        """The OAuth profile of an issued token (beta oauth-2025-04-20): its account and organization."""
        issued = {doc["access_token"] for doc in self.issued}
        token = req.headers.get("Authorization", "")[len("Bearer "):]
        if req.headers.get("anthropic-beta") != "oauth-2025-04-20" or token not in issued:
            return reply(401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid"}})
        return reply(200, {"account": {"uuid": "acct-uuid-" + self.email, "email": self.email, "has_claude_max": True},
                           "organization": {"uuid": self.org, "organization_type": "claude_max",
                                            "rate_limit_tier": "default_claude_max_5x"}})

    def extra_fields(self):
        # The account and organization platform.claude.com names in every token answer.
        return {"account": {"uuid": "acct-uuid-" + self.email, "email_address": self.email},
                "organization": {"uuid": self.org, "name": self.email + "'s Organization"}}

    def authorize(self, url, state=None):
        """Approve the authorize URL as claude.ai would; the redirect URL (on 127.0.0.1)."""
        assert url.startswith("https://claude.ai/oauth/authorize?"), url
        q = query_of(url)
        assert q["code"] == "true" and q["client_id"] == CLAUDE_CLIENT and q["response_type"] == "code", q
        assert q["redirect_uri"] == CLAUDE_REDIRECT, q
        assert set(q["scope"].split(" ")) == CLAUDE_SCOPES, q["scope"]
        assert q["code_challenge_method"] == "S256" and re.fullmatch(r"[A-Za-z0-9_-]{43}", q["code_challenge"]), q
        assert len(q["state"]) >= 22 and "code_verifier" not in q, q
        code = self.issue_code(q["code_challenge"], q["redirect_uri"], q["state"])
        return "http://127.0.0.1:53692/callback?" + urllib.parse.urlencode(
            {"code": code, "state": q["state"] if state is None else state})

    def token(self, req):
        agent = req.headers.get("User-Agent", "")
        if agent.startswith(("claude-cli/", "claude-code/")):  # the endpoint's reported UA block
            return reply(429, {"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited."}})
        if req.content_type != "application/json":
            return oauth_error(400, "invalid_request", "the body must be JSON")
        body = req.json()
        if body.get("client_id") != CLAUDE_CLIENT:
            return oauth_error(401, "invalid_client", "unknown client")
        if body.get("grant_type") == "authorization_code":
            required = {"grant_type", "client_id", "code", "state", "redirect_uri", "code_verifier"}
            if set(body) != required:
                return oauth_error(400, "invalid_request", "expected exactly %s" % sorted(required))
            grant = self.codes.get(body["code"])
            if grant is not None and body["state"] != grant["state"]:
                self.codes.pop(body["code"])
                return oauth_error(400, "invalid_grant", "state does not match")
            refused = self.redeem(body)
            return refused or self.tokens("sk-ant-oat01-" + secrets.token_urlsafe(24))
        if body.get("grant_type") == "refresh_token":
            if set(body) != {"grant_type", "client_id", "refresh_token"}:
                return oauth_error(400, "invalid_request", "unexpected fields %s" % sorted(body))
            if self.refresh_reply is not None:
                return self.refresh_reply
            if not self.use_refresh_token(body["refresh_token"]):
                return oauth_error(400, "invalid_grant", "Invalid 'refresh_token' in request.")
            return self.tokens("sk-ant-oat01-" + secrets.token_urlsafe(24), with_refresh=self.rotate)
        return oauth_error(400, "unsupported_grant_type", "grant_type")

    def token_requests(self):
        return self.net.hosts.seen(host="platform.claude.com", path="/v1/oauth/token")


def make_jwt(claims):
    def part(doc):
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()
    return "%s.%s.%s" % (part({"alg": "RS256", "typ": "JWT"}), part(claims), secrets.token_urlsafe(32))


class FakeOpenAI(_AuthServer):
    """auth.openai.com: authorize (played by the test), token endpoint, and device authorization."""

    refresh_prefix = "rt_"
    expires_in = 864000

    def __init__(self, net, account_id="acct-1234-abcd", email="chatgpt-user@example.com", plan="plus"):
        super().__init__(net)
        self.account_id, self.email, self.plan = account_id, email, plan
        self.device_script = []   # what successive device polls answer: "pending", "slow_down", "ok"
        self.poll_times = []
        self.device = None
        net.hosts.route("POST", "auth.openai.com", "/oauth/token")(self.token)
        net.hosts.route("POST", "auth.openai.com", "/api/accounts/deviceauth/usercode")(self.usercode)
        net.hosts.route("POST", "auth.openai.com", "/api/accounts/deviceauth/token")(self.device_token)

    def access_token(self):
        claims = {"exp": int(time.time()) + self.expires_in, "jti": secrets.token_hex(8)}
        if self.account_id:
            claims[AUTH_CLAIM] = {"chatgpt_account_id": self.account_id, "chatgpt_plan_type": self.plan}
        return make_jwt(claims)

    def extra_fields(self):
        # auth.openai.com answers with an id_token too (the scope has openid): who signed in.
        claims = {"email": self.email, "exp": int(time.time()) + 3600}
        if self.account_id:
            claims[AUTH_CLAIM] = {"chatgpt_account_id": self.account_id, "chatgpt_plan_type": self.plan,
                                  "chatgpt_user_id": "user-" + self.email}
        return {"id_token": make_jwt(claims)}

    def authorize(self, url, state=None):
        assert url.startswith("https://auth.openai.com/oauth/authorize?"), url
        q = query_of(url)
        assert q["response_type"] == "code" and q["client_id"] == CODEX_CLIENT, q
        assert q["redirect_uri"] == CODEX_REDIRECT, q
        assert q["scope"] == "openid profile email offline_access", q
        assert q["code_challenge_method"] == "S256" and re.fullmatch(r"[A-Za-z0-9_-]{43}", q["code_challenge"]), q
        assert q["id_token_add_organizations"] == "true" and q["codex_cli_simplified_flow"] == "true", q
        assert q["originator"] in CODEX_ORIGINATORS, q  # others fail at consent (missing_required_parameter)
        assert len(q["state"]) >= 22 and "code_verifier" not in q, q
        code = self.issue_code(q["code_challenge"], q["redirect_uri"], q["state"])
        return "http://127.0.0.1:1455/auth/callback?" + urllib.parse.urlencode(
            {"code": code, "scope": q["scope"], "state": q["state"] if state is None else state})

    def token(self, req):
        if req.content_type != "application/x-www-form-urlencoded":
            return oauth_error(400, "invalid_request", "the body must be form-encoded")
        body = req.form()
        if body.get("client_id") != CODEX_CLIENT:
            return oauth_error(401, "invalid_client", "unknown client")
        if body.get("grant_type") == "authorization_code":
            required = {"grant_type", "client_id", "code", "code_verifier", "redirect_uri"}
            if set(body) != required:
                return oauth_error(400, "invalid_request", "expected exactly %s" % sorted(required))
            return self.redeem(body) or self.tokens(self.access_token())
        if body.get("grant_type") == "refresh_token":
            if set(body) != {"grant_type", "client_id", "refresh_token"}:
                return oauth_error(400, "invalid_request", "unexpected fields %s" % sorted(body))
            if self.refresh_reply is not None:
                return self.refresh_reply
            if not self.use_refresh_token(body["refresh_token"]):
                return reply(401, {"error": {"message": "Your refresh token has already been used to generate "
                                                        "a new access token.", "type": "invalid_request_error",
                                             "code": "refresh_token_reused", "param": None}})
            return self.tokens(self.access_token(), with_refresh=self.rotate)
        return oauth_error(400, "unsupported_grant_type", "grant_type")

    def usercode(self, req):
        if req.content_type != "application/json" or req.json() != {"client_id": CODEX_CLIENT}:
            return reply(400, {"error": {"message": "expected JSON {client_id}"}})
        self.device = {"device_auth_id": "deviceauth_" + secrets.token_hex(8), "user_code": "WXYZ-7890"}
        return reply(200, dict(self.device, interval="1"))

    def device_token(self, req):
        self.poll_times.append(time.monotonic())
        if req.content_type != "application/json" or req.json() != self.device:
            return reply(400, {"error": {"message": "unknown device authorization"}})
        step = self.device_script.pop(0) if self.device_script else "ok"
        if step == "pending":
            return reply(403, {"error": {"message": "Device authorization is pending", "code": "deviceauth_authorization_pending"}})
        if step == "slow_down":
            return reply(400, {"error": "slow_down", "interval": 2})
        if step == "denied":
            return reply(400, {"error": {"code": "access_denied", "message": "The user denied the request"}})
        verifier = secrets.token_urlsafe(48)
        code = self.issue_code(s256(verifier), CODEX_DEVICE_REDIRECT, None)
        return reply(200, {"authorization_code": code, "code_challenge": s256(verifier), "code_verifier": verifier})

    def token_requests(self):
        return self.net.hosts.seen(host="auth.openai.com", path="/oauth/token")


class LoginRun:
    """`atomic ARGS` running in the background, its stderr read line by line as it arrives."""

    def __init__(self, args, env):
        self.proc = start_atomic(args, env)
        self.lines = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in iter(self.proc.stderr.readline, b""):
            with self.changed:
                self.lines.append(raw.decode("utf-8", "replace"))
                self.changed.notify_all()
        with self.changed:
            self.lines.append(None)  # end of stream
            self.changed.notify_all()

    @property
    def stderr(self):
        return "".join(line for line in self.lines if line)

    def wait_for(self, pattern, timeout=20):
        """The first match of pattern in stderr so far or soon; AssertionError if none comes."""
        regex = re.compile(pattern)
        end = time.monotonic() + timeout
        with self.changed:
            while True:
                found = regex.search(self.stderr)
                if found:
                    return found
                left = end - time.monotonic()
                assert left > 0 and (not self.lines or self.lines[-1] is not None), \
                    "no %r on stderr:\n%s" % (pattern, self.stderr)
                self.changed.wait(left)

    def authorize_url(self, prefix):
        return self.wait_for(r"(%s\?\S+)" % re.escape(prefix)).group(1)

    def paste(self, text):
        self.proc.stdin.write(text.encode("utf-8") + b"\n")
        self.proc.stdin.flush()

    def finish(self, timeout=30):
        """(exit code, stdout, stderr) once the process ends."""
        code = self.proc.wait(timeout=timeout)
        out = self.proc.stdout.read().decode("utf-8", "replace")
        with self.changed:
            while not self.lines or self.lines[-1] is not None:
                self.changed.wait(5)
        return code, out, self.stderr

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()


def http_get(url, timeout=10):
    """GET without any proxy, as a browser on this machine would: (status, headers, body text)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path + ("?" + parts.query if parts.query else ""))
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()
