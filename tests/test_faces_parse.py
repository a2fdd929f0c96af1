"""The faces' parse(): what real clients send (bodies rebuilt from gateway.md §1 in
tests/fixtures/faces/) becomes the IR; every request field is translated, set aside by name, or
refused with a 400 naming it and the fix; unknown fields are refused."""
import base64
import json
import os

import pytest

from conftest import REPO

from providers._wire import faces, ir
from providers._wire.faces import anthropic_messages as messages_face
from providers._wire.faces import openai_completions as chat_face
from providers._wire.faces import openai_responses as responses_face

FIXTURES = os.path.join(REPO, "tests", "fixtures", "faces")
FACES = [chat_face, responses_face, messages_face]
MINIMAL = {chat_face: {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
           responses_face: {"model": "m", "input": "hi"},
           messages_face: {"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}}


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        body = json.load(f)
    body.pop("_about")
    return body


def refused(face, body):
    with pytest.raises(faces.FaceError) as caught:
        face.parse(body)
    assert caught.value.status == 400
    return caught.value


def with_fields(face, **fields):
    body = dict(MINIMAL[face])
    body.update(fields)
    return body


# -- what the real clients send -------------------------------------------------------------------------------
def test_codex_needs_web_search_disabled_and_says_so():
    error = refused(responses_face, fixture("codex_responses.json"))
    assert error.field == "tools[2].type"
    assert "'web_search'" in error.message and 'web_search = "disabled"' in error.message


def test_codex_turn_after_a_tool_call():
    body = fixture("codex_responses.json")
    body["tools"] = [t for t in body["tools"] if t["type"] != "web_search"]  # as `web_search = "disabled"` sends it
    request = responses_face.parse(body)
    assert request.model == "anthropic/claude-sonnet-4-6" and request.stream is True
    assert request.system == "You are a coding agent running in a terminal."
    assert [m.role for m in request.turns] == ["user", "user", "assistant", "tool"]
    thinking, call = request.turns[2].blocks
    assert (thinking.text, thinking.signature, thinking.origin) == (
        "I should run ls.", "gAAAAABoFakeEncryptedReasoningState", "openai-responses")
    assert (call.id, call.name, call.arguments) == ("call_abc", "shell", '{"command":["ls"]}')
    assert call.native == {"openai-responses": {"id": "fc_1"}}
    assert request.turns[3].blocks == [ir.ToolResult("call_abc", [ir.Text("README.md\nsrc")])]
    # namespace tools are flattened, and a call of one goes back with its namespace
    assert [t.name for t in request.tools] == ["shell", "multi_agent_v1__spawn_agent", "multi_agent_v1__wait"]
    assert request.tools[1].description == "Start a helper. (multi_agent_v1: Helpers that work beside you.)"
    assert request.echo == {"encrypted": True, "namespaces": {
        "multi_agent_v1__spawn_agent": ("multi_agent_v1", "spawn_agent"), "multi_agent_v1__wait": ("multi_agent_v1", "wait")}}
    assert (request.tool_choice, request.options.parallel_tools, request.options.reasoning) == ("auto", True, "medium")
    assert request.session_id == "0199a0b1-session"
    assert request.ignored == ["client_metadata", "reasoning.summary", "tools[].strict"]


def test_claude_code_turn_after_a_tool_call():
    request = messages_face.parse(fixture("claude_code_messages.json"))
    # the billing header is Anthropic's alone and changes per conversation (§3.11 #11); the
    # system entry inside messages joins the system prompt
    assert request.system == ("You are a Claude agent, built on Anthropic's Claude Agent SDK.\n\n"
                              "Use the tools to help the user with software tasks.\n\n"
                              "Today is Monday. The working directory is /work/demo.")
    assert [m.role for m in request.turns] == ["user", "assistant", "tool"]
    thinking, text, call = request.turns[1].blocks
    assert (thinking.text, thinking.signature, thinking.origin) == (
        "", "ErcBCkgIBxABGAIiQFakeSignatureOfClaude", "anthropic-messages")
    assert text == ir.Text("I'll read it.")
    assert (call.id, call.name, json.loads(call.arguments)) == ("toolu_01AbCdEf", "Read", {"file_path": "/work/demo/notes.txt"})
    assert request.turns[2].blocks == [ir.ToolResult("toolu_01AbCdEf", [ir.Text("buy milk")])]
    assert [t.name for t in request.tools] == ["Read", "DeferredToolPlaceholder"]
    assert (request.options.max_tokens, request.options.reasoning, request.stream) == (128000, "medium", True)
    assert request.ignored == ["cache_control", "context_management", "metadata",
                               "system[].x-anthropic-billing-header", "thinking.display", "tools[].defer_loading"]


def test_opencode_chat_turn_after_a_tool_call():
    request = chat_face.parse(fixture("opencode_chat.json"))
    assert request.system == "You are opencode, an interactive CLI tool."
    assert [m.role for m in request.turns] == ["user", "assistant", "tool"]
    assert request.turns[1].blocks == [ir.ToolCall("call_1", "edit", '{"file":"main.py","old":"foo","new":"bar"}')]
    assert request.turns[2].blocks == [ir.ToolResult("call_1", [ir.Text("Edited main.py")])]
    assert (request.options.max_tokens, request.echo, request.tool_choice) == (32000, {"include_usage": True}, "auto")
    assert request.ignored == []


def test_opencode_responses_turn():
    request = responses_face.parse(fixture("opencode_responses.json"))
    assert request.system == "You are opencode, an interactive CLI tool."
    assert request.turns == [ir.Message("user", [ir.Text("hello")])]
    assert (request.options.max_tokens, request.session_id, request.echo["encrypted"]) == (32000, "ses_abc123", False)


def test_aider_chat_turn():
    request = chat_face.parse(json.dumps(fixture("aider_chat.json")).encode())
    assert (request.system, request.model, request.stream, request.echo) == (
        "Act as an expert developer.", "openai/gpt-4o", True, {"include_usage": False})
    assert request.turns == [ir.Message("user", [ir.Text("Fix the typo in README.md")])]


# -- the three lists ------------------------------------------------------------------------------------------
SDK_PARAMS = {chat_face: ("openai.types.chat.completion_create_params", "CompletionCreateParamsBase"),
              responses_face: ("openai.types.responses.response_create_params", "ResponseCreateParamsBase"),
              messages_face: ("anthropic.types.message_create_params", "MessageCreateParamsBase")}


@pytest.mark.parametrize("face", FACES, ids=lambda f: f.FAMILY)
def test_every_field_the_sdk_sends_is_on_one_list(face):
    module, name = SDK_PARAMS[face]
    params = set(getattr(pytest.importorskip(module), name).__annotations__) | {"stream"}
    lists = [face.TRANSLATED, face.IGNORABLE, set(face.REFUSED)]
    assert all(not (a & b) for i, a in enumerate(lists) for b in lists[i + 1:])
    assert sorted(params - set().union(*lists)) == []


@pytest.mark.parametrize("face, field", [(f, n) for f in FACES for n in sorted(f.REFUSED)],
                         ids=lambda v: getattr(v, "FAMILY", v))
def test_each_refused_field_is_a_400_naming_it_and_the_fix(face, field):
    error = refused(face, with_fields(face, **{field: {"set": True}}))
    assert error.field == field and error.message.startswith(field + ": ")
    assert any(word in error.message for word in ("leave", "send", "set")), error.message


@pytest.mark.parametrize("face, field", [(f, n) for f in FACES for n in sorted(f.REFUSED) if f.REFUSED[n][0]],
                         ids=lambda v: getattr(v, "FAMILY", v))
def test_a_refused_field_at_its_harmless_value_passes(face, field):
    for value in face.REFUSED[field][0]:
        assert face.parse(with_fields(face, **{field: value})).ignored == []


@pytest.mark.parametrize("face, field", [(f, n) for f in FACES for n in sorted(f.IGNORABLE)],
                         ids=lambda v: getattr(v, "FAMILY", v))
def test_each_ignorable_field_is_reported(face, field):
    assert face.parse(with_fields(face, **{field: {"any": "value"}})).ignored == [field]


@pytest.mark.parametrize("face", FACES, ids=lambda f: f.FAMILY)
def test_an_unknown_field_is_refused(face):
    error = refused(face, with_fields(face, frobnicate=1))
    assert error.field == "frobnicate" and "does not know" in error.message


@pytest.mark.parametrize("face", FACES, ids=lambda f: f.FAMILY)
@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", "null", b"\xff\xfe"])
def test_a_body_that_is_no_json_object_is_a_400(face, body):
    assert refused(face, body).field is None


@pytest.mark.parametrize("face, fields, field", [
    (chat_face, {"model": 3}, "model"), (chat_face, {"messages": {}}, "messages"),
    (chat_face, {"temperature": "hot"}, "temperature"), (chat_face, {"max_tokens": 0}, "max_tokens"),
    (chat_face, {"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
    (chat_face, {"reasoning_effort": "extreme"}, "reasoning_effort"),
    (responses_face, {"input": []}, "input"), (responses_face, {"max_output_tokens": 1.5}, "max_output_tokens"),
    (messages_face, {"max_tokens": None}, "max_tokens"), (messages_face, {"stream": "yes"}, "stream"),
    (messages_face, {"thinking": {"type": "sometimes"}}, "thinking.type"),
], ids=str)
def test_a_field_of_the_wrong_shape_is_named(face, fields, field):
    assert refused(face, with_fields(face, **fields)).field == field


# -- Chat Completions -------------------------------------------------------------------------------------------
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


def test_chat_images_tools_results_and_options():
    request = chat_face.parse({
        "model": "m", "max_tokens": 50, "max_completion_tokens": 80, "temperature": 0.2, "stop": "END",
        "reasoning_effort": "high", "tool_choice": {"type": "function", "function": {"name": "look"}},
        "parallel_tool_calls": False, "user": "u1", "prompt_cache_key": "k1", "service_tier": "priority",
        "response_format": {"type": "json_schema", "json_schema": {"name": "r", "schema": {"type": "object"},
                                                                   "strict": True}},
        "tools": [{"type": "function", "function": {"name": "look", "parameters": {"type": "object"}, "strict": True}}],
        "messages": [
            {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
            {"role": "user", "content": [{"type": "text", "text": "what is this?"},
                                         {"type": "image_url", "image_url": {"url": "data:image/png;base64," + PNG}},
                                         {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg",
                                                                             "detail": "high"}}]},
            {"role": "assistant", "content": "Looking.", "reasoning_content": "hmm",
             "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "look", "arguments": "{}"}},
                            {"id": "c2", "type": "function", "function": {"name": "look", "arguments": "{\"x\":1}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "a cat"},
            {"role": "tool", "tool_call_id": "c2", "content": [{"type": "text", "text": "a hat"}]},
            {"role": "system", "content": "Answer in French."}]})
    assert request.system == "Be brief.\n\nAnswer in French."
    user, assistant, tool = request.turns
    assert user.blocks == [ir.Text("what is this?"), ir.Image("image/png", data=PNG),
                           ir.Image(url="https://example.com/a.jpg")]
    assert assistant.blocks == [ir.Thinking("hmm"), ir.Text("Looking."), ir.ToolCall("c1", "look", "{}"),
                                ir.ToolCall("c2", "look", '{"x":1}')]
    assert tool.blocks == [ir.ToolResult("c1", [ir.Text("a cat")]), ir.ToolResult("c2", [ir.Text("a hat")])]
    o = request.options
    assert (o.max_tokens, o.temperature, o.stop, o.reasoning, o.parallel_tools, o.user) == (80, 0.2, ["END"], "high", False, "u1")
    assert o.output_schema == {"name": "r", "schema": {"type": "object"}, "strict": True}
    assert (request.tool_choice, request.fast, request.session_id) == ({"name": "look"}, True, "k1")
    assert request.ignored == ["image_url.detail", "tools[].function.strict"]


@pytest.mark.parametrize("url", ["http://example.com/a.png", "data:image/png,rawbytes", "file:///etc/passwd", ""])
def test_chat_image_urls_atomic_cannot_send(url):
    body = with_fields(chat_face, messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}])
    assert refused(chat_face, body).field == "messages[0].content[0].image_url.url"


def test_chat_refuses_audio_parts_and_images_in_tool_results():
    audio = [{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "x", "format": "wav"}}]}]
    assert refused(chat_face, with_fields(chat_face, messages=audio)).field == "messages[0].content[0].type"
    image = [{"role": "tool", "tool_call_id": "c", "content": [{"type": "image_url", "image_url": {"url": "https://x"}}]}]
    assert refused(chat_face, with_fields(chat_face, messages=image)).field == "messages[0].content[0].type"


# -- Responses ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fields, field", [
    ({"previous_response_id": "resp_1"}, "previous_response_id"), ({"store": True}, "store"),
    ({"background": True}, "background"),
    ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0].type"),
    ({"include": ["message.output_text.logprobs"]}, "include"),
], ids=str)
def test_responses_state_on_openais_servers_is_refused(fields, field):
    error = refused(responses_face, with_fields(responses_face, **fields))
    assert error.field == field


@pytest.mark.parametrize("tool", ["web_search", "web_search_preview", "file_search", "computer_use_preview", "computer",
                                  "code_interpreter", "image_generation", "local_shell", "shell", "mcp", "apply_patch",
                                  "custom", "tool_search"])
def test_responses_built_in_tools_are_refused(tool):
    error = refused(responses_face, with_fields(responses_face, tools=[{"type": tool}]))
    assert error.field == "tools[0].type" and repr(tool) in error.message
    assert ("send function tools" if tool == "custom" else "leave it out of tools") in error.message


def test_responses_namespace_names_must_stay_apart():
    tools = [{"type": "function", "name": "ns__f"}, {"type": "namespace", "name": "ns", "description": "",
                                                     "tools": [{"type": "function", "name": "f"}]}]
    assert refused(responses_face, with_fields(responses_face, tools=tools)).field == "tools[1].tools[0].name"


def test_responses_images_and_tool_choice_in_a_namespace():
    request = responses_face.parse(with_fields(
        responses_face, instructions="Be brief.",
        tool_choice={"type": "function", "name": "f", "namespace": "ns"},
        text={"format": {"type": "json_schema", "name": "r", "schema": {"type": "object"}, "strict": True}},
        input=[{"role": "user", "content": [{"type": "input_text", "text": "see"},
                                            {"type": "input_image", "image_url": "data:image/jpeg;base64," + PNG,
                                             "detail": "low"}]},
               {"role": "assistant", "content": [{"type": "output_text", "text": "A", "annotations": []}]},
               {"role": "assistant", "content": [{"type": "output_text", "text": "B", "annotations": []}]}]))
    assert request.system == "Be brief."
    assert request.turns[0].blocks == [ir.Text("see"), ir.Image("image/jpeg", data=PNG)]
    assert request.turns[1] == ir.Message("assistant", [ir.Text("A"), ir.Text("B")])  # one turn
    assert request.tool_choice == {"name": "ns__f"}
    assert request.options.output_schema == {"name": "r", "schema": {"type": "object"}, "strict": True}
    assert request.ignored == ["input_image.detail"]


def test_responses_file_inputs_are_refused():
    body = with_fields(responses_face, input=[{"role": "user", "content": [{"type": "input_file", "file_id": "f1"}]}])
    assert refused(responses_face, body).field == "input[0].content[0].type"
    body = with_fields(responses_face, input=[{"role": "user", "content": [{"type": "input_image", "file_id": "f1"}]}])
    assert refused(responses_face, body).field == "input[0].content[0].file_id"


# -- Messages -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("tool", ["web_search_20250305", "bash_20250124", "text_editor_20250728", "computer_20250124",
                                  "code_execution_20250825", "tool_search_tool_regex_20251119"])
def test_messages_server_tools_are_refused(tool):
    error = refused(messages_face, with_fields(messages_face, tools=[{"type": tool, "name": "x"}]))
    assert error.field == "tools[0].type" and tool in error.message


@pytest.mark.parametrize("block", [{"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                                                    "data": "JVBER"}},
                                   {"type": "search_result", "source": "s", "title": "t", "content": []},
                                   {"type": "image", "source": {"type": "file", "file_id": "f1"}}])
def test_messages_blocks_atomic_cannot_carry(block):
    body = with_fields(messages_face, messages=[{"role": "user", "content": [block]}])
    assert refused(messages_face, body).field.startswith("messages[0].content[0]")


def test_messages_images_results_thinking_budget_and_choice():
    request = messages_face.parse(with_fields(
        messages_face, system="Be brief.", temperature=0.5, stop_sequences=["END"],
        thinking={"type": "enabled", "budget_tokens": 2048},
        tool_choice={"type": "tool", "name": "look", "disable_parallel_tool_use": True},
        messages=[{"role": "user", "content": [
                      {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
                      {"type": "image", "source": {"type": "url", "url": "https://example.com/b.png"}}]},
                  {"role": "assistant", "content": [{"type": "redacted_thinking", "data": "opaque"},
                                                    {"type": "tool_use", "id": "toolu_1", "name": "look", "input": {}}]},
                  {"role": "user", "content": [
                      {"type": "tool_result", "tool_use_id": "toolu_1", "is_error": True,
                       "content": [{"type": "text", "text": "no"},
                                   {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]},
                      {"type": "text", "text": "try again"}]}]))
    assert request.system == "Be brief."
    user, assistant, tool, again = request.turns
    assert user.blocks == [ir.Image("image/png", data=PNG), ir.Image(url="https://example.com/b.png")]
    assert assistant.blocks == [ir.Thinking(redacted="opaque", origin="anthropic-messages"),
                                ir.ToolCall("toolu_1", "look", "{}")]
    assert tool.blocks == [ir.ToolResult("toolu_1", [ir.Text("no"), ir.Image("image/png", data=PNG)], is_error=True)]
    assert again == ir.Message("user", [ir.Text("try again")])
    o = request.options
    assert (o.reasoning, o.temperature, o.stop, o.parallel_tools) == (2048, 0.5, ["END"], False)
    assert request.tool_choice == {"name": "look"}


# -- opaque state ---------------------------------------------------------------------------------------------------
def test_state_from_another_family_comes_back_to_it_and_damaged_state_is_dropped():
    packed = ir.pack("anthropic-messages", "claude-signature")
    reasoning = {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "t"}]}
    body = with_fields(responses_face, input=[{"role": "user", "content": "hi"}, dict(reasoning, encrypted_content=packed),
                                              dict(reasoning, encrypted_content="atomic1..broken"),
                                              dict(reasoning, id="rs_2", encrypted_content=packed[:-2] + "*"),
                                              {"type": "reasoning", "id": "rs_3", "summary": [],
                                               "encrypted_content": "atomic1..broken"}])
    first, second, third = responses_face.parse(body).turns[1].blocks
    assert (first.signature, first.origin) == ("claude-signature", "anthropic-messages")
    assert (second.text, second.signature, second.origin) == ("t", None, None)  # state gone, text kept; rs_3 gone
    assert (third.text, third.signature, third.origin) == ("t", None, None)  # a character outside base64url

    packed = ir.pack("openai-responses", "gAAAA-encrypted")
    body = with_fields(messages_face, messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "t", "signature": packed}, {"type": "text", "text": "x"}]}])
    thinking = messages_face.parse(body).turns[1].blocks[0]
    assert (thinking.signature, thinking.origin) == ("gAAAA-encrypted", "openai-responses")


def test_gateway_bug_13_an_empty_unsigned_thinking_block_is_not_sent_on():
    body = with_fields(messages_face, messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "", "signature": ""}, {"type": "text", "text": "x"}]}])
    assert messages_face.parse(body).turns[1].blocks == [ir.Text("x")]


def test_gateway_bug_3_content_beside_tool_calls_is_read_once():
    body = with_fields(chat_face, messages=[{"role": "user", "content": "hi"}, {
        "role": "assistant", "content": [{"type": "text", "text": "Let me look."}],
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}])
    assert chat_face.parse(body).turns[1].blocks == [ir.Text("Let me look."), ir.ToolCall("c1", "f", "{}")]


def test_the_face_for_each_family():
    assert {family: faces.load(family).FAMILY for family in faces.FAMILIES} == {f: f for f in faces.FAMILIES}
    with pytest.raises(KeyError):
        faces.load("google-generative-ai")


def test_responses_item_ids_are_kept_for_a_responses_upstream_and_given_back():
    body = with_fields(responses_face, input=[
        {"role": "user", "content": "hi"},
        {"type": "message", "id": "msg_up", "role": "assistant", "content": [{"type": "output_text", "text": "A"}]},
        {"type": "message", "id": "msg_empty", "role": "assistant", "content": []},
        {"type": "function_call", "id": "fc_up", "call_id": "c1", "name": "f", "arguments": "{}"}])
    text, call = responses_face.parse(body).turns[1].blocks
    assert (text.native, call.native) == ({"openai-responses": {"id": "msg_up"}}, {"openai-responses": {"id": "fc_up"}})
    # rendered again, an upstream's item ids are the items' ids
    out = []
    renderer = responses_face.Renderer(out.append, stream=False)
    renderer.text("B")
    renderer.block.native = {"openai-responses": {"id": "msg_again"}}
    renderer.tool_call("c2", "f")
    renderer.stop("toolUse")
    renderer.done()
    assert [item["id"] for item in json.loads(b"".join(out))["output"]][0] == "msg_again"


@pytest.mark.parametrize("fields, reasoning, schema", [
    ({"thinking": {"type": "adaptive"}}, "high", None),
    ({"thinking": {"type": "disabled"}, "output_config": {"effort": "max"}}, "xhigh", None),
    ({"output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}}}, None,
     {"name": "output", "schema": {"type": "object"}, "strict": True}),
    ({"output_format": {"type": "json_schema", "schema": {"type": "array"}}}, None,
     {"name": "output", "schema": {"type": "array"}, "strict": True}),
], ids=str)
def test_messages_thinking_effort_and_structured_output(fields, reasoning, schema):
    options = messages_face.parse(with_fields(messages_face, **fields)).options
    assert (options.reasoning, options.output_schema) == (reasoning, schema)


def test_efforts_and_fast_mode_from_each_face():
    assert chat_face.parse(with_fields(chat_face, reasoning_effort="none")).options.reasoning == "minimal"
    assert responses_face.parse(with_fields(responses_face, reasoning={"effort": "xhigh"})).options.reasoning == "xhigh"
    assert responses_face.parse(with_fields(responses_face, service_tier="priority")).fast is True
    assert messages_face.parse(with_fields(messages_face, speed="fast")).fast is True
    flex = chat_face.parse(with_fields(chat_face, service_tier="flex"))
    assert (flex.fast, flex.ignored) == (False, ["service_tier"])


def test_a_callers_value_in_an_error_is_cut_short():
    error = refused(responses_face, with_fields(responses_face, tools=[{"type": "x" * 5000}]))
    assert len(error.message) < 300 and "..." in error.message
