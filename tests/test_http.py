"""The HTTP helper, run in a child process against loopback hosts reached through a CONNECT proxy."""
import json
import os
import subprocess
import sys
import time

import pytest

from conftest import closed_port
from netfakes import reply, without_network_env

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A child that makes one request with providers._net.http and prints the outcome as JSON.
DRIVER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from providers._core.context import Context
from providers._core.errors import AtomicError
from providers._net.http import request
spec = json.loads(sys.argv[2])
try:
    r = request(spec.get("method", "GET"), spec["url"], Context(), headers=spec.get("headers"),
                secret_headers=spec.get("secret"), json_body=spec.get("json"), form=spec.get("form"),
                deadline=spec.get("deadline", 30), max_bytes=spec.get("max_bytes", 1 << 20))
    print(json.dumps({"status": r.status, "body": r.body.decode("utf-8", "replace"), "headers": r.headers}))
except AtomicError as e:
    print(json.dumps({"error": e.message, "code": e.exit_code}))
"""


def fetch(spec, env):
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", DRIVER, REPO, json.dumps(spec)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    result["seconds"] = time.monotonic() - started
    result["stderr"] = out.stderr
    return result


def child_env(net, **extra):
    env = without_network_env(os.environ)
    env.update(net.env())
    env.update(extra)
    return env


def test_request_goes_through_the_proxy_and_trusts_the_configured_ca(net):
    @net.hosts.route("POST", "auth.openai.com", "/oauth/token")
    def token(req):
        assert req.content_type == "application/x-www-form-urlencoded"
        return reply(200, {"got": req.form(), "auth": req.headers.get("Authorization")})

    result = fetch({"method": "POST", "url": "https://auth.openai.com/oauth/token",
                    "form": {"grant_type": "refresh_token", "refresh_token": "r1"},
                    "secret": {"Authorization": "Bearer sekrit-token-123456"}}, child_env(net))
    assert result["status"] == 200
    body = json.loads(result["body"])
    assert body == {"got": {"grant_type": "refresh_token", "refresh_token": "r1"},
                    "auth": "Bearer sekrit-token-123456"}
    assert net.proxy.targets == ["auth.openai.com:443"]


def test_json_bodies_are_sent_as_json(net):
    @net.hosts.route("POST", "platform.claude.com", "/v1/oauth/token")
    def token(req):
        return reply(200, {"type": req.content_type, "body": req.json()})

    result = fetch({"method": "POST", "url": "https://platform.claude.com/v1/oauth/token",
                    "json": {"grant_type": "refresh_token"}}, child_env(net))
    assert json.loads(result["body"]) == {"type": "application/json", "body": {"grant_type": "refresh_token"}}


def test_error_statuses_come_back_as_responses(net):
    net.hosts.route("GET", "api.openai.com", "/v1/models")(lambda req: reply(401, {"error": {"message": "bad key"}}))
    result = fetch({"url": "https://api.openai.com/v1/models"}, child_env(net))
    assert result["status"] == 401


def test_an_unknown_ca_is_a_network_error_with_a_hint(net):
    env = without_network_env(os.environ)
    env["HTTPS_PROXY"] = net.proxy.url
    env["SSL_CERT_FILE"] = os.path.join(os.path.dirname(ssl_default_bundle()), os.path.basename(ssl_default_bundle()))
    result = fetch({"url": "https://api.openai.com/v1/models"}, env)
    assert result["code"] == 6
    assert "could not be verified" in result["error"] and "SSL_CERT_FILE" in result["error"]
    assert "api.openai.com" in result["error"]


def ssl_default_bundle():
    import certifi
    return certifi.where()


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_missing_ca_bundle_names_its_variable(net, tmp_path, variable):
    env = without_network_env(os.environ)
    env["HTTPS_PROXY"] = net.proxy.url
    env[variable] = str(tmp_path / "nope.pem")
    result = fetch({"url": "https://api.openai.com/v1/models"}, env)
    assert result["code"] == 6
    assert variable in result["error"] and "does not exist" in result["error"]


def test_requests_ca_bundle_is_honoured_when_ssl_cert_file_is_unset(net):
    net.hosts.route("GET", "api.openai.com", "/ok")(lambda req: reply(200, "fine"))
    env = without_network_env(os.environ)
    env.update({"HTTPS_PROXY": net.proxy.url, "REQUESTS_CA_BUNDLE": net.ca_file})
    assert fetch({"url": "https://api.openai.com/ok"}, env)["status"] == 200


def test_lower_case_proxy_variable_is_honoured(net):
    net.hosts.route("GET", "api.openai.com", "/ok")(lambda req: reply(200, "fine"))
    env = without_network_env(os.environ)
    env.update({"https_proxy": net.proxy.url, "SSL_CERT_FILE": net.ca_file})
    assert fetch({"url": "https://api.openai.com/ok"}, env)["status"] == 200
    assert net.proxy.targets == ["api.openai.com:443"]


def test_no_proxy_sends_the_request_direct(net):
    result = fetch({"url": "https://bypassed.invalid/x"}, child_env(net, NO_PROXY="localhost,.invalid"))
    assert result["code"] == 6
    assert net.proxy.targets == []


def test_a_trickling_server_is_cut_off_at_the_overall_deadline(net):
    @net.hosts.route("GET", "slow.example.com", "/trickle")
    def trickle(req):
        h = req.handler
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        try:
            for _ in range(100):  # one byte every 0.2 s: each read is quick, the whole is not
                h.wfile.write(b"x")
                h.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass
        return None

    result = fetch({"url": "https://slow.example.com/trickle", "deadline": 1.5}, child_env(net))
    assert result["code"] == 6
    assert "slow.example.com" in result["error"] and "1.5" in result["error"]
    assert result["seconds"] < 8


def test_responses_over_the_size_cap_are_refused(net):
    net.hosts.route("GET", "big.example.com", "/big")(lambda req: reply(200, b"x" * 300000))
    result = fetch({"url": "https://big.example.com/big", "max_bytes": 100000}, child_env(net))
    assert result["code"] == 6 and "more than 100000 bytes" in result["error"]


def test_no_redirect_is_followed_the_3xx_is_the_answer(net):
    net.hosts.route("GET", "redirect.example.com", "/start")(
        lambda req: reply(302, "", {"Location": "https://other.example.com/landing"}))
    net.hosts.route("GET", "other.example.com", "/landing")(lambda req: reply(200, {"reached": True}))

    result = fetch({"url": "https://redirect.example.com/start", "headers": {"X-Plain": "visible"},
                    "secret": {"Authorization": "Bearer sk-should-not-travel-0000"}}, child_env(net))
    assert result["status"] == 302 and result["body"] == ""
    assert net.hosts.seen(host="other.example.com") == []
    first = net.hosts.seen(host="redirect.example.com")[0]
    assert first.headers.get("Authorization") == "Bearer sk-should-not-travel-0000"


def test_refused_connection_names_the_host_and_hides_the_secret(tmp_path):
    port = closed_port()
    env = without_network_env(os.environ)
    result = fetch({"url": "http://127.0.0.1:%d/x?token=sk-abcdefghijklmnopqrstuvwxyz" % port,
                    "secret": {"Authorization": "Bearer sk-abcdefghijklmnopqrstuvwxyz"}}, env)
    assert result["code"] == 6
    assert "127.0.0.1:%d" % port in result["error"]
    assert "sk-abcdefghijklmnopqrstuvwxyz" not in result["error"]


def _raw_server(answer):
    """A loopback server that reads one request head and writes `answer` (bytes) back as it is."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.recv(65536)
        conn.sendall(answer)
        conn.close()
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return "http://127.0.0.1:%d/x" % listener.getsockname()[1]


def test_an_answer_s_head_is_read_as_http_says_without_the_email_parser():
    # A 100 Continue first, a status without its reason, a folded header line, a header given
    # twice (the last counts), names in any case.
    url = _raw_server(b"HTTP/1.1 100 Continue\r\nX-Ignored: yes\r\n\r\n"
                      b"HTTP/1.1 201\r\nX-Folded: one\r\n  two\r\nX-Twice: a\r\nx-twice: b\r\n"
                      b"CONTENT-LENGTH: 7\r\nConnection: close\r\n\r\nanswer!")
    result = fetch({"url": url}, without_network_env(os.environ))
    assert (result["status"], result["body"]) == (201, "answer!")
    headers = result["headers"]
    assert headers["x-folded"] == "one two" and headers["x-twice"] == "b" and "x-ignored" not in headers


def test_an_answer_without_a_length_ends_when_the_connection_does_and_a_bad_status_line_fails():
    url = _raw_server(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it")
    assert fetch({"url": url}, without_network_env(os.environ))["body"] == "all of it"
    url = _raw_server(b"HTTP/1.1 2OO OK\r\n\r\n")
    result = fetch({"url": url}, without_network_env(os.environ))
    assert result["code"] == 6 and "127.0.0.1" in result["error"]


def test_ssl_cert_dir_does_not_hide_a_named_bundle(net):
    # Many images set SSL_CERT_DIR to the system store; REQUESTS_CA_BUNDLE still decides.
    net.hosts.route("GET", "api.openai.com", "/ok")(lambda req: reply(200, "fine"))
    env = without_network_env(os.environ)
    env.update({"HTTPS_PROXY": net.proxy.url, "REQUESTS_CA_BUNDLE": net.ca_file, "SSL_CERT_DIR": "/etc/ssl/certs"})
    assert fetch({"url": "https://api.openai.com/ok"}, env)["status"] == 200


def test_an_unreachable_proxy_is_named_as_the_proxy(tmp_path):
    port = closed_port()
    env = without_network_env(os.environ)
    env["HTTPS_PROXY"] = "http://user:hunter2secret@127.0.0.1:%d" % port
    result = fetch({"url": "https://api.openai.com/v1/models"}, env)
    assert result["code"] == 6
    assert "proxy" in result["error"] and "127.0.0.1:%d" % port in result["error"]
    assert "api.openai.com" in result["error"] and "HTTPS_PROXY" in result["error"]
    assert "hunter2secret" not in result["error"]
