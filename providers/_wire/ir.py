"""What a request asks of a model, whatever wire API carries it."""


class Turn:
    """What one request asks: the system prompt (or None), the messages so far as
    [{"role": "user" | "assistant", "content": text}], whether fast mode (the priority service
    tier) is on for it, and the session id (for prompt caching)."""

    def __init__(self, system, messages, fast=False, session_id=None):
        self.system, self.messages, self.fast, self.session_id = system, messages, fast, session_id
