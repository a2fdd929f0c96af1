"""What an answer cost, from the catalogue's prices: ask, chat and serve all report it."""

# Prices in the catalogue are USD per million tokens; the priority tier costs more (reference §7).
_PRIORITY_MULTIPLIER = {"gpt-5.5": 2.5}


def cost(model, usage, fast=False):
    """{"input", "output", "cacheRead", "cacheWrite", "total"} in USD from the catalogue price."""
    price = model.get("cost") if isinstance(model.get("cost"), dict) else {}
    factor = _PRIORITY_MULTIPLIER.get(model.get("id"), 2.0) if fast else 1.0
    out = {}
    for field in ("input", "output", "cacheRead", "cacheWrite"):
        rate = price.get(field)
        rate = rate if isinstance(rate, (int, float)) and not isinstance(rate, bool) and rate > 0 else 0
        out[field] = usage.get(field, 0) * rate * factor / 1e6
    out["total"] = sum(out.values())
    return out
