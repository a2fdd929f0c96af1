"""The faces as the official SDKs see them: the openai SDK (Chat Completions and Responses, with the
stream helpers) and the anthropic SDK read what our Renderers write for a scripted answer, over a
real loopback socket (tests/facefakes.py), and must find the text, tool calls, stop reason and
usage the IR held; our error bodies must raise each SDK's own exception classes."""
import json

import pytest

from facefakes import FaceServer

from providers._wire import ir

anthropic = pytest.importorskip("anthropic")
openai = pytest.importorskip("openai")

UPSTREAM_SIGNATURE = "EqQBCkYIBxgCKkB0aGlua2luZw=="
TOOLS_CHAT = [{"type": "function", "function": {"name": "read_file", "description": "Read a file",
                                                 "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}}]
TOOLS_RESPONSES = [{"type": "function", "name": "read_file", "description": "Read a file",
                    "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}]
TOOLS_MESSAGES = [{"name": "read_file", "description": "Read a file",
                   "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}}}]


def answer_with_tools(origin="anthropic-messages"):
    """What an upstream answered: reasoning with its signature, text, two tool calls with streamed
    arguments, usage with cache reads and writes (the IR's input excludes them)."""
    return [("start", "claude-sonnet-4-6", "msg_up_1"), ("usage", {"input": 100, "cacheRead": 900, "cacheWrite": 50}),
            ("reasoning", "Two files. "), ("reasoning", "Read both."), ("reasoning_end", UPSTREAM_SIGNATURE, origin),
            ("text", "I'll read "), ("text", "both."),
            ("tool_call", "call_one", "read_file"), ("tool_args", '{"path": '), ("tool_args", '"a.txt"}'),
            ("tool_call", "call_two", "read_file"), ("tool_args", '{"path": "b.txt"}'),
            ("usage", {"output": 40, "reasoning": 12}), ("stop", "toolUse")]


PLAIN = [("start", "gpt-x", "up_2"), ("text", "Hello, "), ("text", "world."), ("usage", {"input": 7, "output": 3}),
         ("stop", "stop")]


@pytest.fixture(scope="module")
def face_server():
    with FaceServer() as fake:
        yield fake


@pytest.fixture
def server(face_server, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "OPENAI_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY",
                 "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    face_server.reset()
    return face_server


@pytest.fixture
def oai(server):
    return openai.OpenAI(base_url=server.url + "/v1", api_key="client-token", max_retries=0)


@pytest.fixture
def claude(server):
    return anthropic.Anthropic(base_url=server.url, api_key="client-token", max_retries=0)


# -- Chat Completions ---------------------------------------------------------------------------------------
def test_chat_stream_helper_sees_text_tool_calls_stop_and_usage(server, oai):
    server.answer = answer_with_tools()
    with oai.chat.completions.stream(model="anthropic/claude-sonnet-4-6", tools=TOOLS_CHAT,
                                     messages=[{"role": "user", "content": "read a.txt and b.txt"}],
                                     stream_options={"include_usage": True}) as stream:
        final = stream.get_final_completion()
    message = final.choices[0].message
    assert message.content == "I'll read both."
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls] == [
        ("call_one", "read_file", {"path": "a.txt"}), ("call_two", "read_file", {"path": "b.txt"})]
    assert message.reasoning_content == "Two files. Read both."
    assert final.choices[0].finish_reason == "tool_calls"
    assert final.model == "anthropic/claude-sonnet-4-6"
    # OpenAI counts cached tokens inside prompt_tokens; the IR does not.
    assert (final.usage.prompt_tokens, final.usage.prompt_tokens_details.cached_tokens,
            final.usage.completion_tokens, final.usage.completion_tokens_details.reasoning_tokens,
            final.usage.total_tokens) == (1050, 900, 40, 12, 1090)
    assert server.requests[0].echo == {"include_usage": True}


def test_chat_without_include_usage_sends_no_usage_chunk(server, oai):
    server.answer = PLAIN
    chunks = list(oai.chat.completions.create(model="m", stream=True, messages=[{"role": "user", "content": "hi"}]))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello, world."
    assert all(c.choices for c in chunks) and all(c.usage is None for c in chunks)
    assert server.raw[-1] == b"data: [DONE]\n\n" and not any(b"event:" in raw for raw in server.raw)


def test_chat_whole_answer(server, oai):
    server.answer = answer_with_tools()
    final = oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "go"}], tools=TOOLS_CHAT)
    message = final.choices[0].message
    assert (message.content, final.choices[0].finish_reason) == ("I'll read both.", "tool_calls")
    assert [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls] == [
        ("call_one", "read_file", '{"path": "a.txt"}'), ("call_two", "read_file", '{"path": "b.txt"}')]
    assert (final.usage.prompt_tokens, final.usage.prompt_tokens_details.cached_tokens) == (1050, 900)
    assert len(final.choices) == 1


def test_chat_stop_at_the_token_cap_is_length(server, oai):
    server.answer = [("text", "cut"), ("stop", "length")]
    final = oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "go"}])
    assert final.choices[0].finish_reason == "length"


def test_chat_error_inside_the_stream_raises_api_error(server, oai):
    server.answer = [("text", "partial"), ("fail", 529, "overloaded", "the upstream is overloaded")]
    stream = oai.chat.completions.create(model="m", stream=True, messages=[{"role": "user", "content": "go"}])
    with pytest.raises(openai.APIError, match="the upstream is overloaded"):
        list(stream)


# -- Responses ------------------------------------------------------------------------------------------------
def test_responses_stream_helper_sees_text_tool_calls_reasoning_and_usage(server, oai):
    server.answer = answer_with_tools()
    with oai.responses.stream(model="anthropic/claude-sonnet-4-6", input="read a.txt and b.txt", tools=TOOLS_RESPONSES,
                              include=["reasoning.encrypted_content"], store=False) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert final.output_text == "I'll read both."
    calls = [o for o in final.output if o.type == "function_call"]
    assert [(c.call_id, c.name, json.loads(c.arguments)) for c in calls] == [
        ("call_one", "read_file", {"path": "a.txt"}), ("call_two", "read_file", {"path": "b.txt"})]
    reasoning = final.output[0]
    assert reasoning.type == "reasoning" and reasoning.summary[0].text == "Two files. Read both."
    assert ir.unpack(reasoning.encrypted_content) == ("anthropic-messages", UPSTREAM_SIGNATURE)
    assert final.status == "completed" and final.model == "anthropic/claude-sonnet-4-6"
    assert (final.usage.input_tokens, final.usage.input_tokens_details.cached_tokens, final.usage.output_tokens,
            final.usage.output_tokens_details.reasoning_tokens) == (1050, 900, 40, 12)
    # The whole lifecycle, in order (Codex builds its output from output_item.done).
    assert kinds[:2] == ["response.created", "response.in_progress"] and kinds[-1] == "response.completed"
    assert kinds.count("response.output_item.added") == kinds.count("response.output_item.done") == 4
    assert kinds.count("response.function_call_arguments.done") == 2
    assert "response.content_part.added" in kinds and "response.reasoning_summary_text.delta" in kinds


def test_responses_whole_answer(server, oai):
    server.answer = answer_with_tools()
    final = oai.responses.create(model="m", input="go", tools=TOOLS_RESPONSES)
    assert final.output_text == "I'll read both." and final.status == "completed"
    assert [(o.call_id, o.name) for o in final.output if o.type == "function_call"] == [
        ("call_one", "read_file"), ("call_two", "read_file")]
    # encrypted_content only when include asks for it, as OpenAI does
    assert final.output[0].type == "reasoning" and final.output[0].encrypted_content is None
    assert (final.usage.input_tokens, final.usage.input_tokens_details.cached_tokens) == (1050, 900)


def test_responses_error_inside_the_stream_is_response_failed(server, oai):
    server.answer = [("text", "partial"), ("fail", 429, "rate_limit", "slow down")]
    events = list(oai.responses.create(model="m", input="go", stream=True))
    assert events[0].type == "response.created" and events[-1].type == "response.failed"
    assert (events[-1].response.error.code, events[-1].response.error.message) == ("rate_limit_exceeded", "slow down")


# -- Messages ---------------------------------------------------------------------------------------------------
def test_messages_stream_helper_sees_text_tool_uses_thinking_and_usage(server, claude):
    server.answer = answer_with_tools(origin="openai-responses")
    with claude.messages.stream(model="openai/gpt-5", max_tokens=1000, tools=TOOLS_MESSAGES,
                                messages=[{"role": "user", "content": "read a.txt and b.txt"}]) as stream:
        final = stream.get_final_message()
    thinking, text, first, second = final.content
    assert (thinking.type, thinking.thinking) == ("thinking", "Two files. Read both.")
    assert ir.unpack(thinking.signature) == ("openai-responses", UPSTREAM_SIGNATURE)
    assert text.text == "I'll read both."
    assert [(t.name, t.input) for t in (first, second)] == [("read_file", {"path": "a.txt"}),
                                                           ("read_file", {"path": "b.txt"})]
    assert first.id.startswith("toolu_") and second.id.startswith("toolu_") and first.id != second.id
    assert final.stop_reason == "tool_use" and final.model == "openai/gpt-5"
    assert (final.usage.input_tokens, final.usage.cache_read_input_tokens, final.usage.cache_creation_input_tokens,
            final.usage.output_tokens) == (100, 900, 50, 40)
    assert all(raw.startswith(b"event: ") for raw in server.raw)


def test_messages_whole_answer(server, claude):
    server.answer = answer_with_tools(origin="anthropic-messages")
    final = claude.messages.create(model="m", max_tokens=1000, messages=[{"role": "user", "content": "go"}])
    assert [b.type for b in final.content] == ["thinking", "text", "tool_use", "tool_use"]
    assert final.content[0].signature == UPSTREAM_SIGNATURE  # Anthropic's own state goes back as it was
    assert final.content[2].input == {"path": "a.txt"} and final.stop_reason == "tool_use"
    assert (final.usage.input_tokens, final.usage.cache_read_input_tokens) == (100, 900)


def test_messages_error_inside_the_stream_raises(server, claude):
    server.answer = [("text", "partial"), ("fail", 529, "overloaded", "the upstream is overloaded")]
    with pytest.raises(anthropic.APIStatusError, match="the upstream is overloaded"):
        with claude.messages.stream(model="m", max_tokens=10, messages=[{"role": "user", "content": "go"}]) as stream:
            stream.get_final_message()


def test_messages_plain_text_and_end_turn(server, claude):
    server.answer = PLAIN
    with claude.messages.stream(model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}]) as stream:
        assert "".join(stream.text_stream) == "Hello, world."
        final = stream.get_final_message()
    assert final.stop_reason == "end_turn" and (final.usage.input_tokens, final.usage.output_tokens) == (7, 3)


# -- held prologue: a retry before any content is invisible ----------------------------------------------------------
@pytest.mark.parametrize("family", ["chat", "responses", "messages"])
def test_an_attempt_that_fails_before_content_is_not_seen(server, oai, claude, family):
    server.answer = [("start", "m", "first"), ("usage", {"input": 5}), ("retry",),
                     ("start", "m", "second"), ("text", "only once"), ("usage", {"output": 2}), ("stop", "stop")]
    if family == "chat":
        final = oai.chat.completions.create(model="m", stream=True, messages=[{"role": "user", "content": "go"}])
        assert "".join(c.choices[0].delta.content or "" for c in final if c.choices) == "only once"
    elif family == "responses":
        with oai.responses.stream(model="m", input="go") as stream:
            assert stream.get_final_response().output_text == "only once"
    else:
        with claude.messages.stream(model="m", max_tokens=10, messages=[{"role": "user", "content": "go"}]) as stream:
            assert stream.get_final_message().content[0].text == "only once"


def test_nothing_is_written_before_the_first_content(server, claude):
    # An upstream that fails before answering leaves the status line unsent: the gateway can still
    # answer with an error of the caller's own shape.
    server.answer = [("start", "m", "x"), ("usage", {"input": 5}), ("cut",)]
    with pytest.raises(anthropic.OverloadedError):
        claude.messages.create(model="m", max_tokens=10, messages=[{"role": "user", "content": "go"}], stream=True)


# -- errors: each SDK's own exception class --------------------------------------------------------------------------
OPENAI_ERRORS = [(400, "BadRequestError"), (401, "AuthenticationError"), (403, "PermissionDeniedError"),
                 (404, "NotFoundError"), (429, "RateLimitError"), (500, "InternalServerError"),
                 (502, "InternalServerError"), (503, "InternalServerError"), (529, "InternalServerError")]
ANTHROPIC_ERRORS = [(400, "BadRequestError"), (401, "AuthenticationError"), (402, "PaymentRequiredError"),
                    (403, "PermissionDeniedError"), (404, "NotFoundError"), (413, "ContentTooLargeError"),
                    (429, "RateLimitError"), (500, "InternalServerError"), (502, "InternalServerError"),
                    (503, "ServiceUnavailableError"), (529, "OverloadedError")]


@pytest.mark.parametrize("status, name", OPENAI_ERRORS)
@pytest.mark.parametrize("api", ["chat", "responses"])
def test_openai_sdk_raises_its_own_class(server, oai, api, status, name):
    server.answer = ("error", status, None, "it went wrong (%d)" % status, 7)
    with pytest.raises(getattr(openai, name)) as caught:
        if api == "chat":
            oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "go"}])
        else:
            oai.responses.create(model="m", input="go")
    assert caught.value.message.endswith("it went wrong (%d)" % status)
    if status in (429, 503, 529):
        assert caught.value.response.headers["retry-after"] == "7"


@pytest.mark.parametrize("status, name", ANTHROPIC_ERRORS)
def test_anthropic_sdk_raises_its_own_class(server, claude, status, name):
    server.answer = ("error", status, None, "it went wrong (%d)" % status, 7)
    with pytest.raises(getattr(anthropic, name)) as caught:
        claude.messages.create(model="m", max_tokens=10, messages=[{"role": "user", "content": "go"}])
    assert "it went wrong (%d)" % status in caught.value.message
    if status in (429, 503, 529):
        assert caught.value.response.headers["retry-after"] == "7"


def test_a_refused_field_is_a_bad_request_naming_it(server, oai, claude):
    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(model="m", n=2, messages=[{"role": "user", "content": "go"}])
    assert caught.value.param == "n" and "n:" in caught.value.message
    with pytest.raises(openai.BadRequestError, match="store: false"):
        oai.responses.create(model="m", input="go", store=True)
    with pytest.raises(anthropic.BadRequestError, match="container"):
        claude.messages.create(model="m", max_tokens=10, messages=[{"role": "user", "content": "go"}],
                               extra_body={"container": "c1"})
    assert server.requests == []


# -- model lists -------------------------------------------------------------------------------------------------------
def test_model_lists_in_each_sdks_shape(server, oai, claude):
    server.records = [{"id": "claude-sonnet-4-6", "provider": "anthropic", "name": "Claude Sonnet 4.6"},
                      {"id": "gpt-5", "provider": "openai"}]
    assert [m.id for m in oai.models.list()] == ["anthropic/claude-sonnet-4-6", "openai/gpt-5"]
    listed = list(claude.models.list())
    assert [(m.id, m.display_name) for m in listed] == [("anthropic/claude-sonnet-4-6", "Claude Sonnet 4.6"),
                                                        ("openai/gpt-5", "gpt-5")]
