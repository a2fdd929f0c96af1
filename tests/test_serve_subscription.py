"""A Claude subscription behind atomic serve: Claude Code's own requests pass through with the
subscription token, unchanged; any other program gets an error in its API's shape that says so
and what to use instead. serve never presents one program as another (gateway.md §2.2)."""
import time

import pytest

from gateway import Gateway, no_sdk_variables  # noqa: F401 (an autouse fixture)

anthropic = pytest.importorskip("anthropic")
openai = pytest.importorskip("openai")

OAT = "sk-ant-oat01-subscriptionTOKENforServeTests0001"
CLAUDE_CODE = "claude-cli/2.1.328 (external, sdk-cli)"
MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    gateway = Gateway(tmp_path_factory.mktemp("subscription"))
    auth = gateway.env.read_auth()
    auth["anthropic"] = {"type": "oauth", "access": OAT, "refresh": "sk-ant-ort01-subscriptionREFRESH01",
                         "expires": int(time.time() * 1000) + 3600000}
    gateway.env.write_auth(auth)
    yield gateway
    gateway.close()


def test_claude_code_s_own_request_passes_through_with_the_subscription_token_unchanged(gw):
    client = anthropic.Anthropic(base_url=gw.served.url, auth_token=gw.token, max_retries=0, default_headers={
        "User-Agent": CLAUDE_CODE, "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14",
        "x-app": "cli"})
    system = [{"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.328.593; cc_entrypoint=sdk-cli;"},
              {"type": "text", "text": "You are a Claude agent, built on Anthropic's Claude Agent SDK."}]
    done = client.messages.create(model="anthropic/claude-sonnet-4-5", max_tokens=64, system=system, messages=MESSAGES)
    assert done.content[0].text.endswith("said=hi")
    _path, headers, body = gw.up.anthropic.requests[-1]
    assert headers["Authorization"] == "Bearer " + OAT and "x-api-key" not in {k.lower() for k in headers}
    assert headers["User-Agent"] == CLAUDE_CODE           # its own name, not another version of it
    betas = headers["anthropic-beta"].split(",")
    assert betas[:2] == ["claude-code-20250219", "interleaved-thinking-2025-05-14"] and "oauth-2025-04-20" in betas
    assert body["system"] == system                        # nothing put in front of Claude Code's own prompt
    assert gw.token not in str(headers)


@pytest.mark.parametrize("inbound", ["chat", "responses", "messages"])
def test_any_other_program_is_told_in_its_own_shape_to_use_a_key_or_another_provider(gw, inbound):
    before = len(gw.up.anthropic.requests)
    model = "anthropic/claude-sonnet-4-5"
    if inbound == "messages":
        with pytest.raises(anthropic.PermissionDeniedError) as caught:
            gw.anthropic().messages.create(model=model, max_tokens=5, messages=MESSAGES)
    elif inbound == "chat":
        with pytest.raises(openai.PermissionDeniedError) as caught:
            gw.openai().chat.completions.create(model=model, messages=MESSAGES)
    else:
        with pytest.raises(openai.PermissionDeniedError) as caught:
            gw.openai().responses.create(model=model, input="hi")
    message = str(caught.value)
    assert "Claude subscription" in message and "Claude Code alone" in message
    assert "atomic login anthropic --key" in message
    assert len(gw.up.anthropic.requests) == before       # nothing was sent


def test_count_tokens_from_claude_code_passes_through_too(gw):
    gw.up.anthropic_count.fail(200, {"input_tokens": 9})
    client = anthropic.Anthropic(base_url=gw.served.url, auth_token=gw.token, max_retries=0,
                                 default_headers={"User-Agent": CLAUDE_CODE})
    assert client.messages.count_tokens(model="anthropic/claude-sonnet-4-5", messages=MESSAGES).input_tokens == 9
    assert gw.up.anthropic_count.headers_of()["Authorization"] == "Bearer " + OAT
    with pytest.raises(anthropic.PermissionDeniedError):
        gw.anthropic().messages.count_tokens(model="anthropic/claude-sonnet-4-5", messages=MESSAGES)
