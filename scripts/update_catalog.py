#!/usr/bin/env python3
"""Rebuild providers/_models/catalog.json from models.dev's api.json (a maintainer's tool).

    python3 scripts/update_catalog.py https://models.dev/api.json      # the live data
    python3 scripts/update_catalog.py api.json --output /tmp/catalog.json

SOURCE is a local file in the models.dev api.json format or an http(s) URL; the network is
used only for a URL. Only tool-capable models (`tool_call: true`) are kept, as the reference
catalogue does. Providers that models.dev does not feed (OpenRouter and Vercel come from their
own model APIs, the Codex list is written by hand) and providers missing from SOURCE are kept
as they are in the base catalogue. A model already in the base catalogue keeps its wire API,
base URL, headers, compat and thinkingLevelMap (hand-checked routing); its name, reasoning
flag, inputs, prices and limits come from SOURCE.
"""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CATALOG = os.path.join(ROOT, "providers", "_models", "catalog.json")
LIVE_URL = "https://models.dev/api.json"
MAX_SOURCE_BYTES = 64 << 20

# models.dev provider id -> the atomic provider ids its models feed.
SOURCES = {
    "amazon-bedrock": ("amazon-bedrock",),
    "anthropic": ("anthropic",),
    "cerebras": ("cerebras",),
    "cloudflare-ai-gateway": ("cloudflare-ai-gateway",),
    "cloudflare-workers-ai": ("cloudflare-workers-ai",),
    "deepseek": ("deepseek",),
    "fireworks-ai": ("fireworks",),
    "github-copilot": ("github-copilot",),
    "google": ("google",),
    "google-vertex": ("google-vertex",),
    "groq": ("groq",),
    "huggingface": ("huggingface",),
    "kimi-for-coding": ("kimi-coding",),
    "minimax": ("minimax",),
    "minimax-cn": ("minimax-cn",),
    "mistral": ("mistral",),
    "moonshotai": ("moonshotai",),
    "moonshotai-cn": ("moonshotai-cn",),
    "openai": ("openai", "azure-openai-responses"),  # Azure serves the OpenAI models
    "opencode": ("opencode",),
    "opencode-go": ("opencode-go",),
    "xai": ("xai",),
    "xiaomi": ("xiaomi", "xiaomi-token-plan-cn", "xiaomi-token-plan-ams", "xiaomi-token-plan-sgp"),
    "zai-coding-plan": ("zai",),
}

# Gateways that speak several wire APIs say which one a model needs in its `provider.npm`.
API_BY_NPM = {
    "@ai-sdk/anthropic": "anthropic-messages",
    "@ai-sdk/openai": "openai-responses",
    "@ai-sdk/google": "google-generative-ai",
}
MIXED_API_PROVIDERS = ("opencode", "cloudflare-ai-gateway")
CLOUDFLARE_GATEWAY_SUFFIX = {"anthropic-messages": "/anthropic", "openai-responses": "/openai"}

# Models the reference leaves out: no tool use while streaming, or no system messages.
SKIPPED_PREFIXES = {"amazon-bedrock": ("ai21.jamba", "mistral.mistral-7b-instruct-v0")}

FIELD_ORDER = ("id", "name", "api", "provider", "baseUrl", "headers", "compat", "reasoning",
               "thinkingLevelMap", "input", "cost", "contextWindow", "maxTokens")
CARRIED = ("api", "baseUrl", "headers", "compat", "thinkingLevelMap")


def main(argv=None):
    args = _parser().parse_args(argv)
    sys.path.insert(0, ROOT)
    from providers import builtins
    from providers._core.errors import AtomicError

    try:
        source = read_source(args.source)
        base = _read_json(args.base)
    except (AtomicError, OSError, ValueError) as exc:
        print("update_catalog: %s" % (getattr(exc, "message", None) or exc), file=sys.stderr)
        return 1
    catalog, report = rebuild(source, base, {p.id: p for p in builtins()})
    write_catalog(args.output, catalog)
    for line in report:
        print(line)
    print("wrote %s: %d providers, %d models"
          % (args.output, len(catalog), sum(len(models) for models in catalog.values())))
    return 0


def _parser():
    p = argparse.ArgumentParser(prog="update_catalog.py", description=__doc__.split("\n\n")[0])
    p.add_argument("source", metavar="SOURCE", help="api.json file, or %s" % LIVE_URL)
    p.add_argument("--output", metavar="PATH", default=DEFAULT_CATALOG,
                   help="where to write the catalogue (default: providers/_models/catalog.json)")
    p.add_argument("--base", metavar="PATH", default=DEFAULT_CATALOG,
                   help="the catalogue to carry routing and untouched providers over from "
                        "(default: providers/_models/catalog.json)")
    return p


def read_source(source):
    """The parsed api.json, from a file or (only for an http(s) URL) the network."""
    if source.startswith(("https://", "http://")):
        from providers._core.context import Context
        from providers._core.errors import NetworkError
        from providers._net.http import request

        resp = request("GET", source, Context(), deadline=120.0, max_bytes=MAX_SOURCE_BYTES)
        if not resp.ok:
            raise NetworkError("%s answered HTTP %d: %s" % (resp.host, resp.status, resp.error_text()))
        data = resp.json()
    else:
        data = _read_json(source)
    if not isinstance(data, dict):
        raise ValueError("%s is not in the models.dev api.json format (expected an object of providers)" % source)
    return data


def _read_json(path):
    with open(path, "rb") as handle:
        return json.loads(handle.read().decode("utf-8"))


def rebuild(source, base, registry):
    """(new catalogue, report lines): SOURCE's tool-capable models over the base catalogue."""
    fresh, report = {}, []
    for source_id, targets in SOURCES.items():
        entry = source.get(source_id)
        if not isinstance(entry, dict) or not isinstance(entry.get("models"), dict):
            continue
        for pid in targets:
            previous = {m["id"]: m for m in base.get(pid, ())}
            models = [convert(pid, model_id, raw, registry[pid], previous)
                      for model_id, raw in sorted(entry["models"].items()) if _wanted(pid, model_id, raw)]
            fresh[pid] = models
            new_ids = set(m["id"] for m in models)
            report.append("%-24s %4d models (%d new, %d dropped) from models.dev %s"
                          % (pid, len(models), len(new_ids - set(previous)),
                             len(set(previous) - new_ids), source_id))
    catalog = {}
    for pid in sorted(set(base) | set(fresh)):
        if pid in fresh:
            catalog[pid] = fresh[pid]
        else:
            catalog[pid] = base[pid]
            report.append("%-24s %4d models kept from the base catalogue" % (pid, len(base[pid])))
    return catalog, report


def _wanted(pid, model_id, raw):
    if not isinstance(raw, dict) or raw.get("tool_call") is not True or raw.get("status") == "deprecated":
        return False
    return not model_id.startswith(SKIPPED_PREFIXES.get(pid, ()))


def convert(pid, model_id, raw, provider, previous):
    """One models.dev model as a catalogue record for provider `pid`."""
    cost = raw.get("cost") if isinstance(raw.get("cost"), dict) else {}
    limit = raw.get("limit") if isinstance(raw.get("limit"), dict) else {}
    modalities = raw.get("modalities") if isinstance(raw.get("modalities"), dict) else {}
    model = {
        "id": model_id,
        "name": raw.get("name") or model_id,
        "provider": pid,
        "reasoning": raw.get("reasoning") is True,
        "input": ["text", "image"] if "image" in (modalities.get("input") or ()) else ["text"],
        "cost": {"input": _number(cost.get("input")), "output": _number(cost.get("output")),
                 "cacheRead": _number(cost.get("cache_read")), "cacheWrite": _number(cost.get("cache_write"))},
        "contextWindow": _count(limit.get("context")),
        "maxTokens": _count(limit.get("output")),
    }
    old = previous.get(model_id)
    if old is not None:
        model.update((k, old[k]) for k in CARRIED if k in old)
    else:
        model["api"] = _api(pid, model_id, raw, provider)
        model["baseUrl"] = _base_url(pid, model_id, model["api"], provider)
        shared = _shared_headers(previous.values())
        if shared:
            model["headers"] = shared
    return {k: model[k] for k in FIELD_ORDER if k in model}


def _api(pid, model_id, raw, provider):
    if pid in MIXED_API_PROVIDERS:
        npm = (raw.get("provider") or {}).get("npm") if isinstance(raw.get("provider"), dict) else None
        return API_BY_NPM.get(npm, "openai-completions")
    if pid == "github-copilot":
        if model_id.startswith("claude-"):
            return "anthropic-messages"
        return "openai-responses" if model_id.startswith(("gpt-5", "oswe")) else "openai-completions"
    return provider.api


def _base_url(pid, model_id, api, provider):
    url = provider.base_url
    if pid == "amazon-bedrock" and model_id.startswith("eu."):
        return url.replace("us-east-1", "eu-central-1")
    if pid == "opencode":
        root = url[:-len("/v1")] if url.endswith("/v1") else url
        return root if api == "anthropic-messages" else root + "/v1"  # Anthropic clients add /v1 themselves
    if pid == "cloudflare-ai-gateway":
        return url.rsplit("/", 1)[0] + CLOUDFLARE_GATEWAY_SUFFIX.get(api, "/compat")
    return url


def _shared_headers(models):
    """The headers every existing model of a provider sends (Copilot's editor headers), if any."""
    found = [m.get("headers") for m in models]
    if found and found[0] and all(h == found[0] for h in found):
        return dict(found[0])
    return None


def _number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 else 0


def _count(value):
    # The reference's fallback for a model without published limits.
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else 4096


def write_catalog(path, catalog):
    """Write compact JSON, one model per line (fast to load, readable in a diff), atomically."""
    lines = ["{"]
    providers = list(catalog.items())
    for n, (pid, models) in enumerate(providers):
        lines.append("%s:[" % json.dumps(pid))
        rows = [json.dumps(m, ensure_ascii=False, separators=(",", ":")) for m in models]
        lines.append(",\n".join(rows))
        lines.append("]" + ("," if n < len(providers) - 1 else ""))
    lines.append("}")
    text = "\n".join(line for line in lines if line) + "\n"
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
