"""Progress on a terminal, silence when piped: the device-code login counts down the time left."""
import re

from conftest import clean_env, run_atomic, stderr_on_a_terminal
from fake_github import FakeGitHub


def test_the_device_code_wait_counts_down_on_a_terminal(net, tmp_path):
    FakeGitHub(net, answers=["pending", "ok"], interval=1, expires_in=600)
    env = clean_env(tmp_path, tmp_path / "agent", **net.env())
    code, screen, _stdout = stderr_on_a_terminal(["login", "github-copilot", "--enterprise-domain", "github.com"], env)
    assert code == 0, screen
    assert "https://github.com/login/device" in screen and "ABCD-1234" in screen
    shown = re.findall(r"(\d+):(\d\d) left to enter the code", screen)
    seconds = [int(m) * 60 + int(s) for m, s in shown]
    assert len(set(seconds)) >= 2 and seconds == sorted(seconds, reverse=True), shown
    assert seconds[0] <= 600 and seconds[-1] >= 590
    # The countdown line is blanked out before the next message is written over it.
    last = screen.rstrip("\r\n").split("\n")[-1].split("\r")
    assert last[-1].startswith("Signed in to GitHub Copilot") and last[-2].strip() == "", last


def test_piped_there_is_no_countdown(net, tmp_path):
    FakeGitHub(net, answers=["ok"], interval=1)
    r = run_atomic(["login", "github-copilot", "--enterprise-domain", "github.com"],
                   env=clean_env(tmp_path, tmp_path / "agent", **net.env()))
    assert r.returncode == 0, r.stderr
    assert "left to enter" not in r.stderr and "\r" not in r.stderr
