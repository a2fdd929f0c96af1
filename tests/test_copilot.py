"""GitHub Copilot through the real CLI: device-flow login on github.com and on an Enterprise
Server, the Copilot token exchange, refresh by re-exchanging, header lines, status, Ctrl-C.
GitHub is a loopback stand-in reached through HTTPS_PROXY with a test CA (tests/netfakes.py)."""
import json
import os
import signal
import threading
import time

import pytest

from conftest import assert_fails, clean_env, run_atomic, start_atomic, tree
from fake_github import EDITOR_HEADERS, FakeGitHub, copilot_model
from netfakes import reply

HOUR_MS = 3600 * 1000
GITHUB_TOKEN = "gho_stored-github-token-abcdef123456"


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    path.mkdir()
    return path


def env_for(net, home, **extra):
    return clean_env(home, home / "agent", **dict(net.env(), **extra))


def atomic(net, home, *args, input=None, **extra_env):
    return run_atomic(list(args), env=env_for(net, home, **extra_env), input=input, timeout=60)


def auth_path(home):
    return home / "agent" / "auth.json"


def write_auth(home, data):
    (home / "agent").mkdir(mode=0o700, exist_ok=True)
    auth_path(home).write_text(json.dumps(data, indent=2))
    auth_path(home).chmod(0o600)
    return auth_path(home).read_bytes()


def read_auth(home):
    return json.loads(auth_path(home).read_text())


def copilot_entry(expires, access="tid=old;exp=1;proxy-ep=proxy.individual.githubcopilot.com;", **extra):
    entry = {"type": "oauth", "access": access, "refresh": GITHUB_TOKEN, "expires": expires}
    entry.update(extra)
    return entry


def last_line(result):
    assert result.stdout == "" and "Traceback" not in result.stderr, result.stderr
    line = result.stderr.splitlines()[-1]
    assert line.startswith("atomic: "), result.stderr
    return line


# Login -----------------------------------------------------------------------------------------

def test_login_on_github_com_stores_the_copilot_token_and_the_github_token(net, home):
    github = FakeGitHub(net, answers=["pending", "ok"], interval=1)
    result = atomic(net, home, "login", "github-copilot")     # stdin is /dev/null: github.com
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "ABCD-1234" in result.stderr and "https://github.com/login/device" in result.stderr

    entry = read_auth(home)["github-copilot"]
    token, expires_at = github.issued[-1]
    assert entry == {"type": "oauth", "access": token, "refresh": github.github_token,
                     "expires": expires_at * 1000 - 300000, "availableModelIds": [], "modelEndpoints": {},
                     # who signed in (GET /user) and the plan the Copilot token names
                     "identity": {"user": "octocat", "email": "octocat@users.example.com",
                                  "plan": "copilot_for_individuals"}}
    assert os.stat(auth_path(home)).st_mode & 0o777 == 0o600
    assert len(github.exchanges) == 1
    assert github.exchanges[0].headers["Authorization"] == "Bearer " + github.github_token
    assert set(net.proxy.targets) == {"github.com:443", "api.github.com:443", "api.individual.githubcopilot.com:443"}
    assert len(github.model_lists) == 1 and github.policy_posts == []     # nothing waited to be enabled


@pytest.mark.parametrize("how", ["stdin", "flag"])
def test_login_on_an_enterprise_server_given_as_a_url(net, home, how):
    github = FakeGitHub(net, domain="ghe.example.com", answers=["ok"], interval=1)
    url = "  https://GHE.example.com:8443/orgs/acme?tab=1  "
    if how == "stdin":
        result = atomic(net, home, "login", "github-copilot", input=url + "\n")
    else:
        result = atomic(net, home, "login", "github-copilot", "--enterprise-domain", url)
    assert result.returncode == 0, result.stderr

    entry = read_auth(home)["github-copilot"]
    assert entry["enterpriseUrl"] == "ghe.example.com"
    assert entry["refresh"] == github.github_token and entry["access"] == github.issued[-1][0]
    assert {r.host for r in net.hosts.requests} == {"ghe.example.com", "api.ghe.example.com",
                                                    "copilot-api.ghe.example.com"}
    assert [r.path for r in net.hosts.seen(host="ghe.example.com")] == ["/login/device/code", "/login/oauth/access_token"]
    assert "https://ghe.example.com/login/device" in result.stderr


def test_device_flag_is_accepted_as_copilot_always_uses_the_device_flow(net, home):
    github = FakeGitHub(net, answers=["ok"], interval=1)
    result = atomic(net, home, "login", "github-copilot", "--device", "--enterprise-domain", "github.com")
    assert result.returncode == 0, result.stderr
    assert read_auth(home)["github-copilot"]["refresh"] == github.github_token


def test_a_domain_that_is_neither_a_host_nor_a_url_is_a_usage_error(net, home):
    result = atomic(net, home, "login", "github-copilot", "--enterprise-domain", "not a domain!")
    assert result.returncode == 2
    assert "--enterprise-domain" in last_line(result) and "github.example.com" in last_line(result)
    assert net.hosts.requests == [] and tree(home) == set()


def test_an_account_without_copilot_fails_the_login_and_saves_nothing(net, home):
    github = FakeGitHub(net, answers=["ok"], interval=1)
    github.valid_github_tokens = set()     # GitHub signs the person in, Copilot says no
    result = atomic(net, home, "login", "github-copilot")
    assert result.returncode == 10
    assert "401" in last_line(result)
    assert github.github_token not in result.stderr
    assert tree(home) == set()


def test_ctrl_c_while_waiting_for_approval_exits_130_and_writes_nothing(net, home):
    github = FakeGitHub(net, answers=["pending"], interval=1)
    child = start_atomic(["login", "github-copilot", "--enterprise-domain", ""], env=env_for(net, home))
    try:
        deadline = time.monotonic() + 20
        while not github.poll_times and time.monotonic() < deadline:
            time.sleep(0.05)
        assert github.poll_times, "the login never polled"
        child.send_signal(signal.SIGINT)
        _out, err = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, err
    assert err.decode().splitlines()[-1] == "atomic: interrupted"
    assert tree(home) == set()


# Refresh, headers, status ----------------------------------------------------------------------

def test_key_with_an_expired_copilot_token_exchanges_the_github_token_once(net, home):
    github = FakeGitHub(net, github_token=GITHUB_TOKEN)
    write_auth(home, {"github-copilot": copilot_entry(1000, extra_field=[1, 2]),
                      "groq": {"type": "api_key", "key": "gsk-keep-me"}})
    result = atomic(net, home, "key", "github-copilot")
    assert result.returncode == 0, result.stderr
    token, expires_at = github.issued[-1]
    assert result.stdout == token + "\n"
    # The exchange, then the account's model list read again with the new token (no policy posts).
    assert len(github.exchanges) == 1 and [r.host for r in net.hosts.requests] == [
        "api.github.com", "api.individual.githubcopilot.com"]
    assert len(github.model_lists) == 1 and github.policy_posts == []

    saved = read_auth(home)
    assert saved["github-copilot"] == {"type": "oauth", "access": token, "refresh": GITHUB_TOKEN,
                                       "expires": expires_at * 1000 - 300000, "extra_field": [1, 2],
                                       "identity": {"plan": "copilot_for_individuals"}}
    assert saved["groq"] == {"type": "api_key", "key": "gsk-keep-me"}

    again = atomic(net, home, "key", "github-copilot")       # fresh now: no second exchange
    assert again.stdout == token + "\n" and len(github.exchanges) == 1


def test_a_copilot_token_that_could_not_be_read_back_is_never_saved(net, home):
    # auth.json's entries are read with the rule for keys (plain ASCII, no spaces): a token outside
    # it would be written, then refuse every later read of the file.
    write_auth(home, {"github-copilot": copilot_entry(1000)})
    before = open(auth_path(home), "rb").read()
    net.hosts.route("GET", "api.github.com", "/copilot_internal/v2/token")(
        lambda req: reply(200, {"token": "tid=1;exp=2;sku=caf\u00e9", "expires_at": int(time.time()) + 1800}))
    result = atomic(net, home, "key", "github-copilot")
    assert result.returncode == 6 and result.stdout == "", result.stderr
    assert "without a usable token" in result.stderr.splitlines()[-1]
    assert open(auth_path(home), "rb").read() == before
    assert atomic(net, home, "status").returncode in (0, 11)  # the file still reads


def test_an_enterprise_entry_refreshes_against_its_own_api_host(net, home):
    github = FakeGitHub(net, domain="ghe.example.com", github_token=GITHUB_TOKEN)
    write_auth(home, {"github-copilot": copilot_entry(1000, enterpriseUrl="ghe.example.com")})
    result = atomic(net, home, "key", "github-copilot")
    assert result.returncode == 0, result.stderr
    assert [r.host for r in net.hosts.requests] == ["api.ghe.example.com", "copilot-api.ghe.example.com"]
    assert read_auth(home)["github-copilot"]["enterpriseUrl"] == "ghe.example.com"
    assert result.stdout == github.issued[-1][0] + "\n"


def test_a_revoked_github_token_means_log_in_again_and_the_entry_is_kept(net, home):
    FakeGitHub(net, github_token="gho_some-other-token")    # the stored one was revoked: 401
    before = write_auth(home, {"github-copilot": copilot_entry(1000)})
    result = atomic(net, home, "key", "github-copilot")
    assert result.returncode == 5
    line = last_line(result)
    assert "401" in line and "atomic login github-copilot" in line
    assert GITHUB_TOKEN not in result.stderr
    assert auth_path(home).read_bytes() == before


def test_a_server_error_on_refresh_is_a_network_error_and_the_entry_is_kept(net, home):
    @net.hosts.route("GET", "api.github.com", "/copilot_internal/v2/token")
    def down(req):
        return 503, {"Content-Type": "text/html"}, b"<h1>Unicorn!</h1>"

    before = write_auth(home, {"github-copilot": copilot_entry(1000)})
    result = atomic(net, home, "key", "github-copilot")
    assert result.returncode == 6
    assert "503" in last_line(result)
    assert auth_path(home).read_bytes() == before


def test_a_copilot_server_that_hangs_while_the_token_still_works_costs_seconds_not_thirty(net, home):
    released = threading.Event()

    @net.hosts.route("GET", "api.github.com", "/copilot_internal/v2/token")
    def hang(req):
        released.wait(60)  # accepts the request and never answers (until the test ends)

    write_auth(home, {"github-copilot": copilot_entry(int(time.time() * 1000) + 3 * 60 * 1000)})
    try:
        started = time.monotonic()
        result = atomic(net, home, "key", "github-copilot")
        elapsed = time.monotonic() - started
    finally:
        released.set()
    assert elapsed < 8, elapsed  # the full HTTP deadline is 30 s
    assert result.returncode == 0 and result.stdout.startswith("tid=old;"), result.stderr
    assert "did not finish answering within 5 s" in result.stderr


def test_header_lines_carry_the_copilot_editor_headers(net, home):
    write_auth(home, {"github-copilot": copilot_entry(int(time.time() * 1000) + HOUR_MS, access="tid=fresh;exp=9")})
    result = atomic(net, home, "key", "github-copilot", "--header")
    assert result.returncode == 0, result.stderr
    expected = ["Authorization: Bearer tid=fresh;exp=9"] + ["%s: %s" % item for item in EDITOR_HEADERS.items()]
    assert result.stdout.splitlines() == expected
    assert net.hosts.requests == []


def test_a_token_from_the_environment_gets_only_the_authorization_header(net, home):
    result = atomic(net, home, "key", "github-copilot", "--header", COPILOT_GITHUB_TOKEN="ghu_from-env-123")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Authorization: Bearer ghu_from-env-123\n"


def test_status_shows_the_account(net, home):
    fresh = int(time.time() * 1000) + HOUR_MS
    write_auth(home, {"github-copilot": copilot_entry(fresh, enterpriseUrl="ghe.example.com")})
    result = atomic(net, home, "status", "--json")
    assert result.returncode == 0, result.stderr
    row = [r for r in json.loads(result.stdout)["providers"] if r["id"] == "github-copilot"][0]
    assert row["account"] == "ghe.example.com"

    write_auth(home, {"github-copilot": copilot_entry(fresh)})
    table = atomic(net, home, "status")
    line = [l for l in table.stdout.splitlines() if l.startswith("github-copilot")][0]
    assert line.split()[-1] == "github.com"


# The API base URL (a pure function of the stored entry) ----------------------------------------

@pytest.mark.parametrize("entry, expected", [
    ({"access": "tid=1;exp=2;proxy-ep=proxy.individual.githubcopilot.com;x=y"}, "https://api.individual.githubcopilot.com"),
    ({"access": "tid=1;proxy-ep=proxy.business.githubcopilot.com", "enterpriseUrl": "ghe.example.com"}, "https://api.business.githubcopilot.com"),
    ({"access": "tid=1;exp=2", "enterpriseUrl": "ghe.example.com"}, "https://copilot-api.ghe.example.com"),
    ({"access": "tid=1;exp=2"}, "https://api.individual.githubcopilot.com"),
    (None, "https://api.individual.githubcopilot.com"),
])
def test_base_url_follows_the_tokens_proxy_endpoint(entry, expected):
    from providers.github_copilot import api_base
    assert api_base(entry) == expected


# Enabling the account's models at login (reference §11.2) ------------------------------------

def _model(mid, state, picker=True, tools=True):
    return {"id": mid, "model_picker_enabled": picker, "policy": {"state": state},
            "capabilities": {"supports": {"tool_calls": tools}}}


def test_login_enables_the_unconfigured_catalogue_models_one_at_a_time(net, home):
    models = [_model("gpt-4.1", "enabled"), _model("claude-sonnet-4.5", "unconfigured"),
              _model("gemini-2.5-pro", "unconfigured"), _model("not-in-the-catalogue", "unconfigured"),
              _model("grok-code-fast-1", "disabled"), _model("claude-opus-4.5", "unconfigured", tools=False)]
    github = FakeGitHub(net, answers=["ok"], models=models, policy_answers=[(429, {"Retry-After": "1"})])
    started = time.monotonic()
    result = atomic(net, home, "login", "github-copilot")
    assert result.returncode == 0, result.stderr
    # One request at a time, in order; the 429 was waited out (1 s) and the same model asked again.
    assert [r.path for r in github.policy_posts] == ["/models/claude-sonnet-4.5/policy"] * 2 + [
        "/models/gemini-2.5-pro/policy"]
    assert time.monotonic() - started >= 1.0
    assert "Enabling 2 Copilot model(s)" in result.stderr
    entry = read_auth(home)["github-copilot"]
    assert entry["availableModelIds"] == ["gpt-4.1", "claude-sonnet-4.5", "gemini-2.5-pro", "not-in-the-catalogue"]


def test_a_refresh_reads_the_account_s_models_again_and_keeps_the_list_when_they_do_not_answer(net, home):
    github = FakeGitHub(net, github_token=GITHUB_TOKEN,
                        models=[_model("gpt-4.1", "enabled"), _model("claude-sonnet-4.5", "unconfigured")])
    write_auth(home, {"github-copilot": copilot_entry(1000, availableModelIds=["gpt-4.1"])})
    result = atomic(net, home, "key", "github-copilot")
    assert result.returncode == 0, result.stderr
    assert read_auth(home)["github-copilot"]["availableModelIds"] == ["gpt-4.1", "claude-sonnet-4.5"]
    assert github.policy_posts == []                                # a refresh enables nothing

    # A list that does not answer, or answers with nothing usable, leaves the stored one alone.
    for answer in (reply(503, {"message": "busy"}), reply(200, {"data": [], "object": "list"}),
                   reply(200, {"data": [{"id": 7}, "junk", {"name": "no id"}]})):
        asked = []
        net.hosts.route("GET", github.copilot_host, "/models")(lambda req, answer=answer: asked.append(req) or answer)
        write_auth(home, {"github-copilot": copilot_entry(1000, availableModelIds=["gpt-4.1"])})
        result = atomic(net, home, "key", "github-copilot")
        assert result.returncode == 0 and result.stdout == github.issued[-1][0] + "\n", result.stderr
        assert result.stderr == "" and len(asked) == 1
        assert read_auth(home)["github-copilot"]["availableModelIds"] == ["gpt-4.1"]


def test_models_lists_only_what_the_copilot_account_may_use_and_all_of_them_with_all(net, home):
    write_auth(home, {"github-copilot": copilot_entry(int(time.time() * 1000) + 3600000,
                                                      availableModelIds=["gpt-4.1", "claude-sonnet-4.5"])})
    (home / "agent" / "models.json").write_text(json.dumps({"providers": {"github-copilot": {
        "models": [{"id": "my-own-model"}]}}}))
    listed = atomic(net, home, "models", "--json")
    assert listed.returncode == 0, listed.stderr
    ids = [m["id"] for m in json.loads(listed.stdout) if m["provider"] == "github-copilot"]
    assert sorted(ids) == ["claude-sonnet-4.5", "gpt-4.1", "my-own-model"]       # models.json's stay
    one = atomic(net, home, "models", "copilot", "--json")
    assert sorted(m["id"] for m in json.loads(one.stdout)) == sorted(ids)
    every = atomic(net, home, "models", "copilot", "--all", "--json")
    assert len(json.loads(every.stdout)) > len(ids) + 5
    named = atomic(net, home, "models", "github-copilot/gpt-5-mini", "--json")   # asked for by name
    assert named.returncode == 0 and [m["id"] for m in json.loads(named.stdout)] == ["gpt-5-mini"]
    assert net.hosts.requests == []                                 # listing asks nobody


def test_a_rate_limit_longer_than_a_few_seconds_stops_enabling_and_says_how(net, home):
    models = [_model("claude-sonnet-4.5", "unconfigured"), _model("gemini-2.5-pro", "unconfigured")]
    github = FakeGitHub(net, answers=["ok"], models=models, policy_answers=[(429, {"Retry-After": "3600"})])
    result = atomic(net, home, "login", "github-copilot")
    assert result.returncode == 0, result.stderr
    assert [r.path for r in github.policy_posts] == ["/models/claude-sonnet-4.5/policy"]   # the batch stopped
    assert "2 model(s) were not enabled" in result.stderr and "VS Code" in result.stderr
    assert read_auth(home)["github-copilot"]["refresh"] == github.github_token       # the login stands


# Each model on the endpoint its account's /models entry supports ------------------------------

def test_login_keeps_each_available_model_s_endpoints_beside_its_id(net, home):
    models = [copilot_model("gpt-5.2"), copilot_model("claude-sonnet-4.5", "unconfigured"),
              copilot_model("gpt-4o", endpoints=False),                  # an item without the field
              copilot_model("gemini-2.5-pro", "disabled"), copilot_model("text-embedding-3-small", tools=False),
              copilot_model("grok-code-fast-1", endpoints=["/chat/completions", "", 7, "x" * 101])]
    FakeGitHub(net, answers=["ok"], models=models)
    result = atomic(net, home, "login", "github-copilot")
    assert result.returncode == 0, result.stderr
    entry = read_auth(home)["github-copilot"]
    assert entry["availableModelIds"] == ["gpt-5.2", "claude-sonnet-4.5", "gpt-4o", "grok-code-fast-1"]
    assert entry["modelEndpoints"] == {"gpt-5.2": ["/responses", "ws:/responses"],
                                       "claude-sonnet-4.5": ["/v1/messages", "/chat/completions"],
                                       "grok-code-fast-1": ["/chat/completions"]}


def test_a_refresh_stores_the_endpoints_again_and_keeps_them_when_the_list_does_not_answer(net, home):
    github = FakeGitHub(net, github_token=GITHUB_TOKEN, models=[copilot_model("gpt-5.2"), copilot_model("gpt-4o")])
    stale = {"gpt-5.2": ["/chat/completions"], "gone-model": ["/responses"]}
    write_auth(home, {"github-copilot": copilot_entry(1000, availableModelIds=["gpt-5.2"], modelEndpoints=stale)})
    assert atomic(net, home, "key", "github-copilot").returncode == 0
    entry = read_auth(home)["github-copilot"]
    assert entry["availableModelIds"] == ["gpt-5.2", "gpt-4o"]
    assert entry["modelEndpoints"] == {"gpt-5.2": ["/responses", "ws:/responses"], "gpt-4o": ["/chat/completions"]}
    assert len(github.model_lists) == 1 and github.policy_posts == []

    net.hosts.route("GET", github.copilot_host, "/models")(lambda req: reply(503, {"message": "busy"}))
    write_auth(home, {"github-copilot": copilot_entry(1000, availableModelIds=["gpt-5.2"], modelEndpoints=stale)})
    result = atomic(net, home, "key", "github-copilot")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert read_auth(home)["github-copilot"]["modelEndpoints"] == stale


def _signed_in(home, **extra):
    """A Copilot login whose token is fresh (no refresh on the way) and on the individual host."""
    fresh = int(time.time() * 1000) + HOUR_MS
    write_auth(home, {"github-copilot": copilot_entry(fresh, access="tid=t1;exp=9;proxy-ep=proxy.individual."
                                                                     "githubcopilot.com;", **extra)})
    # Models newer than the catalogue, added as models.json takes them (no api: the provider's).
    (home / "agent" / "models.json").write_text(json.dumps({"providers": {"github-copilot": {
        "models": [{"id": "gpt-5.6"}, {"id": "claude-opus-5"}]}}}))


@pytest.mark.parametrize("model, endpoints, path", [
    ("gpt-5.6", None, "/responses"),                           # GPT-5 class: Copilot refuses it on Chat
    ("gpt-4o", ["/responses"], "/responses"),                  # the catalogue's api, no longer served
    ("claude-sonnet-4.5", None, "/v1/messages"),               # the catalogue's api, served: kept
    ("gpt-4o", ["/chat/completions", "/responses"], "/chat/completions"),
    ("claude-opus-5", ["/responses", "/v1/messages"], "/v1/messages"),   # neither is its api: Messages first
    ("gpt-5.6", ["/responses", "/chat/completions"], "/chat/completions"),  # models.json's api, served: kept
])
def test_ask_sends_a_model_to_the_endpoint_its_account_s_models_entry_supports(net, home, model, endpoints, path):
    endpoints = endpoints or copilot_model(model)["supported_endpoints"]
    github = FakeGitHub(net, models=[copilot_model(model, endpoints=endpoints)])
    github.serve_models()
    _signed_in(home, availableModelIds=[model], modelEndpoints={model: endpoints})
    result = atomic(net, home, "ask", "-m", "github-copilot/" + model, "Q")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "%s %s\n" % (path, model)
    assert github.inference == [(path, model)]


def test_without_stored_endpoints_a_model_keeps_the_catalogue_s_api(net, home):
    """An entry from before atomic kept endpoints (or from pi), a login whose /models never
    answered, a model the stored map does not name: the catalogue's api, as before."""
    github = FakeGitHub(net, models=[copilot_model("gpt-4o", endpoints=False), copilot_model("gpt-5.6")])
    github.serve_models()
    for extra in ({}, {"modelEndpoints": {"gpt-5.6": ["/responses"]}}, {"modelEndpoints": "junk"},
                  {"modelEndpoints": {"gpt-4o": "junk"}}, {"modelEndpoints": {"gpt-4o": []}}):
        _signed_in(home, **extra)
        result = atomic(net, home, "ask", "-m", "github-copilot/gpt-4o", "Q")
        assert result.returncode == 0 and result.stdout == "/chat/completions gpt-4o\n", (extra, result.stderr)
        assert github.inference[-1] == ("/chat/completions", "gpt-4o")
    # A token from the environment has no entry at all: the catalogue's api (here models.json's),
    # which Copilot refuses for this model, as before.
    auth_path(home).unlink()
    result = atomic(net, home, "ask", "-m", "github-copilot/gpt-5.6", "Q",
                    COPILOT_GITHUB_TOKEN="tid=env;exp=9;proxy-ep=proxy.individual.githubcopilot.com;")
    line = assert_fails(result, 6, "HTTP 400", 'model "gpt-5.6" is not accessible via the /chat/completions endpoint')
    assert "atomic login github-copilot" in line and "models.json" in line      # and how to fix it
    assert github.inference[-1] == ("/chat/completions", "gpt-5.6")


def test_a_model_served_nowhere_atomic_speaks_is_refused_before_any_request(net, home):
    github = FakeGitHub(net, models=[copilot_model("gpt-5.6", endpoints=["ws:/responses"])])
    github.serve_models()
    _signed_in(home, modelEndpoints={"gpt-5.6": ["ws:/responses"], "gpt-4o": ["/chat/completions"]})
    line = assert_fails(atomic(net, home, "ask", "-m", "github-copilot/gpt-5.6", "Q"), 2,
                        "github-copilot/gpt-5.6", "ws:/responses", "atomic models github-copilot")
    assert "/v1/messages" in line and github.inference == []
    # `atomic models` lists the account's models as they are served: that one is left out.
    listed = atomic(net, home, "models", "copilot", "--json")
    assert listed.returncode == 0, listed.stderr
    ids = [m["id"] for m in json.loads(listed.stdout)]
    assert "gpt-5.6" not in ids and "gpt-4o" in ids and "claude-opus-5" in ids


def test_models_shows_the_api_each_model_is_served_on(net, home):
    _signed_in(home, availableModelIds=["gpt-4o", "claude-sonnet-4.5"],
               modelEndpoints={"gpt-4o": ["/responses"], "gpt-5.6": ["/responses", "ws:/responses"],
                               "claude-sonnet-4.5": ["/v1/messages", "/chat/completions"]})
    listed = atomic(net, home, "models", "github-copilot", "--json")
    assert listed.returncode == 0, listed.stderr
    apis = {m["id"]: m["api"] for m in json.loads(listed.stdout)}
    assert apis == {"gpt-4o": "openai-responses", "claude-sonnet-4.5": "anthropic-messages",
                    "gpt-5.6": "openai-responses", "claude-opus-5": "openai-completions"}
    every = {m["id"]: m["api"] for m in json.loads(atomic(net, home, "models", "copilot", "--all", "--json").stdout)}
    assert every["gpt-4o"] == "openai-completions"                 # --all: the catalogue as shipped
    assert net.hosts.requests == []
