"""How long a server asks us to wait before trying again, and which answers are worth a retry."""

# Busy or failing for a moment: 429 (rate limit), 5xx, and Anthropic's 529 (overloaded).
RETRYABLE = frozenset((429, 500, 502, 503, 504, 529))


def retry_after(headers, now):
    """Seconds the answer asks us to wait (Retry-After as seconds or an HTTP date, or the
    retry-after-ms some APIs add), or None when it does not say. headers: lower-case names."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            value = float(millis) / 1000.0
            if 0 <= value < float("inf"):
                return value
        except ValueError:
            pass
    raw = (headers.get("retry-after") or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
        return value if 0 <= value < float("inf") else None
    except ValueError:
        pass
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)
