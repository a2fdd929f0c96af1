"""The Python API for scripts (`import atomic`), run as the README shows it, against stand-ins of
the providers: a key and header lines, a streamed answer with its usage, and an error."""
import os
import re
import subprocess

from conftest import PYTHON, REPO
from llmfakes import Model, responses_events

README = os.path.join(REPO, "README.md")


def readme_example():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    match = re.search(r"<!-- python-example -->\n```python\n(.*?)```\n<!-- /python-example -->", text, re.S)
    assert match, "README.md lost its <!-- python-example --> block"
    return match.group(1)


def run_python(code, env, cwd):
    r = subprocess.run([PYTHON, "-c", code], env=dict(env, PYTHONPATH=REPO), cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=60)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def test_the_readme_example_runs(atomic_env, net, tmp_path):
    api = Model(net, "POST", "api.openai.com", "/v1/responses",
                responses_events("Hello, Bonjour, Hola", usage=(14, 9)))
    env = dict(atomic_env.env, **net.env(), OPENAI_API_KEY="sk-test-openai-000001",
               ANTHROPIC_API_KEY="sk-ant-api03-python-000000001")
    code, out, err = run_python(readme_example(), env, str(tmp_path))
    assert code == 0, err
    assert out.splitlines() == [
        "21 ['anthropic-version', 'x-api-key']",
        "Hello, Bonjour, Hola",
        "14 tokens in, 9 out, $0.000125",
        "atomic said: cannot attach missing.png: No such file or directory 2"]
    assert api.body_of()["input"][-1]["content"][0]["text"] == "Say hello in three languages."
    assert len(api.requests) == 1  # the failing ask sent nothing


def test_leaving_the_loop_early_ends_the_answer_and_threads_share_one_refresh(atomic_env, net, claude):
    import time

    from llmfakes import anthropic_events

    refresh = claude.add_refresh_token("sk-ant-ort01-python-refresh-0001")
    atomic_env.write_auth({"anthropic": {"type": "oauth", "access": "sk-ant-oat01-python-expired-000001",
                                         "refresh": refresh, "expires": int(time.time() * 1000) - 1000}})
    Model(net, "POST", "api.anthropic.com", "/v1/messages", anthropic_events("one two three four five six"))
    script = """
import threading
import atomic
keys, start = [], threading.Barrier(8)

def one():
    start.wait()
    keys.append(atomic.key("claude"))

threads = [threading.Thread(target=one) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(set(keys)), len(keys))
chunks = atomic.stream("anthropic/claude-sonnet-4-5", "count")
for text in chunks:
    print(repr(text))
    break
print(chunks.reply)
reply = atomic.ask("claude", "count", on_text=lambda t: None)
print(reply.provider, reply.model, reply.text, reply.stop_reason)
"""
    code, out, err = run_python(script, dict(atomic_env.env, **net.env()), str(atomic_env.home))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "1 8" and len(claude.token_requests()) == 1
    assert lines[1] == repr("one two t") and lines[2] == "None"  # the first chunk, then no reply
    assert lines[3] == "anthropic claude-sonnet-4-6 one two three four five six stop"
