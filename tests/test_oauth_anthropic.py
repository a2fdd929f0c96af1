"""Claude Pro/Max: `atomic login anthropic --oauth` end to end, and refresh through `atomic key`.

The child reaches platform.claude.com through the test CONNECT proxy and CA (tests/netfakes.py);
the test plays the browser (tests/oauthfakes.py).
"""
import os
import time

import pytest

from conftest import assert_fails
from netfakes import reply
from oauthfakes import FakeClaude, http_get, s256

AUTHORIZE = "https://claude.ai/oauth/authorize"
HOUR_MS = 3600 * 1000
MARGIN_MS = 5 * 60 * 1000


def check_record(record, claude, before_ms, after_ms):
    """The stored shape the Atomic agent reads: oauth, the tokens issued, expiry 5 min early."""
    issued = claude.issued[-1]
    assert set(record) == {"type", "access", "refresh", "expires", "identity"}, record
    assert record["type"] == "oauth"
    # Who signed in: the account and organization the token answer names, the plan the profile's.
    assert record["identity"] == {"email": claude.email, "user": "acct-uuid-" + claude.email, "account": claude.org,
                                  "accountName": claude.email + "'s Organization",
                                  "plan": "claude_max (default_claude_max_5x)"}
    assert record["access"] == issued["access_token"] and record["refresh"] == issued["refresh_token"]
    lifetime = FakeClaude.expires_in * 1000 - MARGIN_MS
    assert before_ms + lifetime - 1000 <= record["expires"] <= after_ms + lifetime + 1000, record


def test_login_through_the_callback_stores_the_tokens(atomic_env, claude, login_env, start_login):
    before = time.time() * 1000
    run = start_login(["login", "anthropic", "--oauth"], login_env)
    url = run.authorize_url(AUTHORIZE)
    status, headers, page = http_get(claude.authorize(url))
    assert status == 200 and "Sign-in received" in page
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "no-referrer"
    code, out, err = run.finish()
    assert code == 0, err
    assert out == ""
    check_record(atomic_env.read_auth()["anthropic"], claude, before, time.time() * 1000)
    assert atomic_env.mode(atomic_env.auth_path) == 0o600
    # One JSON exchange carrying the verifier whose S256 the URL announced; state is not the verifier.
    (exchange,) = claude.token_requests()
    body = exchange.json()
    assert exchange.content_type == "application/json"
    assert body["grant_type"] == "authorization_code" and body["redirect_uri"] == "http://localhost:53692/callback"
    params = dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))
    assert s256(body["code_verifier"]) == params["code_challenge"]
    assert body["state"] == params["state"] != body["code_verifier"]
    assert body["code_verifier"] not in url
    assert not exchange.headers.get("User-Agent", "").startswith(("claude-cli/", "claude-code/"))


def test_login_by_pasting_the_redirect_address(atomic_env, claude, login_env, start_login):
    before = time.time() * 1000
    run = start_login(["login", "anthropic", "--oauth"], login_env)
    redirect = claude.authorize(run.authorize_url(AUTHORIZE))
    # What the address bar shows after the browser was sent to localhost on another machine.
    run.paste(redirect.replace("127.0.0.1", "localhost"))
    code, out, err = run.finish()
    assert code == 0, err
    check_record(atomic_env.read_auth()["anthropic"], claude, before, time.time() * 1000)


def test_login_by_pasting_code_hash_state(atomic_env, claude, login_env, start_login):
    run = start_login(["login", "anthropic", "--oauth"], login_env)
    redirect = claude.authorize(run.authorize_url(AUTHORIZE))
    params = dict(p.split("=", 1) for p in redirect.split("?", 1)[1].split("&"))
    run.paste("%s#%s" % (params["code"], params["state"]))
    code, _out, err = run.finish()
    assert code == 0, err
    assert atomic_env.read_auth()["anthropic"]["type"] == "oauth"


def test_login_by_pasting_the_bare_code_keeps_other_entries(atomic_env, claude, login_env, start_login):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk-keep-me"}})
    run = start_login(["login", "anthropic", "--oauth"], login_env)
    redirect = claude.authorize(run.authorize_url(AUTHORIZE))
    run.paste(redirect.split("code=", 1)[1].split("&", 1)[0])
    code, _out, err = run.finish()
    assert code == 0, err
    auth = atomic_env.read_auth()
    assert auth["groq"] == {"type": "api_key", "key": "gsk-keep-me"}
    assert auth["anthropic"]["access"].startswith("sk-ant-oat01-")


def expired_entry(refresh="sk-ant-ort01-original-refresh-token"):
    return {"type": "oauth", "access": "sk-ant-oat01-old-access-token-0000",
            "refresh": refresh, "expires": int(time.time() * 1000) - 60000}


def test_key_refreshes_an_expired_token_keeping_an_unrotated_refresh_token(atomic_env, claude, net):
    entry = expired_entry()
    claude.add_refresh_token(entry["refresh"])
    claude.rotate = False  # the answer omits refresh_token
    atomic_env.write_auth({"anthropic": entry, "groq": {"type": "api_key", "key": "gsk-other"}})
    before = time.time() * 1000
    r = atomic_env.run("key", "anthropic", env=net.env())
    assert r.returncode == 0, r.stderr
    (req,) = claude.token_requests()
    assert req.content_type == "application/json"
    assert req.json() == {"grant_type": "refresh_token", "client_id": "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
                          "refresh_token": entry["refresh"]}
    new_access = claude.issued[-1]["access_token"]
    assert r.stdout == new_access + "\n"
    auth = atomic_env.read_auth()
    stored = auth["anthropic"]
    assert stored["access"] == new_access and stored["refresh"] == entry["refresh"]
    assert before + 8 * HOUR_MS - MARGIN_MS - 1000 <= stored["expires"] <= time.time() * 1000 + 8 * HOUR_MS
    assert auth["groq"] == {"type": "api_key", "key": "gsk-other"}
    # Fresh now: the next call makes no request.
    again = atomic_env.run("key", "anthropic", env=net.env())
    assert again.stdout == new_access + "\n" and len(claude.token_requests()) == 1


def test_key_stores_a_rotated_refresh_token(atomic_env, claude, net):
    entry = expired_entry()
    claude.add_refresh_token(entry["refresh"])
    atomic_env.write_auth({"anthropic": entry})
    r = atomic_env.run("key", "anthropic", env=net.env())
    assert r.returncode == 0, r.stderr
    stored = atomic_env.read_auth()["anthropic"]
    assert stored["refresh"] == claude.issued[-1]["refresh_token"] != entry["refresh"]
    assert r.stdout == stored["access"] + "\n"


def test_refused_refresh_token_means_log_in_again_and_keeps_the_entry(atomic_env, claude, net):
    entry = expired_entry("sk-ant-ort01-revoked-refresh-token")  # never issued: the server refuses it
    atomic_env.write_auth({"anthropic": entry})
    before = atomic_env.auth_bytes()
    r = atomic_env.run("key", "anthropic", env=net.env())
    line = assert_fails(r, 5, "run `atomic login anthropic`")
    assert "sk-ant-ort01-revoked-refresh-token" not in line
    assert atomic_env.auth_bytes() == before
    assert len(claude.token_requests()) == 1


def test_server_error_with_an_expired_token_is_exit_6_and_keeps_the_entry(atomic_env, claude, net):
    from netfakes import reply

    entry = expired_entry()
    claude.add_refresh_token(entry["refresh"])
    claude.refresh_reply = reply(500, "<html><body>upstream connect error</body></html>", {"Content-Type": "text/html"})
    atomic_env.write_auth({"anthropic": entry})
    before = atomic_env.auth_bytes()
    r = atomic_env.run("key", "anthropic", env=net.env())
    assert_fails(r, 6, "platform.claude.com", "500")
    assert atomic_env.auth_bytes() == before


@pytest.mark.parametrize("answer, needle", [
    (reply(429, {"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited."}}), "429"),
    (reply(200, "<!doctype html><title>Just a moment...</title>", {"Content-Type": "text/html"}), "not JSON"),
    (reply(200, '{"access_token": "sk-ant-oat01-cut-off-in-the-midd', {"Content-Type": "application/json"}), "not JSON"),
    (reply(200, {"token_type": "Bearer", "expires_in": 28800}), "access_token"),
    (reply(401, "<html>Unauthorized</html>", {"Content-Type": "text/html"}), "401"),
])
def test_unusable_refresh_answers_with_an_expired_token_are_exit_6(atomic_env, claude, net, answer, needle):
    claude.refresh_reply = answer
    atomic_env.write_auth({"anthropic": expired_entry()})
    before = atomic_env.auth_bytes()
    r = atomic_env.run("key", "anthropic", env=net.env())
    line = assert_fails(r, 6, "platform.claude.com", needle)
    assert "cut-off-in-the-midd" not in line
    assert atomic_env.auth_bytes() == before


def test_a_rotated_refresh_token_in_an_answer_without_expires_in_is_saved(atomic_env, claude, net):
    # The server spent the old refresh token and sent a new one, but no lifetime for the new
    # access token: atomic uses that token for this call and refreshes again at the next use.
    entry = expired_entry()
    claude.add_refresh_token(entry["refresh"])
    claude.omit = {"expires_in"}
    atomic_env.write_auth({"anthropic": entry})
    r = atomic_env.run("key", "anthropic", env=net.env())
    issued = claude.issued[-1]
    assert r.returncode == 0, r.stderr
    assert r.stdout == issued["access_token"] + "\n"
    assert r.stderr.startswith("atomic: warning: platform.claude.com sent no usable expires_in"), r.stderr
    stored = atomic_env.read_auth()["anthropic"]
    assert stored["refresh"] == issued["refresh_token"] != entry["refresh"]
    assert stored["expires"] <= time.time() * 1000
    claude.omit = set()
    again = atomic_env.run("key", "anthropic", env=net.env())
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert again.stdout == claude.issued[-1]["access_token"] + "\n" != r.stdout
    assert len(claude.token_requests()) == 2


@pytest.mark.parametrize("left_ms", [-60000, 3 * 60 * 1000])
def test_a_rotated_refresh_token_in_an_answer_without_an_access_token_is_saved(atomic_env, claude, net, left_ms):
    entry = dict(expired_entry(), expires=int(time.time() * 1000) + left_ms)
    claude.add_refresh_token(entry["refresh"])
    claude.omit = {"access_token"}
    atomic_env.write_auth({"anthropic": entry})
    r = atomic_env.run("key", "anthropic", env=net.env())
    if left_ms < 0:
        assert_fails(r, 6, "platform.claude.com", "without an access_token")
    else:  # the current token still works: a warning, and the current token
        assert r.returncode == 0 and r.stdout == entry["access"] + "\n", r.stderr
        assert "warning: could not refresh" in r.stderr and "access_token" in r.stderr
    stored = atomic_env.read_auth()["anthropic"]
    assert stored["refresh"] == claude.issued[-1]["refresh_token"] != entry["refresh"]
    assert stored["refresh"] not in r.stderr
    assert (stored["access"], stored["expires"]) == (entry["access"], entry["expires"])
    claude.omit = set()
    again = atomic_env.run("key", "anthropic", env=net.env())
    assert again.returncode == 0, again.stderr  # not invalid_grant: the saved token is the live one
    assert again.stdout == claude.issued[-1]["access_token"] + "\n"


def test_header_lines_for_subscription_tokens_and_api_keys(atomic_env):
    atomic_env.write_auth({"anthropic": {"type": "oauth", "access": "sk-ant-oat01-abcdefghijklmnop",
                                         "refresh": "sk-ant-ort01-x", "expires": int(time.time() * 1000) + 8 * HOUR_MS}})
    r = atomic_env.run("key", "anthropic", "--header")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["Authorization: Bearer sk-ant-oat01-abcdefghijklmnop",
                                     "anthropic-beta: claude-code-20250219,oauth-2025-04-20",
                                     "anthropic-version: 2023-06-01"]
    with_key = atomic_env.run("key", "anthropic", "--header", env={"ANTHROPIC_API_KEY": "sk-ant-api03-key"})
    assert with_key.stdout.splitlines()[0] == "Authorization: Bearer sk-ant-oat01-abcdefghijklmnop"
    atomic_env.write_auth({})
    r = atomic_env.run("key", "anthropic", "--header", env={"ANTHROPIC_API_KEY": "sk-ant-api03-key"})
    assert r.stdout.splitlines() == ["x-api-key: sk-ant-api03-key", "anthropic-version: 2023-06-01"]
    r = atomic_env.run("key", "anthropic", "--header", env={"ANTHROPIC_OAUTH_TOKEN": "sk-ant-oat01-from-env-token"})
    assert r.stdout.splitlines()[0] == "Authorization: Bearer sk-ant-oat01-from-env-token"


def test_device_flag_is_refused_for_claude(atomic_env, login_env):
    from conftest import run_atomic

    r = run_atomic(["login", "anthropic", "--oauth", "--device"], env=login_env)
    assert_fails(r, 2, "ssh -L 53692:127.0.0.1:53692")
    assert not os.path.exists(atomic_env.agent_dir)
