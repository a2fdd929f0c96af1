"""An answer as it arrives, for the front doors that show it or keep it."""


class Answer:
    """An answer as it arrives: text and reasoning deltas go to the sinks at once and are kept.

    usage counts tokens: input (not from cache), output, cacheRead, cacheWrite, reasoning.
    stop_reason is one of stop, length, toolUse, refused, error (raw_stop keeps the server's
    word); finished is set by the protocol's last event, so an answer without it was cut off.
    """

    def __init__(self, on_text=None, on_reasoning=None, clock=None):
        import time

        self._on_text, self._on_reasoning = on_text, on_reasoning
        self._clock = clock or time.monotonic
        self.started = self._clock()
        self.first_token = None
        self.text_parts, self.reasoning_parts = [], []
        self.usage = {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "reasoning": 0}
        self.stop_reason = self.raw_stop = self.service_tier = self.model = None
        self.finished = False
        self._held = {"text": "", "reasoning": ""}

    def text(self, delta):
        self._add("text", delta, self.text_parts, self._on_text)

    def reasoning(self, delta):
        self._add("reasoning", delta, self.reasoning_parts, self._on_reasoning)

    def _add(self, kind, delta, parts, sink):
        delta = self._whole(kind, delta)
        if delta:
            if self.first_token is None:
                self.first_token = self._clock()
            parts.append(delta)
            if sink:
                sink(delta)

    def _whole(self, kind, delta):
        """delta with UTF-16 surrogates made whole: a server that escapes JSON as UTF-16 may
        split a pair across two deltas (the high half is held for the next one), and a lone
        half, which no output can carry, becomes U+FFFD."""
        if not delta:
            return delta
        delta, self._held[kind] = self._held[kind] + delta, ""
        if not any("\ud800" <= ch <= "\udfff" for ch in delta):
            return delta
        if "\ud800" <= delta[-1] <= "\udbff":
            delta, self._held[kind] = delta[:-1], delta[-1]
        return delta.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")

    def stop(self, reason, raw=None):
        self.stop_reason, self.raw_stop = reason, raw

    @property
    def full_text(self):
        return "".join(self.text_parts)

    @property
    def full_reasoning(self):
        return "".join(self.reasoning_parts)

    @property
    def time_to_first_token(self):
        return None if self.first_token is None else self.first_token - self.started
