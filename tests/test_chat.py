"""The interactive mode through a pseudo-terminal: turns, /model, /fast, /login, Ctrl-C during an
answer, /quit; against loopback stand-ins of the providers' APIs."""
import json
import os
import pty
import re
import select
import signal
import threading
import time

import pytest

from conftest import ATOMIC_PY, PYTHON, assert_fails
from llmfakes import Model, completions_events, responses_events
from oauthfakes import make_jwt


class Terminal:
    """atomic ARGS on a pseudo-terminal: type into it, read what it shows."""

    def __init__(self, args, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: atomic with the pty as its terminal
            os.execve(PYTHON, [PYTHON, ATOMIC_PY] + list(args), env)
        self.seen = ""

    def type(self, text):
        os.write(self.fd, text.encode("utf-8"))

    def expect(self, pattern, timeout=20):
        """Read until `pattern` (a regex) appears after what earlier expects consumed."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.seen)
            if match:
                shown, self.seen = self.seen[:match.end()], self.seen[match.end():]
                return shown
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no %r in %r" % (pattern, self.seen))
            ready, _w, _x = select.select([self.fd], [], [], left)
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    raise AssertionError("the program ended; no %r in %r" % (pattern, self.seen))
                self.seen += data.decode("utf-8", "replace").replace("\r\n", "\n")

    def wait(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.pid = None
                return os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
            ready, _w, _x = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    os.read(self.fd, 65536)
                except OSError:
                    time.sleep(0.05)
        raise AssertionError("still running")

    def close(self):
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


@pytest.fixture
def terminal(atomic_env, net):
    started = []

    def start(*args, **env):
        full = dict(atomic_env.env, TERM="dumb", **net.env())
        full.update(env)
        t = Terminal(args, full)
        started.append(t)
        return t

    yield start
    for t in started:
        t.close()


def codex_entry():
    access = make_jwt({"https://api.openai.com/auth": {"chatgpt_account_id": "acct-7"}, "exp": 9999999999})
    return {"type": "oauth", "access": access, "refresh": "r", "expires": int(time.time() * 1000) + 3600000,
            "accountId": "acct-7"}


def test_a_conversation_with_model_switch_fast_mode_and_ctrl_c(terminal, net, atomic_env):
    atomic_env.write_auth({"openai-codex": codex_entry()})
    with open(os.path.join(atomic_env.agent_dir, "settings.json"), "w") as f:
        json.dump({"defaultProvider": "openai", "defaultModel": "gpt-4o"}, f)
    openai = Model(net, "POST", "api.openai.com", "/v1/responses", responses_events("Hi there!"))
    t = terminal(OPENAI_API_KEY="sk-test-openai-000001")          # `atomic` alone, on a terminal

    t.expect(r"openai/gpt-4o> ")
    t.type("Hello\r")
    shown = t.expect(r"openai/gpt-4o> ")
    assert "Hi there!" in shown and re.search(r"openai/gpt-4o  12 in / 5 out tokens", shown), shown
    t.type("And again\r")
    t.expect(r"openai/gpt-4o> ")
    assert [m["role"] for m in openai.body_of()["input"]] == ["user", "assistant", "user"]
    assert openai.body_of()["input"][1]["content"][0]["text"] == "Hi there!"

    # /model: a numbered list of the models there is a credential for, with search.
    t.type("/model gpt-5.1-codex-m\r")
    listing = t.expect(r"Model number \(Enter keeps openai/gpt-4o\): ")
    number = re.search(r"(\d+)\) openai-codex/gpt-5.1-codex-mini", listing).group(1)
    assert re.search(r"\d+\) openai/gpt-5.1-codex-mini", listing)
    t.type(number + "\r")
    t.expect(r"Now talking to openai-codex/gpt-5.1-codex-mini\.")
    t.expect(r"openai-codex/gpt-5.1-codex-mini> ")

    # /fast: toggles the chat setting, shows both, and the prompt says fast.
    t.type("/fast\r")
    t.expect(r"Codex fast mode: chat on, workflow off")
    t.expect(r"openai-codex/gpt-5.1-codex-mini fast> ")
    assert json.load(open(os.path.join(atomic_env.agent_dir, "settings.json")))["codexFastMode"] == {"chat": True}

    # Ctrl-C while the answer streams: the answer stops, the conversation goes on.
    release = threading.Event()
    text = responses_events("First part. Second part.", model="gpt-5.1-codex-mini", tier="priority")
    split = text.index("event: response.completed")
    codex = Model(net, "POST", "chatgpt.com", "/backend-api/codex/responses",
                  parts=[text[:split].encode(), text[split:].encode()], between=lambda n: n and release.wait(20))
    try:
        t.type("Tell me\r")
        t.expect(r"Second part\.")
        t.type("\x03")
        t.expect(r"\(stopped\)")
        t.expect(r"openai-codex/gpt-5.1-codex-mini fast> ")
    finally:
        release.set()
    first = codex.last
    assert json.loads(first.body)["service_tier"] == "priority"
    assert first.headers["x-codex-routing-hint"] == "model=gpt-5.1-codex-mini;tier=priority"

    codex.parts = None
    codex.body = responses_events("Done.", model="gpt-5.1-codex-mini", tier="priority")
    t.type("Go on\r")
    shown = t.expect(r"openai-codex/gpt-5.1-codex-mini fast> ")
    assert "Done." in shown and "openai-codex/gpt-5.1-codex-mini fast  " in shown
    turns = codex.body_of()["input"]
    # The whole conversation goes on to the new model, with what arrived before Ctrl-C.
    assert [m["role"] for m in turns] == ["user", "assistant"] * 3 + ["user"]
    assert turns[5]["content"][0]["text"] == "First part. Second part."

    t.type("/quit\r")
    assert t.wait() == 0


def test_login_inside_the_session_is_used_by_the_next_message(terminal, net, atomic_env):
    groq = Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", completions_events("Groq here"))
    t = terminal("chat")
    t.expect(r"Type /login to sign in\.")
    t.expect(r"\(no model\)> ")
    t.type("/help\r")
    shown = t.expect(r"\(no model\)> ")
    assert "/model" in shown and "/login" in shown and "/fast" not in shown   # no OpenAI model in scope
    t.type("/login groq\r")
    t.expect(r"input is hidden\): ")
    t.type("gsk_typed-into-the-session-01\r")
    t.expect(r"Now talking to groq/")
    t.expect(r"groq/[^>]+> ")
    t.type("hi\r")
    shown = t.expect(r"groq/[^>]+> ")
    assert "Groq here" in shown
    assert groq.last.headers["Authorization"] == "Bearer gsk_typed-into-the-session-01"
    assert "gsk_typed-into-the-session-01" not in t.seen + shown   # the key was not echoed
    t.type("/fast\r")
    t.expect(r"Codex fast mode is for OpenAI and ChatGPT \(Codex\) models")
    t.expect(r"groq/[^>]+> ")
    # /login takes what `atomic login` takes: a key of another provider's shape is questioned, and
    # a wrong option is a usage line, not the end of the session.
    t.type("/login openai\r")
    t.expect(r"input is hidden\): ")
    t.type("gsk_not-an-openai-key-000001\r")
    t.expect(r"looks like a key for Groq[\s\S]*\[y/N\] ")
    t.type("n\r")
    t.expect(r"groq/[^>]+> ")
    t.type("/login groq --no-such-option\r")
    t.expect(r"unknown option --no-such-option for `/login`")
    t.expect(r"groq/[^>]+> ")   # typed ahead of the prompt, readline's start could drop the Ctrl-D
    t.type("\x04")                                                 # Ctrl-D leaves
    assert t.wait() == 0
    assert "openai" not in atomic_env.read_auth()


def test_an_error_in_a_turn_is_reported_and_the_session_goes_on(terminal, net):
    api = Model(net, "POST", "api.openai.com", "/v1/responses", responses_events("fine now"),
                replies=[(400, {}, {"error": {"message": "Invalid prompt", "type": "invalid_request_error"}})])
    t = terminal("chat", "-m", "openai/gpt-4o", OPENAI_API_KEY="sk-test-openai-000001")
    t.expect(r"openai/gpt-4o> ")
    t.type("bad\r")
    shown = t.expect(r"openai/gpt-4o> ")
    assert "atomic: api.openai.com answered HTTP 400: Invalid prompt" in shown
    t.type("good\r")
    assert "fine now" in t.expect(r"openai/gpt-4o> ")
    assert [m["role"] for m in api.body_of()["input"]] == ["user"]   # the failed turn was forgotten
    t.type("/quit\r")
    assert t.wait() == 0


def test_chat_without_a_terminal_is_a_usage_error(atomic_env):
    assert_fails(atomic_env.run("chat"), 2, "atomic ask")


def test_after_a_browser_login_in_the_session_the_next_line_is_the_conversation_s(terminal, net, atomic_env, claude):
    # The login also waits for a pasted address on stdin; once the browser's callback has won,
    # that reader must stop, or it would take the message typed next.
    from llmfakes import anthropic_events
    from oauthfakes import http_get

    api = Model(net, "POST", "api.anthropic.com", "/v1/messages", anthropic_events("Hello from Claude"))
    t = terminal("chat", ATOMIC_LOGIN_TIMEOUT="30")
    t.expect(r"\(no model\)> ")
    t.type("/login anthropic --oauth\r")
    shown = t.expect(r"paste it here, then press Enter\.")
    url = re.search(r"https://claude\.ai/oauth/authorize\?\S+", shown).group(0)
    assert http_get(claude.authorize(url))[0] == 200
    t.expect(r"Signed in to Anthropic")
    t.expect(r"anthropic/[^>]+> ")
    t.type("hi there\r")
    shown = t.expect(r"anthropic/[^>]+> ")
    assert "Hello from Claude" in shown
    assert api.body_of()["messages"][-1]["content"] == [  # marked for the prompt cache, as the agent does
        {"type": "text", "text": "hi there", "cache_control": {"type": "ephemeral"}}]
    t.type("\x04")
    assert t.wait() == 0


def test_chat_sends_a_copilot_model_to_the_endpoint_its_login_kept_for_it(terminal, net, atomic_env):
    from fake_github import FakeGitHub, copilot_model

    endpoints = {"gpt-5.6": ["/responses", "ws:/responses"], "gpt-4o": ["/responses"]}
    github = FakeGitHub(net, models=[copilot_model(m, endpoints=e) for m, e in endpoints.items()])
    github.serve_models()
    atomic_env.write_auth({"github-copilot": {
        "type": "oauth", "access": "tid=t1;exp=9;proxy-ep=proxy.individual.githubcopilot.com;", "refresh": "gho_x",
        "expires": int(time.time() * 1000) + 3600000, "availableModelIds": ["gpt-4o"], "modelEndpoints": endpoints}})
    atomic_env.write_models({"providers": {"github-copilot": {"models": [{"id": "gpt-5.6"}]}}})
    t = terminal("chat", "-m", "github-copilot/gpt-5.6")
    t.expect(r"github-copilot/gpt-5.6> ")
    t.type("Hello\r")
    assert "/responses gpt-5.6" in t.expect(r"github-copilot/gpt-5.6> ")
    # A model picked from /model's list goes where its login says, too (the catalogue says Chat).
    t.type("/model gpt-4o\r")
    number = re.search(r"(\d+)\) github-copilot/gpt-4o\b", t.expect(r"Model number .*: ")).group(1)
    t.type(number + "\r")
    t.expect(r"github-copilot/gpt-4o> ")
    t.type("Again\r")
    assert "/responses gpt-4o" in t.expect(r"github-copilot/gpt-4o> ")
    assert github.inference == [("/responses", "gpt-5.6"), ("/responses", "gpt-4o")]
    t.type("/quit\r")
    assert t.wait() == 0
