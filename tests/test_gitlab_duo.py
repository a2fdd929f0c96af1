"""The GitLab Duo example extension (examples/extensions/custom_provider_gitlab_duo.py), installed
as its docstring says, against stand-ins of gitlab.com, a self-managed instance and cloud.gitlab.com."""
import importlib.util
import json
import os
import shutil
import time

import pytest

from conftest import REPO, assert_fails
from gitlabfakes import CLAUDE, DIRECT_ACCESS, FakeGateway, FakeGitLab, GRANT_HEADERS, PI_APPLICATION
from oauthfakes import http_get

EXAMPLE = os.path.join(REPO, "examples", "extensions", "custom_provider_gitlab_duo.py")
PAT = "glpat-duo-test-0000000000001"
SELF_MANAGED_APP = "4f" * 32


@pytest.fixture
def duo(atomic_env):
    """The agent directory with the example copied in under the documented name."""
    folder = os.path.join(atomic_env.make_agent_dir(), "extensions")
    os.mkdir(folder, 0o700)
    shutil.copy(EXAMPLE, os.path.join(folder, "gitlab_duo.py"))
    return atomic_env


@pytest.fixture
def gateway(net):
    return FakeGateway(net)


@pytest.fixture
def gitlab(net, gateway):
    return FakeGitLab(net, gateway)


@pytest.fixture
def self_managed(net, gateway):
    return FakeGitLab(net, gateway, host="gitlab.example.com", application=SELF_MANAGED_APP)


INSTALL = ("mkdir -p ~/.atomic/agent/extensions && cp examples/extensions/custom_provider_gitlab_duo.py "
           "~/.atomic/agent/extensions/gitlab_duo.py")


@pytest.mark.parametrize("doc", [EXAMPLE, os.path.join(REPO, "README.md"), os.path.join(REPO, "docs", "extensions.md")])
def test_the_documented_install_command_is_the_one_tested(doc):
    # The `duo` fixture below does what it says: the file, copied, under the name gitlab_duo.py.
    with open(doc, encoding="utf-8") as f:
        assert INSTALL in f.read()


def oauth_entry(gitlab, **extra):
    body = json.loads(gitlab.tokens()[2])
    entry = {"type": "oauth", "access": body["access_token"], "refresh": body["refresh_token"],
             "expires": int(time.time() * 1000) + 3600000}
    entry.update(extra)
    return entry


def test_login_on_gitlab_com_through_the_loopback_callback(duo, login_env, start_login, gitlab):
    run = start_login(["login", "gitlab-duo", "--oauth"], login_env)
    run.wait_for(r"Reading the GitLab domain from stdin")
    run.paste("")  # Enter: gitlab.com
    redirect = gitlab.authorize(run.authorize_url("https://gitlab.com/oauth/authorize"))
    status, _headers, page = http_get(redirect)
    assert status == 200 and "received your GitLab (gitlab.com) sign-in" in page
    code, out, err = run.finish()
    assert (code, out) == (0, ""), err
    assert "Signed in to GitLab Duo" in err and "warning" not in err
    entry = duo.read_auth()["gitlab-duo"]
    assert entry["type"] == "oauth" and entry["access"] in gitlab.access and entry["refresh"] in gitlab.refresh
    assert "instanceUrl" not in entry and "clientId" not in entry
    assert 0 < entry["expires"] / 1000 - time.time() <= 7200 - 290  # 2 hours, stored 5 minutes early
    assert len(gitlab.grants()) == 1  # Duo access was checked at login


def test_login_on_a_self_managed_instance_by_pasting_the_address(duo, login_env, start_login, self_managed):
    run = start_login(["login", "gitlab-duo", "--oauth", "--enterprise-domain", "https://gitlab.example.com/"], login_env)
    run.wait_for(r"Application ID of the OAuth application on gitlab\.example\.com")
    run.paste(SELF_MANAGED_APP)
    redirect = self_managed.authorize(run.authorize_url("https://gitlab.example.com/oauth/authorize"))
    run.paste(redirect)
    code, out, err = run.finish()
    assert (code, out) == (0, ""), err
    entry = duo.read_auth()["gitlab-duo"]
    assert (entry["instanceUrl"], entry["clientId"]) == ("gitlab.example.com", SELF_MANAGED_APP)
    status = json.loads(duo.run("status", "--json").stdout)
    row = next(r for r in status["providers"] if r["id"] == "gitlab-duo")
    assert row["account"] == "gitlab.example.com"


def test_a_pasted_address_of_another_sign_in_is_refused(duo, login_env, start_login, gitlab):
    run = start_login(["login", "gitlab-duo", "--oauth", "--enterprise-domain", "gitlab.com"], login_env)
    redirect = gitlab.authorize(run.authorize_url("https://gitlab.com/oauth/authorize"), state="someone-elses-state")
    run.paste(redirect)
    code, out, err = run.finish()
    assert code == 10 and out == "" and "state mismatch" in err, err
    assert not os.path.exists(duo.auth_path)
    assert not gitlab.net.hosts.seen("gitlab.com", "/oauth/token")  # the code was never exchanged


def test_login_without_duo_warns_and_keeps_the_login(duo, login_env, start_login, gitlab):
    gitlab.duo = False
    run = start_login(["login", "gitlab-duo", "--oauth", "--enterprise-domain", "gitlab.com"], login_env)
    http_get(gitlab.authorize(run.authorize_url("https://gitlab.com/oauth/authorize")))
    code, _out, err = run.finish()
    assert code == 0 and "GitLab Duo access denied" in err and "Signed in to GitLab Duo" in err, err


def test_refresh_sends_the_redirect_uri_and_keeps_the_refresh_token_when_none_comes_back(duo, net, gitlab):
    entry = oauth_entry(gitlab, expires=int(time.time() * 1000) - 1000)
    duo.write_auth({"gitlab-duo": entry})
    r = duo.run("key", "gitlab-duo", env=net.env())
    assert r.returncode == 0, r.stderr
    first = duo.read_auth()["gitlab-duo"]
    assert r.stdout.strip() == first["access"] != entry["access"]
    assert first["refresh"] != entry["refresh"] and first["refresh"] in gitlab.refresh  # rotated: the new one stored
    sent = net.hosts.seen("gitlab.com", "/oauth/token")[-1].form()
    assert sent == {"client_id": PI_APPLICATION, "grant_type": "refresh_token", "refresh_token": entry["refresh"],
                    "redirect_uri": "http://127.0.0.1:8080/callback"}
    gitlab.omit_refresh = True
    duo.write_auth({"gitlab-duo": dict(first, expires=int(time.time() * 1000) - 1000)})
    r = duo.run("key", "gitlab-duo", env=net.env())
    second = duo.read_auth()["gitlab-duo"]
    assert r.returncode == 0 and second["access"] != first["access"] and second["refresh"] == first["refresh"]


@pytest.mark.parametrize("model, route, text", [
    ("claude-sonnet-4-6", "/ai/v1/proxy/anthropic/v1/messages", "Claude via Duo"),
    ("gpt-5.1-2025-11-13", "/ai/v1/proxy/openai/v1/responses", "GPT via Duo"),
])
def test_ask_exchanges_the_token_and_goes_through_the_gateway_route(duo, net, gitlab, gateway, model, route, text):
    entry = oauth_entry(gitlab)
    duo.write_auth({"gitlab-duo": entry})
    r = duo.run("ask", "-m", "gitlab-duo/" + model, "hello", env=net.env())
    assert (r.returncode, r.stdout) == (0, text + "\n"), r.stderr
    (grant,) = gitlab.grants()
    assert grant.headers["Authorization"] == "Bearer " + entry["access"]
    (sent,) = gateway.requests()
    assert sent.path == route and sent.json()["model"] == model
    assert sent.headers["Authorization"].startswith("Bearer gw-")
    for name, value in GRANT_HEADERS.items():  # every header of the grant, but its key and authorization
        if name.lower() not in ("authorization", "x-api-key"):
            assert sent.headers[name] == value
    assert sent.headers["x-gitlab-host-name"] == "gitlab.com" and "x-api-key" not in sent.headers
    assert entry["access"] not in str(dict(sent.headers)) + sent.body.decode()  # the GitLab token stays with GitLab


def test_gitlab_token_works_without_login_on_either_instance(duo, net, gitlab, self_managed):
    gitlab.pats.add(PAT)
    r = duo.run("ask", "-m", "duo/claude-haiku-4-5-20251001", "hi", env=dict(net.env(), GITLAB_TOKEN=PAT))
    assert (r.returncode, r.stdout) == (0, "Claude via Duo\n"), r.stderr
    assert gitlab.grants()[-1].headers["Authorization"] == "Bearer " + PAT
    self_managed.pats.add(PAT)
    env = dict(net.env(), GITLAB_TOKEN=PAT, GITLAB_HOST="gitlab.example.com")
    r = duo.run("ask", "-m", "gitlab-duo/gpt-5-codex", "hi", env=env)
    assert (r.returncode, r.stdout) == (0, "GPT via Duo\n"), r.stderr
    assert len(self_managed.grants()) == 1
    r = duo.run("exec", "gitlab-duo", "--", "/bin/sh", "-c", 'printf "%s %s" "$GITLAB_TOKEN" "$GITLAB_HOST"', env=env)
    assert (r.returncode, r.stdout) == (0, PAT + " gitlab.example.com"), r.stderr


def test_without_duo_the_hint_says_what_to_enable(duo, net, gitlab):
    gitlab.pats.add(PAT)
    gitlab.duo = False
    env = dict(net.env(), GITLAB_TOKEN=PAT)
    line = assert_fails(duo.run("ask", "-m", "gitlab-duo/claude-opus-4-8", "hi", env=env), 6,
                        "gitlab.com refused GitLab Duo access (HTTP 403", "GitLab Duo access denied")
    assert PAT not in line
    r = duo.run("status", "--check", "gitlab-duo", env=env)
    assert r.returncode == 11 and "gitlab-duo" in r.stdout and "403" in r.stdout, r.stdout
    gitlab.duo = True
    r = duo.run("status", "--check", "gitlab-duo", env=env)  # the probe is the exchange itself
    assert r.returncode == 0 and "ok" in r.stdout, (r.stdout, r.stderr)
    assert gitlab.grants()[-1].json() == {"feature_flags": {"DuoAgentPlatformNext": True}}


def test_a_grant_the_gateway_refuses_is_replaced_once_the_login_is_refreshed(duo, net, gitlab, gateway):
    entry = oauth_entry(gitlab)
    duo.write_auth({"gitlab-duo": entry})
    gateway.dead = 1
    r = duo.run("ask", "-m", "gitlab-duo/claude-sonnet-4-6", "hi", env=net.env())
    assert (r.returncode, r.stdout) == (0, "Claude via Duo\n"), r.stderr
    first, second = gitlab.grants()  # the refused grant, then one for the refreshed GitLab token
    assert first.headers["Authorization"] != second.headers["Authorization"]
    assert len(net.hosts.seen("gitlab.com", "/oauth/token")) == 1
    assert duo.read_auth()["gitlab-duo"]["access"] != entry["access"]
    # A personal access token cannot be refreshed: the refusal is the command's error.
    os.remove(duo.auth_path)
    gitlab.pats.add(PAT)
    gateway.dead = 1
    r = duo.run("ask", "-m", "gitlab-duo/claude-sonnet-4-6", "hi", env=dict(net.env(), GITLAB_TOKEN=PAT))
    assert r.returncode == 6 and "401" in r.stderr, r.stderr


def test_models_lists_both_routes(duo):
    models = json.loads(duo.run("models", "gitlab-duo", "--json").stdout)
    assert {m["id"] for m in models} >= CLAUDE
    routes = {m["baseUrl"] for m in models}
    assert routes == {"https://cloud.gitlab.com/ai/v1/proxy/anthropic", "https://cloud.gitlab.com/ai/v1/proxy/openai/v1"}
    assert all(m["api"] == ("anthropic-messages" if m["id"].startswith("claude") else "openai-responses") for m in models)


# The grant's cache, in one process: the example's own functions against the stand-ins --------

def load_example():
    spec = importlib.util.spec_from_file_location("atomic_extension_gitlab_duo_under_test", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Clock:
    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now


def test_the_grant_is_kept_in_memory_until_shortly_before_it_expires(atomic_env, net, gitlab):
    from providers._auth.chain import Credential
    from providers._core.context import Context
    from providers._wire.request import HeaderList
    from providers._wire.request import ApiRequest

    duo = load_example()
    clock = Clock()
    ctx = Context(environ=dict(atomic_env.env, **net.env()), now=clock)
    gitlab.clock = clock
    gitlab.pats.update({PAT, PAT + "2"})

    def prepare(token=PAT):
        request = ApiRequest("POST", "https://cloud.gitlab.com/ai/v1/proxy/anthropic/v1/messages",
                             HeaderList([("Authorization", "Bearer " + token), ("x-api-key", token)]), json={})
        duo.prepare(request, Credential(token, "env GITLAB_TOKEN"), {"id": "claude-sonnet-4-6"}, ctx)
        return dict(request.headers.items())

    first = prepare()
    assert "x-api-key" not in first and first["x-gitlab-unit-primitive"] == "ai_gateway_model_provider_proxy"
    clock.now += 24 * 60
    assert prepare() == first and len(gitlab.grants()) == 1  # within 25 minutes: the same grant
    assert prepare(PAT + "2") != first and len(gitlab.grants()) == 2  # another token: a grant of its own
    clock.now += 2 * 60
    assert prepare()["Authorization"] != first["Authorization"] and len(gitlab.grants()) == 3  # fetched again
    gitlab.expires_at = 600  # GitLab's own expiry, when it gives one: fetched a minute before it
    clock.now += 60 * 60
    prepare()
    clock.now += 8 * 60
    prepare()
    assert len(gitlab.grants()) == 4
    clock.now += 61
    prepare()
    assert len(gitlab.grants()) == 5


def test_the_install_command_installs_it(tmp_path):
    import subprocess

    from conftest import clean_env, run_atomic

    env = clean_env(tmp_path)  # no ATOMIC_CODING_AGENT_DIR: ~/.atomic/agent, as the command assumes
    subprocess.run(["/bin/sh", "-c", INSTALL], env=env, cwd=REPO, check=True)
    r = run_atomic(["providers", "--json"], env=env)
    row = next(row for row in json.loads(r.stdout) if row["id"] == "gitlab-duo")
    assert row["extension"] == str(tmp_path / ".atomic" / "agent" / "extensions" / "gitlab_duo.py")
    assert (row["name"], row["aliases"], row["env"]) == ("GitLab Duo", ["duo"], ["GITLAB_TOKEN"])
