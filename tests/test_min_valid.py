"""`atomic key PROVIDER --min-valid DURATION`: a token that outlives the job, or a clear exit 12."""
import time

import pytest

from conftest import assert_fails
from netfakes import reply

MINUTE_MS = 60 * 1000


def now_ms():
    return int(time.time() * 1000)


def store_claude(atomic_env, claude, left_ms):
    refresh = claude.add_refresh_token("sk-ant-ort01-min-valid-refresh-01")
    return atomic_env.write_auth({"anthropic": {"type": "oauth", "access": "sk-ant-oat01-current-token-000001",
                                                "refresh": refresh, "expires": now_ms() + left_ms}})


def key(atomic_env, net, *args):
    return atomic_env.run("key", "anthropic", *args, env=net.env())


def test_a_token_that_would_expire_sooner_is_refreshed(atomic_env, net, claude):
    store_claude(atomic_env, claude, 20 * MINUTE_MS)
    r = key(atomic_env, net, "--min-valid", "30m")
    assert r.returncode == 0, r.stderr
    stored = atomic_env.read_auth()["anthropic"]
    assert r.stdout == stored["access"] + "\n" and stored["access"] != "sk-ant-oat01-current-token-000001"
    assert stored["expires"] > now_ms() + 7 * 60 * MINUTE_MS   # the fake's 8 hours, less the 5-minute margin
    assert len(claude.token_requests()) == 1


def test_a_token_that_lasts_long_enough_is_left_alone(atomic_env, net, claude):
    before = store_claude(atomic_env, claude, 3 * 60 * MINUTE_MS)
    r = key(atomic_env, net, "--min-valid", "2h")
    assert r.returncode == 0 and r.stdout == "sk-ant-oat01-current-token-000001\n"
    assert claude.token_requests() == [] and atomic_env.auth_bytes() == before


def test_a_token_that_cannot_be_refreshed_far_enough_is_exit_12(atomic_env, net, claude):
    store_claude(atomic_env, claude, 20 * MINUTE_MS)
    r = key(atomic_env, net, "--min-valid", "10h")
    line = assert_fails(r, 12, "the anthropic token is valid for 7h 5", "less than the 10h 00m asked for",
                        "--min-valid", "a fresh token from Anthropic lasts only that long")
    assert "sk-ant-oat01" not in line
    # The refresh itself was good and is kept: the next run starts from the fresh token.
    assert atomic_env.read_auth()["anthropic"]["access"] != "sk-ant-oat01-current-token-000001"
    assert len(claude.token_requests()) == 1


def test_a_refresh_that_fails_is_exit_12_naming_why(atomic_env, net, claude):
    before = store_claude(atomic_env, claude, 20 * MINUTE_MS)
    claude.refresh_reply = reply(500, {"error": {"type": "api_error", "message": "Internal server error"}})
    r = key(atomic_env, net, "--min-valid", "1h")
    assert_fails(r, 12, "valid for 19m", "less than the 1h 00m", "could not refresh it", "HTTP 500")
    assert atomic_env.auth_bytes() == before


def test_an_expired_token_whose_refresh_fails_is_exit_12_too(atomic_env, net, claude):
    # The same failure as above, for a token that has already run out: a script's `case $? in 12)`
    # must not see 6 here.
    before = store_claude(atomic_env, claude, -MINUTE_MS)
    claude.refresh_reply = reply(500, {"error": {"type": "api_error", "message": "Internal server error"}})
    r = key(atomic_env, net, "--min-valid", "1m")
    assert_fails(r, 12, "no time (expired)", "could not refresh it", "HTTP 500")
    assert atomic_env.auth_bytes() == before
    fresh = key(atomic_env, net)                         # without --min-valid, as before: the network's 6
    assert fresh.returncode == 6, fresh.stderr


def test_a_refused_refresh_token_says_log_in_again(atomic_env, net, claude):
    store_claude(atomic_env, claude, 20 * MINUTE_MS)
    claude.live.clear()  # revoked
    r = key(atomic_env, net, "--min-valid", "1h")
    assert_fails(r, 12, "could not refresh it", "atomic login anthropic")


def test_api_keys_have_no_expiry_and_pass(atomic_env):
    r = atomic_env.run("key", "openai", "--min-valid", "30d", env={"OPENAI_API_KEY": "sk-min-valid-key-000001"})
    assert r.returncode == 0 and r.stdout == "sk-min-valid-key-000001\n"


@pytest.mark.parametrize("value", ["30", "2x", "", "h", "=-5m", "1h 30m"])
def test_a_duration_without_a_unit_is_a_usage_error(atomic_env, value):
    args = ["--min-valid" + value] if value.startswith("=") else ["--min-valid", value]
    r = atomic_env.run("key", "openai", *args, env={"OPENAI_API_KEY": "sk-min-valid-key-000001"})
    assert_fails(r, 2, "--min-valid", "90s, 30m, 2h" if value else "e.g. 30m")
