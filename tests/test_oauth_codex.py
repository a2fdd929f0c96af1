"""ChatGPT Plus/Pro (Codex): browser and device-code logins, refresh, and header lines.

The child reaches auth.openai.com through the test CONNECT proxy and CA (tests/netfakes.py);
the test plays the browser, and the person approving the device code (tests/oauthfakes.py).
"""
import os
import time

from conftest import assert_fails
from oauthfakes import FakeOpenAI, http_get, make_jwt, s256
from test_oauth_common import assert_login_failed

AUTHORIZE = "https://auth.openai.com/oauth/authorize"
CODEX = ["login", "openai-codex"]


def check_record(record, openai, before_ms, after_ms):
    """The stored shape: oauth tokens, expiry with no margin, and the ChatGPT account id."""
    issued = openai.issued[-1]
    assert set(record) == {"type", "access", "refresh", "expires", "accountId", "identity"}, record
    assert record["type"] == "oauth" and record["accountId"] == openai.account_id
    # Who signed in, from the id_token's claims, as the Codex CLI reads them.
    assert record["identity"] == {"email": openai.email, "account": openai.account_id, "plan": openai.plan,
                                  "user": "user-" + openai.email}
    assert record["access"] == issued["access_token"] and record["refresh"] == issued["refresh_token"]
    lifetime = FakeOpenAI.expires_in * 1000
    assert before_ms + lifetime - 1000 <= record["expires"] <= after_ms + lifetime + 1000, record


def test_browser_login_through_the_callback(atomic_env, openai, login_env, start_login):
    before = time.time() * 1000
    run = start_login(CODEX, login_env)
    url = run.authorize_url(AUTHORIZE)
    status, _headers, page = http_get(openai.authorize(url))
    assert status == 200 and "ChatGPT" in page
    code, out, err = run.finish()
    assert code == 0, err
    assert out == ""
    check_record(atomic_env.read_auth()["openai-codex"], openai, before, time.time() * 1000)
    (exchange,) = openai.token_requests()
    assert exchange.content_type == "application/x-www-form-urlencoded"
    body = exchange.form()
    assert body["redirect_uri"] == "http://localhost:1455/auth/callback"
    assert s256(body["code_verifier"]) == dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))["code_challenge"]


def test_browser_login_by_pasting_the_query_string(atomic_env, openai, login_env, start_login):
    before = time.time() * 1000
    run = start_login(CODEX, login_env)
    redirect = openai.authorize(run.authorize_url(AUTHORIZE))
    run.paste(redirect.split("?", 1)[1])  # code=…&scope=…&state=…
    code, _out, err = run.finish()
    assert code == 0, err
    check_record(atomic_env.read_auth()["openai-codex"], openai, before, time.time() * 1000)


def test_a_token_without_a_chatgpt_account_fails_the_login(atomic_env, openai, login_env, start_login):
    openai.account_id = None
    run = start_login(CODEX, login_env)
    http_get(openai.authorize(run.authorize_url(AUTHORIZE)))
    code, out, err = run.finish()
    assert_login_failed(code, out, err, 10, "chatgpt_account_id")
    assert not os.path.exists(atomic_env.auth_path)


def test_device_login_waits_through_pending_and_slow_down(atomic_env, openai, login_env, start_login):
    openai.device_script = ["pending", "slow_down", "ok"]
    before = time.time() * 1000
    run = start_login(CODEX + ["--device"], login_env)
    run.wait_for(r"https://auth\.openai\.com/codex/device .*WXYZ-7890")
    code, out, err = run.finish(timeout=60)
    assert code == 0, err
    check_record(atomic_env.read_auth()["openai-codex"], openai, before, time.time() * 1000)
    times = openai.poll_times
    assert len(times) == 3
    assert 0.8 <= times[1] - times[0] < 4            # the server's interval "1"
    assert 1.8 <= times[2] - times[1] < 5.5          # slow_down's interval 2 (not 1, nor 1 + 5)
    (exchange,) = openai.token_requests()
    assert exchange.form()["redirect_uri"] == "https://auth.openai.com/deviceauth/callback"
    assert "authorize" not in err  # no browser URL in the device flow


def test_device_login_denied(atomic_env, openai, login_env, start_login):
    openai.device_script = ["denied"]
    run = start_login(CODEX + ["--device"], login_env)
    code, out, err = run.finish(timeout=30)
    assert_login_failed(code, out, err, 10, "denied")
    assert openai.token_requests() == []


def write_expired(atomic_env, openai, refresh="rt_original"):
    openai.add_refresh_token(refresh)
    entry = {"type": "oauth", "access": make_jwt({"https://api.openai.com/auth": {"chatgpt_account_id": openai.account_id}}),
             "refresh": refresh, "expires": int(time.time() * 1000) - 1000, "accountId": openai.account_id}
    atomic_env.write_auth({"openai-codex": entry})
    return entry


def test_key_refreshes_with_a_form_body_and_stores_the_rotation(atomic_env, openai, net):
    entry = write_expired(atomic_env, openai)
    r = atomic_env.run("key", "openai-codex", env=net.env())
    assert r.returncode == 0, r.stderr
    (req,) = openai.token_requests()
    assert req.content_type == "application/x-www-form-urlencoded"
    assert req.form() == {"grant_type": "refresh_token", "refresh_token": entry["refresh"],
                          "client_id": "app_EMoamEEZ73f0CkXaXp7hrann"}
    stored = atomic_env.read_auth()["openai-codex"]
    assert r.stdout == stored["access"] + "\n"
    assert stored["refresh"] == openai.issued[-1]["refresh_token"] != entry["refresh"]
    assert stored["accountId"] == openai.account_id


def test_reused_refresh_token_means_log_in_again(atomic_env, openai, net):
    write_expired(atomic_env, openai)
    openai.use_refresh_token("rt_original")  # another client already spent it
    before = atomic_env.auth_bytes()
    r = atomic_env.run("key", "openai-codex", env=net.env())
    assert_fails(r, 5, "run `atomic login openai-codex`")
    assert atomic_env.auth_bytes() == before


def test_header_lines_and_status_account(atomic_env):
    access = make_jwt({"https://api.openai.com/auth": {"chatgpt_account_id": "acct-777"}})
    atomic_env.write_auth({"openai-codex": {"type": "oauth", "access": access, "refresh": "rt_x",
                                            "expires": int(time.time() * 1000) + 3600 * 1000,
                                            "accountId": "acct-777"}})
    r = atomic_env.run("key", "openai-codex", "--header")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["Authorization: Bearer " + access, "chatgpt-account-id: acct-777"]
    status = atomic_env.run("status")
    assert status.returncode == 0, status.stderr
    row = [line for line in status.stdout.splitlines() if line.startswith("openai-codex")]
    assert row and row[0].split()[-1] == "acct-777", status.stdout


def test_a_rotated_refresh_token_is_saved_even_when_the_new_token_names_no_account(atomic_env, openai, net):
    # An entry stored without accountId (another tool) and an answer whose token lacks the claim:
    # log in again, but the server spent the old refresh token, so the new one must be kept.
    entry = write_expired(atomic_env, openai)
    del entry["accountId"]
    atomic_env.write_auth({"openai-codex": entry})
    openai.account_id = None
    r = atomic_env.run("key", "openai-codex", env=net.env())
    assert_fails(r, 5, "names no ChatGPT account", "run `atomic login openai-codex`")
    stored = atomic_env.read_auth()["openai-codex"]
    assert stored["refresh"] == openai.issued[-1]["refresh_token"] != entry["refresh"]
    assert stored["access"] == entry["access"] and "accountId" not in stored
    openai.account_id = "acct-1234-abcd"
    again = atomic_env.run("key", "openai-codex", env=net.env())
    assert again.returncode == 0, again.stderr  # not refresh_token_reused
    assert atomic_env.read_auth()["openai-codex"]["accountId"] == "acct-1234-abcd"

