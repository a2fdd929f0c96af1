"""`atomic login` and `logout` on a real terminal (a pty): the menu, questions asked again after a
wrong answer, Ctrl-D, and the questions before a credential is replaced or a mismatched key stored."""
import json
import os
import re
import time

import pytest

from providers import builtins
from terminal import Terminal

KEY = "gsk_menu-test-key-0123456789"
PROMPT = "Sign in to which (number, id or alias)? "
OAUTH = {"type": "oauth", "access": "sk-ant-oat01-stored-access-0001", "refresh": "rt-stored-0001",
         "expires": int(time.time() * 1000) + 30 * 86400000}  # a month: valid


def _menu_lines(screen):
    """The menu as shown: from the first heading to the prompt, one string a line."""
    lines = screen.replace("\r\n", "\n").split("\n")
    start = lines.index("Subscriptions:")
    end = next(n for n, line in enumerate(lines) if line.startswith(PROMPT))
    return lines[start:end + 1]


def _cells(menu):
    """{number: "name  id" as shown} read off the menu."""
    return {int(n): cell for n, cell in re.findall(r"(\d+)\) (.*?)(?=\s{2,}\d+\)|$)", "\n".join(menu), re.M)}


def _numbers(menu):
    """{id: number} read off the menu (for the ids shown whole)."""
    return {cell.split()[-1]: n for n, cell in _cells(menu).items()}


def _shows(cell, text):
    """Whether a menu cell is `text` with parts cut out (each marked …)."""
    return re.fullmatch(".*".join(re.escape(part) for part in cell.split("…")), text) is not None


def test_the_menu_fits_a_24_line_terminal_with_ids_beside_names(atomic_env):
    atomic_env.write_models({"providers": {"ollama": {"baseUrl": "http://localhost:11434/v1", "name": "Ollama here",
                                                      "api": "openai-completions", "models": [{"id": "llama3"}]}}})
    with Terminal(["login"], atomic_env.env, rows=24, columns=80) as term:
        menu = _menu_lines(term.expect(PROMPT))
        term.write("\x04")
        term.finish()
    assert len(menu) <= 24 - 1 and max(len(line) for line in menu) < 80, "\n".join(menu)
    assert menu[0] == "Subscriptions:"
    assert re.match(r" +1\) Claude Pro/Max .* anthropic$", menu[1])
    assert re.match(r" +2\) ChatGPT Plus/Pro .* openai-codex$", menu[2])
    assert re.match(r" +3\) GitHub Copilot .* github-copilot$", menu[3])
    assert menu[4] == "API keys:"
    cells = _cells(menu[5:-1])
    keyed = sorted([(p.name, p.id) for p in builtins() if "key" in p.auth] + [("Ollama here", "ollama")],
                   key=lambda row: row[0].lower())
    assert sorted(cells) == list(range(4, 4 + len(keyed)))      # every one, custom ones too, by name
    for n, (name, pid) in enumerate(keyed, 4):                  # what does not fit is cut out of the middle
        assert _shows(re.sub(r"\s{2,}", "  ", cells[n].strip()), name + "  " + pid), (cells[n], name, pid)
    assert len(set(cells.values())) == len(cells)              # look-alikes stay apart (issue 22)
    xiaomi = [cell for cell in cells.values() if cell.startswith("Xiaomi")]
    assert any("(Amsterdam)" in cell for cell in xiaomi) and any("(Singapore)" in cell for cell in xiaomi)
    assert "Ollama here" in "\n".join(menu)


def test_a_wrong_answer_is_asked_again_then_a_number_signs_in(atomic_env):
    with Terminal(["login"], atomic_env.env) as term:
        numbers = _numbers(_menu_lines(term.expect(PROMPT))[5:-1])
        term.write("999\r")
        seen = term.then("999 is not on the menu; give a number from 1 to")
        term.expect(PROMPT, after=seen)
        term.write("cloudflare\r")
        seen = term.then("'cloudflare' could be any of: cloudflare-workers-ai")
        term.expect(PROMPT, after=seen)
        term.write("gorq\r")
        seen = term.then("did you mean 'groq'?")
        term.expect(PROMPT, after=seen)
        term.write("%d\r" % numbers["groq"])
        term.expect("Paste your Groq API key (input is hidden): ")
        term.write(KEY + "\r")
        code, output = term.finish()
    assert code == 0, output
    assert KEY not in output
    assert atomic_env.read_auth() == {"groq": {"type": "api_key", "key": KEY}}


@pytest.mark.parametrize("answer, provider", [("huggingface", "huggingface"), ("hf", "huggingface"),
                                              ("grok", "xai")])
def test_the_menu_takes_an_id_or_an_alias(atomic_env, answer, provider):
    with Terminal(["login"], atomic_env.env) as term:
        term.expect(PROMPT)
        term.write(answer + "\r")
        term.expect("API key (input is hidden): ")
        term.write("key-typed-at-the-menu-0001\r")
        code, output = term.finish()
    assert code == 0, output
    assert atomic_env.read_auth() == {provider: {"type": "api_key", "key": "key-typed-at-the-menu-0001"}}


def test_anthropic_chosen_at_the_menu_asks_subscription_or_key_and_asks_again(atomic_env):
    with Terminal(["login"], atomic_env.env) as term:
        term.expect(PROMPT)
        term.write("claude\r")
        term.expect("Sign in to Anthropic with")
        term.expect("Choice [1]: ")
        term.write("3\r")
        seen = term.then("'3' is not a choice; answer 1 or 2.")
        term.expect("Choice [1]: ", after=seen)
        term.write("2\r")
        term.expect("Paste your Anthropic API key")
        term.write("sk-ant-api03-menu-key-000001\r")
        code, output = term.finish()
    assert code == 0, output
    assert atomic_env.read_auth() == {"anthropic": {"type": "api_key", "key": "sk-ant-api03-menu-key-000001"}}


@pytest.mark.parametrize("args, question", [(["login"], PROMPT), (["login", "groq"], "API key (input is hidden): "),
                                            (["login", "anthropic"], "Choice [1]: ")])
def test_ctrl_d_at_any_question_ends_the_login(atomic_env, args, question):
    with Terminal(args, atomic_env.env) as term:
        term.expect(question)
        term.write("\x04")                      # ^D at the start of a line: end of input
        code, output = term.finish()
    assert code == 10, output
    assert "Traceback" not in output and "internal error" not in output
    assert output.replace("\r\n", "\n").rstrip().split("\n")[-1] == "atomic: no answer (end of input)"
    assert not os.path.exists(atomic_env.agent_dir)


def test_a_login_named_with_siblings_mentions_them(atomic_env):
    with Terminal(["login", "minimax"], atomic_env.env) as term:
        term.expect("Also available: `atomic login minimax-cn` for MiniMax (China).")
        term.expect("Paste your MiniMax API key")
        term.write("mm-key-000000000000001\r")
        code, output = term.finish()
    assert code == 0, output


# Replacing a credential, and keys of another provider's shape --------------------------------------

@pytest.mark.parametrize("answer, replaced", [("n", False), ("y", True)])
def test_replacing_a_subscription_with_a_key_asks_first(atomic_env, answer, replaced):
    atomic_env.write_auth({"anthropic": OAUTH})
    before = atomic_env.auth_bytes()
    with Terminal(["login", "anthropic", "--key"], atomic_env.env) as term:
        term.expect("Anthropic already has a subscription (OAuth) login in auth.json.")
        term.expect("Replace it with an API key? [y/N] ")
        term.write(answer + "\r")
        if replaced:
            term.expect("Paste your Anthropic API key")
            term.write("sk-ant-api03-replacing-000001\r")
        code, output = term.finish()
    if replaced:
        assert code == 0, output
        assert "replacing a subscription (OAuth) login stored before" in output
        assert atomic_env.read_auth() == {"anthropic": {"type": "api_key", "key": "sk-ant-api03-replacing-000001"}}
    else:
        assert code == 10 and "not replaced; auth.json is unchanged" in output
        assert "Paste" not in output                # asked before the key, not after
        assert atomic_env.auth_bytes() == before


@pytest.mark.parametrize("answer", ["n", "y"])
def test_a_key_of_another_provider_s_shape_is_questioned_on_a_terminal(atomic_env, answer):
    with Terminal(["login", "openai"], atomic_env.env) as term:
        term.expect("Paste your OpenAI API key")
        term.write("sk-ant-api03-pasted-into-openai-01\r")
        term.expect("this looks like a key for Anthropic (it starts with sk-ant-), not for OpenAI")
        term.expect("Save it for OpenAI anyway? [y/N] ")
        term.write(answer + "\r")
        code, output = term.finish()
    assert "sk-ant-api03-pasted-into-openai-01" not in output
    if answer == "y":
        assert code == 0, output
        assert atomic_env.read_auth()["openai"]["key"] == "sk-ant-api03-pasted-into-openai-01"
    else:
        assert code == 10 and "run `atomic login anthropic`" in output
        assert not os.path.exists(atomic_env.auth_path)


@pytest.mark.parametrize("answer", ["no", "yes"])
def test_logout_all_asks_on_a_terminal(atomic_env, answer):
    stored = {"groq": {"type": "api_key", "key": "gsk_0000000000000001"}, "anthropic": OAUTH}
    atomic_env.write_auth(stored)
    with Terminal(["logout", "--all"], atomic_env.env) as term:
        term.expect("Remove 2 stored credential(s) (groq, anthropic)? [y/N] ")
        term.write("maybe\r")
        seen = term.then("Answer y or n.")
        term.expect("[y/N] ", after=seen)
        term.write(answer + "\r")
        code, output = term.finish()
    assert code == 0, output
    if answer == "yes":
        assert atomic_env.read_auth() == {}
    else:
        assert "Nothing removed." in output
        assert json.loads(atomic_env.auth_bytes()) == stored


def test_a_broken_models_json_leaves_the_built_in_providers_on_the_menu(atomic_env):
    atomic_env.write_models("{broken")
    with Terminal(["login"], atomic_env.env) as term:
        screen = term.expect(PROMPT)
        term.write("groq\r")
        term.expect("Paste your Groq API key")
        term.write(KEY + "\r")
        code, output = term.finish()
    assert "atomic: warning: " in screen and "the menu shows the built-in providers and extensions only" in screen
    assert code == 0, output
    assert atomic_env.read_auth() == {"groq": {"type": "api_key", "key": KEY}}
