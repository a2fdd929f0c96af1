"""The provider registry: one row per provider, and lazy import of the few modules with code.

A provider that only needs an API key is one row here and nothing else. A provider with a
flow of its own (OAuth, token exchange, request signing) names its module; that module is
imported only when the provider is used.
"""
# Auth kinds: "key" (API key), "oauth" (subscription login), "cloud" (cloud credential chain).
# Header: how `atomic key --header` presents a key; "{key}" is replaced by the credential.
BEARER = "Authorization: Bearer {key}"

#  id                        name                       env vars (first set wins)                                 default base URL                                                                 wire API                   auth          module            header
_ROWS = (
    ("anthropic",              "Anthropic",               ("ANTHROPIC_OAUTH_TOKEN", "ANTHROPIC_API_KEY"),            "https://api.anthropic.com",                                                      "anthropic-messages",      "key oauth",  "anthropic",      "x-api-key: {key}"),
    ("openai",                 "OpenAI",                  ("OPENAI_API_KEY",),                                       "https://api.openai.com/v1",                                                      "openai-responses",        "key",        None,             BEARER),
    ("openai-codex",           "ChatGPT Plus/Pro (Codex)", (),                                                       "https://chatgpt.com/backend-api",                                                "openai-codex-responses",  "oauth",      "openai_codex",   BEARER),
    ("github-copilot",         "GitHub Copilot",          ("COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"),      "https://api.individual.githubcopilot.com",                                       "openai-completions",      "oauth",      "github_copilot", BEARER),
    ("google",                 "Google Gemini",           ("GEMINI_API_KEY",),                                       "https://generativelanguage.googleapis.com/v1beta",                               "google-generative-ai",    "key",        None,             "x-goog-api-key: {key}"),
    ("google-vertex",          "Google Vertex AI",        ("GOOGLE_CLOUD_API_KEY",),                                 "https://{location}-aiplatform.googleapis.com",                                   "google-vertex",           "key cloud",  None,             "x-goog-api-key: {key}"),
    ("azure-openai-responses", "Azure OpenAI",            ("AZURE_OPENAI_API_KEY",),                                 "",                                                                               "azure-openai-responses",  "key",        None,             "api-key: {key}"),
    ("amazon-bedrock",         "Amazon Bedrock",          ("AWS_BEARER_TOKEN_BEDROCK",),                             "https://bedrock-runtime.us-east-1.amazonaws.com",                                "bedrock-converse-stream", "key cloud",  None,             BEARER),
    ("mistral",                "Mistral",                 ("MISTRAL_API_KEY",),                                      "https://api.mistral.ai",                                                         "mistral-conversations",   "key",        None,             BEARER),
    ("groq",                   "Groq",                    ("GROQ_API_KEY",),                                         "https://api.groq.com/openai/v1",                                                 "openai-completions",      "key",        None,             BEARER),
    ("cerebras",               "Cerebras",                ("CEREBRAS_API_KEY",),                                     "https://api.cerebras.ai/v1",                                                     "openai-completions",      "key",        None,             BEARER),
    ("xai",                    "xAI",                     ("XAI_API_KEY",),                                          "https://api.x.ai/v1",                                                            "openai-completions",      "key",        None,             BEARER),
    ("openrouter",             "OpenRouter",              ("OPENROUTER_API_KEY",),                                   "https://openrouter.ai/api/v1",                                                   "openai-completions",      "key",        None,             BEARER),
    ("vercel-ai-gateway",      "Vercel AI Gateway",       ("AI_GATEWAY_API_KEY",),                                   "https://ai-gateway.vercel.sh",                                                   "anthropic-messages",      "key",        None,             BEARER),
    ("deepseek",               "DeepSeek",                ("DEEPSEEK_API_KEY",),                                     "https://api.deepseek.com",                                                       "openai-completions",      "key",        None,             BEARER),
    ("together",               "Together AI",             ("TOGETHER_API_KEY",),                                     "https://api.together.ai/v1",                                                     "openai-completions",      "key",        None,             BEARER),
    ("fireworks",              "Fireworks",               ("FIREWORKS_API_KEY",),                                    "https://api.fireworks.ai/inference",                                             "anthropic-messages",      "key",        None,             BEARER),
    ("huggingface",            "Hugging Face",            ("HF_TOKEN",),                                             "https://router.huggingface.co/v1",                                               "openai-completions",      "key",        None,             BEARER),
    ("zai",                    "ZAI Coding Plan",         ("ZAI_API_KEY",),                                          "https://api.z.ai/api/coding/paas/v4",                                            "openai-completions",      "key",        None,             BEARER),
    ("moonshotai",             "Moonshot AI",             ("MOONSHOT_API_KEY",),                                     "https://api.moonshot.ai/v1",                                                     "openai-completions",      "key",        None,             BEARER),
    ("moonshotai-cn",          "Moonshot AI (China)",     ("MOONSHOT_API_KEY",),                                     "https://api.moonshot.cn/v1",                                                     "openai-completions",      "key",        None,             BEARER),
    ("kimi-coding",            "Kimi For Coding",         ("KIMI_API_KEY",),                                         "https://api.kimi.com/coding",                                                    "anthropic-messages",      "key",        None,             "x-api-key: {key}"),
    ("minimax",                "MiniMax",                 ("MINIMAX_API_KEY",),                                      "https://api.minimax.io/anthropic",                                               "anthropic-messages",      "key",        None,             "x-api-key: {key}"),
    ("minimax-cn",             "MiniMax (China)",         ("MINIMAX_CN_API_KEY",),                                   "https://api.minimaxi.com/anthropic",                                             "anthropic-messages",      "key",        None,             "x-api-key: {key}"),
    ("opencode",               "OpenCode Zen",            ("OPENCODE_API_KEY",),                                     "https://opencode.ai/zen/v1",                                                     "openai-completions",      "key",        None,             BEARER),
    ("opencode-go",            "OpenCode Go",             ("OPENCODE_API_KEY",),                                     "https://opencode.ai/zen/go/v1",                                                  "openai-completions",      "key",        None,             BEARER),
    ("xiaomi",                 "Xiaomi MiMo",             ("XIAOMI_API_KEY",),                                       "https://api.xiaomimimo.com/anthropic",                                           "anthropic-messages",      "key",        None,             "x-api-key: {key}"),
    ("xiaomi-token-plan-cn",   "Xiaomi MiMo Token Plan (China)",     ("XIAOMI_TOKEN_PLAN_CN_API_KEY",),              "https://token-plan-cn.xiaomimimo.com/anthropic",                                 "anthropic-messages",      "key",        None,             "x-api-key: {key}"),
    ("xiaomi-token-plan-ams",  "Xiaomi MiMo Token Plan (Amsterdam)", ("XIAOMI_TOKEN_PLAN_AMS_API_KEY",),             "https://token-plan-ams.xiaomimimo.com/anthropic",                                "anthropic-messages",      "key",        None,             "x-api-key: {key}"),
    ("xiaomi-token-plan-sgp",  "Xiaomi MiMo Token Plan (Singapore)", ("XIAOMI_TOKEN_PLAN_SGP_API_KEY",),             "https://token-plan-sgp.xiaomimimo.com/anthropic",                                "anthropic-messages",      "key",        None,             "x-api-key: {key}"),
    ("cloudflare-workers-ai",  "Cloudflare Workers AI",   ("CLOUDFLARE_API_KEY",),                                   "https://api.cloudflare.com/client/v4/accounts/{CLOUDFLARE_ACCOUNT_ID}/ai/v1",   "openai-completions",      "key",        None,             BEARER),
    ("cloudflare-ai-gateway",  "Cloudflare AI Gateway",   ("CLOUDFLARE_API_KEY",),                                   "https://gateway.ai.cloudflare.com/v1/{CLOUDFLARE_ACCOUNT_ID}/{CLOUDFLARE_GATEWAY_ID}/compat", "openai-completions", "key",  None,             "cf-aig-authorization: Bearer {key}"),
)

# Settings a provider reads besides its key; `atomic login --env NAME=VALUE` stores them in
# the entry's "env" so they need not live in the shell.
SETTINGS = {
    "cloudflare-workers-ai": ("CLOUDFLARE_ACCOUNT_ID",),
    "cloudflare-ai-gateway": ("CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_GATEWAY_ID"),
    "azure-openai-responses": ("AZURE_OPENAI_BASE_URL", "AZURE_OPENAI_RESOURCE_NAME",
                               "AZURE_OPENAI_API_VERSION", "AZURE_OPENAI_DEPLOYMENT_NAME_MAP"),
    "google-vertex": ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_APPLICATION_CREDENTIALS"),
    "amazon-bedrock": ("AWS_PROFILE", "AWS_REGION"),
}


class Provider:
    """One row of the registry."""
    __slots__ = ("id", "name", "env", "base_url", "api", "auth", "module_name", "header")

    def __init__(self, id, name, env, base_url, api, auth, module_name, header):
        self.id, self.name, self.env, self.base_url, self.api = id, name, env, base_url, api
        self.auth, self.module_name, self.header = tuple(auth.split()), module_name, header

    def module(self):
        """The provider's own module (imported now, on first use), or None for a plain row."""
        if self.module_name is None:
            return None
        import importlib
        return importlib.import_module("providers." + self.module_name)

    def __repr__(self):
        return "Provider(%r)" % self.id


PROVIDERS = {row[0]: Provider(*row) for row in _ROWS}
