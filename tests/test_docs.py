"""The documented resolution order, exit codes and fault-injection figures are the ones the code has."""
import os
import re
import subprocess
import sys

from conftest import REPO, run_atomic, clean_env

from providers._auth.chain import CHAIN, describe_order
from providers._core.errors import Exit

README = os.path.join(REPO, "README.md")


def _readme():
    with open(README, encoding="utf-8") as f:
        return f.read()


def _order_block(text):
    match = re.search(r"<!-- resolution-order[^>]*-->\n(.*?)<!-- /resolution-order -->", text, re.S)
    assert match, "README.md lost its <!-- resolution-order --> block"
    return match.group(1).rstrip("\n").splitlines()


def test_chain_is_the_contract_order():
    assert [step.__name__ for step in CHAIN] == [
        "from_cli_option", "from_auth_file", "from_environment", "from_models_json", "from_ambient"]
    lines = describe_order().splitlines()
    assert len(lines) == 5
    needles = ("--api-key", "auth.json", "environment variable", "models.json", "Application Default Credentials")
    for n, (line, needle) in enumerate(zip(lines, needles), 1):
        assert line.startswith("  %d. " % n) and needle in line


def test_readme_states_the_order_of_the_code():
    assert _order_block(_readme()) == describe_order().splitlines()


def test_help_states_the_order_of_the_code(tmp_path):
    expected = describe_order().splitlines()
    for command in ("key", "status"):
        r = run_atomic([command, "--help"], env=clean_env(tmp_path))
        assert r.returncode == 0
        lines = r.stdout.splitlines()
        start = lines.index("Where the credential comes from (first found wins):")
        assert lines[start + 1:start + 1 + len(expected)] == expected, command


def test_readme_exit_codes_are_the_code_s():
    table = re.search(r"## Exit codes\n\n(.*?)\n\n", _readme(), re.S).group(1)
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.M)}
    defined = {value for name, value in vars(Exit).items() if name.isupper()}
    assert documented == defined


def test_help_lists_every_exit_code(tmp_path):
    r = run_atomic(["--help"], env=clean_env(tmp_path))
    epilog = " ".join(r.stdout.split())
    for name, value in vars(Exit).items():
        if name.isupper() and value != Exit.BUG and value != Exit.BROKEN_PIPE:
            assert re.search(r"\b%d [a-z!]" % value, epilog), (name, value)


def test_readme_says_what_claude_subscription_use_costs():
    # The seed's words: third-party use draws from the account's extra usage, billed per token.
    text = " ".join(open(os.path.join(REPO, "README.md"), encoding="utf-8").read().split())
    assert "draws from the account's *extra usage*, billed per token" in text


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    lines = open(README, encoding="utf-8").read().splitlines()
    block = lines[lines.index("```sh") + 1:lines.index("```")]
    assert block[0].startswith("python3 atomic.py login")
    readme_test = block[1].split("#")[0].strip()
    ci = open(os.path.join(REPO, ".ci", "run"), encoding="utf-8").read()
    for piece in ("-m venv .venv", "pip install", "-e '.[test]'", ".venv/bin/python -m pytest -q"):
        assert piece in readme_test and piece in ci, piece


def test_readme_names_every_alias():
    from providers import builtins

    text = _readme()
    section = text[text.index("**Names.**"):text.index("**The menu**")]
    for provider in builtins():
        for alias in provider.aliases:
            assert "`%s`" % alias in section, alias


def test_readme_fault_injection_figures_add_up_to_the_collected_cases():
    block = re.search(r"<!-- fault-injection.*?-->\n(.*?)<!-- /fault-injection -->", _readme(), re.S).group(1)
    rows = [[cell.strip("* ") for cell in line.strip("|").split("|")] for line in block.splitlines()[2:]]
    *classes, total = rows
    for column in (1, 2, 3):
        assert sum(int(row[column]) for row in classes) == int(total[column]), column
    collected = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                                os.path.join(REPO, "tests", "test_faults.py")], capture_output=True, text=True, cwd=REPO)
    assert "%s tests collected" % total[1] in collected.stdout, collected.stdout[-300:]
