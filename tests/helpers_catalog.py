"""Helpers for the catalogue tests: run `atomic models`, read its JSON, write models files."""
import json
import os

from conftest import REPO

CATALOG_PATH = os.path.join(REPO, "providers", "_models", "catalog.json")


def shipped_catalog():
    with open(CATALOG_PATH, "rb") as handle:
        return json.loads(handle.read().decode("utf-8"))


def models_json(atomic_env, *args, env=None):
    """`atomic models ARGS --json`, parsed; fails the test unless it exits 0."""
    r = atomic_env.run("models", *(args + ("--json",)), env=env)
    assert r.returncode == 0, (r.returncode, r.stderr)
    return json.loads(r.stdout)


def by_key(records):
    """{"provider/id": record}"""
    return {"%s/%s" % (m["provider"], m["id"]): m for m in records}


def write_toml(atomic_env, text, mode=0o600):
    atomic_env.make_agent_dir()
    path = os.path.join(atomic_env.agent_dir, "models.toml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, mode)
    return path


def problem_lines(result):
    """The problems of a failed validation: exit 4, empty stdout, no traceback, one problem a line."""
    assert result.returncode == 4, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("atomic: warning:")]
    assert lines[0].startswith("atomic: "), result.stderr
    if len(lines) == 1:
        return [lines[0][len("atomic: "):]]
    return [line.strip() for line in lines[1:]]
