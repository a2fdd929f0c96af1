"""State a long-lived process can trust: its auth.json snapshot follows its own writes, a forced
refresh after a refused request, !command results with a lifetime, and settings.json."""
import json
import os
import subprocess
import time

from conftest import PYTHON, REPO

HOUR_MS = 3600 * 1000


def run_script(script, env):
    """Run a Python snippet that uses atomic's library in a child process; its stdout as JSON."""
    code = "import sys, json\nsys.path.insert(0, %r)\n" % REPO + script
    r = subprocess.run([PYTHON, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(r.stdout.decode())


def test_a_login_in_the_same_process_is_seen_by_the_next_resolution(atomic_env):
    # What chat does: resolve (reading auth.json), /login another provider, resolve again.
    atomic_env.write_auth({"openai": {"type": "api_key", "key": "sk-stored-000000000001"}})
    script = """
import io, argparse
from providers import find
from providers._auth.chain import resolve
from providers._core.errors import NothingFound
from providers._core.context import Context
from providers._cli.login import login

ctx = Context(stdin=io.StringIO("gsk-pasted-00000000001\\n"))
out = {"openai": resolve(find("openai", ctx), ctx).value}
try:
    resolve(find("groq", ctx), ctx)
except NothingFound:
    out["groq before"] = None
args = argparse.Namespace(provider="groq", oauth=False, key=False, device=False, enterprise_domain=None, env=[],
                          with_token=False, from_tool=None, profile=None)
login(args, ctx)
out["groq after"] = resolve(find("groq", ctx), ctx).value
print(json.dumps(out))
"""
    out = run_script(script, atomic_env.env)
    assert out == {"openai": "sk-stored-000000000001", "groq before": None, "groq after": "gsk-pasted-00000000001"}
    assert atomic_env.read_auth()["groq"] == {"type": "api_key", "key": "gsk-pasted-00000000001"}


def test_command_results_last_until_forgotten(atomic_env, tmp_path):
    counter = tmp_path / "runs"
    atomic_env.write_auth({"openai": {"type": "api_key",
                                      "key": "!echo x >> %s; printf sk-from-command-0001" % counter}})
    script = """
from providers import find
from providers._auth.chain import resolve
from providers._core.context import Context
ctx = Context()
p = find("openai", ctx)
values = [resolve(p, ctx).value, resolve(p, ctx).value]
ctx.forget_commands()
values.append(resolve(p, ctx).value)
print(json.dumps(values))
"""
    assert run_script(script, atomic_env.env) == ["sk-from-command-0001"] * 3
    assert counter.read_text().count("x") == 2  # once, then once more after forget_commands()


def test_a_refused_token_is_refreshed_once_even_when_it_looks_fresh(atomic_env, claude, net):
    claude.add_refresh_token("sk-ant-ort01-live")
    entry = {"type": "oauth", "access": "sk-ant-oat01-refused-by-the-api", "refresh": "sk-ant-ort01-live",
             "expires": int(time.time() * 1000) + 8 * HOUR_MS}
    atomic_env.write_auth({"anthropic": entry})
    script = """
from providers import find
from providers._core.context import Context
from providers._auth.refresh import refresh_now
ctx = Context()
p = find("anthropic", ctx)
first = refresh_now(p, ctx, rejected="sk-ant-oat01-refused-by-the-api")["access"]
# A second caller that saw the same refused token: the store already holds a new one, so no refresh.
second = refresh_now(p, ctx, rejected="sk-ant-oat01-refused-by-the-api")["access"]
print(json.dumps([first, second]))
"""
    env = dict(atomic_env.env, **net.env())
    first, second = run_script(script, env)
    assert first == second == claude.issued[-1]["access_token"] != entry["access"]
    assert len(claude.token_requests()) == 1
    assert atomic_env.read_auth()["anthropic"]["access"] == first


# settings.json ---------------------------------------------------------------------------------

SETTINGS_SCRIPT = """
from providers._core.context import Context
from providers._core.errors import AtomicError
from providers._config.settings import read_settings, update_settings
ctx = Context()
try:
    before = read_settings(ctx)
    def change(current):
        fast = dict(current.get("codexFastMode") or {}, workflow=True)
        return dict(current, codexFastMode=fast)
    update_settings(ctx, change)
    print(json.dumps({"before": before, "after": read_settings(ctx)}))
except AtomicError as exc:
    print(json.dumps({"error": exc.message, "code": exc.exit_code}))
"""


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(data if isinstance(data, str) else json.dumps(data, indent=2))


def test_project_settings_override_the_global_ones_field_by_field(atomic_env, tmp_path):
    project = tmp_path / "project"
    global_file = os.path.join(atomic_env.agent_dir, "settings.json")
    _write(global_file, {"codexFastMode": {"chat": True, "workflow": False}, "theme": "dark",
                         "somethingElse": {"kept": [1, 2]}})
    _write(str(project / ".atomic" / "settings.json"), {"codexFastMode": {"chat": False}, "defaultModel": "gpt-5"})
    atomic_env.trust(project)
    out = run_script(SETTINGS_SCRIPT.replace("Context()", "Context(cwd=%r)" % str(project)), atomic_env.env)
    assert out["before"] == {"codexFastMode": {"chat": False, "workflow": False}, "theme": "dark",
                             "somethingElse": {"kept": [1, 2]}, "defaultModel": "gpt-5"}
    assert out["after"]["codexFastMode"] == {"chat": False, "workflow": True}
    # Only the global file is written, and keys atomic does not know survive.
    with open(global_file) as f:
        assert json.load(f) == {"codexFastMode": {"chat": True, "workflow": True}, "theme": "dark",
                                "somethingElse": {"kept": [1, 2]}}
    with open(str(project / ".atomic" / "settings.json")) as f:
        assert json.load(f) == {"codexFastMode": {"chat": False}, "defaultModel": "gpt-5"}
    assert oct(os.stat(global_file).st_mode & 0o777) == oct(0o600)


def test_a_broken_settings_file_is_exit_4_and_left_alone(atomic_env, tmp_path):
    global_file = os.path.join(atomic_env.agent_dir, "settings.json")
    _write(global_file, '{"codexFastMode": {"chat": tru}}')
    out = run_script(SETTINGS_SCRIPT.replace("Context()", "Context(cwd=%r)" % str(tmp_path)), atomic_env.env)
    assert out["code"] == 4 and global_file in out["error"] and "line 1" in out["error"]
    with open(global_file) as f:
        assert f.read() == '{"codexFastMode": {"chat": tru}}'


def test_settings_are_created_privately_when_there_are_none(atomic_env, tmp_path):
    out = run_script(SETTINGS_SCRIPT.replace("Context()", "Context(cwd=%r)" % str(tmp_path)), atomic_env.env)
    assert out == {"before": {}, "after": {"codexFastMode": {"workflow": True}}}
    assert atomic_env.mode(atomic_env.agent_dir) == 0o700
