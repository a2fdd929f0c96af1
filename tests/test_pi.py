"""Living beside pi and the Atomic agent (issue 9): PI_* names, pi's ~/.pi/agent as a lower layer,
project models files, GitHub Copilot from the environment, and the llama.cpp provider.

Every test runs the real CLI in a temporary HOME that holds both ~/.atomic/agent and ~/.pi/agent
(no ATOMIC_CODING_AGENT_DIR, unless the test is about it), from a project folder of its own.
"""
import json
import os
import stat
import time

import pytest

from conftest import assert_fails, clean_env, closed_port, run_atomic, tree, trust
from llmfakes import LlamaServer, Model, completions_events
from netfakes import FakeHosts, reply

HOUR_MS = 3600 * 1000
BOM = b"\xef\xbb\xbf"


class Home:
    """A HOME with atomic's and pi's agent folders, and a project folder to run atomic in."""

    def __init__(self, tmp_path):
        self.home = str(tmp_path / "home")
        self.atomic_dir = os.path.join(self.home, ".atomic", "agent")
        self.pi_dir = os.path.join(self.home, ".pi", "agent")
        self.project = str(tmp_path / "project")
        for folder in (self.atomic_dir, self.pi_dir, self.project):
            os.makedirs(folder, mode=0o700)
        self.atomic_auth = os.path.join(self.atomic_dir, "auth.json")
        self.pi_auth = os.path.join(self.pi_dir, "auth.json")

    def write(self, path, data, mode=0o600, bom=False):
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        raw = data if isinstance(data, bytes) else json.dumps(data, indent=2).encode("utf-8")
        with open(path, "wb") as f:
            f.write((BOM if bom else b"") + raw)
        os.chmod(path, mode)

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def run(self, *args, input=None, cwd=None, **extra):
        return run_atomic(list(args), env=clean_env(self.home, **extra), input=input, cwd=cwd or self.project)

    def trust(self):
        """Trust the project folder as its files are now (atomic uses them only then)."""
        return trust(self.project, clean_env(self.home))


@pytest.fixture
def homes(tmp_path):
    return Home(tmp_path)


def key(value):
    return {"type": "api_key", "key": value}


def explain(result):
    return {line.split()[0]: line.split(None, 1)[1] for line in result.stderr.splitlines() if line.startswith("  ")}


# The pi layer ---------------------------------------------------------------------------------

def test_atomic_entries_win_per_provider_and_pi_fills_in_the_rest(homes):
    homes.write(homes.atomic_auth, {"openai": key("sk-proj-atomic-0000000001")})
    homes.write(homes.pi_auth, {"openai": key("sk-proj-pi-00000000000002"), "groq": key("gsk_pi-only-000000000003")})
    before = {path: homes.read(path) for path in (homes.atomic_auth, homes.pi_auth)}
    files = tree(homes.home)

    assert homes.run("key", "openai").stdout == "sk-proj-atomic-0000000001\n"
    assert homes.run("key", "groq").stdout == "gsk_pi-only-000000000003\n"
    lines = explain(homes.run("key", "groq", "--explain"))
    assert lines["using"] == "auth.json (~/.pi/agent)"
    r = homes.run("key", "openai", "--explain")
    assert explain(r)["using"] == "auth.json"
    assert "shadowed auth.json (~/.pi/agent): also has a credential, not used (auth.json comes first)" in r.stderr

    report = json.loads(homes.run("status", "--json").stdout)
    rows = {row["id"]: row for row in report["providers"]}
    assert (rows["openai"]["source"], rows["openai"]["shadowed"]) == ("auth.json", ["auth.json (~/.pi/agent)"])
    assert (rows["groq"]["source"], rows["groq"]["shadowed"]) == ("auth.json (~/.pi/agent)", [])
    assert report["agentDir"] == homes.atomic_dir and report["authFiles"] == [homes.atomic_auth, homes.pi_auth]
    assert "default" in report["agentDirWhy"]
    r = homes.run("status")
    assert r.stderr.splitlines()[0] == ("Agent directory: %s (the default: neither ATOMIC_CODING_AGENT_DIR nor "
                                        "PI_CODING_AGENT_DIR is set); also read: %s" % (homes.atomic_dir, homes.pi_auth))
    table = {line.split()[0]: line.split() for line in r.stdout.splitlines()}
    assert table["groq"][1:3] == ["auth.json", "(~/.pi/agent)"]
    # Reading never writes: neither file changed, nothing was created.
    assert {path: homes.read(path) for path in before} == before and tree(homes.home) == files


def test_a_corrupt_pi_file_is_reported_with_its_path_and_stops_only_what_needs_it(homes):
    homes.write(homes.atomic_auth, {"openai": key("sk-proj-atomic-0000000001")})
    homes.write(homes.pi_auth, b'{"groq": {"type": "api_key", "key": ')
    assert homes.run("key", "openai").stdout == "sk-proj-atomic-0000000001\n"  # atomic's file answers: pi's unread
    assert_fails(homes.run("key", "groq", GROQ_API_KEY="gsk_env-000000000000001"), 4, homes.pi_auth, "not valid JSON")

    r = homes.run("status", "--json")
    assert r.returncode == 11, r.stderr   # a problem found, listed in the report
    report = json.loads(r.stdout)
    assert [row["id"] for row in report["providers"]] == ["openai"]
    assert any(homes.pi_auth in p and "not valid JSON" in p for p in report["problems"])

    # A login writes atomic's file only, and that provider then works whatever pi's file holds.
    r = homes.run("login", "groq", input="gsk_stored-00000000000001\n")
    assert r.returncode == 0, r.stderr
    assert homes.run("key", "groq").stdout == "gsk_stored-00000000000001\n"
    assert homes.read(homes.pi_auth) == b'{"groq": {"type": "api_key", "key": '
    # logout reads every file first, so a broken one stops it before anything is removed.
    assert_fails(homes.run("logout", "groq"), 4, homes.pi_auth)
    assert "groq" in json.loads(homes.read(homes.atomic_auth))


def test_a_pi_oauth_entry_is_refreshed_in_pi_s_file_under_its_lock(homes, net, claude):
    old_refresh = claude.add_refresh_token("sk-ant-ort01-pi-refresh-000001")
    pi_entries = {"anthropic": {"type": "oauth", "access": "sk-ant-oat01-expired-000001", "refresh": old_refresh,
                                "expires": int(time.time() * 1000) - HOUR_MS},
                  "groq": dict(key("gsk_pi-000000000000000001"), note="kept as it is")}
    homes.write(homes.pi_auth, pi_entries, bom=True)  # pi (#8337) tolerates a BOM; so does atomic
    homes.write(homes.atomic_auth, {"openai": key("sk-proj-atomic-0000000001")})
    atomic_bytes = homes.read(homes.atomic_auth)
    seen = []
    answer = claude.token

    def token(req):  # what the token endpoint sees the moment atomic spends pi's refresh token
        seen.append({"pi lock folder": os.path.isdir(os.path.join(homes.pi_dir, "auth.json.lock")),
                     "pi flock": os.path.exists(os.path.join(homes.pi_dir, "auth.json.flock")),
                     "atomic lock": os.path.exists(os.path.join(homes.atomic_dir, "auth.json.lock"))})
        return answer(req)
    net.hosts.route("POST", "platform.claude.com", "/v1/oauth/token")(token)

    r = homes.run("key", "anthropic", **net.env())
    assert r.returncode == 0, r.stderr
    assert seen == [{"pi lock folder": True, "pi flock": True, "atomic lock": False}]
    stored = homes.read(homes.pi_auth)
    assert not stored.startswith(BOM)  # read with one, never written with one
    data = json.loads(stored)
    assert data["anthropic"]["access"] == r.stdout.strip() != "sk-ant-oat01-expired-000001"
    assert data["anthropic"]["refresh"] not in (old_refresh, None)  # pi keeps the rotated, working token
    assert data["anthropic"]["expires"] > time.time() * 1000
    assert data["groq"] == pi_entries["groq"]
    assert stat.S_IMODE(os.stat(homes.pi_auth).st_mode) == 0o600
    assert not os.path.exists(os.path.join(homes.pi_dir, "auth.json.lock"))
    # Never copied into atomic's file: it is byte for byte what it was.
    assert homes.read(homes.atomic_auth) == atomic_bytes

    r = homes.run("key", "anthropic", "--explain", **net.env())
    assert explain(r)["using"].startswith("auth.json (~/.pi/agent, oauth)")
    assert len(claude.token_requests()) == 1  # fresh now: no second refresh


def test_logout_removes_the_provider_from_every_file_that_has_it(homes):
    homes.write(homes.atomic_auth, {"openai": key("sk-proj-atomic-0000000001"), "groq": key("gsk_atomic-0000000000001")})
    homes.write(homes.pi_auth, {"openai": key("sk-proj-pi-00000000000002"), "mistral": key("mistral-pi-0000000003")})

    r = homes.run("logout", "openai")
    assert r.returncode == 0 and r.stdout == "", r.stderr
    assert "from %s and %s." % (homes.atomic_auth, homes.pi_auth) in r.stderr
    assert set(json.loads(homes.read(homes.atomic_auth))) == {"groq"}
    assert set(json.loads(homes.read(homes.pi_auth))) == {"mistral"}
    assert_fails(homes.run("key", "openai"), 3)

    atomic_bytes = homes.read(homes.atomic_auth)
    r = homes.run("logout", "mistral")
    assert "Removed the stored credential for Mistral from %s." % homes.pi_auth in r.stderr
    assert homes.read(homes.atomic_auth) == atomic_bytes  # a file without the provider is not rewritten
    assert json.loads(homes.read(homes.pi_auth)) == {}
    assert "No stored credential for openai" in homes.run("logout", "openai").stderr


def test_logout_all_names_both_files_and_needs_yes(homes):
    homes.write(homes.atomic_auth, {"groq": key("gsk_atomic-0000000000001")})
    homes.write(homes.pi_auth, {"mistral": key("mistral-pi-0000000003")})
    line = assert_fails(homes.run("logout", "--all"), 2, "--yes", homes.atomic_auth, homes.pi_auth)
    assert "groq, mistral" in line
    assert homes.run("logout", "--all", "--yes").returncode == 0
    assert json.loads(homes.read(homes.atomic_auth)) == {} == json.loads(homes.read(homes.pi_auth))


# Variable names ------------------------------------------------------------------------------

def test_pi_coding_agent_dir_alone_and_with_atomic_coding_agent_dir(homes, tmp_path):
    pi_chosen, atomic_chosen = str(tmp_path / "pi-chosen"), str(tmp_path / "atomic-chosen")
    homes.write(os.path.join(pi_chosen, "auth.json"), {"openai": key("sk-proj-pi-chosen-00000001")})
    homes.write(os.path.join(atomic_chosen, "auth.json"), {"openai": key("sk-proj-atomic-chosen-0002")})
    homes.write(homes.pi_auth, {"groq": key("gsk_pi-000000000000000001")})

    # PI_CODING_AGENT_DIR alone chooses the directory, and then pi's ~/.pi/agent is not read.
    assert homes.run("key", "openai", PI_CODING_AGENT_DIR=pi_chosen).stdout == "sk-proj-pi-chosen-00000001\n"
    assert_fails(homes.run("key", "groq", PI_CODING_AGENT_DIR=pi_chosen), 3)
    report = json.loads(homes.run("status", "--json", PI_CODING_AGENT_DIR=pi_chosen).stdout)
    assert report["agentDir"] == pi_chosen and report["authFiles"] == [os.path.join(pi_chosen, "auth.json")]
    assert report["agentDirWhy"].startswith("set by PI_CODING_AGENT_DIR")
    r = homes.run("login", "mistral", input="mistral-key-000000000001\n", PI_CODING_AGENT_DIR="~/from-tilde")
    assert r.returncode == 0, r.stderr
    assert "mistral" in json.loads(homes.read(os.path.join(homes.home, "from-tilde", "auth.json")))

    # Both set: the ATOMIC_ name wins, and status says the other was set too.
    both = {"PI_CODING_AGENT_DIR": pi_chosen, "ATOMIC_CODING_AGENT_DIR": atomic_chosen}
    assert homes.run("key", "openai", **both).stdout == "sk-proj-atomic-chosen-0002\n"
    r = homes.run("status", **both)
    assert r.stderr.splitlines()[0] == ("Agent directory: %s (set by ATOMIC_CODING_AGENT_DIR (PI_CODING_AGENT_DIR is "
                                        "set too; the ATOMIC_ name wins))" % atomic_chosen)


def test_every_atomic_setting_also_has_its_pi_name(homes):
    homes.write(homes.atomic_auth, {"groq": key("!printf gsk_from-a-command-0000001")})
    line = assert_fails(homes.run("key", "groq", PI_COMMAND_TIMEOUT="soon"), 2, "PI_COMMAND_TIMEOUT=soon")
    assert "ATOMIC_COMMAND_TIMEOUT" not in line
    both = homes.run("key", "groq", PI_COMMAND_TIMEOUT="soon", ATOMIC_COMMAND_TIMEOUT="5")  # the ATOMIC_ name wins
    assert both.stdout == "gsk_from-a-command-0000001\n", both.stderr
    r = homes.run("fast", PI_CODEX_FAST_MODE="chat=1;workflow=0")
    assert "chat on" in r.stdout + r.stderr


# Reading rules: BOM, and what the Atomic agent reads back ------------------------------------

def test_a_bom_is_read_in_auth_json_and_models_json_and_never_written(homes):
    homes.write(homes.atomic_auth, {"groq": key("gsk_bom-0000000000000001")}, bom=True)
    homes.write(os.path.join(homes.atomic_dir, "models.json"), {"providers": {"ollama": {
        "baseUrl": "http://127.0.0.1:9/v1", "api": "openai-completions", "models": [{"id": "llama3.1:8b"}]}}}, bom=True)
    assert homes.run("key", "groq").stdout == "gsk_bom-0000000000000001\n"
    r = homes.run("models", "ollama")
    assert r.returncode == 0 and "ollama/llama3.1:8b" in r.stdout, r.stderr
    assert homes.run("login", "mistral", input="mistral-key-000000000001\n").returncode == 0
    assert homes.read(homes.atomic_auth).startswith(b"{")


def test_a_file_atomic_writes_reads_back_under_the_atomic_agent_s_rules(homes):
    # reference §3 / §11.4: JSON.parse of UTF-8 text (a BOM stripped first): strict JSON, no NaN or
    # Infinity, no duplicate keys, one object keyed by provider id, each entry of its known shape.
    # (a setting of one's own: the account id, part of the address, may not hold such letters)
    assert homes.run("login", "cloudflare-workers-ai", "--env", "TEAM_NOTE=café-ünïcode",
                     input="cf-key-0000000000000001\n").returncode == 0
    assert homes.run("login", "groq", input="gsk_a$b-00000000000000001\n").returncode == 0
    raw = homes.read(homes.atomic_auth)
    assert not raw.startswith(BOM)
    text = raw.decode("utf-8")  # strict: every byte is UTF-8

    def no_duplicates(pairs):
        assert len({k for k, _v in pairs}) == len(pairs), pairs
        return dict(pairs)

    def no_constants(name):
        raise AssertionError("JSON.parse rejects %s" % name)

    data = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants)
    assert isinstance(data, dict) and set(data) == {"cloudflare-workers-ai", "groq"}
    assert data["cloudflare-workers-ai"] == {"type": "api_key", "key": "cf-key-0000000000000001",
                                             "env": {"TEAM_NOTE": "café-ünïcode"}}
    assert data["groq"] == {"type": "api_key", "key": "gsk_a$$b-00000000000000001"}  # `$$` reads back as `$`
    assert homes.run("key", "groq").stdout == "gsk_a$b-00000000000000001\n"
    assert text.startswith('{\n  "')  # 2-space indented, as the agent writes it


# Project models files -------------------------------------------------------------------------

def test_project_models_json_goes_over_the_global_one_field_by_field(homes, tmp_path):
    project_file = os.path.join(homes.project, ".atomic", "models.json")
    global_file = os.path.join(homes.atomic_dir, "models.json")
    pi_project_file = os.path.join(homes.project, ".pi", "models.json")
    pi_global_file = os.path.join(homes.pi_dir, "models.json")
    homes.write(global_file, {"providers": {"corp": {
        "baseUrl": "http://127.0.0.1:9/v1", "api": "openai-completions", "apiKey": "corp-global-key-0001",
        "models": [{"id": "m1"}]}}})
    homes.write(project_file, {"providers": {"corp": {"apiKey": "corp-project-key-0002"}}}, mode=0o644)
    homes.write(pi_global_file, {"providers": {
        "corp": {"apiKey": "corp-pi-key-0003", "headers": {"X-From": "pi global"}},
        "pionly": {"baseUrl": "http://127.0.0.1:2/v1", "api": "openai-completions", "apiKey": "pionly-pi-key-04",
                   "models": [{"id": "p1"}]}}})
    homes.write(pi_project_file, {"providers": {"pionly": {"baseUrl": "http://127.0.0.1:1/v1"}}})
    homes.trust()

    doc = json.loads(homes.run("key", "corp", "--json").stdout)
    assert (doc["key"], doc["baseUrl"]) == ("corp-project-key-0002", "http://127.0.0.1:9/v1")
    assert "X-From: pi global" in doc["headers"]  # a field only the lowest file sets
    doc = json.loads(homes.run("key", "pionly", "--json").stdout)
    assert (doc["key"], doc["baseUrl"]) == ("pionly-pi-key-04", "http://127.0.0.1:1/v1")  # project pi over global pi
    elsewhere = str(tmp_path / "elsewhere")
    os.mkdir(elsewhere)
    assert homes.run("key", "corp", cwd=elsewhere).stdout == "corp-global-key-0001\n"

    report = json.loads(homes.run("status", "--json").stdout)
    rows = {row["id"]: row for row in report["providers"]}
    assert rows["corp"]["definedIn"] == [project_file, global_file, pi_global_file]
    assert rows["pionly"]["definedIn"] == [pi_project_file, pi_global_file]
    line = [l for l in homes.run("status").stdout.splitlines() if l.startswith("corp ")][0]
    assert line.endswith("from %s (and 2 more)" % project_file)
    r = homes.run("models", "corp")
    assert r.returncode == 0 and "corp/m1" in r.stdout, r.stderr
    assert "corp is defined in %s over %s over %s" % (project_file, global_file, pi_global_file) in r.stderr

    # A problem names the file its field is in (once the changed file is trusted again).
    homes.write(project_file, {"providers": {"corp": {"apiKey": 5}}})
    homes.trust()
    line = assert_fails(homes.run("models", "corp"), 4)
    assert "%s: providers.corp.apiKey: expected a non-empty string" % project_file in line
    for other in (global_file, pi_global_file, pi_project_file):       # the project's file alone
        os.remove(other)
    homes.trust()
    r = homes.run("models", "corp")
    assert r.returncode == 4 and "%s: providers.corp.apiKey: expected a non-empty string" % project_file in r.stderr


def test_a_project_file_others_can_write_is_ignored_and_its_commands_never_run(homes):
    homes.write(os.path.join(homes.atomic_dir, "models.json"), {"providers": {"corp": {
        "baseUrl": "http://127.0.0.1:9/v1", "api": "openai-completions", "apiKey": "!printf global-command-key-01",
        "models": [{"id": "m1"}]}}})
    assert homes.run("key", "corp").stdout == "global-command-key-01\n"
    project_file = os.path.join(homes.project, ".atomic", "models.json")
    homes.write(project_file, {"providers": {"corp": {"apiKey": "!printf project-command-key-02"}}}, mode=0o644)
    homes.trust()
    assert homes.run("key", "corp").stdout == "project-command-key-02\n"
    # Others can change it now: the project is ignored (named, with why), the global file answers.
    os.chmod(project_file, 0o666)
    r = homes.run("key", "corp")
    assert (r.returncode, r.stdout) == (0, "global-command-key-01\n"), r.stderr
    assert "ignoring %s" % os.path.dirname(project_file) in r.stderr and "mode 666" in r.stderr
    os.chmod(project_file, 0o644)  # the same bytes, trusted as they are
    assert homes.run("key", "corp").stdout == "project-command-key-02\n"


# GitHub Copilot from the environment --------------------------------------------------------

def test_gh_token_alone_is_no_copilot_credential(homes):
    env = {"GH_TOKEN": "gho_000000000000000000000000000000000001", "GITHUB_TOKEN": "ghp_00000000000000000000000002"}
    assert_fails(homes.run("key", "github-copilot", **env), 3, "COPILOT_GITHUB_TOKEN")
    assert "github-copilot" not in [row["id"] for row in json.loads(homes.run("status", "--json", **env).stdout)["providers"]]
    r = homes.run("key", "github-copilot", COPILOT_GITHUB_TOKEN="ghu_copilot-token-0000000001", **env)
    assert r.stdout == "ghu_copilot-token-0000000001\n"


BUSINESS_TOKEN = "tid=abc;exp=123;proxy-ep=proxy.business.githubcopilot.com;st=dotcom"


@pytest.mark.parametrize("env, host", [
    ({"COPILOT_API_TARGET": "copilot.internal.example.com", "GITHUB_COPILOT_BASE_URL": "https://ignored.example.com",
      "COPILOT_GITHUB_TOKEN": BUSINESS_TOKEN, "GITHUB_SERVER_URL": "https://octocorp.ghe.com"},
     "https://copilot.internal.example.com"),
    ({"GITHUB_COPILOT_BASE_URL": "https://copilot-proxy.example.com/", "COPILOT_GITHUB_TOKEN": BUSINESS_TOKEN},
     "https://copilot-proxy.example.com"),
    ({"COPILOT_GITHUB_TOKEN": BUSINESS_TOKEN, "GITHUB_SERVER_URL": "https://octocorp.ghe.com"},
     "https://api.business.githubcopilot.com"),
    ({"COPILOT_GITHUB_TOKEN": "github_pat_000000000000000000001", "GITHUB_SERVER_URL": "https://octocorp.ghe.com"},
     "https://copilot-api.octocorp.ghe.com"),
    ({"COPILOT_GITHUB_TOKEN": "github_pat_000000000000000000001", "GITHUB_SERVER_URL": "https://github.com"},
     "https://api.githubcopilot.com"),
    ({"COPILOT_GITHUB_TOKEN": "github_pat_000000000000000000001"}, "https://api.githubcopilot.com"),
])
def test_an_environment_token_goes_to_the_host_the_reference_lists(homes, env, host):
    doc = json.loads(homes.run("key", "github-copilot", "--json", **env).stdout)
    assert (doc["source"], doc["baseUrl"]) == ("env COPILOT_GITHUB_TOKEN", host)


def test_ask_with_an_environment_token_uses_the_public_hub(homes, net):
    api = Model(net, "POST", "api.githubcopilot.com", "/chat/completions", completions_events("hi from the hub"))
    r = homes.run("ask", "-m", "github-copilot/gemini-2.5-pro", "hello",
                  COPILOT_GITHUB_TOKEN="github_pat_000000000000000000001", **net.env())
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hi from the hub\n"
    assert api.last.headers["Authorization"] == "Bearer github_pat_000000000000000000001"
    assert api.last.headers["Copilot-Integration-Id"] == "copilot-developer-cli"  # a raw GitHub token


# llama.cpp -----------------------------------------------------------------------------------

@pytest.fixture
def llama():
    servers = []

    def start(key=None):
        servers.append(LlamaServer(key))
        return servers[-1]
    yield start
    for server in servers:
        server.close()


def test_llama_cpp_login_models_and_ask(homes, llama):
    server = llama()
    r = homes.run("login", "llama.cpp", input=server.url + "/v1/\n")  # address, then no key
    assert r.returncode == 0, r.stderr
    assert json.loads(homes.read(homes.atomic_auth)) == {
        "llama.cpp": {"type": "api_key", "env": {"LLAMA_BASE_URL": server.url}}}
    assert server.listings()[0].headers["Authorization"] == "Bearer local"
    r = homes.run("key", "llama.cpp", "--explain")
    assert r.stdout == "local\n" and explain(r)["using"] == "auth.json (no key)"

    r = homes.run("models", "llama.cpp")
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in r.stdout.splitlines()]
    assert [row[0] for row in rows] == ["MODEL", "llama.cpp/qwen3-8b-q4_k_m.gguf", "llama.cpp/gemma-3-4b.gguf"]
    assert rows[1][1] == "40K"  # the server's training context
    (record,) = json.loads(homes.run("models", "llama.cpp/gemma-3-4b.gguf", "--json").stdout)
    assert (record["provider"], record["api"], record["baseUrl"]) == ("llama.cpp", "openai-completions", server.url + "/v1")

    r = homes.run("ask", "-m", "llama.cpp/qwen3-8b-q4_k_m.gguf", "--system", "Be brief.", "hi")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello from llama.cpp\n"
    request, body = server.chat.last, server.chat.body_of()
    assert request.headers["Authorization"] == "Bearer local"
    assert body["model"] == "qwen3-8b-q4_k_m.gguf" and body["max_tokens"] == 16384
    assert "store" not in body and "reasoning_effort" not in body and "max_completion_tokens" not in body
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}

    assert homes.run("ask", "-m", "llama.cpp", "hi").returncode == 0  # the server's first model
    assert server.chat.body_of()["model"] == "qwen3-8b-q4_k_m.gguf"
    assert_fails(homes.run("ask", "-m", "llama.cpp/qwen3-8b", "hi"), 2, "unknown model 'qwen3-8b'", "qwen3-8b-q4_k_m.gguf")


def test_llama_cpp_with_a_key(homes, llama):
    server = llama(key="llama-secret-key-000001")
    r = homes.run("login", "llama.cpp", input="%s\nwrong-key-00000000000001\n" % server.url)
    assert (r.returncode, r.stdout) == (10, ""), r.stderr
    assert r.stderr.splitlines()[-1].startswith("atomic: ") and "refused that key" in r.stderr.splitlines()[-1]
    assert "wrong-key-00000000000001" not in r.stderr and not os.path.exists(homes.atomic_auth)
    r = homes.run("login", "llama.cpp", input="%s\nllama-secret-key-000001\n" % server.url)
    assert r.returncode == 0, r.stderr
    assert "wants an API key" in r.stderr and "llama-secret-key-000001" not in r.stderr
    assert json.loads(homes.read(homes.atomic_auth))["llama.cpp"] == {
        "type": "api_key", "key": "llama-secret-key-000001", "env": {"LLAMA_BASE_URL": server.url}}
    assert homes.run("ask", "-m", "llama.cpp/gemma-3-4b.gguf", "hi").returncode == 0
    assert server.chat.last.headers["Authorization"] == "Bearer llama-secret-key-000001"


def test_llama_cpp_from_the_environment_alone(homes, llama):
    server = llama(key="env-llama-key-000000001")
    env = {"LLAMA_BASE_URL": server.url + "/", "LLAMA_API_KEY": "env-llama-key-000000001"}
    r = homes.run("ask", "-m", "llama.cpp/gemma-3-4b.gguf", "hi", **env)
    assert r.returncode == 0, r.stderr
    assert server.chat.last.path == "/v1/chat/completions"
    assert server.chat.last.headers["Authorization"] == "Bearer env-llama-key-000000001"
    r = homes.run("key", "llama.cpp", "--explain", LLAMA_BASE_URL=server.url)
    assert r.stdout == "local\n" and explain(r)["using"] == "env LLAMA_BASE_URL (no key)"


def test_llama_cpp_not_set_up_or_not_running(homes):
    assert_fails(homes.run("models", "llama.cpp"), 3, "atomic login llama.cpp", "LLAMA_BASE_URL")
    address = "http://127.0.0.1:%d" % closed_port()
    line = assert_fails(homes.run("models", "llama.cpp", LLAMA_BASE_URL=address), 6, "no llama.cpp server answers at "
                        + address + "/v1", "start llama-server")
    assert "connection refused" in line
    assert_fails(homes.run("ask", "-m", "llama.cpp/x", "hi", LLAMA_BASE_URL=address), 6, "no llama.cpp server answers")
    assert_fails(homes.run("login", "llama.cpp", "--env", "LLAMA_BASE_URL=" + address), 6, "no llama.cpp server answers")
    assert not os.path.exists(homes.atomic_auth)
