"""The official SDKs and atomic's readers read the same bytes: one canned stream, served by the
stand-in, is read by the `openai` SDK (Chat Completions and Responses stream helpers) or the
`anthropic` SDK (messages.stream(...).get_final_message()) through the same proxy and CA, and by
the wire module into an Answer. Both must see the same tool calls, signatures, stop reason and
usage; where the SDK's usage counts the cache inside the input, ours keeps it apart."""
import json
import sys

import pytest

if sys.version_info < (3, 10):
    pytest.skip("the openai and anthropic SDKs need Python 3.10+", allow_module_level=True)

import ssl  # noqa: E402

import anthropic  # noqa: E402  (installed by the test extra; its absence must fail, not skip)
import openai  # noqa: E402

from llmfakes import (Model, anthropic_tool_events, completions_tool_events, exchange,  # noqa: E402
                      responses_tool_events)

from providers._wire import anthropic_messages, ir, openai_completions, openai_responses  # noqa: E402

CALLS = [("call_Ab1", "get_weather", '{"city": "Paris", "unit": "celsius"}'),
         ("call_Cd2", "get_time", '{"zone": "Europe/Paris", "format": "24h", "note": "Grüße, 世界"}')]
TOOLS = [ir.Tool("get_weather", "", {"type": "object"}), ir.Tool("get_time", "", {"type": "object"})]
REQUEST = ir.Request(None, [ir.Message("user", [ir.Text("weather and time?")])], TOOLS,
                     options=ir.Options(cache="none"))


def client(net, sdk):
    """The SDK's own HTTP client, through the proxy, trusting the test CA."""
    return sdk.DefaultHttpxClient(proxy=net.proxy.url, verify=ssl.create_default_context(cafile=net.ca_file))


def calls_of(answer):
    return [(c.id, c.name, c.arguments) for c in answer.tool_calls]


def test_chat_completions_tool_calls_read_alike_by_the_openai_sdk(net):
    canned = completions_tool_events(CALLS, text="Let me look.", usage=(120, 40, 100))
    Model(net, "POST", "api.openai.com", "/v1/chat/completions", body=canned)
    sdk = openai.OpenAI(api_key="sk-test-0001", base_url="https://api.openai.com/v1", http_client=client(net, openai))
    with sdk.chat.completions.stream(model="gpt-4.1", messages=[{"role": "user", "content": "weather and time?"}]) as s:
        final = s.get_final_completion()
    model = {"id": "gpt-4.1", "provider": "openai", "baseUrl": "https://api.openai.com/v1"}
    answer = exchange(net, openai_completions, model, "https://api.openai.com/v1", REQUEST)

    choice = final.choices[0]
    assert [(c.id, c.function.name, c.function.arguments) for c in choice.message.tool_calls] == calls_of(answer) == CALLS
    assert choice.message.content == answer.full_text == "Let me look."
    assert choice.finish_reason == answer.raw_stop == "tool_calls" and answer.stop_reason == "toolUse"
    usage = final.usage
    assert usage.prompt_tokens_details.cached_tokens == answer.usage["cacheRead"] == 100
    assert usage.prompt_tokens == answer.usage["input"] + answer.usage["cacheRead"]  # OpenAI's input holds the cache
    assert usage.completion_tokens == answer.usage["output"]


@pytest.mark.parametrize("deltas", [True, False], ids=["argument deltas", "arguments only when done"])
def test_responses_function_calls_and_reasoning_read_alike_by_the_openai_sdk(net, deltas):
    canned = responses_tool_events(CALLS, text="Looking.", reasoning="Two tools.", encrypted="gAAAAB-enc",
                                   usage=(300, 50, 256), deltas=deltas)
    Model(net, "POST", "api.openai.com", "/v1/responses", body=canned)
    sdk = openai.OpenAI(api_key="sk-test-0001", base_url="https://api.openai.com/v1", http_client=client(net, openai))
    with sdk.responses.stream(model="gpt-5.1", input="weather and time?") as s:
        final = s.get_final_response()
    model = {"id": "gpt-5.1", "provider": "openai", "baseUrl": "https://api.openai.com/v1"}
    answer = exchange(net, openai_responses, model, "https://api.openai.com/v1", REQUEST)

    calls = [(i.call_id, i.name, i.arguments) for i in final.output if i.type == "function_call"]
    assert calls == calls_of(answer) == CALLS
    [reasoning] = [i for i in final.output if i.type == "reasoning"]
    thinking = answer.blocks[0]
    assert (reasoning.encrypted_content, reasoning.id) == (thinking.signature, thinking.native["openai-responses"]["id"])
    assert reasoning.summary[0].text == thinking.text
    assert final.output_text == answer.full_text == "Looking."
    assert final.usage.input_tokens == answer.usage["input"] + answer.usage["cacheRead"]
    assert final.usage.input_tokens_details.cached_tokens == answer.usage["cacheRead"] == 256
    assert final.usage.output_tokens == answer.usage["output"] and answer.stop_reason == "toolUse"


@pytest.mark.parametrize("redacted", ["", "EmwKAhgBEgy3opaque"], ids=["thinking", "redacted thinking too"])
def test_messages_tool_use_and_thinking_signature_read_alike_by_the_anthropic_sdk(net, redacted):
    canned = anthropic_tool_events(CALLS, text="Checking.", thinking="Two tools.", signature="EqQBErkT==",
                                   usage=(12, 80, 2000, 300), redacted=redacted)
    Model(net, "POST", "api.anthropic.com", "/v1/messages", body=canned)
    sdk = anthropic.Anthropic(api_key="sk-ant-api03-test", base_url="https://api.anthropic.com",
                              http_client=client(net, anthropic))
    with sdk.messages.stream(model="claude-sonnet-4-5", max_tokens=1024,
                             messages=[{"role": "user", "content": "weather and time?"}]) as s:
        final = s.get_final_message()
    model = {"id": "claude-sonnet-4-5", "provider": "anthropic", "baseUrl": "https://api.anthropic.com"}
    answer = exchange(net, anthropic_messages, model, "https://api.anthropic.com", REQUEST)

    theirs = [(b.type, getattr(b, "thinking", None) or getattr(b, "text", None), getattr(b, "signature", None)
               or getattr(b, "data", None)) for b in final.content if b.type != "tool_use"]
    ours = [(_anthropic_type(b), b.text or None, getattr(b, "signature", None) or getattr(b, "redacted", None))
            for b in answer.blocks if b.kind != "tool_call"]
    assert theirs == ours
    tools = [(b.id, b.name, b.input) for b in final.content if b.type == "tool_use"]
    assert tools == [(c.id, c.name, json.loads(c.arguments)) for c in answer.tool_calls]
    assert [c[0] for c in tools] == ["call_Ab1", "call_Cd2"]
    assert final.stop_reason == answer.raw_stop == "tool_use" and answer.stop_reason == "toolUse"
    assert (final.usage.input_tokens, final.usage.output_tokens, final.usage.cache_read_input_tokens,
            final.usage.cache_creation_input_tokens) == (answer.usage["input"], answer.usage["output"],
                                                         answer.usage["cacheRead"], answer.usage["cacheWrite"])


def _anthropic_type(block):
    if block.kind == "thinking":
        return "redacted_thinking" if block.redacted else "thinking"
    return block.kind
