"""A running atomic serve in front of tests/upstreams.py, and one turn through each official SDK.

    gw = Gateway(tmp_path)                      # network, upstreams, logins, a token, atomic serve
    text, call, usage, done = ask(gw, "messages", "openai/gpt-4o", stream=True)
"""
import json
import os

import anthropic
import openai
import pytest

from conftest import AtomicEnv
from netfakes import Network
from serving import Served, make_token
from upstreams import SECRETS, Upstreams, auth_json

# What the SDKs read from the environment (and this machine may export): never the tests'.
SDK_VARIABLES = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN",
                 "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
INBOUND = ("chat", "responses", "messages")
UPSTREAM = tuple(Upstreams.MODELS)
SYSTEM = "Be brief."
QUESTION = "What is the weather in Paris?"
RESULT = "sunny in Paris"
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


@pytest.fixture(autouse=True)
def no_sdk_variables(monkeypatch):
    """Imported by each test module of atomic serve: the SDK clients there see none of SDK_VARIABLES."""
    for name in SDK_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def gateway_fixture(name, *args, **env):
    """A module-scoped fixture: a Gateway (atomic serve with those arguments and variables) shared
    by the module's tests; at the end, stalled upstreams are let go and everything stops."""
    @pytest.fixture(scope="module")
    def fixture(tmp_path_factory):
        gateway = Gateway(tmp_path_factory.mktemp(name), *args, **env)
        yield gateway
        for upstream in vars(gateway.up).values():
            upstream.released.set()
        gateway.close()
    return fixture


class Gateway:
    """The network, the upstreams, an agent directory signed in to each, a client token, and the
    running atomic serve: shared by the tests of this module."""

    def __init__(self, root, *args, **env):
        self.net = Network(root)
        self.up = Upstreams(self.net)
        self.env = AtomicEnv(root)
        self.env.write_auth(auth_json())
        self.token = make_token(self.env, "sdk")
        aws = {"AWS_BEARER_TOKEN_BEDROCK": SECRETS["bedrock"], "AWS_CONFIG_FILE": os.devnull,
               "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true"}
        self.served = Served(dict(self.env.env, **dict(self.net.env(), **dict(aws, **env))), *args)

    def openai(self, **options):
        return openai.OpenAI(base_url=self.served.url + "/v1", api_key=self.token, max_retries=0, **options)

    def anthropic(self, **options):
        return anthropic.Anthropic(base_url=self.served.url, api_key=self.token, max_retries=0, **options)

    def close(self):
        self.served.kill()
        self.net.close()


# -- one turn in each client's own terms -----------------------------------------------------------------

def ask(gw, inbound, model, stream, image=None, result=None, call=None, tools=True, headers=None):
    """One turn through the SDK of `inbound`: the question (with an image), and when `result`
    is given the tool call `call` and its result before it; headers: more the SDK sends. Returns
    (text, tool call or None, usage as the SDK shows it, the SDK's own answer)."""
    return {"chat": _chat, "responses": _responses, "messages": _messages}[inbound](
        gw, model, stream, image, result, call, tools, headers or {})


def _chat(gw, model, stream, image, result, call, tools, headers):
    user = [{"type": "text", "text": QUESTION}]
    if image:
        user.append({"type": "image_url", "image_url": {"url": "data:image/png;base64," + image}})
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
    if result is not None:
        messages += [{"role": "assistant", "content": None, "tool_calls": [
            {"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": call["arguments"]}}]},
            {"role": "tool", "tool_call_id": call["id"], "content": result}]
    options = dict(model=model, messages=messages)
    if tools:
        options["tools"] = [{"type": "function", "function": {"name": "get_weather", "description": "The weather",
                                                              "parameters": SCHEMA}}]
    client = gw.openai(default_headers=headers)
    if stream:
        with client.chat.completions.stream(stream_options={"include_usage": True}, **options) as events:
            done = events.get_final_completion()
    else:
        done = client.chat.completions.create(**options)
    message = done.choices[0].message
    found = None
    if message.tool_calls:
        tool = message.tool_calls[0]
        found = {"id": tool.id, "name": tool.function.name, "arguments": tool.function.arguments}
    usage = done.usage
    return message.content or "", found, {"in": usage.prompt_tokens, "cached": usage.prompt_tokens_details.cached_tokens,
                                          "out": usage.completion_tokens}, done


def _responses(gw, model, stream, image, result, call, tools, headers):
    content = [{"type": "input_text", "text": QUESTION}]
    if image:
        content.append({"type": "input_image", "image_url": "data:image/png;base64," + image})
    items = [{"role": "user", "content": content}]
    if result is not None:
        items += [{"type": "function_call", "call_id": call["id"], "name": call["name"], "arguments": call["arguments"]},
                  {"type": "function_call_output", "call_id": call["id"], "output": result}]
    options = dict(model=model, instructions=SYSTEM, input=items, store=False)
    if tools:
        options["tools"] = [{"type": "function", "name": "get_weather", "description": "The weather",
                             "parameters": SCHEMA, "strict": False}]
    client = gw.openai(default_headers=headers)
    if stream:
        with client.responses.stream(**options) as events:
            done = events.get_final_response()
    else:
        done = client.responses.create(**options)
    found = None
    for item in done.output:
        if item.type == "function_call":
            found = {"id": item.call_id, "name": item.name, "arguments": item.arguments}
    usage = done.usage
    return done.output_text, found, {"in": usage.input_tokens, "cached": usage.input_tokens_details.cached_tokens,
                                     "out": usage.output_tokens}, done


def _messages(gw, model, stream, image, result, call, tools, headers):
    content = [{"type": "text", "text": QUESTION}]
    if image:
        content.append({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": image}})
    messages = [{"role": "user", "content": content}]
    if result is not None:
        messages += [{"role": "assistant", "content": [{"type": "tool_use", "id": call["id"], "name": call["name"],
                                                         "input": json.loads(call["arguments"])}]},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call["id"],
                                                   "content": result}]}]
    options = dict(model=model, max_tokens=1024, system=SYSTEM, messages=messages)
    if tools:
        options["tools"] = [{"name": "get_weather", "description": "The weather", "input_schema": SCHEMA}]
    client = gw.anthropic(default_headers=headers)
    if stream:
        with client.messages.stream(**options) as events:
            done = events.get_final_message()
    else:
        done = client.messages.create(**options)
    text = "".join(block.text for block in done.content if block.type == "text")
    found = None
    for block in done.content:
        if block.type == "tool_use":
            found = {"id": block.id, "name": block.name, "arguments": json.dumps(block.input)}
    usage = done.usage
    return text, found, {"in": usage.input_tokens, "cached": usage.cache_read_input_tokens,
                         "out": usage.output_tokens}, done


def last_line(gw, inbound, model):
    """The log line of the last request of this API for this model."""
    gw.served.wait_for(lambda l: " %s %s " % (inbound, model) in l)
    return [l for l in gw.served.log() if " %s %s " % (inbound, model) in l][-1]


FAMILY = {"chat": "openai-completions", "responses": "openai-responses", "messages": "anthropic-messages"}


def passes_through(inbound, api, stream):
    """Whether the body goes on as it came: one family, and (the ChatGPT backend streams only) a
    caller that asked for a stream there."""
    if api == "openai-codex-responses":
        return inbound == "responses" and stream
    return FAMILY[inbound] == api
