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
        lines.append(_cell(n, digits, label, provider.id, width - 1, pad=label_width))
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


def _cell(n, digits, name, pid, width, pad=0):
    """`  N) name  id` in at most width characters (name padded to `pad`): the name gives way,
    never the id."""
    head = "  %*d) " % (digits, n)
    room = width - len(head) - 2 - len(pid)
    if len(name) > room:
        name = name[:room - 1].rstrip() + "…" if room > 3 else ""
    if not name:
        return head + pid
    return head + name.ljust(min(pad, room)) + "  " + pid


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
