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
    for its OAuth login; login_options: the `atomic login` options that apply to it; aliases:
    other names people type for it (accepted wherever an id is); key_prefixes: how its keys
    start, when that is distinctive (a pasted key of another provider's shape is questioned);
    no_key: what a server of one's own that takes no key is sent instead (llama.cpp's "local"),
    once it is set up (a stored entry, or one of its settings in the environment).
    """
    __slots__ = ("id", "name", "env", "base_url", "api", "auth", "module_name", "key_header",
                 "settings", "subscription", "login_options", "custom", "aliases", "key_prefixes",
                 "extension", "no_key")

    def __init__(self, id, name, env=(), base_url="", api="openai-completions", auth="key", module=None,
                 key_header=None, settings=(), subscription=None, login_options=(), custom=False,
                 aliases="", key_prefixes="", no_key=None):
        self.id, self.name, self.base_url, self.api = id, name, base_url, api
        self.env = (env,) if isinstance(env, str) else tuple(env)
        self.auth = tuple(auth.split())
        self.module_name, self.key_header, self.settings = module, key_header, tuple(settings)
        self.subscription, self.login_options, self.custom = subscription, tuple(login_options), custom
        self.aliases, self.key_prefixes = tuple(aliases.split()), tuple(key_prefixes.split())
        self.no_key = no_key
        self.extension = None  # the extension that declared this row (_core/extensions.py), or None

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
        from ._models.files import read_models_files

        configs, origin = read_models_files(ctx)
        config = configs.get(self.id)
        return (config, origin[self.id]) if isinstance(config, dict) else (None, None)

    def config_file(self, ctx, field):
        """The models file that gives this provider's `field` (apiKey, headers, ...), or None."""
        from ._models.files import field_file

        return field_file(ctx, self.id, field)

    def config_files(self, ctx):
        """Every models file that defines this provider, the one that wins first."""
        from ._models.files import defining_files

        return defining_files(ctx, self.id)

    def __repr__(self):
        return "Provider(%r)" % self.id


_BEARER = ("Authorization", "Bearer {key}")

_BUILTIN = (
    Provider("anthropic", "Anthropic", ("ANTHROPIC_OAUTH_TOKEN", "ANTHROPIC_API_KEY"), "https://api.anthropic.com",
             "anthropic-messages", auth="key oauth", module="providers.anthropic",
             subscription="Claude Pro/Max (third-party use draws from extra usage)",
             aliases="claude", key_prefixes="sk-ant-"),
    Provider("openai", "OpenAI", "OPENAI_API_KEY", "https://api.openai.com/v1", "openai-responses",
             key_prefixes="sk-proj- sk-svcacct- sk-admin-"),
    Provider("openai-codex", "ChatGPT Plus/Pro (Codex)", (), "https://chatgpt.com/backend-api",
             "openai-codex-responses", auth="oauth", module="providers.openai_codex",
             subscription="ChatGPT Plus/Pro (Codex subscription)", login_options=("device",),
             aliases="chatgpt codex"),
    # Only COPILOT_GITHUB_TOKEN: GH_TOKEN / GITHUB_TOKEN are gh's and Actions' tokens, mostly
    # without Copilot access, and made Copilot look configured when it was not (reference §11.1).
    Provider("github-copilot", "GitHub Copilot", "COPILOT_GITHUB_TOKEN",
             "https://api.individual.githubcopilot.com", auth="oauth", module="providers.github_copilot",
             subscription="GitHub Copilot (github.com or Enterprise Server)",
             login_options=("device", "enterprise_domain"), aliases="copilot",
             key_prefixes="ghp_ gho_ ghu_ github_pat_",
             settings=("COPILOT_API_TARGET", "GITHUB_COPILOT_BASE_URL", "GITHUB_SERVER_URL")),
    Provider("google", "Google Gemini", "GEMINI_API_KEY", "https://generativelanguage.googleapis.com/v1beta",
             "google-generative-ai", aliases="gemini", key_prefixes="AIza"),
    Provider("google-vertex", "Google Vertex AI", "GOOGLE_CLOUD_API_KEY", "https://{location}-aiplatform.googleapis.com",
             "google-vertex", auth="key cloud", aliases="vertex", key_prefixes="AIza", module="providers.google_vertex",
             settings=("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_APPLICATION_CREDENTIALS")),
    Provider("azure-openai-responses", "Azure OpenAI", "AZURE_OPENAI_API_KEY", "", "azure-openai-responses",
             settings=("AZURE_OPENAI_BASE_URL", "AZURE_OPENAI_RESOURCE_NAME", "AZURE_OPENAI_API_VERSION",
                       "AZURE_OPENAI_DEPLOYMENT_NAME_MAP"), aliases="azure", module="providers.azure_openai_responses"),
    Provider("amazon-bedrock", "Amazon Bedrock", "AWS_BEARER_TOKEN_BEDROCK", "https://bedrock-runtime.us-east-1.amazonaws.com",
             "bedrock-converse-stream", auth="key cloud", module="providers.amazon_bedrock", aliases="bedrock aws",
             settings=("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
                       "AWS_BEDROCK_FORCE_CACHE")),
    Provider("mistral", "Mistral", "MISTRAL_API_KEY", "https://api.mistral.ai", "mistral-conversations"),
    Provider("groq", "Groq", "GROQ_API_KEY", "https://api.groq.com/openai/v1", key_prefixes="gsk_"),
    Provider("cerebras", "Cerebras", "CEREBRAS_API_KEY", "https://api.cerebras.ai/v1", key_prefixes="csk-"),
    Provider("xai", "xAI", "XAI_API_KEY", "https://api.x.ai/v1", aliases="grok", key_prefixes="xai-"),
    Provider("openrouter", "OpenRouter", "OPENROUTER_API_KEY", "https://openrouter.ai/api/v1", key_prefixes="sk-or-"),
    Provider("vercel-ai-gateway", "Vercel AI Gateway", "AI_GATEWAY_API_KEY", "https://ai-gateway.vercel.sh",
             "anthropic-messages", key_header=_BEARER, aliases="vercel"),
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
             settings=("LLAMA_BASE_URL",), no_key="local", aliases="llamacpp llama-cpp"),
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
    from ._core import errors
    from ._models.files import read_models_files

    try:
        configs, _origin = read_models_files(ctx)
    except errors.BadFile:
        if name in _BY_ALIAS:
            return _BY_ALIAS[name]  # a broken models.json stops a custom provider, not `atomic key claude`
        provider = extension(name, ctx)
        if provider is not None:
            return provider  # nor an extension's
        raise
    if name in configs:
        # An extension's provider keeps its code when models.json has an entry for it: an override.
        return extension(name, ctx, aliases=False) or custom_provider(name, configs[name])
    if name in _BY_ALIAS:  # after models.json: a custom provider named like an alias keeps its name
        return _BY_ALIAS[name]
    provider = extension(name, ctx)
    if provider is not None:
        return provider
    custom = [custom_provider(pid, c) for pid, c in configs.items() if pid not in _BY_ID]
    raise unknown_provider(name, custom + extension_providers(ctx, warn=False), hint)


def unknown_provider(name, custom=(), hint=None):
    """The UsageError for a name that is no provider: the candidates a word could mean
    (`cloudflare`), else the closest ids, aliases and display names; then `hint`."""
    from ._core import errors

    hint = hint or "`atomic providers` lists them all"
    candidates = _candidates(name, builtins() + list(custom))
    if len(candidates) > 1:
        return errors.UsageError("%r could be any of: %s; name one (%s)"
                                 % (name, ", ".join("%s (%s)" % (p.id, p.name) for p in candidates), hint))
    return errors.UsageError("unknown provider %r%s; %s" % (name, suggest(name, custom), hint))


def suggest(name, custom=()):
    """' (did you mean 'x'?)' naming the providers whose ids, aliases or names are closest, or ''."""
    from ._core.text import did_you_mean

    means = {}
    for p in reversed(builtins() + list(custom)):  # an id wins over another provider's name or alias
        for label in (p.name,) + p.aliases + (p.id,):
            means[label] = p.id
    return did_you_mean(name, list(means), means)


def _candidates(word, known):
    """Providers a bare word may mean: its id starts with `word-`, or `word` is a word of its
    name. None when the word is an id or alias but for case (did-you-mean names that one)."""
    word = word.lower()
    if any(word == p.id.lower() or word in p.aliases for p in known):
        return []
    return [p for p in known if p.id.startswith(word + "-") or word in _words(p.name)]


def _words(text):
    return "".join(ch if ch.isalnum() else " " for ch in text.lower()).split()


def siblings(provider):
    """Built-in providers whose ids extend this one's (minimax -> minimax-cn), which people
    easily confuse with it."""
    return [p for p in _BUILTIN if p.id.startswith(provider.id + "-")]


def key_owner(key):
    """(built-in provider, prefix) when a key starts the way that provider's keys do (gsk_ ->
    groq), else None."""
    best = None
    for p in _BUILTIN:
        for prefix in p.key_prefixes:
            if key.startswith(prefix) and (best is None or len(prefix) > len(best[1])):
                best = (p, prefix)
    return best


def alias_summary():
    """`claude=anthropic, chatgpt/codex=openai-codex, ...` for help texts."""
    return ", ".join("%s=%s" % ("/".join(p.aliases), p.id) for p in _BUILTIN if p.aliases)


def in_menu_order(providers):
    """(subscriptions, the rest): providers with a subscription login in registry order, then every
    other one by name, as the login menu lists them (and `atomic ask` picks its default by)."""
    providers = list(providers)
    subscriptions = [p for p in providers if p.subscription and "oauth" in p.auth]
    return subscriptions, sorted((p for p in providers if p not in subscriptions), key=lambda p: p.name.lower())


def all_providers(ctx, warn=True):
    """Built-in providers, then the extensions' (each imported now; a broken one is left out, with
    a warning unless warn=False), then the custom providers of models.json (BadFile if it is broken)."""
    customs = custom_providers(ctx)
    loaded = extension_providers(ctx, warn)
    declared = {row.id for row in loaded}  # foo-cn of foo.py: its entry is an override too
    return builtins() + loaded + [p for p in customs if p.id not in declared]


def custom_providers(ctx):
    """The providers models.json defines (BadFile if it is broken); an entry for a built-in or an
    extension's provider is an override of that one, not a provider of its own."""
    from ._models.files import read_models_files

    configs, _origin = read_models_files(ctx)
    taken = set(_BY_ID) | set(extension_ids(ctx))
    return [custom_provider(pid, config) for pid, config in configs.items() if pid not in taken]


# Extensions (providers/_core/extensions.py finds and loads them) -------------------------------

def extension_ids(ctx):
    """The ids of every extension there is, from file and entry-point names: nothing is imported."""
    from ._core.extensions import discover

    return list(discover(ctx))


def extension(name, ctx, aliases=True):
    """The extension's provider called `name` (its module imported now), or None; the extension's
    error when the one of that id cannot be used. Ids are matched by name first (an extension of
    id foo declares foo and foo-*); aliases=True then imports every extension to match aliases."""
    from ._core import errors
    from ._core.extensions import discover

    found = discover(ctx)
    for ext_id in sorted(found, key=len, reverse=True):  # foo-bar.py before foo.py for foo-bar
        if name == ext_id or name.startswith(ext_id + "-"):
            try:
                rows = _rows(found[ext_id], ctx)
            except errors.AtomicError:
                if name == ext_id:
                    raise
                continue
            for row in rows:
                if row.id == name:
                    return row
    if aliases:
        for row in extension_providers(ctx, warn=False):
            if name in row.aliases:
                return row
    return None


def extension_providers(ctx, warn=True):
    """The rows of every extension that loads, in discovery order; with warn, a broken one is
    named with its error (once per process)."""
    from ._core import errors
    from ._core.extensions import discover

    rows = []
    for ext in discover(ctx).values():
        try:
            rows.extend(_rows(ext, ctx))
        except errors.AtomicError as exc:
            if warn:
                ctx.warn("%s (the %s extension is left out)" % (exc.message, ext.id))
    return rows


def broken_extensions(ctx):
    """[(extension, its error)] for every extension that cannot be used, each tried now."""
    from ._core import errors
    from ._core.extensions import discover

    broken = []
    for ext in discover(ctx).values():
        try:
            _rows(ext, ctx)
        except errors.AtomicError as exc:
            broken.append((ext, exc))
    return broken


def _rows(ext, ctx):
    from ._core.extensions import rows

    return rows(ext, ctx, Provider, _built_in_owner)


def _built_in_owner(name):
    provider = _BY_ID.get(name) or _BY_ALIAS.get(name)
    return provider.id if provider is not None else None


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
