"""Living beside the Codex CLI and gh (issue 21): `atomic login P --from codex|gh` links to the other
tool's own login. atomic reads it at each use, never copies it, never writes the other tool's
files, takes none of its locks and never spends its refresh token; when Codex's token has run out,
Codex is asked to refresh its own login. Each tool's real file layout is reproduced below
(sharing-logins.md §1.2, §4), with a stand-in program for the tool itself on PATH."""
import hashlib
import json
import os
import subprocess
import sys
import time

import pytest

from conftest import ATOMIC_PY, NOBODY, PYTHON, assert_fails, run_atomic
from llmfakes import Model, responses_events
from netfakes import reply
from oauthfakes import AUTH_CLAIM, make_jwt
from test_accounts import agent_rule

CODEX_TOKEN_URL = ("auth.openai.com", "/oauth/token")

# `codex app-server` as Codex 0.169.0 answers it (JSONL over stdio, JSON-RPC without the "jsonrpc"
# field): initialize, then account/read {"refreshToken": true} makes Codex refresh its own login
# and write auth.json by temp file + rename. This stand-in rotates the tokens itself (the real one
# would ask auth.openai.com), logs each refresh, and takes its time, as a refresh does.
FAKE_CODEX = r'''#!%(python)s
import base64, hashlib, json, os, secrets, sys, time
def jwt(claims):
    part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    return "%%s.%%s.%%s" %% (part({"alg": "RS256"}), part(claims), secrets.token_urlsafe(16))
if sys.argv[1:] != ["app-server"]:
    sys.exit(2)
home = os.environ["CODEX_HOME"]
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("method") == "initialize":
        print(json.dumps({"id": msg["id"], "result": {"userAgent": "codex_app_server/0.169.0"}}), flush=True)
    elif msg.get("method") == "account/read":
        if msg.get("params", {}).get("refreshToken"):
            time.sleep(0.3)
            path = os.path.join(home, "auth.json")
            with open(path) as f:
                doc = json.load(f)
            n = int(doc["tokens"]["refresh_token"].rsplit("gen", 1)[1]) + 1
            doc["tokens"]["access_token"] = jwt({"exp": int(time.time()) + 3600, "%(claim)s": {
                "chatgpt_account_id": doc["tokens"]["account_id"], "chatgpt_plan_type": "plus"}, "n": n})
            doc["tokens"]["refresh_token"] = "rt_gen%%d" %% n
            doc["last_refresh"] = "2026-12-08T10:00:00.000000000Z"
            raw = json.dumps(doc, indent=2).encode()
            tmp = os.path.join(home, ".auth-%%s" %% secrets.token_hex(3))
            with open(tmp, "wb") as f:
                f.write(raw)
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
            with open(os.environ["CODEX_LOG"], "a") as log:
                log.write("refresh %%s\n" %% hashlib.sha256(raw).hexdigest())
        print(json.dumps({"id": msg["id"], "result": {"account": {"type": "chatgpt", "email": "dev@example.com",
                          "planType": "plus"}, "requiresOpenaiAuth": True}}), flush=True)
'''

# `gh auth token [--hostname HOST]`: the token gh keeps for the host; here from hosts.yml in its
# plain-text layout (gh 2.40+: the active user's token at the host's top level, and per user).
FAKE_GH = r'''#!%(python)s
import os, sys
args = sys.argv[1:]
with open(os.environ["GH_LOG"], "a") as log:
    log.write(" ".join(args) + "\n")
if args[:2] != ["auth", "token"]:
    sys.exit(1)
host = args[args.index("--hostname") + 1] if "--hostname" in args else "github.com"
config = os.environ.get("GH_CONFIG_DIR") or os.path.join(os.environ["HOME"], ".config", "gh")
section, token = None, None
for line in open(os.path.join(config, "hosts.yml")):
    if line.strip() and not line.startswith(" "):
        section = line.strip().rstrip(":")
    elif section == host and line.startswith("    oauth_token:"):
        token = line.split(":", 1)[1].strip()
if not token:
    sys.stderr.write("no oauth token found for %%s\n" %% host)
    sys.exit(1)
print(token)
'''


def install(root, name, script):
    """A folder for PATH holding the stand-in program `name` (none when script is None)."""
    folder = os.path.join(root, name + "-bin")
    os.makedirs(folder)
    if script is not None:
        with open(os.path.join(folder, name), "w") as f:
            f.write(script)
        os.chmod(os.path.join(folder, name), 0o755)
    return folder


def codex_tokens(exp, n=0, email="dev@example.com", account="ws-codex-0042"):
    access = make_jwt({"exp": exp, AUTH_CLAIM: {"chatgpt_account_id": account, "chatgpt_plan_type": "plus"}, "n": n})
    id_token = make_jwt({"email": email, "exp": exp, AUTH_CLAIM: {"chatgpt_account_id": account,
                                                                 "chatgpt_plan_type": "plus", "chatgpt_user_id": "user-7"}})
    return {"id_token": id_token, "access_token": access, "refresh_token": "rt_gen%d" % n, "account_id": account}


class Codex:
    """A $CODEX_HOME as Codex 0.169.0 leaves it (auth.json 0600, 2-space JSON), and `codex` on PATH
    when installed=True."""

    def __init__(self, root, installed=True):
        self.home = os.path.join(root, "codex-home")
        os.makedirs(self.home, mode=0o700)
        self.path = os.path.join(self.home, "auth.json")
        self.log = os.path.join(root, "codex.log")
        self.bin = install(root, "codex", FAKE_CODEX % {"python": PYTHON, "claim": AUTH_CLAIM} if installed else None)

    def write(self, tokens):
        doc = {"auth_mode": "chatgpt", "OPENAI_API_KEY": None, "tokens": tokens,
               "last_refresh": "2026-12-07T11:57:01.792075270Z"}
        with open(self.path, "w") as f:
            json.dump(doc, f, indent=2)
        os.chmod(self.path, 0o600)
        return self.snapshot()

    def snapshot(self):
        with open(self.path, "rb") as f:
            return f.read(), os.stat(self.path).st_mtime_ns, sorted(os.listdir(self.home))

    def access(self):
        with open(self.path) as f:
            return json.load(f)["tokens"]["access_token"]

    def refreshes(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return f.read().split()[1::2]

    def env(self, base):
        return dict(base, CODEX_HOME=self.home, CODEX_LOG=self.log, PATH=self.bin + os.pathsep + "/usr/bin:/bin")


@pytest.fixture
def codex(tmp_path):
    return Codex(str(tmp_path))


def linked_env(atomic_env, codex, net):
    env = codex.env(dict(atomic_env.env, **net.env()))
    r = run_atomic(["login", "openai-codex", "--from", "codex"], env=env)
    assert r.returncode == 0, r.stderr
    return env, r


def no_copy(atomic_env, codex):
    """No token of Codex's in any file of atomic's."""
    with open(codex.path) as f:
        tokens = json.load(f)["tokens"]
    for name in os.listdir(atomic_env.agent_dir):
        path = os.path.join(atomic_env.agent_dir, name)
        if os.path.isfile(path):
            with open(path) as f:
                text = f.read()
            assert not any(tokens[k] in text for k in ("access_token", "refresh_token", "id_token")), name


# The Codex CLI -------------------------------------------------------------------------------------

def test_from_codex_links_reads_and_never_copies(atomic_env, codex, net, openai):
    before = codex.write(codex_tokens(int(time.time()) + 3600))
    env, r = linked_env(atomic_env, codex, net)
    assert "Linked ChatGPT Plus/Pro (Codex) to codex's own login as dev@example.com (account ws-codex-0042, plan plus)" \
        in r.stderr
    links = os.path.join(atomic_env.agent_dir, "linked-logins.json")
    with open(links) as f:
        assert json.load(f) == {"openai-codex": {"from": "codex", "home": codex.home}}
    assert os.stat(links).st_mode & 0o777 == 0o600
    assert not os.path.exists(atomic_env.auth_path)          # a reference is no credential: not in auth.json
    no_copy(atomic_env, codex)
    r = run_atomic(["key", "openai-codex", "--json"], env=env)
    doc = json.loads(r.stdout)
    assert doc["key"] == codex.access() and doc["source"] == "from codex"
    assert doc["identity"] == {"email": "dev@example.com", "account": "ws-codex-0042", "plan": "plus", "user": "user-7"}
    assert "chatgpt-account-id: ws-codex-0042" in doc["headers"]
    rows = [row for row in json.loads(run_atomic(["status", "--json"], env=env).stdout)["providers"]
            if row["id"] == "openai-codex"]
    assert [(row["source"], row["from"], row["identity"]["email"], row["expiresIn"][:2]) for row in rows] == [
        ("from codex", "codex", "dev@example.com", "59")]
    assert codex.snapshot() == before                        # byte-identical, same mtime, no lock files made
    assert openai.token_requests() == [] and codex.refreshes() == []


def test_a_token_codex_rotated_is_used_at_the_next_use(atomic_env, codex, net, openai):
    codex.write(codex_tokens(int(time.time()) + 3600))
    env, _r = linked_env(atomic_env, codex, net)
    first = run_atomic(["key", "openai-codex"], env=env).stdout
    codex.write(codex_tokens(int(time.time()) + 7200, n=5))   # Codex refreshed on its own meanwhile
    second = run_atomic(["key", "openai-codex"], env=env).stdout
    assert first != second and second == codex.access() + "\n"
    assert openai.token_requests() == [] and codex.refreshes() == []


def test_an_expired_token_without_codex_here_says_what_to_run_and_spends_nothing(atomic_env, tmp_path, net, openai):
    codex = Codex(str(tmp_path), installed=False)
    codex.write(codex_tokens(int(time.time()) + 3600))
    env, _r = linked_env(atomic_env, codex, net)
    before = codex.write(codex_tokens(int(time.time()) - 60))
    procs = [subprocess.Popen([PYTHON, ATOMIC_PY, "key", "openai-codex"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(20)]
    results = [p.communicate(timeout=90) + (p.returncode,) for p in procs]
    assert {r[2] for r in results} == {5} and {r[0] for r in results} == {""}
    assert all("open Codex once (`codex`)" in r[1] and "codex login" in r[1] for r in results), results[0][1]
    assert codex.snapshot() == before
    assert openai.token_requests() == []


def test_twenty_processes_meeting_an_expired_token_have_codex_refresh_it_once(atomic_env, codex, net, openai):
    codex.write(codex_tokens(int(time.time()) + 3600))
    env, _r = linked_env(atomic_env, codex, net)
    codex.write(codex_tokens(int(time.time()) - 60))
    procs = [subprocess.Popen([PYTHON, ATOMIC_PY, "key", "openai-codex"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(20)]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert [r[2] for r in results] == [0] * 20, [r[1] for r in results if r[2]]
    assert {r[0] for r in results} == {codex.access() + "\n"}
    refreshes = codex.refreshes()
    assert len(refreshes) == 1                                # asked once, by one process
    with open(codex.path, "rb") as f:                         # the file is what Codex wrote, nothing else
        assert hashlib.sha256(f.read()).hexdigest() == refreshes[0]
    assert openai.token_requests() == []                      # atomic spent no refresh token
    assert sorted(os.listdir(codex.home)) == ["auth.json"]    # none of Codex's lock files taken
    no_copy(atomic_env, codex)


def test_a_refused_token_is_read_again_then_codex_refreshes_it(atomic_env, codex, net, openai):
    codex.write(codex_tokens(int(time.time()) + 3600))
    env, _r = linked_env(atomic_env, codex, net)
    stale = codex.access()
    backend = Model(net, "POST", "chatgpt.com", "/backend-api/codex/responses", body=responses_events("Fine."),
                    replies=[(401, {}, {"error": {"message": "token revoked", "code": "token_invalidated"}})])
    r = run_atomic(["ask", "-m", "openai-codex", "hello"], env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Fine.")
    sent = [req.headers["Authorization"] for req in backend.requests]
    assert sent == ["Bearer " + stale, "Bearer " + codex.access()] and stale != codex.access()
    assert len(codex.refreshes()) == 1 and openai.token_requests() == []


def test_a_refused_token_without_codex_here_is_an_error_and_the_file_stays(atomic_env, tmp_path, net, openai):
    codex = Codex(str(tmp_path), installed=False)
    before = codex.write(codex_tokens(int(time.time()) + 3600))
    env, _r = linked_env(atomic_env, codex, net)
    Model(net, "POST", "chatgpt.com", "/backend-api/codex/responses", body=responses_events("never"),
          replies=[(401, {}, {"error": {"message": "token revoked"}})] * 3)
    r = run_atomic(["ask", "-m", "openai-codex", "hello"], env=env)
    assert r.returncode == 5 and "codex login" in r.stderr, r.stderr
    assert codex.snapshot() == before and openai.token_requests() == []


def test_codex_in_keyring_mode_is_named(atomic_env, codex, net):
    with open(os.path.join(codex.home, "config.toml"), "w") as f:
        f.write('model = "gpt-5.4"\ncli_auth_credentials_store = "keyring"\n')
    r = run_atomic(["login", "openai-codex", "--from", "codex"], env=codex.env(atomic_env.env))
    assert_fails(r, 5, "system keyring", "cli_auth_credentials_store")
    assert not os.path.exists(os.path.join(atomic_env.agent_dir, "linked-logins.json"))


def test_logout_removes_only_the_link(atomic_env, codex, net):
    before = codex.write(codex_tokens(int(time.time()) + 3600))
    env, _r = linked_env(atomic_env, codex, net)
    assert_fails(run_atomic(["logout", "openai-codex", "--revoke"], env=env), 2, "link to codex's own login")
    r = run_atomic(["logout", "openai-codex"], env=env)
    assert r.returncode == 0 and "codex's own login is unchanged" in r.stderr, r.stderr
    with open(os.path.join(atomic_env.agent_dir, "linked-logins.json")) as f:
        assert json.load(f) == {}
    assert codex.snapshot() == before
    assert_fails(run_atomic(["key", "openai-codex"], env=env), 3)


def test_a_named_link_sits_beside_a_login_of_atomic_s_own(atomic_env, codex, net):
    codex.write(codex_tokens(int(time.time()) + 3600))
    own = {"type": "oauth", "access": make_jwt({AUTH_CLAIM: {"chatgpt_account_id": "ws-own"}}), "refresh": "rt-own",
           "expires": int(time.time() * 1000) + 3600000, "accountId": "ws-own"}
    atomic_env.write_auth({"openai-codex": own})
    env = codex.env(dict(atomic_env.env, **net.env()))
    r = run_atomic(["login", "openai-codex", "--from", "codex", "--profile", "cli"], env=env)
    assert r.returncode == 0, r.stderr
    assert run_atomic(["key", "openai-codex"], env=env).stdout == own["access"] + "\n"
    assert run_atomic(["key", "openai-codex", "--profile", "cli"], env=env).stdout == codex.access() + "\n"
    assert agent_rule(atomic_env.read_auth()) == [] and set(atomic_env.read_auth()) == {"openai-codex"}


# gh (GitHub Copilot) -------------------------------------------------------------------------------

class Gh:
    """gh's config folder with hosts.yml in its plain-text layout, and `gh` on PATH."""

    def __init__(self, root, token="gho_" + "g" * 36):
        self.config = os.path.join(root, "gh-config")
        os.makedirs(self.config, mode=0o700)
        self.path = os.path.join(self.config, "hosts.yml")
        self.log = os.path.join(root, "gh.log")
        self.bin = install(root, "gh", FAKE_GH % {"python": PYTHON})
        self.write(token)

    def write(self, token):
        with open(self.path, "w") as f:
            f.write("github.com:\n    users:\n        octocat:\n            oauth_token: %s\n    git_protocol: https\n"
                    "    oauth_token: %s\n    user: octocat\n" % (token, token))
        os.chmod(self.path, 0o600)
        return self.snapshot()

    def snapshot(self):
        with open(self.path, "rb") as f:
            return f.read(), os.stat(self.path).st_mtime_ns, sorted(os.listdir(self.config))

    def env(self, base):
        return dict(base, GH_CONFIG_DIR=self.config, GH_LOG=self.log, PATH=self.bin + os.pathsep + "/usr/bin:/bin")


def test_from_gh_uses_the_token_gh_holds_and_picks_up_a_new_one(atomic_env, tmp_path, net):
    from fake_github import FakeGitHub

    gh = Gh(str(tmp_path), token="gho_" + "a" * 36)
    github = FakeGitHub(net, github_token="gho_" + "a" * 36)
    env = gh.env(dict(atomic_env.env, **net.env()))
    r = run_atomic(["login", "github-copilot", "--from", "gh"], env=env)
    assert r.returncode == 0, r.stderr
    assert "as octocat@users.example.com" in r.stderr
    with open(os.path.join(atomic_env.agent_dir, "linked-logins.json")) as f:
        assert json.load(f) == {"github-copilot": {"from": "gh", "host": "github.com", "identity": {
            "user": "octocat", "email": "octocat@users.example.com"}}}
    assert not os.path.exists(atomic_env.auth_path)
    assert run_atomic(["key", "copilot"], env=env).stdout == "gho_" + "a" * 36 + "\n"
    before = gh.write("gho_" + "b" * 36)                      # gh signed in again
    assert run_atomic(["key", "copilot"], env=env).stdout == "gho_" + "b" * 36 + "\n"
    rows = [row for row in json.loads(run_atomic(["status", "--json"], env=env).stdout)["providers"]
            if row["id"] == "github-copilot"]
    assert [(row["source"], row["identity"]["user"], row.get("nonRotating")) for row in rows] == [
        ("from gh", "octocat", None)]
    assert gh.snapshot() == before
    # No token endpoint of GitHub's was asked for anything: a refresh token is never spent.
    assert net.hosts.seen(host="github.com", path="/login/oauth/access_token") == []
    assert github.exchanges == []


def test_a_named_link_takes_no_settings_of_the_default_login(atomic_env, tmp_path, net):
    # The default login was stored with a company's Copilot address; a named link to gh's own
    # github.com login must not send gh's token there.
    gh = Gh(str(tmp_path), token="gho_" + "a" * 36)
    atomic_env.write_auth({"github-copilot": {"type": "api_key", "key": "ghp_" + "c" * 36,
                                              "env": {"GITHUB_COPILOT_BASE_URL": "https://copilot.corp.example.com"}}})
    atomic_env.make_agent_dir()
    links = os.path.join(atomic_env.agent_dir, "linked-logins.json")
    with open(links, "w") as f:
        json.dump({"github-copilot:home": {"from": "gh", "host": "github.com"}}, f)
    os.chmod(links, 0o600)
    env = gh.env(dict(atomic_env.env, **net.env()))
    r = run_atomic(["key", "copilot", "--profile", "home", "--json"], env=env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["key"], doc["source"]) == ("gho_" + "a" * 36, "from gh")
    assert "corp.example.com" not in doc["baseUrl"], doc
    r = run_atomic(["key", "copilot", "--json"], env=env)      # the default login keeps its own
    assert json.loads(r.stdout)["baseUrl"] == "https://copilot.corp.example.com", r.stderr


def test_gh_s_refresh_token_is_never_taken(atomic_env, tmp_path, net):
    gh = Gh(str(tmp_path), token="ghr_" + "r" * 36)
    r = run_atomic(["login", "github-copilot", "--from", "gh"], env=gh.env(dict(atomic_env.env, **net.env())))
    assert_fails(r, 2, "refresh token (ghr_)", "never spends one")
    assert "ghr_" + "r" * 36 not in r.stderr


def test_a_refused_gh_token_means_signing_gh_in_again(atomic_env, tmp_path, net):
    gh = Gh(str(tmp_path))
    env = gh.env(dict(atomic_env.env, **net.env()))
    atomic_env.make_agent_dir()
    links = os.path.join(atomic_env.agent_dir, "linked-logins.json")
    with open(links, "w") as f:
        json.dump({"github-copilot": {"from": "gh", "host": "github.com"}}, f)
    os.chmod(links, 0o600)
    before = gh.snapshot()
    api = Model(net, "POST", "api.githubcopilot.com", "/chat/completions", body="",
                replies=[(401, {}, {"message": "Bad credentials"})] * 3)
    r = run_atomic(["ask", "-m", "github-copilot/gemini-2.5-pro", "hello"], env=env)
    assert r.returncode == 5 and "gh auth login --hostname github.com" in r.stderr, r.stderr
    assert len(api.requests) == 1          # gh still holds the refused token: nothing new to try
    assert gh.snapshot() == before


def test_claude_code_s_login_is_not_linked_and_the_reason_is_given(atomic_env):
    r = atomic_env.run("login", "anthropic", "--from", "claude")
    line = assert_fails(r, 2, "CLAUDE_CODE_OAUTH_TOKEN", "claude setup-token", "atomic serve")
    assert "logs every Claude Code session out" in line
    assert_fails(atomic_env.run("login", "groq", "--from", "codex"), 2, "--from is only for")


def test_a_link_others_could_have_written_is_not_followed(atomic_env, codex, net, openai):
    codex.write(codex_tokens(int(time.time()) + 3600))
    env, _r = linked_env(atomic_env, codex, net)
    os.chmod(os.path.join(atomic_env.agent_dir, "linked-logins.json"), 0o666)
    r = run_atomic(["key", "openai-codex"], env=env)
    assert r.returncode == 7 and r.stdout == "" and "can be changed by other users" in r.stderr, r.stderr


def test_a_link_file_of_another_user_is_never_written(atomic_env, codex, net):
    # The rule of every small file of atomic's own (settings.json, trust.json): read, but not written.
    if os.geteuid() != 0:
        pytest.skip("needs root to give the file to another user")
    codex.write(codex_tokens(int(time.time()) + 3600))
    env, _r = linked_env(atomic_env, codex, net)
    path = os.path.join(atomic_env.agent_dir, "linked-logins.json")
    os.chown(path, NOBODY, NOBODY)
    before = open(path, "rb").read()
    assert_fails(run_atomic(["logout", "openai-codex"], env=env), 7, path, "belongs to uid %d" % NOBODY, warnings=True)
    assert open(path, "rb").read() == before


def test_min_valid_has_codex_refresh_and_says_when_even_that_is_too_short(atomic_env, codex, net, openai):
    codex.write(codex_tokens(int(time.time()) + 1800))
    env, _r = linked_env(atomic_env, codex, net)
    r = run_atomic(["key", "openai-codex", "--min-valid", "50m"], env=env)
    assert (r.returncode, r.stdout) == (0, codex.access() + "\n"), r.stderr   # Codex's fresh token lasts an hour
    assert len(codex.refreshes()) == 1
    assert_fails(run_atomic(["key", "openai-codex", "--min-valid", "2h"], env=env), 12, "from codex",
                 "codex's fresh token lasts only that long")
    assert openai.token_requests() == []


def test_a_link_a_provider_cannot_use_names_the_logout_of_that_very_login(atomic_env):
    # A hand-edited file linking Codex's login to Anthropic's named login `work`: the fix printed
    # removes that link, not the default login.
    os.makedirs(atomic_env.agent_dir, mode=0o700, exist_ok=True)
    path = os.path.join(atomic_env.agent_dir, "linked-logins.json")
    with open(path, "w") as f:
        json.dump({"anthropic:work": {"from": "codex"}}, f)
    os.chmod(path, 0o600)
    line = assert_fails(run_atomic(["key", "anthropic", "--profile", "work"], env=atomic_env.env), 4,
                        path, "anthropic:work links a login from codex")
    assert "run `atomic logout anthropic --profile work`" in line


def test_the_account_s_models_are_found_without_asking_gh(atomic_env, tmp_path, net):
    # The default Copilot login is gh's, a named one atomic's own: which models the default's
    # account has is found from what atomic stores (nothing, for a link), and gh, a program, is
    # run only when its token is used, not to list or route (serve would run it per request).
    gh = Gh(str(tmp_path))
    atomic_env.write_auth({"github-copilot:work": {"type": "api_key", "key": "ghp_" + "c" * 36}})
    links = os.path.join(atomic_env.agent_dir, "linked-logins.json")
    with open(links, "w") as f:
        json.dump({"github-copilot": {"from": "gh", "host": "github.com"}}, f)
    os.chmod(links, 0o600)
    env = gh.env(dict(atomic_env.env, **net.env()))
    r = run_atomic(["models", "github-copilot"], env=env)
    assert r.returncode == 0 and "gpt-4o" in r.stdout, r.stderr
    assert not os.path.exists(gh.log)
    assert run_atomic(["key", "copilot"], env=env).stdout == "gho_" + "g" * 36 + "\n"   # used: asked
    with open(gh.log) as f:
        assert f.read() == "auth token --hostname github.com\n"
