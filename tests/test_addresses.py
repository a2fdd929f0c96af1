"""A setting that becomes part of an address (a resource name, a region, a project, a location, a
base URL) never moves a credential to another host: each is checked where it is given (`login
--env`, the prompts) and where it is used, through the real CLI. The stand-in network answers for
other.example.com and every name under it, and records what reaches them."""
import json
import os

import pytest

from conftest import assert_fails
from llmfakes import Model, responses_events
from netfakes import reply
from terminal import Terminal
from test_ask import run  # noqa: F401  (the fixture: atomic with the fake network)

AZURE_KEY = "0123456789abcdef0123456789abcdef"
BEDROCK_KEY = "bedrock-api-key-0123456789abcdef"
GOOGLE_TOKEN = "ya29.a0-test-access-token-000001"


def stolen(net):
    """Every request that reached other.example.com or a host under it."""
    return [r for r in net.hosts.requests if r.host == "other.example.com" or r.host.endswith(".other.example.com")]


def adc(tmp_path, net, **extra):
    """gcloud's authorized_user credentials, and a Google token endpoint that honours them."""
    gcloud = tmp_path / "gcloud"
    gcloud.mkdir()
    (gcloud / "application_default_credentials.json").write_text(json.dumps(dict({
        "type": "authorized_user", "client_id": "cid.apps.googleusercontent.com", "client_secret": "csecret",
        "refresh_token": "1//refresh-token"}, **extra)))
    net.hosts.route("POST", "oauth2.googleapis.com", "/token")(
        lambda req: reply(200, {"access_token": GOOGLE_TOKEN, "expires_in": 3599, "token_type": "Bearer"}))
    return {"CLOUDSDK_CONFIG": str(gcloud)}


# (model, environment, the setting named) for settings in the environment that would re-point the host.
AT_USE = {
    "azure resource name": ("azure/gpt-4o", dict(AZURE_OPENAI_API_KEY=AZURE_KEY,
                                                 AZURE_OPENAI_RESOURCE_NAME="other.example.com/x#"),
                            "AZURE_OPENAI_RESOURCE_NAME (environment)"),
    "azure base URL with a user": ("azure/gpt-4o", dict(AZURE_OPENAI_API_KEY=AZURE_KEY,
                                                        AZURE_OPENAI_BASE_URL="https://myres.openai.azure.com@other.example.com/"),
                                   "AZURE_OPENAI_BASE_URL (environment)"),
    "azure base URL with a fragment": ("azure/gpt-4o", dict(AZURE_OPENAI_API_KEY=AZURE_KEY,
                                                            AZURE_OPENAI_BASE_URL="https://other.example.com#myres.openai.azure.com/openai/v1"),
                                       "AZURE_OPENAI_BASE_URL (environment)"),
    "bedrock region": ("bedrock/anthropic.claude-haiku-4-5-20251001-v1:0",
                       dict(AWS_BEARER_TOKEN_BEDROCK=BEDROCK_KEY, AWS_REGION="other.example.com/x"),
                       "AWS_REGION (environment)"),
    "bedrock default region": ("bedrock/anthropic.claude-haiku-4-5-20251001-v1:0",
                               dict(AWS_BEARER_TOKEN_BEDROCK=BEDROCK_KEY, AWS_DEFAULT_REGION="other.example.com#"),
                               "AWS_DEFAULT_REGION (environment)"),
    "vertex location": ("vertex/gemini-2.5-flash", dict(GOOGLE_CLOUD_PROJECT="p1",
                                                        GOOGLE_CLOUD_LOCATION="other.example.com/x"),
                        "GOOGLE_CLOUD_LOCATION (environment)"),
    "vertex project": ("vertex/gemini-2.5-flash", dict(GOOGLE_CLOUD_PROJECT="p1:8443@other.example.com",
                                                       GOOGLE_CLOUD_LOCATION="us-central1"),
                       "GOOGLE_CLOUD_PROJECT (environment)"),
    "vertex legacy project variable": ("vertex/gemini-2.5-flash", dict(GCLOUD_PROJECT="p1#",
                                                                       GOOGLE_CLOUD_LOCATION="us-central1"),
                                       "GCLOUD_PROJECT (environment)"),
}


@pytest.mark.parametrize("case", sorted(AT_USE))
def test_a_setting_that_would_move_the_host_is_refused_before_any_request(run, net, tmp_path, case):
    model, env, named = AT_USE[case]
    if model.startswith("vertex/"):
        env = dict(env, **adc(tmp_path, net))
    net.hosts.route("POST", "other.example.com", "/x")(lambda req: reply(200, {}))
    r = run("ask", "-m", model, "hi", **env)
    assert_fails(r, 2, named)
    assert stolen(net) == [] and [q for q in net.hosts.requests if "aiplatform" in q.host] == []


def test_a_file_s_project_that_would_move_the_path_is_a_bad_file(run, net, tmp_path):
    env = adc(tmp_path, net, quota_project_id="billing/../../other#")
    r = run("ask", "-m", "vertex/gemini-2.5-flash", "hi", GOOGLE_CLOUD_LOCATION="us-central1", **env)
    assert_fails(r, 4, "application_default_credentials.json: quota_project_id")
    assert [q for q in net.hosts.requests if "aiplatform" in q.host] == []


def test_a_stored_setting_is_checked_at_use_too(run, net, atomic_env):
    # Written by another tool (or by hand): atomic's own login would not store it.
    atomic_env.write_auth({"azure-openai-responses": {"type": "api_key", "key": AZURE_KEY,
                                                      "env": {"AZURE_OPENAI_RESOURCE_NAME": "other.example.com/x#"}}})
    for args in (("ask", "-m", "azure/gpt-4o", "hi"), ("key", "azure", "--json"), ("status", "--check", "azure"),
                 ("exec", "azure", "--", "true")):
        r = run(*args)
        assert r.returncode in (4, 11), (args, r.stdout, r.stderr)
        assert "AZURE_OPENAI_RESOURCE_NAME (stored with the azure-openai-responses entry in auth.json)" in (
            r.stdout + r.stderr), (args, r.stdout, r.stderr)
    assert stolen(net) == []


def test_a_good_setting_still_reaches_its_own_host(run, net):
    azure = Model(net, "POST", "myres.openai.azure.com", "/openai/v1/responses", responses_events("fine"))
    r = run("ask", "-m", "azure/gpt-4o", "hi", AZURE_OPENAI_API_KEY=AZURE_KEY,
            AZURE_OPENAI_BASE_URL="https://myres.openai.azure.com/openai/v1/responses?api-version=preview")
    assert (r.returncode, r.stdout) == (0, "fine\n"), r.stderr
    assert azure.last.headers["api-key"] == AZURE_KEY


# At login: --env, the prompt, stdin ------------------------------------------------------------

@pytest.mark.parametrize("provider, setting", [
    ("azure", "AZURE_OPENAI_RESOURCE_NAME=other.example.com/x#"),
    ("azure", "AZURE_OPENAI_BASE_URL=https://myres.openai.azure.com\\@other.example.com/"),
    ("amazon-bedrock", "AWS_REGION=us-east-1.other.example.com#"),
    ("google-vertex", "GOOGLE_CLOUD_LOCATION=other.example.com/x"),
    ("llama.cpp", "LLAMA_BASE_URL=http://user@127.0.0.1:9/"),
])
def test_login_refuses_an_address_setting_that_would_move_the_host(run, net, atomic_env, provider, setting):
    r = run("login", provider, "--env", setting, input=AZURE_KEY)
    assert_fails(r, 2, "--env " + setting.split("=")[0])
    assert not os.path.exists(atomic_env.auth_path)
    assert net.hosts.requests == []


def test_login_refuses_an_account_id_typed_at_the_prompt(atomic_env):
    with Terminal(["login", "cloudflare-ai-gateway"], atomic_env.env) as term:
        term.expect("API key (input is hidden): ")
        term.write("cf-token-0123456789abcdefghijklmnop\r")
        term.expect("CLOUDFLARE_ACCOUNT_ID for Cloudflare AI Gateway: ")
        term.write("other.example.com/x#\r")
        code, output = term.finish()
    assert code == 2, output
    assert "the CLOUDFLARE_ACCOUNT_ID typed may hold only letters" in output
    assert not os.path.exists(atomic_env.auth_path)


def test_llama_cpp_login_refuses_an_address_with_a_user_on_stdin(run, net, atomic_env):
    r = run("login", "llama.cpp", input="http://me@other.example.com:8080\n")
    assert r.returncode == 2 and r.stdout == "", r.stderr
    last = r.stderr.splitlines()[-1]
    assert last.startswith("atomic: the address on stdin") and "names a user before the host" in last, last
    assert stolen(net) == [] and not os.path.exists(atomic_env.auth_path)


def test_a_service_account_token_uri_that_hides_its_host_is_a_bad_file(run, net, tmp_path):
    pytest.importorskip("cryptography", reason="the cryptography package (a test dependency) makes the key")
    from cloudfakes import rsa_key

    pem, _public = rsa_key()
    path = tmp_path / "sa.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "sa-project", "private_key_id": "kid-123", "private_key": pem,
        "client_email": "bot@sa-project.iam.gserviceaccount.com",
        "token_uri": "https://other.example.com#oauth2.googleapis.com/token"}))
    net.hosts.route("POST", "other.example.com", "/")(lambda req: reply(200, {"access_token": "stolen"}))
    r = run("key", "vertex", GOOGLE_APPLICATION_CREDENTIALS=str(path), GOOGLE_CLOUD_LOCATION="us-central1")
    assert_fails(r, 4, "sa.json: token_uri", "holds a #")
    assert stolen(net) == []
