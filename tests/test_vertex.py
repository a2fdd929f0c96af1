"""Google Vertex AI through the real CLI: an API key (express mode), and Application Default
Credentials (a service account's RS256-signed token request, verified here with a key pair made
for the test; gcloud's authorized_user refresh), with Google's token endpoint and Vertex on loopback."""
import json
import time

import pytest

from cloudfakes import verify_jwt
from conftest import assert_fails
from llmfakes import Model, gemini_events
from netfakes import reply
from test_ask import run  # noqa: F401  (the fixture: atomic with the fake network, fast retries)

pytest.importorskip("cryptography", reason="the cryptography package (a test dependency) verifies the JWTs")

PROJECT, LOCATION = "my-proj", "us-central1"
STREAM = "/v1/projects/my-proj/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent"
TOKEN = "ya29.a0-test-access-token-000001"


@pytest.fixture
def service_account(tmp_path):
    from cloudfakes import rsa_key

    pem, public = rsa_key()
    path = tmp_path / "sa.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "sa-project", "private_key_id": "kid-123",
        "private_key": pem, "client_email": "bot@sa-project.iam.gserviceaccount.com", "client_id": "1234",
        "token_uri": "https://oauth2.googleapis.com/token"}))
    return str(path), public


class Google:
    """oauth2.googleapis.com/token: checks each grant as Google does, and hands out tokens."""

    def __init__(self, net, public_key=None, refuse=False):
        self.public_key, self.refuse, self.grants = public_key, refuse, []
        net.hosts.route("POST", "oauth2.googleapis.com", "/token")(self._token)

    def _token(self, req):
        form = req.form()
        self.grants.append(form)
        if self.refuse:
            return reply(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
        if form.get("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            header, claims = verify_jwt(form["assertion"], self.public_key)  # raises on a bad signature
            assert header == {"alg": "RS256", "typ": "JWT", "kid": "kid-123"}
            assert claims["iss"] == "bot@sa-project.iam.gserviceaccount.com"
            assert claims["aud"] == "https://oauth2.googleapis.com/token"
            assert claims["scope"] == "https://www.googleapis.com/auth/cloud-platform"
            assert claims["exp"] - claims["iat"] == 3600 and abs(claims["iat"] - time.time()) < 60
        else:
            assert form == {"grant_type": "refresh_token", "client_id": "cid.apps.googleusercontent.com",
                            "client_secret": "csecret", "refresh_token": "1//refresh-token"}
        return reply(200, {"access_token": TOKEN, "expires_in": 3599, "token_type": "Bearer",
                           "scope": "https://www.googleapis.com/auth/cloud-platform"})


def test_a_service_account_signs_its_token_request_and_vertex_gets_the_bearer(run, net, service_account):
    path, public = service_account
    google = Google(net, public)
    vertex = Model(net, "POST", "us-central1-aiplatform.googleapis.com", STREAM, gemini_events("Hi from Vertex"))
    r = run("ask", "-m", "google-vertex/gemini-2.5-flash", "hi", GOOGLE_APPLICATION_CREDENTIALS=path,
            GOOGLE_CLOUD_PROJECT=PROJECT, GOOGLE_CLOUD_LOCATION=LOCATION)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hi from Vertex\n"
    assert len(google.grants) == 1
    req = vertex.last
    assert req.headers["Authorization"] == "Bearer " + TOKEN and "x-goog-api-key" not in req.headers
    assert req.query == {"alt": "sse"}
    assert vertex.body_of()["contents"] == [{"role": "user", "parts": [{"text": "hi"}]}]


def test_key_prints_a_short_lived_access_token(run, net, service_account):
    path, public = service_account
    Google(net, public)
    env = dict(GOOGLE_APPLICATION_CREDENTIALS=path, GOOGLE_CLOUD_LOCATION=LOCATION)  # the project: the file's
    r = run("key", "vertex", **env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == TOKEN + "\n"
    doc = json.loads(run("key", "vertex", "--json", **env).stdout)
    assert doc["source"] == "Google ADC, service account bot@sa-project.iam.gserviceaccount.com (GOOGLE_APPLICATION_CREDENTIALS)"
    assert doc["headers"] == ["Authorization: Bearer " + TOKEN]
    assert doc["baseUrl"] == ("https://us-central1-aiplatform.googleapis.com/v1/projects/sa-project/locations/"
                              "us-central1/publishers/google")
    assert 3500 < doc["expires"] / 1000 - time.time() < 3600
    assert_fails(run("key", "vertex", "--min-valid", "2h", **env), 12, "less than the 2h")


def test_authorized_user_credentials_from_gcloud_are_refreshed(run, net, atomic_env, tmp_path):
    gcloud = tmp_path / "gcloud"
    gcloud.mkdir()
    (gcloud / "application_default_credentials.json").write_text(json.dumps({
        "type": "authorized_user", "client_id": "cid.apps.googleusercontent.com", "client_secret": "csecret",
        "refresh_token": "1//refresh-token", "quota_project_id": "billing-proj"}))
    google = Google(net)
    vertex = Model(net, "POST", "aiplatform.googleapis.com",
                   "/v1/projects/my-proj/locations/global/publishers/google/models/gemini-2.5-flash:streamGenerateContent",
                   gemini_events("Global hello"))
    env = dict(CLOUDSDK_CONFIG=str(gcloud), GOOGLE_CLOUD_PROJECT=PROJECT, GOOGLE_CLOUD_LOCATION="global")
    r = run("ask", "-m", "vertex/gemini-2.5-flash", "hi", **env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Global hello\n"
    assert google.grants[0]["grant_type"] == "refresh_token"
    assert vertex.last.headers["x-goog-user-project"] == "billing-proj"
    explain = run("key", "vertex", "--explain", **env)
    assert explain.returncode == 0, explain.stderr
    assert "skipped  environment: GOOGLE_CLOUD_API_KEY not set" in explain.stderr
    assert "using    Google ADC, user credentials (%s/application_default_credentials.json), valid for" % gcloud \
        in explain.stderr
    # Listings find the credentials without asking Google for a token.
    before = len(google.grants)
    status = run("status", "--json", **env)
    [row] = [row for row in json.loads(status.stdout)["providers"] if row["id"] == "google-vertex"]
    assert row["credential"] == "access token, made when used" and len(google.grants) == before


def test_a_refused_refresh_token_is_log_in_again(run, net, tmp_path):
    gcloud = tmp_path / "gcloud"
    gcloud.mkdir()
    (gcloud / "application_default_credentials.json").write_text(json.dumps({
        "type": "authorized_user", "client_id": "c", "client_secret": "s", "refresh_token": "1//gone"}))
    Google(net, refuse=True)
    r = run("key", "vertex", CLOUDSDK_CONFIG=str(gcloud), GOOGLE_CLOUD_PROJECT=PROJECT, GOOGLE_CLOUD_LOCATION=LOCATION)
    assert_fails(r, 5, "oauth2.googleapis.com refused the Application Default Credentials", "invalid_grant")


def test_an_api_key_uses_express_mode(run, net):
    vertex = Model(net, "POST", "aiplatform.googleapis.com",
                   "/v1/publishers/google/models/gemini-2.5-flash:streamGenerateContent", gemini_events("Express"))
    r = run("ask", "-m", "google-vertex/gemini-2.5-flash", "hi", GOOGLE_CLOUD_API_KEY="AIzaSyTEST-vertex-key-0001")
    assert r.returncode == 0, r.stderr
    assert vertex.last.headers["x-goog-api-key"] == "AIzaSyTEST-vertex-key-0001"
    assert "Authorization" not in vertex.last.headers


@pytest.mark.parametrize("env, needle", [
    ({"GOOGLE_CLOUD_LOCATION": LOCATION}, "Vertex AI needs a project"),
    ({"GOOGLE_CLOUD_PROJECT": PROJECT}, "Vertex AI needs a location"),
])
def test_a_missing_project_or_location_is_named_before_any_request(run, net, tmp_path, env, needle):
    gcloud = tmp_path / "gcloud"
    gcloud.mkdir()
    (gcloud / "application_default_credentials.json").write_text(json.dumps({
        "type": "authorized_user", "client_id": "c", "client_secret": "s", "refresh_token": "r"}))
    r = run("ask", "-m", "vertex/gemini-2.5-flash", "hi", CLOUDSDK_CONFIG=str(gcloud), **env)
    assert_fails(r, 3, needle, "atomic login google-vertex --env")
    assert net.hosts.requests == []


def test_a_named_credentials_file_that_is_missing_or_broken_is_an_error(run, tmp_path):
    assert_fails(run("key", "vertex", GOOGLE_APPLICATION_CREDENTIALS=str(tmp_path / "nope.json")), 4,
                 "GOOGLE_APPLICATION_CREDENTIALS=", "no such file")
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "service_account", "client_email": "x@y", "private_key": "not a key"}')
    r = run("key", "vertex", GOOGLE_APPLICATION_CREDENTIALS=str(broken), GOOGLE_CLOUD_PROJECT=PROJECT,
            GOOGLE_CLOUD_LOCATION=LOCATION)
    assert_fails(r, 4, "private_key is not a PEM private key")
    other = tmp_path / "external.json"
    other.write_text('{"type": "external_account"}')
    assert_fails(run("key", "vertex", GOOGLE_APPLICATION_CREDENTIALS=str(other)), 3, "external_account")


def test_status_check_counts_tokens_with_the_adc_token(run, net, service_account):
    path, public = service_account
    Google(net, public)
    seen = []

    @net.hosts.route("POST", "aiplatform.eu.rep.googleapis.com",
                     "/v1/projects/sa-project/locations/eu/publishers/google/models/gemini-2.5-flash:countTokens")
    def count(req):
        seen.append(req)
        return reply(200, {"totalTokens": 1, "totalBillableCharacters": 4})

    r = run("status", "--check", "google-vertex", GOOGLE_APPLICATION_CREDENTIALS=path, GOOGLE_CLOUD_LOCATION="eu")
    assert r.returncode == 0, r.stdout + r.stderr
    assert seen[0].headers["Authorization"] == "Bearer " + TOKEN
    assert seen[0].json() == {"contents": [{"role": "user", "parts": [{"text": "ping"}]}]}


def test_exec_gives_the_sdks_the_project_not_the_token(run, net, service_account):
    path, public = service_account
    Google(net, public)
    r = run("exec", "vertex", "--", "/bin/sh", "-c",
            'printf "%s|%s|%s|%s" "$GOOGLE_CLOUD_PROJECT" "$GOOGLE_CLOUD_LOCATION" "$GOOGLE_APPLICATION_CREDENTIALS" '
            '"$GOOGLE_GENAI_USE_VERTEXAI"', GOOGLE_APPLICATION_CREDENTIALS=path, GOOGLE_CLOUD_LOCATION=LOCATION)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "sa-project|us-central1|%s|true" % path


def test_login_stores_settings_for_adc_without_a_key(run, atomic_env, tmp_path):
    r = run("login", "google-vertex", "--env", "GOOGLE_CLOUD_PROJECT=stored-proj", "--env",
            "GOOGLE_CLOUD_LOCATION=europe-west4", input="")
    assert r.returncode == 0, r.stderr
    assert atomic_env.read_auth() == {"google-vertex": {"type": "api_key", "env": {
        "GOOGLE_CLOUD_PROJECT": "stored-proj", "GOOGLE_CLOUD_LOCATION": "europe-west4"}}}
    gcloud = tmp_path / "gcloud"
    gcloud.mkdir()
    (gcloud / "application_default_credentials.json").write_text(json.dumps({
        "type": "authorized_user", "client_id": "c", "client_secret": "s", "refresh_token": "r"}))
    doc = json.loads(run("status", "--json", CLOUDSDK_CONFIG=str(gcloud)).stdout)
    [row] = [row for row in doc["providers"] if row["id"] == "google-vertex"]
    assert row["source"].startswith("Google ADC, user credentials") and "problem" not in row
    assert_fails(run("login", "google-vertex", input=""), 2, "nothing to save")


def test_a_long_lived_process_uses_the_credentials_file_as_it_is_now(net, atomic_env, tmp_path):
    # atomic serve keeps an ADC token for the hour it lasts, but only for the credentials it was
    # made from: after `gcloud auth application-default login` as someone else, the next request
    # goes as them, not on the old account's token.
    from serving import Served, make_token

    def adc(who):
        path = tmp_path / "adc.json"
        path.write_text(json.dumps({"type": "authorized_user", "client_id": "cid.apps.googleusercontent.com",
                                    "client_secret": "csecret", "refresh_token": "1//refresh-" + who}))
        return str(path)

    @net.hosts.route("POST", "oauth2.googleapis.com", "/token")
    def token(req):
        who = req.form()["refresh_token"].rsplit("-", 1)[1]
        return reply(200, {"access_token": "ya29.token-of-" + who, "expires_in": 3599, "token_type": "Bearer"})

    vertex = Model(net, "POST", "us-central1-aiplatform.googleapis.com", STREAM, gemini_events("Hi"))
    client = make_token(atomic_env)
    served = Served(dict(atomic_env.env, **dict(net.env(), GOOGLE_APPLICATION_CREDENTIALS=adc("alice"),
                                                 GOOGLE_CLOUD_PROJECT=PROJECT, GOOGLE_CLOUD_LOCATION=LOCATION)))
    try:
        said = []
        for who in ("alice", "alice", "bob"):
            adc(who)
            status, _headers, body = served.call("POST", "/v1/chat/completions", token=client, body={
                "model": "google-vertex/gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]})
            assert status == 200, body
            said.append(vertex.last.headers["Authorization"])
    finally:
        served.kill()
    assert said == ["Bearer ya29.token-of-alice"] * 2 + ["Bearer ya29.token-of-bob"]
