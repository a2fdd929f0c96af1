"""`atomic ask`: one question, the answer streamed to stdout, a summary on stderr."""
import sys

from .._core.errors import UsageError

MAX_PROMPT_BYTES = 8 << 20


def ask(args, ctx):
    from .._core import fast
    from .._models.choose import choose
    from .._wire import Answer, Turn
    from .render import Printer, is_fast, record, summary
    from .talk import StreamCut, new_session_id, send

    prompt = read_prompt(args.prompt, ctx)
    provider, model = choose(ctx, args.model)
    asked_fast = fast.applies(ctx, model, "workflow" if args.workflow else "chat")
    turn = Turn(args.system, [{"role": "user", "content": prompt}], fast=asked_fast, session_id=new_session_id())
    printer = None if args.json else Printer(sys.stdout, show_thinking=args.show_thinking)
    answer = Answer(on_text=printer.text if printer else None, on_reasoning=printer.reasoning if printer else None)
    try:
        send(ctx, provider, model, turn, answer)
    except StreamCut as exc:
        if not printer:  # what arrived, for a script, with the reason it stopped
            _print_json(record(provider, model, answer, asked_fast, error=exc.message))
        raise
    finally:
        if printer:
            printer.finish()
    shown_fast = is_fast(answer, asked_fast, model.get("api"))
    if args.json:
        _print_json(record(provider, model, answer, shown_fast))
    ctx.say(summary(provider, model, answer, shown_fast))
    return 0


def read_prompt(words, ctx):
    """The prompt from the command line, or stdin for `-` (or none, when stdin is not a terminal)."""
    from .prompts import interactive

    if words and words != ["-"]:
        text = " ".join(words)
    elif words == ["-"] or not interactive(ctx):
        stream = getattr(ctx.stdin, "buffer", None)
        if ctx.stdin is None:
            raise UsageError("stdin is closed; give the prompt as an argument: atomic ask \"...\"")
        raw = stream.read(MAX_PROMPT_BYTES + 1) if stream is not None else ctx.stdin.read().encode("utf-8")
        if len(raw) > MAX_PROMPT_BYTES:
            raise UsageError("the prompt on stdin is over %d MiB; send less" % (MAX_PROMPT_BYTES >> 20))
        text = raw.decode("utf-8", "replace")
    else:
        raise UsageError("give a prompt: atomic ask \"your question\", or pipe one in (atomic ask - < file); "
                         "`atomic` alone starts a conversation")
    if not text.strip():
        raise UsageError("the prompt is empty; give a question as an argument or on stdin")
    return text


def _print_json(doc):
    import json

    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
