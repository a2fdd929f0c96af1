"""What remains of a subscription's usage windows, as a provider reports it in response headers.

The ChatGPT backend (Codex): `x-codex-primary-used-percent` (0-100), `x-codex-primary-window-minutes`,
`x-codex-primary-reset-at` (epoch seconds), and the same for `secondary` (the Codex CLI's reading,
openai/codex codex-rs/codex-api/src/rate_limits.rs). Anthropic, for subscription tokens:
`anthropic-ratelimit-unified-<window>-utilization` (a fraction, 0-1), `-<window>-reset` (epoch
seconds) and `-<window>-status`, for the windows `5h` and `7d` and any others it adds.
"""
CODEX = "x-codex-"
ANTHROPIC = "anthropic-ratelimit-unified-"
_NOT_WINDOWS = ("overage", "fallback", "representative", "reset", "status")


def windows(headers):
    """[{"name", "usedPercent", "remainingPercent", "resetsAt" (epoch s or None), "windowMinutes"
    (or None)}] from a response's headers (lower-case names); [] when it names none."""
    found = []
    for which in ("primary", "secondary"):
        used = _number(headers.get("%s%s-used-percent" % (CODEX, which)))
        if used is not None:
            found.append(_window(which, used, headers.get("%s%s-reset-at" % (CODEX, which)),
                                 headers.get("%s%s-window-minutes" % (CODEX, which))))
    for name in sorted(headers):
        if name.startswith(ANTHROPIC) and name.endswith("-utilization"):
            window = name[len(ANTHROPIC):-len("-utilization")]
            fraction = _number(headers[name])
            if window not in _NOT_WINDOWS and fraction is not None:
                found.append(_window(window, fraction * 100, headers.get("%s%s-reset" % (ANTHROPIC, window)), None))
    return found


def describe(found, now):
    """`5h: 58% left (resets in 2h 10m); 7d: 90% left`."""
    from .._core.text import format_duration

    parts = []
    for w in found:
        when = ""
        if w["resetsAt"] is not None and w["resetsAt"] > now:
            when = " (resets in %s)" % format_duration(w["resetsAt"] - now)
        parts.append("%s: %g%% left%s" % (_label(w), w["remainingPercent"], when))
    return "; ".join(parts)


def _label(w):
    minutes = w["windowMinutes"]
    if not minutes:
        return w["name"]
    if minutes % (24 * 60) == 0:
        return "%dd" % (minutes // (24 * 60))
    return "%dh" % (minutes // 60) if minutes % 60 == 0 else "%dm" % minutes


def _window(name, used, reset, minutes):
    used = max(0.0, used)
    return {"name": name, "usedPercent": round(used, 1), "remainingPercent": round(max(0.0, 100 - used), 1),
            "resetsAt": _number(reset), "windowMinutes": _integer(minutes)}


def _number(text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if value == value and abs(value) != float("inf") else None


def _integer(text):
    value = _number(text)
    return int(value) if value is not None and value > 0 else None
