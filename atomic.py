#!/usr/bin/env python3
"""atomic: sign in to every large-language-model provider, and stay signed in.

The entry script: the fast paths (a plain `atomic key` or `atomic models` line without argparse,
`atomic --help` without argparse), dispatch, and the one place errors become `atomic: ...` and an
exit code. The command table is providers/_cli/parser.py (each command's parser) and
providers/_cli/commands.py (its body).

Start-up matters (`atomic key` runs in scripts and prompts), so this module imports only sys and
os at the top, and holds little code: Python's cost of loading a module grows with its size.
"""
import os
import sys


def _keep_the_start_folder_off_the_path():
    """`python -m atomic` puts the folder it is started in first on sys.path, so a json.py there
    would run in place of the standard library's. Take that entry off before anything else is
    imported, keeping the folder atomic itself is in (`python3 -m atomic` run beside atomic.py)."""
    if __name__ != "__main__" or not sys.path:
        return  # imported by a program of its own, whose sys.path is its business
    try:
        start = os.getcwd()
    except OSError:  # the start folder is gone: nothing can be imported from it
        return
    first = os.path.abspath(sys.path[0] or os.curdir)
    if first == start and first != os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]


_keep_the_start_folder_off_the_path()


def build_parser(argv=None, every_command=False):
    """The argparse parser (providers/_cli/parser.py)."""
    from providers._cli.parser import build_parser
    return build_parser(argv, every_command)


# The Python API for scripts (providers/_client/python_api.py): `import atomic; atomic.ask(...)`.
PUBLIC = ("ask", "stream", "key", "headers", "credential", "AtomicError", "Login", "Reply")


def __getattr__(name):
    if name.startswith("_"):
        raise AttributeError(name)
    if name in PUBLIC:
        from providers._client import python_api as client
        return getattr(client, name)
    # atomic.SUMMARY, atomic.COMMANDS, ...: the command table's names, as before it moved.
    from providers._cli import parser
    return getattr(parser, name)


# Command lines that scripts and prompts run, often many times a minute, are parsed here without
# argparse (which, with re and gettext, is most of their start-up time) when they are in a plain
# form: known flags, options written `--name VALUE`, at most one positional word. Anything else
# (help, abbreviations, `--`, `--name=value`, a second word) goes to argparse.
# tests/test_imports.py checks that both parse every such line the same way.
PLAIN = {
    # command: (positional, required, {flag: destination}, {option with a value: destination}, other defaults)
    "key": ("provider", True, {"--header": "header", "--explain": "explain", "--json": "json"}, {"--profile": "profile"},
            {"min_valid": None, "api_key": None, "api_key_file": None}),  # --min-valid: argparse's
    "models": ("target", False, {"--all": "all", "--json": "json", "--reasoning": "reasoning", "--images": "images"},
               {"--search": "search"}, {}),
}


class _Arguments:
    def __init__(self, **values):
        self.__dict__.update(values)


def parse_plain(argv):
    """The arguments of a plain command line (see PLAIN), or None to let argparse decide."""
    if not argv or argv[0] not in PLAIN:
        return None
    positional, required, flags, options, defaults = PLAIN[argv[0]]
    values = dict(defaults, command=argv[0])
    values[positional] = None
    values.update((dest, False) for dest in flags.values())
    values.update((dest, None) for dest in options.values())
    words = iter(argv[1:])
    for word in words:
        if word in flags:
            values[flags[word]] = True
        elif word in options:
            value = next(words, None)
            if value is None or value.startswith("-"):
                return None
            values[options[word]] = value
        elif word.startswith("-") or values[positional] is not None:
            return None
        else:
            values[positional] = word
    if required and values[positional] is None:
        return None
    return _Arguments(**values)


def _parse(argv):
    """argparse's reading of a command line (providers/_cli/parser.py), with atomic's errors."""
    from providers._cli.parser import parse_args
    return parse_args(argv)


def top_level_help(argv):
    """`atomic --help` laid out without argparse (providers/_cli/helptext.py), or None."""
    if argv not in (["--help"], ["-h"]):
        return None
    from providers._cli import parser
    from providers._cli.helptext import top_help
    return top_help("atomic", parser.DESCRIPTION, [(name, parser.SUMMARY[name]) for name in parser.COMMANDS],
                    parser.EPILOG, parser.help_width())


# The plain `atomic key`, kept here: a script's most frequent call ---------------------

def cmd_key(args, ctx):
    from providers import find
    from providers._auth.chain import resolve

    provider = find(args.provider, ctx)
    _take_cli_key(args, ctx)
    # With --min-valid the refresh is lifetime.lasting's, so that any failure to get a token that
    # lasts is its exit 12, expired or not.
    found = resolve(provider, ctx, refresh=args.min_valid is None)
    if found.value is None:
        from providers._cli.output import refuse_no_value
        refuse_no_value(provider, found)
    if args.min_valid is not None:
        from providers._auth.lifetime import lasting
        found = lasting(provider, found, args.min_valid, ctx)
    if args.explain:
        from providers._auth.chain import shadowed

        if provider.id != args.provider:
            ctx.say("  provider %s (%s)" % (provider.id, provider.name))
        for note in found.trail:
            ctx.say("  skipped  " + note)
        from providers._cli.output import lasting
        ctx.say("  using    %s%s" % (found.source, lasting(found, ctx)))
        for loser in shadowed(provider, ctx, found):
            ctx.say("  shadowed %s: also has a credential, not used (%s comes first)" % (loser, found.source))
        for note in _project_addresses(provider, ctx):
            ctx.say("  address  " + note)
    if args.json or args.header:
        from providers._client.authorize import base_url, credential_headers

        lines = ["%s: %s" % pair for pair in credential_headers(provider, found, ctx)]
        if args.json:
            doc = {"provider": provider.id, "source": found.source, "key": found.value,
                   "headers": lines, "baseUrl": base_url(provider, ctx, found)}
            if found.expires_at is not None:
                doc["expires"] = found.expires_at
            if found.profile is not None:
                doc["profile"] = found.profile
            identity = found.identity
            if identity:
                doc["identity"] = identity
            from providers._cli.output import print_json
            print_json(doc)
        else:
            sys.stdout.write("".join(line + "\n" for line in lines))
    else:
        sys.stdout.write(found.value + "\n")
    return 0


def _project_addresses(provider, ctx):
    """`openai → https://… (from ./.atomic/models.json)` where a trusted project re-points a
    provider that is not its own (a built-in or an extension's)."""
    from providers._config.models_files import address_notes
    from providers._core.errors import AtomicError

    if provider.custom:
        return []
    try:
        return address_notes(ctx, [provider.id])
    except AtomicError:  # a broken models file: the credential above did not need it
        return []


def _take_cli_key(args, ctx):
    """Turn --api-key / --api-key-file into ctx.cli_key, warning when the key sat on argv."""
    if args.api_key == "" or args.api_key_file == "":
        # `--api-key "$KEY"` with KEY unset: an error, not a silent fall-through to another key.
        from providers._core.errors import UsageError
        raise UsageError("--api-key%s is empty; pass the key, `--api-key -` to read it from stdin, "
                         "or leave the option out" % ("-file" if args.api_key_file == "" else ""))
    if args.api_key_file is not None:
        from providers._core.prompts import read_key_file
        ctx.cli_key = (read_key_file(args.api_key_file), "--api-key-file")
    elif args.api_key == "-":
        from providers._core.prompts import read_secret
        key = read_secret(ctx, "API key: ", pipe="atomic %s --api-key -" % args.command)
        ctx.cli_key = (key, "--api-key (stdin)")
    elif args.api_key is not None:
        ctx.warn("--api-key puts the key where other users can see it (ps); prefer `--api-key -` or --api-key-file")
        ctx.cli_key = (args.api_key, "--api-key")


# The one place errors become messages ------------------------------------------------------

def main(argv=None):
    """Run atomic; return the exit code."""
    if sys.version_info < (3, 8):  # the one-file build runs on whatever `python3` a server has
        print("atomic: needs Python 3.8 or newer; this is Python %d.%d (%s): run it with a newer python3"
              % (sys.version_info[0], sys.version_info[1], sys.executable), file=sys.stderr)
        return 2
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # providers/ beside this file
    try:
        from providers._core.context import Context
        from providers._core.errors import AtomicError, Exit
    except ImportError as exc:  # a copy of atomic.py without its providers/ folder
        print("atomic: cannot import providers/ (%s); keep atomic.py and providers/ together" % exc,
              file=sys.stderr)
        return 1
    sys.stdout = _Stdout(sys.stdout)
    if sys.stderr is not None:
        sys.stderr = _Stderr(sys.stderr)
    try:
        words = sys.argv[1:] if argv is None else list(argv)
        if not words:
            return _no_command()
        if words[0] in ("help", "version"):  # `atomic help [COMMAND]`, `atomic version`: what people type
            words = words[1:2] + ["--help"] if words[0] == "help" else ["--version"]
        shown = top_level_help(words)
        if shown is not None:
            sys.stdout.write(shown)
            sys.stdout.flush()
            return 0
        try:
            args = parse_plain(words) or _parse(words)
        except SystemExit as done:  # --help / --version printed: flush here, so a closed pipe is caught below
            sys.stdout.flush()
            return done.code or 0
        ctx = Context()
        ctx.profile = getattr(args, "profile", None)  # --profile: this process's choice, stored nowhere
        if args.command == "key":
            code = cmd_key(args, ctx)
        else:
            from providers._cli import commands
            code = commands.run(args, ctx)
        sys.stdout.flush()
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
        if (os.environ.get("ATOMIC_DEBUG") or os.environ.get("PI_DEBUG", "")).strip():  # PI_ names are aliases
            _print_masked_traceback()
        return _fail("internal error (a bug): %s: %s; run again with ATOMIC_DEBUG=1 and report it"
                     % (type(exc).__name__, exc), Exit.BUG)
    finally:
        sys.stdout = sys.stdout._stream if isinstance(sys.stdout, _Stdout) else sys.stdout
        if isinstance(sys.stderr, _Stderr):
            sys.stderr.flush()
            sys.stderr = sys.stderr._stream


def _no_command():
    """`atomic` alone: a conversation on a terminal; the short help (exit 2) for a script."""
    if sys.stdin is not None and sys.stdin.isatty() and sys.stdout.isatty():  # None: started with <&-
        from providers._core.context import Context
        from providers._cli.commands import cmd_chat
        return cmd_chat(_Arguments(model=None, system=None, max_tokens=None), Context())
    from providers._cli.parser import DESCRIPTION
    sys.stderr.write("usage: atomic COMMAND ...\n\n" + DESCRIPTION + "\n")
    return _fail("name a command (`atomic --help` lists them all), or run `atomic` on a terminal to talk "
                 "to a model", 2)


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
        # Called for every piece of a streamed answer: nothing is imported unless it fails.
        if self._stream is None:  # descriptor 1 was closed when atomic started
            from providers._core.errors import AtomicError
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
            from providers._core.errors import AtomicError
            raise AtomicError("cannot write to stdout (%s); the output is lost" % (exc.strerror or exc))

    def __getattr__(self, name):
        return getattr(self._stream, name)


class _Stderr(_Stdout):
    """sys.stderr while a command runs: messages for people that cannot be written (stderr on a
    full device, a reader gone) are dropped, and the command's outcome and exit code stand. Python
    would otherwise exit 120 when it fails to flush stderr at the end."""

    def _call(self, name, *args):
        try:
            return getattr(self._stream, name)(*args)
        except (OSError, ValueError):
            try:  # what is still buffered would fail again at exit: send it nowhere
                os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())
            except (OSError, ValueError):
                pass
            return None


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
