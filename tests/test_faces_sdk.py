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


# -- round trips: what the SDK got back goes back in the next request ------------------------------------------------
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
RESULTS = {"a.txt": "alpha", "b.txt": "beta"}


def test_chat_round_trip(server, oai):
    server.answer = answer_with_tools()
    messages = [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "read these"},
                                             {"type": "image_url", "image_url": {"url": "data:image/png;base64," + PNG}}]}]
    with oai.chat.completions.stream(model="m", messages=messages, tools=TOOLS_CHAT,
                                     stream_options={"include_usage": True}) as stream:
        first = stream.get_final_completion()
    asked = server.requests[0]
    assert asked.system == "Be brief." and asked.turns[0].blocks == [ir.Text("read these"), ir.Image("image/png", data=PNG)]
    assert [(t.name, t.schema) for t in asked.tools] == [("read_file", TOOLS_CHAT[0]["function"]["parameters"])]

    reply = first.choices[0].message
    messages.append({"role": "assistant", "content": reply.content, "reasoning_content": reply.reasoning_content,
                     "tool_calls": [{"id": c.id, "type": "function", "function": {"name": c.function.name,
                                                                                  "arguments": c.function.arguments}}
                                    for c in reply.tool_calls]})
    messages += [{"role": "tool", "tool_call_id": c.id, "content": RESULTS[json.loads(c.function.arguments)["path"]]}
                 for c in reply.tool_calls]
    server.answer = PLAIN
    oai.chat.completions.create(model="m", messages=messages, tools=TOOLS_CHAT)
    assistant, results = server.requests[1].turns[1:]
    # Chat Completions has no field for the signature: the reasoning text alone comes back
    assert assistant.blocks == [ir.Thinking("Two files. Read both."), ir.Text("I'll read both."),
                                ir.ToolCall("call_one", "read_file", '{"path": "a.txt"}'),
                                ir.ToolCall("call_two", "read_file", '{"path": "b.txt"}')]
    assert results.blocks == [ir.ToolResult("call_one", [ir.Text("alpha")]), ir.ToolResult("call_two", [ir.Text("beta")])]


def test_responses_round_trip(server, oai):
    server.answer = answer_with_tools(origin="anthropic-messages")
    items = [{"role": "user", "content": [{"type": "input_text", "text": "read these"},
                                          {"type": "input_image", "image_url": "data:image/png;base64," + PNG}]}]
    with oai.responses.stream(model="m", instructions="Be brief.", input=items, tools=TOOLS_RESPONSES, store=False,
                              include=["reasoning.encrypted_content"]) as stream:
        first = stream.get_final_response()
    asked = server.requests[0]
    assert asked.system == "Be brief." and asked.turns[0].blocks == [ir.Text("read these"), ir.Image("image/png", data=PNG)]

    # as Codex does: the output items, then each call's output
    items += [item.model_dump(exclude_none=True) for item in first.output]
    items += [{"type": "function_call_output", "call_id": o.call_id, "output": RESULTS[json.loads(o.arguments)["path"]]}
              for o in first.output if o.type == "function_call"]
    server.answer = PLAIN
    oai.responses.create(model="m", instructions="Be brief.", input=items, tools=TOOLS_RESPONSES, store=False)
    assistant, results = server.requests[1].turns[1:]
    thinking, text, one, two = assistant.blocks
    # Claude's signature came back from a Responses caller to the family that made it
    assert (thinking.text, thinking.signature, thinking.origin) == ("Two files. Read both.", UPSTREAM_SIGNATURE,
                                                                    "anthropic-messages")
    assert text == ir.Text("I'll read both.")
    assert [(c.id, c.name, c.arguments) for c in (one, two)] == [("call_one", "read_file", '{"path": "a.txt"}'),
                                                                 ("call_two", "read_file", '{"path": "b.txt"}')]
    assert results.blocks == [ir.ToolResult("call_one", [ir.Text("alpha")]), ir.ToolResult("call_two", [ir.Text("beta")])]


def test_messages_round_trip(server, claude):
    server.answer = answer_with_tools(origin="openai-responses")
    messages = [{"role": "user", "content": [
        {"type": "text", "text": "read these"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]}]
    with claude.messages.stream(model="m", max_tokens=1000, system="Be brief.", messages=messages,
                                tools=TOOLS_MESSAGES) as stream:
        first = stream.get_final_message()
    asked = server.requests[0]
    assert asked.system == "Be brief." and asked.turns[0].blocks == [ir.Text("read these"), ir.Image("image/png", data=PNG)]

    uses = [b for b in first.content if b.type == "tool_use"]
    messages.append({"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]})
    messages.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": b.id,
                                                  "content": RESULTS[b.input["path"]]} for b in uses]})
    server.answer = PLAIN
    claude.messages.create(model="m", max_tokens=1000, system="Be brief.", messages=messages, tools=TOOLS_MESSAGES)
    assistant, results = server.requests[1].turns[1:]
    thinking, text, one, two = assistant.blocks
    # the Responses upstream's encrypted reasoning came back through a Messages caller
    assert (thinking.text, thinking.signature, thinking.origin) == ("Two files. Read both.", UPSTREAM_SIGNATURE,
                                                                    "openai-responses")
    assert text == ir.Text("I'll read both.")
    assert [(c.id, c.name, json.loads(c.arguments)) for c in (one, two)] == [
        (uses[0].id, "read_file", {"path": "a.txt"}), (uses[1].id, "read_file", {"path": "b.txt"})]
    assert results.blocks == [ir.ToolResult(uses[0].id, [ir.Text("alpha")]), ir.ToolResult(uses[1].id, [ir.Text("beta")])]


# -- known translation bugs of other gateways (gateway.md §3.11) ---------------------------------------------------------
def test_gateway_bug_1_tool_arguments_sent_whole_at_the_end_reach_a_messages_caller(server, claude):
    # An upstream that sends a call's arguments only with its end (one fragment), and a call with none.
    server.answer = [("tool_call", "call_9", "read_file"), ("tool_args", '{"path": "c.txt"}'), ("block_end",),
                     ("tool_call", "call_10", "list_files"), ("block_end",), ("stop", "toolUse")]
    with claude.messages.stream(model="m", max_tokens=10, messages=[{"role": "user", "content": "go"}]) as stream:
        final = stream.get_final_message()
    assert [(b.name, b.input) for b in final.content] == [("read_file", {"path": "c.txt"}), ("list_files", {})]
    whole = claude.messages.create(model="m", max_tokens=10, messages=[{"role": "user", "content": "go"}])
    assert [(b.name, b.input) for b in whole.content] == [("read_file", {"path": "c.txt"}), ("list_files", {})]


def test_gateway_bug_2_cache_reads_reach_a_messages_caller(server, claude):
    # From an OpenAI-family upstream the counts come only at the end, after message_start went out.
    server.answer = [("start", "gpt-5", "resp_1"), ("text", "hi"),
                     ("usage", {"input": 100, "cacheRead": 900, "output": 5}), ("stop", "stop")]
    with claude.messages.stream(model="m", max_tokens=10, messages=[{"role": "user", "content": "go"}]) as stream:
        final = stream.get_final_message()
    assert (final.usage.input_tokens, final.usage.cache_read_input_tokens, final.usage.output_tokens) == (100, 900, 5)
    delta = json.loads([raw for raw in server.raw if raw.startswith(b"event: message_delta")][0].split(b"data: ")[1])
    assert delta["usage"]["cache_read_input_tokens"] == 900


def test_gateway_bug_3_each_tool_use_id_is_written_once(server, claude):
    server.answer = [("text", "Let me look."), ("tool_call", "call_1", "f"), ("tool_args", "{}"),
                     ("tool_call", "call_2", "f"), ("tool_args", "{}"), ("stop", "toolUse")]
    final = claude.messages.create(model="m", max_tokens=10, messages=[{"role": "user", "content": "go"}])
    ids = [b.id for b in final.content if b.type == "tool_use"]
    assert [b.type for b in final.content] == ["text", "tool_use", "tool_use"] and len(set(ids)) == 2


def test_gateway_bug_4_one_choice_for_one_answer(server, oai):
    # A preamble and an answer (two text blocks, reasoning between) are one choice, not two.
    server.answer = [("text", "Plan: read. "), ("reasoning", "reading"), ("text", "Answer: 42."), ("stop", "stop")]
    chunks = list(oai.chat.completions.create(model="m", stream=True, messages=[{"role": "user", "content": "go"}]))
    assert {c.choices[0].index for c in chunks} == {0}
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Plan: read. Answer: 42."
    whole = oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "go"}])
    assert len(whole.choices) == 1 and whole.choices[0].message.content == "Plan: read. Answer: 42."


def test_gateway_bug_5_reasoning_and_text_both_reach_a_chat_caller(server, oai):
    server.answer = [("reasoning", "First "), ("text", "One. "), ("reasoning", "then "), ("text", "Two."), ("stop", "stop")]
    with oai.chat.completions.stream(model="m", messages=[{"role": "user", "content": "go"}]) as stream:
        final = stream.get_final_completion().choices[0].message
    assert (final.content, final.reasoning_content) == ("One. Two.", "First then ")
    whole = oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "go"}]).choices[0].message
    assert (whole.content, whole.reasoning_content) == ("One. Two.", "First then ")


def test_gateway_bug_6_an_answer_cut_at_its_cap_is_incomplete_not_an_error(server, oai, claude):
    server.answer = [("text", "cut sh"), ("usage", {"input": 3, "output": 16}), ("stop", "length")]
    events = list(oai.responses.create(model="m", input="go", stream=True))
    last = events[-1]
    assert (last.type, last.response.status, last.response.incomplete_details.reason) == (
        "response.incomplete", "incomplete", "max_output_tokens")
    assert last.response.output[0].content[0].text == "cut sh" and last.response.usage.output_tokens == 16
    whole = oai.responses.create(model="m", input="go")
    assert (whole.status, whole.incomplete_details.reason, whole.output_text) == ("incomplete", "max_output_tokens", "cut sh")
    assert claude.messages.create(model="m", max_tokens=16, messages=[{"role": "user", "content": "go"}]).stop_reason == "max_tokens"
    assert oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "go"}]).choices[0].finish_reason == "length"


def test_gateway_bug_9_a_tool_calls_id_is_sent_once_and_its_fragments_stay_in_one_block(server, oai, claude):
    server.answer = [("tool_call", "call_1", "f"), ("tool_args", '{"a"'), ("tool_args", ": 1"), ("tool_args", "}"),
                     ("tool_call", "call_2", "g"), ("tool_args", '{"b"'), ("tool_args", ": 2}"), ("stop", "toolUse")]
    chunks = list(oai.chat.completions.create(model="m", stream=True, messages=[{"role": "user", "content": "go"}]))
    deltas = [d for c in chunks for d in (c.choices[0].delta.tool_calls or [])]
    assert [(d.index, d.id, d.type) for d in deltas if d.id] == [(0, "call_1", "function"), (1, "call_2", "function")]
    assert [(d.index, d.function.name) for d in deltas if d.function.name] == [(0, "f"), (1, "g")]
    assert len(deltas) == 7
    with claude.messages.stream(model="m", max_tokens=10, messages=[{"role": "user", "content": "go"}]) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert kinds.count("content_block_start") == 2 and [b.input for b in final.content] == [{"a": 1}, {"b": 2}]


def test_gateway_bug_10_a_messages_caller_gets_toolu_ids(server, claude):
    script = [("tool_call", "call_abc", "f"), ("tool_call", "fc_abc", "f"), ("tool_call", "toolu_01Kept", "f"),
              ("stop", "toolUse")]
    ids = []
    for _ in range(2):
        server.answer = script
        with claude.messages.stream(model="m", max_tokens=10, messages=[{"role": "user", "content": "go"}]) as stream:
            ids.append([b.id for b in stream.get_final_message().content])
    first, again = ids
    assert first == again  # the same upstream id gives the same id, so a call and its result agree
    assert all(i.startswith("toolu_") for i in first) and len(set(first)) == 3
    assert first[2] == "toolu_01Kept" and "call_abc" not in first[0] and "fc_abc" not in first[1]


def test_gateway_bug_12_thinking_with_tools_reaches_openai_callers_whole(server, oai):
    server.answer = answer_with_tools()
    chat = oai.chat.completions.create(model="m", stream=True, messages=[{"role": "user", "content": "go"}])
    deltas = [c.choices[0].delta for c in chat]
    assert "".join(d.content or "" for d in deltas) == "I'll read both."
    assert sum(1 for d in deltas for call in d.tool_calls or [] if call.id) == 2
    assert "".join(getattr(d, "reasoning_content", None) or "" for d in deltas) == "Two files. Read both."
    server.answer = answer_with_tools()
    with oai.responses.stream(model="m", input="go") as stream:
        final = stream.get_final_response()
    assert [o.type for o in final.output] == ["reasoning", "message", "function_call", "function_call"]


def test_gateway_bug_13_no_empty_thinking_block_is_written(server, oai, claude):
    server.answer = [("reasoning_end", None, None), ("text", "x"), ("stop", "stop")]
    with claude.messages.stream(model="m", max_tokens=10, messages=[{"role": "user", "content": "go"}]) as stream:
        assert [b.type for b in stream.get_final_message().content] == ["text"]
    assert [b.type for b in claude.messages.create(model="m", max_tokens=10,
                                                   messages=[{"role": "user", "content": "go"}]).content] == ["text"]
    with oai.responses.stream(model="m", input="go") as stream:
        assert [o.type for o in stream.get_final_response().output] == ["message"]
    # adaptive thinking with its text omitted: an empty thinking block that keeps its signature
    server.answer = [("reasoning_end", "sig-only", "anthropic-messages"), ("text", "x"), ("stop", "stop")]
    with claude.messages.stream(model="m", max_tokens=10, messages=[{"role": "user", "content": "go"}]) as stream:
        thinking = stream.get_final_message().content[0]
    assert (thinking.type, thinking.thinking, thinking.signature) == ("thinking", "", "sig-only")
