"""dist/atomic.pyz as a restricted server runs it: a bare interpreter, isolated (-I -S, so no
certifi, no tomli), an empty environment; TLS from the system store or SSL_CERT_FILE / SSL_CERT_DIR."""
import glob
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from conftest import PYTHON, REPO, assert_fails

BUILD = os.path.join(REPO, "scripts", "build_pyz.py")
KEY = "sk-pyz-check-000000000001"


def _interpreters():
    """This test run's Python, the system's python3 and a Python 3.8, where each is there."""
    found = [PYTHON]
    candidates = ["/usr/bin/python3", shutil.which("python3.8")] + sorted(
        glob.glob(os.path.expanduser("~/.pyenv/versions/3.8*/bin/python3.8")))
    for candidate in candidates:
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        probe = subprocess.run([candidate, "-I", "-S", "-c", "import sys; print(sys.version_info >= (3, 8))"],
                               stdout=subprocess.PIPE)
        if probe.stdout.strip() == b"True" and os.path.realpath(candidate) not in map(os.path.realpath, found):
            found.append(candidate)
    return found


INTERPRETERS = _interpreters()
PY38 = [python for python in INTERPRETERS if "3.8" in os.path.basename(python)]


@pytest.fixture(scope="module")
def pyz(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("dist") / "atomic.pyz")
    r = subprocess.run([PYTHON, BUILD, "--output", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == path
    return path


def run(python, pyz, home, *args, input=None, env=None):
    """`python -I -S atomic.pyz ARGS` with nothing in the environment but HOME and the agent dir."""
    full = {"HOME": str(home), "ATOMIC_CODING_AGENT_DIR": os.path.join(str(home), "agent")}
    full.update(env or {})
    r = subprocess.run([python, "-I", "-S", pyz] + list(args), env=full, input=input.encode() if input else None,
                       stdin=None if input else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    r.stdout, r.stderr = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
    return r


def test_the_build_is_one_runnable_file_and_the_same_every_time(pyz, tmp_path):
    import zipfile

    again = str(tmp_path / "again.pyz")
    subprocess.run([PYTHON, BUILD, "-o", again], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert open(pyz, "rb").read() == open(again, "rb").read()
    assert open(pyz, "rb").readline() == b"#!/usr/bin/env python3\n" and os.access(pyz, os.X_OK)
    names = set(zipfile.ZipFile(pyz).namelist())
    shipped = {os.path.relpath(os.path.join(root, f), REPO)
               for root, dirs, files in os.walk(os.path.join(REPO, "providers"))
               if "__pycache__" not in root for f in files if not f.endswith(".pyc")}
    assert shipped <= names and {"__main__.py", "atomic.py", "providers/_models/catalog.json"} <= names
    assert not any("__pycache__" in n for n in names)


@pytest.mark.parametrize("python", INTERPRETERS)
def test_login_key_models_and_exec_with_a_bare_python(pyz, tmp_path, python):
    from providers import __version__

    # The case this is about: no certifi (and no other site-packages) to lean on.
    assert subprocess.run([python, "-I", "-S", "-c", "import certifi"], stderr=subprocess.DEVNULL).returncode != 0
    assert run(python, pyz, tmp_path, "--version").stdout == "atomic %s\n" % __version__
    r = run(python, pyz, tmp_path, "login", "openai", input=KEY)
    assert r.returncode == 0, r.stderr
    assert run(python, pyz, tmp_path, "key", "openai").stdout == KEY + "\n"
    r = run(python, pyz, tmp_path, "models", "--all", "--search", "gpt-4o", "--json")
    assert r.returncode == 0 and "openai/gpt-4o" in ["%s/%s" % (m["provider"], m["id"]) for m in json.loads(r.stdout)]
    r = run(python, pyz, tmp_path, "exec", "openai", "--", "/bin/sh", "-c", 'printf %s "$OPENAI_API_KEY"; exit 4')
    assert r.returncode == 4 and r.stdout == KEY


def test_the_version_is_the_package_s(pyz, tmp_path):
    from importlib.metadata import version

    assert run(PYTHON, pyz, tmp_path, "--version").stdout == "atomic %s\n" % version("atomic-cli")


def test_it_runs_as_a_command_through_its_first_line(pyz, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(sys.executable, str(bin_dir / "python3"))
    r = subprocess.run([pyz, "--version"], env={"PATH": str(bin_dir), "HOME": str(tmp_path)}, stdout=subprocess.PIPE)
    assert r.returncode == 0 and r.stdout.startswith(b"atomic ")


def test_a_json_py_in_the_folder_it_runs_in_never_runs(pyz, tmp_path):
    # The archive is sys.path[0], not the start folder, with and without -I (issue 18 #6).
    folder = tmp_path / "repo"
    folder.mkdir()
    marker = str(tmp_path / "ran")
    for name in ("json", "re", "argparse", "hashlib"):
        (folder / (name + ".py")).write_text("open(%r, 'w').close()\n" % marker)
    env = {"HOME": str(tmp_path), "ATOMIC_CODING_AGENT_DIR": str(tmp_path / "agent"), "OPENAI_API_KEY": KEY}
    for flags in ([], ["-I"]):
        r = subprocess.run([PYTHON] + flags + [pyz, "key", "openai", "--json"], env=env, cwd=str(folder),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        assert r.returncode == 0 and json.loads(r.stdout)["key"] == KEY, r.stderr
        assert not os.path.exists(marker)


def _expired_claude_login(home, claude):
    refresh = claude.add_refresh_token("sk-ant-ort01-pyz-refresh-000001")
    agent = os.path.join(str(home), "agent")
    os.makedirs(agent, mode=0o700, exist_ok=True)
    path = os.path.join(agent, "auth.json")
    with open(path, "w") as f:
        json.dump({"anthropic": {"type": "oauth", "access": "sk-ant-oat01-old-000000000001", "refresh": refresh,
                                 "expires": int(time.time() * 1000) - 1000}}, f)
    os.chmod(path, 0o600)


def _hashed_ca_dir(net, tmp_path):
    """A CA folder as OpenSSL's SSL_CERT_DIR wants it: <subject hash>.0 files."""
    folder = tmp_path / "certs"
    folder.mkdir()
    subject_hash = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", net.ca_file],
                                  stdout=subprocess.PIPE, check=True).stdout.decode().strip()
    shutil.copy(net.ca_file, str(folder / (subject_hash + ".0")))
    return str(folder)


@pytest.mark.parametrize("python", INTERPRETERS)
def test_tls_through_the_proxy_with_the_ca_from_ssl_cert_file_or_ssl_cert_dir(pyz, tmp_path, net, claude, python):
    proxy = {"HTTPS_PROXY": net.proxy.url}
    ca_dir = _hashed_ca_dir(net, tmp_path)
    for name, value in (("SSL_CERT_FILE", net.ca_file), ("SSL_CERT_DIR", ca_dir)):
        home = tmp_path / name
        _expired_claude_login(home, claude)
        r = run(python, pyz, home, "key", "anthropic", env=dict(proxy, **{name: value}))
        assert r.returncode == 0 and r.stdout.startswith("sk-ant-oat01-"), (name, r.stderr)
        assert r.stdout != "sk-ant-oat01-old-000000000001\n"
    # With neither, the test CA is in no store: verification stays on and says what to set.
    home = tmp_path / "neither"
    _expired_claude_login(home, claude)
    r = run(python, pyz, home, "key", "anthropic", env=proxy)
    assert_fails(r, 6, "platform.claude.com", "could not be verified", "SSL_CERT_FILE")


@pytest.mark.parametrize("python", PY38)
def test_models_toml_without_tomli_is_one_line_naming_the_fix(pyz, tmp_path, python):
    agent = tmp_path / "agent"
    agent.mkdir(mode=0o700)
    (agent / "models.toml").write_text('[providers.ollama]\nbaseUrl = "http://localhost:11434/v1"\n')
    assert_fails(run(python, pyz, tmp_path, "models", "--all"), 4, "models.toml", "tomli", "models.json")


OLDER = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.[67].*/bin/python3")))


@pytest.mark.skipif(not OLDER, reason="no Python older than 3.8 on this machine (pyenv)")
def test_a_python_older_than_3_8_is_told_so_in_one_line(pyz, tmp_path):
    # `/usr/bin/env python3` on an old server may be 3.6: a version message, not an internal error.
    for python in OLDER:
        r = run(python, pyz, tmp_path, "status")
        assert r.returncode == 2 and r.stdout == "", r.stderr
        assert r.stderr.splitlines() == [r.stderr.strip()] and "needs Python 3.8 or newer" in r.stderr
