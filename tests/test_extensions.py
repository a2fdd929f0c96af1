"""Extensions: provider modules outside atomic, as a file in the agent directory's extensions
folder and as an installed distribution's entry point, found lazily, used by every command,
kept apart when broken, and refused when others could change them."""
import json
import os
import stat
import subprocess
import textwrap
import time

import pytest

from conftest import ATOMIC_PY, NOBODY, PYTHON, REPO, assert_fails, clean_env, run_atomic
from llmfakes import completions_events
from netfakes import reply, sse, stream

# An extension with everything: its rows, a device-code login, refresh, account, models (one
# through atomic's openai-completions, one through a wire protocol of its own) and that wire.
ACME = '''
import os
from providers import api

if os.environ.get("ACME_IMPORT_LOG"):  # lets the tests see when (and as what) this module is imported
    with open(os.environ["ACME_IMPORT_LOG"], "a") as log:
        log.write(__name__ + "\\n")

AUTH = "https://acme.example.com"
PROVIDERS = [api.Provider("acme", "Acme AI", env="ACME_API_KEY", base_url="https://api.acme.example.com/v1",
                          api="openai-completions", auth="key oauth", subscription="Acme Pro (device login)",
                          login_options=("device",), aliases="roadrunner")]


def models(ctx):
    return [{"id": "acme-1", "name": "Acme One", "contextWindow": 32000, "maxTokens": 1000},
            {"id": "acme-wire-1", "name": "Acme Wire", "api": "acme-chat"}]


def login(ctx, options):
    doc = api.request("POST", AUTH + "/device/code", ctx, form={"client_id": "acme-cli"}).json()
    api.show_device_code(ctx, doc["verification_uri"], doc["user_code"], "Acme")

    def attempt():
        return "ok", api.token_request(AUTH + "/token", ctx, {"client_id": "acme-cli", "grant_type": "device_code",
                                                             "device_code": doc["device_code"]},
                                       as_json=False, refused=api.LoginFailed, what="the device code")

    tokens = api.poll_device(attempt, doc.get("interval"), doc.get("expires_in"), ctx)
    access, refresh_token, expires = api.token_fields(tokens, "acme.example.com", ctx, want_refresh=True)
    return {"type": "oauth", "access": access, "refresh": refresh_token, "expires": expires,
            "account": "wile@acme.example.com"}


def refresh(entry, ctx):
    doc = api.token_request(AUTH + "/token", ctx, {"client_id": "acme-cli", "grant_type": "refresh_token",
                                                  "refresh_token": entry["refresh"]},
                            as_json=False, refused=api.LoginAgain, what="the refresh token",
                            deadline=ctx.refresh_deadline)
    access, new_refresh, expires = api.token_fields(doc, "acme.example.com", ctx, want_refresh=False)
    return {"access": access, "expires": expires, "refresh": new_refresh}


def account(entry):
    return entry.get("account")


class AcmeChat:
    """Acme's own protocol: POST {base}/acme/chat; SSE of {"delta": text} and a last {"done": true}."""

    @staticmethod
    def build(model, base_url, headers, turn):
        headers.setdefault("Content-Type", "application/json")
        return api.ApiRequest("POST", base_url.rstrip("/") + "/acme/chat", headers,
                              json={"model": model["id"], "prompt": turn.messages[-1]["content"]})

    @staticmethod
    def read(events, answer):
        for event in events:
            doc = api.json_event(event, "Acme")
            if "delta" in doc:
                answer.text(doc["delta"])
            if doc.get("done"):
                answer.usage["input"], answer.usage["output"] = doc["usage"]
                answer.stop("stop", "done")
                answer.finished = True
                return


def wire(api_id):
    return AcmeChat if api_id == "acme-chat" else None
'''


class FakeAcme:
    """acme.example.com (device login, token endpoint with single-use refresh tokens) and
    api.acme.example.com (chat completions, Acme's own chat protocol, the model list)."""

    def __init__(self, net):
        self.net = net
        self.live_access, self.live_refresh, self.codes = set(), set(), set()
        self.rotate = False  # refresh answers without a new refresh token: the stored one must be kept
        net.hosts.route("POST", "acme.example.com", "/device/code")(self.device_code)
        net.hosts.route("POST", "acme.example.com", "/token")(self.token)
        net.hosts.route("POST", "api.acme.example.com", "/v1/chat/completions")(self.completions)
        net.hosts.route("POST", "api.acme.example.com", "/v1/acme/chat")(self.acme_chat)
        net.hosts.route("GET", "api.acme.example.com", "/v1/models")(self.model_list)

    def _tokens(self, with_refresh=True):
        access = "acme-at-%d" % (len(self.live_access) + 1)
        self.live_access.add(access)
        doc = {"access_token": access, "token_type": "bearer", "expires_in": 3600}
        if with_refresh:
            doc["refresh_token"] = "acme-rt-%d" % (len(self.live_refresh) + 1)
            self.live_refresh.add(doc["refresh_token"])
        return reply(200, doc)

    def device_code(self, req):
        if req.form() != {"client_id": "acme-cli"}:
            return reply(400, {"error": "invalid_request"})
        self.codes.add("dc-1")
        return reply(200, {"device_code": "dc-1", "user_code": "ACME-1234", "interval": 1, "expires_in": 60,
                           "verification_uri": "https://acme.example.com/activate"})

    def token(self, req):
        form = req.form()
        if req.content_type != "application/x-www-form-urlencoded" or form.get("client_id") != "acme-cli":
            return reply(400, {"error": "invalid_client"})
        if form.get("grant_type") == "device_code" and form.get("device_code") in self.codes:
            self.codes.discard(form["device_code"])
            return self._tokens()
        if form.get("grant_type") == "refresh_token" and form.get("refresh_token") in self.live_refresh:
            if self.rotate:
                self.live_refresh.discard(form["refresh_token"])
            return self._tokens(with_refresh=self.rotate)
        return reply(400, {"error": "invalid_grant", "error_description": "unknown or used grant"})

    def _authorized(self, req):
        return req.headers.get("Authorization", "").replace("Bearer ", "") in self.live_access | {"acme-key-0001"}

    def completions(self, req):
        if not self._authorized(req):
            return reply(401, {"error": {"message": "bad token", "type": "invalid_request_error"}})
        body = req.json()
        return stream(req, [completions_events("Beep beep from %s" % body["model"], model=body["model"])])

    def acme_chat(self, req):
        if not self._authorized(req):
            return reply(401, {"error": {"message": "bad token"}})
        prompt = req.json()["prompt"]
        return stream(req, [sse({"delta": "Acme heard: "}, {"delta": prompt}, {"done": True, "usage": [3, 4]})])

    def model_list(self, req):
        if not self._authorized(req):
            return reply(401, {"error": {"message": "bad token"}})
        return reply(200, {"object": "list", "data": [{"id": "acme-1"}, {"id": "acme-wire-1"}]})


@pytest.fixture
def acme(net):
    return FakeAcme(net)


def write_file(path, text, mode=0o600):
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(text))
    os.chmod(path, mode)
    return path


def install_file(atomic_env, name="acme", source=ACME):
    """The extension as a file in the agent directory's extensions folder."""
    atomic_env.make_agent_dir()
    return write_file(os.path.join(atomic_env.agent_dir, "extensions", name + ".py"), source)


def install_dist(root, source=ACME, ep_name="acme", module="atomic_acme_provider", version="1.0"):
    """The extension as an installed distribution: a .dist-info declaring the entry point, beside
    the module, in a folder that goes on PYTHONPATH (as site-packages would be)."""
    site = os.path.join(str(root), "site-%s" % version)
    write_file(os.path.join(site, module + ".py"), source)
    info = os.path.join(site, "atomic_provider_acme-%s.dist-info" % version)
    write_file(os.path.join(info, "METADATA"), "Metadata-Version: 2.1\nName: atomic-provider-acme\nVersion: %s\n" % version)
    write_file(os.path.join(info, "entry_points.txt"), "[atomic.providers]\n%s = %s\n" % (ep_name, module))
    return site


@pytest.fixture(params=["file", "entry point"])
def installed(request, atomic_env, tmp_path):
    """atomic_env with the Acme extension installed one way or the other; its env says how."""
    log = str(tmp_path / "imports.log")
    atomic_env.env["ACME_IMPORT_LOG"] = log
    if request.param == "file":
        install_file(atomic_env)
    else:
        atomic_env.env["PYTHONPATH"] = install_dist(tmp_path)
    atomic_env.imports = lambda: open(log).read().split() if os.path.exists(log) else []
    atomic_env.kind = request.param
    return atomic_env


def test_an_extension_is_listed_signed_in_to_refreshed_and_used_by_ask_and_exec(installed, net, acme):
    env = dict(net.env())
    # Listed: by id without importing it (completion), and in detail (providers) by importing it.
    r = installed.run("completion", "--list", "providers")
    assert r.returncode == 0 and "acme" in r.stdout.split(), r.stderr
    assert installed.imports() == []
    rows = json.loads(installed.run("providers", "--json").stdout)
    row = next(row for row in rows if row["id"] == "acme")
    assert (row["name"], row["aliases"], row["auth"], row["custom"]) == ("Acme AI", ["roadrunner"], ["key", "oauth"], False)
    assert ("acme.py" if installed.kind == "file" else "entry point acme = atomic_acme_provider") in row["extension"]
    # Imported as its own module, never into providers.*
    assert installed.imports() == (["atomic_extension_acme"] if installed.kind == "file" else ["atomic_acme_provider"])

    # Signed in, through HTTPS_PROXY, with the extension's own device login; saved as any login is.
    r = installed.run("login", "acme", "--oauth", env=env)
    assert r.returncode == 0, r.stderr
    assert "ACME-1234" in r.stderr and "Signed in to Acme AI" in r.stderr
    entry = installed.read_auth()["acme"]
    assert (entry["type"], entry["access"], entry["refresh"]) == ("oauth", "acme-at-1", "acme-rt-1")
    assert installed.mode(installed.auth_path) == 0o600

    status = json.loads(installed.run("status", "--json").stdout)
    row = next(row for row in status["providers"] if row["id"] == "acme")
    assert (row["source"], row["account"]) == ("auth.json (oauth)", "wile@acme.example.com")

    # Used by ask: through atomic's wire module, and (by its alias) through its own.
    r = installed.run("ask", "-m", "acme/acme-1", "hello", env=env)
    assert (r.returncode, r.stdout) == (0, "Beep beep from acme-1\n"), r.stderr
    assert net.hosts.seen("api.acme.example.com", "/v1/chat/completions")[-1].headers["Authorization"] == "Bearer acme-at-1"
    r = installed.run("ask", "-m", "roadrunner/acme-wire-1", "meep", env=env)
    assert (r.returncode, r.stdout) == (0, "Acme heard: meep\n"), r.stderr
    assert "acme/acme-wire-1" in r.stderr  # the summary names the model

    # Refreshed when due, under the same rules as a built-in login: the stored refresh token is
    # kept when the answer carries none.
    entry["expires"] = int(time.time() * 1000) - 1000
    installed.write_auth({"acme": entry})
    r = installed.run("key", "acme", env=env)
    assert (r.returncode, r.stdout) == (0, "acme-at-2\n"), r.stderr
    entry = installed.read_auth()["acme"]
    assert (entry["access"], entry["refresh"]) == ("acme-at-2", "acme-rt-1")
    assert entry["expires"] > time.time() * 1000

    # Used by exec (the row's first variable) and by status --check (its wire API's model list).
    r = installed.run("exec", "acme", "--", "/bin/sh", "-c", 'printf %s "$ACME_API_KEY"', env=env)
    assert (r.returncode, r.stdout) == (0, "acme-at-2"), r.stderr
    r = installed.run("status", "--check", "acme", env=env)
    assert r.returncode == 0 and "ok (2 models)" in r.stdout, (r.stdout, r.stderr)


def test_the_login_menu_offers_an_extension_s_subscription(atomic_env):
    from terminal import Terminal

    install_file(atomic_env)
    with Terminal(["login"], atomic_env.env, rows=40, columns=100) as term:
        screen = term.expect("Sign in to which")
    subscriptions = screen.split("Subscriptions:")[1].split("API keys:")[0]
    assert "Acme Pro (device login)" in subscriptions and "acme" in subscriptions
    assert "Acme AI" in screen.split("API keys:")[1]


def test_chat_s_login_signs_in_to_an_extension_and_the_next_message_uses_it(atomic_env, net, acme):
    from test_chat import Terminal

    install_file(atomic_env)
    env = dict(atomic_env.env, **net.env())
    term = Terminal(["chat"], dict(env, TERM="dumb"))
    try:
        term.expect(r"Type /login to sign in\.")
        term.expect(r"\(no model\)> ")
        term.type("/login acme\r")
        term.expect(r"Choice \[1\]: ")  # subscription or key, as for Anthropic
        term.type("1\r")
        term.expect(r"ACME-1234")
        term.expect(r"Signed in to Acme AI")
        term.expect(r"Now talking to acme/acme-1")
        term.expect(r"acme/acme-1> ")
        term.type("hi there\r")
        assert "Beep beep from acme-1" in term.expect(r"acme/acme-1> ")
        term.type("/quit\r")
        assert term.wait() == 0
    finally:
        term.close()


def test_models_json_overrides_an_extension_s_provider(atomic_env, net, acme):
    install_file(atomic_env)
    atomic_env.write_models({"providers": {"acme": {
        "modelOverrides": {"acme-1": {"name": "Acme Uno"}},
        "models": [{"id": "acme-2", "contextWindow": 64000}]}}})
    models = json.loads(atomic_env.run("models", "acme", "--json").stdout)
    by_id = {m["id"]: m for m in models}
    assert by_id["acme-1"]["name"] == "Acme Uno"
    assert (by_id["acme-2"]["api"], by_id["acme-2"]["baseUrl"]) == ("openai-completions", "https://api.acme.example.com/v1")
    rows = [row for row in json.loads(atomic_env.run("providers", "--json").stdout) if row["id"] == "acme"]
    assert len(rows) == 1 and rows[0]["custom"] is False and rows[0]["extension"]
    # The entry is an override: the provider keeps its code (alias, wire API, models).
    r = atomic_env.run("ask", "-m", "roadrunner/acme-2", "hi", env=dict(net.env(), ACME_API_KEY="acme-key-0001"))
    assert (r.returncode, r.stdout) == (0, "Beep beep from acme-2\n"), r.stderr


def test_an_extension_in_the_project_folder_is_found(atomic_env, tmp_path):
    project = tmp_path / "project"
    write_file(str(project / ".atomic" / "extensions" / "acme.py"), ACME)
    atomic_env.trust(project)
    r = atomic_env.run("key", "acme", "--json", env={"ACME_API_KEY": "acme-key-0001"}, cwd=str(project))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["provider"] == "acme"
    # The same id in the agent directory too: neither is the one meant, so the id is refused.
    install_file(atomic_env)
    r = atomic_env.run("key", "acme", env={"ACME_API_KEY": "acme-key-0001"}, cwd=str(project))
    assert_fails(r, 4, "defined twice", os.path.join(atomic_env.agent_dir, "extensions", "acme.py"),
                 str(project / ".atomic" / "extensions" / "acme.py"))


PROBE = """
import sys
sys.path.insert(0, %r)
import atomic
code = atomic.main(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write("%%s\\n" %% code + "\\n".join(sorted(sys.modules)))
""" % REPO


def test_key_openai_imports_no_extension_and_reads_no_package_metadata(atomic_env, tmp_path):
    install_file(atomic_env)
    log = str(tmp_path / "imports.log")
    out = tmp_path / "modules.txt"
    env = dict(atomic_env.env, PYTHONPATH=install_dist(tmp_path, ep_name="acme-ep"), ACME_IMPORT_LOG=log,
               OPENAI_API_KEY="sk-extension-guard-0001")
    r = subprocess.run([PYTHON, "-c", PROBE, str(out), "key", "openai"], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    code, *modules = out.read_text().splitlines()
    assert (code, r.stdout) == ("0", b"sk-extension-guard-0001\n"), r.stderr
    assert not os.path.exists(log)
    assert not [m for m in modules if m.startswith(("importlib.metadata", "atomic_extension", "atomic_acme"))]
    assert "providers._registry.extensions" not in modules


def test_ask_with_a_built_in_model_imports_no_extension(atomic_env, net, tmp_path):
    from llmfakes import Model, responses_events

    install_file(atomic_env)
    log = str(tmp_path / "imports.log")
    Model(net, "POST", "api.openai.com", "/v1/responses", parts=[responses_events("Fine.")])
    r = atomic_env.run("ask", "-m", "openai/gpt-4o", "hi",
                       env=dict(net.env(), OPENAI_API_KEY="sk-proj-ext-0001", ACME_IMPORT_LOG=log))
    assert (r.returncode, r.stdout) == (0, "Fine.\n"), r.stderr
    assert not os.path.exists(log)


@pytest.mark.parametrize("python", sorted({PYTHON} | {p for p in (
    "/root/.pyenv/versions/3.8.18/bin/python3.8", "/root/.pyenv/versions/3.9.18/bin/python3.9",
    "/root/.pyenv/versions/3.12.1/bin/python3.12") if os.path.exists(p)}))
def test_entry_points_are_read_alike_on_every_python(python, atomic_env, tmp_path):
    # 3.8/3.9 return a plain dict and list a distribution found twice on sys.path twice; 3.10+
    # select by group and keep the first. Either way: one acme, and no clash with itself.
    first, second = install_dist(tmp_path, version="2.0"), install_dist(tmp_path, version="1.0")
    env = dict(atomic_env.env, PYTHONPATH=os.pathsep.join([first, second]))
    r = run_atomic(["providers", "--json"], env=env, python=python)
    assert r.returncode == 0, r.stderr
    rows = [row for row in json.loads(r.stdout) if row["id"] == "acme"]
    assert len(rows) == 1 and not rows[0].get("broken"), rows
    assert "DeprecationWarning" not in r.stderr


# Isolation: a broken extension is reported with its path and error, and stops nothing else ----

BROKEN = {
    "a syntax error": ("def models(ctx:\n", "SyntaxError", "line 1"),
    "an import error": ("import acme_sdk_that_is_not_installed\n", "ModuleNotFoundError", "line 1"),
    "an exception at import": ("from providers import api\nPROVIDERS = []\nraise RuntimeError('no config')\n",
                               "RuntimeError: no config", "line 3"),
    "no rows": ("from providers import api\n", "declares no PROVIDERS", "acme.py"),
    "a row that fails its check": (
        "from providers import api\nPROVIDERS = [api.Provider('acme', 'Acme', env='acme key', auth='magic')]\n",
        "not environment variable names", "auth: 'magic'"),
    "an id that is not the file's": ("from providers import api\nPROVIDERS = [api.Provider('wile', 'Wile')]\n",
                                     "rename the file to wile.py", "acme.py"),
    "a built-in provider's name": (
        "from providers import api\nPROVIDERS = [api.Provider('acme', 'Acme', aliases='claude')]\n",
        "'claude' is already the built-in provider anthropic's name", "acme.py"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_extension_is_reported_and_stops_nothing_else(atomic_env, case):
    source, *needles = BROKEN[case]
    path = install_file(atomic_env, source=source)
    env = {"OPENAI_API_KEY": "sk-proj-still-works-01"}
    r = atomic_env.run("key", "openai", env=env)
    assert (r.returncode, r.stdout, r.stderr) == (0, "sk-proj-still-works-01\n", "")
    r = atomic_env.run("status", env=env)
    assert r.returncode == 11 and "openai" in r.stdout, r.stderr   # the report, whose problem is the exit status
    assert r.stderr.endswith("atomic: status found 1 problem (above)\n")
    assert "problem: acme: " in r.stderr and path in r.stderr and needles[0] in r.stderr, r.stderr
    report = json.loads(atomic_env.run("status", "--json", env=env).stdout)
    row = next(row for row in report["providers"] if row["id"] == "acme")
    assert row["broken"] and row["extension"] == path and needles[0] in row["problem"]
    r = atomic_env.run("providers", env=env)
    assert r.returncode == 0 and "broken extension" in r.stdout, r.stderr
    r = atomic_env.run("models", "--all", "--search", "gpt-4o", env=env)
    assert r.returncode == 0 and "openai/gpt-4o" in r.stdout
    r = atomic_env.run("exec", "--", "/bin/sh", "-c", 'printf %s "$OPENAI_API_KEY"', env=env)  # every provider
    assert (r.returncode, r.stdout) == (0, "sk-proj-still-works-01") and path in r.stderr, r.stderr
    assert_fails(atomic_env.run("key", "acme", env=env), 4, path, *needles)


RAISING = '''
from providers import api

PROVIDERS = [api.Provider("acme", "Acme AI", env="ACME_API_KEY", base_url="https://api.acme.example.com/v1")]


def headers(credential):
    return {"Authorization": credential.value}["X-Missing"]


def export(credential, ctx):
    return ["ACME_API_KEY", credential.value]


def account(entry):
    raise RuntimeError("account service is down")
'''


def test_an_exception_from_a_hook_is_the_extension_s_error_not_atomic_s(atomic_env):
    install_file(atomic_env, source=RAISING)
    env = {"ACME_API_KEY": "acme-key-0001", "OPENAI_API_KEY": "sk-proj-still-works-01"}
    line = assert_fails(atomic_env.run("key", "acme", "--header", env=env), 1,
                        "the acme extension failed: headers() raised KeyError: 'X-Missing' (acme.py line 8)",
                        "not in atomic")
    assert "internal error" not in line and "a bug" not in line
    assert_fails(atomic_env.run("exec", "acme", "--", "true", env=env), 1,
                 "export() returned a list, not a dict of NAME: value strings")
    r = atomic_env.run("key", "openai", env=env)
    assert (r.returncode, r.stdout) == (0, "sk-proj-still-works-01\n")
    r = atomic_env.run("key", "acme", env=env)  # a hook it does not use
    assert (r.returncode, r.stdout) == (0, "acme-key-0001\n")
    # status shows the credential, with the hook's failure as its problem (exit 11: a problem found).
    atomic_env.write_auth({"acme": {"type": "oauth", "access": "acme-at-9", "refresh": "acme-rt-9",
                                    "expires": int(time.time() * 1000) + 3600000}})
    r = atomic_env.run("status", env=env)
    assert r.returncode == 11 and "acme" in r.stdout and "openai" in r.stdout, r.stderr
    assert "problem: acme: the acme extension failed: account() raised RuntimeError: account service is down" in r.stderr


def test_a_raising_refresh_hook_fails_only_its_own_provider(atomic_env):
    install_file(atomic_env, source=ACME.replace('    doc = api.token_request(AUTH + "/token", ctx, {"client_id": "acme-cli", "grant_type": "refresh_token",',
                                                 '    raise ValueError("refresh is not written yet")\n    doc = api.token_request(AUTH, ctx, {'))
    atomic_env.write_auth({"acme": {"type": "oauth", "access": "acme-at-9", "refresh": "acme-rt-9",
                                    "expires": int(time.time() * 1000) - 1000},
                           "openai": {"type": "api_key", "key": "sk-proj-still-works-01"}})
    assert_fails(atomic_env.run("key", "acme"), 1, "the acme extension failed: refresh() raised ValueError: "
                 "refresh is not written yet", "acme.py line")
    r = atomic_env.run("key", "openai")
    assert (r.returncode, r.stdout) == (0, "sk-proj-still-works-01\n")
    assert atomic_env.read_auth()["acme"]["access"] == "acme-at-9"  # nothing lost


# Security: an extension is code; nobody else may be able to change it -------------------------

@pytest.mark.parametrize("what", ["file", "folder"])
def test_an_extension_others_can_change_is_refused(atomic_env, what):
    path = install_file(atomic_env)
    target = path if what == "file" else os.path.dirname(path)
    os.chmod(target, stat.S_IMODE(os.stat(target).st_mode) | 0o002)
    env = {"ACME_API_KEY": "acme-key-0001", "OPENAI_API_KEY": "sk-proj-still-works-01"}
    assert_fails(atomic_env.run("key", "acme", env=env), 7, target, "other users")
    r = atomic_env.run("key", "openai", env=env)
    assert (r.returncode, r.stdout) == (0, "sk-proj-still-works-01\n")
    r = atomic_env.run("providers", "--json", env=env)
    row = next(row for row in json.loads(r.stdout) if row["id"] == "acme")
    assert r.returncode == 0 and row["broken"] and "refusing" in row["problem"]


def test_an_extension_owned_by_another_user_is_refused(atomic_env):
    if os.geteuid() != 0:
        pytest.skip("making a file of another user needs root")
    path = install_file(atomic_env)
    os.chown(path, NOBODY, NOBODY)
    assert_fails(atomic_env.run("key", "acme", env={"ACME_API_KEY": "acme-key-0001"}), 7, path,
                 "belongs to uid %d" % NOBODY)


def test_the_documented_minimal_extension_works(atomic_env, net):
    import providers.api as api
    from llmfakes import Model

    source = api.__doc__.split("# --- minimal extension ---\n")[1].split("    # --- end ---")[0]
    install_file(atomic_env, source=source)
    chat = Model(net, "POST", "api.acme.example.com", "/v1/chat/completions", parts=[completions_events("Hi!")])
    r = atomic_env.run("ask", "-m", "roadrunner/acme-large", "hello", env=dict(net.env(), ACME_API_KEY="acme-key-0001"))
    assert (r.returncode, r.stdout) == (0, "Hi!\n"), r.stderr
    sent = chat.last
    assert sent.headers["Acme-Client"] == "atomic" and sent.headers["Authorization"] == "Bearer acme-key-0001"
    assert sent.json()["model"] == "acme-large"


PLANS = '''
from providers import api

PROVIDERS = [api.Provider("acme", "Acme AI", env="ACME_API_KEY", base_url="https://api.acme.example.com/v1")]


def models(ctx):
    return [{"id": "acme-large"}]


def account_model(model, entry):
    plan = (entry or {}).get("plan")  # what the extension's login kept about the account
    if plan == "pro":
        return dict(model, api="openai-responses")
    if plan == "none":
        raise api.UsageError("acme/%s is not on this account's plan" % model["id"])
    return [model] if plan == "broken" else model
'''


def test_an_extension_s_account_model_hook_routes_ask_by_its_stored_login(atomic_env, net):
    from llmfakes import Model, responses_events

    install_file(atomic_env, source=PLANS)
    chat = Model(net, "POST", "api.acme.example.com", "/v1/chat/completions", parts=[completions_events("chat")])
    responses = Model(net, "POST", "api.acme.example.com", "/v1/responses", parts=[responses_events("responses")])
    for plan, said in ((None, "chat\n"), ("pro", "responses\n")):
        atomic_env.write_auth({"acme": dict({"type": "api_key", "key": "acme-key-0001"}, **({"plan": plan} if plan else {}))})
        r = atomic_env.run("ask", "-m", "acme/acme-large", "hello", env=net.env())
        assert (r.returncode, r.stdout) == (0, said), r.stderr
        r = atomic_env.run("models", "acme", "--json")
        assert [m["api"] for m in json.loads(r.stdout)] == ["openai-responses" if plan else "openai-completions"]
    assert len(chat.requests) == 1 and len(responses.requests) == 1
    atomic_env.write_auth({"acme": {"type": "api_key", "key": "acme-key-0001", "plan": "none"}})
    assert_fails(atomic_env.run("ask", "-m", "acme/acme-large", "hello", env=net.env()), 2,
                 "acme/acme-large is not on this account's plan")
    atomic_env.write_auth({"acme": {"type": "api_key", "key": "acme-key-0001", "plan": "broken"}})
    assert_fails(atomic_env.run("ask", "-m", "acme/acme-large", "hello", env=net.env()), 1,
                 "the acme extension failed: account_model() returned a list, not a model record")
    assert len(chat.requests) == 1 and len(responses.requests) == 1


def test_a_custom_provider_s_key_reads_package_metadata_only_when_a_package_may_declare_extensions(atomic_env, tmp_path):
    # models.json's entry might override an installed extension's provider, so `atomic key
    # my-proxy` asks the installed packages; a look at their entry_points.txt files spares it
    # importlib.metadata when none mentions atomic.providers.
    atomic_env.write_models({"providers": {"my-proxy": {"baseUrl": "http://127.0.0.1:9/v1", "api": "openai-completions",
                                                        "apiKey": "sk-proxy-key-0001", "models": [{"id": "m"}]}}})
    for site, expected in ((None, False), (install_dist(tmp_path, ep_name="acme-ep"), True)):
        out = tmp_path / "modules.txt"
        env = dict(atomic_env.env, **({"PYTHONPATH": site} if site else {}))
        r = subprocess.run([PYTHON, "-c", PROBE, str(out), "key", "my-proxy"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        code, *modules = out.read_text().splitlines()
        assert (code, r.stdout) == ("0", b"sk-proxy-key-0001\n"), r.stderr
        assert ("importlib.metadata" in modules) is expected


def test_models_that_do_not_check_are_the_extension_s_error(atomic_env):
    install_file(atomic_env, source=ACME.replace('"contextWindow": 32000', '"contextWindow": "big"'))
    assert_fails(atomic_env.run("models", "acme"), 4, "the acme extension's models(): models[0].contextWindow: "
                 "expected a positive integer")
    r = atomic_env.run("models", "--all", "--search", "gpt-4o")
    assert r.returncode == 0 and "openai/gpt-4o" in r.stdout and "its models are left out" in r.stderr


CLOUDY = '''
from providers import api

PROVIDERS = [api.Provider("acme", "Acme AI", base_url="https://api.acme.example.com/v1", auth="key cloud")]


def ambient(ctx):
    def fetch():
        return {}["token"], None  # the extension's own bug, when the token is made

    return api.Credential(None, "acme cloud chain", fetch=fetch, note="a token made when used")
'''


def test_a_token_maker_an_extension_hands_back_is_its_code_too(atomic_env):
    install_file(atomic_env, source=CLOUDY)
    line = assert_fails(atomic_env.run("key", "acme"), 1, "the acme extension failed: fetch() raised KeyError",
                        "not in atomic")
    assert "internal error" not in line
    install_file(atomic_env, source=CLOUDY.replace('return api.Credential(None, "acme cloud chain", fetch=fetch, '
                                                   'note="a token made when used")', 'return {"token": "x"}'))
    assert_fails(atomic_env.run("key", "acme"), 1, "ambient() returned a dict, not an api.Credential or None")
    for answer in ('"tok-made-0001"', '(12345, "soon")'):
        install_file(atomic_env, source=CLOUDY.replace('return {}["token"], None', "return " + answer))
        line = assert_fails(atomic_env.run("key", "acme"), 1, "the acme extension failed: fetch() returned",
                            "not a (token, expires epoch ms or None) pair")
        assert "internal error" not in line


def test_a_secret_in_an_extension_s_error_is_masked_everywhere(atomic_env):
    install_file(atomic_env, source='raise RuntimeError("refused key sk-proj-abcdefghijklmnopqrstuvwxyz0123")\n')
    for args in (["providers", "--json"], ["status"], ["status", "--json"], ["key", "acme"]):
        r = atomic_env.run(*args)
        assert "sk-proj-abcdefghijklmnopqrstuvwxyz0123" not in r.stdout + r.stderr, args
        assert "sk-proj-…0123" in r.stdout + r.stderr, args   # named, masked
