"""`atomic serve`, the gateway's front: client tokens, the checks every request passes, the limits,
the log, start and stop; all through a real `atomic serve` process and real sockets."""
import hashlib
import json
import os
import signal
import socket
import stat
import time

import pytest

from conftest import assert_fails
from serving import Served, call_unix, make_token, raw_socket


@pytest.fixture
def served(atomic_env):
    """A running atomic serve with one token, and that token."""
    token = make_token(atomic_env, "t")
    server = Served(atomic_env.env)
    server.token = token
    yield server
    server.kill()


# -- client tokens --------------------------------------------------------------------------------

def test_a_token_is_printed_once_and_only_its_hash_is_kept(atomic_env):
    r = atomic_env.run("serve", "token", "create", "codex")
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert r.stdout == token + "\n" and token.startswith("atm_") and len(token) == 47
    assert "shown only now" in r.stderr and token not in r.stderr
    path = os.path.join(atomic_env.agent_dir, "serve-tokens.json")
    raw = open(path, "rb").read()
    assert token.encode() not in raw and token[8:].encode() not in raw
    record = json.loads(raw)["tokens"]["codex"]
    assert record["sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert record["prefix"] == token[:8] and record["expires"] is None
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    listed = atomic_env.run("serve", "token", "list")
    assert token not in listed.stdout and "codex" in listed.stdout and token[:8] in listed.stdout


def test_tokens_are_listed_scoped_and_revoked(atomic_env):
    make_token(atomic_env, "ci", "--provider", "claude", "--model", "anthropic/claude-sonnet-4-5", "--expires", "30d")
    make_token(atomic_env, "all")
    listed = json.loads(atomic_env.run("serve", "token", "list", "--json").stdout)
    assert [t["name"] for t in listed] == ["all", "ci"]
    ci = listed[1]
    assert ci["providers"] == ["anthropic"] and ci["models"] == ["anthropic/claude-sonnet-4-5"]
    assert 29 * 86400e3 < ci["expires"] - ci["created"] <= 30 * 86400e3
    assert "sha256" not in ci
    r = atomic_env.run("serve", "token", "revoke", "ci")
    assert r.returncode == 0 and "revoked" in r.stderr
    assert [t["name"] for t in json.loads(atomic_env.run("serve", "token", "list", "--json").stdout)] == ["all"]
    assert_fails(atomic_env.run("serve", "token", "revoke", "ci"), 2, "no token named 'ci'", "all")


@pytest.mark.parametrize("lifetime, said", [("2h", "expires in 2h 00m"), ("30d", "expires in 30d")])
def test_a_token_made_to_last_a_while_is_said_to_last_that_long(atomic_env, lifetime, said):
    r = atomic_env.run("serve", "token", "create", "ci", "--expires", lifetime)
    assert r.returncode == 0 and said + ")" in r.stderr, r.stderr


def test_token_names_and_scopes_are_checked(atomic_env):
    make_token(atomic_env, "codex")
    assert_fails(atomic_env.run("serve", "token", "create", "codex"), 2, "exists already", "revoke")
    assert_fails(atomic_env.run("serve", "token", "create", "-x"), 2)
    assert_fails(atomic_env.run("serve", "token", "create", "a b"), 2, "token name")
    assert_fails(atomic_env.run("serve", "token", "create", "p", "--provider", "nosuch"), 2, "unknown provider")
    assert_fails(atomic_env.run("serve", "token", "create", "e", "--expires", "soon"), 2, "duration")


def test_serve_refuses_to_start_without_a_token_and_names_the_command(atomic_env):
    r = atomic_env.run("serve", "--port", "0", timeout=20)
    assert_fails(r, 3, "atomic serve token create NAME")


# -- what every request passes ------------------------------------------------------------------------

def test_health_needs_no_token_and_says_nothing_more(served):
    status, headers, body = served.call("GET", "/health")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert not any(name.startswith("access-control") or name == "server" for name in headers)


@pytest.mark.parametrize("host", ["evil.example:%d", "localhost.evil.example:%d", "127.0.0.1:1", "localhost:%d.evil",
                                  "", "10.0.0.1:%d"])
def test_a_host_that_is_not_this_machine_is_refused_before_the_token(served, host):
    host = host % served.port if "%d" in host else host
    status, headers, body = served.call("GET", "/v1/models", host=host, token=served.token)
    assert status == 403, body
    assert "addressed to this machine" in json.loads(body)["error"]["message"]


@pytest.mark.parametrize("host", ["127.0.0.1:%d", "localhost:%d", "LOCALHOST:%d", "[::1]:%d", "localhost"])
def test_loopback_hosts_are_served(served, host):
    status, _headers, body = served.call("GET", "/v1/models", host=host % served.port if "%d" in host else host,
                                         token=served.token)
    assert status == 200, body


def test_the_ipv6_loopback_listens_too(served):
    import http.client

    conn = http.client.HTTPConnection("::1", served.port, timeout=10)
    conn.request("GET", "/health")
    assert conn.getresponse().status == 200


@pytest.mark.parametrize("header", [("Origin", "https://evil.example"), ("Origin", "null"),
                                    ("Origin", "http://127.0.0.1"), ("Sec-Fetch-Site", "cross-site"),
                                    ("Sec-Fetch-Site", "same-origin")])
def test_requests_from_web_pages_are_refused(served, header):
    status, headers, body = served.call("POST", "/v1/messages", {"model": "x"}, headers=dict([header]),
                                        token=served.token)
    assert status == 403 and json.loads(body)["error"]["type"] == "permission_error"
    assert not any(name.startswith("access-control") for name in headers)


def test_options_is_no_preflight(served):
    status, headers, _body = served.call("OPTIONS", "/v1/chat/completions", headers={
        "Access-Control-Request-Method": "POST"})
    assert status == 405
    assert not any(name.startswith("access-control") for name in headers)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          None])
def test_post_bodies_must_be_json(served, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    status, _headers, body = served.call("POST", "/v1/chat/completions", b'{"model":"x"}', headers=headers,
                                         token=served.token)
    assert status == 415, body


def test_a_websocket_upgrade_of_responses_is_426(served):
    status, _headers, _body = served.call("GET", "/v1/responses", headers={
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "openai-beta": "responses_websockets=2026-02-06"},
        token=served.token)
    assert status == 426


def test_unknown_paths_say_where_the_api_is(served):
    status, _headers, body = served.call("POST", "/chat/completions", {"model": "x"}, token=served.token)
    assert status == 404 and "/v1" in json.loads(body)["error"]["message"]
    status, _headers, _body = served.call("GET", "/token", token=served.token)
    assert status == 404


# -- the client token -------------------------------------------------------------------------------

def test_no_token_is_401_in_each_sdk_s_own_shape(served):
    import anthropic
    import openai

    oa = openai.OpenAI(base_url=served.url + "/v1", api_key="sk-not-a-client-token", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        oa.chat.completions.create(model="openai/gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert "client token is not valid" in caught.value.message
    status, _h, body = served.call("POST", "/v1/chat/completions", {"model": "openai/gpt-4o"})
    assert status == 401 and "no client token" in json.loads(body)["error"]["message"]
    with pytest.raises(openai.AuthenticationError):
        oa.responses.create(model="openai/gpt-4o", input="hi")
    with pytest.raises(openai.AuthenticationError):
        oa.models.list()
    an = anthropic.Anthropic(base_url=served.url, api_key="atm_" + "x" * 43, max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as caught:
        an.messages.create(model="anthropic/claude-sonnet-4-5", max_tokens=10,
                           messages=[{"role": "user", "content": "hi"}])
    assert caught.value.body["type"] == "error" and caught.value.body["error"]["type"] == "authentication_error"


@pytest.mark.parametrize("presented", ["", "atm_", "sk-ant-api03-xxxxxxxxxxxxxxxxxxxx", "<token>",
                                       "${ATOMIC_SERVE_TOKEN}", "YOUR_API_KEY", "atm_" + "A" * 43])
def test_empty_and_template_tokens_do_not_exist(served, presented):
    for header in ("Authorization", "x-api-key"):
        value = ("Bearer " + presented) if header == "Authorization" else presented
        status, _headers, _body = served.call("GET", "/v1/models", headers={header: value})
        assert status == 401


def test_a_stored_record_that_is_not_a_digest_matches_nothing(atomic_env):
    make_token(atomic_env, "real")
    path = os.path.join(atomic_env.agent_dir, "serve-tokens.json")
    doc = json.load(open(path))
    doc["tokens"]["empty"] = {"sha256": hashlib.sha256(b"").hexdigest()[:10], "providers": [], "models": []}
    doc["tokens"]["nohash"] = {"providers": [], "models": []}
    json.dump(doc, open(path, "w"))
    server = Served(atomic_env.env)
    try:
        for presented in ("", "Bearer"):
            status, _h, _b = server.call("GET", "/v1/models", headers={"Authorization": presented})
            assert status == 401
        assert "'empty' is not one atomic made" in server.stderr()
    finally:
        server.kill()


def test_the_token_is_taken_from_either_header_and_two_different_ones_are_refused(served, atomic_env):
    other = make_token(atomic_env, "other")
    assert served.call("GET", "/v1/models", headers={"x-api-key": served.token})[0] == 200
    assert served.call("GET", "/v1/models", headers={"Authorization": "bearer " + served.token})[0] == 200
    same = {"x-api-key": served.token, "Authorization": "Bearer " + served.token}
    assert served.call("GET", "/v1/models", headers=same)[0] == 200
    status, _h, body = served.call("GET", "/v1/models", headers={"x-api-key": other,
                                                                 "Authorization": "Bearer " + served.token})
    assert status == 401 and "two different tokens" in json.loads(body)["error"]["message"]
    assert served.call("GET", "/v1/models", headers={"Authorization": "Basic " + served.token})[0] == 401


def test_a_revoked_token_is_refused_at_the_next_request(served, atomic_env):
    assert served.call("GET", "/v1/models", token=served.token)[0] == 200
    assert atomic_env.run("serve", "token", "revoke", "t").returncode == 0
    assert served.call("GET", "/v1/models", token=served.token)[0] == 401


def test_an_expired_token_is_refused_at_once(served, atomic_env):
    short = make_token(atomic_env, "short", "--expires", "1ms")
    status, _h, body = served.call("GET", "/v1/models", token=short)
    assert status == 401 and "expired" in json.loads(body)["error"]["message"]
    assert "short" in atomic_env.run("serve", "token", "list").stdout and "expired" in atomic_env.run(
        "serve", "token", "list").stdout


def test_a_token_made_while_serving_works_at_once(served, atomic_env):
    late = make_token(atomic_env, "late")
    assert served.call("GET", "/v1/models", token=late)[0] == 200


def test_the_model_list_is_the_token_s_scope_in_the_caller_s_shape(atomic_env):
    atomic_env.write_auth({"anthropic": {"type": "api_key", "key": "sk-ant-api03-" + "k" * 30},
                           "openai": {"type": "api_key", "key": "sk-proj-" + "o" * 30}})
    wide = make_token(atomic_env, "wide")
    narrow = make_token(atomic_env, "narrow", "--provider", "anthropic")
    one = make_token(atomic_env, "one", "--model", "openai/gpt-4o")
    server = Served(atomic_env.env)
    try:
        def ids(token, **headers):
            status, _h, body = server.call("GET", "/v1/models", headers=headers, token=token)
            assert status == 200, body
            return json.loads(body)
        every = [m["id"] for m in ids(wide)["data"]]
        assert "anthropic/claude-sonnet-4-5" in every and "openai/gpt-4o" in every
        assert {m.split("/")[0] for m in every} == {"anthropic", "openai"}
        assert {m["id"].split("/")[0] for m in ids(narrow)["data"]} == {"anthropic"}
        assert [m["id"] for m in ids(one)["data"]] == ["openai/gpt-4o"]
        shaped = ids(one, **{"anthropic-version": "2023-06-01"})
        assert shaped["data"][0]["type"] == "model" and shaped["first_id"] == "openai/gpt-4o"
        assert ids(one)["object"] == "list"
    finally:
        server.kill()


# -- limits -------------------------------------------------------------------------------------------

def test_a_body_over_the_cap_is_413_without_being_read(served):
    sock = raw_socket(served.port)
    sock.sendall(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                  "Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n" % (served.port, served.token, 64 << 20)).encode())
    reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 413 ")
    sock.close()


def test_a_slow_head_is_cut_off_and_does_not_hold_up_others(atomic_env):
    token = make_token(atomic_env)
    server = Served(dict(atomic_env.env, ATOMIC_SERVE_HEAD_TIMEOUT="1"))
    try:
        slow = raw_socket(server.port)
        started = time.monotonic()
        slow.sendall(b"GET /health HTTP/1.1\r\n")
        for _ in range(6):  # one header byte at a time, each well inside a per-read timeout
            assert server.call("GET", "/health")[0] == 200  # others are answered meanwhile
            try:
                slow.sendall(b"X")
            except OSError:
                break
            time.sleep(0.25)
        reply = slow.recv(65536)
        assert reply.startswith(b"HTTP/1.1 408 ") and time.monotonic() - started < 5
        assert server.call("GET", "/v1/models", token=token)[0] == 200
    finally:
        server.kill()


@pytest.mark.parametrize("garbage", [b"NOT HTTP\r\n\r\n", b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                                     b"GET /health HTTP/1.1\r\n folded: x\r\n\r\n", b"GET /health HTTP/2.0\r\n\r\n",
                                     b"GET /health HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                                     b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"])
def test_a_malformed_request_gets_an_error_and_others_go_on(served, garbage):
    sock = raw_socket(served.port)
    sock.sendall(garbage)
    reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 4") or reply.startswith(b"HTTP/1.1 5"), reply
    assert served.call("GET", "/health")[0] == 200


def test_keep_alive_carries_several_requests_and_a_refused_body_closes(served):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    for _ in range(3):
        conn.request("GET", "/v1/models", headers={"Authorization": "Bearer " + served.token})
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Connection") is None
        resp.read()
    conn.request("POST", "/v1/chat/completions", body=b"x" * 100000, headers={"Content-Type": "text/plain"})
    resp = conn.getresponse()
    assert resp.status == 415 and resp.getheader("Connection") == "close"


def test_connections_over_the_cap_get_503(atomic_env):
    make_token(atomic_env)
    server = Served(atomic_env.env, "--max-concurrent", "1")  # 64 connections at most
    socks = []
    try:
        for _ in range(64):
            socks.append(raw_socket(server.port))
        time.sleep(0.2)  # the server has taken them
        status, headers, body = server.call("GET", "/health")
        assert status == 503 and headers["retry-after"] == "1"
        socks.pop().close()
        deadline = time.monotonic() + 5
        while server.call("GET", "/health")[0] != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        for sock in socks:
            sock.close()
        server.kill()


# -- where it listens ----------------------------------------------------------------------------------

def test_a_host_other_machines_reach_is_refused_without_the_flag(atomic_env):
    make_token(atomic_env)
    assert_fails(atomic_env.run("serve", "--port", "0", "--host", "0.0.0.0", timeout=20), 2, "--expose-logins")
    server = Served(atomic_env.env, "--host", "0.0.0.0", "--expose-logins")
    try:
        assert "atomic: warning: listening on 0.0.0.0" in server.stderr()
        assert "plain HTTP" in server.stderr()
        assert server.call("GET", "/health")[0] == 200
        assert server.call("GET", "/health", host="10.1.2.3:%d" % server.port)[0] == 200
        assert server.call("GET", "/health", host="evil.example:%d" % server.port)[0] == 403  # still no DNS names
    finally:
        server.kill()


def test_a_loopback_host_needs_no_flag(atomic_env):
    make_token(atomic_env)
    server = Served(atomic_env.env, "--host", "127.0.0.1")
    try:
        assert "warning" not in server.stderr()
        assert server.call("GET", "/health")[0] == 200
    finally:
        server.kill()


def test_a_unix_socket_is_0600_and_served(atomic_env, tmp_path):
    token = make_token(atomic_env)
    path = str(tmp_path / "atomic.sock")
    server = Served(atomic_env.env, "--socket", path, port=None)
    try:
        assert stat.S_ISSOCK(os.stat(path).st_mode) and stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert call_unix(path, "GET", "/v1/models", token=token)[0] == 200
        assert call_unix(path, "GET", "/v1/models", token=token, headers={"Origin": "http://x"})[0] == 403
        again = atomic_env.run("serve", "--socket", path, timeout=20)
        assert_fails(again, 7, "another server is listening on")
        assert server.stop() == 0
        assert not os.path.exists(path)
    finally:
        server.kill()
    open(path, "w").close()
    assert_fails(atomic_env.run("serve", "--socket", path, timeout=20), 7, "is not a socket")


def test_a_port_in_use_is_named(atomic_env):
    make_token(atomic_env)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        r = atomic_env.run("serve", "--port", str(taken.getsockname()[1]), timeout=20)
        assert_fails(r, 6, "cannot listen on 127.0.0.1 port", "--port")
    finally:
        taken.close()


# -- life -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_accepting_and_exits_0(served, sig):
    assert served.call("GET", "/health")[0] == 200
    assert served.stop(sig) == 0
    assert "atomic serve: stopped" in served.stderr() and "Traceback" not in served.stderr()
    with pytest.raises(OSError):
        raw_socket(served.port).close()


def test_one_log_line_per_request_without_the_client_token(served):
    served.call("GET", "/health")
    served.call("GET", "/v1/models", token=served.token)
    served.call("GET", "/v1/models", token="atm_" + "z" * 43)
    lines = served.wait_log(3)
    assert len(lines) == 3, lines
    # Each line is written when its answer has gone: two threads may finish in either order.
    health, models, refused = sorted(lines, key=lambda l: (" 401 " in l, " models " in l))
    assert health.split()[1:3] == ["-", "health"] and " 200 " in health
    assert models.split()[1:3] == ["t", "models"] and " 200 " in models
    assert refused.split()[1:3] == ["-", "models"] and " 401 " in refused
    assert served.token not in served.stderr() and "z" * 43 not in served.stderr()


def test_log_json_lines(atomic_env):
    token = make_token(atomic_env)
    server = Served(atomic_env.env, "--log-json")
    try:
        server.call("GET", "/v1/models", token=token)
        line = json.loads(server.wait_log(1)[0])
        assert line["client"] == "t" and line["api"] == "models" and line["status"] == 200
        assert set(line) == {"time", "client", "api", "model", "mode", "status", "first_byte_ms", "duration_ms",
                             "tokens_in", "tokens_out", "error"}
    finally:
        server.kill()


# -- setting up the clients --------------------------------------------------------------------------------

def test_env_for_each_client(atomic_env):
    r = atomic_env.run("serve", "env", "claude")
    assert r.stdout == ("export ANTHROPIC_BASE_URL=http://127.0.0.1:2866\n"
                        'export ANTHROPIC_AUTH_TOKEN="$ATOMIC_SERVE_TOKEN"\nunset ANTHROPIC_API_KEY\n')
    r = atomic_env.run("serve", "env", "openai", "--port", "9000")
    assert r.stdout == 'export OPENAI_BASE_URL=http://127.0.0.1:9000/v1\nexport OPENAI_API_KEY="$ATOMIC_SERVE_TOKEN"\n'
    r = atomic_env.run("serve", "env", "anthropic")
    assert r.stdout == 'export ANTHROPIC_BASE_URL=http://127.0.0.1:2866\nexport ANTHROPIC_API_KEY="$ATOMIC_SERVE_TOKEN"\n'
    r = atomic_env.run("serve", "env", "codex", "-m", "openai-codex/gpt-5.2-codex")
    assert r.stdout == ('model_provider = "atomic"\nmodel = "openai-codex/gpt-5.2-codex"\n\n[model_providers.atomic]\n'
                        'name = "atomic serve"\nbase_url = "http://127.0.0.1:2866/v1"\nenv_key = "ATOMIC_SERVE_TOKEN"\n'
                        'wire_api = "responses"\n')
    assert "atomic.config.toml" in r.stderr and "codex --profile atomic" in r.stderr
    # Codex's web search runs on OpenAI's servers: a profile for another provider's model turns it off.
    r = atomic_env.run("serve", "env", "codex", "-m", "anthropic/claude-sonnet-4-5")
    assert 'web_search = "disabled"  #' in r.stdout.splitlines()[2]
    r = atomic_env.run("serve", "env", "codex")
    assert r.stdout.splitlines()[1].startswith('# web_search = "disabled"')
    assert_fails(atomic_env.run("serve", "env", "codex", "-m", "openai/nosuch"), 2, "unknown model")
    assert_fails(atomic_env.run("serve", "env", "aider"), 2, "invalid choice")
