"""What `atomic login` does with a pasted key before storing it, and with the entry it would
replace: trimmed, refused with the fix, questioned when shaped like another provider's key, and
never a silent replacement. Here stdin is not a terminal (scripts); tests/test_login_terminal.py
has the questions asked on one."""
import json
import os
import time

import pytest

from conftest import assert_fails

KEY = "gsk_pasted-key-0123456789abcdef"
OAUTH = {"type": "oauth", "access": "sk-ant-oat01-stored-access-0001", "refresh": "rt-stored-0001",
         "expires": int(time.time() * 1000) + 30 * 86400000}  # a month: valid


@pytest.mark.parametrize("pasted", [
    "  %s  \n" % KEY, '"%s"\n' % KEY, "'%s'" % KEY, ' " %s " ' % KEY, "`%s`\n" % KEY,
])
def test_surrounding_whitespace_and_quotes_are_trimmed(atomic_env, pasted):
    r = atomic_env.run("login", "groq", input=pasted)
    assert r.returncode == 0, r.stderr
    assert atomic_env.read_auth() == {"groq": {"type": "api_key", "key": KEY}}


@pytest.mark.parametrize("pasted, fix", [
    ("Bearer " + KEY, "starts with the word Bearer; give only the key, without it"),
    ("bearer\t" + KEY, "starts with the word Bearer"),
    ("export GROQ_API_KEY=" + KEY, "shell assignment (NAME=…); give only the value after the ="),
    ("export groq_key='%s'" % KEY, "shell assignment"),
    ("GROQ_API_KEY=" + KEY, "shell assignment"),
    ("Authorization: Bearer " + KEY, "header line (Name: value); give only the key"),
    ("gsk_one two", "has a space inside; give only the key"),
    ("gsk_one\ttwo", "control characters"),
    (KEY[:10] + "\x1b[200~" + KEY[10:], "control characters"),     # a bracketed-paste marker
    ("gsk_\u20ac" + KEY[4:], "holds the character U+20AC; keys are plain ASCII"),   # what every read refuses
])
def test_what_is_more_than_a_key_is_refused_with_the_fix_and_nothing_is_written(atomic_env, pasted, fix):
    r = atomic_env.run("login", "groq", input=pasted + "\n")
    line = assert_fails(r, 2, "the key on stdin", fix)
    assert KEY not in line and KEY[4:] not in line
    assert not os.path.exists(atomic_env.agent_dir)


def test_the_same_checks_apply_to_api_key_from_stdin_and_file(atomic_env, tmp_path):
    assert_fails(atomic_env.run("key", "groq", "--api-key", "-", input="Bearer " + KEY), 2, "the word Bearer")
    path = tmp_path / "key.txt"
    path.write_text("export GROQ_API_KEY=%s\n" % KEY)
    assert_fails(atomic_env.run("key", "groq", "--api-key-file", str(path)), 2, "shell assignment")
    path.write_text('"%s"\n' % KEY)
    assert atomic_env.run("key", "groq", "--api-key-file", str(path)).stdout == KEY + "\n"


def test_a_command_keeps_its_spaces(atomic_env):
    r = atomic_env.run("login", "groq", input="!printf %s gsk_from-a-command-0001\n")
    assert r.returncode == 0, r.stderr
    assert atomic_env.read_auth()["groq"]["key"] == "!printf %s gsk_from-a-command-0001"
    assert atomic_env.run("key", "groq").stdout == "gsk_from-a-command-0001\n"


def test_a_dollar_kept_literally_is_said_once(atomic_env):
    r = atomic_env.run("login", "groq", input="gsk_a$b$c${D}-0123456789\n")
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("stored as typed; `$NAME` references are written as `$NAME` in auth.json by hand") == 1
    assert atomic_env.run("key", "groq").stdout == "gsk_a$b$c${D}-0123456789\n"
    r = atomic_env.run("login", "xai", input="xai-no-dollar-0123456789\n")
    assert "stored as typed" not in r.stderr


# Keys shaped like another provider's --------------------------------------------------------------

@pytest.mark.parametrize("provider, pasted, owner", [
    ("openai", "sk-ant-api03-AbCdEf0123456789", "anthropic"),
    ("anthropic", "gsk_AbCdEf0123456789AbCdEf", "groq"),
    ("openai", "AIzaSyAbCdEf0123456789AbCdEf", "google"),
    ("mistral", "AIzaSyAbCdEf0123456789AbCdEf", "google"),
    ("groq", "ghp_AbCdEf0123456789AbCdEf0123", "github-copilot"),
    ("deepseek", "github_pat_11AbCdEf0123456789", "github-copilot"),
])
def test_a_key_of_another_provider_s_shape_is_refused_off_a_terminal_unless_forced(atomic_env, provider, pasted, owner):
    r = atomic_env.run("login", provider, input=pasted + "\n")
    line = assert_fails(r, 2, "this looks like a key for", "`atomic login %s`" % owner, "--force")
    assert pasted not in line
    assert not os.path.exists(atomic_env.agent_dir)
    r = atomic_env.run("login", provider, "--force", input=pasted + "\n")
    assert r.returncode == 0, r.stderr
    assert "atomic: warning: this looks like a key for" in r.stderr and "saving it anyway (--force)" in r.stderr
    assert atomic_env.read_auth() == {provider: {"type": "api_key", "key": pasted}}


@pytest.mark.parametrize("provider, pasted", [
    ("google", "AIzaSyAbCdEf0123456789AbCdEf"), ("google-vertex", "AIzaSyAbCdEf0123456789AbCdEf"),
    ("anthropic", "sk-ant-api03-AbCdEf0123456789"), ("openai", "sk-proj-AbCdEf0123456789"),
    ("deepseek", "sk-AbCdEf0123456789AbCdEf"),      # sk- alone belongs to no one
    ("amazon-bedrock", "ABSKQmVkcm9ja0FQSUtleS0wMDAx=="),  # base64 padding is no NAME=value
    ("my-proxy", "sk-ant-api03-AbCdEf0123456789"),  # a custom provider may front anyone's keys
])
def test_keys_of_the_provider_s_own_shape_or_no_known_shape_are_stored(atomic_env, provider, pasted):
    atomic_env.write_models({"providers": {"my-proxy": {"baseUrl": "http://127.0.0.1:9/v1", "api": "anthropic-messages",
                                                        "models": [{"id": "m"}]}}})
    r = atomic_env.run("login", provider, input=pasted + "\n")
    assert r.returncode == 0, r.stderr
    assert "looks like" not in r.stderr
    assert atomic_env.read_auth()[provider]["key"] == pasted


# Replacing what is stored ---------------------------------------------------------------------------

def test_logging_in_over_a_key_says_what_it_replaces(atomic_env):
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "gsk_Q3tZ8wLmN5vB2xKp7RfYwxyz"}})
    r = atomic_env.run("login", "groq", input=KEY + "\n")
    assert r.returncode == 0, r.stderr
    assert "replacing the API key stored before (gsk_…wxyz)" in r.stderr
    assert "Q3tZ8wLmN5vB2xKp7RfY" not in r.stderr
    atomic_env.write_auth({"groq": {"type": "api_key", "key": "$VAULT_GROQ"}})
    r = atomic_env.run("login", "groq", input=KEY + "\n")
    assert "replacing the API key stored before ($VAULT_GROQ)" in r.stderr   # a reference is no secret
    r = atomic_env.run("login", "xai", input="xai-first-key-0000000001\n")
    assert "replacing" not in r.stderr


def test_a_subscription_is_not_replaced_by_a_key_without_force(atomic_env):
    atomic_env.write_auth({"anthropic": OAUTH})
    before = atomic_env.auth_bytes()
    r = atomic_env.run("login", "anthropic", "--key", input="sk-ant-api03-replacing-000001\n")
    assert_fails(r, 2, "anthropic already has a subscription (OAuth) login", "--force", "atomic logout anthropic")
    assert atomic_env.auth_bytes() == before
    r = atomic_env.run("login", "anthropic", "--key", "--force", input="sk-ant-api03-replacing-000001\n")
    assert r.returncode == 0, r.stderr
    assert "replacing a subscription (OAuth) login stored before" in r.stderr
    assert atomic_env.read_auth() == {"anthropic": {"type": "api_key", "key": "sk-ant-api03-replacing-000001"}}


def test_a_key_is_not_replaced_by_a_subscription_without_force_and_nothing_starts(atomic_env):
    # Refused before the browser opens: no network is set up here, and none is needed.
    atomic_env.write_auth({"anthropic": {"type": "api_key", "key": "sk-ant-api03-stored-key-0001"}})
    before = atomic_env.auth_bytes()
    r = atomic_env.run("login", "anthropic", "--oauth", timeout=20)
    assert_fails(r, 2, "anthropic already has an API key in auth.json", "add --force to replace it with a subscription login")
    assert "claude.ai" not in r.stderr
    assert atomic_env.auth_bytes() == before


def test_logout_all_needs_yes_without_a_terminal(atomic_env):
    stored = {"groq": {"type": "api_key", "key": KEY}}
    atomic_env.write_auth(stored)
    assert_fails(atomic_env.run("logout", "--all"), 2, "add --yes to confirm")
    assert json.loads(atomic_env.auth_bytes()) == stored
    r = atomic_env.run("logout", "--all", "--yes")
    assert r.returncode == 0, r.stderr
    assert atomic_env.read_auth() == {}
