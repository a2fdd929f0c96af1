"""What ships: the wheel holds every layer and the catalogue, a zipapp runs, one version everywhere."""
import glob
import os
import subprocess
import zipfile

import pytest

from conftest import PYTHON, REPO, clean_env

import providers

KEY = "sk-packaging-test-000000001"


def _shipped_sources():
    """Every file under providers/ that must ship: the .py modules and the catalogue."""
    found = set()
    for root, dirs, files in os.walk(os.path.join(REPO, "providers")):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if name.endswith(".py") or name == "catalog.json":
                found.add(os.path.relpath(os.path.join(root, name), REPO).replace(os.sep, "/"))
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # Built from a copy: setuptools builds in the source tree, and its build/ folder would both
    # litter the checkout and carry deleted files into later wheels.
    source = tmp_path_factory.mktemp("source")
    subprocess.run(["cp", "-r"] + [os.path.join(REPO, name) for name in
                                   ("atomic.py", "providers", "pyproject.toml", "README.md", "LICENSE")]
                   + [str(source)], check=True)
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run([PYTHON, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(out))
    assert r.returncode == 0, r.stderr.decode()
    built = glob.glob(str(out / "*.whl"))
    assert len(built) == 1, built
    return built[0]


def test_the_wheel_holds_every_layer_and_the_catalogue(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = _shipped_sources() | {"atomic.py"}
    assert {"providers/_auth/store.py", "providers/_net/http.py", "providers/_models/catalog.json",
            "providers/_wire/__init__.py", "providers/_cli/login.py", "providers/api.py"} <= expected
    assert expected - names == set()


def test_the_wheel_carries_the_licence_without_the_deprecated_table(wheel):
    # pyproject.toml names no `license` (its table form ends in setuptools in 2027, its SPDX form
    # needs Python 3.9 to build): the MIT text travels as the wheel's license file instead.
    archive = zipfile.ZipFile(wheel)
    metadata = next(archive.read(n).decode() for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
    assert "License-File: LICENSE" in metadata.splitlines()
    licence = next(archive.read(n).decode() for n in archive.namelist() if n.endswith("/LICENSE"))
    assert licence.startswith("MIT License") or "Permission is hereby granted" in licence


def test_the_wheel_carries_the_one_version(wheel):
    archive = zipfile.ZipFile(wheel)
    metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
    lines = archive.read(metadata).decode().splitlines()
    assert "Version: %s" % providers.__version__ in lines
    assert os.path.basename(wheel).startswith("atomic_cli-%s-" % providers.__version__)


def test_the_installed_files_find_their_catalogue(wheel, tmp_path):
    # Unpacked as pip would install it, away from the checkout, with -I so nothing else is on the path.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(str(site))
    probe = "import sys; sys.path.insert(0, %r); import atomic; sys.exit(atomic.main(sys.argv[1:]))" % str(site)
    r = subprocess.run([PYTHON, "-I", "-c", probe, "models", "--all", "--search", "claude-sonnet-4-5"],
                       env=clean_env(tmp_path, tmp_path / "agent"), cwd=str(tmp_path),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 0, r.stderr.decode()
    assert "anthropic/claude-sonnet-4-5" in r.stdout.decode()


def test_a_zipapp_runs_models_and_key(tmp_path):
    stage = tmp_path / "stage"
    stage.mkdir()
    subprocess.run(["cp", "-r", os.path.join(REPO, "providers"), os.path.join(REPO, "atomic.py"), str(stage)], check=True)
    subprocess.run(["find", str(stage), "-name", "__pycache__", "-prune", "-exec", "rm", "-rf", "{}", "+"], check=True)
    # Our own __main__: zipapp's `-m atomic:main` would drop main()'s exit code.
    (stage / "__main__.py").write_text("import sys\nimport atomic\nsys.exit(atomic.main())\n")
    pyz = tmp_path / "atomic.pyz"
    subprocess.run([PYTHON, "-m", "zipapp", str(stage), "-o", str(pyz)], check=True)
    env = clean_env(tmp_path, tmp_path / "agent", OPENAI_API_KEY=KEY)
    elsewhere = str(tmp_path)  # not the checkout: nothing may come from beside the archive

    models = subprocess.run([PYTHON, "-I", str(pyz), "models", "--all"], env=env, cwd=elsewhere,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert models.returncode == 0, models.stderr.decode()
    rows = models.stdout.decode().splitlines()
    assert rows[0].split()[0] == "MODEL" and len(rows) > 900
    key = subprocess.run([PYTHON, "-I", str(pyz), "key", "openai"], env=env, cwd=elsewhere,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert (key.returncode, key.stdout.decode(), key.stderr.decode()) == (0, KEY + "\n", "")
    missing = subprocess.run([PYTHON, "-I", str(pyz), "key", "groq"], env=env, cwd=elsewhere,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert missing.returncode == 3 and missing.stderr.decode().startswith("atomic: no credential for Groq")


def test_one_version_for_the_command_the_package_and_the_user_agent(tmp_path):
    from providers._net.http import USER_AGENT

    r = subprocess.run([PYTHON, os.path.join(REPO, "atomic.py"), "--version"], env=clean_env(tmp_path),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.stdout.decode() == "atomic %s\n" % providers.__version__
    assert USER_AGENT == "atomic/" + providers.__version__
    with open(os.path.join(REPO, "pyproject.toml"), encoding="utf-8") as f:
        pyproject = f.read()
    assert 'version = {attr = "providers._core.version.__version__"}' in pyproject
    assert "\nversion = " not in pyproject.split("[tool.setuptools.dynamic]")[0]  # written nowhere else
