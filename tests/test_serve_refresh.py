"""atomic serve and OAuth refresh: many requests on an expired token make one refresh, shared with
an `atomic key` in another process; an upstream that refuses a token mid-conversation gets one
forced refresh and one retry, and the client sees one answer. A ChatGPT (Codex) login, with
auth.openai.com played by tests/oauthfakes.py."""
import subprocess
import threading
import time

import pytest

from conftest import ATOMIC_PY, PYTHON
from gateway import Gateway, no_sdk_variables  # noqa: F401 (an autouse fixture)
from oauthfakes import FakeOpenAI, make_jwt

openai = pytest.importorskip("openai")

MODEL = "openai-codex/gpt-5.2-codex"


@pytest.fixture
def gw(tmp_path):
    gateway = Gateway(tmp_path)
    gateway.auth = FakeOpenAI(gateway.net, account_id="acct-42")
    yield gateway
    gateway.close()


def codex_login(gw, expired):
    refresh = gw.auth.add_refresh_token("rt_serve-refresh-" + ("old" if expired else "live") + "0000000001")
    access = make_jwt({"https://api.openai.com/auth": {"chatgpt_account_id": "acct-42"},
                       "exp": int(time.time()) + (-3600 if expired else 3600)})
    auth = gw.env.read_auth()
    auth["openai-codex"] = {"type": "oauth", "access": access, "refresh": refresh, "accountId": "acct-42",
                            "expires": int(time.time() * 1000) + (-3600000 if expired else 3600000)}
    gw.env.write_auth(auth)
    return access


def test_twenty_requests_on_an_expired_token_make_one_refresh_shared_with_atomic_key(gw):
    codex_login(gw, expired=True)
    client = gw.openai()
    answers, errors, start = [], [], threading.Barrier(21)

    def one(n):
        start.wait()
        try:
            answers.append(client.responses.create(model=MODEL, input="q%d" % n, stream=False).output_text)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=one, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    start.wait()
    key = subprocess.run([PYTHON, ATOMIC_PY, "key", "openai-codex"], env=dict(gw.env.env, **gw.net.env()),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    for thread in threads:
        thread.join(60)
    assert errors == [] and len(answers) == 20
    assert len(gw.auth.token_requests()) == 1
    stored = gw.env.read_auth()["openai-codex"]["access"]
    assert key.returncode == 0 and key.stdout.decode() == stored + "\n", key.stderr
    sent = {headers["Authorization"] for _path, headers, _body in gw.up.codex.requests}
    assert sent == {"Bearer " + stored}


def test_a_token_refused_mid_conversation_is_refreshed_once_and_the_client_sees_one_answer(gw):
    old = codex_login(gw, expired=False)
    client = gw.openai()
    assert client.responses.create(model=MODEL, input="first").output_text.endswith("said=first")
    gw.up.codex.fail(401, {"detail": "Your authentication token has expired."})
    before = len(gw.up.codex.requests)
    done = client.responses.create(model=MODEL, input="second")
    assert done.output_text.endswith("said=second")
    asked = gw.up.codex.requests[before:]
    assert len(asked) == 2 and len(gw.auth.token_requests()) == 1
    assert asked[0][1]["Authorization"] == "Bearer " + old
    fresh = gw.env.read_auth()["openai-codex"]["access"]
    assert fresh != old and asked[1][1]["Authorization"] == "Bearer " + fresh


def test_a_refused_token_that_stays_refused_is_a_502_upstream_auth(gw):
    codex_login(gw, expired=False)
    gw.up.codex.fail(401, {"detail": "Your authentication token has expired."}, times=2)
    with pytest.raises(openai.APIStatusError) as caught:
        gw.openai().responses.create(model=MODEL, input="again")
    assert caught.value.status_code == 502 and "upstream_auth" in caught.value.message
    assert "atomic login openai-codex" in caught.value.message
    assert len(gw.auth.token_requests()) == 1
