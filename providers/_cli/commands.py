"""The commands' bodies (cmd_NAME), dispatched by run(); their parsers are in parser.py. atomic.py,
the entry script, dispatches here for every command but the plain `atomic key`, whose body it
keeps so that a script's most frequent call loads none of this.
"""
import sys

from .output import print_json, write_lines


def run(args, ctx):
    """Run the command args.command names; its exit code."""
    return globals()["cmd_" + args.command](args, ctx)


def cmd_login(args, ctx):
    from providers._cli.login import login
    return login(args, ctx)


def cmd_logout(args, ctx):
    from providers._cli.login import logout
    return logout(args, ctx)


def cmd_status(args, ctx):
    if args.check:
        from providers._cli.check import check
        return check(args.providers, ctx, json_output=args.json, refresh=not args.no_refresh)
    from providers._cli.status import collect_status, render_status
    if args.providers:  # (--no-refresh is what plain status does anyway: it refreshes and writes nothing)
        from providers._core.errors import UsageError
        raise UsageError("PROVIDER names go with --check: atomic status --check %s" % " ".join(args.providers))
    report = collect_status(ctx)
    if args.json:
        print_json(report)
    else:
        render_status(report, ctx)
    found = len(report["problems"]) + sum(1 for row in report["providers"] if row.get("problem"))
    if found:  # the report is the answer, printed whatever it holds; the exit status says it has problems
        from providers._core.errors import Exit
        ctx.say("atomic: status found %d problem%s%s" % (found, "" if found == 1 else "s",
                                                          " (in the report)" if args.json else " (above)"))
        return Exit.CHECK_FAILED
    return 0


def cmd_models(args, ctx):
    from providers._models.catalog import public_records, select_models
    from providers._models.table import detail_lines, output_width, table_lines
    models, empty = select_models(ctx, args.target, args.all, args.search, args.reasoning, args.images)
    if args.json:
        print_json(public_records(models))
    elif not models:
        ctx.say("No models: " + empty)
    elif args.target and args.target.partition("/")[2]:  # PROVIDER/MODEL; "openai/" is the provider
        write_lines(detail_lines(public_records(models)[0]))
    else:
        write_lines(table_lines(models, output_width(ctx, sys.stdout)))
    if models and not args.json:  # said only where it is news: a provider several files define
        from providers._models.catalog import custom_origins
        for pid, files in custom_origins(models, ctx):
            if len(files) > 1:
                ctx.say("%s is defined in %s" % (pid, " over ".join(files)))
    return 0


def cmd_providers(args, ctx):
    from providers._cli.provider_list import collect_providers, provider_lines
    from providers._models.table import output_width
    rows = collect_providers(ctx)
    if args.json:
        print_json(rows)
        return 0
    lines, dropped = provider_lines(rows, output_width(ctx, sys.stdout))
    write_lines(lines)
    if dropped:
        ctx.say("(%s left out to fit; `| cat` or --json shows all)" % ", ".join(dropped))
    return 0


def cmd_exec(args, ctx):
    from providers._cli.exec import exec_with_credentials
    return exec_with_credentials(args.words, ctx)


def cmd_trust(args, ctx):
    from providers._cli.trust import trust
    return trust(args, ctx)


def cmd_untrust(args, ctx):
    from providers._cli.trust import untrust
    return untrust(args, ctx)


def cmd_completion(args, ctx):
    from providers._cli import completion, parser
    if args.complete:
        return completion.complete(parser.build_parser(every_command=True), args.complete, ctx)
    if args.list:
        sys.stdout.write("".join(word + "\n" for word in completion.list_words(args.list, ctx)))
        return 0
    if not args.shell:
        from providers._core.errors import UsageError
        raise UsageError("name the shell: atomic completion bash (or zsh, fish)")
    sys.stdout.write(completion.script(args.shell))
    return 0


def cmd_ask(args, ctx):
    from providers._cli.ask import ask
    return ask(args, ctx)


def cmd_chat(args, ctx):
    from providers._cli.chat import chat
    return chat(args, ctx)


def cmd_fast(args, ctx):
    from providers._cli.chat import fast_command
    return fast_command(args, ctx)


def cmd_serve(args, ctx):
    from providers._cli.serve import serve
    return serve(args, ctx)
