"""The provider registry: one row per provider, find(), all_providers(), and lazy module loading.

A provider that only needs an API key is one row here and nothing else. A provider with a flow
of its own (OAuth, token exchange, request signing) names its module by dotted path; that module
is written against providers.api alone, as an extension would be, and imported only when the
provider is used. Nothing outside this module reads the table directly.

This module holds the rows and what `atomic key` needs (builtin, find for a built-in id); the rest
of the registry's functions (all_providers, custom and extension providers, suggestions) are in
_registry/lookup.py and handed out from here when first asked for.
"""


class Provider:
    """One row of the registry (or a custom provider of models.json).

    env: variables that hold its key, first set wins; api: the wire API of its models (a model may
    name another); auth: "key", "oauth", "cloud"; module: dotted path of its module, or None;
    key_header: (name, template) when it sends keys differently from its wire API; settings:
    variables `atomic login --env` may store with the key, of which address_parts go into its
    address (a host or path: a resource name, a region; {NAME}s of base_url do too) and
    url_settings are a whole address, each held to its rule (_net/address.py) where it is given
    and where it is used; subscription: the login menu's label for its OAuth login;
    default_model: the model `atomic ask` uses when none is named (else the first of the
    catalogue); login_options: the `atomic login` options that apply to it; aliases: other names
    people type for it (accepted wherever an id is); key_prefixes: how its keys
    start, when that is distinctive (a pasted key of another provider's shape is questioned);
    no_key: what a server of one's own that takes no key is sent instead (llama.cpp's "local"),
    once it is set up (a stored entry, or one of its settings in the environment).
    """
    __slots__ = ("id", "name", "env", "base_url", "api", "auth", "module_name", "key_header",
                 "settings", "subscription", "login_options", "custom", "aliases", "key_prefixes",
                 "extension", "no_key", "default_model", "address_parts", "url_settings")

    def __init__(self, id, name, env=(), base_url="", api="openai-completions", auth="key", module=None,
                 key_header=None, settings=(), subscription=None, login_options=(), custom=False,
                 aliases="", key_prefixes="", no_key=None, default_model=None, address_parts=(), url_settings=()):
        self.id, self.name, self.base_url, self.api = id, name, base_url, api
        self.default_model = default_model
        self.env = (env,) if isinstance(env, str) else tuple(env)
        self.auth = tuple(auth.split())
        self.module_name, self.key_header, self.settings = module, key_header, tuple(settings)
        self.subscription, self.login_options, self.custom = subscription, tuple(login_options), custom
        self.aliases, self.key_prefixes = tuple(aliases.split()), tuple(key_prefixes.split())
        self.no_key = no_key
        self.address_parts, self.url_settings = tuple(address_parts), tuple(url_settings)
        self.extension = None  # the extension that declared this row (_registry/extensions.py), or None

    def module(self):
        """The provider's own module (imported now, on first use), or None for a plain row.
        Its path is the id with - and . as _ (openai-codex -> providers.openai_codex)."""
        if self.extension is not None:
            return self.extension.module  # loaded with its rows, every call guarded
        if self.module_name is None:
            return None
        import importlib
        return importlib.import_module(self.module_name)

    def hook(self, name):
        """The module's function `name` (login, refresh, headers, prepare, ...), or None: every
        hook but login is optional."""
        module = self.module()
        return getattr(module, name, None) if module is not None else None

    def takes_no_key(self, ctx):
        """A custom provider with neither apiKey nor authHeader: a server that needs no key
        (Ollama, LM Studio, vLLM on this machine)."""
        if not self.custom:
            return False
        config, _path = self.config(ctx)
        return not (config or {}).get("apiKey") and not (config or {}).get("authHeader")

    def config(self, ctx):
        """(its models.json / models.toml entry, that file's path), or (None, None)."""
        from ._config.models_files import read_models_files

        configs, origin = read_models_files(ctx)
        config = configs.get(self.id)
        return (config, origin[self.id]) if isinstance(config, dict) else (None, None)

    def config_file(self, ctx, field):
        """The models file that gives this provider's `field` (apiKey, headers, ...), or None."""
        from ._config.models_files import field_file

        return field_file(ctx, self.id, field)

    def config_files(self, ctx):
        """Every models file that defines this provider, the one that wins first."""
        from ._config.models_files import defining_files

        return defining_files(ctx, self.id)

    def __repr__(self):
        return "Provider(%r)" % self.id


_BEARER = ("Authorization", "Bearer {key}")

_BUILTIN = (
    # CLAUDE_CODE_OAUTH_TOKEN: the one-year token of `claude setup-token` (sharing-logins.md §2.6).
    Provider("anthropic", "Anthropic", ("ANTHROPIC_OAUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_API_KEY"),
             "https://api.anthropic.com",
             "anthropic-messages", auth="key oauth", module="providers.anthropic", login_options=("with_token", "from"),
             subscription="Claude Pro/Max (third-party use draws from extra usage)",
             aliases="claude", key_prefixes="sk-ant-",
             default_model="claude-sonnet-4-6"),
    Provider("openai", "OpenAI", "OPENAI_API_KEY", "https://api.openai.com/v1", "openai-responses",
             key_prefixes="sk-proj- sk-svcacct- sk-admin-",
             default_model="gpt-5.4-mini"),
    # CODEX_ACCESS_TOKEN: a ChatGPT personal access token (`at-…`; sharing-logins.md §1.6).
    Provider("openai-codex", "ChatGPT Plus/Pro (Codex)", "CODEX_ACCESS_TOKEN", "https://chatgpt.com/backend-api",
             "openai-codex-responses", auth="oauth", module="providers.openai_codex",
             subscription="ChatGPT Plus/Pro (Codex subscription)", login_options=("device", "with_token", "from"),
             aliases="chatgpt codex",
             default_model="gpt-5.4"),
    # Only COPILOT_GITHUB_TOKEN: GH_TOKEN / GITHUB_TOKEN are gh's and Actions' tokens, mostly
    # without Copilot access, and made Copilot look configured when it was not (reference §11.1).
    Provider("github-copilot", "GitHub Copilot", "COPILOT_GITHUB_TOKEN",
             "https://api.individual.githubcopilot.com", auth="oauth", module="providers.github_copilot",
             subscription="GitHub Copilot (github.com or Enterprise Server)",
             login_options=("device", "enterprise_domain", "with_token", "from"), aliases="copilot",
             key_prefixes="ghp_ gho_ ghu_ github_pat_",
             settings=("COPILOT_API_TARGET", "GITHUB_COPILOT_BASE_URL", "GITHUB_SERVER_URL"),
             url_settings=("COPILOT_API_TARGET", "GITHUB_COPILOT_BASE_URL", "GITHUB_SERVER_URL"),
             default_model="gpt-5-mini"),
    Provider("google", "Google Gemini", "GEMINI_API_KEY", "https://generativelanguage.googleapis.com/v1beta",
             "google-generative-ai", aliases="gemini", key_prefixes="AIza",
             default_model="gemini-2.5-flash"),
    Provider("google-vertex", "Google Vertex AI", "GOOGLE_CLOUD_API_KEY", "https://{location}-aiplatform.googleapis.com",
             "google-vertex", auth="key cloud", aliases="vertex", key_prefixes="AIza", module="providers.google_vertex",
             settings=("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_APPLICATION_CREDENTIALS"),
             address_parts=("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION"),
             default_model="gemini-2.5-flash"),
    Provider("azure-openai-responses", "Azure OpenAI", "AZURE_OPENAI_API_KEY", "", "azure-openai-responses",
             settings=("AZURE_OPENAI_BASE_URL", "AZURE_OPENAI_RESOURCE_NAME", "AZURE_OPENAI_API_VERSION",
                       "AZURE_OPENAI_DEPLOYMENT_NAME_MAP"), aliases="azure", module="providers.azure_openai_responses",
             address_parts=("AZURE_OPENAI_RESOURCE_NAME",), url_settings=("AZURE_OPENAI_BASE_URL",),
             default_model="gpt-5.4-mini"),
    Provider("amazon-bedrock", "Amazon Bedrock", "AWS_BEARER_TOKEN_BEDROCK", "https://bedrock-runtime.us-east-1.amazonaws.com",
             "bedrock-converse-stream", auth="key cloud", module="providers.amazon_bedrock", aliases="bedrock aws",
             settings=("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
                       "AWS_BEDROCK_FORCE_CACHE", "ATOMIC_CACHE_RETENTION"),
             address_parts=("AWS_REGION", "AWS_DEFAULT_REGION"), url_settings=("AWS_ENDPOINT_URL_BEDROCK_RUNTIME",),
             default_model="global.anthropic.claude-sonnet-4-6"),
    Provider("mistral", "Mistral", "MISTRAL_API_KEY", "https://api.mistral.ai", "mistral-conversations",
             default_model="mistral-medium-latest"),
    Provider("groq", "Groq", "GROQ_API_KEY", "https://api.groq.com/openai/v1", key_prefixes="gsk_",
             default_model="llama-3.3-70b-versatile"),
    Provider("cerebras", "Cerebras", "CEREBRAS_API_KEY", "https://api.cerebras.ai/v1", key_prefixes="csk-"),
    Provider("xai", "xAI", "XAI_API_KEY", "https://api.x.ai/v1", aliases="grok", key_prefixes="xai-",
             default_model="grok-4-1-fast"),
    Provider("openrouter", "OpenRouter", "OPENROUTER_API_KEY", "https://openrouter.ai/api/v1", key_prefixes="sk-or-",
             default_model="anthropic/claude-sonnet-4.6"),
    Provider("vercel-ai-gateway", "Vercel AI Gateway", "AI_GATEWAY_API_KEY", "https://ai-gateway.vercel.sh",
             "anthropic-messages", key_header=_BEARER, aliases="vercel",
             default_model="anthropic/claude-sonnet-4.6"),
    Provider("deepseek", "DeepSeek", "DEEPSEEK_API_KEY", "https://api.deepseek.com"),
    Provider("together", "Together AI", "TOGETHER_API_KEY", "https://api.together.ai/v1"),
    Provider("fireworks", "Fireworks", "FIREWORKS_API_KEY", "https://api.fireworks.ai/inference",
             "anthropic-messages", key_header=_BEARER),
    Provider("huggingface", "Hugging Face", "HF_TOKEN", "https://router.huggingface.co/v1", aliases="hf",
             key_prefixes="hf_"),
    Provider("zai", "ZAI Coding Plan", "ZAI_API_KEY", "https://api.z.ai/api/coding/paas/v4"),
    Provider("moonshotai", "Moonshot AI", "MOONSHOT_API_KEY", "https://api.moonshot.ai/v1", aliases="moonshot"),
    Provider("moonshotai-cn", "Moonshot AI (China)", "MOONSHOT_API_KEY", "https://api.moonshot.cn/v1"),
    Provider("kimi-coding", "Kimi For Coding", "KIMI_API_KEY", "https://api.kimi.com/coding", "anthropic-messages",
             aliases="kimi"),
    Provider("minimax", "MiniMax", "MINIMAX_API_KEY", "https://api.minimax.io/anthropic", "anthropic-messages"),
    Provider("minimax-cn", "MiniMax (China)", "MINIMAX_CN_API_KEY", "https://api.minimaxi.com/anthropic",
             "anthropic-messages"),
    Provider("opencode", "OpenCode Zen", "OPENCODE_API_KEY", "https://opencode.ai/zen/v1", aliases="zen"),
    Provider("opencode-go", "OpenCode Go", "OPENCODE_API_KEY", "https://opencode.ai/zen/go/v1"),
    Provider("xiaomi", "Xiaomi MiMo", "XIAOMI_API_KEY", "https://api.xiaomimimo.com/anthropic", "anthropic-messages"),
    Provider("xiaomi-token-plan-cn", "Xiaomi MiMo Token Plan (China)", "XIAOMI_TOKEN_PLAN_CN_API_KEY",
             "https://token-plan-cn.xiaomimimo.com/anthropic", "anthropic-messages"),
    Provider("xiaomi-token-plan-ams", "Xiaomi MiMo Token Plan (Amsterdam)", "XIAOMI_TOKEN_PLAN_AMS_API_KEY",
             "https://token-plan-ams.xiaomimimo.com/anthropic", "anthropic-messages"),
    Provider("xiaomi-token-plan-sgp", "Xiaomi MiMo Token Plan (Singapore)", "XIAOMI_TOKEN_PLAN_SGP_API_KEY",
             "https://token-plan-sgp.xiaomimimo.com/anthropic", "anthropic-messages"),
    Provider("cloudflare-workers-ai", "Cloudflare Workers AI", "CLOUDFLARE_API_KEY",
             "https://api.cloudflare.com/client/v4/accounts/{CLOUDFLARE_ACCOUNT_ID}/ai/v1",
             settings=("CLOUDFLARE_ACCOUNT_ID",)),
    Provider("cloudflare-ai-gateway", "Cloudflare AI Gateway", "CLOUDFLARE_API_KEY",
             "https://gateway.ai.cloudflare.com/v1/{CLOUDFLARE_ACCOUNT_ID}/{CLOUDFLARE_GATEWAY_ID}/compat",
             key_header=("cf-aig-authorization", "Bearer {key}"), module="providers.cloudflare_ai_gateway",
             settings=("CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_GATEWAY_ID")),
    # A server on your own machine; its models are the ones it has loaded (`atomic models llama.cpp`).
    Provider("llama.cpp", "llama.cpp", "LLAMA_API_KEY", "http://127.0.0.1:8080/v1", module="providers.llama_cpp",
             settings=("LLAMA_BASE_URL",), url_settings=("LLAMA_BASE_URL",), no_key="local",
             aliases="llamacpp llama-cpp"),
)

_BY_ID = {p.id: p for p in _BUILTIN}
_BY_ALIAS = {alias: p for p in _BUILTIN for alias in p.aliases}


def builtin(pid):
    """The built-in provider with this id, or None."""
    return _BY_ID.get(pid)


def builtins():
    """Every built-in provider, in registry order (subscriptions first)."""
    return list(_BUILTIN)


def aliased(name):
    """The built-in provider `name` is an alias of (claude -> anthropic), or None."""
    return _BY_ALIAS.get(name)


def find(name, ctx, hint=None):
    """The provider called `name`: a built-in id, else a custom provider of models.json, else an
    alias, else an extension's provider (id, then alias); a usage error listing candidates or "did
    you mean" (then `hint`) when there is none. models.json is read only when the name is not a
    built-in id, and extensions are looked for only after that, so `atomic key openai` stays cheap."""
    provider = _BY_ID.get(name)
    if provider is not None:
        return provider
    from ._registry.lookup import find_beyond_builtins

    return find_beyond_builtins(name, ctx, hint)


def __getattr__(name):
    # The rest of the registry's functions (all_providers, suggest, the extensions' rows, ...) live
    # in _registry/lookup.py, loaded when first asked for: `atomic key openai` needs none of them.
    if name == "__version__":  # kept where it always was; written once, in _core/version.py
        from ._core.version import __version__
        return __version__
    if name.startswith("_"):  # dunders, and submodules being imported (`from . import _registry`)
        raise AttributeError(name)
    from ._registry import lookup as _lookup

    try:
        return getattr(_lookup, name)
    except AttributeError:
        raise AttributeError("module 'providers' has no attribute %r" % name) from None
