"""`atomic completion`: the scripts load in real shells and complete what atomic knows at that moment."""
import os
import select
import shutil
import subprocess
import time

import pytest

from conftest import assert_fails, atomic_command

import atomic

SHELLS = [shell for shell in ("bash", "zsh", "fish") if shutil.which(shell)]  # bash always; zsh, fish where installed
MODELS = {"providers": {"ollama": {"baseUrl": "http://localhost:11434/v1", "api": "openai-completions",
                                   "models": [{"id": "llama3.1:8b"}, {"id": "llama3.1:70b"}]}}}


@pytest.fixture
def shell_env(atomic_env, tmp_path):
    """atomic_env.env with an `atomic` command on PATH (this checkout) and a models.json."""
    bin_dir = atomic_command(tmp_path / "bin")
    atomic_env.write_models(MODELS)
    env = dict(atomic_env.env, PATH="%s:%s" % (bin_dir, atomic_env.env.get("PATH", "/usr/bin:/bin")),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    return env


def ask(atomic_env, *words):
    """What `--complete words` answers for the words after `atomic` (the last one being typed)."""
    r = atomic_env.run("completion", "--complete", "words", input="".join(w + "\n" for w in words))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return [line.split("\t")[0] for line in r.stdout.splitlines()]


def test_words_offered_at_each_place(atomic_env):
    atomic_env.write_models(MODELS)
    assert ask(atomic_env, "") == list(atomic.COMMANDS)
    assert ask(atomic_env, "--v") == ["--version"]
    assert ask(atomic_env, "key", "op") == ["openai", "openai-codex", "openrouter", "opencode", "opencode-go"]
    assert ask(atomic_env, "key", "oll") == ["ollama"]                       # custom providers too
    assert "--min-valid" in ask(atomic_env, "key", "openai", "--")
    assert ask(atomic_env, "key", "openai", "--api-key-file", "") == [":files"]
    assert ask(atomic_env, "key", "openai", "--min-valid", "") == []         # nothing to guess
    assert ask(atomic_env, "models", "ollama/") == ["ollama/llama3.1:8b", "ollama/llama3.1:70b"]
    assert ask(atomic_env, "ask", "--model=ollama/llama3.1:7") == ["--model=ollama/llama3.1:70b"]  # --opt=value
    assert ask(atomic_env, "key", "--explain=x") == []                        # a flag takes no value
    assert ask(atomic_env, "status", "--check", "openai", "gr") == ["groq", "grok"]   # aliases too
    assert ask(atomic_env, "key", "cla") == ["claude"]
    assert ask(atomic_env, "exec", "openai", "anth") == ["anthropic"]
    assert ask(atomic_env, "exec", "openai", "--", "") == [":commands"]
    assert ask(atomic_env, "exec", "openai", "--", "ls", "") == [":files"]
    assert ask(atomic_env, "completion", "") == ["bash", "zsh", "fish"]
    assert ask(atomic_env, "completion", "--list", "") == ["providers", "models"]
    assert ask(atomic_env, "tru") == ["trust"]
    assert ask(atomic_env, "trust", "--") == ["--help", "--yes", "--list", "--json"]
    assert ask(atomic_env, "trust", "") == [":files"] == ask(atomic_env, "untrust", "")  # DIR
    assert ask(atomic_env, "nosuch", "") == []
    assert ask(atomic_env, "serve", "") == ["token", "env"]                   # commands within a command
    assert ask(atomic_env, "serve", "token", "") == ["create", "list", "revoke"]
    assert ask(atomic_env, "serve", "token", "create", "ci", "--provider", "anth") == ["anthropic"]
    assert "--expires" in ask(atomic_env, "serve", "token", "create", "ci", "--")
    assert ask(atomic_env, "serve", "env", "c") == ["codex", "claude"]
    assert "--max-concurrent" in ask(atomic_env, "serve", "--")
    assert "--complete" not in ask(atomic_env, "completion", "--")            # internal, not offered


def test_lists_read_models_json_at_that_moment_and_never_fail(atomic_env):
    r = atomic_env.run("completion", "--list", "providers")
    assert r.returncode == 0 and "ollama" not in r.stdout.split()
    atomic_env.write_models(MODELS)
    assert "ollama" in atomic_env.run("completion", "--list", "providers").stdout.split()
    models = atomic_env.run("completion", "--list", "models").stdout.split()
    assert "ollama/llama3.1:8b" in models and "anthropic/claude-sonnet-4-5" in models
    atomic_env.write_models("{ not json")
    r = atomic_env.run("completion", "--list", "providers")
    assert r.returncode == 0 and "openai" in r.stdout.split() and r.stderr == ""


def test_the_shell_must_be_named(atomic_env):
    assert_fails(atomic_env.run("completion"), 2, "atomic completion bash")
    assert_fails(atomic_env.run("completion", "tcsh"), 2, "invalid choice")


def test_bash_script_loads(shell_env):
    r = subprocess.run(["bash", "-c", "source <(atomic completion bash) && complete -p atomic"], env=shell_env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 0 and r.stdout.decode().strip() == "complete -F _atomic atomic", r.stderr


def test_bash_function_fills_compreply(shell_env):
    # What bash gives the function for `atomic models ollama/llama3.1:7` (":" is a word break).
    script = ('source <(atomic completion bash)\n'
              'COMP_LINE="atomic models ollama/llama3.1:7"; COMP_POINT=${#COMP_LINE}\n'
              'COMP_WORDS=(atomic models ollama/llama3.1 : 7); COMP_CWORD=4\n'
              '_atomic; printf "%s\\n" "${COMPREPLY[@]}"\n'
              'COMP_LINE="atomic key op"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(atomic key op); COMP_CWORD=2\n'
              '_atomic; printf "%s\\n" "${COMPREPLY[@]}"\n'
              'COMP_LINE="atomic ask --model=ollama/llama3.1:7"; COMP_POINT=${#COMP_LINE}\n'
              'COMP_WORDS=(atomic ask --model = ollama/llama3.1 : 7); COMP_CWORD=6\n'
              '_atomic; printf "%s\\n" "${COMPREPLY[@]}"\n')
    r = subprocess.run(["bash", "-c", script], env=shell_env, stdout=subprocess.PIPE, timeout=30)
    assert r.stdout.decode().split() == ["70b", "openai", "openai-codex", "openrouter", "opencode", "opencode-go",
                                         "70b"]


@pytest.mark.skipif("zsh" not in SHELLS, reason="zsh is not installed")
def test_zsh_script_loads(shell_env):
    r = subprocess.run(["zsh", "-f", "-c", "autoload -U compinit && compinit -u -d $HOME/.zcompdump && "
                                          "source <(atomic completion zsh) && print -r -- ${_comps[atomic]}"],
                       env=shell_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 0 and r.stdout.decode().strip() == "_atomic", r.stderr


@pytest.mark.skipif("fish" not in SHELLS, reason="fish is not installed")
def test_fish_script_completes(shell_env):
    r = subprocess.run(["fish", "--no-config", "-c", "atomic completion fish | source; "
                        "complete -C 'atomic key op'; complete -C 'atomic models ollama/llama3.1:'"],
                       env=shell_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert "openai\tOpenAI" in lines and "openai-codex\tChatGPT Plus/Pro (Codex)" in lines
    assert "ollama/llama3.1:8b\tllama3.1:8b" in lines


class _Shell:
    """An interactive shell on a pseudo-terminal, to press Tab the way a person does."""

    def __init__(self, argv, env):
        self.master, slave = os.openpty()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=dict(env, TERM="dumb"),
                                     start_new_session=True)
        os.close(slave)
        self.seen = b""

    def type(self, text):
        os.write(self.master, text.encode())

    def expect(self, text, timeout=20):
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen:
            assert time.monotonic() < deadline, self.seen.decode("utf-8", "replace")
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:
                    break

    def close(self):
        self.proc.kill()
        self.proc.wait()
        os.close(self.master)


@pytest.mark.parametrize("shell", [s for s in SHELLS if s != "fish"])  # fish is driven by `complete -C` above
def test_tab_completes_in_an_interactive_shell(shell_env, shell):
    argv = {"bash": ["bash", "--norc", "--noprofile", "-i"], "zsh": ["zsh", "-f", "-i"]}[shell]
    setup = {"bash": "source <(atomic completion bash)",
             "zsh": "autoload -U compinit; compinit -u -d $HOME/.zcompdump; source <(atomic completion zsh)"}[shell]
    term = _Shell(argv, dict(shell_env, PS1="$ "))
    try:
        term.type(setup + "; echo load''ed\n")
        term.expect("loaded")
        term.type("atomic key openai-c\t")
        term.expect("atomic key openai-codex ")
        term.type("\x15atomic models ollama/llama3.1:7\t")    # ^U clears the line
        term.expect("atomic models ollama/llama3.1:70b ")
    finally:
        term.close()
