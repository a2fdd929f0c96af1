"""The provider registry: one row per provider, consistent with the catalogue and the contract."""
import collections
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO

from providers import builtin, builtins
from providers._wire.apis import APIS

PROVIDERS = {p.id: p for p in builtins()}

# The catalogue the package ships (a copy of the project's shared catalogue data).
SHIPPED_CATALOG = os.path.join(REPO, "providers", "_models", "catalog.json")
SHARED_CATALOG = "/work/shared/catalog/models.json"

# reference-pi.md §1.2, plus together and llama.cpp (§11.1); anthropic in the contract's order.
ENV_VARS = {
    "openai": ("OPENAI_API_KEY",), "azure-openai-responses": ("AZURE_OPENAI_API_KEY",),
    "google": ("GEMINI_API_KEY",), "groq": ("GROQ_API_KEY",), "cerebras": ("CEREBRAS_API_KEY",),
    "xai": ("XAI_API_KEY",), "openrouter": ("OPENROUTER_API_KEY",),
    "vercel-ai-gateway": ("AI_GATEWAY_API_KEY",), "zai": ("ZAI_API_KEY",),
    "mistral": ("MISTRAL_API_KEY",), "minimax": ("MINIMAX_API_KEY",), "minimax-cn": ("MINIMAX_CN_API_KEY",),
    "huggingface": ("HF_TOKEN",), "opencode": ("OPENCODE_API_KEY",), "opencode-go": ("OPENCODE_API_KEY",),
    "kimi-coding": ("KIMI_API_KEY",), "deepseek": ("DEEPSEEK_API_KEY",), "moonshotai": ("MOONSHOT_API_KEY",),
    "moonshotai-cn": ("MOONSHOT_API_KEY",), "fireworks": ("FIREWORKS_API_KEY",),
    "cloudflare-workers-ai": ("CLOUDFLARE_API_KEY",), "cloudflare-ai-gateway": ("CLOUDFLARE_API_KEY",),
    "xiaomi": ("XIAOMI_API_KEY",), "xiaomi-token-plan-cn": ("XIAOMI_TOKEN_PLAN_CN_API_KEY",),
    "xiaomi-token-plan-ams": ("XIAOMI_TOKEN_PLAN_AMS_API_KEY",),
    "xiaomi-token-plan-sgp": ("XIAOMI_TOKEN_PLAN_SGP_API_KEY",),
    "google-vertex": ("GOOGLE_CLOUD_API_KEY",), "together": ("TOGETHER_API_KEY",),
    "amazon-bedrock": ("AWS_BEARER_TOKEN_BEDROCK",),
    "anthropic": ("ANTHROPIC_OAUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_API_KEY"),
    "github-copilot": ("COPILOT_GITHUB_TOKEN",),   # reference §11.1: GH_TOKEN / GITHUB_TOKEN no longer count
    "llama.cpp": ("LLAMA_API_KEY",),
    "openai-codex": ("CODEX_ACCESS_TOKEN",),
}


def _catalog():
    """{provider id: [model, ...]} as shipped (or, before it ships, the shared source)."""
    path = SHIPPED_CATALOG if os.path.exists(SHIPPED_CATALOG) else SHARED_CATALOG
    with open(path) as f:
        return json.load(f)


def test_ids_are_unique():
    ids = [p.id for p in builtins()]
    assert len(ids) == len(set(ids))
    assert list(PROVIDERS) == ids
    assert all(builtin(pid) is PROVIDERS[pid] for pid in ids)


def test_the_33_providers_are_the_catalogue_plus_together_and_llama_cpp():
    # llama.cpp's models are its server's own (reference §11.1), so the catalogue has none.
    catalog_ids = set(_catalog())
    assert len(catalog_ids) == 31
    assert set(PROVIDERS) == catalog_ids | {"together", "llama.cpp"}
    assert len(PROVIDERS) == 33


def test_environment_variables_match_the_reference_table():
    assert {pid: p.env for pid, p in PROVIDERS.items()} == ENV_VARS
    for pid, provider in PROVIDERS.items():
        assert provider.env, pid  # openai-codex too: CODEX_ACCESS_TOKEN, a ChatGPT personal access token
        assert all(re.match(r"[A-Z_][A-Z0-9_]*\Z", name) for name in provider.env)


def test_rows_are_well_formed():
    for pid, p in PROVIDERS.items():
        assert re.match(r"[a-z0-9]+([-.][a-z0-9]+)*\Z", pid)  # llama.cpp is an id too
        assert p.name and p.name.strip() == p.name
        assert set(p.auth) <= {"key", "oauth", "cloud"} and p.auth, pid
        assert p.base_url.startswith("https://") or (pid == "azure-openai-responses" and p.base_url == "") \
            or (pid == "llama.cpp" and p.base_url == "http://127.0.0.1:8080/v1")  # a server on this machine
        name, template = p.key_header or APIS[p.api].key_header
        assert re.match(r"[A-Za-z-]+\Z", name) and re.match(r"(Bearer )?\{key\}\Z", template), (pid, name, template)
        if p.module_name is not None:
            assert p.module_name == "providers." + re.sub(r"[-.]", "_", pid)  # id -> module at a glance
        assert all(re.match(r"[A-Z_][A-Z0-9_]*\Z", name) for name in p.settings)
        assert set(p.login_options) <= {"device", "enterprise_domain", "with_token", "from"}
        assert bool(p.subscription) == ("oauth" in p.auth), pid  # every OAuth login is on the menu
    assert {pid for pid, p in PROVIDERS.items() if "oauth" in p.auth} == {"anthropic", "openai-codex", "github-copilot"}
    assert PROVIDERS["openai-codex"].auth == ("oauth",)


def test_base_url_and_wire_api_are_ones_the_catalogue_uses():
    for pid, models in _catalog().items():
        urls = collections.Counter(m.get("baseUrl") for m in models)
        apis = collections.Counter(m.get("api") for m in models)
        provider = PROVIDERS[pid]
        assert provider.base_url in urls or (not provider.base_url and not any(urls)), pid
        assert provider.api in apis, pid


# The provider-module contract of providers/api.py: hook name -> its parameters.
HOOK_PARAMETERS = {"login": ["ctx", "options"], "refresh": ["entry", "ctx"], "account": ["entry"],
                   "revoke": ["entry", "ctx"], "linked": ["record", "ctx", "stale"],
                   "headers": ["credential"], "base_url": ["credential"],
                   "prepare": ["request", "credential", "model", "ctx"], "error_hint": ["status", "message"],
                   "export": ["credential", "ctx"], "ambient": ["ctx"], "models": ["ctx"], "wire": ["api"],
                   "served_models": ["credential", "ctx"], "account_model": ["model", "entry"],
                   "lend": ["credential", "user_agent"]}


def test_the_contract_in_the_api_docstring_is_the_one_checked_here():
    import providers.api as api
    assert set(api.HOOKS) == set(HOOK_PARAMETERS)
    for name, params in HOOK_PARAMETERS.items():
        assert "    %s(%s)" % (name, ", ".join(params)) in api.__doc__, name


@pytest.mark.parametrize("pid", sorted(pid for pid, p in PROVIDERS.items() if p.module_name))
def test_provider_modules_exist_and_follow_the_contract(pid):
    import inspect
    provider = PROVIDERS[pid]
    module = provider.module()
    assert module.__name__ == provider.module_name
    if "oauth" in provider.auth:
        assert callable(getattr(module, "login", None)) and callable(getattr(module, "refresh", None)), pid
    public = {name for name, value in vars(module).items()
              if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")}
    hooks = public & set(HOOK_PARAMETERS)
    assert hooks, pid
    for name in hooks:
        assert list(inspect.signature(getattr(module, name)).parameters) == HOOK_PARAMETERS[name], (pid, name)


def test_plain_rows_need_no_module():
    plain = [p for p in PROVIDERS.values() if p.module_name is None]
    assert len(plain) == 25
    assert all(p.module() is None for p in plain)
    assert all("oauth" not in p.auth for p in plain)


def test_modules_are_imported_lazily():
    # Importing the registry imports no provider module; using a row's module() does.
    code = ("import sys; sys.path.insert(0, %r); from providers import builtin; "
            "before = sorted(m for m in sys.modules if m.startswith('providers')); "
            "builtin('openai-codex').module(); "
            "print(before, 'providers.openai_codex' in sys.modules)" % REPO)
    out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, check=True).stdout
    assert out.decode().strip() == "['providers'] True"


# Extensions are held to the same contract ---------------------------------------------------

EXAMPLE = os.path.join(REPO, "examples", "extensions", "custom_provider_gitlab_duo.py")


def test_built_in_rows_pass_the_check_extension_rows_get():
    from providers._registry.contract import row_problems
    for provider in builtins():
        assert row_problems(provider, provider.module()) == [], provider.id


def _extension_sources():
    import providers.api as api
    with open(EXAMPLE, encoding="utf-8") as f:
        example = f.read()
    minimal = api.__doc__.split("# --- minimal extension ---\n")[1].split("    # --- end ---")[0]
    import textwrap
    return {"gitlab_duo (the example)": ("gitlab-duo", example), "acme (api.py's minimal example)":
            ("acme", textwrap.dedent(minimal))}


@pytest.mark.parametrize("name", sorted(_extension_sources()))
def test_the_example_extensions_follow_the_contract(name, tmp_path):
    import ast
    import importlib.util
    import inspect

    from providers import Provider
    from providers._registry.contract import row_problems

    pid, source = _extension_sources()[name]
    path = tmp_path / (pid.replace("-", "_") + ".py")
    path.write_text(source)
    imported = {n.module if isinstance(n, ast.ImportFrom) else a.name for n in ast.walk(ast.parse(source))
                if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    assert {m for m in imported if m == "atomic" or m.startswith("providers")} == {"providers"}
    assert all(isinstance(n, ast.Import) or n.names[0].name == "api" for n in ast.walk(ast.parse(source))
               if isinstance(n, ast.ImportFrom) and n.module == "providers")  # from providers import api, only
    spec = importlib.util.spec_from_file_location("contract_" + pid.replace("-", "_"), str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.PROVIDERS
    assert rows and all(isinstance(row, Provider) for row in rows) and rows[0].id == pid
    for row in rows:
        assert row_problems(row, module) == [], row.id
    hooks = {n for n, v in vars(module).items() if inspect.isfunction(v) and v.__module__ == module.__name__
             and not n.startswith("_")} & set(HOOK_PARAMETERS)
    assert "models" in hooks
    for hook in hooks:
        assert list(inspect.signature(getattr(module, hook)).parameters) == HOOK_PARAMETERS[hook], (name, hook)
    public = {n for n, v in vars(module).items() if inspect.isfunction(v) and v.__module__ == module.__name__
              and not n.startswith("_")}
    assert public <= set(HOOK_PARAMETERS), public - set(HOOK_PARAMETERS)  # helpers are _private


def test_every_default_model_is_in_the_catalogue():
    catalog = _catalog()
    chosen = {p.id: p.default_model for p in builtins() if p.default_model}
    assert {"openai", "anthropic", "openai-codex", "github-copilot", "google"} <= set(chosen)
    for pid, model_id in chosen.items():
        assert model_id in [m["id"] for m in catalog[pid]], (pid, model_id)
