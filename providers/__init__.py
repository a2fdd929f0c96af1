"""The provider registry: one row per provider, find(), all_providers(), and lazy module loading.

A provider that only needs an API key is one row here and nothing else. A provider with a flow
of its own (OAuth, token exchange, request signing) names its module by dotted path; that module
is written against providers.api alone, as an extension would be, and imported only when the
provider is used. Nothing outside this module reads the table directly.
"""
__version__ = "0.1.0"  # the one version: pyproject.toml, `atomic --version` and the User-Agent read it


class Provider:
    """One row of the registry (or a custom provider of models.json).

    env: variables that hold its key, first set wins; api: the wire API of its models (a model may
    name another); auth: "key", "oauth", "cloud"; module: dotted path of its module, or None;
    key_header: (name, template) when it sends keys differently from its wire API; settings:
    variables `atomic login --env` may store with the key; subscription: the login menu's label
    for its OAuth login; login_options: the `atomic login` options that apply to it.
    """
    __slots__ = ("id", "name", "env", "base_url", "api", "auth", "module_name", "key_header",
                 "settings", "subscription", "login_options", "custom")

    def __init__(self, id, name, env=(), base_url="", api="openai-completions", auth="key", module=None,
                 key_header=None, settings=(), subscription=None, login_options=(), custom=False):
        self.id, self.name, self.base_url, self.api = id, name, base_url, api
        self.env = (env,) if isinstance(env, str) else tuple(env)
        self.auth = tuple(auth.split())
        self.module_name, self.key_header, self.settings = module, key_header, tuple(settings)
        self.subscription, self.login_options, self.custom = subscription, tuple(login_options), custom

    def module(self):
        """The provider's own module (imported now, on first use), or None for a plain row."""
        if self.module_name is None:
            return None
        import importlib
        return importlib.import_module(self.module_name)

    def hook(self, name):
        """The module's function `name` (login, refresh, headers, prepare, ...), or None: every
        hook but login is optional."""
        module = self.module()
        return getattr(module, name, None) if module is not None else None

    def config(self, ctx):
        """(its models.json / models.toml entry, that file's path), or (None, None)."""
        from ._models.files import read_models_files

        configs, origin = read_models_files(ctx)
        config = configs.get(self.id)
        return (config, origin[self.id]) if isinstance(config, dict) else (None, None)

    def __repr__(self):
        return "Provider(%r)" % self.id


_BEARER = ("Authorization", "Bearer {key}")

_BUILTIN = (
    Provider("anthropic", "Anthropic", ("ANTHROPIC_OAUTH_TOKEN", "ANTHROPIC_API_KEY"), "https://api.anthropic.com",
             "anthropic-messages", auth="key oauth", module="providers.anthropic",
             subscription="Claude Pro/Max (subscription; third-party use draws from extra usage)"),
    Provider("openai", "OpenAI", "OPENAI_API_KEY", "https://api.openai.com/v1", "openai-responses"),
    Provider("openai-codex", "ChatGPT Plus/Pro (Codex)", (), "https://chatgpt.com/backend-api",
             "openai-codex-responses", auth="oauth", module="providers.openai_codex",
             subscription="ChatGPT Plus/Pro (Codex subscription)", login_options=("device",)),
    Provider("github-copilot", "GitHub Copilot", ("COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"),
             "https://api.individual.githubcopilot.com", auth="oauth", module="providers.github_copilot",
             subscription="GitHub Copilot (github.com or Enterprise Server)",
             login_options=("device", "enterprise_domain")),
    Provider("google", "Google Gemini", "GEMINI_API_KEY", "https://generativelanguage.googleapis.com/v1beta",
             "google-generative-ai"),
    Provider("google-vertex", "Google Vertex AI", "GOOGLE_CLOUD_API_KEY", "https://{location}-aiplatform.googleapis.com",
             "google-vertex", auth="key cloud",
             settings=("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_APPLICATION_CREDENTIALS")),
    Provider("azure-openai-responses", "Azure OpenAI", "AZURE_OPENAI_API_KEY", "", "azure-openai-responses",
             settings=("AZURE_OPENAI_BASE_URL", "AZURE_OPENAI_RESOURCE_NAME", "AZURE_OPENAI_API_VERSION",
                       "AZURE_OPENAI_DEPLOYMENT_NAME_MAP")),
    Provider("amazon-bedrock", "Amazon Bedrock", "AWS_BEARER_TOKEN_BEDROCK", "https://bedrock-runtime.us-east-1.amazonaws.com",
             "bedrock-converse-stream", auth="key cloud", settings=("AWS_PROFILE", "AWS_REGION")),
    Provider("mistral", "Mistral", "MISTRAL_API_KEY", "https://api.mistral.ai", "mistral-conversations"),
    Provider("groq", "Groq", "GROQ_API_KEY", "https://api.groq.com/openai/v1"),
    Provider("cerebras", "Cerebras", "CEREBRAS_API_KEY", "https://api.cerebras.ai/v1"),
    Provider("xai", "xAI", "XAI_API_KEY", "https://api.x.ai/v1"),
    Provider("openrouter", "OpenRouter", "OPENROUTER_API_KEY", "https://openrouter.ai/api/v1"),
    Provider("vercel-ai-gateway", "Vercel AI Gateway", "AI_GATEWAY_API_KEY", "https://ai-gateway.vercel.sh",
             "anthropic-messages", key_header=_BEARER),
    Provider("deepseek", "DeepSeek", "DEEPSEEK_API_KEY", "https://api.deepseek.com"),
    Provider("together", "Together AI", "TOGETHER_API_KEY", "https://api.together.ai/v1"),
    Provider("fireworks", "Fireworks", "FIREWORKS_API_KEY", "https://api.fireworks.ai/inference",
             "anthropic-messages", key_header=_BEARER),
    Provider("huggingface", "Hugging Face", "HF_TOKEN", "https://router.huggingface.co/v1"),
    Provider("zai", "ZAI Coding Plan", "ZAI_API_KEY", "https://api.z.ai/api/coding/paas/v4"),
    Provider("moonshotai", "Moonshot AI", "MOONSHOT_API_KEY", "https://api.moonshot.ai/v1"),
    Provider("moonshotai-cn", "Moonshot AI (China)", "MOONSHOT_API_KEY", "https://api.moonshot.cn/v1"),
    Provider("kimi-coding", "Kimi For Coding", "KIMI_API_KEY", "https://api.kimi.com/coding", "anthropic-messages"),
    Provider("minimax", "MiniMax", "MINIMAX_API_KEY", "https://api.minimax.io/anthropic", "anthropic-messages"),
    Provider("minimax-cn", "MiniMax (China)", "MINIMAX_CN_API_KEY", "https://api.minimaxi.com/anthropic",
             "anthropic-messages"),
    Provider("opencode", "OpenCode Zen", "OPENCODE_API_KEY", "https://opencode.ai/zen/v1"),
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
             key_header=("cf-aig-authorization", "Bearer {key}"),
             settings=("CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_GATEWAY_ID")),
)

_BY_ID = {p.id: p for p in _BUILTIN}


def builtin(pid):
    """The built-in provider with this id, or None."""
    return _BY_ID.get(pid)


def builtins():
    """Every built-in provider, in registry order (subscriptions first)."""
    return list(_BUILTIN)


def find(name, ctx):
    """The provider called `name`: built-in, else a custom provider of models.json; a usage
    error with "did you mean" when there is none. models.json is read only on a miss, so
    `atomic key openai` stays cheap."""
    provider = _BY_ID.get(name)
    if provider is not None:
        return provider
    from ._core.errors import UsageError
    from ._core.text import did_you_mean
    from ._models.files import read_models_files

    configs, _origin = read_models_files(ctx)
    if name in configs:
        return custom_provider(name, configs[name])
    raise UsageError("unknown provider %r%s; `atomic login` lists them all"
                     % (name, did_you_mean(name, list(_BY_ID) + list(configs))))


def all_providers(ctx):
    """Built-in providers, then the custom providers of models.json (BadFile if it is broken)."""
    from ._models.files import read_models_files

    configs, _origin = read_models_files(ctx)
    return builtins() + [custom_provider(pid, config) for pid, config in configs.items() if pid not in _BY_ID]


def custom_provider(pid, config):
    """A provider defined only in models.json: its key travels as its wire API says."""
    from ._core.apis import DEFAULT_API

    config = config if isinstance(config, dict) else {}
    api = config.get("api") if isinstance(config.get("api"), str) else DEFAULT_API
    base_url = config.get("baseUrl") if isinstance(config.get("baseUrl"), str) else ""
    name = config.get("name") if isinstance(config.get("name"), str) and config["name"].strip() else pid
    return Provider(pid, name, (), base_url, api, custom=True)


def find_each(names, ctx):
    """The providers called `names`, in order, each once (two names for one provider count once)."""
    found = {}
    for name in names:
        provider = find(name, ctx)
        found.setdefault(provider.id, provider)
    return list(found.values())
