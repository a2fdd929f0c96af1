"""Amazon Bedrock through the real CLI: ConverseStream over urllib with a Bedrock API key (the AWS
event-stream framing decoded, both CRCs checked), and, with botocore installed, SigV4 requests
from the AWS chain (checked with botocore's own signer; IRSA against moto's STS on loopback)."""
import json
import os
import subprocess
import sys

import pytest

from cloudfakes import bedrock_events, event, exception, frame
from conftest import assert_fails
from netfakes import reply, stream

from providers._core.errors import NetworkError
from providers._wire.eventstream import messages

KEY = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLTAwMDAwMDAx"  # the shape of a Bedrock API key
HAIKU = "anthropic.claude-3-5-haiku-20241022-v1:0"
NOVA = "amazon.nova-lite-v1:0"
ENCODED_HAIKU = "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream"
HAIKU_45 = "anthropic.claude-haiku-4-5-20251001-v1:0"
ENCODED_HAIKU_45 = "/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/converse-stream"
HAS_BOTOCORE = True
try:
    import botocore  # noqa: F401
except ImportError:
    HAS_BOTOCORE = False
needs_botocore = pytest.mark.skipif(not HAS_BOTOCORE, reason="boto3/botocore is not installed (pip install boto3): "
                                                             "the SigV4 tests need botocore's signer")


class Bedrock:
    """A bedrock-runtime host answering ConverseStream with event-stream frames."""

    def __init__(self, net, host="bedrock-runtime.us-east-1.amazonaws.com", frames=None, status=200, body=None):
        self.frames = frames if frames is not None else bedrock_events("Hello from Bedrock")
        self.status, self.body, self.requests = status, body, []
        self.host = host
        net.hosts.routes_any = getattr(net.hosts, "routes_any", {})
        for path in (ENCODED_HAIKU, ENCODED_HAIKU_45, "/model/amazon.nova-lite-v1%3A0/converse-stream",
                     "/model/arn%3Aaws%3Abedrock%3Aeu-west-3%3A123456789012%3Aapplication-inference-profile"
                     "%2Fabc123/converse-stream", "/vpc/model/amazon.nova-lite-v1%3A0/converse-stream"):
            net.hosts.route("POST", host, path)(self._answer)

    def _answer(self, req):
        self.requests.append(req)
        if self.status != 200:
            return reply(self.status, self.body, {"x-amzn-ErrorType": "AccessDeniedException"})
        return stream(req, self.frames, headers={"Content-Type": "application/vnd.amazon.eventstream"})

    @property
    def last(self):
        return self.requests[-1]


@pytest.fixture
def run(atomic_env, net):
    def go(*args, input=None, python=None, **env):
        full = dict(net.env(), ATOMIC_RETRY_BACKOFF="0.05", ATOMIC_FIRST_BYTE_TIMEOUT="20", ATOMIC_IDLE_TIMEOUT="20",
                    AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                    AWS_EC2_METADATA_DISABLED="true")
        full.update(env)
        popen = {"python": python} if python else {}
        return atomic_env.run(*args, input=input, env=full, **popen)
    return go


@pytest.fixture
def without_botocore(tmp_path):
    """An interpreter that cannot import botocore: this one with no site-packages (-S)."""
    wrapper = tmp_path / "python-without-site"
    wrapper.write_text("#!/bin/sh\nexec %s -S \"$@\"\n" % sys.executable)
    wrapper.chmod(0o755)
    probe = subprocess.run([str(wrapper), "-c", "import botocore"], stderr=subprocess.DEVNULL)
    assert probe.returncode != 0
    return str(wrapper)


# The decoder, against frames built here --------------------------------------------------

def test_the_documented_test_vector_decodes():
    raw = bytes.fromhex("0000001e00000000baf2f68a") + b'{"foo": "bar"}' + bytes.fromhex("ae7258e4")
    assert raw == frame([], b'{"foo": "bar"}')  # the stand-in's encoder agrees with the published bytes
    [message] = list(messages([raw]))
    assert message.headers == {} and message.payload == b'{"foo": "bar"}'


def test_messages_split_anywhere_and_back_to_back_decode_whole():
    raw = b"".join(bedrock_events("Grüße", reasoning="hm"))
    byte_by_byte = list(messages(raw[i:i + 1] for i in range(len(raw))))
    at_once = list(messages([raw]))
    assert [m.headers for m in byte_by_byte] == [m.headers for m in at_once]
    assert [m.headers[":event-type"] for m in at_once] == (
        ["messageStart"] + ["contentBlockDelta"] * 6 + ["contentBlockStop", "messageStop", "metadata"])
    assert "".join(json.loads(m.payload)["delta"].get("text", "") for m in at_once[1:7]) == "Grüße"
    assert json.loads(at_once[-1].payload)["usage"]["inputTokens"] == 11


@pytest.mark.parametrize("where, needle", [(5, "prelude CRC"), (40, "message CRC"), (-2, "message CRC")])
def test_a_corrupted_byte_fails_its_crc(where, needle):
    raw = bytearray(event("contentBlockDelta", {"delta": {"text": "hi"}}))
    raw[where] ^= 0x01
    with pytest.raises(NetworkError) as caught:
        list(messages([bytes(raw)]))
    assert needle in caught.value.message


def test_every_header_type_parses():
    import struct
    import zlib

    headers = (b"\x01t\x00" + b"\x01f\x01" + b"\x01b\x02\xff" + b"\x01s\x03\x00\x02" + b"\x01i\x04\x00\x00\x00\x03"
               + b"\x01l\x05" + struct.pack(">q", -4) + b"\x01y\x06\x00\x02ab" + b"\x01w\x07\x00\x02hi"
               + b"\x01d\x08" + struct.pack(">q", 1700000000000) + b"\x01u\x09" + bytes(range(16)))
    prelude = struct.pack(">II", 16 + len(headers), len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + headers
    [message] = list(messages([body + struct.pack(">I", zlib.crc32(body))]))
    assert message.headers == {"t": True, "f": False, "b": -1, "s": 2, "i": 3, "l": -4, "y": b"ab", "w": "hi",
                               "d": 1700000000000, "u": bytes(range(16))}


# A Bedrock API key over urllib ---------------------------------------------------------------

def test_bearer_key_request_answer_and_summary(run, net):
    bedrock = Bedrock(net)
    r = run("ask", "-m", "amazon-bedrock/" + HAIKU, "--system", "Be brief.", "Say hi", AWS_BEARER_TOKEN_BEDROCK=KEY)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello from Bedrock\n"
    req = bedrock.last
    assert req.path == ENCODED_HAIKU  # the id's ':' percent-encoded, as botocore sends it
    assert req.headers["Authorization"] == "Bearer " + KEY
    assert req.content_type == "application/json"
    body = req.json()
    # Claude 3.5 Haiku takes cache points: after the system prompt and at the end of the last user turn.
    assert body["system"] == [{"text": "Be brief."}, {"cachePoint": {"type": "default"}}]
    assert body["messages"] == [{"role": "user", "content": [{"text": "Say hi"}, {"cachePoint": {"type": "default"}}]}]
    assert body["inferenceConfig"]["maxTokens"] > 0
    assert "11 in / 4 out tokens" in r.stderr.splitlines()[-1]


def test_a_stored_key_and_the_region_decide_the_host(run, net, atomic_env):
    bedrock = Bedrock(net, host="bedrock-runtime.eu-west-3.amazonaws.com", frames=bedrock_events("Bonjour"))
    atomic_env.write_auth({"amazon-bedrock": {"type": "api_key", "key": KEY, "env": {"AWS_REGION": "eu-west-3"}}})
    r = run("ask", "-m", "amazon-bedrock/" + NOVA, "hi")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Bonjour\n"
    body = bedrock.last.json()
    assert "cachePoint" not in json.dumps(body)  # not a Claude model
    forced = run("ask", "-m", "amazon-bedrock/" + NOVA, "hi", AWS_BEDROCK_FORCE_CACHE="1")
    assert forced.returncode == 0, forced.stderr
    assert bedrock.last.json()["messages"][0]["content"][-1] == {"cachePoint": {"type": "default"}}


@pytest.mark.parametrize("variable", ["ATOMIC_CACHE_RETENTION", "PI_CACHE_RETENTION"])
def test_cache_retention_long_asks_bedrock_for_an_hour_and_none_for_no_cache_points(run, net, variable):
    bedrock = Bedrock(net)
    r = run("ask", "-m", "amazon-bedrock/" + HAIKU_45, "--system", "Be brief.", "hi",
            AWS_BEARER_TOKEN_BEDROCK=KEY, **{variable: "long"})
    assert r.returncode == 0, r.stderr
    body = bedrock.last.json()
    hour = {"cachePoint": {"type": "default", "ttl": "1h"}}   # CachePointBlock's ttl: 5m | 1h
    assert body["system"][-1] == hour and body["messages"][-1]["content"][-1] == hour
    # Claude 3.5 Haiku keeps a cache for 5 minutes only: its points go without a ttl.
    r = run("ask", "-m", "amazon-bedrock/" + HAIKU, "hi", AWS_BEARER_TOKEN_BEDROCK=KEY, **{variable: "long"})
    assert r.returncode == 0, r.stderr
    assert bedrock.last.json()["messages"][-1]["content"][-1] == {"cachePoint": {"type": "default"}}
    r = run("ask", "-m", "amazon-bedrock/" + HAIKU_45, "hi", AWS_BEARER_TOKEN_BEDROCK=KEY, **{variable: "none"})
    assert r.returncode == 0, r.stderr
    assert "cachePoint" not in json.dumps(bedrock.last.json())
    r = run("ask", "-m", "amazon-bedrock/" + HAIKU_45, "hi", AWS_BEARER_TOKEN_BEDROCK=KEY, **{variable: "forever"})
    assert r.returncode == 0, r.stderr
    assert "CACHE_RETENTION) is 'forever', not none, short or long" in r.stderr
    assert bedrock.last.json()["messages"][-1]["content"][-1] == {"cachePoint": {"type": "default"}}


def test_cache_retention_stored_with_the_key_counts_too(run, net, atomic_env):
    bedrock = Bedrock(net)
    atomic_env.write_auth({"amazon-bedrock": {"type": "api_key", "key": KEY, "env": {"ATOMIC_CACHE_RETENTION": "long"}}})
    r = run("ask", "-m", "amazon-bedrock/" + HAIKU_45, "hi")
    assert r.returncode == 0, r.stderr
    assert bedrock.last.json()["messages"][-1]["content"][-1] == {"cachePoint": {"type": "default", "ttl": "1h"}}


def test_an_arn_model_id_names_its_region_and_travels_encoded(run, net, atomic_env):
    arn = "arn:aws:bedrock:eu-west-3:123456789012:application-inference-profile/abc123"
    bedrock = Bedrock(net, host="bedrock-runtime.eu-west-3.amazonaws.com")
    atomic_env.write_models({"providers": {"amazon-bedrock": {"models": [{"id": arn, "name": "My profile"}]}}})
    r = run("ask", "-m", "amazon-bedrock/" + arn, "hi", AWS_BEARER_TOKEN_BEDROCK=KEY, AWS_REGION="us-west-2")
    assert r.returncode == 0, r.stderr
    assert bedrock.last.path.startswith("/model/arn%3Aaws%3Abedrock%3Aeu-west-3%3A")


def test_the_endpoint_variable_and_a_models_json_proxy_are_used_as_given(run, net, atomic_env):
    bedrock = Bedrock(net, host="vpce.example.com")
    r = run("ask", "-m", "amazon-bedrock/" + NOVA, "hi", AWS_BEARER_TOKEN_BEDROCK=KEY,
            AWS_ENDPOINT_URL_BEDROCK_RUNTIME="https://vpce.example.com/vpc")
    assert r.returncode == 0, r.stderr
    assert bedrock.last.path == "/vpc/model/amazon.nova-lite-v1%3A0/converse-stream"


def test_a_corrupted_frame_is_exit_6_after_what_arrived(run, net):
    frames = bedrock_events("Hello there friend")
    bad = bytearray(frames[3])
    bad[-1] ^= 0xFF
    Bedrock(net, frames=frames[:3] + [bytes(bad)] + frames[4:])
    r = run("ask", "-m", "amazon-bedrock/" + NOVA, "hi", AWS_BEARER_TOKEN_BEDROCK=KEY)
    assert r.returncode == 6, r.stderr
    assert "CRC" in r.stderr and "cut off" in r.stderr
    assert r.stdout.startswith("Hello")


def test_an_exception_frame_mid_stream_is_the_servers_error(run, net):
    frames = bedrock_events("Partial answer")
    Bedrock(net, frames=frames[:2] + [exception("throttlingException", "Too many tokens, please wait")])
    r = run("ask", "-m", "amazon-bedrock/" + NOVA, "hi", AWS_BEARER_TOKEN_BEDROCK=KEY)
    assert r.returncode == 6
    assert "throttlingException: Too many tokens, please wait" in r.stderr.splitlines()[-1]


def test_a_refused_key_names_the_source(run, net):
    Bedrock(net, status=403, body={"message": "Bearer Token not authorized"})
    r = run("ask", "-m", "amazon-bedrock/" + NOVA, "hi", AWS_BEARER_TOKEN_BEDROCK=KEY)
    line = assert_fails(r, 6, "HTTP 403", "not authorized", "bedrock:CallWithBearerToken")
    assert KEY not in line


def test_key_and_exec_with_a_bearer_key(run):
    assert run("key", "bedrock", AWS_BEARER_TOKEN_BEDROCK=KEY).stdout == KEY + "\n"
    r = run("exec", "amazon-bedrock", "--", "/bin/sh", "-c", 'printf "%s %s" "$AWS_BEARER_TOKEN_BEDROCK" "$AWS_REGION"',
            AWS_BEARER_TOKEN_BEDROCK=KEY)
    assert r.returncode == 0, r.stderr
    assert r.stdout == KEY + " us-east-1"


# AWS credentials without botocore: found, and the fix named ---------------------------------------

@pytest.mark.parametrize("env, shown", [
    ({"AWS_PROFILE": "dev"}, "profile dev (AWS_PROFILE)"),
    ({"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE12345678", "AWS_SECRET_ACCESS_KEY": "s" * 40}, "access key AKIA…5678"),
    ({"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/x"}, "container credentials"),
    ({"AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token", "AWS_ROLE_ARN": "arn:aws:iam::1:role/r"}, "web identity"),
])
def test_without_botocore_the_aws_source_is_named_with_the_extra_to_install(run, without_botocore, env, shown):
    r = run("ask", "-m", "amazon-bedrock/" + NOVA, "hi", python=without_botocore, **env)
    assert_fails(r, 3, shown, "pip install 'atomic-cli[bedrock]'", "AWS_BEARER_TOKEN_BEDROCK")
    status = run("status", "--json", python=without_botocore, **env)
    assert status.returncode == 11, status.stderr   # the report, with this problem in it
    [row] = [row for row in json.loads(status.stdout)["providers"] if row["id"] == "amazon-bedrock"]
    assert shown in row["source"] and "atomic-cli[bedrock]" in row["problem"]


def test_a_bearer_key_needs_no_botocore_and_wins_over_a_profile(run, net, without_botocore):
    Bedrock(net)
    r = run("ask", "-m", "amazon-bedrock/" + NOVA, "hi", python=without_botocore, AWS_BEARER_TOKEN_BEDROCK=KEY,
            AWS_PROFILE="dev")
    assert r.returncode == 0, r.stderr


def test_nothing_set_is_no_credential(run, atomic_env, tmp_path):
    r = run("key", "amazon-bedrock", "--explain", HOME=atomic_env.home)
    assert_fails(r, 3, "no credential for Amazon Bedrock")


# SigV4 through botocore --------------------------------------------------------------------------

STATIC = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE000000001", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
          "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEXAMPLESESSIONTOKEN", "AWS_REGION": "us-west-2"}


def _signature_matches(req, credentials, region):
    """Sign the received request again with botocore's SigV4 at its own X-Amz-Date: the same
    Authorization header, or the request was not signed as AWS computes it."""
    import datetime
    from unittest import mock

    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    when = datetime.datetime.strptime(req.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    signed = {"Content-Type": req.headers["Content-Type"]} if req.headers.get("Content-Type") else {}
    again = AWSRequest(method=req.method, url="https://%s%s" % (req.host, req.handler.path), data=req.body,
                       headers=signed)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
        botocore.auth.SigV4Auth(Credentials(*credentials), "bedrock", region).add_auth(again)
    return again.headers["Authorization"] == req.headers["Authorization"]


@needs_botocore
def test_access_keys_sign_the_request_as_botocore_does(run, net):
    bedrock = Bedrock(net, host="bedrock-runtime.us-west-2.amazonaws.com")
    r = run("ask", "-m", "amazon-bedrock/" + HAIKU, "hi", **STATIC)
    assert r.returncode == 0, r.stderr
    req = bedrock.last
    auth = req.headers["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE000000001/")
    assert "/us-west-2/bedrock/aws4_request" in auth
    assert "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token" in auth
    assert req.headers["X-Amz-Security-Token"] == STATIC["AWS_SESSION_TOKEN"]
    assert _signature_matches(req, (STATIC["AWS_ACCESS_KEY_ID"], STATIC["AWS_SECRET_ACCESS_KEY"],
                                    STATIC["AWS_SESSION_TOKEN"]), "us-west-2")


@needs_botocore
def test_a_signing_credential_has_no_key_to_print_but_exec_exports_it(run):
    r = run("key", "amazon-bedrock", **STATIC)
    assert_fails(r, 3, "signs each request", "atomic exec amazon-bedrock --", "AWS_BEARER_TOKEN_BEDROCK")
    shown = run("exec", "amazon-bedrock", "--", "/bin/sh", "-c",
                'printf "%s|%s|%s" "$AWS_ACCESS_KEY_ID" "$AWS_SESSION_TOKEN" "$AWS_REGION"', **STATIC)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == "AKIDEXAMPLE000000001|FwoGZXIvYXdzEXAMPLESESSIONTOKEN|us-west-2"
    status = run("status", "--json", **STATIC)
    [row] = [row for row in json.loads(status.stdout)["providers"] if row["id"] == "amazon-bedrock"]
    assert row["source"] == "AWS access key AKID…0001 (AWS_ACCESS_KEY_ID, AWS_SESSION_TOKEN) (SigV4)"
    assert row["credential"] == "signs each request (SigV4)"


@needs_botocore
def test_a_profile_from_the_config_file_signs_with_its_keys(run, net, tmp_path):
    bedrock = Bedrock(net, host="bedrock-runtime.eu-west-3.amazonaws.com")
    credentials = tmp_path / "credentials"
    credentials.write_text("[dev]\naws_access_key_id = AKIDPROFILE000000002\naws_secret_access_key = secret2\n")
    config = tmp_path / "config"
    config.write_text("[profile dev]\nregion = eu-west-3\n")
    r = run("ask", "-m", "amazon-bedrock/" + NOVA, "hi", AWS_PROFILE="dev", AWS_SHARED_CREDENTIALS_FILE=str(credentials),
            AWS_CONFIG_FILE=str(config), AWS_ACCESS_KEY_ID="AKIDIGNORED", AWS_SECRET_ACCESS_KEY="ignored")
    assert r.returncode == 0, r.stderr
    assert "Credential=AKIDPROFILE000000002/" in bedrock.last.headers["Authorization"]  # the profile, not the env keys
    assert _signature_matches(bedrock.last, ("AKIDPROFILE000000002", "secret2", None), "eu-west-3")


@needs_botocore
def test_irsa_web_identity_through_sts_assume_role_with_web_identity(run, net, tmp_path):
    pytest.importorskip("moto.server", reason="moto (server mode) is not installed: pip install 'moto[server]'")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        token = tmp_path / "token"
        token.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl")
        irsa = {"AWS_WEB_IDENTITY_TOKEN_FILE": str(token), "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/irsa",
                "AWS_ROLE_SESSION_NAME": "atomic-test", "AWS_ENDPOINT_URL_STS": "http://%s:%d" % (host, port),
                "AWS_REGION": "us-west-2", "NO_PROXY": "127.0.0.1"}
        bedrock = Bedrock(net, host="bedrock-runtime.us-west-2.amazonaws.com")
        r = run("ask", "-m", "amazon-bedrock/" + NOVA, "hi", **irsa)
        assert r.returncode == 0, r.stderr
        auth = bedrock.last.headers["Authorization"]
        assert auth.startswith("AWS4-HMAC-SHA256 Credential=ASIA")  # temporary credentials from STS
        assert bedrock.last.headers["X-Amz-Security-Token"]
        status = run("status", "--json", **irsa)
        [row] = [row for row in json.loads(status.stdout)["providers"] if row["id"] == "amazon-bedrock"]
        assert row["source"].startswith("AWS web identity (AWS_WEB_IDENTITY_TOKEN_FILE, role arn:aws:iam::123456789012")
    finally:
        server.stop()


@needs_botocore
def test_status_check_asks_the_control_plane_signed(run, net):
    seen = []

    @net.hosts.route("GET", "bedrock.us-west-2.amazonaws.com", "/foundation-models")
    def models(req):
        seen.append(req)
        return reply(200, {"modelSummaries": [{"modelId": NOVA}, {"modelId": HAIKU}]})

    r = run("status", "--check", "amazon-bedrock", **STATIC)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ok (2 models)" in r.stdout
    assert _signature_matches(seen[-1], (STATIC["AWS_ACCESS_KEY_ID"], STATIC["AWS_SECRET_ACCESS_KEY"],
                                         STATIC["AWS_SESSION_TOKEN"]), "us-west-2")


def test_sampling_params_go_where_converse_takes_them(run, net, atomic_env):
    atomic_env.write_models({"providers": {"amazon-bedrock": {"modelOverrides": {
        HAIKU: {"samplingParams": {"temperature": 0.3, "inferenceConfig": {"topP": 0.9}, "top_k": 40,
                                   "additionalModelRequestFields": {"anthropic_beta": ["x"]},
                                   "guardrailConfig": {"guardrailIdentifier": "g1", "guardrailVersion": "1"}}}}}}})
    bedrock = Bedrock(net)
    r = run("ask", "-m", "amazon-bedrock/" + HAIKU, "Say hi", AWS_BEARER_TOKEN_BEDROCK=KEY)
    assert r.returncode == 0, r.stderr
    body = bedrock.last.json()
    assert body["inferenceConfig"]["temperature"] == 0.3 and body["inferenceConfig"]["topP"] == 0.9
    assert body["inferenceConfig"]["maxTokens"] > 0
    assert body["additionalModelRequestFields"] == {"top_k": 40, "anthropic_beta": ["x"]}
    assert body["guardrailConfig"] == {"guardrailIdentifier": "g1", "guardrailVersion": "1"}
    assert not {"temperature", "topP", "top_k"} & set(body)
