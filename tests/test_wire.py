"""Each upstream wire module carries a real conversation both ways: a request with a system prompt,
an image, tools and tool_choice goes out; the stand-in answers with reasoning (and its opaque
state), a tool call streamed in fragments and usage with cached tokens; the answer, read into an
Answer, goes back as the next request's assistant turn with the tool's result (text and an image),
and the body the stand-in received must hold the signature, the call and the result each in the
place its API wants them. Real sockets through HTTPS_PROXY and a test CA (llmfakes.exchange)."""
import json

import pytest

from cloudfakes import bedrock_tool_events
from netfakes import sse
from llmfakes import (Model, anthropic_tool_events, completions_events, completions_tool_events, exchange,
                      gemini_events, gemini_tool_events, responses_events, responses_tool_events, anthropic_events)

from providers._wire import (anthropic_messages, bedrock_converse, google_generative_ai, ir, mistral_conversations,
                             openai_codex_responses, openai_completions, openai_responses)
from providers._wire.convert import CannotCarry

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
DATA_URL = "data:image/png;base64," + PNG
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
          "required": ["city"]}
WEATHER = ir.Tool("get_weather", "The weather in a city", SCHEMA)
ARGS = '{"city": "Paris", "unit": "celsius"}'
RESULT = "22 °C and sunny"


@pytest.fixture(autouse=True)
def no_cache_setting(monkeypatch):
    """The wire layer falls back to ATOMIC_CACHE_RETENTION: this machine's must not leak in."""
    for name in ("ATOMIC_CACHE_RETENTION", "PI_CACHE_RETENTION"):
        monkeypatch.delenv(name, raising=False)


def first(cache=None, **options):
    """The user asks, with a map attached; the model may call get_weather."""
    question = ir.Message("user", [ir.Text("What is the weather in Paris? Here is the map."),
                                   ir.Image("image/png", data=PNG)])
    return ir.Request("Be brief.", [question], [WEATHER], tool_choice="auto",
                      options=ir.Options(cache=cache, **options), session_id="conv-1")


def then(request, answer, image=True):
    """The next request: the answer as the assistant's turn, and the tool's result."""
    call = answer.tool_calls[0]
    result = ir.ToolResult(call.id, [ir.Text(RESULT)] + ([ir.Image("image/png", data=PNG)] if image else []))
    return ir.Request(request.system, request.turns + [ir.Message("assistant", answer.blocks),
                                                       ir.Message("tool", [result])],
                      request.tools, options=request.options, session_id=request.session_id)


def kinds(answer):
    return [block.kind for block in answer.blocks]


# OpenAI Chat Completions ---------------------------------------------------------------------

GPT = {"id": "gpt-4.1", "provider": "openai", "api": "openai-completions", "baseUrl": "https://api.openai.com/v1",
       "input": ["text", "image"], "maxTokens": 32768}


def test_completions_round_trip_of_an_image_a_tool_call_and_its_result(net):
    api = Model(net, "POST", "api.openai.com", "/v1/chat/completions", answers=[
        completions_tool_events([("call_abc123", "get_weather", ARGS)], usage=(30, 12, 8)),
        completions_events("It is 22 °C and sunny.", model="gpt-4.1")])
    request = first()
    answer = exchange(net, openai_completions, GPT, "https://api.openai.com/v1", request)
    assert answer.tool_calls == [ir.ToolCall("call_abc123", "get_weather", ARGS)]
    assert (answer.stop_reason, answer.raw_stop) == ("toolUse", "tool_calls")
    assert answer.usage == {"input": 22, "output": 12, "cacheRead": 8, "cacheWrite": 0, "reasoning": 0}
    assert (answer.model, answer.id) == ("gpt-4.1", "chatcmpl-7")

    body = api.body_of(0)
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "What is the weather in Paris? Here is the map."},
                                     {"type": "image_url", "image_url": {"url": DATA_URL}}]}]
    assert body["tools"] == [{"type": "function", "function": {"name": "get_weather",
                                                               "description": "The weather in a city",
                                                               "parameters": SCHEMA}}]
    assert body["tool_choice"] == "auto" and body["prompt_cache_key"] == "conv-1"

    answer = exchange(net, openai_completions, GPT, "https://api.openai.com/v1", then(request, answer))
    assert answer.full_text == "It is 22 °C and sunny." and answer.stop_reason == "stop"
    assert api.body_of(1)["messages"][2:] == [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_abc123", "type": "function", "function": {"name": "get_weather", "arguments": ARGS}}]},
        {"role": "tool", "tool_call_id": "call_abc123", "content": RESULT},
        # A tool message takes text only: its image follows as the user's.
        {"role": "user", "content": [{"type": "text", "text": "The tool results' images:"},
                                     {"type": "image_url", "image_url": {"url": DATA_URL}}]}]


DEEPSEEK = {"id": "deepseek-reasoner", "provider": "deepseek", "api": "openai-completions",
            "baseUrl": "https://api.deepseek.com", "reasoning": True,
            "compat": {"requiresReasoningContentOnAssistantMessages": True, "thinkingFormat": "deepseek"}}


def test_completions_reasoning_goes_back_as_reasoning_content_and_no_cache_key_goes_to_other_hosts(net):
    api = Model(net, "POST", "api.deepseek.com", "/chat/completions", answers=[
        completions_tool_events([("call_0", "get_weather", ARGS)], reasoning="I need the weather tool.",
                                model="deepseek-reasoner"),
        completions_events("Sunny.", model="deepseek-reasoner")])
    request = first(reasoning="high")
    answer = exchange(net, openai_completions, DEEPSEEK, "https://api.deepseek.com", request)
    assert kinds(answer) == ["thinking", "tool_call"]
    assert answer.blocks[0].origin == "openai-completions" and answer.blocks[0].signature is None
    body = api.body_of(0)
    assert body["thinking"] == {"type": "enabled"} and "prompt_cache_key" not in body  # defect 6: one rule
    exchange(net, openai_completions, DEEPSEEK, "https://api.deepseek.com", then(request, answer, image=False))
    assert api.body_of(1)["messages"][2] == {
        "role": "assistant", "content": None, "reasoning_content": "I need the weather tool.",
        "tool_calls": [{"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": ARGS}}]}


OPENROUTER_CLAUDE = {"id": "anthropic/claude-sonnet-4.5", "provider": "openrouter", "api": "openai-completions",
                     "baseUrl": "https://openrouter.ai/api/v1", "reasoning": True, "input": ["text", "image"]}


def openrouter_events(deltas):
    """A Chat Completions stream as OpenRouter sends it: the deltas given, then a tool call."""
    def chunk(delta, finish=None):
        return {"id": "gen-7", "object": "chat.completion.chunk", "created": 1700000000, "provider": "Anthropic",
                "model": OPENROUTER_CLAUDE["id"], "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    call = {"index": 0, "id": "toolu_01", "type": "function", "function": {"name": "get_weather", "arguments": ARGS}}
    return sse(*([chunk({"role": "assistant", "content": ""})] + [chunk(d) for d in deltas]
                 + [chunk({"tool_calls": [call]}), chunk({}, "tool_calls"), "[DONE]"]))


SIGNED = [{"type": "reasoning.text", "text": "I need ", "format": "anthropic-claude-v1", "index": 0},
          {"type": "reasoning.text", "text": "the weather tool.", "signature": "EqMBCkgIARABGAIiQ", "format":
           "anthropic-claude-v1", "index": 0}]
ENCRYPTED = {"type": "reasoning.encrypted", "data": "gAAAAABpRedacted", "format": "anthropic-claude-v1", "index": 1}


@pytest.mark.parametrize("deltas, text, details", [
    ([{"reasoning": "I need ", "reasoning_details": SIGNED[:1]},
      {"reasoning": "the weather tool.", "reasoning_details": SIGNED[1:] + [{"type": "reasoning.unknown"}]},
      {"reasoning_details": [ENCRYPTED]}], "I need the weather tool.", SIGNED + [ENCRYPTED]),
    ([{"reasoning_details": [ENCRYPTED]}], "", [ENCRYPTED]),
    ([{"reasoning_details": [{"type": {"of": "reasoning.text"}, "text": "odd"}, [ENCRYPTED], ENCRYPTED]}], "",
     [ENCRYPTED]),
], ids=["signed text, then encrypted", "encrypted alone", "items of another shape left out"])
def test_openrouter_reasoning_details_go_back_whole_and_in_order_beside_the_tool_call(net, deltas, text, details):
    # Claude and Gemini through OpenRouter refuse a tool result whose call lost its signed
    # reasoning: the details come back as they came (what atomic cannot read is left out).
    api = Model(net, "POST", "openrouter.ai", "/api/v1/chat/completions", answers=[
        openrouter_events(deltas), completions_events("Sunny.", model=OPENROUTER_CLAUDE["id"])])
    request = first(reasoning="high")
    answer = exchange(net, openai_completions, OPENROUTER_CLAUDE, "https://openrouter.ai/api/v1", request)
    assert kinds(answer) == ["thinking", "tool_call"]
    assert answer.blocks[0].text == text and answer.blocks[0].origin == "openai-completions"
    exchange(net, openai_completions, OPENROUTER_CLAUDE, "https://openrouter.ai/api/v1",
             then(request, answer, image=False))
    assert api.body_of(1)["messages"][2] == {
        "role": "assistant", "content": None, "reasoning_details": details,
        "tool_calls": [{"id": "toolu_01", "type": "function", "function": {"name": "get_weather", "arguments": ARGS}}]}
    # The conversation moved on to another provider's server: it gets no field it does not know.
    groq = dict(OPENROUTER_CLAUDE, provider="groq", id="llama-3.3-70b-versatile", baseUrl="https://api.groq.com/openai/v1")
    other = Model(net, "POST", "api.groq.com", "/openai/v1/chat/completions", answers=[completions_events("Sunny.")])
    exchange(net, openai_completions, groq, groq["baseUrl"], then(request, answer, image=False))
    assert "reasoning_details" not in other.body_of(0)["messages"][2]


# OpenAI Responses and the Codex backend ------------------------------------------------------------

GPT5 = {"id": "gpt-5.1", "provider": "openai", "api": "openai-responses", "baseUrl": "https://api.openai.com/v1",
        "reasoning": True, "input": ["text", "image"], "maxTokens": 128000}


@pytest.mark.parametrize("deltas", [True, False], ids=["argument deltas", "arguments only when done"])
def test_responses_round_trip_replays_the_reasoning_item_and_the_call(net, deltas):
    api = Model(net, "POST", "api.openai.com", "/v1/responses", answers=[
        responses_tool_events([("call_w1", "get_weather", ARGS)], reasoning="Checking the weather.",
                              encrypted="gAAAAB-enc-1", deltas=deltas),
        responses_events("Sunny, 22 °C.")])
    request = first(reasoning="low")
    answer = exchange(net, openai_responses, GPT5, "https://api.openai.com/v1", request)
    thinking, call = answer.blocks
    assert (thinking.text, thinking.signature, thinking.origin) == ("Checking the weather.", "gAAAAB-enc-1",
                                                                     "openai-responses")
    assert thinking.native == {"openai-responses": {"id": "rs_7"}}
    assert (call.id, call.name, call.arguments) == ("call_w1", "get_weather", ARGS)
    assert (answer.stop_reason, answer.raw_stop) == ("toolUse", "completed")
    assert answer.usage == {"input": 30, "output": 15, "cacheRead": 10, "cacheWrite": 0, "reasoning": 3}

    body = api.body_of(0)
    assert body["input"] == [
        {"role": "developer", "content": "Be brief."},
        {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "What is the weather in Paris? Here is the map."},
            {"type": "input_image", "image_url": DATA_URL}]}]
    assert body["tools"] == [{"type": "function", "name": "get_weather", "description": "The weather in a city",
                              "parameters": SCHEMA, "strict": False}]
    assert body["reasoning"] == {"summary": "auto", "effort": "low"}
    assert body["include"] == ["reasoning.encrypted_content"] and body["store"] is False
    assert body["prompt_cache_key"] == "conv-1" and body["tool_choice"] == "auto"

    exchange(net, openai_responses, GPT5, "https://api.openai.com/v1", then(request, answer))
    assert api.body_of(1)["input"][2:] == [
        {"type": "reasoning", "id": "rs_7", "summary": [{"type": "summary_text", "text": "Checking the weather."}],
         "encrypted_content": "gAAAAB-enc-1"},
        {"type": "function_call", "call_id": "call_w1", "name": "get_weather", "arguments": ARGS, "id": "fc_70"},
        {"type": "function_call_output", "call_id": "call_w1", "output": [
            {"type": "input_text", "text": RESULT}, {"type": "input_image", "image_url": DATA_URL}]}]


CODEX = {"id": "gpt-5.1-codex", "provider": "openai-codex", "api": "openai-codex-responses",
         "baseUrl": "https://chatgpt.com/backend-api", "reasoning": True, "maxTokens": 128000}


def test_codex_backend_gets_the_conversation_without_the_fields_it_refuses(net):
    api = Model(net, "POST", "chatgpt.com", "/backend-api/codex/responses", answers=[
        responses_tool_events([("call_c1", "get_weather", ARGS)], encrypted="enc-codex"),
        responses_events("Done.")])
    request = first(reasoning="high", temperature=0.2, top_p=0.9, max_tokens=500)
    answer = exchange(net, openai_codex_responses, CODEX, "https://chatgpt.com/backend-api", request)
    assert [b.kind for b in answer.blocks] == ["thinking", "tool_call"] and answer.blocks[0].signature == "enc-codex"
    body = api.body_of(0)
    assert body["instructions"] == "Be brief." and body["store"] is False and body["stream"] is True
    assert not {"temperature", "top_p", "max_output_tokens", "prompt_cache_retention"} & set(body)
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}
    assert body["prompt_cache_key"] == "conv-1" and body["include"] == ["reasoning.encrypted_content"]
    assert body["input"][0]["role"] == "user"  # the system prompt is the instructions, not an item
    exchange(net, openai_codex_responses, CODEX, "https://chatgpt.com/backend-api", then(request, answer, image=False))
    assert api.body_of(1)["input"][1:3] == [
        {"type": "reasoning", "id": "rs_7", "summary": [], "encrypted_content": "enc-codex"},
        {"type": "function_call", "call_id": "call_c1", "name": "get_weather", "arguments": ARGS, "id": "fc_70"}]

    with pytest.raises(CannotCarry, match="no stop sequences"):
        openai_codex_responses.build(CODEX, "https://chatgpt.com/backend-api", _headers(), first(stop=["END"]))


def _headers():
    from providers._wire.request import HeaderList

    return HeaderList()


# Anthropic Messages ---------------------------------------------------------------------------

CLAUDE = {"id": "claude-sonnet-4-5", "provider": "anthropic", "api": "anthropic-messages",
          "baseUrl": "https://api.anthropic.com", "reasoning": True, "input": ["text", "image"], "maxTokens": 64000}
MARK = {"type": "ephemeral"}


def test_anthropic_round_trip_keeps_the_signature_and_places_cache_points_as_the_agent_does(net):
    api = Model(net, "POST", "api.anthropic.com", "/v1/messages", answers=[
        anthropic_tool_events([("toolu_01A", "get_weather", ARGS)], thinking="Let me check.", signature="EqQBsig=="),
        anthropic_events("Sunny.")])
    request = first(reasoning=4096)
    answer = exchange(net, anthropic_messages, CLAUDE, "https://api.anthropic.com", request)
    thinking, call = answer.blocks
    assert (thinking.text, thinking.signature, thinking.origin) == ("Let me check.", "EqQBsig==", "anthropic-messages")
    assert call == ir.ToolCall("toolu_01A", "get_weather", ARGS)
    assert (answer.stop_reason, answer.raw_stop) == ("toolUse", "tool_use")
    assert answer.usage == {"input": 50, "output": 20, "cacheRead": 30, "cacheWrite": 5, "reasoning": 0}
    assert (answer.model, answer.id) == ("claude-sonnet-4-5-20250929", "msg_017")

    body = api.body_of(0)
    # The Atomic agent's cache points (bastani-inc/atomic@6031a926, anthropic-messages.ts): every
    # system block, the last tool, and the last block of the last message when it is the user's.
    assert body["system"] == [{"type": "text", "text": "Be brief.", "cache_control": MARK}]
    assert body["tools"] == [{"name": "get_weather", "description": "The weather in a city", "input_schema": SCHEMA,
                              "cache_control": MARK}]
    assert body["messages"] == [{"role": "user", "content": [
        {"type": "text", "text": "What is the weather in Paris? Here is the map."},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}, "cache_control": MARK}]}]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 4096, "display": "summarized"}
    assert body["tool_choice"] == {"type": "auto"}

    exchange(net, anthropic_messages, CLAUDE, "https://api.anthropic.com", then(request, answer))
    body = api.body_of(1)
    assert body["messages"][1:] == [
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "Let me check.", "signature": "EqQBsig=="},
            {"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"city": "Paris", "unit": "celsius"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01A", "content": [
            {"type": "text", "text": RESULT},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}],
            "cache_control": MARK}]}]
    assert json.dumps(body).count("cache_control") == 3  # Anthropic takes at most four


def test_anthropic_redacted_thinking_and_long_retention(net):
    api = Model(net, "POST", "api.anthropic.com", "/v1/messages", answers=[
        anthropic_tool_events([("toolu_02", "get_weather", ARGS)], redacted="EmwKAhgBEgy3opaque"),
        anthropic_events("ok")])
    request = first(cache="long")
    answer = exchange(net, anthropic_messages, CLAUDE, "https://api.anthropic.com", request)
    assert answer.blocks[0].redacted == "EmwKAhgBEgy3opaque" and answer.blocks[0].origin == "anthropic-messages"
    hour = {"type": "ephemeral", "ttl": "1h"}
    assert api.body_of(0)["system"][0]["cache_control"] == hour and api.body_of(0)["tools"][0]["cache_control"] == hour
    exchange(net, anthropic_messages, CLAUDE, "https://api.anthropic.com", then(request, answer, image=False))
    assert api.body_of(1)["messages"][1]["content"][0] == {"type": "redacted_thinking", "data": "EmwKAhgBEgy3opaque"}


def test_thinking_from_another_family_goes_as_text_and_its_state_never_travels(net):
    """pi's rule: another API's reasoning is sent as plain text; opaque state that is not the
    target's own (a signature, redacted data) is dropped, never sent to the wrong API."""
    history = [ir.Message("user", [ir.Text("Hi")]),
               ir.Message("assistant", [ir.Thinking("I should greet.", signature="gAAAA-enc", origin="openai-responses"),
                                        ir.Thinking("", redacted="opaque", origin="anthropic-messages"),
                                        ir.Text("Hello!")]),
               ir.Message("user", [ir.Text("Again")])]
    request = ir.Request(None, history, options=ir.Options(cache="none"))
    body = anthropic_messages.build(CLAUDE, "https://api.anthropic.com", _headers(), request).json
    assert body["messages"][1] == {"role": "assistant", "content": [
        {"type": "text", "text": "I should greet."}, {"type": "redacted_thinking", "data": "opaque"},
        {"type": "text", "text": "Hello!"}]}
    body = openai_responses.build(GPT5, "https://api.openai.com/v1", _headers(), ir.Request(None, [
        history[0], ir.Message("assistant", [ir.Thinking("Greet.", signature="EqQB", origin="anthropic-messages"),
                                             ir.Thinking("", redacted="opaque", origin="anthropic-messages"),
                                             ir.Text("Hello!")]), history[2]])).json
    assert body["input"][1] == {"type": "message", "role": "assistant",
                                "content": [{"type": "output_text", "text": "Greet.\n\nHello!"}]}
    assert "EqQB" not in json.dumps(body) and "opaque" not in json.dumps(body)


# Google Gemini ---------------------------------------------------------------------------------

GEMINI = {"id": "gemini-2.5-flash", "provider": "google", "api": "google-generative-ai",
          "baseUrl": "https://generativelanguage.googleapis.com/v1beta", "reasoning": True, "maxTokens": 65536}
GEMINI_PATH = "/v1beta/models/%s:streamGenerateContent"


def test_gemini_round_trip_puts_the_thought_signature_back_on_its_part_and_names_the_result(net):
    api = Model(net, "POST", "generativelanguage.googleapis.com", GEMINI_PATH % "gemini-2.5-flash", answers=[
        gemini_tool_events([("", "get_weather", ARGS)], thought="The weather needs a tool.", signature="c2lnLWdlbWluaQ=="),
        gemini_events("Sunny.")])
    request = first(reasoning=2048)
    answer = exchange(net, google_generative_ai, GEMINI, "https://generativelanguage.googleapis.com/v1beta", request)
    thought, signed, call = answer.blocks
    assert (thought.text, thought.signature, thought.origin) == ("The weather needs a tool.", None, "google-generative-ai")
    assert (signed.text, signed.signature, signed.origin) == ("", "c2lnLWdlbWluaQ==", "google-generative-ai")
    assert call.name == "get_weather" and json.loads(call.arguments) == json.loads(ARGS) and call.id
    assert (answer.stop_reason, answer.raw_stop) == ("toolUse", "STOP")
    assert answer.usage == {"input": 19, "output": 13, "cacheRead": 6, "cacheWrite": 0, "reasoning": 4}

    body = api.body_of(0)
    assert body["contents"] == [{"role": "user", "parts": [
        {"text": "What is the weather in Paris? Here is the map."}, {"inlineData": {"mimeType": "image/png", "data": PNG}}]}]
    assert body["tools"] == [{"functionDeclarations": [{"name": "get_weather", "description": "The weather in a city",
                                                        "parametersJsonSchema": SCHEMA}]}]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}
    assert body["generationConfig"]["thinkingConfig"] == {"includeThoughts": True, "thinkingBudget": 2048}

    exchange(net, google_generative_ai, GEMINI, "https://generativelanguage.googleapis.com/v1beta", then(request, answer))
    assert api.body_of(1)["contents"][1:] == [
        {"role": "model", "parts": [
            {"thought": True, "text": "The weather needs a tool."},
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris", "unit": "celsius"}},
             "thoughtSignature": "c2lnLWdlbWluaQ=="}]},
        # Gemini 2.x takes no image inside a function response: it follows in the same turn.
        {"role": "user", "parts": [
            {"functionResponse": {"name": "get_weather", "response": {"output": RESULT}}},
            {"text": "The tool results' images:"}, {"inlineData": {"mimeType": "image/png", "data": PNG}}]}]


def test_gemini_3_calls_carry_ids_and_results_hold_their_images(net):
    model = dict(GEMINI, id="gemini-3-pro-preview")
    api = Model(net, "POST", "generativelanguage.googleapis.com", GEMINI_PATH % "gemini-3-pro-preview", answers=[
        gemini_tool_events([("fc-9", "get_weather", ARGS)], signature="c2ln", model="gemini-3-pro-preview"),
        gemini_events("ok", model="gemini-3-pro-preview")])
    request = first(reasoning="high")
    answer = exchange(net, google_generative_ai, model, "https://generativelanguage.googleapis.com/v1beta", request)
    assert answer.tool_calls[0].id == "fc-9"
    assert api.body_of(0)["generationConfig"]["thinkingConfig"] == {"includeThoughts": True, "thinkingLevel": "HIGH"}
    exchange(net, google_generative_ai, model, "https://generativelanguage.googleapis.com/v1beta", then(request, answer))
    model_turn, results = api.body_of(1)["contents"][1:]
    assert model_turn["parts"] == [{"functionCall": {"name": "get_weather", "args": {"city": "Paris", "unit": "celsius"},
                                                     "id": "fc-9"}, "thoughtSignature": "c2ln"}]
    assert results["parts"] == [{"functionResponse": {
        "name": "get_weather", "response": {"output": RESULT}, "id": "fc-9",
        "parts": [{"inlineData": {"mimeType": "image/png", "data": PNG}}]}}]


def test_gemini_refuses_a_result_whose_call_it_cannot_name():
    request = ir.Request(None, [ir.Message("user", [ir.Text("go")]),
                                ir.Message("tool", [ir.ToolResult("call_unknown", [ir.Text("x")])])])
    with pytest.raises(CannotCarry, match="function's name"):
        google_generative_ai.build(GEMINI, "https://generativelanguage.googleapis.com/v1beta", _headers(), request)


# Amazon Bedrock Converse -----------------------------------------------------------------------

BEDROCK = {"id": "anthropic.claude-haiku-4-5-20251001-v1:0", "provider": "amazon-bedrock",
           "api": "bedrock-converse-stream", "reasoning": True, "maxTokens": 64000}
BEDROCK_HOST = "bedrock-runtime.us-east-1.amazonaws.com"
BEDROCK_PATH = "/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/converse-stream"
EVENTSTREAM = {"Content-Type": "application/vnd.amazon.eventstream"}


def test_bedrock_round_trip_of_reasoning_with_its_signature_a_tool_use_and_its_result(net):
    from cloudfakes import bedrock_events

    api = Model(net, "POST", BEDROCK_HOST, BEDROCK_PATH, headers=EVENTSTREAM, answers=[
        bedrock_tool_events([("tooluse_Q1", "get_weather", ARGS)], reasoning="Look it up.", signature="c2lnLWJy"),
        bedrock_events("Sunny.")])
    request = first(reasoning="low")
    answer = exchange(net, bedrock_converse, BEDROCK, "https://" + BEDROCK_HOST, request)
    thinking, call = answer.blocks
    assert (thinking.text, thinking.signature, thinking.origin) == ("Look it up.", "c2lnLWJy", "bedrock-converse-stream")
    assert call == ir.ToolCall("tooluse_Q1", "get_weather", ARGS)
    assert (answer.stop_reason, answer.raw_stop) == ("toolUse", "tool_use")
    assert answer.usage == {"input": 31, "output": 17, "cacheRead": 12, "cacheWrite": 0, "reasoning": 0}

    body = api.body_of(0)
    assert body["messages"] == [{"role": "user", "content": [
        {"text": "What is the weather in Paris? Here is the map."},
        {"image": {"format": "png", "source": {"bytes": PNG}}}]}]
    assert body["toolConfig"] == {"tools": [{"toolSpec": {"name": "get_weather", "description": "The weather in a city",
                                                          "inputSchema": {"json": SCHEMA}}}],
                                  "toolChoice": {"auto": {}}}
    assert body["additionalModelRequestFields"] == {"thinking": {"type": "enabled", "budget_tokens": 2048}}

    exchange(net, bedrock_converse, BEDROCK, "https://" + BEDROCK_HOST, then(request, answer))
    assert api.body_of(1)["messages"][1:] == [
        {"role": "assistant", "content": [
            {"reasoningContent": {"reasoningText": {"text": "Look it up.", "signature": "c2lnLWJy"}}},
            {"toolUse": {"toolUseId": "tooluse_Q1", "name": "get_weather", "input": {"city": "Paris", "unit": "celsius"}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "tooluse_Q1", "status": "success", "content": [
            {"text": RESULT}, {"image": {"format": "png", "source": {"bytes": PNG}}}]}}]}]


def test_bedrock_refuses_an_image_by_url_with_a_sentence():
    request = ir.Request(None, [ir.Message("user", [ir.Text("this"), ir.Image("image/png", url="https://x.test/a.png")])])
    with pytest.raises(CannotCarry, match="only as data, not by URL"):
        bedrock_converse.build(BEDROCK, "https://" + BEDROCK_HOST, _headers(), request)


# Mistral ------------------------------------------------------------------------------------------

MISTRAL = {"id": "mistral-small-latest", "provider": "mistral", "api": "mistral-conversations",
           "baseUrl": "https://api.mistral.ai", "reasoning": True, "input": ["text", "image"], "maxTokens": 32000}


def test_mistral_round_trip_with_its_own_tool_call_ids(net):
    api = Model(net, "POST", "api.mistral.ai", "/v1/chat/completions", answers=[
        completions_tool_events([("D681PevKs", "get_weather", ARGS)], model="mistral-small-latest"),
        completions_events("Sunny.", model="mistral-small-latest")])
    request = first()
    answer = exchange(net, mistral_conversations, MISTRAL, "https://api.mistral.ai", request)
    assert answer.tool_calls == [ir.ToolCall("D681PevKs", "get_weather", ARGS)] and answer.stop_reason == "toolUse"
    exchange(net, mistral_conversations, MISTRAL, "https://api.mistral.ai", then(request, answer, image=False))
    assert api.body_of(1)["messages"][2:] == [
        {"role": "assistant", "tool_calls": [
            {"id": "D681PevKs", "type": "function", "function": {"name": "get_weather", "arguments": ARGS}}]},
        {"role": "tool", "tool_call_id": "D681PevKs", "content": RESULT, "name": "get_weather"}]

    # An id made elsewhere becomes nine letters and digits, the same for the call and its result.
    foreign = ir.Request(None, [ir.Message("user", [ir.Text("go")]),
                                ir.Message("assistant", [ir.ToolCall("call_9f|fc_aa+/=", "get_weather", ARGS)]),
                                ir.Message("tool", [ir.ToolResult("call_9f|fc_aa+/=", [ir.Text("ok")])])])
    messages = mistral_conversations.build(MISTRAL, "https://api.mistral.ai", _headers(), foreign).json["messages"]
    made = messages[1]["tool_calls"][0]["id"]
    assert len(made) == 9 and made.isalnum() and messages[2]["tool_call_id"] == made


# Ids, options and prompt caching ----------------------------------------------------------------

def test_ids_are_made_safe_alike_for_the_call_and_its_result():
    long_id = "call_" + "x" * 40 + "|fc_" + "y" * 400  # a Responses id as pi stores it
    request = ir.Request(None, [ir.Message("user", [ir.Text("go")]),
                                ir.Message("assistant", [ir.ToolCall(long_id, "get_weather", ARGS)]),
                                ir.Message("tool", [ir.ToolResult(long_id, [ir.Text("ok")])])],
                         options=ir.Options(cache="none"))
    body = anthropic_messages.build(CLAUDE, "https://api.anthropic.com", _headers(), request).json
    made = body["messages"][1]["content"][0]["id"]
    assert len(made) <= 64 and made == body["messages"][2]["content"][0]["tool_use_id"]
    body = openai_completions.build(GPT, "https://api.openai.com/v1", _headers(), request).json
    made = body["messages"][1]["tool_calls"][0]["id"]
    assert len(made) <= 40 and made == body["messages"][2]["tool_call_id"]


def test_options_override_the_catalogue_and_take_each_api_s_names():
    request = first(max_tokens=1234, temperature=0.3, top_p=0.8, stop=["END"], parallel_tools=False, cache="none",
                    output_schema={"name": "weather", "schema": SCHEMA, "strict": True})
    request.tool_choice = {"name": "get_weather"}
    chat = openai_completions.build(GPT, "https://api.openai.com/v1", _headers(), request).json
    assert (chat["max_completion_tokens"], chat["temperature"], chat["top_p"], chat["stop"]) == (1234, 0.3, 0.8, ["END"])
    assert chat["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert chat["parallel_tool_calls"] is False and "prompt_cache_key" not in chat
    assert chat["response_format"] == {"type": "json_schema", "json_schema": {"name": "weather", "schema": SCHEMA,
                                                                              "strict": True}}
    claude = anthropic_messages.build(CLAUDE, "https://api.anthropic.com", _headers(), request).json
    assert (claude["max_tokens"], claude["temperature"], claude["stop_sequences"]) == (1234, 0.3, ["END"])
    assert claude["tool_choice"] == {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True}
    assert claude["output_config"] == {"format": {"type": "json_schema", "schema": SCHEMA}}
    gemini = google_generative_ai.build(GEMINI, "https://g.test/v1beta", _headers(), request).json
    assert gemini["generationConfig"]["maxOutputTokens"] == 1234 and gemini["generationConfig"]["stopSequences"] == ["END"]
    assert gemini["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}}
    assert gemini["generationConfig"]["responseJsonSchema"] == SCHEMA
    request.options.output_schema = None
    bedrock = bedrock_converse.build(BEDROCK, "https://" + BEDROCK_HOST, _headers(), request).json
    assert bedrock["inferenceConfig"] == {"maxTokens": 1234, "temperature": 0.3, "topP": 0.8, "stopSequences": ["END"]}
    with pytest.raises(CannotCarry, match="no stop sequences"):
        openai_responses.build(GPT5, "https://api.openai.com/v1", _headers(), request)


@pytest.mark.parametrize("module, model, base", [
    (openai_completions, dict(GPT, provider="groq", baseUrl="https://api.groq.com/openai/v1"), "https://api.groq.com/openai/v1"),
    (openai_responses, dict(GPT5, provider="my-proxy", baseUrl="https://llm.example.com/v1"), "https://llm.example.com/v1"),
], ids=["chat completions", "responses"])
def test_one_prompt_cache_key_rule_for_both_openai_apis(module, model, base):
    """Defect 6: Responses sent prompt_cache_key to every host and Chat Completions to
    api.openai.com only. Now both send it to OpenAI's own servers, and elsewhere only when the
    model's compat says the server takes it (other servers refuse an unknown field)."""
    def key(model, base, **options):
        return module.build(model, base, _headers(), first(**options)).json.get("prompt_cache_key")

    assert key(model, base) is None
    assert key(dict(model, compat={"supportsPromptCacheKey": True}), base) == "conv-1"
    openai = dict(model, provider="openai", baseUrl="https://api.openai.com/v1")
    assert key(openai, "https://api.openai.com/v1") == "conv-1"
    assert key(dict(openai, compat={"supportsPromptCacheKey": False}), "https://api.openai.com/v1") is None
    assert key(openai, "https://api.openai.com/v1", cache="none") is None
    long = module.build(openai, "https://api.openai.com/v1", _headers(), first(cache="long")).json
    assert long["prompt_cache_retention"] == "24h"


def test_cache_retention_comes_from_the_environment_when_the_request_does_not_say(monkeypatch):
    monkeypatch.setenv("PI_CACHE_RETENTION", "long")
    body = anthropic_messages.build(CLAUDE, "https://api.anthropic.com", _headers(), first()).json
    assert body["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    monkeypatch.setenv("ATOMIC_CACHE_RETENTION", "none")  # the ATOMIC_ name wins
    assert "cache_control" not in json.dumps(anthropic_messages.build(CLAUDE, "https://a.test", _headers(), first()).json)
    body = anthropic_messages.build(CLAUDE, "https://a.test", _headers(), first(cache="short")).json
    assert body["system"][0]["cache_control"] == MARK  # the request's own word wins over both


def test_every_upstream_module_says_what_it_carries():
    from providers._wire.apis import APIS
    import importlib

    for api in APIS.values():
        assert ir.carries(importlib.import_module(api.module)) == frozenset(ir.FEATURES), api.id


def test_gemini_signature_on_a_text_part_goes_back_on_that_part(net):
    api = Model(net, "POST", "generativelanguage.googleapis.com", GEMINI_PATH % "gemini-2.5-flash", answers=[
        gemini_tool_events([], text="It is sunny in Paris.", signature="c2lnLXRleHQ="), gemini_events("ok")])
    request = ir.Request(None, [ir.Message("user", [ir.Text("Weather?")])], options=ir.Options(cache="none"))
    answer = exchange(net, google_generative_ai, GEMINI, "https://generativelanguage.googleapis.com/v1beta", request)
    assert answer.full_text == "It is sunny in Paris." and answer.stop_reason == "stop"
    request.turns += [ir.Message("assistant", answer.blocks), ir.Message("user", [ir.Text("Thanks")])]
    exchange(net, google_generative_ai, GEMINI, "https://generativelanguage.googleapis.com/v1beta", request)
    parts = api.body_of(1)["contents"][1]["parts"]
    assert "".join(p["text"] for p in parts) == "It is sunny in Paris."
    assert [p.get("thoughtSignature") for p in parts] == [None] * (len(parts) - 1) + ["c2lnLXRleHQ="]


def test_responses_summary_parts_read_as_paragraphs(net):
    from llmfakes import sse

    def part(index, text):
        return ("response.reasoning_summary_text.delta", {"type": "response.reasoning_summary_text.delta",
                                                          "item_id": "rs_1", "output_index": 0,
                                                          "summary_index": index, "delta": text})
    body = sse(("response.created", {"type": "response.created", "response": {"id": "r", "model": "m"}}),
               part(0, "First."), part(1, "Second."),
               ("response.output_item.done", {"type": "response.output_item.done", "item": {
                   "type": "reasoning", "id": "rs_1", "encrypted_content": "enc"}}),
               ("response.completed", {"type": "response.completed", "response": {"id": "r", "model": "m",
                                                                                  "status": "completed"}}))
    Model(net, "POST", "api.openai.com", "/v1/responses", body=body)
    answer = exchange(net, openai_responses, GPT5, "https://api.openai.com/v1", first(cache="none"))
    assert answer.full_reasoning == "First.\n\nSecond." and answer.blocks[0].signature == "enc"


def test_anthropic_compat_flags_turn_cache_marks_off_where_a_server_refuses_them():
    model = dict(CLAUDE, compat={"supportsCacheControlOnTools": False, "supportsLongCacheRetention": False})
    body = anthropic_messages.build(model, "https://api.minimax.io/anthropic", _headers(), first(cache="long")).json
    assert "cache_control" not in body["tools"][0]
    assert body["system"][0]["cache_control"] == MARK  # no hour where the server keeps none
    mistral = mistral_conversations.build(MISTRAL, "https://api.mistral.ai", _headers(), first(cache="none"))
    assert "prompt_cache_key" not in mistral.json and "x-affinity" not in dict(mistral.headers.items())
