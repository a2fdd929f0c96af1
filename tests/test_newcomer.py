"""Issue 22, "Newcomer, round two": what a first-time user with only the README, a fresh HOME and
a local llama-server tripped over, one test (or a few) per item, each through the real CLI (a
pseudo-terminal where a person would be typing)."""
import json
import os
import re

import pytest

from conftest import assert_fails, clean_env, closed_port, run_atomic
from llmfakes import LlamaServer
from terminal import Terminal


@pytest.fixture
def llama():
    servers = []

    def start(**kwargs):
        servers.append(LlamaServer(**kwargs))
        return servers[-1]
    yield start
    for server in servers:
        server.close()


@pytest.fixture
def fresh(tmp_path):
    """A first-time user's environment: a fresh HOME, no agent directory variable."""
    home = tmp_path / "home"
    home.mkdir()
    return clean_env(home)


def run(env, *args, **kwargs):
    return run_atomic(list(args), env=env, **kwargs)


NO_CREDENTIAL = "no provider has a credential"


def last_error(r, code, *needles):
    """A failure whose last stderr line is the `atomic:` error (after what the command said while
    it worked): exit code, empty stdout, no traceback; the line."""
    assert (r.returncode, r.stdout) == (code, ""), (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    line = r.stderr.splitlines()[-1]
    assert line.startswith("atomic: ") and all(n in line for n in needles), r.stderr
    return line


# 1. A signed-in llama.cpp is usable everywhere ------------------------------------------------

def test_done_when_login_llama_cpp_then_ask_hi_reaches_an_answer_from_a_fresh_home(fresh, llama):
    server = llama()
    with Terminal(["login", "llama.cpp"], fresh) as term:
        term.expect("llama.cpp server address [http://127.0.0.1:8080]: ")
        term.write(server.url + "\r")
        term.expect("or press Enter for none: ")
        term.write("\r")
        code, shown = term.finish()
    assert code == 0, shown
    r = run(fresh, "ask", "hi")
    assert (r.returncode, r.stdout) == (0, "Hello from llama.cpp\n"), r.stderr
    assert r.stderr.splitlines()[-1].startswith("llama.cpp/qwen3-8b-q4_k_m.gguf  ")
    assert server.chat.body_of()["messages"][-1] == {"role": "user", "content": "hi"}


def test_a_signed_in_llama_cpp_is_listed_and_chosen_everywhere(fresh, llama):
    server = llama()
    assert run(fresh, "login", "llama.cpp", input=server.url + "\n").returncode == 0
    r = run(fresh, "models")
    assert r.returncode == 0, r.stderr
    assert [line.split()[0] for line in r.stdout.splitlines()] == [
        "MODEL", "llama.cpp/qwen3-8b-q4_k_m.gguf", "llama.cpp/gemma-3-4b.gguf"]
    assert [m["id"] for m in json.loads(run(fresh, "models", "--json").stdout)] == [
        "qwen3-8b-q4_k_m.gguf", "gemma-3-4b.gguf"]
    table = run(fresh, "status").stdout.splitlines()
    assert table[1].split(None, 1) == ["llama.cpp", "auth.json (no key)  no key needed"], table

    with Terminal([], fresh, rows=40, columns=120, stdout_too=True) as term:   # `atomic` alone: a conversation
        term.expect("Talking to llama.cpp/qwen3-8b-q4_k_m.gguf.")
        term.write("/model\r")
        listing = term.expect("Model number (Enter keeps llama.cpp/qwen3-8b-q4_k_m.gguf): ")
        assert "2) llama.cpp/gemma-3-4b.gguf" in listing
        term.write("2\r")
        term.expect("Now talking to llama.cpp/gemma-3-4b.gguf.")
        term.write("/models\r")
        term.expect("llama.cpp/gemma-3-4b.gguf> ", after=len(term.seen))
        term.write("hi\r")
        term.expect("Hello from llama.cpp")
        term.write("/quit\r")
        code, shown = term.finish()
    assert code == 0 and NO_CREDENTIAL not in shown and "No models" not in shown, shown
    assert server.chat.body_of()["model"] == "gemma-3-4b.gguf"


def test_a_llama_cpp_that_is_not_running_is_named_never_called_no_credential(fresh):
    address = "http://127.0.0.1:%d" % closed_port()
    env = dict(fresh, LLAMA_BASE_URL=address)
    line = assert_fails(run(env, "ask", "hi"), 6, "no llama.cpp server answers at " + address, "start llama-server",
                        "or name a model with -m PROVIDER/MODEL")
    assert NO_CREDENTIAL not in line
    r = run(env, "models")
    assert r.returncode == 0 and r.stdout == ""
    assert "no llama.cpp server answers at %s" % address in r.stderr and NO_CREDENTIAL not in r.stderr
    assert "llama.cpp, which you have a credential for, lists no models now" in r.stderr
    with Terminal([], env, stdout_too=True) as term:
        term.expect("atomic: no llama.cpp server answers at " + address)
        term.expect("Type /model to choose a model, or /login to sign in to another provider.")
        term.expect("(no model)> ")
        term.write("\x04")
        code, shown = term.finish()
    assert code == 0 and NO_CREDENTIAL not in shown.lower(), shown


# 2. A piped key is never read as the server address ----------------------------------------

def test_a_key_piped_alone_is_refused_as_an_address_without_a_lookup_or_an_echo(fresh):
    for key in ("mysecretkey123", "sk-secret-abcdef"):
        r = run(fresh, "login", "llama.cpp", input=key)
        line = last_error(r, 2, "the first line on stdin is not a server address", "--env LLAMA_BASE_URL=")
        assert key not in r.stderr and key[-4:] not in r.stderr, r.stderr
        assert "resolve" not in r.stderr and "answers at" not in line
    r = run(fresh, "login", "llama.cpp", "--env", "LLAMA_BASE_URL=mysecretkey123", input="")
    assert_fails(r, 2, "--env LLAMA_BASE_URL is not a server address")
    assert "mysecretkey123" not in r.stderr
    assert not os.path.exists(os.path.join(fresh["HOME"], ".atomic"))


def test_the_address_may_come_from_env_and_the_key_alone_on_stdin(fresh, llama):
    server = llama(key="llama-secret-key-000001")
    r = run(fresh, "login", "llama.cpp", "--env", "LLAMA_BASE_URL=" + server.url, input="llama-secret-key-000001")
    assert r.returncode == 0, r.stderr
    auth = os.path.join(fresh["HOME"], ".atomic", "agent", "auth.json")
    assert json.load(open(auth))["llama.cpp"] == {"type": "api_key", "key": "llama-secret-key-000001",
                                                  "env": {"LLAMA_BASE_URL": server.url}}
    os.remove(auth)
    r = run(dict(fresh, LLAMA_BASE_URL=server.url), "login", "llama.cpp", input="llama-secret-key-000001\n")
    assert r.returncode == 0, r.stderr
    assert json.load(open(auth))["llama.cpp"]["key"] == "llama-secret-key-000001"
    assert run(fresh, "ask", "hi").stdout == "Hello from llama.cpp\n"
    assert server.chat.last.headers["Authorization"] == "Bearer llama-secret-key-000001"


# 3. The server's real context; modelOverrides of a model that is not there ------------------

def test_the_context_is_the_one_the_server_reports(fresh, llama):
    server = llama(models=LlamaServer.MODELS[:1], n_ctx=8192)        # llama-server -c 8192
    env = dict(fresh, LLAMA_BASE_URL=server.url)
    (record,) = json.loads(run(env, "models", "llama.cpp", "--json").stdout)
    assert (record["contextWindow"], record["maxTokens"]) == (8192, 8192)   # not n_ctx_train's 40960
    router = llama(models=[dict(LlamaServer.MODELS[0], meta={"n_ctx_train": 40960, "n_ctx": 32768}),
                           {"id": "unloaded.gguf", "object": "model", "status": {"value": "unloaded"}}])
    records = json.loads(run(dict(fresh, LLAMA_BASE_URL=router.url), "models", "llama.cpp", "--json").stdout)
    assert [(m["id"], m["contextWindow"]) for m in records] == [("qwen3-8b-q4_k_m.gguf", 32768),
                                                                  ("unloaded.gguf", 128000)]
    assert not router.hosts.seen(path="/props")   # a router has no one context to ask for


def test_an_override_of_a_model_that_does_not_exist_is_warned_about(fresh, llama, tmp_path):
    server = llama(models=LlamaServer.MODELS[:1])
    agent = os.path.join(fresh["HOME"], ".atomic", "agent")
    os.makedirs(agent)
    with open(os.path.join(agent, "models.json"), "w") as f:
        json.dump({"providers": {
            "openai": {"modelOverrides": {"gpt-4o-mni": {"contextWindow": 1000}}},
            "llama.cpp": {"modelOverrides": {"qwen3-8b-q4_k_m.gguf": {"name": "Qwen here"},
                                             "qwen3-8b.gguf": {"contextWindow": 1000}}}}}, f)
    env = dict(fresh, LLAMA_BASE_URL=server.url)
    r = run(env, "models", "--all", "--search", "gpt-4o-mini")
    assert r.returncode == 0
    assert ("atomic: warning: %s: providers.openai.modelOverrides: openai has no model 'gpt-4o-mni' to override, "
            "so this entry changes nothing (did you mean 'gpt-4o-mini'" % os.path.join(agent, "models.json")) in r.stderr
    assert "llama.cpp" not in r.stderr   # its models are the server's: checked once it lists them
    r = run(env, "models", "llama.cpp", "--json")
    assert [m["name"] for m in json.loads(r.stdout)] == ["Qwen here"]   # overrides apply to served models
    assert "llama.cpp has no model 'qwen3-8b.gguf' to override" in r.stderr
    assert "did you mean 'qwen3-8b-q4_k_m.gguf'" in r.stderr


def test_status_check_tries_a_llama_cpp_key_where_the_server_checks_it(fresh, llama):
    # A real llama-server answers GET /v1/models to anyone, --api-key or not: a wrong key must
    # still fail the check.
    server = llama(key="llama-secret-key-000001")
    r = run(fresh, "login", "llama.cpp", "--env", "LLAMA_BASE_URL=" + server.url, input="llama-secret-key-000001")
    assert r.returncode == 0, r.stderr
    r = run(fresh, "status", "--check", "llama.cpp")
    assert r.returncode == 0 and r.stdout.split()[:2] == ["✓", "llama.cpp"], r.stdout + r.stderr
    auth = os.path.join(fresh["HOME"], ".atomic", "agent", "auth.json")
    entry = json.load(open(auth))
    entry["llama.cpp"]["key"] = "wrong-key-0000000000001"
    with open(auth, "w") as f:
        json.dump(entry, f)
    r = run(fresh, "status", "--check", "--json")
    (row,) = json.loads(r.stdout)["providers"]
    assert (row["ok"], row["status"]) == (False, 401) and "rejected key" in row["reason"], row


# 17. Entries auth.json must not hold ----------------------------------------------------------

def test_a_provider_given_twice_in_auth_json_is_a_bad_entry_and_the_file_is_not_rewritten(atomic_env):
    text = ('{\n  "groq": {"type": "api_key", "key": "gsk_first-key-000000000001"},\n'
            '  "openai": {"type": "api_key", "key": "sk-proj-openai-0000000001"},\n'
            '  "groq": {"type": "api_key", "key": "gsk_second-key-00000000002"}\n}\n')
    atomic_env.write_auth(text)
    line = assert_fails(atomic_env.run("key", "groq"), 4, "auth.json: groq: the entry is there twice (again on line 4)")
    assert "gsk_" not in line
    assert atomic_env.run("key", "openai").stdout == "sk-proj-openai-0000000001\n"   # the others still work
    r = atomic_env.run("status", "--json")
    row = {row["id"]: row for row in json.loads(r.stdout)["providers"]}["groq"]
    assert "the entry is there twice" in row["problem"]
    assert_fails(atomic_env.run("login", "groq", input="gsk_third-key-000000000003"), 4,
                 "the groq entry is there twice (again on line 4); atomic will not rewrite the file")
    assert_fails(atomic_env.run("logout", "openai"), 4, "atomic will not rewrite the file")
    assert atomic_env.auth_bytes().decode() == text


def test_a_large_auth_json_with_a_provider_given_twice_is_caught_too(atomic_env):
    padding = {"p%04d" % n: {"type": "api_key", "key": "k-%040d" % n} for n in range(1200)}   # over 64 KB
    padding["openai"] = {"type": "api_key", "key": "sk-proj-openai-0000000001"}
    body = json.dumps(padding, indent=2)[:-2]
    atomic_env.write_auth(body + ',\n  "groq": {"type": "api_key", "key": "gsk_one-0000000000000001"},\n'
                                 '  "groq": {"type": "api_key", "key": "gsk_two-0000000000000002"}\n}\n')
    assert len(atomic_env.auth_bytes()) > 65536
    assert_fails(atomic_env.run("key", "groq"), 4, "groq: the entry is there twice")
    assert atomic_env.run("key", "openai").stdout == "sk-proj-openai-0000000001\n"


def test_an_oauth_expiry_centuries_away_is_a_bad_entry_but_pis_never_expiring_mark_is_not(atomic_env):
    import time

    far = int((time.time() + 200 * 365.25 * 86400) * 1000)
    atomic_env.write_auth({"anthropic": {"type": "oauth", "access": "sk-ant-oat01-token-00000000001",
                                         "refresh": "sk-ant-ort01-refresh-000000001", "expires": far}})
    line = assert_fails(atomic_env.run("key", "anthropic"), 4, "auth.json: anthropic.expires:",
                        "200 years from now, which no login lasts")
    assert "sk-ant" not in line
    # pi's OpenRouter login: the key as an OAuth entry with Number.MAX_SAFE_INTEGER (reference §2.4).
    atomic_env.write_auth({"openrouter": {"type": "oauth", "access": "sk-or-v1-pi-oauth-key-0000000001",
                                          "refresh": "", "expires": 9007199254740991}})
    r = atomic_env.run("key", "openrouter", "--explain")
    assert r.stdout == "sk-or-v1-pi-oauth-key-0000000001\n", r.stderr
    assert "never expires" in r.stderr
    (row,) = [row for row in json.loads(atomic_env.run("status", "--json").stdout)["providers"]]
    assert row["expiresIn"] == "never expires" and "problem" not in row


# 14. status's exit status; --check tells the network from a refusal, and checks keyless servers

def test_status_exits_11_when_its_report_lists_a_problem(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk_fine-key-0000000000001"}})
    r = atomic_env.run("status")
    assert r.returncode == 0 and "problem" not in r.stderr, r.stderr
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk_fine-key-0000000000001"},
                           "mistral": {"type": "api_key", "key": "$UNSET_VAULT_VARIABLE"}})
    r = atomic_env.run("status")
    assert r.returncode == 11 and "groq" in r.stdout and "mistral" in r.stdout
    assert r.stderr.splitlines()[-1] == "atomic: status found 1 problem (above)"
    r = atomic_env.run("status", "--json")
    assert r.returncode == 11 and json.loads(r.stdout)["providers"]
    r = atomic_env.run("--help")
    assert "11 status found a problem" in " ".join(r.stdout.split())


def test_check_says_6_for_a_network_that_is_down_and_11_for_a_refused_key(atomic_env, llama):
    server = llama(key="llama-secret-key-000001")
    down = "http://127.0.0.1:%d/v1" % closed_port()
    atomic_env.write_models({"providers": {"offline": {"baseUrl": down, "api": "openai-completions",
                                                       "apiKey": "offline-key-00000000001", "models": [{"id": "m"}]}}})
    r = atomic_env.run("status", "--check", "--json")
    assert r.returncode == 6, r.stdout + r.stderr
    (row,) = json.loads(r.stdout)["providers"]
    assert (row["id"], row["ok"], row["failure"]) == ("offline", False, "network")
    assert r.stderr.splitlines()[-1].startswith("atomic: 1 of 1 credential could not be checked (network")
    atomic_env.write_auth({"llama.cpp": {"type": "api_key", "key": "wrong-key-000000000001",
                                         "env": {"LLAMA_BASE_URL": server.url}}})
    r = atomic_env.run("status", "--check", "--json")
    assert r.returncode == 11, r.stdout + r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)["providers"]}
    assert rows["llama.cpp"]["failure"] == "credential" and rows["offline"]["failure"] == "network"
    assert "atomic: 1 of 2 credentials failed the check: llama.cpp; 1 could not be checked" in r.stderr


def test_check_tries_a_custom_provider_that_takes_no_key_with_its_model_list(atomic_env, llama):
    server = llama()
    down = "http://127.0.0.1:%d/v1" % closed_port()
    atomic_env.write_models({"providers": {
        "local": {"baseUrl": server.url + "/v1", "api": "openai-completions", "models": [{"id": "m"}]},
        "gone": {"baseUrl": down, "api": "openai-completions", "models": [{"id": "m"}]}}})
    r = atomic_env.run("status", "--check", "local")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.split() == ["✓", "local", "no", "key", "needed", "ok", "(2", "models)"]
    assert "Authorization" not in server.listings()[-1].headers
    r = atomic_env.run("status", "--check", "--json")
    assert r.returncode == 6
    rows = {row["id"]: row for row in json.loads(r.stdout)["providers"]}
    assert rows["local"]["ok"] and (rows["gone"]["ok"], rows["gone"]["failure"]) == (False, "network")


# 11. Did you mean, `atomic help`, `atomic version` --------------------------------------------

@pytest.mark.parametrize("args, needle", [
    (["keys", "openai"], "unknown command 'keys' (did you mean 'key'?)"),
    (["stat"], "unknown command 'stat' (did you mean 'status'?)"),
    (["--verison"], "unknown option --verison (did you mean '--version'?)"),
    (["--status"], "unknown option --status (did you mean 'status'?)"),
    (["status", "--chek"], "unknown option --chek for `atomic status` (did you mean '--check'?)"),
    (["models", "--searhc", "x"], "unknown option --searhc for `atomic models` (did you mean '--search'?)"),
])
def test_a_mistyped_command_or_option_gets_the_closest_one(atomic_env, args, needle):
    assert_fails(atomic_env.run(*args), 2, needle)


def test_help_and_version_are_words_too(atomic_env):
    assert atomic_env.run("help").stdout == atomic_env.run("--help").stdout != ""
    r = atomic_env.run("help", "status")
    assert r.returncode == 0 and r.stdout == atomic_env.run("status", "--help").stdout
    assert r.stdout.startswith("usage: atomic status")
    r = atomic_env.run("version")
    assert r.returncode == 0 and r.stdout == atomic_env.run("--version").stdout and r.stdout.startswith("atomic ")
    assert_fails(atomic_env.run("help", "stauts"), 2, "unknown command 'stauts' (did you mean 'status'?)")


# 4. A key on login's command line -------------------------------------------------------------

@pytest.mark.parametrize("args", [["groq", "--key", "shortkey1"], ["groq", "--api-key", "shortkey1"],
                                  ["groq", "--api-key=shortkey1"], ["groq", "shortkey1"],
                                  ["--key", "gsk_abcdEFGH1234567890xyzQ"], ["--key", "shortkey1"]])
def test_login_refuses_a_key_on_its_command_line_without_repeating_it(atomic_env, args):
    line = assert_fails(atomic_env.run("login", *args), 2, "atomic login never takes a key on the command line",
                        "printf %s \"$KEY\" | atomic login ")
    assert "shortkey1" not in line and "xyzQ" not in line and "unrecognized" not in line
    if args[0] == "groq":
        assert "| atomic login groq " in line   # the recipe for that provider, not a placeholder
    assert not os.path.exists(atomic_env.auth_path)
    # A misspelt provider is still one: named, with the closest.
    assert_fails(atomic_env.run("login", "--key", "groqq"), 2, "unknown provider 'groqq' (did you mean 'groq'")


# 15. A refused key from models.json; every variable a provider reads --------------------------

def test_a_refused_models_json_key_names_the_file_and_field_first(atomic_env, net):
    from llmfakes import Model
    from netfakes import reply

    atomic_env.write_models({"providers": {"groq": {"apiKey": "gsk_from-models-json-00000001"}}})
    refused = (401, {}, {"error": {"message": "Invalid API Key", "type": "invalid_request_error"}})
    Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", replies=[refused, refused])
    r = atomic_env.run("ask", "-m", "groq/llama-3.3-70b-versatile", "hi", env=net.env())
    line = assert_fails(r, 6, "Groq refused the key in %s: providers.groq.apiKey (HTTP 401: Invalid API Key); fix it "
                              "there" % atomic_env.models_path, warnings=True)
    assert line.index("providers.groq.apiKey") < line.index("atomic login groq")
    net.hosts.route("GET", "api.groq.com", "/openai/v1/models")(lambda req: reply(*refused[::2]))
    r = atomic_env.run("status", "--check", "--json", env=net.env())
    (row,) = json.loads(r.stdout)["providers"]
    assert row["reason"].startswith("rejected key: fix providers.groq.apiKey in %s (HTTP 401" % atomic_env.models_path)


def test_no_credential_names_every_variable_the_provider_reads(atomic_env):
    assert_fails(atomic_env.run("key", "claude"), 3, "run `atomic login anthropic` or set ANTHROPIC_OAUTH_TOKEN or "
                                                     "CLAUDE_CODE_OAUTH_TOKEN or ANTHROPIC_API_KEY")


# 13. models.json: a misspelt top-level field, a misspelt wire API ----------------------------

def test_models_json_names_a_misspelt_top_level_field_and_wire_api(atomic_env):
    atomic_env.write_models({"provider": {"ollama": {"baseUrl": "http://127.0.0.1:11434/v1", "api": "openai-completions",
                                                     "models": [{"id": "llama3.1:8b"}]}}})
    r = atomic_env.run("models", "--all", "--search", "ollama")
    assert ("atomic: warning: %s: provider: unknown top-level field, ignored (did you mean 'providers'?)"
            % atomic_env.models_path) in r.stderr
    atomic_env.write_models({"providers": {"ollama": {"baseUrl": "http://127.0.0.1:11434/v1", "api": "openai-completion",
                                                      "models": [{"id": "llama3.1:8b"}]}}})
    assert_fails(atomic_env.run("models", "--all"), 4, "providers.ollama.api: 'openai-completion' is not a wire API "
                                                       "atomic knows here (did you mean 'openai-completions'")


# 12. atomic providers on an 80-column terminal ------------------------------------------------

def test_providers_fits_an_80_column_terminal(atomic_env):
    from providers import builtins

    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk_fine-key-0000000000001"}})
    with Terminal(["providers"], atomic_env.env, rows=60, columns=80, stdout_too=True) as term:
        code, shown = term.finish()
    lines = shown.replace("\r\n", "\n").splitlines()
    assert code == 0
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    table = [line.split() for line in lines if line and not line.startswith("(")]
    assert table[0][0] == "ID" and table[0][-1] == "CREDENTIAL"
    assert [row[0] for row in table[1:]] == [p.id for p in builtins()]      # every id whole
    assert next(row for row in table if row[0] == "groq")[-1] == "auth.json"
    assert "(AUTH, ALIASES, ENVIRONMENT left out to fit; `| cat` or --json shows all)" in shown
    piped = atomic_env.run("providers").stdout.splitlines()                   # a pipe gets every column
    assert piped[0].split() == ["ID", "NAME", "ALIASES", "ENVIRONMENT", "AUTH", "CREDENTIAL"]


# 9. Fast mode says what stays on, and where it is saved ---------------------------------------

def test_fast_off_says_workflow_fast_mode_stays_on(atomic_env):
    assert atomic_env.run("fast", "on", "--workflow").returncode == 0
    r = atomic_env.run("fast", "off")
    assert (r.returncode, r.stdout) == (0, "Codex fast mode: chat off, workflow on\n")
    assert "Fast mode for workflow stages stays on" in r.stderr and "`atomic fast off --workflow`" in r.stderr
    assert "Saved in %s" % os.path.join(atomic_env.agent_dir, "settings.json") in r.stderr
    r = atomic_env.run("fast", "off", "--workflow")
    assert "stays on" not in r.stderr


def test_slash_fast_in_chat_says_it_is_saved_for_every_session(atomic_env):
    env = dict(atomic_env.env, OPENAI_API_KEY="sk-proj-fast-test-00000000001")
    with Terminal(["chat", "-m", "openai/gpt-4o"], env, stdout_too=True) as term:
        term.expect("openai/gpt-4o> ")
        term.write("/fast\r")
        term.expect("Saved in %s: every new atomic and Atomic agent session uses it." %
                    os.path.join(atomic_env.agent_dir, "settings.json"))
        term.expect("openai/gpt-4o fast> ")
        term.write("/quit\r")
        assert term.finish()[0] == 0


# 5. /login in chat switches to what it signed in to ------------------------------------------

def test_slash_login_switches_to_that_provider_and_says_so(atomic_env, net):
    from llmfakes import Model, completions_events, responses_events

    openai = Model(net, "POST", "api.openai.com", "/v1/responses", responses_events("OpenAI here"))
    groq = Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", completions_events("Groq here"))
    env = dict(atomic_env.env, OPENAI_API_KEY="sk-proj-chat-test-0000000001", **net.env())
    with Terminal(["chat", "-m", "openai/gpt-4o"], env, stdout_too=True) as term:
        term.expect("openai/gpt-4o> ")
        term.write("/login groq\r")
        term.expect("input is hidden): ")
        term.write("gsk_typed-in-chat-000000000001\r")
        term.expect("Now talking to groq/llama-3.3-70b-versatile.")
        term.expect("groq/llama-3.3-70b-versatile> ")
        term.write("hi\r")
        term.expect("Groq here")
        term.write("/quit\r")
        code, shown = term.finish()
    assert code == 0 and len(groq.requests) == 1 and openai.requests == []
    assert "the next message uses it" not in shown


# 6, 7. A Claude browser login: the billing note, and a wait with nothing to paste -------------

def test_claude_login_says_the_billing_note_and_what_it_waits_for_when_stdin_is_at_its_end(atomic_env, login_env):
    r = run_atomic(["login", "claude", "--oauth"], env=dict(login_env, ATOMIC_LOGIN_TIMEOUT="2"))
    assert r.returncode == 10 and r.stdout == ""
    note = r.stderr.index("third-party use of a Claude Pro/Max subscription (atomic's too) draws from the "
                          "account's extra usage, billed per token")
    assert note < r.stderr.index("Open this address in a browser")
    assert ("Nothing can be pasted here (stdin is at its end), so atomic waits for the browser's return to "
            "http://localhost:53692/callback only, for up to 2 s (ATOMIC_LOGIN_TIMEOUT)") in r.stderr
    assert r.stderr.splitlines()[-1].startswith("atomic: timed out")


# 8. On a terminal, a wrong answer is asked again ----------------------------------------------

def answer_again(term, said, question, answer):
    """Wait for what was said about the last answer and the question asked again after it (getpass
    drops what is typed ahead), then answer."""
    at = term.then(said)
    term.expect(question, after=at)
    term.write(answer + "\r")


def test_an_empty_or_bad_key_on_a_terminal_is_asked_again(atomic_env):
    question = "Paste your Groq API key (input is hidden): "
    with Terminal(["login", "groq"], atomic_env.env) as term:
        term.expect(question)
        term.write("\r")
        answer_again(term, "the key is empty; paste it again, or press Ctrl-C to stop.", question,
                     "Bearer gsk_pasted-with-bearer-000001")
        answer_again(term, "starts with the word Bearer", question, "gsk_the-right-key-00000000001")
        code, shown = term.finish()
    assert code == 0, shown
    assert atomic_env.read_auth()["groq"]["key"] == "gsk_the-right-key-00000000001"


def test_a_pasted_address_of_another_sign_in_is_asked_again_on_a_terminal(atomic_env, login_env, claude):
    import re

    with Terminal(["login", "claude", "--oauth"], login_env) as term:
        url = re.search(r"(https://claude\.ai/oauth/authorize\?\S+)", term.expect("paste it here")).group(1)
        redirect = claude.authorize(url)
        term.write(redirect.replace("state=", "state=not-this-one") + "\r")
        answer_again(term, "state mismatch", "Paste the address again (or approve in the browser); Ctrl-C stops.",
                     redirect)
        code, shown = term.finish()
    assert code == 0, shown
    assert atomic_env.read_auth()["anthropic"]["type"] == "oauth"


def test_a_wrong_llama_cpp_key_on_a_terminal_is_asked_again(atomic_env, llama):
    server = llama(key="llama-secret-key-000001")
    with Terminal(["login", "llama.cpp"], atomic_env.env) as term:
        term.expect("llama.cpp server address [http://127.0.0.1:8080]: ")
        term.write(server.url + "\r")
        term.expect("(--api-key; input is hidden): ")
        term.write("wrong-key-0000000000001\r")
        answer_again(term, "refused that key (HTTP 401: Invalid API Key); give the key it was started with",
                     "(--api-key; input is hidden): ", "")
        answer_again(term, "takes only requests with its API key", "(--api-key; input is hidden): ",
                     "llama-secret-key-000001")
        code, shown = term.finish()
    assert code == 0, shown
    assert atomic_env.read_auth()["llama.cpp"]["key"] == "llama-secret-key-000001"
    assert "wrong-key-0000000000001" not in shown


# Polish ---------------------------------------------------------------------------------------

def test_the_masker_leaves_atomic_s_own_hint_text_as_written(atomic_env, login_env):
    r = run_atomic(["login", "claude", "--oauth"], env=login_env, input="not a code\n")
    assert r.returncode == 10
    assert r.stderr.splitlines()[-1].endswith("paste the full address the browser was sent to (it contains code=)")


def test_a_file_that_is_not_utf_8_is_named_by_line_and_column_and_utf_16_by_name(atomic_env):
    atomic_env.write_auth(b'{\n  "groq": {"type": "api_key", "key": "\xff"}\n}\n')
    assert_fails(atomic_env.run("key", "groq"), 4, "auth.json is not valid UTF-8 (line 2, column 39: byte 41 of the file)")
    atomic_env.write_auth('{"groq": {"type": "api_key", "key": "gsk_x"}}'.encode("utf-16"))
    assert_fails(atomic_env.run("key", "groq"), 4, "auth.json is saved as UTF-16; save it as UTF-8")
    atomic_env.write_auth('{"groq": {"type": "api_key", "key": "gsk_x"}}'.encode("utf-16-le"))   # no byte order mark
    assert_fails(atomic_env.run("key", "groq"), 4, "auth.json is saved as UTF-16; save it as UTF-8")
    os.remove(atomic_env.auth_path)
    with open(os.path.join(atomic_env.agent_dir, "models.toml"), "wb") as f:
        f.write(b'[providers.ollama]\nbaseUrl = "http://x\xff"\n')
    assert_fails(atomic_env.run("models", "--all"), 4, "models.toml is not valid UTF-8 (line 2, column 20")


def test_a_key_prompt_names_the_provider_in_its_recipe(atomic_env):
    assert_fails(atomic_env.run("login", "groq", input=""), 2, "printf %s \"$KEY\" | atomic login groq")


def test_ctrl_c_at_a_hidden_prompt_ends_the_line_first(atomic_env):
    with Terminal(["login", "groq"], atomic_env.env) as term:
        term.expect("Paste your Groq API key (input is hidden): ")
        term.write("\x03")
        code, shown = term.finish()
    assert code == 130
    assert "(input is hidden): \r\natomic: interrupted" in shown, repr(shown)


def test_saving_the_same_key_again_says_so_and_writes_nothing(atomic_env):
    assert atomic_env.run("login", "groq", input="gsk_the-same-key-000000000001").returncode == 0
    before = os.stat(atomic_env.auth_path)
    r = atomic_env.run("login", "groq", input="gsk_the-same-key-000000000001")
    assert r.returncode == 0 and "replacing" not in r.stderr
    assert "(it was stored already: nothing changed)" in r.stderr
    assert os.stat(atomic_env.auth_path).st_ino == before.st_ino   # not rewritten
    r = atomic_env.run("login", "groq", input="gsk_another-key-0000000000002")
    assert "replacing the API key stored before (gsk_…0001)" in r.stderr


def test_the_siblings_hint_has_no_nested_parentheses(atomic_env):
    with Terminal(["login", "openai"], atomic_env.env) as term:
        shown = term.expect("(input is hidden): ")
        term.write("\x04")
        term.finish()
    assert "Also available: `atomic login openai-codex` for ChatGPT Plus/Pro (Codex)." in shown
    assert "))" not in shown


def test_errors_inside_chat_name_its_own_commands(atomic_env, net):
    from llmfakes import Model

    refused = (401, {}, {"error": {"message": "Invalid API Key", "type": "invalid_request_error"}})
    Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", replies=[refused])
    env = dict(atomic_env.env, GROQ_API_KEY="gsk_env-key-refused-0000001", **net.env())
    with Terminal(["chat", "-m", "groq/llama-3.3-70b-versatile"], env, stdout_too=True) as term:
        term.expect("groq/llama-3.3-70b-versatile> ")
        term.write("hi\r")
        shown = term.expect("groq/llama-3.3-70b-versatile> ", after=len(term.seen))
        term.write("/quit\r")
        term.finish()
    assert "run `/login groq`" in shown and "atomic login" not in shown, shown


def test_ask_shows_that_it_waits_for_a_slow_first_token_on_a_terminal_only(atomic_env, net):
    import threading

    from conftest import stderr_on_a_terminal
    from llmfakes import Model, completions_events

    first = threading.Event()
    text = completions_events("Slow but sure")
    groq = Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions",
                 parts=[text.encode()], between=lambda n: first.wait(1.6))   # the model thinks for a while
    env = dict(atomic_env.env, GROQ_API_KEY="gsk_env-key-slow-00000000001", **net.env())
    code, shown, stdout = stderr_on_a_terminal(["ask", "-m", "groq/llama-3.3-70b-versatile", "hi"], env)
    assert (code, stdout) == (0, b"Slow but sure\n")
    assert "waiting for groq/llama-3.3-70b-versatile (1s)" in shown, shown
    r = atomic_env.run("ask", "-m", "groq/llama-3.3-70b-versatile", "hi", env=dict(env))
    assert r.returncode == 0 and "waiting" not in r.stderr and len(groq.requests) == 2


def test_models_says_where_a_custom_provider_is_defined_only_when_several_files_do(atomic_env):
    atomic_env.write_models({"providers": {"ollama": {"baseUrl": "http://127.0.0.1:11434/v1",
                                                      "api": "openai-completions", "models": [{"id": "m"}]}}})
    r = atomic_env.run("models")
    assert r.returncode == 0 and "ollama/m" in r.stdout and "is defined in" not in r.stderr


# 16. The README: the two commands first, then how to install, how long the tests take ----------

def test_the_readme_opens_with_the_two_commands_then_three_ways_to_install_that_work(tmp_path):
    import subprocess
    import sys

    from conftest import REPO

    text = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
    blocks = [block.split("```", 1)[0].strip().splitlines() for block in text.split("```sh\n")[1:]]
    first, install = blocks[0], blocks[1]
    assert first[0].startswith("python3 atomic.py login") and "pytest -q" in first[1]
    assert re.search(r"about \d+(–\d+)? minutes", first[1])  # how long the tests take, said
    assert text.index("**Install**") < text.index("```sh\n" + "\n".join(install))
    assert [line.split()[0] for line in install] == ["pipx", "python3", "alias"]
    assert install[0].startswith("pipx install .")
    assert install[2].startswith('alias atomic="python3 $PWD/atomic.py"')
    build = install[1].split("#")[0].split()                       # the .pyz line, run as written
    assert build[:2] == ["python3", "scripts/build_pyz.py"] and build[2] == "--output"
    target = str(tmp_path / "bin" / "atomic")
    subprocess.run([sys.executable, os.path.join(REPO, build[1]), "--output", target], check=True,
                   stdout=subprocess.DEVNULL, cwd=REPO)
    version = subprocess.run([target, "version"], capture_output=True, text=True, env=clean_env(tmp_path))
    assert version.returncode == 0 and version.stdout.startswith("atomic "), version.stderr
    assert "echo 'source <(atomic completion bash)' >> ~/.bashrc" in text


# Walk-through of the README with a fresh HOME ---------------------------------------------------

def test_a_model_without_its_provider_says_what_is_missing(fresh):
    env = dict(fresh, OPENAI_API_KEY="sk-proj-" + "a" * 40)
    for args in (("ask", "-m", "/gpt-4o", "hi"), ("models", "/gpt-4o"), ("key", "")):
        line = assert_fails(run(env, *args), 2, "the provider name is empty", "openai/gpt-4o")
        assert "''" not in line, line


def test_a_slash_command_at_the_model_question_changes_nothing(fresh):
    env = dict(fresh, OPENAI_API_KEY="sk-proj-" + "a" * 40)
    with Terminal(["chat", "-m", "openai/gpt-4o"], env, rows=40, columns=120, stdout_too=True) as term:
        term.expect("openai/gpt-4o> ")
        term.write("/model gpt-4o-mini\r")
        term.expect("Model number (Enter keeps openai/gpt-4o): ")
        term.write("/help\r")
        term.expect("'/help' is not on the list; nothing changed.")
        term.expect("openai/gpt-4o> ")
        term.write("/quit\r")
        code, shown = term.finish()
    assert code == 0 and "unknown provider" not in shown, shown
