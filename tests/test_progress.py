"""Progress on a terminal, silence when piped: the device-code login counts down the time left."""
import os
import re
import select
import subprocess

from conftest import ATOMIC_PY, PYTHON, clean_env, run_atomic
from fake_github import FakeGitHub


def _on_a_terminal(args, env, timeout=30):
    """Run atomic with stderr on a pseudo-terminal; (exit code, what the terminal showed)."""
    master, slave = os.openpty()
    proc = subprocess.Popen([PYTHON, ATOMIC_PY] + args, env=dict(env, TERM="dumb"), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            try:
                chunk = os.read(master, 4096) if ready else b""
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            if not chunk:
                break
            seen += chunk
        return proc.wait(timeout=timeout), seen.decode("utf-8", "replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def test_the_device_code_wait_counts_down_on_a_terminal(net, tmp_path):
    FakeGitHub(net, answers=["pending", "ok"], interval=1, expires_in=600)
    env = clean_env(tmp_path, tmp_path / "agent", **net.env())
    code, screen = _on_a_terminal(["login", "github-copilot", "--enterprise-domain", "github.com"], env)
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
