"""The loopback callback and paste race shared by the browser logins (providers/_oauth.py).

Driven through `atomic login anthropic --oauth` (callback on 127.0.0.1:53692) and
`atomic login openai-codex` (1455); the test plays the browser.
"""
import os
import signal
import socket
import stat
import time
import urllib.parse

from conftest import run_atomic
from oauthfakes import http_get

CLAUDE = ["login", "anthropic", "--oauth"]
AUTHORIZE = "https://claude.ai/oauth/authorize"


def assert_login_failed(code, out, err, exit_code, *needles):
    """Exit code, empty stdout, no traceback, and a last stderr line `atomic: …` with every needle."""
    assert code == exit_code, (code, err)
    assert out == "" and "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("atomic: "), err
    for needle in needles:
        assert needle in last, (needle, last)
    return last


def callback(url, **params):
    """The callback address of an authorize URL's login, with the given query."""
    return "http://127.0.0.1:53692/callback?" + urllib.parse.urlencode(params)


def state_of(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["state"]


def test_wrong_or_missing_state_is_refused_and_the_server_keeps_waiting(atomic_env, claude, login_env, start_login):
    run = start_login(CLAUDE, login_env)
    url = run.authorize_url(AUTHORIZE)
    good = claude.authorize(url)
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(good).query))["code"]

    status, headers, page = http_get(callback(url, code=code, state="not-the-state"))
    assert status == 400 and "still waiting" in page
    assert headers["content-type"].startswith("text/html") and headers["cache-control"] == "no-store"
    assert http_get(callback(url, code=code))[0] == 400                     # no state at all
    assert http_get("http://127.0.0.1:53692/favicon.ico")[0] == 404
    assert http_get("http://127.0.0.1:53692/callback/extra?code=x&state=" + state_of(url))[0] == 404
    assert run.proc.poll() is None and claude.token_requests() == []         # nothing ended the wait

    status, _headers, page = http_get(good)
    assert status == 200
    exit_code, _out, err = run.finish()
    assert exit_code == 0, err
    assert atomic_env.read_auth()["anthropic"]["type"] == "oauth"
    assert "code-" not in err  # the code is never echoed to the terminal


def test_callback_also_answers_on_ipv6_loopback(atomic_env, claude, login_env, start_login):
    # The redirect URI says localhost, which some browsers try as ::1 first (RFC 8252 §8.3).
    run = start_login(CLAUDE, login_env)
    redirect = claude.authorize(run.authorize_url(AUTHORIZE))
    status, _headers, _page = http_get(redirect.replace("127.0.0.1", "[::1]"))
    assert status == 200
    assert run.finish()[0] == 0


def test_callback_server_listens_on_loopback_only(claude, login_env, start_login):
    run = start_login(CLAUDE, login_env)
    run.authorize_url(AUTHORIZE)
    listening = open("/proc/net/tcp").read().split("\n")[1:] + open("/proc/net/tcp6").read().split("\n")[1:]
    ours = [line.split()[1] for line in listening if line.split()[3:4] == ["0A"] and
            line.split()[1].endswith(":%04X" % 53692)]
    # 127.0.0.1, and ::1 where the host has IPv6; never 0.0.0.0 or ::.
    assert "0100007F:D1BC" in ours, ours
    assert set(ours) <= {"0100007F:D1BC", "00000000000000000000000001000000:D1BC"}, ours


def test_access_denied_ends_the_login_with_an_escaped_page(atomic_env, claude, login_env, start_login):
    run = start_login(CLAUDE, login_env)
    url = run.authorize_url(AUTHORIZE)
    status, _headers, page = http_get(callback(url, error="access_denied", state=state_of(url),
                                               error_description="<script>alert(1)</script> said no"))
    assert status == 400
    assert "&lt;script&gt;" in page and "<script>" not in page
    code, out, err = run.finish()
    assert_login_failed(code, out, err, 10, "access_denied", "did not grant access")
    assert not os.path.exists(atomic_env.auth_path)


def test_error_with_a_wrong_state_does_not_end_the_login(atomic_env, claude, login_env, start_login):
    run = start_login(CLAUDE, login_env)
    url = run.authorize_url(AUTHORIZE)
    assert http_get(callback(url, error="access_denied", state="forged"))[0] == 400
    assert http_get(claude.authorize(url))[0] == 200
    assert run.finish()[0] == 0


def test_pasted_address_with_a_wrong_state_fails(atomic_env, claude, login_env, start_login):
    run = start_login(CLAUDE, login_env)
    redirect = claude.authorize(run.authorize_url(AUTHORIZE), state="from-another-attempt")
    run.paste(redirect)
    code, out, err = run.finish()
    assert_login_failed(code, out, err, 10, "state mismatch")
    assert claude.token_requests() == []
    assert not os.path.exists(atomic_env.auth_path)


def test_pasted_text_without_a_code_fails(atomic_env, claude, login_env, start_login):
    run = start_login(CLAUDE, login_env)
    run.authorize_url(AUTHORIZE)
    run.paste("I am not sure what to paste")
    code, out, err = run.finish()
    assert_login_failed(code, out, err, 10, "no authorization code")


def blocker(port):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1)
    return sock


def test_busy_port_falls_back_to_paste(atomic_env, claude, login_env, start_login):
    busy = blocker(53692)
    try:
        run = start_login(CLAUDE, login_env)
        redirect = claude.authorize(run.authorize_url(AUTHORIZE))
        assert "Port 53692" in run.stderr and "paste" in run.stderr
        run.paste(redirect)
        code, _out, err = run.finish()
    finally:
        busy.close()
    assert code == 0, err
    assert atomic_env.read_auth()["anthropic"]["access"] == claude.issued[-1]["access_token"]


def test_busy_port_and_nothing_pasted_fails_at_once(atomic_env, openai, login_env, start_login):
    busy = blocker(1455)
    try:
        run = start_login(["login", "openai-codex"], login_env)
        run.authorize_url("https://auth.openai.com/oauth/authorize")
        run.proc.stdin.close()
        code, out, err = run.finish(timeout=10)
    finally:
        busy.close()
    assert_login_failed(code, out, err, 10, "port 1455")


def test_the_login_has_a_deadline(atomic_env, claude, login_env, start_login):
    started = time.monotonic()
    run = start_login(CLAUDE, dict(login_env, ATOMIC_LOGIN_TIMEOUT="2"))
    run.authorize_url(AUTHORIZE)
    code, out, err = run.finish(timeout=20)
    assert_login_failed(code, out, err, 10, "timed out", "ATOMIC_LOGIN_TIMEOUT")
    assert time.monotonic() - started < 10
    assert not os.path.exists(atomic_env.auth_path)


def test_a_bad_login_timeout_is_a_usage_error(atomic_env, login_env):
    r = run_atomic(CLAUDE, env=dict(login_env, ATOMIC_LOGIN_TIMEOUT="soon"))
    assert r.returncode == 2 and r.stderr.startswith("atomic: ATOMIC_LOGIN_TIMEOUT=soon"), r.stderr


def test_ctrl_c_during_login_writes_nothing_and_frees_the_port(atomic_env, claude, login_env, start_login):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk-untouched"}})
    before = atomic_env.auth_bytes()
    run = start_login(CLAUDE, login_env)
    run.authorize_url(AUTHORIZE)
    run.proc.send_signal(signal.SIGINT)
    code, out, err = run.finish(timeout=10)
    assert_login_failed(code, out, err, 130, "interrupted")
    assert atomic_env.auth_bytes() == before
    assert sorted(os.listdir(atomic_env.agent_dir)) == ["auth.json"]
    blocker(53692).close()  # the callback port is free again


def fake_opener(tmp_path):
    """An `xdg-open` on PATH that records what it was asked to open."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "opened.txt"
    script = bin_dir / "xdg-open"
    script.write_text("#!/bin/sh\nprintf '%%s\\n' \"$@\" >> %s\n" % record)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(bin_dir), record


def test_browser_opens_only_where_a_display_is(tmp_path, claude, login_env, start_login):
    bin_dir, record = fake_opener(tmp_path)
    env = dict(login_env, PATH=bin_dir + os.pathsep + login_env["PATH"], DISPLAY=":0")
    run = start_login(CLAUDE, env)
    url = run.authorize_url(AUTHORIZE)
    deadline = time.monotonic() + 10
    while not (record.exists() and record.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert record.read_text().splitlines() == [url]
    http_get(claude.authorize(url))
    assert run.finish()[0] == 0

    record.unlink()
    for extra in ({"DISPLAY": None}, {"SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22"}):
        env2 = dict(env)
        for name, value in extra.items():
            if value is None:
                env2.pop(name)
            else:
                env2[name] = value
        run = start_login(CLAUDE, env2)
        url = run.authorize_url(AUTHORIZE)
        if "SSH_CONNECTION" in extra:
            run.wait_for(r"ssh -L 53692:127\.0\.0\.1:53692")
        http_get(claude.authorize(url))
        assert run.finish()[0] == 0
        assert not record.exists(), extra


def test_over_ssh_the_codex_prompt_offers_device_login(openai, login_env, start_login):
    run = start_login(["login", "openai-codex"], dict(login_env, SSH_CONNECTION="10.0.0.1 5000 10.0.0.2 22"))
    run.wait_for(r"atomic login openai-codex --device")
    run.paste(openai.authorize(run.authorize_url("https://auth.openai.com/oauth/authorize")))
    assert run.finish()[0] == 0


def test_every_login_has_its_own_state_and_challenge(claude, login_env, start_login):
    seen = []
    for _ in range(2):
        run = start_login(CLAUDE, login_env)
        url = run.authorize_url(AUTHORIZE)
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        seen.append((query["state"], query["code_challenge"]))
        run.proc.send_signal(signal.SIGINT)
        assert run.finish(timeout=10)[0] == 130
    (state1, challenge1), (state2, challenge2) = seen
    assert state1 != state2 and challenge1 != challenge2


def without_state(url):
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "state"]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def test_a_pasted_address_without_state_is_refused(atomic_env, claude, login_env, start_login):
    # Login CSRF: someone else's redirect (their code, no state) pasted by the victim.
    run = start_login(CLAUDE, login_env)
    redirect = claude.authorize(run.authorize_url(AUTHORIZE))
    run.paste(without_state(redirect).replace("127.0.0.1", "localhost"))
    code, out, err = run.finish()
    assert_login_failed(code, out, err, 10, "no state=", "paste the full address")
    assert claude.token_requests() == []
    assert not os.path.exists(atomic_env.auth_path)


def test_a_pasted_codex_address_or_query_string_without_state_is_refused(atomic_env, openai, login_env, start_login):
    for shape in ("address", "query string"):
        run = start_login(["login", "openai-codex"], login_env)
        redirect = without_state(openai.authorize(run.authorize_url("https://auth.openai.com/oauth/authorize")))
        run.paste(redirect if shape == "address" else redirect.split("?", 1)[1])
        code, out, err = run.finish()
        assert_login_failed(code, out, err, 10, "no state=")
    assert openai.token_requests() == []
    assert not os.path.exists(atomic_env.auth_path)


def test_a_pasted_bare_code_needs_no_state(atomic_env, openai, login_env, start_login):
    run = start_login(["login", "openai-codex"], login_env)
    redirect = openai.authorize(run.authorize_url("https://auth.openai.com/oauth/authorize"))
    run.paste(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(redirect).query))["code"])
    code, _out, err = run.finish()
    assert code == 0, err
    assert atomic_env.read_auth()["openai-codex"]["type"] == "oauth"


# --device and --enterprise-domain where they do not apply ----------------------------------

def test_login_flags_that_do_not_apply_are_usage_errors(atomic_env, login_env):
    for args, needle in ((["groq", "--device"], "--device"),
                         (["anthropic", "--device"], "--device"),          # no --oauth: an API-key login
                         (["anthropic", "--key", "--device"], "--device"),
                         (["anthropic", "--enterprise-domain", "ghe.example.com"], "--enterprise-domain"),
                         (["openai-codex", "--enterprise-domain", "ghe.example.com"], "--enterprise-domain"),
                         (["groq", "--enterprise-domain", "ghe.example.com"], "--enterprise-domain")):
        r = run_atomic(["login"] + args, env=login_env, input="gsk-would-have-been-saved-0000\n")
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert r.stdout == "" and len(r.stderr.splitlines()) == 1, (args, r.stderr)
        assert r.stderr.startswith("atomic: ") and needle in r.stderr, (args, r.stderr)
    assert not os.path.exists(atomic_env.auth_path)
