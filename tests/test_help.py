"""Every --help ends with two or three real examples: command lines atomic's own parser accepts."""
import shlex

import pytest

from conftest import clean_env, run_atomic

import atomic

COMMANDS = [None] + list(atomic.SUMMARY)
SHELL_PUNCTUATION = set("|&;<>()")


def _examples(help_text):
    lines = help_text.rstrip("\n").splitlines()
    assert "Examples:" in lines, help_text
    start = len(lines) - lines[::-1].index("Examples:")
    return lines[start:]


def _atomic_words(line):
    """The words of the atomic command in an example line (which may pipe, redirect or source)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words = list(lexer)
    at = words.index("atomic")
    rest = []
    for word in words[at + 1:]:
        if set(word) <= SHELL_PUNCTUATION:
            break
        rest.append(word)
    return rest


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c or "atomic")
def test_help_ends_with_two_or_three_examples_that_parse(tmp_path, command):
    r = run_atomic(([command] if command else []) + ["--help"], env=clean_env(tmp_path))
    assert r.returncode == 0, r.stderr
    examples = _examples(r.stdout)
    assert 2 <= len(examples) <= 3, examples
    for line in examples:
        assert line.startswith("  ") and "atomic " in line, line
        command_part = line.strip().split("   ")[0]  # three spaces before the comment
        words = _atomic_words(command_part)
        if command:
            assert words[0] == command, line
        args = atomic.build_parser(words).parse_args(words)   # raises UsageError if not a real command line
        assert args.command == words[0]


def test_the_top_level_help_names_every_command(tmp_path):
    out = run_atomic(["--help"], env=clean_env(tmp_path)).stdout
    for name, summary in atomic.SUMMARY.items():
        assert "    %s" % name in out and summary in " ".join(out.split()), name


@pytest.mark.parametrize("command, where_known", [
    (["key", "openai"], {"expires", "profile", "identity"}),
    (["serve", "token", "create", "ci"], set())])
def test_the_fields_a_json_option_promises_are_the_ones_printed(tmp_path, command, where_known):
    """--json's help names the object's fields: the object has those, and where_known, which the help
    names as the ones present only for some credentials."""
    import json
    import re

    env = dict(clean_env(tmp_path), OPENAI_API_KEY="sk-proj-" + "a" * 40)
    help_text = run_atomic(command[:-1] + ["--help"], env=env).stdout
    promised = re.search(r"--json\s+print \{([^}]*)\}", help_text).group(1)
    r = run_atomic(command + ["--json"], env=env)
    assert r.returncode == 0, r.stderr
    assert {f.strip() for f in promised.split(",")} == set(json.loads(r.stdout)) - where_known, promised
    assert where_known <= set(re.findall(r"\w+", help_text)), help_text
