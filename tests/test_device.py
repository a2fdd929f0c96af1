"""Device-code polling (RFC 8628 §3.5) as a user meets it: `atomic login github-copilot` against a
loopback GitHub that answers authorization_pending, slow_down, expired_token and access_denied.
Timings are measured on the fake server, so they show what the provider actually sees."""
import json

import pytest

from conftest import clean_env, run_atomic, tree
from fake_github import FakeGitHub

SLACK = 0.02  # seconds; clock granularity between the child's sleep and the server's stamp


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    path.mkdir()
    return path


def assert_fails(result, code, *needles, warnings=False):
    """A failed login: exit `code`, nothing on stdout, no traceback, and a last stderr line
    `atomic: ...` with every needle (the lines before it are the prompts and the code shown)."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("atomic: ") and not lines[-1].startswith("atomic: warning"), result.stderr
    assert warnings or "atomic: warning" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in lines[-1], (needle, lines[-1])
    return lines[-1]


def login(net, home, *extra):
    env = clean_env(home, home / "agent", **net.env())
    return run_atomic(["login", "github-copilot"] + list(extra), env=env, timeout=60)


def test_polls_no_faster_than_the_interval_and_slow_down_stretches_it(net, home):
    github = FakeGitHub(net, answers=["pending", ("slow_down", 2), "pending", "ok"], interval=1)
    result = login(net, home)
    assert result.returncode == 0, result.stderr
    gaps = github.gaps()
    assert len(gaps) == 4, gaps
    assert all(gap >= 1 - SLACK for gap in gaps[:2]), gaps      # one interval before every poll
    assert all(gap >= 2 - SLACK for gap in gaps[2:]), gaps      # the server's new interval, kept
    assert gaps[0] < 2 and gaps[1] < 2, gaps                    # and no slower than needed before it


def test_slow_down_without_a_new_interval_adds_five_seconds(net, home):
    # interval 1, expires_in 3: after the slow_down the next wait is 6 s, longer than the 2 s the
    # code has left, so exactly one more poll happens, at the deadline, and the login times out.
    github = FakeGitHub(net, answers=[("slow_down", None), "pending"], interval=1, expires_in=3)
    result = login(net, home)
    line = assert_fails(result, 10, "timed out", "clock")
    assert "VM" in line or "WSL" in line
    gaps = github.gaps()
    assert len(gaps) == 2, gaps
    assert gaps[1] >= 2 - SLACK - 0.2, gaps   # waited out the rest of the code's life, not 1 s
    assert not (home / "agent" / "auth.json").exists()


def test_without_an_interval_the_wait_is_five_seconds(net, home):
    # expires_in 2 and no interval: a 1 s default would poll twice; the RFC's 5 s polls once, at
    # the deadline.
    github = FakeGitHub(net, answers=["pending"], interval=None, expires_in=2)
    result = login(net, home)
    assert_fails(result, 10, "timed out", "2 s")
    gaps = github.gaps()
    assert len(gaps) == 1 and gaps[0] >= 2 - SLACK - 0.2, gaps


def test_a_zero_interval_still_waits_a_second(net, home):
    github = FakeGitHub(net, answers=["pending", "ok"], interval=0)
    result = login(net, home)
    assert result.returncode == 0, result.stderr
    assert all(gap >= 1 - SLACK for gap in github.gaps()), github.gaps()


@pytest.mark.parametrize("answer, needle", [("expired", "expired"), ("denied", "denied")])
def test_expired_and_denied_codes_end_the_login(net, home, answer, needle):
    github = FakeGitHub(net, answers=["pending", answer, "ok"], interval=1)
    result = login(net, home)
    assert_fails(result, 10, needle, "atomic login github-copilot")
    assert len(github.poll_times) == 2          # stopped at the terminal answer
    assert github.exchanges == []
    assert tree(home) == set()


def test_a_brief_outage_while_waiting_is_ridden_out(net, home):
    github = FakeGitHub(net, answers=["500", "pending", "500", "ok"], interval=1)
    result = login(net, home)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("atomic: warning:") == 1 and "502" in result.stderr  # said once
    assert len(github.poll_times) == 4
    saved = json.loads((home / "agent" / "auth.json").read_text())
    assert saved["github-copilot"]["refresh"] == github.github_token


def test_a_lasting_outage_while_waiting_is_a_network_error(net, home):
    github = FakeGitHub(net, answers=["500"], interval=1)
    result = login(net, home)
    assert_fails(result, 6, "github.com", "502", warnings=True)
    assert len(github.poll_times) == 3
    assert not (home / "agent").exists()


@pytest.mark.parametrize("uri", ["javascript:alert(1)", "https://github.com/login/device\x1b[2J"])
def test_a_verification_address_that_is_not_plain_http_is_not_shown(net, home, uri):
    github = FakeGitHub(net, verification_uri=uri)
    result = login(net, home)
    assert_fails(result, 10, "not an http(s) URL")
    assert "alert" not in result.stderr and "\x1b" not in result.stderr
    assert github.poll_times == []


def test_the_code_and_address_are_shown_on_stderr_only(net, home):
    FakeGitHub(net, answers=["ok"], interval=1)
    result = login(net, home)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "https://github.com/login/device" in result.stderr and "ABCD-1234" in result.stderr


def login_within(net, home, seconds):
    env = clean_env(home, home / "agent", ATOMIC_LOGIN_TIMEOUT=str(seconds), **net.env())
    return run_atomic(["login", "github-copilot"], env=env, timeout=30)


@pytest.mark.parametrize("interval, expires_in", [(1e300, 1e300), (1, 1e9), ("1e300", "1e9"), (1, float("inf"))])
def test_an_endless_code_life_stops_at_the_login_timeout(net, home, interval, expires_in):
    # 1e300 s overflowed the sleep ("internal error (a bug)"); 1e9 s waited for years.
    github = FakeGitHub(net, answers=["pending"], interval=interval, expires_in=expires_in)
    result = login_within(net, home, 2)
    assert_fails(result, 10, "timed out after 2 s", "ATOMIC_LOGIN_TIMEOUT")
    assert 1 <= len(github.poll_times) <= 2  # an interval of years is 60 s at most: one poll at the end
    assert tree(home) == set()


def test_a_slow_down_to_an_endless_interval_polls_at_most_a_minute_apart(net, home):
    github = FakeGitHub(net, answers=[("slow_down", 1e300), "pending"], interval=1)
    result = login_within(net, home, 3)
    assert_fails(result, 10, "timed out after 3 s", warnings=False)
    assert len(github.poll_times) == 2  # the first poll, then one at the end: no overflow in between


@pytest.mark.parametrize("field, value", [("interval", "soon"), ("interval", -5), ("interval", [5]),
                                          ("interval", float("nan")), ("expires_in", "later"),
                                          ("expires_in", -1), ("expires_in", True)])
def test_a_device_answer_whose_times_are_not_seconds_is_one_line(net, home, field, value):
    github = FakeGitHub(net, answers=["ok"], **{field: value})
    result = login_within(net, home, 30)
    assert_fails(result, 10, field, "not a number of seconds")
    assert github.poll_times == [] and tree(home) == set()
