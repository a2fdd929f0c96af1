#!/usr/bin/env python3
"""atomic: sign in to every large-language-model provider, and stay signed in.

Start-up matters (`atomic key` runs in scripts and prompts), so this module imports only sys and
os at the top; everything else is imported by the command that needs it.
"""
import os
import sys


DESCRIPTION = """\
Sign in to LLM providers and keep the credentials fresh.

  atomic login                 pick a provider from a menu and sign in
  atomic key openai            print the working credential for a provider
  atomic status                show every provider you have a credential for
"""


# One line per command, for `atomic --help`; the full parser of a command is built only when it runs.
SUMMARY = {
    "login": "sign in to a provider (subscription or API key)",
    "logout": "remove a stored credential",
    "key": "print the working credential for a provider",
    "status": "list providers with a credential, where it comes from, and problems",
    "models": "list the models you can use (or every known model with --all)",
}


def add_key(commands):
    p = commands.add_parser(
        "key", help=SUMMARY["key"],
        description="Print the working credential for PROVIDER on stdout, and nothing else.",
        epilog=_order_epilog() + "\n\nExample: atomic key openai --header | curl -H @- https://api.openai.com/v1/models")
    p.add_argument("provider", metavar="PROVIDER", help="provider id, e.g. openai, anthropic, github-copilot")
    p.add_argument("--header", action="store_true",
                   help="print the HTTP header line(s) the provider expects, for `curl -H @-`")
    p.add_argument("--explain", action="store_true", help="say on stderr which source won and why earlier ones did not")
    p.add_argument("--json", action="store_true", help="print {provider, source, key} as JSON")
    _add_api_key_options(p)
    p.set_defaults(func=cmd_key)


def add_login(commands):
    p = commands.add_parser(
        "login", help=SUMMARY["login"],
        description="Sign in to PROVIDER and save the credential in auth.json. Without PROVIDER, "
                    "show a numbered menu. API keys are read from a hidden prompt, or from stdin "
                    "when stdin is not a terminal; never from the command line.",
        epilog="Examples:\n  atomic login                         menu\n"
               "  atomic login anthropic --oauth       Claude Pro/Max\n"
               "  printf %s \"$KEY\" | atomic login groq   key from stdin\n"
               "  atomic login cloudflare-ai-gateway --env CLOUDFLARE_ACCOUNT_ID=… --env CLOUDFLARE_GATEWAY_ID=…")
    p.add_argument("provider", metavar="PROVIDER", nargs="?", help="provider id; omit for a menu")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--oauth", action="store_true", help="sign in with the subscription (OAuth), where offered")
    how.add_argument("--key", action="store_true", help="save an API key, where the provider also offers OAuth")
    p.add_argument("--device", action="store_true", help="device-code login for headless machines (openai-codex)")
    p.add_argument("--enterprise-domain", metavar="DOMAIN", help="GitHub Enterprise Server domain (github-copilot)")
    p.add_argument("--env", metavar="NAME=VALUE", action="append", default=[],
                   help="store a provider setting with the key (e.g. CLOUDFLARE_ACCOUNT_ID); repeatable")
    p.set_defaults(func=cmd_login)


def add_logout(commands):
    p = commands.add_parser(
        "logout", help=SUMMARY["logout"],
        description="Remove PROVIDER's entry from auth.json. Environment variables and models.json "
                    "are not changed, and keep working.")
    p.add_argument("provider", metavar="PROVIDER", nargs="?", help="provider id")
    p.add_argument("--all", action="store_true", help="remove every stored credential")
    p.set_defaults(func=cmd_logout)


def add_status(commands):
    p = commands.add_parser(
        "status", help=SUMMARY["status"],
        description="List every provider that has a credential: the source that wins, the "
                    "credential masked, OAuth expiry, and any problem found.",
        epilog=_order_epilog())
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_status)


def add_models(commands):
    p = commands.add_parser(
        "models", help=SUMMARY["models"],
        description="List models: by default those of providers you have a credential for (nothing "
                    "is run or refreshed to find out), with --all every known model. Custom "
                    "providers and overrides come from models.json / models.toml.",
        epilog="Examples:\n  atomic models                      models you can use now\n"
               "  atomic models --all --search sonnet\n"
               "  atomic models anthropic            one provider\n"
               "  atomic models openai/gpt-4o        one model, every field\n"
               "  atomic models --all --json | jq '.[].id'")
    p.add_argument("target", metavar="PROVIDER", nargs="?",
                   help="a provider id, or PROVIDER/MODEL for one model")
    p.add_argument("--all", action="store_true", help="every known model, credential or not")
    p.add_argument("--json", action="store_true", help="the full model records as a JSON list")
    p.add_argument("--search", metavar="TEXT", help="only models whose provider/id or name contains TEXT")
    p.add_argument("--reasoning", action="store_true", help="only models that can reason (think)")
    p.add_argument("--images", action="store_true", help="only models that accept images")
    p.set_defaults(func=cmd_models)


def build_parser(argv=None):
    """The argparse parser; only the command named in argv (if any) gets its full definition."""
    import argparse

    def formatter(prog):
        # An explicit width spares argparse importing shutil (and with it zlib, bz2, lzma).
        return argparse.RawDescriptionHelpFormatter(prog, width=_help_width())

    class Parser(argparse.ArgumentParser):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("formatter_class", formatter)  # the subcommands' parsers too
            super().__init__(*args, **kwargs)

        def error(self, message):
            from providers._core.errors import UsageError
            raise UsageError("%s; see `%s --help`" % (message, self.prog))

    parser = Parser(prog="atomic", description=DESCRIPTION,
                    epilog="Exit codes: 0 ok, 2 usage, 3 no credential, 4 bad auth.json/models.json, "
                           "5 log in again, 6 network, 7 refused for safety, 8 !command failed, "
                           "9 lock busy, 10 login failed, 130 interrupted.\n"
                           "Files: $ATOMIC_CODING_AGENT_DIR, else ~/.atomic/agent (auth.json, models.json).")
    from providers import __version__
    parser.add_argument("--version", action="version", version="atomic " + __version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    words = [w for w in (sys.argv[1:] if argv is None else argv) if not w.startswith("-")]
    wanted = words[0] if words else None
    for add in (add_login, add_logout, add_key, add_status, add_models):
        name = add.__name__[len("add_"):]
        if name == wanted:
            add(commands)
        else:
            commands.add_parser(name, help=SUMMARY[name])
    return parser


def _help_width():
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


# `atomic key PROVIDER [--header] [--explain] [--json]` runs in scripts and prompts, often many
# times a minute. That form is parsed here without argparse (which, with re and gettext, is most
# of the start-up time); every other command line goes to argparse. tests/test_imports.py checks
# that both parse the same way.
_KEY_FLAGS = {"--header": "header", "--explain": "explain", "--json": "json"}


class _Arguments:
    def __init__(self, **values):
        self.__dict__.update(values)


def parse_plain_key(argv):
    """The arguments of a plain `atomic key` command line, or None to let argparse decide."""
    if not argv or argv[0] != "key":
        return None
    args = _Arguments(command="key", provider=None, header=False, explain=False, json=False,
                      api_key=None, api_key_file=None, func=cmd_key)
    for word in argv[1:]:
        if word in _KEY_FLAGS:
            setattr(args, _KEY_FLAGS[word], True)
        elif word.startswith("-") or args.provider is not None:
            return None  # other options, -h, --, abbreviations, a second word: argparse's job
        else:
            args.provider = word
    return args if args.provider is not None else None


def _add_api_key_options(p):
    group = p.add_mutually_exclusive_group()
    group.add_argument("--api-key", metavar="KEY",
                       help="use this key (visible to other users in the process list; prefer "
                            "--api-key - to read it from stdin, or --api-key-file)")
    group.add_argument("--api-key-file", metavar="PATH", help="read the key from a file")


def _order_epilog():
    from providers._core.chain import describe_order
    return "Where the credential comes from (first found wins):\n" + describe_order()


# Commands ---------------------------------------------------------------------------------

def cmd_key(args, ctx):
    from providers import find
    from providers._core.chain import resolve

    provider = find(args.provider, ctx)
    _take_cli_key(args, ctx)
    found = resolve(provider, ctx)
    if args.explain:
        for note in found.trail:
            ctx.say("  skipped  " + note)
        ctx.say("  using    %s" % found.source)
    if args.json or args.header:
        from providers._core.endpoint import base_url, credential_headers

        lines = ["%s: %s" % pair for pair in credential_headers(provider, found, ctx)]
        if args.json:
            _print_json({"provider": provider.id, "source": found.source, "key": found.value,
                         "headers": lines, "baseUrl": base_url(provider, ctx, found)})
        else:
            sys.stdout.write("".join(line + "\n" for line in lines))
    else:
        sys.stdout.write(found.value + "\n")
    return 0


def cmd_login(args, ctx):
    from providers._cli.login import login
    return login(args, ctx)


def cmd_logout(args, ctx):
    from providers._cli.login import logout
    return logout(args, ctx)


def cmd_status(args, ctx):
    from providers._cli.status import collect_status, render_status
    report = collect_status(ctx)
    if args.json:
        _print_json(report)
    else:
        render_status(report, ctx)
    return 0


def cmd_models(args, ctx):
    from providers._models.catalog import public_records, select_models
    from providers._models.table import detail_lines, output_width, table_lines
    models, empty = select_models(ctx, args.target, args.all, args.search, args.reasoning, args.images)
    if args.json:
        _print_json(public_records(models))
    elif not models:
        ctx.say("No models: " + empty)
    elif args.target and "/" in args.target:
        sys.stdout.write("".join(line + "\n" for line in detail_lines(public_records(models)[0])))
    else:
        sys.stdout.write("".join(line + "\n" for line in table_lines(models, output_width(ctx, sys.stdout))))
    return 0


def _take_cli_key(args, ctx):
    """Turn --api-key / --api-key-file into ctx.cli_key, warning when the key sat on argv."""
    if args.api_key == "" or args.api_key_file == "":
        # `--api-key "$KEY"` with KEY unset: an error, not a silent fall-through to another key.
        from providers._core.errors import UsageError
        raise UsageError("--api-key%s is empty; pass the key, `--api-key -` to read it from stdin, "
                         "or leave the option out" % ("-file" if args.api_key_file == "" else ""))
    if args.api_key_file is not None:
        from providers._cli.prompts import read_key_file
        ctx.cli_key = (read_key_file(args.api_key_file), "--api-key-file")
    elif args.api_key == "-":
        from providers._cli.prompts import read_secret
        ctx.cli_key = (read_secret(ctx, "API key: "), "--api-key (stdin)")
    elif args.api_key is not None:
        ctx.warn("--api-key puts the key where other users can see it (ps); prefer `--api-key -` or --api-key-file")
        ctx.cli_key = (args.api_key, "--api-key")


def _print_json(data):
    import json
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


# The one place errors become messages ------------------------------------------------------

def main(argv=None):
    """Run atomic; return the exit code."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # providers/ beside this file
    try:
        from providers._core.context import Context
        from providers._core.errors import AtomicError, Exit
    except ImportError as exc:  # a copy of atomic.py without its providers/ folder
        print("atomic: cannot import providers/ (%s); keep atomic.py and providers/ together" % exc,
              file=sys.stderr)
        return 1
    try:
        try:
            args = parse_plain_key(sys.argv[1:] if argv is None else argv) or build_parser(argv).parse_args(argv)
        except SystemExit as done:  # --help / --version printed: flush here, so a closed pipe is caught below
            sys.stdout.flush()
            return done.code or 0
        sys.stdout = _Stdout(sys.stdout)
        try:
            code = args.func(args, Context())
            sys.stdout.flush()
        finally:
            sys.stdout = sys.stdout._stream
        return code
    except AtomicError as exc:
        return _fail(exc.message, exc.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted", Exit.INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`| head`): end quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return Exit.BROKEN_PIPE
    except Exception as exc:
        if os.environ.get("ATOMIC_DEBUG"):
            _print_masked_traceback()
        return _fail("internal error (a bug): %s: %s; run again with ATOMIC_DEBUG=1 and report it"
                     % (type(exc).__name__, exc), Exit.BUG)


class _Stdout:
    """sys.stdout while a command runs: output the system refuses (stdout closed with `>&-`, a full
    device) is a one-line error, not a bug; a reader that went away is still BrokenPipeError."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        return self._call("write", text)

    def flush(self):
        return self._call("flush")

    def _call(self, name, *args):
        from providers._core.errors import AtomicError
        if self._stream is None:  # descriptor 1 was closed when atomic started
            raise AtomicError("cannot write to stdout: it is closed; run atomic with stdout open")
        try:
            return getattr(self._stream, name)(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            try:  # what is still buffered would fail again at exit: send it nowhere
                os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())
            except (OSError, ValueError):
                pass
            raise AtomicError("cannot write to stdout (%s); the output is lost" % (exc.strerror or exc))

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _fail(message, code):
    from providers._core.mask import mask_text
    from providers._core.text import printable
    if sys.stderr is None:  # started with stderr closed: print() would fall back to stdout, which is data
        return code
    try:
        print("atomic: " + mask_text(printable(message, lines=True)), file=sys.stderr)
    except (BrokenPipeError, OSError):
        pass
    return code


def _print_masked_traceback():
    import traceback
    from providers._core.mask import mask_text
    print(mask_text(traceback.format_exc()), file=sys.stderr, end="")


if __name__ == "__main__":
    # Run through the module name so every except clause sees the same classes (style.md #8).
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import atomic
    sys.exit(atomic.main())
