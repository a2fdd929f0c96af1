"""The argparse table: every command's parser (add_NAME), in the order `atomic --help` lists them.
atomic.py builds it for every command but the plain fast paths; chat parses /login and /logout with it."""
import os
import sys

DESCRIPTION = """\
Sign in to LLM providers and keep the credentials fresh.

  atomic login                 pick a provider from a menu and sign in
  atomic key openai            print the working credential for a provider
  atomic status                show every provider you have a credential for
  atomic ask "a question"      ask a model; the answer streams to stdout
  atomic                       talk to a model (on a terminal; also `atomic chat`)
"""


def examples(*lines):
    """The end of a --help: two or three real command lines, each with what it does."""
    width = max(len(line[0]) for line in lines if isinstance(line, tuple)) + 3
    return "Examples:\n" + "\n".join("  " + (line[0].ljust(width) + line[1] if isinstance(line, tuple) else line)
                                      for line in lines)


EPILOG = ("Exit codes: 0 ok, 1 bug, 2 usage, 3 no credential, 4 bad auth.json/models.json/settings.json, "
          "5 log in again, 6 network (status --check: some could not be checked, none was refused), 7 refused "
          "for safety, 8 !command failed, 9 lock busy, 10 login failed or no answer, 11 status found a problem "
          "(with --check: a credential that does not work), 12 key --min-valid cannot be met, 126 exec cannot "
          "run the command, 127 exec found no such command, 130 interrupted, 141 stdout closed.\n"
          "Files: $ATOMIC_CODING_AGENT_DIR (or $PI_CODING_AGENT_DIR), else ~/.atomic/agent (auth.json, "
          "models.json), with pi's ~/.pi/agent read below it and, once you trust its folder (atomic trust), "
          "a project's .atomic/models.json above it.\n"
          "More: `atomic help COMMAND` (or `atomic COMMAND --help`) shows one command's options and examples; "
          "`atomic version` the version.\n\n"
          + examples(("atomic status --check", "does every credential really work?"),
                     "atomic key openai --header | curl -H @- https://api.openai.com/v1/models",
                     ("atomic exec anthropic -- ./agent.sh", "the key in its variable, not argv")))

# The commands, in the order `atomic --help` lists them; each has add_NAME (its parser) below and
# cmd_NAME (its body) in commands.py. One line each for `atomic --help`; a command's full parser
# is built only when it runs.
COMMANDS = ("login", "logout", "key", "status", "models", "providers", "ask", "chat", "fast", "exec", "trust",
            "untrust", "serve", "completion")
SUMMARY = {
    "login": "sign in to a provider (subscription or API key)",
    "logout": "remove a stored credential",
    "key": "print the working credential for a provider",
    "status": "list providers with a credential, where it comes from, and problems",
    "models": "list the models you can use (or every known model with --all)",
    "providers": "list every provider, its aliases, and the credential found now",
    "ask": "ask a model one question; the answer streams to stdout",
    "chat": "talk to a model, turn by turn (what `atomic` alone does on a terminal)",
    "fast": "show or set Codex fast mode (the priority tier) for chat and workflows",
    "exec": "run a command with your credentials in the variables its tools read",
    "trust": "review a project folder's .atomic and .pi files, and let atomic use them",
    "untrust": "stop using a project folder's files",
    "serve": "a local gateway: Codex CLI, Claude Code and the SDKs use your logins through it",
    "completion": "print a shell completion script (bash, zsh, fish)",
}


def add_key(commands):
    p = commands.add_parser(
        "key", help=SUMMARY["key"],
        description="Print the working credential for PROVIDER on stdout, and nothing else.",
        epilog=_order_epilog() + "\n\n" + _names_epilog() + "\n\n" + examples(
            ("atomic key openai", "the key alone, for $(…) in a script"),
            "atomic key openai --header | curl -H @- https://api.openai.com/v1/models",
            ("atomic key anthropic --min-valid 2h", "a token that lasts the whole job")))
    p.add_argument("provider", metavar="PROVIDER", help="provider id or alias, e.g. openai, claude, copilot")
    p.add_argument("--header", action="store_true",
                   help="print the HTTP header line(s) the provider expects, for `curl -H @-`")
    p.add_argument("--explain", action="store_true", help="say on stderr which source won and why earlier ones did not")
    p.add_argument("--json", action="store_true",
                   help="print {provider, source, key, headers, baseUrl} as JSON (with expires, profile and identity "
                        "where known)")
    p.add_argument("--min-valid", metavar="DURATION", type=_duration,
                   help="refresh an OAuth token that would expire within DURATION (90s, 30m, 2h); exit 12 "
                        "if it still would")
    _add_profile_option(p)
    _add_api_key_options(p)


def add_login(commands):
    p = commands.add_parser(
        "login", help=SUMMARY["login"],
        description="Sign in to PROVIDER and save the credential in auth.json. Without PROVIDER, "
                    "show a numbered menu. API keys are read from a hidden prompt, or from stdin "
                    "when stdin is not a terminal; never from the command line.",
        epilog=_names_epilog() + "\n\n" + examples(
            ("atomic login", "a menu of every provider"),
            ("atomic login claude --oauth", "Claude Pro/Max in the browser"),
            ("printf %s \"$KEY\" | atomic login groq", "an API key from stdin")))
    p.add_argument("provider", metavar="PROVIDER", nargs="?", help="provider id or alias; omit for a menu")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--oauth", action="store_true", help="sign in with the subscription (OAuth), where offered")
    how.add_argument("--key", action="store_true", help="save an API key, where the provider also offers OAuth")
    p.add_argument("--device", action="store_true", help="device-code login for headless machines (openai-codex)")
    p.add_argument("--enterprise-domain", metavar="DOMAIN", help="the domain of a self-hosted server: GitHub Enterprise Server for "
                        "github-copilot, or one of an extension's (self-managed GitLab for gitlab-duo)")
    p.add_argument("--env", metavar="NAME=VALUE", action="append", default=[],
                   help="store a provider setting with the key (e.g. CLOUDFLARE_ACCOUNT_ID); repeatable")
    p.add_argument("--force", action="store_true",
                   help="replace a stored login of the other kind, and store a key shaped like another "
                        "provider's, without asking")
    p.add_argument("--profile", metavar="NAME", help="store it as the named login NAME (PROVIDER:NAME in auth.json); "
                                                     "the default login stays as it is")
    how.add_argument("--with-token", action="store_true",
                     help="a non-rotating token on stdin, never refreshed: `claude setup-token`'s (anthropic), a "
                          "ChatGPT access token at-… (openai-codex), a GitHub token (github-copilot)")
    how.add_argument("--from", dest="from_tool", metavar="TOOL",
                     help="use another tool's login where it is, never a copy: codex (openai-codex), gh "
                          "(github-copilot)")


def add_logout(commands):
    p = commands.add_parser(
        "logout", help=SUMMARY["logout"],
        description="Remove PROVIDER's entry from auth.json. Environment variables and models.json "
                    "are not changed, and keep working.",
        epilog=examples(("atomic logout openai", "remove the stored OpenAI key"),
                        ("atomic logout codex --profile work --revoke", "end the work login at OpenAI too"),
                        ("atomic logout --all --yes", "remove every stored credential, no question")))
    p.add_argument("provider", metavar="PROVIDER", nargs="?", help="provider id or alias")
    p.add_argument("--profile", metavar="NAME", help="the named login NAME instead of the default one")
    p.add_argument("--revoke", action="store_true",
                   help="revoke the login at the provider first (openai-codex); without it the token stays valid "
                        "there until it expires")
    p.add_argument("--all", action="store_true", help="remove every stored credential (asks first)")
    p.add_argument("--yes", action="store_true", help="do not ask before --all (needed without a terminal)")


def add_status(commands):
    p = commands.add_parser(
        "status", help=SUMMARY["status"],
        description="List every provider that has a credential: the source that wins, the "
                    "credential masked, OAuth expiry, and any problem found; nothing is refreshed or "
                    "written (a token due for refresh is marked so). With --check, also "
                    "make one cheap authenticated request per provider (listing its models), all "
                    "at once, and mark each credential as working or not. Exit 11 when a problem is "
                    "found or a credential is refused; 6 when some could not be checked (network "
                    "or provider trouble) and none was refused.",
        epilog=_order_epilog() + "\n\n" + examples(
            ("atomic status", "what you are signed in to, and from where"),
            ("atomic status --check", "does every credential really work?"),
            ("atomic status --check openai anthropic --json", "two providers, for a script")))
    p.add_argument("providers", metavar="PROVIDER", nargs="*", help="with --check: only these providers")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--check", action="store_true",
                   help="try each credential with one request to the provider (ATOMIC_CHECK_TIMEOUT, default 10 s)")
    p.add_argument("--no-refresh", action="store_true",
                   help="with --check, use OAuth tokens as stored: refresh nothing, write nothing (plain "
                        "status never refreshes)")
    _add_profile_option(p, "only the logins named NAME (with --check: check those)")


def add_models(commands):
    p = commands.add_parser(
        "models", help=SUMMARY["models"],
        description="List models: by default those of providers you have a credential for (nothing "
                    "is run or refreshed to find out), with --all every known model. A GitHub Copilot "
                    "login keeps the list of models the account may use, and only those are shown "
                    "without --all. Custom providers and overrides come from models.json / models.toml.",
        epilog=examples(("atomic models", "models you can use now"),
                        ("atomic models --all --search sonnet", "every known model matching sonnet"),
                        ("atomic models openai/gpt-4o", "one model, every field")))
    p.add_argument("target", metavar="PROVIDER[/MODEL]", nargs="?",
                   help="a provider id or alias, or PROVIDER/MODEL for one model")
    p.add_argument("--all", action="store_true", help="every known model, credential or not")
    p.add_argument("--json", action="store_true", help="the full model records as a JSON list")
    p.add_argument("--search", metavar="TEXT", help="only models whose provider/id or name contains TEXT")
    p.add_argument("--reasoning", action="store_true", help="only models that can reason (think)")
    p.add_argument("--images", action="store_true", help="only models that accept images")


def add_providers(commands):
    p = commands.add_parser(
        "providers", help=SUMMARY["providers"],
        description="List every provider atomic knows (built-in, then custom ones of models.json): "
                    "its id, name, aliases, environment variables, how it signs in, and where its "
                    "credential comes from now (no !command is run, no token refreshed).",
        epilog=_names_epilog() + "\n\n" + examples(
            ("atomic providers", "every provider, and which you have a credential for"),
            "atomic providers --json | jq -r '.[] | select(.source) | .id'"))
    p.add_argument("--json", action="store_true", help="the same as a JSON list")


def add_exec(commands):
    import argparse

    p = commands.add_parser(
        "exec", help=SUMMARY["exec"],
        description="Run COMMAND in place of atomic (exec, not a child process), with each "
                    "PROVIDER's credential, refreshed first, in the environment variables that "
                    "provider's tools read (OPENAI_API_KEY, ANTHROPIC_API_KEY or "
                    "ANTHROPIC_OAUTH_TOKEN, COPILOT_GITHUB_TOKEN, ...; OPENAI_BASE_URL / "
                    "ANTHROPIC_BASE_URL where models.json sets an address). Without PROVIDER, "
                    "every provider that has a credential. Values never go on a command line; "
                    "COMMAND's exit status and signals are its own.",
        epilog=examples(("atomic exec openai -- python3 summarise.py", "the OpenAI SDK finds its key"),
                        ("atomic exec anthropic github-copilot -- ./agent.sh", "two providers"),
                        ("atomic exec -- make eval", "every credential you have")))
    _add_profile_option(p)
    p.add_argument("words", metavar="[PROVIDER…] -- COMMAND [ARG…]", nargs=argparse.REMAINDER,
                   help="providers, then -- and the command to run")


def add_trust(commands):
    p = commands.add_parser(
        "trust", help=SUMMARY["trust"],
        description="Show what the project files of DIR (the current folder unless named) would change: "
                    "providers added, providers re-pointed (old -> new address), headers that carry "
                    "credentials, !commands and $VARIABLEs, settings, extension files. Then, once you confirm "
                    "on a terminal (or with --yes), record the folder's real path with a hash of each of those "
                    "files in trust.json in the agent directory. Until then atomic does not use them, and a "
                    "changed, added or removed file stops them again until you trust the folder anew.",
        epilog="A folder's files may change where your credentials go and run code as you, so a folder you "
               "cloned or were given is never trusted by itself (as git, direnv and the Codex CLI do).\n\n"
               + examples(("atomic trust", "review this folder's files, then trust them"),
                          ("atomic trust --yes ~/src/app", "trust a folder you reviewed, from a script"),
                          ("atomic trust --list", "every trusted folder, and whether it changed")))
    p.add_argument("folder", metavar="DIR", nargs="?", help="the project folder (default: the current one)")
    p.add_argument("--yes", action="store_true", help="trust without asking (needed without a terminal)")
    p.add_argument("--list", action="store_true", help="list the trusted folders instead")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def add_untrust(commands):
    p = commands.add_parser(
        "untrust", help=SUMMARY["untrust"],
        description="Forget that DIR (the current folder unless named) is trusted: atomic stops using its "
                    ".atomic and .pi files. The files are not changed.",
        epilog=examples(("atomic untrust", "this folder"), ("atomic untrust ~/src/app", "another one")))
    p.add_argument("folder", metavar="DIR", nargs="?", help="the project folder (default: the current one)")


def add_serve(commands):
    from providers._serve.clients import CLIENTS, DEFAULT_PORT

    p = commands.add_parser(
        "serve", help=SUMMARY["serve"],
        description="Answer the OpenAI and Anthropic APIs on this machine (POST /v1/chat/completions, "
                    "/v1/responses, /v1/messages; GET /v1/models) with the models of every provider you "
                    "are signed in to: model ids are PROVIDER/MODEL, as in `atomic ask -m`. Listens on "
                    "127.0.0.1 and ::1 only, port %d unless --port says otherwise. Every request needs a "
                    "client token (`atomic serve token create NAME`); requests from web pages and for other "
                    "host names are refused. One line per request goes to stderr; Ctrl-C (or SIGTERM) "
                    "stops it, letting running answers finish for a few seconds." % DEFAULT_PORT,
        epilog="Billing: a Claude subscription serves Claude Code's own requests only (any other program "
               "gets an error that says so), and may draw extra usage; GitHub Copilot watches for automated use."
               "\n\n" + examples(("atomic serve token create codex", "make a client token (shown once)"),
                                  ("atomic serve env codex > ~/.codex/atomic.config.toml", "codex --profile atomic"),
                                  ("atomic serve", "start the gateway on 127.0.0.1:%d" % DEFAULT_PORT)))
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, metavar="PORT",
                   help="the TCP port (default %d; 0 for any free one)" % DEFAULT_PORT)
    p.add_argument("--socket", metavar="PATH", help="listen on a Unix socket (made 0600) instead of TCP")
    p.add_argument("--host", metavar="HOST", help="one address to listen on instead of 127.0.0.1 and ::1; one "
                   "that is not loopback also needs --expose-logins")
    p.add_argument("--expose-logins", action="store_true",
                   help="allow a --host other machines can reach: anyone there with a client token uses your "
                        "logins, over plain HTTP (warned about at every start)")
    p.add_argument("--max-concurrent", type=_positive, default=128, metavar="N",
                   help="requests answered at once; more get 503 with Retry-After (default 128)")
    p.add_argument("--log-json", action="store_true", help="each request's log line as one JSON object")
    _add_profile_option(p, "requests use the logins named NAME (`atomic login P --profile NAME`), unless a "
                           "client token names its own; before ATOMIC_PROFILE and the folder rules")
    what = p.add_subparsers(dest="serve_command", metavar="token|env")
    token = what.add_parser("token", help="make, list and revoke client tokens",
                            description="Client tokens let programs use atomic serve. A token is shown once "
                                        "when made; only its hash is kept, in serve-tokens.json in the agent "
                                        "directory. A token may be limited to providers and models, and expire.",
                            epilog=examples(("atomic serve token create claude-code --provider anthropic",
                                             "only Anthropic's models"),
                                            ("atomic serve token list", "names, scopes, expiry"),
                                            ("atomic serve token revoke claude-code", "refused from the next request")))
    tokens = token.add_subparsers(dest="token_command", metavar="create|list|revoke")
    tokens.required = True
    create = tokens.add_parser("create", help="make a token and print it (once)",
                               description="Make a client token named NAME and print it on stdout. It is "
                                           "never shown again: put it where the program reads it "
                                           "(`atomic serve env CLIENT` says where).",
                               epilog=examples(("atomic serve token create codex", "every provider and model"),
                                               ("atomic serve token create ci --model openai/gpt-4o-mini "
                                                "--expires 30d", "one model, for 30 days")))
    create.add_argument("name", metavar="NAME", help="what the token is for, e.g. codex (letters, digits, . _ -)")
    create.add_argument("--provider", metavar="PROVIDER", action="append", default=[],
                        help="only this provider's models (repeatable)")
    create.add_argument("--model", metavar="MODEL", action="append", default=[],
                        help="only this model, as PROVIDER/MODEL or MODEL (repeatable)")
    create.add_argument("--expires", metavar="DURATION", type=_duration, help="stop working after DURATION (30d, 12h)")
    create.add_argument("--profile", metavar="NAME", dest="token_profile",
                        help="its requests use the logins named NAME (`atomic login P --profile NAME`; default: "
                             "the unnamed ones), whatever the server's own choice")
    create.add_argument("--json", action="store_true", help="print {name, token, providers, models, expires, profile}")
    listing = tokens.add_parser("list", help="list the tokens (never their values)",
                                description="List client tokens: name, the first characters, scope, expiry.",
                                epilog=examples(("atomic serve token list", "a table"),
                                                ("atomic serve token list --json", "for a script")))
    listing.add_argument("--json", action="store_true", help="the same as JSON")
    revoke = tokens.add_parser("revoke", help="delete a token: refused from the next request on",
                               description="Delete the client token NAME. A running atomic serve refuses it "
                                           "from the next request on.",
                               epilog=examples(("atomic serve token revoke codex", "Codex CLI loses access"),
                                               ("atomic serve token list", "what is left")))
    revoke.add_argument("name", metavar="NAME", help="the token's name")
    env = what.add_parser("env", help="print what a client needs to use atomic serve",
                          description="Print the settings CLIENT needs: for codex a profile file "
                                      "(~/.codex/atomic.config.toml, used by `codex --profile atomic`); for claude, "
                                      "openai and anthropic the variables to export. The token itself comes from "
                                      "$ATOMIC_SERVE_TOKEN.",
                          epilog=examples(("atomic serve env codex -m openai-codex/gpt-5.2-codex > "
                                           "~/.codex/atomic.config.toml", "then codex --profile atomic"),
                                          ("eval \"$(atomic serve env claude)\"", "then claude"),
                                          ("atomic serve env openai --port 9000", "for a server on port 9000")))
    env.add_argument("client", metavar="CLIENT", choices=CLIENTS, help=", ".join(CLIENTS))
    env.add_argument("--port", type=_port, default=DEFAULT_PORT, metavar="PORT",
                     help="the port atomic serve listens on (default %d)" % DEFAULT_PORT)
    env.add_argument("-m", "--model", metavar="PROVIDER/MODEL", help="the model the client asks for by default")


def add_completion(commands):
    import argparse

    p = commands.add_parser(
        "completion", help=SUMMARY["completion"],
        description="Print a completion script for SHELL on stdout: commands, options, provider "
                    "ids and model ids (read when you press Tab, so new logins and models.json "
                    "entries show up without reloading).",
        epilog=examples(("source <(atomic completion bash)", "bash: add this line to ~/.bashrc"),
                        ("atomic completion zsh > \"${fpath[1]}/_atomic\"", "zsh, with compinit"),
                        ("atomic completion fish > ~/.config/fish/completions/atomic.fish", "fish")))
    p.add_argument("shell", metavar="SHELL", nargs="?", choices=("bash", "zsh", "fish"), help="bash, zsh or fish")
    p.add_argument("--list", choices=("providers", "models"),
                   help="print provider ids (with aliases) or PROVIDER/MODEL ids, one a line")
    # What the scripts run when you press Tab: on stdin, the words so far one a line (zsh, fish),
    # or bash's command line up to the cursor.
    p.add_argument("--complete", choices=("words", "line"), help=argparse.SUPPRESS)


def add_ask(commands):
    p = commands.add_parser(
        "ask", help=SUMMARY["ask"],
        description="Send PROMPT to a model and stream the answer to stdout as it arrives; a one-line "
                    "summary (model, tokens, cost, time to first token) goes to stderr. The prompt is "
                    "read from stdin when it is `-`, or absent and stdin is not a terminal.",
        epilog="Without -m: settings.json's defaultProvider/defaultModel, else the first provider you "
               "have a credential for (in login-menu order) and its everyday model.\n\n" + examples(
                   ("atomic ask \"What is a monad?\"", "the default model"),
                   "git diff | atomic ask -m anthropic/claude-sonnet-4-5 \"Review this change\"",
                   ("atomic ask --json -a chart.png \"What does it show?\"", "an image; one JSON object")))
    p.add_argument("prompt", metavar="PROMPT", nargs="*", help="the question (several words are joined); - for stdin")
    p.add_argument("-m", "--model", metavar="PROVIDER/MODEL",
                   help="the model: PROVIDER/MODEL (openai/gpt-4o), a provider alone (its everyday model) or a "
                        "model id alone (gpt-4o); `atomic models` lists them")
    p.add_argument("--system", metavar="TEXT", help="a system prompt")
    p.add_argument("-a", "--attach", metavar="FILE", action="append",
                   help="attach a file: an image (PNG, JPEG, GIF, WebP; for a model with image input, see "
                        "`atomic models --images`) or a text file; repeat for more")
    _add_max_tokens(p)
    p.add_argument("--workflow", action="store_true",
                   help="run as a workflow stage: Codex fast mode follows its workflow setting, not chat's")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (text, reasoning, usage, cost, stop reason) instead of streaming")
    p.add_argument("--show-thinking", action="store_true",
                   help="print the model's reasoning when stdout is not a terminal (it is shown dimmed on one)")
    _add_profile_option(p)


def add_chat(commands):
    p = commands.add_parser(
        "chat", help=SUMMARY["chat"],
        description="A conversation on this terminal: type a message, the answer streams back. "
                    "/help lists the commands (/model, /login, /fast, ...). Ctrl-C stops an answer, "
                    "Ctrl-D or /quit leaves.",
        epilog=examples(("atomic chat", "the default model (`atomic` alone does the same on a terminal)"),
                        ("atomic chat -m openai-codex/gpt-5.2-codex", "start with this model")))
    p.add_argument("-m", "--model", metavar="PROVIDER/MODEL", help="the model to start with")
    p.add_argument("--system", metavar="TEXT", help="a system prompt for the whole conversation")
    _add_profile_option(p)
    _add_max_tokens(p)


def _add_max_tokens(p):
    p.add_argument("--max-tokens", metavar="N", type=_count,
                   help="cap each answer at N tokens (default: settings.json maxTokens, else the model's own)")


def add_fast(commands):
    p = commands.add_parser(
        "fast", help=SUMMARY["fast"],
        description="Codex fast mode sends OpenAI and ChatGPT (Codex) requests on the priority service "
                    "tier: faster, and priced higher. Chat and workflow stages have separate settings "
                    "(settings.json codexFastMode.chat / .workflow, default off); "
                    "ATOMIC_CODEX_FAST_MODE=chat=1;workflow=0 overrides them for one process tree.",
        epilog=examples(("atomic fast", "show both settings"), ("atomic fast on", "chat on"),
                        ("atomic fast off --workflow", "workflow stages off")))
    p.add_argument("state", metavar="on|off", nargs="?", choices=("on", "off"), help="turn it on or off")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--chat", dest="scope", action="store_const", const="chat", help="the chat setting (the default)")
    scope.add_argument("--workflow", dest="scope", action="store_const", const="workflow",
                       help="the setting for workflow stages (atomic ask --workflow)")
    p.set_defaults(scope=None)


TOP_OPTIONS = ("-h", "--help", "--version")
WORDS = ("help", "version")  # `atomic help [COMMAND]` and `atomic version`: atomic.py reads them as the options
# What people try when they mean to hand login a key; it never takes one on the command line.
KEY_OPTIONS = ("--api-key", "--apikey", "--key", "--token")


def parse_args(argv):
    """The arguments of a command line; UsageError for an unknown command or option (with the
    closest ones) or a word too many, never repeating a word that may be a key."""
    _check_command(argv)
    parser = build_parser(argv)
    args, extras = parser.parse_known_args(argv)
    if extras:
        raise _unexpected(args, extras, parser.subcommands.choices[args.command])
    return args


def _check_command(argv):
    """The command word must be a command, and only atomic's own options may come before it."""
    from providers._core.errors import UsageError
    from providers._core.text import did_you_mean

    for word in argv:
        if word == "--":
            return
        if not word.startswith("-"):
            if word not in COMMANDS:
                raise UsageError("unknown command %r%s; `atomic --help` lists the commands"
                                 % (word, did_you_mean(word, COMMANDS + WORDS)))
            return
        name = word.split("=", 1)[0]
        if name not in TOP_OPTIONS:
            raise UsageError("unknown option %s%s; `atomic --help` lists the options and commands"
                             % (name, did_you_mean(name, TOP_OPTIONS + COMMANDS)))


def _unexpected(args, extras, command):
    """The error for what a command did not take: its unknown options (named, with the closest
    of its own), or words it has no place for (counted, not shown: they may be keys)."""
    from providers._core.errors import UsageError
    from providers._core.text import did_you_mean

    names = [word.split("=", 1)[0] for word in extras if word.startswith("-") and word != "-"]
    if args.command == "login" and (len(names) < len(extras) or any(n in KEY_OPTIONS for n in names)):
        return UsageError(login_takes_no_key(getattr(args, "provider", None)))
    if names:
        own = [option for action in command._actions for option in action.option_strings if option not in TOP_OPTIONS]
        return UsageError("unknown option %s for `atomic %s`%s; `atomic %s --help` lists its options"
                          % (names[0], args.command, did_you_mean(names[0], own), args.command))
    return UsageError("%d word%s too many for `atomic %s` (not repeated here, in case one is a key); `atomic %s "
                      "--help` shows what it takes" % (len(extras), "" if len(extras) == 1 else "s", args.command,
                                                       args.command))


def login_takes_no_key(name=None):
    """Why `atomic login` refused a key on its command line, and the way to give it instead."""
    from providers import aliased, builtin

    known = name and (builtin(name) or aliased(name))
    pid = known.id if known else "PROVIDER"
    return ("atomic login never takes a key on the command line, where other users can read it (ps) and the shell "
            "keeps it in its history; pipe it in: printf %%s \"$KEY\" | atomic login %s (or run `atomic login %s` "
            "on a terminal and paste it at the hidden prompt)" % (pid, pid))


def build_parser(argv=None, every_command=False):
    """The argparse parser; only the command named in argv (if any) gets its full definition,
    or every command with every_command=True (for completion)."""
    import argparse

    def formatter(prog):
        # An explicit width spares argparse importing shutil (and with it zlib, bz2, lzma).
        return argparse.RawDescriptionHelpFormatter(prog, width=help_width())

    class Parser(argparse.ArgumentParser):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("formatter_class", formatter)  # the subcommands' parsers too
            super().__init__(*args, **kwargs)

        def error(self, message):
            from providers._core.errors import UsageError
            raise UsageError("%s; see `%s --help`" % (message, self.prog))

    parser = Parser(prog="atomic", description=DESCRIPTION, epilog=EPILOG)
    from providers import __version__
    parser.add_argument("--version", action="version", version="atomic " + __version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    parser.subcommands = commands
    words = [w for w in (sys.argv[1:] if argv is None else argv) if not w.startswith("-")]
    wanted = words[0] if words else None
    for name in COMMANDS:
        if name == wanted or every_command:
            globals()["add_" + name](commands)
        else:
            commands.add_parser(name, help=SUMMARY[name])
    return parser


def help_width():
    """What argparse would use: $COLUMNS, else the terminal's width, else 80; less 2."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


def _add_profile_option(p, text="use the login named NAME (`atomic login P --profile NAME`); before ATOMIC_PROFILE "
                                "and the folder rules of settings.json"):
    p.add_argument("--profile", metavar="NAME", help=text)


def _add_api_key_options(p):
    group = p.add_mutually_exclusive_group()
    group.add_argument("--api-key", metavar="KEY",
                       help="use this key (visible to other users in the process list; prefer "
                            "--api-key - to read it from stdin, or --api-key-file)")
    group.add_argument("--api-key-file", metavar="PATH", help="read the key from a file")


def _names_epilog():
    import textwrap
    from providers import alias_summary
    return textwrap.fill("Aliases, accepted wherever a provider id is: " + alias_summary() + ".", help_width(),
                         break_on_hyphens=False)


def _duration(text):
    """--min-valid's value in seconds (argparse type)."""
    import argparse
    from providers._core.text import parse_duration
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def _port(text):
    import argparse

    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError("%r is not a port; give a number from 0 to 65535" % text)
    return int(text)


def _positive(text):
    import argparse

    if not text.isdigit() or not 0 < int(text) <= 100000:
        raise argparse.ArgumentTypeError("%r: give a whole number from 1 to 100000" % text)
    return int(text)


def _count(text):
    """--max-tokens's value: a whole number above 0 (argparse type)."""
    import argparse
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("expected a whole number of tokens above 0, e.g. 1024; found %r" % text[:20])
    return int(text)


def _order_epilog():
    from providers._auth.chain import describe_order
    return "Where the credential comes from (first found wins):\n" + describe_order()
