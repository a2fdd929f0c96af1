"""The `atomic login` menu: the subscriptions, then every provider that takes a key (custom ones
of models.json too), laid out in columns so the whole menu fits the terminal; answered with a
number, an id or an alias, and asked again after a wrong answer."""
import os

from .. import all_providers, builtins, extension_providers, find, in_menu_order
from .._core.errors import AtomicError, UsageError
from .._core.prompts import ask

PROMPT = "Sign in to which (number, id or alias)? "
FALLBACK_SIZE = (80, 24)
MIN_CELL = 26     # the narrowest column worth having
SPARE_LINES = 7   # two headings, the prompt, a line for a wrong answer's message, and the subscriptions' 3


def choose(ctx):
    """(provider, "oauth" / "key"), or (provider, None) when it was named and its way of signing
    in is still to be chosen (Anthropic: subscription or key)."""
    keyed = [(p, "key", p.name) for p in sorted(_key_providers(ctx), key=lambda p: p.name.lower())]
    subscriptions = [(p, "oauth", p.subscription) for p in in_menu_order(builtins() + extension_providers(ctx))[0]]
    numbered = subscriptions + keyed
    width, height = terminal_size(ctx)
    ctx.stderr.write("".join(line + "\n" for line in menu_lines(subscriptions, keyed, width, height)))
    hint = "give a number from 1 to %d, a provider id or an alias" % len(numbered)
    while True:
        answer = ask(ctx, PROMPT)
        if not answer:
            continue
        if answer.isdigit():
            if 1 <= int(answer) <= len(numbered):
                provider, method, _label = numbered[int(answer) - 1]
                return provider, method
            ctx.say("%s is not on the menu; %s." % (answer, hint))
            continue
        try:
            return find(answer, ctx, hint=hint), None
        except UsageError as exc:
            ctx.say(exc.message + ".")


def _key_providers(ctx):
    try:
        providers = all_providers(ctx)
    except AtomicError as exc:  # a broken models.json: the built-in providers still work
        ctx.warn("%s; the menu shows the built-in providers and extensions only" % exc.message)
        providers = builtins() + extension_providers(ctx)
    return [p for p in providers if "key" in p.auth]


def menu_lines(subscriptions, keyed, width, height):
    """The menu's lines: the subscriptions one a line, the rest in as many columns as it takes
    to fit `height` lines (with the prompt), each cell `N) name  id`, names shortened to fit."""
    digits = len(str(len(subscriptions) + len(keyed)))
    lines = ["Subscriptions:"]
    label_width = max(len(label) for _p, _m, label in subscriptions)
    for n, (provider, _method, label) in enumerate(subscriptions, 1):
        lines.append(_cell(n, digits, label, provider.id, width - 1, pad=label_width, label=True))
    lines.append("API keys:")
    free = max(1, height - SPARE_LINES)
    most = max(1, width // MIN_CELL)
    columns = next((c for c in range(1, most + 1) if -(-len(keyed) // c) <= free), most)
    rows = -(-len(keyed) // columns)
    cell_width = width // columns
    grid = [[] for _ in range(rows)]
    for i, (provider, _method, name) in enumerate(keyed):  # down the columns, as ls does
        grid[i % rows].append(_cell(len(subscriptions) + 1 + i, digits, name, provider.id, cell_width - 1).ljust(cell_width))
    lines.extend(("".join(row)).rstrip() for row in grid)
    return lines


ID_MIN = 10  # what a shortened id keeps at least: its first and last parts tell look-alikes apart


def _cell(n, digits, name, pid, width, pad=0, label=False):
    """`  N) name  id` in at most width characters (name padded to `pad`). What does not fit is
    cut out of the middle, keeping each one's first word and as many of its last as fit (the name
    first: "Xiaomi…(Amsterdam)  xiaomi…ams"), so look-alikes stay apart; a number answers too.
    label: a subscription's label, whose start says what it is: its end gives way, the id stays."""
    head = "  %*d) " % (digits, n)
    room = width - len(head) - 2
    if len(name) + len(pid) > room and label:
        name = name[:room - len(pid) - 1].rstrip() + "…" if room - len(pid) > 3 else ""
    elif len(name) + len(pid) > room:
        name = shorten(name, max(room - min(len(pid), ID_MIN), 1))
        pid = shorten(pid, max(room - len(name), 1), sep="-")
    return head + name.ljust(min(pad, room - len(pid))) + "  " + pid if name else head + pid


def shorten(text, limit, sep=" "):
    """text in at most `limit` characters: its first word, "…" and its last words, or failing
    that, its first and last characters."""
    if len(text) <= limit:
        return text
    words = text.split(sep)
    for k in range(1, len(words)):
        cut = words[0] + "…" + sep.join(words[k:])
        if k > 1 and len(cut) <= limit:
            return cut
    if limit < 3:
        return text[:limit]
    tail = (limit - 1) // 2
    return text[:limit - 1 - tail] + "…" + text[len(text) - tail:]


def terminal_size(ctx):
    """(columns, lines) of the terminal the menu is shown on, else 80x24."""
    for stream in (ctx.stderr, ctx.stdin):
        try:
            size = os.get_terminal_size(stream.fileno())
        except (AttributeError, ValueError, OSError):
            continue
        if size.columns > 0 and size.lines > 0:
            return size.columns, size.lines
    return FALLBACK_SIZE
