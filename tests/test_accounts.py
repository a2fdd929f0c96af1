"""Accounts (issue 21): several logins per provider (`PROVIDER:NAME` entries), chosen per process by
--profile, then ATOMIC_PROFILE, then the folder rules of the user's settings.json, never stored;
who each login is; logout --revoke; tokens that do not rotate. Through the real CLI."""
import json
import os
import re
import threading
import time

import pytest

from conftest import assert_fails, clean_env, run_atomic, tree
from llmfakes import Model, completions_events
from netfakes import reply
from oauthfakes import AUTH_CLAIM, make_jwt

HOUR_MS = 3600 * 1000
KEYS = {"groq": "gsk_default00000000000000000001", "groq:work": "gsk_work0000000000000000000001",
        "groq:personal": "gsk_personal000000000000000001"}


def agent_rule(data):
    """The Atomic agent's check of auth.json, as its reader without refresh applies it to every
    top-level entry (bastani-inc/atomic@0978ad06 packages/coding-agent/src/core/auth-storage.ts,
    ReadOnlyAuthStorage.load): an object of type api_key whose key is absent or a string and whose
    env is absent or an object of strings, or of type oauth with string access and refresh and a
    finite number expires. Anything else fails the whole file ("Invalid auth.json credential for
    provider ..."). Returns the entry ids that fail."""
    bad = []
    for name, entry in data.items():
        ok = isinstance(entry, dict)
        if ok and entry.get("type") == "api_key":
            env = entry.get("env")
            ok = ("key" not in entry or isinstance(entry["key"], str)) and (
                env is None or (isinstance(env, dict) and all(isinstance(v, str) for v in env.values())))
        elif ok and entry.get("type") == "oauth":
            expires = entry.get("expires")
            ok = (isinstance(entry.get("access"), str) and isinstance(entry.get("refresh"), str)
                  and isinstance(expires, (int, float)) and not isinstance(expires, bool) and abs(expires) != float("inf"))
        else:
            ok = False
        if not ok:
            bad.append(name)
    return bad


def groq_keys(atomic_env):
    atomic_env.write_auth({name: {"type": "api_key", "key": key} for name, key in KEYS.items()})


def settings(atomic_env, data):
    atomic_env.make_agent_dir()
    with open(os.path.join(atomic_env.agent_dir, "settings.json"), "w") as f:
        json.dump(data, f)


def key(atomic_env, *args, cwd=None, **env):
    r = atomic_env.run("key", "groq", *args, env=env, cwd=cwd)
    assert r.returncode == 0, r.stderr
    return [name for name, value in KEYS.items() if value + "\n" == r.stdout][0]


# Choosing: --profile, then ATOMIC_PROFILE, then the folder rules ------------------------------

def test_the_flag_then_the_variable_then_the_folder_rule_choose(atomic_env):
    groq_keys(atomic_env)
    work = os.path.join(atomic_env.home, "work")
    oss = os.path.join(work, "oss")
    os.makedirs(os.path.join(oss, "lib"))
    os.makedirs(os.path.join(work, "app"))
    settings(atomic_env, {"profiles": [{"folder": "~/work", "use": "work"}, {"folder": "~/work/oss", "use": "personal"}]})
    assert key(atomic_env) == "groq"                                            # no rule here: the default
    assert key(atomic_env, cwd=os.path.join(work, "app")) == "groq:work"       # the rule of ~/work
    assert key(atomic_env, cwd=os.path.join(oss, "lib")) == "groq:personal"    # the longest folder wins
    app = os.path.join(work, "app")
    assert key(atomic_env, cwd=app, ATOMIC_PROFILE="personal") == "groq:personal"            # the variable first
    assert key(atomic_env, "--profile", "work", cwd=os.path.join(oss, "lib"), ATOMIC_PROFILE="personal") == "groq:work"
    assert key(atomic_env, "--profile", "default", cwd=app) == "groq"                       # the unnamed login
    assert key(atomic_env, cwd=app, ATOMIC_PROFILE="default") == "groq"
    # ATOMIC_PROFILE for other providers leaves this one to the folder rule; one for it decides.
    assert key(atomic_env, cwd=app, ATOMIC_PROFILE="anthropic=personal") == "groq:work"
    assert key(atomic_env, ATOMIC_PROFILE="anthropic=work;groq=personal") == "groq:personal"
    assert key(atomic_env, ATOMIC_PROFILE="work;groq=personal") == "groq:personal"
    # The real working directory counts: a link into ~/work is in ~/work.
    link = os.path.join(atomic_env.root, "shortcut")
    os.symlink(app, link)
    assert key(atomic_env, cwd=link) == "groq:work"
    r = atomic_env.run("key", "groq", "--explain", cwd=app)
    assert "the login named work is chosen (%s profiles[0] (~/work))" % os.path.join(atomic_env.agent_dir,
                                                                                    "settings.json") in r.stderr


def test_a_project_folder_s_own_settings_choose_nothing(atomic_env):
    groq_keys(atomic_env)
    project = os.path.join(atomic_env.root, "project")
    os.makedirs(os.path.join(project, ".atomic"))
    with open(os.path.join(project, ".atomic", "settings.json"), "w") as f:
        json.dump({"profiles": [{"folder": project, "use": "work"}]}, f)
    assert key(atomic_env, cwd=project) == "groq"


def test_a_missing_named_login_is_an_error_never_another_key(atomic_env):
    groq_keys(atomic_env)
    env = {"GROQ_API_KEY": "gsk_from_the_environment_000001"}
    line = assert_fails(atomic_env.run("key", "groq", "--profile", "nope", env=env), 3, "groq:nope", "--profile",
                        "atomic login groq --profile nope")
    assert "its named logins: personal, work" in line
    assert_fails(atomic_env.run("key", "groq", env=dict(env, ATOMIC_PROFILE="groq=nope")), 3, "groq:nope",
                 "ATOMIC_PROFILE")
    assert_fails(atomic_env.run("key", "groq", env=dict(env, ATOMIC_PROFILE="nope")), 3, "groq:nope")
    assert_fails(atomic_env.run("key", "openai", "--profile", "work", env={"OPENAI_API_KEY": "sk-proj-env-0001"}), 3,
                 "openai:work", "it has no named logins")
    # A name for every provider leaves those without named logins with their usual credential.
    r = atomic_env.run("key", "openai", env={"ATOMIC_PROFILE": "work", "OPENAI_API_KEY": "sk-proj-env-0001"})
    assert (r.returncode, r.stdout) == (0, "sk-proj-env-0001\n"), r.stderr
    assert_fails(atomic_env.run("key", "groq", "--profile", "a b"), 2, "--profile", "a profile name")
    settings(atomic_env, {"profiles": [{"folder": "~", "use": "x:y"}]})
    assert_fails(atomic_env.run("key", "groq"), 4, "settings.json", "profiles[0].use")


def test_a_choice_is_stored_nowhere_and_another_terminal_keeps_its_own(atomic_env, net):
    groq_keys(atomic_env)
    before = {name: open(os.path.join(atomic_env.agent_dir, name), "rb").read() for name in os.listdir(atomic_env.agent_dir)}
    listing = tree(atomic_env.agent_dir)
    results = {}

    def run(label, *args, **env):
        results[label] = key(atomic_env, *args, **env)

    threads = [threading.Thread(target=run, args=("flag", "--profile", "work")),
               threading.Thread(target=run, args=("variable",), kwargs={"ATOMIC_PROFILE": "personal"}),
               threading.Thread(target=run, args=("plain",))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"flag": "groq:work", "variable": "groq:personal", "plain": "groq"}
    assert tree(atomic_env.agent_dir) == listing
    assert {name: open(os.path.join(atomic_env.agent_dir, name), "rb").read() for name in os.listdir(atomic_env.agent_dir)} == before


def test_chat_s_profile_changes_its_own_conversation_only(atomic_env, net):
    from test_chat import Terminal

    groq_keys(atomic_env)
    groq = Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", completions_events("Hello."))
    t = Terminal(["chat", "-m", "groq/llama-3.3-70b-versatile"], dict(atomic_env.env, TERM="dumb", **net.env()))
    try:
        t.expect(r"groq/llama-3.3-70b-versatile> ")
        t.type("/profile\r")
        t.expect(r"groq: the default login\.")
        t.expect(r"groq/llama-3.3-70b-versatile> ")
        t.type("hi\r")
        t.expect(r"Hello\.")
        assert groq.last.headers["Authorization"] == "Bearer " + KEYS["groq"]
        t.type("/profile work\r")
        t.expect(r"groq: the login named work \(--profile\)\.")
        t.expect(r"groq/llama-3.3-70b-versatile> ")
        t.type("again\r")
        t.expect(r"Hello\.")
        assert groq.last.headers["Authorization"] == "Bearer " + KEYS["groq:work"]
        assert key(atomic_env) == "groq"           # another terminal, meanwhile: its own choice
    finally:
        t.close()


# The file the Atomic agent and pi read -------------------------------------------------------

def test_the_agent_s_reader_accepts_the_file_with_named_logins(atomic_env):
    assert agent_rule({"groq": {"type": "api_key", "key": "k"}, "profiles": {"active": "work"}}) == ["profiles"]
    for args, stdin in ((["groq"], KEYS["groq"]), (["groq", "--profile", "work"], KEYS["groq:work"]),
                        (["anthropic", "--with-token", "--profile", "ci"], "sk-ant-oat01-setup-token-000000000001")):
        r = atomic_env.run("login", *args, input=stdin)
        assert r.returncode == 0, r.stderr
    data = atomic_env.read_auth()
    assert set(data) == {"groq", "groq:work", "anthropic:ci"}
    assert agent_rule(data) == []
    r = atomic_env.run("logout", "groq", "--profile", "work")
    assert r.returncode == 0 and "Groq (work)" in r.stderr, r.stderr
    assert set(atomic_env.read_auth()) == {"groq", "anthropic:ci"}


def test_login_to_a_named_login_leaves_the_default_one_alone(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": KEYS["groq"]}})
    r = atomic_env.run("login", "groq", "--profile", "work", input=KEYS["groq:work"])
    assert r.returncode == 0 and "as groq:work" in r.stderr, r.stderr
    assert atomic_env.read_auth()["groq"] == {"type": "api_key", "key": KEYS["groq"]}
    r = atomic_env.run("status")
    rows = [line.split()[0] for line in r.stdout.splitlines()[1:]]
    assert rows == ["groq", "groq:work"]
    assert_fails(atomic_env.run("login", "groq", "--profile", "x:y", input="k"), 2, "--profile")


# Who you are -------------------------------------------------------------------------------------

def codex_device_login(openai, start_login, login_env, *extra):
    openai.device_script = ["ok"]
    run = start_login(["login", "openai-codex", "--device"] + list(extra), login_env)
    code, _out, err = run.finish(timeout=60)
    assert code == 0, err
    return err


def test_two_workspaces_of_one_email_stay_apart(atomic_env, openai, login_env, start_login, net):
    openai.email, openai.account_id, openai.plan = "sam@example.com", "ws-team-1111", "team"
    said = codex_device_login(openai, start_login, login_env)
    assert "as sam@example.com (account ws-team-1111, plan team)" in said
    openai.account_id, openai.plan = "ws-personal-2222", "plus"
    said = codex_device_login(openai, start_login, login_env, "--profile", "personal")
    assert "as sam@example.com (account ws-personal-2222, plan plus)" in said and "openai-codex:personal" in said
    data = atomic_env.read_auth()
    assert (data["openai-codex"]["accountId"], data["openai-codex:personal"]["accountId"]) == ("ws-team-1111",
                                                                                             "ws-personal-2222")
    # Signing in to the default login again with the other workspace says whose login it replaces.
    openai.account_id = "ws-other-3333"
    said = codex_device_login(openai, start_login, login_env)
    assert "replacing a subscription (OAuth) login stored before (sam@example.com (account ws-team-1111, plan team))" \
        in said
    openai.account_id, openai.plan = "ws-team-1111", "team"
    codex_device_login(openai, start_login, login_env)
    data = atomic_env.read_auth()
    assert agent_rule(data) == []
    r = run_atomic(["status", "--json"], env=login_env)
    rows = [(row.get("profile"), row["identity"]["email"], row["identity"]["account"], row["identity"]["plan"])
            for row in json.loads(r.stdout)["providers"] if row["id"] == "openai-codex"]
    assert rows == [(None, "sam@example.com", "ws-team-1111", "team"),
                    ("personal", "sam@example.com", "ws-personal-2222", "plus")]
    shown = run_atomic(["status"], env=login_env).stdout
    assert re.search(r"^openai-codex:personal .* sam@example.com \(account ws-personal-2222, plan plus\)", shown, re.M)
    doc = json.loads(run_atomic(["key", "openai-codex", "--profile", "personal", "--json"], env=login_env).stdout)
    assert doc["profile"] == "personal" and doc["identity"]["account"] == "ws-personal-2222"
    assert "chatgpt-account-id: ws-personal-2222" in doc["headers"]


# Logout --revoke -----------------------------------------------------------------------------------

def codex_entry(refresh):
    access = make_jwt({AUTH_CLAIM: {"chatgpt_account_id": "ws-1"}, "exp": int(time.time()) + 3600})
    return {"type": "oauth", "access": access, "refresh": refresh, "expires": int(time.time() * 1000) + HOUR_MS,
            "accountId": "ws-1"}


def test_revoke_ends_the_login_at_the_provider_and_removes_it_only_after(atomic_env, net):
    atomic_env.write_auth({"openai-codex:work": codex_entry("rt_work_live"), "openai-codex": codex_entry("rt_default")})
    seen = []

    @net.hosts.route("POST", "auth.openai.com", "/oauth/revoke")
    def revoke(req):
        # The entry is still there while the provider is asked: it goes only once revoked.
        seen.append((req.json(), "openai-codex:work" in atomic_env.read_auth()))
        return reply(200, {})

    env = dict(net.env())
    r = atomic_env.run("logout", "openai-codex", "--profile", "work", "--revoke", env=env)
    assert r.returncode == 0, r.stderr
    assert seen == [({"token": "rt_work_live", "token_type_hint": "refresh_token",
                      "client_id": "app_EMoamEEZ73f0CkXaXp7hrann"}, True)]
    assert set(atomic_env.read_auth()) == {"openai-codex"}
    assert "Revoked the openai-codex:work login" in r.stderr


def test_a_revocation_that_fails_keeps_the_entry(atomic_env, net):
    atomic_env.write_auth({"openai-codex": codex_entry("rt_live")})
    before = atomic_env.auth_bytes()
    net.hosts.route("POST", "auth.openai.com", "/oauth/revoke")(
        lambda req: reply(503, {"error": {"message": "try later"}}))
    assert_fails(atomic_env.run("logout", "openai-codex", "--revoke", env=net.env()), 6, "HTTP 503", "nothing was removed")
    assert atomic_env.auth_bytes() == before


def test_revoke_of_an_api_key_says_where_keys_end_not_that_it_expires(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk_" + "k" * 30}})
    before = atomic_env.auth_bytes()
    line = assert_fails(atomic_env.run("logout", "groq", "--revoke"), 2, "groq is an API key", "provider's console",
                        "atomic logout groq")
    assert "until it expires" not in line, line
    assert atomic_env.auth_bytes() == before


def test_revoke_where_the_provider_has_no_endpoint_is_refused_and_plain_logout_says_the_token_lives_on(atomic_env):
    entry = {"type": "oauth", "access": "sk-ant-oat01-a", "refresh": "sk-ant-ort01-r", "expires": 1}
    atomic_env.write_auth({"anthropic": entry, "github-copilot": dict(entry, access="tid=1", refresh="gho_x")})
    before = atomic_env.auth_bytes()
    assert_fails(atomic_env.run("logout", "anthropic", "--revoke"), 2, "no way for atomic to revoke",
                 "stays valid at Anthropic")
    assert_fails(atomic_env.run("logout", "copilot", "--revoke"), 2, "Authorized OAuth Apps")
    assert atomic_env.auth_bytes() == before
    r = atomic_env.run("logout", "anthropic")
    assert r.returncode == 0 and "stays valid at the provider until it expires" in r.stderr, r.stderr


def test_what_to_run_for_a_named_login_names_that_login(atomic_env):
    # A named login due for refresh, or expired under --no-refresh: the command said is the one that
    # acts on that login (`--profile work`), not on the default login.
    entry = {"type": "oauth", "access": "sk-ant-oat01-work", "refresh": "sk-ant-ort01-work", "expires": 1}
    atomic_env.write_auth({"anthropic:work": entry})
    r = atomic_env.run("status")
    (line,) = [line for line in r.stdout.splitlines() if line.startswith("anthropic:work")]
    assert "refresh due: `atomic key anthropic --profile work` refreshes it" in line, r.stdout
    r = atomic_env.run("status", "--check", "anthropic", "--profile", "work", "--no-refresh", "--json")
    (row,) = json.loads(r.stdout)["providers"]
    assert row["reason"] == ("expired login, not refreshed (--no-refresh); `atomic key anthropic --profile work` "
                             "refreshes it"), row


# Tokens that do not rotate --------------------------------------------------------------------------

def test_a_claude_code_token_from_the_environment_or_stdin_is_never_refreshed(atomic_env):
    token = "sk-ant-oat01-setup-token-year-long-0001"
    r = atomic_env.run("key", "anthropic", "--header", env={"CLAUDE_CODE_OAUTH_TOKEN": token})
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "Authorization: Bearer " + token
    r = atomic_env.run("status", "--json", env={"CLAUDE_CODE_OAUTH_TOKEN": token})
    (row,) = [row for row in json.loads(r.stdout)["providers"] if row["id"] == "anthropic"]
    assert row["source"] == "env CLAUDE_CODE_OAUTH_TOKEN" and row["nonRotating"] is True and "expires" not in row
    r = atomic_env.run("login", "anthropic", "--with-token", input=token + "\n")
    assert r.returncode == 0 and "never refreshes it" in r.stderr, r.stderr
    assert atomic_env.read_auth() == {"anthropic": {"type": "api_key", "key": token}}
    shown = atomic_env.run("status").stdout
    assert re.search(r"^anthropic .*non-rotating, never refreshed", shown, re.M), shown
    # `atomic exec anthropic -- claude …` hands it to Claude Code where Claude Code reads it.
    r = atomic_env.run("exec", "anthropic", "--", "sh", "-c", 'printf "%s %s" "$CLAUDE_CODE_OAUTH_TOKEN" "$ANTHROPIC_OAUTH_TOKEN"')
    assert r.stdout == "%s %s" % (token, token), r.stderr
    assert_fails(atomic_env.run("login", "anthropic", "--with-token", input="sk-ant-api03-a-key"), 2, "claude setup-token")


def test_a_chatgpt_access_token_is_stored_with_its_workspace(atomic_env, net):
    token = "at-" + "p" * 40
    asked = []

    @net.hosts.route("GET", "auth.openai.com", "/api/accounts/v1/user-auth-credential/whoami")
    def whoami(req):
        asked.append(req.headers.get("Authorization"))
        return reply(200, {"email": "ci@example.com", "chatgpt_user_id": "u-1", "chatgpt_account_id": "ws-ent-9",
                           "chatgpt_plan_type": "enterprise", "chatgpt_account_is_fedramp": False})

    r = atomic_env.run("login", "openai-codex", "--with-token", "--profile", "ci", input=token, env=net.env())
    assert r.returncode == 0, r.stderr
    assert asked == ["Bearer " + token] and token not in r.stderr
    entry = atomic_env.read_auth()["openai-codex:ci"]
    assert entry == {"type": "api_key", "key": token, "accountId": "ws-ent-9",
                     "identity": {"email": "ci@example.com", "account": "ws-ent-9", "user": "u-1", "plan": "enterprise"}}
    r = atomic_env.run("key", "openai-codex", "--profile", "ci", "--header")
    assert r.stdout == "Authorization: Bearer %s\nchatgpt-account-id: ws-ent-9\n" % token


def test_status_check_shows_what_remains_of_the_usage_windows(atomic_env, net):
    reset = int(time.time()) + 2 * 3600 + 60
    atomic_env.write_auth({"openai-codex": codex_entry("rt"),
                           "anthropic": {"type": "oauth", "access": "sk-ant-oat01-check", "refresh": "r",
                                         "expires": int(time.time() * 1000) + HOUR_MS}})
    net.hosts.route("GET", "chatgpt.com", "/backend-api/codex/models")(lambda req: reply(200, {"models": []}, {
        "x-codex-primary-used-percent": "42", "x-codex-primary-window-minutes": "300",
        "x-codex-primary-reset-at": str(reset), "x-codex-secondary-used-percent": "10.5",
        "x-codex-secondary-window-minutes": "10080"}))
    net.hosts.route("GET", "api.anthropic.com", "/v1/models")(lambda req: reply(200, {"data": []}, {
        "anthropic-ratelimit-unified-5h-utilization": "0.25", "anthropic-ratelimit-unified-5h-reset": str(reset),
        "anthropic-ratelimit-unified-5h-status": "allowed", "anthropic-ratelimit-unified-7d-utilization": "0.5",
        "anthropic-ratelimit-unified-status": "allowed"}))
    r = atomic_env.run("status", "--check", "--json", env=net.env())
    assert r.returncode == 0, r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)["providers"]}
    codex = [(w["name"], w["remainingPercent"], w["windowMinutes"]) for w in rows["openai-codex"]["usage"]]
    assert codex == [("primary", 58.0, 300), ("secondary", 89.5, 10080)]
    assert rows["openai-codex"]["usage"][0]["resetsAt"] == reset
    assert [(w["name"], w["remainingPercent"]) for w in rows["anthropic"]["usage"]] == [("5h", 75.0), ("7d", 50.0)]
    shown = atomic_env.run("status", "--check", env=net.env()).stdout
    assert re.search(r"openai-codex .* 5h: 58% left \(resets in 2h 0\dm\); 7d: 89\.5% left", shown), shown


def test_exec_ask_and_status_take_the_profile_too(atomic_env, net):
    groq_keys(atomic_env)
    r = atomic_env.run("exec", "--profile", "work", "groq", "--", "sh", "-c", 'printf %s "$GROQ_API_KEY"')
    assert (r.returncode, r.stdout) == (0, KEYS["groq:work"]), r.stderr
    groq = Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", completions_events("Hi."))
    r = atomic_env.run("ask", "--profile", "personal", "-m", "groq/llama-3.3-70b-versatile", "hello", env=net.env())
    assert r.returncode == 0, r.stderr
    assert groq.last.headers["Authorization"] == "Bearer " + KEYS["groq:personal"]
    rows = json.loads(atomic_env.run("status", "--json", "--profile", "work").stdout)["providers"]
    assert [(row["id"], row.get("profile")) for row in rows] == [("groq", "work")]
    shown = atomic_env.run("status", env={"ATOMIC_PROFILE": "personal"}).stdout
    assert re.search(r"^groq:personal .*used here \(ATOMIC_PROFILE\)", shown, re.M), shown


def test_a_github_token_is_stored_with_its_account(atomic_env, net):
    from fake_github import FakeGitHub

    FakeGitHub(net, github_token="gho_" + "t" * 36)
    r = atomic_env.run("login", "copilot", "--with-token", "--profile", "ci", input="gho_" + "t" * 36, env=net.env())
    assert r.returncode == 0 and "as octocat@users.example.com (plan" not in r.stderr, r.stderr
    assert atomic_env.read_auth()["github-copilot:ci"] == {
        "type": "api_key", "key": "gho_" + "t" * 36, "identity": {"user": "octocat", "email": "octocat@users.example.com"}}
    assert_fails(atomic_env.run("login", "copilot", "--with-token", input="gho_" + "u" * 36, env=net.env()), 10,
                 "did not accept the GitHub token")


def test_a_github_token_that_could_not_be_checked_is_a_network_failure_not_a_refusal(atomic_env, net):
    # GitHub down, or no network at all: the token may be fine; exit 6 says "try again", not "wrong token".
    net.hosts.route("GET", "api.github.com", "/user")(lambda req: reply(503, {"message": "Service Unavailable"}))
    token = "gho_" + "t" * 36
    assert_fails(atomic_env.run("login", "copilot", "--with-token", input=token, env=net.env()), 6,
                 "api.github.com answered HTTP 503", "try again later")
    unreachable = dict(net.env(), HTTPS_PROXY="http://127.0.0.1:9")
    assert_fails(atomic_env.run("login", "copilot", "--with-token", input=token, env=unreachable), 6)
    assert not os.path.exists(atomic_env.auth_path)
