"""atomic serve answering the official SDKs: every inbound API (Chat Completions, Responses,
Messages) to every upstream wire API (Chat Completions, Responses, the ChatGPT backend, Messages,
Gemini), streamed and whole, with a tool call and its result, images and errors. One real
`atomic serve` process, the SDKs as its clients, the providers' hosts played by tests/upstreams.py
behind the suite's proxy and test CA. What is asserted is what each SDK returns."""
import json

import pytest

from gateway import INBOUND, QUESTION, RESULT, SCHEMA, SYSTEM, UPSTREAM, ask, gateway_fixture, last_line, passes_through
from gateway import no_sdk_variables  # noqa: F401 (an autouse fixture)
from serving import make_token
from fake_github import ENDPOINTS
from upstreams import OPENROUTER_DETAILS, SECRETS, Upstreams, png

anthropic = pytest.importorskip("anthropic")
openai = pytest.importorskip("openai")


gw = gateway_fixture("gateway")


@pytest.fixture(autouse=True)
def _fresh(gw):
    yield
    gw.up.clear()


# -- the matrix ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
@pytest.mark.parametrize("api", UPSTREAM)
@pytest.mark.parametrize("inbound", INBOUND)
def test_a_turn_with_a_tool_call_and_its_result(gw, inbound, api, stream):
    model = Upstreams.MODELS[api]
    upstream = gw.up.of(api)
    before = len(upstream.requests)
    text, call, usage, _done = ask(gw, inbound, model, stream)
    assert call is not None and call["name"] == "get_weather", (text, call)
    assert json.loads(call["arguments"]) == {"city": "Paris"}
    if inbound == "messages":
        assert call["id"].startswith("toolu_")       # never an OpenAI call_ id in Anthropic's shape (§3.11 #10)
    text, again, usage, _done = ask(gw, inbound, model, stream, result=RESULT, call=call)
    assert again is None
    upstream_model = model.split("/", 1)[1]
    assert text == "model=%s; tool=%s; system=%s; said=%s" % (upstream_model, RESULT, SYSTEM, QUESTION), text
    assert len(upstream.requests) == before + 2
    # Usage converted, not copied (§3.9): OpenAI counts cached tokens inside its input; Anthropic does not.
    if inbound == "messages":
        assert usage == {"in": 20, "cached": 10, "out": 7}
    else:
        assert usage == {"in": 30, "cached": 10, "out": 7}
    line = last_line(gw, inbound, model)
    assert (" pass " in line) == passes_through(inbound, api, stream), line


@pytest.mark.parametrize("api", ["openai-responses", "anthropic-messages", "google-generative-ai",
                                 "openai-codex-responses", "bedrock-converse-stream"])
@pytest.mark.parametrize("inbound", INBOUND)
def test_an_image_reaches_every_upstream_that_takes_images(gw, inbound, api):
    image = png()
    text, _call, _usage, _done = ask(gw, inbound, Upstreams.MODELS[api], stream=True, image=image, tools=False)
    assert "image=image/png/%d" % len(image) in text, text


@pytest.mark.parametrize("inbound", ["responses", "messages"])
def test_an_image_for_a_model_without_image_input_is_refused_in_the_caller_s_shape(gw, inbound):
    before = len(gw.up.groq.requests)
    error = openai.BadRequestError if inbound != "messages" else anthropic.BadRequestError
    with pytest.raises(error) as caught:
        ask(gw, inbound, "groq/llama-3.3-70b-versatile", stream=False, image=png(), tools=False)
    assert "takes no images" in str(caught.value)
    assert len(gw.up.groq.requests) == before


def test_an_image_passed_through_is_the_upstream_s_to_judge(gw):
    # Same family: the body goes on as it came; the server (which may know better than the
    # catalogue) says whether it takes images.
    image = png()
    text, _call, _usage, _done = ask(gw, "chat", "groq/llama-3.3-70b-versatile", stream=False, image=image, tools=False)
    assert "image=image/png/%d" % len(image) in text


# -- the ChatGPT backend's own rules ----------------------------------------------------------------------------

def test_a_responses_body_reaches_the_chatgpt_backend_as_it_takes_it(gw):
    client = gw.openai()
    done = client.responses.create(model="openai-codex/gpt-5.2-codex", input=[
        {"role": "system", "content": "Sys"}, {"role": "user", "content": "Hi"}],
        max_output_tokens=32000, temperature=0.2, store=False)  # what opencode sends (§0 fact 8)
    assert done.output_text.endswith("said=Hi")
    body = gw.up.codex.body_of()
    assert body["store"] is False and body["stream"] is True and body["instructions"]
    assert "max_output_tokens" not in body and "temperature" not in body
    assert all(item.get("role") != "system" for item in body["input"])
    assert gw.up.codex.headers_of()["chatgpt-account-id"] == "acct-42"


# -- errors in each caller's shape ---------------------------------------------------------------------------

def _raises(gw, inbound, model, **options):
    try:
        ask(gw, inbound, model, stream=options.pop("stream", False), tools=False)
    except (openai.APIStatusError, anthropic.APIStatusError) as exc:
        return exc
    raise AssertionError("no error")


@pytest.mark.parametrize("inbound", INBOUND)
def test_a_429_stays_a_429_with_its_retry_after(gw, inbound):
    gw.up.anthropic.fail(429, {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
                         {"Retry-After": "7"})
    exc = _raises(gw, inbound, "anthropic/claude-sonnet-4-5")
    assert exc.status_code == 429 and exc.response.headers["retry-after"] == "7"
    assert isinstance(exc, openai.RateLimitError if inbound != "messages" else anthropic.RateLimitError)


def test_an_upstream_error_passes_through_unchanged_to_a_caller_of_its_api(gw):
    doc = {"type": "error", "error": {"type": "invalid_request_error", "message": "messages.0: exact wording"}}
    gw.up.anthropic.fail(400, doc)
    exc = _raises(gw, "messages", "anthropic/claude-sonnet-4-5")
    assert isinstance(exc, anthropic.BadRequestError) and exc.body == doc


@pytest.mark.parametrize("inbound", ["chat", "responses"])
def test_an_upstream_error_is_reshaped_for_a_caller_of_another_api(gw, inbound):
    gw.up.anthropic.fail(400, {"type": "error", "error": {"type": "invalid_request_error", "message": "bad thing"}})
    exc = _raises(gw, inbound, "anthropic/claude-sonnet-4-5")
    assert isinstance(exc, openai.BadRequestError) and "bad thing" in exc.message


@pytest.mark.parametrize("inbound", INBOUND)
def test_an_upstream_500_is_a_server_error(gw, inbound):
    gw.up.openai.fail(500, {"error": {"message": "boom", "type": "server_error"}})
    exc = _raises(gw, inbound, "openai/gpt-4o")
    assert exc.status_code == 500
    assert isinstance(exc, openai.InternalServerError if inbound != "messages" else anthropic.InternalServerError)


@pytest.mark.parametrize("inbound", INBOUND)
def test_an_upstream_that_refuses_its_key_is_a_502_upstream_auth_not_a_401(gw, inbound):
    gw.up.groq.fail(401, {"error": {"message": "Invalid API Key", "type": "invalid_request_error"}})
    before = len(gw.up.groq.requests)
    exc = _raises(gw, inbound, "groq/llama-3.3-70b-versatile")
    assert exc.status_code == 502 and "upstream_auth" in str(exc)
    assert len(gw.up.groq.requests) == before + 1  # a key has nothing to renew: no second try


@pytest.mark.parametrize("inbound", INBOUND)
def test_a_provider_without_a_login_is_a_503_naming_the_command(gw, inbound):
    exc = _raises(gw, inbound, "mistral/mistral-large-latest")
    assert exc.status_code == 503 and "atomic login mistral" in str(exc)


@pytest.mark.parametrize("inbound", INBOUND)
def test_an_unknown_model_is_404(gw, inbound):
    exc = _raises(gw, inbound, "openai/no-such-model")
    assert exc.status_code == 404
    assert isinstance(exc, openai.NotFoundError if inbound != "messages" else anthropic.NotFoundError)


@pytest.mark.parametrize("inbound", INBOUND)
def test_a_field_atomic_cannot_carry_is_a_400_naming_it(gw, inbound):
    client_call = {"chat": lambda: gw.openai().chat.completions.create(
                       model="anthropic/claude-sonnet-4-5", n=2, messages=[{"role": "user", "content": "hi"}]),
                   "responses": lambda: gw.openai().responses.create(
                       model="anthropic/claude-sonnet-4-5", input="hi", previous_response_id="resp_1"),
                   "messages": lambda: gw.anthropic().messages.create(
                       model="groq/llama-3.3-70b-versatile", max_tokens=10, messages=[{"role": "user", "content": "hi"}],
                       tools=[{"type": "web_search_20250305", "name": "web_search"}])}[inbound]
    with pytest.raises((openai.BadRequestError, anthropic.BadRequestError)) as caught:
        client_call()
    assert any(word in str(caught.value) for word in ("n", "previous_response_id", "web_search"))


def test_no_secret_reaches_a_client_or_the_log(gw):
    import http.client

    received = []
    for path, body in [("/v1/chat/completions", {"model": "groq/llama-3.3-70b-versatile", "stream": True,
                                                 "messages": [{"role": "user", "content": "hi"}]}),
                       ("/v1/messages", {"model": "anthropic/claude-sonnet-4-5", "max_tokens": 5,
                                         "messages": [{"role": "user", "content": "hi"}]}),
                       ("/v1/responses", {"model": "openai-codex/gpt-5.2-codex", "input": "hi", "stream": True}),
                       ("/v1/models", None), ("/health", None), ("/v1/chat/completions", {"model": "google/nope"})]:
        conn = http.client.HTTPConnection("127.0.0.1", gw.served.port, timeout=30)
        conn.request("POST" if body else "GET", path, json.dumps(body) if body else None,
                     {"Authorization": "Bearer " + gw.token, "Content-Type": "application/json",
                      "anthropic-version": "2023-06-01"})
        resp = conn.getresponse()
        received.append(repr(resp.getheaders()).encode() + resp.read())
    # An upstream that quotes the key back in its error.
    gw.up.groq.fail(400, {"error": {"message": "key %s is bad" % SECRETS["groq"]}})
    exc = _raises(gw, "chat", "groq/llama-3.3-70b-versatile")
    received.append(exc.response.content)
    everything = b"".join(received) + gw.served.stderr().encode()
    for name, secret in SECRETS.items():
        assert secret.encode() not in everything, name
        assert secret[8:-6].encode() not in everything, name


# -- scope --------------------------------------------------------------------------------------------------

def test_a_scoped_token_reaches_its_providers_and_models_only(gw):
    narrow = make_token(gw.env, "narrow", "--provider", "anthropic")
    one = make_token(gw.env, "one", "--model", "groq/llama-3.3-70b-versatile")
    chat = [{"role": "user", "content": "hi"}]
    anthropic_only = openai.OpenAI(base_url=gw.served.url + "/v1", api_key=narrow, max_retries=0)
    assert anthropic_only.chat.completions.create(model="anthropic/claude-sonnet-4-5", messages=chat).choices
    with pytest.raises(openai.PermissionDeniedError) as caught:
        anthropic_only.chat.completions.create(model="openai/gpt-4o", messages=chat)
    assert "narrow" in caught.value.message and "anthropic" in caught.value.message
    just_one = openai.OpenAI(base_url=gw.served.url + "/v1", api_key=one, max_retries=0)
    assert just_one.chat.completions.create(model="groq/llama-3.3-70b-versatile", messages=chat).choices
    with pytest.raises(openai.PermissionDeniedError):
        just_one.chat.completions.create(model="groq/llama-3.1-8b-instant", messages=chat)
    # A bare id, an alias or the default do not widen the scope either.
    for model in ("gpt-4o", "claude/claude-sonnet-4-5", "openai"):
        with pytest.raises((openai.PermissionDeniedError, openai.NotFoundError, openai.BadRequestError)):
            just_one.chat.completions.create(model=model, messages=chat)
    assert [m.id for m in just_one.models.list()] == ["groq/llama-3.3-70b-versatile"]


def test_a_token_may_name_the_login_its_requests_use(gw):
    # `serve token create --profile work`: that token's requests use the logins named work, the
    # others the server's own choice; a provider with no such login is an error naming the fix,
    # never another account's key.
    before = gw.env.read_auth()
    gw.env.write_auth(dict(before, **{"groq:work": {"type": "api_key", "key": "gsk_workGROQsecret00000000000001"}}))
    try:
        work = make_token(gw.env, "work-tool", "--profile", "work")
        chat = [{"role": "user", "content": "hi"}]
        client = openai.OpenAI(base_url=gw.served.url + "/v1", api_key=work, max_retries=0)
        assert client.chat.completions.create(model="groq/llama-3.3-70b-versatile", messages=chat).choices
        assert gw.up.groq.headers_of()["Authorization"] == "Bearer gsk_workGROQsecret00000000000001"
        assert gw.openai().chat.completions.create(model="groq/llama-3.3-70b-versatile", messages=chat).choices
        assert gw.up.groq.headers_of()["Authorization"] == "Bearer " + SECRETS["groq"]
        sent = len(gw.up.anthropic.requests)
        with pytest.raises(openai.APIStatusError) as caught:
            client.chat.completions.create(model="anthropic/claude-sonnet-4-5", messages=chat)
        assert caught.value.status_code == 503
        assert "work" in caught.value.message and "atomic login anthropic --profile work" in caught.value.message
        assert len(gw.up.anthropic.requests) == sent
        listed = json.loads(gw.env.run("serve", "token", "list", "--json").stdout)
        assert [t["profile"] for t in listed if t["name"] == "work-tool"] == ["work"]
    finally:
        gw.env.write_auth(before)


gw_work = gateway_fixture("gateway-work", "--profile", "work")


def test_serve_profile_chooses_the_login_for_every_token_that_names_none(gw_work):
    gw_work.env.write_auth(dict(gw_work.env.read_auth(), **{"groq:work": {"type": "api_key",
                                                                       "key": "gsk_workGROQsecret00000000000002"}}))
    chat = [{"role": "user", "content": "hi"}]
    assert gw_work.openai().chat.completions.create(model="groq/llama-3.3-70b-versatile", messages=chat).choices
    assert gw_work.up.groq.headers_of()["Authorization"] == "Bearer gsk_workGROQsecret00000000000002"


# -- count_tokens ---------------------------------------------------------------------------------------------

def test_count_tokens_is_anthropic_s_for_its_models_and_an_estimate_elsewhere(gw):
    gw.up.anthropic_count.fail(200, {"input_tokens": 42})
    client = gw.anthropic()
    messages = [{"role": "user", "content": "hello there, how are you today?"}]
    assert client.messages.count_tokens(model="anthropic/claude-sonnet-4-5", messages=messages).input_tokens == 42
    sent = gw.up.anthropic_count.body_of()
    assert sent["model"] == "claude-sonnet-4-5" and sent["messages"] == messages
    assert gw.up.anthropic_count.headers_of()["x-api-key"] == SECRETS["anthropic"]
    estimate = client.messages.count_tokens(model="openai/gpt-4o", messages=messages).input_tokens
    assert 5 <= estimate <= 40
    assert "estimate" in last_line(gw, "count_tokens", "openai/gpt-4o")


# -- signed reasoning through a face and back ------------------------------------------------------------------

def test_openrouter_s_signed_reasoning_survives_a_caller_of_another_api(gw):
    """Claude behind OpenRouter refuses a tool call's follow-up without its signed reasoning_details
    (the stand-in does too). A Responses caller keeps them in a reasoning item's encrypted_content,
    a Messages caller in a thinking block's signature, as Codex and Claude Code do; atomic sends
    them back to OpenRouter whole and in order."""
    model = "openrouter/anthropic/claude-sonnet-4.5"
    tools = [{"type": "function", "name": "get_weather", "description": "The weather", "parameters": SCHEMA}]
    user = {"role": "user", "content": [{"type": "input_text", "text": QUESTION}]}
    with gw.openai().responses.stream(model=model, input=[user], tools=tools, store=False,
                                      include=["reasoning.encrypted_content"]) as events:
        first = events.get_final_response()
    kept = [item.model_dump(exclude_none=True) for item in first.output]
    assert [item["type"] for item in kept] == ["reasoning", "function_call"] and kept[0]["encrypted_content"]
    call = kept[1]
    follow = [user] + kept + [{"type": "function_call_output", "call_id": call["call_id"], "output": RESULT}]
    with gw.openai().responses.stream(model=model, input=follow, tools=tools, store=False,
                                      include=["reasoning.encrypted_content"]) as events:
        assert "tool=" + RESULT in events.get_final_response().output_text
    assert gw.up.openrouter.body_of()["messages"][-2]["reasoning_details"] == OPENROUTER_DETAILS
    # The same conversation sent on to another provider: nothing of OpenRouter's goes there.
    with gw.openai().responses.stream(model="groq/llama-3.3-70b-versatile", input=follow, tools=tools,
                                      store=False) as events:
        assert "tool=" + RESULT in events.get_final_response().output_text
    assert not any("reasoning_details" in m for m in gw.up.groq.body_of()["messages"])

    client = gw.anthropic()
    question = {"role": "user", "content": QUESTION}
    anthropic_tools = [{"name": "get_weather", "description": "The weather", "input_schema": SCHEMA}]
    with client.messages.stream(model=model, max_tokens=1024, messages=[question], tools=anthropic_tools) as events:
        answer = events.get_final_message()
    blocks = [block.model_dump(exclude_none=True) for block in answer.content]
    assert [block["type"] for block in blocks] == ["thinking", "tool_use"] and blocks[0]["signature"]
    result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": blocks[1]["id"], "content": RESULT}]}
    with client.messages.stream(model=model, max_tokens=1024, tools=anthropic_tools,
                                messages=[question, {"role": "assistant", "content": blocks}, result]) as events:
        assert "tool=" + RESULT in "".join(b.text for b in events.get_final_message().content if b.type == "text")
    assert gw.up.openrouter.body_of()["messages"][-2]["reasoning_details"] == OPENROUTER_DETAILS


def test_a_sealed_signature_a_caller_made_up_is_judged_never_a_server_error(gw):
    """A signature is the caller's to send back, and a caller may make one up: its reasoning_details
    go to the caller's own upstream request, and only the documented kinds of item; an item whose
    type is an object is left out, never a 500."""
    import base64

    def sealed(details, raw=None):  # how a caller of another API keeps Chat Completions' state (ir.pack)
        raw = raw or json.dumps({"provider": "openrouter", "reasoning_details": details}).encode("utf-8")
        return "atomic1.openai-completions." + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    odd = [{"type": {"of": "reasoning.text"}, "text": "odd"}, OPENROUTER_DETAILS[1]]
    body = {"model": "openrouter/anthropic/claude-sonnet-4.5", "max_tokens": 100, "messages": [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm", "signature": sealed(odd)},
                                          {"type": "text", "text": "Let me see."}]},
        {"role": "user", "content": "And now?"}]}
    status, _headers, raw = gw.served.call("POST", "/v1/messages", body=body, token=gw.token)
    assert status == 200, raw
    assert gw.up.openrouter.body_of()["messages"][1]["reasoning_details"] == [OPENROUTER_DETAILS[1]]
    deep = b'{"provider": "openrouter", "reasoning_details": ' + b"[" * 100000 + b"]" * 100000 + b"}"
    body["messages"][1]["content"][0]["signature"] = sealed(None, raw=deep)
    status, _headers, raw = gw.served.call("POST", "/v1/messages", body=body, token=gw.token)
    assert status == 200, raw
    assert "reasoning_details" not in gw.up.openrouter.body_of()["messages"][1]


# -- GitHub Copilot's billing header ---------------------------------------------------------------------------

def test_copilot_s_x_initiator_comes_from_the_conversation_never_from_the_caller(gw):
    """`user` (a premium request) when the turn starts with the person's message, `agent` for a
    tool-result follow-up; a caller's own X-Initiator changes nothing either way."""
    def sent(upstream):
        return upstream.headers_of()["X-Initiator"]

    cheat = {"X-Initiator": "agent"}
    for inbound, model, upstream in [("chat", "github-copilot/gpt-4o", gw.up.copilot_chat),
                                     ("messages", "github-copilot/claude-sonnet-4.5", gw.up.copilot_messages),
                                     ("responses", "github-copilot/gpt-5.2", gw.up.copilot_responses)]:
        _text, call, _usage, _done = ask(gw, inbound, model, stream=True, headers=cheat)
        assert sent(upstream) == "user", inbound
        ask(gw, inbound, model, stream=True, result=RESULT, call=call, headers={"X-Initiator": "user"})
        assert sent(upstream) == "agent", inbound
    assert gw.up.copilot_chat.headers_of()["Authorization"] == "Bearer " + SECRETS["copilot_access"]


def test_copilot_is_told_of_an_image_as_copilot_requires(gw):
    """Copilot answers 400 "missing required Copilot-Vision-Request header" to an image sent
    without it: atomic adds the header whenever the conversation holds an image (a tool's result
    included), whichever API the caller and the model speak, and only then."""
    image = png()
    for inbound, model, upstream in [("chat", "github-copilot/gpt-4o", gw.up.copilot_chat),
                                     ("messages", "github-copilot/claude-sonnet-4.5", gw.up.copilot_messages),
                                     ("responses", "github-copilot/gpt-5.2", gw.up.copilot_responses)]:
        text, _call, _usage, _done = ask(gw, inbound, model, stream=True, image=image, tools=False)
        assert "image=image/png/%d" % len(image) in text, inbound
        assert upstream.headers_of()["Copilot-Vision-Request"] == "true", inbound
        ask(gw, inbound, model, stream=True, tools=False)
        assert "Copilot-Vision-Request" not in upstream.headers_of(), inbound


def test_a_part_whose_type_is_not_a_string_is_copilot_s_to_judge(gw):
    # The caller's body goes on as it came: atomic looks at it for an image, and a part of
    # another shape ({"type": {...}}) is neither an image nor a reason to fail the request.
    for content in ([{"type": {"of": "image_url"}, "text": QUESTION}], [{"type": ["text"], "text": QUESTION}]):
        status, _headers, raw = gw.served.call("POST", "/v1/chat/completions", token=gw.token, body={
            "model": "github-copilot/gpt-4o", "messages": [{"role": "user", "content": content}]})
        assert status == 200, raw
        assert "Copilot-Vision-Request" not in gw.up.copilot_chat.headers_of()


# -- GitHub Copilot: each model on the endpoint its account's /models entry supports ----------------------

def test_copilot_routes_each_model_to_the_endpoint_the_login_kept_for_it(gw):
    """The endpoints the Copilot login kept from the account's /models (modelEndpoints) route
    serve's requests as they route `atomic ask`'s; without them the catalogue's api stays. The
    stand-in refuses a model on an endpoint its entry does not list, as Copilot does."""
    import os

    login = gw.env.auth_bytes()
    entry = json.loads(login)["github-copilot"]
    client = gw.openai()

    def said(model):
        answer = client.chat.completions.create(model="github-copilot/" + model,
                                                messages=[{"role": "user", "content": QUESTION}])
        return answer.choices[0].message.content

    def saved(**extra):
        gw.env.write_auth(dict(json.loads(login), **{"github-copilot": dict(entry, **extra)}))

    gw.env.write_models({"providers": {"github-copilot": {"models": [{"id": "gpt-5.6"}]}}})  # newer than the catalogue
    try:
        # An entry without endpoints: the catalogue's api (models.json's here), which Copilot refuses.
        with pytest.raises(openai.BadRequestError) as caught:
            said("gpt-5.6")
        assert "is not accessible via the /chat/completions endpoint" in str(caught.value)
        assert said("gpt-4o") == "model=gpt-4o; said=%s" % QUESTION
        assert gw.up.copilot_chat.body_of()["model"] == "gpt-4o"

        saved(modelEndpoints={m: ENDPOINTS[m] for m in ("gpt-5.6", "claude-sonnet-4.5", "gpt-4o")})
        before = {name: len(getattr(gw.up, name).requests) for name in ("copilot_chat", "copilot_responses",
                                                                         "copilot_messages")}
        assert said("gpt-5.6") == "model=gpt-5.6; said=%s" % QUESTION                    # GPT-5 class: /responses
        assert said("claude-sonnet-4.5") == "model=claude-sonnet-4.5; said=%s" % QUESTION  # Claude: /v1/messages
        assert said("gpt-4o") == "model=gpt-4o; said=%s" % QUESTION                       # Chat, as it lists
        assert {name: len(getattr(gw.up, name).requests) - n for name, n in before.items()} == {
            "copilot_chat": 1, "copilot_responses": 1, "copilot_messages": 1}
        assert gw.up.copilot_responses.body_of()["model"] == "gpt-5.6"
        assert " translate " in last_line(gw, "chat", "github-copilot/gpt-5.6")

        # Served nowhere atomic speaks: refused in the caller's shape before any request.
        saved(modelEndpoints={"gpt-5.6": ["ws:/responses"]})
        with pytest.raises(openai.BadRequestError) as caught:
            said("gpt-5.6")
        assert "only at ws:/responses" in str(caught.value)
        assert {name: len(getattr(gw.up, name).requests) - n for name, n in before.items()} == {
            "copilot_chat": 1, "copilot_responses": 1, "copilot_messages": 1}
    finally:
        gw.env.write_auth(login)
        os.unlink(gw.env.models_path)
