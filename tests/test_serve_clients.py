"""The real clients through atomic serve: Codex CLI (`codex exec`) and Claude Code (`claude -p`),
each set up with what `atomic serve env` prints, each doing a turn with a tool call (its own shell
tool, run for real) to a loopback stand-in of its own upstream (passed through) and of another
provider's (translated).

The clients come from the npm registry, pinned (gateway.md §4): .ci/run installs
@openai/codex@0.169.0 and @anthropic-ai/claude-code@2.1.328 into .ci/peers and sets
ATOMIC_TEST_PEERS, and then these tests must find them. Elsewhere, without the clients, they are
skipped with that reason."""
import json
import os
import subprocess

import pytest

from conftest import REPO, atomic_command
from gateway import gateway_fixture, no_sdk_variables  # noqa: F401 (an autouse fixture)

PEERS = os.environ.get("ATOMIC_TEST_PEERS") or os.path.join(REPO, ".ci", "peers", "node_modules", ".bin")
VERSIONS = {"codex": "codex-cli 0.169.0", "claude": "2.1.328 (Claude Code)"}
QUIET = {"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1",
         "DISABLE_ERROR_REPORTING": "1", "CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY": "1"}


def client(name):
    path = os.path.join(PEERS, name)
    if not os.access(path, os.X_OK):
        if os.environ.get("ATOMIC_TEST_PEERS"):
            pytest.fail("%s is not installed in %s (.ci/run installs it)" % (name, PEERS))
        pytest.skip("%s is not installed: run .ci/run, or npm install --prefix .ci/peers @openai/codex@0.169.0 "
                    "@anthropic-ai/claude-code@2.1.328" % name)
    return path


gw = gateway_fixture("clients")


@pytest.fixture
def home(tmp_path, gw):
    """A fresh HOME for the client, with `atomic` on PATH (this checkout, the gateway's agent dir)."""
    bin_dir = atomic_command(tmp_path / "bin")
    env = {"HOME": str(tmp_path), "PATH": "%s:%s" % (bin_dir, os.environ.get("PATH", "/usr/bin:/bin")),
           "ATOMIC_CODING_AGENT_DIR": gw.env.agent_dir, "ATOMIC_SERVE_TOKEN": gw.token, "LANG": "C.UTF-8"}
    env.update(QUIET)
    return tmp_path, env


def run(args, env, cwd, timeout=120):
    return subprocess.run(args, env=env, cwd=str(cwd), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)


def test_the_clients_are_the_versions_gateway_md_describes():
    for name, version in VERSIONS.items():
        out = subprocess.run([client(name), "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env={"HOME": "/tmp", "PATH": os.environ.get("PATH", "")}, timeout=60).stdout
        assert version in out.decode(), out


@pytest.mark.parametrize("model, upstream", [("openai-codex/gpt-5.2-codex", "codex"),
                                             ("anthropic/claude-sonnet-4-5", "anthropic")],
                         ids=["passed-through", "translated"])
def test_codex_exec_runs_a_tool_through_atomic_serve(gw, home, model, upstream):
    codex = client("codex")
    folder, env = home
    codex_home = folder / ".codex"
    codex_home.mkdir()
    profile = run(["atomic", "serve", "env", "codex", "--port", str(gw.served.port), "-m", model], env, folder)
    assert profile.returncode == 0, profile.stderr
    (codex_home / "atomic.config.toml").write_bytes(profile.stdout)
    env = dict(env, CODEX_HOME=str(codex_home))
    stand_in = getattr(gw.up, upstream)
    before = len(stand_in.requests)
    r = run([codex, "exec", "--profile", "atomic", "--skip-git-repo-check",
             "--dangerously-bypass-approvals-and-sandbox", "Run echo atomic-tool-ran in the shell"], env, folder)
    out = r.stdout.decode() + r.stderr.decode()
    assert r.returncode == 0, out
    asked = stand_in.requests[before:]
    assert len(asked) == 2, out                   # the turn that called the tool, and the one with its result
    assert "atomic-tool-ran" in json.dumps(asked[1][2]), asked[1][2]           # the shell really ran it
    assert "tool=" in out and "atomic-tool-ran" in out.split("tool=", 1)[1], out  # and Codex showed the answer
    assert gw.token not in out + str([headers for _p, headers, _b in asked])


@pytest.mark.parametrize("model, upstream", [("anthropic/claude-sonnet-4-5", "anthropic"),
                                             ("openai/gpt-4o", "openai")],
                         ids=["passed-through", "translated"])
def test_claude_code_runs_a_tool_through_atomic_serve(gw, home, model, upstream):
    claude = client("claude")
    folder, env = home
    stand_in = getattr(gw.up, upstream)
    before = len(stand_in.requests)
    script = 'eval "$(atomic serve env claude --port %d)" && exec "$0" "$@"' % gw.served.port
    r = run(["/bin/sh", "-c", script, claude, "-p", "Run echo atomic-tool-ran in the shell", "--model", model,
             "--allowedTools", "Bash"], env, folder)
    out = r.stdout.decode() + r.stderr.decode()
    assert r.returncode == 0, out
    asked = stand_in.requests[before:]
    assert any("atomic-tool-ran" in json.dumps(body) for _p, _h, body in asked), out  # the shell really ran it
    assert "tool=" in out and "atomic-tool-ran" in out.split("tool=", 1)[1], out    # and Claude Code said so
    headers = stand_in.headers_of(before)
    if upstream == "anthropic":  # passed through: Claude Code's own API headers arrive unchanged
        assert headers["anthropic-beta"].startswith("claude-code-20250219")
        assert headers["anthropic-version"] == "2023-06-01"
        assert headers["User-Agent"].startswith("claude-cli/")
    assert gw.token not in out + str([headers for _p, headers, _b in asked])
