"""How `atomic models` shows models to people: a table that fits the terminal, or one model in full."""

# IMG: accepts images as well as text; THINK: a reasoning model; prices in USD per million tokens.
HEADERS = ("MODEL", "CONTEXT", "MAX OUT", "IMG", "THINK", "$IN/M", "$OUT/M")
RIGHT = (False, True, True, False, False, True, True)
DROP_ORDER = ("IMG", "THINK", "MAX OUT")  # given up, in this order, when the terminal is narrow
MIN_MODEL_WIDTH = 24
GAP = "  "


def table_lines(models, width=None):
    """Rows of the table; with a width, columns are dropped or shortened to fit it."""
    from operator import itemgetter

    rows = [HEADERS] + _all_cells(models)
    longest = [max(map(len, column)) for column in zip(*rows)]
    columns = list(range(len(HEADERS)))
    if width:
        columns = _fit_columns(longest, columns, width)
    widths = [longest[c] for c in columns]
    if width:
        rest = sum(widths[1:]) + len(GAP) * (len(columns) - 1)
        widths[0] = max(min(widths[0], width - rest), MIN_MODEL_WIDTH)
    line = GAP.join("%%%s%ds" % ("" if RIGHT[c] else "-", w) for c, w in zip(columns, widths))
    others, name_width = itemgetter(*columns[1:]), widths[0]
    return [(line % ((_shorten(row[0], name_width),) + others(row))).rstrip() for row in rows]


def _fit_columns(longest, columns, width):
    def needed(cols):
        return MIN_MODEL_WIDTH + sum(longest[c] for c in cols[1:]) + len(GAP) * (len(cols) - 1)
    for name in DROP_ORDER:
        if needed(columns) <= width:
            break
        columns.remove(HEADERS.index(name))
    return columns


def _all_cells(models):
    """The cells of every row; counts and prices repeat a lot, so each is worked out once."""
    counts, prices = {}, {}

    def count(n):
        key = (n.__class__, n)  # True and 1 are the same dict key, not the same cell
        if key not in counts:
            counts[key] = short_count(n)
        return counts[key]

    def price(value):
        key = (value.__class__, value)
        if key not in prices:
            prices[key] = short_price(value)
        return prices[key]

    rows = []
    for model in models:
        cost = model.get("cost") or {}
        rows.append(("%s/%s" % (model["provider"], model["id"]),
                     count(model.get("contextWindow")),
                     count(model.get("maxTokens")),
                     "yes" if "image" in model.get("input", ()) else "no",
                     "yes" if model.get("reasoning") else "no",
                     price(cost.get("input")),
                     price(cost.get("output"))))
    return rows


def _shorten(text, width):
    """Cut the middle out of a long model name: the provider and the version both matter."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def short_count(n):
    """200000 -> 200K, 131072 -> 128K, 1048576 -> 1M, 400 -> 400."""
    if not isinstance(n, int) or isinstance(n, bool):
        return "?"
    # 131072 is "128K" and 65535 is "64K", but 128000 is "128K" too.
    binary = n % 1000 != 0 and (n % 1024 == 0 or (n + 1) % 1024 == 0)
    unit = 1024 if binary else 1000
    for suffix, scale in (("M", unit * unit), ("K", unit)):
        if n >= scale:
            value = n / float(scale)
            text = ("%.0f" % value) if value >= 100 or value == int(value) else ("%.1f" % value).rstrip("0").rstrip(".")
            return text + suffix
    return str(n)


def short_price(value):
    """USD per million tokens, without trailing zeros: 15, 2.5, 0.075."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return "?"  # OpenRouter's auto router says -1: the price of whichever model it picks
    if value >= 100:
        return "%.0f" % value
    return ("%.4f" % value).rstrip("0").rstrip(".") or "0"


def detail_lines(model):
    """One model, every field, for `atomic models PROVIDER/MODEL`."""
    import json

    cost = model.get("cost") or {}
    lines = ["%s/%s" % (model["provider"], model["id"])]
    fields = [
        ("name", model.get("name")),
        ("api", model.get("api")),
        ("base URL", model.get("baseUrl") or "(set by the provider's settings)"),
        ("context window", "%s (%s tokens)" % (short_count(model.get("contextWindow")), model.get("contextWindow"))),
        ("max output", "%s (%s tokens)" % (short_count(model.get("maxTokens")), model.get("maxTokens"))),
        ("input", ", ".join(model.get("input", ()))),
        ("reasoning", "yes" if model.get("reasoning") else "no"),
        ("USD per Mtok", "input %s, output %s, cache read %s, cache write %s" % tuple(
            short_price(cost.get(k)) for k in ("input", "output", "cacheRead", "cacheWrite"))),
    ]
    for name, value in sorted(model.get("headers", {}).items()):
        fields.append(("header", "%s: %s" % (name, value)))
    for key in ("compat", "thinkingLevelMap", "samplingParams"):
        if model.get(key):
            fields.append((key, json.dumps(model[key], sort_keys=True)))
    label = max(len(name) for name, _value in fields)
    lines.extend("  %s  %s" % (name.ljust(label), value) for name, value in fields)
    return lines


def output_width(ctx, stream):
    """The width to fit on a terminal (its own, or $COLUMNS); None (no limit) when stdout is a
    file or a pipe, so what a script reads always has whole ids."""
    if not stream.isatty():
        return None
    import shutil  # only here: with re, it costs more than the rest of `atomic models`

    return shutil.get_terminal_size().columns
