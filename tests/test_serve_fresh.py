"""atomic serve keeps what it made of the user's files (auth.json parsed, the models files merged,
the catalogue, a model's route) while the files stay the same: a change to any of them, or to
settings.json, the trust record or the client tokens, counts from the very next request.

What is kept is believed only once a file is 2 s old (a fresher one is read at every request), so
the module writes every file first and lets them settle once: each test then changes a file the
server has been keeping. A change keeps the file's size and puts its old mtime back where it can,
as an editor or a sync tool may, so that only the inode's change time tells it apart.
"""
import json
import os
import time

import pytest

from conftest import AtomicEnv
from netfakes import FakeHosts, reply
from serving import Served, make_token

SETTLE = 2.1                                   # seconds: atomic keeps a stamp once a file is 2 s old
AUTH_KEY, AUTH_KEY_2 = "sk-fresh-auth-key-000000000001", "sk-fresh-auth-key-000000000002"
WORK_KEY = "sk-fresh-work-key-000000000001"
MODELS_KEY = "sk-fresh-models-key-00000001"
OTHER_KEY, OTHER_KEY_2 = "sk-fresh-other-key-000000001", "sk-fresh-other-key-000000002"
PROJECT_KEY = "sk-fresh-project-key-0000001"
ACME_KEY = "sk-fresh-acme-key-00000000001"
ACME = """from providers import api
PROVIDERS = [api.Provider("acme", "Acme AI", base_url=%r, api="openai-completions")]


def models(ctx):
    return [{"id": "acme-1", "name": "Acme One", "contextWindow": 32000, "maxTokens": 1000}]
"""


def upstream():
    """A Chat Completions server on 127.0.0.1 that answers every request whole (and keeps them)."""
    hosts = FakeHosts(None)

    @hosts.route("POST", "127.0.0.1", "/v1/chat/completions")
    def answer(req):
        return reply(200, {"id": "c", "object": "chat.completion", "created": 1, "model": req.json()["model"],
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": "ok"}}],
                           "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
    return hosts


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    root = tmp_path_factory.mktemp("fresh")
    env = AtomicEnv(root)
    up = upstream()
    env.write_models({"providers": {
        "local": {"baseUrl": up.url + "/v1", "api": "openai-completions", "apiKey": MODELS_KEY, "models": [{"id": "m1"}]},
        "other": {"baseUrl": up.url + "/v1", "api": "openai-completions", "apiKey": OTHER_KEY, "models": [{"id": "o1"}]}}})
    env.write_auth({"local": {"type": "api_key", "key": AUTH_KEY}, "local:work": {"type": "api_key", "key": WORK_KEY},
                    "acme": {"type": "api_key", "key": ACME_KEY}})
    settings = os.path.join(env.agent_dir, "settings.json")
    _write(settings, {"profiles": []})
    project = os.path.join(str(root), "project")
    _write(os.path.join(project, ".atomic", "models.json"), {"providers": {"proj": {
        "baseUrl": up.url + "/v1", "api": "openai-completions", "apiKey": PROJECT_KEY, "models": [{"id": "p1"}]}}})
    os.makedirs(os.path.join(project, ".atomic", "extensions"))
    with open(os.path.join(project, ".atomic", "extensions", "acme.py"), "w") as f:
        f.write(ACME % (up.url + "/v1"))
    token = make_token(env, "t")
    served = Served(env.env, cwd=project)
    served.env, served.up, served.token, served.project, served.settings = env, up, token, project, settings
    time.sleep(SETTLE)  # every file is old enough to be kept from here on
    yield served
    served.kill()
    up.close()


def _write(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)


def _rewrite_in_place(path, old, new):
    """Replace `old` by `new` (the same length) inside the file, in place, and put its mtime back."""
    assert len(old) == len(new)
    st = os.stat(path)
    with open(path, "r+b") as f:
        data = f.read()
        assert old.encode() in data
        f.seek(0)
        f.write(data.replace(old.encode(), new.encode()))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)


def ask(gw, model, token=None):
    """(status, the Authorization the upstream got or None) of one request for model."""
    before = len(gw.up.seen())
    status, _headers, body = gw.call("POST", "/v1/chat/completions", {"model": model, "stream": False,
                                     "messages": [{"role": "user", "content": "hi"}]}, token=token or gw.token)
    if status != 200:
        return status, body
    asked = gw.up.seen()
    assert len(asked) == before + 1
    return status, asked[-1].headers.get("Authorization")


def test_auth_json_changed_in_place_is_seen_by_the_next_request(gw):
    path = gw.env.auth_path
    for _ in range(3):  # kept by now
        assert ask(gw, "local/m1") == (200, "Bearer " + AUTH_KEY)
    _rewrite_in_place(path, AUTH_KEY, AUTH_KEY_2)
    try:
        assert ask(gw, "local/m1") == (200, "Bearer " + AUTH_KEY_2)
        os.rename(path, path + ".aside")  # gone: the next source in the chain answers
        assert ask(gw, "local/m1") == (200, "Bearer " + MODELS_KEY)
    finally:
        if os.path.exists(path + ".aside"):
            os.rename(path + ".aside", path)
        _rewrite_in_place(path, AUTH_KEY_2, AUTH_KEY)
    assert ask(gw, "local/m1") == (200, "Bearer " + AUTH_KEY)


def test_models_json_changed_is_seen_by_the_next_request(gw):
    path = gw.env.models_path
    for _ in range(3):
        assert ask(gw, "other/o1") == (200, "Bearer " + OTHER_KEY)
    assert ask(gw, "other/o2")[0] == 404
    _rewrite_in_place(path, OTHER_KEY, OTHER_KEY_2)
    assert ask(gw, "other/o1") == (200, "Bearer " + OTHER_KEY_2)  # the merged files, not the kept ones
    with open(path) as f:
        doc = json.load(f)
    doc["providers"]["other"]["models"] = [{"id": "o2"}]
    _write(path, doc)
    assert ask(gw, "other/o2") == (200, "Bearer " + OTHER_KEY_2)  # the catalogue and the route made again
    assert ask(gw, "other/o1")[0] == 404


def test_settings_json_changed_is_seen_by_the_next_request(gw):
    # A folder rule in settings.json chooses the named login `work` for requests served from here.
    for _ in range(3):
        assert ask(gw, "local/m1") == (200, "Bearer " + AUTH_KEY)
    _write(gw.settings, {"profiles": [{"folder": gw.project, "use": "work"}]})
    try:
        assert ask(gw, "local/m1") == (200, "Bearer " + WORK_KEY)
    finally:
        _write(gw.settings, {"profiles": []})
    assert ask(gw, "local/m1") == (200, "Bearer " + AUTH_KEY)


def test_the_trust_record_changed_is_seen_by_the_next_request(gw):
    for _ in range(3):
        status, body = ask(gw, "proj/p1")  # the project folder is not trusted: its provider is no one's
        assert status != 200 and b"not trusted" in body
    gw.env.trust(gw.project)
    assert ask(gw, "proj/p1") == (200, "Bearer " + PROJECT_KEY)
    r = gw.env.run("untrust", cwd=gw.project)
    assert r.returncode == 0, r.stderr
    status, body = ask(gw, "proj/p1")
    assert status != 200 and b"not trusted" in body


def test_a_project_s_extension_serves_only_while_the_folder_is_trusted(gw):
    status, body = ask(gw, "acme/acme-1")  # untrusted: its provider does not exist
    assert status != 200 and b"acme" in body
    gw.env.trust(gw.project)
    assert ask(gw, "acme/acme-1") == (200, "Bearer " + ACME_KEY)
    r = gw.env.run("untrust", cwd=gw.project)
    assert r.returncode == 0, r.stderr
    status, body = ask(gw, "acme/acme-1")  # the running server took it away at once
    assert status != 200 and b"acme" in body


def test_client_tokens_changed_are_seen_by_the_next_request(gw):
    for _ in range(3):
        assert ask(gw, "local/m1")[0] == 200
    late = make_token(gw.env, "late")
    assert ask(gw, "local/m1", token=late)[0] == 200
    r = gw.env.run("serve", "token", "revoke", "late")
    assert r.returncode == 0, r.stderr
    assert ask(gw, "local/m1", token=late)[0] == 401
    assert ask(gw, "local/m1")[0] == 200


def test_client_tokens_others_could_have_written_let_no_one_in(gw):
    # Another user who can change the tokens file (or its folder) could add a token of their own
    # and spend your logins through the server: such a file is not believed, as auth.json and the
    # trust record are not, from the next request on, though the file's own content is the same.
    path = os.path.join(gw.env.agent_dir, "serve-tokens.json")
    assert ask(gw, "local/m1")[0] == 200
    for target, loose, mode in ((path, 0o666, 0o600), (gw.env.agent_dir, 0o777, 0o700)):
        os.chmod(target, loose)
        try:
            status, body = ask(gw, "local/m1")
            assert status == 401, body
        finally:
            os.chmod(target, mode)
        assert ask(gw, "local/m1")[0] == 200
    gw.wait_for(lambda line: "serve-tokens.json" in line and "can be changed by other users" in line)
